"""Module hooks and tensor post-accumulate-grad hooks against torch: each scenario runs once with
``minigrad`` and once with ``torch`` as ``lib`` and records what the hooks saw (order of calls,
shapes, values, return-value replacement, handles); the two records must be equal."""
import warnings

import numpy as np
import pytest
import torch

import minigrad


def _both(scenario):
    """Run scenario(lib, log) for both libraries; assert equal logs; return minigrad's."""
    logs = []
    for lib in (minigrad, torch):
        log = []
        lib.manual_seed(0)
        scenario(lib, log)
        logs.append(log)
    assert logs[0] == logs[1], f"\nminigrad: {logs[0]}\ntorch:    {logs[1]}"
    return logs[0]


def _shapes(grads):
    return [None if g is None else tuple(g.shape) for g in grads]


def _values(t):
    return np.round(np.asarray(t.detach().numpy(), dtype=np.float64), 5).tolist()


def test_forward_hooks_global_module_prepend_kwargs_and_removal():
    def scenario(lib, log):
        gm = lib.nn.modules.module
        m = lib.nn.Linear(3, 2)
        handles = [
            gm.register_module_forward_pre_hook(lambda mod, args: log.append(("global-pre", type(mod).__name__))),
            gm.register_module_forward_hook(lambda mod, args, out: log.append(("global-post", tuple(out.shape)))),
            m.register_forward_pre_hook(lambda mod, args: log.append("pre-1")),
            m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,)),
            m.register_forward_pre_hook(lambda mod, args: log.append("pre-first"), prepend=True),
            m.register_forward_pre_hook(lambda mod, args, kwargs: log.append(("pre-kw", sorted(kwargs))),
                                        with_kwargs=True),
            m.register_forward_hook(lambda mod, args, out: out + 1),
            m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("post-kw", _values(args[0]))),
                                    with_kwargs=True),
            m.register_forward_hook(lambda mod, args, out: log.append("post-first"), prepend=True),
        ]
        try:
            out = m(lib.ones(1, 3))
            log.append(_values(out - m.bias - 2 * m.weight.sum(1)))   # the pre-hook doubled x, a hook added 1
            handles[3].remove()
            handles[6].remove()
            log.append(_values(m(lib.ones(1, 3)) - m.bias - m.weight.sum(1)))
        finally:
            for h in handles:
                h.remove()
        m(lib.ones(1, 3))
        log.append("after removal")
    _both(scenario)


def test_forward_pre_hook_with_kwargs_replaces_args_and_kwargs_and_checks_its_result():
    def scenario(lib, log):
        class M(lib.nn.Module):
            def forward(self, x, scale=1.0):
                return x * scale
        m = M()
        m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), {"scale": 3.0}), with_kwargs=True)
        log.append(_values(m(lib.ones(2), scale=5.0)))
        m.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
            m(lib.ones(2), scale=5.0)
        log.append("raised")
    _both(scenario)


def test_always_call_hooks_run_when_forward_raises():
    def scenario(lib, log):
        class Failing(lib.nn.Module):
            def forward(self, x):
                raise ValueError("forward failed")
        m = Failing()
        m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
        m.register_forward_hook(lambda mod, args, out: log.append("not always"))
        handle = lib.nn.modules.module.register_module_forward_hook(
            lambda mod, args, out: log.append("global always"), always_call=True)
        try:
            with pytest.raises(ValueError, match="forward failed"):
                m(lib.ones(1))
        finally:
            handle.remove()
        m2 = lib.nn.Identity()
        m2.register_forward_hook(lambda mod, args, out: log.append("ran once"), always_call=True)
        m2(lib.ones(1))
    _both(scenario)


