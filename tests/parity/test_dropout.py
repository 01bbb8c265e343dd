"""Dropout draws its mask from minigrad's own generator, so its parity with torch is statistical:
the kept fraction is 1 - p, kept values are scaled by 1/(1 - p), backward applies the very mask
forward drew, and the stream is reproducible under manual_seed. (p = 0, p = 1 and training=False
are compared with torch exactly in the op table, ``dropout_deterministic``.)
"""
import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [minigrad.float32, minigrad.float64])
def test_mask_statistics_and_scale(p, dtype):
    minigrad.manual_seed(0)
    n = 200_000
    x = minigrad.ones(n, dtype=dtype) * 3
    y = F.dropout(x, p=p).numpy()
    kept = y != 0
    # the kept fraction is binomial(n, 1-p): 5 standard deviations is a test that cannot flake
    sd = np.sqrt(p * (1 - p) / n)
    assert abs(kept.mean() - (1 - p)) < 5 * sd
    np.testing.assert_allclose(y[kept], 3 / (1 - p), rtol=1e-6)
    assert y.dtype == dtype.np


def test_backward_uses_the_forward_mask():
    minigrad.manual_seed(1)
    x = minigrad.tensor(np.linspace(1, 2, 1000), requires_grad=True)
    y = F.dropout(x, p=0.3)
    g = np.random.default_rng(0).standard_normal(1000)
    y.backward(minigrad.tensor(g))
    mask = y.detach().numpy() / x.detach().numpy()  # 0 or 1/(1-p) per element
    assert set(np.unique(np.round(mask, 9))) == {0.0, round(1 / 0.7, 9)}
    np.testing.assert_allclose(x.grad.numpy(), g * mask, rtol=1e-12)


def test_double_backward_reuses_the_mask():
    minigrad.manual_seed(2)
    x = minigrad.tensor(np.linspace(1, 2, 100), requires_grad=True)
    y = F.dropout(x, p=0.5)
    v = minigrad.ones(100, requires_grad=True)
    gx, = minigrad.autograd.grad(y, x, v, create_graph=True)
    gv, = minigrad.autograd.grad(gx.sum(), v)
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(gv.numpy(), mask, rtol=1e-12)


def test_reproducible_under_manual_seed():
    x = minigrad.ones(64, 32)
    minigrad.manual_seed(123)
    a = F.dropout(x, p=0.4).numpy()
    minigrad.manual_seed(123)
    b = F.dropout(x, p=0.4).numpy()
    c = F.dropout(x, p=0.4).numpy()
    assert np.array_equal(a, b) and not np.array_equal(b, c)


def test_inplace_writes_into_input():
    minigrad.manual_seed(3)
    x = minigrad.ones(1000)
    out = F.dropout(x, p=0.5, inplace=True)
    assert out is x and x._version == 1
    assert set(np.unique(x.numpy())) == {0.0, 2.0}


def test_eval_and_p0_return_the_input():
    x = minigrad.ones(5, requires_grad=True)
    assert F.dropout(x, p=0.5, training=False) is x
    assert F.dropout(x, p=0.0) is x


# -- channel and alpha dropout: the same masks as torch under the same seed ---------------------
@pytest.mark.parametrize("module,shape", [("Dropout1d", (2, 3, 4)), ("Dropout1d", (3, 4)), ("Dropout2d", (2, 3, 4, 4)),
                                          ("Dropout3d", (2, 3, 2, 2, 2)), ("Dropout3d", (3, 2, 2, 2)),
                                          ("AlphaDropout", (5, 6)), ("FeatureAlphaDropout", (5, 6, 2))])
def test_module_masks_match_torch_under_the_same_seed(module, shape):
    import torch
    x = np.random.default_rng(0).standard_normal(shape)
    g = np.random.default_rng(1).standard_normal(shape)
    minigrad.manual_seed(7)
    torch.manual_seed(7)
    ours, theirs = getattr(minigrad.nn, module)(0.4), getattr(torch.nn, module)(0.4)
    xm, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ym, yt = ours(xm), theirs(xt)
    ym.backward(minigrad.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ym.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    assert ym.grad_fn.name() == yt.grad_fn.name()
    if module.startswith("Dropout"):
        # channel dropout: each channel (the dims after the channel dim) is zeroed whole or not at all
        batched = len(shape) == {"Dropout1d": 3, "Dropout2d": 4, "Dropout3d": 5}[module]
        channels = ym.detach().numpy().reshape((-1,) + shape[2 if batched else 1:]).reshape(
            (-1, int(np.prod(shape[2 if batched else 1:]))))
        zero = channels == 0
        assert np.all(zero.all(1) | ~zero.any(1))


def test_dropout2d_warns_on_3d_input_as_torch():
    with pytest.warns(UserWarning, match="channel-wise 1D dropout"):
        F.dropout2d(minigrad.ones(2, 3, 4), 0.5)
    with pytest.warns(UserWarning, match="Received a 2-D input"):
        F.dropout2d(minigrad.ones(2, 3), 0.5)


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    minigrad.manual_seed(3)
    x = minigrad.randn(400_000, dtype=minigrad.float64)
    y = F.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
