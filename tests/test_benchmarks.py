"""The benchmark suite: a smoke test of ``python -m benchmarks --quick`` and the harness's bookkeeping.

The smoke test asserts that every case ran and produced positive finite numbers and that the
files were written; it asserts nothing about speed (CI machines are too noisy for that). A case
whose minigrad side is reported "unavailable" (a feature not written yet) is skipped, with the
reason; every other failure fails.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:      # benchmarks/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import collect_cases, main, report  # noqa: E402
from benchmarks.harness import Case, CaseResult, Config, Side, SideResult, _failure, compare  # noqa: E402
QUICK_CASES = [c.name for c in collect_cases(Config(quick=True))]
EXPECTED_GROUPS = {"dispatch", "elementwise", "reduce", "softmax", "norm", "matmul", "seed_layers", "conv_grid",
                   "seed_cnn", "memory", "programs"}
# Sides that may legitimately not run under --quick on a CPU-only machine, and why.
ALLOWED_SKIPS = {"not run with --quick"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    # One thread: a smoke test on a shared CI machine should not fight over cores (the thread
    # count changes the timings, not which cases run).
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--threads", "1", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    data = json.loads((out / "results.json").read_text())
    return out, proc.stdout, data


def _finite_positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_files_written(quick_run):
    out, stdout, data = quick_run
    md = (out / "results.md").read_text()
    assert "| case | minigrad | torch | torch/minigrad |" in md
    assert (out / "ratios.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" or not any(
        c["ratios"] for c in data["cases"])
    meta = data["meta"]
    assert meta["machine"]["cpu_model"] and meta["machine"]["versions"]["torch"]
    assert meta["threads"]["torch"] == 1 and meta["threads"]["numba"] == 1
    assert _finite_positive(meta["gemm_peak"]["gflops"])
    assert "torch/minigrad" in stdout   # the terminal table


def test_every_case_ran(quick_run):
    _, _, data = quick_run
    names = [c["name"] for c in data["cases"]]
    assert names == QUICK_CASES
    assert {c["group"] for c in data["cases"]} == EXPECTED_GROUPS


@pytest.mark.parametrize("name", QUICK_CASES)
def test_case_numbers(quick_run, name):
    _, _, data = quick_run
    case = next(c for c in data["cases"] if c["name"] == name)
    sides = case["sides"]
    for side, entry in sides.items():
        if entry["status"] == "ok":
            for key in ("median", "q1", "q3", "min"):
                assert _finite_positive(entry[key]) or (case["unit"] == "MB" and entry[key] >= 0), (side, key, entry)
            assert entry["n"] >= 1
            assert not str(entry.get("check_vs_torch", "ok")).startswith("mismatch"), (side, entry)
        elif entry["status"] == "skipped":
            assert entry["reason"] in ALLOWED_SKIPS, (side, entry)
        else:
            assert entry["status"] == "unavailable" and side == "minigrad", (side, entry)
            assert entry["reason"]
    assert sides["torch"]["status"] == "ok"
    if sides["minigrad"]["status"] == "unavailable":
        pytest.skip(f"minigrad side unavailable: {sides['minigrad']['reason']}")
    assert _finite_positive(case["ratio"])
    if case["group"] == "seed_cnn":
        assert _finite_positive(case["ratios"]["torch_channels_last"])
        assert _finite_positive(case["gemm_floor_s"])


# -- the harness's bookkeeping, without timing ------------------------------------------------
def _result(minigrad=None, torch=None, numpy=None):
    sides = {}
    for name, samples in (("minigrad", minigrad), ("torch", torch), ("numpy", numpy)):
        if samples is not None:
            sides[name] = SideResult(samples=list(samples), number=1)
    return CaseResult(Case("group/x", "group", flops=4e9), sides)


def test_ratio_is_torch_time_over_minigrad_time():
    res = _result(minigrad=[1.0, 1.0, 1.0], torch=[2.0, 3.0, 2.0], numpy=[0.5, 0.5, 0.5])
    assert res.ratio("torch") == pytest.approx(2.0)      # median 2 / median 1: minigrad faster
    rec = report.record(res, peak_gflops=8.0)
    assert rec["ratio"] == pytest.approx(2.0)
    assert rec["numpy_overhead"] == pytest.approx(2.0)   # minigrad / numpy
    assert rec["sides"]["minigrad"]["gflops"] == pytest.approx(4.0)
    assert rec["sides"]["minigrad"]["fraction_of_peak"] == pytest.approx(0.5)
    assert rec["gemm_floor_s"] == pytest.approx(0.5)
    assert rec["sides"]["torch"]["iqr"] == pytest.approx(0.5)


def test_unavailable_side_has_no_ratio_and_is_listed():
    res = _result(torch=[2.0])
    res.sides["minigrad"] = SideResult(status="unavailable", reason="AttributeError: no conv2d")
    rec = report.record(res, peak_gflops=8.0)
    assert rec["ratio"] is None
    md = report.markdown({"machine": {"cpu_model": "cpu", "usable_cpus": 2, "platform": "p", "python": "3",
                                      "versions": {}, "load_average_at_start": None},
                          "threads": {"requested": 2, "blas": "n/a"}, "gemm_peak": {"gflops": 8.0, "source": "s"},
                          "command": "c", "wall_s": 1.0}, [rec])
    assert "| group/x | unavailable | 2 s |" in md
    assert "AttributeError: no conv2d" in md


def test_failure_classification():
    import minigrad
    mg = Side("minigrad", "minigrad", lambda: None)
    th = Side("torch", "torch", lambda: None)
    opt = Side("torch_compile", "torch", lambda: None, optional=True)
    try:
        minigrad.no_such_function_here
    except AttributeError as exc:
        missing = exc
    assert _failure(mg, missing).status == "unavailable"
    assert _failure(mg, ImportError("no module minigrad.models")).status == "unavailable"
    assert _failure(mg, ValueError("wrong answer")).status == "error"      # a bug, not a gap
    assert _failure(mg, AttributeError("'NoneType' object has no attribute 'x'")).status == "error"
    assert _failure(th, ImportError("x")).status == "error"
    assert _failure(opt, RuntimeError("no C++ compiler")).status == "unavailable"


def test_compare_outputs():
    import numpy as np
    ref = np.array([1.0, 2.0, 100.0])
    assert compare(ref + 1e-3, ref, 2e-3) == "ok"            # tolerance scales with max |ref|
    assert compare(ref + 1.0, ref, 2e-3).startswith("mismatch")
    assert compare(ref[:2], ref, 2e-3).startswith("mismatch: shape")
    assert compare(None, ref, 2e-3) is None


def test_filter_and_list(capsys):
    assert main(["--quick", "--list", "--filter", "seed_cnn/"]) == 0
    names = capsys.readouterr().out.split()
    assert names and all(n.startswith("seed_cnn/") for n in names)
    assert main(["--quick", "--list", "--filter", "no-case-is-called-this"]) == 2


def test_cuda_without_a_gpu_skips_cleanly(capsys, tmp_path):
    import minigrad
    import torch
    if torch.cuda.is_available() and minigrad.cuda.is_available():
        pytest.skip("a GPU is present: --device cuda would run the suite")
    assert main(["--device", "cuda", "--out", str(tmp_path)]) == 0
    assert "skipping --device cuda" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


def test_minigrad_bench_subcommand(capsys):
    from minigrad.cli import main as cli_main
    assert cli_main(["bench", "--quick", "--list", "--filter", "memory/"]) == 0
    names = capsys.readouterr().out.split()
    assert names and all(n.startswith("memory/") for n in names)
