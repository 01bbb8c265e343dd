"""torch.linalg's differentiable primitives: forward with NumPy's LAPACK, backward with minigrad ops.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ._util import Op, Tensor, xp

__all__ = []


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: the factorization or inversion failed on a (numerically) singular or
    non-positive-definite input. A RuntimeError, as in torch."""
