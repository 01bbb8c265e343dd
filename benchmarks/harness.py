"""The timing harness: cases, sides, interleaved adaptive timing, thread control.

A :class:`Case` is one workload (say "conv2d forward, 32->64 channels on 16x16, batch 64") and has
several :class:`Side`\\ s, one per implementation of that workload: ``minigrad`` (the subject),
``torch`` (the baseline), and optional references (bare ``numpy``, ``torch_channels_last``,
``torch_compile``, ``numpy_im2col``). Each side's ``build()`` does the setup (tensors, models)
and returns a zero-argument ``step`` callable, the thing timed.

How a case is timed (:func:`run_case`):

1. build every side; call each ``step`` once (that first call pays Numba JIT compilation or
   torch.compile, and is reported as ``first_call_s``) and keep its output, so that every side
   can be checked against torch's (a benchmark comparing different work would be meaningless);
2. warm up each side, estimate its time per call and choose ``number``, the calls per sample, so
   that one sample lasts at least ``min_sample_s`` (timer resolution and loop overhead vanish);
3. take samples round-robin, A B C, B C A, ... (interleaved, so that a burst of load from other
   processes hits every side alike; a side that leaves BLAS threads spinning is followed by a
   pause, ``Side.settle_s``), until the case's time budget is spent and at least
   ``min_rounds`` rounds are done; if the spread is still large, keep going up to
   ``extend`` times the budget;
4. report per side the median time per call and the spread (quartiles, IQR).

The clock is wall time by default. On a machine shared with other busy processes, wall time
counts the time a process waits for a core; ``--timer cpu`` counts the CPU time the process
used instead (``time.process_time``), which with ``--threads 1`` is the work itself and is far
less disturbed by the neighbours (with more threads it sums them all, idle spinning included).

The ratio reported everywhere is ``reference_time / minigrad_time``: above 1, minigrad is faster.
"""
from __future__ import annotations

import gc
import math
import time
import traceback
import types
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

SUBJECT = "minigrad"
BASELINE = "torch"


@dataclass
class Config:
    """What the command line asked for, and the timing policy that follows from ``quick``."""

    quick: bool = False
    device: str = "cpu"
    threads: int = 1
    filter: str | None = None
    out: str = "results/benchmarks"
    timer: str = "wall"                 # "wall" (time.perf_counter) or "cpu" (time.process_time)
    skip_sides: tuple = ()              # side names not to run (e.g. "torch_compile": minutes to compile)

    @property
    def budget_s(self) -> float:        # time spent sampling one case (all sides together)
        return 0.12 if self.quick else 2.0

    @property
    def min_rounds(self) -> int:
        return 3 if self.quick else 7

    @property
    def max_rounds(self) -> int:
        return 6 if self.quick else 400

    @property
    def min_sample_s(self) -> float:    # one sample = `number` calls lasting at least this long
        return 0.002 if self.quick else 0.02

    @property
    def warmup_s(self) -> float:
        return 0.02 if self.quick else 0.25

    @property
    def extend(self) -> float:          # a noisy case may run up to extend * budget_s
        return 1.0 if self.quick else 2.5

    target_rel_iqr: float = 0.05        # "noisy" means IQR / median above this


@dataclass
class Side:
    """One implementation of a case. ``build()`` -> ``step``; ``step()`` runs the workload once.

    framework: "minigrad", "torch" or "numpy" (decides how to synchronise a GPU and which
    failures mean "not implemented yet" rather than a bug).
    optional: a failure to build or run is reported as "unavailable: <reason>", never an error
    (torch.compile, which needs a working compiler toolchain).
    quick: run this side under --quick too.
    cpu_only: skipped with --device cuda.
    settle_s: seconds to wait (untimed) after each of this side's samples when running with more
        than one thread. A side that runs multithreaded OpenBLAS leaves its worker threads
        spinning for about 0.1 s, which takes a core from whichever side comes next (measured:
        minigrad's seed-CNN step at batch 256, 112 ms alone, 149 ms right after the NumPy im2col
        reference; torch's, 237 -> 298 ms). Set for the sides that run large BLAS products.
    """

    name: str
    framework: str
    build: Callable[[], Callable[[], Any]]
    optional: bool = False
    quick: bool = True
    cpu_only: bool = False
    settle_s: float = 0.0


