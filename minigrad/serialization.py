"""save / load: checkpoints as .npz files that cannot run code when loaded.

``minigrad.save(obj, path)`` accepts what a training checkpoint holds: nested dicts (any
JSON-able or int keys), lists and tuples of tensors, NumPy arrays, numbers, strings, bools and
None: a module's state_dict, an optimizer's state_dict, an epoch, a generator state. The arrays
go into an .npz archive; the nesting and the Python values go into a JSON manifest stored in the
same archive as a plain string array. ``load`` reads it back with ``allow_pickle=False``, so a
malicious file can at worst fail to load; it can never execute code (unlike pickle-based .pt).

Files are written atomically: to a temporary file in the same directory, flushed and fsynced,
then renamed over the target, so an interrupted save never leaves a half-written checkpoint (a
process killed mid-save leaves only its temporary file, which the next save to that path removes).

``to_torch`` / ``from_torch`` convert (nested) state dicts between minigrad and torch tensors.
"""
from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from .tensor import Tensor, flat_bytes, memory_location

__all__ = ["save", "load", "to_torch", "from_torch"]

_MANIFEST = "__minigrad_manifest__"
_FORMAT = 1


def _encode(obj, arrays: dict):
    """The JSON tree of ``obj``; arrays are moved into ``arrays`` and referenced by key."""
    if obj is None or isinstance(obj, (bool, str)):
        return {"v": obj}
    if isinstance(obj, int):
        return {"int": str(obj)}  # as text: JSON numbers would lose ints above 2**53
    if isinstance(obj, float):
        return {"float": repr(obj)}
    if isinstance(obj, Tensor):
        node = {"requires_grad": obj.requires_grad, "parameter": type(obj).__name__ == "Parameter"}
        located = memory_location(obj._data)
        if located is None:
            key = f"a{len(arrays)}"
            arrays[key] = obj.numpy(force=True)
            return {"tensor": key, **node}
        # The memory a tensor lies in is stored once, shared by every tensor saved from it (as torch
        # saves a storage once); a view also records where it sits, and load rebuilds it there.
        root, offset = located
        key = next((k for k, v in arrays.items() if v is root), None)
        if key is None:
            key = f"a{len(arrays)}"
            arrays[key] = root
        if obj._data is root:
            return {"tensor": key, **node}
        return {"tensor": key, "view": [offset, list(obj._data.shape), list(obj._data.strides)], **node}
    if isinstance(obj, (np.ndarray, np.generic)):
        if obj.dtype.kind == "O":
            raise TypeError("minigrad.save cannot store object arrays (they would need pickle)")
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"ndarray" if isinstance(obj, np.ndarray) else "npscalar": key}
    if isinstance(obj, dict):
        kind = "odict" if isinstance(obj, OrderedDict) else "dict"
        return {kind: [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"list" if isinstance(obj, list) else "tuple": [_encode(v, arrays) for v in obj]}
    if type(obj).__name__ == "dtype" and type(obj).__module__.startswith("minigrad"):
        return {"dtype": obj.name}
    raise TypeError(f"minigrad.save cannot store objects of type {type(obj).__name__}; it stores tensors, "
                    "arrays, numbers, strings, None, and dicts/lists/tuples of them")


def _decode(node, archive):
    if "v" in node:
        return node["v"]
    if "int" in node:
        return int(node["int"])
    if "float" in node:
        return float(node["float"])
    if "tensor" in node:
        array = archive[node["tensor"]]
        if "view" in node:   # a view into a stored array (see _encode)
            offset, shape, strides = node["view"]
            array = np.ndarray(tuple(shape), array.dtype, flat_bytes(array), offset, tuple(strides))
        if node.get("parameter"):
            from .nn.parameter import Parameter
            return Parameter(Tensor._make(array), requires_grad=node["requires_grad"])
        t = Tensor._make(array)
        if node.get("requires_grad"):
            t.requires_grad_(True)
        return t
    if "ndarray" in node:
        return archive[node["ndarray"]]
    if "npscalar" in node:
        return archive[node["npscalar"]][()]
    if "dict" in node or "odict" in node:
        pairs = ((_key(_decode(k, archive)), _decode(v, archive)) for k, v in node.get("dict", node.get("odict")))
        return OrderedDict(pairs) if "odict" in node else dict(pairs)
    if "list" in node:
        return [_decode(v, archive) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, archive) for v in node["tuple"])
    if "dtype" in node:
        from . import dtypes
        return dtypes.as_dtype(node["dtype"])
    raise ValueError(f"unrecognised entry in the checkpoint manifest: {sorted(node)}")


def _key(k):
    return tuple(k) if isinstance(k, list) else k


