"""Forward-mode AD (autograd.forward_ad) against torch.autograd.forward_ad: tangents through
pointwise, matmul, reduction, shape and nn.functional ops, user Functions, mixed with reverse
mode, and the dual-level rules (make_dual / unpack_dual errors, tangents dropped at exit)."""
import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import minigrad
import minigrad.autograd.forward_ad as mfw

LIBS = ((torch, tfw), (minigrad, mfw))
RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 4))
TA = RNG.standard_normal((3, 4))
B = RNG.standard_normal((4, 2))
TB = RNG.standard_normal((4, 2))


def _nn(lib):
    import importlib
    return importlib.import_module(lib.__name__ + ".nn.functional")


CASES = {
    "pointwise": lambda lib, a, b: (a.exp() * a.sin() - a.tanh() / (1 + a * a)).sigmoid(),
    "pow_log_abs": lambda lib, a, b: (a.abs() + 1).log() ** 1.5 + a.clamp(-0.5, 0.5),
    "matmul": lambda lib, a, b: a @ b,
    "mm_addmm_bias": lambda lib, a, b: lib.addmm(lib.ones(3, 2, dtype=a.dtype), a, b).relu(),
    "sum_mean_dims": lambda lib, a, b: a.sum(1) + a.mean(0, keepdim=True).sum() - a.var(1) * a.std(1),
    "max_min_norm": lambda lib, a, b: a.max(1).values + a.amin(0).sum() + a.norm(),
    "softmax_logsumexp": lambda lib, a, b: a.softmax(-1) * a.logsumexp(1, keepdim=True),
    "shape_ops": lambda lib, a, b: lib.cat([a.t().reshape(2, 6), a[1:].flatten()[None, :6]], 0).transpose(0, 1)[::2],
    "stack_where": lambda lib, a, b: lib.where(a > 0, a * 2, -a).unsqueeze(0).expand(2, 3, 4).sum(0),
    "linear_gelu_layernorm": lambda lib, a, b: _nn(lib).layer_norm(_nn(lib).gelu(_nn(lib).linear(a, b.t())), (2,)),
    "cross_entropy": lambda lib, a, b: _nn(lib).cross_entropy(a, lib.tensor([0, 3, 1])),
    "mse_two_duals": lambda lib, a, b: _nn(lib).mse_loss(a[:, :2], (a @ b) * 0.5),
}


@pytest.mark.parametrize("name", list(CASES))
def test_tangents_as_torch(name):
    results = []
    for lib, fw in LIBS:
        with fw.dual_level():
            a = fw.make_dual(lib.tensor(A), lib.tensor(TA))
            b = fw.make_dual(lib.tensor(B), lib.tensor(TB))
            primal, tangent = fw.unpack_dual(CASES[name](lib, a, b))
            assert tangent is not None
            results.append((primal.numpy(), tangent.numpy(), tuple(tangent.shape), str(tangent.dtype)[-7:]))
    (p0, t0, s0, d0), (p1, t1, s1, d1) = results
    np.testing.assert_allclose(p1, p0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t1, t0, rtol=1e-10, atol=1e-12)
    assert (s1, d1) == (s0, d0)


def test_jvp_of_a_module_in_float32_and_its_weight_gradient_as_torch():
    """The tangent of a module's output depends on the weights, and (forward-over-reverse, as in
    torch) backward through the tangent reaches them."""
    outs = []
    for lib, fw in LIBS:
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2))
        with fw.dual_level():
            x = fw.make_dual(lib.tensor(A, dtype=lib.float32), lib.tensor(TA, dtype=lib.float32))
            out = fw.unpack_dual(net(x))
            assert out.tangent.requires_grad
            out.tangent.pow(2).sum().backward()
            outs.append((out.primal.detach().numpy(), out.tangent.detach().numpy(), str(out.tangent.dtype)[-7:],
                         net[0].weight.grad.numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-6)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-5, atol=1e-6)
    assert outs[1][2] == outs[0][2] == "float32"
    np.testing.assert_allclose(outs[1][3], outs[0][3], rtol=1e-4, atol=1e-6)


