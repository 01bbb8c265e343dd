"""Op table: more of nn.functional (ops/nnextra.py): shrink activations, glu, prelu, rrelu,
distances, group/instance/local-response/RMS norms, bilinear, shuffles, interpolate, grid_sample.

Inputs keep away from the points where an op is not differentiable: |x| = lambd for the shrinks,
0 for prelu and rrelu, zero vectors for the norms and distances (``_nonzero``), coincident rows
for pdist, and grid points on pixel centres' boundaries for grid_sample. rrelu's training samples
seed both generators the same way before each call, so its random slopes are compared as well.
"""
import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays, shapes


def _sizes(n, low=1, high=4):
    return st.lists(st.integers(low, high), min_size=n, max_size=n).map(tuple)


def _nonzero(dtype, shape, low=0.25, high=2.0):
    """Values with magnitude in [low, high] and either sign (no zero vectors, no kinks at 0)."""
    return st.tuples(arrays(dtype, shape, low, high), arrays(np.bool_, shape)).map(
        lambda a: np.where(a[1], a[0], -a[0]).astype(dtype))


def _spread(dtype, shape, axes):
    """Values with a spread along ``axes`` (no near-constant group, where 1/std explodes)."""
    def add_ramp(x):
        ramp = np.zeros(shape)
        for ax in axes:
            view = [1] * len(shape)
            view[ax] = shape[ax]
            ramp = ramp + np.linspace(-1.5, 1.5, shape[ax]).reshape(view)
        return (x + ramp).astype(dtype)
    return arrays(dtype, shape, -1, 1).map(add_ramp)


# -- activations ------------------------------------------------------------------------------
def _shrink(lambdas):
    def strategy(dtype):
        return st.sampled_from(lambdas).flatmap(lambda lam: shapes().flatmap(
            lambda s: arrays(dtype, s, -3, 3, exclude_near=(lam, -lam), margin=0.05)).map(
            lambda x: Sample((x,), {"lambd": lam})))
    return strategy


def _tanhshrink(dtype):
    return shapes().flatmap(lambda s: arrays(dtype, s, -4, 4)).map(lambda x: Sample((x,)))


def _glu(dtype):
    def build(shape):
        return st.integers(-len(shape), len(shape) - 1).flatmap(lambda d: arrays(
            dtype, tuple(2 * n if i == d % len(shape) else n for i, n in enumerate(shape)), -3, 3).map(
            lambda x: Sample((x,), {"dim": d})))
    return shapes(min_dims=1, max_side=3).flatmap(build)


def _prelu(dtype):
    def build(a):
        shape, per_channel = a
        channels = shape[1] if len(shape) >= 2 else 1
        w_shape = (channels,) if per_channel and len(shape) >= 2 else st.sampled_from([(1,), ()])
        w_shape = st.just(w_shape) if isinstance(w_shape, tuple) else w_shape
        return w_shape.flatmap(lambda ws: st.tuples(_nonzero(dtype, shape, 0.05, 3), arrays(dtype, ws, -1, 1)).map(
            lambda xw: Sample(xw)))
    return st.tuples(shapes(max_dims=4, max_side=3), st.booleans()).flatmap(build)


def _rrelu(training):
    def strategy(dtype):
        bounds = st.sampled_from([(1 / 8, 1 / 3), (0.1, 0.5), (0.3, 0.3)])
        return st.tuples(shapes().flatmap(lambda s: _nonzero(dtype, s, 0.05, 3)), bounds).map(
            lambda a: Sample((a[0], a[1][0], a[1][1]), {"training": training}))
    return strategy


def _seeded(fn, lib):
    """``fn`` called after seeding ``lib``'s generator, so that both libraries draw the same slopes."""
    def call(*args, **kwargs):
        lib.manual_seed(1234)
        return fn(*args, **kwargs)
    return call


