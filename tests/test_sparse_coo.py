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


def test_one_entry_or_none_is_coalesced_as_torch():
    for indices, values in (([[0], [1]], [1.0]), (np.zeros((2, 0), np.int64), [])):
        flags = [lib.sparse_coo_tensor(lib.tensor(indices, dtype=lib.int64), lib.tensor(values), (2, 2)).is_coalesced()
                 for lib in (minigrad, torch)]
        assert flags == [True, True]


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


# -- arithmetic across layouts: every combination torch defines, side by side -------------------------
UNCOALESCED = ([[0, 1, 0], [2, 1, 2]], [1.0, 2.0, 3.0])              # (0, 2) twice
LONGER = ([[0, 0, 2, 0], [2, 2, 2, 2]], [10.0, 20.0, 30.0, 40.0])    # more entries, (0, 2) three times
OTHER = ([[1, 0, 0], [1, 2, 2]], [100.0, 200.0, 300.0])              # as many entries as UNCOALESCED
DENSE = np.arange(9.0).reshape(3, 3) - 4.0


def _sparse(lib, spec, coalesced=False, dtype="float64", requires_grad=False):
    values = lib.tensor(spec[1], dtype=getattr(lib, dtype), requires_grad=requires_grad)
    s = lib.sparse_coo_tensor(lib.tensor(spec[0]), values, (3, 3))
    return values, (s.coalesce() if coalesced else s)


def _layout_name(x):
    return repr(x.layout).split(".")[-1]


def _assert_same(mine, theirs):
    """The same layout, dtype and size; for sparse results the same entries, in the same order, and the
    same coalesced flag; for dense ones the same values."""
    assert _layout_name(mine) == _layout_name(theirs)
    assert str(mine.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(mine.shape) == tuple(theirs.shape)
    if theirs.is_sparse:
        assert mine.is_coalesced() == theirs.is_coalesced()
        np.testing.assert_array_equal(mine._indices().numpy(), theirs._indices().numpy())
        mine, theirs = mine._values(), theirs._values()
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=0)


SPARSE_PAIRS = [(a, b, ca, cb) for a, b in [(UNCOALESCED, LONGER), (LONGER, UNCOALESCED), (UNCOALESCED, OTHER),
                                           (OTHER, UNCOALESCED), (UNCOALESCED, UNCOALESCED)]
                for ca in (False, True) for cb in (False, True)]


@pytest.mark.parametrize("a, b, coalesce_a, coalesce_b", SPARSE_PAIRS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "add_alpha"])
def test_sparse_with_sparse_as_torch(op, a, b, coalesce_a, coalesce_b):
    """sparse + - * sparse: torch's entries and their order (a merge of the two lists for + and -, one
    operand's entries for *), its coalesced flag, and the gradients of both operands' values."""
    weights = np.random.default_rng(0).standard_normal((3, 3))
    results = []
    for lib in (minigrad, torch):
        va, sa = _sparse(lib, a, coalesce_a, requires_grad=True)
        vb, sb = _sparse(lib, b, coalesce_b, requires_grad=True)
        out = {"add": lambda: sa + sb, "sub": lambda: sa - sb, "mul": lambda: sa * sb,
               "add_alpha": lambda: lib.add(sa, sb, alpha=2.5)}[op]()
        (out.to_dense() * lib.tensor(weights)).sum().backward()
        results.append((out, va.grad, vb.grad))
    _assert_same(results[0][0], results[1][0])
    for mine, theirs in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("coalesced", [False, True])
@pytest.mark.parametrize("op", ["dense + sparse", "dense - sparse", "torch.add alpha", "torch.sub",
                                "sparse * dense", "dense * sparse", "sparse * 0-d", "sparse * 2.5", "2 * sparse", "sparse / 4", "-sparse",
                                "dense @ sparse", "torch.mm(dense, sparse)", "sparse @ dense", "torch.spmm"])
