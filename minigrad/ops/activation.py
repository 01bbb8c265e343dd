"""Activations (torch.nn.functional): forward in NumPy, backward in minigrad ops.

Piecewise-linear activations (relu, relu6, hardtanh, leaky_relu, hardsigmoid) scale the gradient
by a constant mask, so their second derivative is zero, as in torch. Smooth ones write f'(x) with
minigrad ops of x (or of the saved output), so grad-of-grad is exact.

Subgradients at the kinks follow torch:

    relu'(0) = 0            relu6'(0) = relu6'(6) = 0      hardtanh'(min) = hardtanh'(max) = 0
    leaky_relu'(0) = slope  elu'(0) = alpha, selu'(0) = scale*alpha (the negative branch)
    hardsigmoid'(+-3) = 0   hardswish'(-3) = 0, hardswish'(3) = 1
    softplus: x*beta > threshold is the linear branch (derivative 1)
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ._args import float_only as _float_only
from ._util import Op, overload, Tensor, saving, wrap_dim, xp
from . import math as math_ops
from .reduce import ROW_KERNELS_MIN, row_kernels

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu",
           "gelu", "silu", "mish", "softplus", "softsign", "hardtanh", "hardtanh_", "hardsigmoid",
           "hardswish", "logsigmoid", "softmax", "log_softmax", "softmin", "sigmoid", "tanh", "threshold"]


def torch_type_name(array) -> str:
    """The scalar type name torch prints in its messages ('Long', 'Float'...)."""
    return dtypes.scalar_name(array.dtype)


def _maybe_inplace(input: Tensor, result: Tensor, inplace: bool, inplace_node_name: str = "") -> Tensor:
    """The in-place form writes the result into the input (an op that saved its input keeps a
    copy of the old values: see autograd.inplace). ``inplace_node_name``: torch's node name for
    the in-place form where it differs (``elu_`` records EluBackward1)."""
    if not inplace:
        return result
    return overload(input._inplace(result), inplace_node_name) if inplace_node_name else input._inplace(result)


# -- helper ops: a gradient scaled by a constant ------------------------------------------------
def times_mask(x, c):
    """x * c for a constant array c; where c is a bool mask, a selection (0 where c is False, also for
    an inf or NaN x there), as torch's backward kernels select (threshold_backward, hardtanh_backward,
    hardshrink_backward...). The product is many times faster than a selection, so it is taken
    first, and the selection only where it made a NaN (inf * False or NaN * False: a NaN max)."""
    z = x * c
    if getattr(c, "dtype", None) != np.bool_ or not z.size or z.dtype.kind not in "fc":
        return z
    mod = np if isinstance(z, (np.ndarray, np.generic)) else xp(z)   # (a 0-d product is a NumPy scalar)
    made_nan = mod.isnan(z.max()) if z.dtype.kind == "f" else mod.isnan(z).any()
    return mod.where(c, z, z.dtype.type(0)) if made_nan else z


class ScaleByConstant(Op):
    """z = x * c  (c a constant array: a mask, slopes, a dropout mask);  dz/dx = c
    (a bool mask selects: see times_mask)"""

    @staticmethod
    def forward(ctx, x, c):
        ctx.c = c
        return times_mask(x, c)

    @staticmethod
    def backward(ctx, g):
        return ScaleByConstant.apply(g, ctx.c)


def scale_by_constant(x: Tensor, c) -> Tensor:
    return ScaleByConstant.apply(x, c)


class KeepWhere(Op):
    """z = x where keep, else 0  (keep a constant bool array);  dz/dx = keep  (see times_mask)"""

    @staticmethod
    def forward(ctx, x, keep):
        ctx.keep = keep
        return times_mask(x, keep)

    @staticmethod
    def backward(ctx, g):
        return KeepWhere.apply(g, ctx.keep)


def keep_where(x: Tensor, keep) -> Tensor:
    return KeepWhere.apply(x, keep)


class KinkScale(Op):
    """z = g * c, c the piecewise-constant derivative of an activation at its input x (a mask or
    slopes);  dz/dg = c, dz/dx = 0

    torch's threshold_backward, hardtanh_backward, leaky_relu_backward, ...: their result lies in
    x's graph with a zero derivative, so a gradient taken with create_graph requires grad whenever
    x (or the saved output) does, and differentiating it again gives x zeros."""

    @staticmethod
    def forward(ctx, g, c, x):
        ctx.c = c
        ctx.save_for_backward(x)
        return times_mask(g, c)

    @staticmethod
    def backward(ctx, gg):
        x, = ctx.saved_tensors
        zeros = Tensor._make(xp(x._data).zeros_like(x._data)) if ctx.needs_input_grad[2] else None
        return (kink_scale(gg, ctx.c, x) if ctx.needs_input_grad[0] else None), None, zeros


def kink_scale(g: Tensor, c, x: Tensor) -> Tensor:
    """g * c, in the graph of ``x`` (the activation's saved input or output) where a gradient is
    being recorded (create_graph): see KinkScale."""
    if x._requires_grad and grad_mode.state.grad_enabled:
        return KinkScale.apply(g, c, x)
    return ScaleByConstant.apply(g, c)


def scale_once_differentiable(g: Tensor, c, x: Tensor, aten: str, slope=None) -> Tensor:
    """g * c (times ``slope`` if given; a bool c selects, see times_mask) as one of torch's fused
    backward kernels (``aten``: hardsigmoid_backward, multi_margin_loss_backward, ...) that has no
    derivative of its own: where a gradient is being recorded (create_graph) the result lies in the
    graph of g and x, and differentiating it again raises torch's "not implemented" error."""
    if grad_mode.state.grad_enabled and (g._requires_grad or x._requires_grad):
        from .sort import _no_derivative
        value = times_mask(g._data, c)
        return _no_derivative(value if slope is None else value * slope, aten, g, x)
    scaled = ScaleByConstant.apply(g, c)
    return scaled if slope is None else ScaleByConstant.apply(scaled, slope)


class InGraphOf(Op):
    """z = g, recorded in the graph of ``reads`` too;  dz/dg = 1, dz/dreads = none

    The output of one of torch's fused backward kernels (convolution_backward, native_batch_norm_backward,
    native_layer_norm_backward): each of its gradients lies in the graph of every tensor the kernel reads,
    also where its derivative there is zero (a bias gradient, the sum of g, in the input's graph)."""

    @staticmethod
    def forward(ctx, g, zeros, *reads):
        ctx.zeros = [(xp(r), r.shape, r.dtype) for r in reads] if zeros else None
        return g.copy()

    @staticmethod
    def backward(ctx, gg):
        if ctx.zeros is None:   # (torch's fused double backward gives them no gradient)
            return (gg, None) + (None,) * (len(ctx.needs_input_grad) - 2)
        return (gg, None) + tuple(Tensor._make(mod.zeros(shape, dtype)) for mod, shape, dtype in ctx.zeros)


def in_graph_of(g, *reads, zeros=False):
    """g, in the graph of ``reads`` (Tensors or None) too where a gradient is being recorded
    (create_graph) and one of them requires grad: see InGraphOf. ``zeros``: differentiating it again
    gives the reads zeros (a formula's zeros_like(self)), not no gradient."""
    reads = [t for t in reads if t is not None and t._requires_grad]
    if g is None or not reads or not grad_mode.state.grad_enabled:
        return g
    return InGraphOf.apply(g, zeros, *reads)


class GradientInGraphOf(Op):
    """z = x;  dz/dx = 1, the gradient recorded in the graph of ``reads`` too (see InGraphOf): x is an
    argument of a composite standing for one of torch's fused nodes, whose backward reads ``reads``"""

    @staticmethod
    def forward(ctx, x, reads):
        ctx.reads = reads   # (not saved: the fused node's own saves are the composite's)
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return in_graph_of(g, *ctx.reads), None   # (reads: a tuple argument, given no gradient)


def gradient_in_graph_of(x, *reads):
    """x, or an identity of it whose gradient under create_graph lies in the graph of ``reads`` too
    where one of them requires grad: see GradientInGraphOf."""
    reads = tuple(t for t in reads if t is not None and t._requires_grad)
    if x is None or not x._requires_grad or not reads or not grad_mode.state.grad_enabled:
        return x
    return GradientInGraphOf.apply(x, reads)


def _const(array) -> Tensor:
    return Tensor._make(array)


# -- piecewise-linear ---------------------------------------------------------------------------
_ZEROS = {}   # dtype -> read-only zeros of ROW_KERNELS_MIN values, made on first use


def _zeros_shaped_as(x):
    """Zeros of x's dtype and shape (a view of a shared read-only block) for a C-contiguous NumPy
    array of fewer than ROW_KERNELS_MIN values, else the number 0. NumPy's ``maximum`` runs its
    vector loop on two arrays, but a scalar loop against a number: ``np.maximum(x, 0)`` takes 1.1 us
    on 1K float32 values, against an array of zeros 0.5 us (the same values)."""
    if type(x) is not np.ndarray or not x.flags.c_contiguous:
        return 0   # (another layout: NumPy's result would follow the zeros' layout instead of x's)
    zeros = _ZEROS.get(x.dtype)
    if zeros is None:
        zeros = _ZEROS[x.dtype] = np.zeros(ROW_KERNELS_MIN, x.dtype)
        zeros.setflags(write=False)
    zeros = zeros[:x.size]
    return zeros if x.ndim == 1 else zeros.reshape(x.shape)   # (a reshape costs a quarter microsecond)


class Relu(Op):
    """z = max(x, 0);  dz/dx = 1 if z > 0 else 0  (relu'(0) = 0)"""

    @staticmethod
    def forward(ctx, x):
        if x.itemsize == 2 and dtypes.is_floating(x.dtype):   # NumPy's half maximum gives +0.0 for -0.0
            z = np.where(x < 0, x.dtype.type(0), x)
        elif x.size < ROW_KERNELS_MIN:   # small ones: NumPy, without importing Numba
            z = np.maximum(_zeros_shaped_as(x), x)   # (zeros first: max(0, -0.0) is -0.0, as torch's)
        else:
            rows = row_kernels(x)
            z = rows.relu(x) if rows is not None else np.maximum(0, x)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return kink_scale(g, ~(z._data <= 0), z)  # not z > 0: a NaN input passes its gradient, as in torch


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    if input._data.dtype.kind == "b":   # (kind: comparing a dtype with np.bool_ builds a dtype first)
        raise RuntimeError("Boolean inputs not supported for relu")
    return _maybe_inplace(input, Relu.apply(input), inplace)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


# Hardtanh, LeakyRelu, Hardsigmoid and Threshold keep the mask for backward, and x (their in-place
# forms: the result, as torch) only for the graph of a gradient recorded with create_graph.
class Hardtanh(Op):
    """z = clip(x, lo, hi);  dz/dx = 0 if x <= lo or x >= hi else 1 (also for NaN x)"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        z = np.clip(x, lo, hi)
        if ctx.needs_input_grad[0]:
            # (a NaN x passes the gradient, as torch's scalar kernel: its vectorized body, used for
            # the leading multiples of the SIMD width in long contiguous tensors, gives 0 there)
            ctx.keep = ~((x <= lo) | (x >= hi))
            # x, also for hardtanh_ (torch's HardtanhBackward0 keeps the old values, original_self):
            # a gradient taken with create_graph lies in the graph of the input, not of the result
            ctx.save_for_backward(x)
        return z

    @staticmethod
    def backward(ctx, g):
        source, = ctx.saved_tensors
        return kink_scale(g, ctx.keep, source)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for hardtanh")
    return _maybe_inplace(input, Hardtanh.apply(input, min_val, max_val), inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


class LeakyRelu(Op):
    """z = x if x > 0 else slope*x;  dz/dx = 1 if x > 0 else slope"""

    @staticmethod
    def forward(ctx, x, slope, saves_result=False):
        positive = x > 0
        z = np.where(positive, x, x * slope)
        if ctx.needs_input_grad[0]:
            ctx.slopes = np.where(positive, 1, slope).astype(x.dtype)
            ctx.save_for_backward(z if saves_result else x)
        return z

    @staticmethod
    def backward(ctx, g):
        source, = ctx.saved_tensors
        return kink_scale(g, ctx.slopes, source)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    _float_only(input, "leaky_relu_cpu")
    return _maybe_inplace(input, LeakyRelu.apply(input, negative_slope, inplace), inplace, "LeakyReluBackward1")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


class Hardsigmoid(Op):
    """z = clip(x/6 + 1/2, 0, 1);  dz/dx = 1/6 if -3 < x < 3 else 0"""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.keep = (x > -3) & (x < 3)
            ctx.save_for_backward(x)   # for the graph of a create_graph gradient (torch's hardsigmoid_backward)
        return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        # a selection, then the slope (torch's hardsigmoid_backward): an inf or NaN g outside gives 0
        source, = ctx.saved_tensors
        return scale_once_differentiable(g, ctx.keep, source, "hardsigmoid_backward", g._data.dtype.type(1 / 6))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    _float_only(input, "hardsigmoid_cpu")
    return _maybe_inplace(input, Hardsigmoid.apply(input), inplace)


class Threshold(Op):
    """z = x if x > threshold else value;  dz/dx = 1 if x > threshold else 0"""

    @staticmethod
    def forward(ctx, x, threshold, value):
        keep = ~(x <= threshold)   # a NaN x is kept (and passes its gradient), as torch's x <= t ? value : x
        ctx.keep = keep
        z = np.where(keep, x, value).astype(x.dtype, copy=False)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)   # also for threshold_ (torch's ThresholdBackward1 keeps self)
        return z

    @staticmethod
    def backward(ctx, g):
        source, = ctx.saved_tensors
        return kink_scale(g, ctx.keep, source)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, Threshold.apply(input, threshold, value), inplace)


# -- smooth -----------------------------------------------------------------------------------
class Elu(Op):
    """z = s*x (x > 0),  s*a*(exp(x) - 1) (x <= 0);  dz/dx = s (x > 0),  s*a*exp(x) (x <= 0)

    elu is s = 1; selu is torch's fixed (a, s). As torch, backward reads the saved input (so the
    output may be changed in place), through minigrad ops so that it stays differentiable."""

    @staticmethod
    def forward(ctx, x, alpha, scale):
        neg = x <= 0
        z = np.where(neg, (alpha * scale) * np.expm1(np.minimum(x, 0)), scale * x).astype(x.dtype, copy=False)
        ctx.neg, ctx.alpha, ctx.scale = neg, alpha, scale
        ctx.save_for_backward(x)
        return z

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return EluBackward.apply(g, x, ctx.alpha, ctx.scale, 1.0)


class EluBackward(Op):
    """z = g elu'(x) = g s (x > 0),  g s a c exp(c x) (x <= 0), c the input scale (1, or 1/a for celu);
    dz/dg = elu'(x),  dz/dx = g s a c^2 exp(c x) where x < 0, else 0  (torch's elu_double_backward:
    0 at x = 0, where the two branches' second derivatives differ)"""

    node_name = "EluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, alpha, scale, input_scale):
        ctx.params = alpha, scale, input_scale
        ctx.save_for_backward(g, x)
        # torch's elu_backward (is_result false); exp of min(x, 0), so that the positive side does
        # not overflow; a NaN x takes the positive branch, as torch's scalar kernel (its vectorized
        # body, used for the leading multiples of the SIMD width in long tensors, gives NaN)
        negative = g * x.dtype.type(input_scale * alpha * scale) * np.exp(np.minimum(x, 0) * x.dtype.type(input_scale))
        return np.where(x <= 0, negative, g * x.dtype.type(scale)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        alpha, scale, input_scale = ctx.params
        need = ctx.needs_input_grad
        dg = EluBackward.apply(gg, x, alpha, scale, input_scale) if need[0] else None
        dx = None
        if need[1]:   # a product with the mask (x < 0), as torch's: an inf there gives NaN
            below = _const((x._data < 0).astype(x._data.dtype))
            dx = EluBackward.apply(gg * g * input_scale, x, alpha, scale, input_scale) * below
        return dg, dx, None, None, None


_SELU_ALPHA = 1.6732632423543772848170429916717


_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    _float_only(input, "elu_cpu")
    return _maybe_inplace(input, Elu.apply(input, alpha, 1.0), inplace, "EluBackward1")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    _float_only(input, "elu_cpu")
    return _maybe_inplace(input, Elu.apply(input, _SELU_ALPHA, _SELU_SCALE), inplace, "EluBackward1")


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


class Celu(Op):
    """z = x (x > 0),  a*(exp(x/a) - 1) (x <= 0);  dz/dx = 1 (x > 0),  exp(x/a) (x <= 0)"""

    @staticmethod
    def forward(ctx, x, alpha):
        neg = x <= 0
        z = np.where(neg, alpha * np.expm1(np.minimum(x, 0) / alpha), x).astype(x.dtype, copy=False)
        ctx.neg, ctx.alpha = neg, alpha
        ctx.save_for_backward(x)
        return z

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return EluBackward.apply(g, x, ctx.alpha, 1.0, 1.0 / ctx.alpha)   # torch's: elu_backward, c = 1/a


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    _float_only(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _maybe_inplace(input, Celu.apply(input, alpha), inplace, "CeluBackward1")


_SQRT1_2 = 1 / math.sqrt(2)


_SQRT2_PI = math.sqrt(2 / math.pi)


_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class Gelu(Op):
    """z = x*Phi(x), Phi(x) = (1 + erf(x/sqrt2))/2;  dz/dx = Phi(x) + x*phi(x), phi = exp(-x^2/2)/sqrt(2pi)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        erf = math_ops.erf(Tensor._make(xp(x).asarray(x * x.dtype.type(_SQRT1_2))))._data
        return (x * 0.5 * (1 + erf)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        cdf = (math_ops.erf(x * _SQRT1_2) + 1) * 0.5
        pdf = math_ops.exp(x * x * -0.5) * _INV_SQRT_2PI
        return g * (cdf + x * pdf)


class GeluTanh(Op):
    """z = x/2 * (1 + t), t = tanh(k(x + c x^3));  dz/dx = (1 + t)/2 + x/2 (1 - t^2) k (1 + 3c x^2)"""

    node_name = "GeluBackward0"  # torch's gelu with approximate='tanh'

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        t = np.tanh(_SQRT2_PI * (x + 0.044715 * x * x * x))
        return (0.5 * x * (1 + t)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        x2 = x * x
        t = math_ops.tanh((x + x2 * x * 0.044715) * _SQRT2_PI)
        inner = (x2 * (3 * 0.044715) + 1) * _SQRT2_PI
        return g * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * inner)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _float_only(input, "GeluKernelImpl")
    return Gelu.apply(input) if approximate == "none" else GeluTanh.apply(input)


def _sigmoid_np(x):
    # 1/(1 + exp(-x)) without overflow warnings: exp of a non-positive number only
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _softplus_np(x):
    """log(1 + exp(x)), stable: max(x, 0) + log1p(exp(-|x|))."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class Silu(Op):
    """z = x*s, s = sigmoid(x);  dz/dx = s*(1 + x*(1 - s))"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _sigmoid_np(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        s = math_ops.sigmoid(x)
        return g * (s * (x * (1 - s) + 1))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    _float_only(input, "silu_cpu")
    return _maybe_inplace(input, Silu.apply(input), inplace)


class Mish(Op):
    """z = x*tanh(softplus(x));  dz/dx = t + x*sigmoid(x)*(1 - t^2), t = tanh(softplus(x))"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * np.tanh(_softplus_np(x))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        t = math_ops.tanh(softplus(x))
        return g * (t + x * math_ops.sigmoid(x) * (1 - t * t))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    _float_only(input, "mish_cpu")
    return _maybe_inplace(input, Mish.apply(input), inplace)


class Softplus(Op):
    """z = log(1 + exp(b x))/b (x*b <= threshold), x (above);  dz/dx = sigmoid(b x) (below), 1 (above)"""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        bx = x * beta
        linear = bx > threshold
        ctx.beta, ctx.linear = beta, linear
        return np.where(linear, x, _softplus_np(bx) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        linear = ctx.linear
        soft = ScaleByConstant.apply(math_ops.sigmoid(x * ctx.beta), (~linear).astype(x._data.dtype))
        return saving(g * (soft + _const(linear.astype(x._data.dtype))), (x, g), "SoftplusBackwardBackward0")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    _float_only(input, "softplus_cpu")
    return Softplus.apply(input, beta, threshold)


class Softsign(Op):
    """z = x/(1 + |x|);  dz/dx = 1/(1 + |x|)^2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + np.abs(x))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        # torch's softsign is x / (1 + |x|) in ops: its gradient is div's two terms, the second
        # through abs (sign(x) times it), so an infinite g gives inf - inf = NaN, as in torch
        d = math_ops.abs(x) + 1
        return g / d + (-g * ((x / d) / d)) * math_ops.sign(x)


def softsign(input: Tensor) -> Tensor:
    if not dtypes.is_inexact(input._data.dtype):
        input = input.to(dtypes.get_default_dtype())
    return Softsign.apply(input)


class Hardswish(Op):
    """z = x*clip(x + 3, 0, 6)/6;  dz/dx = 0 (x <= -3),  x/3 + 1/2 (-3 < x < 3),  1 (x >= 3, and NaN x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        xa = x._data
        # selections, not products with a 0/1 mask (as torch's hardswish_backward): an infinite or
        # NaN gradient where x <= -3, or an infinite x >= 3, gives 0 (resp. g), not NaN
        zero = _const(xp(xa).zeros((), xa.dtype))
        # (a NaN x passes the gradient, as torch's scalar kernel; its vectorized body gives NaN)
        mid, live = _const((xa > -3) & (xa < 3)), _const(~(xa <= -3))
        slope = math_ops.where(mid, x / 3 + 0.5, _const((~(xa < 3)).astype(xa.dtype)))
        # (torch's HardswishBackwardBackward0 saves x and g: a write into x before the next backward raises)
        return saving(math_ops.where(live, g, zero) * slope, (x, g), "HardswishBackwardBackward0")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    _float_only(input, "hardswish_cpu")
    return _maybe_inplace(input, Hardswish.apply(input), inplace)


class Logsigmoid(Op):
    """z = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|));  dz/dx = sigmoid(-x)"""

    node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return saving(g * math_ops.sigmoid(-x), (x, g), "LogSigmoidBackwardBackward0")


def logsigmoid(input: Tensor) -> Tensor:
    _float_only(input, "log_sigmoid_cpu")
    return Logsigmoid.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    return math_ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return math_ops.tanh(input)


# -- softmax family ---------------------------------------------------------------------------
def _shifted(x, axis):
    """x - max(x) along axis (a fresh array), the shift that keeps exp from overflowing."""
    m = x.max(axis=axis, keepdims=True)
    if not np.isfinite(m).all():  # a row of -inf (or +inf): torch gives NaN there, as this does
        m = np.where(np.isneginf(m), 0, m)
    if x.ndim == 0:  # keep an array (0-d arithmetic gives NumPy scalars)
        return (x.reshape(1) - m.reshape(1)).reshape(())
    return x - m


def _softmax_dim(name: str, ndim: int, dim):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", UserWarning, stacklevel=3)
        return 0 if ndim in (0, 1, 3) else 1
    return dim


def _softmax_input(input: Tensor, dim, dtype, kernel: str):
    if dtype is not None:
        input = input.to(dtype)
    if not dtypes.is_inexact(input._data.dtype):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_type_name(input._data)}\'')
    ndim = input._data.ndim
    axis = wrap_dim(dim, ndim)
    return input, (axis if ndim else None)


class Softmax(Op):
    """z = exp(x - max) / sum(exp(x - max));  dz/dx . g = z * (g - sum(g * z, dim))"""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:   # (saved all the same, as torch's node saves its result: a write raises at backward)
            e = x.copy()
            ctx.save_for_backward(e)
            return e
        rows = row_kernels(x) if axis == x.ndim - 1 else None
        if rows is not None:   # blocks of rows that stay in the cache between the passes
            e = rows.softmax_rows(x.reshape(-1, x.shape[-1]), log=False).reshape(x.shape)
        else:
            e = _shifted(x, axis)
            np.exp(e, out=e)
            e /= e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        if not z._data.size:
            return g
        return SoftmaxBackwardData.apply(g, z, ctx.axis)


class SoftmaxBackwardData(Op):
    """h = z * (g - s), s = sum(g * z, dim);  dh/dg . u = z * (u - sum(u * z, dim)) (softmax's own backward),
    dh/dz . u = u * (g - s) - g * sum(u * z, dim)"""

    @staticmethod
    def forward(ctx, g, z, axis):
        ctx.axis = axis
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, z)
        rows = row_kernels(z) if axis == z.ndim - 1 and g.dtype == z.dtype and g.shape == z.shape else None
        if rows is not None and g.flags.c_contiguous:   # one pass per row
            n = z.shape[-1]
            return rows.softmax_grad_rows(g.reshape(-1, n), z.reshape(-1, n)).reshape(z.shape)
        gz = g * z
        return gz - z * gz.sum(axis=axis, keepdims=True)

    @staticmethod
    def backward(ctx, u):
        g, z = ctx.saved_tensors
        axis = ctx.axis
        uz = (u * z).sum(axis, keepdim=True)
        gu = SoftmaxBackwardData.apply(u, z, axis) if ctx.needs_input_grad[0] else None
        gz = u * (g - (g * z).sum(axis, keepdim=True)) - g * uz if ctx.needs_input_grad[1] else None
        return gu, gz


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    dim = _softmax_dim("softmax", input._data.ndim, dim)
    input, axis = _softmax_input(input, dim, dtype, "softmax_lastdim_kernel_impl")
    return Softmax.apply(input, axis)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    dim = _softmax_dim("softmin", input._data.ndim, dim)
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim)


