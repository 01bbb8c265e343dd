"""dtype objects and torch's type-promotion rules, in one place.

A minigrad dtype wraps a NumPy dtype and knows its *category* (bool < integer < floating),
which is all torch's promotion needs:

* the result takes the highest category among the operands;
* within that category, dimensioned tensors outrank zero-dim tensors, which outrank Python
  scalars, so ``float32_tensor * 2.5`` stays float32 and ``int_tensor + 1.5`` becomes the default
  float dtype (a Python scalar never widens a tensor of its own category);
* operands of one tier and category promote as NumPy does (int32 + int64 -> int64).
"""
from __future__ import annotations

import builtins as _builtins

import numpy as np

__all__ = [
    "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
    "half", "float", "double", "short", "int", "long", "get_default_dtype", "set_default_dtype",
    "result_type", "promote_types", "as_dtype", "finfo", "iinfo", "bfloat16",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, printed and compared like ``torch.dtype``."""

    __slots__ = ("name", "np", "category", "itemsize")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_signed(self) -> bool:
        return self.category in (_FLOAT, _COMPLEX) or self.np.kind in "if"

    @property
    def is_complex(self) -> bool:
        return self.category == _COMPLEX

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"

    def __reduce__(self):
        return (as_dtype, (self.name,))


bool_ = dtype("bool", np.bool_, _BOOL)
uint8 = dtype("uint8", np.uint8, _INT)
int8 = dtype("int8", np.int8, _INT)
int16 = dtype("int16", np.int16, _INT)
int32 = dtype("int32", np.int32, _INT)
int64 = dtype("int64", np.int64, _INT)
float16 = dtype("float16", np.float16, _FLOAT)
float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)
globals()["bool"] = bool_


class _MlDtypesStorage(dtype):
    """A dtype stored with the ``ml_dtypes`` package (bfloat16: float32's 8 exponent bits, 7
    mantissa bits). ml_dtypes takes a second of CPU to import, so it is imported on the first use
    of the storage (``dtype.np``), not by ``import minigrad``: programs that never touch bfloat16
    do not pay for it, as they do not pay for Numba before the first kernel."""

    __slots__ = ("_np",)

    def __init__(self, name: str, itemsize: int):
        self.name, self.category, self.itemsize, self._np = name, _FLOAT, itemsize, None

    @property
    def np(self):
        if self._np is None:
            import ml_dtypes
            self._np = np.dtype(getattr(ml_dtypes, self.name))
            _BY_NP[self._np] = self
            LOW_PRECISION_ARRAYS[self._np] = True   # from now on, ops look for it
        return self._np


bfloat16 = _MlDtypesStorage("bfloat16", 2)

# NumPy dtypes whose arithmetic minigrad runs in float32, rounding each op's result once, as torch
# computes bfloat16: filled when the storage is first used; ``autograd.function`` reads it.
LOW_PRECISION_ARRAYS = {}


def is_floating(np_dtype) -> bool:
    """Whether a NumPy dtype is a floating-point one to torch: kind 'f' and bfloat16, which
    ml_dtypes gives NumPy's kind 'V' (NumPy's ``kind in "fc"`` checks do not see it)."""
    return np_dtype.kind == "f" or np_dtype in LOW_PRECISION_ARRAYS


def is_inexact(np_dtype) -> bool:
    """Floating or complex (NumPy's ``kind in "fc"``, with bfloat16)."""
    return np_dtype.kind in "fc" or np_dtype in LOW_PRECISION_ARRAYS


def cast(array, np_dtype):
    """``array.astype(np_dtype)`` as torch converts: to bfloat16 through float32. torch rounds a
    double (or an int) to float first and that float to bfloat16, two roundings where ml_dtypes
    rounds once; the two differ where the first rounding lands on a bfloat16 midpoint."""
    if np_dtype in LOW_PRECISION_ARRAYS and array.dtype.itemsize > 2:
        if array.dtype == _FLOAT32_NP:
            return from_float32(array, np_dtype)
        array = array.astype(_FLOAT32_NP)
    return array.astype(np_dtype)


def from_float32(array, np_dtype):
    """A float32 array (or NumPy scalar) rounded to bfloat16 as torch's float-to-bfloat16
    conversion does (in casts and in every kernel's result): to nearest even, and every NaN as
    0xFFFF, a NaN with its sign bit set (ml_dtypes gives 0x7FC0; ``signbit`` and ``copysign`` see
    the difference). Other sources keep 0x7FC0, as in torch."""
    out = np.asarray(array).astype(np_dtype)
    nan = np.isnan(array)
    if nan.any():
        out.view(np.uint16)[nan] = 0xFFFF
    return out


_FLOAT32_NP = np.dtype(np.float32)


def rounded_number(value, d: dtype) -> float:
    """A Python number as torch casts a wrapped number (the scalar operand of add, sub, pow, ...)
    to a bfloat16 result: through float32 to bfloat16, so ``bf16 + 3.3`` adds 3.296875."""
    return builtins_float(np.asarray(np.float32(value)).astype(d.np))


half, float_, double = float16, float32, float64
short, int_, long = int16, int32, int64
globals()["float"] = float32
globals()["int"] = int32

_ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, double=float64, short=int16, long=int64, bfloat16=bfloat16)
_BY_NAME["float"] = float32
_BY_NAME["int"] = int32