# -- distances --------------------------------------------------------------------------------
def _normalize(dtype):
    def build(shape):
        return st.tuples(_nonzero(dtype, shape), st.sampled_from([1.0, 2.0, 3.0]),
                         st.integers(-max(len(shape), 1), max(len(shape), 1) - 1)).map(
            lambda a: Sample((a[0],), {"p": a[1], "dim": a[2]}))
    return shapes(min_dims=1, min_side=1).flatmap(build)


def _cosine_similarity(dtype):
    def build(shps):
        ndim = max(len(shps[0]), len(shps[1]))
        return st.tuples(_nonzero(dtype, shps[0]), _nonzero(dtype, shps[1]), st.integers(-ndim, ndim - 1),
                         st.sampled_from([1e-8, 1e-3])).map(lambda a: Sample((a[0], a[1]), {"dim": a[2], "eps": a[3]}))
    from ..strategies import broadcastable_shapes
    return broadcastable_shapes(2, min_dims=1, min_side=1).filter(lambda s: min(len(s[0]), len(s[1])) >= 1).flatmap(build)


def _pairwise_distance(dtype):
    def build(a):
        shape, p, keepdim = a
        return st.tuples(arrays(dtype, shape), _nonzero(dtype, shape)).map(
            lambda xo: Sample((xo[0], (xo[0] - xo[1]).astype(dtype)), {"p": p, "keepdim": keepdim}))
    return st.tuples(st.integers(1, 2).flatmap(_sizes), st.sampled_from([1.0, 2.0, 3.0, 1.5]),
                     st.booleans()).flatmap(build)


def _pdist(dtype):
    def build(a):
        (n, m), p = a
        # rows i and j differ by (j - i) * (0.8 + 0.1 k) +- 0.6 in column k: no coincident rows, and no
        # tie for the largest difference when the noise is 0 (p = inf's gradient has a kink there)
        slope = 0.8 + 0.1 * np.arange(m)
        return arrays(dtype, (n, m), -0.3, 0.3).map(
            lambda x: Sample((x + (np.arange(n)[:, None] * slope).astype(dtype),), {"p": p}))
    return st.tuples(_sizes(2, 1, 4), st.sampled_from([1.0, 2.0, 3.0, 1.5, float("inf")])).flatmap(build)


# -- norms ------------------------------------------------------------------------------------
def _group_norm(dtype):
    def build(a):
        n, groups, per_group, spatial, affine = a
        c = groups * per_group
        shape = (n, c) + spatial
        params = arrays(dtype, (c,), -2, 2) if affine else st.none()
        return st.tuples(_spread(dtype, shape, range(1, len(shape))), params, params,
                         st.sampled_from([1e-5, 1e-3])).map(
            lambda s: Sample((s[0], groups) + ((s[1], s[2]) if affine else ()), {"eps": s[3]}))
    return st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2),
                     st.integers(0, 2).flatmap(lambda k: _sizes(k, 1, 3)), st.booleans()).filter(
        lambda a: a[2] * int(np.prod(a[3])) > 1).flatmap(build)


def _instance_norm(use_input_stats):
    def strategy(dtype):
        def build(a):
            n, c, spatial, affine, stats = a
            shape = (n, c) + spatial
            params = arrays(dtype, (c,), -2, 2) if affine else st.none()
            running = st.tuples(arrays(dtype, (c,), -1, 1), arrays(dtype, (c,), 0.5, 2)) if stats else st.none()
            return st.tuples(_spread(dtype, shape, range(2, len(shape))), running, params, params,
                             st.sampled_from([0.1, 0.5])).map(
                lambda s: Sample((s[0],) + ((NoGrad(s[1][0]), NoGrad(s[1][1])) if stats else (None, None))
                                 + (s[2], s[3]), {"use_input_stats": use_input_stats, "momentum": s[4]}))
        return st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3).flatmap(lambda k: _sizes(k, 2, 3)),
                         st.booleans(), st.just(True) if not use_input_stats else st.booleans()).flatmap(build)
    return strategy


