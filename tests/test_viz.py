"""minigrad.viz: the graph's nodes and DOT text, rendering (built-in layout, or Graphviz's dot), the graph command."""
import argparse
import os
import shutil
import stat
import sys

import numpy as np
import pytest

import minigrad
from minigrad import viz


def _small():
    x = minigrad.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    w = minigrad.ones(4, 3, requires_grad=True)
    y = ((x * w) + x).sum()
    return x, w, y


def test_one_node_per_op_and_per_leaf_with_shapes_and_dtypes():
    x, w, y = _small()
    g = viz.draw_graph(y, names={"x": x, "w": w})
    ops = sorted(n["label"] for n in g.nodes if n["kind"] == "op")
    assert ops == ["AddBackward0", "MulBackward0", "SumBackward0"]
    leaves = {n["label"].splitlines()[0]: n["label"] for n in g.nodes if n["kind"] == "leaf"}
    assert set(leaves) == {"x", "w"}
    assert "[1, 3] float32" in leaves["x"] and "[4, 3] float32" in leaves["w"]
    outputs = [n for n in g.nodes if n["kind"] == "output"]
    assert len(outputs) == 1 and "[] float32" in outputs[0]["label"]
    # x feeds both Mul and Add: two edges from x; intermediates are labelled edges
    x_id = next(n["id"] for n in g.nodes if n["label"].startswith("x"))
    assert sum(1 for src, _, _ in g.edges if src == x_id) == 2
    assert sorted(label for _, _, label in g.edges if label) == ["[4, 3] float32", "[4, 3] float32"]
    assert len(g.edges) == 6


def test_dot_source_is_wellformed_and_escaped():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    g = viz.draw_graph(y, names={'we"ird\\name': x})
    src = g.source
    assert src.startswith("digraph minigrad {") and src.rstrip().endswith("}")
    assert 'we\\"ird\\\\name' in src  # quotes and backslashes escaped inside the DOT string
    assert src.count("{") == src.count("}")
    # every edge endpoint is a declared node
    declared = {n["id"] for n in g.nodes}
    for src_id, dst_id, _ in g.edges:
        assert src_id in declared and dst_id in declared
        assert f"{src_id} -> {dst_id}" in g.source
    # the derivative shows as a tooltip on the op
    assert 'tooltip="z = x * y;  dz/dx = y,  dz/dy = x' in g.source   # (then its complex form)


def test_show_data_and_show_grad():
    x, w, y = _small()
    before = viz.draw_graph(y, names={"x": x})
    assert "grad" not in next(n for n in before.nodes if n["label"].startswith("x"))["label"]
    y.backward(retain_graph=True)
    with_grad = viz.draw_graph(y, names={"x": x})
    assert "grad [1, 3]" in next(n for n in with_grad.nodes if n["label"].startswith("x"))["label"]
    with_data = viz.draw_graph(y, show_data=True, names={"x": x})
    label = next(n for n in with_data.nodes if n["label"].startswith("x"))["label"]
    assert "[[1. 2. 3.]]" in label and "grad = [[8. 8. 8.]]" in label   # d/dx sum(x*w + x) = 4 + 4
    no_grad = viz.draw_graph(y, show_grad=False, names={"x": x})
    assert "grad" not in next(n for n in no_grad.nodes if n["label"].startswith("x"))["label"]


def test_graph_of_a_leaf_and_of_several_outputs():
    x = minigrad.tensor([1.0], requires_grad=True)
    g = viz.draw_graph(x)
    assert [n["kind"] for n in g.nodes] == ["leaf"] and g.edges == []
    a, b = x * 2, x * 3
    g = viz.draw_graph([a, b])
    assert sum(n["kind"] == "output" for n in g.nodes) == 2
    assert sum(n["kind"] == "leaf" for n in g.nodes) == 1   # the shared leaf is drawn once
    with pytest.raises(TypeError, match="Tensor"):
        viz.draw_graph(np.ones(2))


def test_deep_graph_does_not_recurse():
    x = minigrad.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    g = viz.draw_graph(y)
    assert sum(n["kind"] == "op" for n in g.nodes) == 3000


