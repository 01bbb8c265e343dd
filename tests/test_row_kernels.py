"""The row kernels (minigrad/kernels/rows.py) against torch, side by side.

The op table's samples are small, below ``ROW_KERNELS_MIN`` values, so they exercise the NumPy
paths; these inputs are large enough to take the kernels: sums and means over trailing dims,
softmax / log_softmax and their backwards, the class-index cross-entropy, relu.
"""
import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad.ops.reduce import ROW_KERNELS_MIN, row_kernels

TOL = {np.float32: dict(rtol=1.3e-6, atol=1e-5), np.float64: dict(rtol=1e-7, atol=1e-7)}
# float32 sums of thousands of values: both sides round, in different orders (docs/parity.md)
SUM_TOL = {np.float32: dict(rtol=1e-5, atol=1e-4), np.float64: dict(rtol=1e-7, atol=1e-7)}

SHAPES = [(64, 300), (5, 3, 2000), (3, 7001), (1, 2 ** 15 + 3), (20000, 1)]


def _close(mine, theirs, tol):
    assert mine.shape == tuple(theirs.shape)
    assert str(mine.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    torch.testing.assert_close(torch.from_numpy(np.asarray(mine.detach().numpy())), theirs.detach(), **tol)


def _data(shape, dtype, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)


def test_the_inputs_take_the_kernels():
    for shape in SHAPES:
        x = _data(shape, np.float32)
        assert x.size >= ROW_KERNELS_MIN and row_kernels(x) is not None
    assert row_kernels(np.zeros(ROW_KERNELS_MIN - 1, np.float32)) is None
    assert row_kernels(np.zeros((200, 200), np.float32).T) is None      # not C-contiguous
    assert row_kernels(np.zeros(ROW_KERNELS_MIN, np.float16)) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_sum_and_mean_over_trailing_dims(shape, dtype):
    x = _data(shape, dtype)
    dim_choices = [None, -1, (-1,) if len(shape) == 2 else (1, 2), 0]
    for dim in dim_choices:
        for keepdim in (False, True):
            for name in ("sum", "mean"):
                if dim is None and keepdim:
                    continue
                args = () if dim is None else (dim, keepdim)
                a = mg.tensor(x, requires_grad=True)
                b = torch.tensor(x, requires_grad=True)
                za, zb = getattr(a, name)(*args), getattr(b, name)(*args)
                _close(za, zb, SUM_TOL[dtype])
                za.sum().backward()
                zb.sum().backward()
                _close(a.grad, b.grad, TOL[dtype])


@pytest.mark.parametrize("n", [1, 31, 2047, 2048, 2049, 4096 * 3 + 5])
def test_sum_at_block_boundaries_is_accurate(n):
    """Rows of every length around the kernel's vectorised block (2048 values) and its cascade."""
    rows = ROW_KERNELS_MIN // n + 2
    x = np.random.default_rng(n).uniform(0.5, 1.5, (rows, n))
    exact = x.sum(axis=1)   # float64 reference
    got = mg.tensor(x.astype(np.float32)).sum(1).numpy().astype(np.float64)
    theirs = torch.tensor(x.astype(np.float32)).sum(1).double().numpy()
    # both sides within a few float32 roundings of the float64 sum
    assert np.abs(got - exact).max() <= 8 * np.finfo(np.float32).eps * np.abs(exact).max()
    assert np.abs(theirs - exact).max() <= 8 * np.finfo(np.float32).eps * np.abs(exact).max()
    assert mg.tensor(x).sum(1).numpy() == pytest.approx(exact, rel=1e-13)


def test_long_float32_sum_stays_accurate():
    """A cascade: the error of a 4M-value float32 sum stays at a few roundings, like torch's."""
    x = np.random.default_rng(1).uniform(0, 1, 4_000_000).astype(np.float32)
    exact = x.astype(np.float64).sum()
    got = float(mg.tensor(x).sum())
    theirs = float(torch.tensor(x).sum())
    assert abs(got - exact) / exact < 1e-6
    assert abs(theirs - exact) / exact < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_forward_and_backward(name, shape, dtype):
    x = _data(shape, dtype)
    g = _data(shape, dtype, seed=1)
    a, b = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    za = getattr(mg.nn.functional, name)(a, -1)
    zb = getattr(torch.nn.functional, name)(b, -1)
    _close(za, zb, TOL[dtype])
    za.backward(mg.tensor(g))
    zb.backward(torch.tensor(g))
    _close(a.grad, b.grad, TOL[dtype])
    assert za.grad_fn.name() == zb.grad_fn.name()


def _ulps(mine, exact):
    """|mine - exact| in units of the float32 spacing at exact (subnormal-aware)."""
    spacing = np.spacing(np.abs(exact.astype(np.float32))).astype(np.float64)
    return np.abs(mine.astype(np.float64) - exact) / spacing


def test_float32_exp_is_within_one_ulp_and_matches_torch_at_the_edges():
    from minigrad.kernels.rows import exp32_array
    # every 97th float32 from -0.0 down to -104 (softmax's range), and from 0 up to 88.72
    neg = np.arange(0x80000000, 0xC2D00001, 97, dtype=np.uint64).astype(np.uint32).view(np.float32)
    pos = np.arange(0, 0x42B17218, 97, dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = np.concatenate([neg, pos])
    mine = np.empty_like(x)
    exp32_array(x, mine)
    exact = np.exp(x.astype(np.float64))
    assert _ulps(mine, exact).max() <= 1.0
    theirs = torch.from_numpy(x).exp().numpy()
    assert _ulps(mine, theirs.astype(np.float64)).max() <= 1.0
    edges = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 88.72283935546875, 88.722846, 89.0, 1e30,
                      -87.3, -87.34, -100.0, -103.9, -103.97, -103.98, -104.0, -105.0, -1e30], np.float32)
    mine = np.empty_like(edges)
    exp32_array(edges, mine)
    np.testing.assert_array_equal(mine, torch.from_numpy(edges).exp().numpy())   # inf, 0, NaN too


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_rows_with_nan_and_infinities(name, dtype):
    """A row holding NaN or +inf, or only -inf, is NaN; a row with some -inf is finite, as torch;
    values far below the row's max give 0 (subnormal exps on the way), as torch."""
    rows = np.array([[1.0, np.nan, 2.0, 0.0], [-np.inf] * 4, [np.inf, 1.0, 2.0, 0.0],
                     [-np.inf, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], [0.0, -90.0, -100.0, -103.9],
                     [-1e30, 0.0, -1e30, -745.0], [-3e38, -3e38, -3e38, -3e38]], dtype)
    x = np.tile(rows, (ROW_KERNELS_MIN // 32 + 1, 1))
    za = getattr(mg.nn.functional, name)(mg.tensor(x), -1)
    zb = getattr(torch.nn.functional, name)(torch.tensor(x), -1)
    torch.testing.assert_close(torch.from_numpy(za.numpy()), zb, equal_nan=True, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_with_very_negative_and_infinite_scores(dtype):
    x = _data((200, 100), dtype)
    x[::3, 5] = -np.inf
    x[1::3, :50] = -1e30
    x[2::3, 7] = 95.0   # exp(x - max) underflows for most of the row
    target = np.arange(200) % 100
    target[::3] = 6
    a, b = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    la = mg.nn.functional.cross_entropy(a, mg.tensor(target))
    lb = torch.nn.functional.cross_entropy(b, torch.tensor(target))
    _close(la, lb, TOL[dtype])
    la.backward()
    lb.backward()
    _close(a.grad, b.grad, TOL[dtype])


def test_softmax_grad_of_grad_on_large_rows():
    x = _data((40, 500), np.float64)
    a, b = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = _data((40, 500), np.float64, seed=2)
    ga, = mg.autograd.grad((mg.nn.functional.softmax(a, -1) * mg.tensor(w)).sum(), a, create_graph=True)
    gb, = torch.autograd.grad((torch.softmax(b, -1) * torch.tensor(w)).sum(), b, create_graph=True)
    _close(ga, gb, TOL[np.float64])
    (ga * ga).sum().backward()
    (gb * gb).sum().backward()
    _close(a.grad, b.grad, dict(rtol=1e-6, atol=1e-6))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(64, 300), (3, 7001), (4, 10, 500)])
def test_cross_entropy_class_indices(shape, reduction, dtype):
    x = _data(shape, dtype)
    target = np.random.default_rng(3).integers(0, shape[1], (shape[0],) + shape[2:])
    a, b = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    la = mg.nn.functional.cross_entropy(a, mg.tensor(target), reduction=reduction)
    lb = torch.nn.functional.cross_entropy(b, torch.tensor(target), reduction=reduction)
    _close(la, lb, TOL[dtype])
    la.sum().backward()
    lb.sum().backward()
    _close(a.grad, b.grad, TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_keeps_nan_and_negative_zero(dtype):
    x = _data((ROW_KERNELS_MIN + 5,), dtype)
    x[:4] = [np.nan, -0.0, 0.0, -np.inf]
    a, b = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    za, zb = mg.relu(a), torch.relu(b)
    np.testing.assert_array_equal(za.detach().numpy(), zb.detach().numpy())
    np.testing.assert_array_equal(np.signbit(za.detach().numpy()), torch.signbit(zb).numpy())
    g = _data(x.shape, dtype, seed=4)
    za.backward(mg.tensor(g))
    zb.backward(torch.tensor(g))
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, dim", [((300, 200), None), ((300, 200), 0), ((300, 200), 1),
                                        ((30, 10, 200), (1, 2)), ((30, 10, 200), (0, 1)), ((5000, 4), 0),
                                        ((1, 20000), 1), ((30, 10, 200), 1)])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_over_leading_or_trailing_dims(name, shape, dim, dtype):
    """Trailing dims go per row, leading dims per column (float64 sums either way); others stay NumPy."""
    x = (np.random.default_rng(5).standard_normal(shape) * 2 + 5).astype(dtype)
    for keepdim in (False, True):
        for correction in (0, 1):
            kwargs = dict(correction=correction) if dim is None else dict(dim=dim, keepdim=keepdim,
                                                                          correction=correction)
            a, b = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            za, zb = getattr(a, name)(**kwargs), getattr(b, name)(**kwargs)
            _close(za, zb, TOL[dtype])
            za.sum().backward()
            zb.sum().backward()
            _close(a.grad, b.grad, TOL[dtype])


