"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each is a context manager and a decorator, as in torch (torch/autograd/grad_mode.py and
torch/utils/_contextlib.py are the spec):

* the modes are per thread: a new thread starts with grad mode on and inference mode off,
  whatever the thread that started it had set;
* ``no_grad``, ``enable_grad`` and ``inference_mode`` also decorate without parentheses
  (``@no_grad``);
* a decorated generator function runs under the mode each time it is resumed, and the caller's
  mode is back in force at each ``yield``; async functions are not special-cased (as in torch,
  the decorator only covers the call that creates the coroutine);
* ``set_grad_enabled(mode)`` switches the mode as soon as it is called, so it also works as a
  plain function call; used as a decorator it puts the previous mode back first, so that only
  the decorated function's calls run under ``mode``;
* ``inference_mode(mode)`` sets grad mode to ``not mode``: ``inference_mode(False)`` inside
  ``no_grad`` turns recording back on. Inside inference mode nothing is recorded, even where
  ``enable_grad`` turns grad mode on. (minigrad has no separate inference tensors.)

Anomaly detection (``detect_anomaly``) is process-wide, as torch's is.
"""
from __future__ import annotations

import functools
import inspect
import sys
import threading
import warnings


# Process-wide, as torch's anomaly mode: all threads share this dict (autograd.engine mutates it
# in place; Function.apply reads it directly, without the thread-local lookup).
anomaly = {"enabled": False, "trace": False}


class _ThreadState(threading.local):
    """The grad-mode flags of the current thread; the class attributes are a new thread's values.

    ``grad_enabled`` is what every op reads (Function.apply, on the hot path): whether ops record a
    graph, that is grad mode on and inference mode off. Every switch here keeps it up to date, so
    that the hot path reads one attribute; nothing else assigns these fields.
    """

    grad_mode = True      # what is_grad_enabled() reports
    inference = False     # what is_inference_mode_enabled() reports
    grad_enabled = True   # ops record: grad_mode and not inference
    anomaly = anomaly     # (the process-wide dict above, where autograd.engine finds it)


state = _ThreadState()


def _set_modes(grad_mode: bool, inference: bool) -> None:
    state.grad_mode = grad_mode
    state.inference = inference
    state.grad_enabled = grad_mode and not inference


def _set_grad_mode(mode: bool) -> None:
    _set_modes(mode, state.inference)


def is_grad_enabled() -> bool:
    return state.grad_mode


def is_inference_mode_enabled() -> bool:
    return state.inference


def _check_bool(mode, fn_name):
    if type(mode) is not bool:  # as torch: no truthiness, so that a tensor or array is not taken for a flag
        kind = type(mode)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"{fn_name}(): argument 'enabled' (position 1) must be bool, not {name}")


class _GradMode:
    """Set grad mode to ``mode`` on entry, restore the previous mode on exit (internal, not a decorator)."""

    __slots__ = ("mode", "prev")

    def __init__(self, mode: bool):
        self.mode = mode

    def __enter__(self):  # (on every backward and custom forward: _set_grad_mode, inlined)
        st = state
        self.prev = st.grad_mode
        st.grad_mode = mode = self.mode
        st.grad_enabled = mode and not st.inference

    def __exit__(self, *exc):
        st = state
        st.grad_mode = mode = self.prev
        st.grad_enabled = mode and not st.inference
        return False


# -- decorators ------------------------------------------------------------------------------

def _wrap_generator(ctx_factory, gen_fn):
    """Run each step of the generator under a fresh context from ``ctx_factory``, and none between."""

    @functools.wraps(gen_fn)
    def generator_context(*args, **kwargs):
        gen = gen_fn(*args, **kwargs)
        try:
            with ctx_factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException:
                    with ctx_factory():   # the caller threw into us: pass it on, under the mode
                        response = gen.throw(*sys.exc_info())
                else:
                    with ctx_factory():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return generator_context


class _DecoratorContextManager:
    """A context manager that is also a decorator; each call of the decorated function gets a
    fresh copy (``clone``), so that one decorator serves nested and concurrent calls."""

    def __call__(self, orig_func):
        if inspect.isclass(orig_func):
            warnings.warn("Decorating classes is deprecated and will be disabled in future versions. "
                          "You should only decorate functions or methods. To preserve the current "
                          "behavior of class decoration, you can directly decorate the `__init__` "
                          "method and nothing else.", FutureWarning, stacklevel=2)
            cls = orig_func
            func = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731
        else:
            func = orig_func
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(self.clone, func)
        ctx_factory = self.clone

        @functools.wraps(func)
        def decorate_context(*args, **kwargs):
            with ctx_factory():
                return func(*args, **kwargs)
        return decorate_context

    def clone(self):
        return self.__class__()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Also decorates without parentheses: ``@no_grad`` is ``@no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Disable gradient recording in this thread: ops build no graph and cost little more than NumPy."""

    def __init__(self):
        self.prev = False

    def __enter__(self):
        self.prev = state.grad_mode
        _set_grad_mode(False)

    def __exit__(self, exc_type, exc_value, traceback):
        _set_grad_mode(self.prev)


class enable_grad(_NoParamDecoratorContextManager):
    """Enable gradient recording in this thread, inside a no_grad block for instance."""

    def __enter__(self):
        self.prev = state.grad_mode
        _set_grad_mode(True)

    def __exit__(self, exc_type, exc_value, traceback):
        _set_grad_mode(self.prev)


class set_grad_enabled(_DecoratorContextManager):
    """Turn recording on or off in this thread, from the call on; a ``with`` block restores the
    previous mode on exit, and as a decorator it applies to the decorated function's calls only."""

    def __init__(self, mode: bool):
        _check_bool(mode, "set_grad_enabled")
        self.prev = state.grad_mode
        self.mode = mode
        _set_grad_mode(mode)

    def __call__(self, orig_func):
        _set_grad_mode(self.prev)  # decorating must not change the mode of the code around it
        return super().__call__(orig_func)

    def __enter__(self):
        _set_grad_mode(self.mode)

    def __exit__(self, exc_type, exc_value, traceback):
        _set_grad_mode(self.prev)

    def __repr__(self):
        return f"{type(self).__module__}.{type(self).__qualname__}(mode={self.mode})"

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Inference mode on (grad mode off) or, with ``mode=False``, off (grad mode on) in this thread.

    ``inference_mode(fn)`` and ``@inference_mode`` decorate, as ``@inference_mode()`` does.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True):
        self.mode = mode

    def __enter__(self):
        self.prev = (state.grad_mode, state.inference)
        _set_modes(not self.mode, self.mode)

    def __exit__(self, exc_type, exc_value, traceback):
        _set_modes(*self.prev)

    def clone(self):
        return self.__class__(self.mode)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (``autograd.detect_anomaly``), in every thread."""
    return anomaly["trace"]