class LogSoftmax(Op):
    """z = x - max - log(sum(exp(x - max)));  dz/dx . g = g - exp(z) * sum(g, dim)"""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:   # (saved all the same, as torch's node saves its result: a write raises at backward)
            s = x.copy()
            ctx.save_for_backward(s)
            return s
        rows = row_kernels(x) if axis == x.ndim - 1 else None
        if rows is not None:   # blocks of rows that stay in the cache between the passes
            s = rows.softmax_rows(x.reshape(-1, x.shape[-1]), log=True).reshape(x.shape)
        else:
            s = _shifted(x, axis)
            s -= np.log(np.exp(s).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        if not z._data.size:
            return g
        return LogSoftmaxBackwardData.apply(g, z, ctx.axis)


class LogSoftmaxBackwardData(Op):
    """h = g - exp(z) * sum(g, dim);  dh/dg . u = u - sum(u * exp(z), dim),  dh/dz . u = -u * exp(z) * sum(g, dim)"""

    @staticmethod
    def forward(ctx, g, z, axis):
        ctx.axis = axis
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, z)
        rows = row_kernels(z) if axis == z.ndim - 1 and z.dtype == np.float32 and g.dtype == z.dtype \
            and g.shape == z.shape and g.flags.c_contiguous else None
        if rows is not None:   # one pass per row, exp by the row kernels' own (docs/parity.md)
            n = z.shape[-1]
            return rows.log_softmax_grad_rows(g.reshape(-1, n), z.reshape(-1, n)).reshape(z.shape)
        return g - np.exp(z) * g.sum(axis=axis, keepdims=True)

    @staticmethod
    def backward(ctx, u):
        g, z = ctx.saved_tensors
        axis = ctx.axis
        e = math_ops.exp(z)
        gu = u - (u * e).sum(axis, keepdim=True) if ctx.needs_input_grad[0] else None
        gz = -(u * e) * g.sum(axis, keepdim=True) if ctx.needs_input_grad[1] else None
        return gu, gz


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    dim = _softmax_dim("log_softmax", input._data.ndim, dim)
    input, axis = _softmax_input(input, dim, dtype, "log_softmax_lastdim_kernel_impl")
    return LogSoftmax.apply(input, axis)
