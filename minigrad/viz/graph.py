"""Draw the graph behind a tensor: what backward will walk, as SVG, PNG or Graphviz DOT text.

    g = minigrad.viz.draw_graph(loss, names=dict(model.named_parameters()))
    g.render("graph.svg")          # or .png / .pdf; g.source is the DOT text; notebooks show g inline

Tensors are ellipses (the leaves that require grad and the output), ops are boxes (one per
recorded node, named like torch's ``grad_fn``: ``MulBackward0``...). An intermediate tensor is
the edge between the op that made it and the op that uses it, labelled with its shape and dtype.
Arrows run forward, from the leaves to the output; backward walks them in reverse. Hovering over
an op in the SVG shows its derivative (the first line of its Function's docstring). Tensors that
do not require grad (inputs, targets) are not part of the graph and are not drawn.

Rendering needs only pip packages: the layout is minigrad.viz.layout's own (a layered DAG
layout), SVG is written directly and PNG/PDF are drawn with matplotlib. Where Graphviz's ``dot``
program is installed it is used instead (``engine="auto"``), since its spline routing reads
better on large graphs; ``engine="builtin"`` or ``"dot"`` chooses explicitly.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np

from . import layout as _layout
from ..autograd.function import AccumulateGrad
from ..tensor import Tensor

__all__ = ["draw_graph", "Graph", "register"]

_INSTALL_HINT = ("Graphviz's `dot` program was not found on PATH (engine='dot'). Install Graphviz (apt install "
                 "graphviz, brew install graphviz or conda install graphviz), or use engine='builtin', which "
                 "needs only Python packages.")
_ENGINES = ("auto", "builtin", "dot")


class Graph:
    """A drawn graph: ``source`` (DOT text), plus the ``nodes`` and ``edges`` it lists.

    ``nodes`` are dicts with ``id``, ``kind`` (``"op"``, ``"leaf"`` or ``"output"``) and ``label``;
    ``edges`` are ``(from_id, to_id, label)`` tuples in the forward direction. ``objects`` maps
    each id to what it stands for: the op's node (``tensor.grad_fn``) or the tensor.
    """

    def __init__(self, source: str, nodes: list, edges: list, objects: dict | None = None):
        self.source = source
        self.nodes = nodes
        self.edges = edges
        self.objects = objects or {}
        self._layout = None

    def __str__(self):
        return self.source

    def __repr__(self):
        ops = sum(n["kind"] == "op" for n in self.nodes)
        return f"<minigrad.viz.Graph: {ops} ops, {len(self.nodes) - ops} tensors, {len(self.edges)} edges>"

    def layout(self):
        """The built-in layered layout (a :class:`minigrad.viz.layout.Layout`), computed once."""
        if self._layout is None:
            self._layout = _layout.layout(self.nodes, self.edges)
        return self._layout

    def svg(self, engine: str = "auto") -> str:
        """The graph as an SVG document (text)."""
        return self.pipe("svg", engine).decode("utf-8")

    def save(self, path, format: str | None = None, engine: str = "auto") -> str:
        """Write the graph to ``path`` in the format its extension names: ``g.png``, ``g.svg``,
        ``g.pdf``, or the DOT text for ``g.dot`` / ``g.gv`` (the same as :meth:`render`)."""
        return self.render(path, format=format, engine=engine)

    def pipe(self, format: str = "svg", engine: str = "auto") -> bytes:
        """The rendered bytes. ``engine``: ``"dot"`` (Graphviz, any of its formats), ``"builtin"``
        (svg; png, pdf and matplotlib's other formats through matplotlib) or ``"auto"`` (dot when
        it is installed, else builtin)."""
        if engine not in _ENGINES:
            raise ValueError(f"engine must be one of {', '.join(_ENGINES)}, not {engine!r}")
        if format in ("dot", "gv"):
            return self.source.encode("utf-8")
        exe = shutil.which("dot") if engine != "builtin" else None
        if exe is None and engine == "dot":
            raise RuntimeError(_INSTALL_HINT)
        if exe is None:
            return self._builtin(format)
        done = subprocess.run([exe, f"-T{format}"], input=self.source.encode("utf-8"), capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"dot -T{format} failed (exit {done.returncode}): "
                               f"{done.stderr.decode('utf-8', 'replace').strip()}")
        return done.stdout

    def _builtin(self, format: str) -> bytes:
        if format == "svg":
            return _layout.to_svg(self.layout()).encode("utf-8")
        import io
        fig = _layout.to_matplotlib(self.layout())
        out = io.BytesIO()
        fig.savefig(out, format=format, dpi=144)
        return out.getvalue()

    def render(self, path, format: str | None = None, engine: str = "auto") -> str:
        """Render to ``path`` (format from its extension unless given: svg, png, pdf; dot/gv write
        the DOT text). Returns the path written."""
        path = os.fspath(path)
        if format is None:
            ext = os.path.splitext(path)[1].lstrip(".").lower()
            format = ext or "svg"
        data = self.pipe(format, engine)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _repr_svg_(self):
        """Jupyter shows the graph inline: always SVG (Graphviz's when installed and working, else
        the built-in one)."""
        try:
            return self.svg()
        except RuntimeError:   # a dot that fails (a broken install) must not cost the learner the picture
            return self.svg(engine="builtin")


def _quote(text: str) -> str:
    """A DOT string literal; newlines become centred line breaks."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r\n", "\n").replace("\n", "\\n") + '"'


