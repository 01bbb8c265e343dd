"""Op table: activations (ops/activation.py), as torch.nn.functional.

Inputs keep 0.05 away from each activation's kinks (relu at 0, relu6 at 0 and 6, hardswish at
+-3, softplus where beta*x = threshold...). The subgradients torch takes *at* the kinks are
checked on fixed samples (the ``*_at_kinks`` entries): relu'(0) = 0, relu6'(0) = relu6'(6) = 0,
hardtanh'(+-1) = 0, leaky_relu'(0) = slope, elu'(0) = alpha, hardsigmoid'(+-3) = 0,
hardswish'(-3) = 0 and hardswish'(3) = 1. Their second derivatives at the kinks are not compared
(torch's are not consistent one-sided limits either), so those entries skip grad-of-grad.
"""
import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import minigrad.nn.functional as F
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays, dims_for, shapes


def _unary(low=-4.0, high=4.0, kinks=(), **kwargs):
    """One array (0-d, size-0 and size-1 dims included) away from ``kinks``, with fixed kwargs."""
    def strategy(dtype):
        return shapes().flatmap(lambda s: arrays(dtype, s, low, high, exclude_near=kinks, margin=0.05)).map(
            lambda x: Sample((x,), dict(kwargs)))
    return strategy


def _at(values, **kwargs):
    """A fixed sample: the kinks themselves."""
    def strategy(dtype):
        return st.just(Sample((np.asarray(values, dtype),), dict(kwargs)))
    return strategy


def _leaky(dtype):
    return st.tuples(shapes().flatmap(lambda s: arrays(dtype, s, -4, 4, exclude_near=(0.0,), margin=0.05)),
                     st.sampled_from([0.01, 0.2, -0.5, 1.5])).map(lambda a: Sample((a[0],), {"negative_slope": a[1]}))


def _alpha(dtype):
    return st.tuples(shapes().flatmap(lambda s: arrays(dtype, s, -4, 4, exclude_near=(0.0,), margin=0.05)),
                     st.sampled_from([1.0, 0.5, 2.0])).map(lambda a: Sample((a[0],), {"alpha": a[1]}))


def _hardtanh(dtype):
    bounds = st.sampled_from([(-1.0, 1.0), (-0.5, 2.0), (0.0, 6.0), (1.0, 1.0)])
    return bounds.flatmap(lambda b: shapes().flatmap(
        lambda s: arrays(dtype, s, -4, 7, exclude_near=b, margin=0.05)).map(
        lambda x: Sample((x,), {"min_val": b[0], "max_val": b[1]})))


def _softplus(dtype):
    params = st.sampled_from([(1.0, 20.0), (2.0, 3.0), (0.5, 1.0), (-1.0, 2.0)])
    return params.flatmap(lambda p: shapes().flatmap(
        lambda s: arrays(dtype, s, -8, 8, exclude_near=(p[1] / p[0],), margin=0.05)).map(
        lambda x: Sample((x,), {"beta": p[0], "threshold": p[1]})))


def _threshold(dtype):
    return shapes().flatmap(lambda s: arrays(dtype, s, -4, 4, exclude_near=(0.5,), margin=0.05)).map(
        lambda x: Sample((x, 0.5, -2.0)))


def _softmax(dtype):
    """An array, a dim in range (negative too) and sometimes dtype=float64."""
    return shapes(max_dims=4).flatmap(lambda s: st.tuples(
        arrays(dtype, s, -6, 6), dims_for(len(s), allow_none=False, allow_tuple=False),
        st.sampled_from([None, None, torch.float64]))).map(
        lambda a: Sample((a[0], a[1]), {} if a[2] is None else {"dtype": a[2]}))


def _mg_dtype(kwargs):
    if "dtype" in kwargs:
        import minigrad
        return {"dtype": minigrad.float64}
    return {}


def _softmax_family(name):
    mg, th = getattr(F, name), getattr(TF, name)
    return OpInfo(name, lambda x, dim, **kw: mg(x, dim, **_mg_dtype(kw)), lambda x, dim, **kw: th(x, dim, **kw),
                  _softmax, notes="max-shifted (stable); dtype= casts first")


def _inplace(name, **kwargs):
    """``F.name(x.clone(), inplace=True)``: the result is written back into the clone, and differentiates."""
    mg, th = getattr(F, name), getattr(TF, name)
    return OpInfo(f"{name}_inplace", lambda x, **kw: mg(x.clone(), inplace=True, **kw),
                  lambda x, **kw: th(x.clone(), inplace=True, **kw), kwargs.pop("sample"), **kwargs)


