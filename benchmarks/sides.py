"""Building sides: one workload written once against torch's API, run by minigrad and by torch.

minigrad mirrors torch's API, so a case is a function ``make(fw, device) -> step`` where ``fw`` is
the ``minigrad`` or the ``torch`` module: both frameworks then do exactly the same work, from the
same NumPy input arrays.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .harness import Side


def framework_sides(make: Callable, device: str) -> list[Side]:
    """The minigrad and torch sides of ``make(fw, device) -> step``."""
    def build_minigrad():
        import minigrad
        return make(minigrad, device)

    def build_torch():
        import torch
        return make(torch, device)

    return [Side("minigrad", "minigrad", build_minigrad), Side("torch", "torch", build_torch)]


def numpy_side(build: Callable, name: str = "numpy") -> Side:
    """A bare-NumPy reference (``build() -> step``), CPU only."""
    return Side(name, "numpy", build, cpu_only=True)


def tensor(fw, array: np.ndarray, device: str, requires_grad: bool = False):
    """``fw.tensor(array)`` on ``device``: a copy, so the sides never share memory."""
    return fw.tensor(array, device=device, requires_grad=requires_grad)


def randn(rng: np.random.Generator, *shape, dtype=np.float32) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float64).astype(dtype)


def size_label(n: int) -> str:
    for unit, div in (("M", 1_000_000), ("K", 1_000)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)
