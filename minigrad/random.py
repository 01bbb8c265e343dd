"""torch's CPU random number generator: the same seed gives the same numbers as torch's.

A Generator is torch's ``CPUGeneratorImpl``: an mt19937 engine seeded from the low 32 bits of the
seed, plus the cached second sample of the serial Box-Muller transform. Its draws go through the
Numba kernels of ``minigrad.kernels.mt19937`` (loaded on the first draw, so ``import minigrad``
loads no Numba), which reproduce torch's transforms for rand, randn, randint, randperm, uniform_,
normal_ and bernoulli_. ``get_state`` writes torch's own state layout (5056 bytes), so a state
moves between minigrad and torch in both directions. docs/parity.md lists what matches where.
"""
from __future__ import annotations

import os
import struct

import numpy as np

DEFAULT_SEED = 67280421310721          # torch's seed for a new Generator (default_rng_seed_val)
_STATE_WORDS = 626                     # mt19937's 624 words, then ``left`` and ``next``
_STATE_BYTES = 5056                    # sizeof(CPUGeneratorImplState)
_LEGACY_STATE_BYTES = 5048             # sizeof(THGeneratorState), which torch also accepts
# CPUGeneratorImplState: the_initial_seed, left, seeded, next, state[624] (as uint64),
# normal_x, normal_y, normal_rho, normal_is_valid, then the float sample and its flag.
_LAYOUT = struct.Struct("<QiiQ624Qdddi4xf?3x")

_kernels = None


def kernels():
    """The Numba kernels (imported on the first draw)."""
    global _kernels
    if _kernels is None:
        from .kernels import mt19937
        _kernels = mt19937
    return _kernels


def _mt19937_state(seed: int) -> np.ndarray:
    """``mt19937(seed)``: Knuth's initialisation from the seed's low 32 bits; left = 1, next = 0."""
    words = np.empty(_STATE_WORDS, dtype=np.uint32)
    x = seed & 0xFFFFFFFF
    words[0] = x
    for j in range(1, 624):
        x = (1812433253 * (x ^ (x >> 30)) + j) & 0xFFFFFFFF
        words[j] = x
    words[624], words[625] = 1, 0
    return words


class Generator:
    """``minigrad.Generator``: torch's CPU generator (mt19937), with torch's methods."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Seed the stream. Accepts what torch accepts, any int in [-2**63, 2**64 - 1]; a negative
        seed is taken modulo 2**64 (``initial_seed()`` then reports that, as torch's does). The
        engine uses the low 32 bits, as torch's does."""
        seed = _seed_in_torch_range(seed)
        self._seed = seed
        self._mt = _mt19937_state(seed)
        self._normal_cache = np.zeros(2)     # the cached N(0, 1) sample and whether it is valid
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Seed from the operating system's entropy, and return that seed."""
        s = int.from_bytes(os.urandom(8), "little") % 2 ** 63
        self.manual_seed(s)
        return s

    def get_state(self):
        """The generator state as a uint8 tensor in torch's byte layout (torch.Generator.set_state
        accepts it, and this accepts torch's)."""
        from .tensor import Tensor
        mt = self._mt
        raw = _LAYOUT.pack(self._seed, int(mt[624]), 1, int(mt[625]), *mt[:624].tolist(),
                           0.0, float(self._normal_cache[0]) if self._normal_cache[1] else 0.0, 0.0,
                           int(bool(self._normal_cache[1])), 0.0, False)
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state) -> Generator:
        raw = bytes(np.asarray(state.numpy() if hasattr(state, "numpy") else state, dtype=np.uint8).reshape(-1))
        if len(raw) == _LEGACY_STATE_BYTES:
            raw = raw + bytes(_STATE_BYTES - _LEGACY_STATE_BYTES)
        if len(raw) != _STATE_BYTES:
            raise RuntimeError("Expected either a THGeneratorState of size 5048 or a CPUGeneratorImplState of "
                               f"size 5056 but found the input RNG state size to be {len(raw)}")
        fields = _LAYOUT.unpack(raw)
        seed, left, _, nxt = fields[:4]
        normal_y, normal_valid = fields[629], fields[631]
        if not 1 <= left <= 624 or nxt > 624:
            raise RuntimeError("The input RNG state is invalid: its mt19937 position is out of range")
        mt = np.empty(_STATE_WORDS, dtype=np.uint32)
        mt[:624] = np.array(fields[4:628], dtype=np.uint64).astype(np.uint32)
        mt[624], mt[625] = left, nxt
        self._seed, self._mt = seed, mt
        self._normal_cache = np.array([normal_y, 1.0 if normal_valid else 0.0])
        return self

    def random64(self) -> int:
        """One ``random64()`` word (two engine words)."""
        return int(kernels().random64(self._mt))

    @property
    def np(self) -> np.random.Generator:
        """A NumPy generator seeded with this generator's next 64 random bits: for NumPy-side draws
        that have no torch counterpart. Each access advances this generator, so its state still
        describes everything drawn from it."""
        return np.random.Generator(np.random.PCG64(self.random64()))


