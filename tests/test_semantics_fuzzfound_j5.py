"""Views made while autograd does not record (no_grad, inference_mode) and stale multi-output
views, found by the program fuzzer (issue 14, runs of 2026-12-07): each case runs beside torch."""
from __future__ import annotations

import pytest
import torch

import minigrad
from test_semantics_fuzzfound import _same  # noqa: E402 (the first fuzzer-found file's runner)

MODES = {"no_grad": "no_grad mode", "inference_mode": "inference mode"}


def _make_view(lib, mode, base_requires_grad=True, how="view"):
    a = lib.ones(4, requires_grad=base_requires_grad)
    x = a * 1 if base_requires_grad else a
    with getattr(lib, mode)():
        v = x.view(-1) if how == "view" else x.chunk(2)[0]
    return a, x, v


# -- views made under no_grad / inference_mode ---------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["view", "chunk"])
def test_view_made_without_grad_mode_requires_grad_as_its_base(mode, how):
    def f(lib):   # a tensor without grad_fn that requires grad (torch's CreationMeta NO_GRAD_MODE)
        a, x, v = _make_view(lib, mode, how=how)
        w = v * 2
        return v.requires_grad, v.is_leaf, v.grad_fn is None, w.requires_grad, w.grad_fn is not None
    _same(f)


@pytest.mark.parametrize("mode", MODES)
def test_view_made_without_grad_mode_passes_no_gradient_on(mode):
    def f(lib):   # the ops on it record, but its edge leads nowhere: neither it nor its base gets a grad
        a, x, v = _make_view(lib, mode)
        calls = []
        v.register_hook(lambda g: calls.append(g))
        (v * 3).sum().backward()
        return v.grad is None, a.grad is None, len(calls)
    _same(f)


@pytest.mark.parametrize("mode", MODES)
def test_view_made_without_grad_mode_is_not_an_input_of_the_graph(mode):
    def f(lib):
        a, x, v = _make_view(lib, mode)
        return lib.autograd.grad((v * 2).sum(), v)
    _same(f, "appears to not have been used in the graph")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("use", ["is_leaf", "mul", "register_hook", "view"])
@pytest.mark.parametrize("write", ["base", "other_view", "detached", "no_grad"])
def test_view_made_without_grad_mode_refuses_uses_once_written(mode, use, write):
    def f(lib):
        a, x, v = _make_view(lib, mode)
        if write == "base":
            x.mul_(2)
        elif write == "other_view":
            x[1:].mul_(2)
        elif write == "detached":
            x.detach().add_(1)
        else:
            with lib.no_grad():
                x.add_(1)
        if use == "is_leaf":
            return v.is_leaf
        if use == "mul":
            return v * 2
        if use == "register_hook":
            return v.register_hook(lambda g: g) is None
        return v.view(2, 2)
    _same(f, f"A view was created in {MODES[mode]} and its base or another view of its base has been "
             "modified inplace")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["view", "chunk"])
def test_writing_a_view_made_without_grad_mode_names_the_mode(mode, how):
    def f(lib):   # (the view check comes before the leaf check: the view requires grad, has no grad_fn)
        a, x, v = _make_view(lib, mode, how=how)
        v.mul_(2)
    _same(f, f"A view was created in {MODES[mode]} and is being modified inplace")


@pytest.mark.parametrize("mode", MODES)
def test_view_without_grad_mode_of_a_base_without_grad_stays_free(mode):
    def f(lib):   # nothing requires grad: no refusal, the view is an ordinary tensor
        a, x, v = _make_view(lib, mode, base_requires_grad=False)
        x.mul_(2)
        v.mul_(3)
        return v * 1, v.requires_grad, v.is_leaf
    _same(f)


@pytest.mark.parametrize("mode", MODES)
def test_stale_view_made_without_grad_mode_takes_retain_grad(mode):
    def f(lib):   # (retain_grad of a tensor without grad_fn returns before looking at the view)
        a, x, v = _make_view(lib, mode)
        x.mul_(2)
        v.retain_grad()
        return v.retains_grad
    _same(f)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", ["backward", "grad"])
