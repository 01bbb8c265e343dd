"""Disagreements with torch found by the program fuzzer's run of 2026-12-07 at 1bd1734 (6,311
programs, 22 records), each reduced to a few lines and run against torch and minigrad side by side
(``lib`` is one or the other): values, dtypes, shapes, requires_grad, or the exception class must agree.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad

from test_semantics_fuzzfound import OVERLAP, _same  # noqa: E402

NAN, INF = float("nan"), float("inf")


# -- an op without a derivative on a view made under no_grad -----------------------------------------
# The view requires grad (its base does) but leads nowhere; floor_divide's node still raises its
# "not implemented" error in backward (minigrad's node, having no input that needs a gradient,
# returned Nones). Fuzzer: 2 programs.
@pytest.mark.parametrize("op", ["floor_divide", "heaviside"])
def test_op_without_derivative_on_a_no_grad_view_raises_in_backward(op):
    def f(lib):
        x = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
        with lib.no_grad():
            v = x.unsqueeze(0)
        y = v // 3 if op == "floor_divide" else lib.heaviside(v, lib.tensor([0.5], dtype=lib.float64))
        assert y.requires_grad
        y.sum().backward()
        return x.grad
    _same(f, "is not implemented")


# -- t[...] = t on an expanded tensor -------------------------------------------------------------------
# torch's copy_ returns before its overlap checks when the source is the very same elements (same
# address, sizes, strides, dtype): writing an expanded gradient (sum's) into itself is no error, any
# other value still is. Fuzzer: 4 programs (autograd.grad of a sum, then ``g[...] = g``).
@pytest.mark.parametrize("index", ["ellipsis", "slice", "int", "slice_part"])
@pytest.mark.parametrize("value", ["itself", "clone", "number"])
def test_setitem_of_an_expanded_tensor_from_the_same_elements(index, value):
    key = {"ellipsis": Ellipsis, "slice": slice(None), "int": 0, "slice_part": slice(0, 2)}[index]

    def f(lib):
        x = lib.ones(3, 4, requires_grad=True)
        (g,) = lib.autograd.grad(x.sum(), [x])   # expanded: strides (0, 0)
        v = {"itself": g[key], "clone": g[key].clone(), "number": 2.0}[value]
        g[key] = v
        return g
    _same(f, OVERLAP if value == "clone" and index != "int" or value == "number" and index != "int" else None)


# -- a saved index under backward(inputs=[out]) for a 0-d input ---------------------------------------------
# A 0-d input is read as 1-d and the result reshaped back: the last node is then that reshape, and
# backward(inputs=[out]) unpacked nothing, so an index written in place went unnoticed. The reshaped
# result's node now also saves what the op's node saved, as torch's single node. Fuzzer: 4 programs.
@pytest.mark.parametrize("op", ["index_reduce", "index_add", "index_copy", "index_fill"])
@pytest.mark.parametrize("inputs", [True, False])
def test_zero_dim_index_ops_check_their_saved_index(op, inputs):
    def f(lib):
        x = lib.tensor(0.5, requires_grad=True)
        idx = lib.tensor([0])
        s = lib.tensor(0.75, requires_grad=True)
        y = {"index_reduce": lambda: lib.index_reduce(x, 0, idx, s, "mean"),
             "index_add": lambda: lib.index_add(x, 0, idx, s),
             "index_copy": lambda: lib.index_copy(x, 0, idx, s),
             "index_fill": lambda: lib.index_fill(x, 0, idx, s.detach())}[op]()
        idx.fill_(1) if op != "index_fill" else idx.add_(0)
        z = y / -2.5
        if inputs:
            z.sum().backward(inputs=[y])
            return y.grad, y.shape, y.grad_fn.name()
        z.sum().backward()
        return x.grad, s.grad
    _same(f)


# -- add/sub with alpha on integer tensors ---------------------------------------------------------------------
# alpha * other out of the dtype's range wraps as in torch's integer kernels (NumPy refused to convert
# the Python product, 510 for uint8). Fuzzer: 1 program (``u8.sub_(-1, alpha=2)`` on an empty tensor).
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("call", ["sub_", "add_", "sub", "add"])
@pytest.mark.parametrize("shape", [(2,), (4, 1, 0)])
def test_integer_add_sub_with_alpha_wraps(dtype, call, shape):
    def f(lib):
        out = []
        for other, alpha in [(-1, 2), (255, 2), (100, -3), (2**40, 3), (-(2**62), 4), (lib.tensor(7), 300)]:
            t = lib.full(shape, 7, dtype=getattr(lib, dtype))
            try:
                out.append(getattr(t, call)(other, alpha=alpha))
            except RuntimeError as e:   # (an alpha out of the dtype's range: torch's error, compared)
                out.append(type(e).__name__)
        return out
    _same(f)


# -- ldexp with an integer exponent ------------------------------------------------------------------------------
# x's gradient is torch's integer pow(2, e) in e's dtype: 0 for e < 0 and past the dtype's width, the
# sign bit alone at width - 1 (-2**63 for int64 e = 63). Fuzzer: 1 program (e = 204: minigrad gave inf).
@pytest.mark.parametrize("dtype,exponents", [("int64", [204, 64, 63, 62, 40, -3]), ("int32", [30, 31, 32, 40, -1]),
                                             ("int8", [6, 7, 8, -2]), ("uint8", [7, 8, 9, 200]),
                                             ("int16", [14, 15, 16])])
@pytest.mark.parametrize("xdtype", ["float32", "float64"])
def test_ldexp_gradient_is_the_integer_power(dtype, exponents, xdtype):
    def f(lib):
        x = lib.tensor([1.5, -0.25] * len(exponents), dtype=getattr(lib, xdtype), requires_grad=True)
        e = lib.tensor(sorted(exponents * 2), dtype=getattr(lib, dtype))
        y = lib.ldexp(x, e)
        y.sum().backward()
        return y, x.grad
    _same(f)


def test_ldexp_with_a_bool_exponent_raises():
    _same(lambda lib: lib.ldexp(lib.tensor([2.0]), lib.tensor([True])), "not implemented for 'Bool'")


def test_ldexp_saves_its_integer_exponent():
    def f(lib):
        x = lib.tensor([1.5], requires_grad=True)
        e = lib.tensor([3])
        y = lib.ldexp(x, e)
        e.add_(1)
        y.sum().backward()
        return x.grad
    _same(f, "modified by an inplace operation")


# -- in-place writes into views of complex tensors (CopySlices) -----------------------------------------------------
# The write's node only moves gradient elements, so complex tensors take it as real ones (minigrad
# refused them). Fuzzer: 1 program (``rfftn(x).squeeze(2) += 0.5``).
def test_inplace_write_into_a_view_of_a_complex_tensor():
    def f(lib):
        x = lib.tensor([[[-0.0, 2.2, 2.5]], [[2.7, -2.8, 0.0]]], requires_grad=True)
        c = lib.fft.rfftn(x, s=(4, 5, 1), norm="ortho")
        v = c.squeeze(2)
        v += 0.5
        w = c[1:3, ::2]
        w *= lib.tensor(1 + 2j)
        v[0].mul_(v[1].detach().clone())
        loss = (c.real ** 2 + 3 * c.imag).sum()
        loss.backward()
        return c, x.grad, c.grad_fn.name().split("::")[-1], v.grad_fn.name()
    _same(f)


def test_inplace_write_into_a_view_of_a_complex_leaf_product():
    def f(lib):
        z = lib.tensor([1 + 1j, 2 - 1j, -0.5j], requires_grad=True)
        y = z * (2 - 1j)
        y[0] += 1j
        y[1:].mul_(1j)
        (gz,) = lib.autograd.grad((y.real * y.imag).sum(), [z])
        return y, gz
    _same(f)


# -- cummax/cummin of an empty input ----------------------------------------------------------------------------------
# torch's cummaxmin_backward returns the (empty) input itself as its gradient, so autograd.grad hands
# back a tensor that requires grad (the input). Fuzzer: 3 programs.
@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize("through", ["leaf", "product"])
def test_cummax_of_an_empty_input_gradient_is_the_input(op, through):
    def f(lib):
        x = lib.zeros((0, 1, 0), dtype=lib.float64, requires_grad=True)
        y = getattr(lib, op)(x if through == "leaf" else x * 2, 0)[0]
        (g,) = lib.autograd.grad(y.sum(), [x], allow_unused=True)
        x2 = lib.zeros((0, 3), requires_grad=True)
        getattr(lib, op)(x2, 1)[0].sum().backward()
        return g, g is x, x2.grad
    _same(f)


# -- NaN inputs: the gradients of norms and activations -------------------------------------------------------------------
# torch's sgn is 0 at NaN: norm(1) and norm(inf) give 0 there (minigrad's NumPy sign gave NaN). The
# activations are in test_semantics_fuzzfound_j1.py (test_gradient_at_a_nan_input). Fuzzer: 1
# program (hardswish of a NaN).
@pytest.mark.parametrize("p", [1.0, INF, -INF, 2.0, 3.0, 0.5])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_gradient_at_a_nan_input(p, dim):
    def f(lib):
        x = lib.tensor([[NAN, 1.0, -2.0], [0.5, -2.0, 2.0]], dtype=lib.float64, requires_grad=True)
        y = lib.linalg.vector_norm(x, p, dim)
        y.sum().backward()
        x2 = lib.tensor([[NAN, 1.0, -2.0], [0.5, -2.0, 2.0]], dtype=lib.float64, requires_grad=True)
        x2.norm(p, dim).sum().backward()
        return y, x.grad, x2.grad
    _same(f)


# pdist's backward is its own kernel: every tie for the largest |difference| takes the whole gradient
# (norm shares it), p = 0 gives zeros (norm none), rows of no elements are at distance 0 for every p
# (minigrad raised for p = inf), and a NaN's sign stays NaN. Found by a parity-test draw with a tie.
@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, INF, 0.5, 3.0])
def test_pdist_gradient(p):
    def f(lib):
        x = lib.tensor([[0.0, 0.0], [0.8, 0.8], [0.1, 0.5]], dtype=lib.float64, requires_grad=True)
        y = lib.pdist(x, p)
        y.sum().backward()
        e = lib.zeros(3, 0, requires_grad=True)
        ye = lib.pdist(e, p)
        ye.sum().backward()
        n = lib.tensor([[NAN, 1.0, -2.0], [0.5, 2.0, 1.0], [1.0, 1.0, 1.0]], dtype=lib.float64, requires_grad=True)
        lib.pdist(n, p).sum().backward()
        return y, x.grad, ye, e.grad, n.grad if p in (1.0, 2.0, 3.0) else None
    _same(f)


# -- a stale view with bad arguments: a documented deviation ------------------------------------------------------------
# torch collects a call's graph edges (raising its stale-view error) before its kernel checks the
# arguments; minigrad's ops check their arguments first. Both raise; the class differs (docs/parity.md,
# "Deviations"; the fuzzer counts the pair as agreeing). Fuzzer: 4 programs.
def test_select_out_of_range_on_a_stale_no_grad_view_raises_in_both():
    def run(lib):
        try:
            _stale_view(lib, 0).select(0, -1)
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            return e
        return None
    t, m = run(torch), run(minigrad)
    assert isinstance(t, RuntimeError) and "modified inplace" in str(t), t
    assert isinstance(m, IndexError) and "out of range" in str(m), m
    # with valid arguments both raise torch's view error
    _same(lambda lib: _stale_view(lib, 3).select(0, -1), "modified inplace")


def _stale_view(lib, columns):
    """y[0] of a (2, columns) y, made under no_grad, then y written in place with grad mode on."""
    x = lib.zeros((2, columns), requires_grad=True)
    y = x * 1
    with lib.no_grad():
        v = y[0]
    y.mul_(2)
    return v


# ==== the run at e257ab4 (6,291 programs, 10 records) ========================================================

# -- a view made under no_grad follows its base's requires_grad into ops -------------------------------------------
# After base.detach_() (or base.requires_grad_()), an op on the view records as the view's requires_grad
# says (minigrad's ops read a flag set when the view was made). Fuzzer: 1 program.
@pytest.mark.parametrize("change", ["detach_", "requires_grad_"])
@pytest.mark.parametrize("view", ["unbind", "index", "slice"])
def test_no_grad_view_follows_its_base_into_ops(change, view):
    def f(lib):
        b = lib.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=lib.float64, requires_grad=change == "detach_")
        with lib.no_grad():
            v = {"unbind": lambda: b.unbind(0)[0], "index": lambda: b[1], "slice": lambda: b[:, :1]}[view]()
        b.detach_() if change == "detach_" else b.requires_grad_()
        out = [v.requires_grad]
        for y in (lib.igamma(lib.tensor(0.75, dtype=lib.float64), v), v * 2, v.exp()):
            out += [y.requires_grad, y.grad_fn is None]
        if change == "requires_grad_":
            (v * 2).sum().backward()
            out.append(b.grad)
        return out
    _same(f)


# -- retain_grad of a view re-derived after an untracked write --------------------------------------------------------
# torch re-derives such a view's grad_fn at its next read (is_leaf, .grad, ...), and its retain_grad
# moves to the new node then: a backward through graphs built before no longer fills .grad. Fuzzer: 3 programs.
@pytest.mark.parametrize("read", ["none", "is_leaf", "grad"])
def test_retained_grad_of_a_view_after_an_untracked_write(read):
    def f(lib):
        x = lib.tensor([[-0.5, 0.5, 1.0], [2.0, 2.5, -1.5]], dtype=lib.float64, requires_grad=True)
        v = x.select(1, 0)
        v.retain_grad()
        y = v % 0.5 + v * 3
        v.select(0, 1).detach().zero_()
        if read == "is_leaf":
            v.is_leaf
        elif read == "grad":
            v.grad
        y.sum().backward()
        return v.grad, x.grad
    _same(f)


# -- double backward nodes save x ------------------------------------------------------------------------------------------
# torch's HardswishBackwardBackward0, SoftplusBackwardBackward0 and LogSigmoidBackwardBackward0 save x and
# g: writing x after a create_graph gradient, then differentiating it, raises. Fuzzer: 1 program.
@pytest.mark.parametrize("fn", ["hardswish", "softplus", "logsigmoid", "elu", "hardtanh", "silu", "gelu", "mish"])
def test_double_backward_nodes_check_their_saved_input(fn):
    def f(lib):
        x = lib.tensor([-3.0, 0.0, 3.0, 0.5], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(lib.nn.functional, fn)(x).sum(), [x], create_graph=True)
        x.detach().mul_(2)
        g.sum().backward(inputs=[x, g])
        return x.grad
    _same(f)


# -- index_select's errors, and index_fill/copy/add on inputs without elements ------------------------------------------
# torch's kernels: an IndexError for 0-d/1-d inputs and for dims other than 1, a RuntimeError naming the
# first bad index for dim 1 and for inputs without elements, another for a dim of size 0; index_fill/copy/add
# of an input without elements check no index unless the dim itself is empty. Fuzzer: 2 programs.
@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (2, 0), (2, 3, 0), (0, 3), (0,), ()])
@pytest.mark.parametrize("index", [[4, 0], [0, -1], [-691, 4], [4, -691], [1, 9], [], [0]])
def test_index_select_errors(shape, index):
    def f(lib):
        x = lib.zeros(shape)
        return [x.index_select(d, lib.tensor(index, dtype=lib.int64)) for d in range(max(len(shape), 1))]
    _same(f)


@pytest.mark.parametrize("shape,dim", [((0, 3), 0), ((2, 0), 1), ((0, 3), 1), ((2, 0), 0), ((2, 3, 0), 0),
                                       ((2, 3, 0), 1), ((0,), 0)])
@pytest.mark.parametrize("op", ["fill", "copy", "add"])
def test_index_ops_on_inputs_without_elements(shape, dim, op):
    def f(lib):
        x = lib.zeros(shape)
        idx = lib.tensor([4, -691, -2])
        src = lib.zeros(tuple(3 if d == dim else s for d, s in enumerate(shape)))
        return {"fill": lambda: x.index_fill(dim, idx, -2.0), "copy": lambda: x.index_copy(dim, idx, src),
                "add": lambda: x.index_add(dim, idx, src)}[op]()
    _same(f)


# -- cov's aweights: NaN fails torch's all(aweights >= 0) -----------------------------------------------------------------
def test_cov_refuses_nan_aweights():
    def f(lib):
        x = lib.tensor([[0.5, 1.0, 2.0, 3.0], [1.0, -1.0, 0.0, 2.0]], dtype=lib.float64)
        return lib.cov(x, aweights=lib.tensor([0.0, -0.0, 1.0, NAN], dtype=lib.float64))
    _same(f, "aweights cannot be negative")


# -- interpolation: an inf or NaN reaches only its own taps --------------------------------------------------------------------
# Forward and backward: an axis that keeps its size reads each position with weights 1 and 0 (torch's
# compute_source_index_and_lambda; minigrad's second tap was the neighbour), the gradient is added tap by
# tap (a dense product spread an inf or NaN gradient, times 0, over the whole axis), and area mode's
# padded windows read nothing. Fuzzer: 1 program (bicubic, then x ** -2.5 of negative overshoots).
@pytest.mark.parametrize("mode,align", [("bicubic", True), ("bicubic", False), ("bilinear", True), ("bilinear", False),
                                        ("nearest", None), ("area", None)])
@pytest.mark.parametrize("size", [dict(scale_factor=(1.0, 2.3)), dict(scale_factor=(2.0, 0.6)), dict(size=(3, 5)),
                                  dict(size=(1, 1))])
def test_interpolation_with_non_finite_values(mode, align, size):
    def f(lib):
        a = np.arange(30.0).reshape(1, 2, 3, 5)
        a[0, 0, 1, 2], a[0, 1, 2, 4] = INF, NAN
        x = lib.tensor(a, requires_grad=True)
        y = lib.nn.functional.interpolate(x, mode=mode, align_corners=align, **size)
        g = np.ones(y.shape)
        g.reshape(-1)[min(3, g.size - 1)], g.reshape(-1)[-1] = NAN, INF
        y.backward(lib.tensor(g))
        return y, x.grad
    _same(f)


# ==== the run at 3ced860 (6,216 programs, 4 records) ==========================================================

# histogram's bin edges, given as a tensor that requires grad, make both results require grad (torch's
# NotImplemented node has an edge to them). Fuzzer: 2 programs.
def test_histogram_with_bin_edges_that_require_grad():
    def f(lib):
        b = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
        h, e = lib.histogram(lib.tensor([0.5, 1.5, 1.7]), b)
        hd, ed = lib.histogramdd(lib.tensor([[0.5], [1.5]]), [b])
        out = [h, e, hd, ed[0], e is b]
        h.sum().backward()
        return out
    _same(f, "is not implemented")


# triangular_solve's second output shares torch's one node, which saves b, A and the solution: a write
# into any of them before a backward through the cloned coefficient raises. Fuzzer: 1 program.
@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("write", ["A", "b", "solution", "none"])
def test_triangular_solve_cloned_coefficient_checks_saved_tensors(write):
    def f(lib):
        b = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        A = lib.tensor([[5.0, 1.0], [0.0, 5.0]], requires_grad=True)
        x, c = lib.triangular_solve(b, A, upper=True)
        {"A": A, "b": b, "solution": x, "none": None}[write] is not None and \
            {"A": A, "b": b, "solution": x}[write].detach().add_(0)
        c.sum().backward()
        return A.grad, b.grad
    _same(f, "modified by an inplace operation" if write != "none" else None)


# ==== the run at 424d5c1 (6,374 programs, 719 records of 6 causes) ===========================

# binary_cross_entropy's target gradient is torch's -logit(x) (unclamped: inf at x = 0), and its input
# gradient has torch's double backward (denominators (x + 1e-12)^2 (1 - x + 1e-12)^2; minigrad
# differentiated the clamp). Fuzzer: ~715 records of one program family.
@pytest.mark.parametrize("x0", [0.0, 0.3, 1.0, 0.999, 1e-45])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_target_gradient_and_double_backward(x0, reduction, weighted):
    def f(lib):
        x = lib.tensor([x0, 0.25], dtype=lib.float64, requires_grad=True)
        t = lib.tensor([0.58, 0.5], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([0.5, 2.0], dtype=lib.float64) if weighted else None
        loss = lib.nn.functional.binary_cross_entropy(x, t, weight=w, reduction=reduction)
        gx, gt = lib.autograd.grad((loss * loss).sum(), [x, t], create_graph=True)
        a = lib.autograd.grad(gx.sum(), [x, t], retain_graph=True)
        b = lib.autograd.grad(gt.sum(), [x, t], allow_unused=True, materialize_grads=True)
        return [gx, gt] + list(a) + list(b)
    _same(f)


# layer_norm of an input without elements (a composite in minigrad) saves weight and bias, as torch's one
# node: a write into them before backward(inputs=...) raises. Fuzzer: 2 programs.
@pytest.mark.parametrize("shape", [(0, 1, 2), (3, 2)])
@pytest.mark.parametrize("write", ["weight", "input", "none"])
def test_layer_norm_saves_weight_also_for_empty_inputs(shape, write):
    def f(lib):
        x = lib.zeros(shape, requires_grad=True) if shape[0] == 0 else \
            lib.tensor([[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]], requires_grad=True)
        w = lib.tensor([-0.66, 0.5], requires_grad=True)
        y = lib.nn.functional.layer_norm(x, (2,), w, w, eps=0.001)
        with lib.no_grad():
            if write != "none":
                {"weight": w, "input": x}[write].mul_(0.5)
        y.sum().backward(inputs=[w, y], retain_graph=True)
        return w.grad, y.grad_fn.name()
    _same(f)


# instance_norm with running statistics (use_input_stats=False) affines with copies of weight and bias, as
# torch's weight.repeat(N): writing the weight afterwards is no version error. Fuzzer: 1 program.
def test_instance_norm_eval_does_not_save_the_weight():
    def f(lib):
        x = lib.tensor([[[-1.5, 1.4], [-1.3, 1.6], [-0.5, 1.5]]], dtype=lib.float64, requires_grad=True)
        rm = lib.tensor([0.37, 0.0, -0.2], dtype=lib.float64)
        rv = lib.tensor([1.1, 1.3, 2.0], dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.instance_norm(x, rm, rv.detach(), weight=rv, bias=rm, use_input_stats=False)
        with lib.no_grad():
            rv.mul_(0.5)
        y.sum().backward()
        return y, x.grad, rv.grad
    _same(f)


# ==== the run at dff7e01 (6,332 programs, 6 records of 3 causes) ===========================================

# index_add's error class per torch kernel: an IndexError for 0-d/1-d inputs, an alpha other than 1 and the
# dims between the first and the last, a RuntimeError for the first and last dims; an input without
# elements (of 2 or more dims) checks no index. Fuzzer: 4 programs.
@pytest.mark.parametrize("shape", [(5,), (4, 2), (4, 2, 4), (3, 2, 4, 2), (0, 3, 2), (3, 0, 2), (0,), ()])
@pytest.mark.parametrize("index", [[9], [-1], [1]])
@pytest.mark.parametrize("alpha", [1, -0.5])
def test_index_add_error_classes(shape, index, alpha):
    def f(lib):
        out = []
        for dim in range(-1, max(len(shape), 1)):
            d = dim % max(len(shape), 1)
            src = lib.zeros(tuple(1 if i == d else s for i, s in enumerate(shape)))
            try:
                out.append(lib.zeros(shape).index_add(dim, lib.tensor(index), src, alpha=alpha))
            except (IndexError, RuntimeError) as e:
                out.append(type(e).__name__)
        return out
    _same(f)


# softmax/log_softmax of an input without elements save their (empty) result too: writing it in place
# before backward raises, as torch's. Fuzzer: 1 program (softmin, then clamp_).
@pytest.mark.parametrize("fn", ["softmax", "softmin", "log_softmax"])
@pytest.mark.parametrize("write", [True, False])
def test_softmax_of_an_empty_input_saves_its_result(fn, write):
    def f(lib):
        x = lib.zeros((0, 2, 1, 1), dtype=lib.float64, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(x, 0)
        if write:
            y.clamp_(-1, 1)
        (g,) = lib.autograd.grad((y * y).sum(), [x])
        return g
    _same(f, "modified by an inplace operation" if write else None)


# A leaf made a result by an in-place op (after detach_()) is no longer a leaf: a graph built before, whose
# edge still leads to its AccumulateGrad, raises torch's "leaf variable has been moved into the graph
# interior" there (minigrad accumulated). Fuzzer: 1 program.
def test_leaf_moved_into_the_graph_interior():
    def f(lib):
        x = lib.tensor(1.5, requires_grad=True)
        r = x.rsqrt()
        v = x.reshape(-1)
        x.detach_()
        x += r
        v.sum().backward()
        return x.grad
    _same(f, "leaf variable has been moved into the graph interior")


# ==== the run at 4c1c466 (6,297 programs, 2 records) ===========================================================

# linspace rounds as torch's kernel: step in the dtype, start + step * i before the halfway point and
# end - step * (steps - 1 - i) from it on, each one fused multiply-add (minigrad computed in float64 and
# cast: closer to the exact values, but not torch's). Found through the fuzzer's loss weights
# (irfftn's gradient 1e-6 away in float64).
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("steps", list(range(0, 40)) + [64, 100, 1000, 4097, 32769])
def test_linspace_is_bit_identical(dtype, steps):
    for a, b in [(-1, 1), (0, 1), (-3.5, 2.25), (1, -1), (2, 2.5), (-1e10, 3), (0.1, 0.7), (-7.3, 1e-3)]:
        t = torch.linspace(a, b, steps, dtype=getattr(torch, dtype)).numpy()
        m = minigrad.linspace(a, b, steps, dtype=getattr(minigrad, dtype)).numpy()
        assert t.dtype == m.dtype and np.array_equal(t.view(np.uint8), m.view(np.uint8)), (a, b, t, m)


# ==== the run at 7c483b2 (6,228 programs, 6 records of 3 causes) ===================================

# A view of one of several views returned together (split, chunk, unbind) is such a view too (torch's
# propagate_creation_meta): after a write through detach(), reading is_leaf or using it raises, with
# torch's message naming the view's own op. Fuzzer: 2 programs.
@pytest.mark.parametrize("case", ["is_leaf", "t_of_index", "view_add_", "unsqueeze_sum", "slice_of_unbind"])
def test_views_of_multi_output_views_stay_so(case):
    def f(lib):
        x = lib.tensor([[1.0, 2.0, 3.0]], dtype=lib.float64, requires_grad=True) * 1
        a, b = x.split([1, 2], 1)
        (c,) = lib.chunk(x, 4, 0)
        v = {"is_leaf": lambda: c.select(0, 0), "t_of_index": lambda: c[0].unsqueeze(0).t(),
             "view_add_": lambda: a.view(-1), "unsqueeze_sum": lambda: b.unsqueeze(0),
             "slice_of_unbind": lambda: x.unbind(0)[0][1:]}[case]()
        if case == "view_add_":
            return v.add_(1)
        x.detach().zero_()
        return v.is_leaf if case == "is_leaf" else (v * 2).sum()
    _same(f, "view")


# A view made under no_grad of a tensor that an in-place op then made require grad: using it raises
# torch's no_grad-view error (minigrad's view kept the flag it was made with). Fuzzer: 3 programs.
def test_no_grad_view_of_a_base_that_an_inplace_op_made_require_grad():
    def f(lib):
        w = lib.tensor([0.5, 1.5], requires_grad=True)
        t = lib.tensor([1.0, 2.0]) - 1
        with lib.no_grad():
            v = t.unsqueeze(0)
        t **= w * w
        return v[0]
    _same(f, "no_grad mode")


# masked.logaddexp is torch's logaddexp of the filled inputs: its node saves them, not the result
# (minigrad's own node saved the result: a write into it raised). Fuzzer: 1 program.
def test_masked_logaddexp_saves_its_inputs_only():
    def f(lib):
        x = lib.tensor([[[-3.375]], [[-1.0]], [[-5.125]]], dtype=lib.float64, requires_grad=True)
        m = lib.tensor([[[False]], [[True]], [[True]]])
        y = lib.masked.logaddexp(x, x * 2, input_mask=m, other_mask=m)
        v = y.select(1, -1)
        v.detach().zero_()
        v.sum().backward()
        return y, x.grad
    _same(f)


# ==== the run at 6135b37 (6,286 programs, 6 records of 3 causes) ===========================================

# cross_entropy/nll_loss with an inf or NaN upstream gradient, as torch's two nodes compute it: nll_loss's
# backward writes only the positions the loss reads (targets of rows not ignored; every class with label
# smoothing), then log_softmax's backward gives h - softmax * sum(h): ignored rows stay 0 (every target
# ignored: a NaN loss, zero gradients), an inf at a target gives NaN. Fuzzer: 1 program (loss ** 3).
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("target", [[-100, -100, -100], [-100, 1, 0], [2, 1, 0]])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_class_losses_with_non_finite_upstream_gradients(fn, reduction, target, smoothing, weighted):
    if fn == "nll_loss" and smoothing:
        pytest.skip("nll_loss has no label smoothing")

    def f(lib):
        x = lib.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0], [2.0, 2.0, 1.0]], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([1.0, 0.0, 2.0], dtype=lib.float64) if weighted else None
        kw = {"label_smoothing": smoothing} if fn == "cross_entropy" else {}
        loss = getattr(lib.nn.functional, fn)(x, lib.tensor(target), weight=w, reduction=reduction, **kw)
        g = lib.full(loss.shape, INF, dtype=lib.float64) if reduction != "none" else \
            lib.tensor([INF, NAN, -2.0], dtype=lib.float64)
        loss.backward(g)
        (cubed,) = lib.autograd.grad((getattr(lib.nn.functional, fn)(x, lib.tensor(target), weight=w, **kw) ** 3),
                                     [x])
        return x.grad, cubed
    _same(f)


# ==== the run at c4549f0 (6,258 programs, 3 records) ============================================================

# scatter_reduce/index_reduce of a 0-d input (read as 1-d): the result their gradient formulas read is the
# caller's 0-d tensor itself, as torch's formula reads `result`, so a create_graph gradient depends on it
# as torch's does (minigrad's read the 1-d result the 0-d one was a reshape of). Fuzzer: 2 programs.
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "sum"])
@pytest.mark.parametrize("op", ["scatter_reduce", "index_reduce"])
def test_zero_dim_scatter_reduce_gradient_reads_the_result(reduce, op):
    if op == "index_reduce" and reduce == "sum":
        pytest.skip("index_reduce has no sum")

    def f(lib):
        x = lib.tensor(-1.7790353083498673, dtype=lib.float64, requires_grad=True)
        i = lib.tensor(0) if op == "scatter_reduce" else lib.tensor([0])
        y = lib.scatter_reduce(x, 0, i, x, reduce) if op == "scatter_reduce" else lib.index_reduce(x, 0, i, x, reduce)
        g, gy = lib.autograd.grad((y * y).sum(), [x, y], create_graph=True)
        (gg,) = lib.autograd.grad(g * 0.75, [y], allow_unused=True, materialize_grads=True)
        return y, g, gy, gg, y.grad_fn.name()
    _same(f)


# ==== the run at e71734e (6,160 programs, 13 records of 3 causes) ===========================================

# y.mul_(y.detach()): the node saves the detached alias (the same memory and version counter), so the
# write raises at backward as torch's; minigrad's record named y itself and took the old values instead.
# Fuzzer: 7 programs.
@pytest.mark.parametrize("fn", ["gelu_tanh", "exp", "mul2"])
@pytest.mark.parametrize("inputs", [True, False])
def test_inplace_product_with_a_detached_alias_raises_at_backward(fn, inputs):
    def f(lib):
        x = lib.tensor(2.99, requires_grad=True)
        y = {"gelu_tanh": lambda: lib.nn.functional.gelu(x, approximate="tanh"), "exp": lambda: x.exp(),
             "mul2": lambda: x * 2}[fn]()
        y.mul_(y.detach())
        y.sum().backward(inputs=[y] if inputs else None)
        return x.grad
    _same(f, "modified by an inplace operation")


# lstsq's node unpacks what it saved (A, B, the solution) even when only the empty residuals of gelsy get a
# gradient: a write into A raises, as torch's. Fuzzer: 1 program.
def test_lstsq_checks_its_saved_tensors_for_any_output():
    def f(lib):
        A = lib.tensor([[[-0.99], [-0.09], [-1e-69], [-0.09]], [[-0.98], [-0.09], [-0.09], [-0.09]]],
                       dtype=lib.float64, requires_grad=True)
        B = lib.tensor([[-2.15, 1.23, -3e-38, -1.07], [2.8e-140, -0.3, -2.78, 2.6e-164]], dtype=lib.float64,
                       requires_grad=True)
        out = lib.linalg.lstsq(A, B.unsqueeze(-1), driver="gelsy")
        A.detach().mul_(2)
        out.residuals.sum().backward()
        return A.grad
    _same(f, "modified by an inplace operation")


# ==== the run at 4bab1ce (6,270 programs, 1 record) ==============================================================

# conv with padding='same' and an even kernel (more padding after than before): torch pads a copy of the input
# first and its node saves that copy, so writing the input before backward is no error (minigrad padded inside
# its kernel and saved the input). Fuzzer: 1 program.
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("fn,xs,ws", [("conv2d", (2, 2, 4, 1), (1, 2, 2, 3)), ("conv2d", (1, 2, 5, 6), (3, 2, 2, 4)),
                                      ("conv2d", (1, 2, 5, 6), (3, 2, 3, 3)), ("conv1d", (2, 3, 7), (4, 3, 4))])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("write", [False, True])
def test_same_padding_with_an_even_kernel_pads_a_copy(fn, xs, ws, dilation, write):
    rng = np.random.default_rng(0)
    xa, wa = rng.standard_normal(xs), rng.standard_normal(ws)

    def f(lib):
        x, w = lib.tensor(xa, requires_grad=True), lib.tensor(wa, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(x, w, None, padding="same", dilation=dilation)
        if write:
            x.detach().mul_(2)
        y.sum().backward()
        return y, x.grad, w.grad
    _same(f)
