"""Conv and pool kernels in plain NumPy: the readable definition of what cpu.py computes fast.

Everything is 2-D and NCHW; conv1d and the 1-D pools are the 2-D ones with a height of 1.
Kernels know nothing of autograd: arrays in, arrays out.

Conv geometry, shared by the three conv kernels (and by unfold/fold):

    x  (N, C, H, W)         the "big" side: conv's input, conv_transpose's output
    y  (N, O, Ho, Wo)       the "small" side: conv's output, conv_transpose's input
    w  (O, C/groups, kh, kw)
    geom = (kh, kw, sh, sw, ph, pw, dh, dw): kernel, stride, padding, dilation

Output pixel (oh, ow) and kernel tap (i, j) read input pixel

    h = oh*sh - ph + i*dh,   w = ow*sw - pw + j*dw        (zero outside the input)

``ph``/``pw`` are the zeros added at the top/left; the bottom/right padding is whatever the
output size implies, so asymmetric padding (padding='same' with an even kernel) needs nothing
special. The three conv kernels are one bilinear form <conv2d(x, w), y> read three ways:

    conv2d(x, w)            -> y      (forward)
    conv2d_input_grad(y, w) -> x      (its adjoint in x: conv_transpose2d)
    conv2d_weight_grad(x, y)-> w      (its adjoint in w)

Pool windows are given per axis as arrays: output row ``oh`` reads input rows
``range(hs[oh], he[oh], hstep)`` (already clipped to the input), likewise for columns. That
covers max_pool (with padding, dilation, ceil_mode), avg_pool and the adaptive pools alike.
"""
from __future__ import annotations

import numpy as np

from .interface import fused_defaults


