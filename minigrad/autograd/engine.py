"""The backward pass: walk the graph from the outputs to the leaves, applying the chain rule.

1. Collect every node reachable from the outputs (iteratively: a chain of 100,000 ops must not
   hit Python's recursion limit) and count, for each, how many edges point at it.
2. Run a node once all its dependents have delivered their gradients (Kahn's algorithm). The
   gradients arriving for one output of a node are summed first: that is why gradients
   accumulate when a tensor is used twice.
3. Undo broadcasting and dtype promotion centrally: a gradient whose shape differs from its
   input's is summed over the broadcast dims (``sum_to_size``), and cast back to the input dtype.
4. At a leaf, AccumulateGrad adds the gradient into ``leaf.grad``.

Without ``create_graph`` the backward formulas run under ``no_grad``; with it they record a
graph of their own, so the gradients can be differentiated again.
"""
from __future__ import annotations

import numpy as np

from . import grad_mode
from .. import dtypes
from . import inplace as _inplace
from .function import AccumulateGrad, Node
from ..kernels import buffers
from ..tensor import Tensor

_anomaly = grad_mode.state.anomaly

# Callables ``observer(node, grad_outputs, grad_inputs)`` run after each node's backward; used by
# learning tools such as trace_backward. Empty in normal use, so it costs one check per node.
observers = []


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """torch.autograd.backward: accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    if inputs is not None and not _as_tuple(inputs):
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(tensors, grad_tensors)
    capture = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        for t in inputs:
            # as torch: a non-leaf input retains its gradient, in this backward (its retain_grad
            # hook stores it) and in every later one
            t.retain_grad()
        capture = {_capture_key(t): None for t in inputs}
    _run(roots, retain_graph, create_graph, capture, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """torch.autograd.grad: the gradients of ``outputs`` w.r.t. ``inputs``, leaving ``.grad`` alone."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grad_outputs = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _roots(outputs, grad_outputs)
    keys = [_capture_key(t) for t in inputs]
    capture = dict.fromkeys(keys)
    _run(roots, retain_graph, create_graph, capture, accumulate=False)
    result = []
    for t, key in zip(inputs, keys):
        g = capture[key]
        if g is None:
            if materialize_grads:
                g = Tensor._make(np.zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)


def _as_tuple(x):
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _capture_key(t):
    """Where a tensor's gradient arrives: its grad_fn's output slot, or its leaf accumulator."""
    if t._view_origin is not None:   # (a stale view, also one made under no_grad without grad_fn, raises)
        _inplace.check_multi_output_view(t)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._accumulator is None:
        t._accumulator = AccumulateGrad(t)
    return (t._accumulator, 0)


def _roots(tensors, grads):
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if t._view_origin is not None:
            _inplace.check_multi_output_view(t)
        if not t._requires_grad or (t.grad_fn is None and t._view_origin is not None and _inplace.is_no_grad_view(t)):
            # (a view made under no_grad requires grad but has no edge to start from: as torch)
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not dtypes.is_floating(t._data.dtype):   # complex too, as torch
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"torch.{t.dtype.name}")
            g = Tensor._make(_ones_like(t._data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=t._data.dtype))
        if g._data.shape != t._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and "
                               f"output[{i}] has a shape of {list(t.shape)}.")
        if g._data.dtype != t._data.dtype:
            g = g.to(t.dtype)  # as torch's engine: the gradient takes its output's dtype (a half output rounds it)
        roots.append((_capture_key(t), g))
    return roots


def _ones_like(array):
    """np.ones_like without its Python-level wrapper (it seeds every backward)."""
    out = np.empty_like(array)  # a CuPy array gets a CuPy array
    out.fill(1)
    return out


def _run(roots, retain_graph, create_graph, capture, accumulate):
    # 1. dependencies: how many edges point at each node (only nodes reachable from the roots)
    deps = {}
    stack = []
    for (node, _), _g in roots:
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    needed = _needed_nodes(deps, capture) if capture is not None else None

    # 2. seed the root gradients, then process nodes whose dependents are all done
    pending = {}  # node -> list of gradients, one slot per output
    ready = []
    for (node, nr), g in roots:
        _deliver(pending, node, nr, g)
        if deps[node] == 0 and node not in ready:
            ready.append(node)
    # torch's engine runs a lone root as its graph's root node: the tensor hooks (and retain_grad) of
    # that root see its gradient even when no requested input lies below it
    lone_root = roots[0][0][0] if len(roots) == 1 else None
    with grad_mode._GradMode(bool(create_graph)):
        while ready:
            node = ready.pop()
            grads = pending.pop(node, None)
            if needed is not None and node not in needed:
                if node is lone_root and grads is not None:
                    _run_tensor_hooks(node, grads)
                grads = None  # not on a path to a requested input: skip the work
            elif grads is not None:
                _run_node(node, grads, pending, retain_graph, create_graph, capture, needed, accumulate)
            for nxt, _ in node.next_functions:
                if nxt is not None:
                    deps[nxt] -= 1
                    if deps[nxt] == 0:
                        ready.append(nxt)


