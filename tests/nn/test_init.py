"""nn.init and the layers' default initialisation: torch's distributions (bounds and moments),
fans and gains. minigrad draws from its own generator, so the checks are statistical."""
import math

import numpy as np
import pytest
import torch

import minigrad
from minigrad import nn
from minigrad.nn import init


def _uniform_ok(values, bound):
    """All within [-bound, bound], mean ~ 0, variance ~ bound^2 / 3 (5 standard errors)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    n = v.size
    assert np.abs(v).max() <= bound * (1 + 1e-6)
    assert np.abs(v).max() > bound * 0.99          # the whole range is used
    assert abs(v.mean()) < 5 * bound / math.sqrt(3 * n)
    var = bound ** 2 / 3
    assert abs(v.var() - var) < 5 * var * math.sqrt(0.8 / n)  # var of U^2 is 4/5 var^2


def _normal_ok(values, std, mean=0.0):
    v = np.asarray(values, dtype=np.float64).ravel()
    n = v.size
    assert abs(v.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(v.std() - std) < 5 * std / math.sqrt(2 * n)


@pytest.mark.parametrize("shape", [(7, 3), (16, 4, 3, 3), (5, 2, 4), (3, 1, 2, 2, 2)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(minigrad.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(minigrad.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(minigrad.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                                  ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",), ("conv_transpose2d",)])
def test_calculate_gain_matches_torch(args):
    assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_linear_default_init():
    minigrad.manual_seed(0)
    m = nn.Linear(300, 400)
    bound = 1 / math.sqrt(300)   # kaiming_uniform_(a=sqrt(5)) gives exactly this bound
    _uniform_ok(m.weight.numpy(force=True), bound)
    assert np.abs(m.bias.numpy(force=True)).max() <= bound and m.bias.numpy(force=True).std() > bound / 3
    assert m.weight.dtype == minigrad.float32


def test_conv_default_init():
    minigrad.manual_seed(1)
    m = nn.Conv2d(32, 64, 3)
    bound = 1 / math.sqrt(32 * 9)
    _uniform_ok(m.weight.numpy(force=True), bound)
    assert np.abs(m.bias.numpy(force=True)).max() <= bound
    t = nn.ConvTranspose2d(16, 8, 3, groups=2)
    assert tuple(t.weight.shape) == (16, 4, 3, 3)
    _uniform_ok(t.weight.numpy(force=True), 1 / math.sqrt(4 * 9))


def test_other_layers_default_init():
    e = nn.Embedding(1000, 50, padding_idx=3)
    w = e.weight.numpy(force=True)
    assert not w[3].any()
    _normal_ok(np.delete(w, 3, axis=0), 1.0)
    bn = nn.BatchNorm2d(5)
    assert np.all(bn.weight.numpy(force=True) == 1) and not bn.bias.numpy(force=True).any()
    ln = nn.LayerNorm((2, 3))
    assert np.all(ln.weight.numpy(force=True) == 1) and not ln.bias.numpy(force=True).any()


def test_init_functions():
    t = minigrad.empty(200, 300)
    init.uniform_(t, -2, 3)
    v = t.numpy()
    assert v.min() >= -2 and v.max() <= 3 and abs(v.mean() - 0.5) < 0.05
    init.normal_(t, 1.0, 0.5)
    _normal_ok(t.numpy(), 0.5, 1.0)
    init.xavier_uniform_(t, gain=2.0)
    _uniform_ok(t.numpy(), 2.0 * math.sqrt(6 / 500))
    init.xavier_normal_(t)
    _normal_ok(t.numpy(), math.sqrt(2 / 500))
    init.kaiming_uniform_(t, nonlinearity="relu")
    _uniform_ok(t.numpy(), math.sqrt(2) * math.sqrt(3 / 300))
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    _normal_ok(t.numpy(), math.sqrt(2 / 200))
    init.trunc_normal_(t, 0.0, 1.0, -1.0, 0.5)
    assert t.numpy().min() >= -1.0 and t.numpy().max() <= 0.5
    init.constant_(t, 0.25)
    assert np.all(t.numpy() == 0.25)
    init.zeros_(t), init.ones_(t)
    assert np.all(t.numpy() == 1)
    init.eye_(t)
    np.testing.assert_array_equal(t.numpy(), np.eye(200, 300))


def test_init_is_in_place_outside_the_graph_and_reproducible():
    p = nn.Parameter(minigrad.empty(3, 4))
    version = p._version
    out = init.normal_(p)
    assert out is p and p.grad_fn is None and p.requires_grad and p._version > version
    minigrad.manual_seed(7)
    a = nn.Linear(4, 4).weight.numpy(force=True).copy()
    minigrad.manual_seed(7)
    b = nn.Linear(4, 4).weight.numpy(force=True)
    np.testing.assert_array_equal(a, b)
    g = minigrad.Generator().manual_seed(3)
    x = init.uniform_(minigrad.empty(5), generator=g).numpy().copy()
    g.manual_seed(3)
    np.testing.assert_array_equal(init.uniform_(minigrad.empty(5), generator=g).numpy(), x)


def test_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(minigrad.empty(0, 3))
