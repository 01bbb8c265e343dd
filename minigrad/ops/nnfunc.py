"""Layer functions of torch.nn.functional: linear, dropout, pad, one_hot, embedding, the norms.

Forwards are NumPy; backwards are minigrad ops, so grad-of-grad works. Two ops (the norms) take
a shortcut on the first-order path: when no graph is being recorded (plain ``backward()``), their
backward evaluates the textbook formula on the arrays saved in forward; under ``create_graph`` it
rebuilds the statistics from ``x`` with minigrad ops so that the result is differentiable.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes, random as _random
from ..autograd import grad_mode
from ..device import check_same_device
from ..kernels import blas
from ._util import Op, overload, Tensor, broadcast_shape, saving, xp
from ._args import autocast, not_differentiable, rounds_once
from . import math as math_ops
from .activation import KeepWhere, ScaleByConstant, gradient_in_graph_of, in_graph_of, torch_type_name
from .index import add_at
from .shape import reshape, t as _t
from .reduce import row_kernels, _numel

__all__ = ["linear", "dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d",
           "embedding_bag", "pad", "one_hot", "embedding", "layer_norm", "batch_norm"]


# -- linear -----------------------------------------------------------------------------------
class Linear(Op):
    """z = x W^T + b;  dz/dx = g W,  dz/dW = g^T x (batch dims flattened),  dz/db = g (summed centrally)"""

    @staticmethod
    def forward(ctx, x, w, b):
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        z = blas.matmul(x, w.T)
        if b is not None:
            z += b
        return z

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = Linear.apply(g, _t(w), None) if need_x else None  # g @ W
        gw = None
        if need_w:
            rows = int(np.prod(x.shape[:-1]))  # the batch dims flattened (explicitly: they may be empty)
            gw = Linear.apply(_t(reshape(g, (rows, g.shape[-1]))), _t(reshape(x, (rows, x.shape[-1]))), None)  # g^T x
        return gx, gw, (g if need_b else None)


class LinearVec(Op):
    """z = x . w (w 1-D);  dz/dx = g w,  dz/dw = sum over the batch of g x"""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        return blas.matmul(x, w)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gc = reshape(g, tuple(g.shape) + (1,))
        gx = gc * w if ctx.needs_input_grad[0] else None
        gw = (gc * x).reshape((int(np.prod(x.shape[:-1])), x.shape[-1])).sum(0) if ctx.needs_input_grad[1] else None
        return gx, gw


@autocast("lower")
def linear(input: Tensor, weight: Tensor, bias=None) -> Tensor:
    x, w = input._data, weight._data
    check_same_device(x, w, bias)
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {x.ndim}D and {w.ndim}D")
    if w.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D")
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c_name(x)} != {_c_name(w)}")
    if w.ndim == 1:
        if bias is not None:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        if x.shape[-1] != w.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[-1]}] and src [{w.shape[0]}] to "
                               f"have the same number of elements, but got {x.shape[-1]} and {w.shape[0]} elements "
                               "respectively")
        return LinearVec.apply(input, weight)
    if x.shape[-1] != w.shape[1]:
        rows = int(np.prod(x.shape[:-1]))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                           f"{w.shape[1]}x{w.shape[0]})")
    if bias is not None:
        b = bias._data
        if b.dtype != x.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_TORCH(b)} and {_TORCH(x)}")
        out_shape = x.shape[:-1] + (w.shape[0],)
        if b.shape != out_shape[len(out_shape) - b.ndim:] or b.ndim > len(out_shape):
            _check_bias_expand(b.shape, out_shape)
    return Linear.apply(input, weight, bias)


def _check_bias_expand(bshape, target):
    lead = len(target) - len(bshape)
    for i, s in enumerate(bshape):
        if lead + i >= 0 and s != 1 and s != target[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[lead + i]}) must match the existing size "
                               f"({s}) at non-singleton dimension {lead + i}.  Target sizes: {list(target)}.  "
                               f"Tensor sizes: {list(bshape)}")
    if lead < 0:
        raise RuntimeError(f"the number of sizes provided ({len(target)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(bshape)})")


def _c_name(a) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int"}.get(a.dtype.name, a.dtype.name)


_TORCH = torch_type_name


# -- dropout ------------------------------------------------------------------------------------
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p); backward uses the same mask."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    x = input._data
    if not dtypes.is_inexact(x.dtype):
        raise RuntimeError(f"result type Float can't be cast to the desired output type {torch_type_name(x)}")
    if p == 1:
        mask = np.zeros_like(x)
    else:
        # torch's: noise = empty_like(x).bernoulli_(1 - p); noise.div_(1 - p) (drawn on the CPU)
        keep = _random.fill_bernoulli(np.empty(x.shape, x.dtype), 1.0 - p)
        mask = xp(x).asarray(keep / x.dtype.type(1.0 - p))
    out = ScaleByConstant.apply(input, mask)
    return input._inplace(out) if inplace else out


_SELU_ALPHA = 1.7580993408473766   # -selu's scale * alpha: the value alpha dropout drops to


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_nd(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool) -> Tensor:
    """torch's _dropout_impl: one Bernoulli(1 - p) draw per element (or per channel, ``feature``: noise
    of shape (N, C, 1, ...)); plain dropout scales kept values by 1/(1-p); alpha dropout maps
    x -> a (x m + alpha' (1 - m)) + b with a, b keeping zero mean and unit variance (SELU's fixed point)."""
    _check_p(p)
    x = input._data
    if p == 0 or not training or x.size == 0:
        return input
    if feature and x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not dtypes.is_inexact(x.dtype):
        raise RuntimeError(f"result type Float can't be cast to the desired output type {torch_type_name(x)}")
    if p == 1:   # torch multiplies by a zero (so NaN and inf become NaN)
        out = overload(ScaleByConstant.apply(input, x.dtype.type(0)), "MulBackward0")
        return input._inplace(out) if inplace else out
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    noise = _random.fill_bernoulli(np.empty(shape, x.dtype), 1.0 - p)
    if alpha:
        a = 1.0 / np.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
        b = (noise - 1) * x.dtype.type(_SELU_ALPHA * a) + x.dtype.type(_SELU_ALPHA * a * p)
        noise = noise * x.dtype.type(a)
        out = overload(ScaleByConstant.apply(input, xp(x).asarray(noise)), "MulBackward0") + Tensor._make(xp(x).asarray(b))
    else:
        out = overload(ScaleByConstant.apply(input, xp(x).asarray(noise / x.dtype.type(1.0 - p))), "MulBackward0")
    return input._inplace(out) if inplace else out


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped values become -selu's saturation."""
    return _dropout_nd(input, p, training, inplace, feature=False, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels (dim 1)."""
    return _dropout_nd(input, p, training, inplace, feature=True, alpha=True)


def _channel_dropout(input, p, training, inplace, batched: bool):
    """Feature dropout, an unbatched input seen as a batch of one."""
    if batched:
        return _dropout_nd(input, p, training, inplace, feature=True, alpha=False)
    result = _dropout_nd(input.unsqueeze(0), p, training, False, feature=True, alpha=False).squeeze(0)
    return input._inplace(result) if inplace and result is not input else result


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability p, scale the rest by 1/(1-p)."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, batched=input.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) inputs; a 3-d input is taken as (N, C, L), as torch (with its warning)."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", UserWarning, stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", UserWarning, stacklevel=2)
    return _channel_dropout(input, p, training, inplace, batched=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", UserWarning, stacklevel=2)
    return _channel_dropout(input, p, training, inplace, batched=input.ndim == 5)


# -- pad ----------------------------------------------------------------------------------------
class PadConstant(Op):
    """z = x cropped (negative pads) then padded with value;  dz/dx = pad(g, -pads) (crop / zero-pad back)"""

    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, x.shape))
        widths = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
        x = x[crop]
        if not any(lo or hi for lo, hi in widths):
            return x.copy()
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return PadConstant.apply(g, tuple((-lo, -hi) for lo, hi in ctx.pads), 0)


def _source_index(n: int, lo: int, hi: int, mode: str):
    """For each output position along one dim, the input position it copies (reflect/replicate/circular)."""
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        if n == 1:
            return np.zeros_like(i)
        period = 2 * (n - 1)
        i = np.abs(i) % period
        return np.where(i >= n, period - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    # circular: negative pads crop first; positive ones wrap around what is left
    start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
    return start + np.arange(-max(lo, 0), kept + max(hi, 0)) % max(kept, 1)


class PadGather(Op):
    """z = x gathered along each padded dim by an index map;  dz/dx = scatter-add of g by the same maps"""

    @staticmethod
    def forward(ctx, x, maps, reads_input=False):
        """``reads_input``: the gradient lies in x's graph under create_graph (zeros its derivative), as
        torch's reflection_pad and replication_pad backward read self. No maps: a copy."""
        ctx.maps, ctx.shape = maps, x.shape
        ctx.save_for_backward(x if reads_input else None)
        for axis, idx in maps:
            x = np.take(x, xp(x).asarray(idx), axis=axis)
        return x if maps else x.copy()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return in_graph_of(PadGatherBackward.apply(g, ctx.maps, ctx.shape), x, zeros=True)


class PadGatherBackward(Op):
    """z = scatter-add of x by index maps (the adjoint of PadGather);  dz/dx = gather(g)"""

    @staticmethod
    def forward(ctx, g, maps, shape):
        ctx.maps = maps
        for axis, idx in reversed(maps):
            n = shape[axis]
            moved = np.moveaxis(g, axis, 0)
            out = xp(g).zeros((n,) + moved.shape[1:], g.dtype)
            add_at(out, xp(g).asarray(idx), moved)
            g = np.moveaxis(out, 0, axis)
        if not maps:
            return g.copy()
        return xp(g).ascontiguousarray(g)   # (np.ascontiguousarray would copy a GPU array to the host)

    @staticmethod
    def backward(ctx, gg):
        return PadGather.apply(gg, ctx.maps)


_NON_CONSTANT = "\n".join([
    "Supported combinations for non-constant padding:",
    "  - 2D or 3D input: padding size = 2 (pads last dimension)",
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)",
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"])


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    pad = tuple(pad)
    for i, p in enumerate(pad):
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(p).__name__} at pos {i}")
    x = input._data
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {x.ndim}")
    k = len(pad) // 2
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(k)]  # last dim first
    pads = tuple([(0, 0)] * (x.ndim - k) + pairs[::-1])
    if mode == "constant":
        for axis, ((lo, hi), n) in enumerate(zip(pads, x.shape)):
            if n + min(lo, 0) + min(hi, 0) < 0:  # torch crops (narrows) before it pads
                raise RuntimeError("narrow(): length must be non-negative.")
        return PadConstant.apply(input, pads, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if len(pad) not in (2, 4, 6) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
                                  + _NON_CONSTANT)
    batched = x.ndim == k + 2
    if mode != "circular" and any(n == 0 for n in x.shape[1 if batched else 0:]):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(x.shape)}")
    maps = []
    for axis in range(x.ndim - k, x.ndim):
        lo, hi = pads[axis]
        n = x.shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({lo}, {hi}) at dimension {axis} of input {list(x.shape)}")
        if mode == "circular":
            kept = n - max(-lo, 0) - max(-hi, 0)  # negative pads crop first
            if kept <= 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
            if lo > kept or hi > kept:
                raise RuntimeError("Padding value causes wrapping around more than once.")
        if lo or hi:
            maps.append((axis, _source_index(n, lo, hi, mode)))
    if mode == "circular":   # (torch writes the wrapped borders in place: its node is CopySlices)
        return PadGather.apply(input, tuple(maps)) if maps else input.clone()
    out = PadGather.apply(input, tuple(maps), True)
    return overload(out, f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{k}DBackward0")


# -- one_hot ------------------------------------------------------------------------------------
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size:
        if x.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if x.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((x[..., None] == xp(x).arange(num_classes)).astype(np.int64))


# -- embedding ----------------------------------------------------------------------------------
class Embedding(Op):
    """z = W[idx];  dz/dW = the rows of g added into the rows idx (none into padding_idx), each
    divided by its index's count in the batch when scale_grad_by_freq"""

    @staticmethod
    def forward(ctx, w, idx, padding_idx, freq_scale=None):
        ctx.idx, ctx.padding_idx, ctx.rows, ctx.freq_scale = idx, padding_idx, w.shape[0], freq_scale
        ctx.save_for_backward(idx)  # (the indices tensor: changing it in place before backward raises)
        return np.take(w, idx, axis=0)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors
        if ctx.freq_scale is not None:
            g = ScaleByConstant.apply(g, ctx.freq_scale)
        return EmbeddingDenseBackward.apply(g, ctx.idx, ctx.rows, ctx.padding_idx), None


class EmbeddingDenseBackward(Op):
    """z = zeros(rows, D) + sum of the rows of g at idx (padding_idx's row left 0);  dz/dg = gg[idx] (0 at padding)"""

    @staticmethod
    def forward(ctx, g, idx, rows, padding_idx):
        ctx.idx, ctx.padding_idx = idx, padding_idx
        flat = idx.reshape(-1)
        out = xp(g).zeros((rows,) + g.shape[idx.ndim:], g.dtype)
        add_at(out, flat, g.reshape((flat.size,) + g.shape[idx.ndim:]))
        if padding_idx is not None:
            out[padding_idx] = 0
        return out

    @staticmethod
    def backward(ctx, gg):
        picked = Embedding.apply(gg, ctx.idx, None)
        if ctx.padding_idx is None:
            return picked
        keep = (ctx.idx != ctx.padding_idx).reshape(ctx.idx.shape + (1,) * (picked.ndim - ctx.idx.ndim))
        return KeepWhere.apply(picked, keep)


def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by ``input``; ``sparse=True`` gives a dense gradient (minigrad has no sparse)."""
    idx, w = input._data, weight._data
    check_same_device(idx, w)
    rows = w.shape[0] if w.ndim else 0
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= rows:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -rows:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = rows + padding_idx
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got minigrad.{torch_type_name(idx)}Tensor instead (while checking "
                           "arguments for embedding)")
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        # torch's kernels for an empty weight check the index differently, with RuntimeErrors
        if rows == 0:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        if w.shape[1] == 0:
            bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={rows}")
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, np.unique(idx), max_norm, norm_type)
    freq_scale = None
    if scale_grad_by_freq and idx.size and weight.requires_grad:
        _, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        freq_scale = (1.0 / counts[inverse.reshape(idx.shape)]).astype(w.dtype)[..., None]
    return Embedding.apply(weight, input, padding_idx, freq_scale)


def _renorm_rows(weight: Tensor, rows, max_norm, norm_type):
    """torch.embedding_renorm_: rows whose norm exceeds max_norm are scaled down, in place."""
    w = weight._data
    picked = w[rows]
    norms = np.linalg.norm(picked, ord=norm_type, axis=1) if norm_type != np.inf else np.abs(picked).max(1)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = picked[over] * scale[:, None]
        weight._vc[0] += 1


# -- normalisation ------------------------------------------------------------------------------
class Normalize(Op):
    """z = (x - mean) * rstd, the statistics over ``dims``;  for batch statistics
    dz/dx . g = rstd * (g - mean(g) - z * mean(g * z)); for fixed (running) statistics dz/dx . g = rstd * g"""

    @staticmethod
    def forward(ctx, x, dims, mean, rstd, batch_stats, eps, running_stats=(), backward_rstd=None):
        # fixed statistics: torch's inference kernel, x * alpha + beta with beta = -mean * alpha (a
        # zero var + eps gives NaN for every x, as torch's, where (x - mean) * rstd would give +-inf)
        z = (x - mean) * rstd if batch_stats else x * rstd + (-mean * rstd)
        ctx.dims, ctx.batch_stats, ctx.eps = dims, batch_stats, eps
        ctx.rstd = rstd if backward_rstd is None else backward_rstd
        if batch_stats:
            # torch saves the input and the statistics, not the output: the output may be changed
            # in place (ReLU(inplace=True) after the norm) without touching the gradient
            ctx.mean = mean
        # batch_norm's running statistics (tensors) are saved as torch's node saves them, for their
        # version check only: editing them in place before backward is a version error
        # (x also with fixed statistics, as torch's node saves it: the gradient is in its graph)
        ctx.save_for_backward(x, *running_stats)
        return z

    @staticmethod
    def backward(ctx, g):
        dims, rstd = ctx.dims, ctx.rstd
        x = ctx.saved_tensors[0]
        if not ctx.batch_stats:   # (in x's graph under create_graph: torch's batch_norm_backward reads it)
            return in_graph_of(ScaleByConstant.apply(g, rstd), x)
        if not grad_mode.state.grad_enabled:
            # plain backward: no graph is recorded, so the formula may run on the saved arrays
            z, ga = (x._data - ctx.mean) * rstd, g._data
            gx = rstd * (ga - ga.mean(dims, keepdims=True) - z * (ga * z).mean(dims, keepdims=True))
            return Tensor._make(gx.astype(ga.dtype, copy=False))
        # create_graph: the statistics as minigrad ops of x, so the gradient is differentiable
        xc = x - x.mean(dims, keepdim=True)
        rstd_t = math_ops.rsqrt((xc * xc).mean(dims, keepdim=True) + ctx.eps)
        z = xc * rstd_t
        return rstd_t * (g - g.mean(dims, keepdim=True) - z * (g * z).mean(dims, keepdim=True))


def fixed_rstd(var, eps, dtype):
    """1 / sqrt(var + eps) of running statistics, as torch's forward and backward kernels compute it:
    the forward in var's dtype, the backward with var + eps in float64 (they differ where var + eps
    rounds to 0 in float32: NaN outputs, finite gradients, as in torch)."""
    forward = (1.0 / np.sqrt(var + eps)).astype(dtype, copy=False)
    backward = (1.0 / np.sqrt(var.astype(np.float64) + eps)).astype(dtype, copy=False)
    return forward, backward


def _batch_stats(x, dims, eps):
    mean = x.mean(axis=dims, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=dims, keepdims=True)
    rstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
    return mean, var, rstd


class FusedLayerNorm(Op):
    """z = (x - mean) * rstd * w + b over the trailing dims ``shape``, in the row kernels; with
    zhat = (x - mean) * rstd and u = g * w: dz/dx . g = rstd * (u - mean(u) - zhat * mean(u * zhat)),
    dz/dw . g = sum(g * zhat), dz/db . g = sum(g) (sums of w, b's gradients over the leading dims)"""

    node_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, shape, eps):
        n = _numel(shape, range(len(shape)))
        out, mean, rstd = row_kernels(x).layer_norm_rows(x, n, weight, bias, eps)
        ctx.shape, ctx.n, ctx.eps, ctx.mean, ctx.rstd = shape, n, eps, mean, rstd
        ctx.save_for_backward(x, weight, bias)   # as torch: not the output, which may be changed in place
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight, bias = ctx.saved_tensors
        shape = ctx.shape
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        ga = g._data
        if not grad_mode.state.grad_enabled and type(ga) is np.ndarray and ga.dtype == x._data.dtype:
            # plain backward: one kernel pass per row for x's gradient and the column sums
            gx, gw, gb = row_kernels(x._data).layer_norm_grad_rows(
                np.ascontiguousarray(ga), x._data, ctx.n, None if weight is None else weight._data, ctx.mean, ctx.rstd)
            if len(shape) > 1:
                gw, gb = gw.reshape(shape), gb.reshape(shape)
            return (Tensor._make(gx) if need_x else None, Tensor._make(gw) if need_w else None,
                    Tensor._make(gb) if need_b else None)
        # create_graph: the statistics as minigrad ops of x, so the gradients are differentiable
        dims = tuple(range(x.ndim - len(shape), x.ndim))
        xc = x - x.mean(dims, keepdim=True)
        rstd_t = math_ops.rsqrt((xc * xc).mean(dims, keepdim=True) + ctx.eps)
        z = xc * rstd_t
        u = g * weight if weight is not None else g
        gx = rstd_t * (u - u.mean(dims, keepdim=True) - z * (u * z).mean(dims, keepdim=True)) if need_x else None
        gw = reshape(g * z, (-1,) + shape).sum(0) if need_w else None
        gb = reshape(g, (-1,) + shape).sum(0) if need_b else None
        # torch's native_layer_norm_backward reads x, weight and bias: its gradients are in their graphs
        return tuple(in_graph_of(grad, x, weight, bias) for grad in (gx, gw, gb))


