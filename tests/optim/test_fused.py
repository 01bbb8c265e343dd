"""The fused Adam kernel (optim/_fused.py) against the NumPy path it replaces and against torch.

Parameters of FUSED_MIN values or more take the kernel; lowering FUSED_MIN past every size (or
raising it) picks the path, so the same steps run through both and must give the same bits.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import optim
from minigrad.optim import optimizer as optimizer_module

# two parameters over FUSED_MIN values and one under it
SHAPES = [(4, 64, 64), (5,), (96, 200)]


def _run(kernel, cls, kwargs, dtype, seed, steps, special):
    """The parameters and states after ``steps`` steps of ``cls``; ``kernel`` says which path runs them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(optimizer_module, "FUSED_MIN", 1 if kernel else 1 << 62)
        return _steps(cls, kwargs, dtype, seed, steps, special)


def _steps(cls, kwargs, dtype, seed, steps, special):
    rng = np.random.default_rng(seed)
    params = [minigrad.nn.Parameter(minigrad.tensor(rng.standard_normal(s).astype(dtype))) for s in SHAPES]
    opt = getattr(optim, cls)(params, **kwargs)
    for step in range(steps):
        for p in params:
            g = rng.standard_normal(p.shape).astype(dtype)
            if special:   # zeros, huge and tiny values, and from the second step an inf and a NaN
                g.reshape(-1)[:4] = [0.0, 3e38, 1e-30, -0.0]
                if step and g.size > 5:
                    g.reshape(-1)[4:6] = [np.inf, np.nan]
            p.grad = minigrad.tensor(g)
        opt.step()
    state = [opt.state[p] for p in params]
    return [p.numpy(force=True) for p in params], [{k: v.numpy(force=True) for k, v in s.items()} for s in state]


ADAMS = [("Adam", dict(lr=1e-2)), ("Adam", dict(lr=1e-2, betas=(0.3, 0.5), eps=1e-6, weight_decay=0.1)),
         ("Adam", dict(lr=1e-3, amsgrad=True, maximize=True)), ("AdamW", dict(lr=1e-2)),
         ("AdamW", dict(lr=5e-3, weight_decay=0.3, amsgrad=True, betas=(0.0, 0.0))),
         ("Adam", dict(lr=1e-2, eps=0.0))]   # a zero gradient divides 0 by 0: NaN, as in NumPy and torch


@settings(deadline=None)
@given(config=st.sampled_from(ADAMS), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2 ** 16), steps=st.integers(2, 5), special=st.booleans())
def test_fused_adam_is_bitwise_the_numpy_path(config, dtype, seed, steps, special):
    cls, kwargs = config
    fused = _run(True, cls, kwargs, dtype, seed, steps, special)
    plain = _run(False, cls, kwargs, dtype, seed, steps, special)
    for a, b in zip(fused[0], plain[0]):
        np.testing.assert_array_equal(a, b)
    for sa, sb in zip(fused[1], plain[1]):
        assert sa.keys() == sb.keys()
        for key in sa:
            np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", ADAMS)
def test_fused_adam_matches_torch_on_large_parameters(config, dtype):
    """Parameters large enough for the kernel, against torch.optim, many steps."""
    cls, kwargs = config
    rng = np.random.default_rng(11)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [minigrad.nn.Parameter(minigrad.tensor(v)) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    opt_m, opt_t = getattr(optim, cls)(ours, **kwargs), getattr(torch.optim, cls)(theirs, **kwargs)
    for _ in range(30):
        for p, q in zip(ours, theirs):
            g = rng.standard_normal(p.shape).astype(dtype)
            p.grad, q.grad = minigrad.tensor(g), torch.tensor(g)
        opt_m.step()
        opt_t.step()
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(force=True), q.detach().numpy(), **tol)
    assert optimizer_module._fused is not None   # the kernel did run


def test_small_parameters_do_not_import_the_kernels():
    import subprocess
    import sys
    code = ("import sys, minigrad; p = minigrad.nn.Parameter(minigrad.ones(10)); o = minigrad.optim.Adam([p]); "
            "p.grad = minigrad.ones(10); o.step(); print('numba' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
