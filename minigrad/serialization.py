"""save / load: torch's checkpoint format and safety model, and minigrad's pickle-free .npz.

``minigrad.save(obj, f)`` writes any picklable object (a whole module, an optimizer's state dict,
nested containers of tensors) in torch's zip format, with tensors as torch's own records, so that
``torch.load`` reads the file and ``minigrad.load`` reads ``torch.save``'s files without importing
torch (the layout is described above :class:`_TorchName`). ``minigrad.load(f)`` unpickles with
``weights_only=True`` by default, as torch >= 2.6: only tensors, dtypes, sizes, devices, ordered
dicts and plain containers, plus what :func:`add_safe_globals` allows (minigrad/_pickle_safe.py);
``weights_only=False`` loads anything, running whatever code the file names.

A path ending in ``.npz`` (or ``format="npz"``; the train CLI always asks for it) gets minigrad's
.npz format instead: nested dicts (any JSON-able or int keys), lists and tuples of tensors, NumPy
arrays, numbers, strings, bools and None. The arrays go into an .npz archive; the nesting and the
Python values go into a JSON manifest stored in the same archive as a plain string array. It is
read with ``allow_pickle=False``, so such a file holds no pickle at all. ``load`` reads the format
from the file's content.

Files are written atomically: to a temporary file in the same directory, flushed and fsynced,
then renamed over the target, so an interrupted save never leaves a half-written checkpoint (a
process killed mid-save leaves only its temporary file, which the next save to that path removes).

``to_torch`` / ``from_torch`` convert (nested) state dicts between minigrad and torch tensors.
"""
from __future__ import annotations

import errno
import io
import json
import os
import pickle
import stat
import struct
import warnings
import sys
import tempfile
import uuid
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

from . import dtypes

from ._pickle_safe import (STORAGE_OF_DTYPE, Storage, StorageType, WeightsUnpickler, add_safe_globals,
                           allowed_globals, clear_safe_globals, get_safe_globals, safe_globals, torch_global,
                           user_allowed_globals)
from .tensor import _AUTOGRAD_STATE, Size, Tensor, flat_bytes, memory_location

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint", "to_torch", "from_torch"]

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


def _encode_npz(obj) -> dict:
    """The arrays of the .npz file that stores ``obj``, its JSON manifest among them."""
    arrays = {}
    manifest = {"format": _FORMAT, "root": _encode(obj, arrays)}
    # NumPy's .npy header cannot name ml_dtypes' bfloat16 (it would read back as raw bytes, 'V2'):
    # such an array is stored as its 16-bit patterns, and the manifest names the dtype to view them as.
    bits = {key: a.dtype.name for key, a in arrays.items() if a.dtype in dtypes.LOW_PRECISION_ARRAYS}
    if bits:
        manifest["bits"] = bits
        arrays.update((key, arrays[key].view(np.uint16)) for key in bits)
    arrays[_MANIFEST] = np.array(json.dumps(manifest))
    return arrays


