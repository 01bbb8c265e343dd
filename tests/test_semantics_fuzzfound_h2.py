"""Regressions found by the program fuzzer (hooks on views written in place), each run beside torch."""
import warnings

import numpy as np
import pytest
import torch

import minigrad


def _run_both(program):
    """Run ``program(lib, log)`` in both libraries; return (result, hook log) of each."""
    out = []
    for lib in (torch, minigrad):
        log = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = program(lib, log)
        out.append((result, log))
    return out


def _hook(log, tag):
    def hook(grad):
        log.append((tag, tuple(grad.shape), grad.detach().numpy().copy()))
    return hook


def _same(a, b):
    (ra, la), (rb, lb) = a, b
    assert [(t, s) for t, s, _ in la] == [(t, s) for t, s, _ in lb]
    for (_, _, ga), (_, _, gb) in zip(la, lb):
        np.testing.assert_allclose(ga, gb)
    for x, y in zip(ra, rb):
        if x is None or y is None:
            assert x is None and y is None
        else:
            np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("view_kind", ["shares_counter_with_view", "plain"])
def test_write_through_detached_alias_with_views_regenerates_views_of_the_grad_base(view_kind):
    """A detach()ed alias that has views of its own shares the version counter with the base that
    requires grad: a write through either alias re-derives the base's views (hooks registered on
    them before the write no longer run), as torch does."""
    def program(lib, log):
        x = lib.zeros((2, 1, 4), requires_grad=True)
        alias = x.detach()
        v = x.expand(-1, 3, -1)
        v.register_hook(_hook(log, "v"))
        if view_kind == "shares_counter_with_view":
            _ = alias[0:0]     # gives the alias a view: it must not hide x's views
        alias.detach().zero_()
        (v * lib.arange(24.0).reshape(2, 3, 4)).sum().backward(inputs=[x], retain_graph=True)
        return (x.grad, v.grad_fn.name())
    (rt, lt), (rm, lm) = _run_both(program)
    assert rt[1] == rm[1] == "AsStridedBackward0"
    _same((rt[:1], lt), (rm[:1], lm))


@pytest.mark.parametrize("write", ["iadd", "add_", "add_self", "mul_"])
@pytest.mark.parametrize("view", ["squeeze", "slice", "select"])
def test_hook_on_view_registered_before_its_inplace_write_is_not_on_the_write_path(write, view):
    """torch's CopySlices sends the gradient of the in-place op's ``self`` straight to the base:
    a hook registered on the view before the write does not run (its old node is bypassed), but
    an earlier use of the view still reaches it; the gradients are the same."""
    def program(lib, log):
        x = lib.tensor([[1.5, -0.5], [-2.5, 3.0]], requires_grad=True)
        w = lib.tensor([[0.5, 2.0], [1.0, -1.0]], requires_grad=True)
        base = x * w
        v = {"squeeze": lambda b: b.squeeze(), "slice": lambda b: b[1:], "select": lambda b: b.select(0, 1)}[view](base)
        v.register_hook(_hook(log, "v"))
        early = (v * 3).sum()      # a use of v before the write: its gradient passes v's hook
        if write == "iadd":
            v += -1
        elif write == "add_":
            v.add_(w[0])
        elif write == "add_self":
            v.add_(v)              # the second operand is v's old value: torch keeps that edge
        else:
            v.mul_(w[1])
        (base.pow(2).sum() + early + v.sum()).backward()
        return (x.grad, w.grad)
    _same(*_run_both(program))


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("scale", [1.0, float("inf")])
def test_ctc_loss_gradient_is_zero_past_input_length_even_for_an_infinite_incoming_gradient(zero_infinity, scale):
    """torch's ctc_loss backward sets each sample's steps from its input length on (and, with
    zero_infinity, the samples of infinite loss) to 0 after scaling by the incoming gradient: an
    infinite loss squared (an inf incoming gradient) gave NaN there instead."""
    lp0 = np.log(np.array([[[0.3, 0.7], [0.6, 0.4]]] * 6, np.float32))   # (T=6, N=2, C=2)
    out = []
    for lib in (torch, minigrad):
        lp = lib.tensor(lp0, requires_grad=True)
        targets = lib.tensor([[0, 0, 0], [0, 0, 0]])       # repeated labels: sample 0 cannot fit in 3 steps
        loss = lib.nn.functional.ctc_loss(lp, targets, lib.tensor([3, 6]), lib.tensor([3, 2]), blank=1,
                                          reduction="none", zero_infinity=zero_infinity)
        ((loss * loss).sum() * scale).backward()
        out.append((loss.detach().numpy(), lp.grad.numpy()))
    (lt, gt), (lm, gm) = out
    np.testing.assert_allclose(lm, lt, rtol=1e-5)
    np.testing.assert_allclose(gm, gt, rtol=1e-5, atol=1e-6)
    assert (gm[3:, 0] == 0).all() and np.isnan(gm).any() == np.isnan(gt).any()


