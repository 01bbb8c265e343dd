"""Large kernel outputs and scratch buffers, reused once nothing refers to them any more.

Why: a training step allocates the same large arrays every step (conv and pool outputs, their
gradients, the Winograd buffers). glibc maps arrays above its mmap threshold (which grows up to
32 MB) fresh each time, and gives the top of its heap back to the system once enough of it is free;
the next step's arrays then fault their pages in again, 4 KB at a time. Measured on the seed CNN
(batch 64, 2 threads, minigrad alone in its process): a training step took 34 ms with plain
``np.empty`` and 28 ms with this cache, the same as with glibc told never to trim or map
(``MALLOC_TRIM_THRESHOLD_``/``MALLOC_MMAP_THRESHOLD_``, which would change the whole process).

How: each block is a 1-D uint8 array, kept in a list per size in bytes. ``empty`` hands out a view
of a free block; every array made from that view (reshapes, slices, transposes) holds a reference
to the block, so a block is free exactly when the cache's list is the only thing that refers to it.
Blocks beyond ``MAX_BYTES`` in all are not cached (free ones are dropped first), and
``empty_cache()`` drops every free block, as ``torch.cuda.empty_cache`` does for torch's cache.
Memory from here is uninitialised, as ``np.empty``'s.
"""
from __future__ import annotations

import sys
import threading

import numpy as np

MIN_BYTES = 1 << 16     # smaller arrays come from malloc's own free lists, quickly
MAX_BYTES = 256 << 20   # at most this many bytes of blocks, in use or free (the seed CNN at
                        # batch 256 keeps 93 MB)

_blocks: dict[int, list[np.ndarray]] = {}   # size in bytes -> blocks of that size
_cached = 0                                  # bytes in _blocks
_lock = threading.Lock()                     # kernels allocate from several threads


def _refs(blocks, i):
    """The reference count of blocks[i], as read here."""
    return sys.getrefcount(blocks[i])


def _view_refs(a):
    """The reference count of a's block (a.base), as read here."""
    base = a.base
    return sys.getrefcount(base)


def _calibrate():
    """What the two readers above return for a block that only its list refers to, and for one
    that its list and one view refer to. Measured, not hard-coded: the interpreter's own
    temporary references differ between Python versions."""
    blocks = [np.empty(8, np.uint8)]
    return _refs(blocks, 0), _view_refs(blocks[0].view(np.float32))


_FREE, _ONE_VIEW = _calibrate()


def _free(blocks):
    """The index of a free block in ``blocks``, or -1."""
    for i in range(len(blocks)):
        if _refs(blocks, i) == _FREE:
            return i
    return -1


def _drop_free(nbytes):
    """Drop free blocks (largest first) until ``nbytes`` more fit under MAX_BYTES."""
    global _cached
    for size in sorted(_blocks, reverse=True):
        blocks = _blocks[size]
        while _cached + nbytes > MAX_BYTES and (i := _free(blocks)) >= 0:
            del blocks[i]
            _cached -= size
        if not blocks:
            del _blocks[size]


def empty(shape, dtype) -> np.ndarray:
    """``np.empty(shape, dtype)``, C-contiguous, from a cached block when it is large."""
    global _cached
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        blocks = _blocks.get(nbytes)
        i = _free(blocks) if blocks else -1
        if i < 0:   # a new block (i = -1 is then the one appended)
            if _cached + nbytes > MAX_BYTES:
                _drop_free(nbytes)
            if _cached + nbytes > MAX_BYTES:
                return np.empty(shape, dtype)
            blocks = _blocks.setdefault(nbytes, [])
            blocks.append(np.empty(nbytes, np.uint8))
            _cached += nbytes
        return blocks[i].view(dtype).reshape(shape)


def sole_view(a) -> bool:
    """Is ``a`` a view of a cached block that nothing else refers to (the cache aside)? Then it
    can be handed over as if it owned its memory: autograd's AccumulateGrad takes such a gradient
    as the leaf's ``.grad`` instead of copying it."""
    if _view_refs(a) != _ONE_VIEW:   # first, while nothing here holds the block
        return False
    base = a.base
    blocks = _blocks.get(base.nbytes) if type(base) is np.ndarray else None
    return blocks is not None and any(b is base for b in blocks)


def empty_cache() -> None:
    """Give every free block back to the allocator."""
    with _lock:
        _drop_free(MAX_BYTES + 1)


def cached_bytes() -> tuple[int, int]:
    """(bytes cached, bytes of them in use)."""
    with _lock:
        used = sum(size for size, blocks in _blocks.items() for i in range(len(blocks)) if _refs(blocks, i) != _FREE)
        return _cached, used


# -- handing an array over ------------------------------------------------------------------------
def take_over(holder, held: int = 1):
    """``holder._data`` itself, if nothing else refers to it, else a copy: an array the caller may
    keep and modify in place. autograd's AccumulateGrad makes a leaf's first ``.grad`` this way,
    as torch's steals a gradient whose use count says it is unshared.

    "Nothing else": the array is referred to by ``holder`` alone (a kernel output: its cached
    block by the array alone, ``sole_view``), and ``holder`` by the caller's ``held`` variables
    alone (one per function of its call chain), so no other tensor, saved tensor, hook, view or
    user variable sees the array change. Read-only arrays (broadcast views) are copied, and GPU
    arrays always are."""
    data = holder._data
    if type(data) is np.ndarray:
        if data.flags.writeable and (data.base is None or sole_view(data)):
            array_refs, holder_refs = _counts(holder)
            unshared = _UNSHARED.get(held) or _unshared(held)
            if array_refs <= unshared[0] and holder_refs <= unshared[1]:
                return data
        return np.array(data, copy=True)
    return data.copy()   # a GPU (CuPy) array


def _counts(holder):
    """The reference counts of holder._data and of holder, as read from take_over."""
    data = holder._data
    return sys.getrefcount(data), sys.getrefcount(holder)


class _Holder:
    __slots__ = ("_data",)

    def __init__(self, data):
        self._data = data


def _take_over_frame(holder):
    """take_over's frame as _counts sees it (a parameter and one local)."""
    data = holder._data
    counts = _counts(holder)
    del data
    return counts


_UNSHARED: dict[int, tuple[int, int]] = {}


def _unshared(held):
    """What _counts reads from take_over for an array held by its holder alone, and a holder held
    by ``held`` variables of the caller's chain. Measured, not hard-coded: the interpreter's own
    temporary references differ between Python versions."""
    def caller(holder, k):   # each level: one more function whose variable refers to holder
        return caller(holder, k - 1) if k > 1 else _take_over_frame(holder)
    _UNSHARED[held] = counts = caller(_Holder(np.empty(8, np.uint8)), held)
    return counts
