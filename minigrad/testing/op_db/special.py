"""Op table: torch.special (ops/special.py and its aliases), the signal windows, logspace/scalar_tensor/fill.

The Bessel functions, the Airy function and the orthogonal polynomials have no derivative in
torch (their results never require grad): their entries compare values only, on fixed samples
that cross each kernel's range boundaries (x = 2, 5, 8, the asymptotic regions) and on drawn ones.
"""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes, shapes
from .core import _unary, _with_number

S, TS = minigrad.special, torch.special
W, TW = minigrad.signal.windows, torch.signal.windows
INTS = ("int32", "int64")


def _special(name, low=-3.0, high=3.0, **kw):
    return OpInfo(f"special.{name}", getattr(S, name), getattr(TS, name), _unary(low, high, **kw))


def _values(values):
    """A fixed sample of ``values`` in the dtype under test."""
    def strategy(dtype):
        return st.just(Sample((np.asarray(values, dtype),)))
    return strategy


def _pair(low, high, low2, high2, first_no_grad=False):
    def strategy(dtype):
        return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
            arrays(dtype, s[0], low, high), arrays(dtype, s[1], low2, high2))).map(
            lambda a: Sample((NoGrad(a[0]) if first_no_grad else a[0], a[1])))
    return strategy


def _polynomial_sample(dtype):
    """x in [-1.5, 1.5] (0, 1 and -1 included: the polynomials' special cases), n from -1 to 12."""
    xs = shapes(max_dims=2).flatmap(lambda s: arrays(dtype, s, -1.5, 1.5))
    fixed = st.just(np.asarray([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0], dtype))
    return st.tuples(st.one_of(xs, fixed), st.sampled_from([-1, 0, 1, 2, 3, 5, 7, 9, 12])).map(lambda a: Sample(a))


def _polynomial_tensor_n(dtype):
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0], -1.2, 1.2), arrays(dtype, s[1], 0, 8).map(np.floor))).map(lambda a: Sample(a))


_BESSEL_POINTS = [-30.0, -8.5, -5.0, -2.5, -1.0, -1e-6, 0.0, 1e-6, 0.3, 1.0, 1.9999, 2.0, 2.0001, 2.09, 3.0, 4.9999,
                  5.0, 5.0001, 8.0, 8.33, 12.0, 30.0, 100.0, np.inf, -np.inf, np.nan]
_NO_GRAD = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
            "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
            "spherical_bessel_j0"]
_POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
                "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
                "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
                "laguerre_polynomial_l", "legendre_polynomial_p"]
_ALIASES = ["expit", "exp2", "expm1", "erf", "erfc", "erfinv", "digamma", "psi", "gammaln", "i0", "sinc", "log1p",
            "logit"]


def _window(name, **kwargs):
    """A signal window for every length 0..9, symmetric and periodic, in the dtype under test."""
    def strategy(dtype):
        return st.tuples(st.integers(0, 9), st.booleans()).map(lambda a: Sample((a[0], a[1], dtype)))
    return OpInfo(f"signal.windows.{name}",
                  lambda M, sym, dt: getattr(W, name)(M, sym=sym, dtype=getattr(minigrad, dt), **kwargs),
                  lambda M, sym, dt: getattr(TW, name)(M, sym=sym, dtype=getattr(torch, dt), **kwargs),
                  strategy, grad=False)


def _torch_window(name, **kwargs):
    def strategy(dtype):
        return st.tuples(st.integers(0, 9), st.booleans()).map(lambda a: Sample((a[0], a[1], dtype)))
    return OpInfo(name, lambda n, periodic, dt: getattr(minigrad, name)(n, periodic, dtype=getattr(minigrad, dt), **kwargs),
                  lambda n, periodic, dt: getattr(torch, name)(n, periodic, dtype=getattr(torch, dt), **kwargs),
                  strategy, grad=False)


