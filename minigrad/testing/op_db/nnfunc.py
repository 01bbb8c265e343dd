"""Op table: layer functions (ops/nnfunc.py): linear, pad, one_hot, embedding, layer_norm,
batch_norm, and dropout's deterministic cases.

Dropout's random mask is minigrad's own stream (not torch's), so only p = 0, p = 1 and
training=False are compared here; the mask statistics and the backward's reuse of the forward
mask are tested in tests/parity/test_dropout.py.

batch_norm's entries return (output, running_mean, running_var), so the in-place update of the
running statistics (unbiased variance, momentum) is compared with torch's as well.
"""
import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import minigrad.nn.functional as F
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays


def _sizes(n, low=0, high=4):
    return st.lists(st.integers(low, high), min_size=n, max_size=n).map(tuple)


# -- linear -----------------------------------------------------------------------------------
def _linear(dtype):
    def build(a):
        batch, n_in, n_out, kind = a
        if kind == "vector":  # 1-D weight: x . w, no bias
            return st.tuples(arrays(dtype, batch + (n_in,)), arrays(dtype, (n_in,))).map(lambda xw: Sample(xw))
        bias = arrays(dtype, (n_out,)) if kind == "bias" else st.none()
        return st.tuples(arrays(dtype, batch + (n_in,)), arrays(dtype, (n_out, n_in)), bias).map(
            lambda xwb: Sample(xwb if xwb[2] is not None else xwb[:2]))
    return st.tuples(st.integers(0, 2).flatmap(_sizes), st.integers(0, 4), st.integers(0, 4),
                     st.sampled_from(["bias", "bias", "none", "vector"])).flatmap(build)


# -- pad ----------------------------------------------------------------------------------------
def _pad_constant(dtype):
    def build(shape):
        k = st.integers(0, len(shape))
        return k.flatmap(lambda k: st.tuples(*[st.tuples(st.integers(-shape[-1 - i], 3), st.integers(-1, 3))
                                               for i in range(k)])).flatmap(
            lambda pairs: st.tuples(arrays(dtype, shape), st.sampled_from([None, 0.0, 1.5])).map(
                lambda xv: Sample((xv[0], _flat_pad(pairs, shape)), {} if xv[1] is None else {"value": xv[1]})))
    return _sizes(3).flatmap(lambda s: st.integers(0, 3).map(lambda n: s[:n])).flatmap(build)


def _flat_pad(pairs, shape):
    """(left, right) per dim from the last, right clipped so that the crops leave a size >= 0."""
    flat = []
    for i, (lo, hi) in enumerate(pairs):
        n = shape[-1 - i]
        hi = max(hi, -(n + min(lo, 0)))
        flat += [lo, hi]
    return tuple(flat)


def _pad_mode(mode):
    """k padded dims (1-3) of a (k+1)- or (k+2)-D input; reflect needs pads < size, circular <= size."""
    def strategy(dtype):
        def build(a):
            k, extra = a
            # (N, C, *padded) or (C, *padded): only the batch may be empty
            lead = st.tuples(st.integers(0, 2), st.integers(1, 2)) if extra == 2 else _sizes(1, 1, 2)
            dims = _sizes(k, 1, 4)
            return st.tuples(lead, dims).flatmap(lambda sd: _pads_for(sd[1], mode).flatmap(
                lambda p: arrays(dtype, sd[0] + sd[1]).map(lambda x: Sample((x, p), {"mode": mode}))))
        return st.tuples(st.integers(1, 3), st.integers(1, 2)).flatmap(build)
    return strategy


