"""Losses (torch.nn.functional): fused forwards in NumPy, backwards in minigrad ops.

cross_entropy with class indices is one op (log_softmax + nll): its gradient is
``(softmax(x) * s - A) * g`` where A holds the per-class weights of each sample (one-hot times
the class weight, plus label smoothing) and s their sum. The first-order backward reuses the
softmax computed in forward; under ``create_graph`` it is rebuilt from ``x`` with minigrad's
softmax, so grad-of-grad is exact.

Weighted means follow torch: nll_loss / cross_entropy divide by the summed weights of the
non-ignored targets (NaN when every target is ignored); mse_loss / l1_loss with ``weight`` divide
by ``weight.sum()``, huber_loss with ``weight`` by the element count.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..device import check_same_device
from ._util import Op, overload, Tensor, broadcast_shape, promote, wrap_dim, xp
from ._args import autocast, not_differentiable

from . import math as math_ops
from .reduce import norm, row_kernels
from .activation import (ScaleByConstant, _float_only, kink_scale, log_softmax, logsigmoid, scale_once_differentiable,
                         softmax, torch_type_name)

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "margin_ranking_loss",
           "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "cosine_embedding_loss", "gaussian_nll_loss", "poisson_nll_loss", "ctc_loss", "linear_cross_entropy"]


# -- argument handling --------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _reduction(reduction: str, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                      f"{_legacy_reduction(size_average, reduce)}' instead.", UserWarning, stacklevel=3)
        return _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _size(shape) -> str:
    return f"minigrad.Size({list(shape)})"


def _reduce_array(loss, reduction: str):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.sum(loss)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(loss) / loss.dtype.type(loss.size) if loss.size else np.full((), np.nan, loss.dtype)


def _grad_scale(g: Tensor, reduction: str, n: int) -> Tensor:
    """The upstream gradient per element: g (none, sum) or g/n (mean)."""
    if reduction == "mean" and n:
        return g * (1.0 / n)
    return g  # (an empty mean has no elements to pass a gradient to)


# -- class-index targets: nll_loss and cross_entropy ---------------------------------------------
def _check_class_targets(input: Tensor, target: Tensor, weight, ignore_index):
    """torch's nll_loss_nd checks, in torch's order (its autograd layer's first)."""
    # (torch's nll_loss_nd runs nll_loss2d for an input of 3 or more dims)
    not_differentiable("nll_loss2d_forward" if input.ndim >= 3 else "nll_loss_forward", weight=weight)
    x, t = input._data, target._data
    check_same_device(x, t, weight)
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim != 1 and x.shape[0] != (t.shape[0] if t.ndim else 0):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 0}).")
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
    else:
        expected = (x.shape[0],) + x.shape[2:]
        if t.shape != expected:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(t.shape)}")
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    if weight is not None:
        w = weight._data
        if w.ndim != 1 or w.size != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                               f"but got weight tensor of shape: {list(w.shape)}")
        if w.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {torch_type_name(x)} but found {torch_type_name(w)}")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {torch_type_name(t)}")


def _rows(x):
    """x as (M, C) rows of class scores: the class dim (0 for 1-D, else 1) moved last."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(rows, shape):
    """The inverse of _rows: (M, C) back to the input's layout."""
    if len(shape) == 1:
        return rows.reshape(shape)
    if len(shape) == 2:
        return rows
    return np.moveaxis(rows.reshape((shape[0],) + shape[2:] + (shape[1],)), -1, 1)


def _picked_targets(t, ignore_index, n_classes):
    """(safe class index per row, valid mask or None); out-of-range targets raise torch's IndexError."""
    t = t.reshape(-1)
    valid = t != ignore_index
    all_valid = valid.all()
    safe = t if all_valid else np.where(valid, t, 0)
    if safe.size and (safe.min() < 0 or safe.max() >= n_classes):
        bad = (safe < 0) | (safe >= n_classes)
        raise IndexError(f"Target {int(safe[np.argmax(bad)])} is out of bounds.")
    return safe.astype(np.intp, copy=False), (None if all_valid else valid)


def _sample_weights(safe, valid, weight, dtype):
    """w[t_i] for each row, 0 where the target is ignored."""
    if weight is None:
        return xp(safe).ones(safe.shape, dtype) if valid is None else valid.astype(dtype)
    wt = weight[safe].astype(dtype, copy=False)
    return wt if valid is None else wt * valid


def _class_coefficients(safe, valid, weight, smoothing, shape, dtype):
    """A (M, C): the weight of each log-probability in the loss, and s = sum_c A (M, 1)."""
    m, c = len(safe), shape[1]
    wt = _sample_weights(safe, valid, weight, dtype)
    a = xp(safe).zeros((m, c), dtype)
    a[xp(safe).arange(m), safe] = (1 - smoothing) * wt
    if smoothing > 0:
        per_class = (xp(a).ones(c, dtype) if weight is None else weight.astype(dtype)) * (smoothing / c)
        a += per_class if valid is None else per_class * valid[:, None].astype(dtype)
    return a, a.sum(1, keepdims=True)


def _upstream(g: Tensor, reduction: str, x_shape) -> Tensor:
    """The loss gradient shaped to broadcast against the input (a class dim of size 1 put in)."""
    if reduction != "none" or len(x_shape) == 1:
        return g
    return g.reshape((x_shape[0], 1) + tuple(x_shape[2:]))


def _checked(*tensors) -> tuple:
    """The tensors among ``tensors`` that torch's node saves but whose arrays the forward has already
    read (targets, weights): passed last to the op, which saves them only so that changing one in
    place before backward raises torch's version error."""
    return tuple(t for t in tensors if isinstance(t, Tensor))


