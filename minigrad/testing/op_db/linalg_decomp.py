"""Op table: torch.linalg (decompositions, solvers, inverses, norms) and the top-level functions of
linear algebra (torch.det, torch.svd, torch.lu, ...).

Inputs are built to be well conditioned, so that float32 agrees with torch to a tolerance and the
gradients exist: general matrices are U diag(s) V^T with distinct singular values s (the SVD's
gradient is singular where two coincide), square ones are diagonally dominant (a random sign on the
first row, for negative determinants), symmetric ones have distinct eigenvalues, positive-definite
ones are X X^T + n I. Batches of 0 to 2 dims, sizes 0 to 4.

Decompositions are unique only up to signs (the gauge): the entries of svd and eigh compare
U, V and the eigenvectors with each column's sign fixed (first entry >= 0), a function of the
outputs whose gradient is the same in every gauge.
"""
import dataclasses
import warnings

import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays

_size = st.integers(0, 4)
_batch = st.sampled_from([(), (2,), (1,), (2, 1)])
_real = ("float32", "float64")
# float32 through LAPACK: NumPy's and torch's libraries round differently
_TOL = {"float32": 1e-4, "float64": 1e-7}


def _seed_matrix(shape):
    return arrays(np.float64, shape, -1, 1)


def _orthogonal(x):
    n = x.shape[-1]
    return np.linalg.qr(x + 2 * np.eye(n))[0] if n else x


def _general(dtype, batch, m, n):
    """U diag(s) V^T, s = 1, 1.7, 2.4, ...: distinct singular values."""
    k = min(m, n)

    def build(xy):
        x, y = xy
        u, v = _orthogonal(x)[..., :k], _orthogonal(y)[..., :k]
        s = 1 + 0.7 * np.arange(k)[::-1]
        return ((u * s) @ np.swapaxes(v, -1, -2)).astype(dtype)
    return st.tuples(_seed_matrix(batch + (m, m)), _seed_matrix(batch + (n, n))).map(build)


def _square(dtype, batch, n):
    """Diagonally dominant, the first row negated at random (negative determinants)."""
    def build(a):
        x, flip = a
        out = x + (n + 1) * np.eye(n)
        if flip and n:
            out[..., 0, :] *= -1
        return out.astype(dtype)
    return st.tuples(_seed_matrix(batch + (n, n)), st.booleans()).map(build)


def _spd(dtype, batch, n):
    return _seed_matrix(batch + (n, n)).map(lambda x: (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype))


def _symmetric(dtype, batch, n):
    """Q diag(w) Q^T with distinct eigenvalues w (some negative)."""
    def build(x):
        q = _orthogonal(x)
        w = np.linspace(-2, 3, n) if n > 1 else np.ones(n)
        return ((q * w) @ np.swapaxes(q, -1, -2)).astype(dtype)
    return _seed_matrix(batch + (n, n)).map(build)


def _one(make, **kwargs):
    """Sample(A) with A from ``make(dtype, batch, n)`` (square) and fixed kwargs drawn from lists."""
    def strategy(dtype):
        return st.tuples(_batch, _size, st.fixed_dictionaries({k: st.sampled_from(v) for k, v in kwargs.items()})
                         ).flatmap(lambda a: make(dtype, a[0], a[1]).map(lambda A: Sample((A,), a[2])))
    return strategy


def _rect(**kwargs):
    """Sample(A) with A general m x n."""
    def strategy(dtype):
        return st.tuples(_batch, _size, _size, st.fixed_dictionaries({k: st.sampled_from(v) for k, v in kwargs.items()})
                         ).flatmap(lambda a: _general(dtype, a[0], a[1], a[2]).map(lambda A: Sample((A,), a[3])))
    return strategy


