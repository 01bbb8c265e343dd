"""Construction, aliasing, extreme magnitudes and validation, each run in torch side by side.

Every case is an expression evaluated once with ``lib = torch`` and once with ``lib = minigrad``:
the results must agree in dtype, shape and values (or, where torch raises, in exception class).
"""
import copy
import io

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minigrad


def _flat(x):
    """A comparable form of a result: arrays for tensors, recursively for tuples and lists."""
    if isinstance(x, (torch.Tensor, minigrad.Tensor)):
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), x.detach().numpy().astype(np.float64)
                if x.dtype not in (torch.bool, minigrad.bool) else x.detach().numpy())
    if isinstance(x, (tuple, list)):
        return type(x).__name__, [_flat(v) for v in x]
    if isinstance(x, (torch.Size, minigrad.Size)):
        return tuple(x)
    if type(x).__name__ == "dtype":
        return str(x).split(".")[-1]
    return x


def _assert_close(got, want, where, rtol):
    if isinstance(want, tuple) and want and want[0] == "tensor":
        assert got[:3] == want[:3], f"{where}: minigrad {got[:3]}, torch {want[:3]}"
        np.testing.assert_allclose(got[3], want[3], rtol=rtol, atol=0, equal_nan=True, err_msg=where)
    elif isinstance(want, tuple) and len(want) == 2 and isinstance(want[1], list):
        assert got[0] == want[0] and len(got[1]) == len(want[1]), where
        for g, w in zip(got[1], want[1]):
            _assert_close(g, w, where, rtol)
    elif isinstance(want, float):
        np.testing.assert_allclose(got, want, rtol=rtol, err_msg=where)
    else:
        assert got == want, f"{where}: minigrad {got!r}, torch {want!r}"


def same_as_torch(expr, rtol=1e-6, **names):
    """Evaluate ``expr`` with lib = torch and lib = minigrad; compare results or exception classes."""
    def env(lib):
        out = {"lib": lib, "np": np, "copy": copy, "io": io}
        out.update({k: v(lib) if callable(v) else v for k, v in names.items()})
        return out
    try:
        expected = eval(expr, env(torch))
    except Exception as exc:
        with pytest.raises(type(exc)) as info:
            eval(expr, env(minigrad))
        return exc, info.value
    _assert_close(_flat(eval(expr, env(minigrad))), _flat(expected), expr, rtol)
    return None


# -- construction ---------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "lib.Tensor(2, 3).shape", "lib.Tensor(2, 3).dtype", "lib.Tensor(lib.Size([2, 4])).shape", "lib.Tensor().shape",
    "lib.Tensor(0).shape", "lib.Tensor(np.int64(3)).shape", "lib.Tensor([2, 3])", "lib.Tensor((2, 3))",
    "lib.Tensor(2.5)", "lib.Tensor(True)", "lib.Tensor(-1)", "lib.Tensor(lib.tensor([1, 2]))",
    "lib.Tensor(lib.Size([2]), 3)",
])
def test_tensor_class_constructor(expr):
    """``Tensor(2, 3)`` / ``Tensor(Size)`` are uninitialised tensors of that shape; data is data."""
    same_as_torch(expr)


def test_tensor_class_constructor_aliases_a_tensor():
    for lib in (minigrad, torch):
        t = lib.tensor([1, 2])
        alias = lib.Tensor(t)
        alias[0] = 5
        assert t.tolist() == [5, 2] and alias.dtype == lib.int64


