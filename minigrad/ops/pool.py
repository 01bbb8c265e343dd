"""Pooling (nn.functional): max/avg pooling in 1-D and 2-D, and their adaptive forms.

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

from .. import kernels
from ._args import cached_plan, float_only, int_tuple, require_tensor
from ._util import Op, overload, Tensor, xp

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices"]


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
        if return_indices:
            return y, idx.astype(np.int64)
        return y

    @staticmethod
    def backward(ctx, g, *_):
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
        return kernels.for_array(x).avg_pool2d(x, *win)

    @staticmethod
    def backward(ctx, g):
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
    return _apply_avg(input, _adaptive("adaptive_avg_pool2d", 2, input, output_size))


def adaptive_avg_pool1d(input, output_size):
    return _apply_avg(input, _adaptive("adaptive_avg_pool1d", 1, input, output_size))


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
    return x._data.dtype.kind not in "f"


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
