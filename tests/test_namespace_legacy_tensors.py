"""The legacy FloatTensor family, tensor.type() and the Tensor.new_* factories, next to torch."""
import warnings

import numpy as np
import pytest
import torch

import minigrad

LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "ByteTensor", "CharTensor", "ShortTensor", "IntTensor",
          "LongTensor", "BoolTensor"]


def _outcome(lib, expr):
    """What an expression gives: (dtype, shape, values, requires_grad) of a tensor, a plain value, or
    the exception class. Uninitialised tensors (shape-only calls) are compared by their shape."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = eval(expr, {"torch": lib, "np": np})
        except Exception as e:
            return type(e).__name__
    if not isinstance(result, type) and hasattr(result, "tolist") and hasattr(result, "dtype"):
        return str(result.dtype).split(".")[1], tuple(result.shape), result.tolist(), result.requires_grad
    if isinstance(result, tuple):
        return tuple(result)
    return str(result).replace("minigrad", "torch")


CONSTRUCTIONS = [
    "torch.FloatTensor(2, 3).shape", "torch.FloatTensor((2, 3)).shape", "torch.DoubleTensor(torch.Size([2])).shape",
    "torch.FloatTensor().shape", "torch.FloatTensor([1, 2])", "torch.LongTensor([1.7, -2.5])",
    "torch.LongTensor([[1, 2], [3, 4]])", "torch.BoolTensor([1, 0])", "torch.HalfTensor([1])", "torch.IntTensor([1])",
    "torch.ByteTensor([1])", "torch.CharTensor([-1])", "torch.ShortTensor([1])", "torch.ByteTensor([300])",
    "torch.FloatTensor(torch.tensor([1, 2]))", "torch.FloatTensor(torch.tensor([1., 2.]))",
    "torch.FloatTensor(np.array([1, 2]))", "torch.LongTensor(np.array([1.5]))", "torch.FloatTensor(2.5)",
    "torch.FloatTensor([1], device='cpu')", "torch.FloatTensor(2, [3])",
]


@pytest.mark.parametrize("expr", CONSTRUCTIONS)
def test_legacy_constructors(expr):
    assert _outcome(minigrad, expr) == _outcome(torch, expr)


def test_legacy_constructor_returns_a_tensor_of_this_dtype_as_is():
    t = minigrad.tensor([1.0, 2.0])
    assert minigrad.FloatTensor(t) is t
    tt = torch.tensor([1.0, 2.0])
    assert torch.FloatTensor(tt).data_ptr() == tt.data_ptr()


ISINSTANCE = [
    "isinstance(torch.zeros(2), torch.FloatTensor)", "isinstance(torch.zeros(2), torch.LongTensor)",
    "isinstance(torch.zeros(2).long(), torch.LongTensor)", "isinstance(torch.nn.Parameter(torch.zeros(2)), torch.FloatTensor)",
    "isinstance(torch.zeros(2, dtype=torch.bool), torch.BoolTensor)", "isinstance(3, torch.FloatTensor)",
    "isinstance(torch.FloatTensor(2), torch.Tensor)", "issubclass(torch.FloatTensor, torch.Tensor)",
    "type(torch.FloatTensor(1)) is torch.Tensor", "torch.FloatTensor.dtype", "torch.LongTensor.dtype",
    "torch.FloatTensor.is_cuda", "torch.FloatTensor",
]


@pytest.mark.parametrize("expr", ISINSTANCE)
def test_isinstance_and_type_attributes(expr):
    assert _outcome(minigrad, expr) == _outcome(torch, expr)


TYPE_CALLS = [
    "torch.zeros(2).type()", "torch.zeros(2).long().type()", "torch.zeros(2, dtype=torch.bool).type()",
    "torch.zeros(2, dtype=torch.float16).type()", "torch.zeros(2, dtype=torch.int8).type()",
    "torch.zeros(2, dtype=torch.uint8).type()", "torch.zeros(2).type(torch.LongTensor)",
    "torch.zeros(2).type('torch.DoubleTensor')", "torch.zeros(2).type(torch.int32)", "torch.zeros(2).type('torch.FooTensor')",
]


@pytest.mark.parametrize("expr", TYPE_CALLS)
def test_tensor_type(expr):
    assert _outcome(minigrad, expr) == _outcome(torch, expr)


NEW = [
    "torch.zeros(2, dtype=torch.float64).new_zeros(2, 3)", "torch.zeros(2, dtype=torch.float64).new_zeros((2, 3))",
    "torch.zeros(2, dtype=torch.float64).new_ones([2])", "torch.zeros(2, dtype=torch.float64).new_empty(3).shape",
    "torch.zeros(2, dtype=torch.float64).new_empty(3).dtype", "torch.zeros(2, dtype=torch.float64).new_full((2,), 7)",
    "torch.zeros(2, dtype=torch.float64).new_tensor([1, 2])", "torch.zeros(2).new_tensor([1, 2], dtype=torch.int32)",
    "torch.zeros(2).new_zeros(2, dtype=torch.long)", "torch.zeros(2).new_zeros(size=(2,))",
    "torch.zeros(2, dtype=torch.int64).new_full((2,), 2.7)", "torch.zeros(2, dtype=torch.int64).new_tensor([1.5])",
    "torch.zeros(2).new_ones(2, requires_grad=True)", "torch.zeros(2).new_zeros(())",
    "torch.zeros(2, dtype=torch.uint8).new_full((2,), 300)", "torch.zeros(2, dtype=torch.uint8).new_tensor([300])",
    "torch.zeros(2).new_zeros(2, size=(2,))", "torch.zeros(2).new_zeros()", "torch.zeros(2).new_full((2,))",
    "torch.zeros(2, dtype=torch.float64).new(2, 3).shape", "torch.zeros(2, dtype=torch.float64).new([1, 2])",
    "torch.zeros(2).new().shape", "torch.ones(2, requires_grad=True).new_zeros(2)",
    "torch.zeros(2, dtype=torch.float64).new_tensor(torch.tensor([1., 2.], requires_grad=True))",
    "torch.arange(3).new_tensor(np.array([1.5, 2.5]))", "torch.zeros(2).new_tensor(3.5)",
]


@pytest.mark.parametrize("expr", NEW)
def test_new_factories_follow_the_tensors_dtype(expr):
    assert _outcome(minigrad, expr) == _outcome(torch, expr)


def test_new_tensor_copies_detached_and_warns_as_torch():
    for lib in (minigrad, torch):
        source = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.warns(UserWarning, match="recommended to use sourceTensor.detach"):
            copy = source.new_tensor(source)
        assert copy.requires_grad is False and copy.grad_fn is None
        with lib.no_grad():
            copy.add_(1)
        assert source.tolist() == [1.0, 2.0]


def test_new_ones_is_a_leaf_that_collects_gradients():
    for lib in (minigrad, torch):
        w = lib.zeros(3, dtype=lib.float64).new_ones(3, requires_grad=True)
        (w * lib.arange(3.0, dtype=lib.float64)).sum().backward()
        assert w.is_leaf and w.grad.tolist() == [0.0, 1.0, 2.0]


@pytest.fixture
def default_dtype():
    yield
    minigrad.set_default_dtype(minigrad.float32)
    torch.set_default_dtype(torch.float32)


def test_set_default_tensor_type_sets_the_default_dtype_and_warns(default_dtype):
    with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
        minigrad.set_default_tensor_type(minigrad.DoubleTensor)   # torch warns once per process
    minigrad.set_default_dtype(minigrad.float32)
    for lib in (minigrad, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.set_default_tensor_type(lib.DoubleTensor)
            assert lib.zeros(1).dtype is lib.float64
            lib.set_default_tensor_type(f"{lib.__name__}.FloatTensor")
            assert lib.get_default_dtype() is lib.float32
            with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
                lib.set_default_tensor_type(lib.LongTensor)
            with pytest.raises(TypeError, match="invalid type object"):
                lib.set_default_tensor_type(lib.float64)
            if not torch.cuda.is_available() and not minigrad.cuda.is_available():
                with pytest.raises(TypeError, match="not available"):
                    lib.set_default_tensor_type("torch.cuda.FloatTensor")
        assert lib.get_default_dtype() is lib.float32
