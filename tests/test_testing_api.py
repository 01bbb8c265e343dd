"""minigrad.testing itself: assert_close agrees with torch's, assert_matches_torch catches what it
must (a wrong backward, dtype or shape; a non-differentiable backward) and passes a correct custom
op; the parity report and the cheat sheet generate from the op table."""
import argparse
import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.autograd import Function
from minigrad.testing import (NoGrad, arrays, assert_close, assert_matches_torch, broadcastable_shapes,
                              gradcheck, gradgradcheck, shapes)
from minigrad.testing import report as report_mod
from minigrad.testing.opinfo import OpInfo, Sample


# -- custom Functions, right and wrong --------------------------------------------------------
class Cube(Function):
    """z = x^3;  dz/dx = 3x^2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class CubeWrongBackward(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x * x           # 2x^2: the classic off-by-one exponent rule


class CubeDetachedBackward(Cube):
    """Right first derivative, computed outside the graph: grad-of-grad is lost."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * minigrad.tensor(3 * x.detach().numpy() ** 2)


class CubeWrongDtype(Cube):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * x * x).double()


class ScaledProduct(Function):
    """z = x * y * 2;  dz/dx = 2y,  dz/dy = 2x (the second one is wrong in backward below)"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y * 2

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * 2 * y, g * x


def torch_cube(x):
    return x ** 3


FLOATS = shapes().flatmap(lambda s: arrays("float64", s, -2, 2))


# -- assert_matches_torch ---------------------------------------------------------------------
def test_passes_a_correct_custom_op_on_given_and_drawn_inputs():
    assert_matches_torch(Cube.apply, torch_cube, np.array([-1.5, 0.0, 2.0]), check_gradgrad=True)
    assert_matches_torch(Cube.apply, torch_cube, FLOATS, check_gradgrad=True, dtypes=("float32", "float64"),
                         max_examples=15)


def test_catches_a_wrong_backward_and_says_where():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    with pytest.raises(AssertionError) as info:
        assert_matches_torch(CubeWrongBackward.apply, torch_cube, x)
    msg = str(info.value)
    assert "CubeWrongBackward.apply does not match torch: grad check" in msg
    assert "gradient of input 0" in msg
    # the cotangent is random, so the largest error is located, not guessed: check it is reported
    assert "Mismatched elements: 4 / 4" in msg
    assert "Greatest absolute difference:" in msg and "at index (" in msg
    assert "Greatest relative difference: 0.333333" in msg      # |2x^2 - 3x^2| / 3x^2 = 1/3 everywhere
    assert "array([[1.0, -2.0], [0.5, 3.0]], dtype=float64)" in msg   # the inputs, to reproduce


def test_catches_a_wrong_backward_on_drawn_inputs():
    with pytest.raises(AssertionError, match="grad check"):
        assert_matches_torch(CubeWrongBackward.apply, torch_cube,
                             shapes(min_dims=1, max_dims=2, min_side=1, max_side=3).flatmap(
                                 lambda s: arrays("float64", s, 0.5, 2)),
                             max_examples=10)


def test_names_the_wrong_input_of_several():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    with pytest.raises(AssertionError, match="gradient of input 1") as info:
        assert_matches_torch(ScaledProduct.apply, lambda a, b: a * b * 2, x, y)
    assert "input 0" not in str(info.value).split("\n", 1)[1]
    # with y excluded from differentiation, the remaining (correct) gradient passes
    assert_matches_torch(ScaledProduct.apply, lambda a, b: a * b * 2, x, NoGrad(y))


def test_catches_a_wrong_dtype():
    with pytest.raises(AssertionError, match=r"forward check, dtype float32.*\n.*dtype minigrad.float64 vs torch.float32"):
        assert_matches_torch(CubeWrongDtype.apply, torch_cube, np.array([1.0, 2.0], dtype=np.float32))
    # also found when the dtype comes from dtypes=, not from the input
    with pytest.raises(AssertionError, match="dtype float32"):
        assert_matches_torch(CubeWrongDtype.apply, torch_cube, np.array([1.0, 2.0]), dtypes=("float64", "float32"))


def test_catches_a_wrong_shape():
    with pytest.raises(AssertionError, match=r"shape mismatch: minigrad \(\) vs torch \(3,\)"):
        assert_matches_torch(lambda x: Cube.apply(x).sum(), torch_cube, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(AssertionError, match="shape mismatch"):
        assert_matches_torch(lambda x: x.reshape(3, 1), lambda x: x.reshape(1, 3), np.array([1.0, 2.0, 3.0]))


def test_catches_a_backward_that_is_not_differentiable_only_with_gradgrad():
    x = np.array([1.0, -2.0, 0.5])
    assert_matches_torch(CubeDetachedBackward.apply, torch_cube, x)              # first order is right
    with pytest.raises(AssertionError, match="gradgrad check"):
        assert_matches_torch(CubeDetachedBackward.apply, torch_cube, x, check_gradgrad=True)


def test_tolerances_can_be_widened_both_or_neither():
    off = lambda x: x * (1 + 1e-4)          # noqa: E731  (a 1e-4 relative error)
    with pytest.raises(AssertionError, match="forward check"):
        assert_matches_torch(off, lambda x: x * 1.0, np.array([1.0, 2.0]), check_grad=False)
    assert_matches_torch(off, lambda x: x * 1.0, np.array([1.0, 2.0]), rtol=1e-3, atol=1e-6)
    with pytest.raises(ValueError, match="atol"):
        assert_matches_torch(off, lambda x: x * 1.0, np.array([1.0]), rtol=1e-3)


def test_error_parity_with_torch_counts_as_a_match():
    # both reject mismatched shapes with the same exception class: not a failure
    assert_matches_torch(lambda a, b: a + b, lambda a, b: a + b, np.ones(2), np.ones(3))
    with pytest.raises(AssertionError, match="torch raised RuntimeError"):
        assert_matches_torch(lambda a, b: a, lambda a, b: a + b, np.ones(2), np.ones(3))


def test_tensors_and_non_tensor_arguments_are_accepted():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert_matches_torch(lambda t, dim: t.sum(dim), lambda t, dim: t.sum(dim), x, 1, check_gradgrad=True)
    assert_matches_torch(lambda t: t * 2, lambda t: t * 2, torch.tensor([1.0, 2.0]))


def test_devices(monkeypatch):
    x = np.array([1.0, -2.0])
    if not torch.cuda.is_available():
        assert_matches_torch(Cube.apply, torch_cube, x, devices=("cpu", "cuda"))   # cuda skipped here
        with pytest.raises(ValueError, match="available"):
            assert_matches_torch(Cube.apply, torch_cube, x, devices=("cuda",))
    else:
        # torch on the GPU against minigrad on the CPU (the path used while minigrad has no GPU)
        monkeypatch.setattr(minigrad.cuda, "is_available", lambda: False)
        assert_matches_torch(Cube.apply, torch_cube, x, devices=("cpu", "cuda"), check_gradgrad=True)
        with pytest.raises(AssertionError, match=r"device cuda \(minigrad on cpu\)"):
            assert_matches_torch(CubeWrongBackward.apply, torch_cube, x, devices=("cuda",))


def test_gradcheck_reexported_and_effective():
    x = minigrad.tensor([0.5, -1.5], dtype=minigrad.float64, requires_grad=True)
    assert gradcheck(Cube.apply, (x,)) and gradgradcheck(Cube.apply, (x,))
    with pytest.raises(Exception, match="Jacobian|gradient|mismatch"):
        gradcheck(CubeWrongBackward.apply, (x,))


def test_strategies_reexported():
    from minigrad.testing import strategies as strats
    assert shapes is strats.shapes and arrays is strats.arrays and broadcastable_shapes is strats.broadcastable_shapes

    @settings(max_examples=30, derandomize=True)
    @given(broadcastable_shapes(2))
    def pairs_broadcast(pair):
        np.broadcast_shapes(*pair)

    pairs_broadcast()


# -- assert_close -----------------------------------------------------------------------------
def _raises(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except AssertionError:
        return True
    return False


@settings(max_examples=60, derandomize=True, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_assert_close_agrees_with_torch_near_the_bound(data, dtype):
    """For errors around the tolerance bound, minigrad's verdict is torch's verdict."""
    expected = data.draw(arrays(dtype, (3,), -100, 100))
    scale = data.draw(st.sampled_from([0.0, 0.3, 0.9, 1.1, 3.0]))
    rtol, atol = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}[dtype]
    actual = (expected + scale * (atol + rtol * np.abs(expected))).astype(dtype)
    theirs = _raises(torch.testing.assert_close, torch.from_numpy(actual), torch.from_numpy(expected))
    ours = _raises(assert_close, minigrad.tensor(actual), minigrad.tensor(expected))
    mixed = _raises(assert_close, minigrad.tensor(actual), torch.from_numpy(expected))
    assert ours == theirs == mixed


def test_assert_close_messages_follow_torch():
    with pytest.raises(AssertionError) as info:
        assert_close(minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.1], [3.0, 4.5]]))
    assert str(info.value) == ("Tensor-likes are not close!\n\nMismatched elements: 2 / 4 (50.0%)\n"
                               "Greatest absolute difference: 0.5 at index (1, 1) (up to 1e-05 allowed)\n"
                               "Greatest relative difference: 0.1111111111111111 at index (1, 1) "
                               "(up to 1.3e-06 allowed)")
    with pytest.raises(AssertionError, match=r"'shape' do not match: minigrad.Size\(\[3\]\) != torch.Size\(\[2\]\)"):
        assert_close(minigrad.ones(3), torch.ones(2))
    with pytest.raises(AssertionError, match="'dtype' do not match: minigrad.float32 != torch.float64"):
        assert_close(minigrad.ones(2), torch.ones(2, dtype=torch.float64))
    assert_close(minigrad.ones(2), torch.ones(2, dtype=torch.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="not equal"):
        assert_close(minigrad.tensor([1, 2, 3]), torch.tensor([1, 2, 4]))
    with pytest.raises(ValueError, match="no atol"):
        assert_close(minigrad.ones(1), minigrad.ones(1), rtol=1e-3)
    with pytest.raises(AssertionError, match="custom"):
        assert_close(minigrad.ones(1), minigrad.zeros(1), msg="custom")


def test_assert_close_nan_inf_nesting_and_scalars():
    nan = float("nan")
    with pytest.raises(AssertionError):
        assert_close(minigrad.tensor([1.0, nan]), minigrad.tensor([1.0, nan]))
    assert_close(minigrad.tensor([1.0, nan]), minigrad.tensor([1.0, nan]), equal_nan=True)
    assert_close(minigrad.tensor([float("inf")]), minigrad.tensor([float("inf")]))
    with pytest.raises(AssertionError):
        assert_close(minigrad.tensor([float("inf")]), minigrad.tensor([-float("inf")]))
    with pytest.raises(AssertionError, match=r"The failure occurred for item \['b'\]\[1\]"):
        assert_close({"a": minigrad.ones(1), "b": [1.0, minigrad.ones(2)]},
                     {"a": torch.ones(1), "b": [1.0, torch.zeros(2)]})
    with pytest.raises(AssertionError, match="Scalars are not close"):
        assert_close(1.0, 1.1)
    assert_close(1.0, 1.0 + 1e-9)
    assert_close(np.float32(1.0), minigrad.tensor(1.0))


# -- the parity report and the cheat sheet ----------------------------------------------------
def _neg_sample(dtype):
    return shapes().flatmap(lambda s: arrays(dtype, s)).map(lambda x: Sample((x,)))


GOOD = OpInfo("neg_ok", minigrad.neg, torch.neg, _neg_sample, family="test")
BAD = OpInfo("neg_bad", lambda x: Cube.apply(x) * 0 - x * 1.001, torch.neg, _neg_sample, family="test")


def test_report_rows_and_statuses():
    report = report_mod.run_report(examples=3, op_db=[GOOD, BAD], devices=["cpu"])
    rows = report["results"]
    assert {(r["op"], r["dtype"], r["order"]) for r in rows} == {
        (op, dt, order) for op in ("neg_ok", "neg_bad") for dt in ("float32", "float64")
        for order in ("forward", "grad", "gradgrad")}
    good = [r for r in rows if r["op"] == "neg_ok"]
    assert all(r["status"] == "pass" and r["samples"] == 3 and r["max_abs_error"] == 0 for r in good)
    bad = [r for r in rows if r["op"] == "neg_bad" and r["order"] == "forward"]
    assert all(r["status"] == "fail" and r["failures"] >= 1 and "Greatest absolute difference" in r["message"]
               for r in bad)
    assert report["summary"]["forward"]["fail"] == 2
    md = report_mod.to_markdown(report)
    assert "| neg_ok | test | float32 | cpu | ok 0 / 0 | ok 0 / 0 | ok 0 / 0 |" in md
    assert "### neg_bad (float32, cpu, forward): fail" in md


def test_report_na_for_ops_without_gradients(tmp_path):
    nograd = OpInfo("sign_only", minigrad.sign, torch.sign, _neg_sample, grad=False, family="test")
    report = report_mod.run_report(examples=2, op_db=[nograd], devices=["cpu"])
    statuses = {r["order"]: r["status"] for r in report["results"] if r["dtype"] == "float64"}
    assert statuses == {"forward": "pass", "grad": "n/a", "gradgrad": "n/a"}
    md, js = report_mod.write_report(report, tmp_path)
    assert (md, js) == (str(tmp_path / "report.md"), str(tmp_path / "report.json"))
    assert report_mod.write_report(report, tmp_path / "docs" / "parity.md") == (
        str(tmp_path / "docs" / "parity.md"), str(tmp_path / "docs" / "parity.json"))
    saved = json.loads(open(js).read())["results"]
    assert [(e["op"], e["dtype"], e["forward"]["status"], e["grad"]["status"]) for e in saved] == [
        ("sign_only", "float32", "pass", "n/a"), ("sign_only", "float64", "pass", "n/a")]
    assert saved[0]["forward"]["samples"] == 2 and "message" not in saved[0]["forward"]
    assert "n/a" in open(md).read()


def test_parity_command(tmp_path, monkeypatch, capsys):
    parser = argparse.ArgumentParser(prog="minigrad")
    sub = parser.add_subparsers(dest="command", required=True)
    report_mod.register(sub)
    args = parser.parse_args(["parity", "--filter", "ne[g]", "--examples", "2", "--out", str(tmp_path), "--quiet",
                              "--device", "cpu"])   # (a glob naming neg alone: "neg" is in resolve_neg too)
    assert args.func(args) == 0
    data = json.loads((tmp_path / "report.json").read_text())
    assert {r["op"] for r in data["results"]} == {"neg"} and data["filter"] == "ne[g]"
    assert data["summary"]["forward"]["pass"] == 2 and data["results"][0]["gradgrad"]["status"] == "pass"
    assert "forward 2 ok" in capsys.readouterr().out
    # python -m minigrad.testing.report: the same from a list of words
    assert report_mod.main(["--filter", "ne[g]", "--examples", "2", "--out", str(tmp_path / "r.md"), "--quiet",
                            "--device", "cpu"]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["results"][0]["op"] == "neg"
    # --strict turns failures into exit status 1
    import minigrad.testing.op_db as op_db
    monkeypatch.setattr(op_db, "OP_DB", [BAD])
    args = parser.parse_args(["parity", "--examples", "2", "--out", str(tmp_path), "--quiet", "--strict",
                              "--device", "cpu"])
    assert args.func(args) == 1


def test_cheatsheet_from_the_op_table():
    cube = OpInfo("cube", Cube.apply, torch_cube, _neg_sample, family="test")
    text = report_mod.cheatsheet(op_db=[GOOD, cube])
    assert "| neg_ok | NegBackward0 | `z = -x;  dz/dx = -1` | minigrad/ops/elementwise.py |" in text
    assert "| cube | CubeBackward | `z = x^3;  dz/dx = 3x^2` |" in text
    assert report_mod.op_functions(cube) == [Cube]
