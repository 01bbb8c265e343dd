"""Op table: losses (ops/loss.py), as torch.nn.functional.

Targets are drawn valid: class indices in range with some positions set to ignore_index (at least
one kept under 'mean', and no empty batch there, since a mean of nothing is 0/0 = NaN, which a
numerical gradcheck cannot differentiate; those cases are the ``*_all_ignored`` entries), class probabilities
that sum to 1 (as NoGrad arrays, and as differentiable arrays too), BCE inputs inside (0, 1).
l1 / smooth_l1 / huber keep x - y away from their kinks (0 and +-beta / +-delta).
"""
import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import minigrad.nn.functional as F
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes, shapes

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


def _class_problem(max_extra_dims=2):
    """(input shape, target shape, C): (C,) and (), (N, C) and (N,), (N, C, d1...) and (N, d1...)."""
    c = st.integers(1, 5)
    n = st.integers(0, 4)
    extra = st.lists(st.integers(0, 3), max_size=max_extra_dims).map(tuple)
    batched = st.tuples(n, c, extra).map(lambda a: ((a[0], a[1]) + a[2], (a[0],) + a[2], a[1]))
    single = c.map(lambda k: ((k,), (), k))
    return st.one_of(single, batched)


def _targets(shape, c, ignore_index, reduction):
    """Class indices in [0, c) with some set to ignore_index (one kept under 'mean')."""
    size = int(np.prod(shape)) if shape else 1
    classes = st.lists(st.integers(0, c - 1), min_size=size, max_size=size)
    ignored = st.lists(st.booleans(), min_size=size, max_size=size)

    def build(a):
        t = np.array(a[0], np.int64)
        mask = np.array(a[1], bool)
        t[mask] = ignore_index
        if reduction == "mean" and size and t.flat[0] == ignore_index:
            t.flat[0] = (ignore_index + 1) % c  # c > 1 here: an in-range ignore_index needs two classes
        return t.reshape(shape)
    return st.tuples(classes, ignored).map(build)


def _class_loss(smoothing=True, low=-4.0, high=4.0):
    def strategy(dtype):
        def with_problem(p):
            xshape, tshape, c = p
            empty = 0 in tshape  # an empty mean is 0/0: see the *_all_ignored entries
            settings = st.tuples(st.sampled_from(["sum", "none"]) if empty else REDUCTIONS, st.sampled_from([-100, 0, c - 1] if c > 1 else [-100]), st.booleans(),
                                 st.sampled_from([0.0, 0.0, 0.1, 0.5] if smoothing else [0.0]))

            def with_settings(s):
                reduction, ignore_index, weighted, ls = s
                kw = {"reduction": reduction, "ignore_index": ignore_index}
                if ls:
                    kw["label_smoothing"] = ls
                weight = arrays(dtype, (c,), 0.25, 2.0) if weighted else st.none()
                return st.tuples(arrays(dtype, xshape, low, high), _targets(tshape, c, ignore_index, reduction),
                                 weight).map(lambda a: Sample((a[0], a[1]), dict(kw, **({} if a[2] is None else
                                                                                      {"weight": a[2]}))))
            return settings.flatmap(with_settings)
        return _class_problem().flatmap(with_problem)
    return strategy


def _probabilities(dtype, shape, axis):
    return arrays(dtype, shape, 0.0625, 1.0).map(
        lambda p: (p / p.sum(axis=axis, keepdims=True)).astype(dtype) if p.size else p)


def _probability_targets(dtype):
    def with_problem(p):
        xshape, _, c = p
        axis = 0 if len(xshape) == 1 else 1
        return st.tuples(arrays(dtype, xshape, -4, 4), _probabilities(dtype, xshape, axis), REDUCTIONS,
                         st.booleans(), st.sampled_from([0.0, 0.2]), st.booleans()).flatmap(
            lambda a: (arrays(dtype, (c,), 0.25, 2.0) if a[3] else st.none()).map(
                lambda w: Sample((a[0], a[1] if a[5] else NoGrad(a[1])),
                                 dict({"reduction": _no_empty_mean(a[2], a[0]), "label_smoothing": a[4]},
                                      **({} if w is None else {"weight": w})))))
    return _class_problem().flatmap(with_problem)


def _all_ignored(dtype):
    """Every target ignored, or an empty batch: a mean of nothing."""
    def sample(a):
        n, reduction = a
        x = np.linspace(-2, 2, 3 * n).reshape(n, 3).astype(dtype)
        return Sample((x, np.full(n, -100, np.int64)), {"reduction": reduction})
    return st.tuples(st.sampled_from([4, 0]), st.sampled_from(["mean", "sum", "none"])).map(sample)


