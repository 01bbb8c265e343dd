"""minigrad.amp against torch.amp on this CPU-only machine: GradScaler's schedule step by step,
the pass-through forms, autocast's switches and warnings, and autocast to float16 and bfloat16
(the CPU default) running torch's op lists."""
import warnings

import numpy as np
import pytest
import torch

import minigrad

W = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]])


def _train(lib, losses_scale, scaler_kwargs, steps=6, inject=(2, 3)):
    """A linear model stepped by SGD under a GradScaler('cpu'); at the steps in ``inject`` a
    gradient is made inf, so the step is skipped and the scale backs off."""
    model = lib.nn.Linear(3, 2, bias=False).double()
    with lib.no_grad():
        model.weight.copy_(lib.tensor(W))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **scaler_kwargs)
    record = []
    x = lib.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]], dtype=lib.float64)
    for step in range(steps):
        opt.zero_grad()
        loss = (model(x) ** 2).sum() * losses_scale
        scaler.scale(loss).backward()
        if step in inject:
            with lib.no_grad():
                model.weight.grad[0, 0] = float("inf")
        scaler.step(opt)
        scaler.update()
        record.append((scaler.get_scale(), scaler._get_growth_tracker(), model.weight.detach().numpy().copy()))
    return record, scaler.state_dict()


@pytest.mark.parametrize("kwargs", [{}, {"init_scale": 8.0, "growth_interval": 2}, {"growth_factor": 3.0,
                                                                                    "backoff_factor": 0.25}])
def test_grad_scaler_schedule_matches_torch(kwargs):
    ours, our_state = _train(minigrad, 1.0, kwargs)
    theirs, their_state = _train(torch, 1.0, kwargs)
    assert our_state == their_state
    for (s1, g1, w1), (s2, g2, w2) in zip(ours, theirs):
        assert (s1, g1) == (s2, g2)
        np.testing.assert_allclose(w1, w2, rtol=1e-12)


def test_unscale_then_clip_then_step_and_misuse_errors():
    for lib in (minigrad, torch):
        model = lib.nn.Linear(2, 1)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=4.0)
        scaler.scale(model(lib.ones(1, 2)).sum()).backward()
        scaler.unscale_(opt)
        assert model.bias.grad.item() == 1.0
        with pytest.raises(RuntimeError, match="already been called"):
            scaler.unscale_(opt)
        scaler.step(opt)
        with pytest.raises(RuntimeError, match="already been called since the last update"):
            scaler.step(opt)
        with pytest.raises(RuntimeError, match="after step"):
            scaler.unscale_(opt)
        scaler.update()
        with pytest.raises(AssertionError):
            lib.amp.GradScaler("cpu", growth_factor=1.0)


def test_disabled_scaler_is_a_pass_through():
    for lib in (minigrad, torch):
        scaler = lib.amp.GradScaler("cpu", enabled=False)
        loss = lib.tensor(3.0)
        assert scaler.scale(loss) is loss
        assert scaler.get_scale() == 1.0 and scaler.state_dict() == {} and not scaler.is_enabled()
        model = lib.nn.Linear(2, 1)
        opt = lib.optim.SGD(model.parameters(), lr=1.0)
        model(lib.ones(1, 2)).sum().backward()
        before = model.bias.item()
        scaler.step(opt)
        scaler.update()
        assert model.bias.item() == pytest.approx(before - 1.0)


def _warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, sorted(type(w.message).__name__ + ":" + str(w.message).split(".")[0][:40] for w in caught)


@pytest.mark.parametrize("make", [
    lambda lib: lib.cuda.amp.GradScaler(),
    lambda lib: lib.amp.GradScaler("cuda"),
    lambda lib: lib.amp.GradScaler(),
    lambda lib: lib.cuda.amp.GradScaler(enabled=False),
], ids=["cuda.amp", "amp-cuda", "default", "disabled"])
def test_cuda_scaler_disables_itself_without_cuda(make):
    (ours, w1), (theirs, w2) = _warnings(lambda: make(minigrad)), _warnings(lambda: make(torch))
    assert ours.is_enabled() == theirs.is_enabled() is False
    assert [w.split(":")[0] for w in w1] == [w.split(":")[0] for w in w2]