def test_var_of_huge_and_tiny_float32_values_stays_finite():
    """As torch: the deviations are squared in float64, so the float32 std of values near 1e20 is finite."""
    x = (np.random.default_rng(6).uniform(1, 2, (20, 1000)) * 1e20).astype(np.float32)
    for t in (x, x * np.float32(1e-43)):
        _close(mg.tensor(t).std(1), torch.tensor(t).std(1), TOL[np.float32])
        _close(mg.tensor(t).std(0), torch.tensor(t).std(0), TOL[np.float32])


def test_threads_do_not_change_the_result():
    """Rows are split across threads whole, so every thread count gives the same bits."""
    numba = pytest.importorskip("numba")
    x = _data((400, 300), np.float32)
    before = numba.get_num_threads()
    results = []
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            t = mg.tensor(x)
            (a, w, b), _ = _layer_norm_pair(x, (300,), "wb")
            mg.nn.functional.layer_norm(a, (300,), w, b).backward(mg.tensor(x))
            results.append((t.sum(1).numpy(), t.std(1).numpy(), mg.nn.functional.softmax(t, -1).numpy(),
                            a.grad.numpy(), w.grad.numpy(), b.grad.numpy()))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    _close(mg.tensor(x).sum(1), torch.tensor(x).sum(1), SUM_TOL[np.float32])


