"""minigrad.accelerator: the device-agnostic idiom of torch's examples,

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"

minigrad's only accelerator is CUDA through CuPy (minigrad.cuda). Without it, everything here
answers as torch's CPU build does: not available, no current accelerator, zero devices, and the
calls that need a device raise RuntimeError.
"""
from __future__ import annotations

from . import cuda
from .device import device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "current_device_idx",
           "set_device_index", "set_device_idx", "synchronize", "empty_cache", "memory_allocated",
           "max_memory_allocated"]


def is_available() -> bool:
    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    """``device('cuda')`` when CUDA is usable, else None (torch's CPU build: None)."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()


def _require():
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def current_device_index() -> int:
    _require()
    return cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device_index) -> None:
    _require()
    import cupy
    cupy.cuda.Device(cuda._index(device_index)).use()


set_device_idx = set_device_index


def synchronize(device=None) -> None:
    _require()
    cuda.synchronize(device)


def empty_cache() -> None:
    _require()
    cuda.empty_cache()


def memory_allocated(device_index=None) -> int:
    _require()
    return cuda.memory_allocated(device_index)


def max_memory_allocated(device_index=None) -> int:
    _require()
    return cuda.max_memory_allocated(device_index)
