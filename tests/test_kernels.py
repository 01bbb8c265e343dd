"""The Numba kernels (minigrad/kernels/cpu.py) against the plain NumPy reference (reference.py).

Both compute the same functions; the reference is the readable definition. Every code path of
the fast kernels is drawn: direct loops (few taps) at stride 1 (whole-plane loops) and at other
strides (row loops), im2col + GEMM with chunks of the batch smaller than the batch, groups,
dilation, asymmetric output sizes; Winograd F(2x2, 3x3) for 3x3 stride-1 convs (odd sizes,
any padding, chunks, threads); max pooling through the 2x2 fast path and the general
windows, with ties, NaN and -inf; the scatter/gather pair and avg pooling with its transpose.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigrad.kernels import buffers, cpu, reference as ref
from minigrad.ops.pool import _avg_axis, _max_axis, _out_size

DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def dirty_buffers(monkeypatch):
    """Every buffer the kernels take from the cache comes filled with garbage (NaN, or the most
    negative integer), as a reused block may be: a kernel must write every element it returns."""
    def dirty(shape, dtype):
        a = buffers.empty(shape, dtype)
        a.fill(np.nan if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min)
        return a
    monkeypatch.setattr(cpu, "_empty", dirty)


def _tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


@st.composite
def conv_problem(draw):
    groups = draw(st.sampled_from([1, 2, 3]))
    C, O = groups * draw(st.integers(1, 4)), groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = max(1, dh * (kh - 1) + 1 - ph) + draw(st.integers(0, 5))
    W = max(1, dw * (kw - 1) + 1 - pw) + draw(st.integers(0, 5))
    # bottom/right padding: anything from none to more than the top/left (asymmetric)
    pb, pr = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    Ho = max(1, (H + ph + pb - dh * (kh - 1) - 1) // sh + 1)
    Wo = max(1, (W + pw + pr - dw * (kw - 1) - 1) // sw + 1)
    N = draw(st.integers(1, 5))
    return N, C, O, H, W, Ho, Wo, (kh, kw, sh, sw, ph, pw, dh, dw), groups


@pytest.fixture(params=["direct", "gemm", "gemm_wide"])
def path(request, monkeypatch):
    """Force every conv through the direct loops, or through im2col + GEMM in small chunks: the
    weight gradient a sum of per-sample GEMMs, or (gemm_wide, without groups) one GEMM per chunk
    of two samples."""
    if request.param == "direct":
        monkeypatch.setattr(cpu, "DIRECT_MAX_TAPS", 10 ** 6)
        monkeypatch.setattr(cpu, "_direct", lambda taps, groups: True)
    elif request.param == "gemm":
        monkeypatch.setattr(cpu, "DIRECT_MAX_TAPS", 0)
        monkeypatch.setattr(cpu, "CHUNK_BYTES", 1)   # one sample per chunk: the chunk loop runs
        monkeypatch.setattr(cpu, "CHUNK_L2_BYTES", 1)
        monkeypatch.setattr(cpu, "SMALL_MAP", 0)
        monkeypatch.setattr(cpu, "WIDE_GRAD_MAP", 0)
    else:
        monkeypatch.setattr(cpu, "DIRECT_MAX_TAPS", 0)
        monkeypatch.setattr(cpu, "_chunk", lambda n, bytes_per_sample, budget=None: min(n, 2))   # a last chunk of one
        monkeypatch.setattr(cpu, "SMALL_MAP", 10 ** 9)
        monkeypatch.setattr(cpu, "WIDE_GRAD_MAP", 10 ** 9)
        monkeypatch.setattr(cpu, "SMALL_MAP_MIN_ROWS", 0)
    return request.param


@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # path only sets constants
@given(problem=conv_problem(), seed=st.integers(0, 2 ** 16))
def test_conv_kernels_match_reference(path, dtype, problem, seed):
    N, C, O, H, W, Ho, Wo, geom, groups = problem
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C // groups) + geom[:2]).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    g = rng.standard_normal((N, O, Ho, Wo)).astype(dtype)
    for bias in (b, None):
        y = cpu.conv2d(x, w, bias, Ho, Wo, geom, groups)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, ref.conv2d(x, w, bias, Ho, Wo, geom, groups), **_tol(dtype))
    gx = cpu.conv2d_input_grad(g, w, H, W, geom, groups)
    assert gx.dtype == dtype and gx.shape == x.shape
    np.testing.assert_allclose(gx, ref.conv2d_input_grad(g, w, H, W, geom, groups), **_tol(dtype))
    gw = cpu.conv2d_weight_grad(x, g, geom, groups)
    assert gw.dtype == dtype and gw.shape == w.shape
    np.testing.assert_allclose(gw, ref.conv2d_weight_grad(x, g, geom, groups), **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)
@given(problem=conv_problem(), seed=st.integers(0, 2 ** 16))
def test_unfold_fold_match_reference(dtype, problem, seed):
    N, C, _, H, W, Ho, Wo, geom, _ = problem
    x = np.random.default_rng(seed).standard_normal((N, C, H, W)).astype(dtype)
    cols = cpu.unfold(x, Ho, Wo, geom)
    np.testing.assert_array_equal(cols, ref.unfold(x, Ho, Wo, geom))
    np.testing.assert_allclose(cpu.fold(cols, C, H, W, Ho, Wo, geom), ref.fold(cols, C, H, W, Ho, Wo, geom),
                               **_tol(dtype))


def test_conv_kernels_are_adjoint():
    """<conv(x, w), y> = <x, input_grad(y, w)> = <w, weight_grad(x, y)>: the three kernels are one form."""
    rng = np.random.default_rng(0)
    geom = (3, 2, 2, 1, 1, 0, 1, 2)
    x, w, y = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal((2, 6, 4, 4))
    form = np.vdot(cpu.conv2d(x, w, None, 4, 4, geom, 2), y)
    assert np.isclose(form, np.vdot(x, cpu.conv2d_input_grad(y, w, 7, 6, geom, 2)))
    assert np.isclose(form, np.vdot(w, cpu.conv2d_weight_grad(x, y, geom, 2)))


def test_chunked_gemm_path_bounds_its_buffers(monkeypatch):
    """A batch larger than one chunk is processed chunk by chunk with the same result."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((9, 8, 6, 6)).astype(np.float32), rng.standard_normal((5, 8, 3, 3)).astype(np.float32)
    geom = (3, 3, 1, 1, 1, 1, 1, 1)
    whole = cpu.conv2d(x, w, None, 6, 6, geom, 1)
    monkeypatch.setattr(cpu, "CHUNK_BYTES", 2 * (8 * 9 + 5) * 36 * 4)   # two samples per chunk
    assert cpu._chunk(9, (8 * 9 + 5) * 36 * 4) == 2
    np.testing.assert_allclose(cpu.conv2d(x, w, None, 6, 6, geom, 1), whole, rtol=1e-5, atol=1e-5)


