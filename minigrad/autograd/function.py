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

import functools
import inspect
import traceback

import numpy as np

from . import grad_mode
from .. import dtypes
from ..tensor import Tensor, _new_tensor

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
    The graph's own fields that every call sets are slots; whatever forward stashes on ctx
    (``ctx.alpha = ...``) goes to the instance ``__dict__``, which is all that ``release`` has to
    look through. Every op builds a Node, recorded or not, so the fields that few nodes set are
    class-level defaults that an instance overrides in its ``__dict__`` (as Tensor's rare fields):
    each slot set in ``__init__`` is paid by every op call.
    """

    __slots__ = ("_fn", "_saved", "needs_input_grad", "next_functions",
                 "_input_meta",          # (shape, NumPy dtype) per positional argument that needs grad
                 "_outputs_meta",        # (shape, NumPy dtype) per output, to materialise missing grads
                 "_non_differentiable",  # outputs named by mark_non_differentiable (not ctx data: kept by release)
                 "__dict__", "__weakref__")
    _freed = False                # set by release: saved tensors dropped
    materialize_grads = True      # set_materialize_grads
    _pre_hooks = None             # {output_nr: [hook]}: tensor hooks and retain_grad
    _anomaly_trace = None         # the forward's stack, under detect_anomaly
    _in_float32 = False           # set while a bfloat16 op's backward runs in float32 (_backward_in_float32)

    def __init__(self, fn, needs_input_grad=()):
        self._fn = fn
        self._saved = None
        self.needs_input_grad = needs_input_grad
        self.next_functions = self._input_meta = self._outputs_meta = self._non_differentiable = ()

    # -- the ctx API ---------------------------------------------------------------------
    def save_for_backward(self, *items):
        self._saved = items

    def mark_non_differentiable(self, *outputs):
        self._non_differentiable = outputs

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value

    def mark_dirty(self, *tensors):
        """Declare the inputs that forward modified in place; forward must return them, and apply
        returns those very objects, now outputs of this node (torch's rebase of their history)."""
        self._dirty = tensors   # (read and removed by apply: _take_dirty)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(FREED_MSG)
        if self._in_float32:
            return tuple([_float32(_unpack(self, rec)) for rec in self._saved or ()])
        return tuple([_unpack(self, rec) for rec in self._saved or ()])

    def saved_tensor(self, i: int):
        """The i-th saved tensor alone (version-checked): for a backward that needs only some."""
        if self._freed:
            raise RuntimeError(FREED_MSG)
        if self._in_float32:
            return _float32(_unpack(self, self._saved[i]))
        return _unpack(self, self._saved[i])

    # -- graph helpers -------------------------------------------------------------------
    def name(self) -> str:
        """torch's name for this node: the op's ``node_name`` (``MulBackward0``), or the one its
        forward or wrapper set for the overload that ran (``ctx.node_name = "SumBackward1"``)."""
        return self.__dict__.get("node_name") or self._fn.node_name

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def register_hook(self, output_nr, hook):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        if hooks and getattr(hooks[-1], "retains_grad", False):
            hooks.insert(len(hooks) - 1, hook)   # retain_grad's hook stays last, as in torch
        else:
            hooks.append(hook)

    def _backward_in_float32(self, grads):
        """The backward of a bfloat16 op of minigrad's, as torch's backward kernels compute it: in
        float32 (the incoming gradients and the saved tensors upcast, exactly), each input's
        gradient rounded to bfloat16 once, where the engine casts it to its input's dtype."""
        self._in_float32 = True
        try:
            return self._fn.backward(self, *[_float32(g) for g in grads])
        finally:
            del self._in_float32

    def release(self):
        """Drop saved tensors and arrays stashed on ctx after a backward without retain_graph.

        A node that kept nothing but metadata (shapes, scalars) can be backwarded again, as in torch.
        """
        dropped = bool(self._saved)
        self._saved = None
        extras = self.__dict__
        if extras:
            for key, value in list(extras.items()):
                if _holds_array(value):
                    del extras[key]
                    dropped = True
        if dropped:
            self._freed = True

    def apply_backward(self, grads):
        """Call the Function's backward; returns one gradient (Tensor or None) per positional input."""
        if self._freed:
            raise RuntimeError(FREED_MSG)
        if True not in self.needs_input_grad and self._fn.array_forward \
                and not self.name().endswith("NotImplemented"):
            # (every input a view made under no_grad: torch's node computes none of its gradients,
            # but a node for an op without a derivative still raises)
            return (None,) * len(self.next_functions)
        if _LOW_PRECISION and self._fn.array_forward and any(
                g is not None and g._data.dtype in _LOW_PRECISION for g in grads):
            out = self._backward_in_float32(grads)
        else:
            out = self._fn.backward(self, *grads)
        if type(out) is not tuple:
            out = (out,)
        n = len(self.next_functions)
        if len(out) != n:  # (rare)
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


_ARRAYS = (np.ndarray, Tensor)


_PLAIN = frozenset((int, float, bool, str, type(None)))   # what ctx extras mostly are: skipped fast


def _holds_array(value) -> bool:
    if type(value) in _PLAIN:
        return False
    if isinstance(value, (tuple, list)):
        for v in value:
            if isinstance(v, _ARRAYS):
                return True
        return False
    return isinstance(value, _ARRAYS) or hasattr(value, "__cuda_array_interface__")


class AccumulateGrad:
    """The graph's sink for a leaf tensor: adds incoming gradients into ``leaf.grad``."""

    next_functions = ()

    def __init__(self, leaf):
        self.variable = leaf

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def _pack(item, args, sources, outputs, raws, position=None):
    """A saved-tensor record: (kind, payload, version counter, version at save). ``position``: the
    item's place among the saved ones; where several arguments share the array (x and x.detach()),
    the argument at that place is the one meant (ops save their inputs in argument order)."""
    if item is None:
        return None
    if position is not None and position < len(args) and sources[position] is item \
            and isinstance(args[position], Tensor):
        a = args[position]
        return (_INPUT, a, a._vc, a._vc[0])
    for a, s in zip(args, sources):
        if item is s and isinstance(a, Tensor):
            return (_INPUT, a, a._vc, a._vc[0])
    for i, t in enumerate(outputs):
        if t is not None and (item is raws[i] or item is t._data):
            if not t._requires_grad:
                # an output outside the graph (integer, or marked non-differentiable): it unpacks as
                # it is, without a grad_fn, so a create_graph gradient computed from it (frexp's
                # exponent) requires grad only where the rest of its formula does, as torch's
                return (_CONST, t, t._vc, t._vc[0])
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
        # (torch names the node of a differentiable output only: not that of returned indices)
        where = f", which is output {payload[1]} of {node._fn.__name__}," \
            if kind == _OUTPUT and (array.dtype.kind in "fc" or array.dtype in _LOW_PRECISION) else ""
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [minigrad.{array.dtype.name}Tensor {list(array.shape)}]{where} is at "
            f"version {version[0]}; expected version {at_save} instead.")
    if kind == _INPUT:
        if payload.grad_fn is None and not payload._requires_grad \
                and payload.__dict__.get("_detached_edge") in node.next_functions:
            # saved while in the graph, then detach_()ed: torch's SavedVariable refuses it
            raise RuntimeError("Trying to use a saved tensor that has been detached in-place, i.e. with .detach_()."
                               "This is not supported, please use out-of-place `.detach()` instead")
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


_NOT_NEEDED = [(False,) * n for n in range(16)]

# While a forward-AD dual level is open, ``autograd.forward_ad`` sets this to a callable
# ``(cls, args, kwargs) -> outputs`` that every apply goes through (it returns NotImplemented
# when no argument carries a tangent); None otherwise, so reverse mode pays one global read.
forward_ad_hook = None
_state = grad_mode.state  # (this thread's grad-mode flags, switched by no_grad & co.)
_anomaly = grad_mode.anomaly  # (process-wide)


class Function:
    """Subclass and define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``; call ``apply``.

    As in torch, forward may instead take no ctx (``forward(*args)``) when the subclass defines
    ``setup_context(ctx, inputs, output)``, which apply calls after forward to fill ctx.
    """

    array_forward = False   # minigrad's own ops: forward on arrays (see the module docstring)
    differentiable = True   # False for ops whose outputs never require grad (argmax, comparisons)
    supports_complex = False  # True for the ops checked on complex inputs (ops/complex.py); others refuse them
    _backward_cls = Node    # the class of the nodes apply creates; each user Function gets its own
    _forward_signature = None  # (forward's signature, cached by _bind_inputs)
    node_name = "FunctionBackward"  # what ``grad_fn.name()`` shows; each subclass gets its own below
    computes_in_float32 = True  # bfloat16 arrays reach forward as float32 (_forward_in_float32); False for casts

    def __init_subclass__(cls, **kwargs):
        """Name the nodes of each subclass as torch does: ``<Name>Backward0`` for minigrad's own
        ops unless the class sets torch's name itself (``node_name = "AddmmBackward0"``), and
        ``<Name>Backward`` (no overload number) for user Functions, whose node class is also
        called so: ``type(y.grad_fn).__name__`` and ``y.grad_fn.name()`` name the Function.

        minigrad's own ops (array_forward) share Node, whose ``name()`` names the op all the same:
        with one node class the engine's attribute reads stay monomorphic, which CPython's
        specialising interpreter needs (a class per op measured 5-6 us slower on a 5-node
        forward and backward of 40 us, benchmarks/bench_overhead.py's tiny step).
        """
        super().__init_subclass__(**kwargs)
        if "node_name" not in cls.__dict__:
            cls.node_name = cls.__name__ + ("Backward0" if cls.array_forward else "Backward")
        if not cls.array_forward:
            cls._backward_cls = type(cls.__name__ + "Backward", (Node,),
                                     {"__slots__": (), "__module__": cls.__module__, "_forward_cls": cls})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward; when grad mode is on and an argument requires grad, record the call (_record)."""
        if forward_ad_hook is not None:
            out = forward_ad_hook(cls, args, kwargs)
            if out is not NotImplemented:
                return out
        if not cls.array_forward:
            return _apply_user_function(cls, args, kwargs)
        # One pass over the arguments: the arrays behind tensors, and whether any requires grad.
        # (A plain loop: on every op's path, it costs half of two comprehensions.)
        sources, record, refuses_complex = [], False, not cls.supports_complex
        for a in args:
            if isinstance(a, Tensor):
                data = a._data
                sources.append(data)
                if refuses_complex and data.dtype.kind == "c":
                    raise _complex_refused(cls, data)
                if a._requires_grad:
                    record = True
            else:
                sources.append(a)
        if record and _state.grad_enabled and cls.differentiable:
            return _apply_recorded(cls, args, sources, kwargs)
        # Not recorded: the ctx only carries forward's stashes, and nothing needs a gradient.
        n = len(args)
        ctx = Node(cls, _NOT_NEEDED[n] if n < 16 else (False,) * n)
        if _LOW_PRECISION and cls.computes_in_float32:
            raw = _forward_in_float32(cls, ctx, args, sources, kwargs)[0]
        elif kwargs:
            raw = cls.forward(ctx, *sources, **kwargs)
        else:   # (most calls: an empty **kwargs still costs a dict merge)
            raw = cls.forward(ctx, *sources)
        # _wrap's first two cases, inlined: a fresh array, as most ops return, and a NumPy scalar,
        # as full reductions return
        if type(raw) is np.ndarray:
            if raw.base is None:
                return _new_tensor(raw)
        elif isinstance(raw, np.generic):
            return _new_tensor(np.asarray(raw))
        if type(raw) is not tuple:
            return _wrap(raw, False, None, 0, args)
        return _inplace.mark_multi_output_views(
            tuple(_wrap(r, False, None, 0, args) if r is not None else None for r in raw), cls)


def _apply_recorded(cls, args, sources, kwargs):
    """apply for one of minigrad's own ops when it is recorded: forward, then _record."""
    needs = []   # (a plain loop: a comprehension costs a function call more, on every recorded op)
    for a in args:
        need = isinstance(a, Tensor) and a._requires_grad
        if need and a._view_origin is not None and a.grad_fn is None and _inplace.is_no_grad_view(a):
            _inplace.check_multi_output_view(a)   # (stale: raises)
            need = False   # no edge (see _edge): torch's node neither saves for nor computes its gradient
        needs.append(need)
    ctx = Node(cls, tuple(needs))
    if _anomaly["trace"]:
        ctx._anomaly_trace = "".join(traceback.format_stack()[:-2])
    if _LOW_PRECISION and cls.computes_in_float32:
        raw, sources = _forward_in_float32(cls, ctx, args, sources, kwargs)
    elif kwargs:
        raw = cls.forward(ctx, *sources, **kwargs)
    else:
        raw = cls.forward(ctx, *sources)
    return _record(ctx, args, sources, raw)


def _complex_refused(cls, array):
    """The error for a complex input to an op whose formulas are not checked for complex numbers."""
    from ..dtypes import scalar_name
    name = cls.__name__
    return NotImplementedError(f"minigrad's {name} does not support complex tensors yet (got {scalar_name(array.dtype)})")


_LOW_PRECISION = dtypes.LOW_PRECISION_ARRAYS   # {bfloat16's NumPy dtype: True} once bfloat16 is used
_FLOAT32 = np.dtype(np.float32)


def _float32(t):
    """A bfloat16 tensor cast to float32 (differentiably, for create_graph); anything else as it is."""
    if isinstance(t, Tensor) and t._data.dtype in _LOW_PRECISION:
        return t.float()
    return t


def _forward_in_float32(cls, ctx, args, sources, kwargs):
    """``(raw outputs, the arrays forward saw)`` for an op with bfloat16 inputs, computed as torch
    computes bfloat16: forward runs on float32 copies, and where every floating tensor input was
    bfloat16 each float32 result is rounded to bfloat16 once (round to nearest even). Pointwise
    ops thus match torch bit for bit, and reductions accumulate in float32. (Plain arrays that a
    wrapper passes, such as layer_norm's statistics, are upcast too but decide no dtype.) An op
    whose forward returns a view (or one of its inputs) only moves data: it runs again on the
    stored arrays, so that the view shares the input's memory."""
    for s in sources:   # (the common case, no bfloat16 array among them, in one quick pass)
        if getattr(s, "dtype", None) in _LOW_PRECISION:
            break
    else:
        return cls.forward(ctx, *sources, **kwargs), sources
    upcast, copies, target, other_float = list(sources), [], None, False
    for i, s in enumerate(sources):
        dt = getattr(s, "dtype", None)
        if isinstance(s, type) and issubclass(s, np.generic) or isinstance(s, np.dtype):
            dt = np.dtype(s)   # a dtype argument names the result's dtype (sum(x, dtype=...))
            if dt in _LOW_PRECISION:
                upcast[i] = _FLOAT32
            elif dt.kind in "fc":
                other_float = True
        elif dt in _LOW_PRECISION:
            upcast[i] = s.astype(_FLOAT32)
            copies.append(upcast[i])
            target = dt
        elif dt is not None and dt.kind in "fc" and isinstance(args[i], Tensor):
            other_float = True
    if target is None:
        return cls.forward(ctx, *sources, **kwargs), sources
    raw = cls.forward(ctx, *upcast, **kwargs)
    raws = raw if type(raw) is tuple else (raw,)
    if any(r is c or getattr(r, "base", None) is not None and r.base is c for r in raws for c in copies):
        return cls.forward(ctx, *sources, **kwargs), sources
    if other_float:   # a float32/float64/float16 input decided the result dtype (bfloat16 + float32 -> float32)
        return raw, upcast
    rounded = {}
    for r in raws:
        if getattr(r, "dtype", None) == _FLOAT32:
            rounded[id(r)] = dtypes.from_float32(r, target)
    if not rounded:
        return raw, upcast
    # (keyed by id: the raw outputs stay alive here, so an equal id is the very same array)
    if ctx._saved:   # a saved output is the rounded output tensor, as torch saves it
        ctx._saved = tuple([rounded.get(id(item), item) for item in ctx._saved])
    out = tuple([rounded.get(id(r), r) for r in raws])
    return (out if type(raw) is tuple else out[0]), upcast


def _apply_user_function(cls, args, kwargs):
    """apply for a user Function: forward on Tensors with recording off, then its outputs.

    As in torch, ctx.needs_input_grad says which inputs require grad whether or not the call is
    recorded, and forward's inputs include the keyword arguments that name its parameters.
    """
    setup_style = cls.setup_context is not Function.setup_context
    if kwargs or setup_style:
        args, kwargs = _bind_inputs(cls, args, kwargs, setup_style)
    needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
    record = True in needs and _state.grad_enabled and cls.differentiable
    ctx = cls._backward_cls(cls, needs)
    if record and _anomaly["trace"]:
        ctx._anomaly_trace = "".join(traceback.format_stack()[:-2])
    with grad_mode._GradMode(False):
        if setup_style:
            raw = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, raw)
        else:
            raw = cls.forward(ctx, *args, **kwargs)
    dirty = _take_dirty(ctx, raw)
    if record:
        for i, item in enumerate(ctx._saved or ()):
            if item is not None and not isinstance(item, Tensor):  # (minigrad's own ops save arrays too)
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(item).__name__}")
        return _record(ctx, args, args, raw, dirty)
    if type(raw) is not tuple:
        return _wrap_unrecorded(raw, args, dirty)
    return tuple([_wrap_unrecorded(r, args, dirty) for r in raw])


