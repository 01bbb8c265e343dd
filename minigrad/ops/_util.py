"""Shared helpers for ops: the Op base class, torch's dtype promotion, dim normalisation."""
from __future__ import annotations

import functools
import numbers

import numpy as np

from .. import dtypes
from ..autograd import grad_mode as _grad_mode
from ..autograd.function import Function
from ..tensor import Tensor, _wrap_dim

__all__ = ["Op", "Tensor", "sign_array", "saving", "overload", "promote", "as_tensor_arg", "wrap_dim", "norm_dims", "float_result", "xp", "broadcast_shape",
           "broadcast_view", "conj_of"]

wrap_dim = _wrap_dim


class Op(Function):
    """A minigrad op: ``forward`` works on arrays, ``backward`` on Tensors (see Function)."""

    array_forward = True


def conj_of(v):
    """The complex conjugate of a backward's saved factor (a Tensor or a Python number); a real one
    itself. Holomorphic ops' gradients are ``g * conj(dz/dx)`` (ops/complex.py)."""
    if isinstance(v, Tensor):
        return v if v._data.dtype.kind != "c" else v.conj()
    return v.conjugate() if isinstance(v, (complex, np.complexfloating)) else v


def overload(out, node_name: str):
    """``out``, its node named as torch names the overload that made it (``SumBackward1`` for a sum
    over dims, ``SumBackward0`` for a full sum): for the ops whose torch name depends on the call."""
    node = out[0].grad_fn if isinstance(out, tuple) else out.grad_fn
    if node is not None:
        node.node_name = node_name
    return out


def xp(array):
    """The array module of ``array``: numpy, or cupy for GPU arrays. Use it to create new arrays
    inside a forward (``xp(x).zeros(...)``) so that the op also runs on the GPU."""
    if isinstance(array, np.ndarray):
        return np
    import cupy
    return cupy


def sign_array(a):
    """torch's sign of a real array, 0 for NaN (NumPy's sign gives NaN there)."""
    return np.subtract(a > 0, a < 0, dtype=a.dtype) if a.dtype.kind == "f" else np.sign(a)


def broadcast_view(x, shape):
    """``np.broadcast_to(x, shape)``: a read-only view with stride 0 along the broadcast dims.

    Built directly for a contiguous NumPy array, since NumPy's own set-up (an nditer) costs several
    microseconds, which on tiny tensors is a large share of every sum's and mean's backward.
    ``shape`` must be a valid broadcast of ``x.shape`` (expand checks it).
    """
    if type(x) is not np.ndarray or not x.flags.c_contiguous or not x.size:
        return xp(x).broadcast_to(x, shape)
    lead = len(shape) - x.ndim
    strides = [0] * lead
    for n, size, stride in zip(x.shape, shape[lead:], x.strides):
        strides.append(stride if n == size else 0)
    out = np.ndarray(shape, x.dtype, x, 0, tuple(strides))  # a view of x's memory (its base is x)
    out.setflags(write=False)
    return out


def as_tensor_arg(x, name="input") -> Tensor:
    """A Tensor argument; NumPy arrays are wrapped (without copying), anything else is a TypeError."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._make(x)
    raise TypeError(f"{name} must be a Tensor, not {type(x).__name__}")


def _is_scalar(x) -> bool:
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, Tensor)


def promote(a, b, *, to_float=False):
    """Apply torch's type promotion to a binary op's operands.

    Returns ``(a, b)`` where tensors have been cast (differentiably) to the result dtype and Python
    scalars are left as they are: NumPy then keeps the tensor's dtype (NEP 50), as torch does.
    ``to_float`` is for ops whose integer result is the default float (true division, atan2):
    each operand is cast from its own dtype straight to that float, never through the integer
    result dtype, so ``uint8 / 256`` and ``uint8 / tensor(-1)`` divide by 256.0 and -1.0.
    """
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        x, y = a._data, b._data
        if x.shape != y.shape:
            broadcast_shape(x.shape, y.shape)
        if type(x) is not type(y):
            a, b = _same_device(a, b)
            x, y = a._data, b._data
        dx = x.dtype
        if (dx is y.dtype or dx == y.dtype) and not (to_float and not dtypes.is_inexact(dx)):
            return a, b
        d = dtypes.result_type(a, b)
    elif ta:
        b = dtypes.check_python_int(_scalar_arg(b))
        if isinstance(b, Tensor):
            return promote(a, b, to_float=to_float)
        d = dtypes.result_type(a, b)
    elif tb:
        a = dtypes.check_python_int(_scalar_arg(a))
        if isinstance(a, Tensor):
            return promote(a, b, to_float=to_float)
        d = dtypes.result_type(a, b)
    else:
        raise TypeError(f"expected at least one Tensor operand, got {type(a).__name__} and {type(b).__name__}")
    if to_float and d.category < 2:   # (a complex result stays complex)
        d = dtypes.get_default_dtype()
    if ta and a._data.dtype != d.np:
        a = _cast_operand(a, d)
    if tb and b._data.dtype != d.np:
        b = _cast_operand(b, d)
    if d is dtypes.bfloat16:   # a number joins as torch's wrapped number does: cast to bfloat16 first
        a, b = (a if ta else dtypes.rounded_number(a, d)), (b if tb else dtypes.rounded_number(b, d))
    if d.category == 1:  # an int beyond an integer tensor's range wraps around, as torch casts it
        if type(b) is int:
            b = dtypes.wrap_int(b, d.np)
        elif type(a) is int:
            a = dtypes.wrap_int(a, d.np)
    return a, b


def _cast_operand(t, d):
    """t cast to d for a binary op, keeping t's version counter: torch's node saves the operand itself
    (uncast), so an in-place write into t before backward must be a version error there too.
    ``_cast_of`` names t: an in-place op writing into t itself (``f32.mul_(f64)``) saved t's old
    values in the cast, which the write leaves alone (autograd.inplace._rebind_saved)."""
    cast = t.to(d)
    cast._vc = t._vc
    cast._cast_of = t
    return cast


@functools.lru_cache(maxsize=4096)
def broadcast_shape(*shapes) -> tuple:
    """The broadcast of ``shapes`` (tuples), or torch's RuntimeError naming the sizes that clash.

    Cached per distinct shapes (an error is raised again, never cached): every binary op on two
    shapes that differ checks them here, and the loop below costs more than a tiny op's math."""
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(-ndim, 0):
        size = 1
        for k, s in enumerate(shapes):
            if -i <= len(s) and s[i] != 1:
                if size != 1 and s[i] != size:
                    first = next(j for j, t in enumerate(shapes) if -i <= len(t) and t[i] == size)
                    names = "abcdefgh"
                    raise RuntimeError(f"The size of tensor {names[first]} ({size}) must match the size of tensor "
                                       f"{names[k]} ({s[i]}) at non-singleton dimension {ndim + i}")
                size = s[i]
        out.append(size)
    return tuple(out)