@pytest.mark.parametrize("make", [
    lambda lib: lib.autocast(device_type="cuda", dtype=lib.float16),
    lambda lib: lib.amp.autocast("cuda"),
    lambda lib: lib.cuda.amp.autocast(),
    lambda lib: lib.autocast("cpu", dtype=lib.float64),
    lambda lib: lib.autocast("cpu", enabled=False),
    lambda lib: lib.cpu.amp.autocast(enabled=False),
], ids=["cuda", "amp-cuda", "cuda.amp", "cpu-float64", "cpu-disabled", "cpu.amp-disabled"])
def test_autocast_regions_that_switch_themselves_off(make):
    def run(lib):
        with make(lib):
            return (lib.is_autocast_enabled("cpu"), lib.is_autocast_enabled("cuda"),
                    (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.float32)
    (ours, w1), (theirs, w2) = _warnings(lambda: run(minigrad)), _warnings(lambda: run(torch))
    assert ours == theirs
    assert [w.split(":")[0] for w in w1] == [w.split(":")[0] for w in w2]


def test_autocast_state_is_restored_and_is_a_decorator():
    for lib in (minigrad, torch):
        assert lib.get_autocast_dtype("cpu") == lib.bfloat16
        with lib.autocast("cpu", dtype=lib.float16, enabled=False):
            assert not lib.is_autocast_enabled("cpu")

        @lib.autocast("cpu", enabled=False)
        def f():
            return lib.is_autocast_enabled("cpu")
        assert f() is False and not lib.is_autocast_enabled("cpu")


def test_bfloat16_finfo_is_torchs():
    assert str(minigrad.bfloat16).endswith("bfloat16") and minigrad.bfloat16.is_floating_point
    assert minigrad.bfloat16.itemsize == torch.bfloat16.itemsize
    ours, theirs = minigrad.finfo(minigrad.bfloat16), torch.finfo(torch.bfloat16)
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field


def test_legacy_module_paths_import():
    from minigrad.cpu.amp import autocast as cpu_autocast  # noqa: F401
    from minigrad.cuda.amp import GradScaler  # noqa: F401
    import minigrad.cuda.amp  # noqa: F401


def _autocast_step(lib, x, target, weights, low="float16"):
    model = lib.nn.Sequential(lib.nn.Linear(6, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))
    with (lib.autocast("cpu") if low == "default" else lib.autocast("cpu", dtype=getattr(lib, low))):
        hidden = model[0](lib.tensor(x))
        logits = model[2](model[1](hidden))
        loss = lib.nn.functional.cross_entropy(logits, lib.tensor(target))
        product = lib.tensor(x) @ lib.tensor(x).t()
    loss.backward()
    dtypes = [str(t.dtype).split(".")[-1] for t in (hidden, logits, loss, product)]
    return dtypes, loss.item(), [p.grad.numpy().astype(np.float64) for p in model.parameters()], \
        [str(p.grad.dtype).split(".")[-1] for p in model.parameters()]


def test_cpu_autocast_float16_runs_torchs_lists():
    """Linear layers and matmul in float16, cross-entropy in float32, gradients back in each
    parameter's float32; values as torch's to float16 rounding."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    target = np.array([0, 2, 1, 2])
    weights = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in ((5, 6), (5,), (3, 5), (3,))]
    ours, theirs = _autocast_step(minigrad, x, target, weights), _autocast_step(torch, x, target, weights)
    assert ours[0] == theirs[0] == ["float16", "float16", "float32", "float16"]
    assert ours[3] == theirs[3] == ["float32"] * 4
    assert ours[1] == pytest.approx(theirs[1], rel=2e-3)
    for a, b in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-2, atol=2e-3)


@pytest.mark.parametrize("low", ["bfloat16", "default"])
def test_cpu_autocast_bfloat16_runs_torchs_lists(low):
    """autocast("cpu") defaults to bfloat16: the same lists as for float16, in bfloat16; the
    loss in float32, gradients back in each parameter's float32. bfloat16 rounds as torch's, so
    the loss and gradients agree to float32 rounding, far inside bfloat16's resolution."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    target = np.array([0, 2, 1, 2])
    weights = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in ((5, 6), (5,), (3, 5), (3,))]
    ours, theirs = _autocast_step(minigrad, x, target, weights, low), _autocast_step(torch, x, target, weights, low)
    assert ours[0] == theirs[0] == ["bfloat16", "bfloat16", "float32", "bfloat16"]
    assert ours[3] == theirs[3] == ["float32"] * 4
    assert ours[1] == pytest.approx(theirs[1], rel=1e-5)
    for a, b in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

