"""Where the time goes in one case: cProfile on the minigrad side, torch.profiler on the torch side.

    python -m benchmarks.profiling 'seed_cnn/train_step_b64' [--quick] [--calls 20] [--top 15] [--threads N]
                                   [--side minigrad] [--timer wall|cpu]

The case is picked by regular expression (the first case of ``python -m benchmarks --list`` that
matches). Each side is built, called once (JIT compilation), warmed up, then profiled over
``--calls`` calls. cProfile counts Python-level calls, so a Numba kernel shows as one line (its
dispatcher); torch.profiler shows torch's ATen operators.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import time


def _find(pattern: str, cfg):
    from . import collect_cases
    cfg.filter = None
    cases = collect_cases(cfg)
    for case in cases:
        if case.name == pattern:
            return case
    rx = re.compile(pattern, re.IGNORECASE)
    for case in cases:
        if rx.search(case.name):
            return case
    raise SystemExit(f"no case matches {pattern!r}; see python -m benchmarks --list")


def profile_minigrad(step, calls: int, top: int, timer: str = "wall") -> str:
    prof = cProfile.Profile(time.process_time) if timer == "cpu" else cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        step()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def profile_torch(step, calls: int, top: int) -> str:
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            step()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top)


def main(argv=None) -> int:
    from .harness import Config, set_threads
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling", description=__doc__.split("\n\n")[0])
    parser.add_argument("case", help="a case name or a regular expression")
    parser.add_argument("--quick", action="store_true", help="the --quick sizes")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--side", action="append", help="only these sides (default: minigrad and torch)")
    parser.add_argument("--timer", choices=["wall", "cpu"], default="wall",
                        help="cProfile's clock: wall time, or this process's CPU time (steadier on a busy "
                             "machine; torch.profiler always measures wall time)")
    args = parser.parse_args(argv)
    from . import _usable_cpus
    cfg = Config(quick=args.quick, threads=args.threads or _usable_cpus())
    set_threads(cfg.threads)
    case = _find(args.case, cfg)
    print(f"# {case.name}  ({cfg.threads} threads, {args.calls} calls)")
    wanted = args.side or ["minigrad", "torch"]
    for side in case.sides:
        if side.name not in wanted:
            continue
        try:
            step = side.build()
            for _ in range(3):
                step()
        except Exception as exc:  # noqa: BLE001
            print(f"\n## {side.name}: cannot run: {type(exc).__name__}: {exc}")
            continue
        print(f"\n## {side.name}")
        if side.framework == "torch":
            print(profile_torch(step, args.calls, args.top))
        else:
            print(profile_minigrad(step, args.calls, args.top, args.timer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
