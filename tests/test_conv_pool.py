"""Conv and pool semantics beyond the op table: ties and NaN in max pooling, output-size rules
(ceil_mode, padding, dilation) swept against torch, 'same' padding, dtypes, double backward of a
small CNN, integer inputs, and bounded memory at batch 256.

The op table (minigrad/testing/op_db/conv.py and pool.py) draws the general samples and the
error cases; this file pins down the rules that random samples rarely hit.
"""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minigrad
import minigrad.nn.functional as F
import minigrad.nn.functional as F_mg


def _pair(x, requires_grad=False):
    return (minigrad.tensor(x, requires_grad=requires_grad),
            torch.tensor(x, requires_grad=requires_grad))


# -- max pooling: ties, NaN, -inf --------------------------------------------------------------
def test_max_pool_all_zero_image_grad_goes_to_first_of_each_window():
    x, tx = _pair(np.zeros((1, 1, 4, 4), np.float32), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    TF.max_pool2d(tx, 2).sum().backward()
    expected = np.zeros((4, 4), np.float32)
    expected[::2, ::2] = 1          # the top-left (first scanned) element of every 2x2 window
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("kernel,stride,padding,dilation", [(2, 2, 0, 1), (3, 1, 1, 1), (3, 2, 1, 1), (2, 1, 1, 2),
                                                            ((3, 2), (1, 2), (1, 0), (1, 2))])
def test_max_pool_integer_image_ties_match_torch(kernel, stride, padding, dilation):
    """Overlapping windows full of equal values: torch's winners (first in scan order) exactly."""
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, tx = _pair(rng.integers(-1, 2, (2, 3, 7, 6)).astype(np.float32), requires_grad=True)
        y, i = F.max_pool2d(x, kernel, stride, padding, dilation, return_indices=True)
        ty, ti = TF.max_pool2d(tx, kernel, stride, padding, dilation, return_indices=True)
        np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
        assert i.dtype == minigrad.int64
        g = rng.standard_normal(ty.shape).astype(np.float32)
        y.backward(minigrad.tensor(g))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_max_pool_nan_propagates_and_last_nan_wins():
    row = [1.0, np.nan, np.nan, 2.0, -np.inf, -np.inf, 3.0, 3.0]
    x, tx = _pair(np.array([[[row]]], np.float32))
    y, i = F.max_pool2d(x, (1, 4), return_indices=True)
    ty, ti = TF.max_pool2d(tx, (1, 4), return_indices=True)
    assert np.isnan(y.numpy()[0, 0, 0, 0]) and y.numpy()[0, 0, 0, 1] == 3.0
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    assert i.numpy().tolist() == [[[[2, 6]]]]   # the last NaN; the first of the equal 3s


def test_max_pool_all_minus_inf_window_keeps_first_position():
    x, tx = _pair(np.full((1, 1, 2, 4), -np.inf, np.float32))
    y, i = F.max_pool2d(x, 2, return_indices=True)
    ty, ti = TF.max_pool2d(tx, 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())


def test_adaptive_max_pool_ties_match_torch():
    rng = np.random.default_rng(1)
    x, tx = _pair(rng.integers(0, 2, (2, 2, 7, 5)).astype(np.float64), requires_grad=True)
    y, i = F.adaptive_max_pool2d(x, (3, 4), return_indices=True)
    ty, ti = TF.adaptive_max_pool2d(tx, (3, 4), return_indices=True)
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


# -- output sizes ------------------------------------------------------------------------------
def test_pool_output_sizes_match_torch():
    """ceil_mode's rule (the last window must start inside the input or its left padding),
    padding and dilation, over every small combination torch accepts."""
    x_np = np.random.default_rng(2).standard_normal((1, 1, 9, 9)).astype(np.float32)
    checked = 0
    for n, k, s, p, d, ceil in itertools.product(range(1, 9), range(1, 4), range(1, 4), range(0, 2), range(1, 3),
                                                 (False, True)):
        x, tx = _pair(x_np[:, :, :n, :n])
        try:
            expected = TF.max_pool2d(tx, k, s, p, d, ceil)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                F.max_pool2d(x, k, s, p, d, ceil)
            continue
        np.testing.assert_array_equal(F.max_pool2d(x, k, s, p, d, ceil).numpy(), expected.numpy())
        if d == 1:
            for include_pad in (False, True):
                np.testing.assert_allclose(F.avg_pool2d(x, k, s, p, ceil, include_pad).numpy(),
                                           TF.avg_pool2d(tx, k, s, p, ceil, include_pad).numpy(), rtol=1e-6, atol=1e-6)
        checked += 1
    assert checked > 300


def test_conv_output_sizes_match_torch():
    rng = np.random.default_rng(3)
    for n, k, s, p, d in itertools.product(range(1, 7), range(1, 4), range(1, 4), range(0, 3), range(1, 3)):
        x, tx = _pair(rng.standard_normal((1, 2, n, n + 1)).astype(np.float64))
        w, tw = _pair(rng.standard_normal((3, 2, k, k)).astype(np.float64))
        try:
            expected = TF.conv2d(tx, tw, None, s, p, d)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                F.conv2d(x, w, None, s, p, d)
            continue
        np.testing.assert_allclose(F.conv2d(x, w, None, s, p, d).numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k,d", [(2, 1), (4, 1), (3, 2), (2, 3), (1, 1)])
def test_same_padding_with_even_kernels_pads_the_end(k, d):
    """padding='same': total d*(k-1); when odd, the extra zero goes at the bottom/right."""
    rng = np.random.default_rng(4)
    x, tx = _pair(rng.standard_normal((2, 3, 6, 5)).astype(np.float64))
    w, tw = _pair(rng.standard_normal((2, 3, k, k + 1)).astype(np.float64))
    y = F.conv2d(x, w, padding="same", dilation=d)
    assert y.shape == x.shape[:1] + (2,) + x.shape[2:]
    np.testing.assert_allclose(y.numpy(), TF.conv2d(tx, tw, padding="same", dilation=d).numpy(), rtol=1e-10, atol=1e-10)
    x1, tx1 = _pair(rng.standard_normal((2, 3, 7)).astype(np.float64))
    w1, tw1 = _pair(rng.standard_normal((4, 3, k)).astype(np.float64))
    np.testing.assert_allclose(F.conv1d(x1, w1, padding="same", dilation=d).numpy(),
                               TF.conv1d(tx1, tw1, padding="same", dilation=d).numpy(), rtol=1e-10, atol=1e-10)


# -- dtypes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [lambda F, x, w: F.conv2d(x, w, padding=1), lambda F, x, w: F.max_pool2d(x, 2),
                                lambda F, x, w: F.avg_pool2d(x, 2), lambda F, x, w: F.adaptive_avg_pool2d(x, 1),
                                lambda F, x, w: F.conv_transpose2d(x, w)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(fn, dtype):
    rng = np.random.default_rng(5)
    x, tx = _pair(rng.standard_normal((2, 3, 6, 6)).astype(dtype))
    w, tw = _pair(rng.standard_normal((3, 3, 3, 3)).astype(dtype))
    out, expected = fn(F, x, w), fn(TF, tx, tw)
    assert str(out.dtype).split(".")[-1] == dtype
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_integer_inputs_match_torch():
    rng = np.random.default_rng(6)
    x, tx = _pair(rng.integers(-3, 4, (2, 2, 5, 5)))
    w, tw = _pair(rng.integers(-3, 4, (3, 2, 3, 3)))
    y = F.conv2d(x, w, padding=1)
    assert y.dtype == minigrad.int64
    np.testing.assert_array_equal(y.numpy(), TF.conv2d(tx, tw, padding=1).numpy())
    np.testing.assert_array_equal(F.max_pool2d(x, 2).numpy(), TF.max_pool2d(tx, 2).numpy())
    np.testing.assert_array_equal(F.avg_pool2d(x, 2).numpy(), TF.avg_pool2d(tx, 2).numpy())


# -- double backward through a small CNN ------------------------------------------------------
def _cnn(F, x, w1, w2, pool):
    h = F.conv2d(x, w1, padding=1)
    h = F.max_pool2d(h, 2) if pool == "max" else F.avg_pool2d(h, 2)
    h = F.conv_transpose2d(h, w2, stride=2)
    return (h * h).sum()


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_second_derivatives_of_a_cnn_match_torch(pool):
    """grad of <grad(loss; x, w1, w2), v> through conv2d, pooling and conv_transpose2d."""
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((3, 2, 2, 2))]
    mg = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    th = [torch.tensor(a, requires_grad=True) for a in arrays]
    g_mg = minigrad.autograd.grad(_cnn(F, *mg, pool), mg, create_graph=True)
    g_th = torch.autograd.grad(_cnn(TF, *th, pool), th, create_graph=True)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    s_mg = sum((g * minigrad.tensor(v)).sum() for g, v in zip(g_mg, vs))
    s_th = sum((g * torch.tensor(v)).sum() for g, v in zip(g_th, vs))
    for a, e in zip(minigrad.autograd.grad(s_mg, mg), torch.autograd.grad(s_th, th)):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("pool", [lambda F, x: F.max_pool2d(x, 2), lambda F, x: F.avg_pool2d(x, 3, 2, 1),
                                  lambda F, x: F.max_pool1d(x[0], 3, 2, 1), lambda F, x: F.avg_pool1d(x[0], 2),
                                  lambda F, x: F.adaptive_avg_pool2d(x, 3), lambda F, x: F.adaptive_max_pool2d(x, 3)])
def test_pool_gradient_is_in_the_graph_with_a_zero_derivative(pool):
    """A pool's gradient depends on its input x with a derivative of zero, as in torch: with
    create_graph it requires grad, and differentiating it again with respect to x gives zeros."""
    rng = np.random.default_rng(9)
    a = rng.standard_normal((2, 3, 6, 6))
    results = []
    for lib, F in ((minigrad, F_mg), (torch, TF)):
        x = lib.tensor(a, requires_grad=True)
        gx, = lib.autograd.grad(pool(F, x).sum(), x, create_graph=True)
        assert gx.requires_grad
        ggx, = lib.autograd.grad((gx * gx).sum(), x)
        results.append((gx.detach().numpy(), ggx.numpy()))
    (gx, ggx), (tgx, tggx) = results
    np.testing.assert_allclose(gx, tgx, rtol=1e-12)
    assert ggx.shape == tggx.shape and ggx.dtype == tggx.dtype
    np.testing.assert_array_equal(ggx, tggx)
    np.testing.assert_array_equal(ggx, 0)


# -- conv_transpose with an output of size 0 ---------------------------------------------------
# (input shape, weight shape, keyword arguments, dtype): torch 2.13 returns an empty output for
# an empty input and on its grouped float32 path, and raises "Output size is too small" otherwise
ZERO_OUTPUT_CASES = [
    ((0, 2, 1, 1), (2, 2, 2, 2), dict(padding=1), "float32"),                        # empty input
    ((0, 2, 1, 1), (2, 2, 2, 2), dict(padding=1), "float64"),
    ((0, 2, 1, 1), (2, 2, 1, 1), dict(padding=1, output_padding=1, dilation=2), "float64"),
    ((1, 2, 1, 1), (2, 1, 2, 2), dict(padding=1, groups=2), "float32"),              # grouped float32
    ((1, 2, 3, 1), (2, 1, 2, 2), dict(padding=1, groups=2), "float32"),              # one dim of size 0
    ((2, 1, 1), (2, 1, 2, 2), dict(padding=1, groups=2), "float32"),                 # unbatched
    ((1, 2, 1), (2, 1, 2), dict(padding=1, groups=2), "float32"),                    # conv_transpose1d
    ((1, 2, 1, 1), (2, 2, 2, 2), dict(padding=1), "float32"),                        # raises
    ((1, 2, 1, 1), (2, 1, 2, 2), dict(padding=1, groups=2), "float64"),              # raises
    ((1, 2, 3, 1), (2, 1, 2, 2), dict(padding=1, groups=2), "float64"),              # raises
    ((1, 2, 1), (2, 2, 2), dict(padding=1), "float32"),                              # raises
    ((1, 2, 1, 1), (2, 2, 2, 2), dict(padding=2), "float32"),                        # negative: raises
]


@pytest.mark.parametrize("xshape,wshape,kwargs,dtype", ZERO_OUTPUT_CASES)
def test_conv_transpose_with_output_size_zero_matches_torch(xshape, wshape, kwargs, dtype):
    rng = np.random.default_rng(10)
    a, b = rng.standard_normal(xshape).astype(dtype), rng.standard_normal(wshape).astype(dtype)
    fn = "conv_transpose1d" if len(wshape) == 3 else "conv_transpose2d"
    outcomes = []
    for lib, F in ((minigrad, F_mg), (torch, TF)):
        x, w = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        try:
            y = getattr(F, fn)(x, w, **kwargs)
        except RuntimeError:
            outcomes.append(RuntimeError)
            continue
        (y.sum() + (x * x).sum()).backward()   # y is empty: x's gradient is 2x, w's is zeros
        outcomes.append((tuple(y.shape), str(y.dtype).split(".")[1], x.grad.numpy(), w.grad.numpy()))
    ours, theirs = outcomes
    if theirs is RuntimeError:
        assert ours is RuntimeError
        with pytest.raises(RuntimeError, match="Output size is too small"):
            getattr(F_mg, fn)(minigrad.tensor(a), minigrad.tensor(b), **kwargs)
        return
    assert ours is not RuntimeError and 0 in ours[0]
    assert ours[:2] == theirs[:2]
    for g, tg in zip(ours[2:], theirs[2:]):
        assert g.shape == tg.shape
        np.testing.assert_allclose(g, tg, rtol=1e-6)


# -- memory ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_batch_256_memory_stays_bounded():
    """The seed CNN's conv2 at batch 256: forward + backward allocate the activations and their
    gradients plus a bounded amount of scratch (chunks), not columns for the whole batch (75 MB)."""
    import tracemalloc
    rng = np.random.default_rng(8)
    x = minigrad.tensor(rng.standard_normal((256, 32, 16, 16)).astype(np.float32), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((64, 32, 3, 3)).astype(np.float32), requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()     # compile first
    x.grad = w.grad = None
    tracemalloc.start()
    F.conv2d(x, w, padding=1).sum().backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    activations = (256 * 64 * 16 * 16 * 4) * 2 + 256 * 32 * 16 * 16 * 4   # y, its gradient, x.grad
    assert peak - activations < 48 << 20, f"{(peak - activations) / 2 ** 20:.1f} MB beyond the activations"


# -- whole-plane average pools: a mean per plane, and a broadcast back --------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("call", [
    lambda F, x: F.adaptive_avg_pool2d(x, 1),
    lambda F, x: F.adaptive_avg_pool2d(x, (1, 1)),
    lambda F, x: F.adaptive_avg_pool1d(x.flatten(2), 1),
    lambda F, x: F.avg_pool2d(x, (5, 6)),                                      # the window is the plane
    lambda F, x: F.avg_pool2d(x, (7, 8), padding=1, count_include_pad=True),    # padding in the divisor
    lambda F, x: F.avg_pool2d(x, (7, 8), padding=1, count_include_pad=False),
    lambda F, x: F.avg_pool2d(x, (5, 6), divisor_override=4),
], ids=["adaptive_1", "adaptive_1x1", "adaptive_1d", "avg_plane", "avg_pad_incl", "avg_pad_excl", "avg_override"])
def test_whole_plane_average_pools_match_torch(call, dtype):
    """Pools whose one window covers the plane take the mean-per-plane path: the values, the
    gradient and the gradient's gradient are torch's."""
    rng = np.random.default_rng(9)
    x, tx = _pair(rng.standard_normal((3, 4, 5, 6)).astype(dtype), requires_grad=True)
    y, ty = call(F, x), call(TF, tx)
    assert tuple(y.shape) == tuple(ty.shape) and y.dtype == minigrad.tensor(np.zeros(1, dtype)).dtype
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    mg, tg = _pair(g, requires_grad=True)
    gx, = minigrad.autograd.grad(y, x, mg, create_graph=True)
    tgx, = torch.autograd.grad(ty, tx, tg, create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-6, atol=1e-6)
    h = rng.standard_normal(tuple(tx.shape)).astype(dtype)   # the gradient's own gradient (in g): the pool of h
    (gx * minigrad.tensor(h)).sum().backward()
    (tgx * torch.tensor(h)).sum().backward()
    np.testing.assert_allclose(mg.grad.numpy(), tg.grad.numpy(), rtol=1e-6, atol=1e-6)


