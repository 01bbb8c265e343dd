"""trace_backward: watch the chain rule run, one backward step at a time.

    with minigrad.autograd.trace_backward():
        loss.backward()

prints, in the order the engine runs them, each node's name, the gradient(s) arriving for its
output(s) and the gradient(s) it sends to its inputs (shape and norm), and where each one goes:
the next node, or ``AccumulateGrad`` (a leaf's ``.grad``). A gradient wider than its input (a
broadcast operand) is shown with the shape the engine sums it down to.

It listens on :data:`minigrad.autograd.engine.observers`, so tracing costs nothing when unused.
The context manager also yields the list of recorded steps (dicts), for programs and tests.
"""
from __future__ import annotations

import contextlib
import sys

import numpy as np

from . import engine
from .function import AccumulateGrad

__all__ = ["trace_backward"]


def _shape(t) -> str:
    return "[" + ", ".join(str(s) for s in t._data.shape) + "]"


def _norm(t) -> float:
    data = t._data
    if not isinstance(data, np.ndarray):  # a GPU array
        data = data.get()
    return float(np.linalg.norm(np.asarray(data, dtype=np.float64).ravel()))


class _Labels:
    """Tell nodes of the same kind apart: MulBackward0#1, MulBackward0#2, ... in order of appearance."""

    def __init__(self, names):
        self.names = names
        self.by_node = {}
        self.counts = {}

    def __call__(self, node) -> str:
        if isinstance(node, AccumulateGrad):
            leaf = node.variable
            label = self.names.get(id(leaf))
            return f"AccumulateGrad({label})" if label else f"AccumulateGrad(leaf {_shape(leaf)})"
        key = id(node)
        if key not in self.by_node:
            name = node.name()
            self.counts[name] = self.counts.get(name, 0) + 1
            self.by_node[key] = (node, f"{name}#{self.counts[name]}")  # keeps node alive: ids stay unique
        return self.by_node[key][1]


@contextlib.contextmanager
def trace_backward(file=None, *, names=None):
    """Print each backward step while the block runs; yields the list of steps recorded.

    ``file`` defaults to ``sys.stdout`` (looked up when the block starts, so pytest's capture and
    ``contextlib.redirect_stdout`` work). ``names`` maps labels to leaf tensors (for example
    ``dict(model.named_parameters())``) so that the leaves' gradients are printed under a name.

    Nodes of the same kind are numbered in order of appearance (``MulBackward0#1``,
    ``MulBackward0#2``) so that the destinations can be followed; a leaf's node is shown as
    ``AccumulateGrad(name)``.

    Each step is a dict: ``step`` (1, 2, ...), ``node`` (e.g. ``"MulBackward0"``), ``label`` (e.g.
    ``"MulBackward0#2"``), ``grad_outputs``
    (shapes of the incoming gradients, ``None`` for outputs that received none),
    ``grad_output_norms`` and
    ``grad_inputs``: one dict per input that receives a gradient, with ``index`` (forward's
    positional argument), ``shape`` (what backward returned), ``to_shape`` (after the engine
    undoes broadcasting), ``norm`` and ``to`` (the receiving node's label).
    """
    out = sys.stdout if file is None else file
    label = _Labels({id(t): name for name, t in (names or {}).items()})
    steps = []

    def observer(node, grad_outputs, grad_inputs):
        incoming = [None if g is None else tuple(g._data.shape) for g in grad_outputs]
        record = {"step": len(steps) + 1, "node": node.name(), "label": label(node), "grad_outputs": incoming,
                  "grad_inputs": []}
        record["grad_output_norms"] = [None if g is None else _norm(g) for g in grad_outputs]
        shown_in = ", ".join("none" if g is None else f"{_shape(g)} norm {_norm(g):.6g}" for g in grad_outputs)
        lines = [f"[{record['step']}] {record['label']}  grad_output: {shown_in}"]
        for i, g in enumerate(grad_inputs):
            nxt = node.next_functions[i][0] if i < len(node.next_functions) else None
            if g is None or nxt is None:
                continue  # a constant, a setting (dim, flag...) or an input that needs no gradient
            meta = node._input_meta[i]
            to_shape = tuple(meta[0]) if meta is not None else tuple(g._data.shape)
            info = {"index": i, "shape": tuple(g._data.shape), "to_shape": to_shape, "norm": _norm(g),
                    "to": label(nxt)}
            record["grad_inputs"].append(info)
            summed = "" if to_shape == info["shape"] else \
                " summed to [" + ", ".join(map(str, to_shape)) + "] (broadcast)"
            lines.append(f"      grad_input[{i}]: {_shape(g)}{summed}  norm {info['norm']:.6g}  -> {info['to']}")
        steps.append(record)
        print("\n".join(lines), file=out)

    engine.observers.append(observer)
    try:
        yield steps
    finally:
        engine.observers.remove(observer)
