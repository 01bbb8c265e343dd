"""The bundled digits and the MNIST reader: contents, splits, and clear errors for bad files."""
import gzip
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from minigrad import datasets
from minigrad.datasets import DatasetFileError
from minigrad.utils.data import DataLoader

MNIST_DIR = Path(os.environ.get("MINIGRAD_MNIST_DIR", Path(__file__).resolve().parents[3] / "shared/data/mnist"))
needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists(),
                                 reason="the MNIST test files are not available (set MINIGRAD_MNIST_DIR)")


def test_digits_splits():
    train, test, full = datasets.digits("train"), datasets.digits("test"), datasets.digits("all")
    assert (len(train), len(test), len(full)) == (1498, 299, 1797)
    assert tuple(train.data.shape) == (1498, 1, 32, 32) and train.data.dtype.name == "float32"
    x = full.data.numpy()
    assert x.min() == 0.0 and 0.99 < x.max() <= 1.0
    np.testing.assert_array_equal(test.targets.numpy(), full.targets.numpy()[5::6])
    np.testing.assert_array_equal(test.data.numpy(), x[5::6])
    counts = np.bincount(test.targets.numpy(), minlength=10)
    assert counts.min() >= 25                      # every class is held out
    assert np.bincount(full.targets.numpy()).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    image, label = train[0]
    assert tuple(image.shape) == (1, 32, 32) and label.item() == 0
    assert datasets.digits("train", dtype="float64").data.dtype.name == "float64"
    with pytest.raises(ValueError, match="split"):
        datasets.digits("validation")


def test_digits_upsampling_is_torchs_bilinear():
    pixels, _ = datasets._load_digits_csv(datasets._DATA / "digits.csv.gz")
    expected = torch.nn.functional.interpolate(torch.tensor(pixels[:20, None] / 16.0), size=(32, 32),
                                               mode="bilinear", align_corners=False)
    np.testing.assert_allclose(datasets.digits("all").data.numpy()[:20], expected.numpy(), rtol=1e-6, atol=1e-7)


def test_image_dataset_batches_through_the_loader():
    test = datasets.digits("test")
    x, y = next(iter(DataLoader(test, batch_size=16)))
    assert tuple(x.shape) == (16, 1, 32, 32) and y.dtype.name == "int64"
    np.testing.assert_array_equal(x.numpy(), test.data.numpy()[:16])


@needs_mnist
def test_mnist_test_split():
    ds = datasets.mnist(MNIST_DIR, train=False)
    assert len(ds) == 10000
    x = ds.data.numpy()
    assert x.shape == (10000, 1, 32, 32) and x.dtype == np.float32
    assert not x[:, :, :2].any() and not x[:, :, -2:].any() and not x[:, :, :, :2].any()
    assert x.max() == 1.0 and x.min() == 0.0
    assert ds.targets.numpy()[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(ds.targets.numpy()).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert len(datasets.mnist(MNIST_DIR, split="test")) == 10000


def _copy_mnist(tmp_path, raw=False):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        src = MNIST_DIR / (name + ".gz")
        if raw:
            (tmp_path / name).write_bytes(gzip.decompress(src.read_bytes()))
        else:
            shutil.copy(src, tmp_path / (name + ".gz"))
    return tmp_path


@needs_mnist
def test_mnist_raw_files_read_the_same(tmp_path):
    a = datasets.mnist(_copy_mnist(tmp_path, raw=True), train=False)
    b = datasets.mnist(MNIST_DIR, train=False)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(DatasetFileError, match=r"t10k-images-idx3-ubyte\.gz: file not found.*download=True"):
        datasets.mnist(tmp_path, train=False)
    with pytest.raises(DatasetFileError, match="train-images"):
        datasets.mnist(tmp_path, train=True)


@needs_mnist
def test_truncated_and_corrupt_files(tmp_path):
    root = _copy_mnist(tmp_path)
    images = root / "t10k-images-idx3-ubyte.gz"
    good = images.read_bytes()
    images.write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetFileError, match=r"t10k-images-idx3-ubyte\.gz: truncated gzip"):
        datasets.mnist(root, train=False)
    corrupt = bytearray(good)
    corrupt[len(corrupt) // 2] ^= 0xFF
    images.write_bytes(bytes(corrupt))
    with pytest.raises(DatasetFileError, match=r"t10k-images-idx3-ubyte\.gz: (corrupt gzip|truncated)"):
        datasets.mnist(root, train=False)
    # valid gzip, but not the original file: the checksum catches it
    content = gzip.decompress(good)
    images.write_bytes(gzip.compress(content[:-1] + bytes([content[-1] ^ 1]), mtime=0))
    with pytest.raises(DatasetFileError, match="checksum mismatch"):
        datasets.mnist(root, train=False)
    # uncompressed files: structural checks
    images.unlink()
    raw = root / "t10k-images-idx3-ubyte"
    raw.write_bytes(content[:5000])
    with pytest.raises(DatasetFileError, match=r"t10k-images-idx3-ubyte: truncated: the header promises .*10000, 28, 28"):
        datasets.mnist(root, train=False)
    raw.write_bytes(b"\x00\x00\x08\x01" + content[4:])
    with pytest.raises(DatasetFileError, match="1 dimensions, expected 3"):
        datasets.mnist(root, train=False)
    raw.write_bytes(b"PK\x03\x04" + content[4:])
    with pytest.raises(DatasetFileError, match="not an IDX file"):
        datasets.mnist(root, train=False)
    raw.write_bytes(content + b"extra")
    with pytest.raises(DatasetFileError, match="5 unexpected bytes"):
        datasets.mnist(root, train=False)


@needs_mnist
def test_download_is_checksummed_and_atomic(tmp_path, monkeypatch):
    import urllib.request
    served = {}
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        served[name] = (MNIST_DIR / name).read_bytes()

    def fake_urlopen(url, timeout=None):
        name = url.rsplit("/", 1)[1]
        body = served[name]
        if "ossci" in url:          # the first mirror serves a damaged copy
            body = body[:-10] + b"0123456789"
        return io.BytesIO(body)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    ds = datasets.mnist(tmp_path / "cache", train=False, download=True)
    assert len(ds) == 10000
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(served)

    def broken(url, timeout=None):
        return io.BytesIO(b"not mnist")
    monkeypatch.setattr(urllib.request, "urlopen", broken)
    with pytest.raises(DatasetFileError, match="download failed from every mirror"):
        datasets.mnist(tmp_path / "other", train=False, download=True)
    assert list((tmp_path / "other").iterdir()) == []   # nothing half-written is left behind
