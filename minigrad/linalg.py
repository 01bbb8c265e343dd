"""torch.linalg: decompositions, solvers, inverses, norms and the products torch files under linalg.

Forward is NumPy's LAPACK (and a pivoted LU of minigrad's own, NumPy having none); every backward
is the classic matrix-calculus result written with minigrad ops, so it can be differentiated again.
The differentiable primitives live in ``minigrad/ops/linalg_decomp.py``; this module holds the
public functions under torch.linalg's names, their argument checks and the functions composed of
the primitives (pinv, matrix_rank, cond, matrix_power, tensorinv, ...).
"""
from __future__ import annotations

from .ops.linalg import multi_dot, linalg_cross as cross  # noqa: F401
from .ops.linalg_decomp import LinAlgError  # noqa: F401
from .ops.linalg_decomp import (det, slogdet, inv, inv_ex, solve, solve_ex, solve_triangular, cholesky,  # noqa: F401
                                cholesky_ex, qr, svd, svdvals, eigh, eigvalsh, lu_factor, lu_factor_ex, lu,
                                lu_solve, matrix_exp, pinv, lstsq, householder_product)