def _solve_sample(make, vector=True, **kwargs):
    """Sample(A, B): A square from ``make``, B a matrix (k columns) or a vector, batches broadcasting."""
    def strategy(dtype):
        def build(a):
            batch, n, k, form, kw = a
            left = kw.get("left", True)
            if form == "vector" and vector and left:
                bshape = batch + (n,) if batch else (n,)
            elif form == "broadcast":
                bshape = (2,) + batch + ((n, k) if left else (k, n))
            else:
                bshape = batch + ((n, k) if left else (k, n))
            return st.tuples(make(dtype, batch, n), arrays(dtype, bshape)).map(lambda ab: Sample(ab, kw))
        return st.tuples(_batch, _size, st.integers(0, 3), st.sampled_from(["matrix", "vector", "broadcast"]),
                         st.fixed_dictionaries({k: st.sampled_from(v) for k, v in kwargs.items()})).flatmap(build)
    return strategy


def _gauge(lib, u, cols_last=True):
    """+-1 per column of u: makes each column's largest entry (the first of those within 1e-4 of
    the largest magnitude) >= 0. Not the first entry: where that is about 0 (-5.9e-244 in one
    drawn sample) its sign is rounding noise, and the two libraries' LAPACKs fall either way."""
    if u.shape[-2] == 0:   # no entries to take a sign from (amax over an empty dim raises)
        return lib.ones((*u.shape[:-2], 1, u.shape[-1]), dtype=u.dtype)
    mag = u.abs()
    near_top = mag >= mag.amax(dim=-2, keepdim=True) * (1 - 1e-4)
    pick = u.gather(-2, near_top.to(u.dtype).argmax(dim=-2, keepdim=True))
    return (pick >= 0).to(u.dtype) * 2 - 1


def _svd_fixed(lib, fn):
    def call(A, **kw):
        U, S, Vh = fn(lib)(A, **kw)
        k = S.shape[-1]
        U, Vh = U[..., :k], Vh[..., :k, :]
        sign = _gauge(lib, U)
        return U * sign, S, Vh * sign.mT
    return call


def _eigh_fixed(lib):
    def call(A, **kw):
        w, v = lib.linalg.eigh(A, **kw)
        return w, v * _gauge(lib, v)
    return call


def _quiet(fn):
    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    return call


def _linalg_info(name, make_op, sample, **kw):
    """An entry whose op is ``make_op(lib)`` for minigrad and torch alike."""
    kw.setdefault("rtol", _TOL)
    kw.setdefault("atol", _TOL)
    return OpInfo(name, _quiet(make_op(minigrad)), _quiet(make_op(torch)), sample, **kw)


def _lu_solve_sample(dtype):
    def build(a):
        batch, n, k, left, adjoint = a
        return st.tuples(_square(dtype, batch, n), arrays(dtype, batch + ((n, k) if left else (k, n)))).map(
            lambda ab: Sample(ab, {"left": left, "adjoint": adjoint}))
    return st.tuples(_batch, _size, st.integers(0, 3), st.booleans(), st.booleans()).flatmap(build)


def _lu_solve(lib):
    def call(A, B, left, adjoint):
        LU, pivots = lib.linalg.lu_factor(A)
        return lib.linalg.lu_solve(LU, pivots, B, left=left, adjoint=adjoint)
    return call


def _householder_sample(dtype):
    def build(a):
        batch, m, n, k = a
        n, k = min(n, m), min(k, n, m)
        return st.tuples(arrays(dtype, batch + (m, n), -1, 1), arrays(dtype, batch + (k,), 0.2, 1.8)).map(Sample)
    return st.tuples(_batch, _size, _size, _size).flatmap(build)


def _lstsq_sample(dtype):
    def build(a):
        batch, m, n, k, vector, driver = a
        m = max(m, n)   # full column rank: the least-squares solution is unique
        bshape = batch + (m,) if vector else batch + (m, k)
        return st.tuples(_general(dtype, batch, m, n), arrays(dtype, bshape)).map(
            lambda ab: Sample(ab, {"driver": driver}))
    # B has columns: torch's gelsd and gelss fail on an empty B (an internal assert, or a crash)
    return st.tuples(_batch, st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans(),
                     st.sampled_from(["gelsy", "gelsd", "gelss", "gels"])).flatmap(build)


