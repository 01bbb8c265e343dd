"""torch's CPU random numbers, bit for bit: the mt19937 engine and the transforms of its kernels.

The engine is ``at::mt19937`` (ATen/core/MT19937RNGEngine.h) as ``CPUGeneratorImpl`` drives it:

* seeding keeps the low 32 bits of the seed (``init_with_uint32``), ``left = 1``, ``next = 0``;
* ``random()`` is one tempered 32-bit word; ``random64()`` is two words, the first one high.

Its whole state lives in one uint32 array ``mt`` of ``STATE_WORDS`` words: the 624 state words,
then ``left`` and ``next``. Every kernel takes that array and advances it in place, so a
Generator's state is one array to copy, save and restore.

The transforms are those of ATen/core/TransformationHelper.h, DistributionsHelper.h and
native/cpu/DistributionTemplates.h (uniform_real, random_from_to, normal_distribution<double>
with its cached second sample, normal_fill in blocks of 16, bernoulli, randperm). torch's x86
kernels are compiled with FMA contraction, so where its compiled code fuses a multiply and an add
into one rounding, the code below does too (``_fma``), and nowhere else.

The float32 ``normal_fill`` of torch's AVX2 kernels (the one x86 CPUs with AVX2 run, AVX-512 ones
included) does not call libm: it uses the Cephes polynomials of avx_mathfun.h (``log256_ps``,
``sincos256_ps``), ported below lane by lane.

Numba compiles these on first use (``cache=True`` keeps them); ``minigrad.random`` imports this
module only when a generator first draws.
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

N = 624                      # state words
M = 397                      # the twist's offset
STATE_WORDS = N + 2          # + left, next
LEFT, NEXT = N, N + 1        # where ``left`` and ``next`` live in ``mt``

# The kernels keep the GIL: a generator's state is advanced by one draw at a time, as torch's
# kernels hold the generator's mutex.
_jit = dict(cache=True)


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with one rounding (LLVM's llvm.fma, the hardware FMA where there is one)."""
    def codegen(context, builder, signature, args):
        ty = args[0].type
        name = "llvm.fma.f32" if ty == ir.FloatType() else "llvm.fma.f64"
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ty, [ty, ty, ty]), name)
        return builder.call(fn, args)
    return a(a, a, a), codegen


# -- the engine ---------------------------------------------------------------------------------
@njit(**_jit)
def _twist(u, v):
    mixed = (u & np.uint32(0x80000000)) | (v & np.uint32(0x7FFFFFFF))
    return (mixed >> np.uint32(1)) ^ (np.uint32(0x9908B0DF) if v & np.uint32(1) else np.uint32(0))


@njit(**_jit)
def _next_state(mt):
    for j in range(N - M):
        mt[j] = mt[j + M] ^ _twist(mt[j], mt[j + 1])
    for j in range(N - M, N - 1):
        mt[j] = mt[j + M - N] ^ _twist(mt[j], mt[j + 1])
    mt[N - 1] = mt[M - 1] ^ _twist(mt[N - 1], mt[0])
    mt[LEFT] = N
    mt[NEXT] = 0


@njit(**_jit)
def random32(mt):
    """``CPUGeneratorImpl::random()``: the next tempered 32-bit word (as a uint64)."""
    mt[LEFT] -= 1
    if mt[LEFT] == 0:
        _next_state(mt)
    y = np.uint64(mt[mt[NEXT]])
    mt[NEXT] += 1
    y ^= y >> np.uint64(11)
    y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    y ^= y >> np.uint64(18)
    return y & np.uint64(0xFFFFFFFF)


@njit(**_jit)
def random64(mt):
    """``CPUGeneratorImpl::random64()``: two words, the first in the high half."""
    hi = random32(mt)
    lo = random32(mt)
    return (hi << np.uint64(32)) | lo