def test_user_function_gets_its_jvp_from_its_backward():
    class Cube(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g
    with mfw.dual_level():
        x = mfw.make_dual(minigrad.tensor(A), minigrad.tensor(TA))
        tangent = mfw.unpack_dual(Cube.apply(x)).tangent
    with tfw.dual_level():
        expected = tfw.unpack_dual(tfw.make_dual(torch.tensor(A), torch.tensor(TA)) ** 3).tangent
    np.testing.assert_allclose(tangent.numpy(), expected.numpy(), rtol=1e-12)


def test_non_differentiable_outputs_and_constants_have_no_tangent_as_torch():
    for lib, fw in LIBS:
        with fw.dual_level():
            a = fw.make_dual(lib.tensor(A), lib.tensor(TA))
            assert fw.unpack_dual(a.argmax(1)).tangent is None
            assert fw.unpack_dual(a > 0).tangent is None
            assert fw.unpack_dual(lib.tensor(B) * 2).tangent is None
            assert fw.unpack_dual(lib.tensor(B)).tangent is None


def test_reverse_mode_through_a_dual_tensor_as_torch():
    """The primal keeps its reverse-mode graph: backward still gives the gradient."""
    grads = []
    for lib, fw in LIBS:
        x = lib.tensor(A, requires_grad=True)
        with fw.dual_level():
            d = fw.make_dual(x, lib.tensor(TA))
            y = (d.exp() * d).sum()
            y.backward()
            tangent = fw.unpack_dual(y).tangent.item()
        grads.append((x.grad.numpy(), tangent))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-12)
    assert grads[1][1] == pytest.approx(grads[0][1], rel=1e-12)


def test_tangents_propagate_under_no_grad_as_torch():
    tangents = []
    for lib, fw in LIBS:
        with fw.dual_level(), lib.no_grad():
            d = fw.make_dual(lib.tensor(A), lib.tensor(TA))
            tangents.append(fw.unpack_dual((d * d).sum()).tangent.item())
    assert tangents[1] == pytest.approx(tangents[0], rel=1e-12)


def test_make_dual_and_levels_as_torch():
    for lib, fw in LIBS:
        x = lib.tensor(A)
        with pytest.raises(RuntimeError, match="no level exists"):
            fw.make_dual(x, lib.tensor(TA))
        with fw.dual_level():
            with pytest.raises(RuntimeError, match="different size than that of the original Tensor"):
                fw.make_dual(x, lib.ones(2))
            with pytest.raises(ValueError, match="Expected primal to be floating point or complex"):
                fw.make_dual(lib.arange(3), lib.arange(3))
            with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
                with fw.dual_level():
                    pass
            d = fw.make_dual(x, lib.tensor(TA))
            primal, tangent = fw.unpack_dual(d)
            assert fw.unpack_dual(primal).tangent is None and fw.unpack_dual(x).tangent is None
            np.testing.assert_array_equal(tangent.numpy(), TA)
            y = d * 3
            assert type(fw.unpack_dual(d)).__name__ == "UnpackedDualTensor"
        assert fw.unpack_dual(d).tangent is None and fw.unpack_dual(y).tangent is None   # dropped at exit


def test_jacobian_columns_by_forward_mode_match_reverse_mode_rows():
    """Forward mode gives J's columns, reverse mode its rows: the same matrix."""
    f = lambda x: (x.sin() @ minigrad.tensor(B)).tanh()  # noqa: E731
    x = minigrad.tensor(A[0])
    columns = []
    for k in range(4):
        with mfw.dual_level():
            e = minigrad.zeros(4, dtype=minigrad.float64)
            e[k] = 1
            columns.append(mfw.unpack_dual(f(mfw.make_dual(x, e))).tangent.numpy())
    rows = minigrad.autograd.functional.jacobian(f, x).numpy()
    np.testing.assert_allclose(np.stack(columns, 1), rows, rtol=1e-12)