def test_full_backward_hooks_order_arguments_and_replacement():
    def scenario(lib, log):
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        m[0].register_full_backward_pre_hook(lambda mod, go: log.append(("pre0", _shapes(go))))
        m[0].register_full_backward_hook(lambda mod, gi, go: log.append(("full0", _shapes(gi), _shapes(go))))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(("seq", _shapes(gi), _values(go[0]))))
        m[2].register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
        m[2].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0 + 1,))
        m[2].register_full_backward_hook(lambda mod, gi, go: log.append(("first", _values(gi[0]))), prepend=True)
        x = lib.ones(2, 3, requires_grad=True)
        m(x).sum().backward()
        log.append(_values(x.grad))
        log.append(_values(m[0].weight.grad))
    _both(scenario)


def test_full_backward_hook_without_input_grads_fires_at_the_outputs():
    def scenario(lib, log):
        m = lib.nn.Linear(3, 2)
        m.register_full_backward_hook(lambda mod, gi, go: log.append((_shapes(gi), _shapes(go))))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m(lib.ones(4, 3)).sum().backward()
        log.append([str(w.message)[:60] for w in caught])
        m.register_full_backward_hook(lambda mod, gi, go: (lib.ones(1),))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match="no input requires gradient should always return None"):
                m(lib.ones(4, 3)).sum().backward()
        log.append("raised")
    _both(scenario)


def test_full_backward_hook_wrong_number_of_grads_and_multiple_inputs():
    def scenario(lib, log):
        class Bilinear(lib.nn.Module):
            def forward(self, a, flag, b):
                return a * b, a + b
        m = Bilinear()
        m.register_full_backward_hook(lambda mod, gi, go: log.append((_shapes(gi), _shapes(go))))
        a, b = lib.ones(2, requires_grad=True), lib.full((2,), 3.0, requires_grad=True)
        p, s = m(a, "flag", b)
        (p.sum() * 2 + s.sum()).backward()
        log.append((_values(a.grad), _values(b.grad)))
        m.register_full_backward_hook(lambda mod, gi, go: (None,))
        p, s = m(a, "flag", b)
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 1, but expected 3"):
            (p.sum() + s.sum()).backward()
        log.append("raised")
    _both(scenario)


def test_global_full_backward_hooks_and_mixing_kinds_is_refused():
    def scenario(lib, log):
        gm = lib.nn.modules.module
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
        h1 = gm.register_module_full_backward_pre_hook(lambda mod, go: log.append(("gpre", type(mod).__name__)))
        h2 = gm.register_module_full_backward_hook(lambda mod, gi, go: log.append(("gfull", type(mod).__name__)))
        try:
            with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full"):
                gm.register_module_backward_hook(lambda *a: None)
            m(lib.ones(1, 2, requires_grad=True)).sum().backward()
        finally:
            h1.remove()
            h2.remove()
        lin = lib.nn.Linear(2, 2)
        lin.register_full_backward_hook(lambda *a: None)
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
            lin.register_backward_hook(lambda *a: None)
        log.append("refused")
    _both(scenario)
    torch.nn.modules.module._global_is_full_backward_hook = None       # (both libraries keep the kind)
    minigrad.nn.module._global_is_full_backward_hook = None


def test_legacy_backward_hook_sees_the_last_nodes_gradients_and_warns():
    def scenario(lib, log):
        class Scale(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.Parameter(lib.full((3,), 2.0))

            def forward(self, x):
                return (x + 1) * self.w

        m = Scale()
        m.register_backward_hook(lambda mod, gi, go: log.append((_shapes(gi), _values(go[0]))) or
                                 (gi[0] * 10, gi[1]))
        x = lib.ones(3, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m(x).sum().backward()
        log.append([(w.category.__name__, str(w.message)[:70]) for w in caught])
        log.append((_values(x.grad), _values(m.w.grad)))
        with pytest.raises(RuntimeError, match="Cannot use both"):
            m.register_full_backward_hook(lambda *a: None)
    _both(scenario)


def test_state_dict_hooks():
    def scenario(lib, log):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.Linear(2, 1)))
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))
        m[1].register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("pre1", prefix)))

        def post(mod, sd, prefix, meta):
            log.append(("post1", prefix, sorted(sd), meta))
            sd[prefix + "extra"] = lib.zeros(1)
        m[1].register_state_dict_post_hook(post)
        m[0].register_state_dict_post_hook(lambda mod, sd, prefix, meta: log.append(("post0", prefix)))
        sd = m.state_dict()
        log.append(sorted(sd))
        handle = m._register_state_dict_hook(lambda mod, sd, prefix, meta: {"replaced": lib.ones(1)})
        log.append(sorted(m.state_dict(keep_vars=True)))
        handle.remove()
        bad = m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd)
        with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
            m.state_dict()
        bad.remove()
        with pytest.raises(RuntimeError, match="Cannot register the same function"):
            m._register_state_dict_hook(post)
        log.append("refused")
    _both(scenario)


