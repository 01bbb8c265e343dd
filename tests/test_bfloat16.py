"""bfloat16 against torch, side by side: storage and casts, the promotion table, pointwise ops bit
for bit (hypothesis-drawn values, and a sample of the op table's pointwise families), reductions,
matrix products, autograd, autocast regions, and save / load in both file formats.

The rule being checked (docs/parity.md, "bfloat16"): an op on bfloat16 tensors computes in
float32 and rounds its result to bfloat16 once, as torch's CPU kernels do; a Python number joins
as torch's wrapped number (rounded to bfloat16 first), except in mul and div, which read it in
float32. So wherever both libraries' float32 results agree bit for bit, so do their bfloat16
results; where the float32 results differ in the last bits, bfloat16 may differ by one unit.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra.numpy import arrays

import minigrad
from minigrad.testing.op_db import OP_DB
from minigrad.testing.opinfo import NoGrad, Sample

BF16_RTOL, BF16_ATOL = 1.6e-2, 1e-5   # torch.testing.assert_close's bfloat16 defaults


# -- helpers -----------------------------------------------------------------------------------------
def _pair(values, dtype="bfloat16"):
    """The same values as a minigrad and a torch tensor of ``dtype`` (cast from float32 in both)."""
    a = np.asarray(values, dtype=np.float32)
    return minigrad.tensor(a).to(getattr(minigrad, dtype)), torch.tensor(a).to(getattr(torch, dtype))


def _bits(t) -> np.ndarray:
    """A tensor's values as comparable float64 (bfloat16 is exact in float64); NaN stays NaN."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return (t.double() if t.dtype.is_floating_point else t).numpy()
    return np.asarray(t.detach().double().numpy() if t.dtype.is_floating_point else t.numpy())


def _dtype_name(t) -> str:
    return str(t.dtype).rpartition(".")[2]


def assert_same(ours, theirs, what=""):
    """Equal dtypes and shapes, and bit-equal values (NaN where torch has NaN, zeros' signs too)."""
    assert _dtype_name(ours) == _dtype_name(theirs), what
    a, b = _bits(ours), _bits(theirs)
    assert a.shape == b.shape, what
    same = (a == b) & (np.signbit(a) == np.signbit(b)) | (np.isnan(a) & np.isnan(b))
    assert same.all(), f"{what}: {np.sum(~same)} of {same.size} differ, e.g. ours {a[~same][:4]} torch {b[~same][:4]}"


def assert_close_bf16(ours, theirs, what="", rtol=BF16_RTOL, atol=BF16_ATOL):
    assert _dtype_name(ours) == _dtype_name(theirs), what
    a, b = _bits(ours), _bits(theirs)
    assert a.shape == b.shape, what
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


# values of float32 that exercise bfloat16's rounding: ordinary numbers, bfloat16 midpoints
# (ties round to even), the overflow edge, subnormals, zeros of both signs, inf and NaN
def _float32_values(min_value=-1e4, max_value=1e4, edges=True, finite=False):
    ordinary = st.floats(min_value, max_value, width=32, allow_nan=False)
    if not edges:
        return ordinary
    midpoints = st.integers(0, 0xFFFF).map(lambda hi: float(np.uint32((hi << 16) | 0x8000).view(np.float32)))
    specials = st.sampled_from([0.0, -0.0, 1e-39, -3e-40, 1.0, -2.5] +
                               ([] if finite else [3.389e38, 3.4e38, np.inf, -np.inf, np.nan]))
    return st.one_of(ordinary, midpoints.filter(np.isfinite), specials)


def _vectors(n=st.integers(1, 24), **kw):
    return n.flatmap(lambda k: arrays(np.float32, k, elements=_float32_values(**kw)))


# -- the dtype, storage, casts -----------------------------------------------------------------------
def test_dtype_and_tensor_basics_match_torch():
    m, t = _pair([1.0, -2.5, 3.3, 1e-39])
    assert m.dtype is minigrad.bfloat16 and minigrad.bfloat16 is minigrad.dtypes.as_dtype(torch.bfloat16)
    assert m.is_floating_point() is t.is_floating_point() is True
    assert m.element_size() == t.element_size() == 2 and minigrad.bfloat16.itemsize == torch.bfloat16.itemsize
    assert minigrad.bfloat16.is_signed is torch.bfloat16.is_signed is True
    assert m.type().replace("minigrad", "torch") == t.type() == "torch.BFloat16Tensor"
    assert str(m).replace("minigrad", "torch") == str(t)
    assert str(minigrad.zeros(2, 3, dtype=minigrad.bfloat16)).replace("minigrad", "torch") == \
        str(torch.zeros(2, 3, dtype=torch.bfloat16))
    assert m.tolist() == t.tolist() and m[1].item() == t[1].item()
    assert_same(minigrad.tensor([1.0, 2.0]).bfloat16(), torch.tensor([1.0, 2.0]).bfloat16())
    assert_same(minigrad.ones(3, dtype=minigrad.bfloat16), torch.ones(3, dtype=torch.bfloat16))
    assert_same(minigrad.full((2,), 3.3, dtype=minigrad.bfloat16), torch.full((2,), 3.3, dtype=torch.bfloat16))
    assert_same(minigrad.arange(5, dtype=minigrad.bfloat16), torch.arange(5, dtype=torch.bfloat16))
    assert minigrad.tensor([1.0], dtype=minigrad.bfloat16).requires_grad_().requires_grad
    lin_m, lin_t = minigrad.nn.Linear(3, 2).bfloat16(), torch.nn.Linear(3, 2).bfloat16()
    assert lin_m.weight.dtype is minigrad.bfloat16 and lin_t.weight.dtype is torch.bfloat16


