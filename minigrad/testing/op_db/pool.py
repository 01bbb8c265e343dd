"""Op table: pooling (ops/pool.py): max/avg pooling in 1-D and 2-D and the adaptive pools.

Max pooling is not differentiable where a window holds two equal maxima, so the generic samples
use distinct values (a shuffled grid 0.25 apart). Ties get entries of their own (``*_ties``):
integer-valued inputs from {-1, 0, 1} and all-zero inputs, full of equal maxima; their outputs,
indices and gradients must match torch's choice exactly (the first maximum in scan order), but
they skip the numerical gradcheck, which is meaningless at a tie.
"""
import importlib

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import assume, strategies as st

import minigrad
import minigrad.nn.functional as F
from ...ops.pool import _max_axis, _out_size
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays


def _as_arg(values, draw):
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


def _values(draw, dtype, shape, ties):
    """Distinct values (no ties), or small integers / zeros (many ties)."""
    n = int(np.prod(shape))
    if ties == "zeros":
        return np.zeros(shape, dtype)
    if ties == "ints":
        return draw(arrays(dtype, shape, -1, 1).map(np.round))
    perm = np.asarray(draw(st.permutations(range(n))), dtype=np.float64) if n else np.zeros(0)
    return ((perm - n / 2) * 0.25).reshape(shape).astype(dtype)


def _batch(draw, nd):
    return draw(st.sampled_from([(), (1,), (2,), (0,)]))


@st.composite
def _max_pool_sample(draw, dtype, nd, ties=None):
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    ceil_mode = draw(st.booleans())
    extra = 3 if nd < 3 else 1   # 3-d volumes stay small: gradgradcheck runs a backward per element
    spatial = tuple(max(1, d * (kk - 1) + 1 - 2 * p) + draw(st.integers(0, extra))
                    for kk, d, p in zip(k, dilation, padding))
    # With dilation, a window can hold padding only (its taps straddle the input): torch then
    # stores an out-of-range index and corrupts memory in double backward. Leave those out.
    for n, kk, ss, p, d in zip(spatial, k, stride or k, padding, dilation):
        start, end = _max_axis(n, kk, ss, p, d, _out_size(n, kk, ss, p, d, ceil_mode))
        assume(bool(np.all(start < end)))
    shape = _batch(draw, nd) + (draw(st.integers(1, 2)),) + spatial
    kwargs = {"kernel_size": _as_arg(k, draw), "padding": _as_arg(padding, draw), "dilation": _as_arg(dilation, draw),
              "ceil_mode": ceil_mode, "return_indices": draw(st.booleans())}
    if stride is not None:
        kwargs["stride"] = _as_arg(stride, draw)
    return Sample((_values(draw, dtype, shape, ties),), kwargs)


@st.composite
def _avg_pool_sample(draw, dtype, nd):
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    # (avg_pool3d wants the input at least as large as the kernel, padding or not)
    spatial = tuple(max(1, kk - 2 * p if nd < 3 else kk) + draw(st.integers(0, 3 if nd < 3 else 1))
                    for kk, p in zip(k, padding))
    shape = _batch(draw, nd) + (draw(st.integers(1, 2)),) + spatial
    kwargs = {"kernel_size": _as_arg(k, draw), "padding": _as_arg(padding, draw), "ceil_mode": draw(st.booleans()),
              "count_include_pad": draw(st.booleans())}
    if stride is not None:
        kwargs["stride"] = _as_arg(stride, draw)
    if nd >= 2 and draw(st.booleans()):
        kwargs["divisor_override"] = draw(st.integers(1, 3))
    return Sample((draw(arrays(dtype, shape, -2, 2)),), kwargs)


@st.composite
def _adaptive_sample(draw, dtype, nd, is_max, ties=None):
    spatial = tuple(draw(st.integers(1, 6 if nd < 3 else 4)) for _ in range(nd))
    shape = draw(st.sampled_from([(), (1,), (2,)])) + (draw(st.integers(1, 2)),) + spatial
    size = tuple(draw(st.integers(1, 7 if nd < 3 else 4)) for _ in range(nd))
    if nd >= 2 and draw(st.booleans()):
        size = (None,) + size[1:]
    out = size[0] if nd == 1 and draw(st.booleans()) else _as_arg(size, draw) if None not in size else size
    kwargs = {"output_size": out}
    if is_max:
        kwargs["return_indices"] = draw(st.booleans())
        x = _values(draw, dtype, shape, ties)
    else:
        x = draw(arrays(dtype, shape, -2, 2))
    return Sample((x,), kwargs)


