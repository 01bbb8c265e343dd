"""Fused recurrent layers: one LSTM or GRU layer, in one direction, over a whole sequence as one node.

Composed from small ops, an LSTM step is about twenty nodes (two linears, a chunk, three sigmoids,
two tanhs, products and sums), each with its Python dispatch, and the backward pass multiplies the
recurrent weight once per step for its gradient. Torch's CPU LSTM is one node per layer
(``MkldnnRnnLayerBackward0``); so is this one:

* forward runs the steps on arrays: the input's projection ``W_ih x + b_ih`` for all steps in one
  product, then per step one product ``W_hh h + b_hh`` and the gates, keeping each step's gate
  activations and cell state;
* backward computes the steps' local derivatives for all steps at once, then runs the steps in
  reverse, carrying the gradients of h and c and producing each step's gate pre-activation gradient
  ``dz_t`` (one product ``dz_t W_hh`` per step); the weights' gradients are then single products
  over all steps (``dW_ih = dZ^T X``, ``dW_hh = dZ^T H_prev``, ``db = sum dZ``), as is the input's
  (``dX = dZ W_ih``).

Under ``create_graph`` the backward instead recomputes the forward from the saved inputs with
minigrad ops and runs the same derivatives with minigrad ops (``_lstm_backward_tensors``), so the
gradient it returns is itself differentiable.

Gate order is torch's (input, forget, cell, output): ``c' = f c + i g``, ``h' = o tanh(c')``. The GRU
layer (torch's CPU GRU is composed; its output's node is a stack) is built the same way below.
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..kernels import blas
from ._util import Op, Tensor, overload

__all__ = ["lstm_layer", "gru_layer"]


# -- on arrays: the first-order path ------------------------------------------------------------------
# Each step is a dozen NumPy calls writing into buffers allocated once per layer (a call costs about
# as much as its arithmetic at these sizes), and its products run under one blas.serial() region.

def _sigmoid_(z):
    """z = 1 / (1 + exp(-z)) in place (where exp overflows, 1 / inf gives the 0 that sigmoid rounds to;
    callers silence the overflow warning)."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)


def _shifted(first, steps, reverse):
    """The states the steps started from: ``first`` for the first step run, then each step's result."""
    return np.concatenate([first[None], steps[:-1]] if not reverse else [steps[1:], first[None]])