def test_random_draws_in_bfloat16_are_torchs():
    for draw in (lambda lib: lib.randn(7, dtype=lib.bfloat16), lambda lib: lib.rand(7, dtype=lib.bfloat16),
                 lambda lib: lib.empty(7, dtype=lib.bfloat16).uniform_(-2, 3),
                 lambda lib: lib.empty(7, dtype=lib.bfloat16).normal_(1, 2),
                 lambda lib: lib.randint(0, 10, (7,), dtype=lib.bfloat16)):
        minigrad.manual_seed(5)
        torch.manual_seed(5)
        assert_same(draw(minigrad), draw(torch))


def test_import_leaves_ml_dtypes_until_bfloat16_is_used():
    """ml_dtypes costs a second of CPU to import: minigrad imports it on first use of bfloat16."""
    code = ("import sys, minigrad; a = 'ml_dtypes' in sys.modules; "
            "minigrad.ones(2, dtype=minigrad.bfloat16); print(a, 'ml_dtypes' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("value", [3.389e38, 3.4e38, 1e39, float("inf"), -1e39])
def test_scalars_that_must_fit_bfloat16_are_checked(value):
    """fill_, masked_fill, clamp and alpha refuse a number beyond bfloat16's range, as torch
    (RuntimeError naming c10::BFloat16); where lets it become inf. (torch's full checks only when
    it makes more than one element, so it is left out.)"""
    calls = [lambda lib: lib.zeros(2, dtype=lib.bfloat16).fill_(value),
             lambda lib: lib.ones(2, dtype=lib.bfloat16).masked_fill(lib.tensor([True, False]), value),
             lambda lib: lib.ones(2, dtype=lib.bfloat16).clamp(max=value),
             lambda lib: lib.add(lib.ones(2, dtype=lib.bfloat16), lib.ones(2, dtype=lib.bfloat16), alpha=value),
             lambda lib: lib.where(lib.tensor([True, False]), lib.ones(2, dtype=lib.bfloat16), value)]
    for call in calls:
        try:
            theirs = call(torch)
        except RuntimeError as exc:
            assert "c10::BFloat16" in str(exc)
            with pytest.raises(RuntimeError, match="c10::BFloat16 without overflow"):
                call(minigrad)
            continue
        assert_same(call(minigrad), theirs)


def test_finfo_matches_torch():
    ours, theirs = minigrad.finfo(minigrad.bfloat16), torch.finfo(torch.bfloat16)
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field


CAST_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("other", CAST_DTYPES)
@given(values=_vectors())
def test_casts_to_and_from_every_dtype(other, values):
    """other -> bfloat16 and bfloat16 -> other. torch converts a double or an int to float first
    and then to bfloat16 (two roundings); midpoints of bfloat16 in float64 tell the two ways apart."""
    finite = np.nan_to_num(values, nan=0.0, posinf=100.0, neginf=-100.0)
    if other in ("bool", "uint8", "int8", "int16", "int32", "int64"):   # in range of every integer type
        source = np.clip(np.trunc(finite), 0 if other == "uint8" else -100, 100)
    else:
        source = values.astype(np.float64)
        if other == "float64":   # just beside a bfloat16 midpoint, where rounding twice differs
            source = source + source * 2.0 ** -40
    m = minigrad.tensor(source).to(getattr(minigrad, other))
    t = torch.tensor(source).to(getattr(torch, other))
    assert_same(m.bfloat16(), t.bfloat16(), f"{other} -> bfloat16")
    assert_same(m.to(minigrad.bfloat16), t.to(torch.bfloat16), f"{other} -> bfloat16 (to)")
    mb, tb = _pair(finite if other in ("bool", "uint8", "int8", "int16", "int32", "int64") else values)
    if other in ("bool", "uint8", "int8", "int16", "int32", "int64"):   # values that fit the integer type
        mb, tb = mb.clamp(0 if other == "uint8" else -100, 100), tb.clamp(0 if other == "uint8" else -100, 100)
    assert_same(mb.to(getattr(minigrad, other)), tb.to(getattr(torch, other)), f"bfloat16 -> {other}")
    # a Python list straight into a bfloat16 tensor, and copy_ into bfloat16 memory
    assert_same(minigrad.tensor(source.tolist(), dtype=minigrad.bfloat16),
                torch.tensor(source.tolist(), dtype=torch.bfloat16), "list -> bfloat16")
    dst_m, dst_t = minigrad.zeros(len(source), dtype=minigrad.bfloat16), torch.zeros(len(source), dtype=torch.bfloat16)
    assert_same(dst_m.copy_(m), dst_t.copy_(t), f"copy_ {other} into bfloat16")


# -- promotion -------------------------------------------------------------------------------------
PROMOTION_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
KINDS = ["tensor", "0-d", "number"]


def _operand(lib, dtype, kind):
    if kind == "number":
        return {"bool": True, "float16": 1.5, "bfloat16": 2.5, "float32": 2.5, "float64": 2.5}.get(dtype, 3)
    shape = (2,) if kind == "tensor" else ()
    return lib.ones(shape, dtype=getattr(lib, dtype)) * 3


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("other", PROMOTION_DTYPES)
def test_promotion_table(other, kind):
    """bfloat16 (dimensioned) with every dtype as a tensor, a 0-d tensor and a Python number, both
    orders, through add, mul and true division: result dtypes and values equal torch's."""
    for op in ("add", "mul", "div"):
        for first in (True, False):
            a_m, a_t = minigrad.ones(2, dtype=minigrad.bfloat16) * 1.25, torch.ones(2, dtype=torch.bfloat16) * 1.25
            b_m, b_t = _operand(minigrad, other, kind), _operand(torch, other, kind)
            args_m, args_t = ((a_m, b_m), (a_t, b_t)) if first else ((b_m, a_m), (b_t, a_t))
            assert_same(getattr(minigrad, op)(*args_m), getattr(torch, op)(*args_t), f"{op} {other} {kind} {first}")
    assert minigrad.promote_types(minigrad.bfloat16, minigrad.float16) is minigrad.float32
    assert minigrad.promote_types(minigrad.bfloat16, minigrad.int64) is minigrad.bfloat16
    assert minigrad.can_cast(minigrad.bfloat16, minigrad.int32) is torch.can_cast(torch.bfloat16, torch.int32)
    assert minigrad.can_cast(minigrad.int32, minigrad.bfloat16) is torch.can_cast(torch.int32, torch.bfloat16)


# -- pointwise ops, bit for bit -------------------------------------------------------------------------
UNARY = ["exp", "expm1", "log", "log1p", "log2", "sin", "cos", "tan", "tanh", "sinh", "cosh", "atan", "asinh",
         "sigmoid", "sqrt", "rsqrt", "abs", "neg", "reciprocal", "erf", "erfc", "floor", "ceil", "round", "trunc",
         "sign", "square", "relu", "frac", "deg2rad", "exp2", "sgn", "signbit", "isnan", "isinf", "isfinite"]
ACTIVATIONS = ["gelu", "silu", "softplus", "elu", "selu", "mish", "hardswish", "hardsigmoid", "logsigmoid",
               "leaky_relu", "relu6", "celu", "hardtanh", "tanhshrink", "softshrink", "hardshrink"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "fmax", "fmin", "atan2", "fmod", "remainder", "pow",
          "hypot", "copysign", "logaddexp", "nextafter", "eq", "lt", "ge"]


def _float32_agrees(op_m, op_t, xs_m, xs_t):
    """Where the two libraries' float32 results on the same (bfloat16-valued) inputs are bit-equal:
    there the bfloat16 results must be too; elsewhere they may differ by one bfloat16 unit."""
    a = _bits(op_m(*[x.float() for x in xs_m]))
    b = _bits(op_t(*[x.float() for x in xs_t]))
    return (a == b) | (np.isnan(a) & np.isnan(b))


# Where torch's bfloat16 kernel is not float32-then-round-once, so bit equality is not the rule
# (docs/parity.md lists why): compared within one bfloat16 unit instead.
#   rsqrt, add/sub with alpha: torch's vectorised loop rounds once, but the elements past the last
#     full vector of 32 go through a scalar loop that rounds the inner step (sqrt, alpha * other);
#   erf, gelu: torch's bfloat16 kernels return 0 for results below about 1e-20 (float32: the value),
#     and gelu(inf) is NaN (drawn finite here).
NEAR = {"rsqrt", "erf", "gelu", "alpha"}


def _check_pointwise(op_m, op_t, xs_m, xs_t, name):
    ours, theirs = op_m(*xs_m), op_t(*xs_t)
    if name in NEAR:
        return assert_close_bf16(ours, theirs, name)
    agree = _float32_agrees(op_m, op_t, xs_m, xs_t)
    assert _dtype_name(ours) == _dtype_name(theirs), name
    a, b = _bits(ours), _bits(theirs)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    assert same[agree].all(), f"{name}: ours {a[agree & ~same][:4]} torch {b[agree & ~same][:4]}"
    assert_close_bf16(ours, theirs, name)


@pytest.mark.parametrize("name", UNARY)
@given(values=_vectors(min_value=-60.0, max_value=60.0))
def test_unary_ops_are_bit_identical(name, values):
    m, t = _pair(values)
    if name in ("log", "log1p", "log2", "sqrt", "rsqrt"):
        m, t = m.abs(), t.abs()
    _check_pointwise(getattr(minigrad, name), getattr(torch, name), [m], [t], name)


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(values=_vectors(min_value=-20.0, max_value=20.0, finite=True))
def test_activations_are_bit_identical(name, values):
    m, t = _pair(values)
    _check_pointwise(getattr(minigrad.nn.functional, name), getattr(torch.nn.functional, name), [m], [t], name)


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_ops_are_bit_identical(name, data):
    n = data.draw(st.integers(1, 16))
    x = data.draw(arrays(np.float32, n, elements=_float32_values(-100.0, 100.0)))
    y = data.draw(arrays(np.float32, n, elements=_float32_values(-100.0, 100.0)))
    (xm, xt), (ym, yt) = _pair(x), _pair(y)
    if name == "pow":
        xm, xt, ym, yt = xm.abs(), xt.abs(), ym / 16, yt / 16
    _check_pointwise(getattr(minigrad, name), getattr(torch, name), [xm, ym], [xt, yt], name)


NUMBER_OPS = {
    "add": lambda x, s: x + s, "radd": lambda x, s: s + x, "sub": lambda x, s: x - s, "rsub": lambda x, s: s - x,
    "mul": lambda x, s: x * s, "rmul": lambda x, s: s * x, "div": lambda x, s: x / s, "rdiv": lambda x, s: s / x,
    "pow": lambda x, s: x.abs() ** s, "rpow": lambda x, s: abs(s) ** (x / 50), "fmod": lambda x, s: x.fmod(s),
    "remainder": lambda x, s: x.remainder(s), "alpha": lambda x, s: x.add(x, alpha=s), "lt": lambda x, s: x < s,
    "eq": lambda x, s: x == s, "clamp": lambda x, s: x.clamp(-abs(s), abs(s)), "floordiv": lambda x, s: x // s,
    "maximum": lambda x, s: x.clamp(min=s), "masked_fill": lambda x, s: x.masked_fill(x > 0, s),
    "int": lambda x, s: x + int(s * 100),
}


@pytest.mark.parametrize("name", sorted(NUMBER_OPS))
@given(values=_vectors(min_value=-100.0, max_value=100.0, edges=False),
       number=st.floats(-10, 10, allow_nan=False).filter(lambda v: abs(v) > 1e-3))
def test_python_numbers_join_as_torch_reads_them(name, values, number):
    """add, sub, pow, fmod, alpha...: the number is rounded to bfloat16 first (a wrapped number);
    mul and div read it in float32; bfloat16 + 257 adds 256. (torch computes x ** 3 as x * x * x
    and x ** -2 as 1 / (x * x), rounding each step: not drawn here, docs/parity.md.)"""
    assume(name != "pow" or minigrad.dtypes.rounded_number(number, minigrad.bfloat16) not in (3.0, -2.0))
    m, t = _pair(values)
    f = NUMBER_OPS[name]
    if name == "alpha":
        # torch's scalar tail rounds alpha * y to bfloat16 before the add: where x + alpha * x cancels, that
        # intermediate rounding is a bfloat16 step of the operands, not of the (small) result
        operand = float(np.max(np.abs(values))) * max(1.0, abs(number))
        assert_close_bf16(f(m, number), f(t, number), name, atol=2.0 ** -7 * operand)
        return
    (assert_close_bf16 if name in NEAR else assert_same)(f(m, number), f(t, number), name)


# -- a sample of the op table's pointwise families in bfloat16 -----------------------------------------------
# Ops whose torch kernel rounds inside (a step in bfloat16, not in float32) or is composed in Python
# of several bfloat16 ops: compared within bfloat16's tolerance, not bit for bit (docs/parity.md).
ROUNDS_INSIDE = {"logit", "logit_eps", "softsign", "xlogy", "xlogy_number", "xlogy_number_first", "ldexp",
                 "log_softmax", "softmax", "softmin", "pow_number", "add_alpha", "sub_alpha", "rsqrt", "erf", "gelu",
                 "rsub_alpha", "polygamma", "mvlgamma", "renorm"}
TABLE = [op for op in OP_DB if op.family in ("core", "math", "activation") and "float32" in op.dtypes]


def _table_call(fn, sample, lib, dtype):
    """``fn`` on the sample with its float32 arrays as ``lib`` tensors of ``dtype``: its tensor outputs."""
    def convert(a):
        a = a.array if isinstance(a, NoGrad) else a
        if not isinstance(a, np.ndarray):
            return a
        return lib.tensor(a).to(getattr(lib, dtype)) if a.dtype == np.float32 else lib.tensor(a)
    out = fn(*[convert(a) for a in sample.args], **{k: convert(v) for k, v in sample.kwargs.items()})
    return [o for o in (out if isinstance(out, (tuple, list)) else [out]) if hasattr(o, "dtype")]


def _bf16_valued(sample):
    """The sample with its float32 arrays rounded to bfloat16's values (still float32): the inputs
    the bfloat16 runs see, for the float32 runs."""
    def rounded(a):
        inner = a.array if isinstance(a, NoGrad) else a
        if not (isinstance(inner, np.ndarray) and inner.dtype == np.float32):
            return a
        inner = torch.tensor(inner).bfloat16().float().numpy()
        return NoGrad(inner) if isinstance(a, NoGrad) else inner
    return Sample(tuple(rounded(a) for a in sample.args), {k: rounded(v) for k, v in sample.kwargs.items()})


@pytest.mark.parametrize("op", TABLE, ids=[op.name for op in TABLE])
@settings(max_examples=4)   # (a sample of the table: 170 entries, four draws each)
@given(data=st.data())
def test_op_table_pointwise_families_in_bfloat16(op, data):
    """Each entry's float32 samples, cast to bfloat16 in both libraries. Where torch accepts
    bfloat16 the dtypes match, and the values are bit-equal wherever the two libraries' float32
    results on the same inputs are (ROUNDS_INSIDE: within bfloat16's tolerance)."""
    sample = data.draw(op.sample(np.dtype(np.float32)))
    try:
        theirs = _table_call(op.ref, sample, torch, "bfloat16")
    except (RuntimeError, NotImplementedError, TypeError):
        return   # torch has no bfloat16 kernel for it (minigrad may: it computes every op in float32)
    ours = _table_call(op.op, sample, minigrad, "bfloat16")
    f32_m, f32_t = _table_call(op.op, _bf16_valued(sample), minigrad, "float32"), \
        _table_call(op.ref, _bf16_valued(sample), torch, "float32")
    assert len(ours) == len(theirs)
    largest = max([np.size(a.array if isinstance(a, NoGrad) else a) for a in sample.args
                   if isinstance(a, (np.ndarray, NoGrad))], default=0)
    for o, t, fm, ft in zip(ours, theirs, f32_m, f32_t):
        assert _dtype_name(o) == _dtype_name(t), op.name
        a, b = _bits(o), _bits(t)
        reduces = a.size < largest   # (a reduction sums in its own order: one bfloat16 unit apart at most)
        if op.name in ROUNDS_INSIDE or reduces or a.dtype.kind != "f":
            if a.dtype.kind == "f":   # one bfloat16 unit of operands up to 2 (x - logsumexp cancels)
                np.testing.assert_allclose(a, b, rtol=BF16_RTOL, atol=BF16_RTOL, equal_nan=True, err_msg=op.name)
            continue
        fa, fb = _bits(fm), _bits(ft)
        agree = (fa == fb) | (np.isnan(fa) & np.isnan(fb))
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        assert same[agree].all(), f"{op.name}: ours {a[agree & ~same][:4]} torch {b[agree & ~same][:4]}"
        np.testing.assert_allclose(a, b, rtol=BF16_RTOL, atol=1e-3, equal_nan=True, err_msg=op.name)


# -- reductions and matrix products -------------------------------------------------------------------------
REDUCTIONS = {
    "sum": lambda x: x.sum(1), "sum_all": lambda x: x.sum(), "mean": lambda x: x.mean(0),
    "prod": lambda x: x[:, :6].prod(1), "amax": lambda x: x.amax(1), "min": lambda x: x.min(0).values,
    "var": lambda x: x.var(1), "std": lambda x: x.std(0), "norm": lambda x: x.norm(dim=1),
    "logsumexp": lambda x: x.logsumexp(1), "cumsum": lambda x: x.cumsum(1), "softmax": lambda x: x.softmax(1),
    "log_softmax": lambda x: x.log_softmax(1), "sum_float32": lambda x: x.sum(1, dtype=torch_or_mg(x).float32),
    "mean_float32": lambda x: x.mean(1, dtype=torch_or_mg(x).float32),
}


def torch_or_mg(x):
    return torch if isinstance(x, torch.Tensor) else minigrad


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(values=arrays(np.float32, (6, 40), elements=st.floats(-8, 8, width=32)))
def test_reductions_accumulate_in_float32(name, values):
    """Reductions of bfloat16 accumulate in float32 and round once: within one bfloat16 unit of
    torch's (its blocked sums add in another order), never the drift of a bfloat16 accumulator.
    An explicit float32 dtype returns float32."""
    m, t = _pair(values)
    ours, theirs = REDUCTIONS[name](m), REDUCTIONS[name](t)
    assert_close_bf16(ours, theirs, name, atol=2e-2)
    exact = REDUCTIONS[name](torch.tensor(values).bfloat16().double())   # the float64 truth of the same values
    assert np.allclose(_bits(ours), exact.numpy(), rtol=2 ** -7, atol=3e-2)


def test_a_long_sum_does_not_drift_as_a_bfloat16_accumulator_would():
    m, t = _pair(np.full(4096, 1.0))
    assert m.sum().item() == t.sum().item() == 4096.0   # a bfloat16 running sum stops at 256
    assert m.cumsum(0)[-1].item() == t.cumsum(0)[-1].item()


PRODUCTS = {
    "matmul": (lambda lib, a, b: a @ b, (5, 24), (24, 7)),
    "bmm": (lambda lib, a, b: lib.bmm(a, b), (3, 5, 24), (3, 24, 4)),
    "linear": (lambda lib, a, b: lib.nn.functional.linear(a, b, b[:, 0]), (5, 24), (7, 24)),
    "conv2d": (lambda lib, a, b: lib.nn.functional.conv2d(a, b, padding=1), (2, 3, 6, 6), (4, 3, 3, 3)),
    "conv1d": (lambda lib, a, b: lib.nn.functional.conv1d(a, b, stride=2), (2, 3, 9), (4, 3, 3)),
    "layer_norm": (lambda lib, a, b: lib.nn.functional.layer_norm(a, (24,), b[0], b[1]), (5, 24), (2, 24)),
    "group_norm": (lambda lib, a, b: lib.nn.functional.group_norm(a, 2, b[0, :4], b[1, :4]), (3, 4, 6), (2, 24)),
    "rms_norm": (lambda lib, a, b: lib.nn.functional.rms_norm(a, (24,), b[0]), (5, 24), (2, 24)),
    "batch_norm": (lambda lib, a, b: lib.nn.functional.batch_norm(a, None, None, b[0, :4], b[1, :4], training=True),
                   (3, 4, 6), (2, 24)),
    "cross_entropy": (lambda lib, a, b: lib.nn.functional.cross_entropy(a, lib.arange(5) % 7), (5, 24), (2, 24)),
    "attention": (lambda lib, a, b: lib.nn.functional.scaled_dot_product_attention(a, a * 0.5, a, is_causal=True),
                  (2, 6, 8), (2, 24)),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
@given(data=st.data())
def test_matrix_products_convolutions_and_norms(name, data):
    """Within bfloat16's rounding of torch's (float32 accumulation, one rounding); layer_norm,
    group_norm and rms_norm round once, as torch's kernels, so their values match bit for bit
    wherever float32 does (checked as closeness here: the statistics sum in another order)."""
    f, sa, sb = PRODUCTS[name]
    a = data.draw(arrays(np.float32, sa, elements=st.floats(-2, 2, width=32)))
    b = data.draw(arrays(np.float32, sb, elements=st.floats(-2, 2, width=32)))
    (am, at), (bm, bt) = _pair(a), _pair(b)
    ours, theirs = f(minigrad, am, bm), f(torch, at, bt)
    assert_close_bf16(ours, theirs, name, atol=4e-2)


# -- autograd ---------------------------------------------------------------------------------------------
def _graph(lib, x, w):
    h = lib.nn.functional.gelu(x @ w) * 1.5 + x[:, :1]
    return lib.nn.functional.layer_norm(h, (h.shape[-1],)).exp().mean() + (h.sigmoid() ** 2).sum() / 7


@pytest.mark.parametrize("seed", range(4))
def test_gradients_are_bfloat16_as_torchs(seed):
    """Leaves of bfloat16 get bfloat16 gradients; a float32 leaf cast to bfloat16 gets a float32 one."""
    rng = np.random.default_rng(seed)   # (well-conditioned values: layer_norm of a near-constant row
    x = rng.standard_normal((4, 6)).astype(np.float32)   # amplifies any rounding by 1 / its spread)
    w = rng.standard_normal((6, 5)).astype(np.float32)
    (xm, xt), (wm, wt) = _pair(x), _pair(w)
    xm.requires_grad_(), xt.requires_grad_(), wm.requires_grad_(), wt.requires_grad_()
    _graph(minigrad, xm, wm).backward()
    _graph(torch, xt, wt).backward()
    for ours, theirs in ((xm.grad, xt.grad), (wm.grad, wt.grad)):
        assert ours.dtype is minigrad.bfloat16 and theirs.dtype is torch.bfloat16
        scale = max(1.0, float(np.abs(_bits(theirs)).max()))
        assert_close_bf16(ours, theirs, "grad", rtol=3e-2, atol=3e-2 * scale)
    leaf_m, leaf_t = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (leaf_m.bfloat16() * 3).sum().backward()
    (leaf_t.bfloat16() * 3).sum().backward()
    assert_same(leaf_m.grad, leaf_t.grad, "float32 leaf through a bfloat16 cast")


BACKWARDS = {"exp": lambda v: v.exp(), "tanh": lambda v: v.tanh(), "square": lambda v: v * v,
             "sigmoid": lambda v: v.sigmoid(), "sin": lambda v: v.sin(), "gelu": lambda v: F(v).gelu(v),
             "silu": lambda v: F(v).silu(v), "softplus": lambda v: F(v).softplus(v), "div": lambda v: 1.5 / (v * v + 1),
             "log_sigmoid": lambda v: F(v).logsigmoid(v), "elu": lambda v: F(v).elu(v)}


def F(v):
    return torch.nn.functional if isinstance(v, torch.Tensor) else minigrad.nn.functional


@pytest.mark.parametrize("name", sorted(BACKWARDS))
def test_backward_computes_in_float32_and_rounds_once(name):
    """A bfloat16 node's backward runs in float32 and each input's gradient is rounded once, as
    torch's fused backward kernels (tanh_backward, sigmoid_backward, ...) compute: equal to torch's
    gradient bit for bit wherever the backward is such a kernel in torch, else within one unit."""
    x = np.linspace(-3, 3, 64, dtype=np.float32)
    m, t = _pair(x)
    m.requires_grad_(), t.requires_grad_()
    out_m, out_t = BACKWARDS[name](m), BACKWARDS[name](t)
    g = np.cos(np.arange(64, dtype=np.float32))
    out_m.backward(_pair(g)[0])
    out_t.backward(_pair(g)[1])
    if name in ("exp", "tanh", "square", "sigmoid", "silu", "elu"):   # (torch: sin's is grad * cos(x), two roundings)
        assert_same(m.grad, t.grad, name)
    assert_close_bf16(m.grad, t.grad, name, atol=1e-2)


@pytest.mark.parametrize("optimizer", ["SGD", "AdamW"])
def test_training_steps_on_bfloat16_parameters(optimizer):
    """A small model in bfloat16, three steps: losses and parameters as torch's to bfloat16
    rounding. (AdamW's parameters are not compared: its step is about lr * sign(grad) for tiny
    gradients, so a one-unit difference in a tiny gradient may flip a step.)"""
    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(8, 16), lib.nn.GELU(), lib.nn.LayerNorm(16),
                                  lib.nn.Linear(16, 4)).bfloat16()
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if optimizer == "SGD" else \
            lib.optim.AdamW(model.parameters(), lr=1e-2)
        x, y = lib.randn(6, 8).bfloat16(), lib.tensor([0, 1, 2, 3, 0, 1])
        losses = []
        for _ in range(3):
            loss = lib.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.detach() for p in model.parameters()]
    (l1, p1), (l2, p2) = run(minigrad), run(torch)
    np.testing.assert_allclose(l1, l2, rtol=2e-2)
    for a, b in zip(p1, p2):
        assert a.dtype is minigrad.bfloat16 and b.dtype is torch.bfloat16
        if optimizer == "SGD":
            assert_close_bf16(a, b, "parameter", atol=2e-2)