def test_load_state_dict_hooks():
    def scenario(lib, log):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 1))
        sd = m.state_dict()

        def pre(mod, state, prefix, meta, strict, missing, unexpected, errors):
            log.append(("pre", type(mod).__name__, prefix, sorted(state), meta, strict))
            if prefix == "1.":
                state[prefix + "bias"] = state[prefix + "bias"] * 0 + 7
        m.register_load_state_dict_pre_hook(pre)
        m[1].register_load_state_dict_pre_hook(pre)

        def post(mod, incompatible):
            log.append(("post", type(mod).__name__, list(incompatible.missing_keys),
                        list(incompatible.unexpected_keys)))
            incompatible.unexpected_keys.clear()
        m[0].register_load_state_dict_post_hook(lambda mod, inc: log.append(("post0", list(inc.unexpected_keys))))
        m.register_load_state_dict_post_hook(post)
        sd = dict(sd)
        sd["junk"] = lib.zeros(1)
        result = m.load_state_dict(sd)
        log.append((list(result.missing_keys), list(result.unexpected_keys), _values(m[1].bias)))
        m[1].register_load_state_dict_post_hook(lambda mod, inc: inc)
        with pytest.raises(AssertionError, match="not expected to return new values"):
            m.load_state_dict(sd)
        log.append("raised")
    _both(scenario)


def test_registration_hooks():
    def scenario(lib, log):
        gm = lib.nn.modules.module
        handles = [
            gm.register_module_parameter_registration_hook(lambda mod, name, p: log.append(("param", name))),
            gm.register_module_buffer_registration_hook(
                lambda mod, name, b: log.append(("buffer", name)) or lib.zeros(1)),
            gm.register_module_module_registration_hook(lambda mod, name, sub: log.append(("module", name))),
        ]
        try:
            m = lib.nn.Linear(2, 1)
            m.register_buffer("running", lib.ones(1))
            m.child = lib.nn.Identity()
            m.add_module("other", lib.nn.Identity())
            log.append(_values(m.running))
        finally:
            for h in handles:
                h.remove()
    _both(scenario)


def test_post_accumulate_grad_hook():
    def scenario(lib, log):
        w = lib.nn.Parameter(lib.ones(3))
        h = w.register_post_accumulate_grad_hook(lambda p: log.append(("acc", _values(p.grad))))
        (w * 2).sum().backward()
        (w * 3).sum().backward()
        h.remove()
        (w * 4).sum().backward()
        log.append(_values(w.grad))
        with pytest.raises(RuntimeError, match="non-leaf"):
            (w * 1).register_post_accumulate_grad_hook(lambda p: None)
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.ones(1).register_post_accumulate_grad_hook(lambda p: None)
        log.append("refused")
    _both(scenario)


def test_state_dict_prefix_and_metadata_match_torch():
    def scenario(lib, log):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.BatchNorm1d(2)))
        for prefix in ("", "model.", "m"):
            sd = m.state_dict(prefix=prefix)
            log.append((list(sd), dict(sd._metadata)))
        log.append(list(m[1].state_dict(keep_vars=True)))
    _both(scenario)
