"""Each layer against its torch twin: same weights (through the state dict), same input, same
output and the same gradients for the input and every parameter."""
import numpy as np
import pytest
import torch

import minigrad
from minigrad.serialization import to_torch

RNG = np.random.default_rng(0)


def _pair(build, x, dtype=np.float64, target=None, train=True, **tol):
    """Build the layer in both frameworks, copy minigrad's weights into torch, run forward and
    backward on ``x`` and compare output, input grad and parameter grads."""
    ours = build(minigrad).to(getattr(minigrad, np.dtype(dtype).name))
    theirs = build(torch).to(getattr(torch, np.dtype(dtype).name))
    theirs.load_state_dict(to_torch(ours.state_dict()))
    ours.train(train), theirs.train(train)
    x = np.asarray(x)
    floating = x.dtype.kind == "f"
    xm = minigrad.tensor(x.astype(dtype) if floating else x, requires_grad=floating)
    xt = torch.tensor(x.astype(dtype) if floating else x, requires_grad=floating)
    args_m, args_t = (xm,), (xt,)
    if target is not None:
        args_m += (minigrad.tensor(target),)
        args_t += (torch.tensor(target),)
    out_m, out_t = ours(*args_m), theirs(*args_t)
    tol = tol or dict(rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(out_m.numpy(force=True), out_t.detach().numpy(), **tol)
    assert out_m.shape == tuple(out_t.shape)
    if out_t.requires_grad:
        g = RNG.standard_normal(tuple(out_t.shape)).astype(out_m.numpy(force=True).dtype)
        out_m.backward(minigrad.tensor(g))
        out_t.backward(torch.tensor(g))
        if floating:
            np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), **tol)
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            if q.grad is None:
                assert p.grad is None, name
            else:
                np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), err_msg=name, **tol)
    for (name, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b.numpy(), c.numpy(), err_msg=name, **tol)
    return ours, theirs


def _x(*shape):
    return RNG.standard_normal(shape)


LAYERS = {  # the module table (minigrad/testing/module_db) checks every layer; these feed the running-stats test
    "batchnorm1d": (lambda l: l.nn.BatchNorm1d(3), _x(6, 3)),
    "batchnorm2d": (lambda l: l.nn.BatchNorm2d(3), _x(4, 3, 2, 2)),
    "batchnorm2d_cumulative": (lambda l: l.nn.BatchNorm2d(3, momentum=None), _x(4, 3, 2, 2)),
}


@pytest.mark.parametrize("name", ["batchnorm1d", "batchnorm2d", "batchnorm2d_cumulative"])
def test_batchnorm_running_stats_then_eval(name):
    build, x = LAYERS[name]
    ours, theirs = _pair(build, x)
    for _ in range(3):
        step = RNG.standard_normal(x.shape) * 2 + 1
        ours(minigrad.tensor(step))
        theirs(torch.tensor(step))
    assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked.item()) == 4
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-10)
    ours.eval(), theirs.eval()
    probe = RNG.standard_normal(x.shape)
    with torch.no_grad():
        expected = theirs(torch.tensor(probe)).numpy()
    np.testing.assert_allclose(ours(minigrad.tensor(probe)).numpy(force=True), expected, rtol=1e-10, atol=1e-12)


def test_batchnorm_checks_input_dims():
    with pytest.raises(ValueError, match="expected 4D input"):
        minigrad.nn.BatchNorm2d(3)(minigrad.zeros(2, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        minigrad.nn.BatchNorm1d(3)(minigrad.zeros(2, 3, 1, 1))


def test_conv_transpose_output_size():
    ours, theirs = _pair(lambda l: l.nn.ConvTranspose2d(2, 2, 3, stride=2), _x(1, 2, 4, 4))
    x = _x(1, 2, 4, 4)
    out_m = ours(minigrad.tensor(x), output_size=[10, 10])
    out_t = theirs(torch.tensor(x), output_size=[10, 10])
    assert out_m.shape == (1, 2, 10, 10)
    np.testing.assert_allclose(out_m.numpy(force=True), out_t.detach().numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="requested an output size"):
        ours(minigrad.tensor(x), output_size=[20, 20])


def test_conv_argument_errors_match_torch():
    for kwargs in [dict(groups=0), dict(groups=3), dict(padding="full"), dict(padding="same", stride=2),
                   dict(padding_mode="mirror")]:
        with pytest.raises(ValueError) as theirs:
            torch.nn.Conv2d(4, 6, 3, **kwargs)
        with pytest.raises(ValueError) as ours:
            minigrad.nn.Conv2d(4, 6, 3, **kwargs)
        if "padding_mode" in kwargs or kwargs.get("padding") == "full":  # torch prints a set, in hash order
            assert str(ours.value).split(" one of")[0] == str(theirs.value).split(" one of")[0]
        else:
            assert str(ours.value) == str(theirs.value)


def test_embedding_with_padding_idx():
    ours, theirs = _pair(lambda l: l.nn.Embedding(10, 4, padding_idx=2), np.array([[1, 2, 3], [2, 9, 0]]))
    assert not ours.weight.numpy(force=True)[2].any()
    assert not ours.weight.grad.numpy()[2].any()
    pre = minigrad.nn.Embedding.from_pretrained(minigrad.ones(3, 2))
    assert not pre.weight.requires_grad and pre(minigrad.tensor([0, 2])).shape == (2, 2)


def test_dropout_modes():
    d = minigrad.nn.Dropout(0.5)
    x = minigrad.ones(1000)
    kept = d(x).numpy(force=True)
    assert set(np.unique(kept)) <= {0.0, 2.0} and 350 < (kept == 0).sum() < 650
    d.eval()
    np.testing.assert_array_equal(d(x).numpy(force=True), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        minigrad.nn.Dropout(1.5)


def test_softmax_implicit_dim_warns_like_torch():
    x = RNG.standard_normal((2, 3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = minigrad.nn.Softmax()(minigrad.tensor(x))
    with pytest.warns(UserWarning):
        expected = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_legacy_loss_flags():
    with pytest.warns(UserWarning):
        assert minigrad.nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert minigrad.nn.L1Loss(reduce=False).reduction == "none"