@st.composite
def _lp_pool_sample(draw, dtype, nd):
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(kk + draw(st.integers(0, 3 if nd < 3 else 1)) for kk in k)
    shape = _batch(draw, nd)[:1] + (draw(st.integers(1, 2)),) + spatial
    # positive inputs: x^p of a negative x and a fractional p is NaN in both frameworks
    x = draw(arrays(dtype, shape, 0.25, 2))
    return Sample((x, draw(st.sampled_from([1, 2, 3, 1.5]))), {"kernel_size": k[0] if nd == 1 else _as_arg(k, draw),
                                                              "stride": None if stride is None else _as_arg(stride, draw),
                                                              "ceil_mode": draw(st.booleans())})


@st.composite
def _max_unpool_sample(draw, dtype, nd):
    """(pooled values, max_pool's indices): the indices from torch's own max pool of distinct values."""
    import torch
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    spatial = tuple(max(1, kk - 2 * p) + draw(st.integers(0, 3 if nd < 3 else 1)) for kk, p in zip(k, padding))
    shape = draw(st.sampled_from([(1,), (2,), ()])) + (draw(st.integers(1, 2)),) + spatial
    source = _values(draw, np.float64, shape, None)
    pool = getattr(torch.nn.functional, f"max_pool{nd}d")
    _, idx = pool(torch.tensor(source), k, stride, padding, return_indices=True)
    values = draw(arrays(dtype, tuple(idx.shape), -2, 2))
    default = [(o - 1) * ss + kk - 2 * p for o, ss, kk, p in zip(idx.shape[-nd:], stride, k, padding)]
    assume(all(d >= 1 for d in default) and all(n < d + ss for n, d, ss in zip(spatial, default, stride)))
    kwargs = {"kernel_size": _as_arg(k, draw), "stride": _as_arg(stride, draw), "padding": _as_arg(padding, draw)}
    if list(spatial) != default or draw(st.booleans()):   # the default size, where it is the pooled input's
        kwargs["output_size"] = spatial
    # overlapping windows can pick one input twice: torch writes one of the values there, so keep each index once
    flat = idx.numpy().reshape(-1, int(np.prod(idx.shape[-nd:])) if idx.ndim else 1)
    assume(all(len(set(row)) == len(row) for row in flat.tolist()))
    return Sample((values, idx.numpy()), kwargs)


@st.composite
def _fractional_sample(draw, dtype, nd, given_samples):
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    out = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(o + kk - 1 + draw(st.integers(0 if nd < 3 else 1, 3 if nd < 3 else 2)) for o, kk in zip(out, k))
    batch = draw(st.sampled_from([(1,), (2,), ()]))
    channels = draw(st.integers(1, 2))
    x = _values(draw, dtype, batch + (channels,) + spatial, None)
    kwargs = {"kernel_size": _as_arg(k, draw), "return_indices": draw(st.booleans())}
    if draw(st.booleans()):
        kwargs["output_size"] = _as_arg(out, draw)
    else:   # a ratio giving at most `out` outputs per dim
        kwargs["output_ratio"] = tuple(o / n for o, n in zip(out, spatial))
    if given_samples:
        kwargs["_random_samples"] = NoGrad(draw(arrays(dtype, ((batch or (1,))[0], channels, nd), 0, 0.999)))
    else:
        kwargs["seed"] = draw(st.integers(0, 2 ** 31))
    return Sample((x,), kwargs)


def _seeded(lib, fn):
    """fn called after seeding lib's generator with the sample's seed: the same draws in both frameworks."""
    def call(*args, seed, **kw):
        lib.manual_seed(seed)
        return fn(*args, **kw)
    return call


