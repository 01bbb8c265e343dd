"""Handwritten-digit datasets for the seed CNN, as 1x32x32 images in [0, 1].

``digits()``
    The 1,797 8x8 handwritten digits of the UCI "Optical Recognition of Handwritten Digits"
    test set, as bundled with scikit-learn (``minigrad/data/digits.csv.gz``, copied from
    scikit-learn 1.9.1, BSD-3-Clause; the data themselves are E. Alpaydin and C. Kaynak's, UCI
    ML repository, CC BY 4.0). No download and no scikit-learn needed. Each image's 0..16 pixel
    counts are divided by 16 and upsampled 8x8 -> 32x32 bilinearly (torch's
    ``interpolate(mode='bilinear', align_corners=False)``, written out in NumPy: a fixed,
    deterministic linear map). The held-out split is fixed: image i is held out when
    ``i % 6 == 5`` (299 images, 25-37 per class); the other 1,498 are the training split.

``mnist(root, train=True, download=False)``
    MNIST read from its original IDX files (``.gz`` or uncompressed), each 28x28 image divided
    by 255 and zero-padded by 2 pixels on every side to 32x32, as LeNet-5 was fed. With
    ``download=True`` missing files are fetched, checked against their published MD5 sums and
    only then renamed into place (nothing half-written is ever left in ``root``). A missing,
    truncated or corrupt file raises :class:`DatasetFileError` naming the file and the fault.

Both return an :class:`ImageDataset`: ``dataset[i] -> (image, label)``, ``.data``,
``.targets``, ``.classes``; it works with ``minigrad.utils.data.DataLoader`` and ``Subset``.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

from . import dtypes
from .tensor import Tensor
from .utils.data import Dataset

__all__ = ["ImageDataset", "DatasetFileError", "digits", "mnist", "DIGITS_HELDOUT_EVERY"]

_DATA = Path(__file__).parent / "data"
DIGITS_HELDOUT_EVERY = 6   # image i is held out when i % 6 == 5


class DatasetFileError(RuntimeError):
    """A dataset file is missing, truncated or corrupt (the message names the file)."""


class ImageDataset(Dataset):
    """Images (N, 1, H, W) and integer labels (N,), kept as arrays and converted per batch.

    ``images`` may be stored compactly (uint8 for MNIST); a sample or batch is
    ``images.astype(dtype) / divisor``, a float tensor of ``dtype`` (default: the default dtype).
    """

    def __init__(self, images: np.ndarray, targets: np.ndarray, *, divisor: float = 1.0, dtype=None,
                 classes=None):
        if len(images) != len(targets):
            raise ValueError(f"{len(images)} images but {len(targets)} labels")
        self.images = images
        self.labels = np.asarray(targets, dtype=np.int64)
        self.divisor = divisor
        self.dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        self.classes = list(classes) if classes is not None else [str(i) for i in range(10)]

    def __len__(self) -> int:
        return len(self.labels)

    def _convert(self, images: np.ndarray) -> np.ndarray:
        out = images.astype(self.dtype.np)
        if self.divisor != 1:
            out /= self.dtype.np.type(self.divisor)
        return out

    def __getitem__(self, index):
        return Tensor._make(self._convert(self.images[index])), Tensor._make(np.asarray(self.labels[index]))

    def _fetch_batch(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        return [Tensor._make(self._convert(self.images[idx])), Tensor._make(self.labels[idx])]

    @property
    def data(self) -> Tensor:
        """All images as one float tensor (N, 1, H, W)."""
        return Tensor._make(self._convert(self.images))

    @property
    def targets(self) -> Tensor:
        return Tensor._make(self.labels)

    def __repr__(self) -> str:
        return (f"ImageDataset({len(self)} images of shape {tuple(self.images.shape[1:])}, "
                f"dtype={self.dtype.name})")


# -- digits ----------------------------------------------------------------------------------
def _bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of 1-D linear interpolation with half-pixel centres (torch's
    align_corners=False): output o samples the input at (o + 0.5) * n_in / n_out - 0.5."""
    src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0, None)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    weights = np.zeros((n_out, n_in))
    weights[np.arange(n_out), lo] += 1 - frac
    weights[np.arange(n_out), hi] += frac
    return weights


def upsample_bilinear(images: np.ndarray, size: int) -> np.ndarray:
    """(N, h, w) -> (N, size, size), bilinear, the same as torch's interpolate(align_corners=False)."""
    rows = _bilinear_matrix(images.shape[1], size)
    cols = _bilinear_matrix(images.shape[2], size)
    return np.einsum("oh,nhw,pw->nop", rows, images, cols)


def _load_digits_csv(path: Path):
    try:
        with gzip.open(path, "rt") as f:
            raw = np.loadtxt(f, delimiter=",", dtype=np.float64)
    except FileNotFoundError:
        raise DatasetFileError(f"{path}: the bundled digits file is missing (a broken installation?)") from None
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise DatasetFileError(f"{path}: corrupt digits file: {exc}") from exc
    if raw.ndim != 2 or raw.shape[1] != 65:
        raise DatasetFileError(f"{path}: expected rows of 64 pixels and a label, got shape {raw.shape}")
    return raw[:, :64].reshape(-1, 8, 8), raw[:, 64].astype(np.int64)