@st.composite
def pool_problem(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    ceil = draw(st.booleans())
    H, W = (max(1, dd * (kk - 1) + 1 - 2 * pp) + draw(st.integers(0, 5)) for kk, dd, pp in zip(k, d, p))
    out = [_out_size(n, kk, ss, pp, dd, ceil) for n, kk, ss, pp, dd in zip((H, W), k, s, p, d)]
    return (H, W), k, s, p, d, ceil, out


def _values(rng, shape, kind, dtype):
    if kind == "ties":
        return rng.integers(-1, 2, shape).astype(dtype)
    if kind == "zeros":
        return np.zeros(shape, dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if kind == "special":
        x[rng.random(shape) < 0.15] = np.nan
        x[rng.random(shape) < 0.15] = -np.inf
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["random", "ties", "zeros", "special"])
@settings(deadline=None)
@given(problem=pool_problem(), seed=st.integers(0, 2 ** 16))
def test_max_pool_matches_reference(dtype, kind, problem, seed):
    (H, W), k, s, p, d, ceil, (Ho, Wo) = problem
    rng = np.random.default_rng(seed)
    x = _values(rng, (2, 3, H, W), kind, dtype)
    hs, he = _max_axis(H, k[0], s[0], p[0], d[0], Ho)
    ws, we = _max_axis(W, k[1], s[1], p[1], d[1], Wo)
    y, idx = cpu.max_pool2d(x, hs, he, d[0], ws, we, d[1])
    y_ref, idx_ref = ref.max_pool2d(x, hs, he, d[0], ws, we, d[1])
    np.testing.assert_array_equal(y, y_ref)          # exact, NaN included
    np.testing.assert_array_equal(idx, idx_ref)      # the same winner of every tie
    g = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(cpu.max_pool2d_scatter(g, idx, H, W), ref.max_pool2d_scatter(g, idx_ref, H, W),
                               **_tol(dtype))
    np.testing.assert_array_equal(cpu.max_pool2d_gather(x, idx), ref.max_pool2d_gather(x, idx_ref))


@pytest.mark.parametrize("kind", ["random", "ties", "zeros", "special"])
def test_max_pool_2x2_fast_path(kind):
    """The unrolled 2x2 kernel (taken for kernel 2, stride 2) picks the reference's winners."""
    rng = np.random.default_rng(3)
    for H, W in [(4, 4), (5, 7), (2, 2), (8, 6)]:
        x = _values(rng, (3, 2, H, W), kind, np.float32)
        hs, he = _max_axis(H, 2, 2, 0, 1, H // 2)
        ws, we = _max_axis(W, 2, 2, 0, 1, W // 2)
        assert cpu._is_2x2(H, W, hs, he, 1, ws, we, 1)
        y, idx = cpu.max_pool2d(x, hs, he, 1, ws, we, 1)
        y_ref, idx_ref = ref.max_pool2d(x, hs, he, 1, ws, we, 1)
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(idx, idx_ref)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)
@given(problem=pool_problem(), include_pad=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_avg_pool_matches_reference(dtype, problem, include_pad, seed):
    (H, W), k, s, p, _, ceil, _ = problem
    Ho, Wo = (_out_size(n, kk, ss, pp, 1, ceil) for n, kk, ss, pp in zip((H, W), k, s, p))
    if Ho < 1 or Wo < 1:
        return
    hs, he, hdiv = _avg_axis(H, k[0], s[0], p[0], Ho, include_pad)
    ws, we, wdiv = _avg_axis(W, k[1], s[1], p[1], Wo, include_pad)
    div = np.outer(hdiv, wdiv)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, H, W)).astype(dtype)
    y = cpu.avg_pool2d(x, hs, he, ws, we, div)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, ref.avg_pool2d(x, hs, he, ws, we, div), **_tol(dtype))
    g = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(cpu.avg_pool2d_transpose(g, H, W, hs, he, ws, we, div),
                               ref.avg_pool2d_transpose(g, H, W, hs, he, ws, we, div), **_tol(dtype))


