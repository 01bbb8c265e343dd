"""torch.linalg's differentiable primitives: the forward on arrays (NumPy's LAPACK, and a pivoted LU
of minigrad's own, NumPy having none), the backward written with minigrad ops, so that it can be
differentiated again. The public functions under torch.linalg's names are in ``minigrad/linalg.py``.

Conventions shared by every backward here (matrices are batched over the leading dims):
    A^T is the transpose of the last two dims (the conjugate transpose: no complex dtype yet);
    the engine sums a gradient over the batch dims its input was broadcast along.
"""
from __future__ import annotations

import collections

import numpy as np

from .. import dtypes
from ._util import Op, SavesOperands, Tensor, broadcast_shape, overload, xp
from ..autograd.grad_mode import is_grad_enabled

# the public functions, exported by minigrad/linalg.py under torch.linalg's names
LINALG = ["det", "slogdet", "inv", "inv_ex", "solve", "solve_ex", "solve_triangular", "cholesky", "cholesky_ex", "qr",
          "svd", "svdvals", "eigh", "eigvalsh", "eig", "eigvals"]
__all__ = []


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a factorization or inversion failed on a (numerically) singular or
    non-positive-definite input. A RuntimeError, as in torch."""


_RESULT_TYPES = {}


def result_type(name: str, fields: tuple):
    """torch.return_types.<name>: a named tuple of the results (``svd.U``, ``slogdet.logabsdet``...)."""
    if name not in _RESULT_TYPES:
        cls = collections.namedtuple(name, fields)
        cls.__module__ = "minigrad.return_types"
        _RESULT_TYPES[name] = cls
    return _RESULT_TYPES[name]


# -- helpers on Tensors (differentiable) ----------------------------------------------------------
def mT(x: Tensor) -> Tensor:
    from .shape import transpose
    return transpose(x, -2, -1)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    from .shape import unsqueeze as unsqueeze_
    return unsqueeze_(x, dim)


def eye_like(n: int, ref: Tensor) -> Tensor:
    return Tensor._make(xp(ref._data).eye(n, dtype=ref._data.dtype))


def diag_embed(v: Tensor) -> Tensor:
    """(..., n) -> (..., n, n) with v on the diagonal."""
    return unsqueeze(v, -1) * eye_like(v._data.shape[-1], v)


def diagonal(x: Tensor) -> Tensor:
    """(..., n, n) -> (..., n): the diagonal."""
    from .reduce import sum as sum_
    return sum_(x * eye_like(x._data.shape[-1], x), -1)


def tril(x: Tensor, k: int = 0) -> Tensor:
    from .shape import tril as tril_
    return tril_(x, k)


def triu(x: Tensor, k: int = 0) -> Tensor:
    from .shape import triu as triu_
    return triu_(x, k)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    from .linalg import matmul as matmul_
    return matmul_(a, b)


def _np_mT(a):
    return np.swapaxes(a, -1, -2)


# -- argument checks, in torch's words -------------------------------------------------------------
def check_float(A: Tensor, fn: str, arg: str = "input"):
    if not dtypes.is_inexact(A._data.dtype):
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as {arg}. Got "
                           f"{dtypes.SCALAR_NAMES[A.dtype.name]}")


def check_matrix(A: Tensor, fn: str, name: str = "A"):
    if A._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {name} must have at least 2 dimensions.")


def check_square(A: Tensor, fn: str, name: str = "A"):
    check_matrix(A, fn, name)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{fn}: {name} must be batches of square matrices, but they are {m} by {n} matrices")


def check_same_dtype(A: Tensor, B: Tensor, fn: str, a: str = "A", b: str = "B"):
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{fn}: Expected {a} and {b} to have the same dtype, but found {a} of type "
                           f"{dtypes.SCALAR_NAMES[A.dtype.name]} and {b} of type {dtypes.SCALAR_NAMES[B.dtype.name]} "
                           f"instead")


def raise_for_info(info, fn: str, message, error=None):
    """torch's LinAlgError (or ``error``) for the first nonzero ``info`` (per batch element: "(Batch element k): ")."""
    info = np.asarray(info)
    bad = np.flatnonzero(info.reshape(-1))
    if not bad.size:
        return
    k = bad[0]
    prefix = f"(Batch element {k}): " if info.ndim else ""
    raise (error or LinAlgError)(f"{fn}: {prefix}{message(int(info.reshape(-1)[k]))}")


# -- LU with partial pivoting (LAPACK's getrf, which NumPy does not expose) ------------------------
def lu_factor_array(a):
    """(LU, pivots, info) of a (..., m, n): LAPACK's packed LU (L unit lower, U upper) with 1-based
    int32 pivots (row i was swapped with row pivots[i]) and info = the first zero pivot (1-based), 0 if none."""
    shape = a.shape
    m, n = shape[-2:]
    k = min(m, n)
    lu = np.array(a, dtype=a.dtype, copy=True).reshape((_batch_count(a), m, n))
    batch = lu.shape[0]
    pivots = np.zeros((batch, k), dtype=np.int32)
    info = np.zeros(batch, dtype=np.int32)
    rows = np.arange(batch)
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)     # the largest |entry| (the first on ties)
        pivots[:, j] = p + 1
        row_j, row_p = lu[rows, j].copy(), lu[rows, p].copy()
        lu[rows, j], lu[rows, p] = row_p, row_j
        pivot = lu[:, j, j]
        zero = pivot == 0
        info[(info == 0) & zero] = j + 1
        scale = np.where(zero, 1, pivot)[:, None]            # a zero pivot leaves its column as it is
        lu[:, j + 1:, j] = np.where(zero[:, None], lu[:, j + 1:, j], lu[:, j + 1:, j] / scale)
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, None, j, j + 1:]
    return lu.reshape(shape), pivots.reshape(shape[:-2] + (k,)), info.reshape(shape[:-2])


def _batch_count(a, core=2):
    """How many matrices (or vectors, ``core=1``) a batched array holds: its leading dims'
    product, which reshape((-1, ...)) cannot infer when a core dim is 0."""
    return int(np.prod(a.shape[:-core], dtype=np.int64))


def permutation_from_pivots(pivots, m):
    """The permutation matrix P (A = P L U) of LAPACK's sequential row swaps, batched."""
    batch_shape = pivots.shape[:-1]
    piv = pivots.reshape((_batch_count(pivots, 1), pivots.shape[-1])) - 1
    perm = np.tile(np.arange(m), (piv.shape[0], 1))
    for b in range(piv.shape[0]):
        for i, p in enumerate(piv[b]):
            perm[b, i], perm[b, p] = perm[b, p], perm[b, i]
    P = np.zeros((piv.shape[0], m, m))
    P[np.arange(piv.shape[0])[:, None], perm, np.arange(m)[None, :]] = 1
    return P.reshape(batch_shape + (m, m))


def _lu_info(a):
    return lu_factor_array(a)[2]


# -- determinant -----------------------------------------------------------------------------------
class LinalgDet(Op):
    """z = det(A);  dz/dA = z A^{-T} (the adjugate's transpose; torch's linalg_det_backward)"""

    @staticmethod
    def forward(ctx, a):
        z = np.linalg.det(a).astype(a.dtype)
        ctx.save_for_backward(a, z)
        return z

    @staticmethod
    def backward(ctx, g):
        a, z = ctx.saved_tensors
        if a._data.size == 0:
            return unsqueeze(unsqueeze(g * z, -1), -1) * a.detach()
        if a._data.shape[-1] == 1:
            # det of a 1x1 matrix is its entry: the gradient is g itself, also where the entry is 0 (torch's
            # linalg_det_backward: g expanded, in g's graph only)
            from .shape import expand
            return expand(unsqueeze(unsqueeze(g, -1), -1), a._data.shape)
        d = unsqueeze(unsqueeze(g * z, -1), -1) * eye_like(a._data.shape[-1], a)   # (g z) I
        if not is_grad_enabled():
            return Tensor._make(_det_grad_lu(a._data, d._data))
        # Differentiable again: torch solves A^T G = (g z) I with linalg.solve (so that G's graph is
        # solve's: a gradient flowing back into G later reaches A through X = G as solve's does), and
        # takes the matrices with |det| < 100 eps through the SVD instead
        singular = np.abs(z._data) < 100 * np.finfo(a._data.dtype).eps
        return _masked_batches(singular, lambda a_, d_, g_: _det_grad_svd(a_, g_),
                               lambda a_, d_, g_: solve(mT(a_), d_), a, d, g)


