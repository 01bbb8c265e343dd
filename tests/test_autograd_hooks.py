"""Tensor hooks and retain_grad, side by side with torch."""
import numpy as np
import pytest
import torch

import minigrad as mg

X = np.array([1.0, -2.0, 3.0])


def _run(lib, order):
    """y = x * 2 (a non-leaf) with a doubling hook and retain_grad registered in ``order``; returns
    (y.grad, x.grad) after z = (y * y).sum() is backpropagated."""
    x = lib.tensor(X, requires_grad=True)
    y = x * 2
    for step in order:
        if step == "hook":
            y.register_hook(lambda g: g * 2)
        else:
            y.retain_grad()
    (y * y).sum().backward()
    return np.asarray(y.grad.detach().numpy()), np.asarray(x.grad.detach().numpy())


@pytest.mark.parametrize("order", [("retain", "hook"), ("hook", "retain"), ("retain",)])
def test_retain_grad_sees_every_hook_whenever_registered(order):
    """torch runs retain_grad's hook last, so .grad holds what the other hooks made of it."""
    for mine, theirs in zip(_run(mg, order), _run(torch, order)):
        np.testing.assert_array_equal(mine, theirs)


def test_hook_on_a_leaf_changes_its_gradient_and_can_be_removed():
    results = []
    for lib in (mg, torch):
        x = lib.tensor(X, requires_grad=True)
        handle = x.register_hook(lambda g: g + 1)
        (x * 3).sum().backward()
        first = x.grad.detach().numpy().copy()
        handle.remove()
        x.grad = None
        (x * 3).sum().backward()
        results.append((first, x.grad.detach().numpy().copy()))
    for mine, theirs in zip(*results):
        np.testing.assert_array_equal(mine, theirs)
    assert results[0][0].tolist() == [4.0, 4.0, 4.0] and results[0][1].tolist() == [3.0, 3.0, 3.0]
