"""Op table: reductions (prod, max/min in their three forms, amax/amin, argmax/argmin, var/std, norm,
logsumexp, cumsum, all/any). sum and mean live in core.py.

Shapes include 0-d, size-0 and size-1 dims; dims are drawn valid (negative, tuples, and 0/-1 for a
0-d tensor), so that a size-0 dim that torch refuses to reduce checks the error parity too.
Inputs of max/min/amax and of the inf-norms are distinct values, well apart, so that no random
draw sits on a tie (a kink); ties are tested deterministically in tests/test_reduce_ties.py.
"""
import math

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays, dims_for, shapes

_any = shapes(0, 3)


def _dim(ndim):
    """One valid int dim (negative too; 0 or -1 for a 0-d tensor)."""
    n = max(ndim, 1)
    return st.integers(-n, n - 1)


def _dims(ndim, allow_none=True, allow_empty=True):
    """None, an int or a tuple of distinct dims (negative ones too)."""
    strategy = dims_for(ndim, allow_none=allow_none)
    if not allow_empty:
        strategy = strategy.filter(lambda d: d != ())
    if ndim:
        strategy = st.one_of(strategy, st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim).map(
            lambda ds: tuple(dict.fromkeys(d % ndim for d in ds).keys())).map(
            lambda ds: tuple(d - ndim if d % 2 else d for d in ds)))
    return strategy