def _seed_in_torch_range(seed) -> int:
    """``seed`` as the unsigned 64-bit value torch stores; ValueError outside torch's range."""
    seed = int(seed)
    if not -2 ** 63 <= seed < 2 ** 64:
        raise ValueError(f"Overflow when unpacking long long: seed {seed} is outside [-2**63, 2**64 - 1], "
                         "the range torch.manual_seed accepts")
    return seed % 2 ** 64


default_generator = Generator()
default_generator.seed()        # torch seeds its default generator from entropy at start-up


def manual_seed(seed: int) -> Generator:
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def rng(generator=None) -> np.random.Generator:
    """A NumPy generator drawn from ``generator`` (or the default one): see ``Generator.np``."""
    return (generator or default_generator).np


# -- torch's draws --------------------------------------------------------------------------------
def _empty(shape, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    try:
        return np.empty(shape, dtype)
    except MemoryError:   # torch's allocator raises RuntimeError, naming the bytes asked for
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        raise RuntimeError(f"can't allocate memory: you tried to allocate {nbytes} bytes "
                           f"({nbytes / 2 ** 30:.1f} GiB) for a {dtype.name} tensor of shape {tuple(shape)}") from None


def _avx2_normal() -> bool:
    """Whether torch's float32 normal_fill here is its AVX2 kernel (avx_mathfun's polynomials) or
    the scalar one (libm). torch runs the AVX2 kernel on x86 CPUs with AVX2 and FMA (AVX-512 ones
    too: normal has no AVX-512 kernel), unless ATEN_CPU_CAPABILITY=default."""
    forced = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    if forced:
        return forced != "default"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = line.split()
                    return "avx2" in flags and "fma" in flags
    except OSError:
        pass
    try:
        import llvmlite.binding as llvm
        features = llvm.get_host_cpu_features()
        return bool(features.get("avx2")) and bool(features.get("fma"))
    except Exception:
        return False


_AVX2_NORMAL = None


def _flat_view(array: np.ndarray) -> np.ndarray:
    """``array``'s elements in the order torch's TensorIterator visits them: memory order (axes
    by decreasing stride), as a 1-D array that writes through to ``array`` when it can."""
    order = sorted(range(array.ndim), key=lambda a: -abs(array.strides[a]))
    return array.transpose(order).reshape(-1)


def fill_uniform(array: np.ndarray, low, high, generator=None) -> np.ndarray:
    """``uniform_(low, high)`` into ``array`` (float16/32/64), in torch's order; returns it."""
    gen = generator or default_generator
    flat = _flat_view(array)
    if array.dtype == np.float64:
        kernels().uniform_double(gen._mt, flat, float(low), float(high))
    else:
        # float16 is drawn as float32 (torch's opmath type), then narrowed
        buf = flat if array.dtype == np.float32 else np.empty(flat.size, np.float32)
        kernels().uniform_float(gen._mt, buf, np.float32(low), np.float32(high))
        flat[...] = buf
    # a value that rounds up to ``high`` (mostly float16's narrowing) becomes ``low``, as torch's
    # kernel keeps to [low, high)
    flat[flat >= array.dtype.type(high)] = array.dtype.type(low)
    _write_back(array, flat)
    return array


def fill_normal(array: np.ndarray, mean, std, generator=None, contiguous=None) -> np.ndarray:
    """``normal_(mean, std)`` into ``array``: torch's normal_fill for 16 or more contiguous
    elements, its serial Box-Muller (normal_distribution<double>) otherwise; returns it.
    ``contiguous``: whether the tensor being filled is (default: whether ``array`` is)."""
    global _AVX2_NORMAL
    gen = generator or default_generator
    k = kernels()
    flat = _flat_view(array)
    contiguous = array.flags.c_contiguous if contiguous is None else contiguous
    if array.size >= 16 and contiguous:
        if _AVX2_NORMAL is None:
            _AVX2_NORMAL = _avx2_normal()
        if array.dtype == np.float64:
            k.normal_fill_double(gen._mt, flat, float(mean), float(std))
        elif array.dtype == np.float32:
            k.normal_fill_float(gen._mt, flat, np.float32(mean), np.float32(std), _AVX2_NORMAL)
        else:
            # float16: torch fills 16 floats at a time (whole blocks, then one fresh block for
            # the last 16 elements), so it draws 16 per block and no words for a remainder
            n, whole = flat.size, flat.size // 16 * 16
            blocks = np.empty(-(-n // 16) * 16, np.float32)
            k.normal_fill_float(gen._mt, blocks, np.float32(mean), np.float32(std), _AVX2_NORMAL)
            flat[:whole] = blocks[:whole]
            flat[n - 16:] = blocks[blocks.size - 16:]
    else:
        buf = flat if array.dtype == np.float64 else np.empty(flat.size, np.float64)
        k.normal_serial(gen._mt, gen._normal_cache, buf, float(mean), float(std))
        flat[...] = buf
    _write_back(array, flat)
    return array


def fill_random_from_to(array: np.ndarray, low: int, high: int, generator=None, wide=None) -> np.ndarray:
    """``random_(low, high)`` into ``array``: (word % (high - low)) + low, with 64-bit words when
    the span is 2**32 or more and the dtype is int64 or floating (as torch's kernel), or as
    ``wide`` says."""
    gen = generator or default_generator
    span = int(high) - int(low)
    if wide is None:
        wide = span >= 2 ** 32 and array.dtype in (np.int64, np.float64, np.float32)
    flat = _flat_view(array)
    buf = flat if flat.dtype == np.int64 else np.empty(flat.size, np.int64)
    kernels().random_from_to(gen._mt, buf, np.uint64(span), np.int64(low), wide)
    flat[...] = buf
    _write_back(array, flat)
    return array


def fill_bernoulli(array: np.ndarray, p, generator=None) -> np.ndarray:
    """``bernoulli_(p)``: p a number (a double draw < p) or an array broadcast to ``array``
    (float64 p: double draws; float32 p: float draws), as torch's non-MKL kernels."""
    gen = generator or default_generator
    flat = _flat_view(array)
    buf = np.empty(flat.size, np.float64)
    if isinstance(p, np.ndarray):
        probs = _flat_view(np.ascontiguousarray(np.broadcast_to(p, array.shape)))
        if p.dtype == np.float64:
            kernels().bernoulli_double_p(gen._mt, buf, probs)
        else:
            kernels().bernoulli_float_p(gen._mt, buf, probs.astype(np.float32))
    else:
        kernels().bernoulli_scalar(gen._mt, buf, float(p))
    flat[...] = buf
    _write_back(array, flat)
    return array


def fill_exponential(array: np.ndarray, lambd, generator=None) -> np.ndarray:
    """``exponential_(lambd)`` into ``array``: -1 / lambd * log1p(-u) from double draws."""
    gen = generator or default_generator
    flat = _flat_view(array)
    buf = flat if flat.dtype == np.float64 else np.empty(flat.size, np.float64)
    kernels().exponential(gen._mt, buf, float(lambd))
    flat[...] = buf
    _write_back(array, flat)
    return array


def multinomial(probs: np.ndarray, num_samples: int, replacement: bool = False, generator=None) -> np.ndarray:
    """torch's CPU multinomial over the last axis of a 1-D or 2-D array of weights: int64 indices.

    Without replacement, or for a single sample, torch takes the top ``num_samples`` of
    probs / q with q ~ Exp(1) drawn for every weight (the Gumbel trick); with replacement, a
    binary search of each double draw in the row's normalised running sum."""
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, but got {probs.ndim}")
    from . import dtypes
    if not dtypes.is_floating(probs.dtype):
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {probs.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (got {num_samples})")
    n_cat = probs.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = probs.reshape(-1, n_cat)
    if not replacement or num_samples == 1:
        if not (np.all(rows < np.inf) and np.all(rows >= 0)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(rows.sum(axis=1) == 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = fill_exponential(np.empty(rows.shape, probs.dtype), 1.0, generator)
        keys = rows / q
        chosen = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        if np.any(rows < 0):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not np.all(np.isfinite(rows)):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        if np.any(rows.sum(axis=1) <= 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        gen = generator or default_generator
        chosen = np.empty((rows.shape[0], num_samples), np.int64)
        weights = rows.astype(np.float32) if rows.dtype == np.float16 else np.ascontiguousarray(rows)
        kernels().multinomial_with_replacement(gen._mt, weights, int(num_samples), chosen)
    return chosen.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,))


def _write_back(array, flat):
    """Copy ``flat`` into ``array`` when ``_flat_view`` had to copy (an array NumPy cannot
    flatten in place)."""
    if not np.shares_memory(array, flat):
        order = sorted(range(array.ndim), key=lambda a: -abs(array.strides[a]))
        array.transpose(order)[...] = flat.reshape([array.shape[a] for a in order])


def uniform(shape, dtype, low=0.0, high=1.0, generator=None) -> np.ndarray:
    """U[low, high) samples of ``shape`` in ``dtype`` (rand's draw), torch's numbers."""
    return fill_uniform(_empty(shape, dtype), low, high, generator)


def normal(shape, dtype, mean=0.0, std=1.0, generator=None) -> np.ndarray:
    """N(mean, std) samples of ``shape`` in ``dtype`` (randn's draw), torch's numbers."""
    return fill_normal(_empty(shape, dtype), mean, std, generator)


def uniform01(shape, dtype, generator=None) -> np.ndarray:
    return uniform(shape, dtype, 0.0, 1.0, generator)


def standard_normal(shape, dtype, generator=None) -> np.ndarray:
    return normal(shape, dtype, 0.0, 1.0, generator)


def randint(low: int, high: int, shape, dtype, generator=None) -> np.ndarray:
    return fill_random_from_to(_empty(shape, dtype), low, high, generator)


def randperm(n: int, dtype, generator=None) -> np.ndarray:
    """torch's randperm on the CPU: a shuffle of 0..n-1 (see kernels.mt19937.randperm)."""
    gen = generator or default_generator
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    out = np.empty(n, np.int64)
    kernels().randperm(gen._mt, int(n), out)
    return out.astype(dtype, copy=False)


def _like(t):
    """An empty array with ``t``'s shape, dtype and memory order (so draws land in torch's order)."""
    return np.empty_like(np.asarray(t._data))


def _as_tensor_of(t, array):
    from .tensor import Tensor
    return Tensor._make(array)


def uniform_like(t, a, b, generator=None):
    """The values ``t.uniform_(a, b)`` writes."""
    if not a <= b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return _as_tensor_of(t, fill_uniform(_like(t), a, b, generator))


def normal_like(t, mean, std, generator=None):
    """The values ``t.normal_(mean, std)`` writes (torch's paths chosen by ``t``'s size and
    contiguity)."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    data = np.asarray(t._data)
    return _as_tensor_of(t, fill_normal(_like(t), mean, std, generator, contiguous=data.flags.c_contiguous))


def bernoulli_like(t, p, generator=None):
    """The values ``t.bernoulli_(p)`` writes: p a number or a tensor of probabilities."""
    if hasattr(p, "_data"):
        p = np.asarray(p._data)
        if p.dtype not in (np.float32, np.float64):
            p = p.astype(np.float32)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _as_tensor_of(t, fill_bernoulli(_like(t), p, generator))


def exponential_like(t, lambd, generator=None):
    """The values ``t.exponential_(lambd)`` writes."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _as_tensor_of(t, fill_exponential(_like(t), lambd, generator))


def random_like(t, low, high, generator=None):
    """The values ``t.random_(low, high)`` writes; ``t.random_()``'s when both are None: word %
    (max + 1) for integers, word % (2**digits + 1) for floats, the word 64 bits wide for int64
    and float64 (torch's uniform_int)."""
    if low is None and high is None:
        d = np.asarray(t._data).dtype
        if d == np.bool_:
            top = 1
        elif d.kind == "f":
            top = 2 ** (np.finfo(d).nmant + 1)
        else:
            top = int(np.iinfo(d).max)
        return _as_tensor_of(t, fill_random_from_to(_like(t), 0, top + 1, generator,
                                                    wide=d in (np.int64, np.float64)))
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _as_tensor_of(t, fill_random_from_to(_like(t), low, high, generator))


# -- distributions of Tensor methods and torch.normal / torch.poisson ------------------------------
def fill_log_normal(array: np.ndarray, mean, std, generator=None) -> np.ndarray:
    """``log_normal_(mean, std)``: exp of serial double normal draws (lognormal_distribution<double>)."""
    gen = generator or default_generator
    flat = _flat_view(array)
    buf = np.empty(flat.size, np.float64)
    kernels().normal_serial(gen._mt, gen._normal_cache, buf, float(mean), float(std))
    flat[...] = np.exp(buf)
    _write_back(array, flat)
    return array


def _double_uniform(n, generator=None) -> np.ndarray:
    """n draws of uniform_real_distribution<double>(0, 1), torch's order."""
    return fill_uniform(np.empty(n, np.float64), 0.0, 1.0, generator)


def fill_cauchy(array: np.ndarray, median, sigma, generator=None) -> np.ndarray:
    """``cauchy_(median, sigma)``: median + sigma tan(pi (u - 1/2)), u a double draw (cauchy_distribution<double>)."""
    flat = _flat_view(array)
    u = _double_uniform(flat.size, generator)
    flat[...] = median + sigma * np.tan(np.pi * (u - 0.5))
    _write_back(array, flat)
    return array


def fill_geometric(array: np.ndarray, p, generator=None) -> np.ndarray:
    """``geometric_(p)``: ceil(log(u) / log1p(-p)), u a double draw (geometric_distribution<double>)."""
    flat = _flat_view(array)
    u = _double_uniform(flat.size, generator)
    with np.errstate(divide="ignore"):
        flat[...] = np.ceil(np.log(u) / np.log1p(-p))
    _write_back(array, flat)
    return array


def log_normal_like(t, mean, std, generator=None):
    """The values ``t.log_normal_(mean, std)`` writes."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _as_tensor_of(t, fill_log_normal(_like(t), mean, std, generator))


def cauchy_like(t, median, sigma, generator=None):
    """The values ``t.cauchy_(median, sigma)`` writes."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    return _as_tensor_of(t, fill_cauchy(_like(t), median, sigma, generator))


def geometric_like(t, p, generator=None):
    """The values ``t.geometric_(p)`` writes."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _as_tensor_of(t, fill_geometric(_like(t), p, generator))


def _normal_op():
    from .ops._util import Op

    class NormalDraw(Op):
        """z = mean + std * N(0, 1) draws;  torch defines dz/dmean = dz/dstd = 0 (a sample, not a reparameterisation)"""

        node_name = "NormalBackward3"

        @staticmethod
        def forward(ctx, mean, std, draws):
            ctx.shapes = (np.shape(mean), np.shape(std))
            return (draws * std + mean).astype(draws.dtype, copy=False)

        @staticmethod
        def backward(ctx, g):
            from .tensor import Tensor
            return tuple(Tensor._make(np.zeros(s, dtype=g._data.dtype)) for s in ctx.shapes) + (None,)
    return NormalDraw


_NORMAL = None


def torch_normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
                 pin_memory=False, requires_grad=False):
    """``torch.normal`` (exported as ``minigrad.normal``; this module's ``normal`` is the array draw).

    Draws from N(mean, std): mean and std tensors (broadcast) or numbers (then ``size`` is needed).

    As torch's CPU kernel: standard normal draws for the output's shape (randn's numbers), then
    ``* std + mean``, so ``manual_seed(s); normal(m, sd)`` equals ``manual_seed(s); randn(shape) * sd + m``.
    Its gradient is zero for both mean and std, as torch defines it."""
    global _NORMAL
    from . import dtypes
    from .tensor import Tensor
    from .ops._util import overload
    if out is not None:   # draw in out's dtype (as torch's normal_out), then torch's out= rules
        from .ops._args import _write_out
        if dtype is None and isinstance(out, Tensor):
            dtype = out.dtype
        result = torch_normal(mean, std, size, generator=generator, dtype=dtype, device=device)
        return _write_out("normal", result, out)
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if (tm or ts) and layout is not None:   # torch's tensor overloads take no factory keywords
        raise TypeError("normal() received an invalid combination of arguments: layout= with a Tensor mean or std")
    from .sparse import strided
    if layout is not None and layout is not strided:
        raise NotImplementedError(f"Could not run 'aten::normal_' with arguments from the {layout} backend")
    if not tm and not ts:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: (float mean, float std) needs size")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        shape = tuple(size) if isinstance(size, (tuple, list)) else (int(size),)
        t = Tensor._make(fill_normal(_empty(shape, d.np), mean, std, generator))
        return t.requires_grad_() if requires_grad else t
    if ts:
        s = std._data
        if s.size and np.any(s < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    ref = mean if tm else std
    if not dtypes.is_floating(ref._data.dtype):
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{dtypes.scalar_name(ref._data.dtype)}'")
    shape = np.broadcast_shapes(np.shape(mean._data) if tm else (), np.shape(std._data) if ts else ())
    draws = fill_normal(_empty(shape, ref._data.dtype), 0.0, 1.0, generator)
    if _NORMAL is None:
        _NORMAL = _normal_op()
    m = mean if tm else Tensor._make(np.asarray(mean, dtype=ref._data.dtype))
    sd = std if ts else Tensor._make(np.asarray(std, dtype=ref._data.dtype))
    out_t = _NORMAL.apply(m, sd, draws)
    return overload(out_t, "NormalBackward3" if tm and ts else "NormalBackward1" if tm else "NormalBackward2")


def poisson(input, generator=None):
    """Poisson draws with rates ``input`` (no gradient). Drawn with NumPy's Poisson sampler from a
    stream seeded by the generator: the distribution is torch's, the numbers are not."""
    from . import dtypes
    from .tensor import Tensor
    rates = input._data
    if not dtypes.is_floating(rates.dtype):
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{dtypes.scalar_name(rates.dtype)}'")
    if rates.size and (np.any(rates < 0) or not np.all(np.isfinite(rates))):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return Tensor._make(rng(generator).poisson(rates.astype(np.float64)).astype(rates.dtype))
