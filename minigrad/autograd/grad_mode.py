"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each is a context manager and a decorator, as in torch. The flag is process-wide (minigrad
runs single-threaded Python; the kernels parallelise below this level).
"""
from __future__ import annotations

import functools


class _State:
    grad_enabled = True
    anomaly = {"enabled": False, "trace": False}  # see autograd.engine.detect_anomaly


state = _State()


def is_grad_enabled() -> bool:
    return state.grad_enabled


class _GradMode:
    """Set grad mode to ``self.mode`` on entry, restore the previous mode on exit.

    ``mode=None`` leaves the current mode as it is (inference_mode(False)).
    """

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self._prev = state.grad_enabled
        if self.mode is not None:
            state.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradMode(mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Disable gradient recording: ops build no graph and cost little more than NumPy."""

    def __init__(self):
        super().__init__(False)


class enable_grad(_GradMode):
    """Enable gradient recording, inside a no_grad block for instance."""

    def __init__(self):
        super().__init__(True)


class inference_mode(_GradMode):
    """Like no_grad (minigrad has no separate inference tensors); inference_mode(False) changes nothing."""

    def __init__(self, mode: bool = True):
        super().__init__(False if mode else None)


class set_grad_enabled(_GradMode):
    """Turn recording on or off; as in torch it takes effect when called, and a ``with`` block restores."""

    def __init__(self, mode: bool):
        super().__init__(bool(mode))
        self._prev = state.grad_enabled
        state.grad_enabled = self.mode

    def __enter__(self):
        return self