def _distinct(dtype, shape, odd=None):
    """Values k/8 for distinct integers k: no two elements tie, even after a gradcheck's nudge.
    ``odd`` picks odd (True) or even (False) k only (repeats allowed), so that two such arrays never
    tie with each other."""
    elements = st.integers(-60, 60)
    if odd is not None:
        elements = elements.map(lambda k: 2 * (k // 2) + (1 if odd else 0))
    return hnp.arrays(np.int64, shape, elements=elements, unique=odd is None).map(lambda a: np.asarray(a / 8, dtype=dtype))


def _distinct_abs(dtype, shape):
    """Nonzero values whose absolute values are distinct (no ties for the inf-norms, no kink at 0)."""
    return hnp.arrays(np.int64, shape, elements=st.integers(1, 80), unique=True).flatmap(
        lambda a: st.lists(st.booleans(), min_size=a.size, max_size=a.size).map(
            lambda signs: np.asarray(np.where(np.reshape(signs, a.shape), -a, a) / 16, dtype=dtype)))


def _values(dtype, shape, kind):
    if kind == "distinct":
        return _distinct(dtype, shape)
    if kind == "nonzero":   # away from 0, where |x| and x^p bend
        return arrays(dtype, shape, -2.0, 2.0, exclude_near=(0.0,), margin=0.2)
    if kind == "prod":      # magnitudes near 1, so that products of 64 numbers stay well scaled
        return arrays(dtype, shape, 0.5, 1.5).flatmap(
            lambda a: st.lists(st.booleans(), min_size=a.size, max_size=a.size).map(
                lambda signs: np.asarray(np.where(np.reshape(signs, a.shape), -a, a), dtype=a.dtype) if a.size else a))
    if kind == "zeros":     # several zeros, sometimes two in one slice
        return arrays(dtype, shape, -2.0, 2.0, exclude_near=(0.0,), margin=0.2).flatmap(
            lambda a: st.lists(st.sampled_from([0, 1, 1]), min_size=a.size, max_size=a.size).map(
                lambda keep: np.asarray(a * np.reshape(keep, a.shape), dtype=a.dtype) if a.size else a))
    return arrays(dtype, shape, 0 if np.dtype(dtype) == np.uint8 else -3)


def _reduction(values="any", dims=lambda n: _dims(n), keepdim=True, shape=_any, nonempty=False):
    """Sample(x; dim=..., keepdim=...) for a reduction; ``nonempty``: never reduce a size-0 dim (max and
    its kin have no identity; the error parity of those calls is in ERRORS)."""
    def strategy(dtype):
        def build(s):
            kw = {"dim": dims(len(s))}
            if keepdim:
                kw["keepdim"] = st.booleans()
            return st.tuples(_values(dtype, s, values), st.fixed_dictionaries(kw)).map(
                lambda a: Sample((a[0],), {k: v for k, v in a[1].items() if v is not _ABSENT}))
        samples = shape.flatmap(build)
        return samples.filter(lambda smp: not _reduces_empty(smp)) if nonempty else samples
    return strategy


_ABSENT = object()   # a keyword left out of the call


def _reduced_dims(x, dim):
    if dim is None or dim is _ABSENT or dim == () or x.ndim == 0:
        return tuple(range(x.ndim))
    return (dim,) if isinstance(dim, int) else tuple(dim)


def _reduces_empty(sample):
    x = sample.args[0]
    dim = sample.kwargs.get("dim", sample.args[2] if len(sample.args) > 2 else None)
    reduced = _reduced_dims(x, dim)
    return (x.size == 0 and len(reduced) == x.ndim) or any(x.shape[d] == 0 for d in reduced)


def _positional(fn):
    """Call ``fn(x, dim, keepdim)`` with dim and keepdim positional, as max(x, dim, keepdim) wants."""
    return lambda x, dim, keepdim=False: fn(x, dim, keepdim)


def _var_kwargs(n):
    return st.one_of(
        st.fixed_dictionaries({"correction": st.sampled_from([0, 1, 2, 0.5])}),
        st.fixed_dictionaries({"unbiased": st.booleans()}),
        st.just({}))


def _var_sample(values, dof_positive, min_n=0):
    """var/std samples: dim, keepdim, and unbiased= or correction= (or neither); N >= min_n."""
    def strategy(dtype):
        def build(s):
            # no dim=(): torch reduces every dim then, but its gradient takes N = 1 (inf / nan)
            dims = _dims(len(s), allow_empty=False)
            return st.tuples(_values(dtype, s, values), dims, st.booleans(), _var_kwargs(len(s))).map(
                lambda a: Sample((a[0],), {"dim": a[1], "keepdim": a[2], **a[3]}))
        samples = _any.flatmap(build)
        if dof_positive:
            samples = samples.filter(lambda smp: _dof(smp) > 0 and _dof(smp, 0) >= min_n)
        else:
            samples = samples.filter(lambda smp: _dof(smp) <= 0)
        return samples
    return strategy


def _dof(sample, correction=None):
    """N - correction for a var/std sample (N with correction=0)."""
    x, kw = sample.args[0], sample.kwargs
    dims = kw["dim"]
    if x.ndim == 0 or dims is None or dims == ():
        n = x.size
    else:
        n = math.prod(x.shape[d] for d in ((dims,) if isinstance(dims, int) else dims))
    if correction is None:
        correction = kw.get("correction", 0 if kw.get("unbiased", True) is False else 1)
    return n - correction


def _var_dof_sample(dtype):
    """Few elements and a large correction: N - correction <= 0 gives inf / nan, as torch."""
    return shapes(0, 2, 1, 2).flatmap(lambda s: st.tuples(
        _distinct(dtype, s), st.one_of(st.none(), _dim(len(s))), st.booleans(), st.sampled_from([1, 2, 3, 4.5]))
    ).map(lambda a: Sample((a[0],), {"dim": a[1], "keepdim": a[2], "correction": a[3]})).filter(
        lambda smp: _dof(smp) <= 0)


def _norm_sample(dtype):
    """norm(x, p, dim, keepdim): every p torch's vector norm knows, and 'fro'."""
    ps = st.sampled_from([2, 1, 3, 1.5, 0.5, 0, math.inf, -math.inf, "fro", None, 4])

    def build(s):
        return st.tuples(_distinct_abs(dtype, s), ps,
                         st.one_of(st.none(), _dim(len(s)), _dims(len(s), allow_empty=False)), st.booleans())
    return _any.flatmap(build).map(lambda a: Sample((a[0], a[1]), {"dim": a[2], "keepdim": a[3]})).filter(
        lambda smp: (smp.args[1] not in (math.inf, -math.inf) or not _reduces_empty(smp))
        and not (smp.args[1] == "fro" and isinstance(smp.kwargs["dim"], tuple) and len(smp.kwargs["dim"]) > 2))


def _max_other(dtype):
    """max(x, other) without ties: x takes even multiples of 1/8, other odd ones."""
    from ..strategies import broadcastable_shapes
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(_distinct(dtype, s[0], False),
                                                               _distinct(dtype, s[1], True))).map(Sample)


def _cumsum_sample(dtype):
    # an integer dtype= of a float input has no gradient (torch raises under autograd): integer inputs only
    targets = [None, None, "float64"] + (["int64"] if np.dtype(dtype).kind in "biu" else [])
    return _any.flatmap(lambda s: st.tuples(arrays(dtype, s), _dim(len(s)),
                                            st.sampled_from(targets))).map(
        lambda a: Sample((a[0], a[1]), {} if a[2] is None else {"dtype": a[2]}))


def _dtype_arg(fn, lib):
    """fn with a dtype= given by name, turned into the library's dtype."""
    def call(*args, **kwargs):
        if "dtype" in kwargs:
            kwargs["dtype"] = getattr(lib, kwargs["dtype"])
        return fn(*args, **kwargs)
    return call


_one_dim = lambda n: _dim(n)                                                # noqa: E731
_dim_or_none = lambda n: st.one_of(st.none(), _dim(n))                      # noqa: E731
_real = ("float32", "float64")

OPS = [
    OpInfo("prod", minigrad.prod, torch.prod, _reduction("prod", dims=lambda n: st.just(_ABSENT), keepdim=False),
           dtypes=_real + ("int64",), rtol={"float32": 1e-5}),
    OpInfo("prod_dim", minigrad.prod, torch.prod, _reduction("prod", dims=_one_dim), dtypes=_real + ("int64",),
           rtol={"float32": 1e-5}),
    OpInfo("prod_zeros", minigrad.prod, torch.prod, _reduction("zeros", dims=lambda n: st.just(_ABSENT), keepdim=False),
           notes="inputs with zeros: the gradient is the product of the others (exact), as torch's"),
    OpInfo("prod_dim_zeros", minigrad.prod, torch.prod, _reduction("zeros", dims=_one_dim)),
    OpInfo("max", minigrad.max, torch.max, _reduction("distinct", dims=lambda n: st.just(_ABSENT), keepdim=False, nonempty=True),
           dtypes=_real + ("int64",)),
    OpInfo("min", minigrad.min, torch.min, _reduction("distinct", dims=lambda n: st.just(_ABSENT), keepdim=False, nonempty=True),
           dtypes=_real + ("int64",)),
    OpInfo("max_dim", _positional(minigrad.max), _positional(torch.max), _reduction("distinct", dims=_one_dim, nonempty=True),
           dtypes=_real + ("int64",)),
    OpInfo("min_dim", _positional(minigrad.min), _positional(torch.min), _reduction("distinct", dims=_one_dim, nonempty=True),
           dtypes=_real + ("int64",)),
    OpInfo("max_other", minigrad.max, torch.max, _max_other),
    OpInfo("min_other", minigrad.min, torch.min, _max_other),
    OpInfo("amax", minigrad.amax, torch.amax, _reduction("distinct", nonempty=True), dtypes=_real + ("int64",)),
    OpInfo("amin", minigrad.amin, torch.amin, _reduction("distinct", nonempty=True), dtypes=_real + ("int64",)),
    OpInfo("argmax", minigrad.argmax, torch.argmax, _reduction("distinct", dims=_dim_or_none, nonempty=True),
           dtypes=_real + ("int64",), grad=False),
    OpInfo("argmin", minigrad.argmin, torch.argmin, _reduction("distinct", dims=_dim_or_none, nonempty=True),
           dtypes=_real + ("int64",), grad=False),
    OpInfo("var", minigrad.var, torch.var, _var_sample("any", True)),
    OpInfo("std", minigrad.std, torch.std, _var_sample("distinct", True, min_n=2),
           notes="N >= 2 distinct values: where std is 0 its gradient is torch's masked 0 (not a derivative), "
                 "see tests/test_reduce_ties.py"),
    OpInfo("var_no_dof", minigrad.var, torch.var, _var_dof_sample, gradcheck=False,
           notes="N - correction <= 0: inf / nan values and gradients, as torch's"),
    OpInfo("std_no_dof", minigrad.std, torch.std, _var_dof_sample, gradcheck=False),
    OpInfo("norm", minigrad.norm, torch.norm, _norm_sample, rtol={"float32": 1e-5}),
    OpInfo("logsumexp", minigrad.logsumexp, torch.logsumexp,
           _reduction("any", dims=lambda n: _dims(n, allow_none=False, allow_empty=False)),
           dtypes=_real + ("int64",)),
    OpInfo("cumsum", _dtype_arg(minigrad.cumsum, minigrad), _dtype_arg(torch.cumsum, torch), _cumsum_sample,
           dtypes=_real + ("int64", "bool")),
    OpInfo("all", minigrad.all, torch.all, _reduction("any"), dtypes=("bool", "uint8", "float32"), grad=False),
    OpInfo("any", minigrad.any, torch.any, _reduction("any"), dtypes=("bool", "uint8", "float32"), grad=False),
]



# -- aminmax, cummax/cummin, cumprod, logcumsumexp, nan-reductions, var_mean/std_mean ----------------
def _ties(dtype, shape, nan=False):
    """Values from a handful, NaN among them when ``nan``: ties everywhere."""
    values = [-1.0, -0.5, 0.0, 0.5, 1.0] + ([float("nan")] if nan else [])
    if np.dtype(dtype).kind != "f":
        return hnp.arrays(dtype, shape, elements=st.integers(-2, 2))
    return hnp.arrays(np.int64, shape, elements=st.integers(0, len(values) - 1)).map(
        lambda a: np.asarray(np.take(values, a), dtype=dtype))


def _aminmax_sample(values):
    def strategy(dtype):
        def build(s):
            make = _distinct(dtype, s) if values == "distinct" else _ties(dtype, s, nan=True)
            return st.tuples(make, st.one_of(st.none(), _dim(len(s))), st.booleans()).map(
                lambda a: Sample((a[0],), {"dim": a[1], "keepdim": a[2]}))
        return shapes(0, 3, 1, 4).flatmap(build)
    return strategy


def _cum_sample(values):
    def strategy(dtype):
        def build(s):
            if values == "ties":
                make = _ties(dtype, s, nan=True)
            elif values == "distinct":
                make = _distinct(dtype, s)
            else:
                make = _values(dtype, s, values)
            return st.tuples(make, _dim(len(s))).map(lambda a: Sample((a[0], a[1])))
        return _any.flatmap(build)
    return strategy


def _nan_values(dtype, shape):
    """Distinct values with NaNs among them (no ties: which of equal values torch sorts first is its own)."""
    return _distinct(dtype, shape).flatmap(lambda a: hnp.arrays(np.bool_, a.shape).map(
        lambda m: np.where(m, np.nan, a).astype(a.dtype) if a.size else a))


def _nan_reduction(dtype):
    def build(s):
        return st.tuples(_nan_values(dtype, s), _dims(len(s)), st.booleans()).map(
            lambda a: Sample((a[0],), {"dim": a[1], "keepdim": a[2]}))
    return _any.flatmap(build)


def _quantile_sample(nan):
    def strategy(dtype):
        def build(s):
            qs = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]),
                           hnp.arrays(dtype, st.integers(1, 3), elements=st.sampled_from([0.0, 0.1, 0.5, 0.75, 1.0])).map(NoGrad))
            dims = st.one_of(st.none(), _dim(len(s)))
            # one NaN at most: where several tie as the last value, which one torch's sort puts last is its own
            values = _nan_values(dtype, s).filter(lambda a: np.isnan(a).sum() <= 1) if nan else _distinct(dtype, s)
            return st.tuples(values, qs, dims, st.booleans(),
                             st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"])).map(
                lambda a: Sample((a[0], a[1]), {"dim": a[2], "keepdim": a[3], "interpolation": a[4]}))
        return shapes(0, 3, 1, 4).flatmap(build)
    return strategy


