"""Run minigrad's numba.cuda kernels under Numba's CUDA simulator against the NumPy reference.

Run as a script with NUMBA_ENABLE_CUDASIM=1 in the environment (it must be set before numba.cuda
is imported, hence a separate process). Prints one JSON line: {check name: "ok" or the error}.
Shapes are tiny: the simulator runs every GPU thread as Python.
"""
import json
import os
import sys
import traceback

import numpy as np

assert os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", "run with NUMBA_ENABLE_CUDASIM=1"

from minigrad.kernels import cuda as K, reference as ref  # noqa: E402
from minigrad.ops.pool import _avg_axis, _max_axis, _out_size  # noqa: E402

assert K._SIM, "numba.cuda was imported before the simulator was enabled"

CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def close(a, b, dtype):
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == dtype, a.dtype
    np.testing.assert_allclose(a, b, **tol)


# (N, C, O, H, W, geom=(kh, kw, sh, sw, ph, pw, dh, dw), groups, extra bottom/right padding)
CONVS = [
    (2, 2, 3, 4, 5, (3, 3, 1, 1, 1, 1, 1, 1), 1, (0, 0)),     # 'same'-like
    (1, 4, 2, 5, 4, (2, 3, 2, 1, 0, 1, 1, 2), 2, (1, 0)),     # stride, dilation, groups, asymmetric
    (2, 3, 3, 3, 3, (1, 1, 1, 1, 0, 0, 1, 1), 3, (0, 0)),     # 1x1 depthwise
    (1, 1, 2, 6, 2, (3, 1, 3, 2, 2, 0, 2, 1), 1, (2, 1)),     # big padding, stride > kernel
]


def _conv_case(case, dtype, seed=0):
    N, C, O, H, W, geom, groups, (pb, pr) = case
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    Ho = (H + ph + pb - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + pw + pr - dw * (kw - 1) - 1) // sw + 1
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C // groups, kh, kw)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    y = rng.standard_normal((N, O, Ho, Wo)).astype(dtype)
    return x, w, b, y, Ho, Wo, geom, groups


for _dtype in (np.float32, np.float64):
    for _k, _case in enumerate(CONVS):
        def _conv(case=_case, dtype=_dtype):
            x, w, b, y, Ho, Wo, geom, groups = _conv_case(case, dtype)
            H, W = x.shape[2:]
            close(K.conv2d(x, w, b, Ho, Wo, geom, groups), ref.conv2d(x, w, b, Ho, Wo, geom, groups), dtype)
            close(K.conv2d(x, w, None, Ho, Wo, geom, groups), ref.conv2d(x, w, None, Ho, Wo, geom, groups), dtype)
            close(K.conv2d_input_grad(y, w, H, W, geom, groups), ref.conv2d_input_grad(y, w, H, W, geom, groups),
                  dtype)
            close(K.conv2d_weight_grad(x, y, geom, groups), ref.conv2d_weight_grad(x, y, geom, groups), dtype)
            cols = K.unfold(x, Ho, Wo, geom)
            close(cols, ref.unfold(x, Ho, Wo, geom), dtype)
            C = x.shape[1]
            close(K.fold(cols, C, H, W, Ho, Wo, geom), ref.fold(cols, C, H, W, Ho, Wo, geom), dtype)
        _conv.__name__ = f"conv_{_k}_{np.dtype(_dtype).name}"
        check(_conv)


@check
def conv_empty():
    x = np.zeros((0, 2, 3, 3), np.float32)
    w = np.ones((4, 2, 2, 2), np.float32)
    assert K.conv2d(x, w, None, 2, 2, (2, 2, 1, 1, 0, 0, 1, 1), 1).shape == (0, 4, 2, 2)
    x = np.zeros((1, 0, 3, 3), np.float32)
    b = np.arange(4, dtype=np.float32)
    y = K.conv2d(x, np.ones((4, 0, 2, 2), np.float32), b, 2, 2, (2, 2, 1, 1, 0, 0, 1, 1), 1)
    np.testing.assert_array_equal(y, np.broadcast_to(b.reshape(1, 4, 1, 1), (1, 4, 2, 2)))


