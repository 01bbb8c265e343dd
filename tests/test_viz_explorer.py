"""minigrad.viz.explore and `minigrad explain`: the page's content, without a browser.

The page's recorded steps are checked against trace_backward on an independent run and its leaf
gradients against torch; the page must be self-contained (no URL it could fetch).
"""
import io
import json
import re

import numpy as np
import pytest
import torch

import minigrad
from minigrad.autograd import function as autograd_function
from minigrad.autograd import trace_backward
from minigrad.viz import explore, explorer, recording


def page_data(path):
    text = open(path, encoding="utf-8").read()
    blob = re.search(r'<script type="application/json" id="mg-data">(.*?)</script>', text, re.S).group(1)
    return text, json.loads(blob.replace("<\\/", "</"))


def topo(lib):
    """docs/walkthrough.md's topological-order example: a = 3x is used three times."""
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    a = x * 3
    b = a * a
    return (a + b).sum(), {"x": x}


def test_page_replays_the_engines_steps_and_matches_torch(tmp_path):
    text, data = page_data(explore(topo, tmp_path / "p.html"))
    loss, names = topo(minigrad)
    with trace_backward(file=io.StringIO(), names=names) as steps:
        loss.backward()
    shown = [s for s in data["steps"] if s["kind"] == "node"]
    assert [s["label"] for s in shown] == [s["label"] for s in steps]
    for page_step, trace_step in zip(shown, steps):
        assert [x["to_label"] for x in page_step["sends"]] == [g["to"] for g in trace_step["grad_inputs"]]
        assert [x["raw_norm"] for x in page_step["sends"]] == pytest.approx([g["norm"] for g in trace_step["grad_inputs"]])
        assert page_step["incoming"][0]["grad"]["norm"] == pytest.approx(trace_step["grad_output_norms"][0])
    # the leaf step comes after every gradient for x has been summed, as in the engine
    assert data["steps"][-1]["kind"] == "leaf" and data["steps"][-1]["label"] == "AccumulateGrad(x)"
    assert data["steps"][-1]["after"]["values"] == [21.0, 39.0]
    # a's node (MulBackward0#1) receives three gradients, summed: 1 + a + a
    a_step = next(s for s in shown if s["label"] == "MulBackward0#1")
    parts = a_step["incoming"][0]["parts"]
    assert [p["from"] for p in parts] == ["AddBackward0#1", "MulBackward0#2", "MulBackward0#2"]
    total = np.sum([p["grad"]["values"] for p in parts], axis=0)
    assert total.tolist() == a_step["incoming"][0]["grad"]["values"] == [7.0, 13.0]
    # the derivative rule is the cheat sheet's line for the op
    cheat = open("docs/cheatsheet.md", encoding="utf-8").read()
    assert f"`{a_step['rule']}`" in cheat
    # torch ran the same function: its gradient is beside minigrad's
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    ((tx * 3) + (tx * 3) * (tx * 3)).sum().backward()
    (leaf,) = data["leaves"]
    assert leaf["torch"]["values"] == tx.grad.tolist() == leaf["grad"]["values"]
    assert leaf["max_abs_diff"] == 0.0
    # intermediate forward values were recorded: b = a * a = 9 x^2
    values = sorted(n["value"][0]["values"] for n in data["nodes"] if n["kind"] == "op" and n["name"] == "MulBackward0")
    assert values == [[3.0, 6.0], [9.0, 36.0]]


def test_rules_are_the_cheat_sheets():
    from minigrad.autograd.function import Node
    from minigrad.testing.report import all_functions, derivative_line
    for fn in all_functions():
        assert explorer._rule(Node(fn)) == (derivative_line(fn) or Node(fn).name())


def test_page_is_self_contained(tmp_path):
    text, data = page_data(explore(topo, tmp_path / "p.html"))
    assert "<svg" in text and "MulBackward0" in text and 'id="step"' in text
    # nothing the page could fetch: no src/href attributes, no URLs outside the svg namespace
    assert not re.search(r"(?<![-\w])(src|href)\s*=", text)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "default-src 'none'" in text            # and the browser is told to fetch nothing