def _cov_sample(dtype):
    def build(s):
        n = s[-1] if s else 1
        fw = st.one_of(st.none(), hnp.arrays(np.int64, (n,), elements=st.integers(0, 3)).map(NoGrad))
        aw = st.one_of(st.none(), arrays(dtype, (n,), 0.1, 2).map(NoGrad))
        return st.tuples(arrays(dtype, s), st.sampled_from([0, 1, 2]), fw, aw).map(
            lambda a: Sample((a[0],), {"correction": a[1], "fweights": a[2], "aweights": a[3]}))
    return shapes(0, 2, 1, 5).flatmap(build)


def _corrcoef_sample(dtype):
    return shapes(1, 2, 2, 5).flatmap(lambda s: _distinct(dtype, s)).map(lambda a: Sample((a,)))


def _diff_sample(dtype):
    def build(s):
        def extra(d):
            shape = tuple(2 if i == d % len(s) else n for i, n in enumerate(s))
            return st.one_of(st.none(), arrays(dtype, shape))
        return _dim(len(s)).flatmap(lambda d: st.tuples(arrays(dtype, s), st.integers(0, 3), st.just(d), extra(d),
                                                        extra(d))).map(
            lambda a: Sample((a[0], a[1], a[2], a[3], a[4])))
    return shapes(1, 3, 0, 4).flatmap(build)


