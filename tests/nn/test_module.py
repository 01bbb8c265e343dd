"""nn.Module against torch.nn.Module: registration, traversal, state dicts, modes, hooks, repr."""
import copy

import numpy as np
import pytest
import torch

import minigrad
from minigrad import nn
from minigrad.serialization import from_torch, to_torch


def _nested(lib):
    """The same architecture in minigrad or torch (the class body is shared)."""
    tnn = lib.nn

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
                                           tnn.MaxPool2d(2))
            self.heads = tnn.ModuleList([tnn.Linear(64, 5), tnn.Linear(64, 5)])
            self.extra = tnn.ModuleDict({"norm": tnn.LayerNorm(5), "emb": tnn.Embedding(7, 5, padding_idx=0)})
            self.register_buffer("scale", lib.ones(5))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)
            self.shared = self.heads[0]  # the same module under two names

        def forward(self, x):
            h = self.features(x).flatten(1)
            return self.extra["norm"](self.heads[0](h) + self.heads[1](h)) * self.scale

    return Block()


def test_state_dict_keys_shapes_and_dtypes_match_torch():
    ours, theirs = _nested(minigrad), _nested(torch)
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for k in a:
        assert tuple(a[k].shape) == tuple(b[k].shape), k
        assert str(a[k].dtype).split(".")[-1] == str(b[k].dtype).split(".")[-1], k
    assert "features.1.num_batches_tracked" in a and "scratch" not in a


def test_traversal_matches_torch():
    ours, theirs = _nested(minigrad), _nested(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_modules(remove_duplicate=False)] == \
        [n for n, _ in theirs.named_modules(remove_duplicate=False)]
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert [n for n, _ in ours.named_parameters(recurse=False)] == []
    assert ours.get_submodule("features.0") is ours.features[0]
    assert ours.get_parameter("heads.1.bias") is ours.heads[1].bias
    assert ours.get_buffer("features.1.running_var") is ours.features[1].running_var


def test_load_state_dict_from_torch_gives_the_same_outputs():
    ours, theirs = _nested(minigrad), _nested(torch)
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert str(result) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
    ours.eval(), theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(minigrad.from_numpy(x)).numpy(force=True), expected, rtol=1e-5, atol=1e-5)
    # and back: torch loads minigrad's state dict
    theirs2 = _nested(torch)
    theirs2.load_state_dict(to_torch(ours.state_dict()))
    for (k, v), (k2, v2) in zip(theirs.state_dict().items(), theirs2.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)


def _load_error(model, sd, **kw):
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(sd, **kw)
    return str(info.value)


def test_load_state_dict_errors_match_torch():
    ours, theirs = _nested(minigrad), _nested(torch)
    sd = theirs.state_dict()
    del sd["heads.1.bias"]
    sd["bogus.weight"] = torch.zeros(1)
    sd["features.0.extra"] = torch.zeros(1)
    assert _load_error(ours, from_torch(sd)) == _load_error(theirs, sd)
    bad = theirs.state_dict()
    bad["heads.0.weight"] = torch.zeros(5, 3)
    ours_msg = _load_error(ours, from_torch(bad)).replace("minigrad.Size", "torch.Size")
    assert ours_msg == _load_error(theirs, bad)
    # strict=False reports the same keys and still loads what matches
    missing = theirs.state_dict()
    del missing["features.0.weight"]
    missing["zzz"] = torch.ones(1)
    r1 = ours.load_state_dict(from_torch(missing), strict=False)
    r2 = theirs.load_state_dict(missing, strict=False)
    assert (r1.missing_keys, r1.unexpected_keys) == (r2.missing_keys, r2.unexpected_keys)
    np.testing.assert_array_equal(ours.heads[1].weight.numpy(force=True), theirs.heads[1].weight.detach().numpy())