class CrossEntropy(Op):
    """l_i = -sum_c A_ic log softmax(x_i)_c  with A_ic = (1-eps) w_t [c = t_i] + eps/C w_c (0 if ignored);
    dl_i/dx_i = softmax(x_i) * sum_c A_ic - A_i"""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction, *checked):
        rows = _rows(x)
        m, c = rows.shape
        safe, valid = _picked_targets(target, ignore_index, c)
        ar = xp(x).arange(m)
        hot_path = weight is None and valid is None and smoothing == 0   # the training hot path
        kernels = row_kernels(rows) if hot_path else None
        scaled = 1   # the factor p carries already
        if kernels is not None:   # softmax (over m for 'mean') and the loss per row, in blocks of rows
            scaled = 1 / m if reduction == "mean" else 1
            loss, p = kernels.cross_entropy_rows(rows, safe, scaled)
        else:
            shifted = rows - rows.max(1, keepdims=True) if m and c else rows.copy()
            p = np.exp(shifted)
            total = p.sum(1, keepdims=True)
            log_total = np.log(total)
            picked = shifted[ar, safe] - log_total[:, 0]  # log-probability of each target class
            p /= total
        # p becomes the gradient coefficient D = softmax * s - A (divided by the summed weight for 'mean')
        if hot_path:
            if kernels is None:
                loss = -picked
            total_weight = m
            p[ar, safe] -= scaled
        else:
            wt = _sample_weights(safe, valid, weight, x.dtype)
            loss = -wt * picked
            if smoothing > 0:
                logp = shifted - log_total
                smooth = -(logp if weight is None else logp * weight).sum(1)
                if valid is not None:
                    smooth *= valid
                loss = (1 - smoothing) * loss + (smoothing / c) * smooth
            total_weight = wt.sum()
            a, s = _class_coefficients(safe, valid, weight, smoothing, rows.shape, x.dtype)
            p = p * s - a
        if reduction == "mean":
            if total_weight:
                if scaled == 1:
                    p /= total_weight
                out = loss.sum() / total_weight
            else:  # every target ignored (or an empty batch): a NaN loss and a zero gradient, as torch
                out = np.nan
        elif reduction == "sum":
            out = loss.sum()
        else:
            out = loss.reshape(target.shape)
        ctx.coeff = _unrows(p, x.shape)
        ctx.reduction, ctx.total_weight, ctx.smoothing = reduction, total_weight, smoothing
        ctx.safe, ctx.valid, ctx.weight = safe, valid, weight
        ctx.shape = x.shape
        ctx.save_for_backward(target, x, *checked)   # (checked: the weight tensor, version-checked)
        return xp(x).asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.shape
        g = _upstream(g, ctx.reduction, shape)
        ctx.saved_tensor(0)  # the target, version-checked as torch's nll_loss saves it
        for i in range(2, len(ctx._saved)):
            ctx.saved_tensor(i)  # and the weight
        if type(g._data) is np.ndarray and not np.isfinite(g._data).all():
            return _cross_entropy_backward_in_two_steps(ctx, g), None
        if not grad_mode.state.grad_enabled:
            # plain backward: the coefficient from forward is exact. It does not read the saved
            # logits, so changing them in place after the loss is fine, as in torch (whose
            # log_softmax saves its output)
            return ScaleByConstant.apply(g, ctx.coeff), None
        x = ctx.saved_tensor(1)
        # create_graph: rebuild the coefficient as a differentiable function of x
        dtype = x._data.dtype
        a, s = _class_coefficients(ctx.safe, ctx.valid, ctx.weight, ctx.smoothing,
                                   (len(ctx.safe), shape[0] if len(shape) == 1 else shape[1]), dtype)
        if ctx.reduction == "mean" and ctx.total_weight:
            a, s = a / ctx.total_weight, s / ctx.total_weight
        class_dim = 0 if len(shape) == 1 else 1
        p = softmax(x, class_dim)
        coeff = ScaleByConstant.apply(p, _unrows(np.broadcast_to(s, a.shape), shape)) - Tensor._make(_unrows(a, shape))
        return coeff * g, None


def _cross_entropy_backward_in_two_steps(ctx, g: Tensor) -> Tensor:
    """cross_entropy's gradient for an upstream g holding inf or NaN, as torch's two nodes compute it:
    nll_loss_backward writes -A g at the positions the loss reads (the targets of rows not ignored;
    every class with label smoothing) and 0 elsewhere, then log_softmax_backward gives
    h - softmax * sum(h) (so an inf at a target gives NaN there, inf - inf, and ignored rows 0)."""
    shape = ctx.shape
    x = ctx.saved_tensor(1)
    c = shape[0] if len(shape) == 1 else shape[1]
    a, _ = _class_coefficients(ctx.safe, ctx.valid, ctx.weight, ctx.smoothing, (len(ctx.safe), c), x._data.dtype)
    if ctx.reduction == "mean" and ctx.total_weight:
        a = a / ctx.total_weight
    rows = np.ones(len(ctx.safe), bool) if ctx.valid is None else ctx.valid
    if ctx.smoothing > 0:   # (the smoothing term reads every class of the rows not ignored)
        read = np.repeat(rows[:, None], c, 1)
    else:
        read = np.zeros((len(ctx.safe), c), bool)
        read[np.arange(len(ctx.safe)), ctx.safe] = rows
    h = math_ops.where(Tensor._make(_unrows(read, shape)), -(Tensor._make(_unrows(a, shape)) * g),
                       Tensor._make(np.zeros((), x._data.dtype)))
    class_dim = 0 if len(shape) == 1 else 1
    return h - softmax(x, class_dim) * h.sum(class_dim, keepdim=True)


class NllLoss(Op):
    """l_i = -w_{t_i} x_{i, t_i} (0 if ignored);  dl_i/dx_i = -w_{t_i} onehot(t_i)"""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, *checked):
        rows = _rows(x)
        m, c = rows.shape
        safe, valid = _picked_targets(target, ignore_index, c)
        ar = xp(x).arange(m)
        wt = _sample_weights(safe, valid, weight, x.dtype)
        loss = -wt * rows[ar, safe]
        total_weight = wt.sum()
        coeff = xp(x).zeros((m, c), x.dtype)
        coeff[ar, safe] = -wt
        with np.errstate(invalid="ignore", divide="ignore"):
            if reduction == "mean":
                if total_weight:  # else: every target ignored, a NaN loss and a zero gradient (torch)
                    coeff /= total_weight
                out = loss.sum() / total_weight
            elif reduction == "sum":
                out = loss.sum()
            else:
                out = loss.reshape(target.shape)
        ctx.coeff, ctx.reduction = _unrows(coeff, x.shape), reduction
        ctx.shape, ctx.picked = x.shape, (ar, safe, valid)
        ctx.save_for_backward(x, target, *checked)  # (version-checked at backward, as torch saves them)
        return xp(x).asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        # torch's nll_loss_backward(grad, self, ...): in x's graph with a zero derivative (create_graph)
        g = _upstream(g, ctx.reduction, ctx.shape)
        out = kink_scale(g, ctx.coeff, x)
        if type(g._data) is not np.ndarray or np.isfinite(g._data).all():
            return out, None
        # an inf or NaN upstream: torch's kernel writes only the targets' positions (0 elsewhere, not inf * 0)
        ar, safe, valid = ctx.picked
        targets = np.zeros((len(safe), ctx.shape[0] if len(ctx.shape) == 1 else ctx.shape[1]), bool)
        targets[ar, safe] = True if valid is None else valid
        return math_ops.where(Tensor._make(_unrows(targets, ctx.shape)), out,
                              Tensor._make(np.zeros((), out._data.dtype))), None


