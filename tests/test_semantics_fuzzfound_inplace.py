"""Disagreements with torch in in-place writes, version counters, views, detach()/.data and
requires_grad/is_leaf found by the program fuzzer (minigrad.testing.fuzz), each reduced to a few
lines and run against torch and minigrad side by side (``lib`` is one or the other): values,
dtypes, shapes, requires_grad, or the exception class and the gist of its message must agree.
"""
from __future__ import annotations

import pytest
import torch

import minigrad

# run a snippet in both libraries and compare (the helpers of the first fuzzer-found file)
from test_semantics_fuzzfound import _run, _same  # noqa: E402

VERSION_ERROR = "modified by an inplace operation"


def _attributes(t, names=("requires_grad", "is_leaf")):
    """Each attribute's value, or the class of the exception reading it raises."""
    out = []
    for name in names:
        try:
            out.append(getattr(t, name))
        except Exception as e:  # noqa: BLE001
            out.append(type(e).__name__)
    return out


# -- gradients through a re-derived view are fresh tensors ---------------------------------------------
@pytest.mark.parametrize("view", ["t.view(1, -1)", "t[:]", "t.view(6)", "t[0]", "t.t()"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_gradient_through_a_rederived_view_does_not_alias_grad_outputs(view, create_graph):
    def f(lib):   # the view's grad_fn is re-derived (AsStridedBackward0) after the write through detach()
        t = lib.ones(2, 3, requires_grad=True) * 1
        v = eval(view, {"t": t})
        v.detach().fill_(0.5)
        g = lib.ones_like(v)
        gt, = lib.autograd.grad(v, [t], grad_outputs=g, create_graph=create_graph)
        g.detach().zero_()   # must not reach gt
        return gt
    _same(f)


@pytest.mark.parametrize("view", ["y.view(-1)", "y[:]", "y[0]"])
def test_gradient_of_a_value_copied_into_a_view_does_not_alias_grad_outputs(view):
    def f(lib):   # CopySlices: the written value's gradient is the region of the incoming one, copied
        x = lib.ones(2, 3, requires_grad=True)
        y = x * 1
        region = eval(view, {"y": y})
        z = lib.full(tuple(region.shape), 2.0, requires_grad=True)
        region.copy_(z)
        g = lib.ones_like(y)
        gz, gx = lib.autograd.grad(y, [z, x], grad_outputs=g)
        g.detach().zero_()
        return gz, gx
    _same(f)


# -- multi-output views (split, chunk, unbind) after a write ------------------------------------------
@pytest.mark.parametrize("write", ["t.mul_(2)", "t.detach().mul_(2)", "b.detach().mul_(2)", "t.data.mul_(2)",
                                   "t.mul_(w)", "t[0].mul_(w)", "a.add_(1)"])
@pytest.mark.parametrize("requires_grad", [True, False])
def test_requires_grad_and_is_leaf_of_a_split_view_after_a_write(write, requires_grad):
    def f(lib):   # torch reads requires_grad without looking up the view's grad_fn; is_leaf looks it up,
        # but only for a view in a graph (a grad_fn, or a base that requires grad)
        w = lib.tensor(2.0, requires_grad=True)
        t = lib.ones(2, 3, requires_grad=True) * 1 if requires_grad else lib.ones(2, 3)
        a, b = t.split(1, 0)
        eval(write, {"t": t, "a": a, "b": b, "w": w})
        return _attributes(a)
    (tk, tv), (mk, mv) = _run(f, torch), _run(f, minigrad)
    assert tk == mk, (tv, mv)
    if tk == "err":
        assert type(tv) is type(mv), (tv, mv)
    else:
        assert tv == mv


def test_empty_split_view_written_through_detach_keeps_requires_grad_readable():
    def f(lib):   # as the fuzzer found it: an empty first output of split_with_sizes
        t = lib.ones(1, 3, dtype=lib.float64, requires_grad=True)
        a, b = lib.split(t, [0, 1], 0)
        b.detach().mul_(2)
        return a.requires_grad, _attributes(a, ("is_leaf",))[0]
    tv, mv = f(torch), f(minigrad)
    assert tv == mv == (True, "RuntimeError")


# -- index and mask tensors saved for backward -----------------------------------------------------------
INDEX_OPS = {
    "put": "lib.put(x, i, s)",
    "put_accumulate": "lib.put(x, i, s, accumulate=True)",
    "index_add": "x.index_add(0, i, s)",
    "index_copy": "x.index_copy(0, i, s)",
    "index_fill": "x.index_fill(0, i, 2.0)",
    "index_reduce": "x.index_reduce(0, i, s, 'prod')",
    "index_put_accumulate": "x.index_put((i,), s, accumulate=True)",
    "scatter_add": "x.scatter_add(0, i, s)",
    "take_along_dim": "lib.take_along_dim(x, i, 0)",
    "take_along_dim_flat": "lib.take_along_dim(x, i)",
    "masked_select": "x.masked_select(m)",
    "masked_scatter": "x.masked_scatter(m, s)",
}


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("op", sorted(INDEX_OPS))
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)], ids=["both", "input", "source"])
@pytest.mark.parametrize("via", ["in_place", "detach"])
def test_index_or_mask_changed_in_place_before_backward(op, needs, via):
    """torch saves an index (or mask) where the gradient of a needed input reads it: changing it in
    place raises at backward; where it is not saved (take_along_dim with a dim gathers with a new
    index; scatter_add's input gradient needs none) backward runs."""
    def f(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=needs[0])
        s = lib.tensor([4.0, 5.0, 6.0], requires_grad=needs[1])
        i, m = lib.tensor([2, 0, 1]), lib.tensor([True, False, True])
        y = eval(INDEX_OPS[op], {"lib": lib, "x": x, "s": s, "i": i, "m": m})
        if not y.requires_grad:
            return y
        changed = m if op.startswith("masked") else i
        (changed.detach() if via == "detach" else changed).add_(False if changed is m else 0)  # a new version
        y.sum().backward()
        return x.grad if needs[0] else s.grad
    tv, _ = _run(f, torch)
    _same(f, VERSION_ERROR if isinstance(tv, RuntimeError) else None)


