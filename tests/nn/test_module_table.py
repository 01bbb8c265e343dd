"""The module table against torch: every record of minigrad.testing.module_db, in float32 and
float64, in train and eval mode: same weights (minigrad's, copied into torch through the state
dict), same inputs, same outputs, input gradients and parameter gradients; then the state dict
loaded both ways (torch's into minigrad, minigrad's straight into torch)."""
import numpy as np
import pytest
import torch

import minigrad
from minigrad.serialization import to_torch
from minigrad.testing.module_db import MODULE_DB

CASES = [(info, dtype, mode) for info in MODULE_DB for dtype in info.dtypes for mode in info.modes]


def _flat(out):
    """The tensors of a (nested) tuple output, in order."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _tensors(info, dtype, rng):
    """The positional and keyword inputs as (minigrad, torch) pairs, and which require grad."""
    args = info.inputs(rng)
    kwargs = info.kwargs(rng) if info.kwargs else {}

    def convert(value, grad):
        if not isinstance(value, np.ndarray):
            return value, value
        floating = value.dtype.kind == "f"
        value = value.astype(dtype) if floating else value
        return (minigrad.tensor(value, requires_grad=grad and floating),
                torch.tensor(value, requires_grad=grad and floating))

    pairs = [convert(a, info.grad_inputs is None or i in info.grad_inputs) for i, a in enumerate(args)]
    kw = {k: convert(v, False) for k, v in kwargs.items()}
    return pairs, kw


def _close(actual, expected, rtol, atol, what=""):
    """allclose with atol scaled by the largest magnitude: a float32 sum of many products cancels."""
    expected = np.asarray(expected)
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale, err_msg=what)


def _build_pair(info, dtype):
    minigrad.manual_seed(0)
    ours = info.build(minigrad).to(getattr(minigrad, dtype))
    theirs = info.build(torch).to(getattr(torch, dtype))
    theirs.load_state_dict(to_torch(ours.state_dict()))
    return ours, theirs


@pytest.mark.parametrize("info,dtype,mode", CASES, ids=[f"{i.name}-{d}-{m}" for i, d, m in CASES])
def test_module_matches_torch(info, dtype, mode):
    rng = np.random.default_rng(abs(hash(info.name)) % 2**32)
    ours, theirs = _build_pair(info, dtype)
    ours.train(mode == "train"), theirs.train(mode == "train")
    pairs, kw = _tensors(info, dtype, rng)
    out_m = ours(*[p[0] for p in pairs], **{k: v[0] for k, v in kw.items()})
    out_t = theirs(*[p[1] for p in pairs], **{k: v[1] for k, v in kw.items()})
    flat_m, flat_t = _flat(out_m), _flat(out_t)
    assert len(flat_m) == len(flat_t), (out_m, out_t)
    rtol, atol = info.tolerance(dtype)
    compare_values = not (info.random_in_train and mode == "train")
    for m, t in zip(flat_m, flat_t):
        assert tuple(m.shape) == tuple(t.shape)
        assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        if compare_values:
            _close(m.numpy(force=True), t.detach().numpy(), rtol, atol)
    for (name, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        _close(b.numpy(force=True), c.detach().numpy(), rtol, atol, name)
    if not info.grad or not compare_values:
        return
    graded = [(m, t) for m, t in zip(flat_m, flat_t) if t.requires_grad and t.dtype.is_floating_point]
    if not graded:
        return
    grads = [rng.standard_normal(tuple(t.shape)) for _, t in graded]
    minigrad.autograd.backward([m for m, _ in graded], [minigrad.tensor(g.astype(dtype)) for g in grads])
    torch.autograd.backward([t for _, t in graded], [torch.tensor(g.astype(dtype)) for g in grads])
    for i, (m, t) in enumerate(pairs):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            _close(m.grad.numpy(), t.grad.numpy(), rtol, atol, f"input {i}")
    named_t = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(named_t)
    for name, p in ours.named_parameters():
        q = named_t[name]
        if q.grad is None:
            assert p.grad is None, name
        else:
            _close(p.grad.numpy(), q.grad.numpy(), rtol, atol, name)


STATE_CASES = [info for info in MODULE_DB if "float64" in info.dtypes]


@pytest.mark.parametrize("info", STATE_CASES, ids=[i.name for i in STATE_CASES])
def test_state_dict_loads_both_ways(info):
    """torch's state dict loads into minigrad and minigrad's loads into torch, as is."""
    torch.manual_seed(1)
    theirs = info.build(torch).double()
    ours = info.build(minigrad).double()
    ours.load_state_dict(theirs.state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(), err_msg=k)
    fresh = info.build(torch).double()
    fresh.load_state_dict(ours.state_dict())
    for (k, a), (_, b) in zip(fresh.state_dict().items(), theirs.state_dict().items()):
        assert torch.equal(a, b), k


def test_torch_optimizer_loads_minigrad_state_through_to_torch():
    """torch's optimizers require torch tensors in their state (their load_state_dict checks
    isinstance), so a minigrad optimizer's state dict goes through serialization.to_torch (or a
    file written by minigrad.save); the next steps then agree."""
    ours, theirs = minigrad.nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    theirs.load_state_dict(ours.state_dict())
    opt_m = minigrad.optim.Adam(ours.parameters(), lr=0.1)
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    for _ in range(2):
        opt_m.zero_grad()
        ours(minigrad.tensor(x)).square().sum().backward()
        opt_m.step()
    theirs.load_state_dict(ours.state_dict())
    opt_t = torch.optim.Adam(theirs.parameters(), lr=0.1)
    opt_t.load_state_dict(to_torch(opt_m.state_dict()))
    for model, opt, lib in ((ours, opt_m, minigrad), (theirs, opt_t, torch)):
        opt.zero_grad()
        model(lib.tensor(x)).square().sum().backward()
        opt.step()
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, err_msg=k)


def test_minigrad_tensor_that_requires_grad_is_refused_by_torch_autograd():
    with pytest.raises(RuntimeError, match="requires grad"):
        torch.add(minigrad.ones(2, requires_grad=True), 1)
    with torch.no_grad():
        assert torch.equal(torch.add(minigrad.ones(2, requires_grad=True), 1), torch.full((2,), 2.0))
