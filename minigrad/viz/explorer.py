"""The backprop explorer: one self-contained HTML page that replays a backward pass, step by step.

    minigrad.viz.explore(loss, "backprop.html")           # a loss whose backward has not run yet
    minigrad.viz.explore(build, "backprop.html")          # build(lib) -> loss or (loss, names)
    minigrad explain script.py -o backprop.html           # the same from the command line

``explore`` runs ``loss.backward()`` itself and watches the engine while it runs: each function
node's step comes from :func:`minigrad.autograd.trace_backward` (the engine's observers: the node,
the gradient that arrived for its output, the gradients it returned), and each leaf's
``AccumulateGrad`` shows up through a tensor hook on the leaf (the summed gradient that is about
to be added to ``.grad``). So the page shows the engine's real order, not a re-derived one.

The page has everything inlined (data, script, style, the SVG of the graph): it opens from disk
with no network and no server. Forward values of intermediate tensors are only known if the
forward ran under :func:`recording` (``explore(build)`` and ``minigrad explain`` always do).

With a ``build`` function, written once against a torch-like namespace (``lib.tensor``,
``lib.nn.functional``...), the explorer also runs it with torch, when torch is installed, and
puts torch's gradients of the named leaves beside minigrad's.
"""
from __future__ import annotations

import contextlib
import html
import io
import json
import math
import os
import pathlib
import weakref

import numpy as np

from ..autograd import engine
from ..autograd import function as _function
from ..autograd.function import AccumulateGrad
from ..autograd.trace import _norm as _trace_norm
from ..autograd.trace import trace_backward
from ..tensor import Tensor
from .graph import _dtype_name, draw_graph

__all__ = ["explore", "recording", "add_arguments", "main"]

_HERE = pathlib.Path(__file__).resolve().parent
MAX_VALUES = 256          # values of an array kept in the page; beyond that, only the first ones and stats

# -- remembering forward values ----------------------------------------------------------------
# node -> the arrays of its outputs (copies), for every op recorded inside `recording()`. Weak
# keys: an entry goes when its graph does.
_remembered: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_active = [0]


def _to_numpy(array) -> np.ndarray:
    return np.asarray(array if isinstance(array, np.ndarray) else getattr(array, "get", lambda: array)())


@contextlib.contextmanager
def recording():
    """Remember the forward value of every op output computed inside the block, so that the
    explorer can show intermediate tensors (it copies them: later in-place changes do not show).

    It wraps the one function through which every recorded op passes (``_record`` in
    minigrad/autograd/function.py) for the duration of the block; outside it, nothing is added
    to the forward path.
    """
    original = _function._record
    if _active[0] == 0:
        def _record_and_remember(ctx, args, sources, raw):
            out = original(ctx, args, sources, raw)
            outs = out if isinstance(out, tuple) else (out,)
            _remembered[ctx] = [None if t is None else np.array(_to_numpy(t._data)) for t in outs]
            return out
        _record_and_remember.original = original
        _function._record = _record_and_remember
    _active[0] += 1
    try:
        yield
    finally:
        _active[0] -= 1
        if _active[0] == 0:
            _function._record = getattr(_function._record, "original", _function._record)


# -- what the page is told about arrays ----------------------------------------------------------
def _number(v: float):
    """A JSON-safe number: NaN and infinities as the strings JavaScript's Number() parses."""
    v = float(v)
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def _summary(array) -> dict:
    """Shape, dtype, the values (all, or the first MAX_VALUES), min / mean / max / norm."""
    a = _to_numpy(array)
    flat = a.ravel()
    out = {"shape": list(a.shape), "dtype": _dtype_name(a.dtype), "size": int(a.size),
           "values": [_number(v) for v in flat[:MAX_VALUES]]}
    if a.size and a.dtype.kind in "fciub":
        f = flat.astype(np.float64)
        out.update(min=_number(f.min()), mean=_number(f.mean()), max=_number(f.max()),
                   norm=_number(np.linalg.norm(f)))
    return out


