"""Numeric kernels for conv and pool, free of autograd.

    reference   plain NumPy, the readable definition (and the test oracle)
    cpu         Numba @njit + BLAS, what minigrad runs on NumPy arrays
    cuda        numba.cuda kernels + CuPy matmul, what minigrad runs on CuPy (GPU) arrays
                (imported on first use: it needs numba.cuda)
    blas        when BLAS may use its own threads (not while minigrad's are busy, nor for small
                products); matmul, addmm and linear go through ``blas.matmul``
    buffers     the cpu kernels' large outputs and scratch buffers, reused once nothing refers
                to them

``for_array(a)`` picks the module that runs on ``a``'s device.
"""
import numpy as np

from . import blas, buffers, cpu, reference

__all__ = ["blas", "buffers", "cpu", "reference", "for_array"]


def for_array(array):
    """The kernel module for ``array`` (NumPy arrays: cpu; GPU arrays: cuda)."""
    if isinstance(array, np.ndarray):
        return cpu
    from . import cuda
    return cuda
