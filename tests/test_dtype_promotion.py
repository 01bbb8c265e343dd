"""Type promotion: the result dtype (and values) of mixed-dtype arithmetic and comparisons match torch's.

Operands are dimensioned tensors, 0-d tensors or Python numbers of bool, uint8, int32, int64,
float32 and float64. Torch's rules: the highest category (bool < integer < float) wins; within it,
dimensioned tensors outrank 0-d tensors, which outrank Python numbers. ``test_promotion_table``
walks every pair exhaustively; the hypothesis test draws values and broadcasting shapes too.
"""
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minigrad
from minigrad.testing.strategies import broadcastable_shapes

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
KINDS = ["tensor", "0-d", "number"]

OPS = {
    "add": (minigrad.add, torch.add),
    "sub": (minigrad.sub, torch.sub),
    "mul": (minigrad.mul, torch.mul),
    "div": (minigrad.div, torch.div),
    "div_floor": (lambda a, b: minigrad.div(a, b, rounding_mode="floor"),
                  lambda a, b: torch.div(a, b, rounding_mode="floor")),
    "remainder": (minigrad.remainder, torch.remainder),
    "pow": (minigrad.pow, torch.pow),
    "eq": (lambda a, b: a == b, lambda a, b: a == b),
    "ne": (lambda a, b: a != b, lambda a, b: a != b),
    "lt": (lambda a, b: a < b, lambda a, b: a < b),
    "le": (lambda a, b: a <= b, lambda a, b: a <= b),
    "gt": (lambda a, b: a > b, lambda a, b: a > b),
    "ge": (lambda a, b: a >= b, lambda a, b: a >= b),
    "where": (lambda a, b: minigrad.where(_mask(a, b, minigrad), a, b),
              lambda a, b: torch.where(_mask(a, b, torch), a, b)),
}


def _mask(a, b, lib):
    t = a if isinstance(a, lib.Tensor) else b
    return lib.ones(t.shape, dtype=lib.bool)


def _category(dtype_name):
    return "bool" if dtype_name == "bool" else "float" if dtype_name.startswith("float") else "int"


def _number(dtype_name, value):
    return {"bool": bool, "int": int, "float": float}[_category(dtype_name)](value)


def _operand(kind, dtype_name, values, shape):
    """The same operand for both libraries: (minigrad's, torch's)."""
    if kind == "number":
        v = _number(dtype_name, values.flat[0] if values.size else 1)
        return v, v
    array = np.asarray(values, dtype=dtype_name)
    array = array.reshape(()) if kind == "0-d" else np.broadcast_to(array.reshape(-1)[:1] if array.size else
                                                                     np.ones(1, dtype_name), shape).copy() \
        if array.shape != shape else array
    return minigrad.tensor(array), torch.tensor(array)


def _run(op_name, a, b):
    """Run op on both sides; returns (minigrad result, torch result) or checks that both raise alike."""
    mg_fn, th_fn = OPS[op_name]
    try:
        expected = th_fn(a[1], b[1])
    except Exception as exc:
        with pytest.raises(type(exc)):
            mg_fn(a[0], b[0])
        return None
    return mg_fn(a[0], b[0]), expected


def _check(op_name, a, b, values=True):
    out = _run(op_name, a, b)
    if out is None:
        return
    actual, expected = out
    where = f"{op_name}({a[1]!r}, {b[1]!r})"
    assert actual.dtype.name == str(expected.dtype).removeprefix("torch."), \
        f"{where}: minigrad gives {actual.dtype}, torch gives {expected.dtype}"
    assert tuple(actual.shape) == tuple(expected.shape), where
    if values:
        np.testing.assert_allclose(actual.numpy().astype(np.float64), expected.numpy().astype(np.float64),
                                   rtol=1e-6, atol=1e-6, equal_nan=True, err_msg=where)


_ONES = {d: np.array([1, 2], dtype=d) if d != "bool" else np.array([True, False]) for d in DTYPES}


def _table_operand(kind, dtype_name):
    values = _ONES[dtype_name]
    if kind == "number":
        v = _number(dtype_name, 2 if dtype_name != "bool" else True)
        return v, v
    array = values[:1].reshape(()) if kind == "0-d" else values
    return minigrad.tensor(array), torch.tensor(array)


