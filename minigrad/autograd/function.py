"""Function: one differentiable operation, its forward and its backward side by side.

``Function.apply(*args)`` runs ``forward`` and, when recording, returns outputs whose ``grad_fn``
is a fresh node (an instance of :class:`Node`), which is also the ``ctx`` that forward and
backward share, exactly as in torch.

Two kinds of forward, one mechanism:

* minigrad's own ops set ``array_forward = True``: forward receives the arrays behind tensor
  arguments and returns arrays (NumPy, or a Numba kernel's output);
* user subclasses keep the default and, as with ``torch.autograd.Function``, receive Tensors
  (with recording switched off) and return Tensors.

Backward always receives and returns Tensors and is written with minigrad ops, so with
``create_graph=True`` it records a graph of its own: higher derivatives come for free.

``ctx.save_for_backward`` may be given the very objects forward received or returned; they are
saved as the input/output *tensors* (with their version, to catch in-place changes), so that a
derivative through them stays differentiable. Anything else is saved as a constant.
"""
from __future__ import annotations

import traceback

import numpy as np

from . import grad_mode
from ..tensor import Tensor

_INPUT, _OUTPUT, _CONST = 0, 1, 2

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Node:
    """A recorded op in the graph (``tensor.grad_fn``) and the ``ctx`` of its Function.

    ``next_functions[i]`` is ``(node, output_nr)`` for forward's i-th positional argument: the
    grad_fn of a non-leaf tensor, the AccumulateGrad of a leaf that requires grad, or ``(None, 0)``.
    Attributes that forward sets on ctx live in the instance ``__dict__``.
    """

    __slots__ = ("_fn", "_saved", "_freed", "needs_input_grad", "next_functions", "_input_meta",
                 "_outputs_meta", "_non_differentiable", "materialize_grads", "_pre_hooks",
                 "__dict__", "__weakref__")

    def __init__(self, fn):
        self._fn = fn
        self._saved = None
        self._freed = False
        self.needs_input_grad = ()
        self.next_functions = ()
        self._input_meta = ()       # (shape, dtype) per positional argument that needs grad
        self._outputs_meta = ()     # (shape, dtype) per output, to materialise missing grads
        self._non_differentiable = ()
        self.materialize_grads = True
        self._pre_hooks = None      # {output_nr: [hook]}: tensor hooks and retain_grad

    # -- the ctx API ---------------------------------------------------------------------
    def save_for_backward(self, *items):
        self._saved = items

    def mark_non_differentiable(self, *outputs):
        self._non_differentiable = outputs

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value

    def mark_dirty(self, *tensors):
        """Accepted for torch compatibility; minigrad's in-place ops manage versions themselves."""

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(FREED_MSG)
        return tuple(_unpack(self, rec) for rec in self._saved or ())

    # -- graph helpers -------------------------------------------------------------------
    def name(self) -> str:
        return self._fn.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def register_hook(self, output_nr, hook):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._pre_hooks.setdefault(output_nr, []).append(hook)

    def release(self):
        """Drop saved tensors and arrays stashed on ctx after a backward without retain_graph.

        A node that kept nothing but metadata (shapes, scalars) can be backwarded again, as in torch.
        """
        dropped = bool(self._saved)
        self._saved = None
        extras = self.__dict__
        for key in [k for k, v in extras.items() if hasattr(v, "__array_interface__")
                    or hasattr(v, "__cuda_array_interface__")]:
            del extras[key]
            dropped = True
        if dropped:
            self._freed = True

    def apply_backward(self, grads):
        """Call the Function's backward; returns one gradient (Tensor or None) per positional input."""
        if self._freed:
            raise RuntimeError(FREED_MSG)
        out = self._fn.backward(self, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        n = len(self.next_functions)
        if len(out) != n:
            # Trailing gradients may be left out where forward's arguments need none (the dims,
            # flags and other settings that follow the tensors); extra ones must be None.
            if len(out) > n and all(g is None for g in out[n:]):
                out = out[:n]
            elif len(out) < n and not any(self.needs_input_grad[len(out):]):
                out = out + (None,) * (n - len(out))
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(out)})")
        return out


class AccumulateGrad:
    """The graph's sink for a leaf tensor: adds incoming gradients into ``leaf.grad``."""

    next_functions = ()

    def __init__(self, leaf):
        self.variable = leaf

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def _pack(item, sources, outputs, raws):
    """A saved-tensor record: (kind, payload, version counter, version at save)."""
    if item is None:
        return None
    for i, s in enumerate(sources):
        if item is s:
            t = sources.tensors[i]
            if t is not None:
                return (_INPUT, t, t._vc, t._vc[0])
    for i, t in enumerate(outputs):
        if t is not None and (item is raws[i] or item is t._data):
            return (_OUTPUT, (t._data, i, t._vc), t._vc, t._vc[0])
    if isinstance(item, Tensor):
        return (_CONST, item, item._vc, item._vc[0])
    return (_CONST, item, None, 0)


