"""Pooling (nn.functional): max/avg pooling in 1-D, 2-D and 3-D and their adaptive forms, max_unpool,
lp_pool and fractional max pooling.

The 1-D and 2-D pools run on Numba kernels (below); the 3-D, unpooling and fractional pools on
flat "taps" in NumPy (the section "pools over taps").

Every pool is a 2-D NCHW kernel over windows given per axis (see kernels/reference.py); the
public functions only work out those windows exactly as torch does (output sizes, ceil_mode,
padding, dilation) and check the arguments (the plans at the end, cached per shape and
arguments).

Gradients, each a differentiable op, so second derivatives work:

    max pool:  y = x[argmax]          dy/dx = scatter g to the argmax (MaxPool2DWithIndicesBackward)
               the scatter's gradient: gather at the argmax (MaxPoolDoubleBackward)
    avg pool:  y = A x (A linear)     dy/dx = A^T g (AvgPool2DBackward)
               A^T's gradient: A gg, the avg pool again

(torch's names for these computations: aten's max_pool2d_with_indices_backward and
avg_pool2d_backward, and max_pool_double_backward.)

As in torch, the first gradient also depends on x, with a derivative of zero: differentiated
again with respect to x, it gives zeros (not an error).

Ties: torch's CPU kernels scan each window row by row and take a value if it is greater than
the best so far or is NaN, so the FIRST of equal maxima wins and the LAST NaN wins; the
gradient goes to that one element only (docs/parity.md, "Conv and pooling"; reference.max_pool2d is
the definition, and tests/test_conv_pool.py holds torch to it).
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .. import dtypes, kernels
from ._args import cached_plan, float_only, int_tuple, not_differentiable, require_tensor
from ._util import Op, overload, Tensor, xp
from .activation import in_graph_of, torch_type_name

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "max_pool3d", "max_pool3d_with_indices",
           "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices",
           "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d",
           "fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]


class MaxWindows(NamedTuple):
    """Rows range(hs[oh], he[oh], hstep), columns likewise: the valid taps of each window."""
    hs: np.ndarray
    he: np.ndarray
    hstep: int
    ws: np.ndarray
    we: np.ndarray
    wstep: int


class AvgWindows(NamedTuple):
    """Rows hs[oh]:he[oh], columns ws[ow]:we[ow], and the divisor of each output."""
    hs: np.ndarray
    he: np.ndarray
    ws: np.ndarray
    we: np.ndarray
    divisor: np.ndarray


class _Pool(NamedTuple):
    """A planned pool: its windows, and the 4-D view of the input (None: already 4-D) with the
    leading dims to restore."""
    x4: tuple | None
    lead: tuple | None
    nd: int
    win: MaxWindows | AvgWindows


class MaxPool2d(Op):
    """y = max of each window;  dy/dx = g scattered to each window's argmax"""

    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, win, return_indices):
        y, idx = kernels.for_array(x).max_pool2d(x, *win)
        ctx.idx, ctx.x_meta = idx, (x.shape, x.dtype)
        # unused by backward, but saved as torch's node saves self and the indices output: editing
        # either before backward is a version error
        if return_indices:
            indices = idx.astype(np.int64)
            ctx.save_for_backward(x, indices)
            return y, indices
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g, *_):
        ctx.saved_tensors   # the version check of the saved input
        x = _place_of_input(ctx, 0)
        return MaxPool2DWithIndicesBackward.apply(g, x, ctx.idx, ctx.x_meta[0][2:])


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    require_tensor(input, "max_pool2d")
    plan = _max_plan("max_pool2d", 2, input._data.shape, kernel_size, stride, padding, dilation, bool(ceil_mode))
    return _apply_max(input, plan, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    require_tensor(input, "max_pool1d")
    plan = _max_plan("max_pool1d", 1, input._data.shape, kernel_size, stride, padding, dilation, bool(ceil_mode))
    return _apply_max(input, plan, return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _apply_max(input, _adaptive("adaptive_max_pool2d", 2, input, output_size), return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _apply_max(input, _adaptive("adaptive_max_pool1d", 1, input, output_size), return_indices)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


class MaxPool2DWithIndicesBackward(Op):
    """z = g added at the argmax positions;  dz/dg = gather at the argmax"""

    @staticmethod
    def forward(ctx, g, x, idx, hw):
        """``x``: the pooled input's place in the graph (_place_of_input), or None: z depends on it
        with a derivative of zero, as torch's max_pool2d_with_indices_backward does."""
        ctx.idx, ctx.hw = idx, hw
        return kernels.for_array(g).max_pool2d_scatter(g, idx, *hw)

    @staticmethod
    def backward(ctx, gg):
        need = ctx.needs_input_grad
        return MaxPoolDoubleBackward.apply(gg, ctx.idx) if need[0] else None, _zeros_like(gg) if need[1] else None


class MaxPoolDoubleBackward(Op):
    """z = x read at the argmax positions;  dz/dx = scatter to the argmax"""

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.hw = idx, x.shape[2:]
        return kernels.for_array(x).max_pool2d_gather(x, idx)

    @staticmethod
    def backward(ctx, g):
        return MaxPool2DWithIndicesBackward.apply(g, None, ctx.idx, ctx.hw)


class AvgPool2d(Op):
    """y = sum of each window / divisor;  dy/dx = g / divisor spread over each window"""

    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, win):
        ctx.win, ctx.x_meta = win, (x.shape, x.dtype)
        ctx.save_for_backward(x)   # (only for the version check: torch's node saves its input)
        return kernels.for_array(x).avg_pool2d(x, *win)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # (the version check)
        x = _place_of_input(ctx, 0)
        return AvgPool2DBackward.apply(g, x, ctx.win, ctx.x_meta[0][2:])


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    require_tensor(input, "avg_pool2d")
    plan = _avg_plan("avg_pool2d", 2, input._data.shape, kernel_size, stride, padding, bool(ceil_mode),
                     bool(count_include_pad), divisor_override)
    return _apply_avg(input, plan)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    require_tensor(input, "avg_pool1d")
    plan = _avg_plan("avg_pool1d", 1, input._data.shape, kernel_size, stride, padding, bool(ceil_mode),
                     bool(count_include_pad), None)
    return _apply_avg(input, plan)


def adaptive_avg_pool2d(input, output_size):
    plan = _adaptive("adaptive_avg_pool2d", 2, input, output_size)
    if _global_avg(plan):   # torch takes the mean for a global pool (its node: MeanBackward1)
        return input.mean((-2, -1), keepdim=True)
    return _apply_avg(input, plan)


def adaptive_avg_pool1d(input, output_size):
    plan = _adaptive("adaptive_avg_pool1d", 1, input, output_size)
    if _global_avg(plan):   # torch's: adaptive_avg_pool2d of the input unsqueezed, so the mean too
        return input.unsqueeze(-2).mean((-2, -1), keepdim=True).squeeze(-2)
    return _apply_avg(input, plan)


def _global_avg(plan) -> bool:
    """An adaptive average pool to one element per plane."""
    return len(plan.win.hs) == 1 and len(plan.win.ws) == 1


class AvgPool2DBackward(Op):
    """z = g / divisor spread over each window (avg pool's adjoint);  dz/dg = avg_pool(gg)"""

    @staticmethod
    def forward(ctx, g, x, win, hw):
        """``x``: the pooled input's place in the graph, with a derivative of zero (as MaxPool2DWithIndicesBackward's)."""
        ctx.win = win
        return kernels.for_array(g).avg_pool2d_transpose(g, hw[0], hw[1], *win)

    @staticmethod
    def backward(ctx, gg):
        need = ctx.needs_input_grad
        return AvgPool2d.apply(gg, ctx.win) if need[0] else None, _zeros_like(gg) if need[1] else None


def _place_of_input(ctx, i):
    """A tensor that stands for forward's input ``i`` in the graph (the same edge: its grad_fn,
    or its leaf's accumulator) with its shape and dtype but none of its memory, or None when
    that input needs no gradient. The pools' gradient ops take it as the input they depend on
    with a derivative of zero: keeping the input itself alive until the backward would hold
    the conv output before each pool in memory for nothing (about 2% of a seed CNN step)."""
    node, nr = ctx.next_functions[i] if ctx.next_functions else (None, 0)
    if node is None:
        return None
    shape, dtype = ctx.x_meta
    nothing = np.ndarray(shape, dtype, np.zeros(1, dtype), 0, (0,) * len(shape))   # one zero, every index
    return Tensor._make(nothing, True, node, nr)


def _zeros_like(t):
    """Zeros of t's shape, dtype and device: the gradient of an input that only places its op in
    the graph (the pooled input of MaxPool2DWithIndicesBackward and AvgPool2DBackward, which have its shape)."""
    return Tensor._make(xp(t._data).zeros_like(t._data))


def _apply_max(input, plan: _Pool, return_indices):
    x4 = _to4d(input, plan.x4)
    if _widen(x4):
        dtype = x4._data.dtype
        y, idx = kernels.for_array(x4._data).max_pool2d(x4._data.astype(np.float64), *plan.win)
        outs = (Tensor._make(y.astype(dtype)), Tensor._make(idx.astype(np.int64)))
    else:
        outs = MaxPool2d.apply(x4, plan.win, return_indices)
        if not return_indices:
            return _restore(outs, plan)
    outs = tuple(_restore(o, plan) for o in outs)
    return outs if return_indices else outs[0]


def _apply_avg(input, plan: _Pool):
    x4 = _to4d(input, plan.x4)
    win = plan.win
    if _widen(x4):
        # torch divides integer sums with C's truncating integer division
        dtype = x4._data.dtype
        K = kernels.for_array(x4._data)
        sums = K.avg_pool2d(x4._data.astype(np.float64), *win[:4], np.ones_like(win.divisor))
        y = Tensor._make(np.trunc(sums / xp(sums).asarray(win.divisor)).astype(dtype))
    else:
        y = AvgPool2d.apply(x4, win)
    return _restore(y, plan)


def _widen(x):
    """Integer inputs pool in float64 (exact below 2**53) and are cast back."""
    return not dtypes.is_floating(x._data.dtype)


def _to4d(input, x4):
    if x4 is None:
        return input
    from .shape import reshape
    return reshape(input, x4)


def _restore(y, plan: _Pool):
    if plan.lead is None:
        return y
    from .shape import reshape
    return reshape(y, plan.lead + tuple(y.shape[4 - plan.nd:]))


# -- pools over taps: 3-d pools, max_unpool, fractional max pooling --------------------------------
# These work on the flattened spatial dims of each (batch, channel) row. A window is a list of taps
# (flat positions in the row) with a mask for the taps outside the input (padding, windows shorter
# than the kernel). A max pool chooses one tap per output (the index torch returns) and reads it
# with GatherFlat, whose gradient scatters to it (ScatterFlat), and whose gradient gathers again;
# max_unpool is the same pair the other way round. An average pool is a fixed linear map,
# WindowSum (the valid taps summed, divided by the divisor), with its transpose as its gradient.
class GatherFlat(Op):
    """z = x[row, idx] (x's spatial dims flattened);  dz/dx = g added at idx (ScatterFlat)"""

    @staticmethod
    def forward(ctx, x, idx, nd, node_name, grad_name, save_input=False):
        ctx.node_name = node_name
        ctx.idx, ctx.spatial, ctx.grad_name = idx, x.shape[x.ndim - nd:], grad_name
        if save_input:   # a max pool's: unused by backward, but torch's node saves self and the indices
            ctx.save_for_backward(x, idx)   # (a Tensor argument where they are returned), so editing them is a version error
        rows = _as_rows(x, nd)
        flat = _as_rows(idx, nd)
        return rows[np.arange(rows.shape[0])[:, None], flat].reshape(idx.shape)

    @staticmethod
    def backward(ctx, g):
        saved = ctx.saved_tensors   # (also the version check of a saved input)
        return ScatterFlat.apply(g, ctx.idx, ctx.spatial, ctx.grad_name, ctx.node_name, False,
                                 saved[0] if saved else None)


class ScatterFlat(Op):
    """z = zeros of the given spatial size with g added (or, ``overwrite``, written) at idx;  dz/dg = GatherFlat at idx,
    dz/dx = 0

    ``x``: a max pool's input, or None: z depends on it with a derivative of zero, as torch's
    max_pool3d_with_indices_backward, adaptive_max_pool*_backward and fractional_max_pool*_backward
    take self (a gradient taken with create_graph requires grad)."""

    @staticmethod
    def forward(ctx, g, idx, spatial, node_name, grad_name, overwrite, x=None):
        ctx.node_name = node_name
        ctx.idx, ctx.nd, ctx.grad_name = idx, len(spatial), grad_name
        ctx.save_for_backward(idx)   # (max_unpool's indices tensor, saved by torch's node: its version is checked)
        lead = idx.shape[:idx.ndim - len(spatial)]
        return _scatter_rows(g.reshape(-1), idx, lead, spatial, overwrite)

    @staticmethod
    def backward(ctx, gg):
        ctx.saved_tensors   # the version check of the saved indices
        need = ctx.needs_input_grad
        gather = GatherFlat.apply(gg, ctx.idx, ctx.nd, ctx.grad_name, ctx.node_name) if need[0] else None
        if len(need) < 7:   # (max_unpool's forward: no x)
            return gather, None, None, None, None, None
        return gather, None, None, None, None, None, _zeros_like(gg) if need[6] else None


def _as_rows(a, nd):
    """a as (rows, positions): its leading dims flattened, and its last nd (empty batches included)."""
    return a.reshape(int(np.prod(a.shape[:a.ndim - nd])), int(np.prod(a.shape[a.ndim - nd:])))


def _scatter_rows(values, idx, lead, spatial, overwrite=False):
    """zeros(lead + spatial) with ``values`` (as many as idx) added (or written) at the flat positions idx
    of each row (idx: lead + anything)."""
    size, nrows = int(np.prod(spatial)), int(np.prod(lead))
    offsets = (idx.reshape(nrows, idx.size // nrows if nrows else 0) + (np.arange(nrows) * size)[:, None]).reshape(-1)
    if overwrite:   # torch's max_unpool writes: the last of repeated indices wins
        out = np.zeros(nrows * size, values.dtype)
        out[offsets] = values
    elif offsets.size:
        out = np.bincount(offsets, weights=values, minlength=nrows * size).astype(values.dtype, copy=False)
    else:
        out = np.zeros(nrows * size, values.dtype)
    return out.reshape(tuple(lead) + tuple(spatial))


class WindowSum(Op):
    """y[o] = sum of x over the valid taps of window o / divisor[o] (an average pool);  dy/dx = its transpose"""

    @staticmethod
    def forward(ctx, x, win, nd, node_name, grad_name):
        taps, valid, divisor, out_spatial = win
        ctx.node_name = node_name
        ctx.win, ctx.spatial, ctx.grad_name = win, x.shape[x.ndim - nd:], grad_name
        lead = x.shape[:x.ndim - nd]
        ctx.save_for_backward(x)   # as torch's avg_pool3d node saves self
        vals = _as_rows(x, nd)[:, taps]
        sums = np.where(valid, vals, 0).sum(-1)
        return (sums / divisor.astype(x.dtype)).astype(x.dtype, copy=False).reshape(lead + out_spatial)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        # in x's graph under create_graph, with zeros as its derivative: torch's avg_pool3d_backward reads self
        return in_graph_of(WindowSumTranspose.apply(g, ctx.win, ctx.spatial, ctx.grad_name, ctx.node_name), x,
                           zeros=True)


class WindowSumTranspose(Op):
    """x[taps[o, t]] += g[o] / divisor[o] over the valid taps (an average pool's gradient);  d/dg = WindowSum"""

    @staticmethod
    def forward(ctx, g, win, spatial, node_name, grad_name):
        taps, valid, divisor, out_spatial = win
        ctx.node_name = node_name
        ctx.win, ctx.nd, ctx.grad_name = win, len(spatial), grad_name
        lead = g.shape[:g.ndim - len(out_spatial)]
        share = _as_rows(g, len(out_spatial)) / divisor.astype(g.dtype)
        contrib = np.where(valid, share[:, :, None], 0).astype(g.dtype, copy=False)
        idx = np.broadcast_to(taps, contrib.shape)
        return _scatter_rows(contrib.reshape(-1), idx, lead, spatial)

    @staticmethod
    def backward(ctx, gg):
        return WindowSum.apply(gg, ctx.win, ctx.nd, ctx.grad_name, ctx.node_name)


def _choose_taps(x, taps, valid, nd):
    """Per row and output, the tap of the window's maximum: the first of equal maxima, the last NaN, and the
    window's first valid tap where every value is -inf, as torch's CPU loops (taps: (O, K) or (R, O, K))."""
    rows = _as_rows(x, nd)
    if taps.ndim == 2:
        vals = rows[:, taps]
    else:
        vals = rows[np.arange(rows.shape[0])[:, None, None], taps]
    valid = np.broadcast_to(valid, vals.shape)
    low = -np.inf if vals.dtype.kind == "f" else np.iinfo(vals.dtype).min
    masked = np.where(valid, vals, low)
    best = masked.argmax(-1)
    if vals.dtype.kind == "f":
        nan = np.isnan(vals) & valid
        if nan.any():
            last_nan = nan.shape[-1] - 1 - nan[..., ::-1].argmax(-1)
            best = np.where(nan.any(-1), last_nan, best)
    chosen_valid = np.take_along_axis(valid, best[..., None], -1)[..., 0]
    best = np.where(chosen_valid, best, valid.argmax(-1))
    return np.take_along_axis(np.broadcast_to(taps, vals.shape), best[..., None], -1)[..., 0]


def _combine(axes, spatial):
    """Per-axis (positions (o, k), valid (o, k)) as flat taps (O, K) and their mask over the whole window."""
    nd = len(axes)
    strides = [int(np.prod(spatial[a + 1:])) for a in range(nd)]
    flat, valid = 0, True
    for a, (pos, ok) in enumerate(axes):
        shape = [1] * (2 * nd)
        shape[a], shape[nd + a] = pos.shape
        flat = flat + np.clip(pos, 0, spatial[a] - 1).reshape(shape) * strides[a]
        valid = valid & ok.reshape(shape)
    out = tuple(pos.shape[0] for pos, _ in axes)
    flat = np.broadcast_to(flat, np.broadcast_shapes(np.shape(flat), np.shape(valid)))
    k = int(np.prod([pos.shape[1] for pos, _ in axes]))
    o = int(np.prod(out))
    return (np.ascontiguousarray(flat).reshape(o, k).astype(np.int64),
            np.broadcast_to(valid, flat.shape).reshape(o, k), out)


def _lead_and_spatial(input, nd):
    shape = input._data.shape
    return shape[:len(shape) - nd], shape[len(shape) - nd:]


def _max_over_taps(input, taps, valid, out, nd, node_name, grad_name, return_indices):
    """The max pool over given windows: its values (differentiable) and torch's int64 indices."""
    lead, _ = _lead_and_spatial(input, nd)
    x = input._data
    idx = _choose_taps(x, taps, valid, nd).reshape(lead + tuple(out)).astype(np.int64)
    if not dtypes.is_floating(x.dtype):
        y = Tensor._make(_as_rows(x, nd)[np.arange(int(np.prod(lead)))[:, None], _as_rows(idx, nd)].reshape(idx.shape))
    else:
        # the returned indices go in as a tensor, so that GatherFlat's node saves them as torch's does
        idx = Tensor._make(idx) if return_indices else idx
        y = GatherFlat.apply(input, idx, nd, node_name, grad_name, True)
    return (y, idx if isinstance(idx, Tensor) else Tensor._make(idx)) if return_indices else y


# 3-d max and average pooling
def _check_5d(fn, shape):
    if len(shape) not in (4, 5) or any(n == 0 for n in shape[-4:]):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")


def _triple_args(fn, kernel_size, stride, padding, dilation, kernel_words):
    three = lambda name, words: (lambda v: f"{fn}: {name} must {words}, or a tuple of three ints")
    k = int_tuple(kernel_size, 3, three("kernel_size", kernel_words))
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        s = k
    else:
        s = int_tuple(stride, 3, three("stride", "either be omitted, a single int"))
    p = int_tuple(padding, 3, three("padding", kernel_words))
    d = int_tuple(dilation, 3, three("dilation", kernel_words))
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {p[0] if len(set(p)) == 1 else list(p)}")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} kH: {k[1]} kW: {k[2]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} dilationH: {d[1]} "
                           f"dilationW: {d[2]}")
    return k, s, p, d


def _out_check3(shape, out):
    if any(o < 1 for o in out):
        c, t, h, w = shape[-4:]
        raise RuntimeError(f"Given input size: ({c}x{t}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")


@cached_plan
def _max3d_plan(shape, kernel_size, stride, padding, dilation, ceil_mode):
    _check_5d("max_pool3d", shape)
    k, s, p, d = _triple_args("max_pool3d", kernel_size, stride, padding, dilation, "either be a single int")
    if any(pp > kk // 2 for kk, pp in zip(k, p)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {k[0]} kW: "
                           f"{k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}")
    spatial = shape[-3:]
    out = tuple(_out_size(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(spatial, k, s, p, d))
    _out_check3(shape, out)
    axes = []
    for n, kk, ss, pp, dd, o in zip(spatial, k, s, p, d, out):
        pos = np.arange(o)[:, None] * ss - pp + np.arange(kk)[None, :] * dd
        axes.append((pos, (pos >= 0) & (pos < n)))
    return _frozen(*_combine(axes, spatial)[:2]) + (out,)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """torch.nn.functional.max_pool3d over (N, C, D, H, W) or (C, D, H, W)."""
    require_tensor(input, "max_pool3d")
    taps, valid, out = _max3d_plan(input._data.shape, kernel_size, stride, padding, dilation, bool(ceil_mode))
    return _max_over_taps(input, taps, valid, out, 3, "MaxPool3DWithIndicesBackward0", "MaxPool3DWithIndicesBackward",
                          return_indices)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@cached_plan
def _avg3d_plan(shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    _check_5d("avg_pool3d", shape)
    k, s, p, _ = _triple_args("avg_pool3d", kernel_size, stride, padding, 1, "be a single int")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    spatial = shape[-3:]
    if any(n < kk for n, kk in zip(spatial, k)):   # (padding or not, unlike the 2-d pools)
        raise RuntimeError(f"input image (T: {spatial[0]} H: {spatial[1]} W: {spatial[2]}) smaller than kernel size "
                           f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    out = tuple(_out_size(n, kk, ss, pp, 1, ceil_mode) for n, kk, ss, pp in zip(spatial, k, s, p))
    _out_check3(shape, out)
    axes, divisors = [], []
    for n, kk, ss, pp, o in zip(spatial, k, s, p, out):
        start, end, div = _avg_axis(n, kk, ss, pp, o, count_include_pad)
        pos = start[:, None] + np.arange(kk)[None, :]
        axes.append((pos, pos < end[:, None]))
        divisors.append(div)
    taps, valid, out = _combine(axes, spatial)
    divisor = np.multiply.outer(np.multiply.outer(divisors[0], divisors[1]), divisors[2]).reshape(-1)
    if divisor_override is not None:
        divisor = np.full_like(divisor, divisor_override)
    return _frozen(taps, valid, divisor) + (out,)


def _avg_over_taps(input, win, nd, node_name, grad_name):
    x = input._data
    if not dtypes.is_floating(x.dtype):   # torch divides integer sums with C's truncating integer division
        taps, valid, divisor, out = win
        lead = x.shape[:x.ndim - nd]
        sums = np.where(valid, _as_rows(x, nd)[:, taps], 0).sum(-1)
        return Tensor._make(np.trunc(sums / divisor).astype(x.dtype).reshape(lead + out))
    return WindowSum.apply(input, win, nd, node_name, grad_name)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """torch.nn.functional.avg_pool3d over (N, C, D, H, W) or (C, D, H, W)."""
    require_tensor(input, "avg_pool3d")
    win = _avg3d_plan(input._data.shape, kernel_size, stride, padding, bool(ceil_mode), bool(count_include_pad),
                      divisor_override)
    return _avg_over_taps(input, win, 3, "AvgPool3DBackward0", "AvgPool3DBackward")


@cached_plan
def _adaptive3d_plan(fn, shape, output_size):
    if len(shape) not in (4, 5):
        raise RuntimeError(f"{fn}(): Expected 4D or 5D tensor, but got{': ' if 'max' in fn else ' '}{list(shape)}")
    for i in range(len(shape) - 3, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {i} being empty")
    spatial = shape[-3:]
    if isinstance(output_size, tuple):
        if len(output_size) != 3:
            raise RuntimeError(f"{fn}: output_size must be 3")
        size = tuple(n if o is None else int(o) for n, o in zip(spatial, output_size))
    else:
        size = (int(output_size),) * 3
    axes, divisors = [], []
    for n, o in zip(spatial, size):
        start, end = _adaptive_axis(n, o)
        k = int((end - start).max()) if o else 1
        pos = start[:, None] + np.arange(k)[None, :]
        axes.append((pos, pos < end[:, None]))
        divisors.append(end - start)
    taps, valid, out = _combine(axes, spatial)
    divisor = np.multiply.outer(np.multiply.outer(divisors[0], divisors[1]), divisors[2]).reshape(-1)
    return _frozen(taps, valid, divisor) + (out,)


def adaptive_avg_pool3d(input, output_size):
    require_tensor(input, "adaptive_avg_pool3d")
    win = _adaptive3d_plan("adaptive_avg_pool3d", input._data.shape, output_size)
    float_only(input, "adaptive_avg_pool3d_cpu")
    if win[3] == (1, 1, 1):   # torch takes the mean for a global pool (its node: MeanBackward1)
        return input.mean((-3, -2, -1), keepdim=True)
    return _avg_over_taps(input, win, 3, "AdaptiveAvgPool3DBackward0", "AdaptiveAvgPool3DBackward")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    require_tensor(input, "adaptive_max_pool3d")
    taps, valid, _, out = _adaptive3d_plan("adaptive_max_pool3d", input._data.shape, output_size)
    float_only(input, "adaptive_max_pool3d_cpu")
    return _max_over_taps(input, taps, valid, out, 3, "AdaptiveMaxPool3DBackward0", "AdaptiveMaxPool3DBackward",
                          return_indices)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


# max_unpool: the values written back at their indices
def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch's _unpool_output_size: (n - 1) s + k - 2p per dim, or output_size within a stride of it."""
    nd = len(kernel_size)
    default = [(input.shape[input.ndim - nd + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(nd)]
    if output_size is None:
        size = default
    else:
        output_size = list(output_size)
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(nd):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not (low < output_size[d] < high):
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
        size = output_size
    for d in range(nd):
        if size[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={size[d]}")
    return [int(v) for v in size]


def _max_unpool(fn, nd, input, indices, kernel_size, stride, padding, output_size):
    require_tensor(input, fn)
    k = int_tuple(kernel_size, nd, lambda v: f"{fn}: kernel_size must be {nd} ints")
    s = k if stride is None else int_tuple(stride, nd, lambda v: f"{fn}: stride must be {nd} ints")
    p = int_tuple(padding, nd, lambda v: f"{fn}: padding must be {nd} ints")
    size = _unpool_output_size(input, k, s, p, output_size)
    if nd == 1:   # as torch: max_unpool2d over a trailing width of 1
        return _unpool_write("max_unpool2d", 2, input.unsqueeze(-1), indices.unsqueeze(-1), size + [1]).squeeze(-1)
    return _unpool_write(fn, nd, input, indices, size)


def _unpool_write(fn, nd, input, indices, size):
    x, idx = input._data, indices._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {torch_type_name(idx)}")
    if x.shape != idx.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(x.shape)}) but "
                           f"got indices tensor with shape: {list(idx.shape)}")
    if x.ndim not in (nd + 1, nd + 2) or any(n == 0 for n in x.shape[1:]):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a tensor "
                           f"with {x.ndim} dimensions.")
    total = int(np.prod(size))
    if idx.size and (idx.min() < 0 or idx.max() >= total):
        bad = int(idx.reshape(-1)[np.argmax(((idx < 0) | (idx >= total)).reshape(-1))])
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(str(v) for v in size)}" + ")")
    name = "MaxUnpool3DBackward0" if nd == 3 else "MaxUnpool2DBackward0"
    if not dtypes.is_floating(x.dtype):
        lead = x.shape[:x.ndim - nd]
        return Tensor._make(_scatter_rows(x.reshape(-1), idx, lead, tuple(size), True))
    return ScatterFlat.apply(input, indices, tuple(size), name, "MaxUnpoolBackward", True)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d: each value written at its index, zeros elsewhere."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: each value written at its index, zeros elsewhere."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d: each value written at its index, zeros elsewhere."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


# power-average pooling, composed as torch composes it
def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    from . import math as math_ops
    from .activation import relu
    if nd == 1 and not isinstance(kernel_size, int):   # torch's lp_pool1d multiplies by kernel_size itself
        raise TypeError(f"mul(): argument 'other' (position 1) must be Tensor, not {type(kernel_size).__name__}")
    k = int_tuple(kernel_size, nd, lambda v: f"lp_pool{nd}d: kernel_size must be {nd} ints")
    max_pool, avg_pool = {1: (max_pool1d, avg_pool1d), 2: (max_pool2d, avg_pool2d), 3: (max_pool3d, avg_pool3d)}[nd]
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (math_ops.sign(out) * relu(out.abs())).mul(int(np.prod(k))).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p): avg_pool of x^p times the window size, to the 1/p."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p): avg_pool of x^p times the window size, to the 1/p."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p): avg_pool of x^p times the window size, to the 1/p."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


# fractional max pooling: pseudo-random window starts, one sample per (batch, channel) and axis
def _intervals(sample, n, o, k, dtype):
    """torch's generate_intervals: the window starts along one axis, for each row's sample (R,) -> (R, o)."""
    seq = np.empty(sample.shape + (o,), np.int64)
    if o > 1:
        alpha = dtype.type(n - k) / dtype.type(o - 1)
        i = np.arange(o - 1, dtype=dtype)
        seq[..., :-1] = ((i + sample[..., None]) * alpha).astype(np.int64) - (sample[..., None] * alpha).astype(
            np.int64)
    seq[..., -1] = n - k
    return seq


def _fractional(nd, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    fn = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    x = input._data
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:   # (torch's 2-d form takes a sequence only: len() of a float fails)
            raise ValueError(f"{fn} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        if len(ratio) == 1:
            ratio = ratio * nd
        output_size = [int(input.shape[input.ndim - nd + a] * ratio[a]) for a in range(nd)]
    not_differentiable(fn, random_samples=_random_samples)   # (torch's autograd layer: before the kernel's checks)
    k = int_tuple(kernel_size, nd, lambda v: f"{fn}: kernel_size must either be a single int, or a tuple of "
                                             f"{'two' if nd == 2 else 'three'} ints")
    out = int_tuple(output_size, nd, lambda v: f"{fn}: output_size must either be a single int, or a tuple of "
                                               f"{'two' if nd == 2 else 'three'} ints")
    if x.ndim not in (nd + 1, nd + 2) or any(n == 0 for n in x.shape[1:]):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(x.shape)}")
    spatial = x.shape[x.ndim - nd:]
    names = ("time", "height", "width")[3 - nd:]
    for a in range(nd):
        # (torch's 3-d check is strict: the windows may not reach the last element)
        if out[a] + k[a] - 1 > spatial[a] - (nd == 3):
            raise RuntimeError(f"{fn}{'_out' if nd == 3 else ''}(): pool {names[a]} {k[a]} too large relative to input "
                               f"{names[a]} {spatial[a]}")
    batch = 1 if x.ndim == nd + 1 else x.shape[0]
    channels = x.shape[x.ndim - nd - 1]
    if _random_samples is None:   # torch.rand(batch, channels, nd) from the torch-compatible generator
        from ..creation import rand
        samples = rand(batch, channels, nd, dtype=input.dtype)._data
    else:
        samples = _random_samples._data
    samples = samples.astype(x.dtype, copy=False).reshape(-1, nd)
    # 2-d: sample 0 moves the columns, sample 1 the rows (torch's order); 3-d: T, H, W in order
    order = (1, 0) if nd == 2 else (0, 1, 2)
    rows = samples.shape[0]
    axes = []
    for a in range(nd):
        starts = _intervals(samples[:, order[a]], spatial[a], out[a], k[a], x.dtype)   # (R, o)
        axes.append(starts[:, :, None] + np.arange(k[a])[None, None, :])               # (R, o, k)
    strides = [int(np.prod(spatial[a + 1:])) for a in range(nd)]
    flat = 0
    for a, pos in enumerate(axes):
        shape = [rows] + [1] * (2 * nd)
        shape[1 + a], shape[1 + nd + a] = pos.shape[1:]
        flat = flat + pos.reshape(shape) * strides[a]
    taps = flat.reshape(rows, int(np.prod(out)), int(np.prod(k)))
    name = f"FractionalMaxPool{nd}DBackward"
    return _max_over_taps(input, taps, np.ones(taps.shape[1:], bool), out, nd, name + "0", name, return_indices)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Max pooling over windows whose starts are drawn per (batch, channel) (Graham's fractional max pooling)."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Max pooling over windows whose starts are drawn per (batch, channel) (Graham's fractional max pooling)."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True, _random_samples)


# -- argument handling: the plans, cached per shape and arguments ---------------------------------
def _bad_length(fn, name, n):
    return lambda value: f"{fn}: {name} must either be a single int, or a tuple of {'two' if n == 2 else n} ints"


def _check_shape(shape, nd, fn):
    if len(shape) not in (nd + 1, nd + 2):
        if nd == 2:
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(shape)}")
    if any(n == 0 for n in shape[-(nd + 1):]):
        what = "3D or 4D" if nd == 2 else "2D or 3D"
        prefix = "" if nd == 2 else f"{fn}: "
        raise RuntimeError(f"{prefix}Expected {what} (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(shape)}")


def _pool_args(fn, nd, shape, kernel_size, stride, padding, dilation):
    """kernel, stride, padding, dilation as 2-tuples (1-D pools: height 1), checked as torch does,
    and the 4-D shape and leading dims of the input."""
    _check_shape(shape, nd, fn)
    if stride is None or (isinstance(stride, tuple) and len(stride) == 0):
        stride = kernel_size
    k, s, p, d = (int_tuple(v, nd, _bad_length(fn, name, nd)) for v, name in
                  ((kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    x4, lead = _shape4d(shape, nd)
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    return k, s, p, d, x4, lead


def _pool_checks(k, s, p, d, max_pool):
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {p[0] if len(set(p)) == 1 else list(p)}")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if any(v < 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    if max_pool and any(pp > kk // 2 for kk, pp in zip(k, p)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
                           f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")


def _out_check(shape, out):
    if any(o < 1 for o in out):
        C, H, W = shape[-3:]
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{out[0]}x{out[1]}). "
                           "Output size is too small")


def _shape4d(shape, nd):
    """The (N, C, H, W) shape of a batched/unbatched 1-D or 2-D input (None: it is that already),
    and the leading dims to restore."""
    if len(shape) == nd + 2 and nd == 2:
        return None, None
    if nd == 2:
        return (1,) + shape, shape[:-nd]
    if len(shape) == 3:
        return (shape[0], shape[1], 1, shape[2]), shape[:-nd]
    return (1, shape[0], 1, shape[1]), shape[:-nd]


@cached_plan
def _max_plan(fn, nd, shape, kernel_size, stride, padding, dilation, ceil_mode):
    """Checks, 4-D shape and windows of a max pool."""
    k, s, p, d, x4, lead = _pool_args(fn, nd, shape, kernel_size, stride, padding, dilation)
    _pool_checks(k, s, p, d, max_pool=True)
    H, W = (x4 or shape)[2:]
    out = (_out_size(H, k[0], s[0], p[0], d[0], ceil_mode), _out_size(W, k[1], s[1], p[1], d[1], ceil_mode))
    _out_check(x4 or shape, out)
    hs, he = _max_axis(H, k[0], s[0], p[0], d[0], out[0])
    ws, we = _max_axis(W, k[1], s[1], p[1], d[1], out[1])
    return _Pool(x4, lead, nd, MaxWindows(hs, he, d[0], ws, we, d[1]))


@cached_plan
def _avg_plan(fn, nd, shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Checks, 4-D shape, windows and divisors of an avg pool."""
    k, s, p, _, x4, lead = _pool_args(fn, nd, shape, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _pool_checks(k, s, p, (1, 1), max_pool=False)
    H, W = (x4 or shape)[2:]
    out = (_out_size(H, k[0], s[0], p[0], 1, ceil_mode), _out_size(W, k[1], s[1], p[1], 1, ceil_mode))
    _out_check(x4 or shape, out)
    hs, he, hdiv = _avg_axis(H, k[0], s[0], p[0], out[0], count_include_pad)
    ws, we, wdiv = _avg_axis(W, k[1], s[1], p[1], out[1], count_include_pad)
    divisor = _divisor(hdiv.tobytes(), wdiv.tobytes(), divisor_override)
    return _Pool(x4, lead, nd, AvgWindows(hs, he, ws, we, divisor))


def _adaptive(fn, nd, input, output_size):
    """The plan of an adaptive pool (max or avg, as ``fn`` says), after torch's checks."""
    require_tensor(input, fn)
    plan = _adaptive_plan(fn, nd, input._data.shape, output_size)
    float_only(input, fn)
    return plan


@cached_plan
def _adaptive_plan(fn, nd, shape, output_size):
    if len(shape) not in (nd + 1, nd + 2):
        dims = "3D or 4D" if nd == 2 else "2D or 3D"
        sep = ": " if fn.startswith("adaptive_max") else " "
        raise RuntimeError(f"{fn}(): Expected {dims} tensor, but got{sep}{list(shape)}")
    for i in range(1, len(shape)):
        if shape[i] == 0 and i >= len(shape) - nd:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {i} being empty")
    if isinstance(output_size, tuple):
        if len(output_size) != nd:
            raise RuntimeError(f"{fn}: output_size must be {nd}")
        size = tuple(shape[len(shape) - nd + i] if o is None else int(o) for i, o in enumerate(output_size))
    else:
        size = (int(output_size),) * nd
    if any(o < 0 for o in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(shape[:len(shape) - nd]) + list(size)}")
    x4, lead = _shape4d(shape, nd)
    if nd == 1:
        size = (1,) + size
    H, W = (x4 or shape)[2:]
    hs, he = _adaptive_axis(H, size[0])
    ws, we = _adaptive_axis(W, size[1])
    if fn.startswith("adaptive_max"):
        return _Pool(x4, lead, nd, MaxWindows(hs, he, 1, ws, we, 1))
    return _Pool(x4, lead, nd, AvgWindows(hs, he, ws, we, _divisor((he - hs).tobytes(), (we - ws).tobytes(), None)))


# -- windows, exactly as torch computes them ----------------------------------------------------
def _out_size(n, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape: with ceil_mode the last window must start inside the input
    or its left padding."""
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _frozen(*arrays):
    for a in arrays:
        a.flags.writeable = False   # cached and shared between calls: never to be modified
    return arrays


@functools.lru_cache(maxsize=512)
def _max_axis(n, k, s, p, d, o):
    start = np.arange(o, dtype=np.int64) * s - p
    end = np.minimum(start + (k - 1) * d + 1, n)
    neg = start < 0
    start[neg] += (-start[neg] + d - 1) // d * d  # first tap inside the input
    return _frozen(start, end)


@functools.lru_cache(maxsize=512)
def _avg_axis(n, k, s, p, o, count_include_pad):
    start = np.arange(o, dtype=np.int64) * s - p
    end = np.minimum(start + k, n + p)
    size = end - start  # the window including padding (but not beyond it)
    start, end = np.maximum(start, 0), np.minimum(end, n)
    return _frozen(start, end, (size if count_include_pad else end - start))


@functools.lru_cache(maxsize=512)
def _adaptive_axis(n, o):
    i = np.arange(o, dtype=np.int64)
    return _frozen(i * n // o, ((i + 1) * n + o - 1) // o)


@functools.lru_cache(maxsize=512)
def _divisor(hdiv, wdiv, override):
    """The (Ho, Wo) divisors of avg pooling, from the per-axis ones (bytes, to be hashable)."""
    h, w = np.frombuffer(hdiv, dtype=np.int64), np.frombuffer(wdiv, dtype=np.int64)
    d = np.full((len(h), len(w)), override, dtype=np.int64) if override is not None else np.outer(h, w)
    return _frozen(d)[0]