def _pair(low=-3.0, high=3.0, kinks=(), broadcast=False):
    """(input, target) with d = input - target kept away from ``kinks`` (targets differentiable)."""
    def strategy(dtype):
        if broadcast:
            pairs = broadcastable_shapes(2).flatmap(lambda s: st.tuples(arrays(dtype, s[0], low, high),
                                                                        arrays(dtype, s[1], low, high)))
        else:
            pairs = shapes().flatmap(lambda s: st.tuples(
                arrays(dtype, s, low, high),
                arrays(dtype, s, low, high, exclude_near=kinks, margin=0.05))).map(
                lambda xd: (xd[0], np.asarray(xd[0] - xd[1], dtype)))  # target = x - d
        return st.tuples(pairs, REDUCTIONS).map(lambda a: Sample(a[0], {"reduction": _no_empty_mean(a[1], *a[0])}))
    return strategy


def _no_empty_mean(reduction, *arrays_):
    """'sum' in place of a mean over nothing (NaN, which a numerical gradcheck cannot differentiate)."""
    if reduction == "mean" and any(a.size == 0 for a in arrays_):
        return "sum"
    return reduction


def _weighted_pair(kinks=()):
    def strategy(dtype):
        return st.tuples(shapes().flatmap(lambda s: st.tuples(
            arrays(dtype, s, -3, 3), arrays(dtype, s, -3, 3, exclude_near=kinks, margin=0.05),
            arrays(dtype, s, 0.25, 2.0))), REDUCTIONS).map(
            lambda a: Sample((a[0][0], np.asarray(a[0][0] - a[0][1], dtype)), {"reduction": a[1], "weight": a[0][2]}))
    return strategy


def _bce(dtype):
    def with_shape(s):
        weight_shape = st.sampled_from([None, s, s[1:], s[-1:] if s else ()])
        # hard 0/1 targets only as constants: a numerical gradcheck would step outside [0, 1]
        return st.tuples(arrays(dtype, s, 0.03125, 0.96875), arrays(dtype, s, 0.0, 1.0),
                         arrays(dtype, s, 0.03125, 0.96875), weight_shape, REDUCTIONS, st.booleans()).flatmap(
            lambda a: (st.none() if a[3] is None else arrays(dtype, a[3], 0.25, 2.0)).map(
                lambda w: Sample((a[0], a[2] if a[5] else NoGrad(a[1])),
                                 dict({"reduction": a[4]}, **({} if w is None else {"weight": w})))))
    return shapes().flatmap(with_shape)


def _bce_logits(dtype):
    def with_shape(s):
        extra = st.sampled_from([None, s[-1:] if s else (), s])
        return st.tuples(arrays(dtype, s, -6, 6), arrays(dtype, s, 0.0, 1.0), extra, extra, REDUCTIONS,
                         st.booleans()).flatmap(
            lambda a: st.tuples(st.none() if a[2] is None else arrays(dtype, a[2], 0.25, 2.0),
                                st.none() if a[3] is None else arrays(dtype, a[3], 0.25, 3.0)).map(
                lambda wp: Sample((a[0], a[1] if a[5] else NoGrad(a[1])),
                                  dict({"reduction": a[4]}, **({} if wp[0] is None else {"weight": wp[0]}),
                                       **({} if wp[1] is None else {"pos_weight": wp[1]})))))
    return shapes().flatmap(with_shape)


def _kl(dtype):
    def with_shape(s):
        return st.tuples(arrays(dtype, s, -4, -0.0625), st.booleans(),
                         st.sampled_from(["mean", "sum", "none", "batchmean"])).flatmap(
            lambda a: (arrays(dtype, s, -4, 0) if a[1] else arrays(dtype, s, 0.03125, 1.0)).map(
                lambda t: Sample((a[0], t), {"reduction": a[2], "log_target": a[1]})))
    return shapes().flatmap(with_shape)


def _seeded(build):
    """Samples drawn from a NumPy generator seeded by hypothesis: continuous values, so that the piecewise
    losses meet their kinks with probability 0 (hypothesis' own floats favour 0, 1 and ties)."""
    return lambda dtype: st.integers(0, 2 ** 32 - 1).map(lambda seed: build(np.random.default_rng(seed), np.dtype(dtype)))


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _batch(rng, min_dims=0, max_dims=2):
    return tuple(int(n) for n in rng.integers(0, 4, rng.integers(min_dims, max_dims + 1)))


