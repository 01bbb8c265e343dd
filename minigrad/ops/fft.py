"""torch.fft: discrete Fourier transforms on NumPy's pocketfft, with torch's gradients.

Every transform is one of three ops, as in torch (its ``_fft_c2c``, ``_fft_r2c``, ``_fft_c2r``):

* ``FftC2C``  complex -> complex over ``dims``, forward (e^-) or inverse (e^+);
* ``FftR2C``  real -> complex, forward, the last dim one-sided (rfft) or full (fft of a real input);
* ``FftC2R``  one-sided complex -> real, inverse (irfft), the last dim restored to its length.

Each takes a normalisation *mode*: no scaling, 1/sqrt(n) or 1/n (n the product of the
transformed sizes). The ``norm=`` names map onto modes per direction: "backward" scales only the
inverse, "forward" only the forward, "ortho" both by 1/sqrt(n). The public functions resize the
input first (``n``/``s``: zero-pad or trim, differentiable ops), and the Hermitian ones
conjugate: hfft(x) is the inverse c2r of conj(x) with the forward's scale, ihfft(x) the
conjugate of an r2c with the inverse's scale (torch's own construction).

Gradients (torch's derivatives.yaml): the DFT matrix F is symmetric, so for y = s F x the
gradient is s conj(F) g, the opposite-direction transform with the same scale. The one-sided
transforms add the Hermitian bookkeeping: rfft's gradient zero-pads g to the full length before
the inverse c2c and keeps the real part; irfft's gradient is the rfft of g with the entries whose
mirror image fell outside the one-sided range (indices 1 .. n - n//2 - 1) doubled.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ._util import Op, Tensor, wrap_dim

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NONE, _BY_ROOT_N, _BY_N = 0, 1, 2


def _norm_mode(norm, forward: bool) -> int:
    """torch's norm_from_string: the scaling a transform in this direction gets for ``norm``."""
    if norm is None or norm == "backward":
        return _NONE if forward else _BY_N
    if norm == "forward":
        return _BY_N if forward else _NONE
    if norm == "ortho":
        return _BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _scaled(y, mode: int, x_shape, dims):
    if mode == _NONE:
        return y
    n = 1
    for d in dims:
        n *= x_shape[d]
    return y * (1.0 / (math.sqrt(n) if mode == _BY_ROOT_N else n))


def _complex_np(np_dtype):
    return dtypes.to_complex(dtypes.from_numpy_dtype(np.dtype(np_dtype))).np


class FftC2C(Op):
    """y = s F x (F: the DFT over dims, e^-2pi i/n forward, e^+ inverse);  grad_x = s conj(F) g"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x, dims, mode, forward):
        ctx.dims, ctx.mode, ctx.direction = dims, mode, forward
        y = np.fft.fftn(x, axes=dims, norm="backward") if forward else np.fft.ifftn(x, axes=dims, norm="forward")
        return _scaled(y, mode, x.shape, dims).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return FftC2C.apply(g, ctx.dims, ctx.mode, not ctx.direction)


class FftR2C(Op):
    """y = s F x, x real, one-sided over the last dim when onesided;  grad_x = Re(s conj(F) pad(g))"""

    @staticmethod
    def forward(ctx, x, dims, mode, onesided):
        ctx.dims, ctx.mode, ctx.onesided, ctx.last_dim_size = dims, mode, onesided, x.shape[dims[-1]]
        y = np.fft.rfftn(x, axes=dims) if onesided else np.fft.fftn(x, axes=dims)
        return _scaled(y, mode, x.shape, dims).astype(_complex_np(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        from .complex import real
        from .shape import cat
        if ctx.onesided:   # the half the forward dropped: zeros (its gradient is carried by the other half)
            last = ctx.dims[-1]
            missing = ctx.last_dim_size - g._data.shape[last]
            if missing > 0:
                shape = list(g._data.shape)
                shape[last] = missing
                g = cat([g, Tensor._make(np.zeros(shape, g._data.dtype))], last)
        return real(FftC2C.apply(g, ctx.dims, ctx.mode, False))


class FftC2R(Op):
    """y = s F^-1 hermitian(x) (real, last dim of length n);  grad_x = rfft(g) with mirrored bins doubled"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x, dims, mode, last_dim_size):
        ctx.dims, ctx.mode = dims, mode
        sizes = [x.shape[d] for d in dims[:-1]] + [last_dim_size]
        y = np.fft.irfftn(x, s=sizes, axes=dims, norm="forward")
        out_shape = list(x.shape)
        out_shape[dims[-1]] = last_dim_size
        return _scaled(y, mode, out_shape, dims).astype(dtypes.to_real(dtypes.from_numpy_dtype(x.dtype)).np,
                                                        copy=False)

    @staticmethod
    def backward(ctx, g):
        gx = FftR2C.apply(g, ctx.dims, ctx.mode, True)
        last = ctx.dims[-1]
        n, half = g._data.shape[last], gx._data.shape[last]
        double = n - half   # bins 1 .. n - half have a mirror image outside the one-sided range
        if double > 0:
            weight = np.ones(half, g._data.dtype)
            weight[1:1 + double] = 2
            gx = gx * Tensor._make(weight.reshape((half,) + (1,) * (gx._data.ndim - 1 - last)))
        return gx