OPS = [
    _special("entr", 0.1, 3.0),
    OpInfo("special.entr_values", S.entr, TS.entr, _values([-1.0, 0.0, 0.5, np.inf, np.nan]), grad=False),
    _special("erfcx", -3.0, 6.0),
    OpInfo("special.erfcx_values", S.erfcx, TS.erfcx, _values([-30.0, -26.0, -6.2, -1.0, 0.0, 1.99, 2.0, 2.01, 10.0,
                                                                  30.0, 60.0, 1e10, np.inf, -np.inf, np.nan]),
           grad=False),
    _special("i0e", exclude_near=(0.0,), margin=0.05),
    _special("i1"),
    _special("i1e", exclude_near=(0.0,), margin=0.05),
    OpInfo("special.i0e_i1_values", lambda x: [S.i0e(x), S.i1(x), S.i1e(x), minigrad.i0(x)],
           lambda x: [TS.i0e(x), TS.i1(x), TS.i1e(x), torch.i0(x)], _values(_BESSEL_POINTS), grad=False),
    _special("ndtr"),
    _special("ndtri", 0.02, 0.98),
    OpInfo("special.ndtri_values", S.ndtri, TS.ndtri, _values([0.0, 1e-300, 1e-20, 1e-5, 0.1, 0.13, 0.5, 0.87, 0.9,
                                                                1 - 1e-10, 1.0, 1.5, -0.1, np.nan]), grad=False),
    _special("log_ndtr", -5.0, 3.0),
    OpInfo("special.log_ndtr_values", S.log_ndtr, TS.log_ndtr, _values([-40.0, -10.0, -1.01, -1.0, 0.0, 5.0, 40.0]),
           grad=False),
    OpInfo("special.xlog1py", S.xlog1py, TS.xlog1py, _pair(-2.0, 2.0, -0.8, 3.0)),
    OpInfo("special.xlog1py_number", S.xlog1py, TS.xlog1py, _with_number([2.0, 0.5, 0], -0.8, 3.0, number_first=True)),
    OpInfo("special.zeta", S.zeta, TS.zeta, _pair(1.5, 5.0, 0.5, 4.0, first_no_grad=True),
           notes="no derivative in x (torch raises); dz/dq = -x zeta(x + 1, q)"),
    OpInfo("special.zeta_number", S.zeta, TS.zeta, _with_number([2.0, 3.5], 0.5, 4.0, number_first=True)),
    OpInfo("special.zeta_values", S.zeta, TS.zeta, lambda dtype: st.just(Sample((
        np.asarray([1.0, 0.5, 2.0, 2.0, 3.0, 2.5, 30.0], dtype), np.asarray([1.0, 1.0, -1.0, -1.5, 0.0, -0.5, 2.0], dtype)))),
        grad=False),
    OpInfo("special.polygamma", lambda x: [S.polygamma(n, x) for n in (0, 1, 4)],
           lambda x: [TS.polygamma(n, x) for n in (0, 1, 4)], _unary(0.3, 4.0)),
    OpInfo("special.multigammaln", lambda x: S.multigammaln(x, 2), lambda x: TS.multigammaln(x, 2), _unary(1.0, 4.0)),
    OpInfo("special.gammainc", S.gammainc, TS.gammainc, _pair(0.5, 4.0, 0.1, 6.0, first_no_grad=True),
           gradgrad=False),
    OpInfo("special.gammaincc", S.gammaincc, TS.gammaincc, _pair(0.5, 4.0, 0.1, 6.0, first_no_grad=True),
           gradgrad=False),
    OpInfo("special.xlogy", S.xlogy, TS.xlogy, _pair(-2.0, 2.0, 0.2, 3.0)),
    OpInfo("special.aliases", lambda x: [getattr(S, n)(x) for n in _ALIASES],
           lambda x: [getattr(TS, n)(x) for n in _ALIASES], _unary(0.1, 0.9)),
    OpInfo("special.round", S.round, TS.round, _unary(exclude_near=tuple(k + 0.5 for k in range(-4, 4)))),
    OpInfo("special.softmax", lambda x: (S.softmax(x, -1), S.log_softmax(x, 0), S.logsumexp(x, -1)),
           lambda x: (TS.softmax(x, -1), TS.log_softmax(x, 0), TS.logsumexp(x, -1)),
           lambda dtype: shapes(min_dims=1, min_side=1).flatmap(lambda s: arrays(dtype, s)).map(lambda x: Sample((x,)))),
    *[OpInfo(f"special.{name}", getattr(S, name), getattr(TS, name), _values(_BESSEL_POINTS), grad=False)
      for name in _NO_GRAD],
    *[OpInfo(f"special.{name}_drawn", getattr(S, name), getattr(TS, name), _unary(0.01, 12.0), grad=False)
      for name in _NO_GRAD],
    OpInfo("special.bessel_int", lambda x: [getattr(S, n)(x) for n in _NO_GRAD],
           lambda x: [getattr(TS, n)(x) for n in _NO_GRAD], lambda dtype: shapes().flatmap(
               lambda s: arrays(dtype, s, -3, 9)).map(lambda x: Sample((x,))), dtypes=INTS, grad=False),
    *[OpInfo(f"special.{name}", getattr(S, name), getattr(TS, name), _polynomial_sample, grad=False,
             atol={"float32": 1e-4, "float64": 1e-9}) for name in _POLYNOMIALS],
    OpInfo("special.polynomials_tensor_n", lambda x, n: [getattr(S, p)(x, n) for p in _POLYNOMIALS],
           lambda x, n: [getattr(TS, p)(x, n) for p in _POLYNOMIALS], _polynomial_tensor_n, grad=False,
           atol={"float32": 1e-4, "float64": 1e-9}),
    # signal windows and torch's *_window functions
    _window("bartlett"), _window("blackman"), _window("cosine"), _window("exponential", tau=0.7),
    _window("gaussian", std=0.8), _window("general_cosine", a=[0.46, 0.23, 0.31]), _window("general_hamming", alpha=0.6),
    _window("hamming"), _window("hann"), _window("kaiser", beta=5.0), _window("nuttall"),
    OpInfo("signal.windows.exponential_center", lambda M, dt: W.exponential(M, center=1.5, sym=False,
                                                                           dtype=getattr(minigrad, dt)),
           lambda M, dt: TW.exponential(M, center=1.5, sym=False, dtype=getattr(torch, dt)),
           lambda dtype: st.integers(0, 9).map(lambda M: Sample((M, dtype))), grad=False),
    _torch_window("hann_window"), _torch_window("hamming_window"), _torch_window("blackman_window"),
    _torch_window("bartlett_window"), _torch_window("kaiser_window", beta=6.0),
    # creation
    OpInfo("logspace", lambda a, b, n, base, dt: minigrad.logspace(a, b, n, base, dtype=getattr(minigrad, dt)),
           lambda a, b, n, base, dt: torch.logspace(a, b, n, base, dtype=getattr(torch, dt)),
           lambda dtype: st.tuples(st.sampled_from([-2.0, 0, 1.5]), st.sampled_from([0.5, 2, 3.0]),
                                   st.integers(0, 7), st.sampled_from([10.0, 2, 0.5])).map(
               lambda a: Sample((*a, dtype))), grad=False),
    OpInfo("scalar_tensor", lambda s, dt: minigrad.scalar_tensor(s, dtype=getattr(minigrad, dt)),
           lambda s, dt: torch.scalar_tensor(s, dtype=getattr(torch, dt)),
           lambda dtype: st.sampled_from([0, 2.5, -3, True]).map(lambda s: Sample((s, dtype))), grad=False),
    OpInfo("fill", lambda x: minigrad.fill(x, 2.5), lambda x: torch.fill(x, 2.5), _unary()),
    OpInfo("fill_tensor", minigrad.fill, torch.fill, lambda dtype: st.tuples(
        shapes().flatmap(lambda s: arrays(dtype, s)), arrays(dtype, ())).map(lambda a: Sample(a))),
]

