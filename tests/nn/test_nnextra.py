"""nn.functional's nnextra ops and their modules, beyond what the op and module tables compare:
the random draws of rrelu, module errors and warnings, the parameter containers' API, top-level
and Tensor-method aliases, and what minigrad does not support (antialias)."""
import warnings

import numpy as np
import pytest
import torch

import minigrad


def _both(fn):
    """fn(minigrad) and fn(torch): their exception classes (or None) and messages."""
    out = []
    for lib in (minigrad, torch):
        try:
            fn(lib)
        except Exception as exc:   # noqa: BLE001 - the class is what is compared
            out.append((type(exc), str(exc)))
        else:
            out.append((None, ""))
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rrelu_training_draws_torchs_slopes(dtype):
    """Same seed, same slopes: one draw per element x <= 0, in memory order, and the next draw
    continues the same stream."""
    x = np.random.default_rng(0).standard_normal((4, 7)).astype(dtype)
    x[0, :3] = 0.0   # zeros draw a slope too (x <= 0)
    minigrad.manual_seed(7)
    torch.manual_seed(7)
    ours = [minigrad.nn.functional.rrelu(minigrad.tensor(x), 0.1, 0.6, training=True) for _ in range(2)]
    theirs = [torch.nn.functional.rrelu(torch.tensor(x), 0.1, 0.6, training=True) for _ in range(2)]
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert minigrad.rand(3).tolist() == pytest.approx(torch.rand(3).tolist(), abs=0)


def test_rrelu_module_inplace_and_eval():
    x = np.random.default_rng(1).standard_normal((3, 5))
    for train in (True, False):
        minigrad.manual_seed(3)
        torch.manual_seed(3)
        a, b = minigrad.tensor(x), torch.tensor(x)
        m, t = minigrad.nn.RReLU(inplace=True), torch.nn.RReLU(inplace=True)
        m.train(train), t.train(train)
        assert m(a) is a and t(b) is b
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert repr(m) == repr(t)


def test_instance_norm_feature_count_warns_or_raises():
    x = np.random.default_rng(2).standard_normal((2, 3, 5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        minigrad.nn.InstanceNorm1d(4)(minigrad.tensor(x))
    assert any("does not match num_features" in str(w.message) for w in caught)
    (ours, msg), (theirs, _) = _both(lambda lib: lib.nn.InstanceNorm1d(4, affine=True)(lib.tensor(x)))
    assert ours is theirs is ValueError and "num_features (4)" in msg


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.InstanceNorm2d(3)(lib.ones(3, 5)),
    lambda lib: lib.nn.GroupNorm(2, 5),
    lambda lib: lib.nn.Softmax2d()(lib.ones(3)),
    lambda lib: lib.nn.CircularPad2d(1)(lib.ones(3, 3)),
    lambda lib: lib.nn.ReflectionPad3d(1)(lib.ones(3, 3)),
    lambda lib: lib.nn.ParameterList()(1),
    lambda lib: lib.nn.ParameterDict()[1],
    lambda lib: lib.nn.ParameterList().extend(lib.ones(2)),
], ids=["instancenorm-dims", "groupnorm-groups", "softmax2d-dims", "circularpad-dims", "reflectionpad3d-dims",
        "parameterlist-call", "parameterdict-int-key", "parameterlist-extend-tensor"])
def test_module_errors_match_torch(call):
    (ours, msg), (theirs, their_msg) = _both(call)
    assert theirs is not None and ours is theirs, (msg, their_msg)


def test_parameter_list_api_matches_torch():
    def build(lib):
        plist = lib.nn.ParameterList([lib.ones(2, 3), lib.nn.Parameter(lib.zeros(2))])
        plist.append(lib.ones(4))
        plist.extend([lib.zeros(1)])
        plist += [lib.ones(5)]
        plist[0] = lib.zeros(3)
        return plist
    ours, theirs = build(minigrad), build(torch)
    assert len(ours) == len(theirs) == 5
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]
    assert all(isinstance(p, minigrad.nn.Parameter) for p in ours)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours[1:3]] == [tuple(p.shape) for p in theirs[1:3]]
    assert repr(ours).replace("minigrad", "torch") == repr(theirs)