def test_view_made_without_grad_mode_is_no_root(mode, call):
    def f(lib):   # (survey record: it requires grad, but torch has no edge to start a backward from)
        a, x, v = _make_view(lib, mode)
        if call == "backward":
            v.sum().backward()           # (a sum of it is fine: the gradient goes nowhere)
            v.backward(lib.ones(4))
        else:
            lib.autograd.grad(v, a, lib.ones(4))
    _same(f, "element 0 of tensors does not require grad and does not have a grad_fn")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", ["backward", "grad"])
def test_stale_view_made_without_grad_mode_refused_as_an_input(mode, call):
    def f(lib):   # (survey record: backward(inputs=[...]) of such a view after an untracked write)
        a, x, v = _make_view(lib, mode)
        x.detach().mul_(2)
        if call == "backward":
            (x * 1).sum().backward(inputs=[a, v])
        else:
            lib.autograd.grad((x * 1).sum(), [v], allow_unused=True)
    _same(f, f"A view was created in {MODES[mode]} and its base or another view of its base has been modified")


@pytest.mark.parametrize("mode", MODES)
def test_view_made_without_grad_mode_follows_its_base_requiring_grad_later(mode):
    def f(lib):   # (survey record: the base starts requiring grad through a tracked in-place op)
        t1 = lib.tensor(0.5, requires_grad=True)
        with lib.no_grad():
            t5 = t1 * 2 + 1
        with getattr(lib, mode)():
            t8 = t5.unsqueeze(0)
        before = t8.requires_grad
        t5 += t1
        return before, t8.requires_grad
    _same(f)


@pytest.mark.parametrize("how", ["view", "chunk"])
def test_stale_view_refuses_only_the_first_register_hook(how):
    def f(lib):   # (torch reads grad_fn only when it sets up the tensor's hook dict, even if that raised)
        a, x, v = _make_view(lib, "no_grad", how=how) if how == "view" else (None, None, None)
        if how == "chunk":
            x = lib.ones(4, requires_grad=True) * 1
            v = x.chunk(2)[0]
        x.mul_(2)
        outcomes = []
        for _ in range(2):
            try:
                v.register_hook(lambda g: g)
                outcomes.append("ok")
            except RuntimeError as e:
                outcomes.append(str(e)[:20])
        return outcomes
    _same(f)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("drop", ["detach_", "requires_grad_"])
def test_view_made_without_grad_mode_stops_requiring_grad_with_its_base(mode, drop):
    def f(lib):   # (survey record: the leaf base's detach_() / requires_grad_(False))
        a = lib.ones(4, requires_grad=True)
        with getattr(lib, mode)():
            v = a.unsqueeze(0)
        before = v.requires_grad
        a.detach_() if drop == "detach_" else a.requires_grad_(False)
        return before, v.requires_grad, v.is_leaf
    _same(f)


def test_brief_reduction_no_grad_view_requires_grad():
    def f(lib):
        a = lib.ones(3, requires_grad=True)
        x = a * 1
        with lib.no_grad():
            v = x.view(-1)
        x.mul_(2)
        return v.requires_grad
    assert _same(f) == (True, True)


# -- stale multi-output views: register_hook and retain_grad are uses ---------------------------
@pytest.mark.parametrize("use", ["register_hook", "retain_grad", "is_leaf"])
def test_stale_multi_output_view_refuses_hooks(use):
    def f(lib):   # fzview.jsonl records 5, 6: chunk's output, its base written through a detach()
        t10 = lib.ones(4, 1, requires_grad=True)
        t11, = t10.chunk(4, -1)
        t10.detach().fill_(0.5)
        if use == "register_hook":
            t11.register_hook(lambda g: None)
        elif use == "retain_grad":
            t11.retain_grad()
        else:
            return t11.is_leaf
    _same(f, "Output 0 of Split is a view and its base or another view of its base has been modified inplace")


def test_fresh_multi_output_view_takes_hooks():
    def f(lib):
        a = lib.ones(4, requires_grad=True)
        u, w = (a * 1).chunk(2)
        seen = []
        u.register_hook(lambda g: seen.append(g.sum().item()))
        u.retain_grad()
        (u * 3).sum().backward()
        return u.grad, seen, a.grad
    t, m = _same(f)
    assert t[1] == m[1] == [6.0]
