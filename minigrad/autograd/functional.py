"""Derivatives of whole functions (torch.autograd.functional): jacobian, hessian, vjp, jvp, hvp, vhp.

Each takes ``func`` and its ``inputs`` (a Tensor or a tuple of Tensors) and returns results
shaped as torch's: a Tensor where the inputs (or outputs) were a Tensor, a tuple where they
were a tuple, nested tuples (outputs x inputs) for jacobian and hessian.

All of them are built on reverse mode (``autograd.grad``):

* ``vjp``: one backward with ``v`` as the output gradient;
* ``jvp`` and ``hvp``: the "double backward trick": the backward is linear in its output
  gradient ``u``, so differentiating ``<vjp(u), v>`` with respect to ``u`` gives ``J v``;
* ``jacobian``: one backward per output element (rows of J), or with
  ``strategy="forward-mode"`` one forward-mode pass per input element (columns of J, through
  ``autograd.forward_ad``);
* ``hessian``: the jacobian of the gradient; ``vhp`` the vjp of the gradient.

``create_graph=True`` keeps the results differentiable; ``strict=True`` raises, as torch does,
where an output does not depend on an input. ``vectorize=True`` is accepted and computes the
same values one row at a time (there is no vmap).
"""
from __future__ import annotations

from . import grad_mode
from .engine import grad as _grad
from ..tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# -- argument handling (torch's conventions and messages) ---------------------------------------

def _as_tuple(value, arg_name, fn_name):
    """(was it a tuple, the tuple of Tensors)."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i} has type {type(el)}" if is_tuple else \
                f"the given {arg_name} has type {type(el)}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"{where}.")
    return is_tuple, items


def _unpack(result, was_tuple):
    """Undo _as_tuple: a bool for one level, (outer, inner) for nested tuples (jacobian, hessian)."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(el[0] for el in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def _prepare(inputs, create_graph, need_graph):
    """Fresh tensors to differentiate with respect to: differentiable views of the inputs when
    the caller wants a graph back to them, else detached copies (always new objects, so that
    the inputs are told apart from the same tensors captured inside func)."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in inputs)


def _finish(results, create_graph):
    if results and isinstance(results[0], tuple):
        return tuple(_finish(r, create_graph) for r in results)
    return results if create_graph else tuple(r.detach() for r in results)


def _check_v(v, others, others_tuple):
    if len(v) != len(others):
        if others_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(others)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el, other) in enumerate(zip(v, others)):
        if el.size() != other.size():
            prefix = f"Entry {i} in " if others_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {other.size()} but got {el.size()}.")


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be computed "
               "in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect "
                "to input {i} is independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is twice differentiable and that the jacobian depends on the inputs (this "
                "would be violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
               "This is not allowed in strict mode. You should ensure that your function is thrice "
               "differentiable and that the hessian depends on the inputs.",
}


def _check_requires_grad(tensors, kind, strict):
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is "
                               "not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad_of(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad; None for inputs they do not reach."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gouts = zip(*pairs)
    return _grad(outs, inputs, gouts, allow_unused=True, create_graph=create_graph, retain_graph=retain_graph)


_ZERO_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in strict "
                  "mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _zeros_for_none(grads, refs, strict, create_graph, stage):
    """Missing gradients become zeros (strict mode raises instead)."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = _zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        out.append(g)
    return tuple(out)


def _zeros_like(t):
    from ..creation import zeros_like
    return zeros_like(t)


def _v_or_scalar_default(v, refs, refs_tuple, fn_name, create_graph, what):
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _prepare(v, create_graph, need_graph=False)
        _check_v(v, refs, refs_tuple)
        return v
    if len(refs) != 1 or refs[0].nelement() != 1:
        raise RuntimeError(f"The vector v can only be None if {what} is a single Tensor with a single element.")
    return None


def _single_scalar_output(outputs, outputs_tuple, fn_name):
    if outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