def _det_grad_lu(a, d):
    """torch's first-order det gradient: solve A^T G = d with A's LU, its zero pivots replaced by eps
    (det is C^1, so a singular A is taken as a nearby invertible one: d = 0 then gives G = 0)."""
    lu, pivots, info = lu_factor_array(a)
    if not np.any(info):
        return np.linalg.solve(_np_mT(a), d).astype(a.dtype)
    k = np.arange(a.shape[-1])
    lu[..., k, k] = np.where(lu[..., k, k] == 0, np.finfo(a.dtype).eps, lu[..., k, k])
    P, L, U = _unpack_arrays(lu, pivots)
    # (P L U)^T G = d:  G = P L^{-T} U^{-T} d
    return (P @ np.linalg.solve(_np_mT(L), np.linalg.solve(_np_mT(U), d))).astype(a.dtype)


def _det_grad_svd(a, g):
    """The det gradient of (nearly) singular matrices through A = U diag(S) V^T (torch's
    linalg_det_backward): U diag(d prod(S)/dS * det(U) det(V^T) g) V^T, no division by S."""
    U, S, Vh = svd(a)
    alpha = det(U) * det(Vh) * g
    return matmul(U * unsqueeze(_prod_safe_zeros_grad(unsqueeze(alpha, -1), S), -2), Vh)


def _prod_safe_zeros_grad(g, x):
    """g * d prod(x, -1) / dx without dividing (zeros allowed): the exclusive products from the left
    times those from the right (torch's prod_safe_zeros_backward)."""
    from .reduce import cumprod
    from .shape import cat, flip
    n = x._data.shape[-1]
    if x._data.size == 0 or n == 1:
        return g * Tensor._make(np.ones_like(x._data))
    ones = Tensor._make(np.ones(x._data.shape[:-1] + (1,), dtype=x._data.dtype))
    left = cumprod(cat([ones, x[..., :n - 1]], -1), -1)
    right = flip(cumprod(cat([ones, flip(x[..., 1:], [-1])], -1), -1), [-1])
    return g * (left * right)


def _masked_batches(mask, where_true, where_false, a, *others):
    """Per matrix of the batch: ``where_true(a, *others)`` where ``mask`` holds, ``where_false`` where
    not (torch's masked_fmap); each function sees only its own matrices."""
    if mask.all():
        return where_true(a, *others)
    if not mask.any():
        return where_false(a, *others)
    from .shape import cat, reshape
    batch = mask.shape   # every tensor's leading dims
    flat = [reshape(t, (-1,) + t._data.shape[len(batch):]) for t in (a,) + others]
    yes, no = np.flatnonzero(mask.reshape(-1)), np.flatnonzero(~mask.reshape(-1))
    parts = cat([where_true(*[t[yes] for t in flat]), where_false(*[t[no] for t in flat])], 0)
    order = np.argsort(np.concatenate([yes, no]))
    return reshape(parts[order], batch + parts._data.shape[1:])


class LinalgSlogdet(Op):
    """(s, z) = (sign det(A), log|det(A)|);  dz/dA = A^{-T} (the sign has no gradient)"""

    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        sign = sign.astype(a.dtype)
        ctx.save_for_backward(a, sign)   # (the sign too, as torch's node: writing it before backward raises)
        ctx.set_materialize_grads(False)
        # the sign is an output of the node too (requires_grad, as in torch), with a zero derivative
        return sign, logabs.astype(a.dtype)

    @staticmethod
    def backward(ctx, g_sign, g):
        a, _ = ctx.saved_tensors
        if g is None:
            return None   # only the (real) sign was used: no gradient at all, as torch (A.grad stays None)
        if is_grad_enabled() and a._data.size:   # differentiable again: through linalg.solve, as torch
            return solve(mT(a), unsqueeze(unsqueeze(g, -1), -1) * eye_like(a._data.shape[-1], a))
        return unsqueeze(unsqueeze(g, -1), -1) * mT(inv(a))


def det(A: Tensor) -> Tensor:
    check_square(A, "linalg.det")
    check_float(A, "linalg.det")
    return LinalgDet.apply(A)


def slogdet(A: Tensor):
    check_square(A, "linalg.slogdet")
    check_float(A, "linalg.slogdet")
    return result_type("linalg_slogdet", ("sign", "logabsdet"))(*LinalgSlogdet.apply(A))


# -- inverse and solve -----------------------------------------------------------------------------
class LinalgInvEx(Op):
    """Z = A^{-1};  dZ/dA = -Z^T g Z^T   (info: the first zero pivot, no gradient)"""

    @staticmethod
    def forward(ctx, a):
        info = np.zeros(a.shape[:-2], dtype=np.int32)
        try:
            z = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            info = _lu_info(a)
            with np.errstate(all="ignore"):
                z = np.linalg.pinv(a) * np.nan   # a singular matrix has no inverse: NaNs, info says so
            z = np.where(info[..., None, None] == 0, np.linalg.inv(np.where(info[..., None, None] == 0, a,
                                                                             np.eye(a.shape[-1], dtype=a.dtype))), z)
        z = z.astype(a.dtype)
        ctx.save_for_backward(z)
        ctx.mark_non_differentiable(info)
        return z, info

    @staticmethod
    def backward(ctx, g, g_info):
        z, = ctx.saved_tensors
        zt = mT(z)
        return -matmul(matmul(zt, g), zt)


def inv_ex(A: Tensor, *, check_errors: bool = False):
    check_square(A, "linalg.inv")
    check_float(A, "linalg.inv")
    out = LinalgInvEx.apply(A)
    if check_errors:
        raise_for_info(out[1]._data, "linalg.inv_ex", _inv_message)
    return result_type("linalg_inv_ex", ("inverse", "info"))(*out)


def _inv_message(i):
    return (f"The diagonal element {i} is zero, the inversion could not be completed because the input matrix is "
            f"singular.")


def inv(A: Tensor) -> Tensor:
    z, info = inv_ex(A)
    raise_for_info(info._data, "linalg.inv", _inv_message)
    return z


def _is_vector_rhs(A_shape, B_shape) -> bool:
    """torch.linalg.solve's rule: B is a (batch of) vector(s) when it is 1-D, or has one dim less than A
    and A's batch and size."""
    return len(B_shape) == 1 or (len(B_shape) == len(A_shape) - 1 and B_shape == A_shape[:-1])


class LinalgSolveEx(Op):
    """X = A^{-1} B (left) or B A^{-1};  dX/dB = solve(A^T, g),  dX/dA = -gB X^T (left) or -X^T gB"""

    @staticmethod
    def forward(ctx, a, b, left, vector):
        ctx.left, ctx.vector = left, vector
        bm = b[..., None] if vector else b
        batch = broadcast_shape(a.shape[:-2], bm.shape[:-2])
        info = np.zeros(a.shape[:-2], dtype=np.int32)    # one per matrix of A, as torch
        an, bn = (a, bm) if left else (_np_mT(a), _np_mT(bm))
        try:
            x = np.linalg.solve(np.broadcast_to(an, batch + an.shape[-2:]), np.broadcast_to(bn, batch + bn.shape[-2:]))
        except np.linalg.LinAlgError:
            info = _lu_info(a)
            x = np.full(batch + bn.shape[-2:], np.nan, dtype=a.dtype)
        if not left:
            x = _np_mT(x)
        x = (x[..., 0] if vector else x).astype(a.dtype)
        ctx.save_for_backward(a, x)
        ctx.mark_non_differentiable(info)
        return x, info

    @staticmethod
    def backward(ctx, g, g_info):
        a, x = ctx.saved_tensors
        gb = LinalgSolveEx.apply(mT(a), g, ctx.left, ctx.vector)[0]
        need = ctx.needs_input_grad
        ga = None
        if need[0]:
            gbm, xm = (unsqueeze(gb, -1), unsqueeze(x, -1)) if ctx.vector else (gb, x)
            ga = -matmul(gbm, mT(xm)) if ctx.left else -matmul(mT(xm), gbm)
        return ga, gb if need[1] else None