def _norm_sample(dtype):
    """A matrix, an ord and the dims it reduces (a pair, or none for the 2-D forms)."""
    def build(a):
        batch, m, n, ord_, keepdim, dims = a
        m, n = max(m, 1), max(n, 1)
        kw = {"ord": ord_, "keepdim": keepdim}
        if dims:
            kw["dim"] = dims
        shape = ((m, n) + batch) if dims == (0, 1) else (batch + (m, n))
        if dims is None:
            shape = (m, n)   # without dim, an ord needs a 2-D input
        # distinct entries: no ties for the max/min sums; distinct singular values are not guaranteed, but
        # the norms only need the extreme ones (or their sum, 'nuc'); entries away from 0, the kink of |x|
        # (a finite difference across it would average the two slopes)
        return arrays(dtype, shape, unique=True, exclude_near=(0.0,)).map(lambda x: Sample((x,), kw))
    return st.tuples(_batch, st.integers(1, 4), st.integers(1, 4),
                     st.sampled_from(["fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")]), st.booleans(),
                     st.sampled_from([None, (-2, -1), (0, 1), (-1, -2)])).flatmap(build)


def _tensorinv_sample(dtype):
    forms = [((4, 2, 2), 1), ((2, 3, 6), 2), ((2, 2, 2, 2), 2), ((6, 3, 2), 1)]
    return st.sampled_from(forms).flatmap(lambda f: _square(dtype, (), int(np.prod(f[0][:f[1]]))).map(
        lambda a: Sample((a.reshape(f[0]),), {"ind": f[1]})))


def _tensorsolve_sample(dtype):
    forms = [((2, 3, 6), (2, 3), None), ((6, 2, 3), (2, 3), (0,)), ((4, 2, 2), (4,), None)]

    def build(f):
        ashape, bshape, dims = f
        n = int(np.prod(bshape))
        return st.tuples(_square(dtype, (), n), arrays(dtype, bshape)).map(
            lambda ab: Sample((np.moveaxis(ab[0].reshape(bshape + ashape[len(bshape):] if dims is None else
                                                          ashape[1:] + ashape[:1]), -1, 0) if dims else
                               ab[0].reshape(ashape), ab[1]), {"dims": dims}))
    return st.sampled_from(forms).flatmap(build)


def _ldl_solve_sample(dtype):
    """(A, B) with equal batch dims: torch's ldl_solve crashes (a segmentation fault) when they broadcast."""
    def build(a):
        batch, n, k = a
        return st.tuples(_square(dtype, batch, n), arrays(dtype, batch + (n, k))).map(lambda ab: Sample(ab))
    return st.tuples(_batch, _size, st.integers(0, 3)).flatmap(build)


def _vander_sample(dtype):
    return st.tuples(_batch, _size, st.sampled_from([None, 1, 3, 5])).flatmap(
        lambda a: arrays(dtype, a[0] + (a[1],), -1.5, 1.5).map(lambda x: Sample((x,), {"N": a[2]})))


def _vecdot_sample(dtype):
    forms = [((3, 4), (3, 4), -1), ((2, 3), (3,), 1), ((4, 1, 3), (2, 3), 0), ((0, 2), (0, 2), 0)]
    return st.sampled_from(forms).flatmap(lambda f: st.tuples(arrays(dtype, f[0]), arrays(dtype, f[1])).map(
        lambda ab: Sample(ab, {"dim": f[2]})))


def _cholesky_solve_sample(dtype):
    def build(a):
        batch, n, k, upper = a
        return st.tuples(arrays(dtype, batch + (n, k)), _spd(np.float64, batch, n)).map(
            lambda bl: Sample((bl[0], _factor(bl[1], upper, dtype)), {"upper": upper}))
    return st.tuples(_batch, _size, st.integers(0, 3), st.booleans()).flatmap(build)


def _factor(spd, upper, dtype):
    low = np.linalg.cholesky(spd) if spd.size else spd
    return (np.swapaxes(low, -1, -2) if upper else low).astype(dtype)


