"""In-place ops, version counters and views, side by side with torch.

Every case runs the same code against torch and minigrad (``lib`` is one or the other) and
compares what comes out: values, dtypes, shapes and gradients, or the exception class and the
gist of its message. The last test draws random chains of views and in-place ops with hypothesis.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minigrad

VERSION_ERROR = "modified by an inplace operation"
RNG = np.random.default_rng(14)
X34 = RNG.standard_normal((3, 4)).astype(np.float32)
X5 = RNG.standard_normal(5).astype(np.float32)


def _run(fn, lib):
    try:
        return "ok", fn(lib)
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return "err", e


def _compare(t, m, where="result"):
    if isinstance(t, (tuple, list)):
        assert isinstance(m, (tuple, list)) and len(t) == len(m), (where, t, m)
        for i, (a, b) in enumerate(zip(t, m)):
            _compare(a, b, f"{where}[{i}]")
    elif isinstance(t, torch.Tensor):
        assert isinstance(m, minigrad.Tensor), (where, m)
        assert tuple(m.shape) == tuple(t.shape), (where, m.shape, t.shape)
        assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (where, m.dtype, t.dtype)
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=where)
    else:
        assert t == m, (where, t, m)


def both(fn, match=None):
    """Run ``fn(lib)`` in torch and minigrad: both return equal results, or both raise the same
    exception class (whose messages contain ``match``, when given)."""
    t, m = _run(fn, torch), _run(fn, minigrad)
    assert t[0] == m[0], f"torch: {t[1]!r}  minigrad: {m[1]!r}"
    if t[0] == "err":
        assert type(t[1]) is type(m[1]), (t[1], m[1])
        if match is not None:
            assert match in str(t[1]) and match in str(m[1]), (str(t[1]), str(m[1]))
        return
    assert match is None, f"both succeeded where {match!r} was expected"
    _compare(t[1], m[1])


def _nn(lib):
    return lib.nn


def _F(lib):
    return lib.nn.functional


def _leaf(lib, array):
    return lib.tensor(array).requires_grad_()


# -- 1. what an op saves is version-checked --------------------------------------------------------
@pytest.mark.parametrize("norm", ["layer", "batch"])
def test_norm_without_affine_then_inplace_relu_keeps_the_gradient(norm):
    x4 = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)
    w = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)

    def fn(lib):
        nn = _nn(lib)
        layer = nn.LayerNorm([3, 4, 4], elementwise_affine=False) if norm == "layer" \
            else nn.BatchNorm2d(3, affine=False)
        x = _leaf(lib, x4)
        y = nn.ReLU(inplace=True)(layer(x))
        (y * lib.tensor(w)).sum().backward()
        return y, x.grad
    both(fn)


def test_layer_norm_output_edited_in_place():
    def fn(lib):
        x = _leaf(lib, X34)
        y = _F(lib).layer_norm(x, [4])
        y.mul_(3)
        (y * lib.tensor(X34[::-1].copy())).sum().backward()
        return x.grad
    both(fn)


_IDX = np.array([0, 2, 2])
_MASK = np.array([True, False, True, False, True])


@pytest.mark.parametrize("case", ["gather", "getitem", "getitem_mask", "getitem_tuple", "index_select",
                                  "masked_fill", "embedding", "scatter_add", "setitem", "setitem_mask"])
def test_index_tensor_changed_before_backward_raises(case):
    def fn(lib):
        x = _leaf(lib, X5)
        idx, mask = lib.tensor(_IDX), lib.tensor(_MASK)
        if case == "gather":
            y = x.gather(0, idx)
        elif case == "getitem":
            y = x[idx]
        elif case == "getitem_mask":
            y = x[mask]
        elif case == "getitem_tuple":
            y = x.reshape(1, 5)[0, idx]
        elif case == "index_select":
            y = x.index_select(0, idx)
        elif case == "masked_fill":
            y = x.masked_fill(mask, 0.0)
        elif case == "embedding":
            y = _F(lib).embedding(idx, x.reshape(5, 1))
        elif case == "setitem":
            y = x * 1
            y[idx] = x[:3] * 2
        elif case == "setitem_mask":
            y = x * 1
            y[mask] = 0.0
        else:
            y = lib.zeros(5).scatter_add(0, idx, x[:3])
        (mask if case in ("getitem_mask", "masked_fill", "setitem_mask") else idx).zero_()
        y.sum().backward()
    both(fn, match=VERSION_ERROR)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "cross_entropy_probs"])
def test_loss_target_changed_before_backward_raises(loss):
    def fn(lib):
        x = _leaf(lib, X34)
        if loss == "cross_entropy_probs":
            target = lib.tensor(np.abs(X34[::-1]).copy())
            out = _F(lib).cross_entropy(x, target)
        else:
            target = lib.tensor([0, 3, 1])
            out = getattr(_F(lib), loss)(x, target)
        target.add_(1)
        out.backward()
    both(fn, match=VERSION_ERROR)


def test_index_tensor_unchanged_gives_torchs_gradient():
    def fn(lib):
        x = _leaf(lib, X5)
        idx = lib.tensor(_IDX)
        (x[idx] * 2 + x.gather(0, idx) + x.index_select(0, idx)).sum().backward()
        return x.grad
    both(fn)


def test_output_saved_by_an_inplace_op_is_checked():
    """relu_ saves its result (the written tensor): changing it again breaks backward, as torch."""
    def fn(lib):
        x = _leaf(lib, X5)
        y = x * 1
        _F(lib).relu(y, inplace=True)
        y.add_(1)
        y.sum().backward()
    both(fn, match=VERSION_ERROR)


def test_input_saved_by_another_op_is_checked():
    def fn(lib):
        x = _leaf(lib, X5)
        y = x * 1
        z = y * y
        y.add_(1)
        z.sum().backward()
    both(fn, match=VERSION_ERROR)


# -- 2. no version error where torch saves something else -----------------------------------------
@pytest.mark.parametrize("case", ["reciprocal", "cross_entropy", "elu", "selu", "celu", "data"])
def test_edits_torch_allows(case):
    def fn(lib):
        F = _F(lib)
        x = _leaf(lib, np.abs(X34) + 1)
        y = x * 1
        if case == "reciprocal":
            out = 1 / y
            y.add_(1)
        elif case == "cross_entropy":
            out = F.cross_entropy(y, lib.tensor([0, 3, 1]))
            y.add_(1)
        elif case == "data":
            out = x * x
            x.data.add_(1)  # invisible to autograd: backward reads the new values, as in torch
        else:
            out = getattr(F, case)(y - 1.5)
            out.mul_(2)
        out.sum().backward()
        return out, x.grad, x._version
    both(fn)


@pytest.mark.parametrize("op", ["clamp_", "pow_", "mul_", "div_", "sub_", "masked_fill_"])
def test_inplace_op_on_non_leaf_keeps_what_it_needs(op):
    """The in-place op's own node keeps the values it overwrote (torch's original_self)."""
    def fn(lib):
        x = _leaf(lib, X5)
        w = _leaf(lib, np.abs(X5) + 0.5)
        b = x * 1
        if op == "clamp_":
            b.clamp_(-0.5, 0.5)
        elif op == "pow_":
            b.pow_(2)
        elif op == "masked_fill_":
            b.masked_fill_(lib.tensor(_MASK), 0.0)
        else:
            getattr(b, op)(w)
        (b * b).sum().backward()
        return b, x.grad, w.grad
    both(fn)


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "hardtanh", "elu", "selu", "celu", "silu", "mish", "hardswish"])
def test_inplace_activation_on_non_leaf_and_on_view(act):
    def fn(lib):
        x = _leaf(lib, X34)
        y = x * 1
        getattr(_F(lib), act)(y, inplace=True)
        z = x * 2
        getattr(_F(lib), act)(z[1:], inplace=True)
        (y * y + z * z).sum().backward()
        return y, z, x.grad
    both(fn)


# -- 3. in-place writes into views (CopySlices) ---------------------------------------------------
def _views_program(case):
    def fn(lib):
        x = _leaf(lib, X34)
        y = x * 2
        if case == "getitem_iadd":
            y[0] += 1
        elif case == "row_mul_":
            y[1].mul_(3)
        elif case == "column_copy_":
            y[:, 1].copy_(x[0, :3] * 5)
        elif case == "transpose_view":
            y.t()[2].mul_(x[0])
        elif case == "setitem_basic":
            y[1:, ::2] = x[:2, 1::2] ** 2
        elif case == "view_of_view":
            v = y[1:]
            v[:, 0].mul_(y[0, :2].detach())
        elif case == "base_then_view":
            v = y[:2]
            y.mul_(3)
            return v, (v * v).sum().backward(), x.grad
        elif case == "view_then_other_view":
            a, b = y[0], y[:, 1]
            a.mul_(4)
            return a, b, (b * b).sum().backward(), x.grad
        elif case == "zero_row":
            y[2].zero_()
        (y * y).sum().backward()
        return y, x.grad
    return fn


@pytest.mark.parametrize("case", ["getitem_iadd", "row_mul_", "column_copy_", "transpose_view", "setitem_basic",
                                  "view_of_view", "base_then_view", "view_then_other_view", "zero_row"])
def test_inplace_on_view_of_non_leaf(case):
    both(_views_program(case))


def test_grad_of_grad_through_writes_into_views():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x * 2
        y[1:3].mul_(x[:2])               # a slice
        y.view(2, 2)[0].add_(x[2:] ** 2)  # a row of a reshaped view
        z = x * 1
        z.view(4, 1).mul_(x.view(4, 1))   # the whole base, read as a reshape
        g, = lib.autograd.grad((y ** 3).sum() + (z * y).sum(), x, create_graph=True)
        gg, = lib.autograd.grad((g * g).sum(), x)
        return g, gg
    both(fn)


def test_inplace_on_view_grad_fn_names_the_write():
    """The base's grad_fn is a CopySlices node, the view's a node re-derived from the base."""
    x = minigrad.ones(3, requires_grad=True)
    y = x * 2
    v = y[:2]
    v.mul_(3)
    assert "CopySlices" in y.grad_fn.name()
    assert v.grad_fn.next_functions[0][0] is y.grad_fn


def test_backprop_lecture_index_accumulation():
    """``dC[ix] += demb[k, j]`` in a loop, as a well-known backprop lecture writes it."""
    ix = np.array([[0, 1, 3], [2, 1, 1]])
    demb = RNG.standard_normal((2, 3, 4)).astype(np.float32)

    def fn(lib):
        C = _leaf(lib, RNG.standard_normal((5, 4)).astype(np.float32) * 0 + 1)
        d = _leaf(lib, demb)
        dC = lib.zeros_like(C)
        ixt = lib.tensor(ix)
        for k in range(ix.shape[0]):
            for j in range(ix.shape[1]):
                dC[ixt[k, j]] += d[k, j] * C[ixt[k, j]]
        (dC * dC).sum().backward()
        return dC, C.grad, d.grad
    both(fn)


@pytest.mark.parametrize("first", ["conv1d", "flatten"])
def test_module_then_inplace_relu(first):
    x3 = RNG.standard_normal((2, 3, 6)).astype(np.float32)
    w = RNG.standard_normal((4, 3, 3)).astype(np.float32)

    def fn(lib):
        nn = _nn(lib)
        conv = nn.Conv1d(3, 4, 3)
        with lib.no_grad():
            conv.weight.copy_(lib.tensor(w))
            conv.bias.fill_(0.1)
        model = nn.Sequential(conv, nn.Flatten(), nn.ReLU(inplace=True)) if first == "flatten" \
            else nn.Sequential(conv, nn.ReLU(inplace=True))
        x = _leaf(lib, x3)
        out = model(x)
        (out * out).sum().backward()
        return out, x.grad, conv.weight.grad, conv.bias.grad
    both(fn)


def test_writes_through_detach_and_state_dict_reach_the_original():
    def fn(lib):
        nn = _nn(lib)
        x = _leaf(lib, X5)
        x.detach().zero_()
        lin = nn.Linear(2, 2)
        sd = lin.state_dict()
        sd["weight"].fill_(1.5)
        sd["bias"].copy_(lib.tensor([1.0, -1.0]))
        return x, x.requires_grad, x.is_leaf, lin.weight, lin.bias, x._version
    both(fn)


@pytest.mark.parametrize("case", ["setitem_leaf", "view_of_leaf", "reshape_of_leaf", "leaf", "advanced_setitem_leaf"])
def test_writes_into_leaves_that_require_grad_raise(case):
    def fn(lib):
        x = _leaf(lib, X5)
        if case == "setitem_leaf":
            x[0] = 2.0
        elif case == "view_of_leaf":
            x[1:].add_(1)
        elif case == "reshape_of_leaf":
            x.view(5, 1).mul_(2)
        elif case == "advanced_setitem_leaf":
            x[lib.tensor([0, 1])] = 2.0
        else:
            x.add_(1)
    both(fn, match="in-place operation")


@pytest.mark.parametrize("case", ["unbind", "split", "chunk", "no_grad_view", "no_grad_view_plain"])
def test_views_torch_forbids_writing(case):
    def fn(lib):
        x = _leaf(lib, X34)
        y = x * 2
        if case == "no_grad_view":
            with lib.no_grad():
                v = y[0]
        elif case == "no_grad_view_plain":
            b = lib.zeros(3)
            with lib.no_grad():
                v = b[:2]
            v.add_(1)
            return b
        else:
            v = y.unbind(0)[1] if case == "unbind" else getattr(y, case)(2)[1]
        v.mul_(2)
    match = {"no_grad_view": "A view was created in no_grad mode", "no_grad_view_plain": None}
    both(fn, match=match.get(case, "is a view and is being modified inplace"))


def test_retain_grad_follows_the_tensor_through_inplace_writes():
    def fn(lib):
        x = _leaf(lib, X5)
        y = x * 2
        y.retain_grad()
        y.mul_(5)
        v = y[:3]
        v.retain_grad()
        y[0].mul_(3)
        (y * y).sum().backward()
        return y.grad, v.grad, x.grad
    both(fn)


# -- 4. zeros, not None ----------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["zero_", "fill_", "copy_"])
def test_overwritten_non_leaf_sends_zero_gradients(op):
    def fn(lib):
        p = _leaf(lib, X5)
        y = p * 1
        if op == "copy_":
            y.copy_(lib.ones(5))
        elif op == "fill_":
            y.fill_(2.0)
        else:
            y.zero_()
        y.sum().backward()
        return p.grad
    both(fn)


# -- 5. backward(inputs=[non_leaf]) ---------------------------------------------------------------
def test_backward_inputs_non_leaf_fills_its_grad():
    def fn(lib):
        x = _leaf(lib, X5)
        y = x * 2
        z = (y * y).sum()
        z.backward(inputs=[y], retain_graph=True)
        z.backward(inputs=[x, y], retain_graph=True)
        w = y * 3
        w.retain_grad()
        (w * y).sum().backward(inputs=[w])
        return y.grad, x.grad, w.grad
    both(fn)


# -- 6. exception classes --------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["add_row", "add_transpose", "copy_shifted", "setitem_shifted", "mul_shifted"])
def test_partially_overlapping_inplace_write_raises(case):
    def fn(lib):
        x = lib.tensor(X34[:3, :3].copy())
        if case == "add_row":
            x.add_(x[0])
        elif case == "add_transpose":
            x.add_(x.t())
        elif case == "copy_shifted":
            x.view(-1)[1:].copy_(x.view(-1)[:-1])
        elif case == "setitem_shifted":
            x[1:] = x[:2]
        else:
            x[0, :2].mul_(x[0, 1:])
    both(fn, match="refer to a single memory location")


def test_fully_overlapping_inplace_write_is_fine():
    def fn(lib):
        x = lib.tensor(X34.copy())
        x.add_(x)
        x[1].mul_(x[1])
        return x
    both(fn)


def test_detach_inplace_on_view_raises():
    def fn(lib):
        x = lib.tensor(X34.copy())
        x[0].detach_()
    both(fn, match="Can't detach views in-place")


def test_int16_index_tensor_raises():
    def fn(lib):
        x = lib.tensor(X5)
        return x[lib.tensor([0, 1], dtype=lib.int16)]
    both(fn, match="tensors used as indices must be long, int, byte or bool tensors")


# -- random chains of views and in-place ops --------------------------------------------------------
_VIEW = st.one_of(
    st.tuples(st.just("slice"), st.integers(0, 3), st.integers(0, 2), st.integers(1, 2)),
    st.tuples(st.just("transpose"), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("unsqueeze"), st.integers(0, 3)),
    st.tuples(st.just("select"), st.integers(0, 3), st.integers(0, 3)),
)
_WRITE = st.sampled_from(["add_", "mul_", "copy_", "zero_", "clamp_", "setitem", "pow_", "div_"])


def _apply_view(t, view):
    kind = view[0]
    nd = t.dim()
    if kind == "unsqueeze":
        return t.unsqueeze(view[1] % (nd + 1))
    if nd == 0:
        return t
    d = view[1] % nd
    if kind == "slice":
        start = min(view[2], max(t.shape[d] - 1, 0))
        return t.narrow(d, start, t.shape[d] - start)[(slice(None),) * d + (slice(None, None, view[3]),)]
    if kind == "transpose":
        return t.transpose(d, view[2] % nd)
    return t[(slice(None),) * d + (view[2] % t.shape[d],)] if t.shape[d] else t  # select


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), views=st.lists(_VIEW, min_size=1, max_size=4),
       write=_WRITE, keep_other_view=st.booleans(), seed=st.integers(0, 2**16))
def test_random_view_chain_then_inplace_write_matches_torch(shape, views, write, keep_other_view, seed):
    rng = np.random.default_rng(seed)
    x0 = (rng.standard_normal(shape) + 2.0).astype(np.float32)
    w0 = (rng.standard_normal(shape) + 2.0).astype(np.float32)

    def fn(lib):
        x = _leaf(lib, x0)
        s = lib.tensor(np.float32(1.5)).requires_grad_()
        y = x * lib.tensor(w0)
        other = y.transpose(0, -1) if keep_other_view else None
        v = y
        for view in views:
            v = _apply_view(v, view)
        src = s * lib.ones(tuple(v.shape))
        if write == "copy_":
            v.copy_(src)
        elif write == "zero_":
            v.zero_()
        elif write == "clamp_":
            v.clamp_(-1.0, 2.5)
        elif write == "setitem":
            v[...] = src * 2
        elif write == "pow_":
            v.pow_(2)
        else:
            getattr(v, write)(src)
        loss = (y * lib.tensor(w0)).sum() + (v * v).sum()
        if other is not None:
            loss = loss + (other * other).sum()
        loss.backward()
        return y, v, x.grad, s.grad
    both(fn)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       program=st.lists(st.tuples(st.lists(_VIEW, max_size=3), _WRITE, st.booleans()), min_size=1, max_size=4),
       base_requires_grad=st.booleans(), no_grad_step=st.integers(-1, 3), seed=st.integers(0, 2**16))
def test_random_sequence_of_writes_into_views_matches_torch(shape, program, base_requires_grad, no_grad_step, seed):
    """Several writes, each through its own chain of views, one of them perhaps under no_grad; some
    of the views are kept and used after all the writes (their grad_fn re-derived from the base)."""
    x0 = (np.random.default_rng(seed).standard_normal(shape) + 2.0).astype(np.float32)

    def fn(lib):
        x = _leaf(lib, x0)
        s = lib.tensor(np.float32(1.5)).requires_grad_()
        y = x * 2 if base_requires_grad else lib.tensor(x0)
        kept = []
        for step, (views, write, keep) in enumerate(program):
            v = y
            for view in views:
                v = _apply_view(v, view)
            if keep:
                kept.append(v)
            src = s * lib.ones(tuple(v.shape))
            with lib.no_grad() if step == no_grad_step else lib.enable_grad():
                if write == "copy_":
                    v.copy_(src)
                elif write == "zero_":
                    v.zero_()
                elif write == "clamp_":
                    v.clamp_(-1.0, 2.5)
                elif write == "setitem":
                    v[...] = src * 2
                elif write == "pow_":
                    v.pow_(2)
                else:
                    getattr(v, write)(src)
        loss = (y * y).sum()
        for v in kept:
            loss = loss + (v * 3).sum()
        if not loss.requires_grad:
            return y, kept
        loss.backward()
        return y, kept, x.grad, s.grad, [v.requires_grad for v in kept], y._version
    both(fn)