def test_load_state_dict_copies_into_the_existing_parameters():
    m = nn.Linear(3, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 3), np.float32), "bias": minigrad.zeros(2)})
    assert m.weight is w and np.all(w.numpy(force=True) == 1) and w.requires_grad
    m.load_state_dict({"weight": minigrad.full((2, 3), 2.0), "bias": minigrad.zeros(2)}, assign=True)
    assert m.weight is not w and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad


def test_state_dict_shares_memory_and_detaches():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    with minigrad.no_grad():
        m.weight.fill_(3.0)
    assert np.all(sd["weight"].numpy() == 3.0)
    assert m.state_dict(keep_vars=True)["weight"] is m.weight
    assert list(m.state_dict(prefix="net.")) == ["net.weight", "net.bias"]


def test_train_eval_apply_and_zero_grad():
    m = _nested(minigrad)
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m and not any(mod.training for mod in m.modules())
    m.train()
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    t = _nested(torch)
    seen_t = []
    t.apply(lambda mod: seen_t.append(type(mod).__name__))
    assert seen == seen_t
    for p in m.parameters():
        p.grad = minigrad.ones_like(p)
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_double_keeps_parameter_objects_and_integer_buffers():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = m[0].weight
    m[0].weight.grad = minigrad.ones(3, 2)
    assert m.double() is m
    assert m[0].weight is w and w.dtype == minigrad.float64 and w.grad.dtype == minigrad.float64
    assert m[1].running_mean.dtype == minigrad.float64
    assert m[1].num_batches_tracked.dtype == minigrad.int64
    m.to(minigrad.float32)
    assert w.dtype == minigrad.float32
    m.to("cpu")
    m.float()
    with pytest.raises(TypeError, match="floating point"):
        m.to(minigrad.int64)


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    x = minigrad.ones(1, 2)
    out = m(x)
    np.testing.assert_allclose(out.numpy(force=True), m.bias.numpy(force=True)[None] + 1, rtol=1e-6)
    assert calls == [(1, 2)]
    h1.remove(), h2.remove()
    np.testing.assert_allclose(m(x).numpy(force=True), (x @ m.weight.t() + m.bias).numpy(force=True), rtol=1e-6)
    seen = []
    m.register_forward_pre_hook(lambda mod, args, kwargs: seen.append(sorted(kwargs)), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append("post"), with_kwargs=True)
    m(x)
    assert seen == [[], "post"]


def test_setattr_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(minigrad.zeros(2))
    m.sub = nn.Linear(1, 1)
    m.register_buffer("b", minigrad.ones(1))
    m.plain = minigrad.ones(1)            # a plain tensor attribute is not registered
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and list(m._buffers) == ["b"]
    assert "plain" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = minigrad.zeros(2)
    with pytest.raises(TypeError, match="cannot assign"):
        m.sub = 3
    with pytest.raises(TypeError, match="cannot assign"):
        m.b = 3
    m.b = minigrad.zeros(1)                # a tensor may replace a buffer
    assert m.b.numpy()[0] == 0
    m.w = None
    assert m.w is None and "w" not in m.state_dict()
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        m.nothing
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", minigrad.ones(1))

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minigrad.zeros(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_repr_matches_torch():
    def build(lib):
        tnn = lib.nn
        return tnn.Sequential(
            tnn.Conv2d(1, 32, 3, padding=1), tnn.Conv2d(2, 4, (3, 5), stride=2, padding="same" if False else 0,
                                                        dilation=2, groups=2, bias=False, padding_mode="reflect"),
            tnn.Conv1d(2, 4, 3, padding="same"), tnn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1),
            tnn.MaxPool2d(2), tnn.MaxPool2d(3, 1, 1), tnn.AvgPool2d(2), tnn.AdaptiveAvgPool2d((1, 1)), tnn.Flatten(),
            tnn.Unflatten(1, (2, 5)), tnn.Dropout(0.2), tnn.BatchNorm1d(3), tnn.BatchNorm2d(4, momentum=None),
            tnn.LayerNorm([2, 3], bias=False), tnn.Embedding(10, 3, padding_idx=0, max_norm=1.0),
            tnn.Linear(3, 4, bias=False), tnn.Identity(),
            tnn.ModuleList([tnn.Linear(2, 3), tnn.Linear(2, 3), tnn.ReLU(), tnn.Linear(2, 3)]),
            tnn.ModuleDict({"a": tnn.ReLU(inplace=True)}),
            tnn.ReLU(), tnn.ReLU6(), tnn.LeakyReLU(0.2), tnn.ELU(), tnn.SELU(), tnn.GELU("tanh"), tnn.SiLU(),
            tnn.Mish(), tnn.Softplus(), tnn.Softsign(), tnn.Hardtanh(), tnn.Hardsigmoid(), tnn.Hardswish(),
            tnn.LogSigmoid(), tnn.Sigmoid(), tnn.Tanh(), tnn.Softmax(dim=1), tnn.LogSoftmax(1),
            tnn.CrossEntropyLoss(), tnn.NLLLoss(), tnn.MSELoss(), tnn.L1Loss(), tnn.SmoothL1Loss(), tnn.HuberLoss(),
            tnn.BCELoss(), tnn.BCEWithLogitsLoss(), tnn.KLDivLoss())
    assert repr(build(minigrad)) == repr(build(torch))


