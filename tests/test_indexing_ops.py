"""The indexing and reshaping ops beyond the op table's samples: in-place forms, views that
share memory with their base (writes reach it, autograd follows them), gradients where torch's
own are wrong, and the memory layout ops (empty_strided, empty_permuted, resize_).

Every test runs torch side by side and compares.
"""
import numpy as np
import pytest
import torch

import minigrad
from minigrad.testing.opinfo import check_gradcheck, OpInfo, Sample

# torch warns on the forms these tests call on purpose (scatter's legacy reduce, the beta index_reduce)
pytestmark = [pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter"),
              pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")]


def _pair(a, requires_grad=False):
    return (torch.tensor(a, requires_grad=requires_grad), minigrad.tensor(a, requires_grad=requires_grad))


def _close(t, m):
    assert tuple(t.shape) == tuple(m.shape)
    assert str(t.dtype).split(".")[-1] == str(m.dtype).split(".")[-1]
    np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)


_RNG = np.random.default_rng(0)
_X = _RNG.standard_normal((3, 4))
_S = _RNG.standard_normal((2, 4))


@pytest.mark.parametrize("name,call", [
    ("scatter_", lambda L, y, s: y.scatter_(0, L.tensor([[0, 1, 2, 0], [2, 0, 1, 1]]), s)),
    ("scatter_value_", lambda L, y, s: y.scatter_(1, L.tensor([[0], [3], [1]]), value=2.5)),
    ("scatter_add_", lambda L, y, s: y.scatter_add_(0, L.tensor([[0, 1, 2, 0], [0, 0, 1, 1]]), s)),
    ("scatter_reduce_", lambda L, y, s: y.scatter_reduce_(0, L.tensor([[0, 1, 2, 0], [0, 0, 1, 1]]), s, "amax",
                                                          include_self=False)),
    ("index_add_", lambda L, y, s: y.index_add_(0, L.tensor([2, 2]), s, alpha=3)),
    ("index_copy_", lambda L, y, s: y.index_copy_(0, L.tensor([2, 0]), s)),
    ("index_fill_", lambda L, y, s: y.index_fill_(1, L.tensor([1, 3]), -1.0)),
    ("index_reduce_", lambda L, y, s: y.index_reduce_(0, L.tensor([1, 1]), s, "prod")),
    ("put_", lambda L, y, s: y.put_(L.tensor([0, 11, -1]), s[0, :3], accumulate=True)),
    ("masked_scatter_", lambda L, y, s: y.masked_scatter_(y > 0, s)),
])
def test_inplace_forms_write_into_the_tensor_and_differentiate(name, call):
    """``y.op_(...)`` changes y's memory (a view of it sees the change), and the gradients of what
    was written and of the source match torch's."""
    results = []
    for L in (torch, minigrad):
        x = L.tensor(_X, requires_grad=True)
        s = L.tensor(_S, requires_grad=True)
        y = x * 1
        row = y[1]            # a view taken before the write
        out = call(L, y, s)
        assert out is y
        (y * L.tensor(_X)).sum().backward()
        results.append((y, row, x.grad, s.grad))
    for t, m in zip(*results):
        if t is None:
            assert m is None or not m.numpy().any()
        else:
            _close(t, m)


