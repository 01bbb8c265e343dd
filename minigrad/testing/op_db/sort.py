"""Op table: sorting, selection and counting (sort, topk, kthvalue, median, mode, unique, searchsorted,
histograms, bincount, count_nonzero).

Two kinds of input: ``distinct`` values (no two equal, so that every op's index choice is unique)
and ``ties`` (few distinct values, NaNs too for the float ops): sort is stable and mode and the
NaN rules are specified, so they are compared on ties as well; topk, kthvalue and median pick
among equal values by torch's quickselect, whose choice of index is not specified, so their
gradient and indices are compared on distinct values only.
"""
import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays, shapes
from .reduce import _distinct

_any = shapes(0, 3)
_nonempty = shapes(0, 3, 1, 4)
_real = ("float32", "float64")


def _ties(dtype, shape, nan=False):
    """Values from a handful (k/2 for k in -2..2), NaN among them when ``nan``: many ties."""
    values = [-1.0, -0.5, 0.0, 0.5, 1.0] + ([float("nan")] if nan else [])
    if np.dtype(dtype).kind == "b":
        return hnp.arrays(dtype, shape, elements=st.booleans())
    if np.dtype(dtype).kind != "f":
        return hnp.arrays(dtype, shape, elements=st.integers(-2, 2))
    return hnp.arrays(np.int64, shape, elements=st.integers(0, len(values) - 1)).map(
        lambda a: np.asarray(np.take(values, a), dtype=dtype))


def _dim(ndim):
    n = max(ndim, 1)
    return st.integers(-n, n - 1)


def _size(x, dim):
    return x.shape[dim] if x.ndim else 1


def _values(dtype, shape, kind):
    if kind == "distinct" or np.dtype(dtype).kind != "f" and kind != "ties":
        return _distinct(dtype, shape) if np.dtype(dtype).kind == "f" else \
            hnp.arrays(dtype, shape, elements=st.integers(-50, 50), unique=True)
    return _ties(dtype, shape, nan=kind == "ties_nan")


def _sort_sample(kind):
    def strategy(dtype):
        return _any.flatmap(lambda s: st.tuples(_values(dtype, s, kind), _dim(len(s)), st.booleans())).map(
            lambda a: Sample((a[0],), {"dim": a[1], "descending": a[2], "stable": True}))
    return strategy


def _topk_sample(kind):
    def strategy(dtype):
        def build(s):
            return st.tuples(_values(dtype, s, kind), _dim(len(s)), st.booleans()).flatmap(
                lambda a: st.integers(0, _size(a[0], a[1])).map(
                    lambda k: Sample((a[0], k), {"dim": a[1], "largest": a[2]})))
        return _any.flatmap(build)
    return strategy


def _kthvalue_sample(dtype):
    def build(s):
        return st.tuples(_values(dtype, s, "distinct"), _dim(len(s)), st.booleans()).flatmap(
            lambda a: st.integers(1, _size(a[0], a[1])).map(lambda k: Sample((a[0], k, a[1], a[2]))))
    return _nonempty.flatmap(build)


def _dim_sample(kind, shape=_nonempty):
    """x, dim, keepdim (for median(dim), nanmedian(dim), mode)."""
    def strategy(dtype):
        return shape.flatmap(lambda s: st.tuples(_values(dtype, s, kind), _dim(len(s)), st.booleans())).map(
            lambda a: Sample((a[0], a[1], a[2])))
    return strategy


def _nan_slices(dtype):
    """x, dim, keepdim where every slice along dim holds a NaN (or has one element): no tie to choose among."""
    def build(s):
        return st.tuples(_ties(dtype, s, nan=True), _dim(len(s)), st.booleans()).filter(
            lambda a: a[0].ndim == 0 or bool(np.all(np.isnan(a[0]).any(axis=a[1]) | (a[0].shape[a[1]] == 1))))
    return _nonempty.flatmap(build).map(lambda a: Sample((a[0], a[1], a[2])))


