"""Disagreements with torch found by the program fuzzer (minigrad.testing.fuzz), each reduced to a
few lines and run against torch and minigrad side by side (``lib`` is one or the other): values,
dtypes, shapes, requires_grad, or the exception class and the gist of its message must agree.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad

pytestmark = [pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph"),
              pytest.mark.filterwarnings("ignore:Use of .* on expanded tensors is deprecated")]

OVERLAP = "refers to a single memory location"
PARTIAL_OVERLAP = "some elements of the input tensor and the written-to tensor"


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
        assert m.requires_grad == t.requires_grad, (where, m.requires_grad, t.requires_grad)
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6, err_msg=where)
    else:
        assert t == m, (where, t, m)


def _same(fn, message=None):
    """Run ``fn(lib)`` in both libraries; same outcome, or the same exception class (and, if
    given, ``message`` in both messages)."""
    (tk, tv), (mk, mv) = _run(fn, torch), _run(fn, minigrad)
    assert tk == mk, f"torch {tk}: {tv!r}; minigrad {mk}: {mv!r}"
    if tk == "err":
        assert type(tv) is type(mv), (tv, mv)
        if message:
            assert message in str(tv) and message in str(mv), (str(tv), str(mv))
    else:
        assert message is None, f"expected an error with {message!r}; both succeeded"
        _compare(tv, mv)
    return tv, mv


# -- gradients handed to the user: writable, unshared ---------------------------------------------
def test_accumulating_after_create_graph_of_a_sum():
    def f(lib):   # the first .grad was sum's broadcast; it must take the second gradient
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.sum().backward(create_graph=True)
        x.sum().backward()
        return x.grad
    _same(f)


def test_grad_after_create_graph_keeps_its_graph_when_accumulated():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward(create_graph=True)
        x.sum().backward()
        return x.grad, x.grad.grad_fn is not None
    _same(f)


def test_grad_after_create_graph_is_writable():
    def f(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x.sum().backward(create_graph=True)
        with lib.no_grad():
            x.grad.mul_(2)
        return x.grad
    _same(f)


@pytest.mark.parametrize("shape", [(1,), (1, 1), (0, 3), (2, 0, 1)])
def test_broadcast_gradient_without_shared_elements_takes_in_place_ops(shape):
    def f(lib):   # autograd.grad of a sum is an expanded tensor; nothing is shared here
        x = lib.ones(shape, requires_grad=True)
        g, = lib.autograd.grad(x.sum(), [x])
        g.mul_(0.5)
        g.add_(1)
        return g
    _same(f)


@pytest.mark.parametrize("op", ["mul_", "pow_", "add_"])
def test_broadcast_gradient_with_shared_elements_refuses_in_place_arithmetic(op):
    def f(lib):
        x = lib.ones(2, 3, requires_grad=True)
        g, = lib.autograd.grad(x.sum(), [x])
        return getattr(g, op)(2)
    _same(f, OVERLAP)


@pytest.mark.parametrize("op", [lambda t: t.fill_(2.5), lambda t: t.zero_()])
def test_fill_and_zero_of_an_expanded_tensor_write_its_base(op):
    def f(lib):
        base = lib.tensor([[1.0], [2.0]])
        e = base.expand(2, 3)
        op(e)
        return e, base
    _same(f)


def test_in_place_op_on_an_empty_expanded_tensor():
    def f(lib):
        t = lib.zeros((3, 0, 3), dtype=lib.int64)
        e = t.expand(2, 3, 0, 3)
        e.add_(1)
        t.detach().add_(1)
        return e, t
    _same(f)


def test_autograd_grad_result_does_not_share_a_retained_grad():
    def f(lib):
        a = lib.tensor(1.0, requires_grad=True)
        y = a + 3
        y.retain_grad()
        g, = lib.autograd.grad(y * 2, [a])
        g.zero_()
        return y.grad, g
    _same(f)


def test_retained_grad_is_not_the_leaf_grad():
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = a + 0
        y.retain_grad()
        y.sum().backward()
        y.grad.mul_(10)
        return a.grad, y.grad
    _same(f)


# -- backward(inputs=...) ------------------------------------------------------------------------
def test_backward_inputs_view_then_later_backward_accumulates():
    def f(lib):
        x = lib.tensor([[0.5, 3.0], [1.0, 2.0]], requires_grad=True)
        v = x[::1]
        lib.autograd.grad((v * v).sum(), [x, v], retain_graph=True)
        v.sum().backward(inputs=[v], retain_graph=True)
        first = v.grad.clone()
        v.sum().backward(retain_graph=True)
        return first, v.grad, x.grad
    _same(f)


def test_backward_inputs_unrelated_non_leaf_retains_its_grad_later():
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor(3.0, requires_grad=True)
        y = a * 2
        (b * 2).backward(inputs=[b, y], retain_graph=True)
        before = y.grad
        (y * y).sum().backward()
        return before is None, y.grad, y.retains_grad
    _same(f)


# -- integer division and overlap checks of augmented operators ---------------------------------
@pytest.mark.parametrize("expr", [lambda lib: lib.zeros((0, 2), dtype=lib.int64) % 0,
                                  lambda lib: lib.zeros((0, 1, 3), dtype=lib.int16) // -1099511627776,
                                  lambda lib: lib.zeros((0, 2), dtype=lib.int32) // lib.zeros(2, dtype=lib.int32)])
def test_integer_division_of_an_empty_tensor_by_zero(expr):
    _same(expr)


def test_integer_division_by_zero_raises():
    _same(lambda lib: lib.ones(2, dtype=lib.int64) % 0, "ZeroDivisionError")
    _same(lambda lib: lib.ones(2, dtype=lib.int64) // lib.tensor([1, 0]), "ZeroDivisionError")


@pytest.mark.parametrize("op", ["__irshift__", "__ilshift__", "__ixor__", "__iand__", "__ior__",
                                "__ifloordiv__", "__imod__"])
def test_augmented_operator_partial_overlap_raises(op):
    def f(lib):
        t = lib.tensor([1, 2, 3, 4], dtype=lib.int64)
        return getattr(t[1:], op)(t[:3])
    _same(f, PARTIAL_OVERLAP)


# -- detach_() of a leaf, saved weights ------------------------------------------------------------
def test_detach_in_place_of_a_leaf_cuts_graphs_built_before():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        calls = []
        x.register_hook(lambda g: calls.append(g.tolist()))
        y = (x * 3).sum()
        v = x.reshape(-1)
        x.detach_()
        y.backward()
        v.sum().backward()
        return x.grad is None, calls
    _same(f)


def test_detach_in_place_then_requires_grad_again_accumulates():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 3).sum()
        x.detach_()
        x.requires_grad_()
        y.backward()
        return x.grad
    _same(f)


def test_binary_cross_entropy_weight_changed_in_place_is_a_version_error():
    def f(lib):
        x = lib.tensor([0.3, 0.6], requires_grad=True)
        w = lib.tensor([1.0, 2.0])
        loss = lib.nn.functional.binary_cross_entropy(x, lib.tensor([0.0, 1.0]), weight=w, reduction="sum")
        w.mul_(2)
        loss.backward()
    _same(f, "modified by an inplace operation")


def test_binary_cross_entropy_weight_requiring_grad():
    def f(lib):
        x = lib.tensor([0.3, 0.6], requires_grad=True)
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        return lib.nn.functional.binary_cross_entropy(x, lib.tensor([0.0, 1.0]), weight=w)
    _same(f, "not differentiable with respect to argument 'weight'")

    def under_no_grad(lib):
        x = lib.tensor([0.3, 0.6], requires_grad=True)
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            return lib.nn.functional.binary_cross_entropy(x, lib.tensor([0.0, 1.0]), weight=w)
    _same(under_no_grad)


def test_binary_cross_entropy_broadcast_weight_of_another_dtype():
    def f(lib):
        x = lib.tensor([[0.3, 0.6]], requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy(x, lib.tensor([[0.0, 1.0]]),
                                                      weight=lib.tensor([2.0], dtype=lib.float64))
        loss.backward()
        return loss, x.grad
    _same(f)


# -- the layout of *_like results (torch's preserve_format) ---------------------------------------
@pytest.mark.parametrize("make", [lambda t: t.permute(1, 2, 0), lambda t: t.transpose(0, 2)[::2],
                                  lambda t: t[:, :1].expand(2, 3, 4), lambda t: t])
@pytest.mark.parametrize("like", [lambda lib, t: lib.ones_like(t), lambda lib, t: lib.zeros_like(t, dtype=lib.int64),
                                  lambda lib, t: lib.full_like(t, 2.5), lambda lib, t: lib.empty_like(t).fill_(1)])
def test_like_keeps_the_dim_order_of_its_input(make, like):
    def f(lib):
        out = like(lib, make(lib.ones(2, 3, 4)))
        return out, out.stride()
    _same(f)


def test_gradient_of_a_permuted_output_keeps_its_layout():
    def f(lib):   # autograd.grad returns the grad_outputs tensor, a ones_like of a permute
        x = lib.ones(2, 3, 4, requires_grad=True)
        y = x.permute(1, 2, 0)
        g, = lib.autograd.grad(y, [y], grad_outputs=lib.ones_like(y))
        return g.view(-1)
    _same(f, "view size is not compatible")


# -- validations and Tensor.select -----------------------------------------------------------------
def test_retain_grad_without_requires_grad_raises():
    _same(lambda lib: lib.tensor([1, 2]).retain_grad(), "can't retain_grad on Tensor that has requires_grad=False")


def test_view_without_sizes_raises():
    _same(lambda lib: lib.tensor(1.0).view(), "view() received an invalid combination of arguments")


@pytest.mark.parametrize("dim,index", [(0, 1), (1, -1), (-1, 0), (2, 3), (1, 5), (1, -4), (3, 0)])
def test_select_is_a_view_with_a_gradient(dim, index):
    def f(lib):
        x = lib.arange(24.0).reshape(2, 3, 4).requires_grad_()
        y = x * 1
        s = y.select(dim, index)
        s.mul_(2)   # through the view into y
        (y * y).sum().backward()
        return s, s._base is y, y, x.grad
    _same(f)


def test_select_of_a_0_dim_tensor_raises():
    _same(lambda lib: lib.tensor(1.0).select(0, 0), "select() cannot be applied to a 0-dim tensor")


@pytest.mark.parametrize("op", ["add_", "mul_", "copy_", "__iand__"])
def test_in_place_op_with_the_same_memory_in_another_shape_is_a_partial_overlap(op):
    def f(lib):   # torch: the same memory is a full overlap only with the same sizes
        t = lib.tensor(7)
        return getattr(t.reshape(-1), op)(t)
    _same(f, PARTIAL_OVERLAP)


@pytest.mark.parametrize("op", ["add_", "mul_", "copy_", "__iand__"])
def test_in_place_op_with_itself_is_allowed(op):
    def f(lib):
        t = lib.tensor([[7]])
        u = t.reshape(1, 1)
        return getattr(u, op)(t), t
    _same(f)


@pytest.mark.parametrize("index", [..., 0, (slice(None), 1), (slice(None), slice(0, 2)), "tensor", "mask"])
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence for multidimensional indexing:UserWarning")
def test_setitem_into_an_expanded_tensor(index):
    def shared(lib):   # torch: a basic index raises when its view overlaps itself; advanced ones write
        e = lib.tensor([[1.0], [2.0]]).expand(2, 3)
        e.zero_()
        i = {"tensor": lib.tensor([1]), "mask": lib.tensor([True, False])}.get(index, index) \
            if isinstance(index, str) else index
        e[i] = 3.0
        return e
    _same(shared)

    def unshared(lib):   # a stride-0 dim of size 1 shares nothing
        base = lib.tensor([1.0, 2.0])
        e = base.expand(1, 2)
        e[index] = 3.0
        return e, base
    _same(unshared)


def test_masked_fill_of_a_broadcast_gradient():
    def f(lib):   # torch warns (deprecated) and writes
        x = lib.ones(2, 3, requires_grad=True)
        g, = lib.autograd.grad(x.sum(), [x])
        g.masked_fill_(g > 0, 0)
        return g
    _same(f)


# -- argument checks of torch's autograd layer ----------------------------------------------------
@pytest.mark.parametrize("call", ["sum", "prod", "cumsum"])
def test_integer_result_of_a_differentiable_op_on_a_grad_input_raises(call):
    def f(lib):
        y = lib.tensor([0.5, 1.5, 2.5], requires_grad=True)
        return getattr(lib, call)(y, *((0,) if call == "cumsum" else ()), dtype=lib.int64)
    _same(f, "Autograd not support dtype: Long")

    def under_no_grad(lib):
        with lib.no_grad():
            return f(lib)
    _same(under_no_grad)


@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
def test_class_weight_that_requires_grad_raises(loss):
    def f(lib):
        x = lib.tensor([[0.1, 0.7, -0.2], [1.0, 0.0, 0.3]], requires_grad=True)
        w = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
        return getattr(lib.nn.functional, loss)(x, lib.tensor([2, 0]), weight=w)
    _same(f, "not differentiable with respect to argument 'weight'")

    def probabilities(lib):   # class probabilities: the weight has a gradient
        x = lib.tensor([[0.1, 0.7, -0.2], [1.0, 0.0, 0.3]], requires_grad=True)
        w = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
        p = lib.tensor([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
        lib.nn.functional.cross_entropy(x, p, weight=w).backward()
        return x.grad, w.grad
    _same(probabilities)


@pytest.mark.parametrize("alpha", [0, 2, -1, True, 2.5])
@pytest.mark.parametrize("other", ["bool", "long"])
def test_alpha_is_checked_against_the_result_dtype(alpha, other):
    def f(lib):
        b = lib.tensor([True, False])
        o = b.clone() if other == "bool" else lib.tensor([1, 2])
        return b.add(o, alpha=alpha), b.clone().add_(b, alpha=alpha) if other == "bool" else None
    _same(f)


@pytest.mark.parametrize("call", [lambda F, x: F.channel_shuffle(x, 3), lambda F, x: F.channel_shuffle(x, 1),
                                  lambda F, x: F.pixel_shuffle(x.reshape(1, 3, 2, 2), 1),
                                  lambda F, x: F.pixel_unshuffle(x.reshape(1, 3, 2, 2), 1)],
                         ids=["channel_shuffle_3", "channel_shuffle_1", "pixel_shuffle_1", "pixel_unshuffle_1"])
def test_shuffles_return_new_memory(call):
    def f(lib):   # a shuffle that moves nothing must still not alias its input
        x = lib.arange(12.0).reshape(1, 3, 4)
        y = call(lib.nn.functional, x.reshape(1, 3, 2, 2))
        x.add_(100)
        return y
    _same(f)


@pytest.mark.parametrize("case", ["bce_weight", "bce_pos_weight", "batch_norm_train", "batch_norm_eval"])
def test_arguments_without_a_derivative_refuse_requires_grad(case):
    def f(lib):
        F = lib.nn.functional
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], requires_grad=True)
        g = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
        if case.startswith("bce"):
            return F.binary_cross_entropy_with_logits(x, lib.full((2, 3), 0.5), **{case[4:]: g})
        return F.batch_norm(x, g, lib.ones(3), training=case.endswith("train"))
    _same(f, "is not differentiable with respect to argument")


# -- backward(inputs=[non_leaf]) runs the non-leaf's own node ----------------------------------------
def test_backward_inputs_runs_the_node_of_a_non_leaf_input():
    def f(lib):   # torch's engine executes the input's node: its missing derivative raises
        x = lib.tensor([1.5, 2.5], requires_grad=True)
        y = 2 % x
        (y * 2).sum().backward(inputs=[y])
        return y.grad
    _same(f, "derivative for aten::remainder is not implemented")


def test_backward_inputs_frees_the_node_of_a_non_leaf_input():
    def f(lib):
        x = lib.tensor([1.5, 2.5], requires_grad=True)
        y = x.exp()
        (y * 2).sum().backward(inputs=[y])
        y.sum().backward()   # exp's saved result was freed by the first call
        return x.grad
    _same(f, "backward through the graph a second time")


# -- gradients of piecewise-linear activations after create_graph -----------------------------------
ACTIVATIONS = {
    "relu": lambda F, x: F.relu(x), "relu_": lambda F, x: F.relu(x * 1, inplace=True),
    "hardtanh": lambda F, x: F.hardtanh(x), "relu6": lambda F, x: F.relu6(x * 3),
    "hardtanh_": lambda F, x: F.hardtanh(x * 1, inplace=True), "leaky_relu": lambda F, x: F.leaky_relu(x),
    "leaky_relu_": lambda F, x: F.leaky_relu(x * 1, inplace=True), "threshold": lambda F, x: F.threshold(x, 0.5, 2.0),
    "hardshrink": lambda F, x: F.hardshrink(x), "softshrink": lambda F, x: F.softshrink(x),
    "rrelu": lambda F, x: F.rrelu(x, training=False),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_create_graph_gradient_of_a_kinked_activation_is_in_the_graph(name):
    def f(lib):   # torch's *_backward ops take x (or the result): the gradient requires grad, its derivative is 0
        x = lib.tensor([0.0, 1.0, -1.0, 0.5, 2.5], requires_grad=True)
        g, = lib.autograd.grad(ACTIVATIONS[name](lib.nn.functional, x).sum(), [x], create_graph=True)
        gg, = lib.autograd.grad((g * g).sum(), [x], allow_unused=True)
        return g, gg
    _same(f)


def test_kinked_activation_gradient_without_create_graph_does_not_require_grad():
    def f(lib):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        g, = lib.autograd.grad(lib.relu(x).sum(), [x])
        return g
    _same(f)


# -- setitem: the value loses its leading size-1 dims before the overlap check -----------------------
@pytest.mark.parametrize("code", [
    "x = lib.ones(1, 3, 3); x[0] = x", "x = lib.ones(1); x[0] = x", "x = lib.ones(1, 3); x[0, :] = x",
    "x = lib.ones(1, 3); x[:] = x[0]", "x = lib.ones(1, 1, 3); x[0] = x[0, 0]", "x = lib.ones(1, 3); x[...] = x[0]",
    "x = lib.ones(1, 1); x[0] = x", "x = lib.ones(1, 1, 1); x[0, 0] = x", "x = lib.ones(1, 3, 3); x[0].add_(x)",
    "x = lib.ones(1, 3); x.squeeze(0).mul_(x)", "x = lib.ones(3, 1); x.mul_(x.t())", "x = lib.ones(2, 1, 1); x[0] = x[1:]",
])
def test_overlap_of_a_value_with_leading_size_1_dims(code):
    def f(lib):
        ns = {"lib": lib}
        exec(code, ns)
        return ns["x"]
    _same(f)


def test_householder_product_without_reflectors_has_no_gradient():
    def f(lib):   # Q is I's first columns; torch's node returns undefined gradients (None)
        a = lib.ones((2, 3, 2), dtype=lib.float64, requires_grad=True)
        tau = lib.zeros((2, 0), dtype=lib.float64, requires_grad=True)
        q = lib.linalg.householder_product(a, tau)
        q.sum().backward()
        return q, a.grad is None, tau.grad is None, q.grad_fn.name()
    _same(f)


# -- a write autograd does not record still re-derives the views of the base -----------------------
def test_write_through_detach_rederives_the_views_of_the_base():
    def f(lib):   # w is re-derived from x, so v's retain_grad no longer sees w's gradient
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        v = x.select(1, 0)
        v.retain_grad()
        w = v.select(0, 1)
        x.detach().mul_(2)
        w.sum().backward()
        return v.grad is None, x.grad
    _same(f)


def test_no_grad_write_into_a_base_drops_the_hooks_of_its_views_for_later_uses():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        v = y[0:1]
        calls = []
        v.register_hook(lambda g: calls.append(1))
        with lib.no_grad():
            y.add_(1)
        (v * 3).sum().backward()
        return len(calls), x.grad
    _same(f)


def test_views_used_before_an_untracked_write_keep_their_graph():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        v = y[1:]
        v.retain_grad()
        u = v * 2
        y.detach()[0:1].add_(1)
        u.sum().backward()
        return v.grad, x.grad
    _same(f)


def test_write_through_data_leaves_the_views_alone():
    def f(lib):   # .data has a version counter of its own
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        v = y.view(2)
        v.retain_grad()
        u = v[0]
        y.data.add_(1)
        u.backward()
        return v.grad, x.grad
    _same(f)


@pytest.mark.parametrize("code", [
    "x = lib.ones(1); x[::3].pow_(x)", "x = lib.ones(3); x.unsqueeze(1).add_(x[:, None])",
    "x = lib.ones(3); x[None].add_(x.view(1, 3))", "x = lib.ones(1, 3); x.add_(x[0][None])",
])
def test_full_overlap_needs_equal_strides_also_of_size_1_dims(code):
    def f(lib):
        ns = {"lib": lib}
        exec(code, ns)
        return ns["x"]
    _same(f)


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_are_not_views(name, periodic):
    def f(lib):
        w = getattr(lib, name)(8, periodic, dtype=lib.float64)
        w.detach_()   # raises on a view
        return w, w._base is None
    _same(f)


@pytest.mark.parametrize("call", ["lib.unique(x)", "lib.unique(x, dim=0)", "lib.unique_consecutive(x)",
                                  "lib.unique_consecutive(x, return_counts=True)[0]", "lib.unique(x, return_inverse=True)[0]"])
def test_unique_values_require_grad_and_their_backward_raises(call):
    def f(lib):   # torch records a node without a derivative: requires_grad, then NotImplementedError
        x = lib.tensor([1.0, 1.0, 2.0], requires_grad=True)
        y = eval(call)
        assert y.requires_grad
        y.sum().backward()
    _same(f, "is not implemented")


@pytest.mark.parametrize("call", [
    "lib.histogram(x, 3)[0]", "lib.histogram(x, 3)[1]", "lib.histogram(x.detach(), 3, weight=w)[0]",
    "lib.histogramdd(x.reshape(-1, 1), [3])[0]", "lib.histogramdd(x.reshape(-1, 1), [3])[1][0]",
    "lib.bincount(lib.tensor([0, 1, 1]), weights=w)"])
def test_results_without_a_derivative_require_grad_and_their_backward_raises(call):
    def f(lib):
        x = lib.tensor([0.1, 0.5, 0.7], requires_grad=True)
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = eval(call)
        assert y.requires_grad
        y.sum().backward()
    _same(f, "is not implemented")


@pytest.mark.parametrize("code", ["y.mul_(y)", "y.pow_(y)", "y.div_(y)", "y *= y", "y.addcmul_(y, y)", "y.atan2_(y)",
                                  "y.clamp_(min=y)", "y.add_(y)", "y.copy_(y)", "y.lerp_(y, 0.5)", "y.pow_(2)", "y.mul_(x)"])
def test_in_place_op_with_itself_as_a_saved_argument(code):
    def f(lib):   # self's old values are kept (original_self); the same tensor saved as another argument
        x = lib.tensor([1.5, 2.0], requires_grad=True)   # has moved on a version: backward raises
        y = x * 1
        exec(code)
        y.sum().backward()
        return x.grad
    _same(f)


@pytest.mark.parametrize("reduction", ["x.max()", "x.min()", "x.amax()", "x.amin(0, keepdim=True)",
                                       "lib.linalg.norm(x.reshape(1, 3), ord=-2, keepdim=True)", "x.max(0)[0]"])
@pytest.mark.parametrize("write", ["y.add_(1)", "y.pow_(e)", "y.detach().fill_(0.5)"])
def test_reductions_that_save_their_result_check_its_version(reduction, write):
    def f(lib):   # torch's max()/min()/amax/amin save the result (max(dim) saves only the indices)
        x = lib.tensor([0.5, -1.6, 6.8], requires_grad=True)
        e = lib.tensor(0.5, requires_grad=True)
        y = eval(reduction)
        exec(write)
        y.sum().backward()
        return x.grad
    _same(f)


@pytest.mark.parametrize("code", [
    "w = lib.ones(3, requires_grad=True); v = w.view(3, 1); w.detach_(); v.mul_(2)",
    "w = lib.ones(3, requires_grad=True); v = w.view(3, 1); w.requires_grad_(False); v.mul_(2)",
    "w = lib.ones(3, requires_grad=True)\nwith lib.no_grad():\n    v = w[0:2]\nv.mul_(2)",
    "w = lib.ones(3, requires_grad=True); v = w.detach()[0:2]; v.mul_(2)",
])
def test_in_place_on_a_view_of_a_leaf_follows_the_view_s_requires_grad(code):
    def f(lib):   # torch checks the view's own requires_grad, after the no_grad-view check
        ns = {"lib": lib}
        exec(code, ns)
        return ns["w"]
    _same(f)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_flows_into_coordinates_that_require_grad(edge_order):
    def f(lib):
        x = lib.tensor([-1.1, 2.64, 0.0, 1.5], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([1.0, 4.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        g, = lib.gradient(y, spacing=[x], edge_order=edge_order)
        (g * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)).sum().backward()
        return g, x.grad, y.grad
    _same(f)


def test_triangular_solve_cloned_coefficient_gives_the_right_side_zeros():
    def f(lib):   # torch's single node gives b a zero gradient when only the cloned coefficient is used
        b = lib.tensor([[1.8], [3.0]], dtype=lib.float64, requires_grad=True)
        A = lib.tensor([[2.5, 0.3], [0.0, 1.5]], dtype=lib.float64, requires_grad=True)
        x, c = lib.triangular_solve(b, A)
        (c * 2).sum().backward()
        return b.grad, A.grad
    _same(f)


def test_backward_inputs_does_not_compute_the_outputs_of_a_non_leaf_input_s_node():
    def f(lib):   # geqrf's formula raises only when its input's gradient is wanted
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        a, tau = lib.geqrf(x * 1)
        (a * 2).sum().backward(inputs=[a])
        return a.grad, x.grad is None
    _same(f)


def test_setitem_through_detach_rederives_the_views_of_the_base():
    def f(lib):   # the hook stays with the view's old node; the re-derived view does not run it
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        v = x[0]
        alias = x.detach()
        v.register_hook(lambda g: g * 2)
        alias[:1] = 7
        v.sum().backward()
        return x.grad
    _same(f)


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_running_statistics_requiring_grad_raise(use_input_stats):
    def f(lib):
        x = lib.ones(2, 3, 4)
        running_mean = lib.zeros(3, requires_grad=True)
        return lib.nn.functional.instance_norm(x, running_mean, lib.ones(3), use_input_stats=use_input_stats)
    _same(f, "not differentiable with respect to argument 'running_mean'")
