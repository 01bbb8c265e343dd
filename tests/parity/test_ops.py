"""The op-table-driven parity tests: every op in minigrad.testing.op_db, every dtype, every device.

For each op: forward values and dtypes, each input's gradient and (where supported) grad-of-grad
against torch with hypothesis-drawn samples; and a float64 numerical gradcheck of minigrad itself.
Where torch runs on CUDA too, the torch reference also runs there (minigrad on CPU, or on CUDA when
minigrad has a GPU of its own); where minigrad has a GPU, minigrad on CUDA is also checked against
torch on CPU (the ``devices`` pairs of tests/conftest.py).
"""
import pytest
from hypothesis import given, strategies as st

import minigrad
from minigrad.testing.op_db import OP_DB
from minigrad.testing.opinfo import check_forward, check_grad, check_gradcheck, check_gradgrad


def _params(predicate=lambda op: True):
    return [pytest.param(op, dt, id=f"{op.name}-{dt}") for op in OP_DB if predicate(op) for dt in op.dtypes]


def _double(op):
    """The dtype a gradcheck samples in: float64, or complex128 for an op with complex samples only."""
    return "complex128" if "float64" not in op.dtypes and "complex128" in op.dtypes else "float64"


def _run(check, op, dtype_name, devices, data):
    sample = data.draw(op.sample(dtype_name), label="sample")
    mg_device, torch_device = devices   # see tests/conftest.py
    if mg_device == "cuda" and op.cuda_ref == "none":
        pytest.skip(f"{op.name} on cuda: {op.notes}")
    check(op, sample, dtype_name, mg_device, ref_device=torch_device)


@pytest.mark.parametrize("op,dtype_name", _params())
@given(data=st.data())
def test_forward(op, dtype_name, devices, data):
    _run(check_forward, op, dtype_name, devices, data)


@pytest.mark.parametrize("op,dtype_name", _params(lambda op: op.grad))
@given(data=st.data())
def test_grad(op, dtype_name, devices, data):
    _run(check_grad, op, dtype_name, devices, data)


@pytest.mark.parametrize("op,dtype_name", _params(lambda op: op.grad and op.gradgrad))
@given(data=st.data())
def test_gradgrad(op, dtype_name, devices, data):
    _run(check_gradgrad, op, dtype_name, devices, data)


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OP_DB if op.grad and op.gradcheck])
@given(data=st.data())
def test_gradcheck(op, data):
    sample = data.draw(op.sample(_double(op)), label="sample")
    assert check_gradcheck(op, sample)


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OP_DB
                                if op.grad and op.gradgrad and op.gradcheck])
@given(data=st.data())
def test_gradgradcheck(op, data):
    sample = data.draw(op.sample(_double(op)), label="sample")
    assert check_gradcheck(op, sample, gradgrad=True)
