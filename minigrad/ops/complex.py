"""Complex tensors: building them (complex, polar), taking them apart (real, imag, view_as_real,
angle), conjugation, and the list of ops that accept complex inputs.

Gradients follow torch's convention (its docs, "Autograd for Complex Numbers"): for a real loss
L of a complex z = x + iy, the gradient autograd returns is the conjugate Wirtinger derivative
times two, ``dL/dx + i dL/dy``. With it, gradient descent ``z -= lr * z.grad`` descends L, and
the chain rule for an op z -> w with incoming gradient g (of w) is

* w holomorphic in z (exp, mul, matmul...):  grad_z = g * conj(dw/dz)
  (so the real formulas hold with conj on every saved factor: ``g * z.conj()`` for exp);
* w real-valued (abs, real, angle):         grad_z = g * (dw/dx + i dw/dy);
* z real, w complex (complex, polar):       grad_z = Re(conj(dw/dz) g)  (the real part).

Conjugation is materialised eagerly: ``conj()`` copies and ``is_conj()`` is always False (torch
sets a lazy conjugate bit instead; the values are the same). Likewise ``resolve_neg`` has no bit to
resolve.

Ops declare complex support with ``supports_complex = True`` on their class; ``Function.apply``
refuses complex inputs to every other op (``ops._util.refuse_complex``), so an op whose formula
was never checked for complex numbers raises instead of returning a wrong number.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ._util import Op, Tensor

__all__ = ["real", "imag", "view_as_real", "view_as_complex", "conj", "conj_physical", "resolve_conj",
           "resolve_neg", "is_conj", "is_neg", "is_complex", "angle", "polar", "complex"]


def _complex_arg(x, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    return x


def is_complex(input) -> bool:
    return _complex_arg(input, "is_complex")._data.dtype.kind == "c"


class Real(Op):
    """z = Re(x), a view;  grad_x = g  (the real gradient, as a complex one with zero imaginary part)"""

    supports_complex = True
    node_name = "SelectBackward0"   # torch takes the part as select(view_as_real(x), -1, 0)

    @staticmethod
    def forward(ctx, x):
        return x.real

    @staticmethod
    def backward(ctx, g):
        return g


def real(input) -> Tensor:
    """The real part, a writable view of a complex tensor; a real tensor itself (as torch)."""
    input = _complex_arg(input, "real")
    if input._data.dtype.kind != "c":
        return input
    return Real.apply(input)


class Imag(Op):
    """z = Im(x), a view;  grad_x = i g"""

    supports_complex = True
    node_name = "SelectBackward0"   # torch: select(view_as_real(x), -1, 1)

    @staticmethod
    def forward(ctx, x):
        return x.imag

    @staticmethod
    def backward(ctx, g):
        return g * 1j


def imag(input) -> Tensor:
    """The imaginary part, a writable view; only complex tensors have one (as torch)."""
    input = _complex_arg(input, "imag")
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


class ViewAsReal(Op):
    """z[..., 0] + i z[..., 1] = x, a view;  grad_x = view_as_complex(g)"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        parts = x.view(x.real.dtype) if x.ndim and x.strides[-1] == x.itemsize else None
        if parts is None:   # a 0-d or last-dim-strided tensor: a (..., 2) view built from strides
            parts = np.lib.stride_tricks.as_strided(x.real, x.shape + (2,), x.strides + (x.itemsize // 2,))
            return parts
        return parts.reshape(x.shape + (2,))

    @staticmethod
    def backward(ctx, g):
        return view_as_complex(g.contiguous())


def view_as_real(input) -> Tensor:
    input = _complex_arg(input, "view_as_real")
    if input._data.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


class ViewAsComplex(Op):
    """z = x[..., 0] + i x[..., 1], a view;  grad_x = view_as_real(g)"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        complex_dtype = dtypes.to_complex(dtypes.from_numpy_dtype(x.dtype)).np
        if not x.size:
            return np.empty(x.shape[:-1], complex_dtype)
        return x.view(complex_dtype)[..., 0]

    @staticmethod
    def backward(ctx, g):
        return view_as_real(g)


def view_as_complex(input) -> Tensor:
    input = _complex_arg(input, "view_as_complex")
    x = input._data
    if x.dtype not in (np.float32, np.float64):
        if x.dtype == np.float16:
            raise NotImplementedError("minigrad has no complex32 storage: view_as_complex of a float16 tensor")
        raise RuntimeError("view_as_complex is only supported for floating point tensors, but got a tensor of "
                           f"scalar type: {dtypes.scalar_name(x.dtype)}")
    if x.ndim == 0 or x.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if x.size and x.strides[-1] != x.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if x.size and any(s % (2 * x.itemsize) for s, n in zip(x.strides[:-1], x.shape[:-1]) if n > 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if x.ctypes.data % (2 * x.itemsize):
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return ViewAsComplex.apply(input)


class Conj(Op):
    """z = conj(x);  grad_x = conj(g)"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        return np.conj(x)

    @staticmethod
    def backward(ctx, g):
        return conj(g)


class ConjPhysical(Conj):
    """z = conj(x);  grad_x = conj(g)"""


def conj(input) -> Tensor:
    """The complex conjugate (a copy: minigrad has no lazy conjugate bit); a real tensor itself."""
    input = _complex_arg(input, "conj")
    if input._data.dtype.kind != "c":
        return input
    return Conj.apply(input)


def conj_physical(input) -> Tensor:
    input = _complex_arg(input, "conj_physical")
    if input._data.dtype.kind != "c":
        return input
    return ConjPhysical.apply(input)


def resolve_conj(input) -> Tensor:
    """The tensor itself: conj() already materialised the conjugate."""
    return _complex_arg(input, "resolve_conj")


def resolve_neg(input) -> Tensor:
    """The tensor itself: minigrad has no lazy negative bit."""
    return _complex_arg(input, "resolve_neg")


def is_conj(input) -> bool:
    """Always False: conjugates are materialised (torch would say True after a lazy conj())."""
    _complex_arg(input, "is_conj")
    return False


def is_neg(input) -> bool:
    _complex_arg(input, "is_neg")
    return False


class Angle(Op):
    """z = arg(x);  grad_x = g i x / |x|^2  (0 at x = 0; 0 for a real x, whose angle is 0 or pi)"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        if x.dtype.kind != "c":   # torch: pi for negative numbers, 0 otherwise, NaN for NaN
            return np.where(np.isnan(x), x, np.where(x < 0, np.pi, 0.0).astype(x.dtype))
        return np.angle(x)

    @staticmethod
    def backward(ctx, g):
        from .math import where
        x, = ctx.saved_tensors
        if x._data.dtype.kind != "c":
            return Tensor._make(np.zeros_like(x._data))
        return where(x == 0, 0.0, g * x / (x * x.conj()) * 1j)


def angle(input) -> Tensor:
    input = _complex_arg(input, "angle")
    if input._data.dtype.kind in "biu":
        input = input.to(dtypes.get_default_dtype())
    return Angle.apply(input)


class Polar(Op):
    """z = r e^(i theta);  grad_r = Re(conj(g) sgn(z)),  grad_theta = Re(conj(g) i z)  (torch's formula:
    sgn(z) is e^(i theta) for r > 0, and 0 at r = 0, -e^(i theta) for r < 0)"""

    supports_complex = True

    @staticmethod
    def forward(ctx, r, theta):
        z = (r * (np.cos(theta) + 1j * np.sin(theta))).astype(dtypes.to_complex(dtypes.from_numpy_dtype(r.dtype)).np)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        from .math import abs, where
        z, = ctx.saved_tensors
        g_conj = g.conj()
        unit = where(z == 0, 0.0, z / abs(z))
        return real(g_conj * unit), real(g_conj * z * 1j)


def _real_pair(a, b, name: str, first: str, second: str):
    a, b = _complex_arg(a, name), _complex_arg(b, name)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"Expected object of scalar type {dtypes.scalar_name(a._data.dtype)} but got scalar type "
                           f"{dtypes.scalar_name(b._data.dtype)} for second argument")
    if a._data.dtype not in (np.float32, np.float64):
        if a._data.dtype == np.float16:
            raise NotImplementedError(f"minigrad has no complex32 storage: {name} of float16 tensors")
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{dtypes.scalar_name(a._data.dtype)} and {dtypes.scalar_name(b._data.dtype)}")
    return a, b


def polar(abs, angle) -> Tensor:
    """``abs * (cos(angle) + i sin(angle))``."""
    r, theta = _real_pair(abs, angle, "polar", "abs", "angle")
    return Polar.apply(r, theta)


class Complex(Op):
    """z = a + i b;  grad_a = Re(g),  grad_b = Im(g)"""

    supports_complex = True

    @staticmethod
    def forward(ctx, a, b):
        z = np.empty(np.broadcast_shapes(a.shape, b.shape), dtypes.to_complex(dtypes.from_numpy_dtype(a.dtype)).np)
        z.real, z.imag = a, b
        return z

    @staticmethod
    def backward(ctx, g):
        return real(g), imag(g)


def complex(real, imag) -> Tensor:   # noqa: A001  (torch.complex)
    """A complex tensor from its real and imaginary parts (same floating dtype, broadcast)."""
    a, b = _real_pair(real, imag, "complex", "real", "imag")
    return Complex.apply(a, b)


def _declare_complex_support():
    """The ops of other families whose forward and backward hold for complex numbers as written:
    data movement (reshapes, views, indexing, concatenation: gradients are moved back unchanged),
    sums and means (linear with real coefficients), casts and copies. The arithmetic and math ops
    declare it on their own class, beside the ``conj`` their backward carries (elementwise.py,
    math.py, linalg.py's matmul)."""
    from . import convert, index, reduce, shape
    checked = (
        convert.ToDtype, convert.Clone, convert.CopyInto, convert.FullLikeValue,
        shape.Reshape, shape.Expand, shape.SumToSize, shape.Permute, shape.Slice, shape.SliceBackward,
        shape.Split, shape.Unbind, shape.Cat, shape.Stack, shape.Repeat, shape.Flip, shape.Roll, shape.Tril,
        shape.Triu, shape.StridedView, shape.StridedViewBackward, shape.ViewScatter, shape.CopyOfView,
        shape.Rot90, shape.SqueezeNothing,
        index.Index, index.IndexBackward, index.IndexPut, index.IndexPutAccumulate, index.Gather,
        index.ScatterAdd, index.MaskedFill, index.Scatter, index.Put, index.MaskedScatter,
        reduce.Sum, reduce.Mean, reduce.Cumsum, reduce.ReverseCumsum,
    )
    for op in checked:
        op.supports_complex = True


_declare_complex_support()