def test_inplace_form_on_a_leaf_raises_as_torch():
    for L in (torch, minigrad):
        x = L.ones(3, 4, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            x.index_fill_(0, L.tensor([0]), 2.0)


@pytest.mark.parametrize("name,view", [
    ("diagonal", lambda L, y: y.diagonal(-1)),
    ("unfold", lambda L, y: y.unfold(1, 3, 1)[0, 1]),
    ("as_strided", lambda L, y: y.as_strided((2, 2), (1, 4), 2)),
    ("select", lambda L, y: L.select(y, 0, -1)),
    ("tensor_split", lambda L, y: L.tensor_split(y, [1, 3], 1)[1]),
    ("vsplit", lambda L, y: L.vsplit(y, [1])[1]),
    ("ravel", lambda L, y: y.ravel()),
    ("atleast_3d", lambda L, y: L.atleast_3d(y)),
    ("hsplit", lambda L, y: L.hsplit(y, 2)[1]),
])
def test_views_share_memory_and_autograd_follows_writes(name, view):
    """A write into the view reaches the base, and the base's gradient accounts for it."""
    results = []
    for L in (torch, minigrad):
        x = L.tensor(_X, requires_grad=True)
        y = x * 1
        v = view(L, y)
        assert v._base is y
        v.mul_(3)
        (y * L.tensor(_X)).sum().backward()
        results.append((y, x.grad))
    for t, m in zip(*results):
        _close(t, m)


@pytest.mark.parametrize("split", [lambda L, y: L.unsafe_split(y, 2, 1), lambda L, y: L.unsafe_chunk(y, 2, 1)])
def test_unsafe_split_pieces_share_memory_but_are_not_views(split):
    """torch's unsafe_split: a write into a piece changes input's values, but autograd does not
    track it (input's gradient is as if nothing was written) and the versions stay apart."""
    results = []
    for L in (torch, minigrad):
        x = L.tensor(_X, requires_grad=True)
        y = x * 1
        piece = split(L, y)[1]
        assert piece._base is None
        piece.mul_(3)
        assert y._version == 0 and piece._version == 1
        (y * L.tensor(_X)).sum().backward()
        results.append((y, piece, x.grad))
    for t, m in zip(*results):
        _close(t, m)


def test_broadcast_tensors_returns_a_tensor_of_the_common_shape_itself():
    for L in (torch, minigrad):
        y = L.ones(3, 4)
        same, grown = L.broadcast_tensors(y, L.ones(2, 1, 1))
        assert L.broadcast_tensors(y, L.ones(1))[0] is y
        assert same._base is y and tuple(same.shape) == (2, 3, 4) and grown.stride() == (1, 0, 0)


def test_copy_ops_do_not_share_memory():
    """torch's *_copy ops return new memory: a write into the result leaves the input alone."""
    for name, args in [("diagonal_copy", ()), ("narrow_copy", (0, 1, 1)), ("unfold_copy", (1, 2, 1)),
                       ("as_strided_copy", ((2,), (1,))), ("t_copy", ()), ("view_copy", ((12,),))]:
        for L in (torch, minigrad):
            x = L.tensor(_X)
            y = getattr(L, name)(x, *args)
            assert y._base is None, name
            y.zero_()
            np.testing.assert_array_equal(x.numpy(), _X)


def test_as_strided_scatter_gradient_is_right_where_torchs_is_not():
    """torch's input gradient of as_strided_scatter keeps g inside the overwritten region and drops
    it elsewhere (its own gradcheck fails); minigrad's is the derivative: g outside, zero inside."""
    x64 = torch.tensor(_X, requires_grad=True)
    src = torch.tensor(_S[:1, :2], requires_grad=True)
    assert not torch.autograd.gradcheck(lambda a, b: torch.as_strided_scatter(a, b, (1, 2), (1, 2), 1), (x64, src),
                                        raise_exception=False)
    op = OpInfo("as_strided_scatter", minigrad.as_strided_scatter, torch.as_strided_scatter, None)
    assert check_gradcheck(op, Sample((_X, _S[:1, :2], (1, 2), (1, 2), 1)), gradgrad=True)
    x = minigrad.tensor(_X, requires_grad=True)
    minigrad.as_strided_scatter(x, minigrad.tensor(_S[:1, :2]), (1, 2), (1, 2), 1).sum().backward()
    expected = np.ones(12)
    expected[[1, 3]] = 0
    np.testing.assert_array_equal(x.grad.numpy().reshape(-1), expected)


def test_narrow_copy_negative_start_gradient():
    """narrow_copy(x, 0, -1, 1): torch's gradient is lost (zeros); minigrad's reaches the last element,
    as narrow's does in both."""
    t, m = _pair(np.arange(3.0), requires_grad=True)
    torch.narrow(t, 0, -1, 1).sum().backward()
    minigrad.narrow_copy(m, 0, -1, 1).sum().backward()
    _close(t.grad, m.grad)
    op = OpInfo("narrow_copy", minigrad.narrow_copy, torch.narrow_copy, None)
    assert check_gradcheck(op, Sample((_X, 1, -2, 2)), gradgrad=True)


def test_index_reduce_and_scatter_reduce_agree():
    """index_reduce is scatter_reduce with the index vector laid along dim: same values, same gradients."""
    t_out = torch.tensor(_X).index_reduce(1, torch.tensor([0, 0, 3]), torch.tensor(_X[:, :3]), "mean")
    m_out = minigrad.tensor(_X).index_reduce(1, minigrad.tensor([0, 0, 3]), minigrad.tensor(_X[:, :3]), "mean")
    _close(t_out, m_out)


@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3, 4), (12, 1, 3)), ((3, 0), (1, 1))])
def test_empty_strided(size, stride):
    t, m = torch.empty_strided(size, stride), minigrad.empty_strided(size, stride)
    assert tuple(t.shape) == tuple(m.shape) and t.stride() == m.stride() and t.dtype == torch.float32
    assert str(m.dtype) == "minigrad.float32"
    t2 = torch.ones(2).new_empty_strided(size, stride, dtype=torch.float64)
    m2 = minigrad.ones(2).new_empty_strided(size, stride, dtype=minigrad.float64)
    assert t2.stride() == m2.stride() and str(m2.dtype) == "minigrad.float64"


@pytest.mark.parametrize("size,layout", [((2, 3, 4), (2, 0, 1)), ((2, 3), (0, 1)), ((2, 3, 4), (1, 2, 0))])
def test_empty_permuted(size, layout):
    t, m = torch.empty_permuted(size, layout), minigrad.empty_permuted(size, layout)
    assert tuple(t.shape) == tuple(m.shape) and t.stride() == m.stride()


@pytest.mark.parametrize("shape", [(2, 3), (5,), (4, 4), (0,)])
def test_resize_keeps_the_memory_in_order(shape):
    """resize_ reads the memory in order from the first element: a smaller size keeps a prefix, a
    larger one keeps all old values first (the rest is uninitialised in torch: not compared)."""
    t, m = _pair(np.arange(12.0).reshape(3, 4))
    t.resize_(*shape)
    m.resize_(*shape)
    n = min(12, int(np.prod(shape)))
    assert tuple(t.shape) == tuple(m.shape)
    np.testing.assert_array_equal(m.numpy().reshape(-1)[:n], t.numpy().reshape(-1)[:n])
    t2, m2 = _pair(np.zeros((1, 2)))
    t2.resize_as_(t)
    m2.resize_as_(m)
    assert tuple(t2.shape) == tuple(m2.shape)


def test_nonzero_of_a_view_and_of_a_bool_tensor():
    x = _X > 0
    t, m = torch.tensor(x).t(), minigrad.tensor(x).t()
    _close(torch.nonzero(t), minigrad.nonzero(m))
    for a, b in zip(torch.nonzero(t, as_tuple=True), minigrad.nonzero(m, as_tuple=True)):
        _close(a, b)


def test_scatter_reduce_legacy_reduce_has_no_gradient():
    for L in (torch, minigrad):
        x = L.tensor(_X, requires_grad=True)
        y = x.scatter(0, L.tensor([[0, 1]]), L.tensor(_X), reduce="add")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()