def save(obj, f, pickle_module=None, pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False, *, format: str | None = None) -> None:
    """Write ``obj`` to ``f`` (a path, written atomically, or a binary file object).

    ``format`` picks the file format: "torch" (torch's zip checkpoint: any picklable object) or
    "npz" (no pickle: tensors, arrays, numbers, strings and containers of them). By default a
    path ending in ``.npz`` gets "npz" and everything else "torch".

    A path is written through symlinks to their target; a new file is created 0600 (a checkpoint
    is private by default) and an existing one keeps its mode. Anything at the path that is not a
    regular file (a directory, a device node, a pipe) is refused, never replaced.
    """
    if format is None:
        format = "npz" if isinstance(f, (str, os.PathLike)) and os.fspath(f).endswith(".npz") else "torch"
    if format == "npz":
        arrays = _encode_npz(obj)    # before the file is touched: an object it cannot store changes nothing

        def write(handle):
            np.savez(handle, **arrays)
    elif format == "torch":
        if not _use_new_zipfile_serialization:
            raise NotImplementedError("minigrad.save writes only torch's zip format "
                                      "(_use_new_zipfile_serialization=False is torch's legacy format)")
        if pickle_module is not None and pickle_module is not pickle:
            raise NotImplementedError("minigrad.save pickles with the standard pickle module only")
        data_pkl, storages = _pickle_for_torch(obj, pickle_protocol)
        archive = _archive_name(f)

        def write(handle):
            _write_torch_zip(handle, archive, data_pkl, storages, not _disable_byteorder_record)
    else:
        raise ValueError(f"minigrad.save: format must be 'torch' or 'npz', got {format!r}")
    if hasattr(f, "write"):
        write(f)
        return
    path = os.path.realpath(os.fspath(f))   # a symlink's target is what gets replaced
    mode = _existing_file_mode(path)
    remove_orphan_temp_files(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
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


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None, mmap=None,
         **pickle_load_args):
    """Read a checkpoint: torch's zip format (written by :func:`save` or by ``torch.save``) or
    minigrad's .npz (a plain .npz without a manifest loads as a dict of tensors).

    ``weights_only`` (the default, as in torch >= 2.6) unpickles with
    :class:`~minigrad._pickle_safe.WeightsUnpickler`: tensors, dtypes, sizes, devices, ordered
    dicts and plain containers only, plus what :func:`add_safe_globals` allows; anything else raises
    ``pickle.UnpicklingError`` and nothing in the file runs. ``weights_only=False`` unpickles any
    object, which runs whatever code the file names: only for files you trust. ``map_location`` is
    torch's: a device or its name, a dict from saved location to location, or a callable
    ``(storage, location) -> storage or None``. Storages are read into memory (``mmap`` is accepted).

    A file that is not a readable checkpoint (empty, truncated, corrupted, another format) raises
    RuntimeError naming the file and what is wrong with it, as torch.load does for a damaged
    archive; a path that cannot be opened (missing, a directory) raises the OSError torch.load raises.

    torch's environment overrides apply: ``TORCH_FORCE_WEIGHTS_ONLY_LOAD=1`` forces the restricted
    load, ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` makes the full load the default (with torch's warning).
    """
    force_restricted, force_full = (os.environ.get(var, "0").lower() in ("1", "y", "yes", "true")
                                    for var in ("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"))
    if force_restricted and force_full:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
                           "should be set, but both were set.")
    if force_restricted:
        weights_only = True
    elif force_full and weights_only is None:
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the`weights_only` "
                      "argument was not explicitly passed to `torch.load`, forcing weights_only=False.", UserWarning,
                      stacklevel=2)
        weights_only = False
    if weights_only is None:
        weights_only = pickle_module is None   # torch: an explicit pickle_module means a full load
    if pickle_module is not None and pickle_module is not pickle:
        raise NotImplementedError("minigrad.load unpickles with the standard pickle module only")
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    restore = _restore_location(map_location)
    encoding = pickle_load_args.get("encoding", "utf-8")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as handle:   # a missing file or a directory: OSError, as torch.load raises
            return _load_from(handle, name, restore, weights_only, encoding)
    return _load_from(f, name, restore, weights_only, encoding)


_ZIP_MAGIC = b"PK\x03\x04"
# A file torch.save wrote before torch 1.6 (or with _use_new_zipfile_serialization=False) starts
# with this pickled magic number.
_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


def _load_from(handle, name, restore, weights_only, encoding):
    start = handle.tell()
    head = handle.read(len(_TORCH_LEGACY_MAGIC))
    handle.seek(start)
    if not head:
        raise RuntimeError(f"{name}: the file is empty, not a minigrad checkpoint")
    if head.startswith(_TORCH_LEGACY_MAGIC[:4]):
        raise RuntimeError(f"{name}: a checkpoint in torch's legacy format (torch < 1.6), which minigrad does not "
                           "read; load it with torch and save it again with torch.save")
    if not head.startswith(_ZIP_MAGIC):
        raise RuntimeError(f"{name}: not a minigrad checkpoint (an .npz or torch zip archive starts with "
                           f"{_ZIP_MAGIC!r}; this file starts with {head[:len(_ZIP_MAGIC)]!r})")
    try:
        with zipfile.ZipFile(handle) as archive:
            prefix = _torch_archive_prefix(archive.namelist())
            if prefix is not None:
                return _load_torch_zip(archive, prefix, restore, weights_only, encoding)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise RuntimeError(f"{name}: not a readable minigrad checkpoint: the archive is truncated or corrupted "
                           f"({type(exc).__name__}: {exc})") from exc
    handle.seek(start)
    return _load_npz(handle, name)


