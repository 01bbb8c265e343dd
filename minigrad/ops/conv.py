"""Convolutions (nn.functional): conv1d/2d/3d, conv_transpose1d/2d/3d, unfold, fold.

Everything runs as 2-D NCHW (1-D is 2-D with a height of 1; 3-D is composed of the 2-D ops over
depth, see "3-d" below). The numbers come from
``minigrad.kernels`` (reference.py says what is computed, cpu.py how; interface.py lists the
functions every backend provides).

A convolution is the bilinear form B(x, w, y) = <conv2d(x, w), y>, and its three ops are that
form solved for each argument; each op's gradient is again one of the three, so derivatives of
any order exist:

    Conv2d(x, w)                    = conv2d(x, w)                                   the forward
    ConvTranspose2d(y, w)           : <x, ConvTranspose2d(y, w)> = B(x, w, y)            (gradient wrt x)
    ConvolutionBackwardWeight(x, y) : <w, ConvolutionBackwardWeight(x, y)> = B(x, w, y)  (gradient wrt w)

Conv2d's backward is one op, ConvolutionBackward (torch's name for the op computing all three
gradients), given them by one kernel call (``conv2d_grads``: cpu's Winograd path transforms g once
for all of them); its own backward is made of the three ops above. The ops that compute a
gradient carry torch's name for that computation (ConvolutionBackward, AvgPool2DBackward,
SoftmaxBackwardData...): their nodes are then named as torch's (``ConvolutionBackwardBackward0``).

``Geometry`` carries the sizes they share: conv's input (the "big" side, H x W), its output (the
"small" side, Ho x Wo), kernel, stride, top/left padding, dilation and groups. Each public
function sits under its op; the argument checks, exactly as torch words them, are at the end
(``_conv_plan``, ``_conv_transpose_plan``, ``_fold_plan``), cached per shapes and arguments.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import dtypes, kernels
from ..device import check_same_device
from ._args import cached_plan, float_only, int_tuple, autocast
from ._util import Op, Tensor
from .activation import in_graph_of

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold", "fold"]


class Geometry(NamedTuple):
    H: int          # big side: conv input, conv_transpose output
    W: int
    Ho: int         # small side: conv output, conv_transpose input
    Wo: int
    geom: tuple     # (kh, kw, sh, sw, ph, pw, dh, dw), see kernels/reference.py
    groups: int


class Conv2d(Op):
    """y = conv2d(x, w) + b;  dy/dx = conv_transpose2d(g, w),  dy/dw = conv_weight(x, g),  dy/db = sum_nhw(g)"""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geo, share=None):
        """``share``: a list to append what the kernel kept to, for a weight gradient over the same x
        that another op computes (ConvTranspose2d's backward), or None."""
        ctx.geo = geo
        need = ctx.needs_input_grad
        # both, as torch's node saves them (x also for the graph of create_graph gradients)
        ctx.save_for_backward(x, w)
        # kept: what the kernel hands to the weight gradient (cpu: the im2col columns), or None
        y, kept = kernels.for_array(x).conv2d_keep(x, w, b, geo.Ho, geo.Wo, geo.geom, geo.groups,
                                                   keep=need[1] or share is not None)
        ctx.kept = kept if need[1] else None
        if share is not None:
            share.append(kept)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        grads = ConvolutionBackward.apply(x if need[1] else None, g, w if need[0] else None, ctx.geo, need[2],
                                          ctx.kept)
        # torch's convolution_backward reads x and w: its gradients are in their graphs (create_graph)
        return tuple(in_graph_of(grad, x if not need[1] else None, w if not need[0] else None) for grad in grads)


@autocast("lower")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv2d: (N, C, H, W) or (C, H, W) input, (O, C/groups, kh, kw) weight."""
    _check_tensors("conv2d", input, weight, bias)
    plan = _conv_plan("conv2d", 2, input._data.shape, weight._data.shape, _shape(bias), stride, padding, dilation,
                      groups)
    if padding == "same":   # (an uneven split: torch pads a copy first, which its node then saves)
        input, padding = _pad_unevenly(input, 2, weight._data.shape[2:], dilation)
        plan = _conv_plan("conv2d", 2, input._data.shape, weight._data.shape, _shape(bias), stride, padding,
                          dilation, groups)
    return _run(Conv2d, input, weight, bias, plan)


def _pad_unevenly(input, nd, kernel, dilation):
    """(input, padding) for padding='same': where a dim's total d (k - 1) is odd, the one extra at its end is
    padded onto a copy first (torch's _convolution_mode: constant_pad_nd), the rest stays the conv's own."""
    before, after = _pads("same", int_tuple(dilation, nd, _conv_dims("dilation", nd)), kernel)
    if before == after:
        return input, "same"
    from .nnfunc import pad as _pad
    extra = []
    for b, a in zip(reversed(before), reversed(after)):   # (F.pad's order: the last dim first)
        extra += [0, a - b]
    return _pad(input, tuple(extra)), before


@autocast("lower")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv1d: conv2d over a height of 1."""
    _check_tensors("conv1d", input, weight, bias)
    plan = _conv_plan("conv1d", 1, input._data.shape, weight._data.shape, _shape(bias), stride, padding, dilation,
                      groups)
    if padding == "same":   # (as conv2d)
        input, padding = _pad_unevenly(input, 1, weight._data.shape[2:], dilation)
        plan = _conv_plan("conv1d", 1, input._data.shape, weight._data.shape, _shape(bias), stride, padding,
                          dilation, groups)
    return _run(Conv2d, input, weight, bias, plan)


class ConvolutionBackward(Op):
    """(gx, gw, gb) = Conv2d's three gradients from one kernel call;  d/dg = conv2d(ggx, w) + conv2d(x, ggw) + ggb broadcast,  d/dx = conv_transpose2d(g, ggw),  d/dw = conv_weight(ggx, g)"""

    @staticmethod
    def forward(ctx, x, g, w, geo, bias, kept):
        ctx.geo = geo
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x, g, w)
        return kernels.for_array(g).conv2d_grads(x, g, w, geo.H, geo.W, geo.geom, geo.groups, kept, bias=bias)

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        x, g, w = ctx.saved_tensors
        need, geo = ctx.needs_input_grad, ctx.geo
        dg = None
        if need[1]:
            terms = [Conv2d.apply(ggx, w, None, geo) if ggx is not None else None,
                     Conv2d.apply(x, ggw, None, geo) if ggw is not None else None,
                     _broadcast_nhw(ggb, g.shape) if ggb is not None else None]
            for t in terms:
                if t is not None:
                    dg = t if dg is None else dg + t
        return (ConvTranspose2d.apply(g, ggw, None, geo) if need[0] and ggw is not None else None,
                dg,
                ConvolutionBackwardWeight.apply(ggx, g, geo) if need[2] and ggx is not None else None)


class ConvTranspose2d(Op):
    """z = conv_transpose2d(y, w) + b;  dz/dy = conv2d(g, w),  dz/dw = conv_weight(g, y),  dz/db = sum_nhw(g)"""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, y, w, b, geo):
        ctx.geo = geo
        ctx.save_for_backward(y, w)   # both, as torch's node saves them
        z = kernels.for_array(y).conv2d_input_grad(y, w, geo.H, geo.W, geo.geom, geo.groups)
        if b is not None:
            z += b.reshape(1, -1, 1, 1)
        return z

    @staticmethod
    def backward(ctx, g):
        y, w = ctx.saved_tensors
        need, geo = ctx.needs_input_grad, ctx.geo
        # both gradients are convs over g: the first hands its kept columns to the second
        share = [] if need[0] and need[1] else None
        gy = Conv2d.apply(g, w, None, geo, share) if need[0] else None
        gw = ConvolutionBackwardWeight.apply(g, y, geo, share[0] if share else None) if need[1] else None
        gb = SumNHW.apply(g) if need[2] else None
        # torch's convolution_backward reads y and w: its gradients are in their graphs (create_graph)
        return tuple(in_graph_of(grad, y, w) for grad in (gy, gw, gb))