# -- layer_norm ------------------------------------------------------------------------------------
LN_CASES = [((64, 300), (300,)), ((5, 3, 2000), (3, 2000)), ((3, 7001), (7001,)), ((20000, 1), (1,)),
            ((300, 130), (130,))]   # 300 rows: several chunks of the column sums, the last one short


def _layer_norm_pair(x, shape, affine, seed=5):
    """(minigrad, torch) leaves: x, then weight and bias as ``affine`` asks ("wb", "w", "b", "")."""
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal(shape) + 1).astype(x.dtype) if "w" in affine else None
    b = rng.standard_normal(shape).astype(x.dtype) if "b" in affine else None
    return [[None if v is None else lib.tensor(v, requires_grad=True) for v in (x, w, b)] for lib in (mg, torch)]


@pytest.mark.parametrize("affine", ["wb", "w", "b", ""])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, normalized", LN_CASES)
def test_layer_norm_forward_and_backward(shape, normalized, dtype, affine):
    x = _data(shape, dtype) + dtype(2)
    g = _data(shape, dtype, seed=1)
    (a, wa, ba), (b, wb, bb) = _layer_norm_pair(x, normalized, affine)
    za = mg.nn.functional.layer_norm(a, normalized, wa, ba)
    zb = torch.nn.functional.layer_norm(b, normalized, wb, bb)
    assert za.grad_fn.name() == zb.grad_fn.name() == "NativeLayerNormBackward0"   # the fused op ran
    _close(za, zb, TOL[dtype])
    za.backward(mg.tensor(g))
    zb.backward(torch.tensor(g))
    if normalized == (1,):   # the exact gradient is 0; torch's rounding, times rstd = 1/sqrt(eps), is not
        assert not a.grad.numpy().any()
        _close(a.grad, b.grad, dict(rtol=0, atol=1e-4 if dtype == np.float32 else 1e-12))
    else:
        _close(a.grad, b.grad, TOL[dtype])
    for mine, theirs in ((wa, wb), (ba, bb)):
        if mine is not None and not (mine is wa and normalized == (1,)):   # sums over up to 20000 rows: both round
            _close(mine.grad, theirs.grad, SUM_TOL[dtype])
    if wa is not None and normalized == (1,):   # g * z, z exactly 0 (torch's: rounding noise)
        assert not wa.grad.numpy().any()


