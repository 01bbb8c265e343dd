"""accelerator, the default device and dtype, finfo and iinfo, next to torch's CPU build."""
import numpy as np
import pytest
import torch

import minigrad

NO_CUDA = not minigrad.cuda.is_available()
cpu_only = pytest.mark.skipif(not NO_CUDA or torch.cuda.is_available(), reason="compares with a machine without CUDA")


@pytest.fixture
def default_dtype():
    yield
    minigrad.set_default_dtype(minigrad.float32)
    torch.set_default_dtype(torch.float32)


@pytest.fixture
def default_device():
    yield
    minigrad.set_default_device(None)
    torch.set_default_device(None)


# -- accelerator --------------------------------------------------------------------------------
@cpu_only
def test_accelerator_answers_as_torchs_cpu_build():
    assert minigrad.accelerator.is_available() == torch.accelerator.is_available() is False
    assert minigrad.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert minigrad.accelerator.device_count() == torch.accelerator.device_count() == 0
    for name in ("current_device_index", "synchronize", "empty_cache", "memory_allocated"):
        for lib in (minigrad, torch):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
                getattr(lib.accelerator, name)()


def test_the_examples_device_idiom_runs():
    """The official examples' first lines, unchanged but for the import."""
    for lib in (minigrad, torch):
        device = lib.accelerator.current_accelerator().type if lib.accelerator.is_available() else "cpu"
        model = lib.nn.Linear(2, 1).to(device)
        assert model(lib.ones(1, 2, device=device)).shape == (1, 1)


# -- default device ----------------------------------------------------------------------------
def test_default_device_is_the_cpu_and_cpu_can_be_set(default_device):
    assert minigrad.get_default_device() == minigrad.device("cpu")
    assert repr(minigrad.get_default_device()) == repr(torch.get_default_device())
    for lib in (minigrad, torch):
        lib.set_default_device("cpu")
        assert lib.get_default_device().type == "cpu"
        assert lib.tensor([1.0]).device.type == lib.zeros(2).device.type == lib.nn.Linear(1, 1).weight.device.type
        lib.set_default_device(lib.device("cpu"))
        lib.set_default_device(None)
        assert lib.get_default_device().type == "cpu"


def test_default_device_rejects_unknown_devices(default_device):
    for lib in (minigrad, torch):
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            lib.set_default_device("foo")


@cpu_only
def test_default_cuda_device_without_cuda_fails_when_used_as_torchs(default_device):
    for lib in (minigrad, torch):
        lib.set_default_device("cuda")   # accepted; the error comes when a tensor is made
        with pytest.raises(AssertionError):
            lib.get_default_device()
        with pytest.raises(AssertionError):
            lib.tensor([1.0])
        with pytest.raises(AssertionError):
            lib.zeros(2)
        lib.set_default_device(None)
        assert lib.zeros(2).device.type == "cpu"


# -- default dtype -----------------------------------------------------------------------------
FLOAT_INFERENCE = [
    "torch.tensor([1.5])", "torch.tensor(2.)", "torch.tensor([1, 2.5])", "torch.zeros(2)", "torch.ones(2)",
    "torch.empty(2)", "torch.eye(2)", "torch.full((2,), 1.5)", "torch.arange(0., 2)", "torch.linspace(0, 1, 3)",
    "torch.randn(2)", "torch.rand(2)", "torch.Tensor([1])", "torch.Tensor(2, 3)", "torch.FloatTensor([1])",
    "torch.as_tensor([1.5])", "torch.tensor([True]) + 0.5", "torch.arange(3) / 2", "torch.tensor(1) * 1.5",
    "torch.arange(3).sqrt()", "torch.tensor(3) / torch.tensor(2)", "torch.randint(0, 3, (2,)) * 0.5",
    "torch.nn.Linear(2, 2).weight", "torch.nn.Conv2d(1, 1, 2).weight", "torch.nn.BatchNorm1d(2).running_mean",
    "torch.nn.Embedding(3, 2).weight", "torch.nn.LayerNorm(2).weight", "torch.ones(2, dtype=torch.float32) + 1.5",
    "torch.tensor(np.float64(1.0))", "torch.tensor([1, 2])", "torch.zeros(2).new_ones(2)",
]