def test_containers_behave_like_torch():
    for lib in (minigrad, torch):
        tnn = lib.nn
        seq = tnn.Sequential(tnn.ReLU(), tnn.Tanh(), tnn.Sigmoid())
        assert len(seq) == 3 and isinstance(seq[1], tnn.Tanh) and isinstance(seq[-1], tnn.Sigmoid)
        assert isinstance(seq[1:], tnn.Sequential) and len(seq[1:]) == 2
        del seq[0]
        assert list(seq._modules) == ["0", "1"]
        seq.append(tnn.ReLU())
        seq.insert(0, tnn.Identity())
        assert [type(m).__name__ for m in seq] == ["Identity", "Tanh", "Sigmoid", "ReLU"]
        ml = tnn.ModuleList([tnn.ReLU()])
        ml.extend([tnn.Tanh()])
        ml += [tnn.Sigmoid()]
        ml.insert(1, tnn.Identity())
        assert [type(m).__name__ for m in ml] == ["ReLU", "Identity", "Tanh", "Sigmoid"]
        del ml[1]
        assert list(ml._modules) == ["0", "1", "2"]
        md = tnn.ModuleDict({"a": tnn.ReLU()})
        md.update([("b", tnn.Tanh())])
        assert list(md.keys()) == ["a", "b"] and "b" in md and len(md) == 2
        assert isinstance(md.pop("a"), tnn.ReLU) and list(md) == ["b"]
    od_seq = nn.Sequential(__import__("collections").OrderedDict([("first", nn.ReLU()), ("second", nn.Tanh())]))
    assert list(od_seq._modules) == ["first", "second"]


def test_parameter_basics():
    t = minigrad.ones(2, 3)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, minigrad.Tensor)
    assert repr(p) == repr(torch.nn.Parameter(torch.ones(2, 3))).replace("torch", "minigrad")
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(minigrad.tensor([1, 2]))
    m = nn.Linear(2, 2)
    clone = copy.deepcopy(m)
    assert isinstance(clone.weight, nn.Parameter) and clone.weight is not m.weight
    np.testing.assert_array_equal(clone.weight.numpy(force=True), m.weight.numpy(force=True))
    # deepcopy of a Parameter leaves its gradient behind, as torch's does (a plain tensor keeps it)
    tm = torch.nn.Linear(2, 2)
    for lib, module in ((minigrad, m), (torch, tm)):
        module(lib.ones(1, 2)).sum().backward()
        assert module.weight.grad is not None and copy.deepcopy(module).weight.grad is None
        assert copy.deepcopy(module.weight.grad) is not None
    assert (p * 2).grad_fn is not None and type(p * 2) is minigrad.Tensor