@autocast("fp32")
def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    _check_class_targets(input, target, weight, ignore_index)
    if not dtypes.is_floating(input._data.dtype):
        raise NotImplementedError(f'"nll_loss_out_frame" not implemented for \'{torch_type_name(input._data)}\'')
    return NllLoss.apply(input, target, None if weight is None else weight._data, ignore_index, reduction,
                         *_checked(weight))


@autocast("fp32")
def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if x.shape == t.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if x.ndim == 1 else 1
    if not dtypes.is_floating(x.dtype):
        wrap_dim(class_dim, x.ndim)
        kernel = "log_softmax_lastdim_kernel_impl" if class_dim == x.ndim - 1 else "log_softmax_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_type_name(x)}\'')
    _check_class_targets(input, target, weight, ignore_index)
    return CrossEntropy.apply(input, target, None if weight is None else weight._data, ignore_index,
                              max(float(label_smoothing), 0.0), reduction, *_checked(weight))


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, smoothing):
    """Class-probability targets, composed of minigrad ops (differentiable in input and target)."""
    t = target._data
    if not dtypes.is_floating(t.dtype):
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{torch_type_name(t)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    class_dim = 0 if input._data.ndim == 1 else 1
    if not dtypes.is_floating(input._data.dtype):
        raise NotImplementedError(f'"log_softmax_lastdim_kernel_impl" not implemented for '
                                  f'\'{torch_type_name(input._data)}\'')
    n_classes = input.shape[class_dim]
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_classes} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")
    if smoothing > 0:
        if smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {smoothing}")
        target = target * (1 - smoothing) + smoothing / n_classes
    logp = log_softmax(input, class_dim)
    if weight is not None:
        shape = [1] * input._data.ndim
        shape[class_dim] = n_classes
        target = target * weight.reshape(tuple(shape))
    loss = -(logp * target).sum(class_dim)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    n = input._data.size // n_classes if n_classes else 0
    return loss.sum() / n if n else loss.sum() * float("nan")


# -- regression losses on d = x - y --------------------------------------------------------------
def _pointwise_inputs(input: Tensor, target: Tensor, kernel: str):
    if input._data.shape != target._data.shape:
        warnings.warn(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                      f"({_size(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)
        broadcast_shape(input._data.shape, target._data.shape)
    input, target = promote(input, target)
    if not dtypes.is_floating(input._data.dtype):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_type_name(input._data)}\'')
    return input, target


# torch's nodes for these losses (its l1_loss records abs and mean instead: docs/parity.md)
_DIFF_LOSS_NODES = {"mse": "MseLossBackward0", "smooth_l1": "SmoothL1LossBackward0",
                    "huber": "HuberLossBackward0"}


