"""Torch-style argument handling, shared by the op families.

    int_tuple(value, n, error)   an int or a sequence of ints as an n-tuple (kernel_size, stride...)
    require_tensor(x, fn)        TypeError unless x is a Tensor, in torch's words
    float_only(input, kernel)    NotImplementedError for integer/bool inputs, in torch's words
    hashable(value)              lists as tuples, so that an argument can key a cache
    cached_plan                  decorator: a plan (checks and sizes worked out from shapes and
                                 arguments) computed once per distinct call, as torch's ops
                                 re-derive them every call

dtype names in messages come from ``minigrad.dtypes`` (``scalar_name``, ``c_name``).
"""
from __future__ import annotations

import functools

from .. import dtypes
from ..tensor import Tensor

__all__ = ["int_tuple", "require_tensor", "float_only", "hashable", "cached_plan"]


def int_tuple(value, n: int, error, single: bool = True) -> tuple:
    """``value`` (an int, or a tuple/list of ``n`` ints, or of one when ``single``) as an n-tuple
    of ints. A sequence of another length raises ``RuntimeError(error(value))``: each op words
    that message as torch does."""
    if isinstance(value, (tuple, list)):
        if single and len(value) == 1:
            return (int(value[0]),) * n
        if len(value) != n:
            raise RuntimeError(error(value))
        return tuple(int(v) for v in value)
    return (int(value),) * n


def require_tensor(x, fn: str, arg: str = "input") -> None:
    """torch's TypeError for a non-Tensor argument: "max_pool2d(): argument 'input' must be Tensor"."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


def float_only(input: Tensor, kernel: str) -> None:
    """torch's error for an op with floating-point kernels only: '"elu_cpu" not implemented for 'Long''."""
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtypes.scalar_name(input._data.dtype)}\'')


def hashable(value):
    """A list argument as a tuple (torch accepts both), so that it can key a cache."""
    return tuple(value) if isinstance(value, list) else value


def cached_plan(plan):
    """Cache ``plan(*args)`` per distinct arguments (lists count as tuples; errors are not cached).

    A plan turns shapes and torch-style arguments into what the op runs with (checked sizes,
    windows, geometry), so it must be a pure function of them; the results are shared between
    calls and must not be modified."""
    cached = functools.lru_cache(maxsize=1024)(plan)

    @functools.wraps(plan)
    def call(*args):
        return cached(*[hashable(a) for a in args])
    call.cache_clear = cached.cache_clear
    return call