@autocast("lower")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose2d: the adjoint of conv2d in its input, (C_in, O/groups, kh, kw) weight."""
    plan = _conv_transpose_plan("conv_transpose2d", 2, *_checked_shapes("conv_transpose2d", input, weight, bias,
                                                                         padding), stride, padding, output_padding,
                                groups, dilation)
    return _run(ConvTranspose2d, input, weight, bias, plan)


@autocast("lower")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose1d: conv_transpose2d over a height of 1."""
    plan = _conv_transpose_plan("conv_transpose1d", 1, *_checked_shapes("conv_transpose1d", input, weight, bias,
                                                                         padding), stride, padding, output_padding,
                                groups, dilation)
    return _run(ConvTranspose2d, input, weight, bias, plan)


class ConvolutionBackwardWeight(Op):
    """u = conv_weight(x, y) (dB/dw);  du/dx = conv_transpose2d(y, g),  du/dy = conv2d(x, g)"""

    @staticmethod
    def forward(ctx, x, y, geo, kept=None):
        """``kept``: what a conv of this x kept for its weight gradient (Conv2d's ``share``), or None."""
        ctx.geo = geo
        need = ctx.needs_input_grad
        ctx.save_for_backward(x if need[1] else None, y if need[0] else None)
        if kept is None:
            return kernels.for_array(x).conv2d_weight_grad(x, y, geo.geom, geo.groups)
        return kernels.for_array(x).conv2d_weight_grad(x, y, geo.geom, geo.groups, kept)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        need, geo = ctx.needs_input_grad, ctx.geo
        return (ConvTranspose2d.apply(y, g, None, geo) if need[0] else None,
                Conv2d.apply(x, g, None, geo) if need[1] else None)


