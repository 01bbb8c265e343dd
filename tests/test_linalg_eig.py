"""linalg.eig / linalg.eigvals against torch side by side: values, dtypes, eigenvectors up to their phase,
gradients of phase-invariant losses, the phase-dependent loss error, argument errors."""
import numpy as np
import pytest
import torch

import minigrad as mt

DTYPES = ["float32", "float64", "complex64", "complex128"]
TOL = {"float32": 1e-4, "complex64": 1e-4, "float64": 1e-10, "complex128": 1e-10}


def _matrix(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _pair(a):
    return mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _sorted(w):
    """Eigenvalues in a fixed order (by real part, then imaginary part), per matrix."""
    if w.ndim > 1:
        return np.stack([_sorted(x) for x in w]) if len(w) else w
    return w[np.lexsort((np.round(w.imag, 4), np.round(w.real, 4)))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5, 5), (0, 0), (2, 0, 0), (1, 1)])
def test_eig_values_vectors_match_torch(dtype, shape):
    a = _matrix(shape, dtype)
    (ours, theirs), tol = _pair(a), TOL[dtype]
    L, V = mt.linalg.eig(ours)
    Lt, Vt = torch.linalg.eig(theirs)
    assert str(L.dtype).split(".")[-1] == str(Lt.dtype).split(".")[-1] == str(V.dtype).split(".")[-1]
    assert tuple(L.shape) == tuple(Lt.shape) and tuple(V.shape) == tuple(Vt.shape)
    L, V, Lt, Vt = (x.detach().numpy() for x in (L, V, Lt, Vt))
    np.testing.assert_allclose(_sorted(L), _sorted(Lt), rtol=tol, atol=tol)
    # each eigenvector: norm 1 (torch's normalisation), and A V = V diag(L)
    np.testing.assert_allclose(np.linalg.norm(V, axis=-2), np.ones(L.shape), rtol=tol, atol=tol)
    np.testing.assert_allclose(a @ V, V * L[..., None, :], rtol=10 * tol, atol=10 * tol)
    # the same eigenvectors as torch's up to a phase: both are LAPACK's geev (same order, each of norm 1 with
    # its largest entry real), but the sign LAPACK builds choose differs (torch's float32 ones here)
    overlap = np.abs(np.einsum("...ij,...ij->...j", V.conj(), Vt))
    np.testing.assert_allclose(overlap, np.ones(L.shape), rtol=10 * tol, atol=10 * tol)
    np.testing.assert_allclose(mt.linalg.eigvals(ours).detach().numpy(), L, rtol=0, atol=0)


def _phase_free_losses(lib):
    return {
        "abs_values": lambda A: lib.linalg.eigvals(A).abs().sum(),
        "real_values": lambda A: (lib.linalg.eig(A)[0].real * lib.arange(A.shape[-1])).sum(),
        "abs_vectors": lambda A: (lib.linalg.eig(A)[1].abs() * lib.arange(A.shape[-1] ** 2).reshape(
            A.shape[-1], A.shape[-1])).sum(),
        "both": lambda A: (lib.linalg.eig(A)[0].imag ** 2).sum() + (lib.linalg.eig(A)[1].abs() ** 3).sum(),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", list(_phase_free_losses(np)))
def test_eig_gradients_match_torch(dtype, loss):
    a = _matrix((2, 4, 4), dtype, seed=1)
    ours, theirs = _pair(a)
    _phase_free_losses(mt)[loss](ours).backward()
    _phase_free_losses(torch)[loss](theirs).backward()
    assert str(ours.grad.dtype).split(".")[-1] == str(theirs.grad.dtype).split(".")[-1]
    tol = 100 * TOL[dtype]
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)


def test_eig_gradient_matches_finite_differences():
    a = _matrix((4, 4), "float64", seed=2)
    ours = mt.tensor(a, requires_grad=True)
    _phase_free_losses(mt)["both"](ours).backward()
    step, numeric = 1e-6, np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = step
        f = [float(_phase_free_losses(mt)["both"](mt.tensor(a + s * d))) for s in (1, -1)]
        numeric[i] = (f[0] - f[1]) / (2 * step)
    np.testing.assert_allclose(ours.grad.numpy(), numeric, rtol=1e-5, atol=1e-6)


def test_eig_names_and_phase_dependent_loss():
    ours, theirs = _pair(np.array([[1.0, -2.0], [3.0, 1.0]]))   # eigenvalues 1 +- i sqrt(6): complex eigenvectors
    for lib, A in ((mt, ours), (torch, theirs)):
        out = lib.linalg.eig(A)
        assert type(out).__name__ == "linalg_eig" and out.eigenvalues is out[0]
        assert out.eigenvalues.grad_fn.name() == "LinalgEigBackward0"
        assert lib.linalg.eigvals(A).grad_fn.name() == "LinalgEigBackward0"
    errors = []
    for lib, A in ((mt, ours), (torch, theirs)):
        with pytest.raises(RuntimeError, match="e\\^\\{i phi\\}") as info:
            lib.linalg.eig(A)[1].sum().abs().backward()
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


@pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental")
@pytest.mark.parametrize("make", [
    lambda lib: lib.linalg.eig(lib.ones(2, 3)),
    lambda lib: lib.linalg.eigvals(lib.ones(2, 3)),
    lambda lib: lib.linalg.eig(lib.ones(3)),
    lambda lib: lib.linalg.eig(lib.ones(2, 2, dtype=lib.int64)),
    lambda lib: lib.linalg.eigvals(lib.ones(2, 2, dtype=lib.int32)),
    lambda lib: lib.linalg.eig(lib.ones(2, 2, dtype=lib.float16)),
    lambda lib: lib.linalg.eig(lib.tensor([[1.0, float("nan")], [0.0, 1.0]])),
])
def test_eig_errors_match_torch(make):
    with pytest.raises(Exception) as theirs:
        make(torch)
    with pytest.raises(type(theirs.value)) as ours:
        make(mt)
    assert str(ours.value) == str(theirs.value)
