"""minigrad.cuda: GPU support. A tensor on 'cuda' holds a CuPy array; the ops run on it through
NumPy's dispatch (``__array_function__`` / ``__array_ufunc__``), and conv/pool through the
numba.cuda kernels in ``minigrad.kernels.cuda``. CuPy is an optional extra: without it (or
without a GPU) ``is_available()`` is False and asking for 'cuda' raises a RuntimeError.
"""
from __future__ import annotations

__all__ = ["is_available", "device_count", "current_device", "synchronize", "to_device", "ToDevice",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "empty_cache", "is_initialized",
           "memory_allocated", "max_memory_allocated", "get_device_name", "is_bf16_supported",
           "CudaNotAvailableError"]

_state = {}   # "ok": bool, "why": str; probed once


def _probe():
    if "ok" in _state:
        return _state["ok"]
    ok, why = False, ""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() <= 0:
            why = "no CUDA device is visible"
        else:
            import numpy as np
            a = cupy.arange(4, dtype=cupy.float32)           # CuPy allocates and computes
            if float(np.add(a, a).sum().get()) != 12.0:      # NumPy dispatch reaches CuPy
                why = "CuPy gave a wrong result"
            else:
                from numba import cuda as nbcuda
                if not nbcuda.is_available():
                    why = "numba.cuda finds no usable GPU/driver"
                else:
                    ok = True
    except Exception as e:  # ImportError, CUDARuntimeError, driver/toolkit mismatch...
        why = f"{type(e).__name__}: {e}"
    _state["ok"], _state["why"] = ok, why
    return ok


def is_available() -> bool:
    """True only when CuPy imports, a GPU is present, and minigrad's kernels can run on it."""
    return _probe()


def device_count() -> int:
    if not _probe():
        return 0
    import cupy
    return cupy.cuda.runtime.getDeviceCount()


def current_device() -> int:
    _require("cuda")
    import cupy
    return cupy.cuda.Device().id


def synchronize(device=None) -> None:
    """Wait for all work queued on the GPU (as ``torch.cuda.synchronize``); without CUDA it raises,
    as torch's CPU build does."""
    _require("cuda")
    import cupy
    cupy.cuda.Device(_index(device)).synchronize()


# -- random seeds: minigrad draws every random number, GPU tensors' too, from its one global
# generator (minigrad.manual_seed), so there is no separate CUDA generator to seed: these are
# no-ops, as torch's are on a machine without CUDA.
def manual_seed(seed) -> None:
    """No-op: seed the global generator with ``minigrad.manual_seed`` (which torch's also seeds CUDA)."""
    int(seed)   # torch checks the argument is an integer


def manual_seed_all(seed) -> None:
    int(seed)


def seed() -> None:
    pass


def seed_all() -> None:
    pass


def is_initialized() -> bool:
    return _probe()


def empty_cache() -> None:
    """Return the GPU memory CuPy holds in its pool but no tensor uses (no-op without CUDA)."""
    if _probe():
        import cupy
        cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes held by live GPU arrays (0 without CUDA, as torch's CPU build)."""
    if not _probe():
        return 0
    import cupy
    return int(cupy.get_default_memory_pool().used_bytes())


def max_memory_allocated(device=None) -> int:
    """Bytes reserved by CuPy's memory pool, an upper bound of the peak (0 without CUDA)."""
    if not _probe():
        return 0
    import cupy
    return int(cupy.get_default_memory_pool().total_bytes())


def get_device_name(device=None) -> str:
    _require("cuda")
    import cupy
    name = cupy.cuda.runtime.getDeviceProperties(_index(device))["name"]
    return name.decode() if isinstance(name, bytes) else name


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def _index(device):
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    from .device import device as Device
    d = Device(device)
    return d.index or 0


class CudaNotAvailableError(RuntimeError, AssertionError):
    """Raised when CUDA is asked for but not available. torch's CPU build raises AssertionError
    ("Torch not compiled with CUDA enabled") for most such calls and RuntimeError for others, so
    this is both: ``except AssertionError`` and ``except RuntimeError`` each catch it."""


def _require(target):
    if not _probe():
        raise CudaNotAvailableError(f"minigrad cannot use {target}: CUDA is not available here "
                                    f"({_state.get('why') or 'unknown reason'}). Install CuPy (the 'cuda' extra) and "
                                    "numba with CUDA support on a machine with an NVIDIA GPU, or use device='cpu'.")


def _move(array, target):
    """``array`` on ``target`` (a minigrad.device): cupy.asarray to the GPU, .get() back."""
    if target.type == "cpu":
        from .device import to_numpy
        return to_numpy(array)
    import cupy
    with cupy.cuda.Device(target.index or 0):
        return cupy.asarray(array)


def _op():
    from .ops._util import Op

    class ToDevice(Op):
        """z = x on another device;  dz/dx = 1 (the gradient moves back to x's device)"""

        @staticmethod
        def forward(ctx, x, target):
            from .device import device_of
            ctx.source = device_of(x)
            return _move(x, target)

        @staticmethod
        def backward(ctx, g):
            return g.to(ctx.source), None

    return ToDevice


ToDevice = None


def to_device(tensor, device):
    """``tensor`` moved to ``device`` ('cpu', 'cuda', 'cuda:0', a minigrad.device) as a
    differentiable op: the gradient flows back to the source device."""
    global ToDevice
    from .device import device as Device, device_of
    target = Device(device)
    if device_of(tensor._data) == target:
        return tensor
    if target.type == "cuda":
        _require(target)
        if target.index is None:
            target = Device("cuda", 0)
    if ToDevice is None:
        ToDevice = _op()
    return ToDevice.apply(tensor, target)
