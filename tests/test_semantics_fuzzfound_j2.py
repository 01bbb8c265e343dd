"""Disagreements with torch found by the program fuzzer (minigrad.testing.fuzz) about which gradients
are part of a graph, which derivatives are computed, and which arguments may require grad. Each is
reduced to a few lines and run against torch and minigrad side by side (``lib`` is one or the
other): values, dtypes, shapes, requires_grad, or the exception class and the gist of its message
must agree.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad

# runs ``fn(lib)`` in both libraries and compares results (requires_grad included) or exceptions
from test_semantics_fuzzfound import _same  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph")]


# -- create_graph: a gradient is in a graph only where its formula's inputs are ---------------------
# torch evaluates each backward formula with grad mode on: the result requires grad when a tensor
# the formula reads does (the incoming gradient, a saved input or output), and a formula that makes
# fresh zeros (zeros_like) gives a tensor outside any graph. Accumulating into an existing .grad
# is ``grad + new`` (in the graph only if either is).

# frexp saves its exponent, an integer output outside the graph: the mantissa's gradient
# g / 2^exponent requires grad only where g does. Fuzzer: 2 programs.
@pytest.mark.parametrize("loss", ["sum", "square"])
@pytest.mark.parametrize("earlier_grad", [False, True])
def test_create_graph_gradient_through_a_saved_integer_output(loss, earlier_grad):
    def f(lib):
        x = lib.tensor([1.5, -3.0, 0.25], requires_grad=True)
        mantissa, exponent = lib.frexp(x)
        if earlier_grad:
            (mantissa * mantissa).sum().backward(retain_graph=True)
        out = mantissa.sum() if loss == "sum" else (mantissa * mantissa).sum()
        out.backward(create_graph=True)
        return x.grad, exponent
    _same(f)


# div with a rounding mode: torch's formula is zeros_like(grad) for each input, two tensors
# outside the graph (minigrad gave both inputs one tensor: a write into one showed in the
# other, and made it require grad). Fuzzer: 3 programs.
@pytest.mark.parametrize("rounding_mode", ["trunc", "floor"])
def test_zero_gradients_of_a_rounded_division_are_two_tensors(rounding_mode):
    def f(lib):
        a = lib.tensor([-0.05, 7.0], requires_grad=True)
        b = lib.tensor([2.5, -2.0], requires_grad=True)
        y = lib.div(a, b, rounding_mode=rounding_mode)
        ga, gb = lib.autograd.grad(y.sum(), [a, b], create_graph=True)
        before = (ga.requires_grad, gb.requires_grad)
        ga += b
        return before, ga, gb
    _same(f)


# hardsigmoid's gradient is torch's hardsigmoid_backward(grad, x): in the graph of x (and of the
# incoming gradient), with no derivative of its own, so differentiating it again raises.
# Fuzzer: 1 program (hardsigmoid_at_kinks).
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("then", ["none", "grad_x", "grad_v"])
def test_hardsigmoid_gradient_lies_in_the_graph_of_its_input(inplace, then):
    def f(lib):
        x = lib.tensor([-3.0, 0.0, 3.0, 1.0], requires_grad=True)
        v = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=then == "grad_v")
        y = lib.nn.functional.hardsigmoid(x * 1, inplace=inplace)
        gx, = lib.autograd.grad(y, [x], grad_outputs=v, create_graph=True)
        if then != "none":
            lib.autograd.grad(gx.sum(), [x if then == "grad_x" else v])
        return gx
    _same(f, None if then == "none" else "derivative for aten::hardsigmoid_backward is not implemented")


def test_hardsigmoid_create_graph_accumulates_in_the_graph():
    def f(lib):
        x = lib.tensor([-3.0, 0.0, 3.0], requires_grad=True)
        loss = lib.nn.functional.hardsigmoid(x)[1]
        loss.backward(retain_graph=True, create_graph=True)
        first = x.grad.requires_grad
        loss.backward(retain_graph=True, create_graph=True)
        return first, x.grad
    _same(f)


# -- a derivative is computed only where the backward needs it ----------------------------------------
# torch's nodes compute the gradient of an input only when the engine needs it (autograd.grad,
# backward(inputs=)): zeta, which has no derivative in x, differentiates in q. Fuzzer: 6 programs.
@pytest.mark.parametrize("how", ["inputs_q", "inputs_output_and_q", "grad_q", "inputs_x", "all"])
def test_zeta_differentiates_in_q_without_asking_for_x(how):
    def f(lib):
        x = lib.tensor([2.0, 3.5, 1.5], requires_grad=True)
        q = lib.tensor([1.0, 2.0, 0.5], requires_grad=True)
        z = lib.special.zeta(x, q)
        if how == "grad_q":
            return lib.autograd.grad(z.sum(), [q])
        if how == "inputs_output_and_q":
            z.sum().backward(inputs=[z, q])
            return z.grad, q.grad, x.grad
        z.sum().backward(**({"inputs": [q]} if how == "inputs_q" else {"inputs": [x]} if how == "inputs_x" else {}))
        return q.grad, x.grad
    _same(f, "derivative for 'zeta' is not implemented" if how in ("inputs_x", "all") else None)


def test_a_derivative_not_asked_for_is_not_computed_below_other_ops():
    def f(lib):   # the zeta node lies below a product: still only q's gradient is asked of it
        x = lib.tensor([2.0, 3.0], requires_grad=True)
        q = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (lib.special.zeta(x * 1, q) * x).sum()
        gq, = lib.autograd.grad(y, [q], create_graph=True)
        return gq
    _same(f)



@pytest.mark.parametrize("op", ["fmod", "remainder", "mul", "special.zeta"])
@pytest.mark.parametrize("wanted", ["x", "y"])
def test_a_node_asked_for_some_gradients_still_checks_all_it_saved(op, wanted):
    def f(lib):   # torch's node unpacks every saved tensor first: y's write is a version error either way
        x = lib.tensor([5.0, 7.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0], requires_grad=True)
        fn = lib.special.zeta if op == "special.zeta" else getattr(lib, op)
        z = fn(x, y)
        with lib.no_grad():
            y.add_(1)
        z.sum().backward(inputs=[x if wanted == "x" else y])
        return x.grad, y.grad
    _same(f, "modified by an inplace operation")

# -- arguments torch has no derivative for may not require grad --------------------------------------
# torch's autograd layer refuses a tensor argument its derivatives.yaml marks non-differentiable
# (class weights, running statistics, soft_margin_loss's target) when it requires grad and grad
# mode is on, whether or not the input requires grad. Fuzzer: 1 program (multi_margin_loss).
def _refused_calls():
    def rand(lib, *shape):
        return lib.tensor(np.random.default_rng(len(shape)).random(shape), dtype=lib.float32)

    def grad(t):
        return t.requires_grad_()

    def classes(lib, *shape):
        return lib.zeros(shape, dtype=lib.int64)
    return {
        "multi_margin_loss": lambda lib: lib.nn.functional.multi_margin_loss(
            grad(rand(lib, 2, 3)), lib.tensor([0, 2]), weight=grad(rand(lib, 3))),
        "multi_margin_loss_p2_none": lambda lib: lib.nn.functional.multi_margin_loss(
            rand(lib, 2, 3), lib.tensor([0, 2]), p=2, weight=grad(rand(lib, 3)), reduction="none"),
        "nll_loss": lambda lib: lib.nn.functional.nll_loss(grad(rand(lib, 2, 3)), classes(lib, 2),
                                                           weight=grad(rand(lib, 3))),
        "nll_loss_1d": lambda lib: lib.nn.functional.nll_loss(rand(lib, 3), classes(lib), weight=grad(rand(lib, 3))),
        "nll_loss2d_3d": lambda lib: lib.nn.functional.nll_loss(grad(rand(lib, 2, 3, 4)), classes(lib, 2, 4),
                                                                weight=grad(rand(lib, 3))),
        "nll_loss2d_4d": lambda lib: lib.nn.functional.nll_loss(grad(rand(lib, 2, 3, 2, 2)), classes(lib, 2, 2, 2),
                                                                weight=grad(rand(lib, 3))),
        "cross_entropy_5d": lambda lib: lib.nn.functional.cross_entropy(
            grad(rand(lib, 2, 3, 1, 2, 2)), classes(lib, 2, 1, 2, 2), weight=grad(rand(lib, 3))),
        "binary_cross_entropy": lambda lib: lib.nn.functional.binary_cross_entropy(
            grad(rand(lib, 3)), rand(lib, 3), weight=grad(rand(lib, 3))),
        "binary_cross_entropy_with_logits": lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
            grad(rand(lib, 3)), rand(lib, 3), pos_weight=grad(rand(lib, 3))),
        "soft_margin_loss": lambda lib: lib.nn.functional.soft_margin_loss(rand(lib, 3), grad(rand(lib, 3))),
        "batch_norm": lambda lib: lib.nn.functional.batch_norm(grad(rand(lib, 2, 3)), grad(rand(lib, 3)),
                                                               rand(lib, 3), training=True),
        "fractional_max_pool2d": lambda lib: lib.nn.functional.fractional_max_pool2d(
            grad(rand(lib, 1, 1, 4, 6)), (1, 2), output_size=(2, 3), _random_samples=grad(rand(lib, 1, 1, 2))),
        "fractional_max_pool3d": lambda lib: lib.nn.functional.fractional_max_pool3d(
            rand(lib, 1, 4, 6, 5), 5, output_size=(2, 3, 2), _random_samples=grad(rand(lib, 1, 1, 3))),
    }


@pytest.mark.parametrize("name", sorted(_refused_calls()))
def test_an_argument_without_a_derivative_may_not_require_grad(name):
    call = _refused_calls()[name]
    function = {"multi_margin_loss_p2_none": "multi_margin_loss", "nll_loss_1d": "nll_loss_forward",
                "nll_loss": "nll_loss_forward", "nll_loss2d_3d": "nll_loss2d_forward",
                "nll_loss2d_4d": "nll_loss2d_forward", "cross_entropy_5d": "nll_loss2d_forward",
                "batch_norm": "native_batch_norm"}.get(name, name)
    _same(call, f"The function '{function}' is not differentiable with respect to argument")

    def without_grad_mode(lib):   # the refusal is the autograd layer's: under no_grad the call runs
        with lib.no_grad():
            return call(lib)
    _same(without_grad_mode)


# -- losses: the gradient lies in the graph of what torch's backward formula reads ------------------------
# l1_loss is torch's composite |x - y| (its gradient sgn(x - y) g is in the graph of x and y, with
# a zero derivative); nll_loss's backward reads x (NllLossBackwardBackward0: zero in x); the margin
# losses' fused backward kernels read x and have no derivative of their own (torch raises).
# Found by a survey of the op table's create_graph gradients beside torch's.
def _losses():
    target = [0, 3, 1]
    listed = [[0, 1, -1, 0], [3, -1, 0, 0], [1, 2, 3, -1]]
    return {
        "l1_loss": lambda lib, x, y, r: lib.nn.functional.l1_loss(x, y, reduction=r),
        "smooth_l1_loss_beta0": lambda lib, x, y, r: lib.nn.functional.smooth_l1_loss(x, y, beta=0.0, reduction=r),
        "nll_loss": lambda lib, x, y, r: lib.nn.functional.nll_loss(x, lib.tensor(target), reduction=r),
        "multi_margin_loss": lambda lib, x, y, r: lib.nn.functional.multi_margin_loss(x, lib.tensor(target),
                                                                                     reduction=r),
        "multi_margin_loss_p2": lambda lib, x, y, r: lib.nn.functional.multi_margin_loss(x, lib.tensor(target), p=2,
                                                                                        reduction=r),
        "multilabel_margin_loss": lambda lib, x, y, r: lib.nn.functional.multilabel_margin_loss(x, lib.tensor(listed),
                                                                                               reduction=r),
    }


_X = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.5, 1.0], [-2.0, 0.75, 0.5, -1.5]])
_Y = np.array([[0.0, -1.0, 1.0, 0.5], [2.0, 0.5, -0.5, 0.0], [-1.0, 1.0, 0.0, -2.0]])


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("then", ["none", "grad_x", "grad_y", "grad_v"])
@pytest.mark.parametrize("name", sorted(_losses()))
def test_loss_gradient_lies_in_the_graph_of_its_formula(name, then, reduction):
    loss = _losses()[name]

    def f(lib):
        x = lib.tensor(_X, requires_grad=True)
        y = lib.tensor(_Y, requires_grad=True)
        out = loss(lib, x, y, reduction)
        v = lib.full(out.shape, 2.0, dtype=out.dtype, requires_grad=then == "grad_v")
        gx, gy = lib.autograd.grad(out, [x, y], grad_outputs=v, create_graph=True, allow_unused=True)
        if then == "none":
            return gx, gy is None or gy.requires_grad
        wrt = {"grad_x": x, "grad_y": y, "grad_v": v}[then]
        again, = lib.autograd.grad((gx * lib.tensor(_Y)).sum(), [wrt], allow_unused=True)
        return again if again is None else again + 0   # (+ 0: torch's zero derivative is a ZeroTensor)
    _same(f, "is not implemented" if "margin" in name and then in ("grad_x", "grad_v") else None)


@pytest.mark.parametrize("name", sorted(_losses()))
def test_loss_input_written_in_place_before_backward(name):
    def f(lib):   # torch's nll_loss and margin losses save x (a version error); l1_loss saves |x - y|'s input
        x = lib.tensor(_X, requires_grad=True)
        h = x * 1
        out = _losses()[name](lib, h, lib.tensor(_Y), "sum")
        h.add_(1)
        out.backward()
        return x.grad
    _same(f, "modified by an inplace operation" if "l1" not in name else None)


@pytest.mark.parametrize("then", ["none", "grad_again", "write_input"])
def test_ctc_loss_saves_log_probs_and_has_no_double_backward(then):
    log_probs = torch.randn(5, 2, 4, generator=torch.Generator().manual_seed(0)).log_softmax(2).numpy()

    def f(lib):
        lp = lib.tensor(log_probs, requires_grad=True)
        h = lp * 1
        loss = lib.nn.functional.ctc_loss(h, lib.tensor([[1, 2], [3, 0]]), lib.tensor([5, 4]), lib.tensor([2, 1]))
        g, = lib.autograd.grad(loss, [lp], create_graph=True)
        if then == "grad_again":
            lib.autograd.grad(g.sum(), [lp])
        if then == "write_input":
            h.add_(1)
            loss.backward()
        return g
    _same(f, {"none": None, "grad_again": "derivative for aten::_ctc_loss_backward is not implemented",
              "write_input": "modified by an inplace operation"}[then])


# -- every op of the table: which create_graph gradients require grad ---------------------------------------
# The rule above, op by op: each input's gradient of sum(outputs), taken with create_graph=True
# (the incoming gradient does not require grad, so what connects a gradient to the graph is
# what the op's backward reads), requires grad exactly where torch's does. Empty tensors are left
# out (docs/parity.md: torch's formulas take shortcuts there), and so are complex outputs.
from hypothesis import given, settings, strategies as st  # noqa: E402

from minigrad.testing.op_db import OP_DB  # noqa: E402
from minigrad.testing.opinfo import _build, _outputs  # noqa: E402

# op-table entry -> how its create_graph gradients differ from torch's (still open)
CREATE_GRAPH_OPEN = {
    **dict.fromkeys(["linalg.eig", "linalg.eigvals"], "backward computed on arrays: not in any graph"),
}


def _create_graph_requires_grad(op, lib, args, kwargs):
    f = op.op if lib is minigrad else op.ref
    leaves = [a for a in args if isinstance(a, lib.Tensor) and a.requires_grad]
    if not leaves or any(t.numel() == 0 for t in leaves):
        return None
    outs = [o for o in _outputs(f(*args, **kwargs)) if isinstance(o, lib.Tensor) and o.requires_grad]
    if not outs or any(o.numel() == 0 or o.is_complex() for o in outs):
        return None
    grads = lib.autograd.grad(sum(o.sum() for o in outs), leaves, create_graph=True, allow_unused=True)
    return [None if g is None else g.requires_grad for g in grads]


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OP_DB
                                if op.grad and "float64" in op.dtypes and op.name not in CREATE_GRAPH_OPEN])
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_create_graph_gradients_require_grad_as_torch(op, data):
    sample = data.draw(op.sample("float64"), label="sample")
    mg_args, mg_kwargs, th_args, th_kwargs = _build(op, sample, True, "cpu")
    try:
        theirs = _create_graph_requires_grad(op, torch, th_args, th_kwargs)
    except RuntimeError:   # a sample torch refuses to differentiate: test_ops checks those
        return
    assert _create_graph_requires_grad(op, minigrad, mg_args, mg_kwargs) == theirs


def test_listed_create_graph_differences_are_op_table_entries():
    assert sorted(set(CREATE_GRAPH_OPEN) - {op.name for op in OP_DB}) == []


# -- a saved tensor detach_()ed afterwards ----------------------------------------------------------------
# torch refuses to unpack a tensor saved while it was in the graph and detached in place since; a
# tensor detached before it was saved, or a saved output, is fine. Fuzzer: 2 programs.
@pytest.mark.parametrize("case", ["saved_input", "saved_input_and_output", "saved_output", "detached_before",
                                  "leaf"])
def test_a_saved_tensor_detached_in_place(case):
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        if case == "saved_input":
            a = x * 1
            out = a ** 2
        elif case == "saved_input_and_output":
            a = x.exp()
            out = a.sin()
        elif case == "saved_output":
            a = x.exp()
            out = a * 1
        elif case == "detached_before":
            a = x * 1
            a.detach_()
            out = a * w
        else:
            a = x
            out = x ** 2
        a.detach_()
        out.sum().backward()
        return x.grad, w.grad
    _same(f, "detached in-place" if case.startswith("saved_input") else None)


# -- create_graph: gradients whose derivative is piecewise constant or zero -----------------------
# torch's backward formula reads the input (the sign of x for norms of order 1 and +-inf, the input of
# a fused normalization or convolution backward for its bias gradient, ...): the gradient it gives
# under create_graph lies in the input's graph even where its derivative there is zero. Each case is
# f(lib, *leaves) on fixed leaves; the gradients' values and requires_grad must agree.
_CREATE_GRAPH_CASES = {
    "norm_1": (lambda lib, x: lib.linalg.vector_norm(x, 1), [[1.0, -2.0, 0.5]]),
    "norm_inf": (lambda lib, x: lib.linalg.vector_norm(x, float("inf"), dim=1), [[1.0, -2.0], [3.0, 3.0]]),
    "norm_-inf": (lambda lib, x: x.norm(float("-inf")), [[1.0, -2.0, 0.5]]),
    "matrix_norm_1": (lambda lib, x: lib.linalg.matrix_norm(x, 1), [[1.0, -2.0], [3.0, 0.5]]),
    "conv3d_bias": (lambda lib, x, b: lib.nn.functional.conv3d(x, lib.ones(2, 1, 1, 1, 1, dtype=lib.float64), b),
                    [[[[[1.0, 2.0]]]]], [0.5, -1.0]),
    "conv_transpose1d_bias": (lambda lib, x, w, b: lib.nn.functional.conv_transpose1d(x, w, b) ** 2,
                              [[[1.0, 2.0]]], [[[0.5, -1.0]]], [0.25]),
    "conv_transpose2d_input_only": (lambda lib, x: lib.nn.functional.conv_transpose2d(
        x, lib.ones(1, 1, 1, 2, dtype=lib.float64), lib.ones(1, dtype=lib.float64)), [[[[1.0, 2.0]]]]),
    "conv_transpose3d_bias": (lambda lib, x, b: lib.nn.functional.conv_transpose3d(
        x, lib.ones(1, 2, 1, 1, 1, dtype=lib.float64), b), [[[[[1.0, 2.0]]]]], [0.5, -1.0]),
    # (the statistics for batch_norm: zeros and ones)
    "batch_norm_eval_input": (lambda lib, x: lib.nn.functional.batch_norm(
        x, lib.zeros(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64)), [[1.0, 2.0], [0.5, -1.0]]),
    "batch_norm_train_weight": (lambda lib, x, w: lib.nn.functional.batch_norm(
        x.detach(), None, None, w, training=True) + x, [[1.0, 2.0], [0.5, -1.0]], [2.0, 3.0]),
    "batch_norm_train_bias": (lambda lib, x, b: lib.nn.functional.batch_norm(x, None, None, None, b, training=True),
                              [[1.0, 2.0], [0.5, -1.0]], [2.0, 3.0]),
    "layer_norm_bias_only": (lambda lib, b: lib.nn.functional.layer_norm(
        lib.tensor([[1.0, 2.0, 4.0]], dtype=lib.float64), (3,), None, b), [0.5, -1.0, 2.0]),
    "instance_norm_bias": (lambda lib, x, b: lib.nn.functional.instance_norm(x, bias=b),
                           [[[1.0, 2.0], [0.5, -1.0]]], [2.0, 3.0]),
    "avg_pool3d": (lambda lib, x: lib.nn.functional.avg_pool3d(x, (1, 1, 2), divisor_override=1),
                   [[[[[1.0, 2.0, 4.0, 8.0]]]]]),
    "adaptive_avg_pool3d": (lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x, (1, 1, 2)),
                            [[[[[1.0, 2.0, 4.0, 8.0]]]]]),
    "interpolate_area": (lambda lib, x: lib.nn.functional.interpolate(x, size=(1, 2), mode="area"),
                         [[[[1.0, 2.0, 4.0, 8.0]]]]),
    "pad_reflect": (lambda lib, x: lib.nn.functional.pad(x, (1, 1), mode="reflect"), [[1.0, 2.0, 4.0]]),
    "pad_replicate_zeros": (lambda lib, x: lib.nn.functional.pad(x, (0, 0), mode="replicate"), [[1.0, 2.0, 4.0]]),
    # outside the graph where torch's formula reads only g (det of 1x1: g expanded, also for a zero entry;
    # prod over a size-1 dim holding a zero: g passed through; matrix_power(A, 0): a copy over A)
    "det_1x1": (lambda lib, x: lib.linalg.det(x) * lib.tensor(3.0, dtype=lib.float64), [[[0.0]], [[2.0]]]),
    "det_1x1_squared": (lambda lib, x: lib.linalg.det(x) ** 2, [[[0.0]], [[2.0]]]),
    "prod_dim_zeros": (lambda lib, x: x.prod(1), [[0.0], [3.0]]),
    "prod_zeros": (lambda lib, x: x.prod(), [0.0]),
    "prod_two_zeros": (lambda lib, x: x.prod(), [0.0, 0.0, 2.0]),
    "matrix_power_0": (lambda lib, x: lib.linalg.matrix_power(x, 0) ** 2, [[1.0, 2.0], [3.0, 4.0]]),
    "pairwise_distance_1": (lambda lib, x, y: lib.nn.functional.pairwise_distance(x, y, 1),
                            [[1.0, -2.0]], [[0.5, 3.0]]),
}


@pytest.mark.parametrize("case", list(_CREATE_GRAPH_CASES))
def test_create_graph_gradient_in_the_graph_of_what_torchs_formula_reads(case):
    fn, *values = _CREATE_GRAPH_CASES[case]

    def f(lib):
        leaves = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]
        return lib.autograd.grad(fn(lib, *leaves).sum(), leaves, create_graph=True)
    _same(f)