def _embedding_bag_sample(dtype):
    """Bags of embedding rows: 2-D input, or 1-D input with offsets (empty bags included), every mode."""
    def build(seed):
        rng = np.random.default_rng(seed)
        rows, dim = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        weight = rng.standard_normal((rows, dim)).astype(dtype)
        mode = str(rng.choice(["sum", "mean", "max"]))
        kwargs = {"mode": mode}
        if rng.random() < 0.5:
            indices = rng.integers(0, rows, (int(rng.integers(1, 4)), int(rng.integers(1, 4))))
            args = (indices, weight)
        else:
            indices = rng.integers(0, rows, int(rng.integers(0, 8)))
            offsets = np.sort(rng.integers(0, indices.size + 1, int(rng.integers(1, 4))))
            offsets[0] = 0
            if rng.random() < 0.3:
                offsets = np.append(offsets, indices.size)
                kwargs["include_last_offset"] = True
            args = (indices, weight, offsets)
        if rng.random() < 0.3:
            kwargs["padding_idx"] = int(rng.integers(-rows, rows))
        if mode == "sum" and rng.random() < 0.5:
            kwargs["per_sample_weights"] = rng.standard_normal(indices.shape).astype(dtype)
        return Sample(args, kwargs)
    return st.integers(0, 2 ** 32 - 1).map(build)


def _embedding_bag_call(F_):
    """per_sample_weights as a differentiable argument of the call (the op table's kwargs never require grad)."""
    def call(input, weight, offsets=None, per_sample_weights=None, **kw):
        return F_.embedding_bag(input, weight, offsets, per_sample_weights=per_sample_weights, **kw)
    return call


def _entry(name, sample, **kw):
    return OpInfo(name, getattr(F, name), getattr(TF, name), sample, rtol={"float32": 1e-5},
                  atol={"float32": 1e-5}, **kw)


OPS = [
    _entry("max_pool2d", lambda dt: _max_pool_sample(dt, 2)),
    _entry("max_pool1d", lambda dt: _max_pool_sample(dt, 1)),
    _entry("avg_pool2d", lambda dt: _avg_pool_sample(dt, 2)),
    _entry("avg_pool1d", lambda dt: _avg_pool_sample(dt, 1)),
    _entry("adaptive_avg_pool2d", lambda dt: _adaptive_sample(dt, 2, False)),
    _entry("adaptive_avg_pool1d", lambda dt: _adaptive_sample(dt, 1, False)),
    _entry("adaptive_max_pool2d", lambda dt: _adaptive_sample(dt, 2, True)),
    _entry("adaptive_max_pool1d", lambda dt: _adaptive_sample(dt, 1, True)),
    _entry("max_pool3d", lambda dt: _max_pool_sample(dt, 3)),
    _entry("avg_pool3d", lambda dt: _avg_pool_sample(dt, 3)),
    _entry("adaptive_avg_pool3d", lambda dt: _adaptive_sample(dt, 3, False)),
    _entry("adaptive_max_pool3d", lambda dt: _adaptive_sample(dt, 3, True)),
    _entry("lp_pool1d", lambda dt: _lp_pool_sample(dt, 1)),
    _entry("lp_pool2d", lambda dt: _lp_pool_sample(dt, 2)),
    _entry("lp_pool3d", lambda dt: _lp_pool_sample(dt, 3)),
    _entry("max_unpool1d", lambda dt: _max_unpool_sample(dt, 1)),
    _entry("max_unpool2d", lambda dt: _max_unpool_sample(dt, 2)),
    _entry("max_unpool3d", lambda dt: _max_unpool_sample(dt, 3)),
    _entry("fractional_max_pool2d", lambda dt: _fractional_sample(dt, 2, True), notes="_random_samples given"),
    _entry("fractional_max_pool3d", lambda dt: _fractional_sample(dt, 3, True), notes="_random_samples given"),
    OpInfo("embedding_bag", _embedding_bag_call(F), _embedding_bag_call(TF), _embedding_bag_sample, gradgrad=False,
           rtol={"float32": 1e-5}, atol={"float32": 1e-5},
           notes="a pooling of embedding rows; torch has no grad-of-grad; scale_grad_by_freq not compared (torch "
                 "2.13's CPU kernel scales rows by other indices' counts)"),
    OpInfo("fractional_max_pool2d_drawn", _seeded(minigrad, F.fractional_max_pool2d),
           _seeded(torch, TF.fractional_max_pool2d), lambda dt: _fractional_sample(dt, 2, False),
           rtol={"float32": 1e-5}, atol={"float32": 1e-5},
           notes="window starts drawn by torch.rand from the torch-compatible generator, seeded alike"),
    OpInfo("fractional_max_pool3d_drawn", _seeded(minigrad, F.fractional_max_pool3d),
           _seeded(torch, TF.fractional_max_pool3d), lambda dt: _fractional_sample(dt, 3, False),
           rtol={"float32": 1e-5}, atol={"float32": 1e-5}),
    # ties: every window full of equal maxima; torch's choice (the first) must be reproduced exactly.
    # torch's CUDA kernels pick another of the tied maxima, so these compare with torch's CPU.
    OpInfo("max_pool2d_ties_ints", F.max_pool2d, TF.max_pool2d, lambda dt: _max_pool_sample(dt, 2, "ints"),
           gradcheck=False, notes="first maximum in scan order wins", cuda_ref="cpu"),
    OpInfo("max_pool2d_ties_zeros", F.max_pool2d, TF.max_pool2d, lambda dt: _max_pool_sample(dt, 2, "zeros"),
           gradcheck=False, cuda_ref="cpu"),
    OpInfo("max_pool1d_ties_ints", F.max_pool1d, TF.max_pool1d, lambda dt: _max_pool_sample(dt, 1, "ints"),
           gradcheck=False, cuda_ref="cpu"),
    OpInfo("adaptive_max_pool2d_ties_ints", F.adaptive_max_pool2d, TF.adaptive_max_pool2d,
           lambda dt: _adaptive_sample(dt, 2, True, "ints"), gradcheck=False, cuda_ref="cpu"),
    OpInfo("adaptive_max_pool2d_ties_zeros", F.adaptive_max_pool2d, TF.adaptive_max_pool2d,
           lambda dt: _adaptive_sample(dt, 2, True, "zeros"), gradcheck=False, cuda_ref="cpu"),
]