_PAIRS = [(k1, d1, k2, d2) for k1, k2 in itertools.product(KINDS, KINDS) if not k1 == k2 == "number"
          for d1, d2 in itertools.product(DTYPES, DTYPES)]


@pytest.mark.parametrize("op_name", sorted(OPS))
def test_promotion_table(op_name):
    """Every (kind, dtype) x (kind, dtype) pair: the same dtype as torch, or the same exception."""
    failures = []
    for k1, d1, k2, d2 in _PAIRS:
        try:
            _check(op_name, _table_operand(k1, d1), _table_operand(k2, d2))
        except AssertionError as exc:  # collect them all: one table of mismatches reads better
            failures.append(f"{k1} {d1} with {k2} {d2}: {str(exc).splitlines()[0]}")
    assert not failures, f"{len(failures)} of {len(_PAIRS)} pairs differ from torch:\n" + "\n".join(failures[:30])


def test_result_type_table():
    """minigrad.result_type and promote_types agree with torch's for every pair."""
    for k1, d1, k2, d2 in _PAIRS:
        a, b = _table_operand(k1, d1), _table_operand(k2, d2)
        expected = str(torch.result_type(a[1], b[1])).removeprefix("torch.")
        assert minigrad.result_type(a[0], b[0]).name == expected, (k1, d1, k2, d2)
    for d1, d2 in itertools.product(DTYPES, DTYPES):
        expected = str(torch.promote_types(getattr(torch, d1), getattr(torch, d2))).removeprefix("torch.")
        assert minigrad.promote_types(getattr(minigrad, d1), getattr(minigrad, d2)).name == expected


def _values(dtype_name, shape):
    from hypothesis.extra import numpy as hnp
    if dtype_name == "bool":
        elements = st.booleans()
    elif dtype_name == "uint8":
        elements = st.integers(0, 255)
    elif dtype_name.startswith("int"):
        elements = st.integers(-20, 20)
    else:
        elements = st.floats(-4, 4, width=32 if dtype_name == "float32" else 64)
    return hnp.arrays(dtype_name, shape, elements=elements)


@st.composite
def _operands(draw):
    kinds = draw(st.sampled_from([(k1, k2) for k1, k2 in itertools.product(KINDS, KINDS) if not k1 == k2 == "number"]))
    dts = draw(st.tuples(st.sampled_from(DTYPES), st.sampled_from(DTYPES)))
    shapes = draw(broadcastable_shapes(2, min_dims=1))
    out = []
    for kind, dt, shape in zip(kinds, dts, shapes):
        values = draw(_values(dt, () if kind != "tensor" else shape))
        if kind == "number":
            v = _number(dt, values.item())
            out.append((v, v))
        else:
            out.append((minigrad.tensor(values), torch.tensor(values)))
    return out


@given(op_name=st.sampled_from(sorted(OPS)), operands=_operands())
def test_promotion_matches_torch(op_name, operands):
    """Random values, shapes (broadcasting, size 0 and 1) and numbers (negative, beyond uint8's range)."""
    a, b = operands
    _check(op_name, a, b)


@pytest.mark.parametrize("op_name", ["add", "mul", "div", "pow", "lt"])
def test_promotion_with_float64_default(op_name):
    """Integer tensors with float numbers (and true division of integers) follow the default dtype."""
    minigrad.set_default_dtype(minigrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for k1, d1, k2, d2 in _PAIRS:
            _check(op_name, _table_operand(k1, d1), _table_operand(k2, d2), values=False)
    finally:
        minigrad.set_default_dtype(minigrad.float32)
        torch.set_default_dtype(torch.float32)


def test_python_ints_wrap_like_torch():
    """A Python int beyond an integer tensor's range wraps around, as torch casts it (NumPy would raise)."""
    u = np.array([1, 2, 250], dtype=np.uint8)
    for number in (-1, 300, 256, -255):
        for name in ("add", "sub", "mul", "lt", "eq", "ge"):
            _check(name, (minigrad.tensor(u), torch.tensor(u)), (number, number))
