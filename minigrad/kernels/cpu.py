"""Conv and pool kernels for the CPU: Numba loops around BLAS matmuls.

Same functions, same arguments and same results (up to rounding) as ``reference.py``; read that
file first for what is computed, this one for how it is made fast.

* 3x3 stride-1 convolutions with enough channels (``_winograd``) use Winograd F(2x2, 3x3): 2.25
  times fewer multiplications, done as 16 small GEMMs per chunk of the batch between Numba
  transforms (the section "Winograd" below explains it). A backward gets its gradients from one
  call (``conv2d_grads``: input, weight and bias), which transforms the output gradient once for
  all three. The four transforms are two kernels that read their matrix from a table (into
  tiles, out of tiles), so that a first training step compiles two kernels instead of four.
* 1x1 convolutions at stride 1 without padding (``_pointwise``) are GEMMs on the input as it
  lies, W (O, C) @ x_n (C, H*W) per sample, and so are both their gradients: no column buffer.
  (With a bias and no groups, each sample is copied under a row of ones so that the bias rides
  in the GEMM: the copy of C rows is cheaper than a pass adding the bias to O rows.)
* Other convolutions go through im2col + GEMM, except grouped ones with few taps per output.
  The batch is processed in chunks whose column buffer stays near ``CHUNK_BYTES``, so memory
  stays bounded at any batch size. Columns are laid out (C*kh*kw, chunk*Ho*Wo); one GEMM per
  sample reads its (C*kh*kw, Ho*Wo) block of them (a strided view) and writes its NCHW output
  directly, except on small maps (``_chunk_wide``), where one GEMM per chunk (columns^T @ W^T,
  the orientation BLAS runs fastest there) is followed by a transpose of each sample's block.
  The bias rides in the GEMM as one more weight column times a row of ones.
* Grouped convolutions with few taps per output (depthwise) are direct loops: per-group GEMMs
  with an inner dimension of 9 would only shuffle memory. With stride 1 each input plane is
  padded into a small buffer and every tap becomes one long loop over the plane (``_conv_flat``);
  the input gradient is then the same kernel, a conv of g with the flipped kernels.
* The forward keeps its columns (up to ``KEEP_BYTES``) for the weight gradient, so each pass of
  a training step is one im2col and one GEMM over the whole batch; the row of ones stays, so the
  weight gradient's GEMM also yields the bias gradient.
* Weight gradients reduce into per-lane partial sums (an array, summed at the end), so LLVM can
  vectorise them without ``fastmath``, which would let it reorder float additions.
* Max pooling stores the winner's flat index (int32) for the backward scatter; the 2x2 kernel
  compares branch-free and handles NaN only in the windows that hold one. An average pool whose
  one window is the whole plane (adaptive_avg_pool2d to 1x1) is a mean per plane, and its
  transpose a broadcast.
* Outputs and scratch buffers of 64 KB and more come from ``buffers.empty``, which reuses blocks
  that nothing refers to any more: a training step's arrays then do not fault their pages in
  again every step (``buffers.py`` says why and by how much).

How the kernels are written, and why:

* Serial ``@njit(cache=True, nogil=True)`` functions over a slice [start, stop) of their outer
  loop; ``_parallel`` splits that loop across a few Python threads (the GIL is released).
  ``parallel=True`` would compile several times slower, and compile time is what a first
  training step waits for. The GEMM paths split the batch the same way, each thread running its
  own GEMMs, with BLAS held to one thread meanwhile (``blas.py`` says why).
* Arrays arrive already shaped for the loops (planes flattened to rows); kernels never reshape
  or slice, since Numba's view machinery roughly doubles compile time.
* A compound index such as ``k + off`` is cast to unsigned (``uintp``): Numba then emits no
  negative-index wrap-around test, which would keep LLVM from vectorising the loop.
* ``error_model="numpy"``: division follows IEEE (inf/nan) instead of raising.
* Each kernel compiles on first use, once per dtype (float32, float64), and ``cache=True`` keeps
  the machine code on disk between runs.
"""
from __future__ import annotations

import functools

import numba
import numpy as np
from numba import njit, uintp

from . import blas
from .buffers import empty as _empty

# Column-buffer budget per chunk of the batch (bytes). A chunk holds at least one sample. Larger
# chunks were faster (fewer, bigger GEMMs): on a 2-thread Xeon, conv2 of the seed CNN at batch
# 64 took 7.7/7.9/9.0 ms (forward/weight/input gradient) with 4 MB chunks, 7.4/7.4/6.0 with 32 MB.
CHUNK_BYTES = 16 << 20
# ... except in a forward that neither keeps its columns nor takes one GEMM per chunk
# (_chunk_wide): its per-sample GEMMs then read columns that im2col has just written, and they
# are read faster from the L2 cache (1 MB per core on the 2-core EPYC of the benchmark runs).
# 1 thread, float32, forward without a gradient, 16 MB -> 1 MB chunks: conv_grid's 5x5 stride 2
# 34.7 -> 31.5 ms; 3x3 stride 2, 64 -> 128 channels at 56 px (8 samples) 12.5 -> 11.2 ms; the
# seed CNN's first layer at batch 64 0.94 -> 0.79 ms. (With one sample per chunk that layer took
# 1.1 ms: its samples' GEMMs are too small alone.)
CHUNK_L2_BYTES = 1 << 20
# The forward keeps its columns for the weight gradient when they take at most this much; above
# it, the weight gradient computes them again, chunk by chunk (memory stays bounded). 64 MB keeps
# the 40 MB of conv_grid's 5x5 stride-2 case (8 x 64 -> 128 channels, 56 px), whose weight
# gradient otherwise spent about 6 of its 40 ms (1 thread) making them again.
KEEP_BYTES = 64 << 20
# The im2col weight gradient sums per-sample products g_n (O, L) @ c_n^T (L, R); the chunk's g can
# instead be reordered to (O, chunk*L) in a small buffer, and the sum is ONE product over the chunk.
# Taken as columns @ g^T ((R, O), the orientation BLAS runs faster: 64 x 4096 x 512, 3.2 against
# 4.0 ms) it was faster at every map size measured (1 thread, float32, weight + bias gradient,
# columns kept / made again): conv_extra's conv_transpose2d (64 px, 64 samples) 4.5 -> 3.4 ms;
# 5x5 stride 2 64 -> 128 channels (784 px, 8 samples) 34.9 -> 32.6 / 42.8 -> 38.5 ms; 5x5 16 -> 32
# at 56 px (3136 px) 13.3 -> 10.6 / 16.4 -> 13.7 ms; 7x7 stride 2 3 -> 64 at 224 px (12544 px)
# 15.1 -> 13.9 / 18.8 -> 18.5 ms. With few rows of columns (the seed CNN's first layer, 10) the
# chunk-wide product was several times slower, so it is taken only with at least
# SMALL_MAP_MIN_ROWS rows. The forward takes the same rule, as columns^T @ W^T (one GEMM per
# chunk, then each sample's block transposed into NCHW): 3.9 -> 3.3 ms on the conv_transpose2d
# case's input gradient, level with the per-sample GEMMs on maps of 784 to 12544 px, where its
# (chunk*L, O) buffer grows with the output channels: the forward keeps it to maps of at most
# SMALL_MAP pixels, the weight gradient to WIDE_GRAD_MAP (the largest size measured). (The input
# gradient, whose per-sample GEMMs write the columns col2im reads, gained nothing from it.)
SMALL_MAP = 256
WIDE_GRAD_MAP = 1 << 14
SMALL_MAP_MIN_ROWS = 64
# Grouped convolutions with at most this many taps per output (C/groups * kh * kw) run as direct
# loops (depthwise convs); everything else goes through im2col + GEMM.
DIRECT_MAX_TAPS = 16
# Plane elements per block of partial sums in _conv_flat_weight_grad (they stay in L1).
_BLOCK = 256

# no_cfunc_wrapper: the kernels are only ever called from Python (or inlined into each other), never
# passed around as first-class functions, so the C-callable wrapper Numba would also compile for
# each of them (about 0.07 s apiece on a cold cache) is skipped.
_jit = dict(cache=True, nogil=True, error_model="numpy", no_cfunc_wrapper=True)