def _with_stats(fn):
    """fn's output and the running statistics it updated in place."""
    def call(x, rm=None, rv=None, w=None, b=None, **kw):
        return (fn(x, rm, rv, w, b, **kw),) + tuple(s for s in (rm, rv) if s is not None)
    return call


def _local_response_norm(dtype):
    def build(a):
        shape, size, alpha, beta, k = a
        return arrays(dtype, shape, -3, 3).map(lambda x: Sample((x, size), {"alpha": alpha, "beta": beta, "k": k}))
    return st.tuples(st.integers(3, 5).flatmap(lambda n: _sizes(n, 1, 4)), st.integers(1, 5),
                     st.sampled_from([1e-4, 0.5]), st.sampled_from([0.75, 1.5]), st.sampled_from([1.0, 2.0])).flatmap(build)


def _rms_norm(dtype):
    def build(a):
        batch, normalized, affine, eps = a
        weight = arrays(dtype, normalized, -2, 2) if affine else st.none()
        return st.tuples(_nonzero(dtype, batch + normalized), weight).map(
            lambda s: Sample((s[0], normalized) + ((s[1],) if affine else ()), {} if eps is None else {"eps": eps}))
    return st.tuples(st.integers(0, 2).flatmap(lambda n: _sizes(n, 0, 3)),
                     st.integers(1, 2).flatmap(lambda n: _sizes(n, 1, 4)), st.booleans(),
                     st.sampled_from([None, 1e-5, 0.1])).flatmap(build)


def _bilinear(dtype):
    def build(a):
        batch, n1, n2, out, bias = a
        b = arrays(dtype, (out,)) if bias else st.none()
        return st.tuples(arrays(dtype, batch + (n1,)), arrays(dtype, batch + (n2,)), arrays(dtype, (out, n1, n2)),
                         b).map(lambda s: Sample(s if bias else s[:3]))
    return st.tuples(st.integers(0, 2).flatmap(lambda n: _sizes(n, 0, 3)), st.integers(1, 3), st.integers(1, 3),
                     st.integers(1, 3), st.booleans()).flatmap(build)


# -- shuffles ---------------------------------------------------------------------------------
def _pixel_shuffle(dtype):
    def build(a):
        lead, r, c, h, w = a
        return arrays(dtype, lead + (c * r * r, h, w)).map(lambda x: Sample((x, r)))
    # no empty inputs: torch's backward of an empty pixel_shuffle fails (its pixel_unshuffle returns
    # an empty input unchanged, whatever its shape; minigrad's forward does the same)
    return st.tuples(st.integers(0, 2).flatmap(lambda n: _sizes(n, 1, 2)), st.integers(1, 3), st.integers(1, 2),
                     st.integers(1, 3), st.integers(1, 3)).flatmap(build)


def _pixel_unshuffle(dtype):
    def build(a):
        lead, r, c, h, w = a
        return arrays(dtype, lead + (c, h * r, w * r)).map(lambda x: Sample((x, r)))
    return st.tuples(st.integers(0, 2).flatmap(lambda n: _sizes(n, 1, 2)), st.integers(1, 3), st.integers(1, 3),
                     st.integers(1, 2), st.integers(1, 2)).flatmap(build)


def _channel_shuffle(dtype):
    def build(a):
        n, groups, per_group, spatial = a
        return arrays(dtype, (n, groups * per_group) + spatial).map(lambda x: Sample((x, groups)))
    return st.tuples(st.integers(0, 2), st.integers(1, 3), st.integers(1, 3),
                     st.integers(1, 3).flatmap(lambda k: _sizes(k, 1, 3))).flatmap(build)


# -- interpolate ------------------------------------------------------------------------------
_SPATIAL = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "area": (1, 2, 3), "linear": (1,),
            "bilinear": (2,), "bicubic": (2,), "trilinear": (3,)}