# -- argument handling ---------------------------------------------------------------------------
def _fft_input(input, name: str, *, complex_input: bool) -> Tensor:
    """The input as the transform needs it: a Tensor of float32/float64 (real ones) or
    complex64/complex128; integers and bools become the default float, as in torch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    kind = input._data.dtype.kind
    if kind in "biu":
        input = input.to(dtypes.get_default_dtype())
    elif input._data.dtype == np.float16:
        raise RuntimeError("Unsupported dtype Half")
    if complex_input and input._data.dtype.kind != "c":
        input = input.to(dtypes.to_complex(input.dtype))
    return input


def _resize(x: Tensor, dim: int, size: int) -> Tensor:
    """``x`` zero-padded or trimmed along ``dim`` to ``size`` (torch's resize_fft_input)."""
    have = x._data.shape[dim]
    if have == size:
        return x
    if have > size:
        return x.narrow(dim, 0, size)
    from .shape import cat
    shape = list(x._data.shape)
    shape[dim] = size - have
    return cat([x, Tensor._make(np.zeros(shape, x._data.dtype))], dim)


def _check_points(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _one_dim(x: Tensor, n, dim):
    ndim = x._data.ndim
    if ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, ndim)
    if n is not None:
        _check_points(n)
    return d, n


def _shape_and_dims(x: Tensor, s, dim):
    """torch's canonicalize_fft_shape_and_dim_args: the dims and sizes of an n-dim transform
    (every dim when neither is given; the last len(s) dims when only s is; s = -1 keeps a size)."""
    ndim = x._data.ndim
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [wrap_dim(d, ndim) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = list(s)
        if dim is not None and len(dims) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
        if dim is None:
            dims = list(range(ndim - len(s), ndim))
        sizes = [x._data.shape[d] if n == -1 else n for d, n in zip(dims, s)]
        for n in sizes:
            _check_points(n)
    else:
        if dim is None:
            dims = list(range(ndim))
        sizes = [x._data.shape[d] for d in dims]
    return tuple(dims), sizes


def _c2c(name, input, s, dim, norm, forward, one_dim):
    x = _fft_input(input, name, complex_input=not one_dim)   # (torch's 1-d fft of a real input is an r2c)
    if one_dim:
        d, n = _one_dim(x, s, dim)
        dims, sizes = (d,), [x._data.shape[d] if n is None else n]
    else:
        dims, sizes = _shape_and_dims(x, s, dim)
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n)
    mode = _norm_mode(norm, forward)
    if x._data.dtype.kind != "c":   # a real input: torch's r2c with the full output
        y = FftR2C.apply(x, dims, mode, False)
        return y if forward else y.conj()
    if not dims:
        return x.clone()
    return FftC2C.apply(x, dims, mode, forward)


def _r2c(name, input, s, dim, norm, forward, one_dim):
    x = _fft_input(input, name, complex_input=False)
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"{name} expects a real input tensor, but got {dtypes.scalar_name(x._data.dtype)}")
    if one_dim:
        d, n = _one_dim(x, s, dim)
        dims, sizes = (d,), [x._data.shape[d] if n is None else n]
    else:
        dims, sizes = _shape_and_dims(x, s, dim)
        if not dims:
            raise RuntimeError(f"{name} must transform at least one axis")
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n)
    mode = _norm_mode(norm, forward)
    if forward:
        return FftR2C.apply(x, dims, mode, True)
    # ihfftn, as torch builds it: the r2c of the last dim, conjugated, then inverse c2c over the others
    y = FftR2C.apply(x, dims[-1:], mode, True)
    if len(dims) == 1:
        return y.conj()
    return FftC2C.apply(y.conj_physical(), dims[:-1], mode, False)


