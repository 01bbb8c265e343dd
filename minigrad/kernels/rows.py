"""Row kernels for the CPU: sums along contiguous rows, softmax, log_softmax and their
backwards, the class-index cross-entropy, variances, layer_norm and its backward, relu, the
scatter-add of rows behind embedding's and indexing's gradients. Arrays
in, arrays out, like the rest of ``kernels/``.

Arrays arrive as C-contiguous blocks of rows, flattened (a row is ``n`` consecutive values).
Three things decide how the code is written:

* **Sums are vectorised and stay accurate.** ``_block_sum`` adds one block of at most ``BLOCK``
  values in a loop that LLVM may reorder (``fastmath={"reassoc"}``: it keeps several vector
  registers of partial sums, 32 float32 lanes with AVX2); the blocks of a row are then added
  pairwise (a binary cascade, ``_sum_span``). The rounding error grows with the logarithm of the
  row length, as for NumPy's pairwise sum and torch's cascade sum; the order of the additions
  differs from both (docs/parity.md). Written without ``reassoc`` (explicit lanes), LLVM keeps
  the loop scalar: 4x slower than this, 2x slower than NumPy.
* **float32 exp is written here** (``_exp32``): LLVM vectorises a Numba loop over ``math.exp``
  (to ``llvm.exp.v16f32``), but its code generator then splits that into calls of the C
  library's scalar ``expf``: the mapping to a vector math library (Intel's SVML) needs an LLVM
  built with SVML support, which llvmlite's wheels are not. ``_exp32`` is the standard
  branch-free algorithm (SLEEF's u10 expf: Cody-Waite reduction, a degree-6 polynomial, 2^n from
  the exponent bits), which LLVM vectorises inside the row loops (zmm/ymm code, no calls), so
  softmax, log_softmax and cross_entropy take the row max (``_block_max``, LLVM's vectorised
  ``maxnum``), exp and the row sum, and the scaling, in one kernel, row by row. Within 1 ulp of
  the exact value (docs/parity.md). float64 keeps NumPy's max and exp, run between two kernels
  (``_shift_rows``; ``_scale_rows``: sum and scale in one pass), over blocks of rows small
  enough (``ROWS_BYTES``) to stay in the L2 cache between the passes.
* **Variances** sum the squared deviations in float64 without a float64 copy of the input:
  per row (trailing dims) in pairwise-added blocks, or per column (leading dims) in row order.
* **layer_norm** works row by row, in x's dtype as torch does: mean, variance and the
  normalisation with weight and bias are three sweeps of a row that stays in the L1 cache; the
  backward computes a row's two sums, then its gradient and its share of the weight and bias
  gradients in one sweep. Divisors are cast to x's dtype: ``float32 / int`` is float64 in Numba,
  which halves the vector width (2x slower).

Each kernel compiles on first use per dtype (float32, float64), and ``cache=True`` keeps the
machine code on disk. The ops call these only from ``ops.reduce.ROW_KERNELS_MIN`` values on
(16K): below it NumPy's own calls are about as fast, and a program of small tensors does not wait
for Numba's import and compiles.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types, uintp
from numba.extending import intrinsic

from .cpu import _parallel   # rows split across numba.get_num_threads() threads from 32K values

_jit = dict(cache=True, nogil=True, error_model="numpy", no_cfunc_wrapper=True)

BLOCK = 2048            # values per vectorised block of a sum (then blocks are added pairwise)
_LEVELS = 64            # cascade depth: 2**64 blocks is more than any array holds
ROWS_BYTES = 512 << 10  # softmax works on blocks of rows of about this many bytes (L2-resident)


@njit(fastmath={"reassoc"}, **_jit)
def _block_sum(x, p, m):
    """sum(x[p:p + m]), in an order LLVM picks (several vector registers of partial sums)."""
    s = x.dtype.type(0)
    for j in range(m):
        s += x[uintp(p + j)]
    return s


@njit(fastmath={"reassoc"}, **_jit)
def _block_dot(x, y, p, m):
    """sum(x[p:p + m] * y[p:p + m]), in an order LLVM picks."""
    s = x.dtype.type(0)
    for j in range(m):
        s += x[uintp(p + j)] * y[uintp(p + j)]
    return s


@njit(**_jit)
def _shift_rows(x, n, shift, out, start, stop):
    """out_i = x_i - shift_i per row."""
    for i in range(start, stop):
        s = shift[i]
        for j in range(i * n, (i + 1) * n):
            out[uintp(j)] = x[uintp(j)] - s


@njit(**_jit)
def _cascade(parts, k, stack):
    """The sum of parts[0:k], added pairwise over a binary counter (stack: scratch, _LEVELS)."""
    for b in range(k):
        acc = parts[b]
        level = 0
        bits = b
        while bits & 1:   # part b closes every level whose bit is set in b
            acc = stack[level] + acc
            bits >>= 1
            level += 1
        stack[level] = acc
    total = parts.dtype.type(0)
    level = 0
    bits = k
    while bits:   # the levels still open, smallest first
        if bits & 1:
            total = stack[level] + total
        bits >>= 1
        level += 1
    return total


@njit(**_jit)
def _sum_span(x, base, n, parts, stack):
    """sum(x[base:base + n]): BLOCK-sized vectorised blocks, added pairwise. ``parts``
    (n // BLOCK + 1) and ``stack`` are scratch."""
    k = 0
    for p in range(base, base + n, BLOCK):
        parts[k] = _block_sum(x, p, min(BLOCK, base + n - p))
        k += 1
    return parts[0] if k == 1 else _cascade(parts, k, stack)


@njit(**_jit)
def _dot_span(x, y, base, n, parts, stack):
    """sum(x[base:base + n] * y[base:base + n]), as _sum_span."""
    k = 0
    for p in range(base, base + n, BLOCK):
        parts[k] = _block_dot(x, y, p, min(BLOCK, base + n - p))
        k += 1
    return parts[0] if k == 1 else _cascade(parts, k, stack)


@njit(**_jit)
def _row_sums(x, n, out, start, stop):
    """out[i] = sum of row i of x (rows of n values, flat)."""
    parts = np.empty(n // BLOCK + 1, x.dtype)
    stack = np.empty(_LEVELS, x.dtype)
    for i in range(start, stop):
        # rows of one block skip _sum_span: the call costs about 30 ns a row (a 4000x1000 sum: 40 %)
        out[i] = _block_sum(x, i * n, n) if n <= BLOCK else _sum_span(x, i * n, n, parts, stack)


@njit(**_jit)
def _scale_rows(e, n, start, stop, sums, factor):
    """Row i of e times factor / its sum (kept in sums[i]), for rows [start, stop). A multiply by
    the reciprocal, as torch's softmax does (a division per value takes longer)."""
    parts = np.empty(n // BLOCK + 1, e.dtype)
    stack = np.empty(_LEVELS, e.dtype)
    for i in range(start, stop):
        s = _block_sum(e, i * n, n) if n <= BLOCK else _sum_span(e, i * n, n, parts, stack)
        sums[i] = s
        r = factor / s
        for j in range(i * n, (i + 1) * n):
            e[uintp(j)] = e[uintp(j)] * r


@njit(**_jit)
def _softmax_grad_rows(g, z, n, out, start, stop):
    """out_i = z_i * (g_i - sum(g_i * z_i)) per row: softmax's backward in one pass."""
    parts = np.empty(n // BLOCK + 1, z.dtype)
    stack = np.empty(_LEVELS, z.dtype)
    for i in range(start, stop):
        s = _block_dot(g, z, i * n, n) if n <= BLOCK else _dot_span(g, z, i * n, n, parts, stack)
        for j in range(i * n, (i + 1) * n):
            out[uintp(j)] = z[uintp(j)] * (g[uintp(j)] - s)


# -- float32 exp, vectorisable ----------------------------------------------------------------------
@intrinsic
def _f32_from_bits(typingctx, bits):
    """The float32 whose bit pattern is the int32 ``bits`` (a register move, no memory)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@intrinsic
def _bits_of_f32(typingctx, value):
    """The bit pattern of the float32 ``value`` as an int32."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


_F = np.float32
_I = np.int32
_EXP_HI = _F(88.72283935546875)   # the largest float32 whose exp is finite
_EXP_LO = _F(-104.0)              # exp of anything below rounds to 0
_ROUNDER = _F(12582912.0)         # 1.5 * 2**23: adding it rounds to an integer, kept in the low bits


@njit(fastmath={"contract"}, **_jit)
def _exp32(x):
    """exp(x) for a float32 x, without branches (selects only), so a loop over it vectorises:
    x = n ln2 + r with |r| <= ln2 / 2 (ln2 in two parts, Cody-Waite), e^r by SLEEF's u10 expf
    polynomial, times 2^n as two powers of two built from exponent bits (so subnormal results
    are rounded once). inf above _EXP_HI, 0 for -inf, NaN stays NaN (through the arithmetic).
    ``contract`` lets LLVM fuse the multiply-adds (FMA, as SLEEF's u10 assumes): 27 % faster than
    without; still within 1 ulp (0.986 at most, 0.951 without; docs/parity.md)."""
    xc = _EXP_HI if x > _EXP_HI else x
    xc = _EXP_LO if xc < _EXP_LO else xc
    t = xc * _F(1.44269504088896341) + _ROUNDER   # round-to-nearest of x / ln2, plus _ROUNDER
    n = t - _ROUNDER
    r = xc - n * _F(0.693145751953125)
    r = r - n * _F(1.428606765330187045e-06)
    u = _F(0.000198527617612853646278381)
    u = u * r + _F(0.00139304355252534151077271)
    u = u * r + _F(0.00833336077630519866943359)
    u = u * r + _F(0.0416664853692054748535156)
    u = u * r + _F(0.166666671633720397949219)
    u = u * r + _F(0.5)
    e = _F(1.0) + (r * r * u + r)
    k = _bits_of_f32(t) - _bits_of_f32(_ROUNDER)    # n as an integer, in [-150, 128]
    half = k >> _I(1)
    e = e * _f32_from_bits((half + _I(127)) << _I(23))
    e = e * _f32_from_bits((k - half + _I(127)) << _I(23))
    return _F(np.inf) if x > _EXP_HI else e


@njit(**_jit)
def exp32_array(x, out):
    """out = exp(x) for flat float32 arrays, by _exp32."""
    for j in range(x.size):
        out[uintp(j)] = _exp32(x[uintp(j)])


@njit(fastmath={"reassoc"}, **_jit)
def _block_exp_sum(x, p, m, shift, out):
    """out[p:p + m] = exp(x[p:p + m] - shift) and their sum (in an order LLVM picks). The
    reassociation is this loop's only: _exp32 is compiled without it."""
    s = _F(0)
    for j in range(m):
        e = _exp32(x[uintp(p + j)] - shift)
        out[uintp(p + j)] = e
        s += e
    return s


@intrinsic
def _maxnum(typingctx, a, b):
    """max(a, b) as LLVM's ``maxnum`` (the other operand when one is NaN). Compiled with
    ``fastmath={"nnan"}`` a loop of these becomes a vector max reduction; a ``v if v > t else t``
    loop, or ``max``, stays scalar (3-6x slower than NumPy's max)."""
    def codegen(context, builder, signature, args):
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.maxnum", [t], ir.FunctionType(t, [t, t]))
        return builder.call(fn, args)
    return a(a, b), codegen


@njit(fastmath={"nnan"}, **_jit)
def _block_max(x, p, m):
    """max(x[p:p + m]) (-inf when m is 0), vectorised. ``nnan`` lets LLVM treat NaN as absent: a
    row holding NaN gets some max, and the exp pass that follows makes the whole row NaN, as in
    torch; no other value depends on it."""
    t = x.dtype.type(-np.inf)
    for j in range(m):
        t = _maxnum(t, x[uintp(p + j)])
    return t


@njit(**_jit)
def _softmax_rows32(x, n, top, log, factor, out, sums, start, stop):
    """Row i of the float32 x: its max top_i (one vectorised pass), e = exp(x_i - top_i) into out
    with its sum in one pass (blocks of BLOCK added pairwise), then out_i = e * (factor / sum), or,
    for log_softmax, out_i = x_i - (top_i + log(sum)). A row of up to 16K values stays in the L1/L2
    cache across the three passes."""
    parts = np.empty(n // BLOCK + 1, x.dtype)
    stack = np.empty(_LEVELS, x.dtype)
    for i in range(start, stop):
        t = _block_max(x, i * n, n)
        top[i] = t
        k = 0
        for p in range(i * n, (i + 1) * n, BLOCK):
            parts[k] = _block_exp_sum(x, p, min(BLOCK, (i + 1) * n - p), t, out)
            k += 1
        s = parts[0] if k == 1 else _cascade(parts, k, stack)
        sums[i] = s
        if log:   # (x - max) - log(sum), as torch: x - (max + log(sum)) loses log(sum) for a huge max
            c = np.log(s)
            for j in range(i * n, (i + 1) * n):
                out[uintp(j)] = (x[uintp(j)] - t) - c
        else:
            r = factor / s
            for j in range(i * n, (i + 1) * n):
                out[uintp(j)] = out[uintp(j)] * r


@njit(**_jit)
def _log_softmax_grad_rows32(g, z, n, out, start, stop):
    """out_i = g_i - exp(z_i) * sum(g_i) per row of float32 g and z (z = log_softmax(x)): the
    backward of log_softmax in one pass, exp by _exp32."""
    parts = np.empty(n // BLOCK + 1, g.dtype)
    stack = np.empty(_LEVELS, g.dtype)
    for i in range(start, stop):
        s = _block_sum(g, i * n, n) if n <= BLOCK else _sum_span(g, i * n, n, parts, stack)
        for j in range(i * n, (i + 1) * n):
            out[uintp(j)] = g[uintp(j)] - _exp32(z[uintp(j)]) * s


# -- what the ops call ----------------------------------------------------------------------------
def row_sums(x, shape):
    """The sums of the rows of a C-contiguous array (float32 or float64) in its dtype, as a fresh
    array of ``shape`` (one sum a row: rows of ``x.size // prod(shape)`` consecutive values)."""
    out = np.empty(shape, x.dtype)
    m = out.size
    # (ravel: the flat views of C-contiguous arrays, at half reshape(-1)'s cost)
    if m == 1:   # a full sum: one row, never split across threads, so no thread count to ask for
        _row_sums(x.ravel(), x.size, out.ravel(), 0, 1)
    else:
        _parallel(_row_sums, m, x.size, x.ravel(), x.size // m, out.ravel())
    return out


def _row_blocks(start, stop, n, itemsize):
    """[start, stop) cut into blocks of rows of about ROWS_BYTES."""
    step = max(1, ROWS_BYTES // max(1, n * itemsize))
    return [(r, min(stop, r + step)) for r in range(start, stop, step)]


def _softmax_range(x2, log, factor, out, sums, tops, start, stop):
    """softmax_rows for rows [start, stop) (one thread's share); softmax is scaled by ``factor``;
    the rows' sums of exp(x - max) and maxima go to sums and tops. float32: one kernel, row by
    row. float64 (NumPy's exp between two kernels): blocks of rows of about ROWS_BYTES, which stay
    in the L2 cache between the passes."""
    n = x2.shape[1]
    if x2.dtype == np.float32:   # max, exp, sum and scaling in one kernel
        _softmax_rows32(x2.reshape(-1), n, tops, log, x2.dtype.type(factor), out.reshape(-1), sums, start, stop)
        return
    scratch = np.empty(min(stop - start, max(1, ROWS_BYTES // max(1, n * x2.itemsize))) * n, x2.dtype) \
        if log else None
    for r0, r1 in _row_blocks(start, stop, n, x2.itemsize):
        x, o = x2[r0:r1].reshape(-1), out[r0:r1]
        top = tops[r0:r1]
        np.max(x2[r0:r1], axis=1, out=top)
        if log:
            e = scratch[:o.size]
            _shift_rows(x, n, top, o.reshape(-1), 0, r1 - r0)
            np.exp(o.reshape(-1), out=e)
            s = sums[r0:r1]
            _row_sums(e, n, s, 0, r1 - r0)
            o -= np.log(s)[:, None]   # (x - max) - log(sum), as torch
        else:
            _shift_rows(x, n, top, o.reshape(-1), 0, r1 - r0)
            np.exp(o, out=o)
            _scale_rows(o.reshape(-1), n, 0, r1 - r0, sums[r0:r1], x2.dtype.type(factor))


def softmax_rows(x2, log: bool):
    """softmax (or log_softmax) of each row of a C-contiguous 2-D array, as torch computes them:
    exp(x - max) * (1 / sum), or (x - max) - log(sum), with sum = sum(exp(x - max)). inf - inf is
    NaN, so a row holding +inf, or only -inf, gives NaN, as does one holding NaN, as in torch. Rows
    are split across threads (NumPy's max and exp, used for float64, release the GIL, as the
    kernels do)."""
    m, n = x2.shape
    out = np.empty((m, n), x2.dtype)
    _parallel(_softmax_range, m, x2.size, x2, log, 1.0, out, np.empty(m, x2.dtype), np.empty(m, x2.dtype))
    return out


def softmax_grad_rows(g2, z2):
    """z * (g - sum(g * z)) per row (g, z: C-contiguous 2-D arrays of one dtype)."""
    m, n = z2.shape
    out = np.empty((m, n), z2.dtype)
    _parallel(_softmax_grad_rows, m, z2.size, g2.reshape(-1), z2.reshape(-1), n, out.reshape(-1))
    return out


def log_softmax_grad_rows(g2, z2):
    """g - exp(z) * sum(g) per row (g, z: C-contiguous 2-D float32 arrays)."""
    m, n = z2.shape
    out = np.empty((m, n), z2.dtype)
    _parallel(_log_softmax_grad_rows32, m, z2.size, g2.reshape(-1), z2.reshape(-1), n, out.reshape(-1))
    return out


def cross_entropy_rows(x2, target, factor=1.0):
    """For class scores x2 (C-contiguous, m x n) and class indices ``target`` (m, in range):
    the loss per row, -log softmax(x_i)[t_i], and softmax(x2) * factor (a fresh array) from which
    the caller makes the gradient."""
    m, n = x2.shape
    p = np.empty((m, n), x2.dtype)
    sums = np.empty(m, x2.dtype)
    tops = np.empty(m, x2.dtype)
    _parallel(_softmax_range, m, x2.size, x2, False, factor, p, sums, tops)
    picked = x2[np.arange(m), target] - tops   # log softmax(x_i)[t_i] = (x[t] - max) - log(sum)
    return np.log(sums) - picked, p


# -- elementwise ----------------------------------------------------------------------------------
@njit(**_jit)
def _relu(x, out):
    for i in range(x.size):
        v = x[uintp(i)]
        out[uintp(i)] = 0 if v < 0 else v   # keeps NaN and -0.0, as torch's relu (clamp_min) does


def relu(x):
    """max(x, 0) of a C-contiguous array: NaN stays NaN and -0.0 stays -0.0, as in torch. NumPy's
    ``maximum`` takes about four times as long on float32 (it gives +0.0 for -0.0)."""
    out = np.empty(x.shape, x.dtype)
    _relu(x.ravel(), out.ravel())   # (flat views, as in row_sums)
    return out


# -- scatter-add of rows ---------------------------------------------------------------------------
@njit(**_jit)
def _add_rows_at(out, index, values):
    for i in range(index.size):
        row = index[i]
        for j in range(out.shape[1]):
            out[row, j] += values[i, j]


def add_rows_at(out, index, values):
    """out[index[i]] += values[i] for i in order, repeated rows adding up: ``np.add.at(out, index,
    values)`` along dim 0, in its order (the same bits), 20-40x faster. ``out`` and ``values`` are
    C-contiguous, of one dtype, values.shape == (index.size,) + out.shape[1:], and every index lies
    in [0, len(out))."""
    _add_rows_at(out.reshape(out.shape[0], -1), index, values.reshape(index.size, -1))


# -- variance: the sum of squared deviations, in float64 ------------------------------------------
@njit(fastmath={"reassoc"}, **_jit)
def _block_sum_wide(x, p, m, center):
    """sum(x[p:p + m] - center) and sum((x[p:p + m] - center)**2) in float64, in an order LLVM
    picks."""
    s = 0.0
    q = 0.0
    for j in range(m):
        d = np.float64(x[uintp(p + j)]) - center
        s += d
        q += d * d
    return s, q


@njit(**_jit)
def _row_squared_deviations(x, n, centers, given, out, start, stop):
    """out[i] = sum((x_i - c_i)**2) in float64 per row, c_i = centers[i] when ``given``, else the
    row's mean in float64 (computed first: a second pass)."""
    parts = np.empty(n // BLOCK + 1)
    squares = np.empty(n // BLOCK + 1)
    stack = np.empty(_LEVELS)
    for i in range(start, stop):
        c = 0.0
        if given:
            c = centers[i]
        else:
            k = 0
            for p in range(i * n, (i + 1) * n, BLOCK):
                parts[k], squares[k] = _block_sum_wide(x, p, min(BLOCK, (i + 1) * n - p), 0.0)
                k += 1
            c = _cascade(parts, k, stack) / n
        k = 0
        for p in range(i * n, (i + 1) * n, BLOCK):
            parts[k], squares[k] = _block_sum_wide(x, p, min(BLOCK, (i + 1) * n - p), c)
            k += 1
        out[i] = _cascade(squares, k, stack)


@njit(**_jit)
def _column_squared_deviations(x, m, n, out):
    """out[j] = sum over the m rows of (x[:, j] - mean_j)**2 in float64, mean_j in float64 too:
    each column summed in row order (vectorised across the columns)."""
    mean = np.zeros(n)
    for i in range(m):
        for j in range(n):
            mean[j] += x[uintp(i * n + j)]
    for j in range(n):
        mean[j] /= m
        out[j] = 0.0
    for i in range(m):
        for j in range(n):
            d = np.float64(x[uintp(i * n + j)]) - mean[j]
            out[j] += d * d


def squared_deviations(x2, reduce_rows: bool, centers=None):
    """sum((x - mean)**2) in float64 over each row of the C-contiguous 2-D array x2 (or over its
    rows, per column, when ``reduce_rows``). ``centers``: per-row centers to use instead of the
    rows' means."""
    m, n = x2.shape
    flat = x2.reshape(-1)
    if reduce_rows:
        out = np.empty(n)
        _column_squared_deviations(flat, m, n, out)
        return out
    out = np.empty(m)
    given = centers is not None
    _parallel(_row_squared_deviations, m, x2.size, flat, n, centers if given else out, given, out)
    return out


# -- layer_norm: statistics, normalisation and the backward, row by row --------------------------
@njit(fastmath={"reassoc"}, **_jit)
def _block_grad_sums(g, w, x, p, q, m, mean, rstd):
    """For values p..p+m of a row (q..q+m of weight): sum(g * w) and sum(g * w * z),
    z = (x - mean) * rstd, in x's dtype, in an order LLVM picks."""
    s = x.dtype.type(0)
    t = x.dtype.type(0)
    for j in range(m):
        gw = g[uintp(p + j)] * w[uintp(q + j)]
        s += gw
        t += gw * ((x[uintp(p + j)] - mean) * rstd)
    return s, t


@njit(fastmath={"reassoc"}, **_jit)
def _block_deviations(x, p, m, center):
    """sum(x[p:p + m] - center) and sum((x[p:p + m] - center)**2) in x's dtype, in an order LLVM
    picks."""
    s = x.dtype.type(0)
    q = x.dtype.type(0)
    for j in range(m):
        d = x[uintp(p + j)] - center
        s += d
        q += d * d
    return s, q


@njit(**_jit)
def _layer_norm_rows(x, n, w, b, eps, out, means, rstds, start, stop):
    """Rows i in [start, stop) of x (n values each), in x's dtype as torch computes them: the mean,
    then the biased variance as the sum of squared deviations d from it, corrected by sum(d)
    (which also corrects the mean: a float32 mean of values far from 0 is off by several
    roundings), each a vectorised sweep of the cache-resident row, blocks added pairwise;
    rstd = 1 / sqrt(var + eps), then out = (x - mean) * (rstd * w) + b in one pass."""
    parts = np.empty(n // BLOCK + 1, x.dtype)
    squares = np.empty(n // BLOCK + 1, x.dtype)
    stack = np.empty(_LEVELS, x.dtype)
    one = x.dtype.type(1)
    zero = x.dtype.type(0)
    count = x.dtype.type(n)   # (an int divisor would make the float32 statistics float64)
    for i in range(start, stop):
        base = i * n
        k = 0
        for p in range(base, base + n, BLOCK):
            parts[k] = _block_sum(x, p, min(BLOCK, base + n - p))
            k += 1
        mean = _cascade(parts, k, stack) / count
        k = 0
        for p in range(base, base + n, BLOCK):
            parts[k], squares[k] = _block_deviations(x, p, min(BLOCK, base + n - p), mean)
            k += 1
        d = _cascade(parts, k, stack)
        q = _cascade(squares, k, stack)
        if q == np.inf:   # squares beyond the dtype's range: var is inf (rstd 0), as torch's; not inf - inf
            var = q
        else:
            var = max((q - d * d / count) / count, zero)
            mean += d / count   # the first mean's rounding error, measured by the deviations' sum
        rstd = one / np.sqrt(var + x.dtype.type(eps))
        means[i] = mean
        rstds[i] = rstd
        for j in range(n):
            out[uintp(base + j)] = (x[uintp(base + j)] - mean) * (rstd * w[uintp(j)]) + b[uintp(j)]


COLUMN_ROWS = 64   # layer_norm's backward adds the weight / bias gradients in x's dtype over chunks of this many rows


@njit(**_jit)
def _layer_norm_grad_rows(g, x, n, m, w, means, rstds, gx, chunk_sums, start, stop):
    """layer_norm's backward for the chunks [start, stop) of COLUMN_ROWS rows (of the m): with
    z = (x - mean) * rstd and u = g * w, gx = rstd * (u - mean(u) - z * mean(u * z)) (the two row
    sums vectorised in x's dtype, blocks added pairwise), in the same pass as the column sums of
    g * z (weight's gradient) and of g (bias's) over the chunk's rows, in row order, into
    chunk_sums[chunk, 0] and [chunk, 1]."""
    parts = np.empty(n // BLOCK + 1, x.dtype)
    products = np.empty(n // BLOCK + 1, x.dtype)
    stack = np.empty(_LEVELS, x.dtype)
    count = x.dtype.type(n)   # (an int divisor would make the float32 arithmetic float64)
    for chunk in range(start, stop):
        gz = chunk_sums[chunk, 0]
        gb = chunk_sums[chunk, 1]
        gz[:] = 0
        gb[:] = 0
        for i in range(chunk * COLUMN_ROWS, min(m, (chunk + 1) * COLUMN_ROWS)):
            mean = means[i]
            rstd = rstds[i]
            base = i * n
            k = 0
            for q in range(0, n, BLOCK):
                parts[k], products[k] = _block_grad_sums(g, w, x, base + q, q, min(BLOCK, n - q), mean, rstd)
                k += 1
            a = _cascade(parts, k, stack) / count
            c = _cascade(products, k, stack) / count
            for j in range(n):
                gj = g[uintp(base + j)]
                z = (x[uintp(base + j)] - mean) * rstd
                gx[uintp(base + j)] = rstd * (gj * w[uintp(j)] - a - z * c)
                gz[uintp(j)] += gj * z
                gb[uintp(j)] += gj


def layer_norm_rows(x, n, weight, bias, eps):
    """torch's layer norm of each row of n values of the C-contiguous array x (float32 or float64):
    (out, mean, rstd), out of x's shape, mean and rstd of x.size // n values in x's dtype.
    ``weight`` and ``bias``: arrays of n values in x's dtype, or None (1 and 0)."""
    m = x.size // n
    w = np.ones(n, x.dtype) if weight is None else np.ascontiguousarray(weight).reshape(-1)
    b = np.zeros(n, x.dtype) if bias is None else np.ascontiguousarray(bias).reshape(-1)
    out = np.empty(x.shape, x.dtype)
    means, rstds = np.empty((2, m), x.dtype)
    _parallel(_layer_norm_rows, m, x.size, x.reshape(-1), n, w, b, float(eps), out.reshape(-1), means, rstds)
    return out, means, rstds


def layer_norm_grad_rows(g, x, n, weight, means, rstds):
    """The gradients of layer_norm_rows's out for the upstream gradient g (C-contiguous, x's shape
    and dtype): (input's gradient, weight's, bias's), the last two as n values in x's dtype, summed
    over chunks of COLUMN_ROWS rows in x's dtype, then over the chunks in float64 (the same bits
    for any number of threads). Each a fresh array (autograd keeps it as .grad, uncopied)."""
    m = x.size // n
    w = np.ones(n, x.dtype) if weight is None else np.ascontiguousarray(weight).reshape(-1)
    gx = np.empty(x.shape, x.dtype)
    chunks = -(-m // COLUMN_ROWS)
    chunk_sums = np.empty((chunks, 2, n), x.dtype)
    _parallel(_layer_norm_grad_rows, chunks, x.size, g.reshape(-1), x.reshape(-1), n, m, w, means, rstds,
              gx.reshape(-1), chunk_sums)
    columns = chunk_sums.sum(0, dtype=np.float64).astype(x.dtype)
    return gx, columns[0].copy(), columns[1].copy()