def _check_solve(A, B, fn, left=True):
    check_square(A, fn)
    check_float(A, fn)
    check_same_dtype(A, B, fn)
    vector = left and _is_vector_rhs(A._data.shape, B._data.shape)
    bs = B._data.shape
    n = A._data.shape[-1]
    k = (bs[-1] if vector else bs[-2] if left else bs[-1]) if bs else None
    if not bs or k != n or (not vector and B._data.ndim < 2):
        rows = bs[-1] if vector or len(bs) < 2 else bs[-2]
        cols = 1 if vector or len(bs) < 2 else bs[-1]
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {rows}x{cols})")
    broadcast_shape(A._data.shape[:-2], bs[:-1] if vector else bs[:-2])
    return vector


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    vector = _check_solve(A, B, "linalg.solve", left)
    out = LinalgSolveEx.apply(A, B, left, vector)
    if check_errors:
        raise_for_info(out[1]._data, "torch.linalg.solve_ex", _solve_message)
    return result_type("linalg_solve_ex", ("result", "info"))(*out)


def _solve_message(i):
    return "The solver failed because the input matrix is singular."


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    x, info = solve_ex(A, B, left=left)
    raise_for_info(info._data, "torch.linalg.solve", _solve_message)
    return x


# -- triangular solve ------------------------------------------------------------------------------
def _triangular_array(a, upper, unitriangular):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        n = a.shape[-1]
        t = t.copy()
        t[..., np.arange(n), np.arange(n)] = 1
    return t


def _substitute(t, b, upper):
    """Solve T X = B by substitution (a zero on T's diagonal gives inf and NaN, as LAPACK's trtrs)."""
    n = t.shape[-1]
    x = np.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:], dtype=np.result_type(t, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(all="ignore"):
        for i in order:
            acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)
            x[..., i, :] = acc / t[..., i, i, None]
    return x


class LinalgSolveTriangular(Op):
    """X = T^{-1} B (left) or B T^{-1}, T the upper or lower triangle of A;  dX/dB = solve_triangular(T^T, g),
    dX/dA = the triangle of -gB X^T (left) or -X^T gB (strict triangle when unitriangular)"""

    @staticmethod
    def forward(ctx, a, b, upper, left, unitriangular):
        ctx.upper, ctx.left, ctx.unitriangular = upper, left, unitriangular
        t = _triangular_array(a, upper, unitriangular)
        tn, bn, up = (t, b, upper) if left else (_np_mT(t), _np_mT(b), not upper)
        try:
            shape = np.broadcast_shapes(tn.shape[:-2], bn.shape[:-2])
            x = np.linalg.solve(np.broadcast_to(tn, shape + tn.shape[-2:]), np.broadcast_to(bn, shape + bn.shape[-2:]))
        except np.linalg.LinAlgError:
            x = _substitute(tn, bn, up)
        x = (x if left else _np_mT(x)).astype(a.dtype)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = LinalgSolveTriangular.apply(mT(a), g, not ctx.upper, ctx.left, ctx.unitriangular)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -matmul(gb, mT(x)) if ctx.left else -matmul(mT(x), gb)
            k = 1 if ctx.unitriangular else 0
            ga = triu(ga, k) if ctx.upper else tril(ga, -k)
        return ga, gb if ctx.needs_input_grad[1] else None


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    fn = "linalg.solve_triangular"
    check_square(A, fn)
    check_matrix(B, fn, "B")
    check_float(A, fn)
    check_same_dtype(A, B, fn)
    n = A._data.shape[-1]
    k = B._data.shape[-2] if left else B._data.shape[-1]
    if k != n:
        rows, cols = B._data.shape[-2:]
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({n}x{n} and {rows}x{cols})")
    broadcast_shape(A._data.shape[:-2], B._data.shape[:-2])
    return LinalgSolveTriangular.apply(A, B, upper, left, unitriangular)


# -- Cholesky --------------------------------------------------------------------------------------
class LinalgCholeskyEx(Op):
    """A = L L^T;  dL/dA = L^{-T} Phi(L^T gL) L^{-1}, Phi(X) = (X + X^T)/2 of X's lower triangle with its
    diagonal (torch's cholesky_backward: a symmetric gradient)"""

    @staticmethod
    def forward(ctx, a, upper):
        ctx.upper = upper
        info = np.zeros(a.shape[:-2], dtype=np.int32)
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            info = _cholesky_info(a)
            low = np.where(info[..., None, None] == 0,
                           np.linalg.cholesky(np.where(info[..., None, None] == 0, a, np.eye(a.shape[-1]))), np.nan)
        low = np.tril(low).astype(a.dtype)
        out = _np_mT(low).copy() if upper else low
        ctx.save_for_backward(out)
        ctx.mark_non_differentiable(info)
        return out, info

    @staticmethod
    def backward(ctx, g, g_info):
        out, = ctx.saved_tensors
        low, g_low = (mT(out), mT(g)) if ctx.upper else (out, g)
        phi = tril(matmul(mT(low), g_low))
        phi = (phi + mT(tril(phi, -1))) * 0.5
        ga = LinalgSolveTriangular.apply(mT(low), phi, True, True, False)
        return LinalgSolveTriangular.apply(low, ga, False, False, False)


def _cholesky_info(a):
    """The order of the first leading minor that is not positive-definite, per matrix (0: none)."""
    flat = a.reshape((_batch_count(a),) + a.shape[-2:])
    info = np.zeros(len(flat), dtype=np.int32)
    for b, m in enumerate(flat):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                info[b] = k
                break
    return info.reshape(a.shape[:-2])


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    check_square(A, "linalg.cholesky")
    check_float(A, "linalg.cholesky")
    out = LinalgCholeskyEx.apply(A, upper)
    if check_errors:
        raise_for_info(out[1]._data, "linalg.cholesky_ex", _cholesky_message)
    return result_type("linalg_cholesky_ex", ("L", "info"))(*out)


def _cholesky_message(i):
    return (f"The factorization could not be completed because the input is not positive-definite (the leading "
            f"minor of order {i} is not positive-definite).")


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    low, info = cholesky_ex(A, upper=upper)
    raise_for_info(info._data, "linalg.cholesky", _cholesky_message)
    return low


# -- QR --------------------------------------------------------------------------------------------
class LinalgQr(Op):
    """A = QR;  m >= n: dQR/dA = (gQ + Q copyltu(M)) R^{-T}, M = R gR^T - gQ^T Q, copyltu(M) = tril(M) +
    tril(M, -1)^T;  m < n: A = [X | Y], R = [U | V]: gX from the square rule with gQ + Y gV^T, gY = Q gV"""

    @staticmethod
    def forward(ctx, a, mode):
        ctx.mode = mode
        m, n = a.shape[-2:]
        if mode == "r":
            r = np.linalg.qr(a, mode="r") if a.size else np.zeros(a.shape[:-2] + (min(m, n), n), a.dtype)
            q = xp(a).zeros((0,), dtype=a.dtype)
        elif a.size:
            q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        else:
            k = m if mode == "complete" else min(m, n)
            q = np.broadcast_to(np.eye(m, k, dtype=a.dtype), a.shape[:-2] + (m, k)).copy()
            r = np.zeros(a.shape[:-2] + (k, n), dtype=a.dtype)
        q, r = q.astype(a.dtype), r.astype(a.dtype)
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                               "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        m, n = q._data.shape[-2], r._data.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise NotImplementedError("The QR decomposition is not differentiable when mode='complete' and "
                                      "nrows > ncols.")
        if m >= n:
            return _qr_square_grad(q, r, gq, gr)
        from .shape import cat, narrow
        u, v, gu, gv = narrow(r, -1, 0, m), narrow(r, -1, m, n - m), narrow(gr, -1, 0, m), narrow(gr, -1, m, n - m)
        y = matmul(q, v)
        gx = _qr_square_grad(q, u, gq + matmul(y, mT(gv)), gu)
        return cat([gx, matmul(q, gv)], -1)


