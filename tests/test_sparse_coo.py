"""Sparse COO tensors against torch: construction, to_dense / to_sparse / coalesce, sparse @ dense
(torch.mm, matmul, torch.sparse.mm) with the gradients torch gives, sparse.sum, and a small graph
convolution trained a few SGD steps side by side with torch."""
import numpy as np
import pytest
import torch

import minigrad

INDICES = [[0, 1, 1, 2, 0], [2, 0, 2, 1, 2]]      # (0, 2) twice: a duplicate, summed
VALUES = [1.0, 2.0, 3.0, 4.0, 0.5]


def _both(lib, requires_grad=False):
    values = lib.tensor(VALUES, dtype=lib.float64, requires_grad=requires_grad)
    return values, lib.sparse_coo_tensor(lib.tensor(INDICES), values, (3, 3))


def test_layout_and_accessors_match_torch():
    _, s = _both(minigrad)
    _, t = _both(torch)
    assert s.is_sparse and t.is_sparse
    assert repr(s.layout).split(".")[-1] == repr(t.layout).split(".")[-1] == "sparse_coo"
    assert repr(minigrad.ones(2).layout) == "minigrad.strided" and not minigrad.ones(2).is_sparse
    assert tuple(s.shape) == tuple(t.shape) and s._nnz() == t._nnz() and s.sparse_dim() == t.sparse_dim()
    np.testing.assert_array_equal(s.indices().numpy(), t._indices().numpy())
    c, tc = s.coalesce(), t.coalesce()
    assert c.is_coalesced() and tc.is_coalesced() and c._nnz() == tc._nnz() == 4
    np.testing.assert_array_equal(c.indices().numpy(), tc.indices().numpy())
    np.testing.assert_allclose(c.values().detach().numpy(), tc.values().detach().numpy())
    np.testing.assert_allclose(s.to_dense().numpy(), t.to_dense().numpy())


def test_to_sparse_round_trip_and_gradient():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    xs, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ss, st = xs.to_sparse(), xt.to_sparse()
    np.testing.assert_array_equal(ss.indices().numpy(), st.indices().numpy())
    np.testing.assert_allclose(ss.values().detach().numpy(), st.values().detach().numpy())
    w = np.arange(6.0).reshape(2, 3)
    (ss.to_dense() * minigrad.tensor(w)).sum().backward()
    (st.to_dense() * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("how", ["mm", "matmul", "sparse.mm"])
def test_sparse_times_dense_values_and_gradients(how):
    d = np.random.default_rng(0).standard_normal((3, 2))
    g = np.random.default_rng(1).standard_normal((3, 2))
    results = []
    for lib in (minigrad, torch):
        values, s = _both(lib, requires_grad=True)
        dense = lib.tensor(d, requires_grad=True)
        out = {"mm": lambda: lib.mm(s, dense), "matmul": lambda: s @ dense,
               "sparse.mm": lambda: lib.sparse.mm(s, dense)}[how]()
        out.backward(lib.tensor(g))
        results.append((out.detach().numpy(), values.grad.numpy(), dense.grad.numpy()))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)


def test_sparse_leaf_gradient_of_sparse_mm_is_sparse_as_torch():
    d = np.random.default_rng(0).standard_normal((3, 2))
    grads = []
    for lib in (minigrad, torch):
        s = lib.sparse_coo_tensor(lib.tensor(INDICES), lib.tensor(VALUES, dtype=lib.float64), (3, 3),
                                  requires_grad=True)
        lib.sparse.mm(s, lib.tensor(d)).sum().backward()
        grads.append(s.grad)
    assert grads[0].is_sparse and grads[1].is_sparse
    np.testing.assert_allclose(grads[0].to_dense().numpy(), grads[1].to_dense().numpy())


def test_mm_of_a_sparse_leaf_refuses_rather_than_give_a_masked_gradient():
    s = minigrad.sparse_coo_tensor(minigrad.tensor(INDICES), minigrad.tensor(VALUES), (3, 3), requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse.mm"):
        minigrad.mm(s, minigrad.ones(3, 2))


def test_sparse_sum_and_errors():
    _, s = _both(minigrad)
    _, t = _both(torch)
    np.testing.assert_allclose(minigrad.sparse.sum(s).numpy(), torch.sparse.sum(t).numpy())
    np.testing.assert_allclose(minigrad.sparse.sum(s, 0).to_dense().numpy(), torch.sparse.sum(t, 0).to_dense().numpy())
    for lib in (minigrad, torch):
        with pytest.raises(RuntimeError, match="size is inconsistent"):
            lib.sparse_coo_tensor(lib.tensor([[0, 3]]), lib.tensor([1.0, 2.0]), (3,), check_invariants=True)
        with pytest.raises(RuntimeError, match="nnz"):
            lib.sparse_coo_tensor(lib.tensor([[0, 1]]), lib.tensor([1.0]), (3,))
        with pytest.raises(RuntimeError, match="dense.*size 3, got 2"):
            lib.sparse.mm(lib.sparse_coo_tensor(lib.tensor(INDICES), lib.tensor(VALUES), (3, 3)), lib.ones(2, 2))


def test_graph_convolution_trains_as_torch():
    """H = A_hat (X W): a normalised adjacency with self loops, a few SGD steps on a regression target."""
    rs = np.random.default_rng(0)
    edges = np.array([[0, 1, 1, 2, 2, 3, 3, 4, 0, 1, 2, 3, 4], [1, 0, 2, 1, 3, 2, 4, 3, 0, 1, 2, 3, 4]])
    degree = np.bincount(edges[0], minlength=5).astype(np.float64)
    weights = 1 / np.sqrt(degree[edges[0]] * degree[edges[1]])
    x, target, w0 = rs.standard_normal((5, 4)), rs.standard_normal((5, 2)), rs.standard_normal((4, 2))
    histories = []
    for lib in (minigrad, torch):
        adjacency = lib.sparse_coo_tensor(lib.tensor(edges), lib.tensor(weights), (5, 5))
        W = lib.tensor(w0, requires_grad=True)
        opt = lib.optim.SGD([W], lr=0.1)
        losses = []
        for _ in range(5):
            opt.zero_grad()
            loss = ((lib.sparse.mm(adjacency, lib.tensor(x) @ W) - lib.tensor(target)) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        histories.append((losses, W.detach().numpy()))
    np.testing.assert_allclose(histories[0][0], histories[1][0], rtol=1e-12)
    np.testing.assert_allclose(histories[0][1], histories[1][1], rtol=1e-12)
