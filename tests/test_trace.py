"""trace_backward: one printed step per backward node, in the engine's order, with shapes and norms."""
import io

import numpy as np
import pytest

import minigrad
from minigrad.autograd import engine, trace_backward


def test_steps_follow_the_engine_with_shapes_and_norms():
    x = minigrad.tensor([[1.0, 2.0, 3.0]], dtype=minigrad.float64, requires_grad=True)
    w = minigrad.ones(4, 3, dtype=minigrad.float64, requires_grad=True)
    out = io.StringIO()
    with trace_backward(file=out, names={"x": x}) as steps:
        (x * w + x).sum().backward()
    assert [s["node"] for s in steps] == ["SumBackward0", "AddBackward0", "MulBackward0"]
    assert [s["step"] for s in steps] == [1, 2, 3]
    total, add, mul = steps
    assert total["grad_outputs"] == [()] and total["grad_output_norms"] == [1.0]
    assert [g["to"] for g in total["grad_inputs"]] == ["AddBackward0#1"]
    # Add sends g (ones, 4x3) to Mul and to x; x's gradient is summed down to its (1, 3) shape
    assert add["grad_outputs"] == [(4, 3)]
    to_x = [g for g in add["grad_inputs"] if g["to"] == "AccumulateGrad(x)"]
    assert len(to_x) == 1 and to_x[0]["shape"] == (4, 3) and to_x[0]["to_shape"] == (1, 3)
    assert to_x[0]["norm"] == pytest.approx(np.sqrt(12))
    # Mul: d/dw (x*w) = x broadcast, norm sqrt(4 * (1 + 4 + 9))
    to_w = [g for g in mul["grad_inputs"] if g["to"] == "AccumulateGrad(leaf [4, 3])"]
    assert to_w[0]["norm"] == pytest.approx(np.sqrt(4 * 14))
    text = out.getvalue()
    assert "[1] SumBackward0#1  grad_output: [] norm 1" in text
    assert "summed to [1, 3] (broadcast)" in text
    assert text.count("\n[") == 2   # three steps, one header line each


def test_settings_arguments_are_not_listed_and_indices_are_positional():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with trace_backward(file=io.StringIO()) as steps:
        x.sum(0, keepdim=True).sum().backward()   # Sum's other forward arguments are dims and flags
    for s in steps:
        assert [g["index"] for g in s["grad_inputs"]] == [0]


def test_repeated_node_kinds_are_numbered_and_accumulation_is_visible():
    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    a = x * 3
    b = a * a
    with trace_backward(file=io.StringIO(), names={"x": x}) as steps:
        (a + b).sum().backward()
    labels = [s["label"] for s in steps]
    assert labels == ["SumBackward0#1", "AddBackward0#1", "MulBackward0#2", "MulBackward0#1"]
    # a's node runs last, once, on the summed gradient 1 + 2a = [7, 13]
    assert steps[-1]["grad_output_norms"][0] == pytest.approx(np.hypot(7, 13))
    assert steps[-1]["grad_inputs"][0]["to"] == "AccumulateGrad(x)"


def test_defaults_to_stdout_and_unregisters(capsys):
    x = minigrad.tensor([1.0], requires_grad=True)
    before = list(engine.observers)
    with trace_backward():
        (x * 2).sum().backward()
    assert engine.observers == before
    printed = capsys.readouterr().out
    assert "MulBackward0#1" in printed and "AccumulateGrad(leaf [1])" in printed
    (x * 2).sum().backward()                      # no longer tracing
    assert capsys.readouterr().out == ""


def test_unregisters_when_backward_raises():
    x = minigrad.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    before = list(engine.observers)
    with pytest.raises(RuntimeError, match="second time"):
        with trace_backward(file=io.StringIO()):
            y.backward()
    assert engine.observers == before


def test_create_graph_and_autograd_grad_are_traced():
    x = minigrad.tensor([3.0], dtype=minigrad.float64, requires_grad=True)
    with trace_backward(file=io.StringIO()) as steps:
        (g,) = minigrad.autograd.grad((x * x * x).sum(), x, create_graph=True)
    assert g.requires_grad and float(g.item()) == pytest.approx(27.0)
    assert {s["node"] for s in steps} == {"SumBackward0", "MulBackward0"}