class DiffLoss(Op):
    """l = f(x - y), reduced; f and df/dd per kind (d = x - y, a = |d|):

        mse        d^2                                        2d
        smooth_l1  d^2/(2b) if a < b else a - b/2             d/b inside, sign(d) outside
        huber      d^2/2 if a < delta else delta(a - delta/2) d inside, delta*sign(d) outside
    """

    @staticmethod
    def forward(ctx, x, y, kind, param, reduction):
        d = x - y
        ctx.kind, ctx.param, ctx.reduction, ctx.n = kind, param, reduction, d.size
        ctx.node_name = _DIFF_LOSS_NODES[kind]
        if kind == "mse":
            ctx.save_for_backward(x, y)
            loss = d * d
        else:
            a = np.abs(d)
            inside = a < param
            ctx.inside, ctx.sign = inside, np.sign(d)
            ctx.save_for_backward(x, y)
            if kind == "smooth_l1":
                loss = np.where(inside, 0.5 * d * d / param, a - 0.5 * param)
            else:
                loss = np.where(inside, 0.5 * d * d, param * (a - 0.5 * param))
            loss = loss.astype(d.dtype, copy=False)
        return _reduce_array(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        g = _grad_scale(g, ctx.reduction, ctx.n)
        kind = ctx.kind
        x, y = ctx.saved_tensors
        d = x - y
        if kind == "mse":
            gx = d * (g * 2)
        else:
            dtype = d._data.dtype
            inside = ctx.inside
            slope = 1 / ctx.param if kind == "smooth_l1" else 1.0
            outer = 1.0 if kind == "smooth_l1" else ctx.param
            linear = ScaleByConstant.apply(d, (inside * slope).astype(dtype))
            gx = (linear + Tensor._make(np.where(inside, 0, ctx.sign * outer).astype(dtype))) * g
        need_x, need_y = ctx.needs_input_grad[:2]
        return (gx if need_x else None), (-gx if need_y else None)


def _weighted(loss: Tensor, weight: Tensor, reduction: str, mean_by: str) -> Tensor:
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by == "weight" else loss.mean()


def _check_weight(weight, input):
    if weight._data.shape != input._data.shape:
        raise ValueError("Weights and input must have the same size.")


def _pointwise_loss(kind, kernel_name, input, target, size_average, reduce, reduction, weight):
    """mse_loss and l1_loss: one elementwise loss, optionally weighted, then reduced."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    input, target = _pointwise_inputs(input, target, kernel_name)
    if weight is not None:
        _check_weight(weight, input)
        _check_weighted_reduction(reduction)
        # torch's weighted losses are composites (|x - y| or (x - y) ** 2, times weight): only the
        # difference is saved, so writing input or target before backward is no version error
        loss = _l1(input, target, "none") if kind == "l1" else (input - target) ** 2
        return _weighted(loss, weight, reduction, "weight")
    if kind == "l1":
        return _l1(input, target, _reduction(reduction))
    return DiffLoss.apply(input, target, kind, None, _reduction(reduction))


def _l1(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """|x - y|, reduced: torch's l1_loss is this composite (AbsBackward0, then MeanBackward0 or
    SumBackward0), so its gradient sgn(x - y) g lies in the graph of x - y (create_graph) and
    nothing of x or y is saved."""
    return _reduce(math_ops.abs(input - target), reduction)


@autocast("fp32")
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    return _pointwise_loss("mse", "mse_cpu", input, target, size_average, reduce, reduction, weight)


@autocast("fp32")
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight=None) -> Tensor:
    return _pointwise_loss("l1", "abs_cpu", input, target, size_average, reduce, reduction, weight)


@autocast("fp32")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _pointwise_inputs(input, target, "smooth_l1_cpu")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return _l1(input, target, _reduction(reduction))
    return DiffLoss.apply(input, target, "smooth_l1", float(beta), reduction)


@autocast("fp32")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    input, target = _pointwise_inputs(input, target, "huber_cpu")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        _check_weight(weight, input)
        _check_weighted_reduction(reduction)
        return _weighted(DiffLoss.apply(input, target, "huber", float(delta), "none"), weight, reduction, "count")
    return DiffLoss.apply(input, target, "huber", float(delta), _reduction(reduction))


def _check_weighted_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


# -- binary cross entropy ---------------------------------------------------------------------
_BCE_EPS = 1e-12


class BinaryCrossEntropy(Op):
    """l = -w (t log x + (1-t) log(1-x)), logs clamped at -100;
    dl/dx = w (x - t) / max(x (1-x), 1e-12),  dl/dt = -w logit(x) = w (log(1-x) - log x), unclamped"""

    @staticmethod
    def forward(ctx, x, t, weight, reduction):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            loss = loss * weight.astype(x.dtype, copy=False)
        ctx.reduction, ctx.n = reduction, loss.size
        ctx.save_for_backward(x, t, weight)   # weight too: changing it in place is a version error, as torch
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, weight = ctx.saved_tensors
        g = _grad_scale(g, ctx.reduction, ctx.n)
        if weight is not None:
            g = ScaleByConstant.apply(g, xp(weight._data).broadcast_to(weight._data, t.shape).astype(x._data.dtype))
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = BinaryCrossEntropyInputGrad.apply(g, x, t)
        if ctx.needs_input_grad[1]:
            gt = -math_ops.logit(x) * g   # (torch's binary_cross_entropy_target_backward: no clamp at -100)
        return gx, gt, None


class BinaryCrossEntropyInputGrad(Op):
    """z = g (x - t) / max(x (1 - x), 1e-12) (g already weighted and reduced);  torch's double backward:
    dz/dg = (x - t) / max(x (1 - x), 1e-12),  dz/dx = g (x^2 - 2 x t + t) / ((x + 1e-12)^2 (1 - x + 1e-12)^2),
    dz/dt = -g / max(x (1 - x), 1e-12)"""

    node_name = "BinaryCrossEntropyBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, t):
        ctx.save_for_backward(g, x, t)
        return (g * (x - t) / np.maximum((1 - x) * x, x.dtype.type(_BCE_EPS))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, gg):
        g, x, t = ctx.saved_tensors
        need = ctx.needs_input_grad
        dg = BinaryCrossEntropyInputGrad.apply(gg, x, t) if need[0] else None
        dx = dt = None
        if need[1]:   # (torch's binary_cross_entropy_double_backward)
            dx = (x * x - 2 * x * t + t) / ((x + _BCE_EPS) ** 2 * ((1 - x) + _BCE_EPS) ** 2) * (g * gg)
        if need[2]:   # (torch's binary_cross_entropy_double_backward_target: (1 - x) x, clamped unrecorded)
            denom = (1 - x) * x
            lifted = np.maximum(denom._data, denom._data.dtype.type(_BCE_EPS)) - denom._data
            dt = -(g * gg) / (denom + Tensor._make(lifted))
        return dg, dx, dt


def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                         f"({_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    if target._data.dtype != input._data.dtype:   # torch does not promote here
        raise RuntimeError(f"Found dtype {torch_type_name(target._data)} but expected {torch_type_name(input._data)}")
    x = input._data
    if not dtypes.is_floating(x.dtype):
        raise NotImplementedError(f'"binary_cross_entropy" not implemented for \'{torch_type_name(x)}\'')
    if not np.all((x >= 0) & (x <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not np.all((target._data >= 0) & (target._data <= 1)):
        raise RuntimeError("all elements of target should be between 0 and 1")
    if weight is not None:
        not_differentiable("binary_cross_entropy", weight=weight)
        try:
            shape = np.broadcast_shapes(target._data.shape, weight._data.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({list(weight.shape)}) must match the size of tensor b "
                               f"({list(target.shape)})") from None
        if shape != target._data.shape:
            raise RuntimeError(f"The expanded size of the tensor must match the existing size: weight "
                               f"{list(weight.shape)} cannot be broadcast to {list(target.shape)}")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


class BinaryCrossEntropyWithLogits(Op):
    """l = w ((1-t) x + (1 + (pw-1) t) softplus(-x));
    dl/dx = w ((1-t) - (1 + (pw-1) t) sigmoid(-x)),  dl/dt = w (-x + (pw-1) softplus(-x))"""

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight, reduction, *checked):
        softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        if pos_weight is None:
            loss = (1 - t) * x + softplus_neg
        else:
            loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * softplus_neg
        if weight is not None:
            loss = loss * weight
        ctx.weight, ctx.pos_weight, ctx.reduction, ctx.n = weight, pos_weight, reduction, loss.size
        ctx.save_for_backward(x, t, *checked)   # (checked: the weight tensors, version-checked)
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors[:2]
        g = _grad_scale(g, ctx.reduction, ctx.n)
        if ctx.weight is not None:
            g = g * Tensor._make(ctx.weight)
        pw = None if ctx.pos_weight is None else Tensor._make(ctx.pos_weight)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            if pw is None:
                gx = g * (math_ops.sigmoid(x) - t)
            else:
                gx = g * ((1 - t) - ((pw - 1) * t + 1) * math_ops.sigmoid(-x))
        if ctx.needs_input_grad[1]:
            gt = g * (-x) if pw is None else g * ((pw - 1) * -logsigmoid(x) - x)
        return gx, gt


@autocast("fp32")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    not_differentiable("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size ({_size(input.shape)})")
    input, target = promote(input, target)
    x = input._data
    if not dtypes.is_floating(x.dtype):
        raise NotImplementedError(f'"log_sigmoid_cpu" not implemented for \'{torch_type_name(x)}\'')
    shape = x.shape
    pw = w = None
    if pos_weight is not None:
        shape = broadcast_shape(pos_weight._data.shape, shape)
        pw = pos_weight._data.astype(x.dtype, copy=False)
    if weight is not None:
        shape = broadcast_shape(weight._data.shape, shape)
        w = weight._data.astype(x.dtype, copy=False)
    if shape != x.shape:  # weights may widen the loss ('none'): broadcast the inputs to it
        input, target = input.expand(shape), target.expand(shape)
    return BinaryCrossEntropyWithLogits.apply(input, target, w, pw, reduction, *_checked(weight, pos_weight))


# -- KL divergence ------------------------------------------------------------------------------
class XLogX(Op):
    """z = x log x (0 at x = 0);  dz/dx = log x + 1"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0, x * np.log(x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (math_ops.log(x) + 1)


