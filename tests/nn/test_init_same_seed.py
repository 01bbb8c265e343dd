"""nn.init after the same manual_seed (or Generator) as torch: the same numbers, function by
function, mode by mode, nonlinearity by nonlinearity, in float32 and float64. orthogonal_'s QR is
LAPACK's through NumPy, so it agrees to rounding rather than bit for bit."""
import warnings

import numpy as np
import pytest
import torch

import minigrad

CASES = {
    "uniform_": lambda l, t, g: l.nn.init.uniform_(t, -0.3, 0.7, generator=g),
    "normal_": lambda l, t, g: l.nn.init.normal_(t, 0.5, 2.0, generator=g),
    "trunc_normal_-rejection-by-normals": lambda l, t, g: l.nn.init.trunc_normal_(t, 0.1, 1.0, -1.5, 2.0,
                                                                                  generator=g),
    "trunc_normal_-uniform-candidates": lambda l, t, g: l.nn.init.trunc_normal_(t, 0.0, 1.0, 2.0, 3.0,
                                                                                generator=g),
    "xavier_uniform_": lambda l, t, g: l.nn.init.xavier_uniform_(t, gain=1.3, generator=g),
    "xavier_normal_": lambda l, t, g: l.nn.init.xavier_normal_(t, generator=g),
    "orthogonal_": lambda l, t, g: l.nn.init.orthogonal_(t, gain=2.0, generator=g),
    "constant_": lambda l, t, g: l.nn.init.constant_(t, 0.25),
    "ones_": lambda l, t, g: l.nn.init.ones_(t),
    "zeros_": lambda l, t, g: l.nn.init.zeros_(t),
}
for _mode in ("fan_in", "fan_out"):
    for _nl, _a in (("leaky_relu", 0), ("leaky_relu", 0.2), ("relu", 0), ("tanh", 0), ("selu", 0), ("linear", 0),
                    ("sigmoid", 0), ("conv2d", 0)):
        for _kind in ("uniform", "normal"):
            CASES[f"kaiming_{_kind}_-{_mode}-{_nl}-{_a}"] = (
                lambda l, t, g, k=_kind, m=_mode, n=_nl, a=_a:
                getattr(l.nn.init, f"kaiming_{k}_")(t, a=a, mode=m, nonlinearity=n, generator=g))

SHAPES = [(7, 3), (3, 7), (4, 2, 3, 3), (6, 6, 3)]


def _draw(lib, case, shape, dtype, use_generator):
    lib.manual_seed(5)
    g = lib.Generator().manual_seed(11) if use_generator else None
    t = lib.empty(*shape, dtype=getattr(lib, dtype))
    out = CASES[case](lib, t, g)
    assert out is t
    return np.array(t.detach().numpy())


@pytest.mark.parametrize("use_generator", [False, True], ids=["global", "generator"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", sorted(CASES))
def test_init_matches_torch_after_the_same_seed(case, shape, dtype, use_generator):
    ours = _draw(minigrad, case, shape, dtype, use_generator)
    theirs = _draw(torch, case, shape, dtype, use_generator)
    assert ours.dtype == theirs.dtype
    if case == "orthogonal_":
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5 if dtype == "float32" else 1e-12)
    else:
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 1, 3, 3), 4), ((2, 5, 3), 1)])
def test_dirac_matches_torch(shape, groups):
    ours = minigrad.nn.init.dirac_(minigrad.empty(*shape), groups)
    theirs = torch.nn.init.dirac_(torch.empty(*shape), groups)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
@pytest.mark.parametrize("sparsity", [0.0, 0.3, 1.0])
def test_eye_and_sparse_match_torch(shape, sparsity):
    np.testing.assert_array_equal(minigrad.nn.init.eye_(minigrad.empty(*shape)).numpy(),
                                  torch.nn.init.eye_(torch.empty(*shape)).numpy())
    minigrad.manual_seed(2), torch.manual_seed(2)
    np.testing.assert_array_equal(minigrad.nn.init.sparse_(minigrad.empty(*shape), sparsity, 0.5).numpy(),
                                  torch.nn.init.sparse_(torch.empty(*shape), sparsity, 0.5).numpy())


@pytest.mark.parametrize("name,call", [
    ("uniform", lambda l, t: l.nn.init.uniform(t)), ("normal", lambda l, t: l.nn.init.normal(t)),
    ("constant", lambda l, t: l.nn.init.constant(t, 2.0)), ("eye", lambda l, t: l.nn.init.eye(t)),
    ("xavier_uniform", lambda l, t: l.nn.init.xavier_uniform(t)),
    ("xavier_normal", lambda l, t: l.nn.init.xavier_normal(t)),
    ("kaiming_uniform", lambda l, t: l.nn.init.kaiming_uniform(t)),
    ("kaiming_normal", lambda l, t: l.nn.init.kaiming_normal(t)),
    ("orthogonal", lambda l, t: l.nn.init.orthogonal(t)), ("sparse", lambda l, t: l.nn.init.sparse(t, 0.5))])
def test_deprecated_names_warn_and_fill_as_torch(name, call):
    results = []
    for lib in (minigrad, torch):
        lib.manual_seed(0)
        t = lib.empty(4, 3)
        with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`"):
            call(lib, t)
        results.append(t.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("call,error", [
    (lambda l: l.nn.init.dirac_(l.empty(3, 3)), ValueError), (lambda l: l.nn.init.dirac_(l.empty(3, 3, 3), 2),
                                                              ValueError),
    (lambda l: l.nn.init.eye_(l.empty(3)), ValueError), (lambda l: l.nn.init.sparse_(l.empty(3), 0.1), ValueError),
    (lambda l: l.nn.init.orthogonal_(l.empty(3)), ValueError),
    (lambda l: l.nn.init.kaiming_normal_(l.empty(3, 3), nonlinearity="swish"), ValueError),
    (lambda l: l.nn.init.xavier_normal_(l.empty(3)), ValueError)])
def test_init_errors_match_torch(call, error):
    for lib in (minigrad, torch):
        with pytest.raises(error):
            call(lib)


def test_trunc_normal_far_mean_warns_as_torch():
    for lib in (minigrad, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.nn.init.trunc_normal_(lib.empty(3), mean=10.0, std=1.0, a=-1.0, b=1.0)
        assert any("more than 2 std" in str(w.message) for w in caught)