def _bind_inputs(cls, args, kwargs, setup_style):
    """``(inputs, remaining kwargs)``: forward's inputs as torch counts them.

    With setup_context, every parameter is bound, defaults included (torch binds them in Python).
    Otherwise keyword arguments that name forward's next positional parameters join the inputs,
    in the signature's order; a parameter skipped between them is an error, as in torch.
    """
    signature = cls.__dict__.get("_forward_signature")
    if signature is None:
        signature = cls._forward_signature = inspect.signature(cls.forward)
    if setup_style:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.args, bound.kwargs
    positional = [p.name for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]   # (after ctx)
    args, kwargs = list(args), dict(kwargs)
    for i in range(len(args), len(positional)):
        if not kwargs:
            break
        name = positional[i]
        if name not in kwargs:
            raise TypeError(f"forward() missing required argument: '{name}' (position {i})")
        args.append(kwargs.pop(name))
    return tuple(args), kwargs


def _take_dirty(ctx, raw):
    """The tensors forward marked dirty (removed from ctx); each must be one of forward's outputs."""
    dirty = ctx.__dict__.pop("_dirty", ())
    if dirty:
        returned = raw if type(raw) is tuple else (raw,)
        if not all(any(d is r for r in returned) for d in dirty):
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as "
                               "output. The inputs that are modified inplace must all be outputs of the Function.")
        for d in dirty:
            d._vc[0] += 1   # torch counts the in-place change once more when it is marked
    return dirty