# -- autocast --------------------------------------------------------------------------------------------
def _region(lib, x, w, **kw):
    with lib.autocast("cpu", **kw):
        lowered = x @ w
        linear = lib.nn.functional.linear(x, w.t())
        conv = lib.nn.functional.conv1d(x.t()[None], w.t()[:, :, None])
        kept = x.exp() + 1
        loss = lib.nn.functional.mse_loss(lowered, lowered.detach() * 0.5)
        mixed = lowered + x[:, :5]
        with lib.autocast("cpu", enabled=False):
            off = x @ w
    return [lowered, linear, conv, kept, loss, mixed, off]


@pytest.mark.parametrize("kw", [{}, {"dtype": "bfloat16"}, {"dtype": "float16"}], ids=["default", "bfloat16", "float16"])
def test_autocast_regions_lower_the_ops_torch_lowers(kw):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((6, 5)).astype(np.float32)
    ours = _region(minigrad, minigrad.tensor(x), minigrad.tensor(w), **{k: getattr(minigrad, v) for k, v in kw.items()})
    theirs = _region(torch, torch.tensor(x), torch.tensor(w), **{k: getattr(torch, v) for k, v in kw.items()})
    assert [_dtype_name(t) for t in ours] == [_dtype_name(t) for t in theirs]
    assert _dtype_name(theirs[0]) == kw.get("dtype", "bfloat16")
    for o, t in zip(ours, theirs):
        assert_close_bf16(o, t, rtol=1e-2, atol=2e-2)
    assert not minigrad.is_autocast_enabled("cpu")