def _interpolate(mode):
    """Output sizes up and down (1 included), or scale factors used as given or recomputed; both
    align_corners settings where the mode has them."""
    def strategy(dtype):
        def build(a):
            k, n, c, in_sizes, how, align = a
            shape = (n, c) + in_sizes
            if how == "size":
                target = st.one_of(_sizes(k, 1, 6), st.integers(1, 6))
                kwargs = target.map(lambda s: {"size": s})
            else:
                factor = st.sampled_from([0.5, 0.7, 1.0, 1.5, 2.0, 2.3, 3.0])
                factors = st.one_of(factor, st.lists(factor, min_size=k, max_size=k).map(tuple))
                kwargs = st.tuples(factors, st.sampled_from([None, False, True])).map(
                    lambda f: {"scale_factor": f[0]} if f[1] is None else
                    {"scale_factor": f[0], "recompute_scale_factor": f[1]})
            extra = {} if align is None else {"align_corners": align}
            return st.tuples(arrays(dtype, shape), kwargs).map(
                lambda s: Sample((s[0],), dict(s[1], mode=mode, **extra)))
        align = st.none() if mode in ("nearest", "nearest-exact", "area") else st.sampled_from([None, False, True])
        return st.tuples(st.sampled_from(_SPATIAL[mode]), st.integers(1, 2), st.integers(1, 2),
                         st.sampled_from(["size", "scale"]), align).flatmap(
            # input sides >= 2, so that the smallest factor (0.5) leaves an output side >= 1
            lambda a: _sizes(a[0], 2, 5).map(lambda s: (a[0], a[1], a[2], s, a[3], a[4]))).flatmap(build)
    return strategy


# -- grid_sample, affine_grid -----------------------------------------------------------------
def _grid_sample(mode, k):
    """Grid points at pixel coordinate (integer + fraction), the fraction 0.1 away from the
    integers and from the half-integers: floor, rounding, clipping and reflection all have their
    kinks there. Integers from -2 to size + 1 reach outside the input (padding)."""
    def strategy(dtype):
        def build(a):
            n, c, sizes, out, padding, align = a
            grid_shape = (n,) + out + (k,)

            def to_grid(parts):
                whole, frac, low = parts
                frac = np.where(low, frac, frac + 0.5)           # [0.1, 0.4] or [0.6, 0.9]
                g = np.empty(grid_shape)
                for d in range(k):                                # grid's last dim lists x (the last dim) first
                    size = sizes[k - 1 - d]
                    pixel = whole[..., d] + frac[..., d]
                    g[..., d] = (pixel / (size - 1) * 2 - 1 if size > 1 else pixel * 0) if align else \
                        (2 * pixel + 1) / size - 1
                return g.astype(dtype)
            return st.tuples(arrays(dtype, (n, c) + sizes), st.tuples(
                arrays(np.int64, grid_shape, -2, max(sizes) + 1), arrays(np.float64, grid_shape, 0.1, 0.4),
                arrays(np.bool_, grid_shape)).map(to_grid)).map(
                lambda s: Sample(s, {"mode": mode, "padding_mode": padding, "align_corners": align}))
        # smaller for 3-d and bicubic (8 and 16 taps): their numerical grad-of-grad checks dominate the run time
        small = k == 3 or mode == "bicubic"
        return st.tuples(st.integers(1, 2), st.integers(1, 1 if small else 2), _sizes(k, 1, 3 if small else 4),
                         _sizes(k, 1, 2 if small else 3), st.sampled_from(["zeros", "border", "reflection"]),
                         st.booleans()).flatmap(build)
    return strategy


def _affine_grid(k):
    def strategy(dtype):
        def build(a):
            n, spatial, align = a
            return arrays(dtype, (n, k, k + 1)).map(
                lambda t: Sample((t, (n, 1) + spatial), {"align_corners": align}))
        return st.tuples(st.integers(1, 2), _sizes(k, 2, 4), st.booleans()).flatmap(build)
    return strategy