@autocast("fp32")
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    elif reduction != "batchmean":
        _reduction(reduction)
    if not dtypes.is_floating(input._data.dtype) or not dtypes.is_floating(target._data.dtype):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    broadcast_shape(input._data.shape, target._data.shape)
    if log_target:
        loss = math_ops.exp(target) * (target - input)
    else:
        loss = XLogX.apply(target) - target * input
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    total = loss.sum()
    if reduction == "batchmean" and input._data.ndim != 0:
        return total / input.shape[0]
    return total


# -- margin and embedding losses, composed of minigrad ops as torch composes them -----------------
# (their gradients, and grad-of-grad, come from the ops they are made of; the output node is the
# reduction's, or the last op's under reduction='none', as in torch)
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """torch's apply_loss_reduction: the loss as it is, its mean or its sum."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _zeros_like(x: Tensor) -> Tensor:
    return Tensor._make(xp(x._data).zeros(x._data.shape, x._data.dtype))


def _clamp_min(x: Tensor, low: float) -> Tensor:
    """max(x, low), recorded as torch's clamp_min (ClampMinBackward0)."""
    return overload(math_ops.clamp(x, min=low), "ClampMinBackward0")


def _loss_reduction(reduction, size_average, reduce) -> str:
    """The reduction from the new argument or the legacy pair (which torch maps without a warning here)."""
    if size_average is not None or reduce is not None:
        return _reduction(reduction, size_average, reduce)
    return _reduction(reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin), reduced."""
    reduction = _loss_reduction(reduction, size_average, reduce)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1.shape)}, input2: {_size(input2.shape)}, "
                           f"target: {_size(target.shape)} ")
    return _reduce(_clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (both terms where y is neither), reduced."""
    reduction = _loss_reduction(reduction, size_average, reduce)
    zeros = _zeros_like(input)
    margin_term = math_ops.where(target != 1, _clamp_min(margin - input, 0), zeros)
    self_term = math_ops.where(target != -1, input, zeros)
    return _reduce(margin_term + self_term, reduction)


