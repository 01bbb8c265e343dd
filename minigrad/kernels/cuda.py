"""Conv and pool kernels for the GPU: numba.cuda kernels on CuPy arrays (same API as cpu.py).

Arrays are shared with numba through ``__cuda_array_interface__`` (no copies); the matrix
products of conv go to cuBLAS through CuPy's ``matmul``. Each numba kernel is a grid-stride loop
with one thread per element it writes:

    _im2col       one thread per column entry   cols[n, (c, i, j), (oh, ow)] = x[n, c, h, w]
    _col2im       one thread per input pixel    sums the column entries that read it (a gather,
                                                so no atomics and a deterministic order)
    _max_pool     one thread per output         torch's CPU scan order: first max wins, NaN wins
    _max_scatter  one thread per output         atomic add of g at the winner
    _max_gather   one thread per output
    _avg_pool     one thread per output
    _avg_scatter  one thread per output         atomic adds of g / divisor over its window

Geometry and semantics: see reference.py (the oracle these are tested against). Under Numba's
CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, set before numba.cuda is imported) the same kernels
run on NumPy arrays, which is how CI tests their indexing without a GPU.
"""
from __future__ import annotations

import math

import numpy as np

if not hasattr(np, "row_stack"):
    # numba-cuda (0.30 and earlier) registers an overload for np.row_stack whenever NumPy >= 2.0,
    # and NumPy 2.5 removed that alias of np.vstack: without it the first kernel compile fails with
    # "module 'numpy' has no attribute 'row_stack'". Put the alias back, as NumPy had it.
    np.row_stack = np.vstack

from numba import cuda  # noqa: E402
from numba.core import config

from .interface import fused_defaults  # noqa: E402

_SIM = bool(config.ENABLE_CUDASIM)
# small layers launch small grids on purpose; numba would warn about occupancy at every launch
config.CUDA_LOW_OCCUPANCY_WARNINGS = False
_THREADS = 256


def _xp(a):
    if isinstance(a, np.ndarray):
        return np
    import cupy
    return cupy


def _dev(a):
    """A kernel argument: NumPy under the simulator; a numba view of a CuPy array, without the
    host synchronisation numba would do by default (numba and CuPy share the default stream)."""
    if _SIM or isinstance(a, np.ndarray):
        return a
    return cuda.as_cuda_array(a, sync=False)


def _ints(a, like):
    """Small window tables (NumPy on the host) as int64 arrays next to ``like``."""
    # a copy: the window tables are cached read-only, and the simulator writes arguments back
    a = np.array(a, dtype=np.int64, order="C")
    return a if isinstance(like, np.ndarray) else _xp(like).asarray(a)


