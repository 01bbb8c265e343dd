"""autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against torch.autograd.functional:
values, shapes, tuple structure, create_graph, strict mode and argument errors."""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import minigrad
import minigrad.autograd.functional as MF

LIBS = ((torch, TF), (minigrad, MF))
RNG = np.random.default_rng(0)
X = RNG.standard_normal(3)
Y = RNG.standard_normal((2, 3))
V3 = RNG.standard_normal(3)
V2 = RNG.standard_normal(3)


def _np(x):
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, tuple(_np(e) for e in x))
    assert isinstance(x, (torch.Tensor, minigrad.Tensor)), type(x)
    return (x.detach().numpy().copy(), tuple(x.shape), str(x.dtype).split(".")[-1])


def _assert_same(a, b):
    if isinstance(a[0], str):     # a container: its type name and its items
        assert a[0] == b[0] and len(a[1]) == len(b[1])
        for x, y in zip(a[1], b[1]):
            _assert_same(x, y)
        return
    assert a[1:] == b[1:]
    np.testing.assert_allclose(b[0], a[0], rtol=1e-10, atol=1e-12)


# functions written once, for either library (``lib`` is torch or minigrad)
def two_in_two_out(lib):
    return lambda a, b: ((a.exp() * b).sum(0), (a * a).sum() + b.tanh().mean())


def vector_to_vector(lib):
    return lambda a: lib.stack([a[0] * a[1], a[1].sin(), a.pow(3).sum()])


def scalar(lib):
    return lambda a: (a.sin() ** 2).sum() * a.prod()


def scalar_of_two(lib):
    return lambda a, b: (a @ b.t()).pow(2).sum() + (a * a).sum() * b.sum()


def _both(fn):
    out = []
    for lib, F in LIBS:
        t = lambda z: lib.tensor(z)  # noqa: E731
        out.append(_np(fn(lib, F, t)))
    _assert_same(*out)


@pytest.mark.parametrize("case", [
    lambda lib, F, t: F.jacobian(two_in_two_out(lib), (t(X), t(Y))),
    lambda lib, F, t: F.jacobian(vector_to_vector(lib), t(X)),
    lambda lib, F, t: F.jacobian(vector_to_vector(lib), (t(X),)),
    lambda lib, F, t: F.jacobian(lambda a: a.exp(), t(X), vectorize=True),
    lambda lib, F, t: F.jacobian(two_in_two_out(lib), (t(X), t(Y)), vectorize=True, strategy="forward-mode"),
    lambda lib, F, t: F.jacobian(lambda a: (a.exp(), a.sum()), t(X), vectorize=True, strategy="forward-mode"),
    lambda lib, F, t: F.jacobian(lambda a, b: a.exp() * b.sum(), (t(X), t(Y)), vectorize=True,
                                 strategy="forward-mode"),
    lambda lib, F, t: F.jacobian(lambda a: a.exp(), t(X), vectorize=True, strategy="forward-mode"),
    lambda lib, F, t: F.jacobian(lambda a, b: a * 2, (t(X), t(Y))),    # independent of b: zeros
    lambda lib, F, t: F.hessian(scalar(lib), t(X)),
    lambda lib, F, t: F.hessian(scalar_of_two(lib), (t(X[None]), t(Y))),
    lambda lib, F, t: F.vjp(two_in_two_out(lib), (t(X), t(Y)), (t(V3), t(1.5))),
    lambda lib, F, t: F.vjp(scalar(lib), t(X)),
    lambda lib, F, t: F.jvp(two_in_two_out(lib), (t(X), t(Y)), (t(V3), t(Y[::-1].copy()))),
    lambda lib, F, t: F.jvp(lambda a: a.exp().sum(), t(np.array([0.3]))),
    lambda lib, F, t: F.hvp(scalar(lib), t(X), t(V3)),
    lambda lib, F, t: F.vhp(scalar(lib), t(X), t(V3)),
    lambda lib, F, t: F.hvp(scalar_of_two(lib), (t(X[None]), t(Y)), (t(V2[None]), t(Y * 0.5))),
    lambda lib, F, t: F.vhp(scalar_of_two(lib), (t(X[None]), t(Y)), (t(V2[None]), t(Y * 0.5))),
], ids=["jacobian_tuple", "jacobian_vector", "jacobian_one_tuple", "jacobian_vectorize", "jacobian_forward_mode", "jacobian_forward_mode_tuple_out",
        "jacobian_forward_mode_tuple_in", "jacobian_forward_mode_tensor",
        "jacobian_unused_input", "hessian", "hessian_tuple", "vjp", "vjp_scalar", "jvp", "jvp_scalar", "hvp", "vhp",
        "hvp_tuple", "vhp_tuple"])
def test_values_and_structure_as_torch(case):
    _both(case)