def test_scatter_drops_out_of_range_index():
    """A window of padding only (torch stores an index past the plane) sends its gradient nowhere."""
    g = np.ones((1, 1, 1, 2), np.float32)
    idx = np.array([[[[6, 1]]]], np.int32)
    gx = cpu.max_pool2d_scatter(g, idx, 2, 2)
    np.testing.assert_array_equal(gx.reshape(-1), [0, 1, 0, 0])
    np.testing.assert_array_equal(cpu.max_pool2d_gather(np.arange(4.0).reshape(1, 1, 2, 2), idx), [[[[0, 1]]]])


def test_winograd_tables_are_the_transforms():
    """The kernels' tables (nonzero columns and values per row) rebuild B^T, A, A^T and B."""
    for (cols, vals), L in [(cpu._WINO_IN, cpu._WINO_BT), (cpu._WINO_OUT_T, cpu._WINO_AT.T),
                            (cpu._WINO_OUT, cpu._WINO_AT), (cpu._WINO_IN_T, cpu._WINO_BT.T)]:
        rebuilt = np.zeros_like(L)
        for r in range(L.shape[0]):
            np.add.at(rebuilt[r], cols[r], vals[r])
        np.testing.assert_array_equal(rebuilt, L)


def test_threads_split_the_work(monkeypatch):
    """Results do not depend on how the outer loop is split across threads."""
    import numba
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((16, 4, 12, 12)).astype(np.float32), rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
    geom = (3, 3, 1, 1, 1, 1, 1, 1)
    monkeypatch.setattr(cpu, "_MIN_WORK", 0)
    one = None
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        y = cpu.conv2d(x, w, None, 12, 12, geom, 1)
        one = y if one is None else one
        np.testing.assert_array_equal(y, one)