def test_render_without_dot_needs_only_pip(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    _, _, y = _small()
    g = viz.draw_graph(y)
    svg = g._repr_svg_()                       # notebooks always get a picture
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for op in ("MulBackward0", "AddBackward0", "SumBackward0"):
        assert f">{op}</tspan>" in svg
    assert svg.count('class="node ') == len(g.nodes) and svg.count('class="edge"') == len(g.edges)
    png = open(g.render(tmp_path / "g.png"), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert open(g.render(tmp_path / "g.svg"), encoding="utf-8").read() == svg
    assert open(g.render(tmp_path / "g.pdf"), "rb").read()[:5] == b"%PDF-"
    with pytest.raises(RuntimeError, match="Graphviz"):
        g.render(tmp_path / "g2.svg", engine="dot")   # asked for dot by name: say how to get it
    with pytest.raises(ValueError, match="engine"):
        g.pipe("svg", engine="neato")
    out = g.render(tmp_path / "g.dot")         # DOT text needs no Graphviz
    assert open(out).read() == g.source


def _fake_dot(tmp_path):
    """A stand-in `dot` that records its arguments and echoes its input (so the test needs no Graphviz)."""
    script = tmp_path / "bin" / "dot"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write('<svg>' + ' '.join(sys.argv[1:]) + "
                      f"'|' + sys.stdin.read() + '</svg>')\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_render_calls_dot_with_the_format(tmp_path, monkeypatch):
    fake = _fake_dot(tmp_path)
    monkeypatch.setenv("PATH", str(fake.parent) + os.pathsep + os.environ.get("PATH", ""))
    _, _, y = _small()
    g = viz.draw_graph(y)
    path = g.render(tmp_path / "graph.png")
    data = open(path, "rb").read().decode()
    assert data.startswith("<svg>-Tpng|digraph minigrad")
    assert g._repr_svg_().startswith("<svg>-Tsvg|")
    g.render(tmp_path / "graph.out", format="svg")
    assert open(tmp_path / "graph.out").read().startswith("<svg>-Tsvg|")


def test_repr_svg_falls_back_when_dot_fails(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "dot"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho 'dot: broken install' >&2\nexit 3\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(script.parent) + os.pathsep + os.environ.get("PATH", ""))
    _, _, y = _small()
    g = viz.draw_graph(y)
    with pytest.raises(RuntimeError, match="broken install"):
        g.svg()
    assert ">MulBackward0</tspan>" in g._repr_svg_()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_with_real_graphviz(tmp_path):
    _, _, y = _small()
    svg = viz.draw_graph(y)._repr_svg_()
    assert "<svg" in svg and "MulBackward0" in svg


def _parse(argv):
    parser = argparse.ArgumentParser(prog="minigrad")
    sub = parser.add_subparsers(dest="command", required=True)
    viz.register(sub)
    return parser.parse_args(argv)


def test_graph_command_default_example(tmp_path, capsys):
    out = tmp_path / "g.dot"
    args = _parse(["graph", "--out", str(out)])
    assert args.func(args) == 0
    text = out.read_text()
    assert text.startswith("digraph") and "Backward" in text
    assert "wrote" in capsys.readouterr().out


def test_graph_command_on_a_script(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("import minigrad\n"
                      "w = minigrad.ones(3, requires_grad=True)\n"
                      "loss = (w * w).sum()\n")
    out = tmp_path / "net.dot"
    args = _parse(["graph", str(script), "--out", str(out), "--show-data"])
    assert args.func(args) == 0
    text = out.read_text()
    assert "MulBackward0" in text and "SumBackward0" in text and "[1. 1. 1.]" in text


def test_graph_command_script_with_graph_function(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("import minigrad\n"
                      "def graph():\n"
                      "    w = minigrad.ones(2, requires_grad=True)\n"
                      "    return (w.exp()).sum(), {'weights': w}\n")
    out = tmp_path / "net.dot"
    args = _parse(["graph", str(script), "-o", str(out)])
    args.func(args)
    assert "weights" in out.read_text()


def test_graph_command_without_dot_writes_the_picture(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    args = _parse(["graph", "--out", str(tmp_path / "g.svg")])
    assert args.func(args) == 0
    svg = (tmp_path / "g.svg").read_text()
    assert svg.startswith("<svg") and "ConvolutionBackward0" in svg and "CrossEntropyBackward0" in svg
    args = _parse(["graph", "--out", str(tmp_path / "g.png")])
    assert args.func(args) == 0 and (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_minigrad_graph_through_the_cli(tmp_path, capsys):
    cli = pytest.importorskip("minigrad.cli")
    out = tmp_path / "cnn.dot"
    assert cli.main(["graph", "--out", str(out)]) == 0
    assert out.read_text().startswith("digraph") and "wrote" in capsys.readouterr().out
    assert viz.main(["--out", str(tmp_path / "again.dot")]) == 0   # python -m minigrad.viz
    assert (tmp_path / "again.dot").read_text() == out.read_text()
