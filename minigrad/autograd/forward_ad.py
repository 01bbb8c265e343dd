"""Forward-mode automatic differentiation (torch.autograd.forward_ad).

Reverse mode (``backward``) pulls one gradient back from an output to every input. Forward mode
pushes one *tangent* (a direction in input space) forward alongside the values: each op's
output carries J @ tangent, its Jacobian-vector product, computed as the op runs::

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)
        y = f(x)
        jvp = forward_ad.unpack_dual(y).tangent      # J_f(primal) @ tangent

One general mechanism gives every op its JVP, from the backward it already has (the "double
vjp" trick). An op's backward computes the vector-Jacobian product ``u -> J^T u``, which is
linear in ``u``. So ``<J^T u, t>``, a number, is linear in ``u`` with gradient ``J t``:
differentiating the backward once more, with respect to ``u``, yields the forward derivative.
minigrad's backward formulas are written with minigrad ops, so they can be differentiated
(``create_graph=True``), and any op (user Functions with differentiable backwards included)
propagates tangents without a JVP rule of its own. The cost is about two backward passes per
op, where a hand-written JVP rule would cost about one forward; the walkthrough discusses the
trade-off ("Forward mode versus reverse mode").

Tangents are dropped from every tensor when its dual level exits, as in torch. In-place ops on
dual tensors and nested levels are not supported.
"""
from __future__ import annotations

import collections
import contextlib
import weakref

from . import function, grad_mode
from .. import dtypes
from ..tensor import Tensor

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor"]

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_TANGENT = "_fw_tangent"     # the attribute (in the tensor's __dict__) that holds its tangent
_current_level = -1
_duals = []                  # weak references to the tensors given a tangent in the open level


def enter_dual_level() -> int:
    """Open a dual level (at most one at a time); returns its number."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = 0
    function.forward_ad_hook = _apply_with_tangents
    return _current_level


def exit_dual_level(*, level=None) -> None:
    """Close the open dual level: every tangent created in it is dropped."""
    global _current_level
    if level is not None and level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    function.forward_ad_hook = None
    _current_level = -1
    for ref in _duals:
        t = ref()
        if t is not None:
            t.__dict__.pop(_TANGENT, None)
    _duals.clear()


@contextlib.contextmanager
def dual_level():
    """A context in which dual tensors can be made and their tangents propagate."""
    enter_dual_level()
    try:
        yield _current_level
    finally:
        exit_dual_level()


def _set_tangent(tensor: Tensor, tangent: Tensor) -> None:
    tensor.__dict__[_TANGENT] = tangent
    _duals.append(weakref.ref(tensor))


def _tangent(value):
    return value.__dict__.get(_TANGENT) if isinstance(value, Tensor) else None


def make_dual(tensor: Tensor, tangent: Tensor, *, level=None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` as its forward gradient."""
    if _current_level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not dtypes.is_inexact(tensor._data.dtype):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not dtypes.is_inexact(tangent._data.dtype):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    with _hook_off():
        dual = tensor.view_as(tensor)
    _set_tangent(dual, tangent.detach())
    return dual


def unpack_dual(tensor: Tensor, *, level=None) -> UnpackedDualTensor:
    """``(primal, tangent)``: a view of the values without the tangent, and the tangent (or None)."""
    tangent = _tangent(tensor) if _current_level >= 0 else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    with _hook_off():
        primal = tensor.view_as(tensor)
    return UnpackedDualTensor(primal, tangent)


@contextlib.contextmanager
def _hook_off():
    saved, function.forward_ad_hook = function.forward_ad_hook, None
    try:
        yield
    finally:
        function.forward_ad_hook = saved


def _map_tensors(args, fn):
    """``args`` with fn applied to every Tensor, looking one level into lists and tuples (cat, stack)."""
    out = []
    for a in args:
        if isinstance(a, (list, tuple)) and any(isinstance(x, Tensor) for x in a):
            out.append(type(a)(fn(x) if isinstance(x, Tensor) else x for x in a))
        else:
            out.append(fn(a) if isinstance(a, Tensor) else a)
    return out


def _apply_with_tangents(cls, args, kwargs):
    """Function.apply while a dual level is open: the op's outputs, each with its tangent J @ t."""
    found = []
    _map_tensors(args, lambda t: found.append(t))
    if not any(_tangent(t) is not None for t in found):
        return NotImplemented
    with _hook_off():
        tangents = _jvp_by_double_vjp(cls, args, kwargs)
        out = cls.apply(*args, **kwargs)        # the values (and the reverse-mode graph) as usual
    outputs = out if isinstance(out, tuple) else (out,)
    for o, tangent in zip(outputs, tangents):
        if isinstance(o, Tensor) and tangent is not None:
            _set_tangent(o, tangent)
    return out


def _jvp_by_double_vjp(cls, args, kwargs):
    """The tangents of the op's outputs: with u standing for the output gradient, the backward
    gives g_i(u) = J_i^T u for each input i; then J t = d/du sum_i <g_i(u), t_i>.

    Under grad mode the tangents stay differentiable in reverse mode (forward-over-reverse, as
    torch's): the op is re-run on the very inputs, so that the graph reaches the weights."""
    from .engine import grad
    from ..creation import zeros_like
    found = []
    _map_tensors(args, lambda t: found.append(t))
    keep_graph = grad_mode.is_grad_enabled() and any(
        t.requires_grad or (_tangent(t) is not None and _tangent(t).requires_grad) for t in found)
    leaves, directions = [], []

    def fresh(t):
        tangent = _tangent(t)
        if tangent is None or not dtypes.is_inexact(t._data.dtype):
            return t if keep_graph else t.detach()
        # a new node to differentiate with respect to (attached to t's graph when t has one)
        leaf = t.view_as(t) if keep_graph and t.requires_grad else t.detach().requires_grad_()
        leaves.append(leaf)
        directions.append(tangent)
        return leaf.clone()   # (so that an in-place op works on a copy of the values)

    with grad_mode.enable_grad():
        out = cls.apply(*_map_tensors(args, fresh), **kwargs)
        outputs = out if isinstance(out, tuple) else (out,)
        differentiable = [o for o in outputs if isinstance(o, Tensor) and o.requires_grad]
        if not differentiable:
            return [None] * len(outputs)
        us = [zeros_like(o).requires_grad_() for o in differentiable]   # (any u: linear in it)
        vjps = grad(differentiable, leaves, us, create_graph=True, allow_unused=True)
        pairing = None
        for g, direction in zip(vjps, directions):
            if g is not None:
                term = (g * direction).sum()
                pairing = term if pairing is None else pairing + term
        if pairing is not None and pairing.requires_grad:
            jvps = grad(pairing, us, allow_unused=True, create_graph=keep_graph)
        else:   # the outputs do not depend on the tangents' inputs
            jvps = [None] * len(us)
    by_output = iter([zeros_like(u) if j is None else j if keep_graph else j.detach() for u, j in zip(us, jvps)])
    return [next(by_output) if isinstance(o, Tensor) and o.requires_grad else None for o in outputs]