def _unpack(node, rec):
    if rec is None:
        return None
    kind, payload, version, at_save = rec
    if version is not None and version[0] != at_save:
        array = payload[0] if kind == _OUTPUT else payload._data
        where = f"which is output {payload[1]} of {node._fn.__name__}, " if kind == _OUTPUT else ""
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [minigrad.{array.dtype.name}Tensor {list(array.shape)}], {where}is at "
            f"version {version[0]}; expected version {at_save} instead.")
    if kind == _INPUT:
        return payload
    if kind == _OUTPUT:
        array, nr, vc = payload
        # Rebuilt on each unpack, so that the node holds no reference cycle through its own output.
        t = Tensor._make(array, True, node, nr)
        t._vc = vc
        return t
    if isinstance(payload, np.ndarray):
        return Tensor._make(payload, False, None, 0)
    return payload  # a Tensor constant, a Python scalar, or other data


class _Sources(list):
    """The objects forward received, with the tensor each came from (or None)."""

    __slots__ = ("tensors",)


class Function:
    """Subclass and define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``; call ``apply``."""

    array_forward = False   # minigrad's own ops: forward on arrays (see the module docstring)
    differentiable = True   # False for ops whose outputs never require grad (argmax, comparisons)

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        record = False
        if grad_mode.state.grad_enabled and cls.differentiable:
            for a in args:
                if type(a) is Tensor or isinstance(a, Tensor):
                    if a.requires_grad:
                        record = True
                        break
        ctx = Node(cls)
        if record and grad_mode.state.anomaly["trace"]:
            ctx._anomaly_trace = "".join(traceback.format_stack()[:-1])
        if record:
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        else:
            ctx.needs_input_grad = (False,) * len(args)
        array_forward = cls.array_forward
        sources = _Sources()
        sources.tensors = []
        for a in args:
            if isinstance(a, Tensor):
                sources.append(a._data if array_forward else a)
                sources.tensors.append(a)
            else:
                sources.append(a)
                sources.tensors.append(None)
        if array_forward:
            raw = cls.forward(ctx, *sources, **kwargs)
        else:
            with grad_mode._GradMode(False):
                raw = cls.forward(ctx, *sources, **kwargs)
        single = not isinstance(raw, tuple)
        raws = (raw,) if single else raw
        out_arrays = [r._data if isinstance(r, Tensor) else r for r in raws]
        if not record:
            outs = tuple(_wrap(a, False, None, 0, sources) if a is not None else None
                         for a in out_arrays)
            return outs[0] if single else outs
        ctx.next_functions = tuple(_edge(a) for a in args)
        ctx._input_meta = tuple((a._data.shape, a.dtype) if need else None
                                for a, need in zip(args, ctx.needs_input_grad))
        non_diff = {id(x) for x in ctx._non_differentiable}
        outs = []
        for nr, (r, a) in enumerate(zip(raws, out_arrays)):
            if a is None:
                outs.append(None)
                continue
            a = _as_array(a)
            differentiable = (id(r) not in non_diff and id(a) not in non_diff
                              and a.dtype.kind in "fc")
            outs.append(_wrap(a, differentiable, ctx if differentiable else None, nr, sources))
        ctx._outputs_meta = tuple((o._data.shape, o.dtype) if o is not None else None for o in outs)
        if ctx._saved:
            ctx._saved = tuple(_pack(item, sources, outs, raws) for item in ctx._saved)
        return outs[0] if single else tuple(outs)


def _as_array(a):
    return a if isinstance(a, np.ndarray) else np.asarray(a)


def _wrap(array, requires_grad, node, nr, sources):
    """The output Tensor; an output that views an input's memory shares its version counter."""
    array = _as_array(array)
    t = Tensor._make(array, requires_grad, node, nr)
    base = array.base
    for src, tensor in zip(sources, sources.tensors):
        if tensor is not None:
            data = tensor._data
            if array is data or (base is not None and (base is data or base is data.base)):
                t._vc = tensor._vc
                t._base = tensor if tensor._base is None else tensor._base
                break
    return t


def _edge(a):
    if isinstance(a, Tensor) and a.requires_grad:
        if a.grad_fn is not None:
            return (a.grad_fn, a._output_nr)
        acc = a._accumulator
        if acc is None:
            acc = a._accumulator = AccumulateGrad(a)
        return (acc, 0)
    return (None, 0)