def test_sparse_with_dense_as_torch(op, coalesced):
    """The result's layout (dense for +, - and @; sparse for *, /), values and dtype, and the gradients
    of the dense operand and of the sparse operand's values."""
    weights = np.random.default_rng(1).standard_normal((3, 3))
    results = []
    for lib in (minigrad, torch):
        values, s = _sparse(lib, UNCOALESCED, coalesced, requires_grad=True)
        d = lib.tensor(DENSE, requires_grad=True)
        out = {"dense + sparse": lambda: d + s, "dense - sparse": lambda: d - s,
               "torch.add alpha": lambda: lib.add(d, s, alpha=-3), "torch.sub": lambda: lib.sub(d, s),
               "sparse * dense": lambda: s * d, "dense * sparse": lambda: d * s,
               "sparse * 0-d": lambda: s * d[1, 1], "sparse * 2.5": lambda: s * 2.5, "2 * sparse": lambda: 2 * s,
               "sparse / 4": lambda: s / 4, "-sparse": lambda: -s, "dense @ sparse": lambda: d @ s,
               "torch.mm(dense, sparse)": lambda: lib.mm(d, s), "sparse @ dense": lambda: s @ d,
               "torch.spmm": lambda: lib.spmm(s, d)}[op]()
        (out.to_dense() if out.is_sparse else out).mul(lib.tensor(weights)).sum().backward()
        results.append((out, values.grad, d.grad))
    _assert_same(results[0][0], results[1][0])
    mine, theirs = results[0][1:], results[1][1:]
    np.testing.assert_allclose(mine[0].numpy(), theirs[0].numpy(), rtol=1e-12)
    assert (mine[1] is None) == (theirs[1] is None)
    if theirs[1] is not None:   # torch's gradient of the dense factor of sparse * dense is sparse: compare its dense form
        np.testing.assert_allclose(mine[1].numpy(), theirs[1].to_dense().numpy() if theirs[1].is_sparse else
                                   theirs[1].numpy(), rtol=1e-12)


def test_dense_plus_sparse_promotes_as_torch():
    """gcn's ``torch.eye(V) + int64 sparse``: float32 + int64 is float32 (and float32 + float64 is float64)."""
    for dtype, dense_dtype in (("int64", "float32"), ("float64", "float32"), ("float32", "float64")):
        outs = []
        for lib in (minigrad, torch):
            _, s = _sparse(lib, UNCOALESCED, dtype=dtype)
            outs.append(lib.eye(3, dtype=getattr(lib, dense_dtype)) + s)
        _assert_same(*outs)


@pytest.mark.parametrize("coalesced", [False, True])
@pytest.mark.parametrize("part", [(1,), (slice(None), slice(0, 1))], ids=["row", "column"])
def test_sparse_times_a_broadcast_dense_part(part, coalesced):
    """sparse * (a row or a column, broadcast): torch's result; torch has no backward for it (checked),
    minigrad's gradients are those of the same product in dense form."""
    weights = np.random.default_rng(2).standard_normal((3, 3))
    values, s = _sparse(torch, UNCOALESCED, coalesced, requires_grad=True)
    d = torch.tensor(DENSE, requires_grad=True)
    expected = s * d[part]
    with pytest.raises(NotImplementedError):
        (expected.to_dense() * torch.tensor(weights)).sum().backward()
    grads = []
    for dense_form in (False, True):
        values, s = _sparse(minigrad, UNCOALESCED, coalesced, requires_grad=True)
        d = minigrad.tensor(DENSE, requires_grad=True)
        out = s.to_dense() * d[part] if dense_form else s * d[part]
        if not dense_form:
            _assert_same(out, expected)
            out = out.to_dense()
        (out * minigrad.tensor(weights)).sum().backward()
        grads.append((values.grad.numpy(), d.grad.numpy()))
    for mine, reference in zip(*grads):
        np.testing.assert_allclose(mine, reference, rtol=1e-12)


@pytest.mark.parametrize("coalesced", [False, True])
def test_sums_of_a_sparse_tensor_as_torch(coalesced):
    for call in (lambda lib, s: lib.sum(s), lambda lib, s: s.sum(), lambda lib, s: lib.sparse.sum(s, (0, 1))):
        outs = [call(lib, _sparse(lib, UNCOALESCED, coalesced)[1]) for lib in (minigrad, torch)]
        _assert_same(*outs)
    for dim in (0, 1):
        outs = [lib.sum(_sparse(lib, UNCOALESCED, coalesced)[1], dim) for lib in (minigrad, torch)]
        _assert_same(*outs)


def test_sparse_to_dtype_and_clone_as_torch():
    outs = []
    for lib in (minigrad, torch):
        _, s = _sparse(lib, UNCOALESCED)
        outs.append((s.to(lib.float32), s.float(), s.double(), s.clone(), s.to("cpu"), s.detach()))
    for mine, theirs in zip(*outs):
        _assert_same(mine, theirs)


