"""The backprop explorer in a real headless browser (the system's Chromium, driven by Selenium).

Steps through the backward pass of the walkthrough's first example and of a conv + pool + linear
graph by pressing the page's Step button, and checks what the page shows (the order of the nodes,
the gradients arriving and sent, the leaves' .grad) against the engine's own trace of an
independent run, and the leaves' gradients against torch. The page must make no network request.

Needs Chromium and chromedriver (``.ci/install-browser`` installs them, as root, from the system
packages); where they cannot be installed the tests are skipped, saying so.
"""
import io
import json

import numpy as np
import pytest
import torch

import minigrad
from minigrad.autograd import trace_backward
from minigrad.viz import explore
from minigrad.viz.headless import Browser, missing_reason

_missing = missing_reason()
pytestmark = pytest.mark.skipif(_missing is not None, reason=f"no headless browser: {_missing}")


def walkthrough_first_example(lib):
    """docs/walkthrough.md, 'The chain rule, one op at a time': L = sum(x * y + x), in float64."""
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    y = lib.tensor([4.0, 5.0, 6.0], dtype=lib.float64, requires_grad=True)
    return (x * y + x).sum(), {"x": x, "y": y}


_rng = np.random.default_rng(21)
_X = _rng.standard_normal((2, 1, 6, 6))
_CONV_W, _CONV_B = _rng.standard_normal((2, 1, 3, 3)) * 0.5, _rng.standard_normal(2) * 0.1
_FC_W, _FC_B = _rng.standard_normal((3, 18)) * 0.3, _rng.standard_normal(3) * 0.1


def conv_pool_linear(lib):
    """conv2d (padding 1) -> relu -> max_pool2d(2) -> flatten -> linear -> cross_entropy, float64."""
    F = lib.nn.functional

    def leaf(a):
        return lib.tensor(a, dtype=lib.float64, requires_grad=True)
    x = lib.tensor(_X, dtype=lib.float64)
    w, b, fw, fb = leaf(_CONV_W), leaf(_CONV_B), leaf(_FC_W), leaf(_FC_B)
    h = F.max_pool2d(F.relu(F.conv2d(x, w, b, padding=1)), 2)
    logits = F.linear(h.flatten(1), fw, fb)
    loss = F.cross_entropy(logits, lib.tensor([0, 2]))
    return loss, {"conv.weight": w, "conv.bias": b, "fc.weight": fw, "fc.bias": fb}


def engine_trace(build):
    """The engine's own record of an independent run: trace steps and the leaves' gradients."""
    loss, names = build(minigrad)
    with trace_backward(file=io.StringIO(), names=names) as steps:
        loss.backward()
    return steps, {name: t.grad.numpy() for name, t in names.items()}


def shown(element):
    """The full values and norm an array element of the page carries, as numbers."""
    values = np.array(json.loads(element.get_attribute("data-values")), dtype=np.float64)
    norm = element.get_attribute("data-norm")
    return values, (None if norm is None else float(norm))


def _numbers(text):
    return [float(t) for t in text.replace("[", " ").replace("]", " ").replace(",", " ").split()]


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