_default_float = float32
# The names float, int and bool above shadow the builtins inside this module.
builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d) -> None:
    """The dtype of Python floats in tensors, of float factories and of layers' parameters. As
    torch, only a floating dtype object is accepted (not a name or a Python type)."""
    global _default_float
    if not (isinstance(d, dtype) or getattr(d, "__module__", None) == "torch"):
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


class finfo:
    """Machine limits of a floating dtype (the default dtype if none), as torch.finfo: Python
    floats, and ``dtype`` as the dtype's name."""

    def __init__(self, type=None):
        d = get_default_dtype() if type is None else as_dtype(type)
        d = _TO_REAL.get(d, d)   # a complex dtype's limits are those of its real and imaginary parts
        if not d.is_floating_point:
            raise TypeError("minigrad.finfo() requires a floating point input type. Use minigrad.iinfo to handle "
                            "'minigrad.finfo'")
        info = _BFLOAT16_INFO if d is bfloat16 else _np_finfo(d.np)
        self.bits = builtins_int(info.bits)
        self.eps = builtins_float(info.eps)
        self.max = builtins_float(info.max)
        self.min = builtins_float(info.min)
        self.tiny = self.smallest_normal = builtins_float(info.smallest_normal)
        self.resolution = 10.0 ** -builtins_int(info.precision)   # NumPy gives it in the dtype itself
        self.dtype = d.name

    def __eq__(self, other):
        return isinstance(other, finfo) and vars(self) == vars(other)

    __hash__ = None   # unhashable, as torch's

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class _BFLOAT16_INFO:
    """bfloat16's limits (8 exponent bits as float32, 7 stored mantissa bits), as torch.finfo gives them."""
    bits, eps, max, min = 16, 2.0 ** -7, 3.3895313892515355e+38, -3.3895313892515355e+38
    smallest_normal, precision = 1.1754943508222875e-38, 2


def _np_finfo(np_dtype):
    try:
        return np.finfo(np_dtype)
    except ValueError:   # a dtype NumPy does not know, such as ml_dtypes' bfloat16
        import ml_dtypes
        return ml_dtypes.finfo(np_dtype)


