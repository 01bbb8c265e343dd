"""torch's OpInfo corner cases for linalg (and a few ops beside it), run side by side with torch:
tolerances given as Tensors."""
import numpy as np
import pytest
import torch

import minigrad


def _both(array, requires_grad=False):
    return (torch.tensor(array, requires_grad=requires_grad),
            minigrad.tensor(array, requires_grad=requires_grad))


def _same_kind(ours, theirs):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)


def _close(ours, theirs, rtol=1e-7, atol=1e-7):
    _same_kind(ours, theirs)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


# -- tolerances as Tensors: one per matrix of the batch, broadcast ------------------------------------
RANK_DEFICIENT = np.array([[[1.0, 0, 0], [0, 1e-3, 0], [0, 0, 1e-9]],
                           [[2.0, 0, 0], [0, 0.5, 0], [0, 0, 1e-2]]])


@pytest.mark.parametrize("tolerances", [
    {"atol": [1e-4, 0.1]}, {"rtol": [1e-4, 0.1]}, {"atol": [0.0, 0.0]}, {"atol": [1e-12, 1e-1], "rtol": [0.1, 0.0]},
    {"atol": [[1e-4], [0.1]]},   # broadcast to a (2, 2) batch
])
@pytest.mark.parametrize("hermitian", [False, True])
def test_matrix_rank_with_tensor_tolerances(tolerances, hermitian):
    t_a, m_a = _both(RANK_DEFICIENT)
    t_kw = {k: torch.tensor(v) for k, v in tolerances.items()}
    m_kw = {k: minigrad.tensor(v) for k, v in tolerances.items()}
    theirs = torch.linalg.matrix_rank(t_a, hermitian=hermitian, **t_kw)
    ours = minigrad.linalg.matrix_rank(m_a, hermitian=hermitian, **m_kw)
    _same_kind(ours, theirs)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("tolerances", [{"rtol": [1e-4, 0.1]}, {"atol": [1e-4, 0.1]}, {"rtol": 0.05},
                                        {"atol": 0.0}])
@pytest.mark.parametrize("hermitian", [False, True])
def test_pinv_with_tensor_tolerances_values_and_grads(tolerances, hermitian):
    t_a, m_a = _both(RANK_DEFICIENT, requires_grad=True)
    t_kw = {k: torch.tensor(v) for k, v in tolerances.items()}
    m_kw = {k: minigrad.tensor(v) for k, v in tolerances.items()}
    theirs = torch.linalg.pinv(t_a, hermitian=hermitian, **t_kw)
    ours = minigrad.linalg.pinv(m_a, hermitian=hermitian, **m_kw)
    _close(ours, theirs)
    upstream = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    theirs.backward(torch.tensor(upstream))
    ours.backward(minigrad.tensor(upstream))
    _close(m_a.grad, t_a.grad, rtol=1e-6, atol=1e-6)


# -- the OpInfo runner compares gauge-dependent factorizations through torch's invariant view --------------
def test_runner_accepts_singular_vectors_of_another_sign_and_rejects_wrong_values(monkeypatch):
    """torch (MKL's LAPACK) and NumPy (OpenBLAS's) may return singular vectors of opposite signs: both are
    valid SVDs, and the runner passes them as torch's test_compare_cpu does. A wrong singular value or a
    vector that is not one still fails."""
    pytest.importorskip("expecttest")
    from minigrad.testing import torch_opinfo
    info = next(o for o in torch_opinfo.load_op_db() if o.name == "linalg.svd")
    real_svd = minigrad.linalg.svd

    def flipped(A, *args, **kwargs):
        U, S, Vh = real_svd(A, *args, **kwargs)
        sign = minigrad.tensor(np.where(np.arange(S.shape[-1]) % 2, -1.0, 1.0), dtype=A.dtype)
        k = S.shape[-1]
        return (U[..., :k] * sign, S, Vh[..., :k, :] * sign.unsqueeze(-1)) if k == U.shape[-1] == Vh.shape[-2] \
            else (U, S, Vh)

    monkeypatch.setattr(minigrad.linalg, "svd", flipped)
    rows = torch_opinfo.run_opinfo(info, "float64", max_samples=40)
    assert all(r.status == "pass" for r in rows), [r for r in rows if r.status != "pass"][:2]

    monkeypatch.setattr(minigrad.linalg, "svd", lambda A, *a, **k: (lambda u, s, v: (u, s * 1.01, v))(
        *real_svd(A, *a, **k)))
    rows = torch_opinfo.run_opinfo(info, "float64", max_samples=40)
    nonempty = [min(s.input.shape[-2:]) > 0 for s in info.sample_inputs("cpu", torch.float64)][:40]
    assert [r.status == "fail" and r.stage == "forward" for r in rows] == nonempty and any(nonempty)

    def rotated(A, *args, **kwargs):   # U's first two columns mixed: no longer singular vectors
        U, S, Vh = real_svd(A, *args, **kwargs)
        if U.shape[-1] < 2:
            return U, S, Vh
        c, s = np.cos(0.3), np.sin(0.3)
        mix = np.eye(U.shape[-1])
        mix[:2, :2] = [[c, -s], [s, c]]
        return U @ minigrad.tensor(mix, dtype=A.dtype), S, Vh

    monkeypatch.setattr(minigrad.linalg, "svd", rotated)
    rows = torch_opinfo.run_opinfo(info, "float64", max_samples=40)
    assert any(r.status == "fail" and r.stage == "forward" and "in torch's gauge" in r.message for r in rows)