def _reduction_for(rng, *arrays_):
    return _no_empty_mean(str(rng.choice(["mean", "sum", "none"])), *arrays_)


def _margin_ranking(rng, dtype):
    shape = _batch(rng)
    x1 = rng.uniform(-2, 2, shape).astype(dtype)
    x2 = rng.uniform(-2, 2, shape).astype(dtype)
    y = _signs(rng, shape).astype(dtype)
    margin = float(rng.choice([0.0, 0.5]))
    return Sample((x1, x2, NoGrad(y)), {"margin": margin, "reduction": _reduction_for(rng, x1)})


def _hinge(rng, dtype):
    shape = _batch(rng)
    x = rng.uniform(-2, 2, shape).astype(dtype)
    y = _signs(rng, shape).astype(dtype)
    return Sample((x, NoGrad(y)), {"margin": float(rng.choice([1.0, 0.5])), "reduction": _reduction_for(rng, x)})


def _soft_margin(rng, dtype):
    shape = _batch(rng)
    x = rng.uniform(-3, 3, shape).astype(dtype)
    return Sample((x, NoGrad(_signs(rng, shape).astype(dtype))), {"reduction": _reduction_for(rng, x)})


def _multilabel_soft_margin(rng, dtype):
    shape = _batch(rng, 0, 1) + (int(rng.integers(1, 5)),)
    x = rng.uniform(-3, 3, shape).astype(dtype)
    t = rng.random(shape).astype(dtype)
    kw = {"reduction": _reduction_for(rng, x)}
    if rng.random() < 0.5:
        kw["weight"] = rng.uniform(0.5, 2, shape[-1:]).astype(dtype)
    return Sample((x, t if rng.random() < 0.5 else NoGrad(np.round(t))), kw)


def _multi_margin(rng, dtype):
    c = int(rng.integers(1, 5))
    # no empty batch: torch 2.13 reduces an empty batch to uninitialised memory ('sum' gives 2.5e-11 or 0)
    shape = ((int(rng.integers(1, 4)), c) if rng.random() < 0.7 else (c,))
    x = rng.uniform(-2, 2, shape).astype(dtype)
    t = rng.integers(0, c, shape[:-1]).astype(np.int64)
    kw = {"p": int(rng.choice([1, 2])), "margin": float(rng.choice([1.0, 0.3])), "reduction": _reduction_for(rng, x)}
    if rng.random() < 0.5:
        kw["weight"] = rng.uniform(0.5, 2, c).astype(dtype)
    return Sample((x, t), kw)


def _multilabel_margin(rng, dtype):
    c = int(rng.integers(1, 5))
    shape = ((int(rng.integers(1, 4)), c) if rng.random() < 0.7 else (c,))
    x = rng.uniform(-2, 2, shape).astype(dtype)
    t = rng.integers(-1, c, shape).astype(np.int64)  # each row's targets end at its first -1
    return Sample((x, t), {"reduction": _reduction_for(rng, x)})


def _triplet(with_distance):
    def build(rng, dtype):
        shape = (int(rng.integers(0, 4)), int(rng.integers(1, 4))) if rng.random() < 0.8 else (int(rng.integers(1, 4)),)
        a, pos, neg = (rng.uniform(-2, 2, shape).astype(dtype) for _ in range(3))
        kw = {"margin": float(rng.choice([1.0, 0.5])), "swap": bool(rng.random() < 0.5),
              "reduction": _reduction_for(rng, a)}
        if not with_distance:
            kw["p"] = float(rng.choice([2.0, 1.0, 3.0]))
        return Sample((a, pos, neg), kw)
    return build


def _cosine_embedding(rng, dtype):
    if rng.random() < 0.7:
        n = int(rng.integers(0, 4))
        shape, tshape = (n, int(rng.integers(1, 4))), (n,)
    else:
        shape, tshape = (int(rng.integers(1, 4)),), ()
    x1, x2 = (rng.uniform(-2, 2, shape).astype(dtype) for _ in range(2))
    return Sample((x1, x2, _signs(rng, tshape).astype(np.int64)),
                  {"margin": float(rng.choice([0.0, 0.2])), "reduction": _reduction_for(rng, x1)})


