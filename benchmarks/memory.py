"""Peak memory (resident set size) of the seed CNN's training step, one child process per framework.

Each child imports only its own framework, builds the model and a batch, runs two steps on a
batch of one (so that JIT-compiled code is loaded before anything is measured), notes its RSS,
runs two warm-up steps on the real batch (allocator pools), then resets the kernel's peak-RSS counter (``VmHWM``, reset
by writing 5 to /proc/self/clear_refs, so the warm-up's own peak is forgotten) and runs three more
steps. It reports:

- ``peak``: the peak RSS during those steps (framework, libraries, model, data and the step);
- ``step``: that peak minus the RSS noted before the real batch's first step (framework, code,
  model and data loaded): the memory that training steps hold at their peak, including what the
  allocator keeps cached between steps.

Run one child by hand: ``python -m benchmarks.memory minigrad 64 2``.
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from .harness import Case, Config, SideResult

FRAMEWORKS = ("minigrad", "torch", "numpy_im2col")
ROOT = Path(__file__).resolve().parent.parent


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _build(framework: str, batch: int):
    from . import numpy_cnn, seed_cnn
    x_np, y_np = seed_cnn.batch(batch)
    if framework == "minigrad":
        import minigrad
        model = seed_cnn.minigrad_model()
        return seed_cnn.train_step_fn(minigrad, model, minigrad.tensor(x_np), minigrad.tensor(y_np))
    if framework == "torch":
        import torch
        torch.manual_seed(0)
        return seed_cnn.train_step_fn(torch, seed_cnn.torch_model(None), torch.tensor(x_np), torch.tensor(y_np))
    if framework == "numpy_im2col":
        import numpy as np
        rng = np.random.default_rng(0)
        p = {name: (rng.standard_normal(shape) * 0.05).astype(np.float32) for shape, name in seed_cnn.SHAPES.items()}
        return lambda: numpy_cnn.train_step(p, x_np, y_np, seed_cnn.LR)
    raise ValueError(framework)


def child(framework: str, batch: int, threads: int) -> dict:
    from .harness import set_threads
    set_threads(threads, {"minigrad": ("numba",), "torch": ("torch",), "numpy_im2col": ()}[framework])
    try:
        step = _build(framework, batch)
        # Compile and load every kernel first, on a batch of one, so that JIT code is not counted.
        warm = _build(framework, 1)
    except (ImportError, NotImplementedError, AttributeError) as exc:
        return {"status": "unavailable", "reason": f"{type(exc).__name__}: {exc}"}
    warm()
    warm()
    del warm
    gc.collect()
    base = _status_kb("VmRSS")
    step()
    step()
    gc.collect()
    exact = _reset_peak()
    for _ in range(3):
        step()
    peak = _status_kb("VmHWM")
    return {"status": "ok", "peak_mb": peak / 1024, "base_mb": base / 1024, "step_mb": (peak - base) / 1024,
            "peak_is_step_only": exact}


@lru_cache(maxsize=None)
def _measure(framework: str, batch: int, threads: int, timeout: float) -> SideResult:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.memory", framework, str(batch), str(threads)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return SideResult(status="error", reason=f"child timed out after {timeout:.0f} s")
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return SideResult(status="error", reason=f"child exited {proc.returncode}: {tail[:200]}")
    out = json.loads(lines[-1])
    if out.pop("status") != "ok":
        status = "unavailable" if framework == "minigrad" else "error"
        return SideResult(status=status, reason=out["reason"][:200])
    return SideResult(extra=out)


def _case(cfg: Config, batch: int, key: str, label: str) -> Case:
    def measure():
        results = {}
        for fw in FRAMEWORKS:
            r = _measure(fw, batch, cfg.threads, 120.0 if cfg.quick else 600.0)
            if r.status == "ok":
                r = SideResult(value=r.extra[key], extra=r.extra)
            results[fw] = r
        return results
    return Case(f"memory/train_step_b{batch}_{label}", "memory", unit="MB", measure=measure,
                params={"batch": batch, "measure": key, "steps": 3, "warmup_steps": 2})


def cases(cfg: Config) -> list[Case]:
    if cfg.device != "cpu":
        return []
    batches = [16] if cfg.quick else [64, 256]
    return [c for b in batches for c in (_case(cfg, b, "peak_mb", "peak_rss"), _case(cfg, b, "step_mb", "step_rss"))]


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