@pytest.mark.parametrize("call, error, match", [
    (lambda lib, s, d: s + d, RuntimeError, r"add\(sparse, dense\) is not supported"),
    (lambda lib, s, d: s - d, RuntimeError, r"add\(sparse, dense\) is not supported"),
    (lambda lib, s, d: s + 1, RuntimeError, r"add\(sparse, dense\) is not supported"),
    (lambda lib, s, d: d[0] + s, RuntimeError, "same size.*does not currently support broadcasting"),
    (lambda lib, s, d: s + lib.sparse_coo_tensor(lib.tensor([[0], [3]]), lib.ones(1, dtype=lib.float64), (3, 4)),
     RuntimeError, r"sizes of 'self' and 'other' to match, but \[3, 3\] != \[3, 4\]"),
    (lambda lib, s, d: s / d, RuntimeError, "zero-dim"),
])
def test_unsupported_combinations_raise_as_torch(call, error, match):
    for lib in (minigrad, torch):
        _, s = _sparse(lib, UNCOALESCED)
        with pytest.raises(error, match=match):
            call(lib, s, lib.tensor(DENSE))


@pytest.mark.parametrize("op", [lambda d, s: d + s, lambda d, s: d - s, lambda d, s: d @ s])
def test_sparse_leaf_under_ops_that_give_it_a_dense_gradient_refuses(op):
    """torch gives a sparse leaf a dense gradient under dense + sparse and dense @ sparse (checked
    here); its values cannot hold that, so minigrad refuses instead of returning part of it."""
    s = torch.sparse_coo_tensor(torch.tensor(UNCOALESCED[0]), torch.tensor(UNCOALESCED[1]), (3, 3), requires_grad=True)
    op(torch.ones(3, 3), s).sum().backward()
    assert not s.grad.is_sparse
    s = minigrad.sparse_coo_tensor(minigrad.tensor(UNCOALESCED[0]), minigrad.tensor(UNCOALESCED[1]), (3, 3),
                                   requires_grad=True)
    with pytest.raises(NotImplementedError, match="dense gradient"):
        op(minigrad.ones(3, 3), s)


def _inplace_outcome(lib, call):
    d = lib.tensor(DENSE)
    _, s = _sparse(lib, UNCOALESCED)
    _, other = _sparse(lib, OTHER, dtype="float32")
    try:
        result = call(lib, d, s, other)
    except RuntimeError as exc:
        return "RuntimeError", str(exc).split("\n")[0]
    aliases = "dense" if result is d else "sparse" if result is s else "new"
    if result.is_sparse:
        return aliases, result.is_coalesced(), result._indices().tolist(), result._values().tolist(), str(result.dtype)[-7:]
    return aliases, result.tolist(), str(result.dtype)[-7:]


@pytest.mark.parametrize("call", [
    lambda lib, d, s, o: d.add_(s), lambda lib, d, s, o: d.sub_(s, alpha=2), lambda lib, d, s, o: d.mul_(s),
    lambda lib, d, s, o: d.__iadd__(s), lambda lib, d, s, o: s.add_(o), lambda lib, d, s, o: s.sub_(s.clone()),
    lambda lib, d, s, o: s.mul_(3), lambda lib, d, s, o: s.mul_(d), lambda lib, d, s, o: s.div_(4),
    lambda lib, d, s, o: o.mul_(d),                     # float32 values, float64 product: refused
    lambda lib, d, s, o: s.add_(d),                     # add(sparse, dense): refused
    lambda lib, d, s, o: o.to(lib.int64).add_(s),       # a float result into int64 values: refused
], ids=["dense.add_", "dense.sub_", "dense.mul_", "dense+=", "sparse.add_", "sparse.sub_", "sparse.mul_(3)",
        "sparse.mul_(dense)", "sparse.div_", "float32.mul_(float64)", "sparse.add_(dense)", "int64.add_(float)"])
def test_in_place_arithmetic_as_torch(call):
    """The tensor written (the same object), its values and layout, and torch's refusals."""
    assert _inplace_outcome(minigrad, call) == _inplace_outcome(torch, call)