@njit(**_jit)
def words(mt, out):
    """``out.size`` successive ``random()`` words in bulk, the same words and the same final
    state as that many ``random32`` calls: the state's unread words are tempered in one loop
    (which LLVM vectorises), and the twist runs whenever they run out."""
    i, n = 0, out.size
    while i < n:
        unread = np.int64(mt[LEFT]) - 1        # random32 twists when ``left`` drops to 0
        if unread == 0:
            _next_state(mt)
            unread = N
            mt[LEFT] = N + 1                   # so that ``left`` is 1 once all N are read
        take = min(unread, n - i)
        start = np.int64(mt[NEXT])
        for k in range(take):
            y = mt[start + k]
            y ^= y >> np.uint32(11)
            y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
            y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
            y ^= y >> np.uint32(18)
            out[i + k] = y
        mt[NEXT] = start + take
        mt[LEFT] -= take
        i += take


@njit(**_jit)
def fill_random32(mt, out):
    words(mt, out)


_CHUNK = 4096    # elements drawn per bulk call in the fills below (their words stay in L1)


# -- uniform ------------------------------------------------------------------------------------
@njit(**_jit)
def _unit_float(mt):
    """uniform_real<float>'s unit draw: 24 bits of one word, times 2**-24 (exact)."""
    return np.float32(random32(mt) & np.uint64(0xFFFFFF)) * np.float32(1.0 / 16777216.0)


@njit(**_jit)
def _unit_double(mt):
    """uniform_real<double>'s unit draw: 53 bits of random64, times 2**-53 (exact)."""
    return np.float64(random64(mt) & np.uint64(0x1FFFFFFFFFFFFF)) * (1.0 / 9007199254740992.0)


@njit(**_jit)
def unit_floats(mt, out):
    """out[i] = ``_unit_float`` draws, in order, their words taken in bulk."""
    buf = np.empty(_CHUNK, np.uint32)
    n = out.size
    for start in range(0, n, _CHUNK):
        count = min(_CHUNK, n - start)
        words(mt, buf[:count])
        for k in range(count):
            out[start + k] = np.float32(buf[k] & np.uint32(0xFFFFFF)) * np.float32(1.0 / 16777216.0)


@njit(**_jit)
def unit_doubles(mt, out):
    """out[i] = ``_unit_double`` draws, in order (random64's two words each, the first high)."""
    buf = np.empty(2 * _CHUNK, np.uint32)
    n = out.size
    for start in range(0, n, _CHUNK):
        count = min(_CHUNK, n - start)
        words(mt, buf[:2 * count])
        for k in range(count):
            word = (np.uint64(buf[2 * k]) << np.uint64(32)) | np.uint64(buf[2 * k + 1])
            out[start + k] = np.float64(word & np.uint64(0x1FFFFFFFFFFFFF)) * (1.0 / 9007199254740992.0)


@njit(**_jit)
def uniform_float(mt, out, low, high):
    """``uniform_`` on float32: x * (to - from) + from in float, one rounding (fused)."""
    span = np.float32(high) - np.float32(low)
    unit_floats(mt, out)
    for i in range(out.size):
        out[i] = _fma(out[i], span, np.float32(low))


@njit(**_jit)
def uniform_double(mt, out, low, high):
    """``uniform_`` on float64: x * (to - from) + from in double, one rounding (fused)."""
    span = high - low
    unit_doubles(mt, out)
    for i in range(out.size):
        out[i] = _fma(out[i], span, low)


# -- integers -----------------------------------------------------------------------------------
@njit(**_jit)
def random_from_to(mt, out, span, base, wide):
    """``random_(from, to)``: (word % span) + from, the word 64 bits wide when ``wide`` (torch
    draws random64 when span >= 2**32 for int64 and floating outputs) else 32."""
    span = np.uint64(span)
    for i in range(out.size):
        word = random64(mt) if wide else random32(mt)
        out[i] = np.int64(np.uint64(word % span) + np.uint64(base))   # wraps as torch's int64 sum


