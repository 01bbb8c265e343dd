"""minigrad.backends: torch.backends' switches, as a CPU-only torch build reports them.

minigrad computes with NumPy and Numba (and CuPy on a GPU), never with cuDNN, MPS, oneDNN or
cuBLAS's TF32 modes, so the flags here are recorded and read back, as torch's are, but they
change no result. Programs set them (``cudnn.benchmark = True``) and branch on the
``is_available()`` answers (all False), which is what these modules exist for.
"""
from . import cpu, cuda, cudnn, mkldnn, mps  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps"]

import warnings as _warnings

_float32_matmul_precision = ["highest"]


def get_float32_matmul_precision() -> str:
    return _float32_matmul_precision[0]


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: minigrad's float32 matmuls always run at full float32 precision (NumPy's
    BLAS), which is torch's 'highest'."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in ("highest", "high", "medium"):
        _warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                       "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _float32_matmul_precision[0] = precision
