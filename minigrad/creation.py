"""Tensor creation with torch's names, signatures and dtype inference."""
from __future__ import annotations

import functools
import numbers

import numpy as np

from . import dtypes, random
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "linspace",
           "eye", "rand", "randn", "randint", "randperm", "zeros_like", "ones_like", "full_like",
           "empty_like", "rand_like", "randn_like", "randint_like", "multinomial",
           "bernoulli"]


def _infer_array(data, dtype):
    """Data -> ndarray with torch's inference and checks.

    An array, a tensor (minigrad's or torch's) or a NumPy scalar keeps its dtype. A (nested)
    sequence takes the promotion (``promote_types``) of its items' dtypes: Python floats count as
    the default float, ints as int64, bools as bool, and NumPy scalars and one-element tensors as
    their own dtype, so ``tensor([np.float64(1)])`` is float64 and ``tensor([int8_scalar])`` int8.
    Python numbers must fit the dtype they are stored in: ``tensor([300], dtype=int8)`` and
    ``tensor([2**63])`` raise, as in torch, rather than wrap around.
    """
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    elif _is_foreign_array(data):
        array = _foreign_array(data)   # e.g. a torch tensor: its dtype is kept
    else:
        state = [None]   # the promoted dtype of the items seen so far
        values = _scan(data, state)
        inferred = state[0] if state[0] is not None else dtypes.get_default_dtype()
        array = _python_values(values, dtypes.as_dtype(dtype) if dtype is not None else inferred)
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype).np, copy=False)
    else:
        dtypes.from_numpy_dtype(array.dtype)  # raises TypeError for unsupported dtypes
    return array


def _is_foreign_array(x) -> bool:
    return not isinstance(x, (list, tuple, str, bytes)) and (hasattr(x, "__array__") or
                                                             hasattr(x, "__array_interface__"))


def _foreign_array(x) -> np.ndarray:
    """Another library's array as NumPy; a torch tensor that requires grad is read detached."""
    if not isinstance(x, Tensor) and callable(getattr(x, "detach", None)):
        x = x.detach()
    return np.asarray(x)


_PYTHON_KINDS = {bool: dtypes.bool_, int: dtypes.int64}


def _scan(x, state):
    """``x`` (a number or nested sequence) with NumPy scalars and one-element tensors replaced by
    Python numbers, in one pass that also promotes the items' dtypes into ``state[0]`` (see
    _infer_array): Python floats count as the default float, ints as int64, bools as bool, NumPy
    scalars and tensors (minigrad's or torch's) as their own dtype."""
    cls = x.__class__
    if cls is list or cls is tuple or isinstance(x, (list, tuple)):
        return [_scan(item, state) for item in x]
    d = _PYTHON_KINDS.get(cls)
    if d is None:
        if cls is float:
            d = dtypes.get_default_dtype()
        elif isinstance(x, np.generic):
            d = dtypes.from_numpy_dtype(x.dtype)
            x = x.item()
        elif isinstance(x, Tensor) or _is_foreign_array(x):
            array = _foreign_array(x)
            if array.size != 1:
                if array.dtype.kind in "biu":
                    raise TypeError("only integer tensors of a single element can be converted to an index")
                raise ValueError("only one element tensors can be converted to Python scalars")
            d = dtypes.from_numpy_dtype(array.dtype)
            x = array.reshape(()).item()
        elif isinstance(x, bool):
            d = dtypes.bool_
        elif isinstance(x, numbers.Integral):
            d = dtypes.int64
        elif isinstance(x, float):
            d = dtypes.get_default_dtype()
        elif isinstance(x, complex):
            d = dtypes.default_complex_dtype()
        elif x is None:
            raise RuntimeError("Could not infer dtype of NoneType")
        elif isinstance(x, str):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    seen = state[0]
    if seen is not d:
        state[0] = d if seen is None else dtypes.promote_types(seen, d)
    return x


def _python_values(values, target: dtypes.dtype) -> np.ndarray:
    """The nested Python numbers as an array of ``target``, each checked as torch stores it."""
    raw = np.asarray(values)
    if raw.dtype.kind == "O" or raw.dtype == np.uint64:   # ints beyond int64 (NumPy keeps them as objects)
        if not target.is_floating_point:
            raise ValueError("Overflow when unpacking long long")
        return np.asarray(raw.tolist(), dtype=np.float64).astype(target.np)
    if target.category == 1 and raw.dtype != target.np and raw.dtype.kind in "iuf" and raw.size:
        low, high = dtypes.int_range(target.np)
        if low == 0 and raw.dtype.kind in "iu":
            low = -high   # negative ints wrap into an unsigned dtype, down to -max
        if not (low <= raw.min() and raw.max() <= high):   # False for NaN too
            raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")
    if raw.dtype == target.np:
        return raw
    if raw.dtype.kind == "c" and target.np.kind != "c":
        raise TypeError("must be real number, not complex")
    with np.errstate(invalid="ignore", over="ignore"):   # float to float16/32: inf, as torch
        return dtypes.cast(raw, target.np)