def digits(split: str = "train", *, size: int = 32, dtype=None) -> ImageDataset:
    """The bundled 8x8 handwritten digits, upsampled to 1 x size x size, values in [0, 1].

    ``split``: 'train' (1,498 images), 'test' (the fixed 299 held out: i % 6 == 5) or 'all'.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    pixels, labels = _load_digits_csv(_DATA / "digits.csv.gz")
    images = upsample_bilinear(pixels / 16.0, size)[:, None]
    held_out = np.arange(len(labels)) % DIGITS_HELDOUT_EVERY == DIGITS_HELDOUT_EVERY - 1
    keep = {"train": ~held_out, "test": held_out, "all": np.ones_like(held_out)}[split]
    return ImageDataset(np.ascontiguousarray(images[keep]), labels[keep], dtype=dtype)


# -- MNIST -----------------------------------------------------------------------------------
_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# MD5 of the original gzip files (as published with torchvision's MNIST).
_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def default_mnist_root() -> Path:
    """$MINIGRAD_MNIST_DIR if set, else ~/.cache/minigrad/mnist."""
    env = os.environ.get("MINIGRAD_MNIST_DIR")
    return Path(env) if env else Path.home() / ".cache" / "minigrad" / "mnist"


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetFileError(f"{path}: cannot be read: {exc}") from exc
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DatasetFileError(f"{path}: truncated gzip file (the compressed stream ends early; "
                               f"{len(raw)} bytes on disk)") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DatasetFileError(f"{path}: corrupt gzip data ({exc})") from None


def _parse_idx(path: Path, data: bytes, expect_ndim: int) -> np.ndarray:
    """An IDX array: magic 0x0000 08 <ndim>, then ndim big-endian uint32 sizes, then uint8 data."""
    if len(data) < 4:
        raise DatasetFileError(f"{path}: truncated: {len(data)} bytes, too short for an IDX header")
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetFileError(f"{path}: not an IDX file of unsigned bytes (magic number "
                               f"0x{data[:4].hex()}, expected 0x000008{expect_ndim:02x})")
    ndim = data[3]
    if ndim != expect_ndim:
        raise DatasetFileError(f"{path}: IDX file has {ndim} dimensions, expected {expect_ndim}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetFileError(f"{path}: truncated: {len(data)} bytes, too short for the IDX header")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape))
    if len(data) < expected:
        raise DatasetFileError(f"{path}: truncated: the header promises an array of shape {shape} "
                               f"({expected} bytes) but the data is {len(data)} bytes")
    if len(data) > expected:
        raise DatasetFileError(f"{path}: {len(data) - expected} unexpected bytes after the {shape} array")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _locate(root: Path, name: str, download: bool) -> Path:
    for candidate in (root / (name + ".gz"), root / name):
        if candidate.exists():
            return candidate
    if download:
        return _download(root, name + ".gz")
    raise DatasetFileError(f"{root / (name + '.gz')}: file not found (nor uncompressed {name}); pass "
                           "download=True to fetch MNIST, or point root (or $MINIGRAD_MNIST_DIR) at a folder "
                           "holding the IDX files")


def _download(root: Path, filename: str) -> Path:
    """Fetch ``filename`` into ``root``: write a temporary file, check its MD5, then rename."""
    import urllib.request
    root.mkdir(parents=True, exist_ok=True)
    target = root / filename
    errors = []
    for mirror in _MNIST_MIRRORS:
        fd, tmp = tempfile.mkstemp(dir=root, prefix="." + filename + ".", suffix=".part")
        try:
            h = hashlib.md5()
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(mirror + filename, timeout=60) as response:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if h.hexdigest() != _MNIST_MD5[filename]:
                raise DatasetFileError(f"md5 {h.hexdigest()} != expected {_MNIST_MD5[filename]}")
            os.replace(tmp, target)
            return target
        except Exception as exc:  # noqa: BLE001  (try the next mirror, report all failures)
            errors.append(f"{mirror}{filename}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise DatasetFileError(f"{target}: download failed from every mirror:\n  " + "\n  ".join(errors))


def mnist(root=None, train: bool = True, download: bool = False, *, split: str | None = None,
          dtype=None) -> ImageDataset:
    """MNIST's training (60,000) or test (10,000, ``train=False`` / ``split='test'``) images,
    as 1x32x32 in [0, 1] (28x28 zero-padded by 2), from the IDX files in ``root``."""
    split = split or ("train" if train else "test")
    if split not in _MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root) if root is not None else default_mnist_root()
    image_name, label_name = _MNIST_FILES[split]
    image_path = _locate(root, image_name, download)
    label_path = _locate(root, label_name, download)
    images = _parse_idx(image_path, _read_bytes(image_path), 3)
    labels = _parse_idx(label_path, _read_bytes(label_path), 1)
    for path in (image_path, label_path):
        expected = _MNIST_MD5.get(path.name)
        if expected is not None and _md5(path) != expected:
            raise DatasetFileError(f"{path}: checksum mismatch (md5 {_md5(path)}, expected {expected}): the "
                                   "file is corrupt or not the original; delete it and pass download=True")
    if len(images) != len(labels):
        raise DatasetFileError(f"{image_path}: {len(images)} images but {label_path.name} has {len(labels)} labels")
    if images.shape[1:] != (28, 28):
        raise DatasetFileError(f"{image_path}: images are {images.shape[1:]}, expected (28, 28)")
    if labels.size and labels.max() > 9:
        raise DatasetFileError(f"{label_path}: label {int(labels.max())} is not a digit 0-9")
    padded = np.zeros((len(images), 1, 32, 32), dtype=np.uint8)
    padded[:, 0, 2:30, 2:30] = images
    return ImageDataset(padded, labels.astype(np.int64), divisor=255.0, dtype=dtype)