def _same_array_kind(p, x) -> bool:
    """Is the optional Tensor p absent, or a NumPy array of x's dtype?"""
    return p is None or type(p._data) is np.ndarray and p._data.dtype == x.dtype


@rounds_once("input", "weight", "bias")
def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    shape = tuple(map(int, normalized_shape))
    x = input._data
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p._data.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(p.shape)} and normalized_shape = {list(shape)}")
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in shape)}], but got input of size{list(x.shape)}")
    if not dtypes.is_floating(x.dtype):
        raise NotImplementedError(f'"LayerNormKernelImpl" not implemented for \'{torch_type_name(x)}\'')
    if row_kernels(x) is not None and _same_array_kind(weight, x) and _same_array_kind(bias, x):
        return FusedLayerNorm.apply(input, weight, bias, shape, eps)   # one kernel; the affine inside
    dims = tuple(range(x.ndim - len(shape), x.ndim))
    if x.size == 0:
        mean = rstd = xp(x).zeros(x.shape[:x.ndim - len(shape)] + (1,) * len(shape), x.dtype)
    else:
        mean, _, rstd = _batch_stats(x, dims, eps)
    out = Normalize.apply(input, dims, mean, rstd, True, eps)
    # torch's one native_layer_norm_backward reads input, weight and bias: the gradients lie in their graphs
    if weight is not None:
        out = out * gradient_in_graph_of(weight, input, weight, bias)
    if bias is not None:
        out = out + gradient_in_graph_of(bias, input, weight, bias)
    # (and its one node saves input, weight and bias: writing one before backward raises)
    return saving(out, tuple(t for t in (input, weight, bias) if t is not None), "NativeLayerNormBackward0")


