"""Numeric kernels for conv and pool, free of autograd.

    interface   the functions every backend provides (and the defaults for fused ones)
    reference   plain NumPy, the readable definition (and the test oracle)
    cpu         Numba @njit + BLAS, what minigrad runs on NumPy arrays
    cuda        numba.cuda kernels + CuPy matmul, what minigrad runs on CuPy (GPU) arrays
    blas        when BLAS may use its own threads (not while minigrad's are busy, nor for small
                products); matmul, addmm and linear go through ``blas.matmul``
    buffers     the cpu kernels' large outputs and scratch buffers, reused once nothing refers
                to them; and ``take_over``, which lets autograd keep such an output as a ``.grad``

``for_array(a)`` picks the backend that runs on ``a``'s device. The backends load on first use
(``kernels.cpu`` imports Numba, which takes a while): ``import minigrad`` loads no Numba.
"""
import importlib

import numpy as np

from . import blas, buffers, interface, reference

__all__ = ["blas", "buffers", "interface", "reference", "cpu", "cuda", "for_array"]

_cpu = None   # the cpu backend, once loaded


def for_array(array):
    """The kernel module for ``array`` (NumPy arrays: cpu; GPU arrays: cuda)."""
    if isinstance(array, np.ndarray):
        return _cpu or _load_cpu()
    from . import cuda
    return cuda


def _load_cpu():
    global _cpu
    from . import cpu
    _cpu = cpu
    return cpu


def __getattr__(name):
    """``kernels.cpu`` and ``kernels.cuda``, imported when first asked for."""
    if name in ("cpu", "cuda"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