def _trapezoid_sample(cumulative):
    def strategy(dtype):
        def build(s):
            def spacing(d):
                n = s[d]
                coords = hnp.arrays(np.int64, (n,), elements=st.integers(0, 20), unique=True).map(
                    lambda c: NoGrad(np.sort(c).astype(dtype) / 4))
                return st.one_of(st.just({}), st.sampled_from([0.5, 2.0]).map(lambda v: {"dx": v}),
                                 coords.map(lambda c: {"x": c}))
            return _dim(len(s)).flatmap(lambda d: st.tuples(arrays(dtype, s), st.just(d), spacing(d))).map(
                lambda a: Sample((a[0],), {"dim": a[1], **a[2]}))
        return shapes(1, 3, 0 if not cumulative else 1, 4).flatmap(build)
    return strategy


def _gradient_sample(dtype):
    def build(s):
        order = st.sampled_from([1, 2])

        def spacing(dims, edge):
            per_dim = [st.one_of(st.sampled_from([1.0, 0.5]), hnp.arrays(np.int64, (s[d],), elements=st.integers(
                0, 30), unique=True).map(lambda c: NoGrad(np.sort(c).astype(dtype) / 4))) for d in dims]
            return st.one_of(st.sampled_from([1.0, 2.0]), st.tuples(*per_dim).map(list))
        return order.flatmap(lambda e: st.tuples(
            arrays(dtype, s), st.just(e), st.one_of(st.none(), st.just(len(s) - 1))).flatmap(
            lambda a: spacing(range(len(s)) if a[2] is None else [a[2]], e).map(
                lambda sp: Sample((a[0],), {"edge_order": a[1], "dim": a[2], "spacing": sp})))).filter(
            lambda smp: all(n >= smp.kwargs["edge_order"] + 1 for n in smp.args[0].shape)
            and not (isinstance(smp.kwargs["spacing"], list) and len({type(v) for v in smp.kwargs["spacing"]}) > 1))
    return shapes(1, 2, 3, 5).flatmap(build)