def _wrap_unrecorded(raw, args, dirty):
    """An output of an unrecorded call: what is not a Tensor, and a tensor modified in place that
    needs no grad, are returned as they are; any other tensor (under no_grad, an input that
    requires grad) is a new, detached one."""
    if not isinstance(raw, Tensor) or dirty and any(raw is d for d in dirty) and not raw._requires_grad:
        return raw
    return _wrap(raw, False, None, 0, args)


def _record(ctx, args, sources, raw, dirty=()):
    """Link the outputs of a recorded call into the graph and pack what forward saved."""
    edges, meta = [], []
    for a, needed in zip(args, ctx.needs_input_grad):
        if needed:
            edges.append(_edge(a))
            data = a._data
            meta.append((data.shape, data.dtype))
        else:
            edges.append(_NO_EDGE)
            meta.append(None)
    ctx.next_functions = tuple(edges)
    ctx._input_meta = tuple(meta)
    if type(raw) is not tuple:
        if type(raw) is np.ndarray and raw.base is None and raw.dtype.kind in "fc" and not ctx._non_differentiable \
                and ctx._fn.array_forward:
            out = _new_tensor(raw, True, ctx, 0)   # a fresh floating array from one of minigrad's ops: _link_output, inlined
            ctx._outputs_meta = ((raw.shape, raw.dtype),)
        else:
            out = _link_output(ctx, 0, raw, args, dirty)
            ctx._outputs_meta = ((out._data.shape, out._data.dtype),) if isinstance(out, Tensor) else (None,)
        saved = ctx._saved
        if saved:
            packed, outs, raws = [], (out,), (raw,)
            for i, item in enumerate(saved):
                packed.append(_pack(item, args, sources, outs, raws, i))
            ctx._saved = tuple(packed)
        return out
    outs = tuple([_link_output(ctx, nr, r, args, dirty) for nr, r in enumerate(raw)])
    ctx._outputs_meta = tuple([(t._data.shape, t._data.dtype) if isinstance(t, Tensor) else None for t in outs])
    if ctx._saved:
        ctx._saved = tuple([_pack(item, args, sources, outs, raw, i) for i, item in enumerate(ctx._saved)])
    return _inplace.mark_multi_output_views(outs, ctx._fn)