def _load_npz(handle, name):
    try:
        with np.load(handle, allow_pickle=False) as archive:
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
        for key, dtype_name in manifest.get("bits", {}).items():   # bfloat16 arrays, stored as uint16 (_encode_npz)
            low = dtypes.as_dtype(dtype_name)
            if low.itemsize != 2 or arrays[key].dtype != np.uint16:
                raise ValueError(f"array {key} cannot hold {dtype_name} values")
            arrays[key] = arrays[key].view(low.np)
        return _decode(manifest["root"], arrays)
    except RuntimeError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise RuntimeError(f"{name}: not a readable minigrad checkpoint: its manifest is damaged "
                           f"({type(exc).__name__}: {exc})") from exc


# -- torch's zip format ---------------------------------------------------------------------------
#
# As torch/serialization.py writes it: a zip archive (records stored uncompressed, each one's data
# aligned to 64 bytes) whose records all sit in one folder, ARCHIVE/:
#   data.pkl             the object, pickled (protocol 2); every tensor is a record
#                        torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
#                        OrderedDict()) (parameters wrap it in torch._utils._rebuild_parameter), and
#                        each storage a persistent id ("storage", torch.FloatStorage, key, "cpu", numel)
#   .format_version "1", .storage_alignment "64", byteorder "little"
#   data/KEY             each storage's raw elements
#   version "3\n", .data/serialization_id

_STORAGE_ALIGNMENT = 64


class _TorchName:
    """A global written under torch's name (``torch._utils._rebuild_tensor_v2``), so that torch reads
    the file with its own functions; minigrad's reader maps the name back (_pickle_safe.torch_global)."""

    __slots__ = ("module", "name")
    _cache: dict = {}

    @classmethod
    def of(cls, module: str, name: str) -> "_TorchName":
        key = (module, name)
        if key not in cls._cache:   # one object per name: pickle's memo writes each name once
            obj = cls._cache[key] = object.__new__(cls)
            obj.module, obj.name = module, name
        return cls._cache[key]

    def __call__(self, *args):   # pickle's save_reduce insists on a callable; it is only ever written
        raise TypeError(f"{self.module}.{self.name} is a name written into a checkpoint, not a function")


class _StorageRef:
    """A storage being saved: the key of its ``data/KEY`` record and its persistent id's fields."""

    __slots__ = ("key", "type_name", "location", "numel")

    def __init__(self, key, type_name, location, numel):
        self.key, self.type_name, self.location, self.numel = key, type_name, location, numel


