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
                                cholesky_ex, qr, svd, svdvals, eigh, eigvalsh, eig, eigvals, lu_factor, lu_factor_ex, lu,
                                lu_solve, matrix_exp, pinv, lstsq, householder_product, ldl_factor, ldl_factor_ex,
                                ldl_solve)

import numpy as np  # noqa: E402

from . import dtypes  # noqa: E402
from .ops import linalg_decomp as _decomp  # noqa: E402
from .ops.linalg import matmul  # noqa: E402,F401  (torch.linalg.matmul is torch.matmul)
from .ops.reduce import norm as _vector_norm, amax as _amax, amin as _amin, sum as _sum  # noqa: E402
from .ops.shape import movedim as _movedim, reshape as _reshape, unsqueeze as _unsqueeze, cat as _cat  # noqa: E402
from .ops.shape import diagonal as _diagonal  # noqa: E402
from .tensor import Tensor, _wrap_dim  # noqa: E402


# -- norms -----------------------------------------------------------------------------------------
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over ``dim`` (all of x by default); inf/-inf: the largest/smallest |x|;
    0: the count of nonzeros."""
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not str")
    return _vector_norm(x, ord, dim, keepdim, dtype)


def _matrix_dims(A: Tensor, dim, fn):
    if A._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{fn}: dim must be a 2-tuple. Got {' '.join(str(d) for d in np.atleast_1d(dim))}")
    d0, d1 = (_wrap_dim(d, A._data.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{fn}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def _keep(out: Tensor, dims, keepdim):
    """Put the two reduced dims back (size 1) when keepdim."""
    if not keepdim:
        return out
    for d in sorted(dims):
        out = _unsqueeze(out, d)
    return out


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """'fro': sqrt of the sum of squares; 'nuc': the sum of the singular values; 2 / -2: the largest /
    smallest singular value; 1 / -1: the largest / smallest column sum of |A|; inf / -inf: of row sums."""
    fn = "linalg.matrix_norm"
    d0, d1 = _matrix_dims(A, dim, fn)
    _decomp.check_float(A, fn)
    if dtype is not None:
        A = A.to(dtypes.as_dtype(dtype))
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        s = svdvals(_movedim(A, (d0, d1), (-2, -1)))
        out = _sum(s, -1) if ord == "nuc" else (_amax(s, -1) if ord == 2 else _amin(s, -1))
        return _keep(out, (d0, d1), keepdim)
    if ord in (1, -1, np.inf, -np.inf):
        summed, reduced = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = vector_norm(A, 1, summed, keepdim=keepdim)
        if not keepdim and reduced > summed:
            reduced -= 1
        return (_amax if ord > 0 else _amin)(sums, reduced, keepdim=keepdim)
    raise RuntimeError(f"{fn}: Order {ord} not supported.")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm (dim an int, or 1-D input) or a matrix norm (dim a pair, or 2-D input with ord);
    without ord and dim: the 2-norm of all elements."""
    if dim is not None:
        if isinstance(dim, int) or len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{A._data.ndim}D.")
    if A._data.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number: s_max / s_min (p None or 2; -2 the inverse), else norm(A, p) norm(A^{-1}, p)
    (inf for a singular matrix)."""
    fn = "linalg.cond"
    if A._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if p is None or p in (2, -2):
        s = svdvals(A)
        big, small = _amax(s, -1), _amin(s, -1)
        return big / small if p != -2 else small / big
    _decomp.check_square(A, fn)
    inverse, info = inv_ex(A)
    out = matrix_norm(A, p) * matrix_norm(inverse, p)
    if info._data.any():
        from .ops.math import where
        out = where(Tensor._make(info._data > 0), Tensor._make(np.array(np.inf, A._data.dtype)), out)
    return out


# -- powers, rank, products --------------------------------------------------------------------------
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n by repeated squaring (n < 0: of A's inverse; n = 0: the identity)."""
    fn = "linalg.matrix_power"
    if A._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    _decomp.check_square(A, fn)
    if n == 0:
        from .creation import eye
        k = A._data.shape[-1]
        # the identity written over a copy of A, as torch: in A's graph, its gradient zeros outside any graph
        return A.clone().copy_(eye(k, dtype=A.dtype).expand(A.shape))
    if n < 0:
        A, n = inv(A), -n
        if n == 1:
            return A
    if n == 1:
        return A.clone()
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The number of singular values above max(atol, rtol * the largest) (torch's defaults: rtol = eps *
    max(m, n)); an int64 tensor, without gradient."""
    fn = "linalg.matrix_rank"
    _decomp.check_matrix(A, fn)
    _decomp.check_float(A, fn)
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _decomp._tolerances(A, atol, rtol, fn)
    a = A._data
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False) if a.size else \
        np.zeros(a.shape[:-2] + (0,), a.dtype)
    atol, rtol = np.asarray(atol)[..., None], np.asarray(rtol)[..., None]   # (a Tensor's: one per matrix)
    cut = np.maximum(atol, rtol * s.max(-1, keepdims=True, initial=0))
    return Tensor._make(np.asarray((s > cut).sum(-1), dtype=np.int64))


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y) over ``dim`` (x conjugated: the same for real tensors), inputs broadcast."""
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{dtypes.SCALAR_NAMES[x.dtype.name]} and y of type {dtypes.SCALAR_NAMES[y.dtype.name]} "
                           f"instead")
    return _sum(x * y, dim)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse for tensordot(·, ·, ind): A reshaped to a square matrix, inverted, reshaped to
    A.shape[ind:] + A.shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = A._data.shape
    rows, cols = int(np.prod(shape[:ind])), int(np.prod(shape[ind:]))
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return _reshape(inv(_reshape(A, (rows, cols))), shape[ind:] + shape[:ind])


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B: the dims listed moved to the end, A reshaped to a square
    matrix, solved."""
    if dims is not None:
        nd = A._data.ndim
        dims = [_wrap_dim(d, nd) for d in dims]
        A = _movedim(A, dims, list(range(nd - len(dims), nd)))
    rows = int(np.prod(B._data.shape))
    result_shape = A._data.shape[B._data.ndim:]
    cols = int(np.prod(result_shape))
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    return _reshape(solve(_reshape(A, (rows, cols)), _reshape(B, (rows,))), result_shape)


def vander(x: Tensor, *, N=None) -> Tensor:
    """[1, x, x^2, ..., x^(N-1)] along a new last dim: each power the previous one times x (a 0-d x counts as
    one element, as torch)."""
    if x._data.ndim < 1:
        x = _unsqueeze(x, 0)
    n = x._data.shape[-1] if N is None else N
    if n <= 1:   # torch refuses N = 1 too (a single column of ones)
        raise RuntimeError("N must be greater than 1.")
    from .creation import ones
    column = _unsqueeze(x, -1)
    powers = [ones(column.shape, dtype=x.dtype)]
    for _ in range(n - 1):
        powers.append(powers[-1] * column)
    return _cat(powers, -1)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """torch.diagonal with the matrix dims last by default (a view; its gradient that of diagonal)."""
    return _diagonal(A, offset, dim1, dim2)
