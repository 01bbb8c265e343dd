"""The seed CNN in plain NumPy: im2col + one BLAS matmul per conv, by hand. The roofline reference.

conv 1->32 k3 p1, max_pool 2, conv 32->64 k3 p1, max_pool 2, flatten, linear 4096->10 (no
activation, as in the origin document), cross-entropy, SGD. What a careful NumPy programmer
gets without an autograd engine: the gap between this and the GEMM floor (FLOPs / peak) is the
cost of the NumPy passes around the GEMMs (im2col, col2im, pooling masks).
"""
from __future__ import annotations

import numpy as np

K, PAD = 3, 1


def im2col(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N*H*W, C*K*K): row (n, h, w) holds the K x K patch of every channel."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    cols = np.empty((n, h, w, c, K, K), x.dtype)
    for i in range(K):
        for j in range(K):
            cols[:, :, :, :, i, j] = xp[:, :, i:i + h, j:j + w].transpose(0, 2, 3, 1)
    return cols.reshape(n * h * w, c * K * K)


def col2im(dcols: np.ndarray, shape) -> np.ndarray:
    """The adjoint of im2col: scatter-add every patch gradient back onto the input."""
    n, c, h, w = shape
    dcols = dcols.reshape(n, h, w, c, K, K)
    dxp = np.zeros((n, c, h + 2 * PAD, w + 2 * PAD), dcols.dtype)
    for i in range(K):
        for j in range(K):
            dxp[:, :, i:i + h, j:j + w] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, PAD:PAD + h, PAD:PAD + w]


def conv_forward(x, w, b):
    n, _, h, wd = x.shape
    cols = im2col(x)
    out = cols @ w.reshape(w.shape[0], -1).T + b
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def conv_backward(dout, cols, w, x_shape, need_dx: bool):
    d = dout.transpose(0, 2, 3, 1).reshape(-1, w.shape[0])
    dw = (d.T @ cols).reshape(w.shape)
    db = d.sum(axis=0)
    dx = col2im(d @ w.reshape(w.shape[0], -1), x_shape) if need_dx else None
    return dw, db, dx


def pool_forward(x):
    """2x2 max pooling, stride 2; ties go to the first element of the window, as in torch."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    idx = win.argmax(axis=-1)[..., None]
    return np.take_along_axis(win, idx, axis=-1)[..., 0], idx


def pool_backward(dout, idx, shape):
    n, c, h, w = shape
    dwin = np.zeros((n, c, h // 2, w // 2, 4), dout.dtype)
    np.put_along_axis(dwin, idx, dout[..., None], axis=-1)
    return dwin.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(shape)


def forward(p: dict, x: np.ndarray):
    a1, cols1 = conv_forward(x, p["w1"], p["b1"])
    p1, i1 = pool_forward(a1)
    a2, cols2 = conv_forward(p1, p["w2"], p["b2"])
    p2, i2 = pool_forward(a2)
    flat = p2.reshape(x.shape[0], -1)
    logits = flat @ p["w3"].T + p["b3"]
    return logits, (a1, cols1, p1, i1, a2, cols2, p2, i2, flat)


def train_step(p: dict, x: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One SGD step on cross-entropy; updates ``p`` in place and returns the loss (before the step)."""
    n = x.shape[0]
    logits, (a1, cols1, p1, i1, a2, cols2, p2, i2, flat) = forward(p, x)
    z = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1))
    rows = np.arange(n)
    loss = float((lse - z[rows, y]).mean())
    dlogits = np.exp(z - lse[:, None])
    dlogits[rows, y] -= 1
    dlogits /= n
    grads = {"w3": dlogits.T @ flat, "b3": dlogits.sum(axis=0)}
    dp2 = (dlogits @ p["w3"]).reshape(p2.shape)
    da2 = pool_backward(dp2, i2, a2.shape)
    grads["w2"], grads["b2"], dp1 = conv_backward(da2, cols2, p["w2"], p1.shape, True)
    da1 = pool_backward(dp1, i1, a1.shape)
    grads["w1"], grads["b1"], _ = conv_backward(da1, cols1, p["w1"], x.shape, False)
    for name, g in grads.items():
        p[name] -= np.asarray(lr * g, p[name].dtype)
    return loss


def step_flops(batch: int, train: bool) -> float:
    """FLOPs of the seed CNN's forward (and, with ``train``, its backward: the weight gradients of
    every layer and the input gradients of all but the first conv), counting a multiply-add as 2."""
    conv1 = 2.0 * batch * 32 * 32 * 32 * 1 * 9
    conv2 = 2.0 * batch * 64 * 16 * 16 * 32 * 9
    linear = 2.0 * batch * 4096 * 10
    fwd = conv1 + conv2 + linear
    return fwd + conv1 + 2 * conv2 + 2 * linear if train else fwd