def _triangular_sample(dtype, top_level=False):
    def build(a):
        batch, n, k, upper, flag, unit = a
        def make(ab):
            A, B = ab
            if top_level:
                return Sample((B, A), {"upper": upper, "transpose": flag, "unitriangular": unit})
            if not flag:   # right-hand form: X A = B
                B = np.swapaxes(B, -1, -2).copy()
            return Sample((A, B), {"upper": upper, "left": flag, "unitriangular": unit})
        return st.tuples(_square(dtype, batch, n), arrays(dtype, batch + (n, k))).map(make)
    return st.tuples(_batch, _size, st.integers(0, 3), st.booleans(), st.booleans(), st.booleans()).flatmap(build)


def _ormqr_sample(dtype):
    def build(a):
        m, n, k, left, transpose = a
        n = min(n, m)
        c = (m, k) if left else (k, m)
        return st.tuples(arrays(dtype, (m, n), -1, 1), arrays(dtype, (n,), 0.2, 1.8), arrays(dtype, c)).map(
            lambda x: Sample(x, {"left": left, "transpose": transpose}))
    return st.tuples(st.integers(1, 4), st.integers(1, 4), _size, st.booleans(), st.booleans()).flatmap(build)


def _lu_unpack(lib):
    def call(A):
        LU, pivots = lib.linalg.lu_factor(A)
        return lib.lu_unpack(LU, pivots)
    return call


def _pinverse_sample(dtype):
    return st.tuples(_batch, st.integers(0, 4), st.integers(0, 4)).flatmap(
        lambda a: _general(dtype, a[0], a[1], a[2]).map(lambda x: Sample((x,))))


def _spd_sample(**kwargs):
    return _one(_spd, **kwargs)