OPS += [
    OpInfo("aminmax", minigrad.aminmax, torch.aminmax, _aminmax_sample("distinct"), dtypes=_real + ("int64",)),
    OpInfo("aminmax_ties", minigrad.aminmax, torch.aminmax, _aminmax_sample("ties"), gradcheck=False,
           notes="ties (and NaNs) share the gradient evenly, as torch's"),
    OpInfo("cummax", minigrad.cummax, torch.cummax, _cum_sample("distinct"), dtypes=_real + ("int64",)),
    OpInfo("cummin", minigrad.cummin, torch.cummin, _cum_sample("distinct"), dtypes=_real + ("int64",)),
    OpInfo("cummax_ties", minigrad.cummax, torch.cummax, _cum_sample("ties"), dtypes=_real + ("int64",),
           gradcheck=False, notes="a later equal value (or NaN) takes over the index, as in torch's kernel"),
    OpInfo("cummin_ties", minigrad.cummin, torch.cummin, _cum_sample("ties"), dtypes=_real + ("int64",),
           gradcheck=False),
    OpInfo("cumprod", minigrad.cumprod, torch.cumprod, _cum_sample("prod"), dtypes=_real + ("int64",),
           rtol={"float32": 1e-5}),
    OpInfo("cumprod_zeros", minigrad.cumprod, torch.cumprod, _cum_sample("zeros"),
           notes="inputs with zeros: the exact products of the others, as torch's cumprod_backward"),
    OpInfo("logcumsumexp", minigrad.logcumsumexp, torch.logcumsumexp, _cum_sample("any")),
    OpInfo("nansum", minigrad.nansum, torch.nansum, _nan_reduction, gradcheck=False),
    OpInfo("nansum_finite", minigrad.nansum, torch.nansum, _reduction("any"), dtypes=_real + ("int64",)),
    OpInfo("nanmean", minigrad.nanmean, torch.nanmean, _nan_reduction, gradcheck=False),
    OpInfo("var_mean", minigrad.var_mean, torch.var_mean, _var_sample("any", True)),
    OpInfo("std_mean", minigrad.std_mean, torch.std_mean, _var_sample("distinct", True, min_n=2)),
    OpInfo("quantile", minigrad.quantile, torch.quantile, _quantile_sample(False)),
    OpInfo("nanquantile", minigrad.nanquantile, torch.nanquantile, _quantile_sample(True), gradcheck=False),
    OpInfo("quantile_nan", minigrad.quantile, torch.quantile, _quantile_sample(True), gradcheck=False,
           notes="a NaN in a slice makes its quantile NaN"),
    OpInfo("cov", minigrad.cov, torch.cov, _cov_sample, gradcheck=False,
           notes="no gradcheck: fweights of 0 can leave no degrees of freedom (inf)"),
    OpInfo("corrcoef", minigrad.corrcoef, torch.corrcoef, _corrcoef_sample, rtol={"float32": 1e-4},
           atol={"float32": 1e-4}),
    OpInfo("diff", minigrad.diff, torch.diff, _diff_sample, dtypes=_real + ("int64",)),
    OpInfo("trapezoid", minigrad.trapezoid, torch.trapezoid, _trapezoid_sample(False)),
    OpInfo("trapz", minigrad.trapz, torch.trapz, _trapezoid_sample(False)),
    OpInfo("cumulative_trapezoid", minigrad.cumulative_trapezoid, torch.cumulative_trapezoid, _trapezoid_sample(True)),
    OpInfo("gradient", minigrad.gradient, torch.gradient, _gradient_sample),
]

