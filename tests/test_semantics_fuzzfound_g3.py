"""Disagreements with torch found by the program fuzzer (minigrad.testing.fuzz) in the values of op
steps and in ``view`` after an op, each reduced to a few lines and run in torch and minigrad side by
side (``lib`` is one or the other)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad


def _both(fn):
    return fn(torch), fn(minigrad)


def _np(t):
    return t.detach().numpy()


# -- conv3d / conv_transpose3d return contiguous tensors: `.view(-1)` of their result works ---------
@pytest.mark.parametrize("name", ["conv3d", "conv_transpose3d"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("kwargs", [{}, dict(stride=(1, 1, 2), padding=(1, 0, 1), dilation=(2, 1, 2))])
def test_conv3d_result_is_contiguous(name, bias, batched, kwargs):
    if name == "conv_transpose3d" and kwargs:
        kwargs = dict(kwargs, output_padding=(0, 0, 1))

    def run(lib):
        g = np.random.default_rng(0)
        x = lib.tensor(g.standard_normal((1, 2, 3, 2, 4) if batched else (2, 3, 2, 4)), requires_grad=True)
        w = lib.tensor(g.standard_normal((2, 2, 2, 1, 2)), requires_grad=True)
        b = lib.tensor(g.standard_normal(2), requires_grad=True) if bias else None
        y = getattr(lib.nn.functional, name)(x, w, b, **kwargs)
        flat = y.view(-1)   # minigrad raised "view size is not compatible" on its permuted result
        (flat * lib.arange(flat.numel(), dtype=flat.dtype)).sum().backward()
        return y, flat, x.grad, w.grad

    (ty, tf, tgx, tgw), (my, mf, mgx, mgw) = _both(run)
    assert my.is_contiguous() and ty.is_contiguous()
    assert my.stride() == ty.stride()
    for m, t in ((mf, tf), (mgx, tgx), (mgw, tgw)):
        np.testing.assert_allclose(_np(m), _np(t), rtol=1e-9, atol=1e-9)


# -- grid_sample: a point whose taps are all outside the input reads +0, as torch's, not -0 ---------
@pytest.mark.parametrize("k,mode", [(2, "bilinear"), (2, "nearest"), (2, "bicubic"),
                                    (3, "bilinear"), (3, "nearest")])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_outside_points_read_positive_zero(k, mode, align_corners):
    points = [[5.0] * k, [1.5] * k, [1.0] * k, [0.3] * k, [-1.0] * k, [-1.5] * k]

    def run(lib):
        x = -lib.ones((1, 1) + (3,) * k, dtype=lib.float64)    # negative values: 0 * value would be -0
        grid = lib.tensor(points, dtype=lib.float64).reshape((1,) * k + (len(points), k))
        y = lib.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=align_corners)
        return 1 / y   # the sign of a zero shows as the sign of inf

    t, m = _both(run)
    np.testing.assert_array_equal(np.signbit(_np(m)), np.signbit(_np(t)))
    np.testing.assert_allclose(_np(m), _np(t), rtol=1e-12)


def test_grid_sampler_3d_fuzz_program_reduced():
    def run(lib):
        x = lib.full((2, 1, 1, 1, 1), -1.2049985815042345e-57, dtype=lib.float64)
        grid = lib.tensor([[[[[2.6, -2.1, 0.1]]]], [[[[-2.3, -0.6, -0.3]]]]], dtype=lib.float64)
        return True / lib.grid_sampler_3d(x, grid, 0, 0, True)

    t, m = _both(run)
    np.testing.assert_array_equal(_np(m), _np(t))


# -- instance_norm reads weight, bias and both running statistics before it writes any of them ------
@pytest.mark.parametrize("aliasing", ["mean=var", "weight=mean", "weight=mean=var", "bias=var", "separate"])
def test_instance_norm_running_stats_aliasing_other_arguments(aliasing):
    def run(lib):
        x = lib.tensor([[[-1.55, -0.9, 1.45]], [[-1.1, 0.33, 1.5]], [[-1.5, -1.0, 1.45]]], requires_grad=True)
        w = lib.tensor([0.5], requires_grad=True)
        b = lib.tensor([0.25], requires_grad=True)
        rm, rv = lib.tensor([0.75]), lib.tensor([1.5])
        if aliasing == "mean=var":
            rv = rm
        elif aliasing == "weight=mean":
            rm = w.detach()
        elif aliasing == "weight=mean=var":
            rm = rv = w.detach()
        elif aliasing == "bias=var":
            rv = b.detach()
        y = lib.nn.functional.instance_norm(x, rm, rv, w, b, use_input_stats=True, momentum=0.1)
        (y * lib.arange(9.0).reshape(3, 1, 3)).sum().backward()
        return y, rm, rv, x.grad, w.grad, b.grad

    t, m = _both(run)
    for i, (a, e) in enumerate(zip(m, t)):
        np.testing.assert_allclose(_np(a), _np(e), rtol=1e-5, atol=1e-6, err_msg=f"output {i}")


def test_instance_norm_fuzz_program_reduced():
    """The same tensor as running_mean, running_var and weight: the affine uses its old value."""
    def run(lib):
        x = lib.tensor([[[-1.55, -0.9, 1.46]], [[-1.12, 0.33, 1.5]], [[-1.5, -1.0, 1.45]]])
        s = lib.tensor([-8.568720204493729e-07])
        y = lib.nn.functional.instance_norm(x, s, s, s, lib.tensor([0.0]), use_input_stats=True, momentum=0.1)
        return y, s

    (ty, ts), (my, ms) = _both(run)
    np.testing.assert_allclose(_np(ms), _np(ts), rtol=1e-6)
    np.testing.assert_allclose(_np(my), _np(ty), rtol=1e-5, atol=1e-12)


# -- cross along a dim other than the last returns a contiguous tensor, as torch's ---------------------
@pytest.mark.parametrize("fn", ["cross", "linalg.cross"])
@pytest.mark.parametrize("shape,dim", [((3, 2), 0), ((2, 3, 4), 1), ((3,), 0), ((4, 3), -1)])
def test_cross_result_is_contiguous(fn, shape, dim):
    def run(lib):
        g = np.random.default_rng(1)
        a = lib.tensor(g.standard_normal(shape), requires_grad=True)
        b = lib.tensor(g.standard_normal(shape), requires_grad=True)
        f = lib.linalg.cross if fn == "linalg.cross" else lib.cross
        y = f(a, b, dim=dim)
        flat = y.view(-1)   # minigrad raised "view size is not compatible" on np.cross's moved axes
        (flat * lib.arange(flat.numel(), dtype=flat.dtype)).sum().backward()
        return y, flat, a.grad, b.grad

    (ty, *t), (my, *m) = _both(run)
    assert my.stride() == ty.stride()
    for a, e in zip(m, t):
        np.testing.assert_allclose(_np(a), _np(e), rtol=1e-12, atol=1e-12)


# -- advanced indexing after a slice (getitem, index_select, repeat_interleave) is contiguous ---------
@pytest.mark.parametrize("how", ["index_select1", "index_select3", "getitem_middle", "getitem_split",
                                 "getitem_last", "repeat_interleave"])
def test_advanced_index_result_is_contiguous(how):
    def run(lib):
        x = lib.tensor(np.random.default_rng(2).standard_normal((4, 3, 7, 4)), requires_grad=True)
        i, j = lib.tensor([0, 2, 1]), lib.tensor([[1], [2]])
        y = {"index_select1": lambda: lib.index_select(x, 1, i),
             "index_select3": lambda: lib.index_select(x, 3, i),
             "getitem_middle": lambda: x[:, :, i, :],
             "getitem_split": lambda: x[:, j, 1:, i],
             "getitem_last": lambda: x[..., i],
             "repeat_interleave": lambda: x.repeat_interleave(lib.tensor([2, 1, 1]), dim=1)}[how]()
        flat = y.view(-1)   # minigrad raised "view size is not compatible" on NumPy's layout
        (flat * lib.arange(flat.numel(), dtype=flat.dtype)).sum().backward()
        return y, flat, x.grad

    (ty, *t), (my, *m) = _both(run)
    assert my.stride() == ty.stride()
    for a, e in zip(m, t):
        np.testing.assert_allclose(_np(a), _np(e), rtol=1e-12, atol=1e-12)