_MODE_CODES = {"bilinear": 0, "nearest": 1, "bicubic": 2, "zeros": 0, "border": 1, "reflection": 2}


def _aten_grid_sampler(mode, k):
    """grid_sample's samples in aten's form: integer codes for the mode and the padding."""
    def strategy(dtype):
        return _grid_sample(mode, k)(dtype).map(lambda s: Sample(
            s.args + (_MODE_CODES[s.kwargs["mode"]], _MODE_CODES[s.kwargs["padding_mode"]], s.kwargs["align_corners"])))
    return strategy


def _native_group_norm(dtype):
    """group_norm's samples in aten's form: (input, weight, bias, N, C, HxW, group, eps)."""
    def convert(s):
        x, groups = s.args[:2]
        weight, bias = s.args[2:4] if len(s.args) > 2 else (None, None)
        n, c = x.shape[:2]
        return Sample((x, weight, bias, n, c, int(np.prod(x.shape[2:])), groups, s.kwargs["eps"]))
    return _group_norm(dtype).map(convert)


def _native_layer_norm(dtype):
    def build(a):
        batch, normalized, affine = a
        shape = batch + normalized
        params = arrays(dtype, normalized, -2, 2) if affine else st.none()
        return st.tuples(_spread(dtype, shape, range(len(batch), len(shape))), params, params,
                         st.sampled_from([1e-5, 1e-3])).map(lambda s: Sample((s[0], normalized, s[1], s[2], s[3])))
    return st.tuples(st.integers(0, 2).flatmap(lambda n: _sizes(n, 1, 3)),
                     st.integers(1, 2).flatmap(lambda n: _sizes(n, 2, 4)), st.booleans()).flatmap(build)


def _native_batch_norm(dtype):
    def build(a):
        n, c, spatial, affine, training = a
        shape = (n, c) + spatial
        axes = [0] + list(range(2, len(shape)))
        params = arrays(dtype, (c,), -2, 2) if affine else st.none()
        return st.tuples(_spread(dtype, shape, [ax for ax in axes if shape[ax] > 1]), params, params,
                         arrays(dtype, (c,), -1, 1), arrays(dtype, (c,), 0.5, 2), st.sampled_from([0.1, 0.5])).map(
            lambda s: Sample((s[0], s[1], s[2], NoGrad(s[3]), NoGrad(s[4]), training, s[5], 1e-5)))
    return st.tuples(st.integers(2, 3), st.integers(1, 3), st.integers(0, 2).flatmap(lambda k: _sizes(k, 1, 3)),
                     st.booleans(), st.booleans()).flatmap(build)


def _with_running_stats(fn):
    """native_batch_norm's outputs and the running statistics it updated in place."""
    def call(x, w, b, rm, rv, *rest):
        return tuple(fn(x, w, b, rm, rv, *rest)) + (rm, rv)
    return call


def _constant_pad_nd(dtype):
    from .nnfunc import _pad_constant
    return _pad_constant(dtype).map(lambda s: Sample(s.args + ((s.kwargs["value"],) if s.kwargs else ())))