class SumNHW(Op):
    """b = sum of g over N, H, W (a conv's bias gradient);  db/dg = the incoming gradient broadcast over N, H, W"""

    @staticmethod
    def forward(ctx, g):
        ctx.shape = g.shape
        return g.sum(axis=(0, 2, 3))

    @staticmethod
    def backward(ctx, gb):
        return _broadcast_nhw(gb, ctx.shape)


def _broadcast_nhw(gb, shape):
    """A per-channel gradient (C,) broadcast to ``shape`` (N, C, H, W): SumNHW's adjoint."""
    from .shape import expand, reshape
    return expand(reshape(gb, (1, -1, 1, 1)), shape)


class Unfold(Op):
    """cols = unfold(x) (im2col);  dcols/dx = fold(g)"""

    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo = geo
        return kernels.for_array(x).unfold(x, geo.Ho, geo.Wo, geo.geom)

    @staticmethod
    def backward(ctx, g):
        return Fold.apply(g, ctx.geo)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """torch.nn.functional.unfold (im2col): (N, C, H, W) -> (N, C*kh*kw, L)."""
    shape = tuple(input.shape)
    geo = _fold_plan("unfold", shape, None, kernel_size, dilation, padding, stride)
    float_only(input, "im2col_out_cpu")
    return _batched(Unfold, input, geo, shape, 4)


class Fold(Op):
    """x = fold(cols) (col2im, overlaps summed);  dx/dcols = unfold(g)"""

    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, geo):
        ctx.geo = geo
        kh, kw = geo.geom[:2]
        C = cols.shape[1] // (kh * kw)
        return kernels.for_array(cols).fold(cols, C, geo.H, geo.W, geo.Ho, geo.Wo, geo.geom)

    @staticmethod
    def backward(ctx, g):
        return Unfold.apply(g, ctx.geo)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """torch.nn.functional.fold (col2im): (N, C*kh*kw, L) -> (N, C, H, W), overlaps summed."""
    shape = tuple(input.shape)
    geo = _fold_plan("fold", shape, output_size, kernel_size, dilation, padding, stride)
    float_only(input, "col2im_out_cpu")
    return _batched(Fold, input, geo, shape, 3)


