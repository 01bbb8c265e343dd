"""minigrad against torch, side by side: ``python -m benchmarks`` (or ``minigrad bench``).

    python -m benchmarks [--quick] [--filter PATTERN] [--device cpu|cuda] [--threads N] [--out DIR]
                         [--timer wall|cpu] [--skip-side SIDE] [--list]

Runs every case with minigrad and torch in one process, interleaved, after warm-up, with the same
number of threads for both, and reports per case the median time, its spread, and the ratio
torch_time / minigrad_time (above 1, minigrad is faster). Writes results.json, results.md and
ratios.png to ``--out``. See docs/benchmarks.md for the latest numbers and how to read them.

Modules: harness (timing, threads), cases_ops / cases_conv / cases_cnn / memory / cases_programs
(the cases; cases_conv adds those of bench_conv.py, the conv kernels' own benchmark, when it
defines any; cases_programs runs programs.py's whole programs in child processes),
machine (CPU, versions, GEMM peak), report (table, files, chart), numpy_cnn (the NumPy roofline),
profiling (cProfile and torch.profiler on one case: `python -m benchmarks.profiling CASE`).
"""
from __future__ import annotations

import argparse
import gc
import os
import re
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats (under a minute; the CI smoke test)")
    parser.add_argument("--filter", metavar="PATTERN",
                        help="run only the cases whose name matches this regular expression (e.g. 'seed_cnn|conv')")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where both frameworks run (cuda needs minigrad.cuda.is_available())")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch, Numba and BLAS alike (default: the usable CPUs)")
    parser.add_argument("--out", default="results/benchmarks", metavar="DIR",
                        help="where results.json, results.md and ratios.png go (default: %(default)s)")
    parser.add_argument("--timer", choices=["wall", "cpu"], default="wall",
                        help="wall-clock time (default), or the CPU time of this process: steadier on a "
                             "machine busy with other work, meaningful with --threads 1")
    parser.add_argument("--skip-side", action="append", default=[], metavar="SIDE",
                        help="do not run this side of any case (e.g. torch_compile, which takes minutes to "
                             "compile; numpy); repeatable")
    parser.add_argument("--list", action="store_true", help="list the cases that would run, and exit")


def _usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def collect_cases(cfg) -> list:
    from . import cases_cnn, cases_conv, cases_ops, cases_programs, memory
    cases = []
    for module in (cases_ops, cases_conv, cases_cnn, memory, cases_programs):
        cases += module.cases(cfg)
    if cfg.filter:
        pattern = re.compile(cfg.filter, re.IGNORECASE)
        cases = [c for c in cases if pattern.search(c.name)]
    return cases


def _cuda_unavailable() -> str | None:
    import torch
    import minigrad
    if not torch.cuda.is_available():
        return "torch sees no CUDA device"
    if not minigrad.cuda.is_available():
        return "minigrad.cuda.is_available() is False (minigrad's GPU support needs CuPy and a GPU)"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the suite as ``args`` (from :func:`add_arguments`) says; returns the exit status:
    0, or 1 when some side failed with an error (a bug, as opposed to a feature not there yet)."""
    from . import machine, report
    from .harness import Config, run_case, set_threads

    cfg = Config(quick=args.quick, device=args.device, threads=args.threads or _usable_cpus(),
                 filter=args.filter, out=args.out, timer=args.timer, skip_sides=tuple(args.skip_side))
    if not args.list:
        try:
            import torch  # noqa: F401  (every case has a torch side)
        except ModuleNotFoundError:
            print("benchmarks: needs torch, which the 'train' extra does not install: pip install -e '.[test]'",
                  file=sys.stderr)
            return 2
    if "minigrad" in cfg.skip_sides or "torch" in cfg.skip_sides:
        print("benchmarks: --skip-side cannot skip minigrad or torch, the two sides every ratio compares")
        return 2
    if cfg.device == "cuda":
        why = _cuda_unavailable()
        if why:
            print(f"benchmarks: skipping --device cuda: {why}.")
            return 0
    cases = collect_cases(cfg)
    if not cases:
        print(f"benchmarks: no case matches --filter {cfg.filter!r} (see --list)")
        return 2
    if args.list:
        for c in cases:
            print(c.name)
        return 0

    t_start = time.perf_counter()
    threads = set_threads(cfg.threads)
    meta = {"machine": machine.describe(cfg.device), "threads": threads, "quick": cfg.quick, "timer": cfg.timer,
            "command": "python -m benchmarks " + " ".join(sys.argv[1:]) if sys.argv[0].endswith("__main__.py")
            else " ".join(["minigrad"] + sys.argv[1:])}
    print(f"benchmarks: {len(cases)} cases on {meta['machine']['cpu_model']} with {cfg.threads} threads "
          f"({'quick' if cfg.quick else 'full'} run); measuring the float32 GEMM peak ...", flush=True)
    load = meta["machine"]["load_average_at_start"]
    if load and load[0] > meta["machine"]["usable_cpus"]:
        print(f"  warning: load average {load[0]:.1f} on {meta['machine']['usable_cpus']} CPUs: other processes "
              "compete for the cores, so timings are noisy and multi-threaded ones (OpenMP barriers) suffer "
              "most; compare with --threads 1 --timer cpu (see docs/benchmarks.md)", flush=True)
    # Everything imported so far (torch, minigrad, numba) is long-lived: freezing it keeps the
    # collections between and during cases short, for both frameworks alike.
    gc.collect()
    gc.freeze()
    meta["gemm_peak"] = machine.gemm_peak(cfg.quick, cfg.device, cfg.timer)
    peak = meta["gemm_peak"]["gflops"]
    print(f"  float32 GEMM peak: {peak:.0f} GFLOP/s", flush=True)

    records = []
    for i, case in enumerate(cases, 1):
        rec = report.record(run_case(case, cfg), peak)
        records.append(rec)
        report.write_json(cfg.out, meta, records, complete=False)   # what is done survives an interruption
        mg, th = (report.fmt_side(rec["sides"].get(name), rec["unit"]) for name in ("minigrad", "torch"))
        print(f"  [{i}/{len(cases)}] {case.name}: minigrad {mg}, torch {th}, ratio {report.fmt_ratio(rec['ratio'])}"
              f"  ({rec['wall_s']:.1f} s)", flush=True)

    meta["threads"]["numba_threading_layer"] = machine.numba_threading_layer()
    meta["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    meta["wall_s"] = time.perf_counter() - t_start
    print()
    print("\n".join(report.header_lines(meta)))
    print()
    print(report.terminal_table(records))
    paths = report.write(cfg.out, meta, records)
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    errors = [(r["name"], n, e["reason"]) for r in records for n, e in r["sides"].items() if e["status"] == "error"]
    for name, side, reason in errors:
        print(f"ERROR {name} [{side}]: {reason}", file=sys.stderr)
    return 1 if errors else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