def _qr_square_grad(q, r, gq, gr):
    x = triu(matmul(gr, mT(r)) - matmul(mT(q), gq))
    sym = x + mT(x) - diag_embed(diagonal(x))
    return _solve_right_rt(r, matmul(q, sym) + gq)


def _solve_right_rt(r, b):
    """b R^{-T} with R upper triangular (square part of R: the reduced QR's R is n x n here)."""
    return LinalgSolveTriangular.apply(mT(r), b, False, False, False)


def qr(A: Tensor, mode: str = "reduced"):
    check_matrix(A, "linalg.qr")
    check_float(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           f"or 'complete'")
    return result_type("linalg_qr", ("Q", "R"))(*LinalgQr.apply(A, mode))


# -- SVD and eigh ----------------------------------------------------------------------------------
class LinalgSvd(Op):
    """A = U diag(S) V^T;  dS: U diag(gS) V^T;  dU, dV: U [(skew(U^T gU) S + S skew(V^T gV)) / E] V^T with
    E_ij = S_j^2 - S_i^2 (torch's svd_backward, its gauge terms and the (I - UU^T) gU S^{-1} V^T terms of
    non-square A included). E vanishes for repeated singular values: inf and NaN there, as torch."""

    @staticmethod
    def forward(ctx, a, full_matrices, compute_uv):
        m, n = a.shape[-2:]
        k = min(m, n)
        ctx.full_matrices = full_matrices
        if a.size:
            u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        else:
            um, vn = (m, n) if full_matrices else (k, k)
            u = np.broadcast_to(np.eye(m, um, dtype=a.dtype), a.shape[:-2] + (m, um)).copy()
            vh = np.broadcast_to(np.eye(vn, n, dtype=a.dtype), a.shape[:-2] + (vn, n)).copy()
            s = np.zeros(a.shape[:-2] + (k,), dtype=a.dtype)
        u, s, vh = u.astype(a.dtype), s.astype(a.dtype), vh.astype(a.dtype)
        ctx.compute_uv = compute_uv
        # without U and V among the outputs, the backward recomputes them from A (as outputs of a node
        # of their own), so that the gradient U diag(gS) V^T can be differentiated again
        ctx.save_for_backward(*((u, s, vh) if compute_uv else (a,)))
        return (u, s, vh) if compute_uv else s

    @staticmethod
    def backward(ctx, *grads):
        from .shape import narrow
        if not ctx.compute_uv:
            u, s, vh = LinalgSvd.apply(ctx.saved_tensors[0], False, True)
        else:
            u, s, vh = ctx.saved_tensors
        if len(grads) == 1:
            gu, gs, gvh = None, grads[0], None
        else:
            gu, gs, gvh = grads
        m, n = u._data.shape[-2], vh._data.shape[-1]
        k = s._data.shape[-1]
        if ctx.full_matrices:
            u, vh = narrow(u, -1, 0, k), narrow(vh, -2, 0, k)
            gu = narrow(gu, -1, 0, k) if gu is not None else None
            gvh = narrow(gvh, -2, 0, k) if gvh is not None else None
        if gu is not None and not gu._data.any():
            gu = None
        if gvh is not None and not gvh._data.any():
            gvh = None
        if gu is None and gvh is None:
            return matmul(u * unsqueeze(gs, -2), vh)
        v, gv = mT(vh), None if gvh is None else mT(gvh)
        s2 = s * s
        e = unsqueeze(s2, -2) - unsqueeze(s2, -1)
        e = e + eye_like(k, e)
        inner = 0
        if gu is not None:
            uhgu = matmul(mT(u), gu)
            inner = (uhgu - mT(uhgu)) / e * unsqueeze(s, -2)
        if gv is not None:
            vhgv = matmul(vh, gv)
            inner = inner + unsqueeze(s, -1) * ((vhgv - mT(vhgv)) / e)
        inner = inner + diag_embed(gs)
        if m > k and gu is not None:
            ga = matmul(u, inner)
            gu_sinv = gu / unsqueeze(s, -2)
            ga = ga + gu_sinv - matmul(u, matmul(mT(u), gu_sinv))
            return matmul(ga, vh)
        if n > k and gv is not None:
            ga = matmul(inner, vh)
            gv_sinv = gv / unsqueeze(s, -2)
            ga = ga + mT(gv_sinv) - matmul(matmul(mT(gv_sinv), v), vh)
            return matmul(u, ga)
        return matmul(matmul(u, inner), vh)


def svd(A: Tensor, full_matrices: bool = True, *, driver=None):
    check_matrix(A, "linalg.svd")
    check_float(A, "linalg.svd")
    return result_type("linalg_svd", ("U", "S", "Vh"))(*LinalgSvd.apply(A, full_matrices, True))


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    check_matrix(A, "linalg.svd")
    check_float(A, "linalg.svd")
    if A.requires_grad and is_grad_enabled():
        # torch's svdvals: the full decomposition when a gradient may be needed, its node saving U, S
        # and Vh (not A): editing A in place is no version error, editing the values is
        return LinalgSvd.apply(A, False, True)[1]
    return LinalgSvd.apply(A, False, False)


class LinalgEigh(Op):
    """A = Q diag(L) Q^T (symmetric A, one triangle read);  dA = Q (diag(gL) + skew(Q^T gQ) / 2E) Q^T with
    skew(X) = X - X^T, E_ij = L_j - L_i (off the diagonal; inf and NaN for repeated eigenvalues, as torch):
    a symmetric gradient"""

    @staticmethod
    def forward(ctx, a, uplo, eigenvectors):
        if a.size:
            w, v = np.linalg.eigh(a, UPLO=uplo)
        else:
            w, v = np.zeros(a.shape[:-1], a.dtype), np.zeros(a.shape, a.dtype)
        w, v = w.astype(a.dtype), v.astype(a.dtype)
        ctx.eigenvectors, ctx.uplo = eigenvectors, uplo
        ctx.save_for_backward(*((w, v) if eigenvectors else (a,)))   # (as LinalgSvd without U and V)
        return (w, v) if eigenvectors else w

    @staticmethod
    def backward(ctx, gw, gv=None):
        if ctx.eigenvectors:
            w, v = ctx.saved_tensors
        else:
            w, v = LinalgEigh.apply(ctx.saved_tensors[0], ctx.uplo, True)
        n = w._data.shape[-1]
        if gv is None or not gv._data.any():
            inner = diag_embed(gw)
        else:
            e = unsqueeze(w, -2) - unsqueeze(w, -1)
            e = e + eye_like(n, e)
            off = 1 - eye_like(n, e)
            vhgv = matmul(mT(v), gv)
            inner = (vhgv - mT(vhgv)) * 0.5 / e * off + diag_embed(gw)
        return matmul(matmul(v, inner), mT(v))


def _check_uplo(uplo):
    if uplo not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")


def eigh(A: Tensor, UPLO: str = "L"):
    check_square(A, "linalg.eigh")
    check_float(A, "linalg.eigh")
    _check_uplo(UPLO)
    return result_type("linalg_eigh", ("eigenvalues", "eigenvectors"))(*LinalgEigh.apply(A, UPLO, True))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    check_square(A, "linalg.eigh")
    check_float(A, "linalg.eigh")
    _check_uplo(UPLO)
    if A.requires_grad and is_grad_enabled():   # torch's eigvalsh: the eigenvectors too, saved (as svdvals)
        return LinalgEigh.apply(A, UPLO, True)[0]
    return LinalgEigh.apply(A, UPLO, False)