def _link_output(ctx, nr, r, args, dirty):
    """Output ``nr`` of a recorded call as a Tensor whose grad_fn is ctx; returned as it is when
    it is None or (from a user forward) not a Tensor."""
    if r is None or not (ctx._fn.array_forward or isinstance(r, Tensor)):
        return r
    if dirty and any(r is d for d in dirty):
        t = _rebase(r, ctx, nr)
    else:
        t = _wrap(r, True, ctx, nr, args)
    data = t._data
    non_diff = ctx._non_differentiable
    if data.dtype.kind not in "fc" and data.dtype not in _LOW_PRECISION \
            or non_diff and any(x is r or x is data for x in non_diff):
        t._requires_grad, t.grad_fn = False, None  # integer outputs and marked ones stay out of the graph
    return t


_NO_EDGE = (None, 0)


def _rebase(t, ctx, nr):
    """Make ``t``, modified in place by forward, output ``nr`` of ``ctx`` (the same object)."""
    if t.grad_fn is None and t._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
    if t._base is not None:  # (the base's history would need torch's CopySlices, as Tensor._inplace says)
        raise RuntimeError(
            "minigrad does not support in-place operations on a view of a tensor that requires "
            "grad (torch's CopySlices); use an out-of-place op or write into the base tensor.")
    t.grad_fn, t._output_nr, t._requires_grad = ctx, nr, True
    return t