def _c2r(name, input, s, dim, norm, forward, one_dim):
    x = _fft_input(input, name, complex_input=True)
    if one_dim:
        d, n = _one_dim(x, s, dim)
        dims = (d,)
        last = 2 * (x._data.shape[d] - 1) if n is None else n
        sizes = []
    else:
        dims, sizes = _shape_and_dims(x, s, dim)
        if not dims:
            raise RuntimeError(f"{name} must transform at least one axis")
        last = sizes[-1] if s is not None and list(s)[-1] != -1 else 2 * (x._data.shape[dims[-1]] - 1)
        sizes = sizes[:-1]
    _check_points(last)
    for d, n in zip(dims[:-1], sizes):
        x = _resize(x, d, n)
    x = _resize(x, dims[-1], last // 2 + 1)
    mode = _norm_mode(norm, forward)
    if not forward:
        return FftC2R.apply(x, dims, mode, last)
    # hfftn, as torch builds it: forward c2c over all but the last dim, then the last dim's
    # forward transform of a Hermitian signal, which is the inverse c2r of its conjugate
    if len(dims) > 1:
        x = FftC2C.apply(x, dims[:-1], mode, True)
    return FftC2R.apply(x.conj(), dims[-1:], mode, last)


# -- torch.fft's functions -----------------------------------------------------------------------
def fft(input, n=None, dim=-1, norm=None):
    """The 1-D discrete Fourier transform (complex output)."""
    return _c2c("fft", input, n, dim, norm, True, True)


def ifft(input, n=None, dim=-1, norm=None):
    return _c2c("ifft", input, n, dim, norm, False, True)


def fft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2c("fft2", input, s, dim, norm, True, False)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2c("ifft2", input, s, dim, norm, False, False)


def fftn(input, s=None, dim=None, norm=None):
    return _c2c("fftn", input, s, dim, norm, True, False)


def ifftn(input, s=None, dim=None, norm=None):
    return _c2c("ifftn", input, s, dim, norm, False, False)


def rfft(input, n=None, dim=-1, norm=None):
    """The 1-D transform of a real input, its non-negative frequencies only (n//2 + 1 of them)."""
    return _r2c("rfft", input, n, dim, norm, True, True)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return _r2c("rfft2", input, s, dim, norm, True, False)


def rfftn(input, s=None, dim=None, norm=None):
    return _r2c("rfftn", input, s, dim, norm, True, False)


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of hfft: the one-sided inverse transform of a real signal."""
    return _r2c("ihfft", input, n, dim, norm, False, True)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return _r2c("ihfft2", input, s, dim, norm, False, False)


def ihfftn(input, s=None, dim=None, norm=None):
    return _r2c("ihfftn", input, s, dim, norm, False, False)


def irfft(input, n=None, dim=-1, norm=None):
    """The inverse of rfft: a real signal of length n (default 2 (m - 1)) from its one-sided spectrum."""
    return _c2r("irfft", input, n, dim, norm, False, True)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2r("irfft2", input, s, dim, norm, False, False)


def irfftn(input, s=None, dim=None, norm=None):
    return _c2r("irfftn", input, s, dim, norm, False, False)


def hfft(input, n=None, dim=-1, norm=None):
    """The transform of a Hermitian-symmetric signal given by its one-sided half (real output)."""
    return _c2r("hfft", input, n, dim, norm, True, True)


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2r("hfft2", input, s, dim, norm, True, False)


def hfftn(input, s=None, dim=None, norm=None):
    return _c2r("hfftn", input, s, dim, norm, True, False)


def _freq_dtype(dtype):
    d = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if d.category < 2:
        raise RuntimeError("fftfreq requires a floating point or complex dtype")
    if d.is_complex:
        raise NotImplementedError(f'"arange_cpu" not implemented for \'{dtypes.scalar_name(d.np)}\'')
    return d


def _frequencies(ks, n, d, dtype, device, requires_grad):
    """k / (n d) as torch computes it: k in the dtype, times the dtype's rounding of 1 / (n d)."""
    from ..creation import tensor
    np_dtype = _freq_dtype(dtype).np
    with np.errstate(divide="ignore"):
        scale = np.float64(1.0) / np.float64(n * d)   # (n = 0: an empty result)
    out = np.asarray(ks, dtype=np_dtype) * np.asarray(scale, dtype=np_dtype)
    return tensor(out, device=device, requires_grad=requires_grad)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an n-point fft: [0, 1, ..., (n-1)//2, -(n//2), ..., -1] / (d n)."""
    ks = np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)]) if n > 0 else np.zeros(0)
    return _frequencies(ks, n, d, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an n-point rfft: [0, 1, ..., n//2] / (d n)."""
    return _frequencies(np.arange(n // 2 + 1), n, d, dtype, device, requires_grad)


def _shift(input, dim, sign: int):
    from .shape import roll
    ndim = input._data.ndim
    dims = list(range(ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    dims = [wrap_dim(d, ndim) for d in dims]
    shifts = [(input._data.shape[d] // 2) if sign > 0 else -(input._data.shape[d] // 2) for d in dims]
    if not dims:
        raise RuntimeError("`shifts` required")
    return roll(input, shifts, dims)


def fftshift(input, dim=None):
    """Move the zero frequency to the centre: a roll by n//2 along each dim (every dim by default)."""
    return _shift(input, dim, +1)


def ifftshift(input, dim=None):
    """The inverse of fftshift: a roll by -(n//2)."""
    return _shift(input, dim, -1)
