"""Hypothesis strategies for shapes and arrays, as minigrad's own parity tests use them."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["shapes", "broadcastable_shapes", "arrays", "tensor_inputs", "floats_in", "dims_for"]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4):
    """Shapes including 0-d, size-0 and size-1 dims (set min_side=1 to exclude empty tensors)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
                         max_side: int = 4):
    """``num_shapes`` shapes that broadcast together (each may be shorter or have 1s)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(lambda r: r.input_shapes)


def floats_in(low: float = -3.0, high: float = 3.0, *, exclude_near=(), margin: float = 1e-2, width: int = 64):
    """Finite floats in [low, high], keeping ``margin`` away from kinks listed in exclude_near."""
    if width < 64:  # bounds must be representable at this width: round them inwards
        ftype = {32: np.float32, 16: np.float16}[width]
        low = float(np.nextafter(ftype(low), ftype(np.inf))) if float(ftype(low)) < low else float(ftype(low))
        high = float(np.nextafter(ftype(high), ftype(-np.inf))) if float(ftype(high)) > high else float(ftype(high))
    base = st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)
    if exclude_near:
        base = base.filter(lambda v: all(abs(v - k) > margin for k in exclude_near))
    return base


def arrays(dtype, shape, low: float = -3.0, high: float = 3.0, *, exclude_near=(), margin: float = 1e-2,
           unique: bool = False):
    """An ndarray of ``dtype`` (a NumPy dtype) and ``shape`` with values in [low, high]."""
    np_dtype = np.dtype(dtype)
    if np_dtype.kind == "f":
        elements = floats_in(low, high, exclude_near=exclude_near, margin=margin, width=8 * np_dtype.itemsize)
    elif np_dtype.kind == "b":
        elements = st.booleans()
    else:
        elements = st.integers(int(low), int(high))
    return hnp.arrays(np_dtype, shape, elements=elements, unique=unique)


def tensor_inputs(dtype, n: int = 1, low: float = -3.0, high: float = 3.0, **kw):
    """``n`` broadcastable arrays (a tuple), the usual input of an elementwise op."""
    return broadcastable_shapes(n).flatmap(
        lambda shps: st.tuples(*(arrays(dtype, s, low, high, **kw) for s in shps)))


def dims_for(ndim: int, allow_none: bool = True, allow_tuple: bool = True):
    """A valid ``dim`` argument for a tensor of ``ndim`` dims: None, an int (negative too) or a tuple."""
    n = max(ndim, 1)
    one = st.integers(-n, n - 1)
    options = [one]
    if allow_none:
        options.append(st.none())
    if allow_tuple and ndim > 0:
        options.append(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple))
    return st.one_of(*options)
