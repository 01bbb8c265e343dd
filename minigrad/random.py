"""minigrad's own random number generator (reproducible, not torch's random streams)."""
from __future__ import annotations

import numpy as np


class Generator:
    """``minigrad.Generator``: a seeded NumPy PCG64 stream with torch's method names."""

    def __init__(self, device="cpu"):
        self._seed = 0
        self.np = np.random.Generator(np.random.PCG64(0))

    def manual_seed(self, seed: int) -> Generator:
        """Seed the stream. Accepts what torch accepts, any int in [-2**63, 2**64 - 1]; a negative
        seed is taken modulo 2**64 (``initial_seed()`` then reports that, as torch's does)."""
        seed = _seed_in_torch_range(seed)
        self._seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(s)
        return s

    def get_state(self):
        """The generator state as a uint8 tensor, like torch's (a JSON-free, pickle-free encoding)."""
        from .tensor import Tensor
        st = self.np.bit_generator.state["state"]
        words = [st["state"], st["inc"], self.np.bit_generator.state["has_uint32"],
                 self.np.bit_generator.state["uinteger"]]
        raw = b"".join(int(w).to_bytes(16, "little") for w in words)
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state) -> Generator:
        raw = bytes(np.asarray(state, dtype=np.uint8))
        words = [int.from_bytes(raw[i:i + 16], "little") for i in range(0, 64, 16)]
        bg = np.random.PCG64()
        bg.state = {"bit_generator": "PCG64", "state": {"state": words[0], "inc": words[1]},
                    "has_uint32": words[2], "uinteger": words[3]}
        self.np = np.random.Generator(bg)
        return self


def _seed_in_torch_range(seed) -> int:
    """``seed`` as the unsigned 64-bit value torch stores; ValueError outside torch's range."""
    seed = int(seed)
    if not -2 ** 63 <= seed < 2 ** 64:
        raise ValueError(f"Overflow when unpacking long long: seed {seed} is outside [-2**63, 2**64 - 1], "
                         "the range torch.manual_seed accepts")
    return seed % 2 ** 64


default_generator = Generator()


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
    return (generator or default_generator).np


def uniform_like(t, a, b, generator=None):
    from .tensor import Tensor
    return Tensor._make(rng(generator).uniform(a, b, size=t.shape).astype(t._data.dtype))


def normal_like(t, mean, std, generator=None):
    from .tensor import Tensor
    return Tensor._make((rng(generator).standard_normal(size=t.shape) * std + mean).astype(t._data.dtype))


# Draws are made in float64 (the stream every seed's numbers come from) and cast into the
# requested dtype chunk by chunk, so that a float32 tensor costs its own size plus one chunk,
# not a float64 copy twice its size. The values are those of one float64 draw cast at once:
# NumPy's generators consume the bit stream sequentially, whatever the chunking.
_CHUNK = 1 << 20   # values per float64 draw (8 MiB)


def _draw(draw, shape, dtype):
    """An array of ``shape`` and ``dtype`` filled by ``draw(n)`` (n float64 values at a time)."""
    dtype = np.dtype(dtype)
    try:
        out = np.empty(shape, dtype)
    except MemoryError:   # torch's allocator raises RuntimeError, naming the bytes asked for
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        raise RuntimeError(f"can't allocate memory: you tried to allocate {nbytes} bytes "
                           f"({nbytes / 2 ** 30:.1f} GiB) for a {dtype.name} tensor of shape {tuple(shape)}") from None
    flat = out.reshape(-1)         # a view: out is contiguous
    for start in range(0, flat.size, _CHUNK):
        flat[start:start + _CHUNK] = draw(min(_CHUNK, flat.size - start))   # cast on assignment
    return out


def standard_normal(shape, dtype, generator=None) -> np.ndarray:
    """N(0, 1) samples of ``shape`` in ``dtype`` from ``generator``'s stream (randn's draw)."""
    stream = rng(generator)
    return _draw(lambda n: stream.standard_normal(n), shape, dtype)


def uniform01(shape, dtype, generator=None) -> np.ndarray:
    """U[0, 1) samples of ``shape`` in ``dtype`` from ``generator``'s stream (rand's draw)."""
    stream = rng(generator)
    return _draw(lambda n: stream.random(n, dtype=np.float64), shape, dtype)