def test_put_with_an_empty_index_changed_through_detach():
    def f(lib):   # as the fuzzer found it
        x = lib.ones(3, 1, 1, dtype=lib.float64, requires_grad=True)
        i = lib.zeros((0,), dtype=lib.int64)
        y = lib.put(x, i, lib.zeros((0,), dtype=lib.float64, requires_grad=True))
        i.detach().zero_()
        y.select(0, 2).sum().backward()
    _same(f, VERSION_ERROR)


# -- median of all elements: saves its input and result, as torch ----------------------------------------
@pytest.mark.parametrize("op", ["median", "nanmedian"])
@pytest.mark.parametrize("write", ["y.detach().fill_(0.5)", "x.detach().add_(1)", "y.data.fill_(0.5)",
                                   "x.data.add_(1)", "y.data.fill_(2.0)", "None"])
def test_median_of_all_elements_after_a_write_into_its_input_or_result(op, write):
    def f(lib):   # a write through detach() raises at backward; one through .data is seen by backward
        x = lib.tensor([-1.0, 2.0, 3.0, 2.0], requires_grad=True)
        y = getattr(x, op)()
        eval(write, {"x": x, "y": y})
        (y * y).backward()
        return x.grad
    tv, _ = _run(f, torch)
    _same(f, VERSION_ERROR if isinstance(tv, RuntimeError) else None)


def test_nanmedian_of_a_0d_tensor_after_a_data_write_into_its_result():
    def f(lib):   # as the fuzzer found it: the result no longer equals the input, no gradient reaches it
        x = lib.tensor(-1.0, requires_grad=True)
        y = lib.nanmedian(x)
        y.data.fill_(0.5)
        (y * y).sum().backward(retain_graph=True)
        return x.grad
    _same(f)


# -- which gradient tensors autograd hands back: the same object, a view, or a new tensor -----------------
@pytest.mark.parametrize("view", ["t.squeeze()", "t.squeeze(0)", "t.view(4)", "t.reshape(2, 2)", "t[:]",
                                  "t.flatten()", "t.expand(4)", "t.unsqueeze(0).squeeze(0)", "t.permute(0)"])
def test_gradient_of_a_view_and_of_its_base_alias_as_in_torch(view):
    def f(lib):   # torch's squeeze that found no size-1 dim hands back the incoming gradient itself
        t = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        v = eval(view, {"t": t})
        gv, gt = lib.autograd.grad((v * 2).sum(), [v, t])
        return "same" if gt is gv else "view" if gt._base is gv or gt._base is gv._base is not None \
            else "separate"
    assert f(torch) == f(minigrad)