class SoftMarginLoss(Op):
    """l = log(1 + exp(-y x));  dl/dx = -y sigmoid(-y x)"""

    @staticmethod
    def forward(ctx, x, y, reduction):
        z = -y * x
        loss = np.logaddexp(0, z).astype(x.dtype, copy=False)  # log1p(exp(z)) without overflow
        ctx.reduction, ctx.n = reduction, loss.size
        ctx.save_for_backward(x, y)
        return _reduce_array(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _grad_scale(g, ctx.reduction, ctx.n)
        return g * (-y * math_ops.sigmoid(-y * x)), None


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _loss_reduction(reduction, size_average, reduce)
    not_differentiable("soft_margin_loss", target=target)
    shape = broadcast_shape(input._data.shape, target._data.shape)
    input, target = promote(input, target)
    if not dtypes.is_floating(input._data.dtype):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{torch_type_name(input._data)}")
    if shape != input._data.shape:
        input = input.expand(shape)
    if shape != target._data.shape:
        target = target.expand(shape)
    return SoftMarginLoss.apply(input, target, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """-(y logsigmoid(x) + (1 - y) logsigmoid(-x)) * w, averaged over the classes (last dim), reduced."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6) -> Tensor:
    """torch's pairwise_distance: ||x1 - x2 + eps||_p over the last dim."""
    return norm(x1 - x2 + eps, p, max(x1.ndim, x2.ndim) - 1)


def _same_ndims(anchor, positive, negative):
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")


def _check_margin(margin):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")


def _triplet(dist_pos, dist_neg, dist_swap, margin, reduction):
    """max(0, margin + d(a, p) - d(a, n)), d(a, n) replaced by min(d(a, n), d(p, n)) under swap."""
    if dist_swap is not None:
        dist_neg = math_ops.minimum(dist_neg, dist_swap)
    return _reduce(_clamp_min(margin + dist_pos - dist_neg, 0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    reduction = _loss_reduction(reduction, size_average, reduce)
    _check_margin(margin)
    _same_ndims(anchor, positive, negative)
    swap_dist = _pairwise_distance(positive, negative, p, eps) if swap else None
    return _triplet(_pairwise_distance(anchor, positive, p, eps), _pairwise_distance(anchor, negative, p, eps),
                    swap_dist, margin, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_margin(margin)
    _same_ndims(anchor, positive, negative)
    distance = distance_function if distance_function is not None else _pairwise_distance
    swap_dist = distance(positive, negative) if swap else None
    return _triplet(distance(anchor, positive), distance(anchor, negative), swap_dist, margin, reduction)


_COSINE_EPS = 1e-12  # torch's EPSILON in cosine_embedding_loss


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, reduced."""
    reduction = _loss_reduction(reduction, size_average, reduce)
    dim = target.ndim
    if dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if dim == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if dim == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(dim)
    mag_square1 = (input1 * input1).sum(dim) + _COSINE_EPS
    mag_square2 = (input2 * input2).sum(dim) + _COSINE_EPS
    cos = prod_sum / math_ops.sqrt(mag_square1 * mag_square2)
    zeros = _zeros_like(cos)
    pos = math_ops.where(target == 1, 1 - cos, zeros)
    neg = math_ops.where(target == -1, _clamp_min(cos - margin, 0), zeros)
    return _reduce(pos + neg, reduction)


class ClampForward(Op):
    """z = max(x, low) in value, the identity in gradient;  dz/dx = 1 (torch clamps gaussian_nll_loss's var in
    place under no_grad)"""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, low):
        return np.maximum(x, x.dtype.type(low))

    @staticmethod
    def backward(ctx, g):
        return g


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """(log(max(var, eps)) + (x - y)^2 / max(var, eps)) / 2 (+ log(2 pi) / 2 when full), reduced."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(xp(input._data).full(input._data.shape, var, input._data.dtype))
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # homoscedastic: one variance per sample, broadcast over the last dim
        elif input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
            pass  # one mismatched dim of size 1: broadcast
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = ClampForward.apply(var, eps)
    loss = 0.5 * (math_ops.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """exp(x) - y x (log_input) or x - y log(x + eps), plus Stirling's y log y - y + log(2 pi y)/2 where y > 1
    when full; reduced."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = math_ops.exp(input) - target * input
    else:
        loss = input - target * math_ops.log(input + eps)
    if full:
        stirling = target * math_ops.log(target) - target + 0.5 * math_ops.log(2 * np.pi * target)
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


# -- multi-class margin losses: piecewise linear (or quadratic) in x, one fused op each ----------------
def _margin_frames(fn, input: Tensor, target: Tensor):
    """(nframe, dim) of torch's (multi|multilabel)_margin_loss shape checks."""
    x = input._data
    if not ((x.ndim == 2 and x.shape[1] != 0) or (x.ndim == 1 and x.shape[0] != 0) or x.ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(x.shape)}")
    if x.ndim <= 1:
        return 1, (1 if x.ndim == 0 else x.shape[0])
    return x.shape[0], x.shape[1]


def _reduce_frames(loss, reduction, shape):
    if reduction == "none":
        return loss.reshape(shape)
    return _reduce_array(loss, reduction)


class MultiMarginLoss(Op):
    """l_i = sum_{j != y_i} w_{y_i} max(0, margin - x_{i y_i} + x_ij)^p / C;
    dl_i/dx_ij = w_{y_i} p z_ij^(p-1) / C for z_ij = margin - x_{i y_i} + x_ij > 0 (j != y_i), and
    dl_i/dx_{i y_i} = -sum_j dl_i/dx_ij"""

    @staticmethod
    def forward(ctx, x, target, p, margin, weight, reduction, out_shape, *checked):
        ctx.save_for_backward(x, *checked)   # (x, the target and weight tensors, version-checked, as torch's)
        nframe, dim = (1, max(x.size, 1)) if x.ndim <= 1 else x.shape
        rows = x.reshape(nframe, dim)
        t = target.reshape(-1).astype(np.intp)
        if t.size and (t.min() < 0 or t.max() >= dim):
            raise RuntimeError("target out of range")
        ar = np.arange(nframe)
        z = margin - rows[ar, t][:, None] + rows
        z[ar, t] = 0
        active = z > 0
        scale = np.ones(nframe, x.dtype) if weight is None else weight.reshape(-1)[t].astype(x.dtype)
        scale = scale / dim
        loss = ((np.where(active, z if p == 1 else z * z, 0)).sum(1) * scale).astype(x.dtype)
        coeff = np.where(active, 1 if p == 1 else 2 * z, 0) * scale[:, None]
        coeff[ar, t] = -coeff.sum(1)
        if reduction == "mean" and nframe:
            coeff /= nframe
        ctx.coeff = coeff.astype(x.dtype).reshape(x.shape)
        ctx.reduction, ctx.out_shape = reduction, out_shape
        return _reduce_frames(loss, reduction, out_shape)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        if ctx.reduction == "none":
            g = g.reshape((-1, 1) if len(ctx.coeff.shape) == 2 else ())
        return scale_once_differentiable(g, ctx.coeff, x, "multi_margin_loss_backward"), None


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                      reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _loss_reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    not_differentiable("multi_margin_loss", weight=weight)
    nframe, dim = _margin_frames("multi_margin_loss", input, target)
    t = target._data
    if not (t.ndim <= 1 and t.size == nframe):
        raise RuntimeError(f"inconsistent target size, expected {nframe} but got {list(t.shape)}")
    if weight is not None and not (weight._data.ndim <= 1 and weight._data.size == dim):
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight.shape)}")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {torch_type_name(t)}")
    if not dtypes.is_floating(input._data.dtype):
        raise NotImplementedError(f'"multi_margin_loss_cpu" not implemented for \'{torch_type_name(input._data)}\'')
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {torch_type_name(input._data)} but found "
                           f"{torch_type_name(weight._data)}")
    return MultiMarginLoss.apply(input, target._data, p, float(margin),
                                 None if weight is None else weight._data, reduction, t.shape, *_checked(target, weight))


class MultilabelMarginLoss(Op):
    """l_i = sum_{j in y_i} sum_{k not in y_i} max(0, 1 - x_ij + x_ik) / C  (y_i: the targets before the first -1);
    dl_i/dx_ik = #{j: z_ijk > 0} / C,  dl_i/dx_ij = -#{k: z_ijk > 0} / C"""

    @staticmethod
    def forward(ctx, x, target, reduction, *checked):
        ctx.save_for_backward(x, *checked)   # (x and the target tensor, version-checked, as torch's)
        nframe, dim = (1, max(x.size, 1)) if x.ndim <= 1 else x.shape
        rows = x.reshape(nframe, dim)
        t = target.reshape(nframe, dim)
        # the targets of each row: the entries before its first -1
        listed = np.cumprod(t >= 0, axis=1).astype(bool)
        if np.any(listed & (t >= dim)):
            raise RuntimeError("argument #2 'target' is out of range")
        is_target = np.zeros((nframe, dim), bool)
        r_idx, c_idx = np.nonzero(listed)
        is_target[r_idx, t[r_idx, c_idx]] = True
        # z[i, a, k] for the a-th listed target j = t[i, a] (duplicates count again, as torch's loop does)
        picked = np.take_along_axis(rows, np.where(listed, t, 0).astype(np.intp), 1)
        z = 1 - picked[:, :, None] + rows[:, None, :]
        active = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
        loss = (np.where(active, z, 0).sum((1, 2)) / dim).astype(x.dtype)
        coeff = active.sum(1).astype(x.dtype)  # + for every non-target k
        np.add.at(coeff, (r_idx, t[r_idx, c_idx]), -active.sum(2)[r_idx, c_idx])
        coeff /= dim
        if reduction == "mean" and nframe:
            coeff /= nframe
        ctx.coeff = coeff.astype(x.dtype).reshape(x.shape)
        ctx.reduction = reduction
        return _reduce_frames(loss, reduction, (nframe,) if x.ndim == 2 else ())

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        if ctx.reduction == "none" and len(ctx.coeff.shape) == 2:
            g = g.reshape((-1, 1))
        return scale_once_differentiable(g, ctx.coeff, x, "multilabel_margin_loss_backward"), None


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    reduction = _loss_reduction(reduction, size_average, reduce)
    nframe, dim = _margin_frames("multilabel_margin_loss", input, target)
    t = target._data
    x = input._data
    ok = (t.ndim <= 1 and t.size == dim) if x.ndim <= 1 else (t.ndim == 2 and t.shape == (nframe, dim))
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(x.shape)}")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {torch_type_name(t)}")
    if not dtypes.is_floating(x.dtype):
        raise NotImplementedError(f'"multilabel_margin_loss_forward_out_frame" not implemented for '
                                  f'\'{torch_type_name(x)}\'')
    return MultilabelMarginLoss.apply(input, t, reduction, *_checked(target))