def _place(array, device):
    from .device import CPU, default_device
    if device is None:
        device = default_device()   # set_default_device's choice; None: the CPU
    if device is None or device is CPU and isinstance(array, np.ndarray):
        return array
    from .device import device as Device
    if Device(device).type == "cpu":
        if isinstance(array, np.ndarray):
            return array
        from .device import to_numpy
        return to_numpy(array)
    from . import cuda
    return cuda.to_device(Tensor._make(array), Device(device))._data


def _finish(array, device, requires_grad):
    t = Tensor._make(_place(array, device))
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (dtype inferred as torch does)."""
    array = np.array(_infer_array(data, dtype), copy=True)
    return _finish(array, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing memory with ``data`` where possible (NumPy arrays, tensors)."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return _finish(_infer_array(data, dtype), device, False)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (numbers.Integral, np.integer)):
            raise TypeError(f"size must be a tuple of ints, but got an element of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


_NO_SIZE = object()


def _size_keyword(factory):
    """Let a factory that takes its shape positionally (``zeros(2, 3)``, ``zeros((2, 3))``) also
    take it as ``size=(2, 3)``, as torch's do; the shape must then be given exactly one way."""
    @functools.wraps(factory)
    def with_size_keyword(*args, size=_NO_SIZE, **kwargs):
        if size is not _NO_SIZE:
            if args:
                raise TypeError(f"{factory.__name__}() got multiple values for argument 'size'")
            if not isinstance(size, (tuple, list)):
                raise TypeError(f"{factory.__name__}(): argument 'size' must be tuple of ints, "
                                f"not {type(size).__name__}")
            args = (size,)
        elif not args:
            raise TypeError(f'{factory.__name__}() missing 1 required positional arguments: "size"')
        return factory(*args, **kwargs)
    return with_size_keyword


def _float_dtype(dtype):
    return dtypes.as_dtype(dtype).np if dtype is not None else dtypes.get_default_dtype().np


@_size_keyword
def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(_size(size), _float_dtype(dtype)), device, requires_grad)


@_size_keyword
def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(_size(size), _float_dtype(dtype)), device, requires_grad)


