"""The cache of large kernel buffers (minigrad/kernels/buffers.py): a block is handed out again only
when nothing refers to it, never to two threads at once, and the cache stays under its bound."""
import threading

import numpy as np
import pytest

from minigrad.kernels import buffers

SHAPE = (4, 8, 32, 32)   # 128 KB of float32: cached
NBYTES = 4 * 8 * 32 * 32 * 4


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(buffers, "_blocks", {})
    monkeypatch.setattr(buffers, "_cached", 0)


def test_a_block_is_reused_once_every_view_of_it_is_gone():
    a = buffers.empty(SHAPE, np.float32)
    assert a.shape == SHAPE and a.dtype == np.float32 and a.flags.c_contiguous
    view = a[1:].transpose(0, 2, 3, 1)[::2, ::3]   # a view of a view of a view
    del a
    b = buffers.empty(SHAPE, np.float32)
    assert not np.shares_memory(b, view)      # the view still holds the first block
    assert buffers.cached_bytes() == (2 * NBYTES, 2 * NBYTES)
    del view
    c = buffers.empty(NBYTES // 8, np.float64)   # same size in bytes, another dtype and shape
    assert c.shape == (NBYTES // 8,) and c.dtype == np.float64
    assert buffers.cached_bytes() == (2 * NBYTES, 2 * NBYTES)   # the first block, reused
    assert not np.shares_memory(c, b)
    del b, c
    assert buffers.cached_bytes() == (2 * NBYTES, 0)
    buffers.empty_cache()
    assert buffers.cached_bytes() == (0, 0)


def test_small_arrays_are_not_cached():
    a = buffers.empty((8, 8), np.float32)
    assert a.shape == (8, 8) and a.base is None
    assert buffers.cached_bytes() == (0, 0)


def test_the_cache_stays_under_its_bound(monkeypatch):
    monkeypatch.setattr(buffers, "MAX_BYTES", 3 * NBYTES)
    live = [buffers.empty(SHAPE, np.float32) for _ in range(5)]   # two past the bound: plain arrays
    assert buffers.cached_bytes() == (3 * NBYTES, 3 * NBYTES)
    assert all(a.shape == SHAPE for a in live)
    live.clear()
    big = buffers.empty((2 * NBYTES,), np.uint8)   # frees room by dropping free blocks
    assert buffers.cached_bytes() == (3 * NBYTES, 2 * NBYTES)
    del big


def test_threads_never_get_the_same_block():
    errors = []

    def work(k):
        for _ in range(300):
            a = buffers.empty(SHAPE, np.float32)
            a.fill(k)
            b = buffers.empty(SHAPE, np.float32)
            b.fill(-k)
            if not ((a == k).all() and (b == -k).all()):
                errors.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert buffers.cached_bytes()[1] == 0


def test_a_leaf_takes_an_unshared_kernel_output_as_its_grad():
    """AccumulateGrad takes a kernel's gradient array over (no copy) when nothing else refers to
    its block, as it does an array that owns its memory."""
    import minigrad
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal(SHAPE).astype(np.float32), requires_grad=True)
    g = rng.standard_normal((4, 8, 16, 16)).astype(np.float32)
    minigrad.nn.functional.max_pool2d(x, 2).backward(minigrad.tensor(g))
    assert buffers.sole_view(x.grad.numpy())       # the scatter's output itself
    window = x.detach().numpy().reshape(4, 8, 16, 2, 16, 2)
    winner = window == window.max(axis=(3, 5), keepdims=True)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(winner, g[:, :, :, None, :, None], 0).reshape(SHAPE))


def test_a_kernel_output_whose_block_is_shared_is_copied_into_grad():
    """A hook keeps a view of the incoming gradient: the array is then not taken over, so the
    hook's view does not change when .grad is updated in place."""
    import minigrad
    rng = np.random.default_rng(1)
    x = minigrad.tensor(rng.standard_normal(SHAPE).astype(np.float32), requires_grad=True)
    kept = []
    x.register_hook(lambda grad: kept.append(grad.numpy()[0]))   # a view of the gradient's block
    minigrad.nn.functional.max_pool2d(x, 2).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), kept[0])
    before = kept[0].copy()
    x.grad.numpy()[...] += 1
    np.testing.assert_array_equal(kept[0], before)


class _Holder:
    def __init__(self, data):
        self._data = data


def _take(make, held_elsewhere=None):
    """buffers.take_over from a chain of two functions (as autograd's engine calls it)."""
    def outer():
        holder = make()
        extra = held_elsewhere(holder) if held_elsewhere else None
        got = inner(holder)
        return holder, extra, got

    def inner(holder):
        return buffers.take_over(holder, held=2)
    return outer()


def test_take_over_hands_over_an_unshared_array_and_copies_a_shared_one():
    holder, _, got = _take(lambda: _Holder(np.arange(6.0)))
    assert got is holder._data                                   # nothing else refers to it
    holder, _, got = _take(lambda: _Holder(buffers.empty(SHAPE, np.float32)))
    assert got is holder._data and got.base is not None              # a kernel output: its block unshared

    for share in (lambda h: h._data,                 # another variable refers to the array
                  lambda h: h._data[1:],             # ... or to a view of it
                  lambda h: [h]):                    # ... or to the holder
        holder, extra, got = _take(lambda: _Holder(np.arange(6.0)), share)
        assert got is not holder._data and not np.shares_memory(got, holder._data)
        np.testing.assert_array_equal(got, holder._data)

    read_only = np.arange(6.0)
    read_only.flags.writeable = False
    holder, _, got = _take(lambda: _Holder(read_only))
    assert got is not read_only and got.flags.writeable