def _wrap(raw, requires_grad, node, nr, args):
    """The output Tensor; an output that views an input's memory shares its version counter."""
    if type(raw) is np.ndarray:
        if raw.base is None:   # a fresh array (most ops): nothing to share
            return _new_tensor(raw, requires_grad, node, nr)
        array, maybe_input = raw, False
    elif isinstance(raw, np.generic):   # a NumPy scalar, as full reductions return: a fresh 0-d array
        return _new_tensor(np.asarray(raw), requires_grad, node, nr)
    elif isinstance(raw, Tensor):
        array, maybe_input = raw._data, True  # a user forward may return an input tensor itself
    else:
        array, maybe_input = _as_array(raw), False
    t = Tensor._make(array, requires_grad, node, nr)
    base = array.base
    if base is not None or maybe_input:
        for a in args:
            if isinstance(a, Tensor):
                data = a._data
                if array is data or (base is not None and (base is data or base is data.base)):
                    t._vc = a._vc
                    t._base = root = a if a._base is None else a._base
                    if _state.grad_enabled:  # so that a write into the base can re-derive this view
                        _inplace.register_view(root, t)
                        if a._view_origin is not None:   # (a view of a view made under no_grad)
                            _inplace.mark_view_of_no_grad_view(t, a)
                    else:
                        _inplace.mark_no_grad_view(t, requires_grad=not maybe_input)
                    break
    return t