def test_in_place_division_of_a_gradient_shared_with_another_gradient():
    def f(lib):   # as the fuzzer found it: t11 is t10 itself, so it requires grad after t10 /= t1
        t1 = lib.tensor([-1.0, 0.0, 0.5, 0.25], requires_grad=True)
        t3 = t1.squeeze()
        t10, t11 = lib.autograd.grad((t3 * lib.linspace(-1, 1, 4)).sum(), [t3, t1], retain_graph=True)
        t10 /= t1
        return t11, t11.is_leaf
    _same(f)


@pytest.mark.parametrize("name", ["_unsafe_masked_index", "_unsafe_masked_index_put_accumulate"])
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)], ids=["both", "input", "values"])
@pytest.mark.parametrize("write", ["m.detach().fill_(0.5)", "i0.detach().zero_()", "i1.add_(0)", "None"])
def test_unsafe_masked_index_checks_its_mask_and_indices(name, needs, write):
    def f(lib):   # torch saves the mask and the index tensors; minigrad's composite uses derived copies
        fn = getattr(torch.ops.aten, name) if lib is torch else getattr(minigrad, name)
        x = lib.zeros(3, 4, dtype=lib.float64, requires_grad=needs[0])
        m = lib.tensor([[True], [False], [True]])
        i0, i1 = lib.tensor([[2], [-1], [-2]]), lib.tensor([1, 3])
        v = lib.ones(3, 2, dtype=lib.float64, requires_grad=needs[1])
        y = fn(x, m, [i0, i1], v) if name.endswith("accumulate") else fn(x, m, [i0, i1], 0.5)
        if not y.requires_grad:
            return y
        eval(write, {"m": m, "i0": i0, "i1": i1})
        y.sum().backward()
        return x.grad if needs[0] else v.grad
    tv, _ = _run(f, torch)
    _same(f, VERSION_ERROR if isinstance(tv, RuntimeError) else None)


