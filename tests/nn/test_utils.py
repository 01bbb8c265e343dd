"""nn.utils: gradient clipping against torch.nn.utils."""
import math

import numpy as np
import pytest
import torch

import minigrad
from minigrad.nn import utils


def _params(dtype=np.float64, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2), ()]
    ours, theirs = [], []
    for s in shapes:
        v, g = rng.standard_normal(s).astype(dtype), (rng.standard_normal(s) * scale).astype(dtype)
        p = minigrad.nn.Parameter(minigrad.tensor(v))
        p.grad = minigrad.tensor(g)
        q = torch.nn.Parameter(torch.tensor(v))
        q.grad = torch.tensor(g)
        ours.append(p)
        theirs.append(q)
    ours.append(minigrad.nn.Parameter(minigrad.zeros(2)))   # no grad: ignored
    theirs.append(torch.nn.Parameter(torch.zeros(2)))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ours, theirs = _params(dtype)
    total_m = utils.clip_grad_norm_(iter(ours), max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(iter(theirs), max_norm, norm_type)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(total_m.numpy(), total_t.numpy(), rtol=rtol)
    assert total_m.dtype.name == str(total_t.dtype).split(".")[1]
    for p, q in zip(ours, theirs):
        if q.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=1e-7)


def test_clip_grad_norm_single_tensor_nonfinite_and_empty():
    p = minigrad.nn.Parameter(minigrad.ones(4))
    p.grad = minigrad.full((4,), 2.0)
    assert utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(4.0)
    np.testing.assert_allclose(p.grad.numpy(), 0.5 / (1 + 0.25e-6), rtol=1e-6)
    p.grad = minigrad.tensor([1.0, float("nan"), 1.0, 1.0])  # (a grad has its tensor's shape)
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert utils.clip_grad_norm_([minigrad.nn.Parameter(minigrad.ones(1))], 1.0).item() == 0.0


def test_clip_grad_value_matches_torch():
    ours, theirs = _params(scale=3.0)
    utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, q in zip(ours, theirs):
        if q.grad is not None:
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_parameters_to_vector_and_back():
    m = minigrad.nn.Linear(3, 2)
    v = utils.parameters_to_vector(m.parameters())
    assert v.shape == (8,)
    utils.vector_to_parameters(v * 0 + 1, m.parameters())
    assert np.all(m.weight.numpy(force=True) == 1) and np.all(m.bias.numpy(force=True) == 1)
