"""Op table: torch.fft (ops/fft.py). Every transform on real and complex samples with drawn
sizes (``n``/``s``: padding and trimming), dims and norms; fftshift/ifftshift; the frequency
helpers have no gradient."""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays, shapes
from .complex import complex_arrays

REAL_AND_COMPLEX = ("float32", "float64", "complex64", "complex128")
REAL = ("float32", "float64")
NORMS = [None, "backward", "ortho", "forward"]
_REAL_ONLY = {"rfft", "rfft2", "rfftn", "ihfft", "ihfft2", "ihfftn"}


def _signal(dtype, shape):
    if np.dtype(dtype).kind == "c":
        return complex_arrays(dtype, shape)
    return arrays(dtype, shape)


def _one_dim(dtype, min_side=1):
    return shapes(1, 3, min_side, 5).flatmap(lambda s: st.tuples(
        _signal(dtype, s), st.none() | st.integers(1, 8), st.integers(-len(s), len(s) - 1),
        st.sampled_from(NORMS))).map(lambda a: Sample((a[0],), {"n": a[1], "dim": a[2], "norm": a[3]}))


def _multi_dim(two_dims: bool, min_side=1):
    def strategy(dtype):
        def for_shape(s):
            ndim = len(s)
            dims = st.just((-2, -1)) if two_dims else st.none() | st.lists(
                st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
            return st.tuples(_signal(dtype, s), dims, st.sampled_from(NORMS), st.booleans()).flatmap(
                lambda a: st.tuples(st.just(a), st.lists(st.integers(1, 6), min_size=len(a[1] or s),
                                                         max_size=len(a[1] or s)).map(tuple)))
        return shapes(2, 3, min_side, 4).flatmap(for_shape).map(lambda a: Sample(
            (a[0][0],), {"s": a[1] if a[0][3] else None, "dim": a[0][1], "norm": a[0][2]}))
    return strategy


def _shift(dtype):
    return shapes(1, 3, 0, 5).flatmap(lambda s: st.tuples(_signal(dtype, s), st.none() | st.lists(
        st.integers(0, len(s) - 1), min_size=1, max_size=len(s), unique=True).map(tuple))).map(
        lambda a: Sample((a[0],), {"dim": a[1]}))


def _freq(dtype):
    return st.tuples(st.integers(1, 9), st.sampled_from([1.0, 0.5, 0.3, 2.0])).map(
        lambda a: Sample(a, {"dtype": dtype}))


def _freq_entry(name):
    return OpInfo(f"fft.{name}", lambda n, d, dtype: getattr(minigrad.fft, name)(n, d, dtype=getattr(minigrad, dtype)),
                  lambda n, d, dtype: getattr(torch.fft, name)(n, d, dtype=getattr(torch, dtype)), _freq,
                  dtypes=REAL, grad=False)


def _transform(name):
    # the one-sided inputs (irfft, hfft) need 2 points at least: their default length is 2 (m - 1)
    min_side = 2 if name.startswith(("irfft", "hfft")) else 1
    if name[-1] in "2n":
        sample = _multi_dim(name.endswith("2"), min_side)
    else:
        sample = lambda dtype: _one_dim(dtype, min_side)   # noqa: E731
    return OpInfo(f"fft.{name}", getattr(minigrad.fft, name), getattr(torch.fft, name), sample,
                  dtypes=REAL if name in _REAL_ONLY else REAL_AND_COMPLEX)


OPS = ([_transform(name) for name in ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "fftn",
                                      "ifftn", "rfft2", "irfft2", "rfftn", "irfftn", "hfft2", "ihfft2", "hfftn",
                                      "ihfftn"]]
       + [OpInfo(f"fft.{name}", getattr(minigrad.fft, name), getattr(torch.fft, name), _shift,
                 dtypes=REAL_AND_COMPLEX) for name in ("fftshift", "ifftshift")]
       + [_freq_entry("fftfreq"), _freq_entry("rfftfreq")])

ERRORS = [
    ErrorCase("fft_norm", lambda lib: lib.fft.fft(lib.ones(4), norm="sideways"), ("normalization",)),
    ErrorCase("fft_n_zero", lambda lib: lib.fft.fft(lib.ones(4), n=0), ("(0)",)),
    ErrorCase("fft_dim_range", lambda lib: lib.fft.fft(lib.ones(4), dim=2), ("range",)),
    ErrorCase("fftn_repeated_dims", lambda lib: lib.fft.fftn(lib.ones(2, 3), dim=(0, 0)), ("unique",)),
    ErrorCase("fftn_s_too_long", lambda lib: lib.fft.fftn(lib.ones(2, 3), s=(2, 2, 2)), ("3 values",)),
    ErrorCase("fftn_s_dim_lengths", lambda lib: lib.fft.fftn(lib.ones(2, 3), s=(2, 2), dim=(0,)), ("same length",)),
    ErrorCase("fft_half", lambda lib: lib.fft.fft(lib.ones(4, dtype=lib.float16)), ("Half",)),
    ErrorCase("rfft_complex", lambda lib: lib.fft.rfft(lib.ones(4) * 1j), ("real",)),
    ErrorCase("irfft_no_points", lambda lib: lib.fft.irfft(lib.ones(1) * 1j), ("(0)",)),
    ErrorCase("fftfreq_int", lambda lib: lib.fft.fftfreq(4, dtype=lib.int64), ("floating",)),
    ErrorCase("fftshift_no_dims", lambda lib: lib.fft.fftshift(lib.ones(4), dim=()), ("shifts",)),
]


def _stft_sample(dtype):
    """A signal of 1 or 2 dims, n_fft within its padded length, a hop within the window."""
    def for_fft(n_fft):
        return st.tuples(shapes(1, 2, n_fft, n_fft + 6).flatmap(lambda s: arrays(dtype, s)),
                         st.integers(1, n_fft), st.booleans(), st.booleans())
    return st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), for_fft(n))).map(lambda a: Sample(
        (a[1][0], a[0]), {"hop_length": a[1][1], "normalized": a[1][2], "center": a[1][3],
                          "return_complex": True}))


OPS += [OpInfo("stft", minigrad.stft, torch.stft, _stft_sample, dtypes=REAL)]

ERRORS += [
    ErrorCase("stft_return_complex", lambda lib: lib.stft(lib.ones(20), 8), ("return_complex",)),
    ErrorCase("stft_window_length", lambda lib: lib.stft(lib.ones(20), 8, window=lib.ones(5), return_complex=True),
              ("win_length",)),
    ErrorCase("istft_real_input", lambda lib: lib.istft(lib.ones(5, 3), 8), ("complex",)),
    ErrorCase("istft_nola", lambda lib: lib.istft(lib.ones(5, 11) * 1j, 8, window=lib.hann_window(8), center=False),
              ("overlap add",)),
]