def _rule(node) -> str:
    """The derivative as the cheat sheet states it: the first paragraph of the Function's docstring,
    on one line (as minigrad.testing.report.derivative_line, which needs the test extra to import)."""
    import inspect
    doc = inspect.getdoc(node._fn) or ""
    return " ".join(line.strip() for line in doc.split("\n\n")[0].splitlines()).strip() or node.name()


# -- recording a backward pass -----------------------------------------------------------------
def _record_backward(loss, graph, leaf_names, retain_graph):
    """Run ``loss.backward()`` while watching the engine; returns (events, trace steps, trace text).

    Events are, in the engine's order, ``("node", node, grad_outputs, sent)`` for each function
    node (``sent``: ``(input index, receiving node, gradient as the receiver gets it)``) and
    ``("leaf", tensor, gradient)`` for each leaf's AccumulateGrad.
    """
    from ..autograd import grad_mode
    events = []

    def on_node(node, grad_outputs, grad_inputs):
        sent = []
        with grad_mode.no_grad():
            for i, g in enumerate(grad_inputs):
                nxt = node.next_functions[i][0] if i < len(node.next_functions) else None
                if g is None or nxt is None:
                    continue
                shape, dtype = node._input_meta[i]
                raw_shape, raw_norm = tuple(g._data.shape), _trace_norm(g)   # what backward returned
                if g._data.shape != shape:     # the engine's own broadcast undoing and cast, as it does next
                    g = engine._sum_to(g, shape, node, i)
                if g._data.dtype != dtype:
                    g = g.to(dtype)
                sent.append((i, nxt, raw_shape, raw_norm, _to_numpy(g._data).copy()))
        events.append(("node", node, [None if g is None else _to_numpy(g._data).copy() for g in grad_outputs], sent))

    leaves = [t for t in graph.objects.values() if isinstance(t, Tensor) and t.grad_fn is None and t.requires_grad]
    handles = []
    for leaf in leaves:
        def on_leaf(g, leaf=leaf):
            events.append(("leaf", leaf, _to_numpy(g._data).copy()))
        handles.append(leaf.register_hook(on_leaf))
    text = io.StringIO()
    try:
        with trace_backward(file=text, names=leaf_names) as steps:
            engine.observers.append(on_node)   # after trace's own observer: both see each node in turn
            try:
                loss.backward(retain_graph=retain_graph)
            finally:
                engine.observers.remove(on_node)
    finally:
        for h in handles:
            h.remove()
    return events, steps, text.getvalue()


def _node_entries(graph, names) -> list:
    """What the page knows of each drawn node: its name, and its forward value(s) when known
    (a tensor's own; an op's outputs if they were remembered by :func:`recording`)."""
    name_of = {id(t): n for n, t in names.items()}
    leaf_ids = [n["id"] for n in graph.nodes if n["kind"] == "leaf"]
    nodes = []
    for n in graph.nodes:
        obj = graph.objects[n["id"]]
        entry = {"id": n["id"], "kind": n["kind"], "label": n["label"]}
        if isinstance(obj, Tensor):
            default = f"leaf {leaf_ids.index(n['id']) + 1}" if n["id"] in leaf_ids else "output"
            entry["name"] = name_of.get(id(obj)) or default
            entry["value"] = [_summary(obj._data)]
        else:
            entry["name"] = obj.name()
            entry["rule"] = _rule(obj)
            values = _remembered.get(obj)
            entry["value"] = None if values is None else [None if v is None else _summary(v) for v in values]
        nodes.append(entry)
    return nodes