@rounds_once("input", "weight", "bias")
def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise per channel (dim 1) over the batch and spatial dims; training updates the running
    statistics in place (running_var with the unbiased variance), as torch does."""
    not_differentiable("native_batch_norm", running_mean=running_mean, running_var=running_var)
    x = input._data
    check_same_device(x, running_mean, running_var, weight, bias)
    if training:
        count = (x.shape[0] if x.ndim else 1) * int(np.prod(x.shape[2:]))
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"minigrad.Size({list(x.shape)})")
    if x.size == 0:   # torch's shortcut, before any check of the statistics: a copy, keeping the graph
        out = input.clone()
        out = out * weight[0] if weight is not None else out
        return out + bias[0] if bias is not None else out
    channels = x.shape[1] if x.ndim > 1 else 0
    for name, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if p is not None and p._data.size != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {p._data.size}")
    if not training and (running_mean is None or running_var is None):
        which = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(f"{which} must be defined in evaluation mode")
    if not dtypes.is_floating(x.dtype):
        raise NotImplementedError(f'"batch_norm" not implemented for \'{torch_type_name(x)}\'')
    dims = (0,) + tuple(range(2, x.ndim))
    stat_shape = (1, channels) + (1,) * (x.ndim - 2)
    if training:
        mean, var, rstd = _batch_stats(x, dims, eps)
        n = x.size // channels if channels else 0
        # the kernel's update of the running statistics, which (as torch's) moves no version counter:
        # the node saves them below, and a second forward before the backward raises nothing
        with grad_mode.no_grad():
            if running_mean is not None:
                rm = running_mean._data
                rm[...] = (1 - momentum) * rm + momentum * mean.reshape(rm.shape)
            if running_var is not None:
                rv = running_var._data
                unbiased = var * (n / (n - 1)) if n > 1 else var
                rv[...] = (1 - momentum) * rv + momentum * unbiased.reshape(rv.shape)
        out = Normalize.apply(input, dims, mean, rstd, True, eps,
                              tuple(t for t in (running_mean, running_var) if t is not None))
    else:
        mean = running_mean._data.reshape(stat_shape).astype(x.dtype, copy=False)
        rstd, backward_rstd = fixed_rstd(running_var._data.reshape(stat_shape), eps, x.dtype)
        out = Normalize.apply(input, dims, mean, rstd, False, eps, (running_mean, running_var), backward_rstd)
    # torch's one native_batch_norm_backward reads input and weight: the gradients lie in their graphs
    if weight is not None:
        out = out * reshape(gradient_in_graph_of(weight, input, weight), stat_shape)
    if bias is not None:
        out = out + reshape(gradient_in_graph_of(bias, input, weight), stat_shape)
    return out


# -- embedding_bag --------------------------------------------------------------------------------
class EmbeddingBag(Op):
    """y_b = reduce over the bag b's entries i of s_i W[idx_i] (sum, mean: s_i = 1/count_b, sum with
    per_sample_weights: s_i = psw_i; max: per column);  dy/dW = g_b s_i added into row idx_i (max: into the
    argmax row of each column),  dy/dpsw_i = <g_b, W[idx_i]>"""

    @staticmethod
    def forward(ctx, w, psw, idx, bag, nbags, mode, scale, freq, versioned=()):
        # versioned: the caller's input, offsets and per_sample_weights tensors, saved (unused) as
        # torch's node saves them, so that a write into any of them before backward is its version error
        ctx.idx, ctx.bag, ctx.mode, ctx.scale, ctx.nrows, ctx.freq = idx, bag, mode, scale, w.shape[0], freq
        rows = w[idx]                                                   # (M, D)
        out = np.zeros((nbags, w.shape[1]), w.dtype)
        if mode == "max":
            # per bag and column, the first entry holding the maximum (torch's loop keeps the first)
            order = np.lexsort((np.arange(len(bag)), bag))
            best = np.full((nbags, w.shape[1]), -1, np.int64)
            for i in order:   # entries in bag order: a sequential scan, as torch's
                b = bag[i]
                better = (best[b] < 0) | (rows[i] > np.where(best[b] < 0, 0, rows[best[b], np.arange(w.shape[1])]))
                best[b] = np.where(better, i, best[b])
            ctx.best = best
            filled = best >= 0
            out[filled] = rows[best[filled], np.nonzero(filled)[1]]
            ctx.save_for_backward(None, None, *versioned)
            return out
        weights = scale if psw is None else psw * (1 if scale is None else scale)
        np.add.at(out, bag, rows if weights is None else rows * weights[:, None])
        ctx.save_for_backward(w if psw is not None else None, psw, *versioned)
        return out

    @staticmethod
    def backward(ctx, g):
        from .pool import ScatterFlat
        w, psw = ctx.saved_tensors[:2]
        need_w, need_psw = ctx.needs_input_grad[:2]
        gw = gpsw = None
        if ctx.mode == "max":
            best = ctx.best
            filled = best >= 0
            picked_rows = np.where(filled, ctx.idx[np.maximum(best, 0)], 0) if ctx.idx.size else \
                np.zeros(best.shape, np.intp)                                     # (B, D) weight rows
            kept = ScaleByConstant.apply(g, filled.astype(g._data.dtype))
            # column d of the gradient gets g[b, d] at row picked_rows[b, d]: a scatter per column
            gw = ScatterFlat.apply(kept.t(), np.ascontiguousarray(picked_rows.T), (ctx.nrows,),
                                   "EmbeddingBagBackwardBackward0", "EmbeddingBagMaxGather", False).t()
            return gw, None
        per_entry = g[Tensor._make(ctx.bag)]                                    # (M, D)
        if need_w:
            scaled = per_entry
            if psw is not None:
                scaled = scaled * psw.unsqueeze(1)
            if ctx.scale is not None or ctx.freq is not None:
                factor = np.ones(len(ctx.idx), g._data.dtype) if ctx.scale is None else ctx.scale
                scaled = ScaleByConstant.apply(scaled, (factor if ctx.freq is None else factor * ctx.freq)[:, None])
            gw = EmbeddingDenseBackward.apply(scaled, ctx.idx, ctx.nrows, None)
        if need_psw:
            gpsw = (per_entry * w[Tensor._make(ctx.idx)]).sum(1)
            if ctx.scale is not None:
                gpsw = ScaleByConstant.apply(gpsw, ctx.scale)
        return gw, gpsw


def embedding_bag(input: Tensor, weight: Tensor, offsets=None, max_norm=None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx=None) -> Tensor:
    """Sums, means or maxima of bags of embedding rows: 2-D input (one bag per row) or 1-D input cut at offsets."""
    if weight._data.dtype == np.int64 and dtypes.is_floating(input._data.dtype):
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it must "
                         f"have the same shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    idx = input._data
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                             f"length sequences. However, found offsets of type {type(offsets)}")
        starts = np.arange(0, idx.size, idx.shape[1]) if idx.shape[1] else np.zeros(idx.shape[0], np.int64)
        include_last_offset = False
        idx = idx.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets._data.astype(np.int64)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        _renorm_rows(weight, np.unique(idx), max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(starts[0])}")
    if starts.size and starts[-1] > idx.size:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.size} but got offsets[-1] of "
                           f"{int(starts[-1])}")
    rows = weight._data.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        raise IndexError("index out of range in self")
    nbags = len(starts) - 1 if include_last_offset else len(starts)
    ends = np.append(starts[1:], idx.size) if not include_last_offset else starts[1:]
    bag = np.repeat(np.arange(nbags), np.maximum(ends[:nbags] - starts[:nbags], 0)) if nbags else np.zeros(0, np.int64)
    bag = bag[:idx.size]
    keep = np.ones(idx.size, bool)
    if padding_idx is not None:
        padding_idx = padding_idx + rows if padding_idx < 0 else padding_idx
        keep = idx != padding_idx        # padding entries take no part: not summed, not counted
    idx_kept, bag_kept = idx[keep].astype(np.intp), bag[keep]
    scale = None
    if mode == "mean":
        counts = np.bincount(bag_kept, minlength=nbags)
        scale = (1.0 / counts[bag_kept]).astype(weight._data.dtype)
    freq = None
    if scale_grad_by_freq and idx_kept.size:   # the weight's gradient divided by each index's count
        _, inverse, counts_of = np.unique(idx_kept, return_inverse=True, return_counts=True)
        freq = (1.0 / counts_of[inverse]).astype(weight._data.dtype)
    psw = None
    if per_sample_weights is not None:
        psw = per_sample_weights[Tensor._make(np.nonzero(keep)[0])] if not keep.all() else per_sample_weights
    versioned = tuple(t for t in (input, offsets, per_sample_weights) if isinstance(t, Tensor))
    return EmbeddingBag.apply(weight, psw, idx_kept, bag_kept, nbags, mode, scale, freq, versioned)