@pytest.mark.parametrize("wide", [True, False])
@pytest.mark.parametrize("keep", [True, False])
def test_gemm_path_threads_split_the_batch(monkeypatch, keep, wide):
    """im2col + GEMM: threads take ranges of samples (chunked within each thread, columns kept or
    not); the forward and the input gradient do not depend on the split, the weight gradient
    adds the threads' partial sums in a fixed order."""
    import numba
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((7, 3, 9, 8)).astype(np.float32), rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    geom = (3, 3, 2, 1, 1, 0, 1, 1)
    y0 = ref.conv2d(x, w, b, 5, 6, geom, 1)
    g = rng.standard_normal(y0.shape).astype(np.float32)
    monkeypatch.setattr(cpu, "_MIN_WORK", 0)
    monkeypatch.setattr(cpu, "CHUNK_BYTES", 2 * 28 * 30 * 4)   # two samples per chunk
    monkeypatch.setattr(cpu, "CHUNK_L2_BYTES", 2 * 28 * 30 * 4)   # (a forward that keeps no columns)
    monkeypatch.setattr(cpu, "SMALL_MAP_MIN_ROWS", 0 if wide else 10 ** 9)   # weight gradient: one GEMM per chunk, or per sample
    if not keep:
        monkeypatch.setattr(cpu, "KEEP_BYTES", 0)
    runs = []
    for threads in (1, max(2, numba.config.NUMBA_NUM_THREADS)):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        y, cols = cpu.conv2d_keep(x, w, b, 5, 6, geom, 1)
        assert (cols is not None) == keep
        runs.append((y, cpu.conv2d_input_grad(g, w, 9, 8, geom, 1), cpu.conv2d_weight_grad(x, g, geom, 1, cols)))
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    np.testing.assert_allclose(runs[1][0], y0, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(runs[1][1], ref.conv2d_input_grad(g, w, 9, 8, geom, 1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(runs[0][2], runs[1][2], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(runs[1][2], ref.conv2d_weight_grad(x, g, geom, 1), rtol=1e-4, atol=1e-4)


def test_kept_columns_give_the_same_weight_gradient(monkeypatch):
    """conv2d_keep hands its im2col columns to the weight gradient; within KEEP_BYTES only."""
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((3, 8, 5, 6)).astype(np.float32), rng.standard_normal((4, 8, 3, 3)).astype(np.float32)
    geom = (3, 3, 1, 2, 1, 0, 1, 1)
    y, cols = cpu.conv2d_keep(x, w, None, 5, 2, geom, 1)
    assert cols is not None and cols.shape == (8 * 9, 3 * 5 * 2)
    np.testing.assert_array_equal(y, cpu.conv2d(x, w, None, 5, 2, geom, 1))
    g = rng.standard_normal(y.shape).astype(np.float32)
    np.testing.assert_allclose(cpu.conv2d_weight_grad(x, g, geom, 1, cols=cols), ref.conv2d_weight_grad(x, g, geom, 1),
                               rtol=1e-4, atol=1e-4)
    monkeypatch.setattr(cpu, "KEEP_BYTES", cols.nbytes - 1)
    assert cpu.conv2d_keep(x, w, None, 5, 2, geom, 1)[1] is None


@st.composite
def winograd_problem(draw):
    """3x3, stride 1, no dilation or groups: what the Winograd path takes (at any channel count
    once WINO_MIN_CHANNELS is lowered), with odd and even sizes and asymmetric padding."""
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    pb, pr = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    H = max(1, 3 - ph - pb) + draw(st.integers(0, 7))
    W = max(1, 3 - pw - pr) + draw(st.integers(0, 7))
    Ho, Wo = H + ph + pb - 2, W + pw + pr - 2
    N, C, O = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    return N, C, O, H, W, Ho, Wo, (3, 3, 1, 1, ph, pw, 1, 1)


@pytest.fixture
def winograd(monkeypatch):
    """Every 3x3 stride-1 conv through Winograd, one sample per chunk (the chunk loop runs)."""
    monkeypatch.setattr(cpu, "WINO_MIN_CHANNELS", 1)
    monkeypatch.setattr(cpu, "WINO_CHUNK_BYTES", 1)
    monkeypatch.setattr(cpu, "WINO_MIN_ROWS", 1)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=winograd_problem(), seed=st.integers(0, 2 ** 16))
def test_winograd_matches_reference(winograd, dtype, problem, seed):
    N, C, O, H, W, Ho, Wo, geom = problem
    assert cpu._winograd(C, O, geom, 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C, 3, 3)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    g = rng.standard_normal((N, O, Ho, Wo)).astype(dtype)
    for bias in (b, None):
        y, kept = cpu.conv2d_keep(x, w, bias, Ho, Wo, geom, 1)
        assert y.dtype == dtype and kept is None
        np.testing.assert_allclose(y, ref.conv2d(x, w, bias, Ho, Wo, geom, 1), **_tol(dtype))
    gx_ref, gw_ref = ref.conv2d_input_grad(g, w, H, W, geom, 1), ref.conv2d_weight_grad(x, g, geom, 1)
    gx, gw = cpu.conv2d_input_grad(g, w, H, W, geom, 1), cpu.conv2d_weight_grad(x, g, geom, 1)
    assert gx.dtype == gw.dtype == dtype and gx.shape == x.shape and gw.shape == w.shape
    np.testing.assert_allclose(gx, gx_ref, **_tol(dtype))
    np.testing.assert_allclose(gw, gw_ref, **_tol(dtype))
    both = cpu.conv2d_grads(x, g, w, H, W, geom, 1, bias=True)   # the fused backward: the same arrays
    np.testing.assert_allclose(both[0], gx_ref, **_tol(dtype))
    np.testing.assert_allclose(both[1], gw_ref, **_tol(dtype))
    np.testing.assert_allclose(both[2], g.sum(axis=(0, 2, 3)), **_tol(dtype))   # the bias gradient, from dM


def test_winograd_refuses_an_input_its_buffers_cannot_hold():
    """The transforms index their buffers unchecked; an output size that does not match the
    input's padding (which no conv produces) raises instead of writing past them."""
    x = np.zeros((1, 8, 10, 10), np.float32)
    w = np.zeros((8, 8, 3, 3), np.float32)
    y = np.empty((1, 8, 4, 4), np.float32)   # 10x10 with padding 1 gives 10x10, not 4x4
    with pytest.raises(RuntimeError, match="does not fit"):
        cpu._wino_forward(x, w, np.zeros(8, np.float32), y, 1, 1)
    with pytest.raises(RuntimeError, match="does not fit"):
        cpu._wino_backward(x, np.zeros((1, 8, 4, 4), np.float32), w, np.empty_like(x), 1, 1)


def test_winograd_is_taken_for_the_seed_cnn_second_layer():
    assert cpu._winograd(32, 64, (3, 3, 1, 1, 1, 1, 1, 1), 1)
    assert not cpu._winograd(1, 32, (3, 3, 1, 1, 1, 1, 1, 1), 1)      # first layer: im2col + GEMM
    assert not cpu._winograd(32, 64, (3, 3, 2, 2, 1, 1, 1, 1), 1)     # strided
    assert not cpu._winograd(32, 64, (3, 3, 1, 1, 1, 1, 2, 2), 1)     # dilated
    assert not cpu._winograd(32, 64, (3, 3, 1, 1, 1, 1, 1, 1), 2)     # grouped


@pytest.mark.parametrize("path", ["gemm", "winograd", "direct"])
def test_fused_grads_match_separate(path, monkeypatch):
    """conv2d_grads returns what conv2d_input_grad and conv2d_weight_grad return, and the bias
    gradient, on every path, for every subset of the three (and with the forward's columns)."""
    rng = np.random.default_rng(5)
    groups = 2 if path == "direct" else 1
    x = rng.standard_normal((5, 16, 9, 7))
    w = rng.standard_normal((12, 16 // groups, 3, 3))
    g = rng.standard_normal((5, 12, 9, 7))
    geom = (3, 3, 1, 1, 1, 1, 1, 1)
    if path == "gemm":
        monkeypatch.setattr(cpu, "WINO_MIN_CHANNELS", 10 ** 6)
    if path == "direct":
        monkeypatch.setattr(cpu, "DIRECT_MAX_TAPS", 10 ** 6)
    assert cpu._winograd(16, 12, geom, groups) == (path == "winograd")
    gx_sep, gw_sep = cpu.conv2d_input_grad(g, w, 9, 7, geom, groups), cpu.conv2d_weight_grad(x, g, geom, groups)
    np.testing.assert_allclose(gw_sep, ref.conv2d_weight_grad(x, g, geom, groups), rtol=1e-10, atol=1e-10)
    gb_ref = g.sum(axis=(0, 2, 3))
    b = rng.standard_normal(12)
    kept = cpu.conv2d_keep(x, w, b, 9, 7, geom, groups)[1]    # the im2col path keeps its columns
    assert (kept is not None) == (path == "gemm")
    for cols in (None, kept):
        for want in [(1, 1, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1), (0, 0, 1), (1, 0, 0), (0, 1, 0)]:
            gx, gw, gb = cpu.conv2d_grads(x if want[1] else None, g, w if want[0] else None, 9, 7, geom, groups,
                                          cols, bias=bool(want[2]))
            assert (gx is not None, gw is not None, gb is not None) == tuple(map(bool, want))
            if want[0]:
                np.testing.assert_allclose(gx, gx_sep, rtol=1e-12, atol=1e-12)
            if want[1]:
                np.testing.assert_allclose(gw, gw_sep, rtol=1e-12, atol=1e-12)
            if want[2]:
                assert gb.shape == (12,) and gb.dtype == g.dtype
                np.testing.assert_allclose(gb, gb_ref, rtol=1e-12, atol=1e-12)


def test_winograd_threads_split_the_batch(monkeypatch):
    """Each thread runs whole chunks; the forward and the input gradient do not depend on the split
    (the weight gradient adds the threads' partial sums, in a fixed order)."""
    import numba
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((7, 16, 10, 10)).astype(np.float32), rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    g = rng.standard_normal((7, 8, 10, 10)).astype(np.float32)
    geom = (3, 3, 1, 1, 1, 1, 1, 1)
    monkeypatch.setattr(cpu, "_MIN_WORK", 0)
    monkeypatch.setattr(cpu, "WINO_CHUNK_BYTES", 1)
    monkeypatch.setattr(cpu, "WINO_MIN_ROWS", 1)
    runs = []
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        runs.append((cpu.conv2d(x, w, None, 10, 10, geom, 1),) + cpu.conv2d_grads(x, g, w, 10, 10, geom, 1)[:2])
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    np.testing.assert_allclose(runs[0][2], runs[1][2], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(runs[0][2], ref.conv2d_weight_grad(x, g, geom, 1), rtol=1e-4, atol=1e-3)


def test_blas_serial_region_restores_the_thread_count():
    """blas.serial() runs its body on one BLAS thread and puts the count back, also when nested;
    blas.matmul is np.matmul whatever it decides about threads."""
    from minigrad.kernels import blas
    controllers = blas._blas_controllers()
    before = [c.get_num_threads() for c in controllers]
    with blas.serial():
        assert all(c.get_num_threads() == 1 for c in controllers)
        with blas.serial():
            assert all(c.get_num_threads() == 1 for c in controllers)
        assert all(c.get_num_threads() == 1 for c in controllers)
    assert [c.get_num_threads() for c in controllers] == before
    rng = np.random.default_rng(8)
    # tiny (BLAS keeps it on one thread by itself), mid-size (run under serial()), large (BLAS's
    # threads), with batch dimensions on either side
    for sa, sb in [((5, 7), (7, 3)), ((2, 5, 7), (7,)), ((7,), (3, 7, 4)), ((64, 128), (128, 64)),
                   ((4, 64, 32), (32, 64)), ((64, 32), (4, 32, 64)), ((300, 300), (300, 300))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        np.testing.assert_array_equal(blas.matmul(a, b), np.matmul(a, b))
        assert [c.get_num_threads() for c in controllers] == before
    # a contiguous stack times a matrix runs as one product over the stack's rows: the same numbers
    for a in (rng.standard_normal((35, 20, 64)).astype(np.float32), rng.standard_normal((3, 2, 5, 7)),
              rng.standard_normal((7, 20, 35)).transpose(2, 1, 0), np.ones((2, 0, 3)), np.ones((2, 3, 0))):
        b = rng.standard_normal((a.shape[-1], 9)).astype(a.dtype)
        np.testing.assert_array_equal(blas.matmul(a, b), np.matmul(a, b))


# -- inf and NaN: every path agrees with torch --------------------------------------------------
# (name, conv function, input shape, weight shape, keyword arguments): one case per path of cpu.py
NONFINITE_CONVS = [
    ("winograd", "conv2d", (2, 32, 16, 16), (64, 32, 3, 3), dict(padding=1)),   # issue 14's example
    ("winograd_transpose", "conv_transpose2d", (2, 16, 8, 8), (16, 8, 3, 3), dict(padding=1)),
    ("gemm", "conv2d", (2, 4, 9, 9), (6, 4, 3, 3), dict(stride=2, padding=1)),
    ("gemm_transpose", "conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), dict(stride=2, padding=1)),
    # small maps with at least SMALL_MAP_MIN_ROWS rows of columns: one GEMM per chunk, forward and weight gradient
    ("gemm_wide", "conv2d", (2, 8, 9, 9), (6, 8, 3, 3), dict(stride=2, padding=1)),
    ("gemm_wide_transpose", "conv_transpose2d", (2, 8, 5, 5), (8, 8, 3, 3), dict(stride=2, padding=1)),
    ("direct", "conv2d", (2, 4, 9, 9), (4, 1, 3, 3), dict(padding=1, groups=4)),
    ("direct_strided", "conv2d", (2, 4, 9, 9), (8, 1, 3, 3), dict(stride=2, padding=1, groups=4)),
]
# where the non-finite values go: one value, or +inf and -inf in one window (their sum is NaN)
PLACEMENTS = [("input", np.inf), ("input", -np.inf), ("input", np.nan), ("input", "inf-inf"),
              ("weight", np.inf), ("weight", np.nan), ("grad", np.inf), ("grad", np.nan)]


def _plant(a, value):
    a = a.copy()
    if isinstance(value, str):   # +inf and -inf next to each other
        a[0, 0, 1, 1], a[0, 0, 1, 2] = np.inf, -np.inf
    else:
        a[0, 0, 1, 1] = value
    return a


def _run_both(fn, arrays, g, kwargs):
    """fn's output and the gradients of <fn(*arrays), g>, from minigrad and from torch."""
    import torch
    import minigrad
    results = []
    for lib, F in ((minigrad, minigrad.nn.functional), (torch, torch.nn.functional)):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = getattr(F, fn)(*ts, **kwargs)
        y.backward(lib.tensor(g))
        results.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
    return results


def _assert_same_nonfinite(ours, torchs, dtype):
    for name, a, e in zip(("output", "input grad", "weight grad", "bias grad"), ours, torchs):
        assert a.shape == e.shape and a.dtype == e.dtype, name
        np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg=f"{name}: NaN positions")
        np.testing.assert_array_equal(np.isposinf(a), np.isposinf(e), err_msg=f"{name}: +inf positions")
        np.testing.assert_array_equal(np.isneginf(a), np.isneginf(e), err_msg=f"{name}: -inf positions")
        np.testing.assert_allclose(a, e, equal_nan=True, err_msg=name, **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("where,value", PLACEMENTS)
@pytest.mark.parametrize("case", NONFINITE_CONVS, ids=[c[0] for c in NONFINITE_CONVS])
def test_conv_with_inf_and_nan_matches_torch(case, where, value, dtype):
    """inf and NaN in the input, the weight or the incoming gradient give torch's output and
    gradients on every path: the Winograd transforms would mix an inf into its neighbours
    (inf - inf = NaN), so such arrays take the exact im2col path."""
    _, fn, xshape, wshape, kwargs = case
    rng = np.random.default_rng(14)
    x = rng.standard_normal(xshape).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    b = rng.standard_normal(wshape[1] * kwargs.get("groups", 1) if fn == "conv_transpose2d" else wshape[0])
    b = b.astype(dtype)
    if where == "input":
        x = _plant(x, value)
    elif where == "weight":
        w = _plant(w, value)
    import torch
    yshape = getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(w), **kwargs).shape
    g = rng.standard_normal(tuple(yshape)).astype(dtype)
    if where == "grad":
        g = _plant(g, value)
    ours, torchs = _run_both(fn, (x, w, b), g, kwargs)
    _assert_same_nonfinite(ours, torchs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("where", ["input", "weight", "bias", "grad"])
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_pointwise_conv_with_inf_and_nan_matches_torch(where, value, dtype):
    """A 1x1 conv's bias rides in its GEMM (a row of ones under the input): an inf or NaN in the
    input, weight, bias or incoming gradient still gives torch's pattern."""
    rng = np.random.default_rng(15)
    arrays = {"input": rng.standard_normal((2, 4, 5, 5)), "weight": rng.standard_normal((6, 4, 1, 1)),
              "bias": rng.standard_normal(6), "grad": rng.standard_normal((2, 6, 5, 5))}
    arrays = {k: v.astype(dtype) for k, v in arrays.items()}
    arrays[where].reshape(-1)[3] = value
    ours, torchs = _run_both("conv2d", (arrays["input"], arrays["weight"], arrays["bias"]), arrays["grad"], {})
    _assert_same_nonfinite(ours, torchs, dtype)


def test_the_winograd_cases_take_winograd_when_finite():
    """The cases above exercise the Winograd path's way around non-finite arrays: with finite
    values they run Winograd."""
    assert cpu._winograd(32, 64, (3, 3, 1, 1, 1, 1, 1, 1), 1)    # conv2d 32 -> 64
    assert cpu._winograd(8, 16, (3, 3, 1, 1, 1, 1, 1, 1), 1)     # conv_transpose2d 16 -> 8 (conv 8 -> 16)
    x = np.ones((2, 3), np.float32)
    assert cpu._finite(x, None, np.zeros(0, np.float32))
    for bad in (np.inf, -np.inf, np.nan):
        y = x.copy()
        y[1, 2] = bad
        assert not cpu._finite(x, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan, "inf-inf"])
@pytest.mark.parametrize("pool,kwargs", [("max_pool2d", dict(kernel_size=2)),                 # the 2x2 kernel
                                         ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, dilation=1)),
                                         ("max_pool2d", dict(kernel_size=2, stride=1, dilation=2)),
                                         ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1)),
                                         ("avg_pool2d", dict(kernel_size=2, count_include_pad=False, padding=1)),
                                         ("adaptive_avg_pool2d", dict(output_size=3)),
                                         ("adaptive_max_pool2d", dict(output_size=3))])
def test_pool_with_inf_and_nan_matches_torch(pool, kwargs, value, dtype):
    rng = np.random.default_rng(15)
    x = _plant(rng.standard_normal((2, 3, 8, 8)).astype(dtype), value)
    import torch
    yshape = getattr(torch.nn.functional, pool)(torch.tensor(x), **kwargs).shape
    g = rng.standard_normal(tuple(yshape)).astype(dtype)
    ours, torchs = _run_both(pool, (x,), g, kwargs)
    _assert_same_nonfinite(ours, torchs, dtype)


# -- the kernel interface -----------------------------------------------------------------------
def test_every_backend_provides_the_whole_interface():
    """reference.py and cpu.py provide every function of kernels/interface.py (cuda.py: tests/gpu)."""
    from minigrad.kernels import interface
    assert interface.missing(ref) == [] and interface.missing(cpu) == []


@pytest.mark.parametrize("groups,geom", [(1, (3, 3, 1, 1, 1, 1, 1, 1)), (2, (2, 3, 2, 1, 0, 1, 1, 2))])
def test_default_fused_kernels_match_the_separate_ones(groups, geom):
    """The defaults a backend without fused kernels gets: conv2d_keep keeps nothing, conv2d_grads
    returns exactly what the separate kernels do."""
    rng = np.random.default_rng(16)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 4 // groups) + geom[:2])
    y, kept = ref.conv2d_keep(x, w, None, 4, 5, geom, groups)
    assert kept is None
    np.testing.assert_array_equal(y, ref.conv2d(x, w, None, 4, 5, geom, groups))
    g = rng.standard_normal(y.shape)
    gx, gw, gb = ref.conv2d_grads(x, g, w, 7, 6, geom, groups, kept, bias=True)
    np.testing.assert_array_equal(gx, ref.conv2d_input_grad(g, w, 7, 6, geom, groups))
    np.testing.assert_array_equal(gw, ref.conv2d_weight_grad(x, g, geom, groups))
    np.testing.assert_allclose(gb, g.sum(axis=(0, 2, 3)))
    assert ref.conv2d_grads(None, g, w, 7, 6, geom, groups)[1:] == (None, None)
    assert ref.conv2d_grads(x, g, None, 7, 6, geom, groups)[0] is None


def test_import_minigrad_loads_no_numba_until_a_kernel_runs():
    import subprocess
    import sys
    code = ("import sys, minigrad; a = 'numba' in sys.modules; "
            "minigrad.nn.functional.max_pool2d(minigrad.ones(1, 1, 2, 2), 2); print(a, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("groups", [1, 2])
def test_pointwise_convs_are_gemms_on_the_input(dtype, groups, monkeypatch):
    """1x1 convs at stride 1 without padding take the GEMM path without columns (forward, both
    gradients, the bias gradient, any thread split) and give the reference's numbers; a 1x1 conv
    with bottom padding (output larger than the input) does not take it."""
    import numba
    calls = []
    for name in ("_pointwise_forward", "_pointwise_input_grad", "_pointwise_weight_grad"):
        real = getattr(cpu, name)
        monkeypatch.setattr(cpu, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    monkeypatch.setattr(cpu, "_MIN_WORK", 0)
    rng = np.random.default_rng(7)
    N, C, O, H, W = 5, 20 * groups, 6 * groups, 7, 6   # 20 taps per group: not the direct loops
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C // groups, 1, 1)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    g = rng.standard_normal((N, O, H, W)).astype(dtype)
    geom = (1, 1, 1, 1, 0, 0, 1, 1)
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        for bias in (b, None):
            y, kept = cpu.conv2d_keep(x, w, bias, H, W, geom, groups)
            assert y.dtype == dtype and kept is None
            np.testing.assert_allclose(y, ref.conv2d(x, w, bias, H, W, geom, groups), **_tol(dtype))
        gx, gw, gb = cpu.conv2d_grads(x, g, w, H, W, geom, groups, bias=True)
        np.testing.assert_allclose(gx, ref.conv2d_input_grad(g, w, H, W, geom, groups), **_tol(dtype))
        np.testing.assert_allclose(gw, ref.conv2d_weight_grad(x, g, geom, groups), **_tol(dtype))
        np.testing.assert_allclose(gb, g.sum(axis=(0, 2, 3)), **_tol(dtype))
    assert set(calls) == {"_pointwise_forward", "_pointwise_input_grad", "_pointwise_weight_grad"}
    calls.clear()
    y = cpu.conv2d(x, w, b, H + 1, W, geom, groups)   # one row of bottom padding
    np.testing.assert_allclose(y, ref.conv2d(x, w, b, H + 1, W, geom, groups), **_tol(dtype))
    assert calls == []


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_direct_weight_grad_ignores_the_dropped_columns_inputs(value):
    """The stride-1 direct loops compute each plane at the padded width and drop the extra
    columns, whose gradient is zero; without padding those columns' taps read the next row's
    first pixels. An inf there must not turn into 0 * inf = NaN in the weight gradient: torch's
    taps that never read it stay finite."""
    import torch
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    x[1, 2, 2, 0] = value             # first column: only the taps of column 0 read it
    w = rng.standard_normal((3, 1, 3, 3)).astype(np.float32)
    g = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    geom = (3, 3, 1, 1, 0, 0, 1, 1)
    gw = cpu.conv2d_weight_grad(x, g, geom, 3)
    tw = torch.nn.grad.conv2d_weight(torch.tensor(x), w.shape, torch.tensor(g), groups=3).numpy()
    np.testing.assert_array_equal(np.isfinite(gw), np.isfinite(tw))
    assert np.isfinite(gw[2, 0, :, 1:]).all()
    np.testing.assert_allclose(gw, tw, rtol=1e-4, atol=1e-4, equal_nan=True)