ERRORS = [
    ErrorCase("special_zeta_grad_x", lambda lib: lib.special.zeta(lib.full((2,), 2.0, requires_grad=True),
                                                                  lib.ones(2)).sum().backward(), ("zeta",)),
    ErrorCase("special_xlog1py_numbers", lambda lib: lib.special.xlog1py(1.0, 2.0), ("xlog1py",)),
    ErrorCase("special_polynomial_numbers", lambda lib: lib.special.chebyshev_polynomial_t(0.5, 2), ()),
    ErrorCase("special_entr_not_tensor", lambda lib: lib.special.entr(0.5), ("Tensor",)),
    ErrorCase("window_negative_length", lambda lib: lib.signal.windows.hann(-1), ("non-negative", "M=-1")),
    ErrorCase("window_int_dtype", lambda lib: lib.signal.windows.hann(4, dtype=lib.int64), ("float32 or float64",)),
    ErrorCase("window_gaussian_std", lambda lib: lib.signal.windows.gaussian(4, std=0.0), ("Standard deviation",)),
    ErrorCase("window_exponential_center", lambda lib: lib.signal.windows.exponential(4, center=1.0),
              ("Center must be None",)),
    ErrorCase("window_exponential_tau", lambda lib: lib.signal.windows.exponential(4, tau=-1.0), ("Tau",)),
    ErrorCase("window_kaiser_beta", lambda lib: lib.signal.windows.kaiser(4, beta=-1.0), ("beta",)),
    ErrorCase("window_general_cosine_empty", lambda lib: lib.signal.windows.general_cosine(4, a=[]), ("empty",)),
    ErrorCase("window_general_cosine_number", lambda lib: lib.signal.windows.general_cosine(4, a=0.5), ("list",)),
    ErrorCase("hann_window_negative", lambda lib: lib.hann_window(-1), ("window_length",)),
    ErrorCase("logspace_negative_steps", lambda lib: lib.logspace(0, 1, -1), ("non-negative",)),
    ErrorCase("fill_value_not_0d", lambda lib: lib.fill(lib.ones(2), lib.ones(2)), ("0-dimension",)),
]