@pytest.mark.parametrize("expr", [
    "lib.tensor([np.float64(1.0)])", "lib.tensor([np.float32(1.0)])", "lib.tensor([np.float16(1.0), 2])",
    "lib.tensor([np.int8(1)])", "lib.tensor([np.int32(1), np.int32(2)])", "lib.tensor([np.int8(1), np.int32(2)])",
    "lib.tensor([np.int8(1), 2])", "lib.tensor([np.int8(1), 2.5])", "lib.tensor([np.uint8(1), np.int8(2)])",
    "lib.tensor([np.uint8(200), -1])", "lib.tensor([True, 2])", "lib.tensor([True, 2.5])",
    "lib.tensor([True, np.int8(3)])", "lib.tensor(np.float64(1.0))", "lib.tensor(np.int16(1))",
    "lib.tensor([lib.tensor(1., dtype=lib.float64)])", "lib.tensor([lib.tensor(1., dtype=lib.float64), 2.0])",
    "lib.tensor([lib.tensor(1, dtype=lib.int8), lib.tensor(2, dtype=lib.int8)])",
    "lib.tensor([lib.tensor(1, dtype=lib.int8), 2.0])", "lib.tensor([lib.tensor(True), 2])",
    "lib.tensor([lib.tensor([1, 2]), lib.tensor([3, 4])])", "lib.tensor([lib.tensor([1., 2.])])",
    "lib.tensor([[np.int8(1)], [np.float64(2)]])", "lib.tensor([])", "lib.tensor([[]])",
    "lib.as_tensor([np.float64(1.0)])", "lib.as_tensor([np.int32(1)])", "lib.as_tensor(np.float64(1.0))",
    "lib.as_tensor([1.5, 2])",
    "lib.tensor([2**63])", "lib.tensor([2**63 - 1])", "lib.tensor([-2**63])", "lib.tensor([-2**63 - 1])",
    "lib.tensor([2**64])", "lib.tensor(2**63)", "lib.tensor([2**70], dtype=lib.float32)",
    "lib.tensor([300], dtype=lib.int8)", "lib.tensor([300], dtype=lib.uint8)", "lib.tensor([-1], dtype=lib.uint8)",
    "lib.tensor([-255], dtype=lib.uint8)", "lib.tensor([-256], dtype=lib.uint8)", "lib.tensor([128], dtype=lib.int8)",
    "lib.tensor([float('inf')], dtype=lib.int64)", "lib.tensor([float('nan')], dtype=lib.int32)",
    "lib.tensor([1e30], dtype=lib.int64)", "lib.tensor([2.7], dtype=lib.int64)", "lib.tensor([-2.7], dtype=lib.uint8)",
    "lib.tensor([255.5], dtype=lib.uint8)", "lib.tensor([2**40], dtype=lib.int32)", "lib.tensor(300, dtype=lib.int8)",
    "lib.as_tensor([300], dtype=lib.int8)", "lib.tensor(np.array([300]), dtype=lib.int8)",
    "lib.tensor(lib.tensor([300]), dtype=lib.int8)", "lib.tensor([1e40], dtype=lib.float32)",
    "lib.tensor([1, None])", "lib.tensor([1, 'a'])", "lib.tensor([[1, 2], [3]])",
])
@pytest.mark.filterwarnings("ignore:To copy construct from a tensor:UserWarning")  # torch's advice, on purpose
def test_tensor_infers_dtype_and_checks_range_as_torch(expr):
    same_as_torch(expr)


@pytest.mark.filterwarnings("ignore:To copy construct from a tensor:UserWarning")   # copying a tensor on purpose
@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True to a scalar:UserWarning")
def test_tensor_of_a_torch_tensor_keeps_its_dtype():
    """``minigrad.tensor(torch_tensor)`` (a real torch tensor) keeps torch's dtype, as torch.tensor does."""
    for dtype in (torch.float64, torch.int8, torch.int32, torch.float16, torch.bool):
        source = torch.tensor([1, 0, 1]).to(dtype)
        for make in (minigrad.tensor, minigrad.as_tensor):
            out = make(source)
            assert str(out.dtype).split(".")[-1] == str(torch.tensor(source).dtype).split(".")[-1]
            np.testing.assert_array_equal(out.numpy(), source.numpy())
        assert minigrad.tensor([torch.tensor(1.5, dtype=torch.float64)]).dtype == minigrad.float64
    grad_source = torch.tensor([1.5, 2.0], dtype=torch.float64, requires_grad=True)
    for data in (grad_source, [grad_source[0], grad_source[1]]):
        assert minigrad.tensor(data).tolist() == torch.tensor(data).tolist() == [1.5, 2.0]
        assert minigrad.tensor(data).dtype == minigrad.float64 and not minigrad.tensor(data).requires_grad