def test_explore_a_loss_tensor(tmp_path):
    x = minigrad.tensor([[1.0, -2.0]], requires_grad=True)
    with recording():
        hidden = minigrad.relu(x * 2)
    loss = hidden.sum()                            # made outside recording(): its value is unknown
    tx = torch.tensor([[1.0, -2.0]], requires_grad=True)
    torch.relu(tx * 2).sum().backward()
    _, data = page_data(explore(loss, tmp_path / "p.html", names={"x": x}, torch_grads={"x": tx.grad}))
    assert x.grad.tolist() == [[2.0, 0.0]]          # explore ran backward, as loss.backward() would
    assert data["leaves"][0]["torch"]["values"] == [2.0, 0.0] and data["leaves"][0]["max_abs_diff"] == 0.0
    by_name = {n["name"]: n for n in data["nodes"]}
    assert by_name["ReluBackward0"]["value"][0]["values"] == [2.0, 0.0]
    assert by_name["SumBackward0"]["value"] is None
    assert autograd_function._record.__name__ == "_record"   # recording() put the original back
    with pytest.raises(RuntimeError, match="backward through the graph a second time|freed|saved"):
        explore(loss, tmp_path / "again.html")
    with pytest.raises(TypeError, match="Tensor"):
        explore(np.ones(2), tmp_path / "bad.html")
    with pytest.raises(RuntimeError, match="does not require grad"):
        explore(minigrad.ones(2).sum(), tmp_path / "bad.html")


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_non_finite_values_and_a_broadcast_gradient(tmp_path):
    def build(lib):
        x = lib.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([1.0, 1.0], dtype=lib.float64, requires_grad=True)
        return (lib.log(x) + b).sum(), {"x": x, "b": b}
    _, data = page_data(explore(build, tmp_path / "p.html"))
    log_node = next(n for n in data["nodes"] if n["name"] == "LogBackward0")
    assert log_node["value"][0]["values"][0] == "-Infinity"
    add = next(s for s in data["steps"] if s["label"] == "AddBackward0#1")
    to_b = next(x for x in add["sends"] if x["to_label"] == "AccumulateGrad(b)")
    assert to_b["raw_shape"] == [2, 2] and to_b["grad"]["shape"] == [2] and to_b["grad"]["values"] == [2.0, 2.0]
    b_leaf = next(leaf for leaf in data["leaves"] if leaf["name"] == "b")
    assert b_leaf["grad"]["values"] == b_leaf["torch"]["values"] == [2.0, 2.0]
    x_leaf = next(leaf for leaf in data["leaves"] if leaf["name"] == "x")
    assert x_leaf["grad"]["values"][0] == x_leaf["torch"]["values"][0] == "Infinity"   # d log(x)/dx at 0
    assert x_leaf["max_abs_diff"] == 0.0


def test_explain_command(tmp_path, capsys):
    from minigrad import cli
    script = tmp_path / "net.py"
    script.write_text("def graph(lib):\n"
                      "    w = lib.tensor([1.0, 2.0], requires_grad=True)\n"
                      "    return (w * w).sum(), {'w': w}\n")
    out = tmp_path / "net.html"
    assert cli.main(["explain", str(script), "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    _, data = page_data(out)
    assert [s["label"] for s in data["steps"]] == ["SumBackward0#1", "MulBackward0#1", "AccumulateGrad(w)"]
    assert data["leaves"][0]["torch"]["values"] == [2.0, 4.0] == data["leaves"][0]["grad"]["values"]
    plain = tmp_path / "plain.py"                    # a script that just leaves a loss behind
    plain.write_text("import minigrad\nv = minigrad.ones(3, requires_grad=True)\nloss = (v.exp()).sum()\n")
    assert explorer.main([str(plain), "-o", str(tmp_path / "plain.html")]) == 0
    _, data = page_data(tmp_path / "plain.html")
    assert data["leaves"][0]["name"] == "v" and not data["torch"] and "graph(lib)" in data["torch_note"]
    with_model = tmp_path / "model.py"               # a module's parameters are named after it
    with_model.write_text("import minigrad\nnet = minigrad.nn.Linear(3, 2)\n"
                          "out = net(minigrad.ones(1, 3)).sum()\n")
    assert explorer.main([str(with_model), "-o", str(tmp_path / "model.html")]) == 0
    _, data = page_data(tmp_path / "model.html")
    assert sorted(leaf["name"] for leaf in data["leaves"]) == ["net.bias", "net.weight"]
    assert explorer.main(["-o", str(tmp_path / "default.html")]) == 0   # the walkthrough's first example
    _, data = page_data(tmp_path / "default.html")
    assert [leaf["grad"]["values"] for leaf in data["leaves"]] == [[5.0, 6.0, 7.0], [1.0, 2.0, 3.0]]


def test_multi_output_node_and_a_grad_that_was_already_there(tmp_path):
    def build(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        x.grad = lib.tensor([[10.0, 10.0], [10.0, 10.0]], dtype=lib.float64)   # from an earlier backward
        top, bottom = x.unbind(0)
        return (top * 2 + bottom * 3).sum(), {"x": x}
    _, data = page_data(explore(build, tmp_path / "p.html"))
    unbind = next(s for s in data["steps"] if s["name"] == "UnbindBackward0")
    assert [inc["slot"] for inc in unbind["incoming"]] == [0, 1]
    assert [inc["grad"]["values"] for inc in unbind["incoming"]] == [[2.0, 2.0], [3.0, 3.0]]
    node = next(n for n in data["nodes"] if n["name"] == "UnbindBackward0")
    assert [v["values"] for v in node["value"]] == [[1.0, 2.0], [3.0, 4.0]]      # both outputs' values
    leaf_step = data["steps"][-1]
    assert leaf_step["before"]["values"] == [10.0] * 4
    assert leaf_step["after"]["values"] == [12.0, 12.0, 13.0, 13.0]             # accumulated into .grad
    (leaf,) = data["leaves"]
    assert leaf["grad"]["values"] == leaf["torch"]["values"] == [12.0, 12.0, 13.0, 13.0]