OPS = [
    OpInfo("hardshrink", F.hardshrink, TF.hardshrink, _shrink([0.5, 1.0, 0.0])),
    OpInfo("softshrink", F.softshrink, TF.softshrink, _shrink([0.5, 1.0, 0.0])),
    OpInfo("tanhshrink", F.tanhshrink, TF.tanhshrink, _tanhshrink),
    OpInfo("glu", F.glu, TF.glu, _glu),
    OpInfo("prelu", F.prelu, TF.prelu, _prelu, notes="weight: one slope or one per channel (dim 1)"),
    OpInfo("rrelu_eval", F.rrelu, TF.rrelu, _rrelu(False), notes="slope (lower + upper) / 2"),
    OpInfo("rrelu_train", _seeded(F.rrelu, minigrad), _seeded(TF.rrelu, torch), _rrelu(True),
           notes="random slopes drawn as torch draws them (same seed, same slopes)"),
    OpInfo("normalize", F.normalize, TF.normalize, _normalize),
    OpInfo("cosine_similarity", F.cosine_similarity, TF.cosine_similarity, _cosine_similarity),
    OpInfo("pairwise_distance", F.pairwise_distance, TF.pairwise_distance, _pairwise_distance),
    OpInfo("pdist", F.pdist, TF.pdist, _pdist, gradgrad=False,
           notes="torch has no double backward for pdist"),
    OpInfo("group_norm", F.group_norm, TF.group_norm, _group_norm, atol={"float32": 5e-5}),
    OpInfo("instance_norm", _with_stats(F.instance_norm), _with_stats(TF.instance_norm), _instance_norm(True),
           atol={"float32": 5e-5}, notes="running statistics: the batch average of per-sample statistics"),
    OpInfo("instance_norm_running_stats", _with_stats(F.instance_norm), _with_stats(TF.instance_norm),
           _instance_norm(False), atol={"float32": 5e-5}),
    OpInfo("local_response_norm", F.local_response_norm, TF.local_response_norm, _local_response_norm,
           atol={"float32": 5e-5}),
    OpInfo("rms_norm", F.rms_norm, TF.rms_norm, _rms_norm, atol={"float32": 5e-5}),
    OpInfo("bilinear", F.bilinear, TF.bilinear, _bilinear, atol={"float32": 5e-5}),
    OpInfo("pixel_shuffle", F.pixel_shuffle, TF.pixel_shuffle, _pixel_shuffle),
    OpInfo("pixel_unshuffle", F.pixel_unshuffle, TF.pixel_unshuffle, _pixel_unshuffle),
    OpInfo("channel_shuffle", F.channel_shuffle, TF.channel_shuffle, _channel_shuffle),
    OpInfo("grid_sample_bilinear", F.grid_sample, TF.grid_sample, _grid_sample("bilinear", 2)),
    OpInfo("grid_sample_nearest", F.grid_sample, TF.grid_sample, _grid_sample("nearest", 2)),
    OpInfo("grid_sample_bicubic", F.grid_sample, TF.grid_sample, _grid_sample("bicubic", 2), atol={"float32": 5e-5}),
    OpInfo("grid_sample_3d_bilinear", F.grid_sample, TF.grid_sample, _grid_sample("bilinear", 3)),
    OpInfo("grid_sample_3d_nearest", F.grid_sample, TF.grid_sample, _grid_sample("nearest", 3)),
    OpInfo("grid_sampler_2d", minigrad.grid_sampler_2d, torch.grid_sampler_2d, _aten_grid_sampler("bilinear", 2)),
    OpInfo("grid_sampler_3d", minigrad.grid_sampler_3d, torch.grid_sampler_3d, _aten_grid_sampler("nearest", 3)),
    OpInfo("native_group_norm", minigrad.native_group_norm, torch.native_group_norm, _native_group_norm,
           atol={"float32": 5e-5}, notes="(output, mean, rstd), all three differentiable"),
    OpInfo("native_layer_norm", minigrad.native_layer_norm, torch.native_layer_norm, _native_layer_norm,
           atol={"float32": 5e-5}, notes="(output, mean, rstd); only the output is differentiable, as in torch"),
    OpInfo("native_batch_norm", _with_running_stats(minigrad.native_batch_norm),
           _with_running_stats(torch.native_batch_norm), _native_batch_norm, atol={"float32": 5e-5},
           notes="(output, save_mean, save_invstd), then the running statistics updated in training"),
    OpInfo("constant_pad_nd", minigrad.constant_pad_nd, torch.constant_pad_nd, _constant_pad_nd),
    OpInfo("affine_grid", F.affine_grid, TF.affine_grid, _affine_grid(2)),
    OpInfo("affine_grid_3d", F.affine_grid, TF.affine_grid, _affine_grid(3)),
] + [OpInfo(f"interpolate_{mode.replace('-', '_')}", F.interpolate, TF.interpolate, _interpolate(mode),
            atol={"float32": 5e-5}) for mode in _SPATIAL]