def _F(lib):
    return importlib.import_module(lib.__name__ + ".nn.functional")


def _x(lib, *shape):
    return lib.ones(*shape)


ERRORS = [
    ErrorCase("max_pool2d_padding_over_half_kernel", lambda lib: _F(lib).max_pool2d(_x(lib, 1, 2, 4, 4), 2, padding=2),
              ("pad=2", "kernel_size=2")),
    ErrorCase("max_pool2d_padding_over_half_dilated_kernel",
              lambda lib: _F(lib).max_pool2d(_x(lib, 1, 1, 9, 9), 2, padding=2, dilation=3), ("2",)),
    ErrorCase("max_pool2d_negative_padding", lambda lib: _F(lib).max_pool2d(_x(lib, 1, 2, 4, 4), 2, padding=-1),
              ("-1",)),
    ErrorCase("avg_pool2d_padding_over_half_kernel", lambda lib: _F(lib).avg_pool2d(_x(lib, 1, 2, 4, 4), 2, padding=2),
              ("pad=2", "kernel_size=2")),
    ErrorCase("avg_pool2d_negative_padding", lambda lib: _F(lib).avg_pool2d(_x(lib, 1, 2, 4, 4), 2, padding=-1),
              ("-1",)),
    ErrorCase("max_pool1d_padding_over_half_kernel", lambda lib: _F(lib).max_pool1d(_x(lib, 1, 4, 4), 2, padding=2),
              ("2",)),
    ErrorCase("avg_pool1d_padding_over_half_kernel", lambda lib: _F(lib).avg_pool1d(_x(lib, 1, 4, 4), 2, padding=2),
              ("2",)),
    ErrorCase("max_pool2d_output_too_small", lambda lib: _F(lib).max_pool2d(_x(lib, 1, 1, 1, 1), 2),
              ("(1x1x1)", "(1x0x0)")),
    ErrorCase("avg_pool2d_output_too_small", lambda lib: _F(lib).avg_pool2d(_x(lib, 1, 1, 1, 1), 2),
              ("(1x1x1)", "(1x0x0)")),
    ErrorCase("max_pool2d_input_2d", lambda lib: _F(lib).max_pool2d(_x(lib, 4, 4), 2), ("3D or 4D",)),
    ErrorCase("max_pool2d_empty_channels", lambda lib: _F(lib).max_pool2d(_x(lib, 1, 0, 4, 4), 2), ("[1, 0, 4, 4]",)),
    ErrorCase("max_pool1d_input_4d", lambda lib: _F(lib).max_pool1d(_x(lib, 1, 1, 4, 4), 2), ("[1, 1, 4, 4]",)),
    ErrorCase("max_pool2d_zero_kernel", lambda lib: _F(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 0, stride=1),
              ("kernel size", "0")),
    ErrorCase("max_pool2d_zero_stride", lambda lib: _F(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, stride=0),
              ("stride",)),
    ErrorCase("max_pool2d_zero_dilation", lambda lib: _F(lib).max_pool2d(_x(lib, 1, 1, 4, 4), 2, dilation=0),
              ("dilation",)),
    ErrorCase("max_pool2d_kernel_three_ints", lambda lib: _F(lib).max_pool2d(_x(lib, 1, 1, 4, 4), (2, 2, 2)),
              ("kernel_size",)),
    ErrorCase("avg_pool2d_zero_divisor", lambda lib: _F(lib).avg_pool2d(_x(lib, 1, 1, 4, 4), 2, divisor_override=0),
              ("divisor",)),
    ErrorCase("adaptive_avg_pool2d_empty_spatial", lambda lib: _F(lib).adaptive_avg_pool2d(_x(lib, 1, 1, 0, 4), 2),
              ("[1, 1, 0, 4]", "dimension 2")),
    ErrorCase("adaptive_max_pool2d_input_1d", lambda lib: _F(lib).adaptive_max_pool2d(_x(lib, 4), 2), ("[4]",)),
    ErrorCase("adaptive_avg_pool2d_output_size_3",
              lambda lib: _F(lib).adaptive_avg_pool2d(_x(lib, 1, 1, 4, 4), (2, 2, 2)), ("output_size",)),
    ErrorCase("adaptive_max_pool2d_integer", lambda lib: _F(lib).adaptive_max_pool2d(_x(lib, 1, 1, 4, 4).long(), 2),
              ("Long",)),
    ErrorCase("max_pool3d_input_3d", lambda lib: _F(lib).max_pool3d(_x(lib, 4, 4, 4), 2), ("4D or 5D",)),
    ErrorCase("max_pool3d_kernel_two_ints", lambda lib: _F(lib).max_pool3d(_x(lib, 1, 1, 4, 4, 4), (2, 2)),
              ("kernel_size", "three")),
    ErrorCase("max_pool3d_padding_over_half_kernel", lambda lib: _F(lib).max_pool3d(_x(lib, 1, 1, 4, 4, 4), 2,
                                                                                   padding=2), ("pad=2",)),
    ErrorCase("max_pool3d_output_too_small", lambda lib: _F(lib).max_pool3d(_x(lib, 1, 3, 4, 5, 6), 7),
              ("(3x4x5x6)", "(3x0x0x0)")),
    ErrorCase("avg_pool3d_kernel_larger_than_input", lambda lib: _F(lib).avg_pool3d(_x(lib, 1, 3, 4, 5, 6), 7),
              ("T: 4", "kT: 7")),
    ErrorCase("avg_pool3d_zero_divisor", lambda lib: _F(lib).avg_pool3d(_x(lib, 1, 1, 4, 4, 4), 2, divisor_override=0),
              ("divisor",)),
    ErrorCase("adaptive_avg_pool3d_input_3d", lambda lib: _F(lib).adaptive_avg_pool3d(_x(lib, 4, 5, 6), 2),
              ("[4, 5, 6]",)),
    ErrorCase("adaptive_max_pool3d_output_size_2", lambda lib: _F(lib).adaptive_max_pool3d(_x(lib, 1, 4, 5, 6), (2, 2)),
              ("output_size",)),
    ErrorCase("adaptive_avg_pool3d_integer", lambda lib: _F(lib).adaptive_avg_pool3d(_x(lib, 1, 4, 4, 4).long(), 2),
              ("Long",)),
    ErrorCase("max_unpool2d_index_out_of_range", lambda lib: _F(lib).max_unpool2d(
        _x(lib, 1, 3, 4), lib.full((1, 3, 4), 100, dtype=lib.int64), 2), ("100", "6x8")),
    ErrorCase("max_unpool2d_int32_indices", lambda lib: _F(lib).max_unpool2d(
        _x(lib, 1, 3, 4), lib.zeros(1, 3, 4, dtype=lib.int32), 2), ("int64", "Int")),
    ErrorCase("max_unpool2d_indices_shape", lambda lib: _F(lib).max_unpool2d(
        _x(lib, 1, 3, 4), lib.zeros(1, 3, 3, dtype=lib.int64), 2), ("[1, 3, 4]", "[1, 3, 3]")),
    ErrorCase("max_unpool2d_input_2d", lambda lib: _F(lib).max_unpool2d(
        _x(lib, 3, 4), lib.zeros(3, 4, dtype=lib.int64), 2), ("3d or 4d",)),
    ErrorCase("max_unpool3d_bad_output_size", lambda lib: _F(lib).max_unpool3d(
        _x(lib, 1, 1, 2, 2, 2), lib.zeros(1, 1, 2, 2, 2, dtype=lib.int64), 2, output_size=(9, 4, 4)),
              ("output_size", "dim 0")),
    ErrorCase("fractional_max_pool2d_no_size", lambda lib: _F(lib).fractional_max_pool2d(_x(lib, 1, 1, 4, 4), 2),
              ("output_size", "output_ratio")),
    ErrorCase("fractional_max_pool2d_pool_too_large", lambda lib: _F(lib).fractional_max_pool2d(
        _x(lib, 1, 3, 4), 3, output_size=3), ("pool height 3", "input height 3")),
    ErrorCase("fractional_max_pool3d_pool_too_large", lambda lib: _F(lib).fractional_max_pool3d(
        _x(lib, 1, 2, 3, 3), 1, output_size=2), ("pool time 1", "input time 2")),
    ErrorCase("embedding_bag_2d_with_offsets", lambda lib: _F(lib).embedding_bag(
        lib.zeros(2, 3, dtype=lib.int64), _x(lib, 4, 2), lib.zeros(2, dtype=lib.int64)), ("offsets has to be None",)),
    ErrorCase("embedding_bag_1d_without_offsets", lambda lib: _F(lib).embedding_bag(
        lib.zeros(3, dtype=lib.int64), _x(lib, 4, 2)), ("offsets",)),
    ErrorCase("embedding_bag_bad_mode", lambda lib: _F(lib).embedding_bag(
        lib.zeros(2, 3, dtype=lib.int64), _x(lib, 4, 2), mode="min"), ("mode",)),
    ErrorCase("embedding_bag_weights_in_mean", lambda lib: _F(lib).embedding_bag(
        lib.zeros(2, 3, dtype=lib.int64), _x(lib, 4, 2), per_sample_weights=_x(lib, 2, 3)), ("per_sample_weights",)),
    ErrorCase("embedding_bag_weights_shape", lambda lib: _F(lib).embedding_bag(
        lib.zeros(2, 3, dtype=lib.int64), _x(lib, 4, 2), mode="sum", per_sample_weights=_x(lib, 3, 2)),
              ("per_sample_weights",)),
    ErrorCase("embedding_bag_first_offset", lambda lib: _F(lib).embedding_bag(
        lib.zeros(3, dtype=lib.int64), _x(lib, 4, 2), lib.tensor([1, 2])), ("offsets[0]", "1")),
    ErrorCase("embedding_bag_last_offset", lambda lib: _F(lib).embedding_bag(
        lib.zeros(3, dtype=lib.int64), _x(lib, 4, 2), lib.tensor([0, 5])), ("offsets[-1]", "5")),
    ErrorCase("embedding_bag_weight_1d", lambda lib: _F(lib).embedding_bag(
        lib.zeros(2, 3, dtype=lib.int64), _x(lib, 4)), ("2D",)),
    ErrorCase("embedding_bag_max_freq", lambda lib: _F(lib).embedding_bag(
        lib.zeros(2, 3, dtype=lib.int64), _x(lib, 4, 2), mode="max", scale_grad_by_freq=True), ("max mode",)),
]
