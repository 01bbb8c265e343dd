"""The pickle side of torch's checkpoint format, read without importing torch.

A torch checkpoint's ``data.pkl`` names torch's functions and classes by their import paths
(``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ``torch.float32``, ...).
:func:`torch_global` maps each such name to minigrad's equivalent; both unpicklers resolve torch's
names through it, so a file that torch wrote loads into minigrad objects and torch is never imported.

:class:`WeightsUnpickler` is the unpickler behind ``minigrad.load(f, weights_only=True)`` (the
default), after torch's ``torch/_weights_only_unpickler.py``. It is a security boundary: it
interprets the pickle opcodes itself, implements only protocol 2's data-building opcodes (as
torch's does), never imports a module, and calls nothing but the callables of :func:`allowed_globals`
(tensor rebuild records, dtypes, sizes, devices, ordered dicts, sets, bytes, complex numbers) and
those the user allowlisted with :func:`add_safe_globals` / :class:`safe_globals`. Anything else
raises ``pickle.UnpicklingError`` before it can run.
"""
from __future__ import annotations

import struct
from collections import Counter, OrderedDict
from pickle import UnpicklingError, decode_long
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

import numpy as np

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals", "WeightsUnpickler",
           "StorageType", "Storage", "torch_global", "allowed_globals"]


# -- the user's allowlist (torch.serialization.add_safe_globals) -------------------------------------

_marked_safe_globals: set = set()


def add_safe_globals(safe_globals: list) -> None:
    """Allow ``load(weights_only=True)`` to use these globals (classes or functions, or
    ``(obj, "module.qualified.name")`` pairs for objects pickled under another name)."""
    global _marked_safe_globals
    _marked_safe_globals = _marked_safe_globals | set(safe_globals)


def get_safe_globals() -> list:
    return list(_marked_safe_globals)


def clear_safe_globals() -> None:
    global _marked_safe_globals
    _marked_safe_globals = set()


class safe_globals:
    """``with safe_globals([Foo]): load(f)``: the globals are allowed inside the block only."""

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        global _marked_safe_globals
        self._added = set(self.safe_globals) - _marked_safe_globals   # what was allowed before stays
        _marked_safe_globals = _marked_safe_globals | self._added

    def __exit__(self, *exc):
        global _marked_safe_globals
        _marked_safe_globals = _marked_safe_globals - self._added