def _shape(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _dtype_name(dtype) -> str:
    return getattr(dtype, "name", None) or str(dtype).split(".")[-1]


def _values(array, limit: int = 6) -> str:
    array = np.asarray(array if isinstance(array, np.ndarray) else getattr(array, "get", lambda: array)())
    return np.array2string(array, precision=4, threshold=limit, edgeitems=2, max_line_width=48,
                           suppress_small=True)


def _tensor_label(t: Tensor, name: str | None, show_data: bool, show_grad: bool) -> str:
    lines = [name] if name else []
    lines.append(f"{_shape(t.shape)} {_dtype_name(t.dtype)}")
    if show_data:
        lines.append(_values(t._data))
    if show_grad and t.grad is not None:
        lines.append("grad = " + _values(t.grad._data) if show_data else f"grad {_shape(t.grad.shape)}")
    return "\n".join(lines)


def _derivative(node) -> str:
    doc = getattr(node._fn, "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else node.name()


def draw_graph(tensor, show_data: bool = False, show_grad: bool = True, names=None) -> Graph:
    """The autograd graph behind ``tensor`` (or a sequence of tensors) as a :class:`Graph`.

    ``show_data`` prints (abbreviated) values in the tensor nodes; ``show_grad`` prints each
    leaf's ``.grad`` when it has one (so draw after ``backward()`` to see them; with
    ``show_data`` the values, else the shape). ``names`` maps labels to tensors, e.g.
    ``dict(model.named_parameters())``, to name the leaves.
    """
    roots = list(tensor) if isinstance(tensor, (list, tuple)) else [tensor]
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph expects a Tensor or a sequence of Tensors, not {type(r).__name__}")
    labels = {id(t): name for name, t in (names or {}).items()}
    ids, objects = {}, {}
    nodes, edges = [], []

    def node_id(obj, kind, label, **attrs):
        key = ("tensor" if isinstance(obj, Tensor) else "op", id(obj))
        if key not in ids:
            ids[key] = f"n{len(ids)}"
            objects[ids[key]] = obj
            nodes.append(dict(id=ids[key], kind=kind, label=label, **attrs))
        return ids[key]

    # Breadth-first from the outputs, iteratively (deep graphs must not hit the recursion limit).
    queue = []
    for i, r in enumerate(roots):
        name = labels.get(id(r)) or ("output" if len(roots) == 1 else f"output {i}")
        if r.grad_fn is None:
            node_id(r, "leaf" if r.requires_grad else "output",
                    _tensor_label(r, labels.get(id(r)), show_data, show_grad))
            continue
        out = node_id(r, "output", _tensor_label(r, name, show_data, show_grad and r.retains_grad))
        op = node_id(r.grad_fn, "op", r.grad_fn.name(), tooltip=_derivative(r.grad_fn))
        edges.append((op, out, ""))
        queue.append(r.grad_fn)
    seen = {id(n) for n in queue}
    while queue:
        node = queue.pop(0)
        consumer = ids[("op", id(node))]
        for nxt, nr in node.next_functions:
            if nxt is None:
                continue
            if isinstance(nxt, AccumulateGrad):
                leaf = nxt.variable
                src = node_id(leaf, "leaf",
                              _tensor_label(leaf, labels.get(id(leaf)), show_data, show_grad))
                edges.append((src, consumer, ""))
                continue
            src = node_id(nxt, "op", nxt.name(), tooltip=_derivative(nxt))
            meta = nxt._outputs_meta[nr] if nr < len(nxt._outputs_meta) else None
            label = f"{_shape(meta[0])} {_dtype_name(meta[1])}" if meta else ""
            edges.append((src, consumer, label))
            if id(nxt) not in seen:
                seen.add(id(nxt))
                queue.append(nxt)
    return Graph(_to_dot(nodes, edges), nodes, edges, objects)


_STYLE = {
    "op": 'shape=box, style="rounded,filled", fillcolor="#eeeeee", fontname="Helvetica"',
    "leaf": 'shape=ellipse, style=filled, fillcolor="#cfe2ff", fontname="Helvetica"',
    "output": 'shape=ellipse, style=filled, fillcolor="#d1f0d6", fontname="Helvetica"',
}


def _to_dot(nodes, edges) -> str:
    lines = ["digraph minigrad {", '  graph [rankdir=TB, fontsize=11];',
             '  node [fontsize=11];', '  edge [fontsize=9, fontname="Helvetica"];']
    for n in nodes:
        extra = f", tooltip={_quote(n['tooltip'])}" if n.get("tooltip") else ""
        lines.append(f"  {n['id']} [label={_quote(n['label'])}, {_STYLE[n['kind']]}{extra}];")
    for src, dst, label in edges:
        attrs = f" [label={_quote(' ' + label)}]" if label else ""
        lines.append(f"  {src} -> {dst}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- the `minigrad graph` command -------------------------------------------------------------
def example_graph():
    """The seed CNN's loss on a small random batch, after backward: ``(loss, names)``.

    Falls back to a two-layer perceptron when minigrad.models.ConvNet is not available.
    """
    import minigrad
    import minigrad.nn.functional as F
    minigrad.manual_seed(0)
    try:
        from minigrad.models import ConvNet
    except ImportError:
        ConvNet = None
    if ConvNet is not None:
        model = ConvNet()
        x = minigrad.randn(2, *getattr(model, "input_shape", (1, 32, 32)))  # the seed CNN's 1x32x32 images
        logits = model(x)
        target = minigrad.tensor([i % logits.shape[1] for i in range(2)])
        loss = F.cross_entropy(logits, target)
        names = dict(model.named_parameters())
    else:
        x = minigrad.randn(4, 3)
        w1 = minigrad.randn(3, 5, requires_grad=True)
        b1 = minigrad.zeros(5, requires_grad=True)
        w2 = minigrad.randn(5, 1, requires_grad=True)
        hidden = minigrad.relu(x @ w1 + b1)
        loss = ((hidden @ w2) ** 2).mean()
        names = {"w1": w1, "b1": b1, "w2": w2}
    loss.backward(retain_graph=True)
    names["loss"] = loss
    return loss, names


def _script_graph(path):
    """Run ``path``; draw what its ``graph()`` returns, else its ``loss``/``output``/``out``."""
    import runpy
    scope = runpy.run_path(path, run_name="__minigrad_graph__")
    if callable(scope.get("graph")):
        result = scope["graph"]()
        return result if isinstance(result, tuple) else (result, None)
    for key in ("loss", "output", "out"):
        if isinstance(scope.get(key), Tensor):
            return scope[key], None
    found = [v for v in scope.values() if isinstance(v, Tensor) and v.grad_fn is not None]
    if not found:
        raise SystemExit(f"{path} defines no graph() function and no tensor with a grad_fn to draw")
    return found[-1], None


def add_arguments(p):
    """The ``minigrad graph`` options (minigrad/cli.py calls this, then :func:`main` with the args)."""
    p.description = ("Draw the autograd graph of the seed CNN's loss, or of SCRIPT: a Python file that "
                     "defines graph() returning a tensor (or (tensor, names)), or leaves a tensor named "
                     "loss, output or out. Writes SVG, PNG, PDF or DOT; needs no Graphviz.")
    p.add_argument("script", nargs="?", help="a Python file (default: the seed CNN on a random batch)")
    p.add_argument("-o", "--out", default="graph.svg", help="output file (default graph.svg)")
    p.add_argument("--format", choices=["svg", "png", "pdf", "dot"], help="default: from --out's extension")
    p.add_argument("--show-data", action="store_true", help="print tensor values in the nodes")
    p.add_argument("--no-grad", action="store_true", help="do not print the leaves' gradients")
    p.add_argument("--engine", choices=list(_ENGINES), default="auto",
                   help="layout: Graphviz's dot where installed (auto), or minigrad's own (builtin)")


def register(subparsers):
    """Add ``graph`` to an argparse subparsers object (``args.func(args)`` runs it)."""
    p = subparsers.add_parser("graph", help="draw an autograd graph (the seed CNN's, or a script's) to a file")
    add_arguments(p)
    p.set_defaults(func=graph_command)
    return p


def graph_command(args) -> int:
    tensor, names = _script_graph(args.script) if args.script else example_graph()
    graph = draw_graph(tensor, show_data=args.show_data, show_grad=not args.no_grad, names=names)
    out = args.out or "graph.svg"
    graph.render(out, format=args.format, engine=getattr(args, "engine", "auto"))
    print(f"wrote {out} ({graph!r})")
    return 0


def main(args=None) -> int:
    """``minigrad graph``: given parsed args (from minigrad/cli.py), or a list of command-line words."""
    import argparse
    if not isinstance(args, argparse.Namespace):
        parser = argparse.ArgumentParser(prog="python -m minigrad.viz")
        add_arguments(parser)
        args = parser.parse_args(args)
    return graph_command(args)

