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


LAYERS = {
    "linear": (lambda l: l.nn.Linear(5, 3), _x(4, 5)),
    "linear_nobias_3d": (lambda l: l.nn.Linear(5, 3, bias=False), _x(2, 4, 5)),
    "conv1d": (lambda l: l.nn.Conv1d(2, 4, 3, stride=2, padding=1), _x(2, 2, 9)),
    "conv1d_reflect_groups": (lambda l: l.nn.Conv1d(2, 4, 3, padding=1, groups=2, padding_mode="reflect"), _x(2, 2, 7)),
    "conv2d": (lambda l: l.nn.Conv2d(1, 32, 3, padding=1), _x(2, 1, 8, 8)),
    "conv2d_strided_dilated": (lambda l: l.nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
                               _x(2, 3, 9, 8)),
    "conv2d_same": (lambda l: l.nn.Conv2d(2, 2, 4, padding="same"), _x(1, 2, 6, 6)),
    "conv2d_replicate": (lambda l: l.nn.Conv2d(2, 3, 3, padding=2, padding_mode="replicate"), _x(1, 2, 5, 5)),
    "conv2d_circular": (lambda l: l.nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), _x(1, 2, 5, 5)),
    "conv2d_unbatched": (lambda l: l.nn.Conv2d(2, 3, 3), _x(2, 6, 6)),
    "conv_transpose2d": (lambda l: l.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
                         _x(2, 4, 5, 5)),
    "maxpool2d": (lambda l: l.nn.MaxPool2d(2), _x(2, 3, 8, 8)),
    "maxpool2d_padded_ceil": (lambda l: l.nn.MaxPool2d(3, 2, 1, ceil_mode=True), _x(1, 2, 8, 7)),
    "avgpool2d": (lambda l: l.nn.AvgPool2d(3, 2, 1, count_include_pad=False), _x(1, 2, 8, 7)),
    "adaptive_avgpool2d": (lambda l: l.nn.AdaptiveAvgPool2d((2, 3)), _x(2, 2, 7, 8)),
    "flatten": (lambda l: l.nn.Flatten(), _x(2, 3, 4)),
    "unflatten": (lambda l: l.nn.Unflatten(1, (2, 3)), _x(4, 6)),
    "identity": (lambda l: l.nn.Sequential(l.nn.Identity(3, k=1), l.nn.Linear(3, 3)), _x(2, 3)),
    "layernorm": (lambda l: l.nn.LayerNorm(5), _x(3, 5)),
    "layernorm_2d": (lambda l: l.nn.LayerNorm((3, 4), eps=1e-3), _x(2, 3, 4)),
    "batchnorm1d": (lambda l: l.nn.BatchNorm1d(3), _x(6, 3)),
    "batchnorm1d_3d": (lambda l: l.nn.BatchNorm1d(3), _x(4, 3, 5)),
    "batchnorm2d": (lambda l: l.nn.BatchNorm2d(3), _x(4, 3, 2, 2)),
    "batchnorm2d_cumulative": (lambda l: l.nn.BatchNorm2d(3, momentum=None), _x(4, 3, 2, 2)),
    "batchnorm2d_untracked": (lambda l: l.nn.BatchNorm2d(3, affine=False, track_running_stats=False), _x(4, 3, 2, 2)),
    "dropout_p0": (lambda l: l.nn.Dropout(0.0), _x(3, 4)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch(name):
    build, x = LAYERS[name]
    _pair(build, x)


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


ACTIVATIONS = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Mish", "Softplus", "Softsign",
               "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid", "Sigmoid", "Tanh"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_modules(name):
    x = RNG.uniform(-4, 4, (3, 7))
    x[np.abs(x) < 0.05] = 0.5  # away from kinks
    _pair(lambda l: getattr(l.nn, name)(), x, rtol=1e-6, atol=1e-8)


def test_activation_module_settings():
    x = RNG.uniform(-4, 4, (3, 7))
    _pair(lambda l: l.nn.LeakyReLU(0.2), x)
    _pair(lambda l: l.nn.ELU(alpha=0.5), x)
    _pair(lambda l: l.nn.GELU(approximate="tanh"), x, rtol=1e-6, atol=1e-8)
    _pair(lambda l: l.nn.Softplus(beta=2.0, threshold=3.0), x)
    _pair(lambda l: l.nn.Hardtanh(-2.0, 1.5), x * 0.9 + 0.01)
    _pair(lambda l: l.nn.Softmax(dim=0), x)
    _pair(lambda l: l.nn.LogSoftmax(dim=-1), x)


def test_softmax_implicit_dim_warns_like_torch():
    x = RNG.standard_normal((2, 3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = minigrad.nn.Softmax()(minigrad.tensor(x))
    with pytest.warns(UserWarning):
        expected = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def _loss_case(name):
    x = RNG.standard_normal((4, 5))
    if name in ("CrossEntropyLoss", "NLLLoss"):
        return x, np.array([0, 3, 4, 1])
    if name == "BCELoss":
        return RNG.uniform(0.05, 0.95, (4, 5)), RNG.uniform(0, 1, (4, 5))
    if name == "BCEWithLogitsLoss":
        return x, RNG.uniform(0, 1, (4, 5))
    if name == "KLDivLoss":
        return np.log(RNG.dirichlet(np.ones(5), 4)), RNG.dirichlet(np.ones(5), 4)
    return x, RNG.standard_normal((4, 5))


LOSSES = {
    "CrossEntropyLoss": [{}, {"reduction": "sum"}, {"label_smoothing": 0.1}, {"ignore_index": 3},
                         {"weight": "w", "reduction": "none"}],
    "NLLLoss": [{}, {"weight": "w"}, {"reduction": "none"}],
    "MSELoss": [{}, {"reduction": "sum"}],
    "L1Loss": [{}, {"reduction": "none"}],
    "SmoothL1Loss": [{}, {"beta": 0.5}],
    "HuberLoss": [{}, {"delta": 0.5, "reduction": "sum"}],
    "BCELoss": [{}, {"weight": "w"}],
    "BCEWithLogitsLoss": [{}, {"pos_weight": "w"}, {"weight": "w", "reduction": "sum"}],
    "KLDivLoss": [{"reduction": "batchmean"}, {"reduction": "sum", "log_target": False}],
}


@pytest.mark.parametrize("name,kwargs", [(n, k) for n, ks in LOSSES.items() for k in ks],
                         ids=[f"{n}-{i}" for n, ks in LOSSES.items() for i in range(len(ks))])
def test_loss_modules(name, kwargs):
    x, target = _loss_case(name)
    w = RNG.uniform(0.5, 2.0, 5)

    def build(lib):
        kw = {k: (lib.tensor(w) if v == "w" else v) for k, v in kwargs.items()}
        return getattr(lib.nn, name)(**kw)
    ours, theirs = _pair(build, x, target=target, rtol=1e-7, atol=1e-10)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_legacy_loss_flags():
    with pytest.warns(UserWarning):
        assert minigrad.nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert minigrad.nn.L1Loss(reduce=False).reduction == "none"