# -- the conv kernels' fast paths, each against torch ---------------------------------------------
@pytest.mark.parametrize("fn,xshape,wshape,kwargs,path", [
    ("conv2d", (3, 40, 5, 6), (24, 40, 1, 1), {}, "_pointwise_forward"),                       # 1x1: GEMMs on x
    ("conv2d", (3, 40, 5, 6), (24, 20, 1, 1), dict(groups=2), "_pointwise_forward"),
    ("conv2d", (2, 40, 5, 6), (24, 40, 1, 1), dict(dilation=2), "_pointwise_forward"),
    ("conv_transpose2d", (3, 24, 5, 6), (24, 40, 1, 1), {}, "_pointwise_input_grad"),
    ("conv2d", (3, 16, 4, 5), (16, 16, 3, 3), dict(padding=1), "_wino_forward"),              # several samples per chunk
    ("conv2d", (3, 8, 7, 7), (16, 8, 3, 3), dict(stride=2, padding=1), "_chunk_wide"),         # one weight-gradient GEMM
    ("conv_transpose2d", (3, 16, 4, 4), (16, 8, 4, 4), dict(stride=2, padding=1), "_chunk_wide"),
    ("conv2d", (2, 8, 20, 20), (6, 8, 3, 3), dict(padding=2, dilation=2), "_chunk_wide"),  # 400 px: wide gradient only
    ("conv2d", (3, 6, 9, 8), (6, 1, 3, 3), dict(padding=1, groups=6), "_conv_flat_weight_grad"),   # depthwise
])
def test_conv_fast_paths_match_torch(fn, xshape, wshape, kwargs, path, monkeypatch):
    """Each of cpu.py's paths named here is taken, and gives torch's output, gradients (input,
    weight, bias) and gradients of the input gradient, in float32 and float64."""
    from minigrad.kernels import cpu
    taken = []   # what each call of the path's function returned (_chunk_wide: whether it is taken)

    def spy(*args, _real=getattr(cpu, path)):
        taken.append(_real(*args))
        return taken[-1]
    monkeypatch.setattr(cpu, path, spy)
    rng = np.random.default_rng(11)
    for dtype, tol in ((np.float32, 1e-4), (np.float64, 1e-10)):
        x, tx = _pair(rng.standard_normal(xshape).astype(dtype), requires_grad=True)
        w, tw = _pair(rng.standard_normal(wshape).astype(dtype), requires_grad=True)
        nb = wshape[1] * kwargs.get("groups", 1) if fn == "conv_transpose2d" else wshape[0]
        b, tb = _pair(rng.standard_normal(nb).astype(dtype), requires_grad=True)
        y, ty = getattr(F, fn)(x, w, b, **kwargs), getattr(TF, fn)(tx, tw, tb, **kwargs)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
        grads = minigrad.autograd.grad(y, (x, w, b), minigrad.tensor(g), create_graph=True)
        tgrads = torch.autograd.grad(ty, (tx, tw, tb), torch.tensor(g), create_graph=True)
        for a, e in zip(grads, tgrads):
            assert a.dtype == minigrad.tensor(np.zeros(1, dtype)).dtype and tuple(a.shape) == tuple(e.shape)
            np.testing.assert_allclose(a.detach().numpy(), e.detach().numpy(), rtol=tol, atol=tol)
        h = rng.standard_normal(xshape).astype(dtype)   # through the input gradient: second derivatives in w
        (grads[0] * minigrad.tensor(h)).sum().backward()
        (tgrads[0] * torch.tensor(h)).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=tol, atol=tol)
    assert any(result is not False for result in taken)


def test_conv_transpose_backward_makes_the_columns_of_g_once(monkeypatch):
    """conv_transpose2d's two gradients (input: a conv of g; weight: a weight gradient over g) share
    one im2col of g, and give torch's gradients."""
    from minigrad.kernels import cpu
    im2cols = []
    real = cpu._im2col
    monkeypatch.setattr(cpu, "_im2col", lambda *a: im2cols.append(a[0].shape) or real(*a))
    rng = np.random.default_rng(12)
    x, tx = _pair(rng.standard_normal((4, 16, 5, 5)).astype(np.float32), requires_grad=True)
    w, tw = _pair(rng.standard_normal((16, 8, 4, 4)).astype(np.float32), requires_grad=True)
    y, ty = F.conv_transpose2d(x, w, stride=2, padding=1), TF.conv_transpose2d(tx, tw, stride=2, padding=1)
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    y.backward(minigrad.tensor(g))
    ty.backward(torch.tensor(g))
    assert im2cols == [(4 * 8, 10 * 10)]   # g's planes, once
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-4)