# -- CTC: the forward-backward algorithm in log space ------------------------------------------------
def _exp(a):
    """exp rounded once to a's dtype (as C's expf: NumPy's own float32 exp may differ in the last bit)."""
    return np.exp(a.astype(np.float64)).astype(a.dtype)


def _log(a):
    """log rounded once to a's dtype (as C's logf)."""
    with np.errstate(divide="ignore"):
        return np.log(a.astype(np.float64)).astype(a.dtype)


def _logsumexp(*terms):
    """log(sum(exp(terms))) elementwise, -inf where every term is -inf (torch's: the maximum shifted out)."""
    stacked = np.stack(terms)
    top = stacked.max(0)
    safe = np.where(np.isfinite(top), top, stacked.dtype.type(0))
    total = _exp(stacked[0] - safe)
    for term in stacked[1:]:
        total = total + _exp(term - safe)
    return _log(total) + safe


class CtcLoss(Op):
    """nll_n = -log sum over the alignments of targets_n of prod_t p(label at t);  torch's gradient (as for the
    logits of a log_softmax): dnll/dlp[t, c] = exp(lp[t, c]) - exp(lcab[t, c] + nll - lp[t, c]), lcab summing
    alpha * beta over the extended-label positions of class c, and 0 from each sample's input length on"""

    @staticmethod
    def forward(ctx, lp, ext, input_lengths, target_lengths, zero_infinity, *checked):
        """lp (T, N, C); ext (N, S') the targets with blanks around and between (S' = 2 max(L) + 1)."""
        T, N, C = lp.shape
        width = ext.shape[1]
        x = lp   # computed in the input's dtype, in torch's order of operations (its CPU kernel's rounding)
        dt = lp.dtype
        n_idx = np.arange(N)
        lpe = x[:, n_idx[:, None], ext]                                        # (T, N, S')
        s_idx = np.arange(width)
        inside = s_idx[None, :] < (2 * target_lengths + 1)[:, None]              # (N, S')
        skip = np.zeros((N, width), bool)                                       # s-2 -> s allowed
        skip[:, 2:] = (ext[:, 2:] != ext[:, :-2]) & (s_idx[2:] % 2 == 1)
        neg = np.full((N, width), -np.inf, dt)
        alpha = np.full((T, N, width), -np.inf, dt)
        if T:
            alpha[0, :, 0] = lpe[0, :, 0]
            alpha[0, :, 1:2] = np.where(target_lengths[:, None] > 0, lpe[0, :, 1:2], -np.inf)
            alpha[0] = np.where(inside, alpha[0], -np.inf)
        for t in range(1, T):
            prev = alpha[t - 1]
            one = np.concatenate([neg[:, :1], prev[:, :-1]], 1)
            two = np.where(skip, np.concatenate([neg[:, :2], prev[:, :-2]], 1), -np.inf)
            alpha[t] = np.where(inside, lpe[t] + _logsumexp(prev, one, two), -np.inf)
        last = np.maximum(input_lengths - 1, 0)
        end = 2 * target_lengths
        at_end = alpha[last, n_idx, end]
        before_end = np.where(target_lengths > 0, alpha[last, n_idx, np.maximum(end - 1, 0)], -np.inf)
        nll = -_logsumexp(at_end, before_end)
        nll = np.where(input_lengths > 0, nll, np.where(target_lengths > 0, np.inf, 0.0)).astype(dt)
        ctx.save_for_backward(lp, *checked)   # (lp, the targets and length tensors, version-checked, as torch's)
        ctx.grad = _ctc_grad(x, lpe, alpha, ext, inside, skip, nll, input_lengths, target_lengths, zero_infinity,
                             C).astype(lp.dtype)
        # where torch's kernel sets the gradient to 0 after scaling (each sample's steps from its input
        # length on, and with zero_infinity the samples of infinite loss): 0 even for an inf or NaN g
        kept = (np.arange(T)[:, None] < input_lengths[None, :])[..., None]
        if zero_infinity:
            kept = kept & ~np.isinf(nll)[None, :, None]
        ctx.kept = None if kept.all() else kept
        return nll.astype(lp.dtype)

    @staticmethod
    def backward(ctx, g):
        lp = ctx.saved_tensors[0]
        scaled = scale_once_differentiable(g.reshape((1, -1, 1)), ctx.grad, lp, "_ctc_loss_backward")
        if ctx.kept is None:
            return scaled, None
        zero = Tensor._make(np.zeros((), ctx.grad.dtype))
        return math_ops.where(Tensor._make(ctx.kept), scaled, zero), None


