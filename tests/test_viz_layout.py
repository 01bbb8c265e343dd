"""minigrad.viz.layout: the built-in layered layout and its SVG/PNG drawings (no Graphviz)."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.viz import layout as L

SVG = "{http://www.w3.org/2000/svg}"


def _check_layout(lay, edges):
    real = {k: b for k, b in lay.boxes.items() if not b.dummy}
    for src, dst, _ in edges:                       # every edge points down, one layer or more
        assert real[src].layer < real[dst].layer
        assert real[src].y + real[src].h / 2 < real[dst].y - real[dst].h / 2
    by_layer = {}
    for b in lay.boxes.values():
        by_layer.setdefault(b.layer, []).append(b)
    for boxes in by_layer.values():                 # no two boxes of a layer overlap
        boxes.sort(key=lambda b: b.x)
        for a, b in zip(boxes, boxes[1:]):
            assert a.x + a.w / 2 <= b.x - b.w / 2 + 1e-6
    for b in real.values():                         # everything on the canvas
        assert b.x - b.w / 2 >= 0 and b.x + b.w / 2 <= lay.width
        assert b.y - b.h / 2 >= 0 and b.y + b.h / 2 <= lay.height


def test_layers_order_and_no_overlap_on_a_cnn_graph():
    loss, names = viz.example_graph()
    g = viz.draw_graph(loss, names=names)
    lay = g.layout()
    _check_layout(lay, g.edges)
    out = next(b for b in lay.boxes.values() if b.kind == "output")
    assert out.layer == max(b.layer for b in lay.boxes.values())     # the loss at the bottom
    for src, dst, _, points in lay.edges:                             # edges join their boxes
        assert points[0][1] == pytest.approx(lay.boxes[src].y + lay.boxes[src].h / 2)
        assert points[-1][1] == pytest.approx(lay.boxes[dst].y - lay.boxes[dst].h / 2)


def test_long_edges_bend_through_dummies_and_crossings_are_removed():
    # a leaf used at the top and at the bottom of a chain, and two swapped pairs of inputs
    a = minigrad.tensor([1.0], requires_grad=True)
    b = minigrad.tensor([2.0], requires_grad=True)
    y = a * 2
    for _ in range(3):
        y = y * 1.5
    z = (y * b + a) * (b + a)
    g = viz.draw_graph(z, names={"a": a, "b": b})
    lay = g.layout()
    _check_layout(lay, g.edges)
    assert any(b_.dummy for b_ in lay.boxes.values())
    long_edge = max(lay.edges, key=lambda e: len(e[3]))
    assert len(long_edge[3]) > 2                     # bent through its dummies, one point per layer
    assert L._crossings([(0, 1), (1, 0)]) == 1 and L._crossings([(0, 0), (1, 1)]) == 0
    assert _total_crossings(lay) == 0                # this graph can be drawn without crossings


def _total_crossings(lay):
    """Crossings between adjacent layers of a finished layout, from the boxes' x order."""
    count = 0
    segments = {}
    for _, _, _, pts in lay.edges:
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            segments.setdefault(round(y0), []).append((x0, x1))
    for segs in segments.values():
        for i, (a0, a1) in enumerate(segs):
            for b0, b1 in segs[i + 1:]:
                if (a0 - b0) * (a1 - b1) < 0:
                    count += 1
    return count


def test_svg_is_wellformed_escaped_and_complete():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    g = viz.draw_graph(y, names={'a <b> & "c"': x}, show_data=True)
    svg = g.svg(engine="builtin")
    root = ET.fromstring(svg)                        # parses: text is escaped
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert {"ExpBackward0", "MulBackward0", "SumBackward0"} <= set(texts)
    assert any(t.startswith('a <b> & "c"') for t in texts)
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert any(t.startswith("z = exp(x);  dz/dx = z") for t in titles)   # the derivative as the op's tooltip
    nodes = [e for e in root.iter(f"{SVG}g") if "node" in e.get("class", "")]
    assert sorted(e.get("id") for e in nodes) == sorted(n["id"] for n in g.nodes)


def test_png_and_pdf_through_matplotlib(tmp_path):
    x = minigrad.tensor([[1.0, 2.0]], requires_grad=True)
    w = minigrad.ones(3, 2, requires_grad=True)
    g = viz.draw_graph(F.linear(x, w).sum())
    png = g.render(tmp_path / "g.png", engine="builtin")
    data = open(png, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    lay = g.layout()
    assert width == pytest.approx(lay.width / 72 * 144, abs=2) and height == pytest.approx(lay.height / 72 * 144, abs=2)
    assert open(g.save(tmp_path / "g.pdf", engine="builtin"), "rb").read()[:5] == b"%PDF-"


def test_op_names_are_torchs_grad_fn_names():
    # the labels are what torch calls the same ops' grad_fn (without torch's trailing version digit)
    x = minigrad.tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    w = minigrad.tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
    mg = viz.draw_graph(F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum())
    tx = torch.ones(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    tw = torch.ones(2, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(tx, tw, padding=1), 2).sum()
    names, node = [], out.grad_fn
    while node is not None and type(node).__name__ != "AccumulateGrad":
        names.append(node.name())
        node = next((f for f, _ in node.next_functions if f is not None and type(f).__name__ != "AccumulateGrad"), None)
    ours = [n["label"] for n in mg.nodes if n["kind"] == "op"]
    assert ours == names


def test_deep_chain_layout_is_fast_enough():
    x = minigrad.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(2000):
        y = y * 1.0
    lay = viz.draw_graph(y).layout()
    assert len(lay.boxes) == 2002 and lay.height > 2000 * L.LAYER_GAP
