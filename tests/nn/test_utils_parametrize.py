"""nn.utils' parametrizations, legacy weight/spectral norm, gradient clipping with a given norm
and vector conversion, side by side with torch: same seed, same state-dict keys and values, same
outputs and gradients over training steps, removal, and state dicts loaded both ways."""
import warnings

import numpy as np
import pytest
import torch

import minigrad
from minigrad.serialization import to_torch


def _build(lib, layer, kind, **kw):
    lib.manual_seed(0)
    m = {"linear": lambda: lib.nn.Linear(4, 3), "conv": lambda: lib.nn.Conv2d(2, 3, 3),
         "convT": lambda: lib.nn.ConvTranspose2d(2, 3, 3)}[layer]().double()
    utils = lib.nn.utils
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        {"param_weight_norm": utils.parametrizations.weight_norm, "param_spectral_norm":
         utils.parametrizations.spectral_norm, "weight_norm": utils.weight_norm,
         "spectral_norm": utils.spectral_norm}[kind](m, **kw)
    return m


def _input(layer, lib):
    shape = (2, 4) if layer == "linear" else (1, 2, 5, 5)
    return lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape))


def _np(t):
    return t.detach().numpy()


CONFIGS = [("linear", "param_weight_norm", {}), ("linear", "param_weight_norm", {"dim": 1}),
           ("linear", "param_weight_norm", {"dim": None}), ("conv", "param_weight_norm", {"dim": 0}),
           ("linear", "param_spectral_norm", {}), ("conv", "param_spectral_norm", {"n_power_iterations": 3}),
           ("convT", "param_spectral_norm", {}), ("linear", "param_spectral_norm", {"dim": 1}),
           ("linear", "weight_norm", {}), ("conv", "weight_norm", {"dim": None}),
           ("linear", "spectral_norm", {}), ("convT", "spectral_norm", {"eps": 1e-3})]


@pytest.mark.parametrize("layer,kind,kw", CONFIGS, ids=[f"{a}-{b}-{c}" for a, b, c in CONFIGS])
def test_normalisations_match_torch_over_training_steps(layer, kind, kw):
    ours, theirs = _build(minigrad, layer, kind, **kw), _build(torch, layer, kind, **kw)
    assert type(ours).__name__ == type(theirs).__name__
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-14, err_msg=k)   # seeded u, v too
    opt_m = minigrad.optim.SGD(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for step in range(3):
        for model, opt, lib in ((ours, opt_m, minigrad), (theirs, opt_t, torch)):
            opt.zero_grad()
            (model(_input(layer, lib)) ** 2).sum().backward()
            opt.step()
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(_np(p.grad), _np(q.grad), rtol=1e-9, atol=1e-12, err_msg=f"{step} {name}")
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(_np(ours(_input(layer, minigrad))), _np(theirs(_input(layer, torch))), rtol=1e-9)
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("layer,kind,kw", CONFIGS, ids=[f"{a}-{b}-{c}" for a, b, c in CONFIGS])
def test_state_dicts_load_both_ways_and_removal(layer, kind, kw):
    ours, theirs = _build(minigrad, layer, kind, **kw), _build(torch, layer, kind, **kw)
    torch.manual_seed(3)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn(p.shape, dtype=p.dtype) * 0.1)
    ours.load_state_dict(theirs.state_dict())
    fresh = _build(torch, layer, kind, **kw)
    fresh.load_state_dict(to_torch(ours.state_dict()))
    ours.eval(), theirs.eval(), fresh.eval()
    expected = _np(theirs(_input(layer, torch)))
    np.testing.assert_allclose(_np(ours(_input(layer, minigrad))), expected, rtol=1e-12)
    np.testing.assert_allclose(_np(fresh(_input(layer, torch))), expected, rtol=1e-12)
    if kind.startswith("param_"):
        minigrad.nn.utils.parametrize.remove_parametrizations(ours, "weight")
        torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    else:
        remove = kind.replace("_norm", "")
        getattr(minigrad.nn.utils, f"remove_{remove}_norm")(ours)
        getattr(torch.nn.utils, f"remove_{remove}_norm")(theirs)
    assert type(ours).__name__ == type(theirs).__name__
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), rtol=1e-12)


def test_legacy_weight_norm_state_dict_loads_into_the_parametrization():
    legacy = _build(torch, "linear", "weight_norm")
    ours = _build(minigrad, "linear", "param_weight_norm")
    ours.load_state_dict(legacy.state_dict())
    np.testing.assert_allclose(_np(ours.weight), _np(legacy.weight), rtol=1e-12)


