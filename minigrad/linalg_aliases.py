"""The top-level torch functions of linear algebra (torch.det, torch.inverse, torch.svd, torch.lu, ...):
torch.linalg's functions under their older names and signatures, and the few with no linalg twin
(cholesky_inverse, cholesky_solve, triangular_solve, geqrf, ormqr, svd_lowrank, pca_lowrank)."""
from __future__ import annotations

import warnings

import numpy as np

import importlib

from .linalg import LinAlgError  # noqa: F401

# minigrad.linalg, torch.linalg's namespace (``from . import linalg`` would find ops.linalg, which the
# package's ``from .ops import *`` binds under that name first)
linalg = importlib.import_module(".linalg", __package__)
from .ops import linalg_decomp as _decomp
from .autograd import grad_mode
from .ops._util import Op, SavesOperands, Tensor, overload
from .ops.linalg_decomp import _batch_count, mT, matmul, result_type, lu_unpack  # noqa: F401

from .sparse import sparse_coo_tensor, spmm, strided, sparse_coo  # noqa: E402,F401  (torch.sparse_coo_tensor, layouts)

__all__ = ["sparse_coo_tensor", "spmm", "strided", "sparse_coo", "det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "cholesky_inverse", "cholesky_solve", "qr",
           "svd", "lu", "lu_solve", "lu_unpack", "matrix_exp", "matrix_power", "triangular_solve", "geqrf", "ormqr",
           "svd_lowrank", "pca_lowrank"]

det = linalg.det
inverse = linalg.inv
matrix_exp = linalg.matrix_exp
matrix_power = linalg.matrix_power


def slogdet(input: Tensor):
    return result_type("slogdet", ("sign", "logabsdet"))(*linalg.slogdet(input))


def logdet(input: Tensor) -> Tensor:
    """log det(A): NaN for a negative determinant, -inf for a zero one."""
    from .ops.math import where
    sign, logabs = linalg.slogdet(input)
    nan = Tensor._make(np.array(np.nan, dtype=input._data.dtype))
    return where(Tensor._make(sign._data < 0), nan, logabs)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    return linalg.pinv(input, rtol=rcond)


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                  "PyTorch release.", UserWarning, stacklevel=2)
    _decomp.check_square(input, "linalg.cholesky")
    _decomp.check_float(input, "linalg.cholesky")
    L, info = _decomp.LinalgCholeskyEx.apply(input, upper)
    _decomp.raise_for_info(info._data, "cholesky", _decomp._cholesky_message)
    return overload(L, "CholeskyBackward0")


def _lower_factor(factor, upper):
    """The lower-triangular L of A = L L^T from a Cholesky factor array (L, or U = L^T when upper); the
    other triangle is not read."""
    return _decomp._np_mT(np.triu(factor)) if upper else np.tril(factor)


def _cholesky_solve_array(b, factor, upper):
    low = _lower_factor(factor, upper)
    return _decomp._substitute(_decomp._np_mT(low), _decomp._substitute(low, b, upper=False), upper=True)


def _factor_grad(common, factor, upper):
    """torch's gradient of a Cholesky factor, -C L (-U C when upper) for the symmetric C: a full matrix, so
    the triangle the forward ignores gets a gradient too, as in torch (derivatives.yaml)."""
    return -matmul(factor, common) if upper else -matmul(common, factor)


class CholeskySolve(Op):
    """X = (L L^T)^{-1} B from the factor L (U^T U when upper);  dX/dB = cholesky_solve(g, L),
    dX/dL = -(G X^T + X G^T) L (-U (G X^T + X G^T) when upper), G = dX/dB (torch's cholesky_solve_backward)"""

    @staticmethod
    def forward(ctx, b, factor, upper):
        ctx.upper = upper
        x = _cholesky_solve_array(b, factor, upper).astype(b.dtype)
        ctx.save_for_backward(factor, x, b)   # (b only for the version check: torch's node saves it)
        return x

    @staticmethod
    def backward(ctx, g):
        factor, x, _ = ctx.saved_tensors
        gb = CholeskySolve.apply(g, factor, ctx.upper)
        common = matmul(gb, mT(x))
        return gb, _factor_grad(common + mT(common), factor, ctx.upper), None


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """X with A X = B for A = L L^T given its Cholesky factor (input2): two triangular solves."""
    _decomp.check_matrix(input, "linalg.cholesky_solve", "b")
    _decomp.check_matrix(input2, "linalg.cholesky_solve", "u")
    if input._data.dtype.kind not in "fc" and input._data.dtype == input2._data.dtype:
        raise NotImplementedError(f'"cholesky_solve_cpu" not implemented for '
                                  f"'{_decomp.dtypes.SCALAR_NAMES[input.dtype.name]}'")
    if input._data.dtype != input2._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{input.dtype} and A of type {input2.dtype} instead.")
    return CholeskySolve.apply(input, input2, upper)