def _all_sample(kind, shape=_any):
    def strategy(dtype):
        return shape.flatmap(lambda s: _values(dtype, s, kind)).map(lambda a: Sample((a,)))
    return strategy


def _unique_sample(consecutive):
    def strategy(dtype):
        def build(s):
            dims = st.one_of(st.none(), _dim(len(s))) if len(s) else st.none()
            kw = {"return_inverse": st.booleans(), "return_counts": st.booleans(), "dim": dims}
            if not consecutive:
                kw["sorted"] = st.just(True)
            return st.tuples(_ties(dtype, s), st.fixed_dictionaries(kw)).map(lambda a: Sample((a[0],), a[1]))
        return _any.flatmap(build)
    return strategy


def _searchsorted_sample(dtype):
    def build(s):
        lead, n = s[:-1], s[-1]
        boundaries = st.one_of(st.just((n,)), st.just(s)) if lead else st.just((n,))
        return st.tuples(boundaries.flatmap(lambda b: _ties(dtype, b)),
                         _ties(dtype, lead + (3,)), st.sampled_from(["left", "right", None]),
                         st.booleans()).map(
            lambda a: Sample((NoGrad(np.sort(a[0], axis=-1)), NoGrad(a[1])),
                             {"right": a[2] == "right" if a[2] else False, "out_int32": a[3]}))
    return shapes(1, 3, 0, 4).flatmap(build)


def _searchsorted_sorter_sample(dtype):
    return st.tuples(_ties(dtype, (5,)), _ties(dtype, (2, 3)), st.sampled_from(["left", "right"])).map(
        lambda a: Sample((NoGrad(a[0]), NoGrad(a[1])),
                         {"side": a[2], "sorter": NoGrad(np.argsort(a[0], kind="stable"))}))


def _bucketize_sample(dtype):
    return st.tuples(_any.flatmap(lambda s: _ties(dtype, s)), st.integers(0, 5).flatmap(lambda n: _ties(dtype, (n,))),
                     st.booleans()).map(lambda a: Sample((NoGrad(a[0]), NoGrad(np.sort(a[1]))), {"right": a[2]}))


def _histc_sample(dtype):
    return st.tuples(_any.flatmap(lambda s: arrays(dtype, s)), st.integers(1, 6),
                     st.sampled_from([(0, 0), (-1, 1), (-2.5, 0.5)])).map(
        lambda a: Sample((NoGrad(a[0]),), {"bins": a[1], "min": a[2][0], "max": a[2][1]}))


def _histogram_sample(dtype):
    def build(s):
        bins = st.one_of(st.integers(1, 5), hnp.arrays(dtype, st.integers(2, 5), elements=st.sampled_from(
            [-2.0, -1.0, -0.25, 0.0, 0.5, 1.0, 2.5]), unique=True).map(lambda e: NoGrad(np.sort(e))))
        weight = st.one_of(st.none(), arrays(dtype, s, 0, 2).map(NoGrad))
        return st.tuples(arrays(dtype, s), bins, st.sampled_from([None, (-1.0, 1.0)]), weight, st.booleans()).map(
            lambda a: Sample((NoGrad(a[0]), a[1]), {**({"range": a[2]} if isinstance(a[1], int) else {}),
                                                    "weight": a[3], "density": a[4]}))
    return _any.flatmap(build)


def _flat_histogramdd(lib):
    """histogramdd with its bin edges spread out (the op table compares a flat list of tensors)."""
    def call(x, bins, **kw):
        hist, edges = lib.histogramdd(x, bins, **kw)
        return (hist, *edges)
    return call


def _histogramdd_sample(dtype):
    return st.tuples(shapes(1, 2, 0, 4), st.integers(1, 3)).flatmap(
        lambda a: st.tuples(arrays(dtype, a[0] + (a[1],)), st.integers(1, 4), st.booleans())).map(
        lambda a: Sample((NoGrad(a[0]), a[1]), {"density": a[2]}))