OPS = [
    _linalg_info("linalg.det", lambda lib: lib.linalg.det, _one(_square)),
    _linalg_info("linalg.slogdet", lambda lib: lib.linalg.slogdet, _one(_square)),
    _linalg_info("linalg.inv", lambda lib: lib.linalg.inv, _one(_square)),
    _linalg_info("linalg.inv_ex", lambda lib: lib.linalg.inv_ex, _one(_square)),
    _linalg_info("linalg.solve", lambda lib: lib.linalg.solve, _solve_sample(_square, left=[True, False])),
    _linalg_info("linalg.solve_ex", lambda lib: lib.linalg.solve_ex, _solve_sample(_square)),
    _linalg_info("linalg.solve_triangular", lambda lib: lib.linalg.solve_triangular, _triangular_sample),
    _linalg_info("linalg.cholesky", lambda lib: lib.linalg.cholesky, _spd_sample(upper=[False, True])),
    _linalg_info("linalg.cholesky_ex", lambda lib: lib.linalg.cholesky_ex, _spd_sample(upper=[False, True])),
    _linalg_info("linalg.qr", lambda lib: lib.linalg.qr, _rect(mode=["reduced"])),
    _linalg_info("linalg.qr_r", lambda lib: (lambda A: lib.linalg.qr(A, mode="r")), _rect(), grad=False,
                 notes="mode='r' has no gradient in torch either (both raise)"),
    _linalg_info("linalg.qr_complete", lambda lib: (lambda A: lib.linalg.qr(A, mode="complete")),
                 _one(lambda dtype, batch, n: _general(dtype, batch, n, n))),
    _linalg_info("linalg.svd", lambda lib: _svd_fixed(lib, lambda L: L.linalg.svd), _rect(full_matrices=[False, True])),
    _linalg_info("linalg.svdvals", lambda lib: lib.linalg.svdvals, _rect()),
    _linalg_info("linalg.eigh", _eigh_fixed, _one(_symmetric, UPLO=["L", "U"])),
    _linalg_info("linalg.eigvalsh", lambda lib: lib.linalg.eigvalsh, _one(_symmetric, UPLO=["L", "U"])),
    _linalg_info("linalg.pinv", lambda lib: lib.linalg.pinv, _rect()),
    _linalg_info("linalg.pinv_hermitian", lambda lib: (lambda A: lib.linalg.pinv(A, hermitian=True)),
                 _one(_symmetric)),
    _linalg_info("linalg.lstsq", lambda lib: lib.linalg.lstsq, _lstsq_sample),
    _linalg_info("linalg.matrix_norm", lambda lib: (lambda A, **kw: lib.linalg.matrix_norm(A, **kw)), _norm_sample,
                 gradgrad=False, notes="ord +-1/+-inf: minigrad's |x| sums have a constant first derivative "
                                       "(not itself differentiable); torch's is, with a zero second derivative"),
    _linalg_info("linalg.norm", lambda lib: (lambda A, **kw: lib.linalg.norm(A, **kw)), _norm_sample, gradgrad=False,
                 notes="as linalg.matrix_norm"),
    _linalg_info("linalg.vector_norm", lambda lib: (lambda x, **kw: lib.linalg.vector_norm(x, **kw)),
                 lambda dtype: st.tuples(_batch, _size, st.sampled_from([2, 3, 0.5, float("inf")])).flatmap(
                     lambda a: arrays(dtype, a[0] + (a[1] + 1,), unique=True, exclude_near=(0.0,)).map(
                         lambda x: Sample((x,), {"ord": a[2], "dim": -1})))),
    _linalg_info("linalg.matrix_power", lambda lib: lib.linalg.matrix_power,
                 lambda dtype: st.tuples(_batch, _size, st.integers(-3, 4)).flatmap(
                     lambda a: _square(dtype, a[0], a[1]).map(lambda A: Sample((A, a[2]))))),
    _linalg_info("linalg.matrix_rank", lambda lib: lib.linalg.matrix_rank,
                 _rect(hermitian=[False]), grad=False),
    _linalg_info("linalg.matrix_exp", lambda lib: lib.linalg.matrix_exp, _one(_square)),
    _linalg_info("linalg.cond", lambda lib: lib.linalg.cond,
                 lambda dtype: st.tuples(_batch, st.integers(1, 4), st.sampled_from([None, 2, -2])).flatmap(
                     lambda a: _general(dtype, a[0], a[1], a[1]).map(lambda A: Sample((A, a[2]))))),
    _linalg_info("linalg.cond_norms", lambda lib: lib.linalg.cond,
                 lambda dtype: st.tuples(_batch, st.integers(1, 4), st.sampled_from(["fro", "nuc", 1, -1, float("inf")])
                                         ).flatmap(lambda a: _square(dtype, a[0], a[1]).map(lambda A: Sample((A, a[2])))),
                 grad=False, notes="torch's gradient fails here (an in-place write of a saved inverse)"),
    _linalg_info("linalg.vecdot", lambda lib: lib.linalg.vecdot, _vecdot_sample),
    _linalg_info("linalg.lu_factor", lambda lib: (lambda A: lib.linalg.lu_factor(A)[0]), _rect()),
    _linalg_info("linalg.lu_factor_ex", lambda lib: (lambda A: lib.linalg.lu_factor_ex(A)), _one(_square)),
    _linalg_info("linalg.lu", lambda lib: lib.linalg.lu, _rect()),
    _linalg_info("linalg.lu_solve", _lu_solve, _lu_solve_sample),
    _linalg_info("linalg.householder_product", lambda lib: lib.linalg.householder_product, _householder_sample),
    _linalg_info("linalg.tensorinv", lambda lib: lib.linalg.tensorinv, _tensorinv_sample),
    _linalg_info("linalg.tensorsolve", lambda lib: lib.linalg.tensorsolve, _tensorsolve_sample),
    _linalg_info("linalg.vander", lambda lib: lib.linalg.vander, _vander_sample),
    # the top-level functions
    _linalg_info("det", lambda lib: lib.det, _one(_square)),
    _linalg_info("logdet", lambda lib: lib.logdet, _one(_square)),
    _linalg_info("slogdet", lambda lib: lib.slogdet, _one(_square)),
    _linalg_info("inverse", lambda lib: lib.inverse, _one(_square)),
    _linalg_info("pinverse", lambda lib: lib.pinverse, _pinverse_sample),
    _linalg_info("cholesky", lambda lib: lib.cholesky, _spd_sample(upper=[False, True])),
    _linalg_info("cholesky_inverse", lambda lib: (lambda A, upper: lib.cholesky_inverse(
        lib.linalg.cholesky(A, upper=upper), upper)), _spd_sample(upper=[False, True])),
    _linalg_info("cholesky_solve", lambda lib: lib.cholesky_solve, _cholesky_solve_sample),
    _linalg_info("linalg.diagonal", lambda lib: lib.linalg.diagonal, _one(_square, offset=[0, 1, -2])),
    _linalg_info("linalg.ldl_factor", lambda lib: lib.linalg.ldl_factor, _one(_square), grad=False),
    _linalg_info("linalg.ldl_factor_ex", lambda lib: lib.linalg.ldl_factor_ex, _one(_symmetric), grad=False),
    _linalg_info("linalg.ldl_solve", lambda lib: (lambda A, B: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(A), B)),
                 _ldl_solve_sample, grad=False),
    _linalg_info("qr", lambda lib: lib.qr, _rect(some=[True])),
    _linalg_info("svd", lambda lib: (lambda A, **kw: _svd_fixed_v(lib, A, **kw)), _rect(some=[True, False])),
    _linalg_info("lu", lambda lib: (lambda A: lib.lu(A)[0]), _one(_square)),
    _linalg_info("lu_solve", lambda lib: (lambda A, B: lib.lu_solve(B, *lib.linalg.lu_factor(A))),
                 lambda dtype: st.tuples(_batch, _size, st.integers(0, 3)).flatmap(
                     lambda a: st.tuples(_square(dtype, a[0], a[1]), arrays(dtype, a[0] + (a[1], a[2]))).map(Sample))),
    _linalg_info("lu_unpack", _lu_unpack, _rect()),
    _linalg_info("matrix_exp", lambda lib: lib.matrix_exp, _one(_square)),
    _linalg_info("triangular_solve", lambda lib: lib.triangular_solve, lambda dtype: _triangular_sample(dtype, True)),
    _linalg_info("geqrf", lambda lib: lib.geqrf, _rect(), grad=False, notes="no derivative in torch either"),
    _linalg_info("ormqr", lambda lib: lib.ormqr, _ormqr_sample, dtypes=("float64",)),
]