_ITEM_DTYPES = ["uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "bool"]


@st.composite
def _items(draw):
    """A list of items for tensor(): Python numbers, NumPy scalars and 0-d tensors, all dtypes."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["int", "float", "bool", "numpy", "0-d"]))
        if kind == "int":
            v = draw(st.integers(-300, 300))
            out.append(lambda lib, v=v: v)
        elif kind == "float":
            v = draw(st.floats(-1e3, 1e3))
            out.append(lambda lib, v=v: v)
        elif kind == "bool":
            v = draw(st.booleans())
            out.append(lambda lib, v=v: v)
        else:
            dtype = draw(st.sampled_from(_ITEM_DTYPES if kind == "0-d" else _ITEM_DTYPES[:-1]))
            v = np.asarray(draw(st.integers(0, 100)), dtype=dtype)
            out.append((lambda lib, v=v: v[()]) if kind == "numpy" else
                       (lambda lib, v=v: lib.tensor(v)))
    return out


@given(items=_items(), dtype=st.sampled_from([None] + _ITEM_DTYPES))
def test_tensor_of_mixed_items_matches_torch(items, dtype):
    """Items of every kind and dtype together: torch's promoted dtype, or the dtype asked for."""
    same_as_torch("lib.tensor([f(lib) for f in items], dtype=None if dtype is None else getattr(lib, dtype))",
                  items=items, dtype=dtype)


# -- aliasing ---------------------------------------------------------------------------------------
def _views(lib):
    base = lib.arange(12.).reshape(3, 4)
    return {"base": base, "row": base[1], "strided": base.t()[1:, ::2], "cols": base[:, 1:3], "other": lib.ones(2)}


def _roundtrip(lib, obj):
    f = io.BytesIO()
    lib.save(obj, f)
    f.seek(0)
    return lib.load(f) if lib is minigrad else lib.load(f, weights_only=True)


@pytest.mark.parametrize("how", ["deepcopy", "save/load"])
def test_copies_keep_views_sharing_memory(how):
    """deepcopy and save/load keep the views of one tensor on one copied memory, as torch does."""
    results = []
    for lib in (minigrad, torch):
        views = _views(lib)
        copied = copy.deepcopy(views) if how == "deepcopy" else _roundtrip(lib, views)
        with lib.no_grad():
            copied["base"][1, 1] = -5.0
            copied["strided"][0, 0] = 77.0
        results.append({k: v.clone() for k, v in copied.items()})
        assert views["base"][1, 1].item() == 5.0   # the original is untouched
    for k in results[1]:
        _assert_close(_flat(results[0][k]), _flat(results[1][k]), k, 0)


def test_save_load_view_saved_before_its_base():
    for lib in (minigrad, torch):
        b = lib.arange(6.)
        v, c = None, _roundtrip(lib, [b[2:], b])
        c[1][3] = 50.0
        assert c[0].tolist() == [2.0, 50.0, 4.0, 5.0]


@pytest.mark.parametrize("expr", [
    "copy.deepcopy(leaf()).grad", "copy.deepcopy(leaf()).requires_grad", "copy.deepcopy(leaf()).is_leaf",
    "copy.deepcopy(leaf() * 2)", "copy.deepcopy([leaf(), 1])[0].grad",
])
def test_deepcopy_keeps_grad(expr):
    def leaf(lib):
        def make():
            x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
            (x * 2).sum().backward()
            return x
        return make
    failure = same_as_torch(expr, leaf=leaf)
    if failure is not None:
        assert "graph leaves" in str(failure[1])


def test_deepcopy_keeps_user_attributes():
    for lib in (minigrad, torch):
        x = lib.ones(2)
        x.tag = ["weights"]
        y = copy.deepcopy(x)
        assert y.tag == ["weights"] and y.tag is not x.tag and type(y) is lib.Tensor


def test_deepcopy_grad_is_a_copy():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    y = copy.deepcopy(x)
    y.grad[0] = 100.0
    assert x.grad.tolist() == [3.0, 3.0] == torch.full((2,), 3.0).tolist()


@pytest.mark.parametrize("expr", [
    "t().to(lib.float32, copy=True) is t()", "t().to(copy=True)", "t().to(lib.float64, copy=True)",
])
def test_to_copy(expr):
    shared = {}
    same_as_torch(expr, t=lambda lib: lambda: shared.setdefault(lib, lib.tensor([1.0, 2.0])))


def test_to_copy_returns_new_memory():
    for lib in (minigrad, torch):
        x = lib.tensor([1.0, 2.0])
        y = x.to(lib.float32, copy=True)
        y[0] = 5.0
        assert x.tolist() == [1.0, 2.0] and y is not x


# -- extreme magnitudes -----------------------------------------------------------------------------
def _value_and_grad(fn):
    def run(lib):
        def go(values, dtype="float32"):
            x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
            y = fn(x)
            y.sum().backward()
            return y, x.grad
        return go
    return run


@pytest.mark.parametrize("values,dtype", [
    ([1e20, 2e20, 3e20, 4.5e20], "float32"), ([1e-23, 2e-23, 3e-23, 4.5e-23], "float32"),
    ([1e-23, 2e-23], "float32"), ([3e38, 3e38], "float32"), ([1e160, 2e160], "float64"),
    ([1e-160, 2e-160], "float64"), ([1e4, 2e4], "float16"), ([1e-5, 2e-5], "float16"),
])
@pytest.mark.parametrize("op", ["std", "var", "std_dim", "var_unbiased_false"])
def test_std_var_at_extreme_magnitudes(values, dtype, op):
    """std's square root is taken in float64 before the cast: finite where the variance is not."""
    fn = {"std": lambda x: x.std(), "var": lambda x: x.var(), "std_dim": lambda x: x.reshape(1, -1).std(dim=1),
          "var_unbiased_false": lambda x: x.var(unbiased=False)}[op]
    same_as_torch("go(values, dtype)", rtol=1e-3 if dtype == "float16" else 1e-5, go=_value_and_grad(fn),
                  values=values, dtype=dtype)


def test_std_of_rows_at_extreme_magnitudes():
    same_as_torch("go([[1e20, 1.], [2e20, 3.], [4e20, 3.]])", rtol=1e-5, go=_value_and_grad(lambda x: x.std(dim=0)))


@pytest.mark.parametrize("values,dtype", [
    ([1.85e-229], "float64"), ([-1.85e-229], "float64"), ([1.85e-229, 2e-229], "float64"), ([1e-30], "float32"),
    ([1e30], "float32"), ([[1.85e-229], [2.0]], "float64"), ([1e200, 3e200], "float64"), ([0.0], "float64"),
])
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf")])
def test_norm_at_extreme_magnitudes(values, dtype, p):
    """A norm over one element is |x| (and its gradient sign(x)); over more, torch does not rescale."""
    same_as_torch("go(values, dtype)", go=_value_and_grad(lambda x: x.norm(p=p, dim=-1)), values=values,
                  dtype=dtype)


# -- validation -------------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "int(t())", "float(t())", "int(lib.tensor([]))", "int(lib.tensor([3.7]))", "u8().fill_(-1)", "u8().fill_(300)",
    "u8().fill_(-1.0)", "lib.tensor([1, 2], dtype=lib.int8).clamp(-200, 200)", "2 in t()", "1.0 in t()",
    "t() in t()", "lib.tensor(2.) in t()", "'a' in t()", "None in t()", "f'{z():.2f}'", "f'{z()}'",
    "format(t(), '.2f')", "f'{lib.tensor(3):d}'", "f'{lib.tensor(3):>5}'", "f'{lib.tensor(True)}'",
    "format(lib.tensor([[1]]), '')", "t() == 'a'", "t() != 'a'", "t() < 'a'", "t() == None", "t() == [1., 2.]",
    "t() + 'a'", "t().mT", "lib.ones(2, 3).mT", "lib.rand(2, dtype=lib.int64)", "lib.rand(2, dtype=lib.bool)",
    "lib.randn(2, dtype=lib.int32)", "lib.rand(2, dtype=lib.float64).dtype",
])
def test_validation_matches_torch(expr):
    failure = same_as_torch(expr, t=lambda lib: lambda: lib.tensor([1.0, 2.0]),
                            z=lambda lib: lambda: lib.tensor(3.14159),
                            u8=lambda lib: lambda: lib.tensor([1, 2], dtype=lib.uint8))
    if failure is not None and not isinstance(failure[0], TypeError):   # the gist of torch's message
        torch_message = str(failure[0]).replace("torch.", "").split(" (Triggered")[0]
        assert torch_message[:40] in str(failure[1]).replace("minigrad.", ""), (str(failure[0]), str(failure[1]))


def test_mT_of_0d_is_the_identity_with_a_warning():
    for lib in (minigrad, torch):
        z = lib.tensor(2.0)
        with pytest.warns(UserWarning, match="mT is deprecated on 0-D"):
            assert z.mT.item() == 2.0
