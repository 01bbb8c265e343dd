"""nn.Parameter: a leaf tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A tensor that, assigned as a Module attribute, joins ``module.parameters()``.

    As in torch, ``Parameter(t)`` shares ``t``'s memory and requires grad by default.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = np.asarray(data)
        self._init(array, False, None, 0)
        if isinstance(data, Tensor):
            self._vc = data._vc  # the same memory: in-place changes show in both
        if requires_grad:
            self.requires_grad = True  # the setter rejects integer dtypes, as torch does

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.numpy(force=True), self._requires_grad))

    def __deepcopy__(self, memo):
        """A Parameter with a copy of the values and the same requires_grad; as in torch, the copy
        has no ``.grad`` (deepcopy of a module starts without gradients)."""
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        memo[id(self)] = out
        return out


class Buffer(Tensor):
    """``nn.Buffer(t, persistent=True)``: assigned as a Module attribute, it becomes a buffer.

    The module stores a plain tensor sharing ``t``'s memory (torch does the same).
    """

    __slots__ = ("persistent",)

    def __init__(self, data, *, persistent: bool = True):
        array = data._data if isinstance(data, Tensor) else np.asarray(data)
        self._init(array, False, None, 0)
        if isinstance(data, Tensor):
            self._vc = data._vc
        self.persistent = persistent


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._make(array), requires_grad)