def _F(lib):
    return lib.nn.functional


def _x(lib, *shape):
    return lib.ones(*shape)


ERRORS = [
    ErrorCase("softshrink_negative", lambda lib: _F(lib).softshrink(_x(lib, 3), -1.0), ("lambda", "-1")),
    ErrorCase("hardshrink_int", lambda lib: _F(lib).hardshrink(lib.tensor([1, 2])), ("Long",)),
    ErrorCase("glu_odd", lambda lib: _F(lib).glu(_x(lib, 3, 3)), ("even", "3")),
    ErrorCase("glu_scalar", lambda lib: _F(lib).glu(lib.tensor(1.0)), ("scalars",)),
    ErrorCase("prelu_weight_size", lambda lib: _F(lib).prelu(_x(lib, 2, 5), _x(lib, 3)), ("3", "5")),
    ErrorCase("prelu_weight_2d", lambda lib: _F(lib).prelu(_x(lib, 2, 3), _x(lib, 1, 3)), ("ndim = 2",)),
    ErrorCase("rrelu_bounds", lambda lib: _F(lib).rrelu(_x(lib, 3), 0.5, 0.1, training=True), ("upper bound",)),
    ErrorCase("normalize_dim", lambda lib: _F(lib).normalize(_x(lib, 2, 4), dim=3), ("range",)),
    ErrorCase("cosine_similarity_shapes", lambda lib: _F(lib).cosine_similarity(_x(lib, 2, 4), _x(lib, 2, 3)),
              ("4", "3")),
    ErrorCase("pdist_3d", lambda lib: _F(lib).pdist(_x(lib, 3, 3, 3)), ("2D",)),
    ErrorCase("pdist_negative_p", lambda lib: _F(lib).pdist(_x(lib, 3, 3), -1), ("non-negative",)),
    ErrorCase("group_norm_groups", lambda lib: _F(lib).group_norm(_x(lib, 2, 5, 3), 2), ("num_groups=2",)),
    ErrorCase("group_norm_weight", lambda lib: _F(lib).group_norm(_x(lib, 2, 4, 3), 2, _x(lib, 3)), ("[3]",)),
    ErrorCase("instance_norm_one_element", lambda lib: _F(lib).instance_norm(_x(lib, 2, 4, 1)),
              ("more than 1 spatial element",)),
    ErrorCase("local_response_norm_2d", lambda lib: _F(lib).local_response_norm(_x(lib, 2, 4), 2), ("3D",)),
    ErrorCase("rms_norm_shape", lambda lib: _F(lib).rms_norm(_x(lib, 2, 4), (3,)), ("[3]", "[2, 4]")),
    ErrorCase("bilinear_in1", lambda lib: _F(lib).bilinear(_x(lib, 2, 3), _x(lib, 2, 4), _x(lib, 5, 4, 4)),
              ("input1", "3", "4")),
    ErrorCase("bilinear_in2", lambda lib: _F(lib).bilinear(_x(lib, 2, 4), _x(lib, 2, 3), _x(lib, 5, 4, 4)),
              ("input2", "3", "4")),
    ErrorCase("pixel_shuffle_channels", lambda lib: _F(lib).pixel_shuffle(_x(lib, 5, 3, 3), 2), ("divisible", "5")),
    ErrorCase("pixel_shuffle_2d", lambda lib: _F(lib).pixel_shuffle(_x(lib, 3, 3), 2), ("at least 3",)),
    ErrorCase("pixel_unshuffle_height", lambda lib: _F(lib).pixel_unshuffle(_x(lib, 4, 3, 4), 2), ("height", "3")),
    ErrorCase("channel_shuffle_groups", lambda lib: _F(lib).channel_shuffle(_x(lib, 1, 5, 3), 2),
              ("5 channels", "2 groups")),
    ErrorCase("channel_shuffle_zero", lambda lib: _F(lib).channel_shuffle(_x(lib, 1, 4, 3), 0), ("positive",)),
    ErrorCase("interpolate_both", lambda lib: _F(lib).interpolate(_x(lib, 1, 1, 4), size=2, scale_factor=2.0),
              ("only one",)),
    ErrorCase("interpolate_neither", lambda lib: _F(lib).interpolate(_x(lib, 1, 1, 4)), ("either size",)),
    ErrorCase("interpolate_align_nearest", lambda lib: _F(lib).interpolate(_x(lib, 1, 1, 4), size=2,
                                                                           align_corners=True), ("align_corners",)),
    ErrorCase("interpolate_size_len", lambda lib: _F(lib).interpolate(_x(lib, 1, 1, 4), size=(2, 2)),
              ("spatial dimensions",)),
    ErrorCase("interpolate_mode_dims", lambda lib: _F(lib).interpolate(_x(lib, 1, 1, 4), size=2, mode="bilinear"),
              ("bilinear", "4D")),
    ErrorCase("interpolate_zero_output", lambda lib: _F(lib).interpolate(_x(lib, 1, 1, 4), scale_factor=0.1),
              ("greater than 0",)),
    ErrorCase("interpolate_recompute_size", lambda lib: _F(lib).interpolate(_x(lib, 1, 1, 4), size=2,
                                                                            recompute_scale_factor=True),
              ("recompute_scale_factor",)),
    ErrorCase("interpolate_float_size", lambda lib: _F(lib).interpolate(_x(lib, 1, 1, 4), size=(2.5,)),
              ("size",)),
    ErrorCase("grid_sample_mode", lambda lib: _F(lib).grid_sample(_x(lib, 1, 1, 3, 3), lib.zeros(1, 2, 2, 2),
                                                                  mode="foo", align_corners=False), ("mode", "foo")),
    ErrorCase("grid_sample_padding", lambda lib: _F(lib).grid_sample(_x(lib, 1, 1, 3, 3), lib.zeros(1, 2, 2, 2),
                                                                     padding_mode="foo", align_corners=False),
              ("padding_mode", "foo")),
    ErrorCase("grid_sample_last_dim", lambda lib: _F(lib).grid_sample(_x(lib, 1, 1, 3, 3), lib.zeros(1, 2, 2, 3),
                                                                      align_corners=False), ("size 2",)),
    ErrorCase("grid_sample_batch", lambda lib: _F(lib).grid_sample(_x(lib, 1, 1, 3, 3), lib.zeros(2, 2, 2, 2),
                                                                   align_corners=False), ("batch size",)),
    ErrorCase("grid_sample_bicubic_3d", lambda lib: _F(lib).grid_sample(_x(lib, 1, 1, 3, 3, 3),
                                                                        lib.zeros(1, 2, 2, 2, 3), mode="bicubic",
                                                                        align_corners=False), ("bicubic",)),
    ErrorCase("grid_sample_dtypes", lambda lib: _F(lib).grid_sample(_x(lib, 1, 1, 3, 3),
                                                                    lib.zeros(1, 2, 2, 2, dtype=lib.float64),
                                                                    align_corners=False), ("Float", "Double")),
    ErrorCase("affine_grid_theta_shape", lambda lib: _F(lib).affine_grid(lib.zeros(1, 2, 4), (1, 1, 3, 3),
                                                                         align_corners=False), ("Nx2x3",)),
    ErrorCase("affine_grid_size", lambda lib: _F(lib).affine_grid(lib.zeros(1, 2, 3), (1, 1, 3),
                                                                  align_corners=False), ("4D and 5D",)),
    ErrorCase("affine_grid_int", lambda lib: _F(lib).affine_grid(lib.zeros(1, 2, 3, dtype=lib.int64), (1, 1, 3, 3),
                                                                 align_corners=False), ("floating point",)),
]
