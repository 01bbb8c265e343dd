"""backends, cuda, onnx, Tensor.is_* and the size= keyword, next to torch's CPU build."""
import warnings

import numpy as np
import pytest
import torch

import minigrad

NO_CUDA = not minigrad.cuda.is_available()
cpu_only = pytest.mark.skipif(not NO_CUDA or torch.cuda.is_available(), reason="compares with a machine without CUDA")


@pytest.fixture
def restore_backend_flags():
    saved = {(name, flag): getattr(getattr(lib.backends, name), flag)
             for lib in (minigrad,) for name, flag in [("cudnn", "benchmark"), ("cudnn", "deterministic"),
                                                         ("cudnn", "enabled"), ("cudnn", "allow_tf32"),
                                                         ("mkldnn", "enabled")]}
    torch_saved = {(name, flag): getattr(getattr(torch.backends, name), flag) for name, flag in saved}
    t_matmul = torch.backends.cuda.matmul.allow_tf32
    t_precision = torch.get_float32_matmul_precision()
    yield
    for (name, flag), value in saved.items():
        setattr(getattr(minigrad.backends, name), flag, value)
    for (name, flag), value in torch_saved.items():
        setattr(getattr(torch.backends, name), flag, value)
    torch.backends.cuda.matmul.allow_tf32 = t_matmul
    minigrad.backends.cuda.matmul.allow_tf32 = False
    torch.set_float32_matmul_precision(t_precision)
    minigrad.set_float32_matmul_precision("highest")


FLAGS = [("cudnn", "enabled"), ("cudnn", "benchmark"), ("cudnn", "deterministic"), ("cudnn", "allow_tf32"),
         ("mkldnn", "enabled")]


@pytest.mark.parametrize("namespace, flag", FLAGS)
def test_backend_flags_start_as_torchs_and_can_be_set(namespace, flag, restore_backend_flags):
    ours, theirs = getattr(minigrad.backends, namespace), getattr(torch.backends, namespace)
    assert getattr(ours, flag) == getattr(theirs, flag)
    setattr(ours, flag, not getattr(ours, flag))
    setattr(theirs, flag, not getattr(theirs, flag))
    assert getattr(ours, flag) == getattr(theirs, flag)


def test_cudnn_flags_context_restores_the_previous_values(restore_backend_flags):
    for lib in (minigrad, torch):
        cudnn = lib.backends.cudnn
        cudnn.benchmark = True
        with cudnn.flags(enabled=False, benchmark=False, deterministic=True):
            assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (False, False, True)
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (True, True, False)
        with pytest.raises(KeyError):
            with cudnn.flags(enabled=False):
                raise KeyError("inside")
        assert cudnn.enabled is True


@cpu_only
def test_availability_answers_match_torchs_cpu_build():
    b, tb = minigrad.backends, torch.backends
    assert b.cudnn.is_available() == tb.cudnn.is_available() is False
    assert b.cudnn.version() == tb.cudnn.version() is None
    assert b.mps.is_available() == tb.mps.is_available() is False
    assert b.mps.is_built() == tb.mps.is_built() is False
    assert b.cuda.is_built() == tb.cuda.is_built() is False
    # minigrad has no oneDNN; torch's CPU build ships it (docs/parity.md)
    assert b.mkldnn.is_available() is False and tb.mkldnn.is_available() is True


def test_cuda_matmul_switches_and_unknown_names(restore_backend_flags):
    ours, theirs = minigrad.backends.cuda.matmul, torch.backends.cuda.matmul
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        assert getattr(ours, name) == getattr(theirs, name)
    ours.allow_tf32 = theirs.allow_tf32 = True
    assert ours.allow_tf32 == theirs.allow_tf32
    for obj in (ours, theirs):
        with pytest.raises(AttributeError, match="Unknown attribute foo"):
            obj.foo
        with pytest.raises(AttributeError, match="Unknown attribute foo"):
            obj.foo = 1
    for name in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled"):
        assert getattr(minigrad.backends.cuda, name)() == getattr(torch.backends.cuda, name)()


def test_float32_matmul_precision(restore_backend_flags):
    assert minigrad.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    for lib in (minigrad, torch):
        lib.set_float32_matmul_precision("medium")
    assert minigrad.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "medium"
    for lib in (minigrad, torch):
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            lib.set_float32_matmul_precision("fastest")
        with pytest.raises(RuntimeError, match="expects a str"):
            lib.set_float32_matmul_precision(3)
    assert minigrad.get_float32_matmul_precision() == "medium"


