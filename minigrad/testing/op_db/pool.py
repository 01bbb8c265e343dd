"""Op table: pooling (ops/pool.py): max/avg pooling in 1-D and 2-D and the adaptive pools.

Max pooling is not differentiable where a window holds two equal maxima, so the generic samples
use distinct values (a shuffled grid 0.25 apart). Ties get entries of their own (``*_ties``):
integer-valued inputs from {-1, 0, 1} and all-zero inputs, full of equal maxima; their outputs,
indices and gradients must match torch's choice exactly (the first maximum in scan order), but
they skip the numerical gradcheck, which is meaningless at a tie.
"""
import importlib

import numpy as np
import torch.nn.functional as TF
from hypothesis import assume, strategies as st

import minigrad.nn.functional as F
from ...ops.pool import _max_axis, _out_size
from ..opinfo import ErrorCase, OpInfo, Sample
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
    spatial = tuple(max(1, d * (kk - 1) + 1 - 2 * p) + draw(st.integers(0, 3))
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
    spatial = tuple(max(1, kk - 2 * p) + draw(st.integers(0, 3)) for kk, p in zip(k, padding))
    shape = _batch(draw, nd) + (draw(st.integers(1, 2)),) + spatial
    kwargs = {"kernel_size": _as_arg(k, draw), "padding": _as_arg(padding, draw), "ceil_mode": draw(st.booleans()),
              "count_include_pad": draw(st.booleans())}
    if stride is not None:
        kwargs["stride"] = _as_arg(stride, draw)
    if nd == 2 and draw(st.booleans()):
        kwargs["divisor_override"] = draw(st.integers(1, 3))
    return Sample((draw(arrays(dtype, shape, -2, 2)),), kwargs)


@st.composite
def _adaptive_sample(draw, dtype, nd, is_max, ties=None):
    spatial = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    shape = draw(st.sampled_from([(), (1,), (2,)])) + (draw(st.integers(1, 2)),) + spatial
    size = tuple(draw(st.integers(1, 7)) for _ in range(nd))
    if nd == 2 and draw(st.booleans()):
        size = (None, size[1])
    out = size[0] if nd == 1 and draw(st.booleans()) else _as_arg(size, draw) if None not in size else size
    kwargs = {"output_size": out}
    if is_max:
        kwargs["return_indices"] = draw(st.booleans())
        x = _values(draw, dtype, shape, ties)
    else:
        x = draw(arrays(dtype, shape, -2, 2))
    return Sample((x,), kwargs)


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
]