@pytest.mark.parametrize("name", ["float64", "float16", "float32"])
def test_creation_and_float_inference_follow_the_default_dtype(name, default_dtype):
    minigrad.set_default_dtype(getattr(minigrad, name))
    torch.set_default_dtype(getattr(torch, name))
    assert str(minigrad.get_default_dtype()).split(".")[1] == str(torch.get_default_dtype()).split(".")[1] == name
    for expr in FLOAT_INFERENCE:
        ours, theirs = eval(expr, {"torch": minigrad, "np": np}), eval(expr, {"torch": torch, "np": np})
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], expr


def test_set_default_dtype_accepts_only_floating_dtype_objects(default_dtype):
    for lib in (minigrad, torch):
        for bad in (lib.int32, lib.int64, lib.bool):
            with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
                lib.set_default_dtype(bad)
        for bad in ("float64", float, np.float64):
            with pytest.raises(TypeError, match="invalid dtype object"):
                lib.set_default_dtype(bad)
        assert lib.get_default_dtype() is lib.float32


def test_repr_shows_dtype_relative_to_the_default(default_dtype):
    minigrad.set_default_dtype(minigrad.float64)
    torch.set_default_dtype(torch.float64)
    for expr in ("torch.tensor([1.5])", "torch.tensor([1.5], dtype=torch.float32)", "torch.tensor([], dtype=torch.float32)",
                 "torch.tensor([])", "torch.tensor([1, 2])"):
        ours, theirs = eval(expr, {"torch": minigrad}), eval(expr, {"torch": torch})
        assert repr(ours).replace("minigrad.", "torch.") == repr(theirs), expr


# -- finfo / iinfo ------------------------------------------------------------------------------
FINFO_FIELDS = ["bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"]


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_fields_values_and_types(name):
    ours, theirs = minigrad.finfo(getattr(minigrad, name)), torch.finfo(getattr(torch, name))
    for field in FINFO_FIELDS:
        a, b = getattr(ours, field), getattr(theirs, field)
        assert a == b and type(a) is type(b), field
    assert repr(ours) == repr(theirs)
    assert ours == minigrad.finfo(getattr(minigrad, name))


def test_finfo_without_argument_reads_the_default_dtype(default_dtype):
    assert repr(minigrad.finfo()) == repr(torch.finfo())
    minigrad.set_default_dtype(minigrad.float64)
    torch.set_default_dtype(torch.float64)
    assert minigrad.finfo().eps == torch.finfo().eps == np.finfo(np.float64).eps


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_fields_values_and_types(name):
    ours, theirs = minigrad.iinfo(getattr(minigrad, name)), torch.iinfo(getattr(torch, name))
    for field in ("bits", "max", "min", "dtype"):
        a, b = getattr(ours, field), getattr(theirs, field)
        assert a == b and type(a) is type(b), field
    assert repr(ours) == repr(theirs)


def test_finfo_and_iinfo_refuse_the_other_kind():
    for lib in (minigrad, torch):
        with pytest.raises(TypeError, match="requires a floating point input type"):
            lib.finfo(lib.int32)
        with pytest.raises(TypeError, match="requires an integer input type"):
            lib.iinfo(lib.float32)
        with pytest.raises(TypeError, match="bool is not supported by .*iinfo"):
            lib.iinfo(lib.bool)
        with pytest.raises(TypeError, match="unhashable"):
            hash(lib.finfo(lib.float32))


def test_finfo_in_the_idioms_programs_use():
    """Clamping to the dtype's range and masking with its lowest value, as attention code does."""
    scores = np.array([[0.5, -1.0], [2.0, 0.0]], dtype=np.float32)
    mask = np.array([[True, False], [False, True]])
    ours = minigrad.tensor(scores).masked_fill(minigrad.tensor(mask), minigrad.finfo(minigrad.float32).min)
    theirs = torch.tensor(scores).masked_fill(torch.tensor(mask), torch.finfo(torch.float32).min)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    eps = minigrad.finfo(minigrad.float32).eps
    np.testing.assert_array_equal(minigrad.tensor(scores).clamp(min=eps).numpy(),
                                  torch.tensor(scores).clamp(min=torch.finfo(torch.float32).eps).numpy())