@pytest.mark.parametrize("build", [walkthrough_first_example, conv_pool_linear], ids=["walkthrough", "conv_pool_linear"])
def test_stepping_shows_the_engines_backward_pass(build, browser, tmp_path):
    from selenium.webdriver.common.by import By
    steps, grads = engine_trace(build)
    torch_loss, torch_names = build(torch)
    torch_loss.backward()

    page = explore(build, tmp_path / "backprop.html")
    browser.open(page)
    find = browser.driver.find_element
    assert find(By.ID, "step-label").get_attribute("data-step") == "0"

    node_labels, leaf_steps, pressed = [], [], 0
    while True:
        find(By.ID, "step").click()
        label_el = find(By.ID, "step-label")
        if label_el.get_attribute("data-step") == str(pressed):
            break                                   # the last step: Step changes nothing more
        pressed += 1
        label = label_el.get_attribute("data-label")
        assert label_el.text == f"[{pressed}] {label}"
        incoming, incoming_norm = shown(find(By.ID, "step-grad-in"))
        if label.startswith("AccumulateGrad("):
            name = label[len("AccumulateGrad("):-1]
            after, _ = shown(find(By.ID, "leaf-after"))
            leaf_steps.append(name)
            np.testing.assert_allclose(after, grads[name].ravel(), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(incoming, grads[name].ravel(), rtol=1e-12, atol=1e-12)
            continue
        trace = steps[len(node_labels)]
        node_labels.append(label)
        assert label == trace["label"]
        assert find(By.ID, "step-rule").text.strip(), "each function step shows its derivative rule"
        assert incoming_norm == pytest.approx(trace["grad_output_norms"][0], rel=1e-12)
        sends = browser.driver.find_elements(By.CSS_SELECTOR, "#step-sends tr.send")
        assert [s.get_attribute("data-to") for s in sends] == [g["to"] for g in trace["grad_inputs"]]
        for row, g in zip(sends, trace["grad_inputs"]):
            # the trace gives the norm of what backward returned; the page shows it too, and the
            # gradient as the receiver gets it (summed down to the input's shape where broadcast)
            assert float(row.get_attribute("data-raw-norm")) == pytest.approx(g["norm"], rel=1e-12)
            values, norm = shown(row.find_element(By.CSS_SELECTOR, ".array"))
            assert row.find_element(By.CSS_SELECTOR, "td.norm").text == _js_number(norm)
            assert values.size == min(int(np.prod(g["to_shape"])), 256)
            if tuple(g["shape"]) == tuple(g["to_shape"]):
                assert norm == pytest.approx(g["norm"], rel=1e-12)
            else:
                assert "broadcast" in row.text

    # the page's order is the engine's: every function node, in the trace's order, then nothing else
    assert node_labels == [s["label"] for s in steps]
    assert sorted(leaf_steps) == sorted(grads)
    # the leaves' .grad as the page shows them at the end: minigrad's (an independent run) and torch's
    for name, grad in grads.items():
        row = find(By.CSS_SELECTOR, f'#leaves tr[data-name="{name}"]')
        ours, _ = shown(row.find_element(By.CSS_SELECTOR, "td.grad-now .array"))
        np.testing.assert_allclose(ours, grad.ravel()[:256], rtol=1e-12, atol=1e-12)
        theirs, _ = shown(row.find_element(By.CSS_SELECTOR, "td.torch-grad .array"))
        np.testing.assert_allclose(theirs, torch_names[name].grad.numpy().ravel()[:256], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
        visible = _numbers(row.find_element(By.CSS_SELECTOR, "td.grad-now").text.split("\u2026")[0])
        np.testing.assert_allclose(visible, grad.ravel()[:len(visible)], rtol=1e-5, atol=1e-9)

    assert browser.requests() == [], "the page must not touch the network"
    assert browser.console_errors() == []


def _js_number(v):
    """How the page writes a number: six significant digits, trailing zeros dropped (JS's Number)."""
    text = f"{float(f'{v:.6g}')!r}"
    return text[:-2] if text.endswith(".0") else text


def test_accumulation_and_back_and_forward_values(browser, tmp_path):
    """The walkthrough's topological-order example: a is used three times, and x's .grad fills at the end."""
    from selenium.webdriver.common.by import By

    def build(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        a = x * 3
        b = a * a
        return (a + b).sum(), {"x": x}
    browser.open(explore(build, tmp_path / "topo.html"))
    find = browser.driver.find_element
    for _ in range(4):
        find(By.ID, "step").click()
    assert find(By.ID, "step-label").get_attribute("data-label") == "MulBackward0#1"
    parts = browser.driver.find_elements(By.CSS_SELECTOR, "#step-panel .parts li")
    assert [p.text.split(" (")[0] for p in parts] == ["from AddBackward0#1", "from MulBackward0#2", "from MulBackward0#2"]
    summed, _ = shown(find(By.ID, "step-grad-in"))
    np.testing.assert_allclose(summed, 1 + 2 * 3 * np.array([1.0, 2.0]))            # 1 + 2a
    x_grad = '#leaves tr[data-name="x"] td.grad-now'       # (the table is redrawn at each step)
    assert find(By.CSS_SELECTOR, x_grad).text == "None"                              # not yet accumulated
    find(By.ID, "step").click()
    assert find(By.ID, "step-label").get_attribute("data-label") == "AccumulateGrad(x)"
    assert find(By.CSS_SELECTOR, x_grad).text == "[21, 39]"                          # 3 (1 + 2a)
    find(By.ID, "back").click()
    assert find(By.CSS_SELECTOR, x_grad).text == "None"
    # clicking an op shows its output's forward value: MulBackward0#1 is a = 3x, MulBackward0#2 b = a * a
    values = {}
    for g in browser.driver.find_elements(By.CSS_SELECTOR, "#graph-pane .node.op"):
        if g.text.startswith("MulBackward0"):
            g.click()
            values[g.text] = shown(find(By.ID, "value-array"))[0].tolist()
    assert values == {"MulBackward0#1": [3.0, 6.0], "MulBackward0#2": [9.0, 36.0]}
    assert browser.requests() == []