# -- save / load ------------------------------------------------------------------------------------------
def _state(lib):
    w = lib.tensor([[1.5, -2.25, 3.3], [1e-39, 65504.0, -0.0]]).bfloat16()
    return {"w": w, "view": w[1], "f": lib.ones(2), "nan": lib.tensor([float("nan")]).bfloat16()}


def _same_state(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for k in ours:
        assert_same(ours[k], theirs[k], k)


def test_torch_saved_bfloat16_loads_in_minigrad(tmp_path):
    torch.save(_state(torch), tmp_path / "t.pt")
    _same_state(minigrad.load(tmp_path / "t.pt"), _state(torch))


def test_minigrad_saved_bfloat16_loads_in_torch(tmp_path):
    minigrad.save(_state(minigrad), tmp_path / "m.pt")
    _same_state(_state(minigrad), torch.load(tmp_path / "m.pt"))


def test_npz_round_trip_keeps_bfloat16(tmp_path):
    minigrad.save(_state(minigrad), tmp_path / "m.npz")
    loaded = minigrad.load(tmp_path / "m.npz")
    _same_state(loaded, _state(torch))
    assert loaded["view"]._data.base is not None   # a view still shares its stored array


def test_to_torch_and_from_torch_carry_bfloat16():
    from minigrad.serialization import from_torch, to_torch
    _same_state(_state(minigrad), to_torch(_state(minigrad)))
    _same_state(from_torch(_state(torch)), _state(torch))


def test_torch_file_loads_without_torch_in_a_fresh_process(tmp_path):
    torch.save(_state(torch), tmp_path / "t.pt")
    code = ("import sys; sys.modules['torch'] = None\nimport minigrad\n"
            f"s = minigrad.load({str(tmp_path / 't.pt')!r})\n"
            "print(s['w'].dtype, s['w'].float().tolist())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.stdout.split()[0] == "minigrad.bfloat16"
    assert done.stdout.split(" ", 1)[1].strip() == str(_state(torch)["w"].float().tolist())


# -- nanoGPT's bfloat16 path ---------------------------------------------------------------------------
NANOGPT = os.path.join(os.environ.get("MINIGRAD_PROGRAM_SOURCES",
                                      os.path.join(os.path.dirname(__file__), "programs", "sources")),
                       "karpathy", "nanoGPT")
NANOGPT_BF16 = """\
import torch
from model import GPT, GPTConfig
torch.manual_seed(0)
model = GPT(GPTConfig(block_size=16, vocab_size=32, n_layer=2, n_head=2, n_embd=16, dropout=0.0, bias=True))
x, y = torch.randint(0, 32, (2, 16)), torch.randint(0, 32, (2, 16))
# train.py's context on a GPU, torch.amp.autocast(device_type, dtype=ptdtype), here on the CPU
with torch.amp.autocast(device_type="cpu", dtype=torch.bfloat16):
    logits, loss = model(x, y)
loss.backward()
print("autocast", logits.dtype, loss.dtype, loss.item(), model.transformer.wte.weight.grad.norm().item())
model.zero_grad(set_to_none=True)
model = model.to(torch.bfloat16)   # the whole model in bfloat16
logits, loss = model(x, y)
loss.backward()
print("bfloat16", logits.dtype, loss.dtype, loss.float().item(), model.transformer.wte.weight.grad.float().norm().item())
print("generated", model.generate(x[:, :4], 4, top_k=1)[:, 4:].tolist())
"""


def test_nanogpt_model_runs_its_bfloat16_paths(tmp_path):
    """nanoGPT's model.py, unchanged, under torch and under minigrad as torch: a forward and
    backward under autocast to bfloat16 and with the model cast to bfloat16, and greedy decoding.
    (Its train.py on a CPU picks bfloat16 or float16 only for a nullcontext, so this is the path
    its GPU runs take.)"""
    if not os.path.exists(os.path.join(NANOGPT, "model.py")):
        pytest.skip("karpathy/nanoGPT is not under MINIGRAD_PROGRAM_SOURCES (see tests/programs/SOURCES.md)")
    (tmp_path / "bf16.py").write_text(NANOGPT_BF16)
    runner = os.path.join(os.path.dirname(__file__), "programs", "_run.py")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    lines = {}
    for backend in ("torch", "minigrad"):
        work = tmp_path / backend
        work.mkdir()
        env = {**os.environ, "PYTHONPATH": root, "PROGRAM_SYS_PATH": NANOGPT, "OMP_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, runner, backend, str(tmp_path / "bf16.py"), str(work)],
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        lines[backend] = [line.split() for line in done.stdout.splitlines() if line.split()[0] in
                          ("autocast", "bfloat16", "generated")]
    for ours, theirs in zip(lines["minigrad"], lines["torch"]):
        assert ours[0] == theirs[0]
        if ours[0] == "generated":
            assert ours == theirs
            continue
        assert [d.replace("minigrad", "torch") for d in ours[1:3]] == theirs[1:3]
        np.testing.assert_allclose([float(v) for v in ours[3:]], [float(v) for v in theirs[3:]], rtol=3e-2)
    assert len(lines["minigrad"]) == len(lines["torch"]) == 3