# -- cholesky_solve / cholesky_inverse: torch's gradient of the factor, its ignored triangle included -------
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse_grads_match_torch_in_both_triangles(upper):
    rng = np.random.default_rng(1)
    spd = rng.standard_normal((2, 4, 4))
    spd = spd @ np.swapaxes(spd, -1, -2) + 4 * np.eye(4)
    factor = np.linalg.cholesky(spd)
    factor = np.swapaxes(factor, -1, -2) if upper else factor
    factor = factor + np.triu(rng.standard_normal((4, 4)), 1).T if not upper else factor  # junk the op ignores
    b = rng.standard_normal((2, 4, 3))
    for call in (lambda lib, F, B: lib.cholesky_solve(B, F, upper), lambda lib, F, B: lib.cholesky_inverse(F, upper)):
        t_f, m_f = _both(factor, requires_grad=True)
        t_b, m_b = _both(b, requires_grad=True)
        theirs, ours = call(torch, t_f, t_b), call(minigrad, m_f, m_b)
        _close(ours, theirs, rtol=1e-10, atol=1e-12)
        assert ours.grad_fn.name() == theirs.grad_fn.name()
        upstream = rng.standard_normal(tuple(theirs.shape))
        theirs.backward(torch.tensor(upstream))
        ours.backward(minigrad.tensor(upstream))
        assert np.abs(np.triu(t_f.grad.numpy(), 1) if not upper else np.tril(t_f.grad.numpy(), -1)).max() > 0
        _close(m_f.grad, t_f.grad, rtol=1e-9, atol=1e-10)
        if t_b.grad is not None:
            _close(m_b.grad, t_b.grad, rtol=1e-9, atol=1e-10)


def test_cholesky_solve_and_inverse_reject_integers_as_torch():
    for lib in (torch, minigrad):
        ints = lib.ones(2, 2, dtype=lib.int64)
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            lib.cholesky_inverse(ints)
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            lib.cholesky_solve(ints, ints)


def test_runner_checks_finite_differences_where_torch_expects_its_own_gradcheck_to_fail(monkeypatch):
    """as_strided_scatter's gradient in torch ignores which elements src overwrites and the storage offset
    (torch's OpInfo marks its gradcheck an expected failure); minigrad's is checked against finite differences
    there, and a wrong one still fails."""
    pytest.importorskip("expecttest")
    from minigrad.testing import torch_opinfo
    info = next(o for o in torch_opinfo.load_op_db() if o.name == "as_strided_scatter")
    assert torch_opinfo._torch_grad_known_wrong(info, "float64")
    rows = torch_opinfo.run_opinfo(info, "float64")
    assert rows and all(r.status == "pass" for r in rows)
    # torch's own gradient really is wrong here: its gradcheck fails on the first sample
    sample = next(iter(info.sample_inputs("cpu", torch.float64, requires_grad=True)))
    call = lambda x, src: torch.as_strided_scatter(x, src, *sample.args[1:], **sample.kwargs)  # noqa: E731
    assert not torch.autograd.gradcheck(call, (sample.input, sample.args[0]), raise_exception=False)

    real = minigrad.as_strided_scatter   # the same forward, twice the input's gradient
    monkeypatch.setattr(minigrad, "as_strided_scatter",
                        lambda input, src, *a, **k: real(input * 2 - input.detach(), src, *a, **k))
    rows = torch_opinfo.run_opinfo(info, "float64")
    failed = [r for r in rows if r.status == "fail"]
    assert len(failed) >= 4 and all(r.stage == "grad" and "finite differences" in r.message for r in failed)