# -- LU --------------------------------------------------------------------------------------------
def _unpack_arrays(lu, pivots, unpack_data=True, unpack_pivots=True):
    """P, L, U of a packed LU (L unit lower m x k, U upper k x n, k = min(m, n))."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    P = permutation_from_pivots(pivots, m).astype(lu.dtype) if unpack_pivots else np.zeros(0, lu.dtype)
    if not unpack_data:
        return P, np.zeros(0, lu.dtype), np.zeros(0, lu.dtype)
    L = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    U = np.triu(lu[..., :k, :])
    return P, L, U


def _lu_grad(P, L, U, gL, gU):
    """dA for A = P L U (torch's linalg_lu_backward). Square: P L^{-T} [tril(L^T gL, -1) + triu(gU U^T)] U^{-T};
    wide (A = P L [U1 | U2]): P L^{-T} [(tril(L^T gL - gU U^T, -1) U1^{-T} + triu(gU1)) | gU2];
    tall (L = [L1; L2]): P [L1^{-T} triu(gU U^T - L^T gL) + tril(gL1, -1); gL2] U^{-T}"""
    from .shape import cat, narrow
    m, n = L._data.shape[-2], U._data.shape[-1]
    k = min(m, n)
    # only L's strictly lower and U's upper entries vary with A: the rest of gL and gU is ignored
    gL, gU = tril(gL, -1), triu(gU)
    if m == n:
        gR = tril(matmul(mT(L), gL), -1) + triu(matmul(gU, mT(U)))
        gA = LinalgSolveTriangular.apply(mT(L), gR, True, True, True)
        gA = LinalgSolveTriangular.apply(mT(U), gA, False, False, False)
    elif m < n:
        u1 = narrow(U, -1, 0, k)
        x = tril(matmul(mT(L), gL) - matmul(gU, mT(U)), -1)
        x = LinalgSolveTriangular.apply(mT(u1), x, False, False, False)
        x = cat([x + triu(narrow(gU, -1, 0, k)), narrow(gU, -1, k, n - k)], -1)
        gA = LinalgSolveTriangular.apply(mT(L), x, True, True, True)
    else:
        l1 = narrow(L, -2, 0, k)
        x = triu(matmul(gU, mT(U)) - matmul(mT(L), gL))
        x = LinalgSolveTriangular.apply(mT(l1), x, True, True, True)
        x = cat([x + tril(narrow(gL, -2, 0, k), -1), narrow(gL, -2, k, m - k)], -2)
        gA = LinalgSolveTriangular.apply(mT(U), x, False, False, False)
    return matmul(P, gA)


def _pack_grad(gL, gU, m, n):
    """The gradient of the packed LU from those of its unpacked L (unit lower) and U."""
    from .shape import cat
    from ..creation import zeros
    k = min(m, n)
    gl, gu = tril(gL, -1), triu(gU)
    if m > k:
        gu = cat([gu, zeros(gu._data.shape[:-2] + (m - k, n), dtype=gu.dtype)], -2)
    if n > k:
        gl = cat([gl, zeros(gl._data.shape[:-2] + (m, n - k), dtype=gl.dtype)], -1)
    return gl + gu


def _unpack_differentiable(lu: Tensor, pivots: Tensor):
    """P (a constant), L and U of a packed LU, L and U as differentiable functions of it."""
    from .shape import narrow
    m, n = lu._data.shape[-2:]
    k = min(m, n)
    P = Tensor._make(permutation_from_pivots(pivots._data, m).astype(lu._data.dtype))
    L = tril(narrow(lu, -1, 0, k), -1) + Tensor._make(np.eye(m, k, dtype=lu._data.dtype))
    return P, L, triu(narrow(lu, -2, 0, k))


class LinalgLuFactorEx(Op):
    """A = P L U packed in one matrix LU;  dLU/dA as linalg.lu's, with gL = tril(gLU, -1), gU = triu(gLU)"""

    @staticmethod
    def forward(ctx, a):
        lu, pivots, info = lu_factor_array(a)
        ctx.save_for_backward(lu, pivots)
        ctx.mark_non_differentiable(pivots, info)
        return lu, pivots, info

    @staticmethod
    def backward(ctx, g, g_pivots, g_info):
        lu, pivots = ctx.saved_tensors
        P, L, U = _unpack_differentiable(lu, pivots)
        m, n = lu._data.shape[-2:]
        k = min(m, n)
        from .shape import narrow
        gL, gU = tril(narrow(g, -1, 0, k), -1), triu(narrow(g, -2, 0, k))
        return _lu_grad(P, L, U, gL, gU)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False):
    check_matrix(A, "torch.linalg.lu_factor_ex")
    check_float(A, "linalg.lu_factor")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    out = LinalgLuFactorEx.apply(A)
    if check_errors:
        raise_for_info(out[2]._data, "torch.linalg.lu_factor_ex", _lu_message)
    return result_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))(*out)


def _lu_message(i):
    return (f"U[{i},{i}] is zero and using it on lu_solve would result in a division by zero. If you still want "
            f"to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A: Tensor, *, pivot: bool = True):
    lu, pivots, info = lu_factor_ex(A, pivot=pivot)
    raise_for_info(info._data, "torch.linalg.lu_factor", _lu_message, RuntimeError)   # (torch: not a LinAlgError)
    return result_type("linalg_lu_factor", ("LU", "pivots"))(lu, pivots)


class LinalgLu(Op):
    """A = P L U;  dA = P L^{-T} [tril(L^T gL, -1) + triu(gU U^T)] U^{-T}  (square A)"""

    @staticmethod
    def forward(ctx, a):
        lu, pivots, _ = lu_factor_array(a)
        P, L, U = _unpack_arrays(lu, pivots)
        ctx.save_for_backward(P, L, U)
        ctx.mark_non_differentiable(P)
        return P, L, U

    @staticmethod
    def backward(ctx, gP, gL, gU):
        P, L, U = ctx.saved_tensors
        return _lu_grad(P, L, U, gL, gU)


def lu(A: Tensor, *, pivot: bool = True):
    check_matrix(A, "linalg.lu")
    check_float(A, "linalg.lu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return result_type("linalg_lu", ("P", "L", "U"))(*LinalgLu.apply(A))


class LuUnpack(Op):
    """(P, L, U) of a packed LU;  dLU = tril(gL, -1) + triu(gU) (each in its place in the packed matrix)"""

    @staticmethod
    def forward(ctx, lu, pivots, unpack_data, unpack_pivots):
        P, L, U = _unpack_arrays(lu, pivots, unpack_data, unpack_pivots)
        ctx.shape = lu.shape[-2:]
        ctx.mark_non_differentiable(P)
        return P, L, U

    @staticmethod
    def backward(ctx, gP, gL, gU):
        return _pack_grad(gL, gU, *ctx.shape), None


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True):
    check_matrix(LU_data, "torch.lu_unpack", "LU_data")
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError(f"torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype. "
                           f"Note: this function is intended to be used with the output produced by torch.linalg.lu_factor")
    return result_type("lu_unpack", ("P", "L", "U"))(*LuUnpack.apply(LU_data, LU_pivots, unpack_data, unpack_pivots))


class LinalgLuSolve(Op):
    """X = A^{-1} B for A = P L U given packed (left; XA = B when not left; A^T when adjoint);
    dX/dB = lu_solve(LU, g) with the adjoint flipped, dX/dLU = tril(P^T gA U^T, -1) + triu(L^T P^T gA), gA
    the gradient of A: -gB X^T (left) ... (see _lu_solve_grad_a)"""

    @staticmethod
    def forward(ctx, lu, pivots, b, left, adjoint):
        ctx.left, ctx.adjoint = left, adjoint
        P, L, U = _unpack_arrays(lu, pivots)
        a = P @ L @ U
        if adjoint:
            a = _np_mT(a)
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        if left:
            x = np.linalg.solve(np.broadcast_to(a, shape + a.shape[-2:]), np.broadcast_to(b, shape + b.shape[-2:]))
        else:
            x = _np_mT(np.linalg.solve(np.broadcast_to(_np_mT(a), shape + a.shape[-2:]),
                                       np.broadcast_to(_np_mT(b), shape + b.shape[-2:][::-1])))
        x = x.astype(b.dtype)
        ctx.save_for_backward(lu, pivots, x)
        return x

    @staticmethod
    def backward(ctx, g):
        lu, pivots, x = ctx.saved_tensors
        gb = LinalgLuSolve.apply(lu, pivots, g, ctx.left, not ctx.adjoint)
        glu = None
        if ctx.needs_input_grad[0]:
            if ctx.left:
                ga = -matmul(x, mT(gb)) if ctx.adjoint else -matmul(gb, mT(x))
            else:
                ga = -matmul(mT(gb), x) if ctx.adjoint else -matmul(mT(x), gb)
            P, L, U = _unpack_differentiable(lu, pivots)
            ptga = matmul(mT(P), ga)
            glu = tril(matmul(ptga, mT(U)), -1) + triu(matmul(mT(L), ptga))
        return glu, None, gb if ctx.needs_input_grad[2] else None


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:
    fn = "linalg.lu_solve"
    check_square(LU, "torch.linalg.lu_solve", "LU")
    check_matrix(B, "torch.linalg.lu_solve", "B")
    n = LU._data.shape[-1]
    k = B._data.shape[-2] if left else B._data.shape[-1]
    if k != n:
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({n}x{n} and {B._data.shape[-2]}x{B._data.shape[-1]})")
    check_same_dtype(LU, B, "linalg.lu_solve", "LU", "B")
    return LinalgLuSolve.apply(LU, pivots, B, left, adjoint)


# -- matrix exponential ----------------------------------------------------------------------------
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)


