"""Op table: convolutions (ops/conv.py): conv1d/2d/3d, conv_transpose1d/2d/3d, unfold, fold.

Samples draw batch (0, 1, 2 or unbatched), channels as multiples of groups, kernel, stride,
padding (int, tuple, 'same', 'valid'), dilation, bias on/off, and spatial sizes from the
smallest the kernel allows upwards. Sizes stay small so that float64 gradcheck and
gradgradcheck (a backward per output element) stay fast.
"""
import importlib

import torch.nn.functional as TF
from hypothesis import strategies as st

import minigrad.nn.functional as F
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays

# Conv sums up to ~20 products: float32 results differ from torch's in the last bits.
_RTOL = {"float32": 1e-5}
_ATOL = {"float32": 1e-4}


def _as_arg(values, draw):
    """An n-tuple as torch accepts it: an int when all equal (sometimes), else a tuple."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


@st.composite
def _conv_sample(draw, dtype, nd):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    kinds = ["int", "tuple", "valid"] + (["same"] if all(s == 1 for s in stride) else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        padding = draw(st.integers(0, 2))
        pads = (2 * padding,) * nd
    elif kind == "tuple":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(nd))
        pads = tuple(2 * p for p in padding)
    else:
        padding = kind
        pads = tuple(d * (kk - 1) for d, kk in zip(dilation, k)) if kind == "same" else (0,) * nd
    extra = 3 if nd < 3 else 1   # 3-d volumes stay small: gradgradcheck runs a backward per element
    spatial = tuple(max(1, d * (kk - 1) + 1 - p) + draw(st.integers(0, extra)) for d, kk, p in zip(dilation, k, pads))
    batch = draw(st.sampled_from([(), (1,), (2,), (0,)]))
    x = draw(arrays(dtype, batch + (c_in,) + spatial, -2, 2))
    w = draw(arrays(dtype, (c_out, c_in // groups) + k, -2, 2))
    b = draw(st.one_of(st.none(), arrays(dtype, (c_out,), -2, 2)))
    kwargs = {"stride": _as_arg(stride, draw), "padding": padding if isinstance(padding, str) else
              _as_arg(padding if isinstance(padding, tuple) else (padding,) * nd, draw),
              "dilation": _as_arg(dilation, draw), "groups": groups}
    return Sample((x, w, b), kwargs)


@st.composite
def _conv_transpose_sample(draw, dtype, nd):
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    spatial = tuple(draw(st.integers(1, 3 if nd < 3 else 2)) for _ in range(nd))
    # keep the output at least one pixel: (n-1)*s - 2p + d*(k-1) + op + 1 >= 1
    padding = tuple(draw(st.integers(0, max(0, min(2, ((n - 1) * s + d * (kk - 1) + op) // 2))))
                    for n, s, d, kk, op in zip(spatial, stride, dilation, k, out_pad))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    x = draw(arrays(dtype, batch + (c_in,) + spatial, -2, 2))
    w = draw(arrays(dtype, (c_in, c_out // groups) + k, -2, 2))
    b = draw(st.one_of(st.none(), arrays(dtype, (c_out,), -2, 2)))
    return Sample((x, w, b), {"stride": _as_arg(stride, draw), "padding": _as_arg(padding, draw),
                              "output_padding": _as_arg(out_pad, draw), "groups": groups,
                              "dilation": _as_arg(dilation, draw)})


def _fold_geometry(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    hw = tuple(max(1, dd * (kk - 1) + 1 - 2 * pp) + draw(st.integers(0, 3)) for kk, dd, pp in zip(k, d, p))
    return k, d, p, s, hw


@st.composite
def _unfold_sample(draw, dtype):
    k, d, p, s, hw = _fold_geometry(draw)
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    x = draw(arrays(dtype, batch + (draw(st.integers(1, 2)),) + hw, -2, 2))
    return Sample((x,), {"kernel_size": _as_arg(k, draw), "dilation": _as_arg(d, draw),
                         "padding": _as_arg(p, draw), "stride": _as_arg(s, draw)})


@st.composite
def _fold_sample(draw, dtype):
    k, d, p, s, hw = _fold_geometry(draw)
    blocks = [(n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(hw, k, d, p, s)]
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    cols = draw(arrays(dtype, batch + (draw(st.integers(1, 2)) * k[0] * k[1], blocks[0] * blocks[1]), -2, 2))
    return Sample((cols,), {"output_size": _as_arg(hw, draw), "kernel_size": _as_arg(k, draw),
                            "dilation": _as_arg(d, draw), "padding": _as_arg(p, draw), "stride": _as_arg(s, draw)})


def _entry(name, sample, **kw):
    return OpInfo(name, getattr(F, name), getattr(TF, name), sample, rtol=_RTOL, atol=_ATOL, **kw)


OPS = [
    _entry("conv2d", lambda dt: _conv_sample(dt, 2)),
    _entry("conv1d", lambda dt: _conv_sample(dt, 1)),
    _entry("conv_transpose2d", lambda dt: _conv_transpose_sample(dt, 2)),
    _entry("conv_transpose1d", lambda dt: _conv_transpose_sample(dt, 1)),
    _entry("conv3d", lambda dt: _conv_sample(dt, 3), notes="conv2d over depth windows stacked as channels"),
    _entry("conv_transpose3d", lambda dt: _conv_transpose_sample(dt, 3),
           notes="conv_transpose2d per input plane, planes summed along depth by fold"),
    _entry("unfold", _unfold_sample),
    _entry("fold", _fold_sample),
]


def _F(lib):
    return importlib.import_module(lib.__name__ + ".nn.functional")


def _t(lib, *shape):
    return lib.ones(*shape)


ERRORS = [
    ErrorCase("conv2d_kernel_larger_than_input",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 2, 2), _t(lib, 3, 2, 3, 3)), ("(2 x 2)", "(3 x 3)")),
    ErrorCase("conv2d_kernel_larger_than_padded_input",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 2, 2), _t(lib, 3, 2, 3, 3), padding=(0, 1)),
              ("(2 x 4)", "(3 x 3)")),
    ErrorCase("conv2d_dilated_kernel_larger_than_input",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 2, 2), dilation=4), ("(4 x 4)", "(5 x 5)")),
    ErrorCase("conv1d_kernel_larger_than_input",
              lambda lib: _F(lib).conv1d(_t(lib, 1, 2, 2), _t(lib, 3, 2, 3)), ("(2)", "(3)")),
    ErrorCase("conv2d_in_channels_not_divisible_by_groups",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 3, 4, 4), _t(lib, 4, 1, 3, 3), groups=2),
              ("groups=2", "[1, 3, 4, 4]", "2 channels", "3 channels")),
    ErrorCase("conv2d_out_channels_not_divisible_by_groups",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 4, 4, 4), _t(lib, 3, 2, 3, 3), groups=2),
              ("groups=2", "[3, 2, 3, 3]")),
    ErrorCase("conv2d_wrong_in_channels",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 3, 4, 4), _t(lib, 3, 2, 3, 3)), ("[3, 2, 3, 3]", "[1, 3, 4, 4]")),
    ErrorCase("conv2d_input_5d", lambda lib: _F(lib).conv2d(_t(lib, 1, 1, 2, 4, 4), _t(lib, 3, 1, 3, 3)),
              ("4D", "[1, 1, 2, 4, 4]")),
    ErrorCase("conv2d_input_2d", lambda lib: _F(lib).conv2d(_t(lib, 4, 4), _t(lib, 3, 1, 3, 3)), ("3D", "[4, 4]")),
    ErrorCase("conv1d_input_4d", lambda lib: _F(lib).conv1d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3)),
              ("conv1d", "[1, 2, 4, 4]")),
    ErrorCase("conv2d_weight_2d", lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2)), ("weight",)),
    ErrorCase("conv2d_same_with_stride",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3, 3), padding="same", stride=2),
              ("same", "strided")),
    ErrorCase("conv2d_bad_padding_string",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3, 3), padding="full"), ("full",)),
    ErrorCase("conv2d_negative_padding",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3, 3), padding=-1), ("negative",)),
    ErrorCase("conv2d_zero_stride",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3, 3), stride=0), ("stride",)),
    ErrorCase("conv2d_zero_dilation",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3, 3), dilation=0), ("dilation",)),
    ErrorCase("conv2d_zero_groups",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3, 3), groups=0), ("groups",)),
    ErrorCase("conv2d_stride_wrong_length",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3, 3), stride=(1, 1, 1)),
              ("stride", "[1, 1, 1]")),
    ErrorCase("conv2d_bias_wrong_size",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 3, 3), _t(lib, 2)), ("bias", "[2]", "3")),
    ErrorCase("conv2d_dtype_mismatch",
              lambda lib: _F(lib).conv2d(_t(lib, 1, 2, 4, 4).double(), _t(lib, 3, 2, 3, 3)), ("Double", "Float")),
    ErrorCase("conv_transpose2d_output_padding_too_big",
              lambda lib: _F(lib).conv_transpose2d(_t(lib, 1, 2, 4, 4), _t(lib, 2, 3, 3, 3), stride=2,
                                                   output_padding=2), ("output padding", "stride")),
    ErrorCase("conv_transpose2d_groups_exceed_channels",
              lambda lib: _F(lib).conv_transpose2d(_t(lib, 1, 2, 4, 4), _t(lib, 2, 3, 3, 3), groups=3),
              ("groups=3", "[2, 3, 3, 3]")),
    ErrorCase("conv_transpose2d_wrong_in_channels",
              lambda lib: _F(lib).conv_transpose2d(_t(lib, 1, 2, 4, 4), _t(lib, 3, 2, 2, 2)), ("3 channels",)),
    ErrorCase("conv_transpose2d_output_too_small",
              lambda lib: _F(lib).conv_transpose2d(_t(lib, 1, 2, 1, 1), _t(lib, 2, 2, 1, 1), padding=2),
              ("(1 x 1)", "(-3 x -3)")),
    ErrorCase("conv_transpose2d_input_2d",
              lambda lib: _F(lib).conv_transpose2d(_t(lib, 2, 4), _t(lib, 2, 2, 2, 2)), ("[2, 4]",)),
    ErrorCase("unfold_kernel_too_big", lambda lib: _F(lib).unfold(_t(lib, 1, 2, 4, 4), 5), ("(4, 4)", "(5, 5)")),
    ErrorCase("unfold_input_5d", lambda lib: _F(lib).unfold(_t(lib, 1, 1, 1, 4, 4), 2), ("[1, 1, 1, 4, 4]",)),
    ErrorCase("unfold_negative_padding", lambda lib: _F(lib).unfold(_t(lib, 1, 1, 4, 4), 2, padding=-1), ("-1",)),
    ErrorCase("fold_wrong_blocks", lambda lib: _F(lib).fold(_t(lib, 1, 4, 5), (3, 3), 2), ("2 * 2 = 4", "5")),
    ErrorCase("fold_channels_not_divisible", lambda lib: _F(lib).fold(_t(lib, 1, 5, 4), (3, 3), 2),
              ("input.size(1)=5",)),
    ErrorCase("conv3d_input_3d", lambda lib: _F(lib).conv3d(_t(lib, 2, 4, 4), _t(lib, 3, 2, 3, 3, 3)),
              ("4D", "5D", "[2, 4, 4]")),
    ErrorCase("conv3d_kernel_larger_than_input",
              lambda lib: _F(lib).conv3d(_t(lib, 1, 2, 2, 4, 4), _t(lib, 3, 2, 3, 3, 3)), ("(2 x 4 x 4)", "(3 x 3 x 3)")),
    ErrorCase("conv3d_wrong_in_channels",
              lambda lib: _F(lib).conv3d(_t(lib, 1, 3, 4, 4, 4), _t(lib, 3, 2, 3, 3, 3)), ("3 channels",)),
    ErrorCase("conv3d_stride_wrong_length",
              lambda lib: _F(lib).conv3d(_t(lib, 1, 2, 4, 4, 4), _t(lib, 3, 2, 3, 3, 3), stride=(1, 1)),
              ("stride", "[1, 1]")),
    ErrorCase("conv_transpose3d_wrong_in_channels",
              lambda lib: _F(lib).conv_transpose3d(_t(lib, 1, 2, 4, 4, 4), _t(lib, 3, 2, 2, 2, 2)), ("3 channels",)),
    ErrorCase("conv_transpose3d_output_padding_too_big",
              lambda lib: _F(lib).conv_transpose3d(_t(lib, 1, 2, 4, 4, 4), _t(lib, 2, 3, 3, 3, 3), stride=2,
                                                   output_padding=2), ("output padding",)),
]
