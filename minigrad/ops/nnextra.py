"""More of torch.nn.functional: shrink activations, PReLU/RReLU, distances, the group/instance/
local-response/RMS norms, bilinear, pixel and channel shuffles, interpolation and grid sampling.

Most are compositions of minigrad ops (their backward is the chain rule through those ops, so
grad-of-grad works wherever it does for the parts); where torch records one node for the whole
computation, the output's node carries torch's name (``overload``). Ops with a kink or a random
draw (hardshrink, softshrink, prelu, rrelu) and the resampling ops are their own Ops with their
derivative beside the forward.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes, random as _random
from ..autograd import grad_mode
from ._args import float_only as _float_only, not_differentiable, require_tensor, autocast, rounds_once
from ._util import Op, SavesOperands, broadcast_shape, float_result, overload, Tensor, wrap_dim, xp
from .activation import _sigmoid_np, gradient_in_graph_of, in_graph_of, kink_scale, torch_type_name
from . import math as math_ops
from .nnfunc import Normalize, _batch_stats, fixed_rstd, pad

pad_fn = pad   # (constant_pad_nd's argument is named pad too)
from .shape import cat, reshape, permute

__all__ = ["hardshrink", "softshrink", "tanhshrink", "glu", "prelu", "rrelu", "rrelu_",
           "normalize", "cosine_similarity", "pairwise_distance", "pdist",
           "group_norm", "instance_norm", "local_response_norm", "rms_norm", "bilinear",
           "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
           "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample", "affine_grid"]


def _const(array) -> Tensor:
    return Tensor._make(array)


# -- shrink activations -----------------------------------------------------------------------
class Hardshrink(Op):
    """z = x if |x| > lambd else 0;  dz/dx = 0 if |x| <= lambd else 1 (also for NaN x)"""

    @staticmethod
    def forward(ctx, x, lambd):
        keep = ~((x >= -lambd) & (x <= lambd))   # (a NaN x is kept, as in torch's scalar backward kernel)
        ctx.keep = keep
        ctx.save_for_backward(x)
        return x * keep

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return kink_scale(g, ctx.keep, x)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    require_tensor(input, "hardshrink")
    _float_only(input, "hardshrink_cpu")
    return Hardshrink.apply(input, lambd)


class Softshrink(Op):
    """z = x - lambd (x > lambd), x + lambd (x < -lambd), 0 otherwise;  dz/dx = 0 if |x| <= lambd else 1 (also for NaN x)"""

    @staticmethod
    def forward(ctx, x, lambd):
        keep = ~((x >= -lambd) & (x <= lambd))   # (a NaN x is kept, as in torch's scalar backward kernel)
        ctx.keep = keep
        ctx.save_for_backward(x)
        shift = np.where(x > 0, x.dtype.type(lambd), x.dtype.type(-lambd))
        return ((x - shift) * keep).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return kink_scale(g, ctx.keep, x)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    require_tensor(input, "softshrink")
    _float_only(input, "softshrink_cpu")
    if lambd < 0:
        top = dtypes.finfo(input.dtype).max
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{torch_type_name(input._data)}, but found {lambd:g}")
    return Softshrink.apply(input, lambd)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x) (torch's definition, so its node is the subtraction's)."""
    return input - math_ops.tanh(input)


class Glu(Op):
    """z = a * sigmoid(b), a and b the halves of x along dim;  dz/da = sigmoid(b),  dz/db = a sigmoid(b) (1 - sigmoid(b))"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        ctx.save_for_backward(x)
        a, b = np.split(x, 2, axis=dim)
        return (a * _sigmoid_np(b)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        a, b = x.chunk(2, ctx.dim)
        gate = math_ops.sigmoid(b)
        return cat([g * gate, g * a * gate * (1 - gate)], ctx.dim)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, x.ndim)
    if x.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {x.shape[d]}")
    _float_only(input, "glu_cpu")
    return Glu.apply(input, d)


# -- PReLU and RReLU ----------------------------------------------------------------------------
class Prelu(Op):
    """z = x if x > 0 else w*x (w per channel);  dz/dx = 1 if x > 0 else w,  dz/dw = 0 if x > 0 else x"""

    node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        positive = x > 0
        ctx.positive = positive
        ctx.save_for_backward(x, w)
        return np.where(positive, x, w * x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        keep = _const(ctx.positive)
        gx = math_ops.where(keep, g, g * w) if ctx.needs_input_grad[0] else None
        gw = math_ops.where(keep, g * 0, g * x) if ctx.needs_input_grad[1] else None
        return gx, gw  # (the engine sums gw over the broadcast dims back to w's shape)


@autocast("lower")
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    x, w = input._data, weight._data
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.size != 1 and w.size != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{w.size} and channel size = {channels}.")
    if w.size == 1:
        weight = reshape(weight, ())
    else:  # one slope per channel (dim 1)
        weight = reshape(weight, (1, channels) + (1,) * (x.ndim - 2))
    return Prelu.apply(input, weight)


class RreluWithNoise(Op):
    """z = x * slope (slope 1 where x > 0, random or fixed below);  dz/dx = slope"""

    @staticmethod
    def forward(ctx, x, slopes):
        ctx.slopes = slopes
        ctx.save_for_backward(x)
        return x * slopes

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return kink_scale(g, ctx.slopes, x)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU. In training, each element x <= 0 (in memory order) draws its slope
    from U(lower, upper) with torch's generator (uniform_real_distribution<double>, so the same
    draws as ``uniform_`` of a float64 tensor, from bounds rounded to the input's compute type);
    in eval the slope is (lower + upper) / 2."""
    x = input._data
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _float_only(input, "rrelu_with_noise_out_cpu")
    if training:
        negative = ~(x > 0)
        # torch casts the bounds to the op's compute type first (float for float32), then draws doubles
        T = _opmath(x.dtype)
        draws = _random.fill_uniform(np.empty(int(negative.sum()), np.float64), float(T(lower)), float(T(upper)))
        slopes = np.ones(x.shape, x.dtype)
        slopes[negative] = draws.astype(x.dtype)
    else:
        slopes = np.where(x > 0, 1, (lower + upper) / 2).astype(x.dtype)
    out = RreluWithNoise.apply(input, xp(x).asarray(slopes))
    return input._inplace(out) if inplace else out


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