def _gaussian_nll(rng, dtype):
    shape = _batch(rng, 1, 2) + (int(rng.integers(1, 4)),)
    x, y = (rng.uniform(-2, 2, shape).astype(dtype) for _ in range(2))
    var_shape = rng.choice(["same", "short", "one"])
    vshape = {"same": shape, "short": shape[:-1], "one": shape[:-1] + (1,)}[str(var_shape)]
    var = rng.uniform(0.1, 2, vshape).astype(dtype)
    return Sample((x, y, var), {"full": bool(rng.random() < 0.5), "reduction": _reduction_for(rng, x)})


def _poisson_nll(rng, dtype):
    shape = _batch(rng)
    log_input = bool(rng.random() < 0.5)
    x = (rng.uniform(-2, 2, shape) if log_input else rng.uniform(0.1, 3, shape)).astype(dtype)
    y = rng.uniform(0.1, 4, shape).astype(dtype)
    y[np.abs(y - 1) < 0.05] = 2.0   # Stirling's term switches on at y > 1
    return Sample((x, y), {"log_input": log_input, "full": bool(rng.random() < 0.5),
                           "reduction": _reduction_for(rng, x)})


def _ctc(rng, dtype):
    """log_softmax outputs, padded (N, S) or concatenated targets, lengths as tensors or lists; some samples
    too short for their targets (an infinite loss, zeroed under zero_infinity)."""
    n, c = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    t = int(rng.integers(1, 7))
    blank = int(rng.integers(0, c))
    labels = [l for l in range(c) if l != blank]
    target_lengths = rng.integers(0, 4, n)
    input_lengths = rng.integers(1, t + 1, n)
    logits = rng.standard_normal((t, n, c))
    log_probs = (logits - np.log(np.exp(logits).sum(-1, keepdims=True))).astype(dtype)
    padded = rng.choice(labels, (n, max(int(target_lengths.max()), 1)))
    if rng.random() < 0.5:
        targets = np.concatenate([padded[i, :target_lengths[i]] for i in range(n)]).astype(np.int64)
    else:
        targets = padded.astype(np.int64)
    lengths = (lambda v: v) if rng.random() < 0.5 else (lambda v: [int(x) for x in v])
    zero_infinity = bool(rng.random() < 0.5)
    reduction = str(rng.choice(["mean", "sum", "none"]))
    return Sample((log_probs, targets, lengths(input_lengths), lengths(target_lengths)),
                  {"blank": blank, "reduction": reduction, "zero_infinity": zero_infinity})


_MEAN_TOL = {"float32": 3e-5}  # float32 sums over a batch


def _linear_cross_entropy(dtype):
    """(input (N, in), linear_weight (C, in), target, linear_bias (C,)) and a reduction."""
    def build(a):
        n, c, d, reduction = a
        return st.tuples(arrays(dtype, (n, d)), arrays(dtype, (c, d)), _targets((n,), c, -100, reduction),
                         arrays(dtype, (c,))).map(lambda p: Sample(p, {"reduction": reduction}))
    return st.tuples(st.integers(1, 4), st.integers(2, 5), st.integers(1, 4), REDUCTIONS).flatmap(build)


