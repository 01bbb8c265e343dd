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
from ..opinfo import ErrorCase, OpInfo, Sample
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
    return _any.flatmap(lambda s: st.tuples(arrays(dtype, s), _dim(len(s)),
                                            st.sampled_from([None, None, "float64", "int64"]))).map(
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

ERRORS = [
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