# -- im2col / col2im ----------------------------------------------------------------------------
def im2col(x, Ho, Wo, geom):
    """cols[n, c, i, j, oh, ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw], 0 outside x."""
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    N, C, H, W = x.shape
    # pad enough at the bottom/right for the last window too (a negative amount means: crop)
    pad_b = max(0, (Ho - 1) * sh - ph + (kh - 1) * dh + 1 - H)
    pad_r = max(0, (Wo - 1) * sw - pw + (kw - 1) * dw + 1 - W)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, pad_b), (pw, pad_r)))
    cols = np.zeros((N, C, kh, kw, Ho, Wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i * dh: i * dh + (Ho - 1) * sh + 1: sh,
                                  j * dw: j * dw + (Wo - 1) * sw + 1: sw][:, :, :Ho, :Wo]
    return cols


def col2im(cols, H, W, geom):
    """The adjoint of im2col: every column entry is added back to the pixel it was read from."""
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    N, C, _, _, Ho, Wo = cols.shape
    pad_b = max(0, (Ho - 1) * sh - ph + (kh - 1) * dh + 1 - H)
    pad_r = max(0, (Wo - 1) * sw - pw + (kw - 1) * dw + 1 - W)
    xp = np.zeros((N, C, ph + H + pad_b, pw + W + pad_r), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            xp[:, :, i * dh: i * dh + (Ho - 1) * sh + 1: sh,
               j * dw: j * dw + (Wo - 1) * sw + 1: sw] += cols[:, :, i, j]
    return xp[:, :, ph: ph + H, pw: pw + W]


def unfold(x, Ho, Wo, geom):
    """F.unfold: (N, C, H, W) -> (N, C*kh*kw, Ho*Wo)."""
    N, C = x.shape[:2]
    return im2col(x, Ho, Wo, geom).reshape(N, -1, Ho * Wo)


def fold(cols, C, H, W, Ho, Wo, geom):
    """F.fold: (N, C*kh*kw, Ho*Wo) -> (N, C, H, W), summing overlapping entries."""
    kh, kw = geom[:2]
    return col2im(cols.reshape(cols.shape[0], C, kh, kw, Ho, Wo), H, W, geom)


# -- convolution --------------------------------------------------------------------------------
def conv2d(x, w, b, Ho, Wo, geom, groups):
    """y[n, o] = b[o] + sum over c in o's group and taps (i, j) of w[o, c, i, j] * x[n, c, h, w]."""
    N = x.shape[0]
    O, G = w.shape[0], groups
    cols = im2col(x, Ho, Wo, geom).reshape(N, G, -1, Ho * Wo)       # (N, G, Cg*kh*kw, L)
    y = np.einsum("gok,ngkl->ngol", w.reshape(G, O // G, -1), cols).reshape(N, O, Ho, Wo)
    if b is not None:
        y = y + b.reshape(1, O, 1, 1)
    return y


def conv2d_input_grad(y, w, H, W, geom, groups):
    """x such that <conv2d(x', w), y> = <x', x> for every x': conv_transpose2d(y, w)."""
    N, O, Ho, Wo = y.shape
    G = groups
    C = w.shape[1] * G
    kh, kw = geom[:2]
    cols = np.einsum("gok,ngol->ngkl", w.reshape(G, O // G, -1), y.reshape(N, G, O // G, Ho * Wo))
    return col2im(cols.reshape(N, C, kh, kw, Ho, Wo), H, W, geom)


def conv2d_weight_grad(x, y, geom, groups, cols=None):
    """w such that <conv2d(x, w'), y> = <w', w> for every w'. (``cols``: cpu.py's cache, unused here.)"""
    N, C = x.shape[:2]
    _, O, Ho, Wo = y.shape
    G = groups
    kh, kw = geom[:2]
    cols = im2col(x, Ho, Wo, geom).reshape(N, G, -1, Ho * Wo)
    gw = np.einsum("ngol,ngkl->gok", y.reshape(N, G, O // G, Ho * Wo), cols)
    return gw.reshape(O, C // G, kh, kw)


# -- pooling ------------------------------------------------------------------------------------
def max_pool2d(x, hs, he, hstep, ws, we, wstep):
    """Window maximum and the flat index h*W + w of the winner, per (n, c).

    torch's CPU rule: windows are scanned row by row; a value wins if it is greater than the best
    so far or is NaN. So among equal values the FIRST wins, and among NaNs the LAST. A window of
    nothing but -inf keeps its first position.
    """
    N, C, H, W = x.shape
    Ho, Wo = len(hs), len(ws)
    y = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    idx = np.empty((N, C, Ho, Wo), dtype=np.int64)
    for oh in range(Ho):
        for ow in range(Wo):
            best = np.full((N, C), -np.inf, dtype=x.dtype)
            arg = np.full((N, C), hs[oh] * W + ws[ow], dtype=np.int64)
            for h in range(hs[oh], he[oh], hstep):
                for w in range(ws[ow], we[ow], wstep):
                    v = x[:, :, h, w]
                    take = (v > best) | np.isnan(v)
                    best = np.where(take, v, best)
                    arg = np.where(take, h * W + w, arg)
            y[:, :, oh, ow] = best
            idx[:, :, oh, ow] = arg
    return y, idx


def max_pool2d_scatter(g, idx, H, W):
    """The max pool's gradient: g added at the winners' positions (overlapping windows add up).

    A window holding nothing but padding has no winner inside the plane (its index points past
    it, as torch's does); its gradient goes nowhere."""
    N, C = g.shape[:2]
    gx = np.zeros((N, C, H * W), dtype=g.dtype)
    n, c, _ = np.indices(idx.shape[:2] + (idx.shape[2] * idx.shape[3],))
    at = idx.reshape(N, C, -1)
    inside = (at >= 0) & (at < H * W)
    np.add.at(gx, (n[inside], c[inside], at[inside]), g.reshape(N, C, -1)[inside])
    return gx.reshape(N, C, H, W)


def max_pool2d_gather(x, idx):
    """The scatter's adjoint: x read at the winners' positions (0 where there is none)."""
    N, C, H, W = x.shape
    at = idx.reshape(N, C, -1)
    inside = (at >= 0) & (at < H * W)
    y = np.take_along_axis(x.reshape(N, C, H * W), np.where(inside, at, 0), axis=2)
    return np.where(inside, y, 0).reshape(idx.shape).astype(x.dtype)


def avg_pool2d(x, hs, he, ws, we, divisor):
    """y[n, c, oh, ow] = sum of the window / divisor[oh, ow]."""
    N, C = x.shape[:2]
    y = np.empty((N, C, len(hs), len(ws)), dtype=x.dtype)
    for oh in range(len(hs)):
        for ow in range(len(ws)):
            y[:, :, oh, ow] = x[:, :, hs[oh]:he[oh], ws[ow]:we[ow]].sum(axis=(2, 3)) / divisor[oh, ow]
    return y


def avg_pool2d_transpose(g, H, W, hs, he, ws, we, divisor):
    """The adjoint of avg_pool2d (its gradient): each g / divisor spread over its window."""
    N, C = g.shape[:2]
    gx = np.zeros((N, C, H, W), dtype=g.dtype)
    for oh in range(len(hs)):
        for ow in range(len(ws)):
            gx[:, :, hs[oh]:he[oh], ws[ow]:we[ow]] += (g[:, :, oh, ow] / divisor[oh, ow])[:, :, None, None]
    return gx


# -- fused entry points (kernels/interface.py): none of its own, the defaults -------------------
conv2d_keep, conv2d_grads = fused_defaults(conv2d, conv2d_input_grad, conv2d_weight_grad)