def _c(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _chunk(n, bytes_per_sample, budget=None):
    """Samples per chunk: as many as fit ``budget`` bytes (CHUNK_BYTES by default), at least one."""
    budget = CHUNK_BYTES if budget is None else budget
    return int(max(1, min(n, budget // max(bytes_per_sample, 1))))


# -- threads ------------------------------------------------------------------------------------
_pool = None
_MIN_WORK = 1 << 15   # below this many inner iterations, threads cost more than they save


_thread_count = None   # Numba's own reading of its thread count, once its threading layer is up


def _num_threads():
    """``numba.get_num_threads()`` (this thread's setting). The public call takes two locks each
    time to check that the threading layer is started (0.6 us, an eighth of a 100x1000 row sum);
    once it is, the layer's own reading answers alone (the same thread-local value)."""
    global _thread_count
    if _thread_count is None:
        n = numba.get_num_threads()   # (starts the threading layer)
        from numba.np.ufunc import parallel
        _thread_count = getattr(parallel, "_get_num_threads", numba.get_num_threads)
        return n
    return _thread_count()


def _parallel(kernel, n, work, *args):
    """kernel(*args, start, stop) over [0, n), split across numba.get_num_threads() threads.

    While several threads run, BLAS runs single-threaded (blas.serial: the kernels' own GEMMs are
    already split across threads); a kernel run on the calling thread alone leaves BLAS its
    threads."""
    threads = min(_num_threads(), n) if work >= _MIN_WORK else 1
    if threads <= 1:
        kernel(*args, 0, n)
        return
    global _pool
    if _pool is None or _pool._max_workers < threads - 1:
        import concurrent.futures
        _pool = concurrent.futures.ThreadPoolExecutor(threads - 1, thread_name_prefix="minigrad")
    bounds = [n * k // threads for k in range(threads + 1)]
    with blas.serial():
        futures = [_pool.submit(kernel, *args, bounds[k], bounds[k + 1]) for k in range(1, threads)]
        try:
            kernel(*args, bounds[0], bounds[1])
        finally:
            for f in futures:
                f.result()


def _sum_in_order(parts):
    """The sum of the threads' partial results {first unit: array}, added in the order of their
    ranges: the same sum on every run, whichever thread finished first."""
    return functools.reduce(np.add, [parts[start] for start in sorted(parts)])


def _valid_range(offset, step, size, n_out):
    """The outputs o in [lo, hi) whose input o*step + offset lies in [0, size)."""
    lo = 0 if offset >= 0 else (-offset + step - 1) // step
    hi = 0 if size - 1 - offset < 0 else (size - 1 - offset) // step + 1
    hi = min(hi, n_out)
    return min(lo, hi), hi


@functools.lru_cache(maxsize=1024)
def _tap_ranges(kw, dw, pw, sw, W, Wo):
    """Per kernel column j: the valid output columns [lo, hi) (read-only arrays, cached)."""
    r = np.array([_valid_range(j * dw - pw, sw, W, Wo) for j in range(kw)], dtype=np.int64).reshape(kw, 2)
    lo, hi = r[:, 0].copy(), r[:, 1].copy()
    lo.flags.writeable = hi.flags.writeable = False
    return lo, hi


# -- im2col / col2im ----------------------------------------------------------------------------
@njit(**_jit)
def _im2col(x, n0, nb, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, lo, hi, cols, rstride, bstride,
            start, stop):
    """cols[r*rstride + b*bstride + oh*Wo + ow] = x[(n0+b)*C + c, h*W + w], rows r = (c, i, j).

    x: (N*C, H*W); cols: flat. Zero where the tap falls into the padding. (The copy loop serves
    every stride: LLVM vectorises it for stride 1 behind a runtime check.)
    """
    for r in range(start, stop):
        c = r // (kh * kw)
        i = (r // kw) % kh
        j = r % kw
        woff = j * dw - pw
        for b in range(nb):
            p = (n0 + b) * C + c
            for oh in range(Ho):
                h = oh * sh - ph + i * dh
                base = r * rstride + b * bstride + oh * Wo
                l, u = (lo[j], hi[j]) if 0 <= h < H else (0, 0)   # the valid outputs of this row
                for k in range(l):
                    cols[uintp(base + k)] = 0
                src = h * W + woff
                for k in range(l, u):
                    cols[uintp(base + k)] = x[p, uintp(src + k * sw)]
                for k in range(u, Wo):
                    cols[uintp(base + k)] = 0


@njit(**_jit)
def _col2im(cols, rstride, bstride, n0, nb, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, lo, hi, gx,
            start, stop):
    """The adjoint of _im2col: gx[(n0+b)*C + c] = sum of the column entries read from each pixel.

    Units t = (b, c) own their output plane, so threads never write the same pixel.
    """
    HW = H * W
    for t in range(start, stop):
        b = t // C
        c = t % C
        p = (n0 + b) * C + c
        for k in range(HW):
            gx[p, k] = 0
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                woff = j * dw - pw
                l, u = lo[j], hi[j]
                for oh in range(Ho):
                    h = oh * sh - ph + i * dh
                    if h < 0 or h >= H:
                        continue
                    base = r * rstride + b * bstride + oh * Wo
                    dst = h * W + woff
                    if sw == 1:
                        for k in range(l, u):
                            gx[p, uintp(dst + k)] += cols[uintp(base + k)]
                    else:
                        for k in range(l, u):
                            gx[p, uintp(dst + k * sw)] += cols[uintp(base + k)]


@njit(**_jit)
def _row_sum(a, r, n):
    """The sum of a[r, :n] in a fixed order: eight running sums (independent chains of additions,
    which overlap, where one running sum waits for each addition), then their pairwise sum, then
    the tail."""
    lanes = np.zeros(8, dtype=a.dtype)
    m = n - n % 8
    for k in range(0, m, 8):
        for j in range(8):
            lanes[j] += a[r, uintp(k + j)]
    total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    for k in range(m, n):
        total += a[r, k]
    return total


# -- direct convolution, stride 1: whole planes as flat loops -----------------------------------
# With stride 1, output pixel k = oh*Wp + ow of a plane computed at the padded input's width Wp
# reads padded pixel k + i*dh*Wp + j*dw for tap (i, j): every tap is ONE unit-stride loop over the
# plane (the Wp - Wo extra columns of each row are computed and dropped). Planes are padded one
# at a time into a small buffer; no padded copy of the batch is ever made.
@njit(**_jit)
def _pad_plane(x, p, H, W, xp, q, Wp, ph, pw):
    """xp[q] (a flat (Hp+1)*Wp plane) = plane x[p] (H*W) placed at (ph, pw); what falls outside is
    cut off (a negative ph or pw cuts off leading rows or columns).

    Only the plane's pixels are written: the caller zeroes xp once, and the padding around them
    stays zero, since every plane placed in xp[q] covers the same pixels (zeroing each plane again
    took a sixth of a depthwise 3x3 forward on 14 x 14 planes). The extra row absorbs the reads
    past the last row by the dropped columns."""
    size = xp.shape[1]
    for h in range(max(0, -ph), min(H, size // Wp - 1 - ph)):
        dst = (h + ph) * Wp + pw
        src = h * W
        for k in range(max(0, -pw), min(W, Wp - pw)):
            xp[q, uintp(dst + k)] = x[p, uintp(src + k)]


@njit(**_jit)
def _conv_flat(x, C, H, W, w, bias, y, Ho, Wo, kh, kw, ph, pw, dh, dw, groups, start, stop):
    """y (N*O, Ho*Wo) = conv of x (N*C, H*W) with w (O, Cg*kh*kw); units t = (n, group)."""
    O, T = w.shape
    Cg, Og = C // groups, O // groups
    Hp, Wp = Ho + (kh - 1) * dh, Wo + (kw - 1) * dw
    M = Ho * Wp
    xp = np.zeros((Cg, (Hp + 1) * Wp), dtype=x.dtype)   # zero padding, written once (_pad_plane)
    acc = np.empty(M, dtype=y.dtype)
    has_bias = bias.shape[0] > 0
    for t in range(start, stop):
        n = t // groups
        grp = t % groups
        for c in range(Cg):
            _pad_plane(x, n * C + grp * Cg + c, H, W, xp, c, Wp, ph, pw)
        for o in range(grp * Og, (grp + 1) * Og):
            b0 = bias[o] if has_bias else 0
            for k in range(M):
                acc[k] = b0
            if kh == 3 and kw == 3:   # the common kernel: all nine taps in one pass over the plane
                for c in range(Cg):
                    w0, w1, w2 = w[o, 9 * c], w[o, 9 * c + 1], w[o, 9 * c + 2]
                    w3, w4, w5 = w[o, 9 * c + 3], w[o, 9 * c + 4], w[o, 9 * c + 5]
                    w6, w7, w8 = w[o, 9 * c + 6], w[o, 9 * c + 7], w[o, 9 * c + 8]
                    r1, r2 = dh * Wp, 2 * dh * Wp
                    d1, d2 = uintp(dw), uintp(2 * dw)   # unsigned, as the indices below must be
                    for k in range(M):
                        a0 = uintp(k)
                        a1 = uintp(k + r1)
                        a2 = uintp(k + r2)
                        acc[k] += ((w0 * xp[c, a0] + w1 * xp[c, a0 + d1] + w2 * xp[c, a0 + d2])
                                   + (w3 * xp[c, a1] + w4 * xp[c, a1 + d1] + w5 * xp[c, a1 + d2])
                                   + (w6 * xp[c, a2] + w7 * xp[c, a2 + d1] + w8 * xp[c, a2 + d2]))
            else:
                for tap in range(T):
                    c = tap // (kh * kw)
                    off = ((tap // kw) % kh) * dh * Wp + (tap % kw) * dw
                    wv = w[o, tap]
                    for k in range(M):
                        acc[k] += wv * xp[c, uintp(k + off)]
            p = n * O + o
            for oh in range(Ho):
                for ow in range(Wo):
                    y[p, uintp(oh * Wo + ow)] = acc[uintp(oh * Wp + ow)]


@njit(**_jit)
def _conv_flat_weight_grad(x, C, H, W, g, Ho, Wo, gw, gb, kh, kw, ph, pw, dh, dw, groups, start, stop):
    """gw (O, Cg*kh*kw) from x (N*C, H*W) and g (N*O, Ho*Wo); units: output channels o. If gb has
    O entries (else none), it gets the bias gradient, the sum of each g plane, from the copy of g
    the kernel makes anyway: one more row of partial sums (a separate sum over g took a sixth of
    a depthwise 3x3 backward on 14 x 14 planes)."""
    O, T = gw.shape
    has_bias = gb.shape[0] > 0
    N = x.shape[0] // C
    Cg, Og = C // groups, O // groups
    Hp, Wp = Ho + (kh - 1) * dh, Wo + (kw - 1) * dw
    M = Ho * Wp
    xp = np.zeros((Cg, (Hp + 1) * Wp), dtype=x.dtype)   # zero padding, written once (_pad_plane)
    gp = np.zeros(M, dtype=g.dtype)   # g at the padded width, zeros in the dropped columns
    # per-lane partial sums, one lane per position in a block: every block of the plane adds into
    # the same _BLOCK lanes, which stay in L1 and are summed once per output channel (summing
    # lanes as long as the plane took a third of the kernel's time on 56 x 56 planes)
    acc = np.empty((T + 1, _BLOCK), dtype=gw.dtype)   # row T: the bias gradient's
    for o in range(start, stop):
        grp = o // Og
        for tap in range(T + 1):
            for k in range(_BLOCK):
                acc[tap, k] = 0
        for n in range(N):
            p = n * O + o
            for oh in range(Ho):
                for ow in range(Wo):
                    gp[uintp(oh * Wp + ow)] = g[p, uintp(oh * Wo + ow)]
            for c in range(Cg):
                _pad_plane(x, n * C + grp * Cg + c, H, W, xp, c, Wp, ph, pw)
            for k0 in range(0, M, _BLOCK):   # blocks of the plane: the partial sums stay in L1
                k1 = min(M, k0 + _BLOCK)
                if has_bias:
                    for k in range(k1 - k0):
                        acc[T, uintp(k)] += gp[uintp(k0 + k)]
                if kh == 3 and kw == 3 and Cg == 1:   # depthwise 3x3: the nine taps in one pass
                    r1, r2 = dh * Wp, 2 * dh * Wp
                    d1, d2 = uintp(dw), uintp(2 * dw)
                    for k in range(k1 - k0):
                        gv = gp[uintp(k0 + k)]
                        a0 = uintp(k0 + k)
                        a1 = uintp(k0 + k + r1)
                        a2 = uintp(k0 + k + r2)
                        u = uintp(k)
                        acc[0, u] += gv * xp[0, a0]
                        acc[1, u] += gv * xp[0, a0 + d1]
                        acc[2, u] += gv * xp[0, a0 + d2]
                        acc[3, u] += gv * xp[0, a1]
                        acc[4, u] += gv * xp[0, a1 + d1]
                        acc[5, u] += gv * xp[0, a1 + d2]
                        acc[6, u] += gv * xp[0, a2]
                        acc[7, u] += gv * xp[0, a2 + d1]
                        acc[8, u] += gv * xp[0, a2 + d2]
                    continue
                for tap in range(T):
                    c = tap // (kh * kw)
                    off = ((tap // kw) % kh) * dh * Wp + (tap % kw) * dw
                    for k in range(k1 - k0):
                        a = uintp(k0 + k)
                        acc[tap, uintp(k)] += gp[a] * xp[c, uintp(k0 + k + off)]
        for tap in range(T):
            gw[o, tap] = _row_sum(acc, tap, _BLOCK)
        if has_bias:
            gb[o] = _row_sum(acc, T, _BLOCK)


# -- direct convolution, any stride (row by row) ------------------------------------------------
@njit(**_jit)
def _conv_rows(x, C, H, W, w, bias, y, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, lo, hi, groups, start, stop):
    """y (N*O, Ho*Wo) = conv of x (N*C, H*W); units t = (n, o)."""
    O, T = w.shape
    Cg, Og = C // groups, O // groups
    has_bias = bias.shape[0] > 0
    for t in range(start, stop):
        n = t // O
        o = t % O
        p = n * O + o
        b0 = bias[o] if has_bias else 0
        for k in range(Ho * Wo):
            y[p, k] = b0
        for tap in range(T):
            c = tap // (kh * kw)
            i = (tap // kw) % kh
            j = tap % kw
            q = n * C + (o // Og) * Cg + c
            wv = w[o, tap]
            for oh in range(Ho):
                h = oh * sh - ph + i * dh
                if h < 0 or h >= H:
                    continue
                src = h * W + j * dw - pw
                dst = oh * Wo
                for k in range(lo[j], hi[j]):
                    y[p, uintp(dst + k)] += wv * x[q, uintp(src + k * sw)]


@njit(**_jit)
def _conv_rows_weight_grad(x, C, H, W, g, Ho, Wo, gw, kh, kw, sh, sw, ph, pw, dh, dw, lo, hi, groups,
                           start, stop):
    """gw (O, Cg*kh*kw); units: output channels o, per-lane partial sums along output rows."""
    O, T = gw.shape
    N = x.shape[0] // C
    Cg, Og = C // groups, O // groups
    acc = np.empty((T, Wo), dtype=gw.dtype)
    for o in range(start, stop):
        for tap in range(T):
            for k in range(Wo):
                acc[tap, k] = 0
        for n in range(N):
            p = n * O + o
            for tap in range(T):
                c = tap // (kh * kw)
                i = (tap // kw) % kh
                j = tap % kw
                q = n * C + (o // Og) * Cg + c
                for oh in range(Ho):
                    h = oh * sh - ph + i * dh
                    if h < 0 or h >= H:
                        continue
                    src = h * W + j * dw - pw
                    for k in range(lo[j], hi[j]):
                        acc[tap, uintp(k)] += g[p, uintp(oh * Wo + k)] * x[q, uintp(src + k * sw)]
        for tap in range(T):
            gw[o, tap] = _row_sum(acc, tap, Wo)


@njit(**_jit)
def _conv_rows_input_grad(g, Ho, Wo, w, gx, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, lo, hi, groups,
                          start, stop):
    """gx (N*C, H*W), the forward's adjoint; units t = (n, c) own their output plane."""
    O, T = w.shape
    Cg, Og = C // groups, O // groups
    KK = kh * kw
    for t in range(start, stop):
        n = t // C
        c = t % C
        grp = c // Cg
        q = n * C + c
        for k in range(H * W):
            gx[q, k] = 0
        for o in range(grp * Og, (grp + 1) * Og):
            p = n * O + o
            for tap in range((c % Cg) * KK, (c % Cg + 1) * KK):
                i = (tap // kw) % kh
                j = tap % kw
                wv = w[o, tap]
                for oh in range(Ho):
                    h = oh * sh - ph + i * dh
                    if h < 0 or h >= H:
                        continue
                    dst = h * W + j * dw - pw
                    for k in range(lo[j], hi[j]):
                        gx[q, uintp(dst + k * sw)] += wv * g[p, uintp(oh * Wo + k)]


# -- Winograd F(2x2, 3x3): 3x3 convolutions at stride 1 ----------------------------------------
# A 3x3 stride-1 convolution computes each 2x2 block of outputs from the 4x4 tile d of input
# under it (neighbouring tiles overlap by two pixels) as
#
#     Y = A^T [ (G w G^T) * (B^T d B) ] A        (* elementwise on 4x4 matrices)
#
# with the constant matrices A, B, G below (_WINO_AT, _WINO_BT, _WINO_G): 16 multiplications
# per (input, output) channel pair for 2x2 outputs instead of 36, 2.25 times fewer. Summed over the input
# channels, the 16 elementwise products become 16 matrix products, one per position xi of the
# 4x4 transform domain:
#
#     M[xi] (P, O) = V[xi] (P, C) @ U[xi]^T (C, O),     U = G w G^T,  V = B^T d B,
#
# over P tiles at once: BLAS does the multiplications, Numba the transforms (V in, Y out). The
# two gradients are the same steps run backwards (the adjoint of each linear map):
#
#     dM = A dY A^T;   input:  dV = dM U,  dx = sum over tiles of B dV B^T
#                      weight: dU = dM^T V (the GEMM sums over tiles),  dw = G^T dU G
#
# The batch goes through in chunks of a few samples, so that V and M (16 values per tile and
# channel: four times the input and output) stay in the cache between the transform that
# writes them and the GEMM that reads them; streamed through memory they cost more than the
# multiplications saved. Layout: V[xi, tile, channel], so that each GEMM reads and writes
# contiguous matrices (about 13% faster than strided ones, V[tile, xi, channel]). The output is padded up
# to whole tiles (even sizes) and the input read as zeros outside. F(2x2, 3x3)'s constants are
# 0, +-1 and 1/2, so it loses next to nothing to rounding (Lavin & Gray, "Fast Algorithms for
# Convolutional Neural Networks", 2015).
_WINO_G = np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]])
# Smallest channel counts for Winograd: below them the 16 GEMMs are too thin to pay for the
# transforms (the seed CNN's first layer, one input channel, stays on im2col + GEMM).
WINO_MIN_CHANNELS = 8
# Bytes of V and M per chunk of the batch, and multiply-adds per GEMM call; at least one sample
# per chunk. Measured on the seed CNN's second layer (2 threads, forward + both gradients, 1, 2,
# 4, 8 samples per chunk): b64 21.3 / 18.8 / 18.1 / 19.3 ms, b256 87 / 76 / 74 / 68 ms.
WINO_CHUNK_BYTES = 2 << 20
WINO_GEMM_MAX = 1 << 19
# ... but at least this many tiles (rows of each of the 16 GEMMs) per chunk: with many channels
# the two limits above allow one sample, and on small maps its few tiles make GEMMs so thin that
# reading U (16 C x O matrices) again for each chunk costs more than the products. Measured
# (1 thread, 8 samples, 256 -> 256 channels, forward / forward + both gradients): 8 px (16 tiles
# per sample) 9.5 / 15.3 ms at one sample per chunk, 5.2 / 10.7 at eight; 14 px (49 tiles)
# 15.7 / 32.6 at one, 13.7 / 25.9 at four.
WINO_MIN_ROWS = 128


def _winograd(C, O, geom, groups):
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    return (kh == 3 and kw == 3 and sh == 1 and sw == 1 and dh == 1 and dw == 1 and groups == 1
            and min(C, O) >= WINO_MIN_CHANNELS)


@functools.lru_cache(maxsize=None)
def _wino_kron(dtype):
    """kron(G, G) (16, 9): U[4a + b] = sum over taps (i, j) of G[a, i] G[b, j] w[i, j]."""
    k = np.kron(_WINO_G, _WINO_G).astype(dtype)
    k.flags.writeable = False
    return k


def _wino_weight(w):
    """U (16, O, C) = G w G^T for every (o, c)."""
    O, C = w.shape[:2]
    return (_wino_kron(w.dtype) @ w.reshape(O * C, 9).T).reshape(16, O, C)


def _wino_weight_t(dUt):
    """dw (O, C, 3, 3) = G^T dU G from dU^T (16, C, O): the adjoint of _wino_weight."""
    _, C, O = dUt.shape
    return np.ascontiguousarray((_wino_kron(dUt.dtype).T @ dUt.reshape(16, C * O)).reshape(3, 3, C, O)
                                .transpose(3, 2, 0, 1))


# A transform of a tile is L d L^T for a constant matrix L: B^T (4x4) for the input, A^T (2x4) for
# the output, and their transposes for the adjoints. L has at most three nonzeros per row (all +-1)
# and the kernels below read it as a table: for each row, its nonzero columns and their values.
# Entries past a row's nonzeros repeat its first column with the value 0.
_WINO_BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
_WINO_AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)


def _wino_table(L, width):
    """(columns, values) of L's nonzeros, ``width`` per row, read-only."""
    cols = np.zeros((L.shape[0], width), dtype=np.int64)
    vals = np.zeros((L.shape[0], width), dtype=np.float64)
    for r in range(L.shape[0]):
        nz = np.flatnonzero(L[r])
        cols[r, :] = nz[0]
        cols[r, :len(nz)], vals[r, :len(nz)] = nz, L[r, nz]
    cols.flags.writeable = vals.flags.writeable = False
    return cols, vals


_WINO_IN = _wino_table(_WINO_BT, 2)        # into tiles: V = B^T d B (two terms per row)
_WINO_OUT_T = _wino_table(_WINO_AT.T, 2)   # into tiles: dM = A dY A^T
_WINO_OUT = _wino_table(_WINO_AT, 3)       # out of tiles: Y = A^T m A (three terms per row)
_WINO_IN_T = _wino_table(_WINO_BT.T, 3)    # out of tiles: dx = B dV B^T, summed over tiles
# The position xi = 4a + b of dM = A dY A^T where A's rows a and b are both [1, 1]: dM[xi] is the
# sum of the tile's four output gradients, so summed over tiles it is the bias gradient.
_WINO_SUM = 5
assert (np.outer(_WINO_AT[:, 1], _WINO_AT[:, 1]) == 1).all()
# The tables by name, for the cached functions below (their arguments must be hashable).
_WINO_TABLES = {"in": _WINO_IN, "out_t": _WINO_OUT_T, "out": _WINO_OUT, "in_t": _WINO_IN_T}


def _read_only(*arrays):
    for a in arrays:
        a.flags.writeable = False
    return arrays


@functools.lru_cache(maxsize=64)
def _wino_terms(name, Wh, C, dtype):
    """For _wino_to_tiles, from _WINO_TABLES[name]: per output (a, b) of L d L^T, its four
    terms' offsets in a buffer laid out as _wino_to_tiles's xp (Wh column pairs of C channels per
    row and parity), relative to the first tile of a row, and their coefficients L[a, i] L[b, j]
    (in the data's dtype)."""
    cols, vals = _WINO_TABLES[name]
    a, b, k = np.arange(4)[:, None, None], np.arange(4)[None, :, None], np.arange(4)
    i, j = cols[a, k // 2], cols[b, k % 2]
    rows = (((i * 2 + j % 2) * Wh + j // 2) * C).reshape(16, 4)
    return _read_only(rows, (vals[a, k // 2] * vals[b, k % 2]).reshape(16, 4).astype(dtype))


@functools.lru_cache(maxsize=64)
def _wino_out_terms(name, p, P, O, Tw, dtype):
    """For _wino_from_tiles (L (p, 4) given by _WINO_TABLES[name]), in the data's dtype where
    they are values. First pass, per row t = a*p + j of s: the offsets in M of its three terms
    m[a, cols[j, k]] (tile 0 of a row: add q*O) and their values. Second pass, per output
    (i, j), from last j to first: the offsets in s of its three terms s[cols[i, k]*p + j], its
    offset in the sample's buffer (first tile row: add 4*ta*Wh*O), and the terms' values."""
    cols, vals = _WINO_TABLES[name]
    Wh, L = Tw + p // 2 - 1, Tw * O
    a, j = np.arange(4 * p)[:, None] // p, np.arange(4 * p)[:, None] % p
    first = (4 * a + cols[j[:, 0]]) * P * O, vals[j[:, 0]].astype(dtype)
    i, j = np.arange(p * p) // p, p - 1 - np.arange(p * p) % p
    rows = (((i * 2 + j % 2) * Wh + j // 2) * O)[:, None]
    second = np.concatenate([(cols[i] * p + j[:, None]) * L, rows], axis=1), vals[i].astype(dtype)
    return _read_only(*first, *second)


# Both transforms work on a whole row of tiles at a time: a sample's pixels are kept channels
# last with each row split into its even and odd columns, (row, column % 2, column // 2, channel),
# so that a tile's pixel (i, j) is, for the Tw tiles of a row, one contiguous run of Tw*C values
# (starting at column pair j // 2), and so is the tiles' row in V or M (rows q, channels). Each
# inner loop then runs over Tw*C values instead of C: LLVM vectorises it, with its alias checks
# and loop set-up paid once per row of tiles instead of once per tile. The seed CNN's conv2 at
# batch 64 (one thread, the four transforms of a forward + backward, interleaved A/B): 9.1 -> 7.0
# ms, with bit-identical results.
@njit(**_jit)
def _wino_to_tiles(x, n0, C, H, W, ph, pw, Th, Tw, Wh, rows, coef, xp, V, start, stop):
    """V[(xi*P + q)*C + c] = (L d L^T)[xi] for each m x m window d (at steps of 2, placed at
    (-ph, -pw), zeros outside) of x (N*C, H*W); ``rows``/``coef`` (_wino_terms) give each of the
    16 outputs xi as four terms of d. Units u: samples n0 + u, whose tile t (of Th x Tw) is tile
    q = u*Th*Tw + t. (V is the (16, P, C) buffer of the GEMMs, flattened.) The input transform
    (m = 4, L = B^T) and the output gradient's (m = 2, L = A, no padding) are both this kernel.

    The sample is first copied into xp (a zeroed buffer of rows of 2*Wh pixels, laid out as
    (row, column % 2, column // 2, channel): only the sample's pixels change); then each output
    xi of a row of tiles is one loop over Tw*C values, of four terms each."""
    PC = V.shape[0] // 16
    L = Tw * C
    for u in range(start, stop):
        for c in range(C):
            p = (n0 + u) * C + c
            for h in range(H):
                r = (h + ph) * 2 * Wh
                for k in range(W):
                    kp = k + pw
                    xp[uintp((r + (kp & 1) * Wh + (kp >> 1)) * C + c)] = x[p, uintp(h * W + k)]
        for ta in range(Th):
            k0 = 4 * ta * Wh * C
            q = (u * Th + ta) * Tw * C
            for xi in range(16):
                v = xi * PC + q
                r0 = k0 + rows[xi, 0]
                r1 = k0 + rows[xi, 1]
                r2 = k0 + rows[xi, 2]
                r3 = k0 + rows[xi, 3]
                c0 = coef[xi, 0]
                c1 = coef[xi, 1]
                c2 = coef[xi, 2]
                c3 = coef[xi, 3]
                for e in range(L):
                    V[uintp(v + e)] = ((c0 * xp[uintp(r0 + e)] + c1 * xp[uintp(r1 + e)])
                                       + (c2 * xp[uintp(r2 + e)] + c3 * xp[uintp(r3 + e)]))


@njit(**_jit)
def _wino_from_tiles(M, n0, O, H, W, ph, pw, Th, Tw, m_off, m_coef, s_off, s_coef, bias, yb, s, y, start, stop):
    """y (N*O, H*W) = the sum over tiles of L m L^T + bias, each tile's m = M[(xi*P + q)*O + o]
    (xi = 0..15 as 4x4) landing as a p x p window at steps of 2, placed at (-ph, -pw) and cropped; L (p, 4)
    is given by its tables (_wino_out_terms). Units and rows q as in _wino_to_tiles.
    The output transform (p = 2, L = A^T, windows side by side) and the input gradient's (p = 4,
    L = B, overlapping windows adding up within one unit) are both this kernel.

    Two passes per row of tiles, each loop over Tw*O values: s (4p, Tw*O) = m L^T (three terms
    each), then L s added into yb, the sample's buffer (2*Th + p - 2 rows of Wh column pairs,
    laid out as _wino_to_tiles's xp, covering the output). Within a tile row the columns j go
    from last to first, so that each pixel of yb adds up its tiles in the order of the tiles
    (the left tile first)."""
    p = m_off.shape[0] // 4
    Wh = Tw + p // 2 - 1
    L = Tw * O
    for u in range(start, stop):
        for k in range(yb.shape[0]):
            yb[k] = 0
        for ta in range(Th):
            q = (u * Th + ta) * Tw * O
            for t in range(4 * p):      # along each row a of m: s[a*p + j] = sum over b of m[a, b] L[j, b]
                m0, m1, m2 = q + m_off[t, 0], q + m_off[t, 1], q + m_off[t, 2]
                c0, c1, c2 = m_coef[t, 0], m_coef[t, 1], m_coef[t, 2]
                st = t * L
                for e in range(L):
                    s[uintp(st + e)] = (c0 * M[uintp(m0 + e)] + c1 * M[uintp(m1 + e)]) + c2 * M[uintp(m2 + e)]
            k0 = 4 * ta * Wh * O
            for t in range(p * p):      # then down each column: out[i, j] = sum over a of L[i, a] s[a*p + j]
                s0, s1, s2, r = s_off[t, 0], s_off[t, 1], s_off[t, 2], k0 + s_off[t, 3]
                c0, c1, c2 = s_coef[t, 0], s_coef[t, 1], s_coef[t, 2]
                for e in range(L):
                    yb[uintp(r + e)] += (c0 * s[uintp(s0 + e)] + c1 * s[uintp(s1 + e)]) + c2 * s[uintp(s2 + e)]
        for o in range(O):
            r = (n0 + u) * O + o
            b0 = bias[o]
            for h in range(H):
                hp = (h + ph) * 2 * Wh
                for k in range(W):
                    wp = k + pw
                    y[r, uintp(h * W + k)] = yb[uintp((hp + (wp & 1) * Wh + (wp >> 1)) * O + o)] + b0


class _WinoBuffers:
    """One thread's buffers for the transforms of a Winograd call (flat, laid out as
    _wino_to_tiles's xp): the copy of a sample (m = 4: the input; m = 2: the output gradient)
    and the output transform's."""

    def __init__(self, Th, Tw, C, O, dtype):
        self.x = np.zeros((2 * Th + 2) * (2 * Tw + 2) * C, dtype=dtype)   # input, m = 4
        self.g = np.zeros(4 * Th * Tw * O, dtype=dtype)                    # output gradient, m = 2
        self.yb2 = np.empty(4 * Th * Tw * O, dtype=dtype)                  # output, p = 2
        self.s2 = np.empty(8 * Tw * O, dtype=dtype)
        self.yb4 = np.empty((2 * Th + 2) * (2 * Tw + 2) * C, dtype=dtype)  # input gradient, p = 4
        self.s4 = np.empty(16 * Tw * C, dtype=dtype)


def _wino_plan(N, C, O, H, W, Ho, Wo, ph, pw, itemsize):
    """Tiles (Th, Tw) per sample, their number T, and the samples per chunk. The transforms'
    buffers (2*Th + 2 by 2*Tw + 2 pixels) must hold the input placed at (ph, pw): with padding
    at least 0 on every side they do, and the kernels do not check it."""
    Th, Tw = (Ho + 1) // 2, (Wo + 1) // 2
    if 2 * Th + 2 < H + ph or 2 * Tw + 2 < W + pw:
        raise RuntimeError(f"Winograd: a {H}x{W} input at ({ph}, {pw}) does not fit {Ho}x{Wo} outputs' tiles")
    T = Th * Tw
    nb = min(WINO_CHUNK_BYTES // (16 * (C + O) * T * itemsize), WINO_GEMM_MAX // (T * C * O))
    nb = max(nb, -(-WINO_MIN_ROWS // T))
    return Th, Tw, T, int(max(1, min(N, nb)))


# Threads: each takes a range of samples and runs the whole pipeline (transform, GEMMs,
# transform) on its chunks, with its own buffers, so threads meet once per call. BLAS runs
# single-threaded meanwhile (blas.serial, in _parallel): many small GEMMs handed to BLAS's own
# threads would cost a thread wake-up each, and on a busy machine a scheduler time slice each.
def _wino_forward(x, w, bias, y, ph, pw):
    N, C, H, W = x.shape
    _, O, Ho, Wo = y.shape
    Th, Tw, T, nb = _wino_plan(N, C, O, H, W, Ho, Wo, ph, pw, x.itemsize)
    Ut = _wino_weight(w).transpose(0, 2, 1)
    x2, y2 = x.reshape(N * C, H * W), y.reshape(N * O, Ho * Wo)
    terms = _wino_terms("in", Tw + 1, C, x.dtype)
    out_terms = _wino_out_terms("out", 2, nb * T, O, Tw, x.dtype)
    bias = bias if len(bias) else np.zeros(O, dtype=x.dtype)

    def run(start, stop):
        V = _empty((16, nb * T, C), dtype=x.dtype)
        M = _empty((16, nb * T, O), dtype=x.dtype)
        buf = _WinoBuffers(Th, Tw, C, O, x.dtype)
        for n0 in range(start, stop, nb):
            m = min(nb, stop - n0)
            _wino_to_tiles(x2, n0, C, H, W, ph, pw, Th, Tw, Tw + 1, *terms, buf.x, V.reshape(-1), 0, m)
            np.matmul(V[:, :m * T], Ut, out=M[:, :m * T])
            _wino_from_tiles(M.reshape(-1), n0, O, Ho, Wo, 0, 0, Th, Tw, *out_terms, bias, buf.yb2,
                             buf.s2, y2, 0, m)
    _parallel(run, N, 16 * N * T * (C + O))


def _wino_backward(x, g, w, gx, ph, pw, bias=False):
    """The gradients of a Winograd conv in one pass over the batch: the weight gradient (returned)
    when x is given, the input gradient (written into gx) when w is, and the bias gradient
    (returned) if ``bias``: (gw or None, gb or None). Each chunk's dM serves them all; the bias
    gradient is the sum over tiles of dM[_WINO_SUM], which adds up each tile's four outputs."""
    N, O, Ho, Wo = g.shape
    _, C, H, W = (x if x is not None else gx).shape
    Th, Tw, T, nb = _wino_plan(N, C, O, H, W, Ho, Wo, ph, pw, g.itemsize)
    g2 = g.reshape(N * O, Ho * Wo)
    x2 = x.reshape(N * C, H * W) if x is not None else None
    gx2 = gx.reshape(N * C, H * W) if w is not None else None
    U = _wino_weight(w) if w is not None else None
    g_terms = _wino_terms("out_t", Tw, O, g.dtype)
    x_terms = _wino_terms("in", Tw + 1, C, g.dtype)
    in_terms = _wino_out_terms("in_t", 4, nb * T, C, Tw, g.dtype)
    parts, bias_parts = {}, {}   # each thread's share of dU^T (16, C, O) and of gb, by its first sample

    def run(start, stop):
        V = _empty((16, nb * T, C), dtype=g.dtype)       # V, and dV for the input gradient
        dM = _empty((16, nb * T, O), dtype=g.dtype)
        dUt, part = np.zeros((16, C, O), dtype=g.dtype), _empty((16, C, O), dtype=g.dtype)
        gb = np.zeros(O, dtype=g.dtype)
        buf = _WinoBuffers(Th, Tw, C, O, g.dtype)
        for n0 in range(start, stop, nb):
            m = min(nb, stop - n0)
            Vt, dMt = V[:, :m * T], dM[:, :m * T]
            _wino_to_tiles(g2, n0, O, Ho, Wo, 0, 0, Th, Tw, Tw, *g_terms, buf.g, dM.reshape(-1), 0, m)
            if bias:
                gb += np.add.reduce(dM[_WINO_SUM, :m * T], axis=0)
            if x2 is not None:
                _wino_to_tiles(x2, n0, C, H, W, ph, pw, Th, Tw, Tw + 1, *x_terms, buf.x, V.reshape(-1), 0, m)
                dUt += np.matmul(Vt.transpose(0, 2, 1), dMt, out=part)
            if U is not None:
                np.matmul(dMt, U, out=Vt)
                _wino_from_tiles(V.reshape(-1), n0, C, H, W, ph, pw, Th, Tw, *in_terms, np.zeros(C, dtype=g.dtype),
                                 buf.yb4, buf.s4, gx2, 0, m)
        parts[start], bias_parts[start] = dUt, gb
    _parallel(run, N, 16 * N * T * (C + O))
    gb = _sum_in_order(bias_parts) if bias else None
    if x is None:
        return None, gb
    return _wino_weight_t(_sum_in_order(parts)), gb


# -- 1x1 convolutions: GEMMs on the input as it lies ----------------------------------------------
# A 1x1 kernel at stride 1 without padding reads each pixel once: sample n's output is the
# product W (O, C) @ x_n (C, H*W) of the weights with the input plane block itself, so no column
# buffer is made (im2col would only copy x). Its two gradients are products too:
#
#     gx_n = W^T @ g_n,    gW = sum over n of g_n @ x_n^T,    gb = sum of g over n and pixels.
#
# Threads take ranges of samples, as on the other GEMM paths; groups take their own channel rows.
def _pointwise(geom, H, W, Ho, Wo):
    """A 1x1 conv at stride 1 without padding (dilation is then irrelevant) whose output has the
    input's size (no bottom or right padding, no output_padding of a transposed conv)."""
    kh, kw, sh, sw, ph, pw = geom[:6]
    return kh == 1 and kw == 1 and sh == 1 and sw == 1 and ph == 0 and pw == 0 and H == Ho and W == Wo


def _pointwise_forward(x3, w3, bias, y3):
    """y3 (N, O, L) = w3 (groups, Og, Cg) @ x3 (N, C, L) per group, plus ``bias`` (or None) per row.

    Without groups the bias rides in the GEMM, as on the im2col path: each sample is copied under
    a row of ones, and the bias is one more column of the weights. The copy of x (C rows) costs
    less than adding the bias to the output afterwards (O rows): 1 thread, float32, 8 samples of
    64 -> 256 channels at 56 x 56: 11.9 -> 10.5 ms; 256 -> 256 at 14 x 14: 3.0 -> 2.8 ms."""
    N, O, L = y3.shape
    groups, Og, Cg = w3.shape
    ones = bias is not None and groups == 1
    wm = np.concatenate([w3[0], bias.reshape(O, 1)], axis=1) if ones else None

    def run(start, stop):
        buf = None
        if ones:
            buf = _empty((Cg + 1, L), dtype=x3.dtype)
            buf[Cg] = 1
        for n in range(start, stop):
            if ones:
                buf[:Cg] = x3[n]
                np.matmul(wm, buf, out=y3[n])
                continue
            for grp in range(groups):
                ys = y3[n, grp * Og:(grp + 1) * Og]
                np.matmul(w3[grp], x3[n, grp * Cg:(grp + 1) * Cg], out=ys)
                if bias is not None:   # while the sample's output is still in the cache
                    ys += bias[grp * Og:(grp + 1) * Og, None]
    _parallel(run, N, N * O * Cg * L)


def _pointwise_input_grad(g3, w3, gx3):
    """gx3 (N, C, L) = w3^T (groups, Cg, Og) @ g3 (N, O, L) per group."""
    N, C, L = gx3.shape
    groups, Og, Cg = w3.shape
    wt = w3.transpose(0, 2, 1)

    def run(start, stop):
        for grp in range(groups):
            np.matmul(wt[grp], g3[start:stop, grp * Og:(grp + 1) * Og], out=gx3[start:stop, grp * Cg:(grp + 1) * Cg])
    _parallel(run, N, N * C * Og * L)


def _pointwise_weight_grad(x3, g3, groups):
    """gW (groups, Og, Cg) = sum over samples of g_n (Og, L) @ x_n^T (L, Cg), per group; the
    threads' partial sums are added in the order of their ranges."""
    N, C, L = x3.shape
    O = g3.shape[1]
    Og, Cg = O // groups, C // groups
    parts = {}

    def run(start, stop):
        part = np.zeros((groups, Og, Cg), dtype=x3.dtype)
        prod = np.empty((Og, Cg), dtype=x3.dtype)
        for n in range(start, stop):
            for grp in range(groups):
                part[grp] += np.matmul(g3[n, grp * Og:(grp + 1) * Og], x3[n, grp * Cg:(grp + 1) * Cg].T, out=prod)
        parts[start] = part
    _parallel(run, N, N * O * Cg * L)
    return _sum_in_order(parts)


# -- the conv entry points ----------------------------------------------------------------------
def _no_bias(dtype):
    return np.zeros(0, dtype=dtype)


def _chunk_wide(L, groups, rows, max_map=None):
    """The forward (or, given ``max_map`` = WIDE_GRAD_MAP, the weight gradient) as one GEMM per
    chunk of the batch rather than per-sample ones (see SMALL_MAP): maps of at most SMALL_MAP
    (max_map) pixels, enough rows of columns, no groups."""
    return L <= (SMALL_MAP if max_map is None else max_map) and rows >= SMALL_MAP_MIN_ROWS and groups == 1


def _direct(taps, groups):
    """Direct loops for grouped convs with few taps (depthwise): per-group GEMMs would be tiny.

    Without groups even a first layer with nine taps goes through im2col + GEMM. Its forward
    would be faster direct (seed conv1, b64: 1.2 against 2.0 ms), but the direct weight gradient
    pads every input plane once per output channel (4.8 against 1.9 ms), and the two direct
    kernels take about 2.6 s to compile against 0.35 s for _im2col."""
    return groups > 1 and taps <= DIRECT_MAX_TAPS


def conv2d(x, w, b, Ho, Wo, geom, groups):
    return conv2d_keep(x, w, b, Ho, Wo, geom, groups, keep=False)[0]


def conv2d_keep(x, w, b, Ho, Wo, geom, groups, keep=True):
    """conv2d, and (when ``keep`` and they fit KEEP_BYTES) the columns, for conv2d_weight_grad."""
    x, w = _c(x), _c(w)
    N, C, H, W = x.shape
    O = w.shape[0]
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    y = _empty((N, O, Ho, Wo), x.dtype)
    if y.size == 0:
        return y, None
    bias = _c(b) if b is not None else _no_bias(x.dtype)
    if C == 0:
        y[...] = bias.reshape(1, -1, 1, 1) if b is not None else 0
        return y, None
    L = Ho * Wo
    x2, y2, w2 = x.reshape(N * C, H * W), y.reshape(N * O, L), w.reshape(O, -1)
    T = w2.shape[1]
    if _direct(T, groups):
        if sh == 1 and sw == 1:
            _parallel(_conv_flat, N * groups, y.size * T, x2, C, H, W, w2, bias, y2, Ho, Wo, kh, kw, ph, pw, dh, dw,
                      groups)
        else:
            lo, hi = _tap_ranges(kw, dw, pw, sw, W, Wo)
            _parallel(_conv_rows, N * O, y.size * T, x2, C, H, W, w2, bias, y2, Ho, Wo, *geom, lo, hi, groups)
        return y, None
    if _winograd(C, O, geom, groups) and _finite(x, w):
        _wino_forward(x, w, bias, y, ph, pw)
        return y, None
    if _pointwise(geom, H, W, Ho, Wo):
        _pointwise_forward(x2.reshape(N, C, L), w.reshape(groups, O // groups, C // groups),
                           bias if b is not None else None, y.reshape(N, O, L))
        return y, None
    R = C * kh * kw
    Rg, Og = R // groups, O // groups
    # The bias rides along in the GEMM (groups == 1): one more row of ones under the columns, the
    # bias as one more column of the weights. Grouped convs add it afterwards.
    ones = b is not None and groups == 1
    rows = R + ones
    keep = keep and R * N * L * x.itemsize <= KEEP_BYTES
    wm = np.concatenate([w2, bias.reshape(O, 1)], axis=1)[None] if ones else w.reshape(groups, Og, Rg)
    k = wm.shape[2]   # Rg, and the row of ones
    lo, hi = _tap_ranges(kw, dw, pw, sw, W, Wo)
    y3 = y.reshape(N, O, L)
    kept = _empty(rows * N * L, dtype=x.dtype) if keep else None
    if keep and ones:
        kept[R * N * L:] = 1
    wide = _chunk_wide(L, len(wm), rows)
    nb = _chunk(N, rows * L * x.itemsize, None if keep or wide else CHUNK_L2_BYTES)

    def run(start, stop):
        # Threads take ranges of samples; each writes its samples' columns (into the kept buffer,
        # or chunk by chunk into its own) and runs their GEMMs.
        buf = None
        if not keep:
            buf = _empty(rows * nb * L, dtype=x.dtype)
            if ones:
                buf[R * nb * L:] = 1
        yt = _empty((nb * L, O), dtype=x.dtype) if wide else None
        for n0 in range(start, stop, nb):
            m = min(nb, stop - n0)
            if keep:
                _im2col(x2, n0, m, C, H, W, Ho, Wo, *geom, lo, hi, kept[n0 * L:], N * L, L, 0, R)
                chunk = kept.reshape(rows, N * L)[:, n0 * L:(n0 + m) * L]
                cs = kept.reshape(rows, N, L)[:, n0:n0 + m].transpose(1, 0, 2)
            else:
                _im2col(x2, n0, m, C, H, W, Ho, Wo, *geom, lo, hi, buf, nb * L, L, 0, R)
                chunk = buf.reshape(rows, nb * L)[:, :m * L]
                cs = buf.reshape(rows, nb, L)[:, :m].transpose(1, 0, 2)
            if wide:
                # small maps: one GEMM over the chunk, columns^T (m*L, rows) @ w^T (rows, O), the
                # orientation BLAS runs fastest here, then each sample's (L, O) block transposed
                # into NCHW (1 thread, float32, 64 samples of 512 rows x 64 pixels, 64 outputs:
                # 3.3 ms against 3.9 for the per-sample GEMMs)
                np.matmul(chunk.T, wm[0].T, out=yt[:m * L])
                y3[n0:n0 + m] = yt[:m * L].reshape(m, L, O).transpose(0, 2, 1)
                continue
            # one GEMM per sample: its columns (rows, L) are a strided view of the chunk's, and
            # its output is its NCHW block (no reordering pass)
            ys = y3[n0:n0 + m]
            for grp in range(len(wm)):
                np.matmul(wm[grp], cs[:, grp * Rg:grp * Rg + k], out=ys[:, grp * Og:(grp + 1) * Og])
    _parallel(run, N, rows * N * L)
    if b is not None and not ones:
        y3 += bias.reshape(O, 1)
    return y, (kept.reshape(rows, N * L) if keep else None)   # with the row of ones, for the bias gradient


def conv2d_input_grad(g, w, H, W, geom, groups):
    g, w = _c(g), _c(w)
    N, O, Ho, Wo = g.shape
    C = w.shape[1] * groups
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    gx = _empty((N, C, H, W), g.dtype)
    if gx.size == 0:
        return gx
    L = Ho * Wo
    if O == 0 or L == 0:
        gx[...] = 0
        return gx
    g2, gx2, w2 = g.reshape(N * O, L), gx.reshape(N * C, H * W), w.reshape(O, -1)
    T = w2.shape[1]
    if _direct(T, groups):
        if sh == 1 and sw == 1:
            # at stride 1 the input gradient is itself a conv: of g with the flipped kernels, channels
            # swapped within each group, padded by (k - 1) * d - p (cutting off rows when negative)
            Og, Cg = O // groups, C // groups
            wt = np.ascontiguousarray(w.reshape(groups, Og, Cg, kh, kw)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4))
            _parallel(_conv_flat, N * groups, g.size * T, g2, O, Ho, Wo, wt.reshape(C, Og * kh * kw),
                      _no_bias(g.dtype), gx2, H, W, kh, kw, (kh - 1) * dh - ph, (kw - 1) * dw - pw, dh, dw, groups)
        else:
            lo, hi = _tap_ranges(kw, dw, pw, sw, W, Wo)
            _parallel(_conv_rows_input_grad, N * C, g.size * T, g2, Ho, Wo, w2, gx2, C, H, W, *geom, lo, hi, groups)
        return gx
    if _winograd(C, O, geom, groups) and _finite(g, w):
        _wino_backward(None, g, w, gx, ph, pw)
        return gx
    if _pointwise(geom, H, W, Ho, Wo):
        _pointwise_input_grad(g2.reshape(N, O, L), w.reshape(groups, O // groups, C // groups), gx.reshape(N, C, L))
        return gx
    R = C * kh * kw
    Rg, Og = R // groups, O // groups
    # One sample per chunk: its GEMM writes contiguous columns, which col2im reads back while
    # they are still in the cache. 1 thread, float32, against chunks of CHUNK_BYTES: conv_grid's
    # 5x5 stride-2 case 38.0 -> 30.2 ms, conv_extra's conv_transpose2d forward 6.1 -> 4.5 ms,
    # 3x3 stride-2 64 -> 128 channels at 56 px (8 samples) 13.1 -> 10.9 ms, 256 -> 256 at 14 px
    # (32 samples) 28.3 -> 25.4 ms, 5x5 3 -> 32 at 32 px (64 samples) 10.2 -> 6.1 ms.
    nb = 1
    wt = w.reshape(groups, Og, Rg).transpose(0, 2, 1)
    lo, hi = _tap_ranges(kw, dw, pw, sw, W, Wo)
    g3 = g.reshape(N, O, L)

    def run(start, stop):
        # threads take ranges of samples: GEMMs into the thread's own columns, then col2im
        cols = _empty(R * nb * L, dtype=g.dtype)
        for n0 in range(start, stop, nb):
            m = min(nb, stop - n0)
            cs, gs = cols.reshape(R, nb, L)[:, :m].transpose(1, 0, 2), g3[n0:n0 + m]   # as in conv2d_keep
            for grp in range(groups):
                np.matmul(wt[grp], gs[:, grp * Og:(grp + 1) * Og], out=cs[:, grp * Rg:(grp + 1) * Rg])
            _col2im(cols, nb * L, L, n0, m, C, H, W, Ho, Wo, *geom, lo, hi, gx2, 0, m * C)
    _parallel(run, N, R * N * L)
    return gx


def conv2d_weight_grad(x, g, geom, groups, cols=None):
    """The weight gradient; ``cols`` are the forward's columns if it kept them (conv2d_keep)."""
    return _weight_and_bias_grads(_c(x), _c(g), geom, groups, cols, bias=False)[0]


def _sum_nhw(g):
    return np.add.reduce(g, axis=(0, 2, 3))


def _weight_and_bias_grads(x, g, geom, groups, cols=None, bias=False):
    """(the weight gradient, the bias gradient (sum of g over N, H, W) if ``bias`` else None).

    On the im2col path without groups the bias gradient comes out of the weight gradient's GEMM:
    the columns get a row of ones (the forward's, when it kept its columns), so the product has
    one more column, sum over samples and pixels of g."""
    N, C, H, W = x.shape
    _, O, Ho, Wo = g.shape
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    gw = np.zeros((O, C // groups, kh, kw), dtype=x.dtype)
    L = Ho * Wo
    if gw.size == 0 or N == 0 or L == 0:
        return gw, (_sum_nhw(g) if bias else None)
    x2, g2, gw2 = x.reshape(N * C, H * W), g.reshape(N * O, L), gw.reshape(O, -1)
    T = gw2.shape[1]
    if _direct(T, groups):
        gb = None
        if sh == 1 and sw == 1:
            gb = _empty(O if bias else 0, dtype=g.dtype)   # the bias gradient comes with the flat loops
            _parallel(_conv_flat_weight_grad, O, g.size * T, x2, C, H, W, g2, Ho, Wo, gw2, gb, kh, kw, ph, pw, dh,
                      dw, groups)
        # The flat loops also multiply the dropped outputs' zeros of g with input pixels: 0 * inf
        # would add a NaN that torch does not have. An inf or NaN in x or g shows in gw, so gw is
        # tested (it is small) and, if it holds one, made again by the exact row loops.
        if not (sh == 1 and sw == 1) or not _finite(gw2):
            lo, hi = _tap_ranges(kw, dw, pw, sw, W, Wo)
            _parallel(_conv_rows_weight_grad, O, g.size * T, x2, C, H, W, g2, Ho, Wo, gw2, *geom, lo, hi, groups)
        return gw, ((_sum_nhw(g) if gb is None else gb) if bias else None)
    if _winograd(C, O, geom, groups) and _finite(x, g):
        gw[...], gb = _wino_backward(x, g, None, None, ph, pw, bias)
        return gw, gb
    if _pointwise(geom, H, W, Ho, Wo):
        gw[...] = _pointwise_weight_grad(x2.reshape(N, C, L), g2.reshape(N, O, L), groups).reshape(gw.shape)
        return gw, (_sum_nhw(g) if bias else None)
    R = C * kh * kw
    Rg, Og = R // groups, O // groups
    ones = bias and groups == 1          # the bias gradient rides in the GEMM
    k = Rg + ones
    if cols is not None and cols.shape[0] < R + ones:
        cols = None                      # kept without the row of ones: make the columns again
    nb = _chunk(N, (R + ones) * L * x.itemsize)
    lo, hi = _tap_ranges(kw, dw, pw, sw, W, Wo)
    g3 = g.reshape(N, O, L)
    sb = max(1, CHUNK_BYTES // (Og * k * x.itemsize))   # samples per block of per-sample products
    parts = {}   # each thread's share of gw (groups, Og, Rg + ones), by its first sample

    wide = _chunk_wide(L, groups, R, WIDE_GRAD_MAP)

    def run(start, stop):
        part = np.zeros((groups, Og, k), dtype=x.dtype)
        buf = None
        if cols is None:
            buf = _empty((R + ones) * nb * L, dtype=x.dtype)
            buf[R * nb * L:] = 1
        gt = _empty((O, nb * L), dtype=x.dtype) if wide else None
        part_t = np.zeros((k, O), dtype=x.dtype) if wide else None
        for n0 in range(start, stop, nb):
            m = min(nb, stop - n0)
            if cols is not None:                         # kept by the forward
                cs = cols.reshape(cols.shape[0], N, L)[:, n0:n0 + m].transpose(1, 0, 2)
            else:
                _im2col(x2, n0, m, C, H, W, Ho, Wo, *geom, lo, hi, buf, nb * L, L, 0, R)
                cs = buf.reshape(R + ones, nb, L)[:, :m].transpose(1, 0, 2)   # per sample, as in conv2d_keep
            gs = g3[n0:n0 + m]
            if wide:   # the chunk's g as (O, m*L) times its columns (k, m*L) transposed: one GEMM
                chunk = (cols[:k, n0 * L:(n0 + m) * L] if cols is not None
                         else buf.reshape(R + ones, nb * L)[:k, :m * L])
                gt.reshape(O, nb, L)[:, :m] = gs.transpose(1, 0, 2)
                # as (k, O) = columns @ g^T: BLAS runs this orientation faster than g @ columns^T
                # (1 thread, float32: 64 x 4096 x 512 3.2 against 4.0 ms; 128 x 6272 x 1600 29 against 32)
                part_t += np.matmul(chunk, gt[:, :m * L].T)
                continue
            for grp in range(groups):
                # sum over samples of g_n (Og, L) @ c_n^T (L, k), a block of samples per GEMM call
                for s in range(0, m, sb):
                    part[grp] += np.matmul(gs[s:s + sb, grp * Og:(grp + 1) * Og],
                                           cs[s:s + sb, grp * Rg:grp * Rg + k].transpose(0, 2, 1)).sum(axis=0)
        if wide:
            part[0] = part_t.T
        parts[start] = part
    _parallel(run, N, R * N * L)
    total = _sum_in_order(parts)
    gw[...] = total[:, :, :Rg].reshape(gw.shape)
    if not bias:
        return gw, None
    return gw, (np.ascontiguousarray(total[0, :, Rg]) if ones else _sum_nhw(g))


def conv2d_grads(x, g, w, H, W, geom, groups, cols=None, bias=False):
    """A conv's backward in one call: (input gradient (N, C, H, W) if w is given, weight gradient if
    x is given, bias gradient if ``bias``), each None otherwise; ``cols`` as in conv2d_weight_grad. Sharing the
    call shares work: the Winograd path transforms each chunk's output gradient once for all
    three, and im2col's weight-gradient GEMM yields the bias gradient as one more column."""
    g = _c(g)
    x = _c(x) if x is not None else None
    w = _c(w) if w is not None else None
    if (x is not None and w is not None and x.size and g.size and _winograd(x.shape[1], g.shape[1], geom, groups)
            and (grads := _winograd_grads_if_finite(x, g, w, geom, bias)) is not None):
        return grads
    gx = conv2d_input_grad(g, w, H, W, geom, groups) if w is not None else None
    if x is None:
        return gx, None, (_sum_nhw(g) if bias else None)
    return (gx,) + _weight_and_bias_grads(x, g, geom, groups, cols, bias)


def unfold(x, Ho, Wo, geom):
    x = _c(x)
    N, C, H, W = x.shape
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    R, L = C * kh * kw, Ho * Wo
    out = _empty((N, R, L), x.dtype)
    if out.size:
        lo, hi = _tap_ranges(kw, dw, pw, sw, W, Wo)
        _parallel(_im2col, R, out.size, x.reshape(N * C, H * W), 0, N, C, H, W, Ho, Wo, *geom, lo, hi,
                  out.reshape(-1), L, R * L)
    return out


def fold(cols, C, H, W, Ho, Wo, geom):
    cols = _c(cols)
    N = cols.shape[0]
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    gx = _empty((N, C, H, W), cols.dtype)
    if gx.size == 0:
        return gx
    L = Ho * Wo
    if L == 0:
        gx[...] = 0
        return gx
    R = cols.shape[1]
    lo, hi = _tap_ranges(kw, dw, pw, sw, W, Wo)
    _parallel(_col2im, N * C, cols.size, cols.reshape(-1), L, R * L, 0, N, C, H, W, Ho, Wo, *geom, lo, hi,
              gx.reshape(N * C, H * W))
    return gx


# -- pooling: planes (N*C, H*W) in, planes (N*C, Ho*Wo) out ------------------------------------
@njit(**_jit)
def _max_pool(x, W, hs, he, hstep, ws, we, wstep, y, idx, start, stop):
    """Torch's rule: the first maximum wins, and NaN always wins. As in _max_pool_2x2, the scan
    compares with ``>`` only (selects, no branch to mispredict), and a window whose sum is NaN
    (it holds a NaN; inf - inf also lands here, harmlessly) is scanned again with the full rule."""
    Ho, Wo = hs.shape[0], ws.shape[0]
    zero = np.zeros(1, dtype=x.dtype)[0]
    for p in range(start, stop):
        for oh in range(Ho):
            for ow in range(Wo):
                best = -np.inf
                arg = hs[oh] * W + ws[ow]
                s = zero
                for h in range(hs[oh], he[oh], hstep):
                    for w in range(ws[ow], we[ow], wstep):
                        v = x[p, uintp(h * W + w)]
                        s += v
                        t = v > best
                        best, arg = (v, h * W + w) if t else (best, arg)
                if s != s:
                    best = -np.inf
                    for h in range(hs[oh], he[oh], hstep):
                        for w in range(ws[ow], we[ow], wstep):
                            v = x[p, uintp(h * W + w)]
                            if v > best or v != v:
                                best = v
                                arg = h * W + w
                y[p, uintp(oh * Wo + ow)] = best
                idx[p, uintp(oh * Wo + ow)] = arg


@njit(**_jit)
def _max_pool_2x2(x, W, Ho, Wo, y, idx, start, stop):
    """Kernel 2, stride 2, no padding or dilation, every window inside the input: _max_pool's rule
    unrolled (the first of the window's four values is the starting best).

    The common case compares with ``>`` only, which LLVM turns into branch-free selects; the
    NaN test of torch's rule (``or v != v``) made it branch on every value, several times slower
    on random data. A window holding a NaN (its sum is NaN; inf - inf also lands here, harmlessly)
    is redone with the full rule."""
    for p in range(start, stop):
        for oh in range(Ho):
            r0 = 2 * oh * W
            out = oh * Wo
            for ow in range(Wo):
                a = r0 + 2 * ow
                v0, v1 = x[p, uintp(a)], x[p, uintp(a + 1)]
                v2, v3 = x[p, uintp(a + W)], x[p, uintp(a + W + 1)]
                t = v1 > v0
                best, k = (v1, a + 1) if t else (v0, a)
                t = v2 > best
                best, k = (v2, a + W) if t else (best, k)
                t = v3 > best
                best, k = (v3, a + W + 1) if t else (best, k)
                s = v0 + v1 + v2 + v3
                if s != s:
                    best, k = v0, a
                    if v1 > best or v1 != v1:
                        best, k = v1, a + 1
                    if v2 > best or v2 != v2:
                        best, k = v2, a + W
                    if v3 > best or v3 != v3:
                        best, k = v3, a + W + 1
                y[p, uintp(out + ow)] = best
                idx[p, uintp(out + ow)] = k


@njit(**_jit)
def _max_pool_scatter(g, idx, gx, start, stop):
    """gx[p, idx[p, k]] += g[p, k]; an index outside the plane (a window of padding only) is
    dropped."""
    HW, L = gx.shape[1], g.shape[1]
    for p in range(start, stop):
        for k in range(HW):
            gx[p, k] = 0
        for k in range(L):
            a = idx[p, k]
            if 0 <= a < HW:
                gx[p, uintp(a)] += g[p, k]


@njit(**_jit)
def _max_pool_gather(x, idx, y, start, stop):
    HW, L = x.shape[1], y.shape[1]
    for p in range(start, stop):
        for k in range(L):
            a = idx[p, k]
            y[p, k] = x[p, uintp(a)] if 0 <= a < HW else 0


@njit(**_jit)
def _avg_pool(x, W, hs, he, ws, we, divisor, y, start, stop):
    Ho, Wo = hs.shape[0], ws.shape[0]
    zero = np.zeros(1, dtype=x.dtype)[0]   # sum in the input's precision, as torch does
    for p in range(start, stop):
        for oh in range(Ho):
            for ow in range(Wo):
                s = zero
                for h in range(hs[oh], he[oh]):
                    for w in range(ws[ow], we[ow]):
                        s += x[p, uintp(h * W + w)]
                y[p, uintp(oh * Wo + ow)] = s / divisor[oh, ow]


@njit(**_jit)
def _avg_pool_transpose(g, W, hs, he, ws, we, divisor, gx, start, stop):
    Ho, Wo = hs.shape[0], ws.shape[0]
    HW = gx.shape[1]
    for p in range(start, stop):
        for k in range(HW):
            gx[p, k] = 0
        for oh in range(Ho):
            for ow in range(Wo):
                v = g[p, uintp(oh * Wo + ow)] / divisor[oh, ow]
                for h in range(hs[oh], he[oh]):
                    for w in range(ws[ow], we[ow]):
                        gx[p, uintp(h * W + w)] += v


def _planes(a):
    return a.reshape(a.shape[0] * a.shape[1], a.shape[2] * a.shape[3])


_pairs_seen = {}   # id(starts), id(ends) -> (starts, ends, answer); windows are cached arrays


def _pairs(start, end):
    """Are the windows [0, 2), [2, 4), ...? (Remembered per window array: this runs every call.)"""
    key = (id(start), id(end))
    hit = _pairs_seen.get(key)
    if hit is not None and hit[0] is start and hit[1] is end:
        return hit[2]
    answer = bool(np.array_equal(start, np.arange(len(start)) * 2) and np.array_equal(end, start + 2))
    if len(_pairs_seen) > 256:
        _pairs_seen.clear()
    _pairs_seen[key] = (start, end, answer)
    return answer


def _is_2x2(H, W, hs, he, hstep, ws, we, wstep):
    return (hstep == 1 and wstep == 1 and 2 * len(hs) <= H and 2 * len(ws) <= W
            and _pairs(hs, he) and _pairs(ws, we))


def max_pool2d(x, hs, he, hstep, ws, we, wstep):
    x = _c(x)
    N, C, H, W = x.shape
    y = _empty((N, C, len(hs), len(ws)), x.dtype)
    idx = _empty(y.shape, np.int32)
    if y.size == 0:
        return y, idx
    if _is_2x2(H, W, hs, he, hstep, ws, we, wstep):
        _parallel(_max_pool_2x2, N * C, x.size, _planes(x), W, len(hs), len(ws), _planes(y), _planes(idx))
    else:
        _parallel(_max_pool, N * C, x.size, _planes(x), W, hs, he, hstep, ws, we, wstep, _planes(y), _planes(idx))
    return y, idx


def max_pool2d_scatter(g, idx, H, W):
    g, idx = _c(g), _c(idx)
    N, C = g.shape[:2]
    gx = _empty((N, C, H, W), g.dtype)
    if gx.size:
        _parallel(_max_pool_scatter, N * C, gx.size, _planes(g), _planes(idx), _planes(gx))
    return gx


def max_pool2d_gather(x, idx):
    x, idx = _c(x), _c(idx)
    y = _empty(idx.shape, x.dtype)
    if y.size:
        _parallel(_max_pool_gather, y.shape[0] * y.shape[1], y.size, _planes(x), _planes(idx), _planes(y))
    return y


def _whole_plane(H, W, hs, he, ws, we):
    """One window covering the whole plane (a global average pool, adaptive_avg_pool2d to 1x1):
    the pool is then a mean per plane and its transpose a broadcast, with no window loops."""
    return len(hs) == 1 and len(ws) == 1 and hs[0] == 0 and he[0] == H and ws[0] == 0 and we[0] == W


def avg_pool2d(x, hs, he, ws, we, divisor):
    x = _c(x)
    N, C, H, W = x.shape
    y = _empty((N, C, len(hs), len(ws)), x.dtype)
    if y.size and _whole_plane(H, W, hs, he, ws, we):
        np.divide(np.add.reduce(_planes(x), axis=1), x.dtype.type(divisor[0, 0]), out=y.reshape(-1))
    elif y.size:
        _parallel(_avg_pool, N * C, x.size, _planes(x), W, hs, he, ws, we, divisor.astype(x.dtype, copy=False),
                  _planes(y))
    return y


def avg_pool2d_transpose(g, H, W, hs, he, ws, we, divisor):
    g = _c(g)
    N, C = g.shape[:2]
    gx = _empty((N, C, H, W), g.dtype)
    if gx.size and _whole_plane(H, W, hs, he, ws, we):
        _planes(gx)[...] = _planes(g) / g.dtype.type(divisor[0, 0])
    elif gx.size:
        _parallel(_avg_pool_transpose, N * C, gx.size, _planes(g), W, hs, he, ws, we,
                  divisor.astype(g.dtype, copy=False), _planes(gx))
    return gx


# -- inf and NaN --------------------------------------------------------------------------------
# (At the end of the file, so that adding them moved no kernel: Numba's cache files are named
# after each kernel's line.)
def _finite(*arrays):
    """No inf or NaN in any of the (contiguous) ``arrays``: Winograd may then be used.

    Its transforms add and subtract neighbouring pixels, so one inf becomes inf - inf = NaN in
    every output of its tiles, where a direct sum gives +-inf; arrays with inf or NaN take the
    im2col path, which is exact for them (each output one dot product, as in reference.py).
    The test is one dot product a.a per array (about 0.05 ms for the seed CNN's conv2 input): it
    is inf or NaN when an element is, and also when finite values beyond about 1e19 (float32)
    overflow it, which only sends those to the exact path too. The fused backward tests its
    small weight gradient afterwards instead of x and g first (_winograd_grads_if_finite)."""
    for a in arrays:
        if a is not None and a.size:
            r = a.reshape(-1)
            if not np.isfinite(np.dot(r, r)):
                return False
    return True


def _winograd_grads_if_finite(x, g, w, geom, bias):
    """conv2d_grads by Winograd, or None when x, g or w hold inf or NaN (the exact path then).

    An inf or NaN in x or g reaches every entry of the weight gradient it touches as inf or NaN
    (a product with it, or inf - inf), so testing the small gw afterwards replaces testing x and
    g first; w is tested first (an inf there need not reach gw)."""
    if not _finite(w):
        return None
    gx = _empty(x.shape, x.dtype)
    gw, gb = _wino_backward(x, g, w, gx, geom[4], geom[5], bias)
    return (gx, gw, gb) if _finite(gw) else None