def _as_array(a):
    if isinstance(a, np.generic):  # a NumPy scalar, as full reductions return
        return np.asarray(a)
    if isinstance(a, np.ndarray) or hasattr(a, "__cuda_array_interface__"):
        return a
    return np.asarray(a)


def _edge(a):
    """The graph edge to tensor ``a`` (which requires grad): its grad_fn, or its leaf's AccumulateGrad."""
    fn = a.grad_fn
    if a._view_origin is not None and fn is None and _inplace.is_no_grad_view(a):
        _inplace.check_multi_output_view(a)   # (stale: raises)
        return _NO_EDGE
    if fn is not None:
        if a._view_origin is not None:
            _inplace.check_multi_output_view(a)
        if a._retain_on_old is not None:
            _inplace.drop_retain_on_old(a)
        return (fn, a._output_nr)
    acc = a._accumulator
    if acc is None:
        acc = a._accumulator = AccumulateGrad(a)
    return (acc, 0)


# -- once_differentiable -----------------------------------------------------------------------

ONCE_DIFFERENTIABLE_MSG = "trying to differentiate twice a function that was marked with @once_differentiable"


class DelayedError(Function):
    """Passes its inputs through; differentiating through it raises (see once_differentiable)."""

    @staticmethod
    def forward(ctx, *tensors):
        return tensors if len(tensors) > 1 else tensors[0]

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise RuntimeError(ONCE_DIFFERENTIABLE_MSG)


def once_differentiable(backward):
    """Decorate a Function's backward that is not itself differentiable (torch's decorator).

    backward runs with recording off. Under ``create_graph=True``, where an incoming gradient
    requires grad, its results still require grad, through a node that raises if they are
    differentiated: a wrong second derivative is replaced by an error.
    """
    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with grad_mode._GradMode(False):
            outputs = backward(ctx, *grad_outputs)
        if not grad_mode.is_grad_enabled():
            return outputs
        if not any(isinstance(g, Tensor) and g._requires_grad for g in grad_outputs):
            return outputs
        single = not isinstance(outputs, tuple)
        outputs = (outputs,) if single else outputs
        # Detached copies that require grad, so that the outputs are recorded through DelayedError.
        marked = DelayedError.apply(*[o.detach().requires_grad_() if o is not None else None for o in outputs])
        return marked if single or len(outputs) > 1 else (marked,)
    return wrapper


from . import inplace as _inplace  # noqa: E402  (it imports this module)