# -- 3-d: depth taken apart around the 2-d ops ----------------------------------------------------
# conv3d is conv2d over (depth window x channels): each output depth d reads the kD input planes
# d*s + k*dil, which become kD times the channels of one conv2d (grouped channel-major, so groups
# still see their own channels). conv_transpose3d is its adjoint: conv_transpose2d spreads each input
# plane into kD output planes, and fold sums the overlapping planes along depth. Gradients of any
# order come from the 2-d ops, the gather and fold.
@autocast("lower")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv3d: (N, C, D, H, W) or (C, D, H, W) input, (O, C/groups, kd, kh, kw) weight."""
    from .nnfunc import pad as _pad
    from .shape import permute, reshape
    _check_tensors("conv3d", input, weight, bias)
    xshape, wshape = input._data.shape, weight._data.shape
    out = _conv_plan("conv3d", 3, xshape, wshape, _shape(bias), stride, padding, dilation, groups).out
    if not dtypes.is_floating(input._data.dtype):
        return _wide(conv3d, input, weight, bias, stride, padding, dilation, groups)
    stride = int_tuple(stride, 3, _conv_dims("stride", 3))
    dilation = int_tuple(dilation, 3, _conv_dims("dilation", 3))
    before, after = _pads(padding, dilation, wshape[2:])
    x = input if input.ndim == 5 else input.unsqueeze(0)
    if any(before) or any(after):
        x = _pad(x, tuple(v for b, a in zip(before[::-1], after[::-1]) for v in (b, a)))
    n, c = x.shape[:2]
    o, cg, kd = wshape[:3]
    do = out[-3]
    depth = (np.arange(do)[:, None] * stride[0] + np.arange(kd)[None, :] * dilation[0]).astype(np.int64)
    planes = x[:, :, Tensor._make(depth)]                              # (N, C, Do, kD, H, W)
    hp, wp = planes.shape[-2:]
    planes = reshape(planes, (n, groups, cg, do, kd, hp, wp))
    planes = reshape(permute(planes, (0, 3, 1, 4, 2, 5, 6)), (n * do, groups * kd * cg, hp, wp))
    w2 = reshape(permute(weight, (0, 2, 1, 3, 4)), (o, kd * cg) + tuple(wshape[3:]))
    y = conv2d(planes, w2, None, stride[1:], 0, dilation[1:], groups)    # (N*Do, O, Ho, Wo)
    y = permute(reshape(y, (n, do) + tuple(y.shape[1:])), (0, 2, 1, 3, 4))
    if bias is not None:
        y = AddBias.apply(y, bias, input, weight)
    y = y.contiguous()  # torch's conv3d returns a contiguous tensor (a later .view() relies on it)
    return y if input.ndim == 5 else y.squeeze(0)


@autocast("lower")
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose3d: the adjoint of conv3d in its input, (C_in, O/groups, kd, kh, kw) weight."""
    from .nnfunc import pad as _pad
    from .shape import permute, reshape
    xshape, wshape, bshape, dtype = _checked_shapes("conv_transpose3d", input, weight, bias, padding)
    out = _conv_transpose_plan("conv_transpose3d", 3, xshape, wshape, bshape, dtype, stride, padding, output_padding,
                               groups, dilation).out
    if dtype.kind != "f":
        return _wide(conv_transpose3d, input, weight, bias, stride, padding, output_padding, groups, dilation)
    stride, padding, output_padding, dilation = (int_tuple(v, 3, _conv_dims(name, 3)) for v, name in (
        (stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))
    x = input if input.ndim == 5 else input.unsqueeze(0)
    n, cin, di = x.shape[:3]
    og, kd = wshape[1], wshape[2]
    x2 = reshape(permute(x, (0, 2, 1, 3, 4)), (n * di, cin) + tuple(x.shape[3:]))
    w2 = reshape(permute(weight, (0, 2, 1, 3, 4)), (cin, kd * og) + tuple(wshape[3:]))
    z = conv_transpose2d(x2, w2, None, stride[1:], padding[1:], output_padding[1:], groups, dilation[1:])
    ho, wo = z.shape[-2:]
    # (N*Di, g*kD*Og, Ho, Wo) -> fold's (N, (g, Og, Ho, Wo, kD), Di): the kD planes of each input plane
    z = permute(reshape(z, (n, di, groups, kd, og, ho, wo)), (0, 2, 4, 5, 6, 3, 1))
    z = reshape(z, (n, groups * og * ho * wo * kd, di))
    # every plane summed into the uncropped depth, then torch's window of it: `padding` planes dropped at the
    # front, and zero planes appended where the output padding reaches past the end
    full = (di - 1) * stride[0] + dilation[0] * (kd - 1) + 1
    z = fold(z, (full, 1), (kd, 1), (dilation[0], 1), 0, (stride[0], 1))
    depth, start = out[-3], padding[0]
    stop = min(full, start + depth)
    z = permute(reshape(z[:, :, start:stop], (n, groups * og, ho, wo, stop - start)), (0, 1, 4, 2, 3))
    if stop - start < depth:
        z = _pad(z, (0, 0, 0, 0, 0, depth - (stop - start)))
    if bias is not None:
        z = AddBias.apply(z, bias, input, weight)
    z = z.contiguous()  # torch's conv_transpose3d returns a contiguous tensor (a later .view() relies on it)
    return z if input.ndim == 5 else z.squeeze(0)


class AddBias(Op):
    """z = y + b, b per channel (dim 1);  dz/dy = g,  dz/db = g summed over all dims but 1, in the graph of
    ``reads`` too (the input and weight that torch's one fused convolution_backward reads)"""

    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, y, b, *reads):
        ctx.save_for_backward(*reads)
        return y + b.reshape((1, -1) + (1,) * (y.ndim - 2))

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gb = g.sum(tuple(d for d in range(g.ndim) if d != 1)) if need[1] else None
        return (g if need[0] else None, in_graph_of(gb, *ctx.saved_tensors)) + (None,) * (len(need) - 2)


