"""Version counters of saved integer tensors, and the views of a detached base, found by the program
fuzzer (minigrad.testing.fuzz). Each is reduced to a few lines and run against torch and minigrad
side by side (``lib`` is one or the other): values, grads and requires_grad, or the exception
class and the gist of its message, must agree.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad
from test_semantics_fuzzfound import _run, _same  # noqa: E402 (the first fuzzer-found file's runner)

VERSION_ERROR = "modified by an inplace operation"


def _x(lib):
    # (no two equal values in a row: where torch's topk or kthvalue picks among ties is not specified)
    return lib.tensor([[3., 1., 2., 5.], [0., 4., 6., 1.5], [2.5, -2., 7., 1.], [1., 0.5, 3., -1.]], requires_grad=True)


def _fractional(lib, nd):
    F = lib.nn.functional
    samples = lib.tensor([[[0.5] * nd]])
    return lambda x: (F.fractional_max_pool2d(x[None], 2, output_size=2, return_indices=True, _random_samples=samples)
                      if nd == 2 else
                      F.fractional_max_pool3d(x.reshape(1, 2, 2, 4), (1, 1, 2), output_size=(1, 1, 2), return_indices=True,
                                              _random_samples=samples))


# -- the indices an op returns are saved by its node --------------------------------------------------
# torch's nodes for sort, topk, kthvalue, median, mode, max/min(dim), cummax/cummin and the max pools
# save the indices output (value_selecting_reduction_backward, cummaxmin_backward, the pools' result1):
# an in-place change of the returned indices before backward is a version error, where minigrad
# scattered the gradient to the changed positions. Also for a 0-d input, whose node saves its index
# (unused). Fuzzer: cummax of a 0-d tensor, its indices then ``pow_``.
INDEX_OPS = {
    "sort": lambda lib: lambda x: lib.sort(x, 1),
    "sort_0d": lambda lib: lambda x: lib.sort(x[0, 0], 0),
    "argsort_stable": lambda lib: lambda x: lib.sort(x, dim=0, stable=True),
    "topk": lambda lib: lambda x: lib.topk(x, 2, 1),
    "kthvalue": lambda lib: lambda x: lib.kthvalue(x, 2, 1),
    "kthvalue_keepdim": lambda lib: lambda x: lib.kthvalue(x, 2, 1, keepdim=True),
    "median": lambda lib: lambda x: lib.median(x, 1),
    "median_0d": lambda lib: lambda x: lib.median(x[0, 0], 0),
    "nanmedian": lambda lib: lambda x: lib.nanmedian(x, 1),
    "mode": lambda lib: lambda x: lib.mode(x, 1),
    "max_dim": lambda lib: lambda x: lib.max(x, 1),
    "min_dim_keepdim": lambda lib: lambda x: lib.min(x, 0, keepdim=True),
    "max_0d": lambda lib: lambda x: lib.max(x[0, 0], 0),
    "cummax": lambda lib: lambda x: lib.cummax(x, 1),
    "cummin": lambda lib: lambda x: lib.cummin(x, 0),
    "cummax_0d": lambda lib: lambda x: lib.cummax(x[0, 0], 0),
    "max_pool1d": lambda lib: lambda x: lib.nn.functional.max_pool1d(x[None], 2, return_indices=True),
    "max_pool2d": lambda lib: lambda x: lib.nn.functional.max_pool2d(x[None], 2, return_indices=True),
    "max_pool3d": lambda lib: lambda x: lib.nn.functional.max_pool3d(x.reshape(1, 1, 2, 2, 4), 2, return_indices=True),
    "adaptive_max_pool1d": lambda lib: lambda x: lib.nn.functional.adaptive_max_pool1d(x[None], 2, return_indices=True),
    "adaptive_max_pool2d": lambda lib: lambda x: lib.nn.functional.adaptive_max_pool2d(x[None], 2, return_indices=True),
    "adaptive_max_pool3d": lambda lib: lambda x: lib.nn.functional.adaptive_max_pool3d(x[None, None], 2,
                                                                                       return_indices=True),
    "fractional_max_pool2d": lambda lib: _fractional(lib, 2),
    "fractional_max_pool3d": lambda lib: _fractional(lib, 3),
}


@pytest.mark.parametrize("name", sorted(INDEX_OPS))
@pytest.mark.parametrize("write", ["none", "indices", "indices_view", "indices_detached"])
def test_returned_indices_are_saved(name, write):
    def run(lib):
        x = _x(lib)
        values, indices = INDEX_OPS[name](lib)(x)
        if write == "indices":
            indices.add_(0)
        elif write == "indices_view":
            indices.reshape(-1)[:1].mul_(1)
        elif write == "indices_detached":
            indices.detach().zero_()
        (values * 2).sum().backward()
        return x.grad, indices
    _same(run, VERSION_ERROR if write != "none" else None)


def test_fuzzer_program_cummax_0d_then_pow_():
    def run(lib):
        t5 = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
        t6, t7 = lib.cummax(t5, 0)
        t8 = t6.reshape(-1)
        t7.pow_(3)
        t8.select(0, 0).sum().backward()
        return t5.grad
    _same(run, VERSION_ERROR)


# -- max_unpool saves its indices argument -------------------------------------------------------------
# torch's MaxUnpool2DBackward0/MaxUnpool3DBackward0 save ``indices``; max_unpool1d runs max_unpool2d on
# an unsqueezed view of them (torch's message names the [N, C, L, 1] view). Fuzzer: max_unpool1d, then
# ``indices.detach().fill_()`` before autograd.grad.
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("write", ["none", "indices", "indices_detached"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_max_unpool_saves_its_indices(nd, write, create_graph):
    def run(lib):
        F = lib.nn.functional
        x = lib.tensor([[[0.5, -1.5]], [[2.0, 0.25]]], requires_grad=True)   # (2, 1, 2)
        if nd == 1:
            indices = lib.tensor([[[0, 3]], [[1, 2]]])
            y = F.max_unpool1d(x, indices, 2)
        elif nd == 2:
            indices = lib.tensor([[[[0, 3]]], [[[1, 6]]]])
            y = F.max_unpool2d(x[:, None], indices, 2)
        else:
            indices = lib.tensor([[[[[0, 3]]]], [[[[1, 14]]]]])
            y = F.max_unpool3d(x[:, None, None], indices, 2)
        if write == "indices":
            indices.add_(0)
        elif write == "indices_detached":
            indices.detach().fill_(0)
        g, = lib.autograd.grad((y * lib.arange(y.numel()).reshape(y.shape)).sum(), [x], create_graph=create_graph)
        return y, g
    _same(run, VERSION_ERROR if write != "none" else None)


# -- a view whose base was detach_()ed in place, then written ------------------------------------------
# torch re-derives a view's grad_fn when its version has moved on, also when the base no longer requires
# grad (``b.detach_()``) but the view has a node of its own: the new node (AsStridedBackward0) leads
# nowhere, and the hooks registered on the old one are no longer called. minigrad re-derived only the
# views of a base that requires grad, so the view kept its old node and its hooks ran. Fuzzer: an
# empty reshape's hook called with an empty gradient where torch calls none.
@pytest.mark.parametrize("shape", [(3, 0), (3, 2)])
@pytest.mark.parametrize("detach_base", [True, False])
@pytest.mark.parametrize("write", ["detached_alias", "no_grad", "none"])
def test_view_of_a_detached_base_is_rederived(shape, detach_base, write):
    def run(lib):
        calls = []
        t1 = lib.zeros(shape, requires_grad=True)
        t2 = t1.detach()
        t7 = t1.reshape(-1)
        t7.register_hook(lambda g: calls.append(tuple(g.shape)))
        if detach_base:
            t1.detach_()
        if write == "detached_alias":
            t2 //= 0.5
        elif write == "no_grad":
            with lib.no_grad():
                t1.mul_(2)
        name = t7.grad_fn.name()
        t7.sum().backward()
        return calls, name, t7.requires_grad, t1.requires_grad, t1.grad
    _same(run)


def test_view_of_a_base_that_never_required_grad_stays_out_of_the_graph():
    def run(lib):
        b = lib.zeros(3, 2)
        v = b.reshape(-1)
        b.detach().add_(1)
        return v.grad_fn, v.requires_grad, v
    (tk, tv), (mk, mv) = _run(run, torch), _run(run, minigrad)
    assert tk == mk == "ok" and tv[0] is None and mv[0] is None and tv[1] is mv[1] is False


# -- which operands a binary op's node saves ---------------------------------------------------------------
# torch saves an operand only where the formula of an input that needs a gradient reads it: div with a
# rounding_mode saves other (for either gradient; its gradients are zeros) and self (for other's);
# hypot saves each operand for its own gradient; copysign and ldexp save self (resp. the exponent) for
# self's gradient only; clamp saves self, min and max, integer bounds included (minigrad's cast of an
# integer bound to the float dtype dropped its version counter, and div(rounding_mode) saved nothing).
BINARY = {
    "div_floor": lambda lib: lambda a, b: lib.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda lib: lambda a, b: lib.div(a, b, rounding_mode="trunc"),
    "hypot": lambda lib: lib.hypot,
    "copysign": lambda lib: lib.copysign,
    "ldexp": lambda lib: lib.ldexp,
    "clamp_min": lambda lib: lambda a, b: lib.clamp(a, min=b),
    "clamp_max": lambda lib: lib.clamp_max,
    "clamp_both": lambda lib: lambda a, b: lib.clamp(a, b, b + 1),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("needs", ["self", "other", "both"])
@pytest.mark.parametrize("write", ["self", "other"])
def test_binary_op_saves_the_operands_torch_saves(name, needs, write):
    def run(lib):
        a = lib.tensor([3., -4., 5.], requires_grad=needs != "other")
        b = lib.tensor([2., 3., -2.], requires_grad=needs != "self")
        A, B = a * 1, b * 1
        z = BINARY[name](lib)(A, B)
        (A if write == "self" else B).add_(0)
        z.sum().backward()
        return a.grad, b.grad
    tv, _ = _run(run, torch)
    _same(run, VERSION_ERROR if isinstance(tv, RuntimeError) else None)


@pytest.mark.parametrize("name", ["div_floor", "div_trunc", "clamp_min", "clamp_max", "clamp_both"])
@pytest.mark.parametrize("write", ["other", "other_detached"])
def test_integer_other_is_saved(name, write):
    def run(lib):
        a = lib.tensor([3., -4., 5.], requires_grad=True)
        b = lib.tensor([2, 3, -2])
        z = BINARY[name](lib)(a * 1, b)
        if write == "other":
            b.add_(0)
        else:
            b.detach().mul_(1)
        z.sum().backward()
        return a.grad
    _same(run, VERSION_ERROR)


# -- ctc_loss does not save its lengths ----------------------------------------------------------------------
# torch reads tensor lengths into integer lists before the loss: a write into them before backward is no
# version error (minigrad raised one).
@pytest.mark.parametrize("which", ["input_lengths", "target_lengths", "targets"])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_ctc_loss_lengths_are_not_saved(which, dtype):
    def run(lib):
        x = lib.tensor([[[-1.2, -0.9, -1.2]], [[-0.5, -1.5, -1.6]], [[-2.0, -0.4, -1.5]], [[-1.1, -1.1, -1.1]]],
                       requires_grad=True)
        lengths = {"input_lengths": lib.tensor([4], dtype=getattr(lib, dtype)),
                   "target_lengths": lib.tensor([2], dtype=getattr(lib, dtype)), "targets": lib.tensor([[1, 2]])}
        loss = lib.nn.functional.ctc_loss(x, lengths["targets"], lengths["input_lengths"], lengths["target_lengths"])
        lengths[which].add_(0)
        loss.backward()
        return x.grad
    _same(run, VERSION_ERROR if which == "targets" else None)


# -- the first register_hook of a view is a use of it ----------------------------------------------------------
# torch's Tensor.register_hook reads grad_fn when it sets up the tensor's hook dict (the first hook):
# after a write the view's grad_fn is re-derived there, so its retain_grad leaves the graphs built
# before the write (minigrad moved it only at the view's next use in an op). torch 2.13 segfaults when
# that first register_hook is what re-derives it; reading grad_fn first (torch's side only) steps
# around that bug, as the fuzzer does, and changes nothing else.
@pytest.mark.parametrize("order", ["write_then_hook", "hook_write_hook", "write_hook_hook", "no_write"])
def test_first_hook_of_a_view_rederives_it(order):
    def run(lib):
        a = lib.ones(3, 2, requires_grad=True)
        t1 = a * 1
        t7 = t1.reshape(-1)
        t7.retain_grad()
        y = t7 * 2                    # a graph built before the write
        if order == "hook_write_hook":
            t7.register_hook(lambda g: None)
        if order != "no_write":
            t1.detach().mul_(2)
        if lib is torch and order != "hook_write_hook":
            t7.grad_fn                # noqa: B018 (the torch bug's step-around, see above)
        t7.register_hook(lambda g: None)
        if order == "write_hook_hook":
            t7.register_hook(lambda g: None)
        y.sum().backward()
        return t7.grad, a.grad
    _same(run)


# -- cdist saves its result ----------------------------------------------------------------------------------
# torch's CdistBackward0 saves x1, x2 and the result, for every p: writing the result in place (``d %= 2.5``)
# before backward is a version error (minigrad kept the result as a plain array). Fuzzer: 1 program.
@pytest.mark.parametrize("p", [0.0, 1.0, 1.5, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("mode", ["donot_use_mm_for_euclid_dist", "use_mm_for_euclid_dist"])
@pytest.mark.parametrize("write", [True, False])
def test_cdist_saves_its_result(p, mode, write):
    def run(lib):
        x = lib.tensor([[0.5, 1.0, -2.0], [1.5, 0.25, 3.0]], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([[2.0, -1.0, 0.5]], dtype=lib.float64, requires_grad=True)
        d = lib.cdist(x, y, p=p, compute_mode=mode)
        if write:
            d %= 2.5
        d.sum().backward()
        return x.grad, y.grad
    _same(run, VERSION_ERROR if write else None)


# -- a float32 LSTM layer saves its output ---------------------------------------------------------------------
# torch runs a float32 LSTM (no projections) as its mkldnn layer, whose node saves the output: writing the
# output in place before backward is a version error there; a float64 one is composed of steps (the output
# is a stack, saved by nothing). Found with cdist's survey of results kept as plain arrays.
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", [{}, {"num_layers": 2}, {"bidirectional": True}, {"batch_first": True},
                                    {"proj_size": 2}])
@pytest.mark.parametrize("write", ["output", "h_n", "none"])
def test_lstm_output_saved_as_torch_saves_it(dtype, config, write):
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.LSTM(2, 3, **config).to(getattr(lib, dtype))
        with lib.no_grad():
            for i, p in enumerate(m.parameters()):
                p.copy_(lib.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (1 + i % 3))
        x = lib.linspace(-1, 1, 8).reshape(4, 1, 2).to(getattr(lib, dtype)).requires_grad_()
        out, (h, c) = m(x)
        if write == "output":
            out.mul_(1)
        elif write == "h_n":
            h.mul_(1)
        (out.sum() + h.sum()).backward()
        return x.grad
    _same(run, VERSION_ERROR if write == "output" and dtype == "float32" and "bidirectional" not in config
          and "proj_size" not in config else None)


# -- grid_sample saves its input and grid ------------------------------------------------------------------------
# torch's GridSampler2DBackward0/3D save input and grid whichever needs a gradient: writing either in place
# before backward is a version error. minigrad composes grid_sample of other ops, which saved only
# intermediate values; the composite's result now goes through a node that saves both operands.
@pytest.mark.parametrize("needs", ["input", "grid", "both"])
@pytest.mark.parametrize("write", ["input", "grid", "none"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic", "3d"])
def test_grid_sample_saves_input_and_grid(needs, write, mode):
    def run(lib):
        F = lib.nn.functional
        a_shape, b_shape = ((1, 1, 2, 2, 4), (1, 2, 2, 2, 3)) if mode == "3d" else ((1, 1, 4, 4), (1, 2, 2, 2))
        a = lib.linspace(0, 1, 16, dtype=lib.float64).reshape(a_shape).requires_grad_(needs != "grid")
        n = 1
        for size in b_shape:
            n *= size
        b = lib.linspace(-0.9, 0.8, n, dtype=lib.float64).reshape(b_shape).requires_grad_(needs != "input")
        A, B = a * 1, b * 1
        y = F.grid_sample(A, B, mode="bilinear" if mode == "3d" else mode, align_corners=False)
        if write == "input":
            A.add_(0)
        elif write == "grid":
            B.add_(0)
        y.sum().backward()
        return y, a.grad, b.grad
    _same(run, VERSION_ERROR if write != "none" else None)


# -- householder_product saves its input, tau and result ----------------------------------------------------------
# torch's LinalgHouseholderProductBackward0 saves input, tau and the result: writing any of them in place before
# backward is a version error (the result through detach() too). minigrad composes the product of other ops;
# its result now goes through a node that saves all three, and is a tensor of its own (no view). Fuzzer: 1.
@pytest.mark.parametrize("needs", ["A", "tau", "both"])
@pytest.mark.parametrize("write", ["A", "tau", "Q", "none"])
def test_householder_product_saves_input_tau_and_result(needs, write):
    def run(lib):
        a = lib.tensor([[1.0, 0.2], [0.5, -0.3], [0.25, 0.7]], dtype=lib.float64, requires_grad=needs != "tau")
        t = lib.tensor([0.6, 1.2], dtype=lib.float64, requires_grad=needs != "A")
        A, T = a * 1, t * 1
        q = lib.linalg.householder_product(A, T)
        if write != "none":
            {"A": A, "tau": T, "Q": q}[write].detach().add_(0)
        (q * lib.arange(6.0, dtype=lib.float64).reshape(3, 2)).sum().backward()
        return q, a.grad, t.grad, q.grad_fn.name()
    _same(run, VERSION_ERROR if write != "none" else None)


# -- erfinv saves its input, var_mean nothing of its results -------------------------------------------------------
# torch's ErfinvBackward0 saves self (its formula computes erfinv again), and VarMeanBackward0 saves only self
# (StdMeanBackward0 also the std): minigrad saved erfinv's and var_mean's results, so writing them in place
# raised a version error torch does not raise, and writing erfinv's input raised none. Found by a sweep of the
# op table that writes each argument and result in place between the op and backward.
@pytest.mark.parametrize("op", ["erfinv", "var_mean", "std_mean"])
@pytest.mark.parametrize("write", ["input", "out0", "out1"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_saved_input_or_result_as_torch_saves_it(op, write, create_graph):
    def run(lib):
        x = lib.tensor([0.1, 0.5, -0.3], dtype=lib.float64, requires_grad=True)
        X = x * 1
        out = getattr(lib, op)(X)
        outs = out if isinstance(out, tuple) else (out,)
        if write == "input":
            X.detach().add_(0)
        elif int(write[-1]) < len(outs):
            outs[int(write[-1])].detach().add_(0)
        g, = lib.autograd.grad(sum(o.sum() for o in outs), [x], create_graph=create_graph)
        gg = lib.autograd.grad(g.sum(), [x])[0] if create_graph else None
        return g, gg
    raises = write == "input" or (op == "std_mean" and write == "out0")
    _same(run, VERSION_ERROR if raises else None)


# -- kron's reshapes are torch's _unsafe_view --------------------------------------------------------------------
# torch's kron multiplies _unsafe_views of its operands (the same memory, but no views for autograd: counters
# of their own) and returns an _unsafe_view of the product: writing an operand in place before backward is no
# version error there, and the result is no view (detach_() works). minigrad's reshapes were views. Sweep.
@pytest.mark.parametrize("shapes", [((2, 2), (2, 3)), ((3,), (2,)), ((2, 1, 2), (2, 2))])
@pytest.mark.parametrize("write", ["input", "other", "none"])
def test_kron_operands_are_unsafe_views(shapes, write):
    def run(lib):
        a = lib.linspace(0.5, 2, int(np.prod(shapes[0])), dtype=lib.float64).reshape(shapes[0]).requires_grad_()
        b = lib.linspace(-1, 1, int(np.prod(shapes[1])), dtype=lib.float64).reshape(shapes[1]).requires_grad_()
        A, B = a * 1, b * 1
        z = lib.kron(A, B)
        if write != "none":
            (A if write == "input" else B).detach().mul_(1)
        (z * z).sum().backward()
        z.detach_()
        return z, a.grad, b.grad
    _same(run)


# -- torch.masked: a mask that must be broadcast is cloned ----------------------------------------------------------
# torch.masked's _input_mask clones a mask whose shape differs from the input's before broadcasting it, so writing
# into such a mask before backward is no version error; a mask of the input's shape is read as it is (an error).
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "logsumexp", "cumsum", "softmax", "norm", "var"])
@pytest.mark.parametrize("mask_shape", [(2, 3), (3,)])
def test_masked_op_saves_a_mask_of_the_input_shape_only(name, mask_shape):
    def run(lib):
        x = lib.tensor([[0.5, 1.5, -2.0], [1.0, 3.0, 0.25]], dtype=lib.float64, requires_grad=True)
        m = lib.tensor([[True, False, True], [True, True, False]]) if mask_shape == (2, 3) else \
            lib.tensor([True, False, True])
        args = (x * 1,) + ((2.0,) if name == "norm" else ())
        kwargs = {"dim": 1} if name in ("cumsum", "softmax") else {}
        y = getattr(lib.masked, name)(*args, mask=m, **kwargs)
        m.copy_(m.clone())
        y.sum().backward()
        return y, x.grad
    _same(run, VERSION_ERROR if mask_shape == (2, 3) else None)