def user_allowed_globals() -> dict:
    """``{"module.qualname": obj}`` for everything passed to :func:`add_safe_globals`."""
    out = {}
    for entry in _marked_safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full path), "
                                 f"but got tuple of length: {len(entry)}")
            if type(entry[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full path, "
                                f"but got: {type(entry[1])}")
            out[entry[1]] = entry[0]
        else:
            out[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return out


# -- storages ----------------------------------------------------------------------------------

# torch's legacy typed-storage classes, which name a storage's element type in a checkpoint, and
# the NumPy dtype name of each element type.
STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
    "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "ComplexDoubleStorage": "complex128", "ComplexFloatStorage": "complex64",
    "UntypedStorage": "uint8",   # a storage saved by itself: raw bytes
}
STORAGE_OF_DTYPE = {v: k for k, v in STORAGE_DTYPES.items() if k != "UntypedStorage"}
_QUANTIZED_STORAGES = ("QInt8Storage", "QInt32Storage", "QUInt8Storage", "QUInt4x2Storage", "QUInt2x4Storage")


class StorageType:
    """What ``torch.FloatStorage`` (and the other storage classes) stand for in a checkpoint: the
    element type of a storage record."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def numpy_dtype(self) -> np.dtype:
        dtype_name = STORAGE_DTYPES.get(self.name)
        if dtype_name is None:
            raise RuntimeError(f"minigrad cannot load torch.{self.name} (quantized storages are not supported)")
        try:
            from . import dtypes
            return dtypes.as_dtype(dtype_name).np
        except TypeError:
            raise RuntimeError(f"minigrad has no dtype {dtype_name}, the element type of torch.{self.name}") from None

    def __repr__(self):
        return f"torch.{self.name}"


class Storage:
    """A storage loaded from a checkpoint: its elements as a 1-D host array and the device its
    tensors go to (after ``map_location``)."""

    __slots__ = ("array", "device")

    def __init__(self, array: np.ndarray, device: str = "cpu"):
        self.array, self.device = array, device


# -- torch's tensor rebuild functions (torch/_utils.py), over minigrad tensors ----------------------

def _ints(values, what: str) -> tuple:
    if not isinstance(values, (tuple, list)) or not all(type(v) is int for v in values):
        raise UnpicklingError(f"a tensor record's {what} must be a tuple of ints, got {values!r}")
    return tuple(values)


def _rebuild_tensor(storage, storage_offset, size, stride):
    """The tensor that views ``storage`` at ``storage_offset`` with ``size`` and ``stride`` (in
    elements); a record that would reach outside its storage is refused."""
    from .tensor import Tensor
    if not isinstance(storage, Storage):
        raise UnpicklingError(f"a tensor record must start with a storage, got {type(storage).__name__}")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if type(storage_offset) is not int or storage_offset < 0 or len(size) != len(stride) \
            or any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise UnpicklingError(f"invalid tensor record: offset {storage_offset!r}, size {size}, stride {stride}")
    array = storage.array
    if 0 in size:
        view = np.empty(size, array.dtype)
    else:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= array.size:
            raise RuntimeError(f"a tensor record of size {list(size)}, stride {list(stride)} and offset "
                               f"{storage_offset} reaches element {last} of a storage of {array.size} elements")
        item = array.itemsize
        view = np.ndarray(size, array.dtype, array, storage_offset * item, tuple(s * item for s in stride))
    t = Tensor._make(view)
    return t if storage.device == "cpu" else t.to(storage.device)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)   # refuses integer tensors, as torch does
    return t


def _set_public_state(obj, state) -> None:
    """Set the attributes a record carries (``__dict__`` state, or ``(dict, slots)``); only public
    names: a file may add attributes to a tensor, never replace minigrad's internals."""
    if isinstance(state, tuple) and len(state) == 2:
        state = {**(state[0] or {}), **(state[1] or {})}
    if not state:
        return
    if not isinstance(state, dict):
        raise UnpicklingError(f"a tensor's state must be a dict, got {type(state).__name__}")
    for name, value in state.items():
        if not isinstance(name, str) or name.startswith("_"):
            raise UnpicklingError(f"a tensor record may not set the attribute {name!r}")
        setattr(obj, name, value)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    from .tensor import Tensor
    if not isinstance(data, Tensor):
        raise UnpicklingError(f"a parameter record must hold a tensor, got {type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    param = _rebuild_parameter(data, requires_grad, backward_hooks)
    _set_public_state(param, state)
    return param


def _rebuild_from_type_v2(func, new_type, args, state):
    """A tensor whose type or attributes a plain record cannot hold: ``func(*args)``, then state."""
    from .tensor import Tensor
    if not any(func is f for f in _REBUILD_FUNCTIONS):
        raise UnpicklingError(f"_rebuild_from_type_v2 may only call a tensor rebuild function, got {func!r}")
    if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
        raise UnpicklingError(f"minigrad cannot rebuild a tensor of type {new_type!r}")
    out = func(*args)
    if not isinstance(out, new_type):   # a Tensor subclass: the same memory, as torch's as_subclass
        out = new_type._make(out._data, out._requires_grad)
    _set_public_state(out, state)
    return out


_REBUILD_FUNCTIONS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter, _rebuild_parameter_with_state)


def _encode_bytes(text, encoding="latin1"):
    """``_codecs.encode`` as protocol 2 uses it for ``bytes``: the latin-1 code points of ``text``
    (only that encoding: the codec registry is not the loader's to run)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnpicklingError(f"_codecs.encode is allowed only as pickle writes bytes (text, 'latin1'), "
                              f"got encoding {encoding!r}")
    return text.encode("latin-1")


# -- torch's names -> minigrad's objects -----------------------------------------------------------

# Names torch's weights_only unpickler allows that minigrad has no counterpart for: a file using
# them fails with this reason, not with the advice to allowlist them.
_TORCH_ONLY = {
    **{f"torch._utils.{f}": "sparse, quantized, nested, meta and subclass tensors are not supported"
       for f in ("_rebuild_qtensor", "_rebuild_tensor_v3", "_rebuild_sparse_tensor",
                 "_rebuild_meta_tensor_no_storage", "_rebuild_nested_tensor", "_rebuild_wrapper_subclass",
                 "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor")},
    "torch.serialization._get_layout": "sparse tensors are not supported",
    **{f"torch.{q}": "quantized tensors are not supported" for q in _QUANTIZED_STORAGES},
}
# torch's dtype names: minigrad maps each to its own dtype where it has one.
_TORCH_DTYPE_NAMES = (
    ["float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
     "complex128", "complex64", "complex32", "uint16", "uint32", "uint64", "qint8", "qint32", "quint8",
     "quint4x2", "quint2x4", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
     "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2"]
    + [f"uint{n}" for n in range(1, 8)] + [f"int{n}" for n in range(1, 8)])

_allowed = None


def allowed_globals() -> dict:
    """``{"torch's.name": minigrad object}``: what ``weights_only=True`` allows by default (torch's
    list, where minigrad has the object)."""
    global _allowed
    if _allowed is None:
        from . import dtypes
        from .device import device
        from .nn.parameter import Parameter
        from .tensor import Size, Tensor
        table = {
            "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
            "builtins.set": set, "builtins.bytearray": bytearray, "builtins.complex": complex,
            "_codecs.encode": _encode_bytes,
            "torch.Size": Size, "torch.device": device, "torch.Tensor": Tensor,
            "torch.nn.parameter.Parameter": Parameter,
            "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        }
        table.update({f"torch._utils.{f.__name__}": f for f in _REBUILD_FUNCTIONS})
        for name in STORAGE_DTYPES:
            table["torch.storage.UntypedStorage" if name == "UntypedStorage" else f"torch.{name}"] = StorageType(name)
        for name in _TORCH_DTYPE_NAMES:
            try:
                table[f"torch.{name}"] = dtypes.as_dtype(name)
            except TypeError:
                _TORCH_ONLY.setdefault(f"torch.{name}", f"minigrad has no dtype {name}")
        _allowed = table
    return _allowed


def torch_global(full_name: str):
    """minigrad's object for torch's global ``full_name``; None if it is not one of torch's
    serialization names. Raises UnpicklingError for the names minigrad cannot stand in for."""
    table = allowed_globals()   # fills in the dtypes minigrad lacks first
    if full_name in _TORCH_ONLY:
        raise UnpicklingError(f"minigrad cannot load {full_name}: {_TORCH_ONLY[full_name]}")
    return table.get(full_name) if full_name.startswith("torch.") else None


def _is_one_of(obj, table: dict) -> bool:
    return any(obj is v for v in table.values())   # identity: == could be overridden by a value


# -- the restricted unpickler ------------------------------------------------------------------

_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


class _StorageLoadError(Exception):
    """Carries an error of ``persistent_load`` through the opcode loop unchanged."""


class WeightsUnpickler:
    """Reads a protocol-2 pickle, building only allowlisted objects (see the module docstring).

    A checkpoint's tensor data are persistent ids ``("storage", StorageType, key, location,
    numel)``; once checked, their fields go to ``persistent_load(storage_type, key, location,
    numel)``, which returns the :class:`Storage`.
    """

    def __init__(self, file, persistent_load, *, encoding: str = "utf-8"):
        self.read, self.readline = file.read, file.readline
        self.persistent_load, self.encoding = persistent_load, encoding
        self.memo: dict = {}
        self.allowed, self.user_allowed = allowed_globals(), user_allowed_globals()

    def load(self):
        self.metastack, self.stack = [], []
        try:
            while True:
                op = self.read(1)
                if not op:
                    raise UnpicklingError("the pickle ends before its STOP opcode")
                if op == b".":
                    return self.stack.pop()
                handler = self._DISPATCH.get(op[0])
                if handler is None:
                    raise UnpicklingError(f"Unsupported operand {op[0]}")
                handler(self)
        except _StorageLoadError as wrapper:
            raise wrapper.__cause__ from None
        except (IndexError, KeyError, struct.error, TypeError, ValueError, AttributeError) as exc:
            raise UnpicklingError(f"damaged pickle data ({type(exc).__name__}: {exc})") from None

    def _allowed_object(self, obj) -> bool:
        return _is_one_of(obj, self.allowed) or _is_one_of(obj, self.user_allowed)

    # The opcodes that can make something run: globals, calls, object construction, state, storages.
    def _global(self):
        module = self.readline()[:-1].decode("utf-8")
        name = self.readline()[:-1].decode("utf-8")
        if (module, name) in NAME_MAPPING:     # protocol 2 keeps Python 2's names (__builtin__.set)
            module, name = NAME_MAPPING[(module, name)]
        elif module in IMPORT_MAPPING:
            module = IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
        # The user's choice wins, as in torch; a torch path also finds what the user allowed under
        # minigrad's same path (torch.nn.modules.linear.Linear: minigrad.nn.modules.linear.Linear).
        for candidate in (full, "minigrad" + full[len("torch"):] if full.startswith("torch.") else None):
            if candidate in self.user_allowed:
                self.stack.append(self.user_allowed[candidate])
                return
        obj = torch_global(full)
        if obj is None:
            obj = self.allowed.get(full)
        if obj is None:
            shown = full[len("builtins."):] if full.startswith("builtins.") else full
            raise UnpicklingError(
                f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
                f"`minigrad.serialization.add_safe_globals([{shown}])` or the "
                f"`minigrad.serialization.safe_globals([{shown}])` context manager to allowlist this global "
                "if you trust this class/function.")
        self.stack.append(obj)

    def _newobj(self):
        from .nn.parameter import Parameter
        args, cls = self.stack.pop(), self.stack.pop()
        if cls is Parameter:
            self.stack.append(Parameter(*args))
        elif isinstance(cls, type) and self._allowed_object(cls):
            self.stack.append(cls.__new__(cls, *args))
        else:
            raise UnpicklingError("Can only create new object for nn.Parameter or classes allowlisted via "
                                  f"`add_safe_globals` but got {cls!r}")

    def _reduce(self):
        args, func = self.stack.pop(), self.stack[-1]
        if not self._allowed_object(func):
            raise UnpicklingError(f"Trying to call reduce for unrecognized function {func!r}")
        if type(args) is not tuple:
            raise UnpicklingError(f"REDUCE arguments must be a tuple, got {type(args).__name__}")
        self.stack[-1] = func(*args)

    def _build(self):
        state, inst = self.stack.pop(), self.stack[-1]
        if type(inst) is OrderedDict:
            inst.__dict__.update(state)
        elif _is_one_of(type(inst), self.user_allowed):
            if hasattr(inst, "__setstate__"):
                inst.__setstate__(state)
            else:   # as pickle's load_build
                slotstate = None
                if isinstance(state, tuple) and len(state) == 2:
                    state, slotstate = state
                if state:
                    inst.__dict__.update(state)
                for k, v in (slotstate or {}).items():
                    setattr(inst, k, v)
        else:
            raise UnpicklingError("Can only build OrderedDict or types allowlisted via `add_safe_globals`, "
                                  f"but got {type(inst)}")

    def _binpersid(self):
        pid = self.stack.pop()
        if type(pid) is not tuple or len(pid) != 5:
            raise UnpicklingError(f"persistent_load id must be a 5-tuple, but got {type(pid).__name__}")
        typename = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if typename != "storage":
            raise UnpicklingError(f"Only persistent_load of storage is allowed, but got {typename!r}")
        storage_type, key, location, numel = pid[1:]
        if not isinstance(storage_type, StorageType) or type(key) is not str or type(location) is not str \
                or type(numel) is not int or numel < 0:
            raise UnpicklingError(f"invalid storage record {pid!r}")
        try:
            storage = self.persistent_load(storage_type, key, location, numel)
        except Exception as exc:   # the loader's own errors (and map_location's) are not pickle damage
            raise _StorageLoadError() from exc
        self.stack.append(storage)

    # Containers: only the plain types, never a method of an arbitrary object.
    def _append(self):
        item = self.stack.pop()
        if type(self.stack[-1]) is not list:
            raise UnpicklingError(f"Can only append to lists, but got {type(self.stack[-1])}")
        self.stack[-1].append(item)

    def _appends(self):
        items = self._pop_mark()
        if type(self.stack[-1]) is not list:
            raise UnpicklingError(f"Can only extend lists, but got {type(self.stack[-1])}")
        self.stack[-1].extend(items)

    def _dict_target(self, opcode):
        if type(self.stack[-1]) not in (dict, OrderedDict, Counter):
            raise UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, collections.Counter, "
                                  f"but got {type(self.stack[-1])}")
        return self.stack[-1]

    def _setitem(self):
        value, key = self.stack.pop(), self.stack.pop()
        self._dict_target("SETITEM")[key] = value

    def _setitems(self):
        items = self._pop_mark()
        target = self._dict_target("SETITEMS")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def _mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    def _pop_mark(self):
        items, self.stack = self.stack, self.metastack.pop()
        return items

    def _tuple(self):
        items = tuple(self._pop_mark())   # first: popping the mark rebinds self.stack
        self.stack.append(items)

    def _tuple_n(n):
        def handler(self):
            items = tuple(self.stack[-n:]) if n else ()
            if len(items) != n:
                raise UnpicklingError("stack underflow")
            del self.stack[len(self.stack) - n:]
            self.stack.append(items)
        return handler

    def _push(value_factory):
        return lambda self: self.stack.append(value_factory())

    def _unpack(fmt):
        size = struct.calcsize(fmt)
        return lambda self: self.stack.append(struct.unpack(fmt, self.read(size))[0])

    def _binunicode(self):
        n = struct.unpack("<I", self.read(4))[0]
        data = self.read(n)
        if len(data) != n:
            raise UnpicklingError("the pickle ends inside a string")
        self.stack.append(str(data, "utf-8", "surrogatepass"))

    def _short_binstring(self):
        data = self.read(self.read(1)[0])
        self.stack.append(data if self.encoding == "bytes" else data.decode(self.encoding, "strict"))

    def _long1(self):
        self.stack.append(decode_long(self.read(self.read(1)[0])))

    def _get(size):
        fmt = "<B" if size == 1 else "<I"
        return lambda self: self.stack.append(self.memo[struct.unpack(fmt, self.read(size))[0]])

    def _put(size):
        fmt = "<B" if size == 1 else "<I"

        def handler(self):
            self.memo[struct.unpack(fmt, self.read(size))[0]] = self.stack[-1]
        return handler

    def _proto(self):
        self.proto = self.read(1)[0]

    # Protocol 2's data opcodes, as torch's weights-only unpickler has them; anything else
    # (INST, OBJ, STACK_GLOBAL, EXT*, PERSID, NEWOBJ_EX, FRAME, ...) is refused.
    _DISPATCH = {
        ord("c"): _global, 0x81: _newobj, ord("R"): _reduce, ord("b"): _build, ord("Q"): _binpersid,
        ord("a"): _append, ord("e"): _appends, ord("s"): _setitem, ord("u"): _setitems,
        ord("("): _mark, ord("t"): _tuple, ord(")"): _tuple_n(0), 0x85: _tuple_n(1), 0x86: _tuple_n(2),
        0x87: _tuple_n(3), ord("N"): _push(lambda: None), 0x88: _push(lambda: True),
        0x89: _push(lambda: False), ord("]"): _push(list), ord("}"): _push(dict), 0x8f: _push(set),
        ord("J"): _unpack("<i"), ord("K"): _unpack("<B"), ord("M"): _unpack("<H"), ord("G"): _unpack(">d"),
        ord("X"): _binunicode, ord("U"): _short_binstring, 0x8a: _long1,
        ord("h"): _get(1), ord("j"): _get(4), ord("q"): _put(1), ord("r"): _put(4), 0x80: _proto,
    }
    del _tuple_n, _push, _unpack, _get, _put
