"""Op table: complex numbers (ops/complex.py) and the arithmetic, math, reductions and products
that accept complex inputs, in complex64 and complex128.

The entries named ``<op>.complex`` run an op that also has a real entry on complex samples: its
forward, its gradient under torch's convention (the cotangents are complex), grad-of-grad and a
numerical gradcheck that perturbs each complex input along both real directions. Samples keep
away from the branch cuts and zeros where the derivative does not exist (log, sqrt, angle, abs at
0, division by 0).
"""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes, shapes

COMPLEX = ("complex64", "complex128")
REAL = ("float32", "float64")


def complex_arrays(dtype, shape, low=-2.0, high=2.0, *, min_abs=0.0, cut=False):
    """A complex array of ``dtype`` (real and imaginary parts drawn in [low, high]); ``min_abs``
    keeps |z| above it, ``cut`` keeps z off the negative real axis (log's and sqrt's branch cut)."""
    n = int(np.prod(shape)) if shape else 1
    parts = st.lists(st.floats(low, high, width=32), min_size=2 * n, max_size=2 * n)

    def build(values):
        values = np.asarray(values, np.float64).reshape(tuple(shape) + (2,))
        z = values[..., 0] + 1j * values[..., 1]
        small = np.abs(z) < min_abs
        z = np.where(small, min_abs * (1 + 1j), z)
        if cut:   # mirror points near the negative real axis into the right half-plane
            z = np.where((z.real < 0) & (np.abs(z.imag) < 0.2), -z.real + 1j * z.imag, z)
        return z.astype(dtype)
    return parts.map(build)


def _unary(min_side=0, **kw):
    def strategy(dtype):
        return shapes(max_dims=3, min_side=min_side, max_side=4).flatmap(lambda s: complex_arrays(dtype, s, **kw)).map(
            lambda x: Sample((x,)))
    return strategy


def _binary(second=None, **kw):
    def strategy(dtype):
        return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
            complex_arrays(dtype, s[0], **kw), complex_arrays(dtype, s[1], **(second or kw)))).map(Sample)
    return strategy


def _with_number(numbers, **kw):
    def strategy(dtype):
        return st.tuples(shapes(max_dims=2).flatmap(lambda s: complex_arrays(dtype, s, **kw)),
                         st.sampled_from(numbers)).map(Sample)
    return strategy


def _real_pair(low=-3.0, high=3.0):
    def strategy(dtype):
        part = st.floats(low, high, width=32)
        return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
            *(st.lists(part, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))).map(
                lambda v, shape=shape: np.asarray(v, dtype).reshape(shape)) for shape in s))).map(Sample)
    return strategy


def _matmul_sample(dtype):
    sizes = st.integers(1, 4)
    return st.tuples(st.sampled_from(["mm", "mv", "dot", "bmm"]), sizes, sizes, sizes).flatmap(
        lambda k: st.tuples(complex_arrays(dtype, {"mm": (k[1], k[2]), "mv": (k[1], k[2]), "dot": (k[2],),
                                                   "bmm": (2, k[1], k[2])}[k[0]]),
                            complex_arrays(dtype, {"mm": (k[2], k[3]), "mv": (k[2],), "dot": (k[2],),
                                                   "bmm": (2, k[2], k[3])}[k[0]]))).map(Sample)


def _view_as_complex_sample(dtype):
    """A real array whose last dim holds (real, imaginary) pairs."""
    def sample(shape):
        n = 2 * int(np.prod(shape))
        return st.lists(st.floats(-3, 3, width=32), min_size=n, max_size=n).map(
            lambda v: Sample((np.asarray(v, dtype).reshape(tuple(shape) + (2,)),)))
    return shapes(max_dims=2).flatmap(sample)


def _reduction_sample(dtype):
    return shapes(1, 3, 1, 4).flatmap(lambda s: st.tuples(complex_arrays(dtype, s), st.sampled_from(
        [None, 0, -1, (0,)] if len(s) else [None]), st.booleans())).map(
        lambda a: Sample((a[0],), {} if a[1] is None else {"dim": a[1], "keepdim": a[2]}))


def _real_unary(dtype):
    """Real samples away from 0, where a real number's angle jumps from pi to 0."""
    return shapes(max_dims=2).flatmap(lambda s: arrays(dtype, s, exclude_near=(0.0,), margin=0.05)).map(
        lambda x: Sample((x,)))


def _checkerboard(lib, a, b):
    """A fixed condition for where over a and b's broadcast shape (not drawn from the values, so
    that a gradcheck's perturbation never flips it)."""
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    return lib.tensor(np.indices(shape).sum(0) % 2 == 0 if shape else np.bool_(True))


def _entry(name, op, ref, sample, dtypes=COMPLEX, **kw):
    return OpInfo(name, op, ref, sample, dtypes=dtypes, **kw)