# The numerical gradcheck perturbs every entry of its input, also those these ops ignore (the other
# triangle of a Cholesky factor or of a symmetric matrix read through UPLO) or that break their
# structure, so it disagrees with the analytic gradient there; these entries compare their
# gradients with torch's instead (test_grad, and torch's own OpInfo samples in
# docs/torch_opinfo.md). The ones whose structure is a symmetric input or a triangular factor get a
# companion entry, ``<name>_structured``, with gradcheck on: the op composed with the parametrisation
# that keeps the structure (X -> (X + X^T) / 2, or the factor's triangle), as torch's gradcheck
# wrappers (gradcheck_wrapper_hermitian_input, gradcheck_wrapper_triangular_input) do. For the others
# (kinks of the norms, the svd and eigh gauges, lu's pivots, vander) it is open work.
_STRUCTURED = {"linalg.cholesky", "linalg.cholesky_ex", "linalg.eigh", "linalg.eigvalsh", "linalg.pinv_hermitian",
               "linalg.matrix_norm", "linalg.vector_norm", "linalg.lu", "linalg.tensorsolve", "linalg.svd", "logdet",
               "cholesky", "cholesky_inverse", "cholesky_solve", "svd", "linalg.vander"}
# Open differences from torch: torch's float32 det grad-of-grad is None at these samples;
# the svd/eigh and vander second derivatives and qr's gradcheck disagree on some drawn samples.
_OPEN = {"det": dict(gradgrad=False), "linalg.qr": dict(gradcheck=False),
         "linalg.vander": dict(gradgrad=False),
         # float32 gradients of near-degenerate drawn spectra differ from torch's beyond rounding: float64 only
         "linalg.svd": dict(dtypes=("float64",), gradgrad=False), "svd": dict(dtypes=("float64",), gradgrad=False),
         # the sign gauge fixed by each eigenvector's first entry: in float32 rounding decides it where that entry
         # is tiny (a near-diagonal draw, off-diagonal 3e-14), and the upstream gradient then differs
         "linalg.eigh": dict(dtypes=("float64",))}


def _symmetrized(fn, position=0):
    """fn with its input at ``position`` replaced by (X + X^T) / 2: perturbations stay symmetric."""
    def call(*args, **kwargs):
        args = list(args)
        args[position] = (args[position] + args[position].mT) / 2
        return fn(*args, **kwargs)
    return call