@_size_keyword
def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(_size(size), _float_dtype(dtype)), device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    dtype = dtypes.as_dtype(dtype)
    if isinstance(fill_value, (int, float, complex)):   # torch checks that the value fits: full(..., 300, dtype=uint8) raises
        fill_value = dtypes.checked_scalar(fill_value, dtype, check_half=False)
    return _finish(np.full(_size((size,)), fill_value, dtype.np), device, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_int = all(isinstance(v, (numbers.Integral, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.get_default_dtype()
    dtype = dtypes.as_dtype(dtype)
    n = int(np.ceil((end - start) / step))
    array = (start + step * np.arange(n, dtype=np.float64)).astype(dtype.np) if dtype.is_floating_point \
        else np.arange(start, end, step, dtype=dtype.np)
    return _finish(array, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if isinstance(start, complex) or isinstance(end, complex):   # complex end points: a complex range
        inferred = dtypes.default_complex_dtype()
        if dtype is not None and not dtypes.as_dtype(dtype).is_complex:
            raise RuntimeError(f"torch.linspace(): inferred dtype {dtypes.c_name(inferred.np)} can't be safely cast "
                               f"to passed dtype {dtypes.scalar_name(dtypes.as_dtype(dtype).np)}")
        dtype = inferred if dtype is None else dtype
    dt = np.dtype(_float_dtype(dtype))
    if dt in (np.float32, np.float64) and not (isinstance(start, complex) or isinstance(end, complex)):
        return _finish(_linspace_as_torch(float(start), float(end), int(steps), dt), device, requires_grad)
    return _finish(np.linspace(start, end, steps).astype(dt), device, requires_grad)


def _fma(a, b, c, dt):
    """a * b + c rounded once to ``dt`` (the fused multiply-add torch's compiled kernels use): float32
    through float64, where the product is exact; float64 by error-free transforms (Dekker's product,
    Knuth's sum), which round once but for ties too rare to matter here."""
    if dt == np.float32:
        return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(np.float32)
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    p = a * b
    split = 134217729.0   # 2**27 + 1 (Veltkamp's split of a double into two halves)
    ah = a * split - (a * split - a)
    bh = b * split - (b * split - b)
    pe = ((ah * bh - p) + ah * (b - bh) + (a - ah) * bh) + (a - ah) * (b - bh)   # a * b = p + pe exactly
    s = p + c
    z = s - p
    se = (p - (s - z)) + (c - z)   # p + c = s + se exactly
    return s + (pe + se)


def _linspace_as_torch(start: float, end: float, steps: int, dt) -> np.ndarray:
    """torch's linspace_kernel for float32/float64, rounding as it rounds: step = (end - start) / (steps - 1)
    in the dtype; element i is start + step * i before the halfway point and end - step * (steps - 1 - i)
    from it on, each a fused multiply-add (one rounding)."""
    T = dt.type
    if steps <= 1:
        return np.full(steps, T(start), dt)
    s, e = T(start), T(end)
    step = (e - s) / T(steps - 1)
    i = np.arange(steps)
    before = i < steps // 2
    return _fma(np.where(before, step, -step).astype(dt), np.where(before, i, steps - 1 - i).astype(dt),
                np.where(before, s, e).astype(dt), dt).astype(dt, copy=False)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, n if m is None else m, dtype=_float_dtype(dtype)), device, requires_grad)


def _random_float_dtype(dtype, kernel):
    """rand and randn draw floats only; torch names its kernel for any other dtype."""
    d = _float_dtype(dtype)
    if not dtypes.is_floating(d):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtypes.SCALAR_NAMES[d.name]}\'')
    return d


@_size_keyword
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(random.uniform01(_size(size), _random_float_dtype(dtype, "check_uniform_bounds"), generator),
                   device, requires_grad)


@_size_keyword
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(random.standard_normal(_size(size), _random_float_dtype(dtype, "normal_kernel_cpu"), generator),
                   device, requires_grad)


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    elif low is None:  # randint(high=..., size=...), as torch's samplers call it
        low = 0
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: high and size")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = dtypes.as_dtype(dtype).np if dtype is not None else np.int64
    return _finish(random.randint(low, high, _size((size,)), d, generator), device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    d = dtypes.as_dtype(dtype).np if dtype is not None else np.int64
    return _finish(random.randperm(n, d, generator), device, requires_grad)


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Indices drawn from the rows of ``input`` (weights, not necessarily normalised), torch's."""
    return _finish(random.multinomial(np.asarray(input._data), int(num_samples), replacement, generator),
                   None if input.device.type == "cpu" else input.device, False)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 draws with probabilities ``input`` (or the number ``p``), in ``input``'s dtype."""
    out = empty_like(input)
    return out.bernoulli_(input if p is None else p, generator=generator)


def _like(input, dtype):
    return input.shape, (dtypes.as_dtype(dtype).np if dtype is not None else input._data.dtype)


def _empty_like(input, shape, d):
    """torch's preserve_format: the result's dims lie in memory in the input's order (a
    transpose's like is a transpose), densely; an expanded input gives a C-contiguous result."""
    from .autograd.inplace import has_internal_overlap
    a = input._data
    if type(a) is np.ndarray and not a.flags.c_contiguous and not has_internal_overlap(a):
        return np.empty_like(a, dtype=d, order="K")
    return np.empty(shape, d)


def _filled_like(input, dtype, value):
    shape, d = _like(input, dtype)
    out = _empty_like(input, shape, d)
    out[...] = np.full((), value, d)   # (np.full's conversion of the value, as before)
    return out


def _like_device(input, device):
    return device if device is not None else input.device   # *_like follows its input, not the default device


def zeros_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_filled_like(input, dtype, 0), _like_device(input, device), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_filled_like(input, dtype, 1), _like_device(input, device), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, d = _like(input, dtype)
    return _finish(_empty_like(input, shape, d), _like_device(input, device), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_filled_like(input, dtype, fill_value), _like_device(input, device), requires_grad)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, d = _like(input, dtype)
    return _finish(random.uniform01(shape, d, generator), _like_device(input, device), requires_grad)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, d = _like(input, dtype)
    return _finish(random.standard_normal(shape, d, generator), _like_device(input, device), requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    shape, d = _like(input, dtype)
    return _finish(random.randint(low, high, shape, d, generator), _like_device(input, device), requires_grad)
