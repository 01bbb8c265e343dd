"""Version-counter disagreements with torch found by the program fuzzer (minigrad.testing.fuzz):
a version error raised by one library only. Each is reduced to a few lines and run against torch
and minigrad side by side (``lib`` is one or the other): the values, or the exception class and
the gist of its message, must agree.
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
    """Run ``fn(lib)`` in both libraries: both return equal arrays, or both raise the same class
    with the same gist. Returns "ok" or "err"."""
    (tk, tv), (mk, mv) = _outcome(fn, torch), _outcome(fn, minigrad)
    assert tk == mk, (tv, mv)
    if tk == "err":
        assert type(tv) is type(mv), (tv, mv)
        assert (VERSION_ERROR in str(tv)) == (VERSION_ERROR in str(mv)), (tv, mv)
    else:
        for a, b in zip(tv, mv):
            np.testing.assert_allclose(b, a, rtol=1e-6)
    return tk


# -- an in-place op into a tensor of a narrower dtype than its operand ------------------------------
# f32.div_(f64): the op casts self to float64 and saves that cast; the write into self must not
# invalidate it (it holds self's old values, as torch's original_self). Fuzzer: 5 programs.
@pytest.mark.parametrize("op", ["mul_", "div_", "add_", "sub_"])
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("int64", "float32"), ("float64", "float64")])
@pytest.mark.parametrize("later", ["none", "write_self", "write_other"])
def test_inplace_into_a_promoted_self(op, dtypes, later):
    def run(lib):
        other = lib.tensor([2.0, -3.0], dtype=getattr(lib, dtypes[1]), requires_grad=True)
        x = lib.tensor([1, 5], dtype=getattr(lib, dtypes[0]))
        if dtypes[0].startswith("int"):
            x = x.to(getattr(lib, dtypes[1]))   # (an int self cannot take a float result in place)
        getattr(x, op)(other)
        if later == "write_self":
            x.add_(1)
        elif later == "write_other":
            other.detach().mul_(2)
        x.sum().backward()
        return x.detach().numpy(), other.grad.numpy()
    # (only div's gradient for other reads other itself: a write into it is a version error)
    assert _same(run) == ("err" if later == "write_other" and op == "div_" else "ok")


# -- pow(Tensor, Tensor) saves its result ------------------------------------------------------------
# torch's PowBackward1 saves the result whether or not the exponent needs a gradient, so a write into
# the result (``y **= e; y.add_(1)``) is a version error at backward. Fuzzer: 5 programs.
@pytest.mark.parametrize("exponent", ["tensor", "tensor_grad", "number"])
@pytest.mark.parametrize("inplace", [True, False])
@pytest.mark.parametrize("write", [True, False])
def test_pow_tensor_exponent_saves_its_result(exponent, inplace, write):
    def run(lib):
        x = lib.tensor([2.0, 0.6, 0.5], requires_grad=True)
        e = 1.5 if exponent == "number" else lib.tensor([2.0, 3.0, 1.5], requires_grad=exponent == "tensor_grad")
        y = x * 2
        if inplace:
            y **= e
        else:
            y = y ** e
        if write:
            y.add_(1)
        y.sum().backward()
        return (x.grad.numpy(),)
    assert _same(run) == ("err" if write and exponent != "number" else "ok")


# -- embedding_bag saves its indices and offsets -----------------------------------------------------
# torch's EmbeddingBagBackward0 saves the input and offsets tensors: a write into either before
# backward is a version error, in every mode. Fuzzer: 6 programs (mode='max', a masked_fill_ of the input).
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("write", ["none", "input", "offsets", "input_2d", "psw"])
def test_embedding_bag_saves_input_and_offsets(mode, write):
    def run(lib):
        w = lib.tensor([[0.9, 2.0], [-1.1, 0.5], [3.0, -2.0]], dtype=lib.float64, requires_grad=True)
        if write == "input_2d":
            idx, off = lib.tensor([[0, 1], [2, 1]]), None
        else:
            idx, off = lib.tensor([0, 1, 2, 1]), lib.tensor([0, 2, 2])
        psw = lib.tensor([0.5, 1.0, 2.0, -1.0], dtype=lib.float64) if write == "psw" and mode == "sum" else None
        y = lib.nn.functional.embedding_bag(idx, w, off, mode=mode, per_sample_weights=psw, padding_idx=1)
        target = {"input": idx, "input_2d": idx, "offsets": off, "psw": psw}.get(write)
        if target is not None:
            target.add_(0)
        (y * lib.tensor([1.0, -2.0], dtype=lib.float64)).sum().backward()
        return (w.grad.numpy(),)
    expected = "err" if write in ("input", "offsets", "input_2d") or (write == "psw" and mode == "sum") else "ok"
    assert _same(run) == expected


# -- scatter/gather ops save an empty index too ------------------------------------------------------
# torch's nodes save the index also when it has no elements: a write into it before backward is a
# version error. minigrad reshaped an empty index into a tensor of its own version. Fuzzer: 2 programs
# (scatter_reduce amin, include_self=False, an index of shape (3, 0, 2) written through detach()).
@pytest.mark.parametrize("name", ["scatter", "scatter_add", "gather", "scatter_reduce_sum", "scatter_reduce_amin"])
@pytest.mark.parametrize("index_shape", [(3, 0, 2), (3, 2, 2)])
@pytest.mark.parametrize("write", [True, False])
def test_scatter_ops_save_an_empty_index(name, index_shape, write):
    def run(lib):
        x = lib.arange(24.0).reshape(3, 4, 2).requires_grad_()
        index = lib.zeros(index_shape, dtype=lib.int64)
        src = lib.ones(index_shape, requires_grad=True)
        if name == "gather":
            y = x.gather(1, index)
        elif name.startswith("scatter_reduce"):
            y = x.scatter_reduce(1, index, src, name.split("_")[-1], include_self=False)
        else:
            y = getattr(x, name)(1, index, src)
        if write:
            index.detach().add_(1)
        y.sum().backward()
        return (x.grad.numpy(),)
    assert _same(run) == ("err" if write else "ok")


@pytest.mark.parametrize("ord", [float("inf"), -float("inf"), 1, 2, 3])
@pytest.mark.parametrize("edit", ["result", "input"])
def test_vector_norm_saves_its_input_and_result_for_every_ord(ord, edit):
    """torch's LinalgVectorNormBackward0 saves self and the result for every ord: editing either
    in place before backward is a version error (minigrad saved only a factor for 1 and +-inf)."""
    def fn(lib):
        x = lib.tensor([[2.9, 1.2, -2.4], [0.5, -3.0, 1.0]], requires_grad=True)
        h = x * 1
        y = lib.linalg.vector_norm(h, ord=ord, dim=-1)
        (y if edit == "result" else h).mul_(2)
        y.sum().backward()
        return x.grad.numpy()
    assert _same(fn) == "err"