def _pads(padding, dilation, kernel):
    """(before, after) padding per spatial dim of a conv: numbers, 'valid' or 'same' (the odd one out after)."""
    nd = len(kernel)
    if padding == "valid":
        return (0,) * nd, (0,) * nd
    if padding == "same":
        before = tuple(d * (k - 1) // 2 for d, k in zip(dilation, kernel))
        return before, tuple(d * (k - 1) - b for d, k, b in zip(dilation, kernel, before))
    before = int_tuple(padding, nd, _conv_dims("padding", nd))
    return before, before


def _wide(fn, input, weight, bias, *args):
    """Integer inputs: computed in float64 and cast back, as torch's CPU kernels give."""
    wide = [None if t is None else Tensor._make(t._data.astype(np.float64)) for t in (input, weight, bias)]
    return Tensor._make(fn(*wide, *args)._data.astype(input._data.dtype))


# -- argument handling, as torch does it --------------------------------------------------------
def _conv_dims(name, n):
    """The error for a stride/padding/dilation of the wrong length (torch's expand_param_if_needed)."""
    return lambda value: (f"expected {name} to be a single integer value or a list of {n} values to match the "
                          f"convolution dimensions, but got {name}={list(value)}")


def _shape(t):
    return None if t is None else t._data.shape


def _check_tensors(name, input, weight, bias):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{name}() expected Tensor arguments, got {type(input).__name__} and {type(weight).__name__}")
    check_same_device(input, weight, bias)
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.scalar_name(input._data.dtype)} but found "
                           f"{dtypes.scalar_name(weight._data.dtype)}")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({dtypes.c_name(input._data.dtype)}) and bias type "
                           f"({dtypes.c_name(bias._data.dtype)}) should be the same")


def _checked_shapes(name, input, weight, bias, padding):
    """conv_transpose's checks before planning; (input shape, weight shape, bias shape, dtype)."""
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    _check_tensors(name, input, weight, bias)
    return input._data.shape, weight._data.shape, _shape(bias), input._data.dtype


class _Plan(NamedTuple):
    """What a validated call runs: the geometry, and the 4-D views (None: already 4-D)."""
    geo: Geometry
    x4: tuple | None     # shape of the input as (N, C, H, W)
    w4: tuple | None     # shape of the weight as (O, C/g, kh, kw)
    out: tuple          # shape of the result, as the caller gets it