# -- torch.norm(p='nuc'): the sum of singular values, as linalg.matrix_norm ----------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"dim": (0, 1)}, {"dim": (1, 0), "keepdim": True}, {"dim": (-1, -2)}])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2)])
def test_norm_nuc_values_and_grads(shape, kwargs):
    if len(shape) == 3 and not kwargs:
        kwargs = {"dim": (0, 2)}
    a = np.random.default_rng(2).standard_normal(shape)
    t_a, m_a = _both(a, requires_grad=True)
    theirs, ours = torch.norm(t_a, "nuc", **kwargs), minigrad.norm(m_a, "nuc", **kwargs)
    _close(ours, theirs, rtol=1e-12, atol=1e-12)
    upstream = np.random.default_rng(3).standard_normal(tuple(theirs.shape))
    theirs.backward(torch.tensor(upstream))
    ours.backward(minigrad.tensor(upstream))
    _close(m_a.grad, t_a.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [lambda lib: lib.norm(lib.ones(2, 2, 2), "nuc"),
                                  lambda lib: lib.norm(lib.ones(2, 2), "nuc", dim=(0, 0)),
                                  lambda lib: lib.norm(lib.ones(2, 2), "nuc", dim=(0,)),
                                  lambda lib: lib.norm(lib.ones(2, 2, dtype=lib.int64), "nuc")])