def save(obj, f) -> None:
    """Write ``obj`` to ``f`` (a path, written atomically, or a binary file object).

    A path is written through symlinks to their target; a new file is created 0600 (a checkpoint
    is private by default) and an existing one keeps its mode. Anything at the path that is not a
    regular file (a directory, a device node, a pipe) is refused, never replaced.
    """
    arrays = {}
    manifest = {"format": _FORMAT, "root": _encode(obj, arrays)}
    arrays[_MANIFEST] = np.array(json.dumps(manifest))
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    path = os.path.realpath(os.fspath(f))   # a symlink's target is what gets replaced
    mode = _existing_file_mode(path)
    remove_orphan_temp_files(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fchmod(handle.fileno(), 0o600 if mode is None else mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _existing_file_mode(path: str):
    """The permission bits of the regular file at ``path``, None if nothing is there; raises
    OSError for anything else (replacing a directory or a device node with a file would destroy it)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise OSError(errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL,
                      f"{path} is {kind}; minigrad.save writes only to a regular file or a new path")
    return stat.S_IMODE(st.st_mode)


def _temp_prefix(path: str) -> str:
    return "." + os.path.basename(path) + "."


def remove_orphan_temp_files(path) -> list:
    """Delete the temporary files that saves to ``path`` left behind when killed before their
    rename (``.NAME.XXXX.tmp`` beside it); returns their paths. A save that is interrupted in
    Python cleans up after itself; only a killed process leaves one. (Two processes saving to the
    same path at once are not supported: each would remove the other's file in progress.)"""
    path = os.path.realpath(os.fspath(path))
    directory, prefix = os.path.dirname(path), _temp_prefix(path)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if name.startswith(prefix) and name.endswith(".tmp"):
            try:
                os.unlink(os.path.join(directory, name))
                removed.append(os.path.join(directory, name))
            except OSError:
                pass
    return removed


def load(f, map_location=None, *, weights_only: bool = True):
    """Read what :func:`save` wrote. A plain .npz (no manifest) loads as a dict of tensors.

    ``map_location`` and ``weights_only`` are accepted for torch compatibility: loading is
    always weights-only (no code runs) and tensors load on the CPU. A file that is not a
    readable checkpoint (empty, truncated, corrupted, another format) raises RuntimeError naming
    the file and what is wrong with it, as torch.load does for a damaged archive; a path that
    cannot be opened (missing, a directory) raises the OSError torch.load raises.
    """
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    _check_is_npz(f, name)
    try:
        with np.load(f, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        what = ("it holds pickled objects, which are never loaded (loading runs no code)" if "pickle" in str(exc)
                else "the archive is truncated or corrupted")
        raise RuntimeError(f"{name}: not a readable minigrad checkpoint: {what} ({type(exc).__name__}: {exc})") from exc
    if _MANIFEST not in arrays:
        return OrderedDict((k, Tensor._make(v)) for k, v in arrays.items())
    try:
        manifest = json.loads(str(arrays.pop(_MANIFEST)))
        fmt = manifest.get("format")
        if fmt != _FORMAT:
            raise RuntimeError(f"{name}: unsupported minigrad checkpoint format {fmt!r}")
        return _decode(manifest["root"], arrays)
    except RuntimeError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise RuntimeError(f"{name}: not a readable minigrad checkpoint: its manifest is damaged "
                           f"({type(exc).__name__}: {exc})") from exc


_ZIP_MAGIC = b"PK\x03\x04"


def _check_is_npz(f, name) -> None:
    """Raise RuntimeError unless ``f`` starts like an .npz (zip) archive: numpy would otherwise
    read an empty or foreign file as a pickle and complain about allow_pickle."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as handle:   # a missing file or a directory: OSError, as torch.load raises
            head = handle.read(len(_ZIP_MAGIC))
    else:
        position = f.tell()
        head = f.read(len(_ZIP_MAGIC))
        f.seek(position)
    if not head:
        raise RuntimeError(f"{name}: the file is empty, not a minigrad checkpoint")
    if head != _ZIP_MAGIC:
        raise RuntimeError(f"{name}: not a minigrad checkpoint (an .npz archive starts with {_ZIP_MAGIC!r}; "
                           f"this file starts with {head!r})")


def to_torch(obj):
    """A copy of ``obj`` (a state dict, possibly nested) with minigrad tensors as torch tensors."""
    import torch
    if isinstance(obj, Tensor):
        return torch.from_numpy(np.array(obj.numpy(force=True), copy=True))
    if isinstance(obj, dict):
        return type(obj)((k, to_torch(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


def from_torch(obj):
    """A copy of ``obj`` (a torch state dict, possibly nested) with torch tensors as minigrad tensors."""
    if hasattr(obj, "detach") and hasattr(obj, "numpy") and not isinstance(obj, Tensor):
        return Tensor._make(np.array(obj.detach().cpu().numpy(), copy=True))
    if isinstance(obj, dict):
        return type(obj)((k, from_torch(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_torch(v) for v in obj)
    return obj