def _bincount_sample(dtype):
    return st.integers(0, 6).flatmap(lambda n: st.tuples(
        hnp.arrays(np.int64, (n,), elements=st.integers(0, 5)),
        st.one_of(st.none(), arrays(dtype, (n,), 0, 2).map(NoGrad)), st.integers(0, 8))).map(
        lambda a: Sample((a[0],), {"weights": a[1], "minlength": a[2]}))


def _count_nonzero_sample(dtype):
    def build(s):
        dims = st.one_of(st.none(), _dim(len(s))) if len(s) else st.none()
        return st.tuples(_ties(dtype, s), dims).map(lambda a: Sample((a[0],), {"dim": a[1]}))
    return _any.flatmap(build)


_ints = ("int64",)

OPS = [
    OpInfo("sort", minigrad.sort, torch.sort, _sort_sample("distinct"), dtypes=_real + _ints),
    OpInfo("sort_ties", minigrad.sort, torch.sort, _sort_sample("ties_nan"), dtypes=_real + _ints, gradcheck=False,
           notes="stable: equal values (and NaNs, sorted last) keep their order, in both directions"),
    OpInfo("argsort", minigrad.argsort, torch.argsort, _sort_sample("ties_nan"), dtypes=_real + _ints, grad=False),
    OpInfo("msort", minigrad.msort, torch.msort, _all_sample("ties_nan"), dtypes=_real + _ints, gradcheck=False),
    OpInfo("topk", minigrad.topk, torch.topk, _topk_sample("distinct"), dtypes=_real + _ints),
    OpInfo("kthvalue", minigrad.kthvalue, torch.kthvalue, _kthvalue_sample, dtypes=_real + _ints),
    OpInfo("median", minigrad.median, torch.median, _all_sample("ties_nan", _nonempty), dtypes=_real + _ints,
           gradcheck=False, notes="the lower median; the gradient is shared evenly among the elements equal to it, "
                                  "as torch's (NaN inputs: no gradcheck; empty input: tests/test_sort_reduce.py)"),
    OpInfo("nanmedian", minigrad.nanmedian, torch.nanmedian, _all_sample("ties_nan", _nonempty), dtypes=_real + _ints,
           gradcheck=False),
    OpInfo("median_distinct", minigrad.median, torch.median, _all_sample("distinct", _nonempty)),
    OpInfo("median_dim", minigrad.median, torch.median, _dim_sample("distinct"), dtypes=_real + _ints),
    OpInfo("median_dim_nan", minigrad.median, torch.median, _nan_slices, grad=False,
           notes="a NaN in a slice is its median, at the NaN's index (NaN-free slices: the tie choice is torch's)"),
    OpInfo("nanmedian_dim", minigrad.nanmedian, torch.nanmedian, _dim_sample("distinct"), dtypes=_real + _ints),
    OpInfo("mode_distinct", minigrad.mode, torch.mode, _dim_sample("distinct"), dtypes=_real + _ints),
    OpInfo("mode", minigrad.mode, torch.mode, _dim_sample("ties"), dtypes=_real + _ints, gradcheck=False,
           notes="ties in count go to the smallest value, reported at its last index (no NaNs: torch sorts them with "
                 "std::sort's <, which leaves their place unspecified)"),
    OpInfo("unique", minigrad.unique, torch.unique, _unique_sample(False), dtypes=_real + _ints, grad=False),
    OpInfo("unique_consecutive", minigrad.unique_consecutive, torch.unique_consecutive, _unique_sample(True),
           dtypes=_real + _ints, grad=False),
    OpInfo("searchsorted", minigrad.searchsorted, torch.searchsorted, _searchsorted_sample, dtypes=_real + _ints,
           grad=False),
    OpInfo("searchsorted_sorter", minigrad.searchsorted, torch.searchsorted, _searchsorted_sorter_sample,
           dtypes=_real + _ints, grad=False),
    OpInfo("bucketize", minigrad.bucketize, torch.bucketize, _bucketize_sample, dtypes=_real + _ints, grad=False),
    OpInfo("histc", minigrad.histc, torch.histc, _histc_sample, grad=False),
    OpInfo("histogram", minigrad.histogram, torch.histogram, _histogram_sample, grad=False),
    OpInfo("histogramdd", _flat_histogramdd(minigrad), _flat_histogramdd(torch), _histogramdd_sample, grad=False),
    OpInfo("bincount", minigrad.bincount, torch.bincount, _bincount_sample, grad=False),
    OpInfo("count_nonzero", minigrad.count_nonzero, torch.count_nonzero, _count_nonzero_sample,
           dtypes=_real + _ints + ("bool",), grad=False),
]