def test_parameter_dict_api_matches_torch():
    def build(lib):
        pdict = lib.nn.ParameterDict({"b": lib.ones(2), "a": lib.zeros(3)})
        pdict["c"] = lib.nn.Parameter(lib.ones(1))
        pdict.update([("d", lib.zeros(2))])
        pdict.setdefault("e", lib.ones(3))
        popped = pdict.pop("a")
        return pdict, popped
    (ours, a), (theirs, b) = build(minigrad), build(torch)
    assert list(ours.keys()) == list(theirs.keys())
    assert tuple(a.shape) == tuple(b.shape)
    assert "c" in ours and "a" not in ours and len(ours) == len(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.get("zz", 5) == 5
    assert repr(ours).replace("minigrad", "torch") == repr(theirs)


def test_top_level_and_tensor_method_aliases():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 3, 3))
    w = rng.uniform(0.1, 0.5, 4)
    a, b = minigrad.tensor(x), torch.tensor(x)
    pairs = [
        (a.hardshrink(0.3), b.hardshrink(0.3)),
        (a.prelu(minigrad.tensor(w)), b.prelu(torch.tensor(w))),
        (minigrad.pixel_shuffle(a, 2), torch.pixel_shuffle(b, 2)),
        (minigrad.channel_shuffle(a, 2), torch.channel_shuffle(b, 2)),
        (minigrad.native_channel_shuffle(a, 2), torch.native_channel_shuffle(b, 2)),
        (minigrad.pdist(a[0, 0]), torch.pdist(b[0, 0])),
        (minigrad.cosine_similarity(a, a * 2 + 1), torch.cosine_similarity(b, b * 2 + 1)),
        (minigrad.group_norm(a, 2), torch.group_norm(b, 2)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_interpolate_antialias_is_not_supported():
    x = minigrad.ones(1, 1, 4, 4)
    with pytest.raises(NotImplementedError, match="antialias"):
        minigrad.nn.functional.interpolate(x, size=2, mode="bilinear", antialias=True)
    (ours, _), (theirs, _) = _both(lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), size=2,
                                                                              mode="linear", antialias=True))
    assert ours is theirs is ValueError


def test_grid_sample_and_affine_grid_warn_without_align_corners():
    for lib in (minigrad, torch):
        with pytest.warns(UserWarning, match="align_corners=False"):
            grid = lib.nn.functional.affine_grid(lib.eye(2, 3).unsqueeze(0), (1, 1, 3, 3))
        with pytest.warns(UserWarning, match="align_corners=False"):
            lib.nn.functional.grid_sample(lib.ones(1, 1, 3, 3), grid)


def test_identity_affine_grid_samples_the_input_back():
    """grid_sample(x, affine_grid(identity)) is x, for both corner conventions."""
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5))
    for align in (False, True):
        theta = minigrad.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
        grid = minigrad.nn.functional.affine_grid(theta, (2, 3, 4, 5), align_corners=align)
        out = minigrad.nn.functional.grid_sample(minigrad.tensor(x), grid, align_corners=align)
        np.testing.assert_allclose(out.numpy(), x, atol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_three_d_padding_modes_match_torch(mode):
    """F.pad's non-constant modes on the last 3 dims (what the 3-d padding modules use), with gradients."""
    x = np.random.default_rng(6).standard_normal((2, 2, 3, 4, 3))
    pads = (1, 2, 0, 2, 2, 1)
    a = minigrad.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ours, theirs = minigrad.nn.functional.pad(a, pads, mode), torch.nn.functional.pad(b, pads, mode=mode)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    g = np.random.default_rng(7).standard_normal(tuple(theirs.shape))
    ours.backward(minigrad.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["upsample", "upsample_nearest", "upsample_bilinear"])
def test_deprecated_upsample_functions_warn_and_match_interpolate(name):
    x = np.random.default_rng(8).standard_normal((1, 2, 3, 3))
    outs = []
    for lib in (minigrad, torch):
        with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
            outs.append(getattr(lib.nn.functional, name)(lib.tensor(x), scale_factor=2).numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "area"])
@pytest.mark.parametrize("shape", [(1, 2, 5), (1, 1, 4, 5), (1, 1, 3, 4, 3)])
def test_interpolate_bytes(mode, shape):
    """Nearest modes resize uint8 images as torch does; the others refuse integer input, as torch's do."""
    x = np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape)
    kwargs = {"scale_factor": 1.5, "mode": mode}
    if mode == "bilinear" and len(shape) != 4:
        return
    try:
        expected = torch.nn.functional.interpolate(torch.tensor(x), **kwargs)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            minigrad.nn.functional.interpolate(minigrad.tensor(x), **kwargs)
        return
    if mode == "bilinear":   # torch's byte path rounds its own way: minigrad refuses it
        with pytest.raises(NotImplementedError):
            minigrad.nn.functional.interpolate(minigrad.tensor(x), **kwargs)
        return
    ours = minigrad.nn.functional.interpolate(minigrad.tensor(x), **kwargs)
    assert str(ours.dtype) == "minigrad.uint8"
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())