def _launch(kernel, n, *args):
    if n <= 0:
        return
    if _SIM:  # a small grid: the simulator runs each thread in Python; grid-stride covers the rest
        kernel[2, 4](*args)
        return
    blocks = min((n + _THREADS - 1) // _THREADS, 1 << 20)
    kernel[blocks, _THREADS](*[_dev(a) if hasattr(a, "__cuda_array_interface__") else a for a in args])


def _c(a):
    return _xp(a).ascontiguousarray(a)


# -- im2col / col2im ----------------------------------------------------------------------------
@cuda.jit
def _im2col(x, cols, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, zero):
    L = Ho * Wo
    K = C * kh * kw
    total = cols.shape[0] * K * L
    for t in range(cuda.grid(1), total, cuda.gridsize(1)):
        l = t % L
        r = t // L
        k = r % K
        n = r // K
        j = k % kw
        i = (k // kw) % kh
        c = k // (kh * kw)
        ow = l % Wo
        oh = l // Wo
        h = oh * sh - ph + i * dh
        w = ow * sw - pw + j * dw
        if 0 <= h < H and 0 <= w < W:
            cols[n, k, l] = x[n, c, h, w]
        else:
            cols[n, k, l] = zero


@cuda.jit
def _col2im(cols, x, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, zero):
    total = x.shape[0] * C * H * W
    for t in range(cuda.grid(1), total, cuda.gridsize(1)):
        w = t % W
        h = (t // W) % H
        c = (t // (W * H)) % C
        n = t // (W * H * C)
        acc = zero
        for i in range(kh):
            hh = h + ph - i * dh
            if hh < 0:
                break
            if hh % sh != 0:
                continue
            oh = hh // sh
            if oh >= Ho:
                continue
            for j in range(kw):
                ww = w + pw - j * dw
                if ww < 0:
                    break
                if ww % sw != 0:
                    continue
                ow = ww // sw
                if ow >= Wo:
                    continue
                acc += cols[n, (c * kh + i) * kw + j, oh * Wo + ow]
        x[n, c, h, w] = acc


def unfold(x, Ho, Wo, geom):
    """F.unfold: (N, C, H, W) -> (N, C*kh*kw, Ho*Wo)."""
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    N, C, H, W = x.shape
    x = _c(x)
    cols = _xp(x).empty((N, C * kh * kw, Ho * Wo), dtype=x.dtype)
    _launch(_im2col, cols.size, x, cols, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, x.dtype.type(0))
    return cols


def fold(cols, C, H, W, Ho, Wo, geom):
    """F.fold: (N, C*kh*kw, Ho*Wo) -> (N, C, H, W), summing overlapping entries."""
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    N = cols.shape[0]
    xp = _xp(cols)
    if Ho * Wo == 0 or C * kh * kw == 0:
        return xp.zeros((N, C, H, W), dtype=cols.dtype)
    cols = _c(cols).reshape(N, C * kh * kw, Ho * Wo)
    x = xp.empty((N, C, H, W), dtype=cols.dtype)
    _launch(_col2im, x.size, cols, x, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, cols.dtype.type(0))
    return x


# -- convolution: im2col + batched matmul (cuBLAS) ---------------------------------------------
def conv2d(x, w, b, Ho, Wo, geom, groups):
    kh, kw = geom[:2]
    N = x.shape[0]
    O, G = w.shape[0], groups
    xp = _xp(x)
    L = Ho * Wo
    K = w.shape[1] * kh * kw
    if N * O * L == 0 or K == 0:
        y = xp.zeros((N, O, Ho, Wo), dtype=x.dtype)
    else:
        cols = unfold(x, Ho, Wo, geom).reshape(N, G, K, L)
        y = xp.matmul(w.reshape(G, O // G, K), cols).reshape(N, O, Ho, Wo)
    if b is not None:
        y += b.reshape(1, O, 1, 1)
    return y


def conv2d_input_grad(g, w, H, W, geom, groups):
    """conv_transpose2d(g, w): (N, O, Ho, Wo) -> (N, C, H, W)."""
    kh, kw = geom[:2]
    N, O, Ho, Wo = g.shape
    G = groups
    C = w.shape[1] * G
    K = w.shape[1] * kh * kw
    xp = _xp(g)
    if N * C * H * W == 0 or O * Ho * Wo == 0 or K == 0:
        return xp.zeros((N, C, H, W), dtype=g.dtype)
    wt = w.reshape(G, O // G, K).transpose(0, 2, 1)
    cols = xp.matmul(wt, g.reshape(N, G, O // G, Ho * Wo)).reshape(N, C * kh * kw, Ho * Wo)
    return fold(cols, C, H, W, Ho, Wo, geom)


def conv2d_weight_grad(x, g, geom, groups):
    """(N, C, H, W), (N, O, Ho, Wo) -> (O, C/groups, kh, kw)."""
    kh, kw = geom[:2]
    N, C = x.shape[:2]
    _, O, Ho, Wo = g.shape
    G = groups
    K = C // G * kh * kw
    xp = _xp(x)
    if N * Ho * Wo == 0 or O * K == 0:
        return xp.zeros((O, C // G, kh, kw), dtype=x.dtype)
    cols = unfold(x, Ho, Wo, geom).reshape(N, G, K, Ho * Wo)
    gw = xp.matmul(g.reshape(N, G, O // G, Ho * Wo), cols.transpose(0, 1, 3, 2)).sum(axis=0)
    return gw.reshape(O, C // G, kh, kw)


# -- pooling: planes are (N*C, H*W) views -------------------------------------------------------
@cuda.jit
def _max_pool(x, W, hs, he, hstep, ws, we, wstep, y, idx, ninf):
    Ho = hs.shape[0]
    Wo = ws.shape[0]
    total = y.shape[0] * Ho * Wo
    for t in range(cuda.grid(1), total, cuda.gridsize(1)):
        q = t % (Ho * Wo)
        p = t // (Ho * Wo)
        ow = q % Wo
        oh = q // Wo
        best = ninf
        arg = hs[oh] * W + ws[ow]
        for h in range(hs[oh], he[oh], hstep):
            for w in range(ws[ow], we[ow], wstep):
                v = x[p, h * W + w]
                if v > best or v != v:
                    best = v
                    arg = h * W + w
        y[p, q] = best
        idx[p, q] = arg


@cuda.jit
def _max_scatter(g, idx, gx):
    HW = gx.shape[1]
    Q = g.shape[1]
    total = g.shape[0] * Q
    for t in range(cuda.grid(1), total, cuda.gridsize(1)):
        q = t % Q
        p = t // Q
        a = idx[p, q]
        if 0 <= a < HW:
            cuda.atomic.add(gx, (p, a), g[p, q])


@cuda.jit
def _max_gather(x, idx, y, zero):
    HW = x.shape[1]
    Q = y.shape[1]
    total = y.shape[0] * Q
    for t in range(cuda.grid(1), total, cuda.gridsize(1)):
        q = t % Q
        p = t // Q
        a = idx[p, q]
        if 0 <= a < HW:
            y[p, q] = x[p, a]
        else:
            y[p, q] = zero


@cuda.jit
def _avg_pool(x, W, hs, he, ws, we, divisor, y, zero):
    Ho = hs.shape[0]
    Wo = ws.shape[0]
    total = y.shape[0] * Ho * Wo
    for t in range(cuda.grid(1), total, cuda.gridsize(1)):
        q = t % (Ho * Wo)
        p = t // (Ho * Wo)
        ow = q % Wo
        oh = q // Wo
        s = zero
        for h in range(hs[oh], he[oh]):
            for w in range(ws[ow], we[ow]):
                s += x[p, h * W + w]
        y[p, q] = s / divisor[oh, ow]


@cuda.jit
def _avg_scatter(g, W, hs, he, ws, we, divisor, gx):
    Ho = hs.shape[0]
    Wo = ws.shape[0]
    total = g.shape[0] * Ho * Wo
    for t in range(cuda.grid(1), total, cuda.gridsize(1)):
        q = t % (Ho * Wo)
        p = t // (Ho * Wo)
        ow = q % Wo
        oh = q // Wo
        v = g[p, q] / divisor[oh, ow]
        for h in range(hs[oh], he[oh]):
            for w in range(ws[ow], we[ow]):
                cuda.atomic.add(gx, (p, h * W + w), v)


def _planes(a):
    return a.reshape(a.shape[0] * a.shape[1], a.shape[2] * a.shape[3])


def max_pool2d(x, hs, he, hstep, ws, we, wstep):
    x = _c(x)
    xp = _xp(x)
    N, C, H, W = x.shape
    y = xp.empty((N, C, len(hs), len(ws)), dtype=x.dtype)
    idx = xp.empty(y.shape, dtype=np.int32)
    if y.size:
        _launch(_max_pool, y.size, _planes(x), W, _ints(hs, x), _ints(he, x), hstep, _ints(ws, x), _ints(we, x),
                wstep, _planes(y), _planes(idx), x.dtype.type(-math.inf))
    return y, idx


def max_pool2d_scatter(g, idx, H, W):
    g, idx = _c(g), _c(idx)
    N, C = g.shape[:2]
    gx = _xp(g).zeros((N, C, H, W), dtype=g.dtype)
    if g.size and gx.size:
        _launch(_max_scatter, g.size, _planes(g), _planes(idx), _planes(gx))
    return gx


def max_pool2d_gather(x, idx):
    x, idx = _c(x), _c(idx)
    y = _xp(x).empty(idx.shape, dtype=x.dtype)
    if y.size:
        if x.size == 0:
            y[...] = 0
        else:
            _launch(_max_gather, y.size, _planes(x), _planes(idx), _planes(y), x.dtype.type(0))
    return y


def avg_pool2d(x, hs, he, ws, we, divisor):
    x = _c(x)
    xp = _xp(x)
    N, C, H, W = x.shape
    y = xp.empty((N, C, len(hs), len(ws)), dtype=x.dtype)
    if y.size:
        div = np.ascontiguousarray(divisor, dtype=x.dtype)
        div = div if xp is np else xp.asarray(div)
        _launch(_avg_pool, y.size, _planes(x), W, _ints(hs, x), _ints(he, x), _ints(ws, x), _ints(we, x), div,
                _planes(y), x.dtype.type(0))
    return y


def avg_pool2d_transpose(g, H, W, hs, he, ws, we, divisor):
    g = _c(g)
    xp = _xp(g)
    N, C = g.shape[:2]
    gx = xp.zeros((N, C, H, W), dtype=g.dtype)
    if g.size and gx.size:
        div = np.ascontiguousarray(divisor, dtype=g.dtype)
        div = div if xp is np else xp.asarray(div)
        _launch(_avg_scatter, g.size, _planes(g), W, _ints(hs, g), _ints(he, g), _ints(ws, g), _ints(we, g), div,
                _planes(gx))
    return gx


# -- fused entry points (kernels/interface.py): none of its own, the defaults -------------------
conv2d_keep, conv2d_grads = fused_defaults(conv2d, conv2d_input_grad, conv2d_weight_grad)