@njit(**_jit)
def randperm(mt, n, out):
    """``randperm_cpu``: Fisher-Yates from the front with random() % (n - i) below
    2**32 / 20, the inside-out shuffle with random64() % (i + 1) above."""
    if n < 214748364:
        for i in range(n):
            out[i] = i
        for i in range(n - 1):
            z = np.int64(random32(mt) % np.uint64(n - i))
            saved = out[i]
            out[i] = out[z + i]
            out[z + i] = saved
    else:
        for i in range(n):
            z = np.int64(random64(mt) % np.uint64(i + 1))
            out[i] = out[z]
            out[z] = i


# -- bernoulli ----------------------------------------------------------------------------------
@njit(**_jit)
def bernoulli_scalar(mt, out, p):
    """``bernoulli_(p)`` (the non-MKL kernel): a double unit draw < p."""
    units = np.empty(_CHUNK)
    n = out.size
    for start in range(0, n, _CHUNK):
        count = min(_CHUNK, n - start)
        unit_doubles(mt, units[:count])
        for k in range(count):
            out[start + k] = 1.0 if units[k] < p else 0.0


@njit(**_jit)
def bernoulli_double_p(mt, out, p):
    """``bernoulli_(p_tensor)`` with float64 probabilities: a double unit draw < p[i]."""
    for i in range(out.size):
        out[i] = 1.0 if _unit_double(mt) < p[i] else 0.0


@njit(**_jit)
def bernoulli_float_p(mt, out, p):
    """``bernoulli_(p_tensor)`` with float32 probabilities: a float unit draw < p[i]."""
    for i in range(out.size):
        out[i] = 1.0 if _unit_float(mt) < np.float32(p[i]) else 0.0


# -- exponential and multinomial ----------------------------------------------------------------
@njit(**_jit)
def exponential(mt, out, lambd):
    """``exponential_(lambd)`` (the non-MKL kernel): -1 / lambd * log1p(-u), u a double draw."""
    for i in range(out.size):
        out[i] = -1.0 / lambd * math.log1p(-_unit_double(mt))


@njit(**_jit)
def multinomial_with_replacement(mt, probs, n_sample, out):
    """``multinomial(probs, n, replacement=True)`` row by row: the running sum of a row (in the
    probabilities' dtype) divided by its total, the last bucket set to 1, then for each sample a
    double draw u and the first bucket whose cumulative probability is not below u."""
    rows, n_cat = probs.shape
    cum = np.empty(n_cat, probs.dtype)
    for i in range(rows):
        total = probs[i, 0] * 0          # zero in the row's dtype
        for j in range(n_cat):
            total += probs[i, j]
            cum[j] = total
        for j in range(n_cat):
            cum[j] /= total
        cum[n_cat - 1] = 1
        for j in range(n_sample):
            u = _unit_double(mt)
            left, right = 0, n_cat
            while right - left > 0:
                mid = left + (right - left) // 2
                if np.float64(cum[mid]) < u:
                    left = mid + 1
                else:
                    right = mid
            out[i, j] = left


# -- normal -------------------------------------------------------------------------------------
@njit(**_jit)
def normal_serial(mt, cache, out, mean, std):
    """``normal_distribution<double>`` per element (tensors under 16 elements, or not
    contiguous): Box-Muller on two double unit draws, the sine kept in ``cache`` for the next
    call (cache[0] is the value, cache[1] is 1 while it is valid), then x * std + mean."""
    for i in range(out.size):
        if cache[1] != 0.0:
            value = cache[0]
            cache[1] = 0.0
        else:
            u1 = _unit_double(mt)
            u2 = _unit_double(mt)
            radius = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            cache[0] = radius * math.sin(theta)
            cache[1] = 1.0
            value = radius * math.cos(theta)
        out[i] = _fma(value, std, mean)


