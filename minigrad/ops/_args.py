"""Torch-style argument handling, shared by the op families.

    int_tuple(value, n, error)   an int or a sequence of ints as an n-tuple (kernel_size, stride...)
    require_tensor(x, fn)        TypeError unless x is a Tensor, in torch's words
    float_only(input, kernel)    NotImplementedError for integer/bool inputs, in torch's words
    hashable(value)              lists as tuples, so that an argument can key a cache
    cached_plan                  decorator: a plan (checks and sizes worked out from shapes and
                                 arguments) computed once per distinct call, as torch's ops
                                 re-derive them every call

    numpy_aliases(fn)            accept NumPy's ``axis=`` / ``keepdims=`` for ``dim`` / ``keepdim``
    with_out(fn)                 the ``out=`` keyword torch's functions take, and the aliases
    autocast(policy)             decorator: the op's place in autocast's lists ("lower", "fp32")

dtype names in messages come from ``minigrad.dtypes`` (``scalar_name``, ``c_name``).
"""
from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from .. import dtypes
from ..tensor import Tensor

__all__ = ["int_tuple", "require_tensor", "float_only", "hashable", "cached_plan", "numpy_aliases", "with_out",
           "differentiable_dtype", "not_differentiable", "autocast", "rounds_once"]


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
    if not dtypes.is_inexact(input._data.dtype):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtypes.scalar_name(input._data.dtype)}\'')


def differentiable_dtype(input: Tensor, dtype) -> None:
    """torch's error for a differentiable op asked for an integer result (``sum(x, dtype=long)``)
    while ``input`` requires grad: there would be no gradient to give ``input``."""
    from ..autograd.grad_mode import is_grad_enabled
    if dtype is None or not input.requires_grad or not is_grad_enabled():
        return
    d = dtypes.as_dtype(dtype)
    if np.dtype(d.np).kind not in "fc":
        raise RuntimeError(f"Autograd not support dtype: {dtypes.scalar_name(np.dtype(d.np))}")


def not_differentiable(function: str, **arguments) -> None:
    """torch's autograd-layer error for an argument the op has no derivative for (a class weight,
    running statistics) that requires grad while grad mode is on."""
    from ..autograd.grad_mode import is_grad_enabled
    for name, value in arguments.items():
        if isinstance(value, Tensor) and value.requires_grad and is_grad_enabled():
            raise RuntimeError(f"The function '{function}' is not differentiable with respect to argument "
                               f"'{name}'. This input cannot have requires_grad True.")


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


# -- NumPy's keyword names and out= ------------------------------------------------------------
_ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def _parameters(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def _rename(name, kwargs, accepted):
    """kwargs with axis= / keepdims= renamed, as torch's argument parser accepts them."""
    for alias, canonical in _ALIASES.items():
        if alias in kwargs and canonical in accepted:
            if canonical in kwargs:
                raise TypeError(f"{name}() got multiple values for argument '{canonical}' (as '{alias}')")
            kwargs[canonical] = kwargs.pop(alias)
    return kwargs


def numpy_aliases(fn):
    """``fn`` accepting ``axis=`` for ``dim`` and ``keepdims=`` for ``keepdim``, as torch does
    everywhere; ``fn`` itself when it has neither parameter (no wrapper on the hot path)."""
    accepted = {k for k in _ALIASES.values() if k in _parameters(fn)}
    if not accepted:
        return fn

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):   # (_ALIASES' keys, tested inline)
            kwargs = _rename(fn.__name__, kwargs, accepted)
        return fn(*args, **kwargs)
    return call


def _write_out(name, result, out, warn_resize=True):
    """torch's out= contract: the result is copied into ``out`` (resized if its shape differs,
    with torch's warning when it was not empty), ``out`` is returned; no autograd through it."""
    from ..autograd.grad_mode import is_grad_enabled, no_grad
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors")
        written = tuple(_write_out(name, r, o, warn_resize) for r, o in zip(result, out))
        return type(result)(*written) if hasattr(result, "_fields") else written
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if not dtypes.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {dtypes.scalar_name(result._data.dtype)} can't be cast to the desired "
                           f"output type {dtypes.scalar_name(out._data.dtype)}")
    with no_grad():
        if tuple(out.shape) != tuple(result.shape):
            if out.numel() != 0 and warn_resize:
                warnings.warn(
                    f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                    "which does not match the required output shape "
                    f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch release "
                    "outputs will not be resized unless they have zero elements. You can explicitly reuse "
                    "an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).", UserWarning,
                    stacklevel=3)
            out._replace_storage(result.shape)
        out.copy_(result)
    return out


def with_out(fn, warn_resize=True):
    """``fn`` as torch's namespace function: ``out=`` (and ``axis=`` / ``keepdims=``) accepted.
    A function that already takes ``out`` keeps its own handling. Factories resize ``out``
    silently (``warn_resize=False``), as torch's do."""
    params = _parameters(fn)
    accepted = {k for k in _ALIASES.values() if k in params}
    if "out" in params:
        return numpy_aliases(fn)
    name = getattr(fn, "__name__", "function")

    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if kwargs and accepted:
            kwargs = _rename(name, kwargs, accepted)
        result = fn(*args, **kwargs)
        return result if out is None else _write_out(name, result, out, warn_resize)
    return call


# -- autocast ------------------------------------------------------------------------------------
def autocast(policy: str):
    """Decorator naming an op's place in autocast's lists, as torch's autocast_mode.cpp does:
    ``"lower"`` ops (matrix products, convolutions) run in the autocast dtype inside an enabled
    CPU autocast region, ``"fp32"`` ops (losses, prod) in float32. Outside autocast the call goes
    straight through (one list read)."""
    from ..amp.autocast_mode import _active, cast_inputs

    def decorate(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            if _active[0]:
                args = cast_inputs(policy, *args)
                if kwargs:
                    kwargs = dict(zip(kwargs, cast_inputs(policy, *kwargs.values())))
            return fn(*args, **kwargs)
        call.autocast_policy = policy
        return call
    return decorate


# -- bfloat16 composites ---------------------------------------------------------------------------
def rounds_once(*names):
    """Decorator for an op written as several minigrad ops that torch runs as one kernel
    (layer_norm, batch_norm, group_norm, rms_norm): when its tensor arguments ``names`` are bfloat16 (and no
    other floating dtype joins them), it runs on float32 casts of them and its result is rounded to
    bfloat16 once, as torch's kernel computes. The casts are differentiable, so gradients come
    back in bfloat16. Without bfloat16 tensors the call goes straight through (one dict read)."""
    low_precision = dtypes.LOW_PRECISION_ARRAYS

    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            if not low_precision:
                return fn(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            tensors = [bound.arguments.get(n) for n in names]
            kinds = {t._data.dtype for t in tensors if isinstance(t, Tensor) and dtypes.is_floating(t._data.dtype)}
            if len(kinds) != 1 or kinds.pop() not in low_precision:
                return fn(*args, **kwargs)
            low = tensors[0].dtype
            for n, t in zip(names, tensors):
                if isinstance(t, Tensor):
                    bound.arguments[n] = t.to(dtypes.float32)
            out = fn(*bound.args, **bound.kwargs)
            return tuple(o.to(low) for o in out) if isinstance(out, tuple) else out.to(low)
        return call
    return decorate
