"""autocast: per-thread mixed-precision state, torch's autocast_mode.py for minigrad.

The state (enabled per device type, the target dtype) is per thread, as torch's. Ops consult it
through ``cast_inputs(policy, *tensors)``: ``"lower"`` ops (matrix products, convolutions) cast
their floating inputs to the autocast dtype, ``"fp32"`` ops (losses, norms) cast them to float32.
"""
from __future__ import annotations

import functools
import threading
import warnings

from .. import dtypes

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "get_autocast_dtype",
           "set_autocast_enabled", "set_autocast_dtype", "cast_inputs", "custom_fwd", "custom_bwd"]

_DEVICE_TYPES = ("cpu", "cuda")
_DEFAULT_DTYPE = {"cpu": "bfloat16", "cuda": "float16"}


class _State(threading.local):
    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = {"cpu": _DEFAULT_DTYPE["cpu"], "cuda": _DEFAULT_DTYPE["cuda"]}
        self.cache_enabled = True


_state = _State()
_active = [0]   # autocast regions open in any thread: ops skip the per-thread lookup while it is 0


def is_autocast_available(device_type: str) -> bool:
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type: str | None = None) -> bool:
    return _state.enabled["cuda" if device_type is None else device_type]


def get_autocast_dtype(device_type: str):
    return getattr(dtypes, _state.dtype[device_type])


def set_autocast_enabled(device_type, enabled=None) -> None:
    if enabled is None:   # the deprecated one-argument form: set_autocast_enabled(enabled) for cuda
        device_type, enabled = "cuda", device_type
    _state.enabled[device_type] = bool(enabled)


def set_autocast_dtype(device_type: str, dtype) -> None:
    _state.dtype[device_type] = dtypes.as_dtype(dtype).name


def is_autocast_cache_enabled() -> bool:
    return _state.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    _state.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    """minigrad keeps no cast cache (every cast is recomputed), so there is nothing to clear."""


class autocast:
    """``with minigrad.autocast(device_type="cpu", dtype=minigrad.float16):`` (torch.autocast).

    Also a decorator. Exit restores the previous state, so regions nest."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = _state.cache_enabled if cache_enabled is None else bool(cache_enabled)
        if device_type == "cuda" and self._enabled:
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                self._enabled = False
        if device_type == "cpu" and self._enabled:
            name = getattr(self.fast_dtype, "name", None)
            if name not in ("bfloat16", "float16"):
                warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                              "CPU Autocast only supports dtypes of minigrad.bfloat16, minigrad.float16 currently.",
                              stacklevel=2)
                self._enabled = False

    def __enter__(self):
        self._previous = (_state.enabled[self.device], _state.dtype[self.device], _state.cache_enabled)
        _state.enabled[self.device] = self._enabled
        if self._enabled:
            _state.dtype[self.device] = self.fast_dtype.name
        _state.cache_enabled = self._cache_enabled
        _active[0] += 1
        return self

    def __exit__(self, *exc):
        _active[0] -= 1
        _state.enabled[self.device], _state.dtype[self.device], _state.cache_enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self.__class__(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)
        return decorated


def cast_inputs(policy: str, *tensors):
    """``tensors`` as an op in autocast's ``policy`` sees them: unchanged outside autocast, else
    floating ones cast to the autocast dtype ("lower") or to float32 ("fp32"). Casts are
    differentiable, so gradients return in each input's own dtype, as in torch."""
    if not _active[0] or not _state.enabled["cpu"]:
        return tensors
    from ..tensor import Tensor
    target = get_autocast_dtype("cpu") if policy == "lower" else dtypes.float32
    return tuple(t.to(target) if isinstance(t, Tensor) and t.dtype.is_floating_point and t.dtype != dtypes.float64
                 and t.dtype != target else t for t in tensors)


def custom_fwd(fwd=None, *, device_type: str = "cuda", cast_inputs=None):
    """torch.amp.custom_fwd: for a custom Function's forward; with ``cast_inputs`` the forward
    runs with autocast off and its floating inputs cast to that dtype."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        if cast_inputs is None or not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        from ..tensor import Tensor
        args = [a.to(cast_inputs) if isinstance(a, Tensor) and a.dtype.is_floating_point else a for a in args]
        with autocast(device_type=device_type, enabled=False):
            return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str = "cuda"):
    """torch.amp.custom_bwd: the backward runs with the forward's autocast state (here: as called)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
