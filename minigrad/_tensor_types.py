"""The legacy tensor types: ``FloatTensor(2, 3)``, ``LongTensor([1, 2])``, ``isinstance(t, FloatTensor)``.

In torch these are not subclasses of Tensor but type objects of a metaclass (``torch.tensortype``):
calling one builds a plain Tensor of its dtype, and ``isinstance`` asks whether a tensor has that
dtype (on the CPU). The same here, one metaclass for the seven types.
"""
from __future__ import annotations

import warnings

from . import dtypes
from .tensor import Tensor, _is_size, _is_size_entry

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "ByteTensor", "CharTensor", "ShortTensor", "IntTensor",
           "LongTensor", "BoolTensor", "set_default_tensor_type"]


class tensortype(type):
    """The metaclass of the legacy types; each type has a ``dtype``."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np and obj.device.type == "cpu"

    def __call__(cls, *args, device=None):
        """As ``torch.Tensor(...)`` (see Tensor.__init__), in this type's dtype: sizes give an
        uninitialised tensor, data is converted (floats truncated into integer types, Python ints
        checked to fit), and a tensor of this dtype is returned as is."""
        from . import creation
        d = cls.dtype
        if device is not None and str(device) != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {device} was passed")
        if not args:
            return creation.empty(0, dtype=d)
        if _is_size(args[0]) and len(args) == 1 or all(_is_size_entry(a) for a in args):
            return creation.empty(tuple(args[0]) if _is_size(args[0]) else args, dtype=d)
        if len(args) > 1:
            raise TypeError(f"new() received an invalid combination of arguments - got "
                            f"({', '.join(type(a).__name__ for a in args)}), but expected one of: (tuple of ints "
                            f"size), (Tensor other), (object data)")
        data = args[0]
        if isinstance(data, Tensor):
            if data._data.dtype != d.np:
                raise TypeError(f"expected TensorOptions(dtype={dtypes.C_NAMES[d.name]}, device=cpu), "
                                f"got a tensor of dtype {data.dtype}")
            return data
        if isinstance(data, (float, bool, complex, int)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return creation.tensor(data, dtype=d)

    def __repr__(cls) -> str:
        return f"<class 'minigrad.{cls.__name__}'>"


def _legacy_type(name: str, d: dtypes.dtype):
    return tensortype(name, (), {"dtype": d, "is_cuda": False, "is_sparse": False, "__module__": "minigrad",
                                 "__doc__": f"The legacy constructor of {d.name} tensors (torch.{name})."})


FloatTensor = _legacy_type("FloatTensor", dtypes.float32)
DoubleTensor = _legacy_type("DoubleTensor", dtypes.float64)
HalfTensor = _legacy_type("HalfTensor", dtypes.float16)
ByteTensor = _legacy_type("ByteTensor", dtypes.uint8)
CharTensor = _legacy_type("CharTensor", dtypes.int8)
ShortTensor = _legacy_type("ShortTensor", dtypes.int16)
IntTensor = _legacy_type("IntTensor", dtypes.int32)
LongTensor = _legacy_type("LongTensor", dtypes.int64)
BoolTensor = _legacy_type("BoolTensor", dtypes.bool_)

_BY_NAME = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, ByteTensor, CharTensor, ShortTensor,
                                    IntTensor, LongTensor, BoolTensor)}


def legacy_type(d: dtypes.dtype) -> tensortype:
    """The legacy type of a dtype: FloatTensor for float32 (made on first use for a dtype without one)."""
    name = type_name(d).rpartition(".")[2]
    if name not in _BY_NAME:
        _BY_NAME[name] = _legacy_type(name, d)
    return _BY_NAME[name]


def type_name(d: dtypes.dtype) -> str:
    """What ``tensor.type()`` returns: 'minigrad.FloatTensor' for float32, as torch's 'torch.FloatTensor'."""
    return f"minigrad.{dtypes.SCALAR_NAMES.get(d.name, d.name.capitalize())}Tensor"


def as_dtype(target):
    """``tensor.type(target)``'s dtype: a legacy type, its name ('torch.FloatTensor',
    'minigrad.LongTensor'), or anything ``dtypes.as_dtype`` reads."""
    if isinstance(target, tensortype):
        return target.dtype
    if isinstance(target, str) and target.endswith("Tensor"):
        name = target.rpartition(".")[2]
        if name not in _BY_NAME:
            raise ValueError(f"invalid type: '{target}'")
        return _BY_NAME[name].dtype
    return dtypes.as_dtype(target)


def set_default_tensor_type(t) -> None:
    """The pre-2.1 way to set the default dtype (and, with 'torch.cuda.FloatTensor', device):
    a floating legacy type or its name."""
    warnings.warn("minigrad.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "minigrad.set_default_dtype() and minigrad.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    on_cuda = False
    if isinstance(t, str):
        on_cuda = ".cuda." in t
        if on_cuda:
            from . import cuda
            if not cuda.is_available():
                raise TypeError(f"type {t} not available. minigrad cannot use CUDA here.")
        name = t.rpartition(".")[2]
        if name not in _BY_NAME:
            raise TypeError(f"invalid type: '{t}'")
        t = _BY_NAME[name]
    if not isinstance(t, tensortype):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    dtypes.set_default_dtype(t.dtype)
    if on_cuda:
        from .device import set_default_device
        set_default_device("cuda")