class iinfo:
    """Limits of an integer dtype, as torch.iinfo: Python ints, and ``dtype`` as its name."""

    def __init__(self, type):
        d = as_dtype(type)
        if d.category == _BOOL:
            raise TypeError(f"{d!r} is not supported by minigrad.iinfo")
        if d.category != _INT:
            raise TypeError("minigrad.iinfo() requires an integer input type. Use minigrad.finfo to handle "
                            "'minigrad.iinfo'")
        self.bits = d.itemsize * 8
        self.min, self.max = int_range(d.np)
        self.dtype = d.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and vars(self) == vars(other)

    __hash__ = None

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def as_dtype(d) -> dtype:
    """Turn a minigrad dtype, a NumPy dtype, a name or a Python type into a minigrad dtype.

    As in torch, the Python types mean the 64-bit kinds: ``float`` -> float64, ``int`` -> int64.
    """
    if isinstance(d, dtype):
        return d
    if d is builtins_float:
        return float64
    if d is builtins_int:
        return int64
    if d is builtins_bool:
        return bool_
    if isinstance(d, str):
        try:
            return _BY_NAME[d.removeprefix("torch.").removeprefix("minigrad.")]
        except KeyError:
            raise TypeError(f"unknown dtype name {d!r}") from None
    torch_name = getattr(d, "__module__", None) == "torch" and str(d)
    if torch_name:  # a torch.dtype, without importing torch
        return as_dtype(torch_name)
    try:
        return _BY_NP[np.dtype(d)]
    except (KeyError, TypeError):
        raise TypeError(f"minigrad does not support dtype {d!r}") from None



def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        if np_dtype.name == bfloat16.name and np_dtype == bfloat16.np:   # an ml_dtypes array made elsewhere
            return bfloat16
        raise TypeError(f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
                        "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.") from None


def promote_types(a: dtype, b: dtype) -> dtype:
    """The promotion of two dtypes of the same tier (torch.promote_types)."""
    if a is b:
        return a
    if _COMPLEX in (a.category, b.category):
        return _promote_complex(a, b)
    if a.category != b.category:
        return a if a.category > b.category else b
    return _BY_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(x) -> dtype:
    """The dtype torch gives a Python scalar on its own (tensor(2.0) -> default float)."""
    if isinstance(x, builtins_bool):
        return bool_
    if isinstance(x, builtins_int):
        return int64
    if isinstance(x, builtins_complex):
        return default_complex_dtype()
    return _default_float


_INT_RANGES = {}


def int_range(np_dtype) -> tuple:
    """(min, max) of an integer NumPy dtype, as Python ints (cached: np.iinfo is slow)."""
    bounds = _INT_RANGES.get(np_dtype)
    if bounds is None:
        info = np.iinfo(np_dtype)
        bounds = _INT_RANGES[np_dtype] = (builtins_int(info.min), builtins_int(info.max))
    return bounds


def wrap_int(value: int, np_dtype):
    """A Python int as torch casts it to an integer dtype: out-of-range values wrap around
    (``uint8_tensor + 300`` adds 44, ``uint8_tensor < -1`` compares with 255)."""
    bounds = int_range(np_dtype)
    if bounds[0] <= value <= bounds[1]:
        return value
    return np.array(value).astype(np_dtype).item()


# The C type names torch's messages use ("value cannot be converted to type uint8_t ...").
_CHECKED_TYPE_NAMES = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                "int64": "int64_t", "float16": "c10::Half", "float32": "float", "float64": "double"}

_INT64_MIN, _UINT64_END = -2 ** 63, 2 ** 64


def check_python_int(value):
    """A Python int as torch reads it into a Scalar: int64, or uint64 up to 2**64 - 1; beyond that
    range torch raises OverflowError before any op runs."""
    if value.__class__ is builtins_int and not _INT64_MIN <= value < _UINT64_END:
        if value < 0:
            raise OverflowError("can't convert negative int to unsigned")
        raise OverflowError("int too big to convert")
    return value


def check_int_joins_bool(value):
    """An int from 2**63 up is a uint64 scalar to torch, which it will not promote with bool."""
    if check_python_int(value).__class__ is builtins_int and value >= -_INT64_MIN:
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                           "Bool and UInt64")
    return value