ERRORS = [
    ErrorCase("sort_bad_dim", lambda lib: lib.sort(lib.ones(2, 3), 2), ("[-2, 1]", "2")),
    ErrorCase("topk_k_too_large", lambda lib: lib.topk(lib.ones(3), 4), ("k out of range",)),
    ErrorCase("topk_k_negative", lambda lib: lib.topk(lib.ones(3), -1), ("k out of range",)),
    ErrorCase("kthvalue_k_zero", lambda lib: lib.kthvalue(lib.ones(3), 0), ("kthvalue()", "k out of range")),
    ErrorCase("kthvalue_k_too_large", lambda lib: lib.kthvalue(lib.ones(2, 3), 4), ("k out of range",)),
    ErrorCase("median_dim_empty", lambda lib: lib.median(lib.ones(0, 2), 0), ("median()", "dim 0", "non-zero")),
    ErrorCase("mode_dim_empty", lambda lib: lib.mode(lib.ones(0, 2), 0), ("mode()", "dim 0")),
    ErrorCase("searchsorted_side", lambda lib: lib.searchsorted(lib.ones(3), lib.ones(2), side="middle"),
              ("side", "middle")),
    ErrorCase("searchsorted_side_right", lambda lib: lib.searchsorted(lib.ones(3), lib.ones(2), right=True,
                                                                      side="left"), ("opposites",)),
    ErrorCase("searchsorted_shapes", lambda lib: lib.searchsorted(lib.ones(2, 3), lib.ones(3, 2)),
              ("boundaries tensor", "[2, 3]", "[3, 2]")),
    ErrorCase("searchsorted_sorter_dtype", lambda lib: lib.searchsorted(lib.ones(3), lib.ones(2),
                                                                        sorter=lib.zeros(3, dtype=lib.int32)),
              ("sorter", "long")),
    ErrorCase("bucketize_2d", lambda lib: lib.bucketize(lib.ones(2), lib.ones(2, 2)), ("1 dimension",)),
    ErrorCase("histc_int", lambda lib: lib.histc(lib.ones(3, dtype=lib.int64)), ("histogram", "Long")),
    ErrorCase("histc_bins", lambda lib: lib.histc(lib.ones(3), bins=0), ("bins", "0")),
    ErrorCase("histc_min_max", lambda lib: lib.histc(lib.ones(3), 3, 2, 1), ("max must be larger than min",)),
    ErrorCase("histogram_weight_shape", lambda lib: lib.histogram(lib.ones(3), 2, weight=lib.ones(2)), ("weight",)),
    ErrorCase("bincount_float", lambda lib: lib.bincount(lib.ones(3)), ("bincount", "Float")),
    ErrorCase("bincount_2d", lambda lib: lib.bincount(lib.ones(2, 2, dtype=lib.int64)), ("1-d",)),
    ErrorCase("bincount_negative", lambda lib: lib.bincount(lib.tensor([-1, 2])), ("non-negative",)),
    ErrorCase("bincount_minlength", lambda lib: lib.bincount(lib.tensor([1, 2]), minlength=-1), ("minlength",)),
    ErrorCase("bincount_weights", lambda lib: lib.bincount(lib.tensor([1, 2]), lib.ones(3)), ("weights",)),
]