def _lstm_forward_arrays(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """(outputs (T, B, H), final h, final c, gate activations (T, B, 4H), cell states (T, B, H),
    their tanh (T, B, H))."""
    steps, batch, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    # the gates' buffer starts as the input's projection, all steps in one product; each step adds
    # its recurrent product (W_hh h + b_hh) and turns its rows into the gate activations
    acts = blas.matmul(x.reshape(steps * batch, x.shape[2]), w_ih.T)
    if b_ih is not None:
        acts += b_ih
    acts = acts.reshape(steps, batch, 4 * hidden)
    w_hh_t = np.ascontiguousarray(w_hh.T)   # a (20, 200) x (200, 800) product: 1.7x faster than on w_hh.T
    cells, tanh_cells, out = (np.empty((steps, batch, hidden), x.dtype) for _ in range(3))
    recurrent = np.empty((batch, 4 * hidden), x.dtype)
    h, c = h0, c0
    with blas.serial(), np.errstate(over="ignore"):
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            np.matmul(h, w_hh_t, out=recurrent)
            if b_hh is not None:
                recurrent += b_hh
            z = acts[t]
            z += recurrent                      # torch's sum: (W_hh h + b_hh) + (W_ih x + b_ih)
            i_g = np.tanh(z[:, 2 * hidden:3 * hidden])
            _sigmoid_(z)                        # i, f and o (the g block is put back below)
            z[:, 2 * hidden:3 * hidden] = i_g
            c = np.multiply(z[:, hidden:2 * hidden], c, out=cells[t])
            i_g *= z[:, :hidden]
            c += i_g                            # c' = f c + i g
            h = np.multiply(z[:, 3 * hidden:], np.tanh(c, out=tanh_cells[t]), out=out[t])
    return out, h.copy(), c.copy(), acts, cells, tanh_cells


def _lstm_backward_arrays(x, h0, c0, w_ih, w_hh, out, acts, cells, tanh_cells, g_out, g_h, g_c, reverse):
    """Gradients (x, h0, c0, W_ih, W_hh, b) from the forward's arrays. The step's local derivatives
    (sigmoid' = s (1 - s), tanh' = 1 - t^2, through c' = f c + i g and h' = o tanh c') are computed for
    all steps at once; the loop over steps carries dh and dc and scales them into dz_t."""
    steps, batch, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    gates = acts.reshape(steps, batch, 4, hidden)
    i, f, g, o = (gates[:, :, k] for k in range(4))
    c_in = _shifted(c0, cells, reverse)
    dz = np.empty_like(gates)                   # d gate pre-activation / d (c, c, c, h), then dz itself
    np.multiply(g, i * (1 - i), out=dz[:, :, 0])
    np.multiply(c_in, f * (1 - f), out=dz[:, :, 1])
    np.multiply(i, 1 - g * g, out=dz[:, :, 2])
    np.multiply(tanh_cells, o * (1 - o), out=dz[:, :, 3])
    dc_dh = o * (1 - tanh_cells * tanh_cells)   # dc'/dh' through h' = o tanh c'
    g_h, g_c = np.array(g_h, dtype=x.dtype), np.array(g_c, dtype=x.dtype)   # own copies: updated in place
    scratch = np.empty_like(g_c)
    with blas.serial():
        for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
            g_h += g_out[t]
            g_c += np.multiply(g_h, dc_dh[t], out=scratch)
            dz[t, :, :3] *= g_c[:, None, :]
            dz[t, :, 3] *= g_h
            g_c *= f[t]
            np.matmul(dz[t].reshape(batch, 4 * hidden), w_hh, out=g_h)
    dz = dz.reshape(steps * batch, 4 * hidden)
    h_in = _shifted(h0, out, reverse).reshape(steps * batch, hidden)
    x_rows = x.reshape(steps * batch, x.shape[2])
    return (blas.matmul(dz, w_ih).reshape(x.shape), g_h, g_c, blas.matmul(dz.T, x_rows), blas.matmul(dz.T, h_in),
            dz.sum(0))


# -- on tensors: the create_graph path -----------------------------------------------------------------
# The same step and derivatives written with minigrad ops, so that the gradient records a graph.

def _lstm_forward_tensors(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """The per-step record for the backward, by time: (h, c the step started from, i, f, g, o, tanh c')."""
    from ..nn import functional as F
    steps, batch, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    x_proj = F.linear(x.reshape((steps * batch, x.shape[2])), w_ih, b_ih)
    h, c, record = h0, c0, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        z = F.linear(h, w_hh, b_hh) + x_proj[t * batch:(t + 1) * batch]
        i, f, o = (F.sigmoid(z[:, k * hidden:(k + 1) * hidden]) for k in (0, 1, 3))
        g = F.tanh(z[:, 2 * hidden:3 * hidden])
        c_next = f * c + i * g
        tanh_c = F.tanh(c_next)
        record[t] = (h, c, i, f, g, o, tanh_c)
        h, c = o * tanh_c, c_next
    return record


def _lstm_backward_tensors(x, w_ih, w_hh, record, g_out, g_h, g_c, reverse):
    """_lstm_backward_arrays's gradients, step by step with minigrad ops."""
    from . import cat, stack
    steps, batch = x.shape[0], x.shape[1]
    dz = [None] * steps
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        _, c, i, f, g, o, tanh_c = record[t]
        g_h = g_h + g_out[t]
        g_c = g_c + g_h * o * (1 - tanh_c * tanh_c)
        dz[t] = cat([g_c * g * (1 - i) * i, g_c * c * (1 - f) * f, g_c * i * (1 - g * g), g_h * tanh_c * (1 - o) * o],
                    1)
        g_c = g_c * f
        g_h = dz[t] @ w_hh
    dz = stack(dz, 0).reshape((steps * batch, w_hh.shape[0]))
    h_in = stack([r[0] for r in record], 0).reshape((steps * batch, w_hh.shape[1]))
    return (dz @ w_ih).reshape(tuple(x.shape)), g_h, g_c, dz.T @ x.reshape((steps * batch, x.shape[2])), \
        dz.T @ h_in, dz.sum(0)


class LSTMLayer(Op):
    """(output, h_T, c_T) of one LSTM layer over a (T, B, I) sequence; the derivatives are those of
    the steps, run backwards through time (_lstm_backward_arrays)."""

    node_name = "MkldnnRnnLayerBackward0"

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        ctx.reverse = reverse
        out, h, c, ctx.acts, ctx.cells, ctx.tanh_cells = _lstm_forward_arrays(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                                              reverse)
        ctx.out = out.copy()   # the output handed out may be changed in place; the backward needs it as it was
        # the output too where torch's node saves it (its float32 mkldnn layer; float64 is composed of
        # steps there): an in-place change of it before backward is a version error
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, out if out.dtype == np.float32 else None)
        return out, h, c

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, _out = ctx.saved_tensors
        if not grad_mode.state.grad_enabled:
            # plain backward: nothing is recorded, so the formulas run on the arrays saved in forward
            grads = _lstm_backward_arrays(x._data, h0._data, c0._data, w_ih._data, w_hh._data, ctx.out, ctx.acts,
                                          ctx.cells, ctx.tanh_cells, g_out._data, g_h._data, g_c._data, ctx.reverse)
            grads = [Tensor._make(a) for a in grads]
        else:
            # create_graph: the forward again with minigrad ops, so that the gradient is differentiable
            record = _lstm_forward_tensors(x, h0, c0, w_ih, w_hh, b_ih, b_hh, ctx.reverse)
            grads = _lstm_backward_tensors(x, w_ih, w_hh, record, g_out, g_h, g_c, ctx.reverse)
        g_x, g_h0, g_c0, g_w_ih, g_w_hh, g_b = grads
        return tuple(g if need else None for g, need in
                     zip((g_x, g_h0, g_c0, g_w_ih, g_w_hh, g_b, g_b), ctx.needs_input_grad)) + (None,)


# -- GRU --------------------------------------------------------------------------------------------
# r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z);  n = tanh(x_n + r h_n);  h' = n + z (h - n), where
# x_* = W_i* x + b_i* and h_* = W_h* h + b_h* (torch's gate layout: rows r, z, n).

def _gru_forward_arrays(x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
    """(outputs (T, B, H), final h, activations r, z, n (T, B, 3H), recurrent h_n (T, B, H))."""
    steps, batch, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    x_proj = blas.matmul(x.reshape(steps * batch, x.shape[2]), w_ih.T)   # one product for all steps
    if b_ih is not None:
        x_proj += b_ih
    acts = x_proj.reshape(steps, batch, 3 * hidden)     # becomes r, z, n step by step
    w_hh_t = np.ascontiguousarray(w_hh.T)
    h_n, out = np.empty((steps, batch, hidden), x.dtype), np.empty((steps, batch, hidden), x.dtype)
    recurrent = np.empty((batch, 3 * hidden), x.dtype)
    h = h0
    with blas.serial(), np.errstate(over="ignore"):
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            np.matmul(h, w_hh_t, out=recurrent)
            if b_hh is not None:
                recurrent += b_hh
            a = acts[t]
            a[:, :2 * hidden] += recurrent[:, :2 * hidden]
            _sigmoid_(a[:, :2 * hidden])                  # r, z
            h_n[t] = recurrent[:, 2 * hidden:]
            n = a[:, 2 * hidden:]
            n += a[:, :hidden] * h_n[t]
            np.tanh(n, out=n)                             # n = tanh(x_n + r h_n)
            h = np.subtract(h, n, out=out[t])
            h *= a[:, hidden:2 * hidden]
            h += n                                        # h' = n + z (h - n)
    return out, h.copy(), acts, h_n


def _gru_backward_arrays(x, h0, w_ih, w_hh, out, acts, h_n, g_out, g_h, reverse):
    """Gradients (x, h0, W_ih, W_hh, b_ih, b_hh). With g the gradient of h': dn = g (1 - z)
    (1 - n^2), dz = g (h - n) z (1 - z), dh_n = dn r, dr = dn h_n r (1 - r), dh = g z + [dr, dz, dh_n] W_hh;
    the input side sees [dr, dz, dn]. The factors after g and dn are computed for all steps at once."""
    steps, batch, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    gates = acts.reshape(steps, batch, 3, hidden)
    r, z, n = gates[:, :, 0], gates[:, :, 1], gates[:, :, 2]
    h_in = _shifted(h0, out, reverse)
    dn_dh = (1 - z) * (1 - n * n)
    dz_dh = (h_in - n) * (z * (1 - z))
    dr_dn = h_n * (r * (1 - r))
    dz_h = np.empty_like(gates)                 # the gradient of the recurrent pre-activations
    dz_n = np.empty((steps, batch, hidden), x.dtype)   # the input's n block (dn, where the recurrent has dn r)
    g_h = np.array(g_h, dtype=x.dtype)          # an own copy: updated in place
    scratch = np.empty((batch, hidden), x.dtype)
    with blas.serial():
        for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
            g_h += g_out[t]
            dn = np.multiply(g_h, dn_dh[t], out=dz_n[t])
            np.multiply(dn, dr_dn[t], out=dz_h[t, :, 0])
            np.multiply(g_h, dz_dh[t], out=dz_h[t, :, 1])
            np.multiply(dn, r[t], out=dz_h[t, :, 2])
            g_h *= z[t]
            g_h += np.matmul(dz_h[t].reshape(batch, 3 * hidden), w_hh, out=scratch)
    dz_x = dz_h.copy()
    dz_x[:, :, 2] = dz_n
    dz_x, dz_h = dz_x.reshape(steps * batch, 3 * hidden), dz_h.reshape(steps * batch, 3 * hidden)
    return (blas.matmul(dz_x, w_ih).reshape(x.shape), g_h,
            blas.matmul(dz_x.T, x.reshape(steps * batch, x.shape[2])),
            blas.matmul(dz_h.T, h_in.reshape(steps * batch, hidden)), dz_x.sum(0), dz_h.sum(0))


def _gru_grads_tensors(x, h0, w_ih, w_hh, b_ih, b_hh, g_out, g_h, reverse):
    """_gru_backward_arrays's gradients with minigrad ops (the forward recomputed from the inputs)."""
    from ..nn import functional as F
    from . import cat, stack
    steps, batch, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    x_proj = F.linear(x.reshape((steps * batch, x.shape[2])), w_ih, b_ih)
    h, record = h0, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        xg, hg = x_proj[t * batch:(t + 1) * batch], F.linear(h, w_hh, b_hh)
        r = F.sigmoid(xg[:, :hidden] + hg[:, :hidden])
        z = F.sigmoid(xg[:, hidden:2 * hidden] + hg[:, hidden:2 * hidden])
        n = F.tanh(xg[:, 2 * hidden:] + r * hg[:, 2 * hidden:])
        record[t] = (h, r, z, n, hg[:, 2 * hidden:])
        h = n + z * (h - n)
    dz_x, dz_h = [None] * steps, [None] * steps
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        h_prev, r, z, n, h_n = record[t]
        g_h = g_h + g_out[t]
        dn = g_h * (1 - z) * (1 - n * n)
        dr = dn * h_n * (r * (1 - r))
        dz = g_h * (h_prev - n) * (z * (1 - z))
        dz_x[t], dz_h[t] = cat([dr, dz, dn], 1), cat([dr, dz, dn * r], 1)
        g_h = g_h * z + dz_h[t] @ w_hh
    dz_x = stack(dz_x, 0).reshape((steps * batch, 3 * hidden))
    dz_h = stack(dz_h, 0).reshape((steps * batch, 3 * hidden))
    h_in = stack([rec[0] for rec in record], 0).reshape((steps * batch, hidden))
    return ((dz_x @ w_ih).reshape(tuple(x.shape)), g_h, dz_x.T @ x.reshape((steps * batch, x.shape[2])),
            dz_h.T @ h_in, dz_x.sum(0), dz_h.sum(0))


class GRULayer(Op):
    """(output, h_T) of one GRU layer over a (T, B, I) sequence; the derivatives are those of the
    steps, run backwards through time (_gru_backward_arrays)."""

    node_name = "StackBackward0"   # what torch's CPU GRU output shows (a stack of its steps)

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.reverse = reverse
        out, h, ctx.acts, ctx.h_n = _gru_forward_arrays(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)
        ctx.out = out.copy()   # the output handed out may be changed in place; the backward needs it as it was
        return out, h

    @staticmethod
    def backward(ctx, g_out, g_h):
        x, h0, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        if not grad_mode.state.grad_enabled:
            grads = _gru_backward_arrays(x._data, h0._data, w_ih._data, w_hh._data, ctx.out, ctx.acts, ctx.h_n,
                                         g_out._data, g_h._data, ctx.reverse)
            grads = [Tensor._make(a) for a in grads]
        else:   # create_graph: recorded with minigrad ops
            grads = _gru_grads_tensors(x, h0, w_ih, w_hh, b_ih, b_hh, g_out, g_h, ctx.reverse)
        return tuple(g if need else None for g, need in zip(grads, ctx.needs_input_grad)) + (None,)


def gru_layer(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih, b_hh, reverse: bool = False):
    """One GRU layer over a time-major (T, B, I) sequence from a state (B, H); returns (output
    (T, B, H), h_T). ``reverse`` runs the steps from the last to the first."""
    return GRULayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)


def can_fuse(x, *weights) -> bool:
    """Whether lstm_layer and gru_layer run these tensors (input, weights, states): float32 or float64
    NumPy arrays of one dtype (mixed dtypes take the composed path, which raises as torch does)."""
    dtype = x._data.dtype
    return (type(x._data) is np.ndarray and dtype in (np.float32, np.float64)
            and all(w is None or w._data.dtype == dtype for w in weights))


def lstm_layer(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih, b_hh, reverse: bool = False):
    """One LSTM layer over a time-major (T, B, I) sequence from states (B, H); returns (output
    (T, B, H), h_T, c_T). ``reverse`` runs the steps from the last to the first (a bidirectional
    layer's backward direction). Its node is named as torch's CPU float32 layer's; in float64
    torch composes the layer and its output comes from a stack of the steps."""
    out = LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
    return out if x._data.dtype == np.float32 else overload(out, "StackBackward0")
