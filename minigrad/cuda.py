"""minigrad.cuda: GPU support (arrays on the GPU through CuPy). Without CuPy and a GPU, unavailable."""
from __future__ import annotations


def is_available() -> bool:
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def device_count() -> int:
    return 1 if is_available() else 0


def to_device(tensor, device):
    raise RuntimeError(f"minigrad cannot move a tensor to {device}: CUDA support is not available here "
                       "(install the 'cuda' extra with CuPy on a machine with an NVIDIA GPU)")
