"""Op table: the dropouts (ops/nnfunc.py), compared with torch mask for mask.

minigrad's generator reproduces torch's CPU stream (minigrad/random.py), so each call seeds both
frameworks with the sample's ``seed`` first: the same Bernoulli draws give the same masks, and the
values, gradients and grad-of-grad compare exactly. (A numerical gradcheck calls the op many times:
reseeding keeps its mask fixed.)
"""
import warnings

import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays


def _seeded(lib, fn):
    def call(x, *, seed, **kw):
        lib.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # dropout2d/3d's warnings on their deprecated ranks
            return fn(x, **kw)
    return call


def _entry(name, ranks, training_default=True, **kw):
    def sample(dtype):
        shape = st.sampled_from(ranks).flatmap(lambda r: st.lists(st.integers(0, 4), min_size=r, max_size=r))
        settings = st.tuples(st.integers(0, 2 ** 31), st.sampled_from([0.0, 0.2, 0.5, 1.0]),
                             st.sampled_from([True, True, False]))
        return st.tuples(shape.flatmap(lambda s: arrays(dtype, tuple(s))), settings).map(
            lambda a: Sample((a[0],), {"seed": a[1][0], "p": a[1][1], "training": a[1][2]}))
    return OpInfo(name, _seeded(minigrad, getattr(F, name)), _seeded(torch, getattr(TF, name)), sample, **kw)


OPS = [
    _entry("dropout1d", (2, 3)),
    _entry("dropout2d", (2, 3, 4)),
    _entry("dropout3d", (3, 4, 5)),
    _entry("alpha_dropout", (0, 1, 2, 3)),
    _entry("feature_alpha_dropout", (2, 3, 4)),
]


def _F(lib):
    return lib.nn.functional


ERRORS = [
    ErrorCase("dropout1d_rank", lambda lib: _F(lib).dropout1d(lib.ones(3), 0.5), ("dropout1d", "1D")),
    ErrorCase("dropout2d_p", lambda lib: _F(lib).dropout2d(lib.ones(2, 3, 4), 1.5), ("1.5",)),
    ErrorCase("alpha_dropout_p", lambda lib: _F(lib).alpha_dropout(lib.ones(3), -0.1, True), ("-0.1",)),
    ErrorCase("feature_alpha_dropout_rank", lambda lib: _F(lib).feature_alpha_dropout(lib.ones(3), 0.5, True),
              ("2 dimensions",)),
    ErrorCase("alpha_dropout_int", lambda lib: _F(lib).alpha_dropout(lib.ones(3, dtype=lib.int64), 0.5, True),
              ("Long",)),
]