def _triangle_only(fn, position):
    """fn with its Cholesky factor at ``position`` replaced by the triangle it reads (upper= picks which)."""
    def call(*args, upper=False, **kwargs):
        args = list(args)
        args[position] = args[position].triu() if upper else args[position].tril()
        return fn(*args, upper=upper, **kwargs)
    return call


_STRUCTURE_KEEPING = {**dict.fromkeys(["linalg.cholesky", "linalg.cholesky_ex", "linalg.eigvalsh",
                                       "linalg.pinv_hermitian", "cholesky", "cholesky_inverse"], _symmetrized),
                      "cholesky_solve": lambda fn: _triangle_only(fn, 1)}
OPS += [dataclasses.replace(_op, name=_op.name + "_structured", op=_STRUCTURE_KEEPING[_op.name](_op.op),
                            ref=_STRUCTURE_KEEPING[_op.name](_op.ref))
        for _op in OPS if _op.name in _STRUCTURE_KEEPING]
for _op in OPS:
    if _op.name in _STRUCTURED:
        _op.gradcheck = False
        _op.notes = (_op.notes + "; " if _op.notes else "") + "gradcheck off: structured input (see _STRUCTURED)"
    for _key, _value in _OPEN.get(_op.name, {}).items():
        setattr(_op, _key, _value)
    if _op.name in ("linalg.svd", "svd", "linalg.eigh", "linalg.lu", "linalg.householder_product"):   # float32 rounding
        _op.rtol, _op.atol = {"float32": 1e-2}, {"float32": 1e-3}


def _svd_fixed_v(lib, A, some=True):
    U, S, V = lib.svd(A, some=some)
    k = S.shape[-1]
    U, V = U[..., :k], V[..., :k]
    sign = _gauge(lib, U)
    return U * sign, S, V * sign