def _step_entries(loss, graph, nodes, events, trace_steps, leaf_names, grads_before) -> list:
    """The page's steps, one per event of the recorded pass, with the gradients each node received
    (and from whom: what the engine summed) and sent."""
    gid = {id(obj): i for i, obj in graph.objects.items()}
    trace_labels = iter(s["label"] for s in trace_steps)
    label_of = {}               # graph id -> the trace's label (MulBackward0#2, AccumulateGrad(x))
    for leaf_name, t in leaf_names.items():
        if id(t) in gid:
            label_of[gid[id(t)]] = f"AccumulateGrad({leaf_name})"
    # the gradients that arrive at each (graph id, output slot), in order: what the engine sums
    root_key = (gid[id(loss.grad_fn)], loss._output_nr) if loss.grad_fn is not None else (gid[id(loss)], 0)
    arriving = {root_key: [{"from": "backward()", "step": 0, "grad": _summary(np.ones_like(_to_numpy(loss._data)))}]}
    steps, leaf_grad = [], dict(grads_before)
    for kind, subject, *rest in events:
        if kind == "node":
            grad_outputs, sent = rest
            me = gid[id(subject)]
            label = label_of[me] = next(trace_labels)
            step = {"kind": "node", "node": me, "label": label, "name": subject.name(), "rule": _rule(subject),
                    "incoming": [{"slot": nr, "grad": None if g is None else _summary(g),
                                  "parts": arriving.get((me, nr), [])} for nr, g in enumerate(grad_outputs)],
                    "sends": []}
            for index, nxt, raw_shape, raw_norm, g in sent:
                to_leaf = isinstance(nxt, AccumulateGrad)
                to = gid[id(nxt.variable)] if to_leaf else gid[id(nxt)]
                nr = subject.next_functions[index][1]   # which output of the receiver (0 for a leaf)
                entry = {"index": index, "to": to, "raw_shape": list(raw_shape), "raw_norm": _number(raw_norm),
                         "grad": _summary(g), "to_leaf": to_leaf}
                step["sends"].append(entry)
                arriving.setdefault((to, nr), []).append({"from": label, "step": len(steps) + 1, "grad": entry["grad"]})
        else:
            (g,) = rest
            me = gid[id(subject)]
            before = leaf_grad.get(me)
            after = leaf_grad[me] = g.copy() if before is None else before + g   # what AccumulateGrad does
            step = {"kind": "leaf", "node": me, "name": "AccumulateGrad",
                    "label": label_of.get(me) or f"AccumulateGrad({_node(nodes, me)['name']})",
                    "incoming": [{"slot": 0, "grad": _summary(g), "parts": arriving.get((me, 0), [])}],
                    "before": None if before is None else _summary(before), "after": _summary(after), "sends": []}
        steps.append(step)
    for step in steps:          # the receivers' labels, now that every node has one
        for s in step["sends"]:
            s["to_label"] = label_of.get(s["to"], s["to"])
    return steps


def _page_data(loss, names, torch_grads, torch_note, title, retain_graph):
    from .layout import to_svg
    names = dict(names or {})
    graph = draw_graph(loss, names=names, show_grad=False)
    leaf_names = {k: v for k, v in names.items() if isinstance(v, Tensor) and v.grad_fn is None}
    leaf_ids = [n["id"] for n in graph.nodes if n["kind"] == "leaf"]
    grads_before = {i: (None if graph.objects[i].grad is None else _to_numpy(graph.objects[i].grad._data).copy())
                    for i in leaf_ids}
    nodes = _node_entries(graph, names)
    events, trace_steps, trace_text = _record_backward(loss, graph, leaf_names, retain_graph)
    steps = _step_entries(loss, graph, nodes, events, trace_steps, leaf_names, grads_before)
    # the graph's ops carry the trace's numbered labels (MulBackward0#1, MulBackward0#2), as the steps do
    numbered = {s["node"]: s["label"] for s in steps if s["kind"] == "node"}
    for n, entry in zip(graph.nodes, nodes):
        if n["id"] in numbered:
            n["label"] = entry["label"] = numbered[n["id"]]
    graph._layout = None
    leaves = []
    for i in leaf_ids:
        t = graph.objects[i]
        entry = {"id": i, "name": _node(nodes, i)["name"],
                 "before": None if grads_before[i] is None else _summary(grads_before[i]),
                 "grad": None if t.grad is None else _summary(t.grad._data)}
        theirs = (torch_grads or {}).get(entry["name"])
        if theirs is not None:
            theirs = np.asarray(theirs)
            entry["torch"] = _summary(theirs)
            if t.grad is not None and theirs.shape == tuple(t.grad.shape):
                entry["max_abs_diff"] = _max_abs_diff(_to_numpy(t.grad._data), theirs)
        leaves.append(entry)
    return {"title": title, "nodes": nodes, "steps": steps, "leaves": leaves, "trace": trace_text,
            "torch": torch_grads is not None, "torch_note": torch_note,
            "svg": to_svg(graph.layout(), id_prefix="node-")}