_AWAY = dict(min_abs=0.3)
OPS = [
    # -- taking complex numbers apart and building them ------------------------------------------
    _entry("real", minigrad.real, torch.real, _unary()),
    _entry("imag", minigrad.imag, torch.imag, _unary()),
    _entry("view_as_real", minigrad.view_as_real, torch.view_as_real, _unary(min_side=1),
           notes="no empty samples: torch's own backward rejects an empty view_as_real"),
    _entry("view_as_complex", minigrad.view_as_complex, torch.view_as_complex, _view_as_complex_sample, dtypes=REAL),
    _entry("conj", minigrad.conj, torch.conj, _unary(),
           notes="minigrad materialises the conjugate (torch sets a lazy bit); values and gradients agree"),
    _entry("conj_physical", minigrad.conj_physical, torch.conj_physical, _unary()),
    _entry("resolve_conj", lambda z: minigrad.resolve_conj(minigrad.conj(z)),
           lambda z: torch.resolve_conj(torch.conj(z)), _unary()),
    _entry("resolve_neg", lambda z: minigrad.resolve_neg(-z), lambda z: torch.resolve_neg(-z), _unary()),
    _entry("angle", minigrad.angle, torch.angle, _unary(min_abs=0.3, cut=True)),
    _entry("angle.real", minigrad.angle, torch.angle, _real_unary, dtypes=REAL),
    _entry("complex", minigrad.complex, torch.complex, _real_pair(), dtypes=REAL),
    _entry("polar", minigrad.polar, torch.polar, _real_pair(0.25, 3.0), dtypes=REAL),
    # -- the ops that accept complex inputs, on complex samples ----------------------------------
    _entry("add.complex", lambda a, b: minigrad.add(a, b, alpha=2 - 1j), lambda a, b: torch.add(a, b, alpha=2 - 1j),
           _binary()),
    _entry("sub.complex", minigrad.sub, torch.sub, _binary()),
    _entry("mul.complex", minigrad.mul, torch.mul, _binary()),
    _entry("mul_number.complex", minigrad.mul, torch.mul, _with_number([2.5, -1, 1j, 0.5 - 2j])),
    _entry("div.complex", minigrad.div, torch.div, _binary(second=_AWAY)),
    _entry("rdiv_number.complex", lambda z, c: c / z, lambda z, c: c / z, _with_number([2.0, 1 + 1j], **_AWAY)),
    _entry("neg.complex", minigrad.neg, torch.neg, _unary()),
    _entry("pow.complex", minigrad.pow, torch.pow, _binary(second=dict(low=-1.5, high=1.5, min_abs=0.3), min_abs=0.3, cut=True)),
    _entry("pow_number.complex", minigrad.pow, torch.pow, _with_number([2, 0.5, -1.5, 1 - 0.5j], min_abs=0.3,
                                                                       cut=True)),
    _entry("exp.complex", minigrad.exp, torch.exp, _unary()),
    _entry("log.complex", minigrad.log, torch.log, _unary(min_abs=0.3, cut=True)),
    _entry("sqrt.complex", minigrad.sqrt, torch.sqrt, _unary(min_abs=0.3, cut=True)),
    _entry("reciprocal.complex", minigrad.reciprocal, torch.reciprocal, _unary(**_AWAY)),
    _entry("abs.complex", minigrad.abs, torch.abs, _unary(**_AWAY)),
    _entry("sum.complex", minigrad.sum, torch.sum, _reduction_sample),
    _entry("mean.complex", minigrad.mean, torch.mean, _reduction_sample),
    _entry("matmul.complex", minigrad.matmul, torch.matmul, _matmul_sample),
    _entry("where.complex", lambda a, b: minigrad.where(_checkerboard(minigrad, a, b), a, b),
           lambda a, b: torch.where(_checkerboard(torch, a, b), a, b), _binary()),
]

ERRORS = [
    ErrorCase("imag_of_real", lambda lib: lib.imag(lib.ones(2)), ("imag",)),
    ErrorCase("view_as_real_of_real", lambda lib: lib.view_as_real(lib.ones(2)), ("complex",)),
    ErrorCase("view_as_complex_last_dim", lambda lib: lib.view_as_complex(lib.ones(3)), ("last dimension",)),
    ErrorCase("view_as_complex_stride", lambda lib: lib.view_as_complex(lib.ones(2, 4)[:, ::2]), ("stride",)),
    ErrorCase("view_as_complex_offset", lambda lib: lib.view_as_complex(lib.ones(2, 4)[:, 1:3]), ("storage_offset",)),
    ErrorCase("view_as_complex_int", lambda lib: lib.view_as_complex(lib.ones(2, dtype=lib.int64)), ("floating",)),
    ErrorCase("complex_mixed_dtypes", lambda lib: lib.complex(lib.ones(2), lib.ones(2, dtype=lib.float64)),
              ("Float", "Double")),
    ErrorCase("complex_int", lambda lib: lib.complex(lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.int64)),
              ("Long",)),
    ErrorCase("polar_mixed_dtypes", lambda lib: lib.polar(lib.ones(2), lib.ones(2, dtype=lib.float64)), ("Double",)),
    ErrorCase("lt_complex", lambda lib: lib.tensor([1j]) < lib.tensor([2j]), ("Complex",)),
]