def test_layer_norm_of_offset_and_constant_rows():
    """Rows far from 0 (mean 1e4, spread 1: float32 holds them to 1e-3) and constant rows
    (variance 0, rstd 1/sqrt(eps)): within torch's error of the float64 result, or better."""
    rng = np.random.default_rng(3)
    x = (1e4 + rng.standard_normal((100, 400))).astype(np.float32)
    x[::7] = 3.25
    g = rng.standard_normal((100, 400)).astype(np.float32)
    (a, wa, ba), (b, wb, bb) = _layer_norm_pair(x, (400,), "wb")
    za, zb = mg.nn.functional.layer_norm(a, (400,), wa, ba), torch.nn.functional.layer_norm(b, (400,), wb, bb)
    za.backward(mg.tensor(g))
    zb.backward(torch.tensor(g))
    x64, w64, b64, g64 = (v.astype(np.float64) for v in (x, wb.detach().numpy(), bb.detach().numpy(), g))
    xc = x64 - x64.mean(1, keepdims=True)
    rstd = 1 / np.sqrt((xc * xc).mean(1, keepdims=True) + 1e-5)
    z = xc * rstd
    u = g64 * w64
    exact = {"out": z * w64 + b64, "x": rstd * (u - u.mean(1, keepdims=True) - z * (u * z).mean(1, keepdims=True)),
             "weight": (g64 * z).sum(0), "bias": g64.sum(0)}
    for name, mine, theirs in (("out", za, zb), ("x", a.grad, b.grad), ("weight", wa.grad, wb.grad),
                               ("bias", ba.grad, bb.grad)):
        mine_err = np.abs(mine.detach().numpy() - exact[name]).max()
        torch_err = np.abs(theirs.detach().numpy() - exact[name]).max()
        assert mine_err <= max(torch_err, 1e-6 * np.abs(exact[name]).max()), name
    for out in (za, zb):   # constant rows: z = 0 exactly, so the output is the bias
        np.testing.assert_array_equal(out.detach().numpy()[::7], np.broadcast_to(bb.detach().numpy(), (15, 400)))