@dataclass
class Case:
    """A workload and its sides. ``flops`` is the work of one call (for GFLOP/s), if meaningful.

    ``unit`` is "s" for timed cases; measured-value cases (peak memory) set ``unit="MB"`` and a
    ``measure`` callable returning ``{side: value}`` instead of timed sides.
    """

    name: str
    group: str
    sides: list[Side] = field(default_factory=list)
    flops: float | None = None
    params: dict = field(default_factory=dict)
    unit: str = "s"
    measure: Callable[[], dict] | None = None
    budget: float = 1.0                 # multiplier of Config.budget_s
    check: bool = True                  # compare each side's first output with torch's
    rtol: float = 2e-3
    # Shortest sample (seconds) for this case instead of Config.min_sample_s (not with --quick).
    # The first call after switching sides pays for the previous side's leftovers: torch's
    # OpenMP threads spin for a few ms after its last parallel region (minigrad's seed-CNN step
    # at batch 64: 30 ms back to back, 38-40 ms right after a torch step, 30 ms 10 ms later), and
    # a core idle for 0.2 s starts slow (43-48 ms). Samples of several calls average that out,
    # as a training loop of many steps does.
    sample_s: float | None = None


@dataclass
class SideResult:
    status: str = "ok"                  # "ok", "unavailable", "skipped" or "error"
    reason: str = ""
    samples: list = field(default_factory=list)   # seconds per call, one per sample
    number: int = 0                     # calls per sample
    first_call_s: float | None = None
    check: str | None = None            # None (not compared), "ok", or "mismatch: ..."
    value: float | None = None          # for measured-value cases (MB)
    extra: dict = field(default_factory=dict)

    def stats(self) -> dict:
        if self.value is not None:
            return {"median": self.value, "q1": self.value, "q3": self.value, "iqr": 0.0,
                    "min": self.value, "n": 1}
        if not self.samples:
            return {}
        s = np.asarray(self.samples)
        q1, med, q3 = np.percentile(s, [25, 50, 75])
        return {"median": float(med), "q1": float(q1), "q3": float(q3), "iqr": float(q3 - q1),
                "min": float(s.min()), "n": int(s.size)}

    @property
    def median(self) -> float | None:
        st = self.stats()
        return st.get("median")


@dataclass
class CaseResult:
    case: Case
    sides: dict                         # name -> SideResult
    wall_s: float = 0.0

    def ok(self, name) -> bool:
        r = self.sides.get(name)
        return r is not None and r.status == "ok" and r.median is not None

    def ratio(self, reference: str, subject: str = SUBJECT) -> float | None:
        """reference_time / subject_time (> 1: the subject is faster or smaller)."""
        if self.ok(reference) and self.ok(subject) and self.sides[subject].median > 0:
            return self.sides[reference].median / self.sides[subject].median
        return None


# -- failures ------------------------------------------------------------------------------
def _is_missing_api(exc: BaseException) -> bool:
    """Is this the failure of a minigrad feature that does not exist yet (not a bug in one that does)?"""
    if isinstance(exc, (ImportError, NotImplementedError)):
        return True
    if isinstance(exc, AttributeError):   # a function or method minigrad does not have (yet)
        obj = getattr(exc, "obj", None)
        if isinstance(obj, types.ModuleType):
            owner = obj.__name__
        elif isinstance(obj, type):
            owner = obj.__module__
        else:
            owner = type(obj).__module__
        return owner.split(".")[0] == "minigrad"
    return False


def _failure(side: Side, exc: BaseException) -> SideResult:
    reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:200]
    if side.optional or (side.framework == SUBJECT and _is_missing_api(exc)):
        return SideResult(status="unavailable", reason=reason)
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:   # where it broke, to start a bug report from
        where = frames[-1]
        reason += f" (at {'/'.join(where.filename.split('/')[-2:])}:{where.lineno})"
    return SideResult(status="error", reason=reason)


# -- synchronisation and outputs -----------------------------------------------------------
def _sync_fn(framework: str, device: str):
    if device != "cuda":
        return None
    if framework == "torch":
        import torch
        return torch.cuda.synchronize
    if framework == "minigrad":
        import minigrad
        sync = getattr(minigrad.cuda, "synchronize", None)
        if sync is None:
            import cupy
            sync = cupy.cuda.runtime.deviceSynchronize
        return sync
    return None


def to_numpy(out) -> np.ndarray | None:
    """A step's output as a NumPy array (first element of a tuple), or None if it has none."""
    if isinstance(out, (tuple, list)):
        out = out[0] if out else None
    if out is None:
        return None
    if hasattr(out, "detach"):
        out = out.detach()
    if hasattr(out, "cpu"):
        out = out.cpu()
    if hasattr(out, "numpy"):
        out = out.numpy()
    elif hasattr(out, "get"):
        out = out.get()
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def compare(out, ref, rtol) -> str:
    if out is None or ref is None:
        return None
    if out.shape != ref.shape:
        return f"mismatch: shape {out.shape} vs torch {ref.shape}"
    if not (np.isfinite(out).all() and np.isfinite(ref).all()):
        return "mismatch: non-finite values"
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    diff = float(np.abs(out - ref).max(initial=0.0))
    return "ok" if diff <= rtol * scale else f"mismatch: max abs diff {diff:.3g} (scale {scale:.3g})"