def test_in_place_on_a_sparse_leaf_that_requires_grad_refuses_as_torch():
    for lib in (minigrad, torch):
        _, s = _sparse(lib, UNCOALESCED)
        leaf = lib.sparse_coo_tensor(s._indices(), s._values(), (3, 3), requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            leaf.mul_(2)


HYBRID = ([[0, 1, 1, 0], [2, 0, 2, 2]], [[1.0, -1.0], [2.0, 0.5], [3.0, 3.0], [4.0, 2.0]])   # 2 dense values each


def _hybrid(lib, requires_grad=False):
    values = lib.tensor(HYBRID[1], dtype=lib.float64, requires_grad=requires_grad)
    return values, lib.sparse_coo_tensor(lib.tensor(HYBRID[0]), values, (3, 3, 2))


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("make", ["uncoalesced", "coalesced", "hybrid"])
def test_sparse_softmax_as_torch(fn, dim, make):
    """Over the stored entries of each line only; duplicates summed first; values and their gradients."""
    if make != "hybrid" and dim == 2:
        pytest.skip("a 2-D tensor has no dim 2")
    weights = np.random.default_rng(3).standard_normal((3, 3, 2) if make == "hybrid" else (3, 3))
    results = []
    for lib in (minigrad, torch):
        values, s = _hybrid(lib, True) if make == "hybrid" else _sparse(lib, UNCOALESCED, False, requires_grad=True)
        s = s.coalesce() if make == "coalesced" else s
        # torch's backward of dim=-1 over a dense dimension is not its backward of dim=2 (the same
        # softmax; its gradients do not even sum to zero over each softmax): compared with dim=2's
        wrapped = 2 if lib is torch and make == "hybrid" and dim == -1 else dim
        out = getattr(lib.sparse, fn)(s, wrapped)
        (out.to_dense() * lib.tensor(weights)).sum().backward()
        results.append((out, values.grad))
    _assert_same(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1].numpy(), results[1][1].numpy(), rtol=1e-12, atol=1e-15)


def test_sparse_softmax_dtype_as_torch():
    outs = [lib.sparse.softmax(_sparse(lib, UNCOALESCED, dtype="float32")[1], 1, dtype=lib.float64)
            for lib in (minigrad, torch)]
    _assert_same(*outs)


@pytest.mark.parametrize("dim, index", [(0, [2, 0, 0]), (1, [2, 0]), (-1, [1, 1]), (0, []), (1, [1])])
@pytest.mark.parametrize("make", ["uncoalesced", "coalesced", "hybrid"])
def test_sparse_index_select_as_torch(dim, index, make):
    """torch's entries in torch's order (by position in the index, then entry order), never coalesced,
    as a method and as torch.index_select. torch has no backward for it (checked); minigrad's values
    gradients are those of the same selection in dense form."""
    outs = []
    for lib in (minigrad, torch):
        values, s = _hybrid(lib, True) if make == "hybrid" else _sparse(lib, UNCOALESCED, False, requires_grad=True)
        s = s.coalesce() if make == "coalesced" else s
        outs.append((s.index_select(dim, lib.tensor(index, dtype=lib.int64)),
                     lib.index_select(s, dim, lib.tensor(index, dtype=lib.int64))))
    _assert_same(outs[0][0], outs[1][0])
    _assert_same(outs[0][1], outs[1][1])
    weights = np.random.default_rng(4).standard_normal(tuple(outs[1][0].shape))
    if outs[1][0]._nnz():
        with pytest.raises(NotImplementedError):
            (outs[1][0].to_dense() * torch.tensor(weights)).sum().backward()
    grads = []
    for dense_form in (False, True):
        values, s = _hybrid(minigrad, True) if make == "hybrid" else _sparse(minigrad, UNCOALESCED, False,
                                                                             requires_grad=True)
        s = s.coalesce() if make == "coalesced" else s
        index = minigrad.tensor(index, dtype=minigrad.int64)
        out = s.to_dense().index_select(dim, index) if dense_form else s.index_select(dim, index).to_dense()
        (out * minigrad.tensor(weights)).sum().backward()
        grads.append(values.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_sparse_index_select_of_a_dense_dimension_as_torch():
    outs = [_hybrid(lib)[1].index_select(2, lib.tensor([1, 1, 0])) for lib in (minigrad, torch)]
    _assert_same(*outs)


@pytest.mark.parametrize("index", [[3], [[0]], [0.0]])
def test_sparse_index_select_errors_as_torch(index):
    for lib in (minigrad, torch):
        _, s = _sparse(lib, UNCOALESCED)
        with pytest.raises(IndexError, match="index_select"):
            s.index_select(0, lib.tensor(index))
