"""The machine: CPU model, cores, load, library versions, and the float32 GEMM peak it reaches."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import sys

import numpy as np


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def describe(device: str) -> dict:
    import minigrad
    import numba
    import torch
    info = {
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": {"minigrad": getattr(minigrad, "__version__", None), "numpy": np.__version__,
                     "numba": numba.__version__, "torch": torch.__version__,
                     "threadpoolctl": _version("threadpoolctl"), "matplotlib": _version("matplotlib")},
        "torch_parallel_info": torch.__config__.parallel_info().strip().splitlines(),
        "device": device,
    }
    if device == "cuda" and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def numba_threading_layer() -> str | None:
    try:
        import numba
        return numba.threading_layer()
    except (ValueError, ImportError):   # no parallel kernel has run yet
        return None


def gemm_peak(quick: bool, device: str = "cpu", timer: str = "wall") -> dict:
    """The best float32 GEMM rate the machine reaches (best of several runs, best size: a peak is
    what the hardware can do, so on a shared machine the least disturbed run is the estimate).

    NumPy's ``np.matmul`` (its BLAS) on the CPU, torch's on the GPU; torch's CPU rate is recorded
    too, for reference. In GFLOP/s, a multiply-add counting as 2; timed with the suite's clock.
    """
    from .harness import TIMERS
    clock = TIMERS[timer]
    sizes = [512, 1024] if quick else [1024, 2048, 3072]
    repeats = 3 if quick else 7
    rng = np.random.default_rng(0)
    rates = {"numpy": {}, "torch": {}}
    import torch
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        out = np.empty_like(a)
        tout = torch.empty(n, n)
        if device == "cuda":
            ta, tb, tout = ta.cuda(), tb.cuda(), tout.cuda()
        runs = {"numpy": lambda: np.matmul(a, b, out=out),
                "torch": lambda: torch.mm(ta, tb, out=tout)}
        for name, fn in runs.items():
            if device == "cuda" and name == "numpy":
                continue
            fn()
            times = []
            for _ in range(repeats):
                t0 = clock()
                fn()
                if device == "cuda":
                    torch.cuda.synchronize()
                times.append(clock() - t0)
            rates[name][n] = 2.0 * n ** 3 / min(times) / 1e9
    source = "torch" if device == "cuda" else "numpy"
    return {"gflops": max(rates[source].values()), "source": f"{source} float32 matmul, square sizes {sizes}",
            "by_size": {k: {str(n): round(v, 1) for n, v in r.items()} for k, r in rates.items()}}