def _needed_nodes(deps, capture):
    """Nodes from which some captured input can be reached (autograd.grad / inputs=)."""
    targets = {node for node, _ in capture}
    parents = {}
    for node in deps:
        for nxt, _ in node.next_functions:
            if nxt is not None:
                parents.setdefault(nxt, []).append(node)
    needed = set()
    stack = [t for t in targets if t in deps]
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        needed.add(node)
        stack.extend(parents.get(node, ()))
    return needed


def _deliver(pending, node, nr, g):
    slots = pending.get(node)
    if slots is None:
        n = 1 if isinstance(node, AccumulateGrad) else len(node._outputs_meta)
        slots = pending[node] = [None] * n
    prev = slots[nr]
    slots[nr] = g if prev is None else prev + g


def _run_node(node, grads, pending, retain_graph, create_graph, capture, needed, accumulate):
    if isinstance(node, AccumulateGrad):
        leaf = node.variable
        g = grads.pop()  # out of the pending list: now this local is the engine's only reference
        for hook in leaf._hooks or ():
            new = hook(g)
            if new is not None:
                g = new
        if capture is not None:
            if (node, 0) not in capture:
                return
            if not accumulate:
                capture[(node, 0)] = g
                return
        if leaf.grad_fn is not None:   # (an in-place op since made the leaf a result: torch's check)
            raise RuntimeError("leaf variable has been moved into the graph interior")
        if not leaf._requires_grad:
            return   # detach_() since this graph was built: as torch, its hooks ran, nothing accumulates
        _accumulate(leaf, g, create_graph)
        post_accumulate = leaf.__dict__.get("_post_accumulate_grad_hooks")
        if post_accumulate:
            for hook in list(post_accumulate.values()):
                hook(leaf)    # Tensor.register_post_accumulate_grad_hook: sees the updated .grad
        return

    # torch's engine captures the gradient of a requested non-leaf before that tensor's hooks run
    # when its node still has work below (the hooks run as the node executes), and after them when
    # it has none (the hooks run, then the node is skipped)
    passes_on = capture is not None and any(nxt in needed for nxt, _ in node.next_functions)
    captured = passes_on and _capture(node, grads, capture)
    if node._pre_hooks:
        _run_tensor_hooks(node, grads)
    if capture is not None and not passes_on:
        captured = _capture(node, grads, capture)
        # nothing below this node was asked for: stop here. backward(inputs=[non_leaf]) runs the
        # non-leaf's own node, as torch's engine does, but computes none of its outputs: it
        # unpacks what it saved (a version error raises), a node without a derivative (torch's
        # NotImplemented) raises, and the node is freed
        if accumulate and captured:
            if node._saved:
                node.saved_tensors
            if node.name().endswith("NotImplemented"):
                node.apply_backward(grads)
            if not retain_graph:
                node.release()
        return
    if node.materialize_grads and len(grads) > 1:  # (a single output always has its gradient)
        for nr, g in enumerate(grads):
            if g is None and node._outputs_meta[nr] is not None:  # (an output that is not a tensor gets None)
                shape, dtype = node._outputs_meta[nr]
                like = next((h._data for h in grads if h is not None), None)
                grads[nr] = Tensor._make(np.zeros(shape, dtype) if like is None or type(like) is np.ndarray
                                         else np.zeros_like(like, shape=shape, dtype=dtype))  # on like's GPU

    if needed is not None and node._fn.array_forward:
        input_grads = _backward_of_needed_inputs(node, grads, needed)
    else:
        input_grads = node.apply_backward(grads)
    post_hooks = node.__dict__.get("_post_hooks") if node.__dict__ else None
    if post_hooks:   # hook(grad_inputs, grad_outputs), as torch's Node.register_hook; a result replaces
        input_grads = tuple(input_grads)
        for hook in post_hooks:
            new = hook(input_grads, tuple(grads))
            if new is not None:
                input_grads = tuple(new)
    if observers:
        for observer in observers:
            observer(node, grads, input_grads)
    if _anomaly["enabled"]:
        _check_anomaly(node, input_grads)
    if not retain_graph:
        node.release()

    edges, metas = node.next_functions, node._input_meta
    for i, g in enumerate(input_grads):
        if g is None:
            continue
        nxt, nr = edges[i]
        if nxt is None:
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"function {node.name()} returned a gradient of type {type(g).__name__} "
                            f"at index {i}; expected a Tensor or None")
        shape, dtype = metas[i]
        if g._data.shape != shape:
            g = _sum_to(g, shape, node, i)
        if g._data.dtype != dtype:
            g = g.to(dtype)
        _deliver(pending, nxt, nr, g)


