"""Complex tensors against torch: dtypes and promotion, creation, printing, views, and gradients
under torch's convention (the conjugate Wirtinger derivative), with hypothesis-drawn values."""
import io
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad.testing.strategies import shapes

CDTYPES = [(minigrad.complex64, torch.complex64, np.complex64), (minigrad.complex128, torch.complex128, np.complex128)]
TOL = {np.complex64: 2e-4, np.complex128: 1e-9, np.float32: 2e-4, np.float64: 1e-9}


def complex_arrays(np_dtype, shape, low=-2.0, high=2.0, away_from_zero=False):
    parts = hnp.arrays(np.float64, shape + (2,), elements=st.floats(low, high, allow_nan=False))
    values = parts.map(lambda a: (a[..., 0] + 1j * a[..., 1]).astype(np_dtype))
    if away_from_zero:
        values = values.filter(lambda a: np.all(np.abs(a) > 0.2))
    return values


def _pair(array):
    return minigrad.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_same(m, t, tol):
    t = t.detach().resolve_conj()
    assert str(m.dtype).split(".")[1] == str(t.dtype).split(".")[1], (m.dtype, t.dtype)
    assert tuple(m.shape) == tuple(t.shape)
    np.testing.assert_allclose(m.detach().numpy(), t.numpy(), rtol=tol, atol=tol)


# -- dtypes, promotion, creation ------------------------------------------------------------------
def test_dtype_names_and_properties():
    for name in ("complex64", "complex128", "cfloat", "cdouble", "complex32", "chalf"):
        assert repr(getattr(minigrad, name)) == repr(getattr(torch, name)).replace("torch", "minigrad")
    for m, t, _ in CDTYPES:
        assert (m.is_complex, m.is_floating_point, m.is_signed, m.itemsize) == \
            (t.is_complex, t.is_floating_point, t.is_signed, t.itemsize)
        assert minigrad.finfo(m).eps == torch.finfo(t).eps
    assert minigrad.float32.is_complex is False
    with pytest.raises(NotImplementedError, match="complex32"):
        minigrad.zeros(2, dtype=minigrad.complex32)


_OPERANDS = {
    "f32": (lambda lib: lib.ones(2)), "f64": (lambda lib: lib.ones(2, dtype=lib.float64)),
    "f16": (lambda lib: lib.ones(2, dtype=lib.float16)), "i64": (lambda lib: lib.ones(2, dtype=lib.int64)),
    "c64": (lambda lib: lib.ones(2, dtype=lib.complex64)), "c128": (lambda lib: lib.ones(2, dtype=lib.complex128)),
    "0d_f64": (lambda lib: lib.tensor(1.0, dtype=lib.float64)), "0d_c64": (lambda lib: lib.tensor(1j)),
    "0d_c128": (lambda lib: lib.tensor(1j, dtype=lib.complex128)), "py_complex": (lambda lib: 2 - 1j),
    "py_float": (lambda lib: 1.5), "py_int": (lambda lib: 3),
}


@pytest.mark.parametrize("a", ["f32", "f64", "i64", "c64", "c128", "0d_f64", "0d_c64"])
@pytest.mark.parametrize("b", ["f32", "f64", "i64", "c64", "c128", "0d_f64", "0d_c64", "0d_c128", "py_complex",
                               "py_float", "py_int"])
def test_promotion_matches_torch(a, b):
    """torch's result_type with complex operands of every tier, and the sum's values."""
    m, t = _OPERANDS[a](minigrad) + _OPERANDS[b](minigrad), _OPERANDS[a](torch) + _OPERANDS[b](torch)
    assert_same(m, t, 1e-6)
    assert repr(minigrad.result_type(_OPERANDS[a](minigrad), _OPERANDS[b](minigrad))).split(".")[1] == \
        repr(torch.result_type(_OPERANDS[a](torch), _OPERANDS[b](torch))).split(".")[1]