ERRORS = [
    ErrorCase("det_not_square", lambda lib: lib.linalg.det(lib.ones(2, 3)), ("linalg.det", "2 by 3")),
    ErrorCase("det_1d", lambda lib: lib.linalg.det(lib.ones(3)), ("at least 2 dimensions",)),
    ErrorCase("inv_int", lambda lib: lib.linalg.inv(lib.ones(2, 2, dtype=lib.int64)), ("floating point", "Long")),
    ErrorCase("inv_not_square", lambda lib: lib.linalg.inv(lib.ones(2, 3)), ("2 by 3",)),
    ErrorCase("solve_shapes", lambda lib: lib.linalg.solve(lib.ones(2, 2), lib.ones(3)), ("2x2 and 3x1",)),
    ErrorCase("solve_dtypes", lambda lib: lib.linalg.solve(lib.ones(2, 2), lib.ones(2, 2, dtype=lib.float64)),
              ("same dtype", "Float", "Double")),
    ErrorCase("solve_triangular_shapes", lambda lib: lib.linalg.solve_triangular(lib.ones(2, 2), lib.ones(3, 1),
                                                                                 upper=True), ("2x2 and 3x1",)),
    ErrorCase("qr_mode", lambda lib: lib.linalg.qr(lib.ones(2, 3), mode="x"), ("'x'",)),
    ErrorCase("svd_1d", lambda lib: lib.linalg.svd(lib.ones(2)), ("linalg.svd", "at least 2 dimensions")),
    ErrorCase("eigh_not_square", lambda lib: lib.linalg.eigh(lib.ones(2, 3)), ("2 by 3",)),
    ErrorCase("eigh_uplo", lambda lib: lib.linalg.eigh(lib.eye(2), UPLO="X"), ("UPLO", "X")),
    ErrorCase("lu_factor_singular", lambda lib: lib.linalg.lu_factor(lib.zeros(2, 2)), ("U[1,1] is zero",)),
    ErrorCase("matrix_power_not_square", lambda lib: lib.linalg.matrix_power(lib.ones(2, 3), 2), ("2 by 3",)),
    ErrorCase("matrix_power_int_inverse", lambda lib: lib.linalg.matrix_power(lib.ones(2, 2, dtype=lib.int64), -1),
              ("floating point", "Long")),
    ErrorCase("matrix_norm_ord", lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), ord=3), ("Order 3",)),
    ErrorCase("norm_3d_ord", lambda lib: lib.linalg.norm(lib.ones(2, 2, 2), ord=2), ("1D or 2D", "3D")),
    ErrorCase("vector_norm_str_ord", lambda lib: lib.linalg.vector_norm(lib.ones(2, 2), ord="fro"), ("ord",)),
    ErrorCase("lstsq_rows", lambda lib: lib.linalg.lstsq(lib.ones(3, 2), lib.ones(2, 1)), ("size(-2)",)),
    ErrorCase("lstsq_driver", lambda lib: lib.linalg.lstsq(lib.ones(3, 2), lib.ones(3, 1), driver="x"), ("driver",)),
    ErrorCase("tensorinv_shape", lambda lib: lib.linalg.tensorinv(lib.ones(2, 3), 1), ("3 != 2",)),
    ErrorCase("ldl_factor_not_square", lambda lib: lib.linalg.ldl_factor(lib.ones(2, 3)), ("2 by 3",)),
    ErrorCase("ldl_factor_int", lambda lib: lib.linalg.ldl_factor(lib.ones(2, 2, dtype=lib.int64)),
              ("floating point", "Long")),
    ErrorCase("ldl_solve_shapes", lambda lib: lib.linalg.ldl_solve(lib.eye(2), lib.ones(2, dtype=lib.int32),
                                                                   lib.ones(3, 1)), ("2 by 2", "3 by 1")),
    ErrorCase("ldl_solve_dtypes", lambda lib: lib.linalg.ldl_solve(lib.eye(2), lib.ones(2, dtype=lib.int32),
                                                                   lib.ones(2, 1, dtype=lib.float64)), ("same dtype",)),
    ErrorCase("diagonal_1d", lambda lib: lib.linalg.diagonal(lib.ones(3)), ("Dimension out of range",)),
    ErrorCase("mH_1d", lambda lib: lib.ones(3).mH, ("mH", "1-D")),
    ErrorCase("H_3d", lambda lib: lib.ones(2, 2, 2).H, ("tensor.H", "3-D")),
]


# linalg.eig: each eigenvector's phase is arbitrary (NumPy's and torch's LAPACK builds pick different signs),
# so the entry compares the eigenvalues and the eigenvectors' moduli; the gradient is not differentiable again.
def _eig_fixed(lib):
    def call(A):
        w, v = lib.linalg.eig(A)
        return w, v.abs()
    return call


def _distinct_spectrum(dtype, batch, n):
    """diag(1, 1.7, 2.4, ...) with the first 2 x 2 block a rotation-like [[1, 1], [-1, 1.7]] (eigenvalues
    1.35 +- 0.94i), plus 0.1 X, |X_ij| <= 1: distinct eigenvalues (real and a complex pair), well-conditioned
    eigenvectors."""
    base = np.diag(1 + 0.7 * np.arange(n))
    if n >= 2:
        base[0, 1], base[1, 0] = 1.0, -1.0
    return _seed_matrix(batch + (n, n)).map(lambda x: (base + 0.1 * x).astype(dtype))


OPS += [
    # float64 only: a float32 draw's gradient (through the eigenvectors' moduli) differed beyond float32 rounding
    _linalg_info("linalg.eig", _eig_fixed, _one(_distinct_spectrum), gradgrad=False, dtypes=("float64",),
                 notes="eigenvectors compared by modulus (phase gauge); backward computed on arrays; float64"),
    _linalg_info("linalg.eigvals", lambda lib: lib.linalg.eigvals, _one(_distinct_spectrum), gradgrad=False,
                 notes="backward computed on arrays"),
]
ERRORS += [
    ErrorCase("eig_not_square", lambda lib: lib.linalg.eig(lib.ones(2, 3)), ("linalg.eig", "2 by 3")),
    ErrorCase("eigvals_int", lambda lib: lib.linalg.eigvals(lib.ones(2, 2, dtype=lib.int64)), ("Long",)),
]