@pytest.mark.parametrize("eps", [0.0, 1e-5])
def test_layer_norm_rows_with_nan_infinities_and_huge_values(eps):
    """NaN or inf in a row makes it NaN; a value whose square overflows float32 makes the variance
    inf (rstd 0, the row 0 plus bias); a constant row with eps=0 is 0 * inf = NaN: all as torch."""
    x = _data((64, 300), np.float32)
    x[0] = 2.0
    x[1, 3] = np.nan
    x[2, 5] = np.inf
    x[3] = -np.inf
    x[4, 7] = 1e30
    g = _data((64, 300), np.float32, seed=1)
    (a, wa, ba), (b, wb, bb) = _layer_norm_pair(x, (300,), "wb")
    za = mg.nn.functional.layer_norm(a, (300,), wa, ba, eps)
    zb = torch.nn.functional.layer_norm(b, (300,), wb, bb, eps)
    _close(za, zb, dict(TOL[np.float32], equal_nan=True))
    za.backward(mg.tensor(g))
    zb.backward(torch.tensor(g))
    _close(a.grad, b.grad, dict(TOL[np.float32], equal_nan=True))


def test_layer_norm_gradients_match_finite_differences():
    """A gradcheck along random directions (all 40K inputs at once: one central difference per
    direction), in float64, on an input large enough for the fused kernels."""
    x = _data((80, 500), np.float64)
    (a, wa, ba), _ = _layer_norm_pair(x, (500,), "wb")
    c = mg.tensor(_data((80, 500), np.float64, seed=7))

    def loss(xv, wv, bv):
        with mg.no_grad():
            return float((mg.nn.functional.layer_norm(mg.tensor(xv), (500,), mg.tensor(wv), mg.tensor(bv)) * c).sum())
    (mg.nn.functional.layer_norm(a, (500,), wa, ba) * c).sum().backward()
    values = [a.detach().numpy(), wa.detach().numpy(), ba.detach().numpy()]
    rng = np.random.default_rng(11)
    for _ in range(3):
        dirs = [rng.standard_normal(v.shape) for v in values]
        eps = 1e-6
        up = loss(*[v + eps * d for v, d in zip(values, dirs)])
        down = loss(*[v - eps * d for v, d in zip(values, dirs)])
        numeric = (up - down) / (2 * eps)
        analytic = sum(float((t.grad.numpy() * d).sum()) for t, d in zip((a, wa, ba), dirs))
        assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-5)


def test_layer_norm_grad_of_grad_on_large_rows():
    """create_graph: the backward runs as minigrad ops (differentiable), matching torch's."""
    x = _data((40, 500), np.float64)
    (a, wa, ba), (b, wb, bb) = _layer_norm_pair(x, (500,), "wb")
    c = _data((40, 500), np.float64, seed=2)
    ga = mg.autograd.grad((mg.nn.functional.layer_norm(a, (500,), wa, ba) * mg.tensor(c)).sum(), (a, wa, ba),
                          create_graph=True)
    gb = torch.autograd.grad((torch.nn.functional.layer_norm(b, (500,), wb, bb) * torch.tensor(c)).sum(),
                             (b, wb, bb), create_graph=True)
    for mine, theirs in zip(ga, gb):
        _close(mine, theirs, TOL[np.float64])
    sum((t * t).sum() for t in ga).backward()
    sum((t * t).sum() for t in gb).backward()
    assert ba.grad is None and bb.grad is None   # bias's gradient, sum(c), depends on nothing
    for mine, theirs in ((a, b), (wa, wb)):
        _close(mine.grad, theirs.grad, dict(rtol=1e-6, atol=1e-6))