def test_norm_nuc_errors_match_torch(call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(minigrad)
    assert str(ours.value).split(":")[0] == str(theirs.value).split(":")[0]
    assert str(ours.value)[:40] == str(theirs.value)[:40]


# -- tensordot: a contracted size-1 dim broadcasts against the other's (summed first, as torch) -------------
@pytest.mark.parametrize("shapes,dims", [(((1, 1, 1), (2, 1, 2)), ([0, 1], [2, 0])), (((3, 1), (2, 4)), ([1], [0])),
                                         (((3, 2), (1, 4)), ([1], [0])), (((2, 3, 1), (1, 3, 5)), 2)])
def test_tensordot_size_one_contractions(shapes, dims):
    rng = np.random.default_rng(4)
    t_a, m_a = _both(rng.standard_normal(shapes[0]), requires_grad=True)
    t_b, m_b = _both(rng.standard_normal(shapes[1]), requires_grad=True)
    theirs, ours = torch.tensordot(t_a, t_b, dims=dims), minigrad.tensordot(m_a, m_b, dims=dims)
    _close(ours, theirs, rtol=1e-12, atol=1e-12)
    upstream = rng.standard_normal(tuple(theirs.shape))
    theirs.backward(torch.tensor(upstream))
    ours.backward(minigrad.tensor(upstream))
    _close(m_a.grad, t_a.grad, rtol=1e-12, atol=1e-12)
    _close(m_b.grad, t_b.grad, rtol=1e-12, atol=1e-12)


def test_tensordot_mismatched_contraction_still_raises_as_torch():
    for lib in (torch, minigrad):
        with pytest.raises(RuntimeError, match="first has size 3 in dim 1 and second has size 2 in dim 0"):
            lib.tensordot(lib.ones(2, 3), lib.ones(2, 4), dims=([1], [0]))


# -- batch_norm of an empty input: torch's shortcut (a copy times weight[0] plus bias[0]), no statistics ----
@pytest.mark.parametrize("shape,channels", [((0,), 0), ((0,), 3), ((0, 3), 3), ((0, 3, 2), 3)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [False, True])
def test_batch_norm_of_an_empty_input(shape, channels, training, affine):
    results = []
    for lib in (torch, minigrad):
        x = lib.zeros(*shape, dtype=lib.float64, requires_grad=True)
        rm, rv = lib.zeros(channels, dtype=lib.float64), lib.ones(channels, dtype=lib.float64)
        w = lib.ones(channels, dtype=lib.float64, requires_grad=True) if affine and channels else None
        b = lib.zeros(channels, dtype=lib.float64, requires_grad=True) if affine and channels else None
        y = lib.nn.functional.batch_norm(x, rm, rv, w, b, training=training)
        y.sum().backward()
        results.append((tuple(y.shape), y.grad_fn.name(), tuple(x.grad.shape), rm.tolist(), rv.tolist(),
                        None if w is None else (w.grad.tolist(), b.grad.tolist())))
    assert results[0] == results[1]


# -- normal(mean, std, size): torch's factory keywords -----------------------------------------------------
def test_normal_number_overload_takes_layout_and_pin_memory():
    draws = []
    for lib in (torch, minigrad):
        lib.manual_seed(5)
        draws.append(lib.normal(1.6, 0.3, [2, 3], dtype=lib.float64, layout=lib.strided, device="cpu",
                                pin_memory=False))
    _close(draws[1], draws[0], rtol=0, atol=0)
    for lib in (torch, minigrad):
        with pytest.raises(TypeError):
            lib.normal(lib.zeros(2), 1.0, layout=lib.strided)
        with pytest.raises(NotImplementedError, match="aten::normal_"):
            lib.normal(0.0, 1.0, [2], layout=lib.sparse_coo)


# -- linalg.vander of a 0-d tensor: one element, as torch ----------------------------------------------------
@pytest.mark.parametrize("N", [2, 4])
def test_vander_of_a_zero_dim_tensor(N):
    t_x, m_x = _both(np.array(1.7), requires_grad=True)
    theirs, ours = torch.linalg.vander(t_x, N=N), minigrad.linalg.vander(m_x, N=N)
    _close(ours, theirs, rtol=1e-15, atol=0)
    upstream = np.arange(1.0, N + 1)[None]
    theirs.backward(torch.tensor(upstream))
    ours.backward(minigrad.tensor(upstream))
    _close(m_x.grad, t_x.grad, rtol=1e-14, atol=0)
    for lib in (torch, minigrad):
        with pytest.raises(RuntimeError, match="N must be greater than 1"):
            lib.linalg.vander(lib.tensor(1.7))


# -- logcumsumexp's gradient: torch's log-space formula (O(n) along dim) --------------------------------------
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("shape,dim", [((5, 5, 5), 0), ((5, 5, 5), 1), ((3, 4000), 1), ((7,), 0)])
def test_logcumsumexp_grad_matches_torch(shape, dim, dtype, tol):
    rng = np.random.default_rng(6)
    x = rng.uniform(-3, 3, shape).astype(dtype)
    g = np.abs(rng.standard_normal(shape)).astype(dtype)   # one sign: no cancellation between g's two parts
    g[..., ::3] *= -1 if len(shape) == 1 else 1
    t_x, m_x = _both(x, requires_grad=True)
    theirs, ours = torch.logcumsumexp(t_x, dim), minigrad.logcumsumexp(m_x, dim)
    _close(ours, theirs, rtol=tol, atol=tol)
    theirs.backward(torch.tensor(g))
    ours.backward(minigrad.tensor(g))
    _close(m_x.grad, t_x.grad, rtol=tol, atol=tol * float(np.abs(t_x.grad.numpy()).max()))


def test_runner_compares_sparse_results_by_value(monkeypatch):
    pytest.importorskip("expecttest")
    from minigrad.testing import torch_opinfo
    info = next(o for o in torch_opinfo.load_op_db() if o.name == "to_sparse")
    assert torch_opinfo.run_opinfo(info, "float64", max_samples=1)[0].status == "pass"
    real = minigrad.Tensor.to_sparse
    monkeypatch.setattr(minigrad.Tensor, "to_sparse", lambda self, *a, **k: real(self * 2, *a, **k))
    row = torch_opinfo.run_opinfo(info, "float64", max_samples=1)[0]
    assert row.status == "fail" and row.stage == "forward" and "differ" in row.message


# -- nn.functional.linear_cross_entropy: cross_entropy of linear, torch's reference definition ---------------
@pytest.mark.parametrize("case", [
    dict(x=(8, 3), w=(4, 3), target=("class", (8,))),
    dict(x=(3,), w=(4, 3), target=("class", ())),
    dict(x=(5, 3), w=(4, 2, 3), target=("class", (5, 2)), bias=(4, 2)),
    dict(x=(6, 3), w=(4, 3), target=("probs", (6, 4)), bias=(4,), label_smoothing=0.2),
    dict(x=(6, 3), w=(4, 3), target=("class", (6,)), weight=(4,), reduction="sum", ignore_index=1),
    dict(x=(6, 3), w=(4, 3), target=("class", (6,)), reduction="none"),
])
def test_linear_cross_entropy_values_and_grads(case):
    rng = np.random.default_rng(7)
    arrays = {"input": rng.standard_normal(case["x"]), "linear_weight": rng.standard_normal(case["w"])}
    if "bias" in case:
        arrays["linear_bias"] = rng.standard_normal(case["bias"])
    if "weight" in case:
        arrays["weight"] = rng.uniform(0.5, 2, case["weight"])
    kind, shape = case["target"]
    target = rng.integers(0, 4, shape) if kind == "class" else rng.dirichlet(np.ones(4), shape[0])
    options = {k: case[k] for k in ("reduction", "ignore_index", "label_smoothing") if k in case}
    results = []
    for lib in (torch, minigrad):
        inputs = {k: lib.tensor(v, requires_grad=k != "weight") for k, v in arrays.items()}
        x, w = inputs["input"], inputs["linear_weight"]
        rest = {k: v for k, v in inputs.items() if k not in ("input", "linear_weight")}
        loss = lib.nn.functional.linear_cross_entropy(x, w, lib.tensor(target), **rest, **options)
        loss.sum().backward()
        results.append((loss, [v.grad for k, v in inputs.items() if k != "weight"]))
    (t_loss, t_grads), (m_loss, m_grads) = results
    _close(m_loss, t_loss, rtol=1e-12, atol=1e-12)
    for m, t in zip(m_grads, t_grads):
        _close(m, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.ones(2, 2, 3), lib.ones(4, 3), lib.zeros(2, dtype=lib.int64)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.ones(2, 3), lib.ones(3), lib.zeros(2, dtype=lib.int64)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.ones(2, 3), lib.ones(4, 2), lib.zeros(2, dtype=lib.int64)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.ones(2, 3), lib.ones(4, 3), lib.zeros(2, dtype=lib.int64),
                                                       linear_bias=lib.ones(3)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.ones(3), lib.ones(4, 2, 3), lib.zeros(2, dtype=lib.int64)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.ones(2, 3), lib.ones(4, 3), lib.ones(2, 4), ignore_index=0),
])
def test_linear_cross_entropy_errors_match_torch(call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(minigrad)
    assert str(ours.value) == str(theirs.value)


# -- linalg.diagonal: torch.diagonal over the last two dims by default -------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"offset": 1}, {"offset": -2}, {"dim1": 0, "dim2": 2}, {"offset": 5}])
def test_linalg_diagonal(kwargs):
    a = np.random.default_rng(8).standard_normal((2, 3, 4))
    t_a, m_a = _both(a, requires_grad=True)
    theirs, ours = torch.linalg.diagonal(t_a, **kwargs), minigrad.linalg.diagonal(m_a, **kwargs)
    _close(ours, theirs, rtol=0, atol=0)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    upstream = np.arange(float(np.prod(theirs.shape))).reshape(tuple(theirs.shape))
    theirs.backward(torch.tensor(upstream))
    ours.backward(minigrad.tensor(upstream))
    _close(m_a.grad, t_a.grad, rtol=0, atol=0)
    for lib in (torch, minigrad):
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.linalg.diagonal(lib.ones(3))


# -- linalg.ldl_factor / ldl_factor_ex / ldl_solve: LAPACK's Bunch-Kaufman sytrf and sytrs ------------------
def _symmetric_cases():
    rng = np.random.default_rng(9)
    cases = []
    for n in (1, 2, 3, 5, 8, 13):
        for trial in range(6):
            a = rng.standard_normal((n, n))
            if trial % 3 == 0:
                a[np.diag_indices(n)] = 0          # forces 2x2 pivots and interchanges
            if trial % 3 == 1:
                a = np.round(a)                    # ties among the candidates
            cases.append(a)
    cases.append(rng.standard_normal((2, 3, 4, 4)))   # batched
    cases.append(np.zeros((0, 0)))
    cases.append(np.diag([1.0, 0.0, 2.0]))            # a singular D: info names the zero column
    return cases


@pytest.mark.parametrize("a", _symmetric_cases())
def test_ldl_factor_and_solve_are_lapacks(a):
    t_ld, t_piv, t_info = torch.linalg.ldl_factor_ex(torch.tensor(a))
    m_ld, m_piv, m_info = minigrad.linalg.ldl_factor_ex(minigrad.tensor(a))
    assert m_piv.tolist() == t_piv.tolist() and m_info.tolist() == t_info.tolist()
    _same_kind(m_piv, t_piv)
    _close(m_ld, t_ld, rtol=1e-10, atol=1e-12)
    if not t_info.any():
        b = np.random.default_rng(10).standard_normal(a.shape[:-1] + (2,))
        _close(minigrad.linalg.ldl_solve(m_ld, m_piv, minigrad.tensor(b)),
               torch.linalg.ldl_solve(t_ld, t_piv, torch.tensor(b)), rtol=1e-9, atol=1e-10)
        _close(minigrad.linalg.ldl_factor(minigrad.tensor(a)).LD, torch.linalg.ldl_factor(torch.tensor(a)).LD,
               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda lib: lib.linalg.ldl_solve(lib.eye(2), lib.ones(2, dtype=lib.int32), lib.ones(3, 1)),
    lambda lib: lib.linalg.ldl_factor(lib.ones(2, 3)),
    lambda lib: lib.linalg.ldl_factor(lib.ones(2, 2, dtype=lib.int64)),
    lambda lib: lib.linalg.ldl_factor_ex(lib.zeros(2, 2, 2), check_errors=True),
    lambda lib: lib.linalg.ldl_solve(lib.eye(2), lib.ones(2, dtype=lib.int32), lib.ones(2, 1, dtype=lib.float64)),
])
def test_ldl_errors_match_torch(call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(minigrad)
    assert str(theirs.value).endswith(str(ours.value).split(": ", 1)[-1])


# -- minigrad.autograd.gradcheck perturbs a non-contiguous input in place too ----------------------------------
def test_gradcheck_of_a_non_contiguous_input():
    array = np.swapaxes(np.random.default_rng(11).standard_normal((2, 3, 3)), -1, -2)
    assert not array.flags["C_CONTIGUOUS"]
    x = minigrad.tensor(array, requires_grad=True)
    assert not x._data.flags["C_CONTIGUOUS"]
    assert minigrad.autograd.gradcheck(lambda t: (t * t).sum(-1), (x,), raise_exception=False)
    assert torch.autograd.gradcheck(lambda t: (t * t).sum(-1), (torch.tensor(array, requires_grad=True),))
    wrong = lambda t: (t * t.detach() + t.detach() ** 2).sum(-1)   # noqa: E731  (the forward of t*t, half its gradient)
    assert not minigrad.autograd.gradcheck(wrong, (x,), raise_exception=False)


def test_ldl_solve_broadcasts_batch_dims():
    """torch's ldl_solve crashes on broadcasting batch dims (a segmentation fault in torch 2.13); minigrad
    broadcasts them, and equals torch's solve of the explicitly expanded factors."""
    rng = np.random.default_rng(12)
    a = rng.standard_normal((2, 1, 3, 3)) + 4 * np.eye(3)
    b = rng.standard_normal((4, 3, 2))
    t_ld, t_piv = torch.linalg.ldl_factor(torch.tensor(a))
    m_ld, m_piv = minigrad.linalg.ldl_factor(minigrad.tensor(a))
    expanded = torch.linalg.ldl_solve(t_ld.expand(2, 4, 3, 3).contiguous(), t_piv.expand(2, 4, 3).contiguous(),
                                      torch.tensor(b).expand(2, 4, 3, 2).contiguous())
    _close(minigrad.linalg.ldl_solve(m_ld, m_piv, minigrad.tensor(b)), expanded, rtol=1e-12, atol=1e-12)