# -- distances ----------------------------------------------------------------------------------
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    result = input / denom
    if out is not None:
        return out.copy_(result)
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/||x1|| * x2/||x2||) along ``dim``. As torch does, each norm is clamped to eps
    without recording the clamp, so the gradient is that of the unclamped norm."""
    a, b = float_result(x1), float_result(x2)
    if a.shape != b.shape:
        shape = broadcast_shape(tuple(a.shape), tuple(b.shape))
        a, b = a.expand(shape), b.expand(shape)
    d = wrap_dim(dim, a.dim())
    n1, n2 = a.norm(2, d, keepdim=True), b.norm(2, d, keepdim=True)
    with grad_mode.no_grad():
        lift1 = n1.clamp(min=eps) - n1
        lift2 = n2.clamp(min=eps) - n2
    return ((a / (n1 + lift1)) * (b / (n2 + lift2))).sum(d)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (of the broadcast of the two)."""
    ndim = max(x1.dim(), x2.dim())
    return overload((x1 - x2 + eps).norm(p, ndim - 1, keepdim=keepdim), "NormBackward1")


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances between the rows of an (N, M) input, for the pairs i < j in row-major order."""
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    _float_only(input, "pdist")
    n = x.shape[0]
    i, j = np.triu_indices(n, 1)
    if i.size == 0:
        out = (input[:0, 0] * 0).reshape(0) if n else input.reshape(0)
    else:
        rows_i, rows_j = (input.index_select(0, _const(k.astype(np.int64))) for k in (i, j))
        from .reduce import VectorNorm
        if x.shape[1] == 0:   # rows of no elements are at distance 0, for every p (inf included)
            out = (rows_i - rows_j).sum(1)
        else:
            out = VectorNorm.apply(rows_i - rows_j, float(p), (1,), False, True)
    if out._requires_grad and grad_mode.state.grad_enabled:   # (torch's one node saves input and result)
        out = SavesOperands.apply_to(out, (input,), result=True)
    return overload(out, "PdistBackward0")


# -- norms ----------------------------------------------------------------------------------------
def _channel_view(param: Tensor, ndim: int) -> Tensor:
    """A per-channel (C,) parameter as (1, C, 1, ...) to broadcast over an (N, C, *) input."""
    return reshape(param, (1, param.shape[0]) + (1,) * (ndim - 2))


def _affine(out: Tensor, weight, bias, reads=()) -> Tensor:
    """out * weight + bias per channel; the gradients of weight and bias under create_graph in the graph of
    ``reads`` too (the tensors torch's one fused backward node reads)"""
    if weight is not None:
        out = out * _channel_view(gradient_in_graph_of(weight, *reads), out.dim())
    if bias is not None:
        out = out + _channel_view(gradient_in_graph_of(bias, *reads), out.dim())
    return out


@rounds_once("input", "weight", "bias")
def group_norm(input: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of C/G channels of each sample over its channels and spatial positions."""
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[0], x.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(x.shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.dim() != 1 or p.shape[0] != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(p.shape)} and input of shape {list(x.shape)}")
    _float_only(input, "GroupNormKernelImpl")
    grouped = reshape(input, (n, num_groups, -1)) if x.size else reshape(input, (n, num_groups, 0))
    g = grouped._data
    if g.size == 0:
        mean = rstd = xp(g).zeros((n, num_groups, 1), g.dtype)
    else:
        mean, _, rstd = _batch_stats(g, (2,), eps)
    out = reshape(Normalize.apply(grouped, (2,), mean, rstd, True, eps), x.shape)
    return overload(_affine(out, weight, bias), "NativeGroupNormBackward0")


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial positions. With ``use_input_stats``
    the running statistics (if given) move towards the batch's per-channel averages of the
    per-sample mean and unbiased variance; without it they are the statistics used."""
    x = input._data
    if x.ndim < 2:
        raise ValueError(f"Expected 2D or higher dimensional input (got {x.ndim}D input)")
    if use_input_stats:
        spatial = int(np.prod(x.shape[2:]))
        if spatial <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"minigrad.Size({list(x.shape)})")
    not_differentiable("native_batch_norm", running_mean=running_mean, running_var=running_var)  # (torch's runs one)
    c = x.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if p is not None and p._data.size != c:
            raise RuntimeError(f"{name} should contain {x.shape[0] * c} elements not {p._data.size * x.shape[0]}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    _float_only(input, "batch_norm")
    dims = tuple(range(2, x.ndim))
    if use_input_stats:
        mean, var, rstd = _batch_stats(x, dims, eps)
        count = x.size // max(x.shape[0] * c, 1)
        out = Normalize.apply(input, dims, mean, rstd, True, eps)
        if running_mean is None and running_var is None:
            return overload(_affine(out, weight, bias, (input, weight)), "ViewBackward0")
        # torch normalises with copies of weight and bias (weight.repeat(N)) and moves both running
        # statistics from their old values before writing either: the same tensor passed twice (weight
        # and running_mean, or running_mean and running_var) gives torch's numbers, and the weight it
        # affined with may be written afterwards without spoiling the backward
        result = _affine(out, None if weight is None else weight.clone(), None if bias is None else bias.clone(),
                         (input, weight))
        new_mean = new_var = None
        if running_mean is not None:
            rm = running_mean._data
            new_mean = (1 - momentum) * rm + momentum * mean.reshape(x.shape[:2]).mean(0)
        if running_var is not None:
            rv = running_var._data
            unbiased = var * (count / (count - 1))
            new_var = (1 - momentum) * rv + momentum * unbiased.reshape(x.shape[:2]).mean(0)
        for stat, new in ((running_mean, new_mean), (running_var, new_var)):
            if stat is not None:
                stat._data[...] = new
                stat._vc[0] += 1
        return overload(result, "ViewBackward0")
    else:
        stat_shape = (1, c) + (1,) * (x.ndim - 2)
        mean = running_mean._data.reshape(stat_shape).astype(x.dtype, copy=False)
        rstd, backward_rstd = fixed_rstd(running_var._data.reshape(stat_shape), eps, x.dtype)
        out = Normalize.apply(input, dims, mean, rstd, False, eps, (), backward_rstd)
    # (copies of weight and bias, as torch's weight.repeat(N): writing them afterwards is no version error)
    return overload(_affine(out, None if weight is None else weight.clone(), None if bias is None else bias.clone(),
                            (input, weight)), "ViewBackward0")


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over a window of ``size`` channels)^beta, the window centred
    (size // 2 before, (size - 1) // 2 after) and zero-padded at the ends, as torch's."""
    x = input._data
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {x.ndim} dimensions)")
    if x.size == 0:
        return input
    c = x.shape[1]
    sq = input * input
    padded = pad(sq.movedim(1, -1), (size // 2, (size - 1) // 2)).movedim(-1, 1)
    window = padded.narrow(1, 0, c)
    for shift in range(1, size):
        window = window + padded.narrow(1, shift, c)
    div = (window / size * alpha + k) ** beta
    return input / div


@rounds_once("input", "weight")   # torch: float32 inside, float32 epsilon
def rms_norm(input: Tensor, normalized_shape, weight=None, eps=None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) dims (eps: the dtype's epsilon
    by default), times weight."""
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(s) for s in normalized_shape)
    x = input._data
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in shape)}], but got input of size{list(x.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    _float_only(input, "rms_norm")
    if eps is None:
        eps = dtypes.finfo(input.dtype).eps
    dims = tuple(range(x.ndim - len(shape), x.ndim))
    out = input * math_ops.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias=None) -> Tensor:
    """z[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]."""
    a, b, w = input1._data, input2._data, weight._data
    if w.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {w.ndim}D")
    if a.ndim != b.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {a.ndim} and {b.ndim}")
    if a.shape[:-1] != b.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(a.shape[:-1])} and "
                           f"{list(b.shape[:-1])}")
    if a.shape[-1] != w.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {a.shape[-1]} but expected "
                           f"{w.shape[1]}")
    if b.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {b.shape[-1]} but expected "
                           f"{w.shape[2]}")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != w.shape[0]):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but expected "
                           f"{w.shape[0]}")
    from .linalg import einsum
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    if bias is not None:
        return out + bias
    return overload(out, "ViewBackward0")


# -- pixel and channel shuffles -------------------------------------------------------------------
def _fresh(out: Tensor, input: Tensor) -> Tensor:
    """``out`` as a tensor of its own: a reshape/permute chain that moves nothing (one group, a
    factor of 1) ends in a view of ``input``, where torch's shuffles always return new memory."""
    return out.clone() if np.shares_memory(out._data, input._data) else out


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): each channel block of r^2 becomes an r x r tile."""
    x = input._data
    r = int(upscale_factor)
    if x.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = x.shape[-3:]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    lead = x.shape[:-3]
    k = len(lead)
    split = reshape(input, lead + (c // (r * r), r, r, h, w))
    moved = permute(split, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return overload(_fresh(reshape(moved, lead + (c // (r * r), h * r, w * r)), input), "PixelShuffleBackward0")


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of pixel_shuffle."""
    x = input._data
    r = int(downscale_factor)
    if x.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = x.shape[-3:]
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{w} is not divisible by {r}")
    if x.size == 0:   # torch returns an empty input as it is (a copy), whatever its shape
        return overload(input.clone(), "PixelUnshuffleBackward0")
    lead = x.shape[:-3]
    k = len(lead)
    split = reshape(input, lead + (c, h // r, r, w // r, r))
    moved = permute(split, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return overload(_fresh(reshape(moved, lead + (c * r * r, h // r, w // r)), input), "PixelUnshuffleBackward0")


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g * k, *) -> (N, k * g, *): channel i*k + j moves to j*g + i."""
    x = input._data
    if x.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    c = x.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = x.shape[2:]
    split = reshape(input, (x.shape[0], groups, c // groups) + rest)
    moved = permute(split, (0, 2, 1) + tuple(range(3, 3 + len(rest))))
    return overload(_fresh(reshape(moved, x.shape), input), "ChannelShuffleBackward0")


native_channel_shuffle = channel_shuffle


# -- resampling along one axis: the shared mechanism of interpolate ----------------------------------
# Every interpolate mode is separable: along each spatial axis, output position o is a weighted
# sum of a few input positions, taps[o, k] with weights[o, k] (1 tap for nearest, 2 for linear,
# 4 for cubic, the window for area). Resampling an N-d input applies one axis after the other,
# the last axis first, which is the order of torch's CPU kernels (so the sums round alike).
class ResampleAxis(Op):
    """z[o] = sum_k w[o, k] x[taps[o, k]] along ``axis``;  dz/dx = the transpose: g[o] w[o, k] added into taps[o, k]"""

    @staticmethod
    def forward(ctx, x, axis, taps, weights, reads_input=False):
        """``reads_input``: the gradient lies in x's graph under create_graph (zeros its derivative), as
        torch's adaptive_avg_pool backward, which reads self, gives interpolate's area mode."""
        ctx.axis, ctx.taps, ctx.weights, ctx.size = axis, taps, weights, x.shape[axis]
        ctx.save_for_backward(x if reads_input else None)
        return _resample(x, axis, taps, weights)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return in_graph_of(ResampleAxisBackward.apply(g, ctx.axis, ctx.taps, ctx.weights, ctx.size), x, zeros=True)


class SameSizeBicubic(Op):
    """z = bicubic resampling to the same size (the taps' weights 0, 1, 0, 0);  dz/dx = g, as torch's backward
    copies the gradient for an unchanged size (its forward still reads the four taps: an inf gives NaN beside it)"""

    node_name = "UpsampleBicubic2DBackward0"

    @staticmethod
    def forward(ctx, x, axes):
        for axis, taps, weights in axes:
            x = _resample(x, axis, taps, weights)
        return x

    @staticmethod
    def backward(ctx, g):
        return g, None


def _resample(x, axis, taps, weights):
    """z[o] = sum_k w[o, k] x[taps[o, k]] along ``axis`` (ResampleAxis's forward, on arrays)."""
    moved = np.moveaxis(x, axis, 0)                                # (in, ...)
    picked = moved[taps]                                           # (out, K, ...)
    w = weights.reshape(weights.shape + (1,) * (moved.ndim - 1)).astype(x.dtype, copy=False)
    padded = taps.min() < 0 if taps.size else False   # (-1: a window's padding, which reads nothing)
    out = picked[:, 0] * w[:, 0]
    for k in range(1, taps.shape[1]):                              # left to right, as torch sums its taps
        term = picked[:, k] * w[:, k]
        if padded:   # (so that an inf elsewhere does not turn into NaN)
            term = xp(x).where((taps[:, k] >= 0).reshape((-1,) + (1,) * (moved.ndim - 1)), term, 0)
        out = out + term
    return xp(x).ascontiguousarray(np.moveaxis(out, 0, axis))


class ResampleAxisBackward(Op):
    """z[i] = sum over (o, k) with taps[o, k] = i of w[o, k] g[o] (the adjoint of ResampleAxis);  dz/dg = ResampleAxis"""

    @staticmethod
    def forward(ctx, g, axis, taps, weights, size):
        ctx.axis, ctx.taps, ctx.weights = axis, taps, weights
        moved = np.moveaxis(g, axis, 0)
        if type(g) is np.ndarray and not np.isfinite(g).all():
            # tap by tap, as torch's kernels add: an inf or NaN reaches only the taps of its output
            # (a dense product would spread it, times 0, to every input position)
            out = np.zeros((size,) + moved.shape[1:], g.dtype)
            w = weights.astype(g.dtype, copy=False).reshape(weights.shape + (1,) * (moved.ndim - 1))
            for k in range(taps.shape[1]):
                real = taps[:, k] >= 0   # (not a window's padding)
                np.add.at(out, taps[real, k], (moved * w[:, k])[real])
            return np.ascontiguousarray(np.moveaxis(out, 0, axis))
        matrix = np.zeros((size, taps.shape[0]), g.dtype)             # input position x output position
        np.add.at(matrix, (taps, np.broadcast_to(np.arange(taps.shape[0])[:, None], taps.shape)),
                  weights.astype(g.dtype, copy=False))
        out = (xp(g).asarray(matrix) @ moved.reshape(moved.shape[0], -1)).reshape((size,) + moved.shape[1:])
        return xp(g).ascontiguousarray(np.moveaxis(out, 0, axis))

    @staticmethod
    def backward(ctx, gg):
        return ResampleAxis.apply(gg, ctx.axis, ctx.taps, ctx.weights)


def _opmath(dtype):
    """The type torch computes the source coordinates in: float for float16/32, double for float64."""
    return np.float64 if dtype == np.float64 else np.float32


def _source_scale(in_size, out_size, align_corners, scale, T):
    """torch's area_pixel_compute_scale: the step between output positions in input coordinates."""
    if align_corners:
        return T(in_size - 1) / T(out_size - 1) if out_size > 1 else T(0)
    return T(1.0 / scale) if scale is not None and scale > 0 else T(in_size) / T(out_size)


def _source_index(scale, out_size, align_corners, cubic, T):
    """torch's area_pixel_compute_source_index for every output position."""
    dst = np.arange(out_size)
    if align_corners:
        return (scale * dst.astype(T)).astype(T)
    src = (scale * (dst + 0.5) - 0.5).astype(T)
    return src if cubic else np.maximum(src, T(0))


def _nearest_taps(in_size, out_size, scale, exact):
    """torch's nearest_idx / nearest_exact_idx: floor(o * s) or floor((o + 0.5) * s), s in float."""
    o = np.arange(out_size)
    if not exact and out_size == in_size:
        idx = o
    elif not exact and out_size == 2 * in_size:
        idx = o >> 1
    else:
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_size) / np.float32(out_size)
        src = (o + 0.5) * np.float64(s) if exact else o.astype(np.float32) * s
        idx = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), in_size - 1)
    return idx[:, None], np.ones((out_size, 1))


def _linear_taps(in_size, out_size, scale, align_corners, T):
    """Two taps: floor(src) and the next one (clamped), weights 1 - lambda and lambda; an axis that keeps
    its size reads each position twice, with weights 1 and 0 (torch's compute_source_index_and_lambda:
    an inf there gives NaN in place, not in its neighbour)."""
    if in_size == out_size:
        o = np.arange(out_size)
        return np.stack([o, o], 1), np.stack([np.ones(out_size, T), np.zeros(out_size, T)], 1)
    src = _source_index(_source_scale(in_size, out_size, align_corners, scale, T), out_size, align_corners, False, T)
    i0 = np.minimum(src.astype(np.int64), in_size - 1)
    i1 = i0 + (i0 < in_size - 1)
    lam = np.clip(src - i0.astype(T), T(0), T(1)).astype(T)
    return np.stack([i0, i1], 1), np.stack([(T(1) - lam).astype(T), lam], 1)


def _cubic_coefficients(t, T):
    """torch's get_cubic_upsample_coefficients (Keys' kernel with A = -0.75) at fraction t."""
    A = T(-0.75)

    def near(x):   # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return np.stack([far(t + T(1)), near(t), near(T(1) - t), far((T(1) - t) + T(1))], 1).astype(T)


def _cubic_taps(in_size, out_size, scale, align_corners, T):
    """Four taps floor(src) - 1 ... floor(src) + 2, clamped to the edges (torch's bounded access)."""
    src = _source_index(_source_scale(in_size, out_size, align_corners, scale, T), out_size, align_corners, True, T)
    base = np.floor(src)
    t = (src - base).astype(T)
    taps = np.clip(base.astype(np.int64)[:, None] + np.arange(-1, 3), 0, in_size - 1)
    return taps, _cubic_coefficients(t, T)


def _area_taps(in_size, out_size, T):
    """Adaptive average pooling's windows [floor(o n / m), ceil((o + 1) n / m)), padded with zero weights."""
    o = np.arange(out_size)
    start = (o * in_size) // out_size
    end = -((-(o + 1) * in_size) // out_size)
    width = int((end - start).max())
    inside = start[:, None] + np.arange(width) < end[:, None]
    taps = np.where(inside, start[:, None] + np.arange(width), -1)   # (-1: padding, read as nothing)
    weights = np.where(inside, 1.0 / (end - start)[:, None], 0.0).astype(T)
    return taps, weights


_INTERP_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_NODE_NAMES = {"nearest": "UpsampleNearest{d}DBackward0", "nearest-exact": "UpsampleNearestExact{d}DBackward0",
               "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
               "bicubic": "UpsampleBicubic2DBackward0", "trilinear": "UpsampleTrilinear3DBackward0",
               "area": "AdaptiveAvgPool{d}DBackward0"}


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims (all but N and C) by ``size`` or ``scale_factor``, with torch's
    source-index arithmetic per mode (see _nearest_taps, _linear_taps, _cubic_taps, _area_taps)."""
    require_tensor(input, "interpolate")
    x = input._data
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(x.shape[2:])} and output size of {size}. Please "
                                 f"provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 f"(o1, o2, ...,oK) format.")
            if not all(_is_int(s) for s in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            out_size = [int(s) for s in size]
        else:
            out_size = [int(size)] * dim
    elif scale_factor is not None:
        out_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(x.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 f"scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out_size = [int(math.floor(x.shape[i + 2] * scales[i])) for i in range(dim)]
        scales = None
    if antialias:
        if not (mode in ("bilinear", "bicubic") and x.ndim == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires "
                             "a 4-D tensor as input")
        raise NotImplementedError("interpolate: antialias=True is not supported by minigrad")
    if mode not in _NODE_NAMES or not 1 <= dim <= 3 or mode in _INTERP_DIMS and _INTERP_DIMS[mode] != dim:
        if mode in _INTERP_DIMS and 1 <= dim <= 3:
            raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {_INTERP_DIMS[mode] + 2}D input")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the "
                                  f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if out_size is None:   # the kernel's own output size: truncation of size * scale in double
        out_size = [int(x.shape[i + 2] * scales[i]) for i in range(dim)]
    in_size = list(x.shape[2:])
    if mode == "area":
        if any(s < 0 for s in out_size):
            raise RuntimeError(f"adaptive_avg_pool{dim}d(): output_size must be non-negative")
    elif not all(s > 0 for s in in_size + out_size):
        pairs = ", ".join(f"{c}: {s}" for c, s in zip("DHW"[3 - dim:], in_size))
        outs = ", ".join(f"{c}: {s}" for c, s in zip("DHW"[3 - dim:], out_size))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({pairs}) and output "
                           f"({outs})")
    if not (mode in ("nearest", "nearest-exact") and x.dtype == np.uint8):   # (nearest also resizes bytes)
        _float_only(input, f"upsample_{mode}{dim}d_out_frame" if mode != "area" else "adaptive_avg_pool2d")
    T = _opmath(x.dtype)
    out = input
    if mode == "bicubic" and tuple(in_size) == tuple(out_size) and x.size:
        # torch's bicubic backward copies the gradient when no side changes (its forward reads the taps)
        axes = [(axis + 2,) + _cubic_taps(in_size[axis], out_size[axis], None if scales is None else scales[axis],
                                          align_corners, T) for axis in reversed(range(dim))]
        return SameSizeBicubic.apply(input, axes)
    for axis in reversed(range(dim)):   # the last axis first (torch's innermost loop)
        n, m = in_size[axis], out_size[axis]
        scale = None if scales is None else scales[axis]
        if mode in ("nearest", "nearest-exact"):
            taps, weights = _nearest_taps(n, m, scale, mode == "nearest-exact")
        elif mode == "area":
            if m == 0 or n == 0:
                taps, weights = np.zeros((m, 1), np.int64), np.zeros((m, 1), T)
            else:
                taps, weights = _area_taps(n, m, T)
        elif mode == "bicubic":
            taps, weights = _cubic_taps(n, m, scale, align_corners, T)
        else:
            taps, weights = _linear_taps(n, m, scale, align_corners, T)
        if n == 0 or m == 0:   # an empty batch of windows: only the shape changes
            out = Tensor._make(xp(x).zeros(out.shape[:axis + 2] + (m,) + tuple(out.shape[axis + 3:]), x.dtype)) \
                if not out.requires_grad else out.narrow(axis + 2, 0, 0).expand(
                    tuple(out.shape[:axis + 2]) + (m,) + tuple(out.shape[axis + 3:])) * 0
            continue
        out = ResampleAxis.apply(out, axis + 2, taps, weights,
                                 mode == "area" and out is input and not all(s == 1 for s in out_size))
    if out is input:
        out = input.clone()
    if mode == "area" and dim == 1:
        return overload(out, "SqueezeBackward1")
    if mode == "area" and all(s == 1 for s in out_size):   # torch takes the mean for a 1 x 1 (x 1) output
        return overload(out, "MeanBackward1")
    return overload(out, _NODE_NAMES[mode].format(d=dim))


def _deprecated(name: str) -> None:
    import warnings
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
             recompute_scale_factor=None) -> Tensor:
    """Deprecated alias of interpolate."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(mode="nearest")."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(mode="bilinear", align_corners=True)."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- grid_sample and affine_grid ------------------------------------------------------------------
# grid_sample is written with minigrad ops: the source coordinates are differentiable functions of
# the grid (unnormalise, then clip or reflect), the taps' integer positions are constants, and
# each output is sum over taps of weight(coordinates) * input[tap]. So both gradients (input and
# grid) and their own gradients come from the chain rule, as torch's GridSampler backward has them.
_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDINGS = ("zeros", "border", "reflection")


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    """[-1, 1] to pixel coordinates: -1 and 1 are the corner pixels' centres (align_corners) or edges."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """torch's reflect_coordinates: fold coord into [low, high] by reflecting at both ends."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    distance = (coord - low).abs()
    flips = np.floor(distance._data / span)
    extra = math_ops.fmod(distance, span)
    even = _const((flips % 2) == 0)
    return math_ops.where(even, extra + low, span - extra + low)


def _pad_coordinate(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Border clips into [0, size - 1]; reflection reflects (about the edge centres or the edges) then clips."""
    if padding_mode == "border":
        return coord.clamp(0, size - 1)
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return coord.clamp(0, size - 1)
    return coord


def _pad_integer(index, size: int, padding_mode: str, align_corners: bool):
    """The padding rule applied to integer tap positions (bicubic reads its 4 x 4 taps this way)."""
    if padding_mode == "border":
        return np.clip(index, 0, size - 1)
    if padding_mode == "reflection":
        t = Tensor._make(index.astype(np.float64))
        folded = _reflect(t, 0, 2 * (size - 1)) if align_corners else _reflect(t, -1, 2 * size - 1)
        return np.clip(folded._data, 0, size - 1)
    return index


def _gather_taps(flat: Tensor, positions, sizes, weight: Tensor) -> Tensor:
    """weight * input at integer ``positions`` (one array per spatial dim, shape (N, *out)); taps
    outside the input contribute 0. ``flat`` is the input as (N, C, prod(sizes))."""
    positions = [np.asarray(p).astype(np.int64) for p in positions]
    inside = np.ones(positions[0].shape, bool)
    index = np.zeros(positions[0].shape, np.int64)
    for p, n in zip(positions, sizes):
        inside &= (p >= 0) & (p < n)
        index = index * n + np.clip(p, 0, n - 1)
    n, c = flat.shape[0], flat.shape[1]
    index = index.reshape(n, 1, -1)
    values = flat.gather(2, _const(np.ascontiguousarray(np.broadcast_to(index, (n, c, index.shape[2])))))
    # an outside tap is an exact +0 (not 0 times the clipped tap's value, which is -0 where that value is
    # negative): torch starts each sum from +0 and skips the outside taps, so an all-outside point reads +0
    values = math_ops.where(_const(xp(flat._data).asarray(inside.reshape(n, 1, -1))), values, 0.0)
    return values * reshape(weight, (n, 1, -1))


def _cubic_weights(t: Tensor):
    """Keys' cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 for fraction t."""
    A = -0.75

    def near(x):
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Sample ``input`` (N, C, H, W) or (N, C, D, H, W) at the grid's points (N, H', W', 2) or
    (N, D', H', W', 3), given as (x, y[, z]) in [-1, 1]."""
    if mode not in _GRID_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in _GRID_PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        import warnings
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=2)
        align_corners = False
    x, g = input._data, grid._data
    if x.dtype != g.dtype:
        raise RuntimeError(f"expected scalar type {torch_type_name(x)} but found {torch_type_name(g)}")
    if x.ndim not in (4, 5) or g.ndim != x.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got "
                           f"input with sizes {list(x.shape)} and grid with sizes {list(g.shape)}")
    k = x.ndim - 2
    if x.shape[0] != g.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(x.shape)} and grid with sizes {list(g.shape)}")
    if g.shape[-1] != k:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {k} in last dimension, but got grid with "
                           f"sizes {list(g.shape)}")
    if mode == "bicubic" and k != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    for d in range(2, x.ndim):
        if x.shape[d] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(x.shape)} with dimension {d} being empty")
    _float_only(input, "grid_sampler_2d_cpu" if k == 2 else "grid_sampler_3d_cpu")
    n, c = x.shape[:2]
    sizes = x.shape[2:]                       # (H, W) or (D, H, W)
    out_spatial = g.shape[1:-1]
    flat = reshape(input, (n, c, int(np.prod(sizes))))
    # grid's last dim lists x (width) first: coordinate i belongs to spatial dim k - 1 - i
    coords = [grid.select(-1, k - 1 - d) for d in range(k)]   # in the order of ``sizes``
    if mode == "bicubic":
        coords = [_unnormalize(cd, s, align_corners) for cd, s in zip(coords, sizes)]
        base = [np.floor(cd._data) for cd in coords]
        weights = [_cubic_weights(cd - _const(b)) for cd, b in zip(coords, base)]
        out = None
        for i in range(4):          # rows (y): tap base - 1 + i
            row = None
            for j in range(4):      # columns (x)
                py = _pad_integer(base[0] + (i - 1), sizes[0], padding_mode, align_corners)
                px = _pad_integer(base[1] + (j - 1), sizes[1], padding_mode, align_corners)
                term = _gather_taps(flat, (py, px), sizes, weights[1][j])
                row = term if row is None else row + term
            row = row * reshape(weights[0][i], (n, 1, -1))
            out = row if out is None else out + row
    else:
        coords = [_pad_coordinate(_unnormalize(cd, s, align_corners), s, padding_mode, align_corners)
                  for cd, s in zip(coords, sizes)]
        if mode == "nearest":
            nearest = [np.rint(cd._data) for cd in coords]   # round half to even, as nearbyint
            # weight 1, written as a function of the grid so that the grid gets its (zero) gradient, as in torch
            out = _gather_taps(flat, nearest, sizes, coords[0] * 0 + 1)
        else:  # (bi/tri)linear: the 2^k corners around each point, weights the opposite sub-volumes
            low = [np.floor(cd._data) for cd in coords]
            out = None
            for corner in np.ndindex(*(2,) * k):
                weight = None
                for cd, lo, up in zip(coords, low, corner):
                    w = cd - _const(lo) if up else _const(lo + 1) - cd
                    weight = w if weight is None else weight * w
                term = _gather_taps(flat, [lo + up for lo, up in zip(low, corner)], sizes, weight)
                out = term if out is None else out + term
    out = reshape(out, (n, c) + tuple(out_spatial))
    if out._requires_grad and grad_mode.state.grad_enabled:   # (torch's one node saves both operands)
        out = SavesOperands.apply_to(out, (input, grid))
    return overload(out, f"GridSampler{k}DBackward0")


def _linspace_from_neg_one(steps: int, align_corners: bool, dtype):
    """torch's linspace(-1, 1, steps) (both halves computed from their own end), shrunk by
    (steps - 1) / steps when the corners are not aligned; [0] for one step."""
    T = np.dtype(dtype).type
    if steps <= 1:
        return np.zeros(max(steps, 0), dtype) if steps == 0 else np.zeros(1, dtype)
    step = (T(1) - T(-1)) / T(steps - 1)
    i = np.arange(steps)
    values = np.where(i < steps // 2, T(-1) + step * i.astype(dtype), T(1) - step * (steps - 1 - i).astype(dtype))
    values = values.astype(dtype)
    if not align_corners:
        values = (values * T(steps - 1) / T(steps)).astype(dtype)
    return values


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine maps ``theta`` (N, 2, 3) or
    (N, 3, 4): each output point's normalised (x, y[, z], 1) times theta^T."""
    if align_corners is None:
        import warnings
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=2)
        align_corners = False
    t = theta._data
    if not dtypes.is_floating(t.dtype):
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) in (4, 5):
        k = len(size) - 2
        if t.ndim != 3 or t.shape[-2] != k or t.shape[-1] != k + 1:
            kind = "2D affine matrices of shape Nx2x3" if k == 2 else "3D affine matrices of shape Nx3x4"
            raise ValueError(f"Expected a batch of {kind} for size {size}. Got minigrad.Size({list(t.shape)}).")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        import warnings
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if t.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {k + 1}] "
                           f"but got: [{t.shape[0]}, {k + 1}].")
    # base grid: (x, y[, z], 1) at every output point, x varying along the last spatial dim
    axes = [_linspace_from_neg_one(s, align_corners, t.dtype) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")                 # in the order (D,) H, W
    base = np.stack([m for m in reversed(mesh)] + [np.ones(spatial, t.dtype)], -1).astype(t.dtype)
    base = _const(xp(t).asarray(base.reshape(1, -1, k + 1)))
    grid = base @ theta.transpose(1, 2)                       # (N, prod(spatial), k)
    return overload(reshape(grid, (size[0],) + spatial + (k,)), "AffineGridGeneratorBackward0")


# -- aten's names for the same ops (torch.grid_sampler_2d, torch.native_group_norm) -------------------
_INTERPOLATION_MODES = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_PADDING_MODES = {0: "zeros", 1: "border", 2: "reflection"}


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """grid_sample with aten's integer codes: interpolation 0 bilinear, 1 nearest, 2 bicubic;
    padding 0 zeros, 1 border, 2 reflection."""
    return grid_sample(input, grid, _INTERPOLATION_MODES[int(interpolation_mode)],
                       _PADDING_MODES[int(padding_mode)], bool(align_corners))


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    if input.dim() != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of dimensions, but got "
                           f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    if input.dim() != 5:
        raise RuntimeError(f"grid_sampler(): expected 5D input and grid with same number of dimensions, but got "
                           f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def native_group_norm(input: Tensor, weight, bias, N: int, C: int, HxW: int, group: int, eps: float):
    """aten's group norm: (output, mean, rstd), the statistics per sample and group, shape (N, group).
    All three are differentiable, as torch's are (the statistics as minigrad ops of the input)."""
    out = group_norm(input, group, weight, bias, eps)
    grouped = reshape(input, (N, group, -1)) if input._data.size else reshape(input, (N, group, 0))
    mean = grouped.mean(2, keepdim=True)
    centred = grouped - mean
    rstd = math_ops.rsqrt((centred * centred).mean(2) + eps)
    name = "NativeGroupNormBackward0"   # torch's one node for the three outputs
    mean = overload(reshape(mean, (N, group)), name)
    return overload(_saving_stats(out, (input, weight), mean, rstd), name), mean, overload(rstd, name)


def _saving_stats(out, operands, *stats):
    """``out``, when recorded, through a node that saves ``operands`` and the statistics outputs, as
    torch's native norm nodes save ``result1`` and ``result2``: writing one of them before backward
    is a version error."""
    if out._requires_grad and grad_mode.state.grad_enabled:
        return SavesOperands.apply_to(out, tuple(t for t in operands if t is not None) + stats)
    return out


def native_layer_norm(input: Tensor, normalized_shape, weight, bias, eps: float):
    """aten's layer norm: (output, mean, rstd), the statistics over the normalised dims kept as
    size-1 dims. As in torch, only the output is differentiable."""
    from .nnfunc import layer_norm
    shape = tuple(int(s) for s in normalized_shape)
    out = overload(layer_norm(input, shape, weight, bias, eps), "NativeLayerNormBackward0")
    x = input._data
    dims = tuple(range(x.ndim - len(shape), x.ndim))
    if x.size:
        mean, _, rstd = _batch_stats(x, dims, eps)
    else:
        mean, rstd = (xp(x).zeros(x.shape[:x.ndim - len(shape)] + (1,) * len(shape), x.dtype) for _ in range(2))
    mean, rstd = Tensor._make(mean), Tensor._make(rstd)
    out = _saving_stats(out, (input, weight, bias), mean, rstd)   # (torch's node saves all five)
    return overload(out, "NativeLayerNormBackward0"), mean, rstd


def native_batch_norm(input: Tensor, weight, bias, running_mean, running_var, training: bool, momentum: float,
                      eps: float):
    """aten's batch norm: (output, save_mean, save_invstd), the batch's per-channel mean and
    1/sqrt(var + eps) in training (empty in eval). Training updates the running statistics."""
    from .nnfunc import batch_norm
    x = input._data
    if training:
        dims = (0,) + tuple(range(2, x.ndim))
        mean, _, rstd = _batch_stats(x, dims, eps)
        save_mean, save_invstd = mean.reshape(-1), rstd.reshape(-1)
    else:
        save_mean, save_invstd = xp(x).zeros(0, x.dtype), xp(x).zeros(0, x.dtype)   # (two tensors: each version-checked)
    out = batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    save_mean, save_invstd = Tensor._make(save_mean), Tensor._make(save_invstd)
    out = _saving_stats(out, (input, weight), save_mean, save_invstd)   # (as torch's node, with the running stats)
    return overload(out, "NativeBatchNormBackward0"), save_mean, save_invstd


def constant_pad_nd(input: Tensor, pad, value=0) -> Tensor:
    """aten's constant padding: F.pad(input, pad, "constant", value)."""
    return pad_fn(input, pad, "constant", value)