def checked_scalar(value, d: dtype, *, check_half=True):
    """``value`` (a Python number) converted to ``d`` the way torch converts a scalar argument that
    must fit the tensor's dtype (fill values, where/clamp bounds, integer exponents, alpha):
    torch's ``checked_convert``, which raises "value cannot be converted to type ... without
    overflow" where the value does not fit. Two quirks are torch's: an int may be negative for an
    unsigned dtype down to -max (it wraps, so ``uint8.fill_(-1)`` writes 255), while a negative
    float may not; NaN and infinity fit only floating dtypes. ``full`` and ``where`` do not check
    float16 (a value beyond its range becomes inf there): ``check_half=False``.
    """
    check_python_int(value)
    if d.category == _COMPLEX:
        return builtins_complex(value)
    if isinstance(value, builtins_complex):   # torch refuses to drop an imaginary part here
        raise RuntimeError(f"value cannot be converted to type {_CHECKED_TYPE_NAMES[d.name]} without overflow")
    if d.category == _BOOL:
        return builtins_bool(value)
    if d.category == _FLOAT:
        limit = _FLOAT32_MAX if d is float32 else _FLOAT16_MAX if d is float16 and check_half else None
        limit = _BFLOAT16_INFO.max if d is bfloat16 and check_half else limit   # (bfloat16 checks as float16)
        if limit is not None and value.__class__ is not builtins_bool and abs(value) > limit \
                and value not in (_INF, -_INF):
            raise RuntimeError(f"value cannot be converted to type {_CHECKED_TYPE_NAMES[d.name]} without overflow")
        return builtins_float(value)
    low, high = int_range(d.np)
    if value.__class__ is builtins_float:
        fits = low <= value <= high   # False for NaN
    elif low == 0:
        fits = -high <= value <= high
    else:
        fits = low <= value <= high
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {_CHECKED_TYPE_NAMES[d.name]} without overflow")
    return wrap_int(builtins_int(value), d.np)


_FLOAT32_MAX = builtins_float(np.finfo(np.float32).max)
_FLOAT16_MAX = builtins_float(np.finfo(np.float16).max)
_INF = builtins_float("inf")

_SCALAR_CATEGORY = {builtins_bool: _BOOL, builtins_int: _INT, builtins_float: _FLOAT}


def can_cast(from_, to) -> bool:
    """torch.can_cast: whether a value of dtype ``from_`` may be written into ``to`` by an op (an
    out= tensor, an in-place op): not floating into integral, not complex into real, not anything
    else into bool."""
    a, b = np.dtype(as_dtype(from_).np), np.dtype(as_dtype(to).np)
    if a.kind == "c" and b.kind != "c":
        return False
    if is_floating(a) and b.kind in "biu":
        return False
    if a.kind != "b" and b.kind == "b":
        return False
    return True


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python scalars (see the module docstring)."""
    if len(operands) == 2:  # the hot case, a tensor and a Python number: no tiers needed
        a, b = operands
        if b.__class__ in _SCALAR_CATEGORY:
            t, number = a, b
        elif a.__class__ in _SCALAR_CATEGORY:
            t, number = b, a
        else:
            t = None
        d = getattr(t, "dtype", None)
        if isinstance(d, dtype):
            if _SCALAR_CATEGORY[number.__class__] <= d.category:
                return d
            return scalar_dtype(check_int_joins_bool(number))
    tiers = [None, None, None]  # dimensioned tensors, zero-dim tensors, Python scalars
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            tier = 0 if x.ndim else 1
        else:
            d, tier = scalar_dtype(x), 2
        tiers[tier] = d if tiers[tier] is None else promote_types(tiers[tier], d)
    top = max(t.category for t in tiers if t is not None)
    if top == _COMPLEX:
        return _complex_result(tiers)
    for tier, d in enumerate(tiers):
        if d is not None and d.category == top:
            return d
    raise AssertionError("unreachable")


# -- torch's spellings of dtype names in its error messages ------------------------------------
# Keyed by NumPy dtype name. SCALAR_NAMES: ScalarType names ("not implemented for 'Long'",
# "expected scalar type Float but found Double"); C_NAMES: the C++ types ("Input type (double)
# and bias type (float)", "expected dtype long int for `end`").
SCALAR_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double"}
C_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
           "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}


def scalar_name(array_dtype) -> str:
    """torch's ScalarType name of a NumPy dtype: 'Float', 'Long', ..."""
    name = array_dtype.name
    return SCALAR_NAMES.get(name, name)