class CholeskyInverse(Op):
    """Y = (L L^T)^{-1} from the factor L (U^T U when upper);  dY/dL = -Y (g + g^T) Y L
    (-U Y (g + g^T) Y when upper) (torch's cholesky_inverse_backward)"""

    @staticmethod
    def forward(ctx, factor, upper):
        ctx.upper = upper
        eye = np.broadcast_to(np.eye(factor.shape[-1], dtype=factor.dtype), factor.shape)
        y = _cholesky_solve_array(eye, factor, upper).astype(factor.dtype)
        ctx.save_for_backward(factor, y)
        return y

    @staticmethod
    def backward(ctx, g):
        factor, y = ctx.saved_tensors
        return _factor_grad(matmul(y, matmul(g + mT(g), y)), factor, ctx.upper), None


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """(L L^T)^{-1} from a Cholesky factor L (U^T U when upper)."""
    _decomp.check_square(input, "cholesky_inverse", "input")
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f'"cholesky_inverse_out_cpu" not implemented for '
                                  f"'{_decomp.dtypes.SCALAR_NAMES[input.dtype.name]}'")
    return CholeskyInverse.apply(input, upper)


def qr(input: Tensor, some: bool = True):
    q, r = linalg.qr(input, "reduced" if some else "complete")
    return result_type("qr", ("Q", "R"))(q, r)


def svd(input: Tensor, some: bool = True, compute_uv: bool = True):
    """U, S, V (V, not V^T); without compute_uv, U and V are zero-filled square matrices."""
    result = result_type("svd", ("U", "S", "V"))
    if not compute_uv:
        from .creation import zeros
        m, n = input._data.shape[-2:]
        batch = input._data.shape[:-2]
        return result(zeros(batch + (m, m), dtype=input.dtype), linalg.svdvals(input),
                      zeros(batch + (n, n), dtype=input.dtype))
    u, s, vh = linalg.svd(input, full_matrices=not some)
    return result(u, s, mT(vh))


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out=None):
    """(LU, pivots) or (LU, pivots, infos) of linalg.lu_factor_ex, errors raised unless get_infos."""
    LU, pivots, infos = linalg.lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return LU, pivots, infos
    _decomp.raise_for_info(infos._data, "torch.linalg.lu_factor", _decomp._lu_message)
    return LU, pivots


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    return linalg.lu_solve(LU_data, LU_pivots, b)


class ClonedCoefficient(Op):
    """z = A (triangular_solve's second output);  dz/dA = g, dz/db = 0  (torch's one node gives b zeros)"""

    @staticmethod
    def forward(ctx, A, b, solution):
        # b, A and the solution, as torch's one node saves them: a write into any of them before a
        # backward through this output raises too
        ctx.save_for_backward(A, b, solution)
        return A.copy()

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # (the version check)
        zeros = None
        if ctx.needs_input_grad[1]:
            shape, dtype = ctx._input_meta[1]
            zeros = Tensor._make(np.zeros(shape, dtype))
        return g, zeros, None


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False):
    """(solution, cloned_coefficient) of A X = b (A^T X = b when transpose), A's upper or lower triangle."""
    warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    coefficient = mT(A) if transpose else A
    x = linalg.solve_triangular(coefficient, b, upper=upper != transpose, unitriangular=unitriangular)
    if x._requires_grad and grad_mode.state.grad_enabled:   # (torch's one node saves b, A and the solution)
        x = SavesOperands.apply_to(x, (b, A), result=True)
    return result_type("triangular_solve", ("solution", "cloned_coefficient"))(
        overload(x, "TriangularSolveBackward0"), overload(ClonedCoefficient.apply(A, b, x), "TriangularSolveBackward0"))


