"""Convolutions (nn.functional): conv1d, conv2d, conv_transpose1d/2d, unfold, fold.

Everything runs as 2-D NCHW (1-D is 2-D with a height of 1). The numbers come from
``minigrad.kernels`` (reference.py says what is computed, cpu.py how).

A convolution is the bilinear form B(x, w, y) = <conv2d(x, w), y>, and its three ops are that
form solved for each argument; each op's gradient is again one of the three, so derivatives of
any order exist:

    Conv2d(x, w)        = conv2d(x, w)              the forward
    ConvTranspose2d(y, w): <x, ConvTranspose2d(y, w)> = B(x, w, y)   (gradient wrt x)
    ConvWeight(x, y)    : <w, ConvWeight(x, y)>      = B(x, w, y)   (gradient wrt w)

``Geometry`` carries the sizes they share: conv's input (the "big" side, H x W), its output (the
"small" side, Ho x Wo), kernel, stride, top/left padding, dilation and groups.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .. import kernels
from ..device import check_same_device
from ._util import Op, Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


class Geometry(NamedTuple):
    H: int          # big side: conv input, conv_transpose output
    W: int
    Ho: int         # small side: conv output, conv_transpose input
    Wo: int
    geom: tuple     # (kh, kw, sh, sw, ph, pw, dh, dw), see kernels/reference.py
    groups: int


class SumNHW(Op):
    """b = sum of g over N, H, W (a conv's bias gradient);  db/dg = the incoming gradient broadcast over N, H, W"""

    @staticmethod
    def forward(ctx, g, value=None):
        """``value``: the result, already computed (by the kernels of Conv2d.backward)."""
        ctx.shape = g.shape
        return value if value is not None else g.sum(axis=(0, 2, 3))

    @staticmethod
    def backward(ctx, gb):
        from .shape import expand, reshape
        return expand(reshape(gb, (1, -1, 1, 1)), ctx.shape)


def _sum_nhw(g: Tensor, value=None) -> Tensor:
    return SumNHW.apply(g, value)


class Conv2d(Op):
    """y = conv2d(x, w) + b;  dy/dx = conv_transpose2d(g, w),  dy/dw = conv_weight(x, g),  dy/db = sum_nhw(g)"""

    @staticmethod
    def forward(ctx, x, w, b, geo):
        ctx.geo = geo
        need = ctx.needs_input_grad
        ctx.save_for_backward(x if need[1] else None, w if need[0] else None)
        K = kernels.for_array(x)
        if need[1] and hasattr(K, "conv2d_keep"):
            # the im2col columns, kept (when small enough) so the weight gradient need not redo them
            y, ctx.cols = K.conv2d_keep(x, w, b, geo.Ho, geo.Wo, geo.geom, geo.groups)
            return y
        return K.conv2d(x, w, b, geo.Ho, geo.Wo, geo.geom, geo.groups)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need, geo = ctx.needs_input_grad, ctx.geo
        cols = ctx.__dict__.get("cols")
        gx = gw = gb = None
        K = kernels.for_array(g._data)
        if hasattr(K, "conv2d_grads"):
            # the gradients from one kernel call, which shares work between them (cpu's Winograd
            # path transforms g once for all three); they are still recorded as the ops below,
            # given their values, so that they can be differentiated again
            gx, gw, gb = K.conv2d_grads(x._data if need[1] else None, g._data, w._data if need[0] else None,
                                        geo.H, geo.W, geo.geom, geo.groups, cols, bias=need[2])
        return (ConvTranspose2d.apply(g, w, None, geo, gx) if need[0] else None,
                ConvWeight.apply(x, g, geo, cols, gw) if need[1] else None,
                _sum_nhw(g, gb) if need[2] else None)


class ConvTranspose2d(Op):
    """z = conv_transpose2d(y, w) + b;  dz/dy = conv2d(g, w),  dz/dw = conv_weight(g, y),  dz/db = sum_nhw(g)"""

    @staticmethod
    def forward(ctx, y, w, b, geo, value=None):
        """``value``: the result, already computed (by Conv2d.backward)."""
        ctx.geo = geo
        need = ctx.needs_input_grad
        ctx.save_for_backward(y if need[1] else None, w if need[0] else None)
        if value is not None:
            return value
        z = kernels.for_array(y).conv2d_input_grad(y, w, geo.H, geo.W, geo.geom, geo.groups)
        if b is not None:
            z += b.reshape(1, -1, 1, 1)
        return z

    @staticmethod
    def backward(ctx, g):
        y, w = ctx.saved_tensors
        need, geo = ctx.needs_input_grad, ctx.geo
        return (Conv2d.apply(g, w, None, geo) if need[0] else None,
                ConvWeight.apply(g, y, geo) if need[1] else None,
                _sum_nhw(g) if need[2] else None)


class ConvWeight(Op):
    """u = conv_weight(x, y) (dB/dw);  du/dx = conv_transpose2d(y, g),  du/dy = conv2d(x, g)"""

    @staticmethod
    def forward(ctx, x, y, geo, cols=None, value=None):
        """``value``: the result, already computed (by Conv2d.backward)."""
        ctx.geo = geo
        need = ctx.needs_input_grad
        ctx.save_for_backward(x if need[1] else None, y if need[0] else None)
        if value is not None:
            return value
        K = kernels.for_array(x)
        if cols is not None:   # the forward's im2col columns (cpu only)
            return K.conv2d_weight_grad(x, y, geo.geom, geo.groups, cols=cols)
        return K.conv2d_weight_grad(x, y, geo.geom, geo.groups)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        need, geo = ctx.needs_input_grad, ctx.geo
        return (ConvTranspose2d.apply(y, g, None, geo) if need[0] else None,
                Conv2d.apply(x, g, None, geo) if need[1] else None)


class Unfold(Op):
    """cols = unfold(x) (im2col);  dcols/dx = fold(g)"""

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo = geo
        return kernels.for_array(x).unfold(x, geo.Ho, geo.Wo, geo.geom)

    @staticmethod
    def backward(ctx, g):
        return Fold.apply(g, ctx.geo)


class Fold(Op):
    """x = fold(cols) (col2im, overlaps summed);  dx/dcols = unfold(g)"""

    @staticmethod
    def forward(ctx, cols, geo):
        ctx.geo = geo
        kh, kw = geo.geom[:2]
        C = cols.shape[1] // (kh * kw)
        return kernels.for_array(cols).fold(cols, C, geo.H, geo.W, geo.Ho, geo.Wo, geo.geom)

    @staticmethod
    def backward(ctx, g):
        return Unfold.apply(g, ctx.geo)


# -- argument handling, as torch does it --------------------------------------------------------
def _tuple(value, n, name):
    """An int or a sequence of 1 or n ints as an n-tuple (torch's expand_param_if_needed)."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * n
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match "
                               f"the convolution dimensions, but got {name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


_C_NAMES = {"float32": "float", "float64": "double"}
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _dtype_check(input: Tensor, weight: Tensor, bias):
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found {_scalar_name(weight)}")
    if bias is not None and bias._data.dtype != input._data.dtype:
        a, b = input._data.dtype.name, bias._data.dtype.name
        raise RuntimeError(f"Input type ({_C_NAMES.get(a, a)}) and bias type ({_C_NAMES.get(b, b)}) should be the same")


def _scalar_name(t: Tensor) -> str:
    return _SCALAR_NAMES.get(t._data.dtype.name, t._data.dtype.name)


def _check_tensors(name, input, weight, bias):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{name}() expected Tensor arguments, got {type(input).__name__} and {type(weight).__name__}")
    check_same_device(input, weight, bias)
    _dtype_check(input, weight, bias)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _conv_params(name, xshape, wshape, stride, dilation, groups, nd):
    """Torch's checks shared by conv and conv_transpose; returns the stride and dilation tuples."""
    if len(xshape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {list(xshape)}")
    if len(wshape) < 3:
        raise RuntimeError("weight should have at least three dimensions")
    stride = _tuple(stride, len(wshape) - 2, "stride")
    dilation = _tuple(dilation, len(wshape) - 2, "dilation")
    if len(wshape) != nd + 2:
        raise RuntimeError(f"Expected {len(wshape)}-dimensional input for {len(wshape)}-dimensional weight "
                           f"{list(wshape)}, but got {len(xshape)}-dimensional input of size {list(xshape)} instead")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    return stride, dilation


def _same_padding(wshape, stride, dilation):
    """padding='same': total d*(k-1) per dim, the odd one out at the end (bottom/right)."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    ks = wshape[2:]
    before = tuple(d * (k - 1) // 2 for d, k in zip(dilation, ks))
    after = tuple(d * (k - 1) - b for d, k, b in zip(dilation, ks, before))
    return before, after


class _Plan(NamedTuple):
    """What a validated call runs: the geometry, and the 4-D views (None: already 4-D)."""
    geo: Geometry
    x4: tuple | None     # shape of the input as (N, C, H, W)
    w4: tuple | None     # shape of the weight as (O, C/g, kh, kw)
    out: tuple          # shape of the result, as the caller gets it


@functools.lru_cache(maxsize=1024)
def _conv_plan(name, xshape, wshape, bshape, stride, padding, dilation, groups, nd):
    """Checks and geometry of conv{nd}d, cached per shapes and arguments (errors are not cached)."""
    stride, dilation = _conv_params(name, xshape, wshape, stride, dilation, groups, nd)
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0,) * nd
        elif padding == "same":
            before, after = _same_padding(wshape, stride, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        before = after = _tuple(padding, nd, "padding")
        if any(p < 0 for p in before):
            raise RuntimeError("negative padding is not supported")
    batched = len(xshape) == nd + 2
    xs = xshape if batched else (1,) + xshape
    C, O = xs[1], wshape[0]
    if O % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(wshape)}] instead")
    if C != wshape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(wshape)}, expected input{list(xs)} to have "
                           f"{wshape[1] * groups} channels, but got {C} channels instead")
    if bshape is not None and (len(bshape) != 1 or bshape[0] != O):
        raise RuntimeError(f"Given weight of size {list(wshape)}, expected bias to be 1-dimensional with {O} "
                           f"elements, but got bias of size {list(bshape)} instead")
    spatial = xs[2:]
    padded = tuple(n + b + a for n, b, a in zip(spatial, before, after))
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, wshape[2:]))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                           f"size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size")
    out = tuple((p - e) // s + 1 for p, e, s in zip(padded, eff, stride))
    return _make_plan(xs, wshape, spatial, out, stride, before, dilation, groups, nd, batched, (xs[0], O) + out)


def _make_plan(xs, wshape, big, small, stride, before, dilation, groups, nd, batched, result_shape):
    """The plan for 4-D kernels: 1-D problems become height-1 2-D ones, unbatched ones a batch of 1.

    ``big`` is the conv input's (conv_transpose output's) spatial size, ``small`` the other's."""
    kernel = tuple(wshape[2:])
    if nd == 1:
        big, small, kernel = (1,) + tuple(big), (1,) + tuple(small), (1,) + kernel
        stride, before, dilation = (1,) + stride, (0,) + before, (1,) + dilation
    geom = tuple(int(v) for v in (kernel[0], kernel[1], stride[0], stride[1], before[0], before[1], dilation[0],
                                  dilation[1]))
    geo = Geometry(int(big[0]), int(big[1]), int(small[0]), int(small[1]), geom, int(groups))
    x4 = ((xs[0], xs[1], 1, xs[2]) if nd == 1 else tuple(xs)) if nd == 1 or not batched else None
    w4 = (wshape[0], wshape[1], 1, wshape[2]) if nd == 1 else None
    return _Plan(geo, x4, w4, result_shape if batched else result_shape[1:])


def _run(op, input, weight, bias, plan: _Plan):
    """Run Conv2d (input: the big side) or ConvTranspose2d (input: the small side) on 4-D views."""
    x4, w4 = input, weight
    if plan.x4 is not None or plan.w4 is not None:
        from .shape import reshape
        if plan.x4 is not None:
            x4 = reshape(input, plan.x4)
        if plan.w4 is not None:
            w4 = reshape(weight, plan.w4)
    dtype = input._data.dtype
    if dtype.kind != "f" or dtype == np.float16:
        return _run_cast(op, x4, w4, bias, plan.geo, plan.out, dtype)
    y = op.apply(x4, w4, bias, plan.geo)
    if plan.x4 is not None:
        from .shape import reshape
        y = reshape(y, plan.out)
    return y


def _run_cast(op, x4, w4, bias, geo, out_shape, dtype):
    """Integer and half inputs: computed in float64/float32 and cast back, as torch's CPU kernels give."""
    wide = np.float32 if dtype == np.float16 else np.float64
    xb, wb = x4._data.astype(wide), w4._data.astype(wide)
    bb = bias._data.astype(wide) if bias is not None else None
    y = op.forward(_NoCtx(), xb, wb, bb, geo).reshape(out_shape)
    if dtype.kind in "iu":
        y = np.rint(y)
    return Tensor._make(y.astype(dtype))


class _NoCtx:
    needs_input_grad = (False, False, False)

    def save_for_backward(self, *args):
        pass


def _conv_nd(name, input, weight, bias, stride, padding, dilation, groups, nd):
    _check_tensors(name, input, weight, bias)
    plan = _conv_plan(name, input._data.shape, weight._data.shape, None if bias is None else bias._data.shape,
                      _hashable(stride), _hashable(padding), _hashable(dilation), groups, nd)
    return _run(Conv2d, input, weight, bias, plan)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


@functools.lru_cache(maxsize=1024)
def _conv_transpose_plan(name, xshape, wshape, bshape, stride, padding, output_padding, groups, dilation, nd):
    stride, dilation = _conv_params(name, xshape, wshape, stride, dilation, groups, nd)
    padding = _tuple(padding, nd, "padding")
    output_padding = _tuple(output_padding, nd, "output_padding")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    batched = len(xshape) == nd + 2
    xs = xshape if batched else (1,) + xshape
    C = xs[1]
    if wshape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(wshape)} instead")
    if wshape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size {list(wshape)} instead")
    if C != wshape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(wshape)}, expected input{list(xs)} to have "
                           f"{wshape[0]} channels, but got {C} channels instead")
    O = wshape[1] * groups
    if bshape is not None and (len(bshape) != 1 or bshape[0] != O):
        raise RuntimeError(f"Given transposed=1, weight of size {list(wshape)}, expected bias to be 1-dimensional "
                           f"with {O} elements, but got bias of size {list(bshape)} instead")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            dims = ("height", "width")[-nd:]
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                               + " ".join(f"output_padding_{a}: {v}" for a, v in zip(dims, output_padding)) + " "
                               + " ".join(f"stride_{a}: {v}" for a, v in zip(dims, stride)) + " "
                               + " ".join(f"dilation_{a}: {v}" for a, v in zip(dims, dilation)))
    small = xs[2:]
    big = tuple((n - 1) * s - 2 * p + d * (k - 1) + op_ + 1
                for n, s, p, d, k, op_ in zip(small, stride, padding, dilation, wshape[2:], output_padding))
    if any(b <= 0 for b in big):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, small))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, big))}). Output size is too small")
    return _make_plan(xs, wshape, big, small, stride, padding, dilation, groups, nd, batched, (xs[0], O) + big)