def expm_array(a):
    """exp(A) by scaling and squaring with the degree-13 Pade approximant (Higham 2005), in float64."""
    shape, dtype = a.shape, a.dtype
    n = shape[-1]
    if not a.size:
        return a.copy()
    flat = a.reshape((_batch_count(a), n, n)).astype(np.float64)
    out = np.empty_like(flat)
    b = _PADE13
    eye = np.eye(n)
    for i, m in enumerate(flat):
        norm = np.abs(m).sum(0).max() if n else 0.0
        s = max(0, int(np.ceil(np.log2(norm / 5.371920351148152)))) if norm > 0 else 0
        m = m / 2.0 ** s
        m2 = m @ m
        m4 = m2 @ m2
        m6 = m4 @ m2
        u = m @ (m6 @ (b[13] * m6 + b[11] * m4 + b[9] * m2) + b[7] * m6 + b[5] * m4 + b[3] * m2 + b[1] * eye)
        v = m6 @ (b[12] * m6 + b[10] * m4 + b[8] * m2) + b[6] * m6 + b[4] * m4 + b[2] * m2 + b[0] * eye
        r = np.linalg.solve(v - u, v + u) if n else v
        for _ in range(s):
            r = r @ r
        out[i] = r
    return out.reshape(shape).astype(dtype)


class LinalgMatrixExp(Op):
    """Z = exp(A);  dZ/dA = the top-right block of exp([[A^T, g], [0, A^T]]) (the Frechet derivative)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return expm_array(a)

    @staticmethod
    def backward(ctx, g):
        from .shape import cat, narrow
        a, = ctx.saved_tensors
        n = a._data.shape[-1]
        at = mT(a)
        zero = at * 0
        block = cat([cat([at, g], -1), cat([zero, at], -1)], -2)
        return narrow(narrow(LinalgMatrixExp.apply(block), -2, 0, n), -1, n, n)


def matrix_exp(A: Tensor) -> Tensor:
    check_square(A, "linalg.matrix_exp")
    check_float(A, "linalg.matrix_exp")
    return LinalgMatrixExp.apply(A)


# -- pseudo-inverse and least squares --------------------------------------------------------------
def _pinv_grad(g, P, A):
    """The gradient of P = pinv(A) for cotangent g (torch's pinv_backward, term for term)."""
    m, n = A._data.shape[-2:]
    pt, gt = mT(P), mT(g)
    if m <= n:
        K = matmul(gt, P)
        kpt = matmul(K, pt)
        return -mT(matmul(P, K)) + kpt - matmul(matmul(A, P), kpt) + matmul(matmul(pt, P), gt - matmul(K, A))
    K = matmul(P, gt)
    ptk = matmul(pt, K)
    return -mT(matmul(K, P)) + matmul(matmul(gt - matmul(A, K), P), pt) + ptk - matmul(matmul(ptk, P), A)


def _pinv_array(a, atol, rtol, hermitian):
    """pinv with torch's cut-off: singular values <= max(atol, rtol * largest) count as zero. atol and rtol
    are numbers or arrays broadcast against the batch dimensions (one tolerance per matrix)."""
    m, n = a.shape[-2:]
    atol, rtol = np.asarray(atol)[..., None], np.asarray(rtol)[..., None]
    if not a.size:
        batch = np.broadcast_shapes(a.shape[:-2], atol.shape[:-1], rtol.shape[:-1])
        return np.zeros(batch + (n, m), a.dtype)
    if hermitian:
        w, v = np.linalg.eigh(a)
        s = np.abs(w)
        cut = np.maximum(atol, rtol * s.max(-1, keepdims=True))
        inv = np.where(s > cut, 1 / np.where(s > cut, w, 1), 0)
        return ((v * inv[..., None, :]) @ _np_mT(v)).astype(a.dtype)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    cut = np.maximum(atol, rtol * s.max(-1, keepdims=True, initial=0))
    inv = np.where(s > cut, 1 / np.where(s > cut, s, 1), 0)
    return ((_np_mT(vh) * inv[..., None, :]) @ _np_mT(u)).astype(a.dtype)


class LinalgPinv(Op):
    """P = pinv(A);  dP/dA = -P^T g P^T + (I - A P)^T g^T... projected: torch's pinv_backward
    (-(P K)^T + K P^T - A P K P^T + P^T P (g^T - K A), K = g^T P, for m <= n; its mirror image otherwise)"""

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        p = _pinv_array(a, atol, rtol, hermitian)
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g):
        a, p = ctx.saved_tensors
        return _pinv_grad(g, p, a)


def _tolerances(A, atol, rtol, fn):
    """torch's defaults: rtol = eps * max(m, n) when neither is given, 0 where atol > 0 is given. Numbers stay
    numbers; a Tensor tolerance (one per matrix of the batch, broadcast) becomes an array."""
    as_value = lambda t: t._data if isinstance(t, Tensor) else t  # noqa: E731
    atol, rtol = as_value(atol), as_value(rtol)
    if rtol is None:
        default = float(np.finfo(A._data.dtype).eps) * max(A._data.shape[-2:])
        rtol = default if atol is None else np.where(np.asarray(atol) > 0, 0.0, default)
    atol = 0.0 if atol is None else atol
    if not isinstance(atol, np.ndarray) and not isinstance(rtol, np.ndarray):
        return float(atol), float(rtol)
    return np.asarray(atol), np.asarray(rtol)


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, rcond=None) -> Tensor:
    check_matrix(A, "linalg.pinv")
    check_float(A, "linalg.pinv")
    if rcond is not None:
        rtol = rcond
    atol, rtol = _tolerances(A, atol, rtol, "linalg.pinv")
    if hermitian:
        check_square(A, "linalg.pinv")
    return LinalgPinv.apply(A, atol, rtol, hermitian)