def _pads_for(dims, mode):
    pairs = []
    for n in reversed(dims):
        top = n - 1 if mode == "reflect" else (n if mode == "circular" else 3)
        # negative pads (cropping) for replicate only: torch's reflect and circular treat them oddly
        # (circular reads uninitialised memory for some), so minigrad's crop-then-pad is not compared there
        lo = st.integers(-((n - 1) // 2) if mode == "replicate" else 0, top)
        pairs.append(st.tuples(lo, st.integers(0, top)))
    return st.tuples(*pairs).map(lambda ps: tuple(v for p in ps for v in p))


# -- one_hot, embedding -------------------------------------------------------------------------
def _one_hot(dtype):
    def build(a):
        shape, n = a
        return arrays(np.int64, shape, 0, n - 1).flatmap(
            lambda x: st.sampled_from([-1, n, n + 2] if x.size else [n]).map(lambda c: Sample((x, c))))
    return st.tuples(st.integers(0, 3).flatmap(_sizes), st.integers(1, 5)).flatmap(build)


def _embedding(padding=False, freq=False, min_index_side=1):
    """Indices of any shape (0-d too) into a (rows, dim) weight; optionally padding_idx (negative
    too) and scale_grad_by_freq."""
    def strategy(dtype):
        def build(a):
            idx_shape, rows, dim = a
            options = st.tuples(st.sampled_from([0, rows - 1, -1]) if padding else st.none(),
                                st.booleans() if freq else st.just(False))
            return st.tuples(arrays(np.int64, idx_shape, 0, rows - 1), arrays(dtype, (rows, dim)), options).map(
                lambda s: Sample((s[0], s[1]), dict({} if s[2][0] is None else {"padding_idx": s[2][0]},
                                                    **({"scale_grad_by_freq": True} if s[2][1] else {}))))
        return st.tuples(st.integers(0, 3).flatmap(lambda n: _sizes(n, min_index_side)), st.integers(1, 5),
                         st.integers(0, 3)).flatmap(build)
    return strategy


# -- norms ------------------------------------------------------------------------------------
def _spread(dtype, shape, axes):
    """Values with a spread along ``axes`` (no near-constant slice, where 1/std explodes)."""
    def add_ramp(x):
        ramp = np.zeros(shape)
        for ax in axes:
            view = [1] * len(shape)
            view[ax] = shape[ax]
            ramp = ramp + np.linspace(-1.5, 1.5, shape[ax]).reshape(view)
        return (x + ramp).astype(dtype)
    return arrays(dtype, shape, -1, 1).map(add_ramp)


def _layer_norm(dtype):
    def build(a):
        batch, normalized, affine = a
        shape = batch + normalized
        axes = range(len(batch), len(shape))
        params = arrays(dtype, normalized, -2, 2) if affine else st.none()
        return st.tuples(_spread(dtype, shape, axes), params, params, st.sampled_from([1e-5, 1e-3])).map(
            lambda s: Sample((s[0], normalized) + ((s[1], s[2]) if affine else ()), {"eps": s[3]}))
    return st.tuples(st.integers(0, 2).flatmap(lambda n: _sizes(n, 0, 3)),
                     st.integers(1, 2).flatmap(lambda n: _sizes(n, 2, 4)), st.booleans()).flatmap(build)


def _batch_norm(training):
    def strategy(dtype):
        def build(a):
            n, c, spatial, affine = a
            shape = (n, c) + spatial
            axes = [0] + list(range(2, len(shape)))
            params = arrays(dtype, (c,), -2, 2) if affine else st.none()
            return st.tuples(_spread(dtype, shape, [ax for ax in axes if shape[ax] > 1]),
                             arrays(dtype, (c,), -1, 1), arrays(dtype, (c,), 0.5, 2), params, params,
                             st.sampled_from([0.1, 0.5])).map(
                lambda s: Sample((s[0], NoGrad(s[1]), NoGrad(s[2]), s[3], s[4]),
                                 {"training": training, "momentum": s[5]}))
        return st.tuples(st.integers(2, 4), st.integers(1, 3), st.integers(0, 2).flatmap(lambda k: _sizes(k, 1, 3)),
                         st.booleans()).flatmap(build)
    return strategy


def _with_stats(fn):
    """fn's output and the running statistics it updated in place."""
    def call(x, rm, rv, w=None, b=None, **kw):
        return fn(x, rm, rv, w, b, **kw), rm, rv
    return call


# -- dropout (deterministic cases) --------------------------------------------------------------
def _dropout(dtype):
    cases = st.sampled_from([{"p": 0.0}, {"p": 0.5, "training": False}, {"p": 1.0}, {"p": 1.0, "training": False}])
    return st.tuples(st.integers(0, 3).flatmap(_sizes).flatmap(lambda s: arrays(dtype, s)), cases).map(
        lambda a: Sample((a[0],), a[1]))


OPS = [
    OpInfo("linear", F.linear, TF.linear, _linear, notes="one matmul plus bias; 1-D weight is x . w"),
    OpInfo("pad", F.pad, TF.pad, _pad_constant, notes="constant mode; negative pads crop"),
    OpInfo("pad_reflect", F.pad, TF.pad, _pad_mode("reflect")),
    OpInfo("pad_replicate", F.pad, TF.pad, _pad_mode("replicate")),
    OpInfo("pad_circular", F.pad, TF.pad, _pad_mode("circular")),
    OpInfo("one_hot", F.one_hot, TF.one_hot, _one_hot, grad=False),
    OpInfo("embedding", F.embedding, TF.embedding, _embedding(), notes="repeated indices accumulate"),
    OpInfo("embedding_padding_idx", F.embedding, TF.embedding, _embedding(padding=True), gradcheck=False,
           notes="padding_idx's row gets no gradient (by design, so no numerical gradcheck)"),
    OpInfo("embedding_scale_grad_by_freq", F.embedding, TF.embedding,
           _embedding(padding=True, freq=True, min_index_side=0), gradgrad=False, gradcheck=False,
           notes="torch's double backward drops the 1/count scaling (and fails on empty indices); minigrad "
                 "differentiates the scaled gradient exactly, so grad-of-grad is not compared"),
    OpInfo("layer_norm", F.layer_norm, TF.layer_norm, _layer_norm, atol={"float32": 5e-5}),
    OpInfo("batch_norm_train", _with_stats(F.batch_norm), _with_stats(TF.batch_norm), _batch_norm(True),
           atol={"float32": 5e-5}, notes="running_var takes the unbiased variance"),
    OpInfo("batch_norm_eval", _with_stats(F.batch_norm), _with_stats(TF.batch_norm), _batch_norm(False),
           atol={"float32": 5e-5}),
    OpInfo("dropout_deterministic", F.dropout, TF.dropout, _dropout),
]


def _F(lib):
    return lib.nn.functional


ERRORS = [
    ErrorCase("linear_shapes", lambda lib: _F(lib).linear(lib.ones(2, 3), lib.ones(4, 5)), ("2x3", "5x4")),
    ErrorCase("linear_bias_shape", lambda lib: _F(lib).linear(lib.ones(2, 3), lib.ones(4, 3), lib.ones(5)),
              ("4", "5")),
    ErrorCase("linear_dtypes", lambda lib: _F(lib).linear(lib.ones(2, 3), lib.ones(4, 3, dtype=lib.float64)),
              ("float", "double")),
    ErrorCase("linear_0d", lambda lib: _F(lib).linear(lib.ones(()), lib.ones(4, 3)), ("0D",)),
    ErrorCase("linear_3d_weight", lambda lib: _F(lib).linear(lib.ones(2, 3), lib.ones(2, 4, 3)), ("3D",)),
    ErrorCase("dropout_p", lambda lib: _F(lib).dropout(lib.ones(3), p=1.5), ("1.5",)),
    ErrorCase("dropout_int", lambda lib: _F(lib).dropout(lib.ones(3, dtype=lib.int64), p=0.5), ("Long",)),
    ErrorCase("pad_odd", lambda lib: _F(lib).pad(lib.ones(2, 3), (1,)), ("divisible by 2",)),
    ErrorCase("pad_too_long", lambda lib: _F(lib).pad(lib.ones(2, 3), (1, 1, 1, 1, 1, 1)), ("6", "2")),
    ErrorCase("pad_negative_size", lambda lib: _F(lib).pad(lib.ones(1, 1, 3), (-2, -2)), ("negative",)),
    ErrorCase("pad_float", lambda lib: _F(lib).pad(lib.ones(2), (1.5, 1)), ("ints",)),
    ErrorCase("pad_reflect_too_big", lambda lib: _F(lib).pad(lib.ones(1, 3), (3, 3), mode="reflect"),
              ("(3, 3)", "[1, 3]")),
    ErrorCase("pad_reflect_1d", lambda lib: _F(lib).pad(lib.ones(3), (1, 1), mode="reflect"), ("1D",)),
    ErrorCase("pad_replicate_dims", lambda lib: _F(lib).pad(lib.ones(3, 3), (1, 1, 1, 1), mode="replicate"),
              ("2D",)),
    ErrorCase("pad_bad_mode", lambda lib: _F(lib).pad(lib.ones(1, 1, 3), (1, 1), mode="mirror"), ("mirror",)),
    ErrorCase("pad_reflect_value", lambda lib: _F(lib).pad(lib.ones(1, 1, 3), (1, 1), mode="reflect", value=1.0),
              ("value",)),
    ErrorCase("pad_circular_wrap", lambda lib: _F(lib).pad(lib.ones(1, 1, 3), (4, 1), mode="circular"),
              ("wrapping",)),
    ErrorCase("one_hot_float", lambda lib: _F(lib).one_hot(lib.ones(3)), ("LongTensor",)),
    ErrorCase("one_hot_too_big", lambda lib: _F(lib).one_hot(lib.tensor([1, 5]), 3), ("smaller",)),
    ErrorCase("one_hot_negative", lambda lib: _F(lib).one_hot(lib.tensor([1, -1]), 3), ("non-negative",)),
    ErrorCase("one_hot_empty", lambda lib: _F(lib).one_hot(lib.zeros(0, dtype=lib.int64)), ("empty",)),
    ErrorCase("embedding_float_index", lambda lib: _F(lib).embedding(lib.ones(3), lib.ones(5, 2)), ("Long", "Int")),
    ErrorCase("embedding_out_of_range", lambda lib: _F(lib).embedding(lib.tensor([5]), lib.ones(5, 2)),
              ("out of range",)),
    ErrorCase("embedding_padding_idx", lambda lib: _F(lib).embedding(lib.tensor([1]), lib.ones(5, 2), padding_idx=5),
              ("Padding_idx",)),
    ErrorCase("embedding_1d_weight", lambda lib: _F(lib).embedding(lib.tensor([1]), lib.ones(5)), ("2-D",)),
    ErrorCase("layer_norm_shape", lambda lib: _F(lib).layer_norm(lib.ones(2, 3), (4,)), ("[4]", "[2, 3]")),
    ErrorCase("layer_norm_weight", lambda lib: _F(lib).layer_norm(lib.ones(2, 3), (3,), weight=lib.ones(4)),
              ("[4]", "[3]")),
    ErrorCase("layer_norm_int", lambda lib: _F(lib).layer_norm(lib.ones(2, 3, dtype=lib.int64), (3,)), ("Long",)),
    ErrorCase("batch_norm_one_value", lambda lib: _F(lib).batch_norm(lib.ones(1, 3), lib.zeros(3), lib.ones(3),
                                                                     training=True), ("more than 1 value",)),
    ErrorCase("batch_norm_stats_size", lambda lib: _F(lib).batch_norm(lib.ones(2, 3), lib.zeros(4), lib.ones(4),
                                                                      training=True), ("3", "4")),
    ErrorCase("batch_norm_eval_no_stats", lambda lib: _F(lib).batch_norm(lib.ones(2, 3), None, None),
              ("running_mean",)),
]