def _max_abs_diff(ours, theirs) -> float:
    """The largest |ours - theirs|, where equal values (infinities, NaN and NaN) differ by 0."""
    a, b = ours.astype(np.float64), theirs.astype(np.float64)
    with np.errstate(invalid="ignore"):
        d = np.abs(a - b)
    d[(a == b) | (np.isnan(a) & np.isnan(b))] = 0.0
    return _number(d.max()) if d.size else 0.0


def _node(nodes, node_id):
    return next(n for n in nodes if n["id"] == node_id)


def _split(result):
    """(loss, names) from what a build function or a script returned."""
    if isinstance(result, tuple):
        loss, names = result[0], (result[1] if len(result) > 1 else None)
    else:
        loss, names = result, None
    return loss, dict(names or {})


def _torch_side(build):
    """Run ``build(torch)`` and backward; (gradients of the named leaves as arrays, a note)."""
    try:
        import torch
    except ImportError:
        return None, "torch is not installed: install it (pip install -e '.[test]') to see its gradients beside."
    try:
        loss, names = _split(build(torch))
        loss.backward()
    except Exception as exc:   # the page still shows minigrad's side; the note says why torch's is missing
        return None, f"torch could not run the same function: {type(exc).__name__}: {exc}"
    grads = {name: t.grad.detach().cpu().numpy() for name, t in names.items()
             if isinstance(t, torch.Tensor) and t.grad is not None}
    return grads, "torch ran the same function on the same values; its gradients are beside minigrad's."


