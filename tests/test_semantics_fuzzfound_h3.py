"""Disagreements with torch found by the program fuzzer (minigrad.testing.fuzz) in the values of op
steps, a complex squeeze and ``view`` after an op, each reduced to a few lines and run in torch and
minigrad side by side (``lib`` is one or the other)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad


def _both(fn):
    return fn(torch), fn(minigrad)


def _np(t):
    return t.detach().resolve_conj().numpy()


# -- squeeze of a complex tensor with no size-1 dim: a view, gradient moved back unchanged ----------
@pytest.mark.parametrize("how", ["squeeze()", "squeeze(-1)", "squeeze((0, 1))"])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_squeeze_without_size_one_dims(how, dtype):
    def run(lib):
        x = lib.tensor(np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]]), requires_grad=True)
        z = lib.fft.ihfft(x, dim=0).to(getattr(lib, dtype))   # complex (2, 3), as fft.ihfft gave it
        s = eval(f"z.{how}")     # minigrad raised "SqueezeNothing does not support complex tensors"
        weights = lib.tensor(np.array([[1 + 2j, -1j, 3], [0.5, 2 - 1j, 1j]]), dtype=getattr(lib, dtype))
        (s * weights).real.sum().backward()
        return s, x.grad

    (ts, tg), (ms, mg) = _both(run)
    assert ms.dtype.name == str(ts.dtype).split(".")[-1] and tuple(ms.shape) == tuple(ts.shape)
    assert ms.grad_fn.name() == ts.grad_fn.name()
    np.testing.assert_allclose(_np(ms), _np(ts), rtol=1e-6)
    np.testing.assert_allclose(_np(mg), _np(tg), rtol=1e-6)