@cpu_only
@pytest.mark.parametrize("call", ["is_available()", "device_count()", "manual_seed(0)", "manual_seed_all(1)",
                                  "seed()", "seed_all()", "empty_cache()", "is_initialized()",
                                  "memory_allocated()", "max_memory_allocated()", "is_bf16_supported()"])
def test_cuda_queries_and_seeds_answer_as_torchs_cpu_build(call):
    assert eval(f"minigrad.cuda.{call}") == eval(f"torch.cuda.{call}")


@cpu_only
@pytest.mark.parametrize("call", ["synchronize()", "current_device()", "get_device_name()"])
def test_cuda_calls_that_need_a_gpu_raise_torchs_assertion_error(call):
    with pytest.raises(AssertionError):
        eval(f"torch.cuda.{call}")
    with pytest.raises(AssertionError, match="CUDA is not available"):
        eval(f"minigrad.cuda.{call}")
    with pytest.raises(RuntimeError):   # minigrad's error is also a RuntimeError, as it always was
        eval(f"minigrad.cuda.{call}")


@cpu_only
def test_placing_a_tensor_on_cuda_raises_as_torch():
    with pytest.raises(AssertionError):
        torch.zeros(2, device="cuda")
    with pytest.raises(AssertionError):
        minigrad.zeros(2, device="cuda")


def test_cuda_manual_seed_checks_its_argument_as_torch():
    for lib in (minigrad, torch):
        with pytest.raises(ValueError):
            lib.cuda.manual_seed("zero")


def test_onnx_imports_and_export_says_it_is_not_available():
    import minigrad.onnx
    assert minigrad.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="export models to ONNX"):
        minigrad.onnx.export(minigrad.nn.Linear(2, 2), (minigrad.zeros(1, 2),), "model.onnx")


@pytest.mark.parametrize("attr", ["is_cuda", "is_xpu", "is_mps", "is_sparse", "is_meta", "is_quantized", "is_mkldnn"])
def test_tensor_device_and_layout_flags(attr):
    for make in (lambda lib: lib.zeros(2), lambda lib: lib.nn.Parameter(lib.ones(3)),
                 lambda lib: lib.arange(4).reshape(2, 2)):
        assert getattr(make(minigrad), attr) == getattr(make(torch), attr)
    with pytest.raises(AttributeError):
        setattr(minigrad.zeros(1), attr, True)
    with pytest.raises(AttributeError):
        setattr(torch.zeros(1), attr, True)


SIZE_CALLS = ["empty(size=(2, 3)).shape", "zeros(size=(2,))", "zeros(size=[2, 1])", "ones(size=(1, 2))",
              "ones(size=())", "full(size=(2,), fill_value=3)", "full(size=[2], fill_value=1.5)",
              "zeros(size=torch.Size([2, 2]))", "rand(size=(3,)).shape", "randn(size=(1, 2)).shape",
              "zeros(size=(2,), dtype=torch.int32)", "ones(2, 3)", "zeros((2, 3))", "zeros(())",
              "zeros(2, size=(3,))", "zeros()", "zeros(size=None)", "randn()", "rand(2, size=(2,))", "empty(size=3)"]


def _outcome(lib, call):
    try:
        result = eval(f"torch.{call}", {"torch": lib})
    except Exception as e:
        return type(e)
    if isinstance(result, tuple):
        return tuple(result)
    return tuple(result.shape), str(result.dtype).split(".")[-1], result.tolist()


@pytest.mark.parametrize("call", SIZE_CALLS)
def test_size_keyword_of_the_factories(call):
    assert _outcome(minigrad, call) == _outcome(torch, call)


def test_size_keyword_messages_name_the_argument():
    with pytest.raises(TypeError, match="multiple values for argument 'size'"):
        minigrad.zeros(2, size=(3,))
    with pytest.raises(TypeError, match='missing 1 required positional arguments: "size"'):
        minigrad.ones()


def test_random_factories_with_size_keyword_draw_the_same_numbers_as_positional():
    minigrad.manual_seed(3)
    a = minigrad.randn(size=(4,)).numpy()
    minigrad.manual_seed(3)
    b = minigrad.randn(4).numpy()
    np.testing.assert_array_equal(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minigrad.rand(size=(2,))