class Geqrf(Op):
    """LAPACK's packed QR (Householder vectors below R, and their scales tau); no derivative, as in torch"""

    @staticmethod
    def forward(ctx, a):
        m, n = a.shape[-2:]
        flat = a.reshape((_batch_count(a), m, n))
        packed = np.empty_like(flat)
        tau = np.zeros((len(flat), min(m, n)), dtype=a.dtype)
        for i, x in enumerate(flat):
            if x.size:
                h, t = np.linalg.qr(x, mode="raw")
                packed[i], tau[i] = h.T, t
        return packed.reshape(a.shape).astype(a.dtype), tau.reshape(a.shape[:-2] + (min(m, n),))

    @staticmethod
    def backward(ctx, ga, gtau):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


def geqrf(input: Tensor):
    _decomp.check_matrix(input, "geqrf", "input")
    _decomp.check_float(input, "geqrf")
    return result_type("geqrf", ("a", "tau"))(*Geqrf.apply(input))


def ormqr(input: Tensor, input2: Tensor, input3: Tensor, left: bool = True, transpose: bool = False) -> Tensor:
    """Q C, Q^T C, C Q or C Q^T with Q (m x m) the product of geqrf's Householder reflectors."""
    from .ops.shape import cat
    from .creation import zeros
    m, n = input._data.shape[-2:]
    k = input2._data.shape[-1]
    batch = input._data.shape[:-2]
    if m > n:
        reflectors = cat([input, zeros(batch + (m, m - n), dtype=input.dtype)], -1)
    else:   # a wide geqrf result: only its first m columns hold reflectors
        reflectors = input[..., :m]
    q = linalg.householder_product(reflectors, input2) if k == m else linalg.householder_product(
        reflectors, cat([input2, zeros(batch + (m - k,), dtype=input2.dtype)], -1))
    if transpose:
        q = mT(q)
    out = matmul(q, input3) if left else matmul(input3, q)
    if out._requires_grad and grad_mode.state.grad_enabled:   # (torch's one node saves the three and the result)
        out = overload(SavesOperands.apply_to(out, (input, input2, input3), result=True), "OrmqrBackward0")
    return out


def _approximate_basis(A: Tensor, q: int, niter: int, M=None) -> Tensor:
    """An orthonormal basis (m x q) of A's dominant range: a random projection refined by niter power
    iterations (Halko, Martinsson and Tropp 2011, algorithm 4.4, as torch's get_approximate_basis)."""
    from .creation import randn
    n = A._data.shape[-1]
    R = randn(A._data.shape[:-2] + (n, q), dtype=A.dtype)
    X = matmul(A, R) if M is None else matmul(A, R) - matmul(M, R)
    Q = linalg.qr(X).Q
    for _ in range(niter):
        X = matmul(mT(A), Q) if M is None else matmul(mT(A), Q) - matmul(mT(M), Q)
        Q = linalg.qr(X).Q
        X = matmul(A, Q) if M is None else matmul(A, Q) - matmul(M, Q)
        Q = linalg.qr(X).Q
    return Q


def svd_lowrank(A: Tensor, q: int = 6, niter: int = 2, M=None):
    """A rank-q approximate SVD (U, S, V) of A - M by a randomized range finder."""
    m, n = A._data.shape[-2:]
    q = min(q, m, n)
    if m < n:   # work on the transpose: its range is the smaller one
        U, S, V = svd_lowrank(mT(A), q, niter, None if M is None else mT(M))
        return V, S, U
    Q = _approximate_basis(A, q, niter, M)
    B = matmul(mT(Q), A) if M is None else matmul(mT(Q), A) - matmul(mT(Q), M)
    u, s, vh = linalg.svd(B, full_matrices=False)
    return matmul(Q, u), s, mT(vh)


def pca_lowrank(A: Tensor, q=None, center: bool = True, niter: int = 2):
    """svd_lowrank of A with its column means removed (center), q = min(6, m, n) by default."""
    from .ops.reduce import mean
    m, n = A._data.shape[-2:]
    q = min(6, m, n) if q is None else q
    if not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not center:
        return svd_lowrank(A, q, niter)
    return svd_lowrank(A - mean(A, -2, keepdim=True), q, niter)