# -- the timing loop -----------------------------------------------------------------------
TIMERS = {"wall": time.perf_counter, "cpu": time.process_time}


def _time_calls(step, number: int, sync, clock=time.perf_counter) -> float:
    t0 = clock()
    for _ in range(number):
        step()
    if sync is not None:
        sync()
    return (clock() - t0) / number


def run_case(case: Case, cfg: Config) -> CaseResult:
    t_case = time.perf_counter()
    gc.collect()
    results: dict[str, SideResult] = {}
    if case.measure is not None:
        results = case.measure()
        return CaseResult(case, results, time.perf_counter() - t_case)

    steps: dict[str, tuple] = {}
    outputs = {}
    for side in case.sides:
        if cfg.quick and not side.quick:
            results[side.name] = SideResult(status="skipped", reason="not run with --quick")
            continue
        if side.name in cfg.skip_sides:
            results[side.name] = SideResult(status="skipped", reason="--skip-side")
            continue
        if cfg.device == "cuda" and side.cpu_only:
            results[side.name] = SideResult(status="skipped", reason="CPU only")
            continue
        try:
            step = side.build()
            sync = _sync_fn(side.framework, cfg.device)
            t0 = time.perf_counter()
            out = step()
            if sync is not None:
                sync()
            first = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001  (reported per side; the suite goes on)
            results[side.name] = _failure(side, exc)
            continue
        results[side.name] = SideResult(first_call_s=first)
        steps[side.name] = (step, sync)
        outputs[side.name] = to_numpy(out) if case.check else None

    ref = outputs.get(BASELINE)
    for name, out in outputs.items():
        if name != BASELINE:
            results[name].check = compare(out, ref, case.rtol)

    # Warm up and choose the number of calls per sample, per side.
    for name, (step, sync) in list(steps.items()):
        try:
            calls, t0 = 0, time.perf_counter()
            while calls < 3 or time.perf_counter() - t0 < cfg.warmup_s:
                step()
                calls += 1
                if calls >= 10_000:
                    break
            if sync is not None:
                sync()
            per_call = max((time.perf_counter() - t0) / calls, 1e-9)
            sample_s = case.sample_s if case.sample_s is not None and not cfg.quick else cfg.min_sample_s
            results[name].number = max(1, math.ceil(sample_s / per_call))
        except Exception as exc:  # noqa: BLE001
            results[name] = _failure(next(s for s in case.sides if s.name == name), exc)
            del steps[name]

    names = list(steps)
    settle = {s.name: s.settle_s for s in case.sides if cfg.threads > 1 and not cfg.quick}
    clock = TIMERS[cfg.timer]
    budget = cfg.budget_s * case.budget
    t0 = time.perf_counter()
    rounds = 0
    while names:
        order = names[rounds % len(names):] + names[:rounds % len(names)]
        for name in order:
            step, sync = steps[name]
            results[name].samples.append(_time_calls(step, results[name].number, sync, clock))
            if settle.get(name):
                time.sleep(settle[name])
        rounds += 1
        elapsed = time.perf_counter() - t0
        if rounds >= cfg.max_rounds:
            break
        if rounds < cfg.min_rounds:
            if elapsed > 4 * budget and rounds >= 3:   # a very slow case: settle for 3 rounds
                break
            continue
        if elapsed >= budget:
            noisy = any(_rel_iqr(results[n].samples) > cfg.target_rel_iqr for n in names)
            if not noisy or elapsed >= cfg.extend * budget:
                break
    return CaseResult(case, results, time.perf_counter() - t_case)


def _rel_iqr(samples) -> float:
    q1, med, q3 = np.percentile(samples, [25, 50, 75])
    return (q3 - q1) / med if med > 0 else 0.0


# -- threads -------------------------------------------------------------------------------
_limiter = None  # keeps threadpoolctl's limits in force for the life of the process


def set_threads(n: int, frameworks=("torch", "numba")) -> dict:
    """Give torch, Numba, and the BLAS / OpenMP libraries loaded in this process ``n`` threads.

    ``frameworks`` limits which of torch and numba are imported (a memory-measuring child process
    imports only its own framework).
    """
    global _limiter
    info = {"requested": n}
    if "torch" in frameworks:
        import torch
        torch.set_num_threads(n)
        info["torch"] = torch.get_num_threads()
        info["torch_interop"] = torch.get_num_interop_threads()
    if "numba" in frameworks:
        import numba
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        info["numba"] = numba.get_num_threads()
        if n > numba.config.NUMBA_NUM_THREADS:
            info["numba_note"] = f"capped at NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}"
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        info["blas"] = "not controlled: threadpoolctl is not installed (pip install threadpoolctl)"
        return info
    _limiter = threadpool_limits(limits=n)
    info["blas"] = [{k: p.get(k) for k in ("user_api", "internal_api", "version", "num_threads", "prefix")}
                    for p in threadpool_info()]
    return info