ERRORS = [
    ErrorCase("aminmax_empty", lambda lib: lib.aminmax(lib.ones(0, 3)), ("aminmax()", "empty")),
    ErrorCase("aminmax_dim_empty", lambda lib: lib.aminmax(lib.ones(0, 3), dim=0), ("aminmax()", "dim 0")),
    ErrorCase("cummax_bad_dim", lambda lib: lib.cummax(lib.ones(2), 1), ("[-1, 0]", "1")),
    ErrorCase("nanmean_int", lambda lib: lib.nanmean(lib.ones(2, dtype=lib.int64)), ("nanmean()", "Long")),
    ErrorCase("var_mean_int", lambda lib: lib.var_mean(lib.ones(2, dtype=lib.int64)), ("floating point",)),
    ErrorCase("quantile_int", lambda lib: lib.quantile(lib.ones(2, dtype=lib.int64), 0.5), ("quantile()", "float")),
    ErrorCase("quantile_q_range", lambda lib: lib.quantile(lib.ones(2), 1.5), ("quantile()", "[0, 1]")),
    ErrorCase("quantile_q_2d", lambda lib: lib.quantile(lib.ones(2), lib.ones(2, 2) / 2), ("quantile()", "1D")),
    ErrorCase("quantile_q_dtype", lambda lib: lib.quantile(lib.ones(2), lib.ones(2, dtype=lib.float64) / 2),
              ("quantile()", "same dtype")),
    ErrorCase("quantile_empty", lambda lib: lib.quantile(lib.ones(0), 0.5), ("quantile()", "non-empty")),
    ErrorCase("quantile_interpolation", lambda lib: lib.quantile(lib.ones(2), 0.5, interpolation="cubic"),
              ("interpolation", "cubic")),
    ErrorCase("cov_3d", lambda lib: lib.cov(lib.ones(2, 2, 2)), ("cov()", "two or fewer")),
    ErrorCase("cov_fweights_float", lambda lib: lib.cov(lib.ones(2, 3), fweights=lib.ones(3)), ("fweights", "integral")),
    ErrorCase("cov_aweights_numel", lambda lib: lib.cov(lib.ones(2, 3), aweights=lib.ones(2)), ("aweights", "numel")),
    ErrorCase("cov_fweights_negative", lambda lib: lib.cov(lib.ones(2, 2), fweights=lib.tensor([1, -1])),
              ("fweights", "negative")),
    ErrorCase("diff_0d", lambda lib: lib.diff(lib.tensor(1.0)), ("diff", "one-dimensional")),
    ErrorCase("diff_negative_n", lambda lib: lib.diff(lib.ones(3), -1), ("order", "non-negative")),
    ErrorCase("gradient_small", lambda lib: lib.gradient(lib.ones(2), edge_order=2), ("edge_order+1",)),
    ErrorCase("gradient_edge_order", lambda lib: lib.gradient(lib.ones(4), edge_order=3), ("edge_order",)),
    ErrorCase("prod_bad_dim", lambda lib: lib.ones(2, 3).prod(2), ("[-2, 1]", "2")),
    ErrorCase("max_empty", lambda lib: lib.ones(0, 3).max(), ("max()", "numel() == 0", "dim")),
    ErrorCase("max_dim_empty", lambda lib: lib.ones(0, 3).max(0), ("max()", "dim 0", "non-zero size")),
    ErrorCase("max_bad_dim", lambda lib: lib.ones(2, 3).max(-3), ("[-2, 1]", "-3")),
    ErrorCase("min_dim_empty", lambda lib: lib.ones(3, 0).min(1), ("min()", "dim 1")),
    ErrorCase("amax_empty", lambda lib: lib.ones(0, 3).amax(), ("amax()", "numel() == 0")),
    ErrorCase("amax_dim_empty", lambda lib: lib.ones(3, 0).amax((0, 1)), ("amax()", "dim 1")),
    ErrorCase("amin_dim_repeated", lambda lib: lib.ones(2, 3).amin((1, -1)), ("dim 1", "multiple times")),
    ErrorCase("argmax_empty", lambda lib: lib.ones(0).argmax(), ("argmax()", "numel() == 0")),
    ErrorCase("argmax_bool", lambda lib: lib.ones(3, dtype=lib.bool).argmax(), ("argmax()", "bool")),
    ErrorCase("argmin_bad_dim", lambda lib: lib.ones(2, 3).argmin(5), ("[-2, 1]", "5")),
    ErrorCase("var_int", lambda lib: lib.ones(3, dtype=lib.int64).var(), ("floating point",)),
    ErrorCase("std_bad_dim", lambda lib: lib.ones(2, 3).std(3), ("[-2, 1]", "3")),
    ErrorCase("norm_int", lambda lib: lib.ones(3, dtype=lib.int64).norm(), ("vector_norm", "floating point", "Long")),
    ErrorCase("norm_inf_empty", lambda lib: lib.ones(0).norm(float("inf")), ("inf norm", "empty")),
    ErrorCase("norm_bad_order", lambda lib: lib.ones(2, 2).norm("foo"), ("foo",)),
    ErrorCase("norm_fro_3d", lambda lib: lib.ones(2, 2, 2).norm("fro", (0, 1, 2)), ("2-tuple",)),
    ErrorCase("logsumexp_no_dim", lambda lib: lib.logsumexp(lib.ones(2, 3)), ("dim",)),
    ErrorCase("cumsum_bad_dim", lambda lib: lib.ones(2, 3).cumsum(-3), ("[-2, 1]", "-3")),
    ErrorCase("cumsum_tuple_dim", lambda lib: lib.ones(2, 3).cumsum((0,)), ("dim", "tuple")),
    ErrorCase("mean_int", lambda lib: lib.ones(3, dtype=lib.int64).mean(), ("mean()", "Long")),
    ErrorCase("all_bad_dim", lambda lib: lib.ones(2).all(1), ("[-1, 0]", "1")),
]