def _common_checks(name, nd, xshape, wshape, stride, dilation, groups):
    """Torch's checks shared by conv and conv_transpose; returns the stride and dilation tuples."""
    if len(xshape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {list(xshape)}")
    if len(wshape) < 3:
        raise RuntimeError("weight should have at least three dimensions")
    stride = int_tuple(stride, len(wshape) - 2, _conv_dims("stride", len(wshape) - 2))
    dilation = int_tuple(dilation, len(wshape) - 2, _conv_dims("dilation", len(wshape) - 2))
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


@cached_plan
def _conv_plan(name, nd, xshape, wshape, bshape, stride, padding, dilation, groups):
    """Checks and geometry of conv{nd}d."""
    stride, dilation = _common_checks(name, nd, xshape, wshape, stride, dilation, groups)
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0,) * nd
        elif padding == "same":   # total d*(k-1) per dim, the odd one out at the end (bottom/right)
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            before = tuple(d * (k - 1) // 2 for d, k in zip(dilation, wshape[2:]))
            after = tuple(d * (k - 1) - b for d, k, b in zip(dilation, wshape[2:], before))
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        before = after = int_tuple(padding, nd, _conv_dims("padding", nd))
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
    return _geometry(xs, wshape, spatial, out, stride, before, dilation, groups, nd, batched, (xs[0], O) + out)


@cached_plan
def _conv_transpose_plan(name, nd, xshape, wshape, bshape, dtype, stride, padding, output_padding, groups, dilation):
    """Checks and geometry of conv_transpose{nd}d."""
    stride, dilation = _common_checks(name, nd, xshape, wshape, stride, dilation, groups)
    padding = int_tuple(padding, nd, _conv_dims("padding", nd))
    output_padding = int_tuple(output_padding, nd, _conv_dims("output_padding", nd))
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
    # An output size of 0 gives an empty result where torch 2.13's CPU kernels give one: for an
    # empty input, and on the grouped float32 path (oneDNN); its other kernels raise.
    empty_ok = 0 in xs or (groups > 1 and dtype == np.float32)
    if any(b < 0 for b in big) or (any(b == 0 for b in big) and not empty_ok):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, small))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, big))}). Output size is too small")
    return _geometry(xs, wshape, big, small, stride, padding, dilation, groups, nd, batched, (xs[0], O) + big)


def _geometry(xs, wshape, big, small, stride, before, dilation, groups, nd, batched, result_shape):
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


# -- unfold / fold ------------------------------------------------------------------------------
def _two_ints(name):
    return lambda value: f"{name} must be an int or a tuple of two ints, but got {tuple(value)}"


@cached_plan
def _fold_plan(fn, shape, output_size, kernel_size, dilation, padding, stride):
    """Checks and geometry of unfold (output_size None) and fold."""
    k, d, p, s = (int_tuple(v, 2, _two_ints(name), single=False) for v, name in
                  ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
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
    if fn == "unfold":
        if len(shape) not in (3, 4) or any(n == 0 for n in shape[-3:]):
            raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                               f"dimensions for input, but got: {list(shape)}")
        H, W = shape[-2:]
        Ho, Wo = _blocks((H, W), k, d, p, s)
        if Ho < 1 or Wo < 1:
            raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size=({k[0]}, {k[1]}), "
                               f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array "
                               f"of sliding blocks as ({Ho}, {Wo}), but its components must be at least one.")
    else:
        H, W = int_tuple(output_size, 2, _two_ints("output_size"), single=False)
        if len(shape) not in (2, 3) or any(n == 0 for n in shape[-2:]):
            raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                               f"non-zero dimensions for input, but got: {list(shape)}")
        CK, L = shape[-2:]
        if CK % (k[0] * k[1]):
            raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                               f"but got input.size(1)={CK} and kernel_size=({k[0]}, {k[1]}).")
        Ho, Wo = _blocks((H, W), k, d, p, s)
        if Ho < 1 or Wo < 1 or Ho * Wo != L:
            raise RuntimeError(f"Given output_size=({H}, {W}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, "
                               f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's "
                               f"dimension 2 to match the calculated number of sliding blocks {Ho} * {Wo} = "
                               f"{Ho * Wo}, but got input.size(2)={L}.")
    return Geometry(H, W, Ho, Wo, (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]), 1)


def _blocks(spatial, k, d, p, s):
    return tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(spatial, k, d, p, s))


def _batched(op, input, geo, shape, batched_ndim):
    """Apply unfold/fold's op to a batched input, or to an unbatched one as a batch of 1."""
    if len(shape) == batched_ndim:
        return op.apply(input, geo)
    from .shape import reshape
    out = op.apply(reshape(input, (1,) + shape), geo)
    return reshape(out, tuple(out.shape[1:]))