@pytest.mark.parametrize("fn_name", ["vjp", "jvp", "hvp", "vhp", "jacobian", "hessian"])
def test_create_graph_results_are_differentiable_as_torch(fn_name):
    grads = []
    for lib, F in LIBS:
        x = lib.tensor(X, requires_grad=True)
        f = scalar(lib)
        v = lib.tensor(V3)
        call = {"vjp": lambda: F.vjp(f, x, create_graph=True)[1],
                "jvp": lambda: F.jvp(lambda a: a.exp() * a, x, v, create_graph=True)[1],
                "hvp": lambda: F.hvp(f, x, v, create_graph=True)[1],
                "vhp": lambda: F.vhp(f, x, v, create_graph=True)[1],
                "jacobian": lambda: F.jacobian(lambda a: a.exp() * a.sum(), x, create_graph=True),
                "hessian": lambda: F.hessian(f, x, create_graph=True)}[fn_name]
        result = call()
        assert result.requires_grad
        (g,) = lib.autograd.grad(result.sum(), x)
        grads.append(g.numpy())
        without = {"vjp": lambda: F.vjp(f, x)[1], "hessian": lambda: F.hessian(f, x)}.get(fn_name)
        if without is not None:
            assert not without().requires_grad
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10)


@pytest.mark.parametrize("case", [
    lambda lib, F: F.vjp(lambda a: a.detach() * 2, lib.tensor(X), lib.ones(3), strict=True),
    lambda lib, F: F.vjp(lambda a, b: a * 2, (lib.tensor(X), lib.tensor(Y)), lib.ones(3), strict=True),
    lambda lib, F: F.jacobian(lambda a, b: a * 2, (lib.tensor(X), lib.tensor(Y)), strict=True),
    lambda lib, F: F.jvp(lambda a, b: a * 2, (lib.tensor(X), lib.tensor(X)), (lib.ones(3), lib.ones(3)),
                         strict=True),
    lambda lib, F: F.hessian(lambda a: a.sum() * 2, lib.tensor(X), strict=True),
    lambda lib, F: F.hvp(lambda a: (a * 3).sum(), lib.tensor(X), lib.ones(3), strict=True),
    lambda lib, F: F.vhp(lambda a: (a * 3).sum(), lib.tensor(X), lib.ones(3), strict=True),
    lambda lib, F: F.jacobian(lambda a: a * 2, lib.tensor(X), strict=True, vectorize=True),
], ids=["vjp_detached_output", "vjp_unused_input", "jacobian_unused_input", "jvp_unused_input", "hessian_linear",
        "hvp_linear", "vhp_linear", "jacobian_strict_vectorize"])
def test_strict_mode_errors_as_torch(case):
    messages = []
    for lib, F in LIBS:
        with pytest.raises(RuntimeError) as info:
            case(lib, F)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


@pytest.mark.parametrize("case, error", [
    (lambda lib, F: F.vjp(lambda a: a * 2, lib.tensor(X)), RuntimeError),          # v needed
    (lambda lib, F: F.jvp(lambda a: a * 2, lib.tensor(X)), RuntimeError),
    (lambda lib, F: F.vjp(lambda a: a * 2, lib.tensor(X), lib.ones(2)), RuntimeError),   # v's size
    (lambda lib, F: F.jvp(lambda a, b: a * b, (lib.tensor(X), lib.tensor(X)), (lib.ones(3),)), RuntimeError),
    (lambda lib, F: F.jvp(lambda a, b: a * b, (lib.tensor(X), lib.tensor(X)), (lib.ones(3), lib.ones(2))),
     RuntimeError),
    (lambda lib, F: F.vjp(lambda a: a * 2, [lib.tensor(X)], lib.ones(3)), TypeError),    # a list
    (lambda lib, F: F.vjp(lambda a: a * 2, (lib.tensor(X), 3.0), lib.ones(3)), TypeError),
    (lambda lib, F: F.hessian(lambda a: a * 2, lib.tensor(X)), RuntimeError),      # not a scalar
    (lambda lib, F: F.hvp(lambda a: (a, a), lib.tensor(X), lib.ones(3)), RuntimeError),
    (lambda lib, F: F.vhp(lambda a: a * 2, lib.tensor(X), lib.ones(3)), RuntimeError),
    (lambda lib, F: F.jacobian(lambda a: a, lib.tensor(X), strategy="sideways"), AssertionError),
    (lambda lib, F: F.jacobian(lambda a: a, lib.tensor(X), strategy="forward-mode"), NotImplementedError),
    (lambda lib, F: F.jacobian(lambda a: a, lib.tensor(X), create_graph=True, vectorize=True,
                               strategy="forward-mode"), NotImplementedError),
], ids=["vjp_v_missing", "jvp_v_missing", "vjp_v_size", "jvp_v_length", "jvp_v_entry_size", "list_inputs",
        "non_tensor_input", "hessian_non_scalar", "hvp_tuple_output", "vhp_non_scalar", "bad_strategy",
        "forward_mode_without_vectorize", "forward_mode_create_graph"])
def test_argument_errors_as_torch(case, error):
    messages = []
    for lib, F in LIBS:
        with pytest.raises(error) as info:
            case(lib, F)
        # (spaces dropped: torch's forward-mode message reads "isonly")
        messages.append(str(info.value).replace("torch.", "").replace("minigrad.", "").replace(" ", ""))
    assert messages[1] == messages[0]


def test_inputs_are_left_alone():
    """The results do not keep a graph to the caller's tensors without create_graph, and the
    caller's tensors get no .grad (fresh tensors are differentiated)."""
    x = minigrad.tensor(X, requires_grad=True)
    out, g = MF.vjp(scalar(minigrad), x)
    assert not out.requires_grad and not g.requires_grad and x.grad is None