OPS = [
    OpInfo("cross_entropy", F.cross_entropy, TF.cross_entropy, _class_loss(), atol=_MEAN_TOL,
           notes="one fused op (log_softmax + nll); weighted mean divides by the summed target weights"),
    OpInfo("nn.functional.linear_cross_entropy",
           lambda x, w, t, b, **kw: F.linear_cross_entropy(x, w, t, linear_bias=b, **kw),
           lambda x, w, t, b, **kw: TF.linear_cross_entropy(x, w, t, linear_bias=b, **kw), _linear_cross_entropy,
           atol=_MEAN_TOL, notes="cross_entropy of linear (torch's reference definition)"),
    OpInfo("cross_entropy_probs", F.cross_entropy, TF.cross_entropy, _probability_targets, atol=_MEAN_TOL,
           notes="class-probability targets (input.shape == target.shape); mean divides by N*d1*..."),
    OpInfo("cross_entropy_all_ignored", F.cross_entropy, TF.cross_entropy, _all_ignored,
           gradgrad=False, gradcheck=False,
           notes="mean of nothing: NaN loss, zero gradient as torch; torch's double backward gives NaN "
                 "for the cotangent there, minigrad 0 (not compared)"),
    OpInfo("nll_loss", F.nll_loss, TF.nll_loss, _class_loss(smoothing=False), atol=_MEAN_TOL),
    OpInfo("nll_loss_all_ignored", F.nll_loss, TF.nll_loss, _all_ignored, gradgrad=False, gradcheck=False),
    OpInfo("mse_loss", F.mse_loss, TF.mse_loss, _pair(broadcast=True), atol=_MEAN_TOL),
    OpInfo("mse_loss_weighted", F.mse_loss, TF.mse_loss, _weighted_pair(), atol=_MEAN_TOL),
    OpInfo("l1_loss", F.l1_loss, TF.l1_loss, _pair(kinks=(0.0,)), atol=_MEAN_TOL, notes="l1'(0) = 0 (sign)"),
    OpInfo("l1_loss_weighted", F.l1_loss, TF.l1_loss, _weighted_pair(kinks=(0.0,)), atol=_MEAN_TOL),
    OpInfo("smooth_l1_loss", lambda x, y, **kw: F.smooth_l1_loss(x, y, beta=0.5, **kw),
           lambda x, y, **kw: TF.smooth_l1_loss(x, y, beta=0.5, **kw), _pair(kinks=(0.0, 0.5, -0.5)), atol=_MEAN_TOL),
    OpInfo("smooth_l1_loss_beta0", lambda x, y, **kw: F.smooth_l1_loss(x, y, beta=0.0, **kw),
           lambda x, y, **kw: TF.smooth_l1_loss(x, y, beta=0.0, **kw), _pair(kinks=(0.0,)), atol=_MEAN_TOL,
           notes="beta = 0 is l1_loss"),
    OpInfo("huber_loss", lambda x, y, **kw: F.huber_loss(x, y, delta=1.5, **kw),
           lambda x, y, **kw: TF.huber_loss(x, y, delta=1.5, **kw), _pair(kinks=(0.0, 1.5, -1.5)), atol=_MEAN_TOL),
    OpInfo("huber_loss_weighted", F.huber_loss, TF.huber_loss, _weighted_pair(kinks=(0.0, 1.0, -1.0)),
           atol=_MEAN_TOL, notes="weighted mean divides by the element count (torch)"),
    OpInfo("binary_cross_entropy", F.binary_cross_entropy, TF.binary_cross_entropy, _bce, atol=_MEAN_TOL,
           notes="logs clamped at -100; dx denominator clamped at 1e-12"),
    OpInfo("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
           TF.binary_cross_entropy_with_logits, _bce_logits, atol=_MEAN_TOL, notes="stable softplus form"),
    OpInfo("kl_div", F.kl_div, TF.kl_div, _kl, atol=_MEAN_TOL),
    OpInfo("margin_ranking_loss", F.margin_ranking_loss, TF.margin_ranking_loss, _seeded(_margin_ranking),
           atol=_MEAN_TOL),
    OpInfo("hinge_embedding_loss", F.hinge_embedding_loss, TF.hinge_embedding_loss, _seeded(_hinge), atol=_MEAN_TOL),
    OpInfo("soft_margin_loss", F.soft_margin_loss, TF.soft_margin_loss, _seeded(_soft_margin), atol=_MEAN_TOL),
    OpInfo("multilabel_soft_margin_loss", F.multilabel_soft_margin_loss, TF.multilabel_soft_margin_loss,
           _seeded(_multilabel_soft_margin), atol=_MEAN_TOL),
    OpInfo("multi_margin_loss", F.multi_margin_loss, TF.multi_margin_loss, _seeded(_multi_margin), atol=_MEAN_TOL,
           gradgrad=False, notes="torch has no grad-of-grad (multi_margin_loss_backward is not differentiable)"),
    OpInfo("multilabel_margin_loss", F.multilabel_margin_loss, TF.multilabel_margin_loss, _seeded(_multilabel_margin),
           atol=_MEAN_TOL, gradgrad=False, notes="torch has no grad-of-grad"),
    OpInfo("triplet_margin_loss", F.triplet_margin_loss, TF.triplet_margin_loss, _seeded(_triplet(False)),
           atol=_MEAN_TOL),
    OpInfo("triplet_margin_with_distance_loss", F.triplet_margin_with_distance_loss,
           TF.triplet_margin_with_distance_loss, _seeded(_triplet(True)), atol=_MEAN_TOL),
    OpInfo("cosine_embedding_loss", F.cosine_embedding_loss, TF.cosine_embedding_loss, _seeded(_cosine_embedding),
           atol=_MEAN_TOL),
    OpInfo("gaussian_nll_loss", F.gaussian_nll_loss, TF.gaussian_nll_loss, _seeded(_gaussian_nll), atol=_MEAN_TOL,
           notes="var clamped at eps in value only, as torch (in place under no_grad)"),
    OpInfo("ctc_loss", F.ctc_loss, TF.ctc_loss, _seeded(_ctc), atol=_MEAN_TOL, gradgrad=False, gradcheck=False,
           notes="torch's gradient, which is that of the logits under log_softmax (exp(lp) - ...), not of log_probs: "
                 "a numerical gradcheck of log_probs would differ; torch has no grad-of-grad"),
    OpInfo("poisson_nll_loss", F.poisson_nll_loss, TF.poisson_nll_loss, _seeded(_poisson_nll), atol=_MEAN_TOL),
]


