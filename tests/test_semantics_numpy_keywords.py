"""torch's argument parser accepts NumPy's ``axis=`` / ``keepdims=`` and every namespace function
takes ``out=``; minigrad gives its namespace and its Tensor methods the same (ops/_args.py
``with_out`` / ``numpy_aliases``). Each case runs in both libraries and compares."""
import warnings

import numpy as np
import pytest
import torch

import minigrad

X = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7 - 1.2

REDUCTIONS = ["sum", "mean", "prod", "std", "var", "amax", "amin", "logsumexp", "argmax", "argmin", "all", "any",
              "max", "min", "nansum", "count_nonzero", "median", "cumsum", "softmax", "log_softmax"]


def _both(call):
    """``call(lib)`` in minigrad and torch: (result, result) or the two exception classes."""
    out = []
    for lib in (minigrad, torch):
        try:
            out.append(call(lib))
        except Exception as exc:  # noqa: BLE001
            out.append(exc)
    return out


def _same(ours, theirs):
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raises {theirs!r}, minigrad returns {ours!r}"
        assert type(ours).__name__ == type(theirs).__name__ or isinstance(ours, type(theirs)), (ours, theirs)
        return
    assert not isinstance(ours, Exception), f"minigrad raises {ours!r}"
    if isinstance(theirs, tuple):
        for a, b in zip(ours, theirs):
            _same(a, b)
        return
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if theirs.dtype == torch.float32 else 1e-12)
    assert tuple(ours.shape) == tuple(theirs.shape)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("form", ["function", "method"])
def test_axis_and_keepdims(name, form):
    if not hasattr(minigrad, name):
        pytest.skip(f"minigrad has no {name}")

    def call(lib):
        x = lib.tensor(X)
        kwargs = {"axis": 1}
        if name not in ("cumsum", "softmax", "log_softmax", "count_nonzero"):
            kwargs["keepdims"] = True
        if form == "function":
            return getattr(lib, name)(x, **kwargs)
        return getattr(x, name)(**kwargs)
    _same(*_both(call))


UNARY = ["exp", "sin", "abs", "neg", "sqrt", "tanh", "floor", "sigmoid", "log1p", "reciprocal"]


@pytest.mark.parametrize("name", UNARY)
def test_out_receives_the_result(name):
    def call(lib):
        out = lib.empty(2, 3, 4, dtype=lib.float64)
        returned = getattr(lib, name)(lib.tensor(np.abs(X) + 0.1), out=out)
        assert returned is out
        return out
    _same(*_both(call))


@pytest.mark.parametrize("case", [
    lambda lib: lib.add(lib.ones(3), 1, out=lib.empty(3, dtype=lib.long)),               # float into long
    lambda lib: lib.exp(lib.ones(3, requires_grad=True), out=lib.empty(3)),              # autograd through out
    lambda lib: lib.exp(lib.ones(3), out=lib.empty(3, requires_grad=True)),
    lambda lib: lib.exp(lib.ones(3), out=3),
    lambda lib: lib.add(lib.ones(3, dtype=lib.long), 1, out=lib.empty(3, dtype=lib.float64)),  # long into float
    lambda lib: lib.sum(lib.ones(3, 2), 1, out=lib.empty(3)),
    lambda lib: lib.max(lib.ones(3, 2), 1, out=(lib.empty(3), lib.empty(3, dtype=lib.long))),
    lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3, 2), out=lib.empty(2, 2)),
    lambda lib: lib.cat([lib.ones(2), lib.zeros(1)], out=lib.empty(3)),
    lambda lib: lib.zeros(2, out=lib.empty(3)),
    lambda lib: lib.arange(4, out=lib.empty(0, dtype=lib.long)),
    lambda lib: lib.exp(lib.ones(3), out=lib.empty(6)[::2]),
], ids=lambda c: str(c.__code__.co_firstlineno))
def test_out_semantics(case):
    _same(*_both(case))


def test_out_of_the_wrong_shape_is_resized_with_torch_warning():
    for lib in (minigrad, torch):
        out = lib.empty(2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.exp(lib.zeros(3), out=out)
        assert out.shape == (3,) and out.tolist() == [1.0, 1.0, 1.0]
        assert any("was resized" in str(w.message) for w in caught), lib


def test_out_with_no_grad_and_a_view_writes_through_to_the_base():
    results = []
    for lib in (minigrad, torch):
        base = lib.zeros(6)
        with lib.no_grad():
            lib.exp(lib.ones(3, requires_grad=True), out=base[::2])
        results.append(base.tolist())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_both_dim_and_axis_is_a_type_error():
    with pytest.raises(TypeError):
        minigrad.sum(minigrad.ones(2, 2), axis=1, dim=1)
    with pytest.raises(TypeError):
        torch.sum(torch.ones(2, 2), axis=1, dim=1)


@pytest.mark.parametrize("index", [range(2), (range(1, 3), range(2)), (slice(None), range(0, 4, 2)),
                                   (range(0),)], ids=str)
def test_python_range_indexes_as_a_list(index):
    def call(lib):
        x = lib.tensor(X)
        y = x[index].clone()
        x[index] = -1.0
        return y, x
    _same(*_both(call))