OPS = [
    OpInfo("relu", F.relu, TF.relu, _unary(kinks=(0.0,)), notes="relu'(0) = 0"),
    OpInfo("relu_at_kinks", F.relu, TF.relu, _at([-1.0, 0.0, 2.0]), gradgrad=False, gradcheck=False),
    OpInfo("relu6", F.relu6, TF.relu6, _unary(-2, 8, kinks=(0.0, 6.0)), notes="relu6'(0) = relu6'(6) = 0"),
    OpInfo("relu6_at_kinks", F.relu6, TF.relu6, _at([0.0, 3.0, 6.0]), gradgrad=False, gradcheck=False),
    OpInfo("hardtanh", F.hardtanh, TF.hardtanh, _hardtanh, notes="zero gradient at both bounds"),
    OpInfo("hardtanh_at_kinks", F.hardtanh, TF.hardtanh, _at([-1.0, 0.0, 1.0]), gradgrad=False, gradcheck=False),
    OpInfo("leaky_relu", F.leaky_relu, TF.leaky_relu, _leaky, notes="leaky_relu'(0) = negative_slope"),
    OpInfo("leaky_relu_at_kinks", F.leaky_relu, TF.leaky_relu, _at([0.0, -1.0, 1.0], negative_slope=0.1),
           gradgrad=False, gradcheck=False),
    OpInfo("elu", F.elu, TF.elu, _alpha, notes="elu'(0) = alpha (the negative branch)"),
    OpInfo("elu_at_kinks", F.elu, TF.elu, _at([0.0, -1.0], alpha=2.0), gradgrad=False, gradcheck=False),
    OpInfo("selu", F.selu, TF.selu, _unary(kinks=(0.0,))),
    OpInfo("celu", F.celu, TF.celu, _alpha),
    OpInfo("gelu", F.gelu, TF.gelu, _unary()),
    OpInfo("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"),
           _unary()),
    OpInfo("silu", F.silu, TF.silu, _unary(-8, 8)),
    OpInfo("mish", F.mish, TF.mish, _unary(-8, 8)),
    OpInfo("softplus", F.softplus, TF.softplus, _softplus, notes="linear above x*beta > threshold"),
    OpInfo("softsign", F.softsign, TF.softsign, _unary(kinks=(0.0,))),
    OpInfo("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, _unary(-5, 5, kinks=(-3.0, 3.0)), gradgrad=False,
           notes="torch has no double backward for hardsigmoid"),
    OpInfo("hardsigmoid_at_kinks", F.hardsigmoid, TF.hardsigmoid, _at([-3.0, 0.0, 3.0]), gradgrad=False,
           gradcheck=False),
    OpInfo("hardswish", F.hardswish, TF.hardswish, _unary(-5, 5, kinks=(-3.0, 3.0))),
    OpInfo("hardswish_at_kinks", F.hardswish, TF.hardswish, _at([-3.0, 0.0, 3.0]), gradgrad=False,
           gradcheck=False),
    OpInfo("logsigmoid", F.logsigmoid, TF.logsigmoid, _unary(-30, 30)),
    OpInfo("threshold", F.threshold, TF.threshold, _threshold),
    _softmax_family("softmax"),
    _softmax_family("log_softmax"),
    _softmax_family("softmin"),
    _inplace("relu", sample=_unary(kinks=(0.0,))),
    _inplace("leaky_relu", sample=_unary(kinks=(0.0,), negative_slope=0.2)),  # torch: no negative slope in-place
    _inplace("elu", sample=_alpha),
    _inplace("hardtanh", sample=_hardtanh),
    _inplace("silu", sample=_unary()),
    _inplace("hardswish", sample=_unary(-5, 5, kinks=(-3.0, 3.0))),
]


def _int(lib, values=(-1, 2)):
    return lib.tensor(list(values))


ERRORS = [
    ErrorCase("relu_bool", lambda lib: lib.nn.functional.relu(lib.tensor([True, False])), ("Boolean",)),
    ErrorCase("gelu_bad_approximate", lambda lib: lib.nn.functional.gelu(lib.ones(2), approximate="tan"),
              ("approximate",)),
    ErrorCase("gelu_int", lambda lib: lib.nn.functional.gelu(_int(lib)), ("Long",)),
    ErrorCase("elu_int", lambda lib: lib.nn.functional.elu(_int(lib)), ("Long",)),
    ErrorCase("silu_int", lambda lib: lib.nn.functional.silu(_int(lib)), ("Long",)),
    ErrorCase("softplus_int", lambda lib: lib.nn.functional.softplus(_int(lib)), ("Long",)),
    ErrorCase("hardtanh_bounds", lambda lib: lib.nn.functional.hardtanh(lib.ones(2), 1.0, -1.0),
              ("min_val", "max_val")),
    ErrorCase("softmax_int", lambda lib: lib.nn.functional.softmax(_int(lib), 0), ("Long",)),
    ErrorCase("log_softmax_int", lambda lib: lib.nn.functional.log_softmax(_int(lib), 0), ("Long",)),
    ErrorCase("softmax_bad_dim", lambda lib: lib.nn.functional.softmax(lib.ones(3), 1), ("range", "1")),
    ErrorCase("relu_inplace_leaf", lambda lib: lib.nn.functional.relu(lib.ones(2, requires_grad=True), inplace=True),
              ("leaf",)),
]