def _F(lib):
    return lib.nn.functional


def _long(lib, values):
    return lib.tensor(values, dtype=lib.int64)


ERRORS = [
    ErrorCase("cross_entropy_batch_mismatch", lambda lib: _F(lib).cross_entropy(lib.ones(3, 5), _long(lib, [1, 2])),
              ("3", "2", "batch_size")),
    ErrorCase("cross_entropy_target_size", lambda lib: _F(lib).cross_entropy(
        lib.ones(2, 5, 4), lib.zeros(2, 3, dtype=lib.int64)), ("[2, 4]", "[2, 3]")),
    ErrorCase("cross_entropy_target_out_of_range", lambda lib: _F(lib).cross_entropy(
        lib.ones(3, 5), _long(lib, [1, 2, 7])), ("Target 7",)),
    ErrorCase("cross_entropy_negative_target", lambda lib: _F(lib).cross_entropy(
        lib.ones(3, 5), _long(lib, [1, 2, -3])), ("Target -3",)),
    ErrorCase("cross_entropy_multi_target", lambda lib: _F(lib).cross_entropy(lib.ones(3, 5), lib.ones(3, 4)),
              ("multi-target",)),
    ErrorCase("cross_entropy_int32_target", lambda lib: _F(lib).cross_entropy(
        lib.ones(3, 5), lib.tensor([1, 2, 3], dtype=lib.int32)), ("Long", "Int")),
    ErrorCase("cross_entropy_int_probs", lambda lib: _F(lib).cross_entropy(lib.ones(()), _long(lib, 0)),
              ("floating point",)),
    ErrorCase("cross_entropy_bad_weight", lambda lib: _F(lib).cross_entropy(
        lib.ones(3, 5), _long(lib, [1, 2, 3]), weight=lib.ones(4)), ("5 classes", "[4]")),
    ErrorCase("cross_entropy_bad_smoothing", lambda lib: _F(lib).cross_entropy(
        lib.ones(3, 5), _long(lib, [1, 2, 3]), label_smoothing=1.5), ("label_smoothing", "1.5")),
    ErrorCase("cross_entropy_bad_reduction", lambda lib: _F(lib).cross_entropy(
        lib.ones(3, 5), _long(lib, [1, 2, 3]), reduction="avg"), ("avg",)),
    ErrorCase("cross_entropy_int_input", lambda lib: _F(lib).cross_entropy(
        lib.ones(3, 5, dtype=lib.int64), _long(lib, [1, 2, 3])), ("Long",)),
    ErrorCase("nll_loss_0d_input", lambda lib: _F(lib).nll_loss(lib.ones(()), _long(lib, 0)), ("dimensions",)),
    ErrorCase("nll_loss_out_of_range", lambda lib: _F(lib).nll_loss(lib.ones(3, 5), _long(lib, [1, 2, 5])),
              ("Target 5",)),
    ErrorCase("nll_loss_float_target", lambda lib: _F(lib).nll_loss(lib.ones(3, 5), lib.zeros(3)), ("Float",)),
    ErrorCase("nll_loss_1d_long_target", lambda lib: _F(lib).nll_loss(lib.ones(3), _long(lib, [1, 0, 2])),
              ("size 1", "3")),
    ErrorCase("nll_loss_weight_dtype", lambda lib: _F(lib).nll_loss(
        lib.ones(3, 5), _long(lib, [1, 2, 3]), weight=lib.ones(5, dtype=lib.float64)), ("Float", "Double")),
    ErrorCase("mse_loss_shapes", lambda lib: _F(lib).mse_loss(lib.ones(3), lib.ones(4)), ("3", "4")),
    ErrorCase("mse_loss_int", lambda lib: _F(lib).mse_loss(lib.ones(3, dtype=lib.int64), lib.ones(3, dtype=lib.int64)),
              ("Long",)),
    ErrorCase("mse_loss_bad_weight", lambda lib: _F(lib).mse_loss(lib.ones(2), lib.ones(2), weight=lib.ones(3)),
              ("Weights",)),
    ErrorCase("smooth_l1_negative_beta", lambda lib: _F(lib).smooth_l1_loss(lib.ones(2), lib.ones(2), beta=-1.0),
              ("beta",)),
    ErrorCase("huber_zero_delta", lambda lib: _F(lib).huber_loss(lib.ones(2), lib.ones(2), delta=0.0), ("delta",)),
    ErrorCase("bce_input_range", lambda lib: _F(lib).binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0])),
              ("between 0 and 1",)),
    ErrorCase("bce_target_range", lambda lib: _F(lib).binary_cross_entropy(lib.tensor([0.5]), lib.tensor([1.5])),
              ("target",)),
    ErrorCase("bce_shape", lambda lib: _F(lib).binary_cross_entropy(lib.tensor([0.5, 0.5]), lib.tensor([1.0])),
              ("[1]", "[2]")),
    ErrorCase("bce_target_dtype", lambda lib: _F(lib).binary_cross_entropy(lib.tensor([0.5]),
                                                                            lib.tensor([1.0], dtype=lib.float64)),
              ("Double", "Float")),
    ErrorCase("bce_long_target", lambda lib: _F(lib).binary_cross_entropy(lib.tensor([0.5]), lib.tensor([1])),
              ("Long", "Float")),
    ErrorCase("bce_logits_shape", lambda lib: _F(lib).binary_cross_entropy_with_logits(
        lib.tensor([0.5, 0.5]), lib.tensor([1.0])), ("[1]", "[2]")),
    ErrorCase("bce_logits_pos_weight", lambda lib: _F(lib).binary_cross_entropy_with_logits(
        lib.ones(1, 2), lib.ones(1, 2), pos_weight=lib.ones(3)), ("3", "2")),
    ErrorCase("kl_div_int", lambda lib: _F(lib).kl_div(lib.ones(2, dtype=lib.int64), lib.ones(2)), ("Integral",)),
    ErrorCase("kl_div_bad_reduction", lambda lib: _F(lib).kl_div(lib.ones(2), lib.ones(2), reduction="avg"),
              ("avg",)),
]