# max pool: (H, W, kernel, stride, padding, dilation, ceil_mode)
POOLS = [
    (4, 4, (2, 2), (2, 2), (0, 0), (1, 1), False),
    (5, 6, (3, 2), (2, 1), (1, 1), (1, 2), True),
    (3, 5, (2, 3), (3, 2), (1, 1), (2, 1), True),   # windows that are all padding at the edge
]


def _max_windows(H, W, k, s, p, d, ceil):
    Ho, Wo = _out_size(H, k[0], s[0], p[0], d[0], ceil), _out_size(W, k[1], s[1], p[1], d[1], ceil)
    hs, he = _max_axis(H, k[0], s[0], p[0], d[0], Ho)
    ws, we = _max_axis(W, k[1], s[1], p[1], d[1], Wo)
    return hs, he, d[0], ws, we, d[1]


for _dtype in (np.float32, np.float64):
    for _k, _case in enumerate(POOLS):
        def _maxpool(case=_case, dtype=_dtype):
            H, W = case[:2]
            rng = np.random.default_rng(1)
            # ties (small integers), NaNs and -inf: the first max wins, the last NaN wins
            x = rng.integers(-2, 3, size=(2, 3, H, W)).astype(dtype)
            x[0, 0, 0, :2] = np.nan
            x[1, 2] = -np.inf
            win = _max_windows(*case)
            y, idx = K.max_pool2d(x, *win)
            ry, ridx = ref.max_pool2d(x, *win)
            np.testing.assert_array_equal(y, ry)
            np.testing.assert_array_equal(idx, ridx)
            assert y.dtype == dtype
            g = rng.standard_normal(y.shape).astype(dtype)
            close(K.max_pool2d_scatter(g, idx, H, W), ref.max_pool2d_scatter(g, ridx, H, W), dtype)
            bad = idx.copy()
            bad.flat[::3] = H * W          # an index past the plane: no winner, no gradient
            close(K.max_pool2d_scatter(g, bad, H, W), ref.max_pool2d_scatter(g, bad.astype(np.int64), H, W), dtype)
            xx = rng.standard_normal(x.shape).astype(dtype)
            close(K.max_pool2d_gather(xx, bad), ref.max_pool2d_gather(xx, bad.astype(np.int64)), dtype)
        _maxpool.__name__ = f"max_pool_{_k}_{np.dtype(_dtype).name}"
        check(_maxpool)

# avg pool: (H, W, kernel, stride, padding, ceil_mode, count_include_pad)
AVGS = [
    (4, 4, (2, 2), (2, 2), (0, 0), False, True),
    (5, 4, (3, 2), (2, 1), (1, 1), True, True),
    (5, 4, (3, 3), (2, 3), (1, 1), True, False),
]

for _dtype in (np.float32, np.float64):
    for _k, _case in enumerate(AVGS):
        def _avgpool(case=_case, dtype=_dtype):
            H, W, k, s, p, ceil, cip = case
            Ho, Wo = _out_size(H, k[0], s[0], p[0], 1, ceil), _out_size(W, k[1], s[1], p[1], 1, ceil)
            hs, he, hd = _avg_axis(H, k[0], s[0], p[0], Ho, cip)
            ws, we, wd = _avg_axis(W, k[1], s[1], p[1], Wo, cip)
            div = np.outer(hd, wd)
            rng = np.random.default_rng(2)
            x = rng.standard_normal((2, 2, H, W)).astype(dtype)
            close(K.avg_pool2d(x, hs, he, ws, we, div), ref.avg_pool2d(x, hs, he, ws, we, div), dtype)
            g = rng.standard_normal((2, 2, Ho, Wo)).astype(dtype)
            close(K.avg_pool2d_transpose(g, H, W, hs, he, ws, we, div),
                  ref.avg_pool2d_transpose(g, H, W, hs, he, ws, we, div), dtype)
        _avgpool.__name__ = f"avg_pool_{_k}_{np.dtype(_dtype).name}"
        check(_avgpool)


def main(names):
    out = {}
    for name in names or CHECKS:
        try:
            CHECKS[name]()
            out[name] = "ok"
        except Exception:
            out[name] = traceback.format_exc(limit=6)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print("RESULT " + json.dumps(sorted(CHECKS)))
    else:
        main(sys.argv[1:])