def _ctc_grad(x, lpe, alpha, ext, inside, skip, nll, input_lengths, target_lengths, zero_infinity, C):
    """torch's ctc_loss_backward_cpu: beta by the backward recursion, then exp(lp) - exp(lcab + nll - lp)."""
    T, N, width = lpe.shape
    n_idx = np.arange(N)
    dt = x.dtype
    beta = np.full((T, N, width), -np.inf, dt)
    end = 2 * target_lengths
    nxt = np.full((N, width), -np.inf, dt)
    for t in range(T - 1, -1, -1):
        starts_here = input_lengths - 1 == t
        # the recursion from t + 1, for samples whose input runs past t
        one = _shift_left(nxt, 1, -np.inf)
        two = np.where(_shift_left(skip, 2, False), _shift_left(nxt, 2, -np.inf), -np.inf)   # s -> s+2 allowed
        cur = np.where(inside, lpe[t] + _logsumexp(nxt, one, two), -np.inf)
        init = np.full((N, width), -np.inf, dt)
        init[n_idx, end] = lpe[t, n_idx, end]
        has_label = target_lengths > 0
        init[n_idx[has_label], end[has_label] - 1] = lpe[t, n_idx[has_label], end[has_label] - 1]
        cur = np.where(starts_here[:, None], init, np.where((t < input_lengths - 1)[:, None], cur, -np.inf))
        beta[t] = cur
        nxt = cur
    # lcab[t, n, c] = log sum over the positions s of class c of alpha * beta, accumulated position by position
    # (the last first, as torch's loop runs) with torch's pairwise log-add-exp
    lcab = np.full((T, N, C), -np.inf, dt)
    for s in range(width - 1, -1, -1):
        ab = np.where(inside[None, :, s], alpha[:, :, s] + beta[:, :, s], -np.inf).astype(dt)   # (T, N)
        cls = ext[:, s]
        have = lcab[:, n_idx, cls]
        top = np.maximum(have, ab)
        safe = np.where(np.isfinite(top), top, dt.type(0))
        with np.errstate(invalid="ignore"):
            merged = _log(_exp(have - safe) + _exp(ab - safe)) + safe
        lcab[:, n_idx, cls] = np.where(np.isneginf(have), ab, merged)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grad = _exp(x) - _exp(lcab + nll[None, :, None] - x)
    active = np.arange(T)[:, None] < input_lengths[None, :]                    # (T, N)
    grad = np.where(active[..., None], grad, 0)
    if zero_infinity:
        grad = np.where(np.isinf(nll)[None, :, None], 0, grad)
    return grad


def _shift_left(a, k, fill):
    """out[:, s] = a[:, s + k], ``fill`` past the end."""
    out = np.full_like(a, fill)
    if k < a.shape[1]:
        out[:, :a.shape[1] - k] = a[:, k:]
    return out


def _lengths(value, name):
    if isinstance(value, Tensor):
        return value._data.astype(np.int64).reshape(-1)
    return np.asarray(list(value) if isinstance(value, (list, tuple)) else [value], np.int64).reshape(-1)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification: -log p(targets | log_probs) summed over every alignment."""
    reduction = _reduction(reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs, targets = log_probs.unsqueeze(1), targets.unsqueeze(0)
    lp = log_probs._data
    if not dtypes.is_floating(lp.dtype):
        raise NotImplementedError(f'"ctc_loss_cpu" not implemented for \'{torch_type_name(lp)}\'')
    T, N, C = lp.shape
    il, tl = _lengths(input_lengths, "input_lengths"), _lengths(target_lengths, "target_lengths")
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if il.size != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    tgt = targets._data.astype(np.int64)
    if tgt.ndim == 1 and not unbatched:   # the targets of every sample, concatenated
        if tgt.size != tl.sum():
            raise RuntimeError(f"Expected tensor to have size {int(tl.sum())} at dimension 0, but got size "
                               f"{tgt.size} for argument #2 'targets' (while checking arguments for "
                               "ctc_loss_allocate_outputs)")
        starts = np.concatenate([[0], np.cumsum(tl)[:-1]])
        padded = np.zeros((N, max(int(tl.max()), 0) if N else 0), np.int64)
        for n in range(N):
            padded[n, :tl[n]] = tgt[starts[n]:starts[n] + tl[n]]
        tgt = padded
    elif N and tl.size and tl.max() > tgt.shape[1]:
        raise RuntimeError(f"Expected tensor to have size at least {int(tl.max())} at dimension 1, but got size "
                           f"{tgt.shape[1]} for argument #2 'targets' (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    if il.size and il.max() > T:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {int(il.max())} (while "
                           "checking arguments for ctc_loss_allocate_outputs)")
    longest = int(tl.max()) if tl.size else 0
    ext = np.full((N, 2 * longest + 1), blank, np.int64)
    for n in range(N):
        ext[n, 1:2 * tl[n]:2] = tgt[n, :tl[n]]
    # (the lengths are not saved: torch's ctc_loss reads tensor lengths into integer lists first, so a
    # write into them before backward is no version error there)
    nll = CtcLoss.apply(log_probs, ext, il, tl, bool(zero_infinity), *_checked(targets))
    if zero_infinity:
        nll = math_ops.where(Tensor._make(np.isinf(nll._data)), _zeros_like(nll), nll)
    if unbatched:
        nll = nll.squeeze(0)
    if reduction == "mean":
        return (nll / Tensor._make(np.maximum(tl, 1).astype(lp.dtype).reshape(nll._data.shape))).mean()
    if reduction == "sum":
        return nll.sum()
    return nll


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *, linear_bias=None, weight=None,
                         reduction: str = "mean", ignore_index=None, label_smoothing: float = 0.0,
                         options=None) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target): torch's reference definition, its
    checks included. A linear_weight of shape (C, d_1.., d_K, in_features) gives K-dimensional logits
    (N, C, d_1.., d_K). torch's ``options`` choose a chunked evaluation of the same numbers (it saves memory);
    they are accepted and ignored."""
    from .nnfunc import linear
    if input._data.ndim < 1 or input._data.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input._data.ndim}")
    if linear_weight._data.ndim < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight._data.ndim}")
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"expected equal input and linear_weight last dimensions (in_features), got "
                           f"{in_features} and {linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(classes, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires"
                           f" batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*batches, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    rows = int(np.prod((classes, *out_features)))
    if out_features:
        linear_weight = linear_weight.reshape((rows, in_features))
        linear_bias = linear_bias.reshape((rows,)) if linear_bias is not None else None
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index, label_smoothing=label_smoothing)
