"""Version errors after in-place writes found by the program fuzzer (a 6,198-program run on
d6c45e6): what each op saves for backward must be what torch's node saves, so that the same
in-place edits raise "modified by an inplace operation" in both libraries and the same edits
pass. Each case runs in torch and minigrad side by side (``lib`` is one or the other).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad

# ("ok", fn(lib)) or ("err", the exception): the first fuzzer-found file's runner
from test_semantics_fuzzfound import _run as _outcome  # noqa: E402

VERSION_ERROR = "modified by an inplace operation"


def _same(fn):
    """Run ``fn(lib)`` in both libraries: both raise the version error, or both give one gradient."""
    (tk, tv), (mk, mv) = _outcome(fn, torch), _outcome(fn, minigrad)
    assert tk == mk, f"torch {tk}: {tv!r}; minigrad {mk}: {mv!r}"
    if tk == "err":
        assert type(tv) is type(mv) and VERSION_ERROR in str(tv) and VERSION_ERROR in str(mv), (tv, mv)
    else:
        np.testing.assert_allclose(mv, tv, rtol=1e-6, atol=1e-12)
    return tk


# -- max pools save their input (torch's MaxPool*WithIndicesBackward0, AdaptiveMaxPool*Backward0,
#    FractionalMaxPool*Backward0 save self, though their gradient needs only the indices)
MAX_POOLS = [
    ("max_pool1d", (1, 4), (2,), {}),
    ("max_pool2d", (1, 4, 4), (2,), {}),
    ("max_pool2d", (1, 4, 4), (2,), {"return_indices": True}),
    ("max_pool3d", (1, 2, 2, 2), (2,), {}),
    ("adaptive_max_pool1d", (1, 4), (2,), {}),
    ("adaptive_max_pool2d", (1, 2, 2), (1,), {}),
    ("adaptive_max_pool3d", (2, 3, 1, 2), ((2, 2, 4),), {"return_indices": True}),
    ("fractional_max_pool2d", (1, 4, 4), (2,), {"output_size": 2}),
]


@pytest.mark.parametrize("edit", ["detach", "none"])
@pytest.mark.parametrize("name,shape,args,kwargs", MAX_POOLS, ids=[f"{m[0]}{m[3]}" for m in MAX_POOLS])
def test_max_pools_save_their_input(name, shape, args, kwargs, edit):
    def run(lib):
        x = (lib.arange(float(np.prod(shape)), dtype=lib.float64).reshape(shape) % 3).requires_grad_()
        y = getattr(lib.nn.functional, name)(x, *args, **kwargs)
        y = y[0] if isinstance(y, tuple) else y
        if edit == "detach":
            x.detach().add_(1)
        x.grad, = lib.autograd.grad((y * y).sum(), [x])
        return x.grad.numpy()
    assert _same(run) == ("err" if edit == "detach" else "ok")


def test_max_pool_second_backward_through_a_freed_graph_raises():
    def run(lib):
        x = lib.arange(16.0).reshape(1, 4, 4).requires_grad_()
        loss = lib.nn.functional.max_pool2d(x, 2).sum()
        loss.backward()
        return loss.backward()
    (tk, tv), (mk, mv) = _outcome(run, torch), _outcome(run, minigrad)
    assert tk == mk == "err" and type(tv) is type(mv) is RuntimeError, (tv, mv)
    assert "second time" in str(tv) and "second time" in str(mv)


# -- svdvals / eigvalsh (and the nuclear norm, svdvals' sum): torch's nodes save the whole
#    decomposition, not the input, when a gradient may be needed
@pytest.mark.parametrize("which", ["svdvals", "eigvalsh", "nuc"])
@pytest.mark.parametrize("edit", ["input", "values", "none"])
def test_spectral_values_save_the_decomposition_not_the_input(which, edit):
    a = np.array([[2.0, 0.5, -1.0], [0.5, 1.0, 0.25], [-1.0, 0.25, 3.0]])

    def run(lib):
        x = lib.tensor(a.reshape(3, 3, 1), requires_grad=True)
        if which == "nuc":
            v = lib.linalg.norm(x, ord="nuc", keepdim=True, dim=(0, 1))
        else:
            v = getattr(lib.linalg, which)(x.squeeze(-1))
        if edit == "input":
            x.detach().add_(1)
        elif edit == "values":
            v.neg_()
        x.grad, = lib.autograd.grad((v * v).sum(), [x])
        return x.grad.numpy()
    assert _same(run) == ("err" if edit == "values" and which != "nuc" else "ok")


@pytest.mark.parametrize("which", ["svdvals", "eigvalsh"])
def test_spectral_values_second_derivative(which):
    a = np.array([[2.0, 0.5, -1.0], [0.5, 1.0, 0.25], [-1.0, 0.25, 3.0]])

    def run(lib):
        x = lib.tensor(a, requires_grad=True)
        w = getattr(lib.linalg, which)(x)
        g, = lib.autograd.grad((w * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum(), [x], create_graph=True)
        gg, = lib.autograd.grad((g * g).sum(), [x])
        return np.concatenate([g.detach().numpy().ravel(), gg.numpy().ravel()])
    assert _same(run) == "ok"


# -- a binary op whose operand is cast to the result dtype saves the operand itself, as torch
@pytest.mark.parametrize("other", ["int64", "int32", "bool", "float64"])
@pytest.mark.parametrize("op", ["div", "div_", "mul", "mul_"])
def test_cast_operand_keeps_its_version(op, other):
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        o = lib.tensor([2, 3]).to(getattr(lib, other))
        y = x * 1
        y = getattr(y, op)(o)
        o.detach().fill_(1)   # the written tensor is the operand, not the cast the op computed with
        x.grad, = lib.autograd.grad(y.sum(), [x])
        return x.grad.numpy()
    assert _same(run) == "err"


def test_cast_operand_not_saved_raises_nothing():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        o = lib.tensor([2, 3])
        y = x + o           # add saves neither operand
        o.fill_(1)
        x.grad, = lib.autograd.grad(y.sum(), [x])
        return x.grad.numpy()
    assert _same(run) == "ok"


# -- linalg.lstsq saves its solution (torch's LinalgLstsqBackward0 does), not only A and B
@pytest.mark.parametrize("edit", ["solution", "residuals", "none"])
def test_lstsq_saves_its_solution(edit):
    def run(lib):
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([[1.0], [2.0], [4.0]], dtype=lib.float64, requires_grad=True)
        out = lib.linalg.lstsq(a, b, driver="gelsd")
        if edit != "none":
            getattr(out, edit).clamp_(None, 0.5)
        loss = out.residuals.sum() if edit == "solution" else out.solution.sum()   # (the node is one)
        a.grad, = lib.autograd.grad(loss, [a])
        return a.grad.numpy()
    assert _same(run) == ("err" if edit == "solution" else "ok")


# -- batch_norm saves its running statistics (torch's NativeBatchNormBackward0 does, in training and
#    evaluation mode), and its own update of them in training moves no version counter
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("edit", ["running_mean", "running_var", "none"])
def test_batch_norm_saves_its_running_statistics(training, edit):
    def run(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [2.0, 0.0, 1.0], [5.0, 1.0, 1.0], [0.0, 0.0, 2.0]], dtype=lib.float64,
                       requires_grad=True)
        stats = {"running_mean": lib.zeros(3, dtype=lib.float64), "running_var": lib.ones(3, dtype=lib.float64)}
        y = lib.nn.functional.batch_norm(x, stats["running_mean"], stats["running_var"], training=training)
        if edit != "none":
            stats[edit].detach().zero_()
        x.grad, = lib.autograd.grad((y * y).sum(), [x])
        return np.concatenate([x.grad.numpy().ravel(), stats["running_mean"].numpy()])
    assert _same(run) == ("ok" if edit == "none" else "err")


def test_batch_norm_module_run_twice_before_backward():
    def run(lib):
        lib.manual_seed(0)
        bn = lib.nn.BatchNorm1d(3).double()
        x = lib.tensor([[1.0, 2.0, 3.0], [2.0, 0.0, 1.0], [5.0, 1.0, 1.0]], dtype=lib.float64, requires_grad=True)
        before = bn.running_mean._version
        x.grad, = lib.autograd.grad((bn(x) * bn(x * 2)).sum(), [x])
        assert bn.running_mean._version == before
        return np.concatenate([x.grad.numpy().ravel(), bn.running_mean.numpy(), bn.running_var.numpy()])
    assert _same(run) == "ok"


# -- masked reductions read the mask through torch.where, which saves it: writing into the mask before
#    backward is a version error (also when the mask keeps every element)
@pytest.mark.parametrize("name,args", [("norm", (float("inf"),)), ("norm", (2.0,)), ("sum", ()), ("amax", ()),
                                       ("mean", ()), ("var", ()), ("softmax", (1,)), ("cumsum", (1,))])
@pytest.mark.parametrize("keep_all", [True, False])
@pytest.mark.parametrize("edit", [True, False])
def test_masked_ops_save_their_mask(name, args, keep_all, edit):
    def run(lib):
        x = lib.tensor([[-5.0, -7.375], [1.5, 2.0]], dtype=lib.float64, requires_grad=True)
        mask = lib.tensor([[True, keep_all], [True, True]])
        y = getattr(lib.masked, name)(x, *args, mask=mask)
        if edit:
            mask ^= lib.tensor(True)
        x.grad, = lib.autograd.grad((2 * y).sum(), [x])
        return x.grad.numpy()
    assert _same(run) == ("err" if edit else "ok")


# -- views of a complex tensor are re-derived after a write through detach(), as real ones
@pytest.mark.parametrize("kind", ["squeeze", "slice", "T"])
def test_complex_views_rederived_after_a_detached_write(kind):
    views = {"squeeze": lambda y: y.unsqueeze(0).squeeze(0), "slice": lambda y: y[:, 1:], "T": lambda y: y.T}

    def run(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
        y = lib.fft.fft(x)
        v = views[kind](y)
        y.detach()[0, 1] = 3 + 1j
        y.detach().fill_(0.5)
        x.grad, = lib.autograd.grad((v.abs() ** 2).sum(), [x])
        return np.concatenate([x.grad.numpy().ravel(), v.detach().numpy().real.ravel()])
    assert _same(run) == "ok"
