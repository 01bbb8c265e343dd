"""minigrad's own random number generator (reproducible, not torch's random streams)."""
from __future__ import annotations

import numpy as np


class Generator:
    """``minigrad.Generator``: a seeded NumPy PCG64 stream with torch's method names."""

    def __init__(self, device="cpu"):
        self._seed = 0
        self.np = np.random.Generator(np.random.PCG64(0))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.np = np.random.Generator(np.random.PCG64(int(seed)))
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
