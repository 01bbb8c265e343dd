"""Who runs BLAS's threads: single-threaded BLAS for the products minigrad parallelises itself.

OpenBLAS splits a product above about 2^18 multiply-adds across its own threads, and after each
such call those threads spin, waiting for more work, for a good fraction of a second before
they sleep. On a machine with as many threads as cores the spinning thread takes a core away
from whatever runs next: a 2-thread Winograd convolution ran 41 -> 52 ms when a 256x4096x10
product (a Linear layer) came just before it, and the seed CNN's training step at batch 256 took
176 ms with BLAS threads against 147 ms without. So minigrad keeps BLAS single-threaded

* inside its own worker threads (``cpu._parallel``): the conv kernels split the batch across
  threads, each running its own GEMMs, and
* for products too small to pay for waking (and then losing) a core: under ``SERIAL_MAX``
  multiply-adds (a Linear layer at batch 256 is 10.5M),

and leaves BLAS its threads for large products. The thread count is set through threadpoolctl
and put back afterwards; without threadpoolctl (or without a BLAS it knows) nothing changes but
the speed.
"""
from __future__ import annotations

import math
import threading

import numpy as np

# Products (multiply-adds) below SERIAL_MAX run on one BLAS thread. Up to SERIAL_MIN OpenBLAS
# keeps them on the calling thread by itself (interface/gemm.c: 65536 x GEMM_MULTITHREAD_THRESHOLD),
# so those skip the thread-count calls (about 6 us: most of a 64x64x64 product).
SERIAL_MIN = 1 << 18
SERIAL_MAX = 1 << 24

_lock = threading.Lock()
_depth = 0          # nesting of serial() regions (across threads)
_saved = []         # (controller, its thread count) to restore when the outermost region ends
_controllers = None


def _blas_controllers():
    global _controllers
    if _controllers is None:
        try:
            import threadpoolctl
            _controllers = threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:   # threadpoolctl missing, or a BLAS it cannot drive: leave BLAS alone
            _controllers = []
    return _controllers


class _Serial:
    """``with serial():`` runs the body with BLAS on one thread (nested and concurrent regions
    share one setting; the outermost puts the thread count back)."""

    def __enter__(self):
        global _depth
        with _lock:
            if _depth == 0:
                _saved[:] = [(c, c.get_num_threads()) for c in _blas_controllers()]
                for c, n in _saved:
                    if n != 1:
                        c.set_num_threads(1)
            _depth += 1

    def __exit__(self, *exc):
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0:
                for c, n in _saved:
                    if n != 1:
                        c.set_num_threads(n)


_serial = _Serial()


def serial():
    """A context manager: BLAS on one thread for the body (see _Serial)."""
    return _serial


def matmul(a, b):
    """np.matmul(a, b), on one BLAS thread when the product is small (see SERIAL_MAX)."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.ndim == 0 or b.ndim == 0:
        return np.matmul(a, b)
    if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous:
        # NumPy runs a stack times a matrix as one GEMM per matrix of the stack (half the speed of
        # one GEMM at (35, 20, 200) x (200, 1000)); the stack's rows are one matrix: one GEMM
        return matmul(a.reshape(math.prod(a.shape[:-1]), a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[-1],))
    # multiply-adds: each element of a meets a row of b (n long), each element of b a column of
    # a (m long); the larger count covers batch dimensions on either side
    macs = max(a.size * (b.shape[-1] if b.ndim > 1 else 1), b.size * (a.shape[-2] if a.ndim > 1 else 1))
    if macs <= SERIAL_MIN or macs >= SERIAL_MAX:
        return np.matmul(a, b)
    with serial():
        return np.matmul(a, b)