def _conv_transpose_nd(name, input, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    _check_tensors(name, input, weight, bias)
    plan = _conv_transpose_plan(name, input._data.shape, weight._data.shape,
                                None if bias is None else bias._data.shape, _hashable(stride), _hashable(padding),
                                _hashable(output_padding), groups, _hashable(dilation), nd)
    return _run(ConvTranspose2d, input, weight, bias, plan)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose_nd("conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose_nd("conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 2)


# -- unfold / fold ------------------------------------------------------------------------------
def _pair(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise RuntimeError(f"{name} must be an int or a tuple of two ints, but got {tuple(value)}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _fold_args(kernel_size, dilation, padding, stride):
    k, d, p, s = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
                  _pair(stride, "stride"))
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} kernel_width: "
                           f"{k[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    if p[0] < 0 or p[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")
    return k, d, p, s


def _blocks(spatial, k, d, p, s):
    return tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(spatial, k, d, p, s))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """torch.nn.functional.unfold (im2col): (N, C, H, W) -> (N, C*kh*kw, L)."""
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if input.ndim not in (3, 4) or any(n == 0 for n in shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    batched = input.ndim == 4
    H, W = shape[-2:]
    Ho, Wo = _blocks((H, W), k, d, p, s)
    if Ho < 1 or Wo < 1:
        raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({Ho}, {Wo}), but its components must be at least one.")
    _float_only(input, "im2col")
    geo = Geometry(H, W, Ho, Wo, (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]), 1)
    if batched:
        return Unfold.apply(input, geo)
    from .shape import reshape
    out = Unfold.apply(reshape(input, (1,) + shape), geo)
    return reshape(out, tuple(out.shape[1:]))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """torch.nn.functional.fold (col2im): (N, C*kh*kw, L) -> (N, C, H, W), overlaps summed."""
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    H, W = _pair(output_size, "output_size")
    shape = tuple(input.shape)
    if input.ndim not in (2, 3) or any(n == 0 for n in shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    batched = input.ndim == 3
    CK, L = shape[-2:]
    if CK % (k[0] * k[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={CK} and kernel_size=({k[0]}, {k[1]}).")
    Ho, Wo = _blocks((H, W), k, d, p, s)
    if Ho < 1 or Wo < 1 or Ho * Wo != L:
        raise RuntimeError(f"Given output_size=({H}, {W}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
                           f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's dimension 2 "
                           f"to match the calculated number of sliding blocks {Ho} * {Wo} = {Ho * Wo}, but got "
                           f"input.size(2)={L}.")
    _float_only(input, "col2im")
    geo = Geometry(H, W, Ho, Wo, (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]), 1)
    if batched:
        return Fold.apply(input, geo)
    from .shape import reshape
    out = Fold.apply(reshape(input, (1,) + shape), geo)
    return reshape(out, tuple(out.shape[1:]))


def _float_only(input, kernel):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}_out_cpu" not implemented for \'{_scalar_name(input)}\'')