def _backward_of_needed_inputs(node, grads, needed):
    """Run an op's backward asking only for the gradients that lead to a requested input
    (autograd.grad, backward(inputs=)): torch's nodes compute an input's gradient only where the
    engine needs it (task_should_compute_output), so a derivative torch does not implement (zeta's
    in its first argument) raises only when that gradient is wanted. User Functions keep their
    ``needs_input_grad`` as recorded, as torch's. Every saved tensor is unpacked all the same (a
    version error raises), as torch's nodes unpack all of theirs before computing any gradient."""
    recorded = node.needs_input_grad
    edges = node.next_functions
    narrowed = tuple([need and (i >= len(edges) or edges[i][0] in needed) for i, need in enumerate(recorded)])
    if narrowed == recorded:
        return node.apply_backward(grads)
    if node._saved and not node._freed:
        node.saved_tensors
    node.needs_input_grad = narrowed
    try:
        return node.apply_backward(grads)
    finally:
        node.needs_input_grad = recorded


def _capture(node, grads, capture) -> bool:
    """Store the gradients of ``node``'s outputs that autograd.grad / backward(inputs=) asked for."""
    captured = False
    for nr in range(len(grads)):
        if (node, nr) in capture:
            capture[(node, nr)] = grads[nr]
            captured = True
    return captured


def _run_tensor_hooks(node, grads):
    """The hooks registered on the tensors whose gradients arrive at ``node`` (register_hook,
    retain_grad), in order; a hook's result replaces the gradient."""
    if isinstance(node, AccumulateGrad):
        hook_lists = {0: node.variable._hooks or ()}
    else:
        hook_lists = node._pre_hooks or {}
    for nr, hooks in hook_lists.items():
        if grads[nr] is not None:
            for hook in hooks:
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new


def _sum_to(g, shape, node, i):
    """Undo broadcasting: sum a gradient down to its input's shape (the one central place)."""
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    ok = lead >= 0 and all(s == 1 or s == gs for s, gs in zip(shape, gshape[lead:]))
    if not ok:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                           f"{list(gshape)} but expected shape compatible with {list(shape)}")
    return g.sum_to_size(shape)   # (the method: an import here costs more than the check above)


def _accumulate(leaf, g, create_graph):
    """AccumulateGrad: a ``.grad`` is always the leaf's own writable array (never a broadcast or
    another tensor's memory: users and optimizers update it in place)."""
    if leaf.grad is None:
        if create_graph:
            leaf.grad = g.clone()   # as torch: a copy that keeps g's graph
        else:
            # g's array itself when nothing else refers to it, else a copy (optimizers update .grad
            # in place); g is referred to by _run_node's variable and this function's argument
            leaf.grad = Tensor._make(buffers.take_over(g, held=2))
    elif create_graph or not getattr(leaf.grad._data.flags, "writeable", True):
        leaf.grad = leaf.grad + g
    else:
        # in place, as torch, also when .grad requires grad (it keeps its graph from an earlier
        # backward(create_graph=True))
        leaf.grad._data += g._data
        leaf.grad._vc[0] += 1


def _check_anomaly(node, input_grads):
    for i, g in enumerate(input_grads):
        if g is not None and dtypes.is_floating(g._data.dtype) and np.isnan(g._data).any():
            trace = getattr(node, "_anomaly_trace", None)
            where = f"\nThe forward call that created it:\n{trace}" if trace else ""
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.{where}")


class detect_anomaly:
    """Raise, naming the forward op, when a backward produces NaN (records forward stack traces)."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = dict(_anomaly)
        _anomaly.update(enabled=self.check_nan, trace=True)
        return self

    def __exit__(self, *exc):
        _anomaly.update(self._prev)
        return False


def set_detect_anomaly(mode: bool, check_nan: bool = True):
    _anomaly.update(enabled=bool(mode) and check_nan, trace=bool(mode))