def _contiguous_strides(shape) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class _TorchPickler(pickle._Pickler):
    """Writes minigrad's tensors, dtypes, sizes and devices as torch's records. It extends the
    pure-Python pickler: names like ``torch.FloatStorage`` must be written without importing torch,
    which takes an entry in its type dispatch table (the C pickler checks every global it writes
    by importing it)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}     # key -> 1-D array of the storage's elements
        self._by_memory = {}   # (id of the memory's owner, dtype) -> _StorageRef
        self._alive = []       # the owners, so that their ids stay theirs while pickling

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            return ("storage", _TorchName.of("torch", obj.type_name), obj.key, obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        from .device import device
        from .nn.parameter import Parameter
        if isinstance(obj, Tensor):
            # The user's attributes, as torch saves them; minigrad's own (autograd state, private
            # names) stay behind, and the loader refuses private names.
            state = {k: v for k, v in obj.__dict__.items() if k not in _AUTOGRAD_STATE and not k.startswith("_")}
            if isinstance(obj, Parameter):
                inner = Tensor._make(obj._data)   # the same memory, as a plain tensor
                if state:
                    return (_TorchName.of("torch._utils", "_rebuild_parameter_with_state"),
                            (inner, obj.requires_grad, OrderedDict(), state))
                return (_TorchName.of("torch._utils", "_rebuild_parameter"), (inner, obj.requires_grad, OrderedDict()))
            record = (_TorchName.of("torch._utils", "_rebuild_tensor_v2"),
                      (*self._storage_view(obj), obj.requires_grad, OrderedDict()))
            if state or type(obj) is not Tensor:   # attributes or a subclass: torch's wrapper record
                cls = type(obj)
                cls = _TorchName.of("torch", "Tensor") if cls is Tensor or cls.__name__ == "Buffer" else cls
                return (_TorchName.of("torch._tensor", "_rebuild_from_type_v2"), (record[0], cls, record[1], state))
            return record
        if type(obj) is Size:
            return (_TorchName.of("torch", "Size"), (tuple(obj),))
        if type(obj) is device:
            return (_TorchName.of("torch", "device"), (obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def _storage_view(self, t) -> tuple:
        """``(storage, offset, size, stride)`` of ``t``: tensors that share memory share a storage."""
        data = t._data
        type_name = STORAGE_OF_DTYPE.get(np.dtype(data.dtype).name)
        if type_name is None:
            raise TypeError(f"minigrad.save cannot store {t.dtype} tensors in torch's format")
        location = "cpu" if t.device.type == "cpu" else f"{t.device.type}:{t.device.index or 0}"
        item = data.dtype.itemsize
        located = memory_location(data)
        if located is not None:
            root, offset = located
            memory = flat_bytes(root)
            if offset % item == 0 and memory.size % item == 0 and all(s >= 0 and s % item == 0 for s in data.strides):
                key = (id(root), data.dtype.str)
                if key not in self._by_memory:
                    self._alive.append(root)
                    self._by_memory[key] = self._storage(memory.view(data.dtype), type_name, location)
                return (self._by_memory[key], offset // item, tuple(data.shape), tuple(s // item for s in data.strides))
        # Memory torch's storages cannot describe (negative strides, GPU arrays): a private copy.
        copy = np.ascontiguousarray(t.numpy(force=True)).reshape(-1)
        return self._storage(copy, type_name, location), 0, tuple(data.shape), _contiguous_strides(data.shape)

    def _storage(self, elements, type_name, location) -> _StorageRef:
        key = str(len(self.storages))
        self.storages[key] = elements
        return _StorageRef(key, type_name, location, elements.size)

    def _save_torch_name(self, obj):
        from . import dtypes
        module, name = ("torch", obj.name) if isinstance(obj, dtypes.dtype) else (obj.module, obj.name)
        self.write(pickle.GLOBAL + module.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n")
        self.memoize(obj)

    dispatch[_TorchName] = _save_torch_name


def _register_dtype_dispatch():
    from . import dtypes
    _TorchPickler.dispatch[dtypes.dtype] = _TorchPickler._save_torch_name


def _pickle_for_torch(obj, protocol):
    """``(data.pkl bytes, {key: storage elements})`` of ``obj``."""
    _register_dtype_dispatch()
    buffer = io.BytesIO()
    pickler = _TorchPickler(buffer, protocol)
    pickler.dump(obj)
    return buffer.getvalue(), pickler.storages


def _archive_name(f) -> str:
    """The folder of the records: the file's name without its extension, "archive" for a file
    object (torch's choice)."""
    if isinstance(f, (str, os.PathLike)):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        if stem and all(c.isalnum() or c in "-_." for c in stem):
            return stem
    return "archive"


def _write_torch_zip(handle, archive, data_pkl, storages, byteorder_record):
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        def record(name, data):
            data = memoryview(data).cast("B")
            info = zipfile.ZipInfo(f"{archive}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            zip64 = len(data) * 1.05 > zipfile.ZIP64_LIMIT   # zipfile then adds a 20-byte extra field
            header = 30 + len(info.filename.encode("utf-8")) + (20 if zip64 else 0)
            pad = -(zf.fp.tell() + header + 4) % _STORAGE_ALIGNMENT
            info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad   # torch's "FB" padding field
            with zf.open(info, "w", force_zip64=zip64) as out:
                out.write(data)
        record("data.pkl", data_pkl)
        record(".format_version", b"1")
        record(".storage_alignment", str(_STORAGE_ALIGNMENT).encode())
        if byteorder_record:
            record("byteorder", sys.byteorder.encode())
        for key, elements in storages.items():
            record(f"data/{key}", np.ascontiguousarray(elements).view(np.uint8))
        record("version", b"3\n")
        record(".data/serialization_id", str(uuid.uuid4().int).zfill(40)[:40].encode())


def _torch_archive_prefix(names):
    """``"ARCHIVE/"`` if the zip holds torch's records, else None."""
    for n in names:
        folder, _, rest = n.partition("/")
        if rest == "data.pkl" and folder:
            return folder + "/"
    return None


def _load_torch_zip(archive, prefix, restore, weights_only, encoding):
    byteorder = "little"
    if prefix + "byteorder" in archive.namelist():
        byteorder = archive.read(prefix + "byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise RuntimeError(f"unknown byte order {byteorder!r} in the checkpoint")
    loaded = {}

    def load_storage(storage_type, key, location, numel):
        # As torch's: a key is read once, with the element type of its first record; later records
        # of the same key get that storage whatever type they name.
        if key not in loaded:
            dtype = storage_type.numpy_dtype()
            try:
                info = archive.getinfo(f"{prefix}data/{key}")
            except KeyError:
                raise RuntimeError(f"the checkpoint has no record data/{key} for a storage it uses") from None
            if info.file_size != numel * dtype.itemsize:
                raise RuntimeError(f"storage data/{key} holds {info.file_size} bytes, not the {numel} elements "
                                   f"of {dtype.itemsize} bytes its record says")
            raw = np.empty(info.file_size, np.uint8)
            view, done = memoryview(raw), 0
            with archive.open(info) as src:
                while done < raw.size:
                    n = src.readinto(view[done:done + (1 << 24)])
                    if not n:
                        raise RuntimeError(f"storage data/{key} is truncated")
                    done += n
            elements = raw.view(dtype)
            if byteorder != sys.byteorder and dtype.itemsize > 1:
                elements.byteswap(inplace=True)
            loaded[key] = restore(elements, location)
        return loaded[key]

    data = io.BytesIO(archive.read(prefix + "data.pkl"))
    if not weights_only:
        return _FullUnpickler(data, load_storage, encoding=encoding).load()
    try:
        return WeightsUnpickler(data, load_storage, encoding=encoding).load()
    except pickle.UnpicklingError as exc:
        raise pickle.UnpicklingError(_weights_only_message(str(exc))) from None


def _weights_only_message(detail: str) -> str:
    return ("Weights only load failed. This file can still be loaded, to do so you have two options, do those "
            "steps only if you trust the source of the checkpoint. \n\t(1) minigrad.load, as torch.load since "
            "PyTorch 2.6, defaults to `weights_only=True`. Re-running `minigrad.load` with `weights_only` set to "
            "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if you got "
            "the file from a trusted source.\n\t(2) Alternatively, to load with `weights_only=True` please check "
            "the recommended steps in the following error message.\n\tWeightsUnpickler error: " + detail)


class _FullUnpickler(pickle.Unpickler):
    """``weights_only=False``: any object, torch's names mapped to minigrad's (torch.X.Y to
    minigrad.X.Y where minigrad has that module)."""

    def __init__(self, file, load_storage, **kwargs):
        super().__init__(file, **kwargs)
        self._load_storage = load_storage

    def find_class(self, module, name):
        if module != "torch" and not module.startswith("torch."):
            return super().find_class(module, name)
        obj = torch_global(f"{module}.{name}")
        if obj is not None:
            return obj
        try:
            return super().find_class("minigrad" + module[len("torch"):], name)
        except (ImportError, AttributeError):
            raise pickle.UnpicklingError(f"minigrad has no counterpart of {module}.{name}, which the file "
                                         "uses") from None

    def persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) != 5 or pid[0] not in ("storage", b"storage") \
                or not isinstance(pid[1], StorageType):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        return self._load_storage(*pid[1:])


def get_unsafe_globals_in_checkpoint(f) -> list:
    """The globals in the checkpoint ``f`` (torch's zip format) that ``load(f, weights_only=True)``
    would refuse, as ``"module.name"`` strings; read from the pickle's opcodes, nothing is run."""
    import pickletools
    with zipfile.ZipFile(f) as archive:
        prefix = _torch_archive_prefix(archive.namelist())
        if prefix is None:
            return []   # an .npz holds no pickle
        data = archive.read(prefix + "data.pkl")
    allowed = {**allowed_globals(), **user_allowed_globals()}
    unsafe = []
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name in ("GLOBAL", "INST"):
            module, name = arg.split(" ", 1)
            if (module, name) in NAME_MAPPING:
                module, name = NAME_MAPPING[(module, name)]
            elif module in IMPORT_MAPPING:
                module = IMPORT_MAPPING[module]
            full = f"{module}.{name}"
            if full not in allowed and full not in unsafe:
                unsafe.append(full)
    return unsafe


# -- map_location ---------------------------------------------------------------------------------

def _restore_location(map_location):
    """``restore(elements, saved location) -> Storage`` as torch's map_location says."""
    if map_location is None:
        return lambda elements, location: _default_restore(elements, location)
    if isinstance(map_location, str) or type(map_location).__name__ == "device":
        target = str(map_location)
        return lambda elements, location: _default_restore(elements, target)
    if isinstance(map_location, dict):
        return lambda elements, location: _default_restore(elements, str(map_location.get(location, location)))
    if callable(map_location):
        def restore(elements, location):
            result = map_location(Tensor._make(elements), location)
            if result is None:
                return _default_restore(elements, location)
            if not isinstance(result, Tensor):
                raise TypeError(f"map_location must return a storage (a minigrad tensor) or None, "
                                f"got {type(result).__name__}")
            where = str(result.device)
            return Storage(result._data if where == "cpu" else result.numpy(force=True).reshape(-1), where)
        return restore
    raise TypeError(f"map_location should be a str, device, dict or callable, got {type(map_location).__name__}")


def _default_restore(elements, location: str) -> Storage:
    if location == "cpu":
        return Storage(elements, "cpu")
    if location.startswith("cuda"):
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                               "False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        index = int(location.partition(":")[2] or 0)
        if index >= cuda.device_count():
            raise RuntimeError(f"Attempting to deserialize object on CUDA device {index} but "
                               f"torch.cuda.device_count() is {cuda.device_count()}. Please use torch.load with "
                               "map_location to map your storages to an existing device.")
        return Storage(elements, location)
    raise RuntimeError(f"don't know how to restore data location of torch.storage.UntypedStorage "
                       f"(tagged with {location})")


def to_torch(obj):
    """A copy of ``obj`` (a state dict, possibly nested) with minigrad tensors as torch tensors."""
    import torch
    if isinstance(obj, Tensor):
        array = np.array(obj.numpy(force=True), copy=True)
        if array.dtype in dtypes.LOW_PRECISION_ARRAYS:   # torch.from_numpy knows no bfloat16: its bit patterns
            return torch.from_numpy(array.view(np.int16)).view(getattr(torch, obj.dtype.name))
        return torch.from_numpy(array)
    if isinstance(obj, dict):
        return type(obj)((k, to_torch(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


def from_torch(obj):
    """A copy of ``obj`` (a torch state dict, possibly nested) with torch tensors as minigrad tensors."""
    if hasattr(obj, "detach") and hasattr(obj, "numpy") and not isinstance(obj, Tensor):
        if str(obj.dtype) == "torch.bfloat16":   # torch's .numpy() knows no bfloat16: its bit patterns
            import torch
            bits = np.array(obj.detach().cpu().view(torch.int16).numpy(), copy=True)
            return Tensor._make(bits.view(dtypes.bfloat16.np))
        return Tensor._make(np.array(obj.detach().cpu().numpy(), copy=True))
    if isinstance(obj, dict):
        return type(obj)((k, from_torch(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_torch(v) for v in obj)
    return obj
