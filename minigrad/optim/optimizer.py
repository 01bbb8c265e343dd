"""Optimizer: parameter groups, per-parameter state, zero_grad and state dicts, as torch.optim.

Update rules (SGD, Adam, AdamW, Adadelta, Adagrad, RMSprop, Adamax, NAdam, RAdam, Rprop, ASGD,
LBFGS) work on the arrays behind parameters, in place, with torch's single-tensor (CPU) formulas in
torch's order of operations, so that the same float32 or float64
arithmetic happens in both frameworks. An update bumps the parameter's version counter, so a
graph that still needs the old values refuses to backward (as torch's in-place updates do).
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..nn.module import RemovableHandle, _typename, _zero_grads
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


def fused_multiply_add(x, alpha, y):
    """``y + alpha * x`` rounded once, as torch's vectorized CPU kernels compute ``add(y, x, alpha)``,
    ``lerp`` and ``addcmul`` (with a fused multiply-add). For float32 this is exact through float64:
    the product of two float32 numbers is exact in float64, and the sum is rounded to float32. For
    float64, with no wider type at hand, it rounds twice (a difference of at most one ulp).
    ``alpha`` is a Python number (cast to the array's dtype first, as torch casts scalars) or an array.
    """
    if y.dtype.itemsize >= 8:
        return y + alpha * x
    wide = y.dtype.type(alpha) if not hasattr(alpha, "dtype") else alpha
    return (x.astype(np.float64) * (wide.astype(np.float64) if hasattr(wide, "astype") else float(wide))
            + y.astype(np.float64)).astype(y.dtype)


def lerp_(m, g, weight):
    """``m.lerp_(g, weight)`` in place, as torch's CPU kernel: ``m + weight * (g - m)`` for a small
    weight, ``g - (1 - weight) * (g - m)`` otherwise, each with one rounding."""
    if weight < 0.5:
        m[...] = fused_multiply_add(g - m, weight, m)
    else:
        m[...] = fused_multiply_add(g - m, -(m.dtype.type(1) - m.dtype.type(weight)), g)


def addcmul_(y, a, b, value=1.0):
    """``y.addcmul_(a, b, value=value)`` in place: ``y + (value * a) * b``, the last product and sum
    rounded once (torch's fused multiply-add)."""
    y[...] = fused_multiply_add(value * a if value != 1 else a, b, y)


def addcdiv_(y, a, b, value=1.0):
    """``y.addcdiv_(a, b, value=value)`` in place: ``y + (value * a) / b`` in torch's order."""
    y += (value * a) / b


FUSED_MIN = 1 << 14   # parameters from this many values on take the fused kernels (optim/_fused.py)
_fused = None         # optim._fused, once imported (it loads Numba)


def fused_kernels(*arrays):
    """``optim._fused`` (imported on first use) when its kernels take these arrays: C-contiguous NumPy
    float32 or float64 arrays of one dtype, of at least FUSED_MIN values; else None (the NumPy path)."""
    global _fused
    first = arrays[0]
    if type(first) is not np.ndarray or first.size < FUSED_MIN or first.dtype.char not in "fd":
        return None
    if not all(type(a) is np.ndarray and a.dtype == first.dtype and a.flags.c_contiguous for a in arrays):
        return None
    if _fused is None:
        from . import _fused as module
        _fused = module
    return _fused


def scalar_dtype():
    """The dtype torch keeps scalar optimizer state in (``step``, ``eta``, ``mu_product``): float64
    when the default dtype is float64, float32 otherwise."""
    from .. import dtypes
    return np.float64 if dtypes.get_default_dtype() is dtypes.float64 else np.float32


def scalar_state(value) -> Tensor:
    """A 0-d state tensor in :func:`scalar_dtype` (torch's ``torch.tensor(value, dtype=...)``)."""
    return Tensor._make(np.asarray(value, dtype=scalar_dtype()))


def check_non_negative(values: dict) -> None:
    """torch's ``ValueError(f"Invalid {label}: {value}")`` for the first value below zero (or NaN),
    checked in the dict's order, e.g. ``{"learning rate": lr, "weight_decay value": wd}``."""
    for label, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {label}: {value}")


def check_betas(betas) -> None:
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


class _RequiredParameter:
    """Marks a hyperparameter without a default (it must be given per group or to the constructor)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class: subclasses set ``defaults`` and implement ``step``."""

    _HOOK_DICTS = ("_step_pre_hooks", "_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                   "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                   "_optimizer_load_state_dict_post_hooks")

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        for name in self._HOOK_DICTS:
            setattr(self, name, {})
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(dict(group))

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in self._HOOK_DICTS:
            self.__dict__.setdefault(name, {})

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                raise ValueError("all optimizer param groups should be with/without names. cannot add param group "
                                 + ("with" if "param_names" in param_group else "without")
                                 + " names to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        _zero_grads(chain.from_iterable(g["params"] for g in self.param_groups), set_to_none)

    def _updates(self, group):
        """(parameter, its array, its gradient (negated under ``maximize``), its state) for every
        parameter of ``group`` that has a gradient: the loop each optimizer's step runs."""
        for p in group["params"]:
            if p.grad is not None:
                yield p, p._data, (-p.grad._data if group["maximize"] else p.grad._data), self.state[p]

    def _run_closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure=None):
        raise NotImplementedError

    # -- hooks ------------------------------------------------------------------------------
    def _register_hook(self, name: str, hook, prepend: bool = False) -> RemovableHandle:
        hooks = getattr(self, name)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:     # dicts keep insertion order: move the new hook to the front
            for key in [k for k in hooks if k != handle.id]:
                hooks[key] = hooks.pop(key)
        return handle

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each ``step``."""
        return self._register_hook("_step_pre_hooks", hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        return self._register_hook("_step_post_hooks", hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False):
        """``hook(optimizer)`` runs before ``state_dict`` builds its result."""
        return self._register_hook("_optimizer_state_dict_pre_hooks", hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False):
        """``hook(optimizer, state_dict)`` runs on ``state_dict``'s result; a non-None return replaces it."""
        return self._register_hook("_optimizer_state_dict_post_hooks", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False):
        """``hook(optimizer, state_dict)`` runs before loading; a non-None return is loaded instead."""
        return self._register_hook("_optimizer_load_state_dict_pre_hooks", hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False):
        """``hook(optimizer)`` runs after ``load_state_dict``."""
        return self._register_hook("_optimizer_load_state_dict_post_hooks", hook, prepend)

    def __init_subclass__(cls, **kwargs):
        """Wrap each subclass's ``step`` so that step hooks run around it."""
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is None or getattr(step, "_with_hooks", False):
            return

        def step_with_hooks(self, *args, **kwargs):
            if not (self._step_pre_hooks or self._step_post_hooks) or self.__dict__.get("_in_step"):
                return step(self, *args, **kwargs)  # no hooks, or a subclass's super().step()
            self._in_step = True
            try:
                for hook in list(self._step_pre_hooks.values()):
                    result = hook(self, args, kwargs)
                    if result is not None:
                        args, kwargs = result
                out = step(self, *args, **kwargs)
                for hook in list(self._step_post_hooks.values()):
                    hook(self, args, kwargs)
            finally:
                self._in_step = False
            return out
        step_with_hooks._with_hooks = True
        step_with_hooks.__doc__ = step.__doc__
        step_with_hooks.__name__ = "step"
        cls.step = step_with_hooks

    # -- state dicts ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``, with
        parameters replaced by their position across all groups (torch's format). The state
        tensors are the live ones, as in torch; serialise or copy them to keep a snapshot.

        Both ways across libraries: minigrad's ``load_state_dict`` takes torch's state dict as it is
        (torch tensors are converted), while torch's accepts only torch tensors, so hand it
        ``minigrad.serialization.to_torch(opt.state_dict())`` (numbers, lists and hyperparameters pass
        through unchanged; each tensor becomes ``torch.from_numpy`` of a copy)."""
        for pre_hook in list(self._optimizer_state_dict_pre_hooks.values()):
            pre_hook(self)
        mapping = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in list(self._optimizer_state_dict_post_hooks.values()):
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and per-parameter state (tensors are copied, cast to each
        parameter's device and dtype except Adam's 'step' counter)."""
        state_dict = dict(state_dict)     # shallow copy, as torch: hooks may replace entries
        for pre_hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor) or _is_torch_tensor(value):
                value = _as_minigrad(value)
                if key != "step":   # as torch: state moves to the parameter's device and dtype
                    value = value.to(param.device)
                    if param.is_floating_point():
                        value = value.to(param.dtype)
                return Tensor._make(value._data.copy())
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for post_hook in list(self._optimizer_load_state_dict_post_hooks.values()):
            post_hook(self)


def _is_torch_tensor(value) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _as_minigrad(value) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor._make(np.array(value.detach().cpu().numpy()))