def _scalar_arg(x):
    if isinstance(x, np.generic):
        return x.item()
    if _is_scalar(x):
        return x
    if isinstance(x, np.ndarray) or hasattr(x, "__cuda_array_interface__"):
        return Tensor._make(x)
    raise TypeError(f"unsupported operand type: {type(x).__name__} (expected a Tensor or a Python number)")


def _same_device(a, b):
    """``(a, b)`` on one device, or torch's RuntimeError. As in torch, a 0-d CPU tensor may join a
    GPU tensor (it is moved there, differentiably)."""
    from ..device import check_same_device, device_of
    da, db = device_of(a._data), device_of(b._data)
    if da == db:
        return a, b
    if da.type == "cpu" and not a._data.ndim:
        return a.to(db), b
    if db.type == "cpu" and not b._data.ndim:
        return a, b.to(da)
    check_same_device(a, b)   # raises torch's message


def float_result(x: Tensor) -> Tensor:
    """Integer and bool inputs of a floating-point op (exp, sqrt, mean...) become the default float."""
    if dtypes.is_inexact(x._data.dtype):
        return x
    return x.to(dtypes.get_default_dtype())


_ALL_DIMS = tuple(tuple(range(n)) for n in range(9))   # norm_dims(None, n) for n < 9


def norm_dims(dim, ndim: int) -> tuple:
    """``dim`` (None, an int, or a tuple/list of ints) as a sorted tuple of non-negative dims.

    A 0-d tensor accepts dim 0 or -1 (as torch does) and has no dims to reduce. An empty tuple
    means every dim, as in torch's reductions.
    """
    if dim is None and ndim < len(_ALL_DIMS):
        return _ALL_DIMS[ndim]   # (the most common call, a full reduction: no tuple built)
    if dim.__class__ is int and -ndim <= dim < ndim:   # (the next most common: one dim, in range)
        return (dim % ndim,)
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    if ndim == 0:
        for d in (dim if isinstance(dim, (tuple, list)) else () if dim is None else (dim,)):
            _wrap_dim(d, 0)
        return ()
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        dims = tuple(_wrap_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
        return tuple(sorted(dims))
    return (_wrap_dim(dim, ndim),)


class SavesOperands(Op):
    """z = y, a composite op's result;  dz/dy = g  (its node saves the op's operands, as torch's one node)"""

    # Applied last to an op composed of other ops, when its result requires grad: the node saves the
    # op's operands (and, with ``result``, z itself) as torch's single node for the op does, so that
    # writing one of them in place before backward is a version error (the composite's own nodes
    # save only intermediate values).

    @staticmethod
    def forward(ctx, y, result, *operands):
        if result:
            y = y.copy()   # (torch's result is a tensor of its own: its record then names the output)
            ctx.save_for_backward(y, *operands)
        else:
            ctx.save_for_backward(*operands)
        return y

    @staticmethod
    def apply_to(y, operands, result=False):
        """``y`` through this node, which saves ``operands`` (and the result, with ``result``). The
        output is no view for autograd, as torch's result: a later write into it does not re-derive
        it from the composite's graph, which would pass this node by."""
        out = SavesOperands.apply(y, result, *operands)
        if not result:   # (the same memory as y: a view only to NumPy)
            from ..autograd.inplace import forget_view
            forget_view(out)
        return out

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # (the version check)
        return (g, None) + (None,) * (len(ctx.needs_input_grad) - 2)


def saving(out: Tensor, operands: tuple, node_name: str | None = None) -> Tensor:
    """``out`` (a composite's result), when it is recorded, through a SavesOperands node that saves
    ``operands`` as torch's single node for the composite does (``node_name``: that node's name)."""
    if out._requires_grad and _grad_mode.state.grad_enabled:
        out = SavesOperands.apply_to(out, operands)
        if node_name is not None:
            out.grad_fn.node_name = node_name
    return out
