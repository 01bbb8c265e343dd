"""Disagreements with torch found by the program fuzzer's runs of 2026-12-07 evening (after the j1-j3
fixes), each reduced to a few lines and run against torch and minigrad side by side (``lib`` is one
or the other): values (NaN and infinities in place), or the exception class, must agree.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad

# ("ok", fn(lib)) or ("err", the exception): the first fuzzer-found file's runner
from test_semantics_fuzzfound import _run as _outcome  # noqa: E402


def _same(fn, atol=0.0):
    (tk, tv), (mk, mv) = _outcome(fn, torch), _outcome(fn, minigrad)
    assert tk == mk, (tv, mv)
    if tk == "err":
        assert type(tv) is type(mv), (tv, mv)
    else:
        for a, b in zip(tv, mv):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=atol, equal_nan=True)
    return tk


# -- batch_norm with fixed statistics: torch's x * alpha + beta ----------------------------------------
# A running variance of -eps makes 1 / sqrt(var + eps) infinite: torch's inference kernel computes
# x * alpha + beta (beta = bias - mean * alpha) and gives NaN (inf - inf) where (x - mean) * rstd gave
# +-inf. Its backward computes var + eps in float64: in float32 the sum rounds to 0 in the forward
# only (NaN outputs, finite gradients). Fuzzer: 3 programs (the op table's sample draws -1e-5).
@pytest.mark.parametrize("var", [-1e-5, 1.0, 0.0])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_eval_with_a_vanishing_variance(var, affine, dtype):
    x = np.array([1.0, -2.0, 0.0, 0.5])[None, :, None] * np.array([1.0, 3.0])   # (1, 4, 2)

    def run(lib):
        d = getattr(lib, dtype)
        t = lib.tensor(x, dtype=d, requires_grad=True)
        mean = lib.tensor([0.5, 0.0, -1.0, 0.5], dtype=d)
        v = lib.full((4,), var, dtype=d)
        w = lib.tensor([2.0, -1.0, 0.5, 1.0], dtype=d) if affine else None
        b = lib.tensor([0.1, 0.2, 0.3, 0.4], dtype=d) if affine else None
        y = lib.nn.functional.batch_norm(t, mean, v, w, b, training=False, eps=1e-5)
        y.sum().backward()
        return y.detach().numpy(), t.grad.numpy()
    # (weight and bias: torch folds them into alpha and beta, minigrad applies them after; the
    # rounding differs by an ulp of the largest term, x * alpha)
    assert _same(run, atol=1e-5 if affine and dtype == "float32" else 0.0) == "ok"