def explore(target, path="backprop.html", *, names=None, torch_grads=None, title=None,
            retain_graph: bool = False) -> str:
    """Write the backprop explorer for ``target`` to ``path`` (one self-contained HTML file) and
    return the path.

    ``target`` is either a loss tensor whose backward has not run yet (``explore`` runs it, so
    the leaves' ``.grad`` are filled afterwards as by ``loss.backward()``; ``retain_graph`` is
    passed on), or a function ``build(lib)`` returning a loss or ``(loss, names)``, written against
    a torch-like namespace (``lib`` is ``minigrad``, and ``torch`` for the comparison).

    ``names`` maps labels to leaf tensors (e.g. ``dict(model.named_parameters())``);
    ``torch_grads`` maps the same labels to torch's gradients (arrays or torch tensors), for a
    loss computed outside ``explore``.
    """
    import minigrad
    note = None
    if callable(target) and not isinstance(target, Tensor):
        build = target
        with recording():
            loss, built_names = _split(build(minigrad))
        names = {**built_names, **(names or {})}
        if torch_grads is None:
            torch_grads, note = _torch_side(build)
        title = title or getattr(build, "__name__", "backprop")
    else:
        loss = target
        if torch_grads is not None:
            torch_grads = {k: (v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v))
                           for k, v in torch_grads.items()}
        else:
            note = ("To see torch's gradients beside minigrad's, explore a function build(lib) that returns "
                    "(loss, names) (minigrad explain: define graph(lib) in the script), or pass torch_grads=.")
    if not isinstance(loss, Tensor):
        raise TypeError(f"explore expects a Tensor or a function returning one, not {type(loss).__name__}")
    if not loss.requires_grad:
        raise RuntimeError("explore: the tensor does not require grad, so it has no backward pass to show")
    data = _page_data(loss, names, torch_grads, note, title or "backprop", retain_graph)
    text = page(data)
    path = os.fspath(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def page(data: dict) -> str:
    """The HTML text: the data as inline JSON, the page's script and style inlined."""
    script = (_HERE / "explorer.js").read_text(encoding="utf-8")
    style = (_HERE / "explorer.css").read_text(encoding="utf-8")
    shown = {k: v for k, v in data.items() if k != "svg"}   # the SVG goes into the page as markup
    blob = json.dumps(shown, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")
    title = html.escape(f"minigrad backprop explorer: {data['title']}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body>
<header><h1>{title}</h1>
<p>Click or hover a node to see its forward value. <b>Step</b> replays the engine's backward pass one node at a
time, in the order it ran (keys: &rarr; step, &larr; back).</p></header>
<main>
<section id="graph-pane">{data['svg']}</section>
<aside id="side">
<div id="controls"><button id="reset">Reset</button> <button id="back">&#9664; Back</button>
<button id="step">Step &#9654;</button> <button id="run-all">Run all</button>
<span id="step-count"></span></div>
<div id="step-panel"></div>
<h2>Leaves and their .grad</h2>
<table id="leaves"></table>
<p id="torch-note"></p>
<h2>Forward value</h2>
<div id="value-panel"><p class="hint">Hover or click a node in the graph.</p></div>
</aside>
</main>
<details id="trace-text"><summary>The same pass as trace_backward prints it</summary><pre></pre></details>
<script type="application/json" id="mg-data">{blob}</script>
<script>
{script}
</script>
</body>
</html>
"""


# -- the `minigrad explain` command ----------------------------------------------------------------
def example(lib):
    """The walkthrough's first example, L = sum(x * y + x): x is used twice, so its gradients add up."""
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
    return (x * y + x).sum(), {"x": x, "y": y}


def _script_target(path):
    """What to explore in a script: its ``graph(lib)`` function (compared with torch), else what
    its ``graph()`` returns or the tensor it leaves in ``loss``/``output``/``out``, run under
    :func:`recording`."""
    import inspect
    import runpy
    with recording():
        scope = runpy.run_path(path, run_name="__minigrad_explain__")
        fn = scope.get("graph")
        if callable(fn):
            if len(inspect.signature(fn).parameters) >= 1:
                return fn
            return _split(fn())
    for key in ("loss", "output", "out"):
        if isinstance(scope.get(key), Tensor):
            return scope[key], _leaf_names(scope)
    raise SystemExit(f"{path} defines no graph() function and no tensor named loss, output or out")


def _leaf_names(scope) -> dict:
    """Names for a script's leaves: its variables that hold one, and ``var.param`` for the
    parameters of the modules it holds (``model.conv1.weight``)."""
    from ..nn import Module
    names = {}
    for var, value in scope.items():
        if var.startswith("_"):
            continue
        if isinstance(value, Tensor) and value.grad_fn is None and value.requires_grad:
            names[var] = value
        elif isinstance(value, Module):
            names.update({f"{var}.{name}": p for name, p in value.named_parameters()})
    return names


def add_arguments(p):
    p.description = ("Write the backprop explorer: one self-contained HTML page that replays the backward "
                     "pass of SCRIPT's loss step by step. SCRIPT defines graph(lib) returning a loss or "
                     "(loss, names), written against a torch-like lib (run with minigrad, and with torch "
                     "for comparison when it is installed), or graph() without arguments, or leaves a "
                     "tensor named loss, output or out. Without SCRIPT: L = sum(x * y + x).")
    p.add_argument("script", nargs="?", help="a Python file (default: the walkthrough's first example)")
    p.add_argument("-o", "--out", default="backprop.html", help="output file (default backprop.html)")


def main(args) -> int:
    if not hasattr(args, "script"):
        import argparse
        parser = argparse.ArgumentParser(prog="minigrad explain")
        add_arguments(parser)
        args = parser.parse_args(args)
    if args.script is None:
        target, names = example, None
    else:
        target = _script_target(args.script)
        target, names = (target, None) if callable(target) else target
    out = explore(target, args.out, names=names)
    print(f"wrote {out}: open it in a browser (it needs no network and no server)")
    return 0
