"""Op table: the core arithmetic ops (add, sub, mul, div, neg) and sum/mean/reshape/expand."""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes, dims_for, shapes


def _binary(low=-3.0, high=3.0, **kw):
    def strategy(dtype):
        return broadcastable_shapes(2).flatmap(
            lambda s: st.tuples(arrays(dtype, s[0], low, high), arrays(dtype, s[1], low, high, **kw))
        ).map(lambda xy: Sample(xy))
    return strategy


def _unary(low=-3.0, high=3.0):
    def strategy(dtype):
        return shapes().flatmap(lambda s: arrays(dtype, s, low, high)).map(lambda x: Sample((x,)))
    return strategy


def _reduction(dtype):
    return shapes().flatmap(lambda s: st.tuples(arrays(dtype, s), dims_for(len(s)), st.booleans())).map(
        lambda a: Sample((a[0],), {"dim": a[1], "keepdim": a[2]}))


def _reshape(dtype):
    def pick(s):
        n = int(np.prod(s))
        return st.sampled_from([(n,), (-1,), (1, n), (n, 1), tuple(reversed(s)), s or (1,)]).map(
            lambda shape: Sample((np.arange(n).reshape(s).astype(dtype), shape)))
    return shapes().flatmap(pick)


def _expand(dtype):
    return broadcastable_shapes(2).flatmap(
        lambda s: st.tuples(arrays(dtype, s[0]), st.just(np.broadcast_shapes(s[0], s[1])))
    ).map(lambda a: Sample(a))


OPS = [
    OpInfo("add", minigrad.add, torch.add, _binary(), gradgrad=True),
    OpInfo("add_alpha", lambda x, y: minigrad.add(x, y, alpha=2.5), lambda x, y: torch.add(x, y, alpha=2.5),
           _binary()),
    OpInfo("sub", minigrad.sub, torch.sub, _binary()),
    OpInfo("mul", minigrad.mul, torch.mul, _binary()),
    OpInfo("div", minigrad.div, torch.div, _binary(0.5, 3.0)),
    OpInfo("neg", minigrad.neg, torch.neg, _unary()),
    OpInfo("sum", minigrad.sum, torch.sum, _reduction),
    OpInfo("mean", minigrad.mean, torch.mean, _reduction),
    OpInfo("reshape", minigrad.reshape, torch.reshape, _reshape),
    OpInfo("expand", minigrad.Tensor.expand, torch.Tensor.expand, _expand),
]

ERRORS = [
    ErrorCase("broadcast_mismatch", lambda lib: lib.ones(2, 3) + lib.ones(4, 3), ("2", "4")),
    ErrorCase("reshape_bad_numel", lambda lib: lib.ones(2, 3).reshape(4, 2), ("[4, 2]", "6")),
    ErrorCase("sum_bad_dim", lambda lib: lib.ones(2, 3).sum(5), ("5",)),
    ErrorCase("expand_bad", lambda lib: lib.ones(2, 3).expand(4, 3), ("4", "2")),
    ErrorCase("numpy_with_grad", lambda lib: lib.ones(2, requires_grad=True).numpy(), ("numpy", "detach")),
    ErrorCase("backward_nonscalar", lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(), ("scalar",)),
    ErrorCase("backward_twice", lambda lib: _backward_twice(lib), ("second time",)),
    ErrorCase("inplace_on_leaf", lambda lib: lib.ones(2, requires_grad=True).add_(1), ("leaf",)),
    ErrorCase("modified_saved_tensor", lambda lib: _modified_saved(lib), ("inplace", "version")),
]


def _backward_twice(lib):
    x = lib.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _modified_saved(lib):
    x = lib.ones(2, requires_grad=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()