@pytest.mark.parametrize("used_after", [False, True])
@pytest.mark.parametrize("through_view", [False, True])
def test_retain_grad_of_a_view_after_an_untracked_write_moves_at_its_next_use(used_after, through_view):
    """torch re-derives a view after a write through a detach()ed alias only at the view's next
    use: until then the graphs built before the write still fill its .grad; once used, only the
    new graph does."""
    out = []
    for lib in (torch, minigrad):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        w = y[1:]
        w.retain_grad()
        u = w * 2
        if through_view:
            y.detach()[0:1].add_(1)    # (the alias gets a view of its own)
        else:
            y.detach().add_(1)
        loss = u.sum()
        if used_after:
            loss = loss + (w * 5).sum()
        loss.backward()
        out.append((w.grad.numpy(), x.grad.numpy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a)


@pytest.mark.parametrize("pool", ["max_pool3d", "adaptive_max_pool3d", "adaptive_max_pool2d", "fractional_max_pool3d",
                                  "fractional_max_pool2d"])
def test_max_pool_gradient_with_create_graph_lies_in_the_input_graph(pool):
    """torch's max_pool3d / adaptive / fractional max pool backwards take self: with create_graph
    the gradient requires grad even for a constant incoming gradient, and its derivative w.r.t.
    the input is 0 (w.r.t. the incoming gradient: a gather at the argmax)."""
    x0 = np.random.default_rng(0).permutation(2 * 4 * 4 * 4).reshape(1, 2, 4, 4, 4).astype(np.float64)
    out = []
    for lib in (torch, minigrad):
        F = lib.nn.functional
        x = lib.tensor(x0, requires_grad=True)
        samples = lib.full((1, 2, 3), 0.5, dtype=lib.float64)
        y = {"max_pool3d": lambda: F.max_pool3d(x, 2),
             "adaptive_max_pool3d": lambda: F.adaptive_max_pool3d(x, 2),
             "adaptive_max_pool2d": lambda: F.adaptive_max_pool2d(x[0], 2),
             "fractional_max_pool3d": lambda: F.fractional_max_pool3d(x, 2, output_size=2, _random_samples=samples),
             "fractional_max_pool2d": lambda: F.fractional_max_pool2d(x[0, :, 0], 2, output_size=2,
                                                                      _random_samples=samples[:, :, :2]),
             }[pool]()
        w = lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)), requires_grad=True)
        g, = lib.autograd.grad((y * w).sum(), x, create_graph=True)
        gx, gw = lib.autograd.grad((g * g).sum(), [x, w], allow_unused=True)
        out.append((g.requires_grad, g.detach().numpy(), None if gx is None else gx.numpy(), gw.numpy()))
    (rt, gt, gxt, gwt), (rm, gm, gxm, gwm) = out
    assert rt == rm
    np.testing.assert_allclose(gm, gt)
    np.testing.assert_allclose(gwm, gwt)
    assert (gxt is None) == (gxm is None)
    if gxt is not None:
        np.testing.assert_allclose(gxm, gxt)
    # and with a constant incoming gradient (the fuzzer's case): requires grad as in torch
    for lib in (torch, minigrad):
        x = lib.tensor(x0, requires_grad=True)
        y = lib.nn.functional.max_pool3d(x, 2) if pool == "max_pool3d" else lib.nn.functional.adaptive_max_pool3d(x, 2)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        out.append(g.requires_grad)
    assert out[-2] is out[-1] is True


@pytest.mark.parametrize("index", [Ellipsis, (Ellipsis,), (Ellipsis, None), ()])
@pytest.mark.parametrize("shape", [(), (2,)])
def test_ellipsis_index_of_a_0d_tensor_is_a_view(index, shape):
    """x[...] of a 0-d x is a view, as torch's: a write into x shows in it (it was a copy)."""
    out = []
    for lib in (torch, minigrad):
        x = lib.full(shape, 2.0, dtype=lib.float64, requires_grad=True)
        y = x[index]
        x.detach().fill_(0.5)
        (y * 3).sum().backward()
        out.append((y._base is x, y.detach().numpy(), x.grad.numpy()))
    assert out[0][0] is out[1][0] is True
    np.testing.assert_array_equal(out[1][1], out[0][1])
    np.testing.assert_array_equal(out[1][2], out[0][2])