class LinalgLstsq(Op):
    """X = pinv(A) B (the least-squares solution of full-rank A);  dX/dB = pinv(A)^T g,
    dX/dA = pinv's gradient for the cotangent g B^T (torch's linalg_lstsq_backward);
    residuals r = sum((AX - B)^2) (X optimal, so only the explicit dependence counts): dr/dA = 2(AX - B) X^T,
    dr/dB = -2(AX - B)"""

    @staticmethod
    def forward(ctx, a, b, driver, vector):
        ctx.vector = vector
        bm = b[..., None] if vector else b
        p = _pinv_array(a, 0.0, float(np.finfo(a.dtype).eps) * max(a.shape[-2:]), False)
        x = (p @ bm).astype(a.dtype)
        m, n = a.shape[-2:]
        k = min(m, n)
        s = np.linalg.svd(a, compute_uv=False) if a.size else np.zeros(a.shape[:-2] + (k,), a.dtype)
        tol = float(np.finfo(a.dtype).eps) * max(m, n) * s.max(-1, keepdims=True, initial=0)
        rank = (s > tol).sum(-1).astype(np.int64)
        if driver != "gelsy" and m > n and bool(np.all(rank == n)):
            residuals = ((a @ x - bm) ** 2).sum(-2).astype(a.dtype)
        else:
            residuals = np.zeros(0, a.dtype)
        if vector:   # (the residuals keep their column dim, as torch's)
            x = x[..., 0]
        sv = s.astype(a.dtype) if driver in ("gelsd", "gelss") else np.zeros(0, a.dtype)
        rank = rank if driver != "gels" else np.zeros(0, np.int64)
        ctx.has_residuals = bool(residuals.size)
        ctx.save_for_backward(a, b, x)   # the solution too, as torch's node (editing it is a version error)
        ctx.mark_non_differentiable(rank, sv)
        # an unused result adds nothing; with neither the solution's gradient nor residuals, the
        # inputs get none (None), as torch's linalg_lstsq_backward
        ctx.set_materialize_grads(False)
        return x, residuals, rank, sv

    @staticmethod
    def backward(ctx, g, g_res, g_rank, g_sv):
        a, b, _solution = ctx.saved_tensors   # (first: torch's node unpacks them, so a write raises, in any case)
        if g_res is not None and not ctx.has_residuals:
            g_res = None   # the gradient of an empty residuals tensor
        if g is None and g_res is None:
            return None, None
        # pinv(A) and X again, as functions of A and B, so that this gradient can be differentiated
        p = LinalgPinv.apply(a, 0.0, float(np.finfo(a._data.dtype).eps) * max(a._data.shape[-2:]), False)
        bm = unsqueeze(b, -1) if ctx.vector else b
        xm = matmul(p, bm)
        ga = gb = None
        if g is not None:
            gm = unsqueeze(g, -1) if ctx.vector else g
            ga = _pinv_grad(matmul(gm, mT(bm)), p, a) if ctx.needs_input_grad[0] else None
            gb = matmul(mT(p), gm) if ctx.needs_input_grad[1] else None
        if g_res is not None:
            weighted = (matmul(a, xm) - bm) * unsqueeze(g_res, -2) * 2
            if ctx.needs_input_grad[0]:
                ga = matmul(weighted, mT(xm)) if ga is None else ga + matmul(weighted, mT(xm))
            if ctx.needs_input_grad[1]:
                gb = -weighted if gb is None else gb - weighted
        if gb is not None and ctx.vector:
            from .shape import squeeze
            gb = squeeze(gb, -1)
        return ga, gb


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    fn = "torch.linalg.lstsq"
    check_matrix(A, fn)
    check_float(A, "linalg.lstsq")
    check_same_dtype(A, B, "linalg.lstsq", "input", "other")
    drivers = ("gels", "gelsy", "gelsd", "gelss")
    if driver is not None and driver not in drivers:
        raise RuntimeError(f"{fn}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = B._data.ndim == A._data.ndim - 1
    if (B._data.shape[-1] if vector else B._data.shape[-2]) != A._data.shape[-2]:
        raise RuntimeError(f"{fn}: input.size(-2) should match other.size(-2)" if not vector else
                           f"{fn}: input.size(-2) should match other.size(-1)")
    out = LinalgLstsq.apply(A, B, driver or "gelsy", vector)
    return result_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))(*out)


# -- Householder products --------------------------------------------------------------------------
class HouseholderNoReflectors(Op):
    """Q = the first n columns of I (no reflectors: tau is empty);  dQ/dA, dQ/dtau: none (torch's are undefined)"""

    node_name = "LinalgHouseholderProductBackward0"

    @staticmethod
    def forward(ctx, A, tau):
        m, n = A.shape[-2:]
        q = np.broadcast_to(np.eye(m, n, dtype=A.dtype), A.shape).copy()
        ctx.save_for_backward(A, tau, q)   # (only for the version check: torch's node saves all three)
        return q

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # (the version check)
        return None, None


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """Q = H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = e_i + the part of A's column i below the
    diagonal: the first n columns. Composed of minigrad ops, which give its gradients."""
    from .shape import narrow
    fn = "torch.linalg.householder_product"
    check_matrix(A, fn, "input")
    m, n = A._data.shape[-2:]
    k = tau._data.shape[-1] if tau._data.ndim else 0
    if m < n:
        raise RuntimeError(f"{fn}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < k:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau._data.ndim != A._data.ndim - 1 or tau._data.shape[:-1] != A._data.shape[:-2]:
        raise RuntimeError(f"{fn}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau._data.shape[:-1])}")
    check_same_dtype(A, tau, fn, "input", "tau")
    if k == 0:
        return HouseholderNoReflectors.apply(A, tau)
    eye = eye_like(m, A)
    q = eye + A.sum(dim=(-2, -1), keepdim=True) * 0  # I with A's batch dims
    rows = np.arange(m)
    for i in range(k):
        below = Tensor._make((rows > i).astype(A._data.dtype))
        v = narrow(A, -1, i, 1) * unsqueeze(below, -1) + narrow(eye, -1, i, 1)
        t = unsqueeze(narrow(tau, -1, i, 1), -1)
        q = q - matmul(matmul(q, v) * t, mT(v))
    q = narrow(q, -1, 0, n)
    if q._requires_grad and is_grad_enabled():   # (torch's one node saves A, tau and Q)
        q = overload(SavesOperands.apply_to(q, (A, tau), result=True), "LinalgHouseholderProductBackward0")
    return q


# -- LDL^T with Bunch-Kaufman pivoting (LAPACK's sytrf/sytrs, lower; NumPy exposes neither) ------------
_BUNCH_KAUFMAN_ALPHA = (1 + np.sqrt(17)) / 8   # balances the growth of 1x1 and 2x2 pivots


def _ldl_factor_matrix(a):
    """(LD, pivots, info) of one symmetric matrix, its lower triangle read: LAPACK's sytf2, step for step, so
    that the pivots (1-based; a 2x2 block's two entries negative) and the compact L and D are LAPACK's."""
    a = np.tril(a).astype(a.dtype, copy=True)
    n = a.shape[-1]
    pivots = np.zeros(n, np.int32)
    info, k = 0, 0
    while k < n:
        step = 1
        absakk = abs(a[k, k])
        imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k]))) if k < n - 1 else k
        colmax = abs(a[imax, k]) if k < n - 1 else 0.0
        if max(absakk, colmax) == 0 or np.isnan(absakk):
            info = info or k + 1   # a zero (or NaN) column: D singular; nothing to eliminate
            kp = k
        else:
            if absakk >= _BUNCH_KAUFMAN_ALPHA * colmax:
                kp = k
            else:
                rowmax = np.abs(a[imax, k:imax]).max()
                if imax < n - 1:
                    rowmax = max(rowmax, np.abs(a[imax + 1:, imax]).max())
                if absakk >= _BUNCH_KAUFMAN_ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _BUNCH_KAUFMAN_ALPHA * rowmax:
                    kp = imax
                else:
                    kp, step = imax, 2
            kk = k + step - 1
            if kp != kk:   # swap rows and columns kk and kp of the trailing lower triangle
                a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                column, row = a[kk + 1:kp, kk].copy(), a[kp, kk + 1:kp].copy()
                a[kk + 1:kp, kk], a[kp, kk + 1:kp] = row, column
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if step == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if step == 1:
                if k < n - 1:
                    d11 = 1 / a[k, k]
                    x = a[k + 1:, k].copy()
                    a[k + 1:, k + 1:] -= np.tril(d11 * np.outer(x, x))
                    a[k + 1:, k] *= d11
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                t = 1 / (d11 * d22 - 1)
                d21 = t / d21
                wk = d21 * (d11 * a[k + 2:, k] - a[k + 2:, k + 1])
                wkp1 = d21 * (d22 * a[k + 2:, k + 1] - a[k + 2:, k])
                a[k + 2:, k + 2:] -= np.tril(np.outer(a[k + 2:, k], wk) + np.outer(a[k + 2:, k + 1], wkp1))
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
        pivots[k:k + step] = kp + 1 if step == 1 else -(kp + 1)
        k += step
    return a, pivots, info