@njit(**_jit)
def _box_muller_16_double(data, start, mean, std):
    """``normal_fill_16<double>``: pairs data[j] (u1) with data[j + 8] (u2) with libm's log, cos
    and sin."""
    for j in range(8):
        u1 = 1.0 - data[start + j]
        u2 = data[start + j + 8]
        radius = math.sqrt(-2.0 * math.log(u1))
        theta = 2.0 * math.pi * u2
        data[start + j] = _fma(radius * math.cos(theta), std, mean)
        data[start + j + 8] = _fma(radius * math.sin(theta), std, mean)


@njit(**_jit)
def _box_muller_16_float_libm(data, start, mean, std):
    """``NormalFill16<float>`` of torch's kernels without AVX2: float libm, theta in double,
    then fma(n, std, mean)."""
    for j in range(8):
        u1 = np.float32(1.0) - data[start + j]
        u2 = data[start + j + 8]
        radius = np.float32(math.sqrt(np.float32(-2.0) * np.float32(math.log(u1))))
        theta = np.float32(2.0 * math.pi * np.float64(u2))
        data[start + j] = _fma(radius * np.float32(math.cos(theta)), std, mean)
        data[start + j + 8] = _fma(radius * np.float32(math.sin(theta)), std, mean)


# avx_mathfun.h's constants (float32), spelled as in its source. They are written as strings so
# that Hypothesis, which seeds its float draws with the float literals of the modules loaded in
# the process, draws the same examples whether or not this module has been loaded.
_SQRTHF = np.float32("0.707106781186547524")
_LOG_P = (np.float32("7.0376836292E-2"), np.float32("-1.1514610310E-1"), np.float32("1.1676998740E-1"),
          np.float32("-1.2420140846E-1"), np.float32("1.4249322787E-1"), np.float32("-1.6668057665E-1"),
          np.float32("2.0000714765E-1"), np.float32("-2.4999993993E-1"), np.float32("3.3333331174E-1"))
_LOG_Q1 = np.float32("-2.12194440e-4")
_LOG_Q2 = np.float32("0.693359375")
_FOPI = np.float32("1.27323954473516")
_DP1 = np.float32("-0.78515625")
_DP2 = np.float32("-2.4187564849853515625e-4")
_DP3 = np.float32("-3.77489497744594108e-8")
_SINCOF = (np.float32("-1.9515295891E-4"), np.float32("8.3321608736E-3"), np.float32("-1.6666654611E-1"))
_COSCOF = (np.float32("2.443315711809948E-005"), np.float32("-1.388731625493765E-003"),
           np.float32("4.166664568298827E-002"))
_TWO_PI_F32 = np.float32(2.0 * math.pi)
_HALF = np.float32("0.5")
_ONE = np.float32("1.0")


@intrinsic
def _bits(typingctx, x):
    """A float32's bits as a uint32 (a register bitcast)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.uint32(types.float32), codegen


@intrinsic
def _from_bits(typingctx, b):
    """The float32 whose bits are the uint32 ``b``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.uint32), codegen


@njit(**_jit)
def _log256_ps(x):
    """One lane of avx_mathfun's log256_ps, with the multiply-adds torch's build fuses."""
    if not x > 0:                                   # x <= 0 (and NaN) give NaN
        return np.float32(np.nan)
    x = max(x, _from_bits(np.uint32(0x00800000)))   # no denormals
    bits = _bits(x)
    e = np.float32(np.int32(bits >> np.uint32(23)) - np.int32(0x7F)) + _ONE
    x = _from_bits((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000))   # mantissa in [0.5, 1)
    if x < _SQRTHF:                                 # x < sqrt(1/2): e -= 1, x = x + x - 1
        e = e - _ONE
        x = (x - _ONE) + x
    else:
        x = x - _ONE
    z = x * x
    y = _fma(_LOG_P[0], x, _LOG_P[1])
    y = _fma(y, x, _LOG_P[2])
    y = _fma(y, x, _LOG_P[3])
    y = _fma(y, x, _LOG_P[4])
    y = _fma(y, x, _LOG_P[5])
    y = _fma(y, x, _LOG_P[6])
    y = _fma(y, x, _LOG_P[7])
    y = _fma(y, x, _LOG_P[8])
    y = y * x
    y = _fma(y, z, e * _LOG_Q1)
    y = _fma(z, -_HALF, y)
    return _fma(e, _LOG_Q2, x + y)


