"""Whole-program cases (``programs/*``): the programs of ``benchmarks/programs.py``, each run by
both frameworks in fresh child processes, timed two ways:

* ``programs/NAME/end_to_end``: what a user waits for, from starting ``python`` to the end of one
  training loop: interpreter start, imports, building the model and data, Numba's compiles (or
  loads from its on-disk cache) and the loop. Measured from the parent: the child's wall time from
  spawn to exit, less its second loop (the child runs the loop twice; see below);
* ``programs/NAME/warm_loop``: the second loop of the same child, everything compiled and warm.

Each side's value is the median over ``repeat`` children (3; with --quick one child, a fifth of
the steps, and only the first program).
The Numba cache is whatever the checkout has (filled after the first run): the cold-cache first
calls are ``benchmarks/first_call.py``'s subject. Children run with ``--threads`` threads.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path

from .harness import Case, Config, SideResult
from .programs import PROGRAMS, STEPS

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("minigrad", "torch")


def _child(name, framework, steps, threads, timeout) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "benchmarks.programs", name, framework, "--steps", str(steps),
           "--threads", str(threads), "--loops", "2"]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"child timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"child exited {proc.returncode}: {(proc.stderr.strip().splitlines() or ['-'])[-1][:200]}"}
    out = json.loads(lines[-1])
    out["end_to_end_s"] = wall - out["loop_s"][1]
    out["warm_loop_s"] = out["loop_s"][1]
    return out


@lru_cache(maxsize=None)
def _measure(name, framework, steps, threads, repeat, timeout) -> dict:
    """``{"end_to_end_s": SideResult, "warm_loop_s": SideResult}`` for one framework."""
    runs = [_child(name, framework, steps, threads, timeout) for _ in range(repeat)]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        status = "unavailable" if framework == "minigrad" else "error"
        return {k: SideResult(status=status, reason=runs[0]["error"]) for k in ("end_to_end_s", "warm_loop_s")}
    extra = {"import_s": statistics.median(r["import_s"] for r in ok),
             "build_s": statistics.median(r["build_s"] for r in ok),
             "first_loop_s": statistics.median(r["loop_s"][0] for r in ok),
             "loss": ok[0]["loss"], "children": len(ok), "steps": steps}
    return {k: SideResult(value=statistics.median(r[k] for r in ok), extra=extra)
            for k in ("end_to_end_s", "warm_loop_s")}


def _case(cfg: Config, name: str, key: str, label: str) -> Case:
    steps = max(2, STEPS[name] // 5) if cfg.quick else STEPS[name]
    repeat = 1 if cfg.quick else 3

    def measure():
        return {fw: _measure(name, fw, steps, cfg.threads, repeat, 300.0 if cfg.quick else 900.0)[key]
                for fw in FRAMEWORKS}
    return Case(f"programs/{name}/{label}", "programs", unit="s", measure=measure,
                params={"steps": steps, "children": repeat, "measure": key})


def cases(cfg: Config) -> list[Case]:
    if cfg.device != "cpu":
        return []
    names = PROGRAMS[:1] if cfg.quick else PROGRAMS   # (CI's smoke test: one program, two children)
    return [c for name in names
            for c in (_case(cfg, name, "end_to_end_s", "end_to_end"), _case(cfg, name, "warm_loop_s", "warm_loop"))]