def c_name(array_dtype) -> str:
    """The C++ type torch's messages name for a NumPy dtype: 'float', 'long int', ..."""
    name = array_dtype.name
    return C_NAMES.get(name, name)


# bfloat16's names in torch's messages ("not implemented for 'BFloat16'", "c10::BFloat16").
SCALAR_NAMES["bfloat16"] = "BFloat16"
C_NAMES["bfloat16"] = _CHECKED_TYPE_NAMES["bfloat16"] = "c10::BFloat16"


# -- complex dtypes ------------------------------------------------------------------------------
# complex64 / complex128 are stored as NumPy's complex types; complex32 (chalf) is named without
# storage (_NoStorage). Promotion follows torch's combine_categories: complex outranks floating,
# and a complex operand of a lower tier than a floating one takes that float's precision
# (float64 tensor + complex64 zero-dim tensor -> complex128; float32 tensor + 1j -> complex64).
builtins_complex = _builtins.complex
complex64 = dtype("complex64", np.complex64, _COMPLEX)
complex128 = dtype("complex128", np.complex128, _COMPLEX)


class _NoStorage(dtype):
    """A torch dtype minigrad names but cannot store (complex32): programs may refer to it, and any
    tensor of it is refused with a clear error rather than stored as something else."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: int, category: int):
        self.name, self.category, self.itemsize = name, category, itemsize

    @property
    def np(self):
        raise NotImplementedError(f"minigrad has no {self.name} storage: use complex64 or complex128")


complex32 = _NoStorage("complex32", 4, _COMPLEX)
cfloat, cdouble, chalf = complex64, complex128, complex32
__all__ += ["complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf"]
_ALL += (complex64, complex128)
_BY_NP.update({complex64.np: complex64, complex128.np: complex128})
_BY_NAME.update(complex32=complex32, complex64=complex64, complex128=complex128, chalf=complex32,
                cfloat=complex64, cdouble=complex128)
_TO_COMPLEX = {float16: complex32, float32: complex64, float64: complex128}
_TO_REAL = {c: f for f, c in _TO_COMPLEX.items()}
SCALAR_NAMES.update(complex64="ComplexFloat", complex128="ComplexDouble")
C_NAMES.update(complex64="c10::complex<float>", complex128="c10::complex<double>")
_CHECKED_TYPE_NAMES.update(complex64="c10::complex<float>", complex128="c10::complex<double>")


def default_complex_dtype() -> dtype:
    """The complex dtype of Python complex numbers: complex64 under a float32 default, complex128
    under float64 (torch's default complex dtype follows the default float dtype)."""
    return _TO_COMPLEX[_default_float]


def to_complex(d: dtype) -> dtype:
    """The complex dtype with ``d``'s precision (float32 -> complex64); a complex dtype itself."""
    return _TO_COMPLEX.get(d, d)


def to_real(d: dtype) -> dtype:
    """The real dtype of a complex dtype's parts (complex64 -> float32); any other dtype itself."""
    return _TO_REAL.get(d, d)


def _promote_complex(a: dtype, b: dtype) -> dtype:
    """torch.promote_types where one side is complex: complex with a float takes the wider
    precision (complex64 + float64 -> complex128); with an integer or bool the complex one."""
    if a.category == b.category:
        return _BY_NP[np.promote_types(a.np, b.np)]
    c, other = (a, b) if a.category == _COMPLEX else (b, a)
    if other.category == _FLOAT:
        return to_complex(promote_types(to_real(c), other))
    return c


def _complex_result(tiers) -> dtype:
    """result_type when some operand is complex: torch's combine_categories(dimensioned,
    combine_categories(zero-dim, scalars)). The highest tier holding a complex dtype gives the
    result; a floating dtype in a tier above it then sets the precision (the outermost wins)."""
    first = next(i for i, d in enumerate(tiers) if d is not None and d.category == _COMPLEX)
    result = tiers[first]
    for d in reversed(tiers[:first]):
        if d is not None and d.category == _FLOAT:
            result = to_complex(d)
    return result
