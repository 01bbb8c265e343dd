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

from ..autograd import grad_mode
from ..device import check_same_device
from ._util import Op, overload, Tensor, broadcast_shape, promote, wrap_dim, xp
from . import math as math_ops
from .activation import ScaleByConstant, _float_only, log_softmax, logsigmoid, softmax, torch_type_name

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


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
    if isinstance(weight, Tensor) and weight.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("The function 'nll_loss_forward' is not differentiable with respect to argument "
                           "'weight'. This input cannot have requires_grad True.")
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


class CrossEntropy(Op):
    """l_i = -sum_c A_ic log softmax(x_i)_c  with A_ic = (1-eps) w_t [c = t_i] + eps/C w_c (0 if ignored);
    dl_i/dx_i = softmax(x_i) * sum_c A_ic - A_i"""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction):
        rows = _rows(x)
        m, c = rows.shape
        safe, valid = _picked_targets(target, ignore_index, c)
        ar = xp(x).arange(m)
        shifted = rows - rows.max(1, keepdims=True) if m and c else rows.copy()
        p = np.exp(shifted)
        total = p.sum(1, keepdims=True)
        log_total = np.log(total)
        picked = shifted[ar, safe] - log_total[:, 0]  # log-probability of each target class
        p /= total
        # p becomes the gradient coefficient D = softmax * s - A (divided by the summed weight for 'mean')
        if weight is None and valid is None and smoothing == 0:  # the training hot path
            loss = -picked
            total_weight = m
            p[ar, safe] -= 1
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
        ctx.save_for_backward(target, x)
        return xp(x).asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.shape
        g = _upstream(g, ctx.reduction, shape)
        ctx.saved_tensor(0)  # the target, version-checked as torch's nll_loss saves it
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


class NllLoss(Op):
    """l_i = -w_{t_i} x_{i, t_i} (0 if ignored);  dl_i/dx_i = -w_{t_i} onehot(t_i)"""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
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
        ctx.shape = x.shape
        ctx.save_for_backward(target)  # (version-checked at backward, as torch saves it)
        return xp(x).asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors
        return ScaleByConstant.apply(_upstream(g, ctx.reduction, ctx.shape), ctx.coeff), None


def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    _check_class_targets(input, target, weight, ignore_index)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"nll_loss_out_frame" not implemented for \'{torch_type_name(input._data)}\'')
    return NllLoss.apply(input, target, None if weight is None else weight._data, ignore_index, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if x.shape == t.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if x.ndim == 1 else 1
    if x.dtype.kind != "f":
        wrap_dim(class_dim, x.ndim)
        kernel = "log_softmax_lastdim_kernel_impl" if class_dim == x.ndim - 1 else "log_softmax_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_type_name(x)}\'')
    _check_class_targets(input, target, weight, ignore_index)
    return CrossEntropy.apply(input, target, None if weight is None else weight._data, ignore_index,
                              max(float(label_smoothing), 0.0), reduction)


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, smoothing):
    """Class-probability targets, composed of minigrad ops (differentiable in input and target)."""
    t = target._data
    if t.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{torch_type_name(t)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    class_dim = 0 if input._data.ndim == 1 else 1
    if input._data.dtype.kind != "f":
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
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_type_name(input._data)}\'')
    return input, target


# torch's nodes for these losses (its l1_loss records abs and mean instead: docs/parity.md)
_DIFF_LOSS_NODES = {"mse": "MseLossBackward0", "l1": "L1LossBackward0", "smooth_l1": "SmoothL1LossBackward0",
                    "huber": "HuberLossBackward0"}


class DiffLoss(Op):
    """l = f(x - y), reduced; f and df/dd per kind (d = x - y, a = |d|):

        mse        d^2                                        2d
        l1         a                                          sign(d)   (0 at d = 0, as torch)
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
        elif kind == "l1":
            ctx.sign = np.sign(d)
            loss = np.abs(d)
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
        if kind == "l1":
            gx = ScaleByConstant.apply(g, ctx.sign)
        else:
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
        return _weighted(DiffLoss.apply(input, target, kind, None, "none"), weight, reduction, "weight")
    return DiffLoss.apply(input, target, kind, None, _reduction(reduction))


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    return _pointwise_loss("mse", "mse_cpu", input, target, size_average, reduce, reduction, weight)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight=None) -> Tensor:
    return _pointwise_loss("l1", "abs_cpu", input, target, size_average, reduce, reduction, weight)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _pointwise_inputs(input, target, "smooth_l1_cpu")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return DiffLoss.apply(input, target, "l1", None, _reduction(reduction))
    return DiffLoss.apply(input, target, "smooth_l1", float(beta), reduction)


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
    dl/dx = w (x - t) / max(x (1-x), 1e-12),  dl/dt = w (log(1-x) - log x)"""

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
            gx = g * (x - t) / math_ops.clamp((1 - x) * x, min=_BCE_EPS)
        if ctx.needs_input_grad[1]:
            gt = g * (math_ops.clamp(math_ops.log1p(-x), min=-100) - math_ops.clamp(math_ops.log(x), min=-100))
        return gx, gt, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                         f"({_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    input, target = promote(input, target)
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"binary_cross_entropy" not implemented for \'{torch_type_name(x)}\'')
    if not np.all((x >= 0) & (x <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not np.all((target._data >= 0) & (target._data <= 1)):
        raise RuntimeError("all elements of target should be between 0 and 1")
    if weight is not None:
        if weight.requires_grad and grad_mode.is_grad_enabled():
            raise RuntimeError("The function 'binary_cross_entropy' is not differentiable with respect to argument "
                               "'weight'. This input cannot have requires_grad True.")
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
    def forward(ctx, x, t, weight, pos_weight, reduction):
        softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        if pos_weight is None:
            loss = (1 - t) * x + softplus_neg
        else:
            loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * softplus_neg
        if weight is not None:
            loss = loss * weight
        ctx.weight, ctx.pos_weight, ctx.reduction, ctx.n = weight, pos_weight, reduction, loss.size
        ctx.save_for_backward(x, t)
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
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


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    reduction = _reduction(reduction, size_average, reduce)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size ({_size(input.shape)})")
    input, target = promote(input, target)
    x = input._data
    if x.dtype.kind != "f":
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
    return BinaryCrossEntropyWithLogits.apply(input, target, w, pw, reduction)


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
    if input._data.dtype.kind != "f" or target._data.dtype.kind != "f":
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