def test_promote_types_and_default_complex():
    for x, y in [("complex64", "float64"), ("complex64", "int64"), ("complex128", "float32"), ("complex64", "bool"),
                 ("complex64", "complex128")]:
        m = minigrad.promote_types(getattr(minigrad, x), getattr(minigrad, y))
        assert m.name == str(torch.promote_types(getattr(torch, x), getattr(torch, y))).split(".")[1]
    minigrad.set_default_dtype(minigrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        assert_same(minigrad.tensor([1j]), torch.tensor([1j]), 0)
        assert_same(minigrad.ones(2) * 1j, torch.ones(2) * 1j, 0)
    finally:
        minigrad.set_default_dtype(minigrad.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("data", [[1 + 2j, 3], 2j, [[1, 2.5], [1j, 0]], [True, 1j]])
def test_tensor_of_python_complex(data):
    m, t = minigrad.tensor(data), torch.tensor(data)
    assert_same(m, t, 0)
    assert m.tolist() == t.tolist()
    assert m.is_complex() and minigrad.is_complex(m) and not m.is_floating_point()


@pytest.mark.parametrize("call", [
    lambda lib: lib.full((2,), 1j), lambda lib: lib.full((2,), 1 - 1j, dtype=lib.complex128),
    lambda lib: lib.full((2,), 1j, dtype=lib.float32), lambda lib: lib.tensor([1j], dtype=lib.float32),
    lambda lib: lib.linspace(0, 1j, 3), lambda lib: lib.linspace(-1, 1 + 2j, 4, dtype=lib.complex128),
    lambda lib: lib.linspace(0, 1j, 3, dtype=lib.float32), lambda lib: lib.zeros(2, dtype=lib.cdouble),
    lambda lib: lib.tensor([[1, 1j]], dtype=lib.complex128), lambda lib: lib.ones(2).add_(1j),
], ids=["full", "full-c128", "full-into-float", "tensor-into-float", "linspace", "linspace-c128",
        "linspace-into-float", "zeros", "tensor-c128", "inplace-add-into-float"])
def test_factories_never_drop_an_imaginary_part(call):
    """A complex value is stored as complex or refused (torch's error class), never cast to its real part."""
    try:
        expected = call(torch)
    except Exception as error:
        with pytest.raises(type(error)):
            call(minigrad)
        return
    assert_same(call(minigrad), expected, 1e-6)


def test_item_complex_and_casts():
    m, t = minigrad.tensor([1.5 - 2j]), torch.tensor([1.5 - 2j])
    assert m.item() == t.item() and complex(m) == complex(t)
    assert_same(m.cdouble(), t.cdouble(), 0)
    assert_same(minigrad.tensor([1.0, 2.0]).cfloat(), torch.tensor([1.0, 2.0]).cfloat(), 0)
    with pytest.warns(UserWarning):
        t_real = t.to(torch.float32)   # torch warns that the imaginary part is dropped
    assert_same(m.to(minigrad.float32), t_real, 0)


@pytest.mark.parametrize("data", [[1 + 2j, -3.5 - 1e-5j, 1e10j], [[1 + 1j, 2], [3, 4]], 1 + 1j,
                                  [float("nan") + 1j, float("inf") * 1j], [0.5 - 0.25j] * 2000, [], [-0.0 - 0.0j]])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_printing_matches_torch(data, dtype):
    m, t = minigrad.tensor(data, dtype=getattr(minigrad, dtype)), torch.tensor(data, dtype=getattr(torch, dtype))
    assert repr(m).replace("minigrad", "torch") == repr(t)


def test_save_load_and_pickle(tmp_path):
    m = minigrad.tensor([[1 + 2j, -3j]], dtype=minigrad.complex128)
    path = tmp_path / "z.pt"
    minigrad.save({"z": m}, path)
    back = minigrad.load(path)["z"]
    assert back.dtype == minigrad.complex128 and np.array_equal(back.numpy(), m.numpy())
    assert np.array_equal(pickle.loads(pickle.dumps(m)).numpy(), m.numpy())
    buffer = io.BytesIO()   # a file torch wrote loads in minigrad, and the other way round
    torch.save(torch.tensor([1 - 1j, 2j]), buffer)
    buffer.seek(0)
    assert np.array_equal(minigrad.load(buffer).numpy(), np.array([1 - 1j, 2j], np.complex64))
    buffer = io.BytesIO()
    minigrad.save(m, buffer)
    buffer.seek(0)
    assert torch.equal(torch.load(buffer), torch.tensor(m.numpy()))


# -- views and parts ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtypes_", CDTYPES, ids=["complex64", "complex128"])
@given(data=st.data())
def test_parts_and_views_forward(dtypes_, data):
    _, _, np_dtype = dtypes_
    a = data.draw(complex_arrays(np_dtype, data.draw(shapes(0, 3, 0, 4))))
    m, t = minigrad.tensor(a), torch.tensor(a)
    for name in ("real", "imag"):
        assert_same(getattr(m, name), getattr(t, name), 0)
        assert_same(getattr(minigrad, name)(m), getattr(torch, name)(t), 0)
    for name in ("view_as_real", "conj", "conj_physical", "resolve_conj", "resolve_neg", "angle", "abs"):
        assert_same(getattr(minigrad, name)(m), getattr(torch, name)(t), 1e-6 if name in ("angle", "abs") else 0)
    assert_same(minigrad.view_as_complex(minigrad.view_as_real(m)), t, 0)
    if a.ndim >= 2:
        assert_same(m.mH, t.mH, 0)


def test_real_and_imag_are_writable_views():
    m, t = minigrad.tensor([1 + 2j, 3 - 4j]), torch.tensor([1 + 2j, 3 - 4j])
    for lib, z in ((minigrad, m), (torch, t)):
        z.real[0] = 10
        z.imag.mul_(2)
        lib.view_as_real(z)[1, 0] = -1
    assert_same(m, t, 0)
    assert minigrad.real(minigrad.ones(2)) is not None and not m.is_conj() and not m.is_neg()


def test_part_errors_match_torch():
    for call in (lambda lib: lib.imag(lib.ones(2)), lambda lib: lib.view_as_real(lib.ones(2)),
                 lambda lib: lib.view_as_complex(lib.ones(3)), lambda lib: lib.view_as_complex(lib.ones(2, 4)[:, 1:3]),
                 lambda lib: lib.view_as_complex(lib.ones(2, 4)[:, ::2]),
                 lambda lib: lib.view_as_complex(lib.ones(2, dtype=lib.int64)),
                 lambda lib: lib.complex(lib.ones(2), lib.ones(2, dtype=lib.float64)),
                 lambda lib: lib.polar(lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.int64))):
        with pytest.raises(Exception) as expected:
            call(torch)
        with pytest.raises(type(expected.value)):
            call(minigrad)


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
@given(data=st.data())
def test_complex_and_polar_with_gradients(np_dtype, data):
    shape = data.draw(shapes(0, 2, 1, 4))
    a = data.draw(hnp.arrays(np_dtype, shape, elements=st.floats(-3, 3, width=32)))
    b = data.draw(hnp.arrays(np_dtype, shape, elements=st.floats(-3, 3, width=32)))
    (ma, ta), (mb, tb) = _pair(a), _pair(b)
    for name in ("complex", "polar"):
        m, t = getattr(minigrad, name)(ma, mb), getattr(torch, name)(ta, tb)
        assert_same(m, t, TOL[np_dtype])
        assert m.grad_fn.name() == t.grad_fn.name()
        weights = np.arange(1, t.numel() + 1).reshape(t.shape)
        mg = minigrad.autograd.grad((m.abs() + m.real * minigrad.tensor(weights) + m.imag).sum(), (ma, mb))
        tg = torch.autograd.grad((t.abs() + t.real * torch.tensor(weights) + t.imag).sum(), (ta, tb))
        for x, y in zip(mg, tg):
            assert_same(x, y, 20 * TOL[np_dtype])


# -- gradients under torch's convention -------------------------------------------------------------
def _unary(name):
    return lambda lib, z: getattr(lib, name)(z)


UNARY = {name: _unary(name) for name in ("exp", "log", "sqrt", "abs", "angle", "real", "conj", "neg",
                                          "conj_physical", "view_as_real")}
UNARY.update({
    "imag": lambda lib, z: z.imag,
    "pow2": lambda lib, z: z ** 2, "pow_half": lambda lib, z: z ** 0.5, "pow_complex": lambda lib, z: z ** (1 - 0.5j),
    "rpow": lambda lib, z: (0.5 + 1j) ** z, "scalar_mul": lambda lib, z: z * (2 - 3j), "scalar_div": lambda lib, z: (1 + 1j) / z,
    "sum_dim": lambda lib, z: z.sum(-1) if z.ndim else z.sum(), "mean": lambda lib, z: z.mean(),
    "reshape_index": lambda lib, z: z.reshape(-1)[::2], "transpose_cat": lambda lib, z: lib.cat([z.mT, z.mT], 0)
    if z.ndim >= 2 else lib.stack([z, z]),
    "add_alpha": lambda lib, z: lib.add(z, z * z, alpha=2 - 1j), "sub_alpha": lambda lib, z: lib.sub(z, z.exp(), alpha=1j),
    "where": lambda lib, z: lib.where(z.real > 0, z, z * 1j),
})
BINARY = {
    "add": lambda lib, x, y: x + y, "sub": lambda lib, x, y: x - y, "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / y, "pow": lambda lib, x, y: x ** y,
    "matmul": lambda lib, x, y: (x.reshape(-1, 1) @ y.reshape(1, -1)) @ x.reshape(-1, 1).conj(),
}


def _losses(lib, w):
    """The two real losses the brief names: Re(w).sum() and |w|.sum(), plus Im with weights to tell
    elements apart."""
    yield w.real.sum() if w.is_complex() else w.sum()
    yield w.abs().sum()
    if w.is_complex():
        yield (w.imag * lib.arange(w.numel()).reshape(w.shape)).sum()


def _compare_grads(m_out, t_out, m_inputs, t_inputs, tol):
    for lm, lt in zip(_losses(minigrad, m_out), _losses(torch, t_out)):
        mg = minigrad.autograd.grad(lm, m_inputs, retain_graph=True)
        tg = torch.autograd.grad(lt, t_inputs, retain_graph=True)
        for x, y in zip(mg, tg):
            assert_same(x, y, tol)


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("dtypes_", CDTYPES, ids=["complex64", "complex128"])
@given(data=st.data())
def test_unary_gradients_match_torch(op, dtypes_, data):
    _, _, np_dtype = dtypes_
    a = data.draw(complex_arrays(np_dtype, data.draw(shapes(1, 2, 1, 4)), away_from_zero=True))
    m, t = _pair(a)
    m_out, t_out = UNARY[op](minigrad, m), UNARY[op](torch, t)
    assert_same(m_out, t_out, TOL[np_dtype])
    assert m_out.grad_fn.name() == t_out.grad_fn.name()
    _compare_grads(m_out, t_out, (m,), (t,), 50 * TOL[np_dtype])


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("real_side", [None, 0, 1])
@given(data=st.data())
def test_binary_gradients_match_torch(op, real_side, data):
    """Complex with complex, and a real operand with a complex one (its gradient is the real part)."""
    shape = data.draw(shapes(1, 2, 1, 3))
    arrays = [data.draw(complex_arrays(np.complex128, shape, away_from_zero=True)) for _ in range(2)]
    if real_side is not None:
        if op == "matmul":
            return   # torch's matmul wants one dtype
        arrays[real_side] = arrays[real_side].real + 1.5
    (mx, tx), (my, ty) = _pair(arrays[0]), _pair(arrays[1])
    m_out, t_out = BINARY[op](minigrad, mx, my), BINARY[op](torch, tx, ty)
    assert_same(m_out, t_out, 1e-9)
    _compare_grads(m_out, t_out, (mx, my), (tx, ty), 1e-7)


@given(data=st.data())
def test_gradcheck_in_double(data):
    """minigrad's gradcheck (finite differences along both real directions of each complex input,
    complex outputs as their two parts) passes on chains of ops, for complex and real outputs."""
    a = data.draw(complex_arrays(np.complex128, data.draw(shapes(1, 2, 1, 3)), away_from_zero=True))
    z = minigrad.tensor(a, requires_grad=True)
    chain = lambda z: (z.exp() * z.conj() / (z + 3)).sqrt()   # noqa: E731
    assert minigrad.autograd.gradcheck(chain, (z,))
    assert minigrad.autograd.gradcheck(lambda z: chain(z).abs() + z.angle(), (z,))
    assert minigrad.autograd.gradgradcheck(lambda z: z * z.exp() + z.real, (z,))


class _MissingConj(minigrad.autograd.Function):
    """z^2 with the textbook derivative 2z, not torch's conj(2z): a gradient gradcheck must reject."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z * z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * 2 * z


def test_gradcheck_rejects_a_missing_conj():
    z = minigrad.tensor([0.5 + 1j, -1 + 0.3j], dtype=minigrad.complex128, requires_grad=True)
    assert not minigrad.autograd.gradcheck(_MissingConj.apply, (z,), raise_exception=False)
    assert torch.autograd.gradcheck(lambda t: t * t, (torch.tensor(z.detach().numpy(), requires_grad=True),))


def test_second_derivative_matches_torch():
    a = np.array([0.5 + 1j, -1 + 0.25j])
    (m, t) = _pair(a)
    gm, = minigrad.autograd.grad((m * m.exp()).abs().sum(), m, create_graph=True)
    gt, = torch.autograd.grad((t * t.exp()).abs().sum(), t, create_graph=True)
    assert_same(minigrad.autograd.grad(gm.real.sum(), m)[0], torch.autograd.grad(gt.real.sum(), t)[0], 1e-9)


def test_real_input_times_complex_gets_real_gradient():
    m, t = _pair(np.array([1.0, -2.0]))
    (m * (1 + 2j)).abs().sum().backward()
    (t * (1 + 2j)).abs().sum().backward()
    assert_same(m.grad, t.grad, 1e-6)


# -- ops without complex support raise instead of answering ----------------------------------------------
@pytest.mark.parametrize("call", [
    lambda lib, z: lib.relu(z), lambda lib, z: lib.sin(z), lambda lib, z: lib.sigmoid(z), lambda lib, z: z.max(),
    lambda lib, z: lib.sort(z), lambda lib, z: lib.cumprod(z, 0), lambda lib, z: lib.nn.functional.softmax(z, 0),
    lambda lib, z: lib.clamp(z, 0, 1), lambda lib, z: z < z, lambda lib, z: lib.floor(z),
], ids=["relu", "sin", "sigmoid", "max", "sort", "cumprod", "softmax", "clamp", "lt", "floor"])
def test_unsupported_ops_raise(call):
    """An op whose complex formulas are not checked raises (torch computes some of these; minigrad
    refuses rather than return a wrong number)."""
    z = minigrad.tensor([1 + 1j, 2 - 1j])
    with pytest.raises(RuntimeError, match="omplex"):
        call(minigrad, z)


def test_torch_opinfo_runner_checks_complex_gradients(monkeypatch):
    """torch's OpInfo samples run in complex dtypes for the complex-capable ops, and the runner is not
    blind there: exp with the textbook derivative (no conj) fails its gradient samples."""
    pytest.importorskip("expecttest")
    from minigrad.testing import torch_opinfo
    info = next(o for o in torch_opinfo.load_op_db() if o.name == "exp")
    rows = torch_opinfo.run_opinfo(info, "complex128", max_samples=3)
    assert rows and all(r.status == "pass" for r in rows)

    class ExpWithoutConj(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            out = z.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return g * out

    monkeypatch.setattr(minigrad, "exp", ExpWithoutConj.apply)
    rows = torch_opinfo.run_opinfo(info, "complex128", max_samples=3)
    assert any(r.status == "fail" and r.stage == "grad" for r in rows)
    assert torch_opinfo.run_opinfo(next(o for o in torch_opinfo.load_op_db() if o.name == "sin"), "complex64") == []