# -- targets and weights of losses saved for backward ----------------------------------------------------
LOSSES = {
    "bce_with_logits_pos_weight": ("F.binary_cross_entropy_with_logits(x, p, pos_weight=w)", "w"),
    "bce_with_logits_weight": ("F.binary_cross_entropy_with_logits(x, p, weight=w)", "w"),
    "cross_entropy_weight": ("F.cross_entropy(x, i, weight=w)", "w"),
    "cross_entropy_target": ("F.cross_entropy(x, i)", "i"),
    "nll_loss_weight": ("F.nll_loss(x, i, weight=w)", "w"),
    "multi_margin_loss_target": ("F.multi_margin_loss(x, i)", "i"),
    "multi_margin_loss_weight": ("F.multi_margin_loss(x, i, weight=w)", "w"),
    "multilabel_margin_loss_target": ("F.multilabel_margin_loss(x, labels)", "labels"),
    "ctc_loss_targets": ("F.ctc_loss(x.reshape(3, 1, 3).log_softmax(2), ctc, lib.tensor([3]), lib.tensor([2]))",
                         "ctc"),
    "l1_loss_target": ("F.l1_loss(x, p)", "p"),   # torch saves nothing here: backward runs
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_loss_target_or_weight_changed_in_place_before_backward(loss):
    def f(lib):
        code, changed = LOSSES[loss]
        x = lib.tensor([[0.2, -0.5, 0.3], [1.0, 0.1, -0.2], [0.3, 0.3, -0.1]], requires_grad=True)
        env = {"lib": lib, "F": lib.nn.functional, "x": x,
               "p": lib.tensor([[0.1, 0.2, 0.7], [0.4, 0.5, 0.1], [0.3, 0.3, 0.4]]),
               "i": lib.tensor([0, 2, 1]), "w": lib.tensor([0.5, 1.0, 2.0]),
               "labels": lib.tensor([[0, 1, -1], [2, -1, 0], [1, -1, 0]]), "ctc": lib.tensor([[1, 2]])}
        y = eval(code, env)
        env[changed].add_(0)   # a new version, the same values
        y.sum().backward()
        return x.grad
    tv, _ = _run(f, torch)
    _same(f, VERSION_ERROR if isinstance(tv, RuntimeError) else None)


def test_multilabel_margin_loss_target_changed_by_an_in_place_operator():
    def f(lib):   # as the fuzzer found it
        x = lib.tensor([[0.02, -0.78, 1.41]], dtype=lib.float64, requires_grad=True)
        target = lib.tensor([[-1, 1, 1]])
        loss = lib.nn.functional.multilabel_margin_loss(x, target, reduction="none")
        target &= lib.tensor([[3]])
        loss.sum().backward()
    _same(f, VERSION_ERROR)


# -- copy_ of a tensor onto itself -----------------------------------------------------------------------
@pytest.mark.parametrize("source", ["x", "x.view(x.shape)", "x[:]", "x.expand(2, 4)", "x.t().t()"])
def test_copy_of_an_expanded_tensor_onto_itself(source):
    def f(lib):   # torch's copy_ returns before its overlap checks when nothing moves
        x = lib.zeros(1, 4).expand(2, 4)
        v = x._version
        x.copy_(eval(source, {"x": x}))
        return x, x._version - v
    _same(f)


def test_copy_of_a_gradient_onto_itself_after_create_graph():
    def f(lib):   # as the fuzzer found it: the gradient of a sum is an expanded tensor
        t1 = lib.tensor([[0.0, 0.5, 2.0, -2.0], [0.0, 0.0, 0.5, 2.0]], requires_grad=True)
        g, = lib.autograd.grad(t1.sum(), [t1], create_graph=True)
        g.copy_(g)
        return g
    _same(f)


def test_copy_into_an_expanded_tensor_from_another_tensor_still_raises():
    def f(lib):
        x = lib.zeros(1, 4).expand(2, 4)
        x.copy_(lib.ones(2, 4))
    _same(f, "single memory location")


# -- aminmax saves its input and both results -------------------------------------------------------------
@pytest.mark.parametrize("dim", [None, 0])
@pytest.mark.parametrize("write", ["x.detach().add_(0)", "lo.detach().add_(0)", "hi.div_(1)", "lo.data.fill_(9)",
                                   "x.data.fill_(1)", "None"])
@pytest.mark.parametrize("use", ["lo", "hi", "both"])
def test_aminmax_after_a_write_into_its_input_or_results(dim, write, use):
    def f(lib):   # through detach() or in place: torch's version error; through .data: seen at backward
        x = lib.tensor([[1.0, 3.0, 3.0], [2.0, 1.0, 0.5]], requires_grad=True)
        lo, hi = lib.aminmax(x, dim=dim)
        eval(write, {"x": x, "lo": lo, "hi": hi})
        {"lo": lo.sum(), "hi": hi.sum(), "both": lo.sum() + 2 * hi.sum()}[use].backward()
        return x.grad
    tv, _ = _run(f, torch)
    _same(f, VERSION_ERROR if isinstance(tv, RuntimeError) else None)


# -- requires_grad of results without a derivative ---------------------------------------------------------
@pytest.mark.parametrize("needs", ["B", "LD", "none"])
def test_ldl_solve_result_requires_grad_and_its_backward_raises(needs):
    def f(lib):
        LD, pivots = lib.linalg.ldl_factor(lib.eye(3, dtype=lib.float64) * 2)
        B = lib.ones(3, 2, dtype=lib.float64, requires_grad=needs == "B")
        x = lib.linalg.ldl_solve(LD.requires_grad_(needs == "LD"), pivots, B)
        assert (x.requires_grad, x.is_leaf) == (needs != "none", needs == "none")
        x.sum().backward()
    _same(f, "does not require grad" if needs == "none" else "derivative for aten::linalg_ldl_solve is not implemented")


# -- number ** tensor saves the exponent ------------------------------------------------------------------
@pytest.mark.parametrize("base", [0.5, 0.0, 2])
@pytest.mark.parametrize("write", ["e.detach().add_(0)", "y.detach().add_(0)", "e.data.fill_(0)", "y.data.fill_(5)",
                                   "None"])
def test_number_to_the_power_of_a_tensor_after_a_write_into_the_exponent(base, write):
    def f(lib):   # torch's pow(Scalar, Tensor) saves the exponent and the result
        e0 = lib.tensor([1.0, 0.0, 2.0], requires_grad=True)
        e = e0 * 1
        y = base ** e
        eval(write, {"e": e, "y": y})
        y.sum().backward()
        return e0.grad
    tv, _ = _run(f, torch)
    _same(f, VERSION_ERROR if isinstance(tv, RuntimeError) else None)


# -- backward(inputs=[non_leaf]) unpacks what the non-leaf's node saved -------------------------------------
@pytest.mark.parametrize("shape", [(3, 0, 2), (3, 1, 2)])
@pytest.mark.parametrize("inputs", ["[other, loss]", "[loss]", "[other]", "[x]"])
@pytest.mark.parametrize("op", ["mse_loss", "mul_sum"])
def test_backward_inputs_with_a_non_leaf_whose_node_saved_a_changed_tensor(shape, inputs, op):
    def f(lib):   # torch runs the non-leaf's own node, which unpacks its saved tensors first
        x = lib.ones((3, 1, 1), dtype=lib.float64, requires_grad=True)
        target = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        loss = lib.nn.functional.mse_loss(x.expand(shape), target, reduction="sum") if op == "mse_loss" \
            else (x * target).sum()
        other = lib.ones(2, requires_grad=True)
        target.detach().zero_()
        loss.sum().backward(inputs=eval(inputs, {"x": x, "loss": loss, "other": other}), retain_graph=True)
        return x.grad
    tv, _ = _run(f, torch)
    _same(f, VERSION_ERROR if isinstance(tv, RuntimeError) else None)


@pytest.mark.parametrize("weight", [(1, 0), (0, 3), (0, 0), (2, 3)])
@pytest.mark.parametrize("index", [[1], [-1], [0], [2]])
def test_embedding_index_out_of_range_of_an_empty_weight(weight, index):
    def f(lib):   # torch's kernels for an empty weight raise RuntimeErrors, not IndexError
        return lib.nn.functional.embedding(lib.tensor(index), lib.zeros(weight))
    tv, _ = _run(f, torch)
    _same(f, str(tv).split(",")[0][:30] if isinstance(tv, Exception) else None)


@pytest.mark.parametrize("name", ["ldl_factor", "ldl_factor_ex"])
@pytest.mark.parametrize("requires_grad", [True, False])
def test_ldl_factor_result_requires_grad_and_its_backward_raises(name, requires_grad):
    def f(lib):   # LD has torch's NotImplemented node; pivots and info never require grad
        results = getattr(lib.linalg, name)(lib.eye(2, dtype=lib.float64, requires_grad=requires_grad))
        assert [t.requires_grad for t in results] == [requires_grad] + [False] * (len(results) - 1)
        assert results[0].is_leaf is not requires_grad
        results[0].sum().backward()
    _same(f, "derivative for aten::linalg_ldl_factor_ex is not implemented" if requires_grad
          else "does not require grad")


@pytest.mark.parametrize("prepend", [None, "ones"])
def test_diff_of_order_zero_is_a_copy_in_the_graph(prepend):
    def f(lib):   # torch: empty_like(x).copy_(x), a non-leaf; prepend and append are left out
        x = lib.ones(3, 2, requires_grad=True)
        y = lib.diff(x, 0, -1, None if prepend is None else lib.ones(3, 1))
        assert y is not x and not y.is_leaf and y.grad_fn.name().endswith("CopyBackwards")
        y.mul_(2)   # a copy: x is untouched, and the write is legal
        y.sum().backward()
        return y, x, x.grad
    _same(f)


@pytest.mark.parametrize("shape, dim", [((4, 0), None), ((4, 2), None), ((4, 2), 0), ((4, 2), 1), ((0, 2), 1),
                                        ((), None)])
def test_repeat_interleave_result_is_a_view_of_a_copy_not_of_the_input(shape, dim):
    def f(lib):   # torch copies the expanded input, then views it: in-place ops on the result are legal
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        y = lib.repeat_interleave(x, 3, dim=dim)
        assert y._base is not x
        y.div_(2.0)
        y.sum().backward()
        return y, x.grad
    _same(f)


@pytest.mark.parametrize("index_shape", [(1, 0, 3), (1, 1, 1)])
def test_gather_index_changed_in_place_before_backward_also_when_empty(index_shape):
    def f(lib):
        x = lib.zeros((1, 0, 2) if index_shape[1] == 0 else (1, 1, 2), dtype=lib.float64, requires_grad=True)
        index = lib.zeros(index_shape, dtype=lib.int64)
        y = lib.gather(x, 2, index)
        index **= index   # a new version
        y.sum().backward()
    _same(f, VERSION_ERROR)

