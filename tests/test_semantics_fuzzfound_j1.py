"""Gradient values that differed from torch's, found by the program fuzzer (minigrad.testing.fuzz):
where an inf or NaN propagates (torch multiplies by a mask where it multiplies, selects where it
selects), the order a formula is evaluated in (what underflows), and which tensors a gradient's
graph goes through (what a later backward accumulates into a gradient that retains its own).
Each is reduced to a few lines and run against torch and minigrad side by side (``lib`` is one or
the other): values, NaN positions, dtypes and requires_grad must agree.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minigrad
from minigrad.testing import fuzz

from test_semantics_fuzzfound import _same  # noqa: E402  (runs fn(lib) in both, compares the results)

INF, NAN = math.inf, math.nan


# -- a mask multiplied, not selected ---------------------------------------------------------------
# torch's nan_to_num backward is grad * isfinite(x): an infinite incoming gradient (2 * 1.8e308
# overflows) gives NaN where x is not finite. Fuzzer: 7 programs.
def test_nan_to_num_multiplies_by_its_mask():
    def f(lib):
        x = lib.tensor([-INF, INF, NAN, 1.0], dtype=lib.float64, requires_grad=True)
        y = lib.nan_to_num(x)
        (g,) = lib.autograd.grad((y * y).sum(), x)
        (g1,) = lib.autograd.grad(lib.nan_to_num(x), x, lib.tensor([INF, -INF, NAN, 2.0], dtype=lib.float64))
        return g, g1
    _same(f)


# torch's copysign backward: (z / x), masked to 0 where x = 0, times g. The masked 0/0 stays in the
# graph: differentiating the gradient again gives NaN at x = 0. Fuzzer: 5 programs.
def test_copysign_gradient_at_zero_differentiated_again():
    def f(lib):
        x = lib.tensor([0.0, -0.0, 1.0, 2.0], requires_grad=True)
        z = lib.copysign(x, x)
        (g,) = lib.autograd.grad((z * z).sum(), x, create_graph=True)
        g.sum().backward()
        return g, x.grad
    _same(f)


# -- the order of a formula ------------------------------------------------------------------------
# d(x / y)/dy is -g * ((x / y) / y) in torch: with y = 1e-180, y * y underflows to 0 (minigrad's
# -g * x / (y * y) gave inf), and with x = y the two terms of d(x / x)/dx cancel to 0. Fuzzer: 2.
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_division_gradient_where_the_divisor_squared_underflows(dtype):
    def f(lib):
        x = lib.tensor([-1.3e-180, 2.1, -2.2e-309, -1.5e-247, -0.0, 3.0], dtype=lib.float64,
                       requires_grad=True).to(getattr(lib, dtype))
        (g,) = lib.autograd.grad((x.clone() / x).sum(), x)
        y = lib.tensor([1e-30, 3.0], dtype=getattr(lib, dtype), requires_grad=True)
        (gy,) = lib.autograd.grad((lib.tensor([1e-30, 1.0], dtype=getattr(lib, dtype)) / y).sum(), y)
        return g, gy
    _same(f)


# -- a gradient's graph: linalg.solve's, as torch's --------------------------------------------------
# torch's det (and slogdet) gradient under create_graph is linalg.solve(A^T, (g det) I): solve saves
# its result X = G, so a gradient reaching A through the second derivative also passes through G;
# a later backward that accumulates into G (it retains its grad after backward(inputs=[G])) then
# sees those paths. minigrad's g det A^{-T} had other paths. Fuzzer: 2 programs.
@pytest.mark.parametrize("fn", ["det", "slogdet"])
def test_det_gradient_graph_goes_through_solve(fn):
    a = np.full((2, 3, 3), 6e-8)
    a[:, range(3), range(3)] = 5.0
    a[1, 0, 1] = 2.0

    def f(lib):
        A = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        z = lib.linalg.det(A) if fn == "det" else lib.linalg.slogdet(A)[1]
        (G,) = lib.autograd.grad(z.sum(), A, create_graph=True)
        G.sum().backward(inputs=[G], retain_graph=True)      # G retains its grad from now on
        (H,) = lib.autograd.grad((G.select(1, 0) ** 2).sum(), A, create_graph=True)
        H.sum().backward()
        return G, H, G.grad, A.grad
    _same(f)


# torch's det gradient of a singular matrix: the adjugate under create_graph (through the SVD), and
# without it a solve with the LU's zero pivots replaced by eps (0 for det = 0). minigrad raised.
@pytest.mark.parametrize("create_graph", [False, True])
def test_det_gradient_of_a_singular_matrix(create_graph):
    def f(lib):
        A = lib.tensor([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]], [[0.0, 0.0], [0.0, 0.0]]],
                       dtype=lib.float64, requires_grad=True)
        (G,) = lib.autograd.grad(lib.linalg.det(A).sum(), A, create_graph=create_graph)
        out = [G]
        if create_graph:
            (H,) = lib.autograd.grad((G * G).sum(), A)
            out.append(H)
        return out
    _same(f)


# -- torch bugs the fuzzer steps around -------------------------------------------------------------
# median(x, dim) / nanmedian(x, dim) of an expanded input (stride 0 along dim) reads values from
# outside the tensor in torch 2.13 (4.6e-310 for the median of [2.5, 2.5, 2.5]). Fuzzer: 1 program.
# When torch fixes it, this test fails: the fuzzer's step-around can then go.
def test_torch_median_of_an_expanded_input_is_still_wrong():
    x = torch.tensor(2.5, dtype=torch.float64).expand(3)
    assert torch.median(x.contiguous(), 0).values.item() == 2.5
    assert torch.median(x, 0).values.item() != 2.5
    assert fuzz._median_reads_past_zero_stride("nanmedian_dim", (x, 0, True))
    assert fuzz._median_reads_past_zero_stride("median_dim", (x.unsqueeze(0), -1))
    assert not fuzz._median_reads_past_zero_stride("median_dim", (x.unsqueeze(0), 0))   # size 1 there
    assert not fuzz._median_reads_past_zero_stride("median_dim", (x.contiguous(), 0))
    assert not fuzz._median_reads_past_zero_stride("sort", (x, 0))