@njit(**_jit)
def _sincos256_ps(x):
    """One lane of avx_mathfun's sincos256_ps (sin, cos), with the fused multiply-adds."""
    xbits = _bits(x)
    sign_sin = xbits & np.uint32(0x80000000)
    x = _from_bits(xbits & np.uint32(0x7FFFFFFF))
    j = (np.uint32(np.int32(x * _FOPI)) + np.uint32(1)) & np.uint32(0xFFFFFFFE)
    y = np.float32(np.int32(j))
    sign_sin ^= (j & np.uint32(4)) << np.uint32(29)
    sine_poly_first = (j & np.uint32(2)) == 0
    x = _fma(y, _DP1, x)
    x = _fma(y, _DP2, x)
    x = _fma(y, _DP3, x)
    sign_cos = (~(j - np.uint32(2)) & np.uint32(4)) << np.uint32(29)
    z = x * x
    c = _fma(_COSCOF[0], z, _COSCOF[1])
    c = _fma(c, z, _COSCOF[2])
    c = c * z
    c = _fma(c, z, -(z * _HALF))
    c = c + _ONE
    s = _fma(_SINCOF[0], z, _SINCOF[1])
    s = _fma(s, z, _SINCOF[2])
    s = s * z
    s = _fma(s, x, x)
    if sine_poly_first:
        sin_v, cos_v = s, c
    else:
        sin_v, cos_v = c, s
    return _from_bits(_bits(sin_v) ^ sign_sin), _from_bits(_bits(cos_v) ^ sign_cos)


@njit(**_jit)
def _box_muller_16_float_avx2(data, start, mean, std):
    """``normal_fill_16_AVX2``: 8 lanes of log256_ps / sincos256_ps, then fmadd(n, std, mean)."""
    for j in range(8):
        u1 = _ONE - data[start + j]
        u2 = data[start + j + 8]
        radius = np.float32(math.sqrt(np.float32(-2.0) * _log256_ps(u1)))
        sin_t, cos_t = _sincos256_ps(_TWO_PI_F32 * u2)
        data[start + j] = _fma(radius * cos_t, std, mean)
        data[start + j + 8] = _fma(radius * sin_t, std, mean)


@njit(**_jit)
def normal_fill_float(mt, out, mean, std, avx2):
    """``normal_fill`` on float32 (16 or more contiguous elements): unit draws for every element,
    Box-Muller on each block of 16, and, when the size is not a multiple of 16, 16 fresh draws
    for the last 16 elements (the earlier values there are overwritten)."""
    n = out.size
    mean = np.float32(mean)
    std = np.float32(std)
    unit_floats(mt, out)
    for block in range(n // 16):
        if avx2:
            _box_muller_16_float_avx2(out, block * 16, mean, std)
        else:
            _box_muller_16_float_libm(out, block * 16, mean, std)
    if n % 16:
        for i in range(n - 16, n):
            out[i] = _unit_float(mt)
        if avx2:
            _box_muller_16_float_avx2(out, n - 16, mean, std)
        else:
            _box_muller_16_float_libm(out, n - 16, mean, std)


@njit(**_jit)
def normal_fill_double(mt, out, mean, std):
    """``normal_fill`` on float64: as ``normal_fill_float`` with double draws and libm."""
    n = out.size
    unit_doubles(mt, out)
    for block in range(n // 16):
        _box_muller_16_double(out, block * 16, mean, std)
    if n % 16:
        for i in range(n - 16, n):
            out[i] = _unit_double(mt)
        _box_muller_16_double(out, n - 16, mean, std)