ERRORS += [
    ErrorCase("margin_ranking_loss_dims", lambda lib: _F(lib).margin_ranking_loss(lib.ones(3), lib.ones(3),
                                                                                  lib.ones(1, 3)), ("dimension",)),
    ErrorCase("soft_margin_loss_target_grad", lambda lib: _F(lib).soft_margin_loss(
        lib.ones(3), lib.ones(3, requires_grad=True)), ("target",)),
    ErrorCase("multilabel_soft_margin_loss_bad_reduction", lambda lib: _F(lib).multilabel_soft_margin_loss(
        lib.ones(2, 3), lib.ones(2, 3), reduction="avg"), ("avg",)),
    ErrorCase("multi_margin_loss_p", lambda lib: _F(lib).multi_margin_loss(lib.ones(2, 3), _long(lib, [0, 1]), p=3),
              ("p == 1",)),
    ErrorCase("multi_margin_loss_target_size", lambda lib: _F(lib).multi_margin_loss(
        lib.ones(2, 3), _long(lib, [0, 1, 2])), ("inconsistent target size", "2")),
    ErrorCase("multi_margin_loss_target_range", lambda lib: _F(lib).multi_margin_loss(
        lib.ones(2, 3), _long(lib, [0, 3])), ("target out of range",)),
    ErrorCase("multi_margin_loss_weight_size", lambda lib: _F(lib).multi_margin_loss(
        lib.ones(2, 3), _long(lib, [0, 1]), weight=lib.ones(4)), ("inconsistent weight size", "3")),
    ErrorCase("multi_margin_loss_weight_dims", lambda lib: _F(lib).multi_margin_loss(
        lib.ones(2, 3), _long(lib, [0, 1]), weight=lib.ones(1, 3)), ("weight",)),
    ErrorCase("multi_margin_loss_empty_classes", lambda lib: _F(lib).multi_margin_loss(
        lib.ones(2, 0), _long(lib, [0, 1])), ("non-empty",)),
    ErrorCase("multilabel_margin_loss_target_size", lambda lib: _F(lib).multilabel_margin_loss(
        lib.ones(2, 3), lib.zeros(2, 2, dtype=lib.int64)), ("inconsistent target size", "[2, 2]")),
    ErrorCase("multilabel_margin_loss_target_range", lambda lib: _F(lib).multilabel_margin_loss(
        lib.ones(3), _long(lib, [5, 0, -1])), ("target",)),
    ErrorCase("multilabel_margin_loss_float_target", lambda lib: _F(lib).multilabel_margin_loss(
        lib.ones(3), lib.zeros(3)), ("Long",)),
    ErrorCase("triplet_margin_loss_margin", lambda lib: _F(lib).triplet_margin_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), margin=0.0), ("margin",)),
    ErrorCase("triplet_margin_loss_dims", lambda lib: _F(lib).triplet_margin_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(3)), ("anchor 2D", "negative 1D")),
    ErrorCase("triplet_margin_with_distance_loss_dims", lambda lib: _F(lib).triplet_margin_with_distance_loss(
        lib.ones(3), lib.ones(2, 3), lib.ones(2, 3)), ("anchor 1D",)),
    ErrorCase("triplet_margin_with_distance_loss_reduction", lambda lib: _F(lib).triplet_margin_with_distance_loss(
        lib.ones(3), lib.ones(3), lib.ones(3), reduction="avg"), ("avg",)),
    ErrorCase("cosine_embedding_loss_2d_target", lambda lib: _F(lib).cosine_embedding_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 1)), ("multi-target",)),
    ErrorCase("cosine_embedding_loss_1d_target_1d_inputs", lambda lib: _F(lib).cosine_embedding_loss(
        lib.ones(3), lib.ones(3), lib.ones(3)), ("1D target", "[3]")),
    ErrorCase("gaussian_nll_loss_negative_var", lambda lib: _F(lib).gaussian_nll_loss(
        lib.ones(2, 3), lib.ones(2, 3), -lib.ones(2, 3)), ("negative",)),
    ErrorCase("gaussian_nll_loss_var_size", lambda lib: _F(lib).gaussian_nll_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(3, 3)), ("var",)),
    ErrorCase("gaussian_nll_loss_reduction", lambda lib: _F(lib).gaussian_nll_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), reduction="avg"), ("avg",)),
    ErrorCase("poisson_nll_loss_reduction", lambda lib: _F(lib).poisson_nll_loss(
        lib.ones(2), lib.ones(2), reduction="avg"), ("avg",)),
    ErrorCase("ctc_loss_blank", lambda lib: _F(lib).ctc_loss(lib.zeros(5, 2, 4), _long(lib, [[1, 2], [3, 1]]),
                                                             _long(lib, [5, 4]), _long(lib, [2, 1]), blank=4), ("blank",)),
    ErrorCase("ctc_loss_input_lengths_size", lambda lib: _F(lib).ctc_loss(
        lib.zeros(5, 2, 4), _long(lib, [[1, 2], [3, 1]]), _long(lib, [5]), _long(lib, [2, 1])), ("input_lengths",)),
    ErrorCase("ctc_loss_target_lengths_size", lambda lib: _F(lib).ctc_loss(
        lib.zeros(5, 2, 4), _long(lib, [[1, 2], [3, 1]]), _long(lib, [5, 4]), _long(lib, [2])), ("target_lengths",)),
    ErrorCase("ctc_loss_input_too_long", lambda lib: _F(lib).ctc_loss(
        lib.zeros(5, 2, 4), _long(lib, [[1, 2], [3, 1]]), _long(lib, [6, 4]), _long(lib, [2, 1])), ("at most 5", "6")),
    ErrorCase("ctc_loss_targets_too_short", lambda lib: _F(lib).ctc_loss(
        lib.zeros(5, 2, 4), _long(lib, [[1, 2], [3, 1]]), _long(lib, [5, 4]), _long(lib, [3, 1])), ("at least 3",)),
    ErrorCase("ctc_loss_concatenated_size", lambda lib: _F(lib).ctc_loss(
        lib.zeros(5, 2, 4), _long(lib, [1, 2, 3, 1]), _long(lib, [5, 4]), _long(lib, [2, 1])), ("size 3", "size 4")),
    ErrorCase("ctc_loss_bad_reduction", lambda lib: _F(lib).ctc_loss(
        lib.zeros(5, 2, 4), _long(lib, [[1, 2], [3, 1]]), _long(lib, [5, 4]), _long(lib, [2, 1]), reduction="avg"),
              ("avg",)),
]