def test_layer_norm_saves_its_input_not_its_output():
    """An in-place change of the output leaves the gradient alone; one of the input is an error, as in torch."""
    x = _data((64, 300), np.float32)
    (a, _, _), (b, _, _) = _layer_norm_pair(x, (300,), "")
    za, zb = mg.nn.functional.layer_norm(a * 1, (300,)), torch.nn.functional.layer_norm(b * 1, (300,))
    za.mul_(2)
    zb.mul_(2)
    za.sum().backward()
    zb.sum().backward()
    _close(a.grad, b.grad, TOL[np.float32])
    h = mg.tensor(x, requires_grad=True) * 1
    out = mg.nn.functional.layer_norm(h, (300,))
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_layer_norm_forward_mode_on_large_rows():
    """Forward AD differentiates the fused op's backward (its create_graph path), as for any op."""
    x, t = _data((40, 500), np.float64), _data((40, 500), np.float64, seed=1)
    w = _data((500,), np.float64, seed=2)
    tangents = []
    for lib, fwad in ((mg, mg.autograd.forward_ad), (torch, torch.autograd.forward_ad)):
        with fwad.dual_level():
            y = lib.nn.functional.layer_norm(fwad.make_dual(lib.tensor(x), lib.tensor(t)), (500,), lib.tensor(w))
            tangents.append(fwad.unpack_dual(y).tangent)
    _close(*tangents, TOL[np.float64])


# -- scatter-add of rows (embedding's and indexing's gradients) ------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,k", [((1000, 200), 700), ((50, 4, 100), 300), ((100,), 20000), ((30, 1000), 17)])
def test_row_scatter_is_np_add_at_bit_for_bit(shape, k, dtype):
    """Repeated and negative indices add up in index order: the same bits as np.add.at."""
    from minigrad.ops.index import _row_scatter, add_at
    rng = np.random.default_rng(k)
    out = rng.random(shape).astype(dtype)
    idx = rng.integers(-shape[0], shape[0], k)
    values = rng.standard_normal((k,) + shape[1:]).astype(dtype)
    assert _row_scatter(out, idx, values) is not None
    expected = out.copy()
    np.add.at(expected, idx, values)
    add_at(out, idx, values)
    assert out.tobytes() == expected.tobytes()


def test_row_scatter_out_of_range_raises_numpys_index_error():
    from minigrad.ops.index import add_at
    with pytest.raises(IndexError, match="out of bounds"):
        add_at(np.zeros((10, 2000)), np.array([10]), np.ones((1, 2000)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_and_indexing_gradients_with_repeats_are_torchs(dtype):
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((1000, 200)).astype(dtype)
    idx = rng.integers(0, 1000, (35, 20))
    idx[0, :5] = 7                                         # repeated rows
    g = rng.standard_normal((35, 20, 200)).astype(dtype)
    grads = []
    for lib in (mg, torch):
        w = lib.tensor(weight, requires_grad=True)
        i = lib.tensor(idx)
        (lib.nn.functional.embedding(i, w) * lib.tensor(g)).sum().backward()
        v = lib.tensor(weight, requires_grad=True)
        (v[i.reshape(-1)] * lib.tensor(g.reshape(700, 200))).sum().backward()
        grads.append((w.grad, v.grad))
    for mine, theirs in zip(*grads):
        _close(mine, theirs, TOL[dtype])