# -- the six functions --------------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): one backward pass with ``v`` as the output gradient."""
    with grad_mode.enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is None and (len(outputs) != 1 or outputs[0].nelement() != 1):
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                               "with a single element.")
        if v is not None:
            v = _v_or_scalar_default(v, outputs, outputs_tuple, "vjp", create_graph, "")
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        result = _zeros_for_none(_grad_of(outputs, inputs, v, create_graph), inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(result, create_graph), inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v), by the double backward trick: J v = d/du <J^T u, v>."""
    with grad_mode.enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _v_or_scalar_default(v, inputs, inputs_tuple, "jvp", create_graph,
                                 "the input to the user-provided function")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # the backward is linear in u, so u's value does not matter (zeros: no inf or nan)
        us = tuple(_zeros_like(o).requires_grad_() for o in outputs)
        grad_inputs = _grad_of(outputs, inputs, us, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        result = _zeros_for_none(_grad_of(grad_inputs, us, v, create_graph), outputs, strict, create_graph,
                                 "back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(result, create_graph), outputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """J[i][j] = d output_i / d input_j, shaped output_i.shape + input_j.shape."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError('Computing Jacobian using forward-AD or forward-over-reverse Hessian is only '
                                      'implemented for `vectorize=True`.')
        return _jacobian_forward_mode(func, inputs, strict)
    with grad_mode.enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]          # per input: one gradient per element of out
            flat = out.reshape(-1)
            for k in range(out.nelement()):
                grads = _grad_of((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{j}. This is not allowed in strict mode.")
                        g = _zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input "
                                           f"{i}. This is not allowed in strict mode when create_graph=True.")
                    rows[j].append(g)
            jac.append(tuple(_stack(r, inp).view(out.size() + inp.size()) for r, inp in zip(rows, inputs)))
        return _unpack(_finish(tuple(jac), create_graph), (outputs_tuple, inputs_tuple))


def _stack(rows, like):
    from ..ops import stack
    if rows:
        return stack(rows, 0)
    from ..creation import zeros
    return zeros((0,) + tuple(like.shape), dtype=like.dtype)


def _jacobian_forward_mode(func, inputs, strict):
    """Columns of J, one forward-mode pass per input element (a one-hot tangent)."""
    from . import forward_ad
    from ..creation import zeros_like
    if strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` are "
                           "not supported together (yet). Please either set `strict=False` or "
                           "`strategy=\"reverse-mode\"`.")
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    columns, outputs_tuple, outputs = [], None, None
    for j, inp in enumerate(inputs):
        cols = []
        for k in range(inp.nelement()):
            with forward_ad.dual_level():
                duals = []
                for jj, other in enumerate(inputs):
                    tangent = zeros_like(other)
                    if jj == j:
                        tangent.view(-1)[k] = 1
                    duals.append(forward_ad.make_dual(other.detach(), tangent))
                outputs_tuple, outs = _as_tuple(func(*duals), "outputs of the user-provided function", "jacobian")
                tangents = [forward_ad.unpack_dual(o).tangent for o in outs]
                cols.append([zeros_like(o).detach() if t is None else t for o, t in zip(outs, tangents)])
                outputs = [o.detach() for o in outs]
        columns.append(cols)
    from ..ops import stack
    # lists, not tuples, where both levels are kept: torch's forward-mode jacobian returns them so
    jac = [[stack([c[i] for c in columns[j]], -1).view(out.size() + inp.size()) for j, inp in enumerate(inputs)]
           for i, out in enumerate(outputs)]
    return _unpack(jac, (outputs_tuple, inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """H[i][j] = d^2 func / d input_i d input_j for a function with one scalar output."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single "
                               "element")
        return out.squeeze()

    def gradient(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return _unpack(result, (inputs_tuple, inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H): the vjp of the gradient."""
    with grad_mode.enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _v_or_scalar_default(v, inputs, inputs_tuple, "vhp", create_graph,
                                 "the input to the user-provided function")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vhp")
        _check_requires_grad(outputs, "outputs", strict)
        _single_scalar_output(outputs, outputs_tuple, "vhp")
        jac = _grad_of(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        result = _zeros_for_none(_grad_of(jac, inputs, v, create_graph), inputs, strict, create_graph, "double_back")
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(result, create_graph), inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v): the double backward trick applied to the gradient."""
    with grad_mode.enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _v_or_scalar_default(v, inputs, inputs_tuple, "hvp", create_graph,
                                 "the input to the user-provided function")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "hvp")
        _check_requires_grad(outputs, "outputs", strict)
        _single_scalar_output(outputs, outputs_tuple, "hvp")
        jac = _grad_of(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        us = tuple(_zeros_like(t).requires_grad_() for t in inputs)
        double_back = _grad_of(jac, inputs, us, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        result = _zeros_for_none(_grad_of(double_back, us, v, create_graph), inputs, strict, create_graph,
                                 "double_back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(result, create_graph), inputs_tuple))