def _ldl_solve_matrix(ld, pivots, b):
    """X with A X = B from sytrf's compact factors: LAPACK's sytrs (lower), step for step."""
    b = b.copy()
    n = ld.shape[-1]
    k = 0
    while k < n:   # L D Y = B
        if pivots[k] > 0:
            kp = pivots[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.outer(ld[k + 1:, k], b[k])
            b[k] /= ld[k, k]
            k += 1
        else:
            kp = -pivots[k] - 1
            b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2:] -= np.outer(ld[k + 2:, k], b[k]) + np.outer(ld[k + 2:, k + 1], b[k + 1])
            akm1k = ld[k + 1, k]
            akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:   # L^T X = Y
        if pivots[k] > 0:
            b[k] -= ld[k + 1:, k] @ b[k + 1:]
            kp = pivots[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k] -= ld[k + 1:, k] @ b[k + 1:]
            b[k - 1] -= ld[k + 1:, k - 1] @ b[k + 1:]
            kp = -pivots[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def _ldl_errors(info, fn):
    """torch reports a singular D by its LAPACK code alone (an internal assert's message, a RuntimeError)."""
    bad = np.flatnonzero(info.reshape(-1))
    if bad.size:
        raise RuntimeError(f"{fn}: Unknown error code: {int(info.reshape(-1)[bad[0]])}.")


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False):
    """(LD, pivots, info): A = P L D L^T P^T with D of 1x1 and 2x2 blocks (Bunch-Kaufman), the lower triangle of
    symmetric A read; LAPACK's sytrf, so the factors are torch's. No derivative (torch has none: its backward raises)."""
    fn = "torch.linalg.ldl_factor_ex"
    check_square(A, fn, "A")
    check_float(A, fn)
    a = A._data
    ld, pivots = np.zeros_like(a), np.zeros(a.shape[:-1], np.int32)
    info = np.zeros(a.shape[:-2], np.int32)
    for index in np.ndindex(*a.shape[:-2]):
        ld[index], pivots[index], info[index] = _ldl_factor_matrix(a[index])
    if check_errors:
        _ldl_errors(info, fn)
    from .sort import _no_derivative   # LD requires grad when A does, with torch's NotImplemented node
    return result_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))(
        _no_derivative(ld, "linalg_ldl_factor_ex", A), Tensor._make(pivots), Tensor._make(info))


def ldl_factor(A: Tensor, *, hermitian: bool = False):
    """(LD, pivots) of ldl_factor_ex; a singular D raises torch's error."""
    ld, pivots, info = ldl_factor_ex(A, hermitian=hermitian)
    _ldl_errors(info._data, "torch.linalg.ldl_factor")
    return result_type("linalg_ldl_factor", ("LD", "pivots"))(ld, pivots)


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False) -> Tensor:
    """X with A X = B from ldl_factor's (LD, pivots): LAPACK's sytrs; batch dims broadcast. No derivative (torch
    has none: its backward raises)."""
    fn = "torch.linalg.ldl_solve"
    check_square(LD, fn, "LD")
    check_matrix(B, fn, "B")
    if LD._data.shape[-1] != B._data.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for {fn}: each A matrix is {LD._data.shape[-2]} by "
                           f"{LD._data.shape[-1]} but each b matrix is {B._data.shape[-2]} by {B._data.shape[-1]}")
    if LD._data.dtype != B._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{dtypes.SCALAR_NAMES[B.dtype.name]} and A of type {dtypes.SCALAR_NAMES[LD.dtype.name]} "
                           f"instead.")
    batch = np.broadcast_shapes(LD._data.shape[:-2], B._data.shape[:-2])
    ld = np.broadcast_to(LD._data, batch + LD._data.shape[-2:])
    piv = np.broadcast_to(pivots._data.astype(np.int64), batch + pivots._data.shape[-1:])
    b = np.broadcast_to(B._data, batch + B._data.shape[-2:])
    x = np.empty(b.shape, b.dtype)
    for index in np.ndindex(*batch):
        x[index] = _ldl_solve_matrix(ld[index], piv[index], b[index])
    from .sort import _no_derivative   # X requires grad when LD or B does, with torch's NotImplemented node
    return _no_derivative(x, "linalg_ldl_solve", LD, B)


# -- eig (general square matrices: complex eigenvalues and eigenvectors) ----------------------------
def _eig_arrays(a):
    """NumPy's geev, as torch's: eigenvalues unsorted, each eigenvector of norm 1 with its largest entry real
    (LAPACK's convention, shared by torch); complex64 for float32 and complex64 input, complex128 otherwise."""
    complex_dtype = np.complex64 if a.dtype in (np.float32, np.complex64) else np.complex128
    if not a.size:
        return np.zeros(a.shape[:-1], complex_dtype), np.zeros(a.shape, complex_dtype)
    w, v = np.linalg.eig(a)
    return w.astype(complex_dtype), v.astype(complex_dtype)


class LinalgEig(Op):
    """A = V diag(L) V^{-1};  dA = V^{-H} (diag(gL) + (V^H gV - V^H V Re(diag(V^H gV))) / conj(E)) V^H with
    E_ij = L_j - L_i off the diagonal (torch's linalg_eig_backward); the real part for a real A. The phase of
    each eigenvector is arbitrary: a loss that depends on it (Im diag(V^H gV) != 0) raises, as in torch."""

    supports_complex = True

    @staticmethod
    def forward(ctx, a, eigenvectors):
        w, v = _eig_arrays(a)
        ctx.eigenvectors, ctx.input_dtype = eigenvectors, a.dtype
        ctx.save_for_backward(w, v)
        return (w, v) if eigenvectors else w

    @staticmethod
    def backward(ctx, gw, gv=None):
        # computed on arrays: the gradient is not itself differentiable (minigrad's solve has no complex
        # backward yet)
        w, v = (t._data for t in ctx.saved_tensors)
        vh = np.conj(_np_mT(v))
        n = w.shape[-1]
        gw = None if gw is None or not gw._data.any() else gw._data
        if gv is None or not gv._data.any():
            inner = np.zeros(v.shape, v.dtype) if gw is None else gw[..., None] * np.eye(n, dtype=v.dtype)
        else:
            vhgv = vh @ gv._data
            phase_terms = np.imag(np.diagonal(vhgv, 0, -2, -1))
            if not np.allclose(phase_terms, 0, rtol=1e-2, atol=1e-2):
                raise RuntimeError("linalg_eig_backward: The eigenvectors in the complex case are specified up to "
                                   "multiplication by e^{i phi}. The specified loss function depends on this quantity, "
                                   "so it is ill-defined.")
            vhgv = vhgv - vh @ (v * np.real(np.diagonal(vhgv, 0, -2, -1))[..., None, :])
            e = np.conj(w)[..., None, :] - np.conj(w)[..., :, None]
            e = e + np.eye(n, dtype=e.dtype)   # (the diagonal: replaced by gL below)
            inner = vhgv / e
            if gw is not None:
                idx = np.arange(n)
                inner[..., idx, idx] = gw
        ga = np.linalg.solve(vh, inner @ vh) if v.size else inner
        if np.dtype(ctx.input_dtype).kind != "c":
            ga = np.real(ga)
        return Tensor._make(np.ascontiguousarray(ga).astype(ctx.input_dtype))


def _check_eig(A: Tensor, fn: str):
    check_square(A, fn)
    kind, name = A._data.dtype.kind, dtypes.SCALAR_NAMES[A.dtype.name]
    if kind not in "fc":
        raise RuntimeError(f"Unknown Complex ScalarType for {name}")
    if A._data.dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        raise NotImplementedError(f"\"linalg_eig_out_cpu\" not implemented for '{name}'")
    if not np.isfinite(A._data).all():
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")


def eig(A: Tensor):
    """(eigenvalues, eigenvectors) of a general square matrix, complex (see LinalgEig)."""
    _check_eig(A, "linalg.eig")
    return result_type("linalg_eig", ("eigenvalues", "eigenvectors"))(*LinalgEig.apply(A, True))


def eigvals(A: Tensor) -> Tensor:
    """The eigenvalues of a general square matrix, complex (eig's, without the eigenvectors)."""
    _check_eig(A, "linalg.eigvals")
    return LinalgEig.apply(A, False)
