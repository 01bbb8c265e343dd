"""Op table: minigrad.masked (torch.masked's reductions and normalizations with a mask=).

Each sample draws an input, a bool mask of its shape (or one that broadcasts, or None) and a dim.
Masks that keep nothing in a slice are drawn too: the results there are the identities (-inf, NaN)
that torch returns. Inputs are distinct values, so that no max, min or median is a tie.
"""
import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import shapes
from .reduce import _distinct

_shape = shapes(1, 3, 1, 3)


def _values(dtype, shape):
    """Distinct values k/8, with 0 moved to 1/16: no ties, and no kink of |x| (norms) or of prod at 0."""
    return _distinct(dtype, shape).map(lambda a: np.where(a == 0, 0.0625, a).astype(a.dtype))


def _mask(shape):
    broadcast = st.just(shape[1:] if len(shape) > 1 else shape)
    return st.one_of(st.none(), hnp.arrays(np.bool_, shape), broadcast.flatmap(lambda s: hnp.arrays(np.bool_, s)))


def _dims(ndim, single):
    one = st.integers(-ndim, ndim - 1)
    if single:
        return one
    return st.one_of(st.none(), one, st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple))


def _sample(single_dim=False, keepdim=True, extra=None):
    """masked.OP(x, dim, keepdim=, mask=) samples (dim positional, as torch's samples pass it)."""
    def strategy(dtype):
        def build(s):
            kw = {"mask": _mask(s).map(lambda m: None if m is None else NoGrad(m))}
            if keepdim:
                kw["keepdim"] = st.booleans()
            if extra:
                kw.update(extra)
            return st.tuples(_values(dtype, s), _dims(len(s), single_dim), st.fixed_dictionaries(kw)).map(
                lambda a: Sample((a[0], a[1]), a[2]))
        return _shape.flatmap(build)
    return strategy


def _norm_sample(dtype):
    def build(s):
        return st.tuples(_values(dtype, s), st.sampled_from([2.0, 1.0, 3.0, float("inf")]),
                         _dims(len(s), False), st.booleans(), _mask(s)).map(
            lambda a: Sample((a[0], a[1], a[2]), {"keepdim": a[3], "mask": None if a[4] is None else NoGrad(a[4])}))
    return _shape.flatmap(build)


def _normalize_sample(dtype):
    def build(s):
        return st.tuples(_values(dtype, s), st.sampled_from([2.0, 1.0, 3.0]), st.integers(-len(s), len(s) - 1),
                         _mask(s)).map(
            lambda a: Sample((a[0], a[1], a[2]), {"mask": None if a[3] is None else NoGrad(a[3])}))
    return _shape.flatmap(build)


def _logaddexp_sample(dtype):
    def build(s):
        # every position kept on one side at least: where both are masked out, both results are -inf
        return st.tuples(_values(dtype, s), _values(dtype, s), hnp.arrays(np.bool_, s)).map(
            lambda a: Sample((a[0], a[1]), {"input_mask": NoGrad(a[2]), "other_mask": NoGrad(~a[2])}))
    return _shape.flatmap(build)


OPS = [
    OpInfo("masked.sum", minigrad.masked.sum, torch.masked.sum, _sample()),
    OpInfo("masked.prod", minigrad.masked.prod, torch.masked.prod, _sample(), rtol={"float32": 1e-5}),
    OpInfo("masked.amax", minigrad.masked.amax, torch.masked.amax, _sample(), gradcheck=False,
           notes="no gradcheck: a slice with nothing kept is -inf"),
    OpInfo("masked.amin", minigrad.masked.amin, torch.masked.amin, _sample(), gradcheck=False),
    OpInfo("masked.argmax", minigrad.masked.argmax, torch.masked.argmax, _sample(single_dim=True), grad=False),
    OpInfo("masked.argmin", minigrad.masked.argmin, torch.masked.argmin, _sample(single_dim=True), grad=False),
    OpInfo("masked.mean", minigrad.masked.mean, torch.masked.mean, _sample(), gradcheck=False,
           notes="no gradcheck: a slice with nothing kept is NaN"),
    OpInfo("masked.var", minigrad.masked.var, torch.masked.var, _sample(extra={"correction": st.sampled_from([0, 1])}),
           gradcheck=False),
    OpInfo("masked.std", minigrad.masked.std, torch.masked.std, _sample(extra={"unbiased": st.booleans()}),
           gradcheck=False, gradgrad=False, notes="grad-of-grad: sqrt at a zero std is infinite"),
    OpInfo("masked.norm", minigrad.masked.norm, torch.masked.norm, _norm_sample, gradcheck=False),
    OpInfo("masked.logsumexp", minigrad.masked.logsumexp, torch.masked.logsumexp, _sample(), gradcheck=False),
    OpInfo("masked.median", minigrad.masked.median, torch.masked.median, _sample(single_dim=True), gradcheck=False),
    OpInfo("masked.cumsum", minigrad.masked.cumsum, torch.masked.cumsum, _sample(single_dim=True, keepdim=False)),
    OpInfo("masked.cumprod", minigrad.masked.cumprod, torch.masked.cumprod, _sample(single_dim=True, keepdim=False)),
    OpInfo("masked.softmax", minigrad.masked.softmax, torch.masked.softmax, _sample(single_dim=True, keepdim=False),
           gradcheck=False),
    OpInfo("masked.log_softmax", minigrad.masked.log_softmax, torch.masked.log_softmax,
           _sample(single_dim=True, keepdim=False), gradcheck=False),
    OpInfo("masked.softmin", minigrad.masked.softmin, torch.masked.softmin, _sample(single_dim=True, keepdim=False),
           gradcheck=False),
    OpInfo("masked.normalize", minigrad.masked.normalize, torch.masked.normalize, _normalize_sample),
    OpInfo("masked.logaddexp", minigrad.masked.logaddexp, torch.masked.logaddexp, _logaddexp_sample, gradgrad=False,
           notes="grad-of-grad not compared: it differs from torch's at some masked-out (-inf) positions"),
]

ERRORS = [
    ErrorCase("masked_sum_mask_shape", lambda lib: lib.masked.sum(lib.ones(2, 3), 1, mask=lib.ones(3, 2, dtype=lib.bool)),
              ("[3, 2]", "[2, 3]")),
]
