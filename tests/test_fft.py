"""minigrad.fft against torch.fft: values, dtypes, shapes, node names and gradients for every
transform, with hypothesis-drawn shapes, sizes, dims and norms; gradcheck in double."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad

ONE_DIM = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
MULTI_DIM = ["fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn", "hfft2", "ihfft2", "hfftn",
             "ihfftn"]
REAL_ONLY = {"rfft", "rfft2", "rfftn", "ihfft", "ihfft2", "ihfftn"}
NORMS = [None, "backward", "ortho", "forward"]
DTYPES = {"float32": (np.float32, 1e-4), "float64": (np.float64, 1e-10), "complex64": (np.complex64, 1e-4),
          "complex128": (np.complex128, 1e-10)}


def _input(data, shape, np_dtype):
    values = data.draw(hnp.arrays(np.float64, shape + (2,), elements=st.floats(-2, 2)))
    if np.dtype(np_dtype).kind == "c":
        return (values[..., 0] + 1j * values[..., 1]).astype(np_dtype)
    return values[..., 0].astype(np_dtype)


def _weights(lib, y):
    return lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)))


def _loss(lib, y):
    """A real loss that sees every element's real and imaginary part differently (|y|^2, not |y|,
    whose kink at 0 would compare a bin one library rounds to 0 and the other to 1e-17)."""
    w = _weights(lib, y)
    if y.is_complex():
        return (y.real * w).sum() + (y.imag * w * w).sum() + (y * y.conj()).real.sum()
    return (y * w).sum()


def _check(name, kwargs, array, tol):
    m = minigrad.tensor(array, requires_grad=True)
    t = torch.tensor(array, requires_grad=True)
    try:
        expected = getattr(torch.fft, name)(t, **kwargs)
    except Exception as error:   # torch rejects the call: so must minigrad, with the same class
        with pytest.raises(type(error)):
            getattr(minigrad.fft, name)(m, **kwargs)
        return
    got = getattr(minigrad.fft, name)(m, **kwargs)
    assert str(got.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
    assert tuple(got.shape) == tuple(expected.shape)
    scale = max(1.0, float(expected.abs().max())) if expected.numel() else 1.0
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().resolve_conj().numpy(), rtol=tol,
                               atol=tol * scale)
    assert got.grad_fn.name() == expected.grad_fn.name()
    if expected.numel():
        _loss(minigrad, got).backward()
        _loss(torch, expected).backward()
        np.testing.assert_allclose(m.grad.numpy(), t.grad.resolve_conj().numpy(), rtol=10 * tol,
                                   atol=10 * tol * scale * expected.numel())


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("name", ONE_DIM)
@given(data=st.data())
def test_one_dim_transforms_match_torch(name, dtype, data):
    np_dtype, tol = DTYPES[dtype]
    if name in REAL_ONLY and dtype.startswith("complex"):
        np_dtype = np.float32 if dtype == "complex64" else np.float64
    ndim = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    kwargs = {"dim": data.draw(st.integers(-ndim, ndim - 1)), "norm": data.draw(st.sampled_from(NORMS))}
    n = data.draw(st.none() | st.integers(1, 9))
    if n is not None:
        kwargs["n"] = n
    _check(name, kwargs, _input(data, shape, np_dtype), tol)


@pytest.mark.parametrize("dtype", ["float64", "complex128", "float32"])
@pytest.mark.parametrize("name", MULTI_DIM)
@given(data=st.data())
def test_multi_dim_transforms_match_torch(name, dtype, data):
    np_dtype, tol = DTYPES[dtype]
    if name in REAL_ONLY and dtype == "complex128":
        np_dtype = np.float64
    ndim = data.draw(st.integers(2, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim)))
    kwargs = {"norm": data.draw(st.sampled_from(NORMS))}
    dims = data.draw(st.none() | st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    if name.endswith("2") and dims is not None and len(dims) != 2:
        dims = None
    if dims is not None:
        kwargs["dim"] = tuple(dims)
    if data.draw(st.booleans()):
        count = len(dims) if dims is not None else 2 if name.endswith("2") else data.draw(st.integers(1, ndim))
        kwargs["s"] = tuple(data.draw(st.lists(st.integers(1, 6) | st.just(-1), min_size=count, max_size=count)))
    _check(name, kwargs, _input(data, shape, np_dtype), tol)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.fft.fft(x, norm="sideways"), lambda lib, x: lib.fft.fft(x, n=0),
    lambda lib, x: lib.fft.fft(x, dim=3), lambda lib, x: lib.fft.fftn(x, dim=(0, 0)),
    lambda lib, x: lib.fft.fftn(x, s=(2, 3, 4)), lambda lib, x: lib.fft.fftn(x, s=(2, 3), dim=(0,)),
    lambda lib, x: lib.fft.fft(x.half()), lambda lib, x: lib.fft.rfft(x * 1j), lambda lib, x: lib.fft.irfft(x[:, :1]),
    lambda lib, x: lib.fft.fft(x.sum()),
], ids=["norm", "n0", "dim", "dims-repeat", "s-long", "s-dim-mismatch", "half", "rfft-complex", "irfft-n0", "0-d"])
def test_errors_match_torch(call):
    x = np.ones((4, 5))
    with pytest.raises(Exception) as expected:
        call(torch, torch.tensor(x))
    with pytest.raises(type(expected.value)):
        call(minigrad, minigrad.tensor(x))


def test_integer_input_becomes_default_float():
    for name in ("fft", "rfft", "ihfft"):
        got, expected = getattr(minigrad.fft, name)(minigrad.arange(6)), getattr(torch.fft, name)(torch.arange(6))
        assert str(got.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
        np.testing.assert_allclose(got.numpy(), expected.resolve_conj().numpy(), atol=1e-5)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "rfftn", "irfftn",
                                  "hfftn", "ihfft2"])
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_gradcheck_and_gradgradcheck_in_double(name, norm):
    rng = np.random.default_rng(0)
    shape = (3, 4)
    array = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if name not in REAL_ONLY else 0)
    x = minigrad.tensor(array, requires_grad=True)
    fn = getattr(minigrad.fft, name)
    kwargs = {"norm": norm, "n": 5} if not name[-1] in "2n" else {"norm": norm, "s": (2, 5)}
    assert minigrad.autograd.gradcheck(lambda x: fn(x, **kwargs), (x,))
    assert minigrad.autograd.gradgradcheck(lambda x: fn(x, **kwargs), (x,))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("d", [1.0, 0.3])
@pytest.mark.parametrize("dtype", [None, "float64", "complex64"])
def test_fftfreq_and_rfftfreq_match_torch(n, d, dtype):
    for name in ("fftfreq", "rfftfreq"):
        kw = {} if dtype is None else {"dtype": getattr(minigrad, dtype)}
        tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
        if dtype == "complex64":   # torch's arange has no complex kernel
            with pytest.raises(NotImplementedError):
                getattr(torch.fft, name)(n, d, **tkw)
            with pytest.raises(NotImplementedError):
                getattr(minigrad.fft, name)(n, d, **kw)
            continue
        got, expected = getattr(minigrad.fft, name)(n, d, **kw), getattr(torch.fft, name)(n, d, **tkw)
        assert str(got.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
        np.testing.assert_array_equal(got.numpy(), expected.numpy())   # bit for bit (NaN for rfftfreq(0))
    with pytest.raises(RuntimeError):
        minigrad.fft.fftfreq(4, dtype=minigrad.int64)


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1), (1,), ()])
def test_shifts_match_torch_with_gradients(name, dim):
    array = np.arange(15.0).reshape(3, 5) * (1 + 0.5j)
    m, t = minigrad.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    if dim == ():
        with pytest.raises(RuntimeError, match="shifts"):
            getattr(torch.fft, name)(t, dim=dim)
        with pytest.raises(RuntimeError, match="shifts"):
            getattr(minigrad.fft, name)(m, dim=dim)
        return
    got, expected = getattr(minigrad.fft, name)(m, dim=dim), getattr(torch.fft, name)(t, dim=dim)
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    _loss(minigrad, got).backward()
    _loss(torch, expected).backward()
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_round_trips():
    x = minigrad.randn(4, 6, dtype=minigrad.float64)
    np.testing.assert_allclose(minigrad.fft.irfft(minigrad.fft.rfft(x), n=6).numpy(), x.numpy(), atol=1e-12)
    np.testing.assert_allclose(minigrad.fft.ifftn(minigrad.fft.fftn(x)).real.numpy(), x.numpy(), atol=1e-12)
    np.testing.assert_allclose(minigrad.fft.hfft(minigrad.fft.ihfft(x), n=6).numpy(), x.numpy(), atol=1e-12)
