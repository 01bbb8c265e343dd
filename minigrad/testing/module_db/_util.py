"""Input helpers shared by the module table's family files."""
import numpy as np


def normal(*shape):
    """Standard normal inputs of this shape."""
    return lambda rng: (rng.standard_normal(shape),)


def away_from_kinks(*shape, low=-4.0, high=4.0):
    """Uniform inputs kept 0.05 away from 0, where activations have their kinks."""
    def draw(rng):
        x = rng.uniform(low, high, shape)
        x[np.abs(x) < 0.05] = 0.5
        return (x,)
    return draw