def test_legacy_forms_warn_and_refuse_twice():
    for lib in (minigrad, torch):
        m = lib.nn.Linear(2, 2)
        with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
            lib.nn.utils.weight_norm(m)
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.nn.utils.weight_norm(m)
        with pytest.raises(ValueError, match="weight_norm of 'bias' not found"):
            lib.nn.utils.remove_weight_norm(m, "bias")
        lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2))
        with pytest.raises(ValueError, match="n_power_iterations"):
            lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0)
        with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
            lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), "nope")


# -- parametrize ------------------------------------------------------------------------------
def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()
    return Symmetric()


def _scaled(lib):
    class Double(lib.nn.Module):
        def forward(self, x):
            return x * 2

        def right_inverse(self, a):
            return a / 2
    return Double()


def test_parametrize_chain_assignment_cached_and_removal_match_torch():
    log = []
    for lib in (minigrad, torch):
        P = lib.nn.utils.parametrize
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 3).double()
        P.register_parametrization(m, "weight", _symmetric(lib))
        P.register_parametrization(m, "weight", _scaled(lib))
        rec = [type(m).__name__, P.type_before_parametrizations(m).__name__, P.is_parametrized(m),
               P.is_parametrized(m, "bias"), list(m.state_dict()), _np(m.weight).round(8).tolist()]
        (m(lib.ones(2, 3, dtype=lib.float64)) ** 2).sum().backward()
        rec.append(_np(m.parametrizations.weight.original.grad).round(8).tolist())
        m.weight = lib.eye(3, dtype=lib.float64) * 4
        rec.append(_np(m.parametrizations.weight.original).round(8).tolist())
        with P.cached():
            rec.append(m.weight is m.weight)
        rec.append(m.weight is m.weight)
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
        rec += [type(m).__name__, list(m.state_dict()), _np(m.weight).round(8).tolist(),
                type(m.weight).__name__]
        log.append(rec)
    assert log[0] == log[1]


def test_parametrize_errors_match_torch():
    for lib in (minigrad, torch):
        P = lib.nn.utils.parametrize

        class Shrink(lib.nn.Module):
            def forward(self, x):
                return x[:1]

        class NoInverse(lib.nn.Module):
            def forward(self, x):
                return x * 2

        with pytest.raises(ValueError, match="may not change the shape"):
            P.register_parametrization(lib.nn.Linear(2, 2), "weight", Shrink())
        with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
            P.register_parametrization(lib.nn.Linear(2, 2), "nope", NoInverse())
        m = P.register_parametrization(lib.nn.Linear(2, 2), "weight", NoInverse())
        with pytest.raises(RuntimeError, match="does not implement right_inverse"):
            m.weight = lib.zeros(2, 2)
        with pytest.raises(ValueError, match="does not have a parametrization on bias"):
            P.remove_parametrizations(m, "bias")
        with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
            m.__getstate__()


# -- clipping and vectors ------------------------------------------------------------------------
def test_clip_grads_with_norm_and_get_total_norm_match_torch():
    results = []
    for lib in (minigrad, torch):
        params = [lib.nn.Parameter(lib.ones(3, 2)), lib.nn.Parameter(lib.ones(4)), lib.nn.Parameter(lib.ones(1))]
        params[0].grad = lib.tensor(np.arange(6.0).reshape(3, 2), dtype=lib.float32)
        params[1].grad = lib.tensor([1.0, -2.0, 3.0, -4.0])
        total = lib.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None], 3.0)
        lib.nn.utils.clip_grads_with_norm_(params, 2.0, total)
        with pytest.raises(TypeError):
            lib.nn.utils.clip_grads_with_norm_(params, 2.0, 10.0)
        results.append([_np(total)] + [_np(p.grad) for p in params[:2]] + [params[2].grad is None])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_parameters_to_vector_and_back_match_torch():
    results = []
    for lib in (minigrad, torch):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Linear(2, 1))
        v = lib.nn.utils.parameters_to_vector(m.parameters())
        v.sum().backward()   # differentiable, as torch's
        lib.nn.utils.vector_to_parameters(lib.arange(v.numel(), dtype=lib.float32), m.parameters())
        with pytest.raises(TypeError, match="expected torch.Tensor"):
            lib.nn.utils.vector_to_parameters([1.0], m.parameters())
        results.append([_np(v)] + [_np(p) for p in m.parameters()] + [_np(p.grad) for p in m.parameters()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
