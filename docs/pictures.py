"""Make the README's pictures: the seed CNN's graph, the backprop explorer, training diagnostics.

    python docs/pictures.py          # writes docs/images/{graph,explorer,diagnostics}.png

The graph is rendered with minigrad's own layout (no Graphviz); the explorer is photographed in
headless Chromium (see minigrad/viz/headless.py) after stepping into the backward pass of the
walkthrough's topological-order example, where a gradient accumulates.
"""
from __future__ import annotations

import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minigrad import viz  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def topological_order_example(lib):
    """docs/walkthrough.md: a = 3x is used three times; x's gradient is 3 (1 + 2a)."""
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    a = x * 3
    b = a * a
    return (a + b).sum(), {"x": x}


def graph_png(path):
    loss, names = viz.example_graph()
    viz.draw_graph(loss, names=names).render(path, engine="builtin")


def explorer_png(path, steps=4):
    from selenium.webdriver.common.by import By

    from minigrad.viz.headless import Browser
    with tempfile.TemporaryDirectory() as tmp:
        page = viz.explore(topological_order_example, pathlib.Path(tmp) / "backprop.html")
        with Browser(width=1200, height=820) as browser:
            browser.open(page)
            for _ in range(steps):
                browser.driver.find_element(By.ID, "step").click()
            browser.driver.find_element(By.CSS_SELECTOR, "#graph-pane .node.current").click()   # its forward value
            browser.driver.save_screenshot(str(path))


def diagnostics_png(path):
    from minigrad.train import Config, train
    recorder = viz.TrainingRecorder()
    train(Config(epochs=1, train_size=1280), quiet=True, recorder=recorder)
    recorder.plot(path, title="minigrad train: the seed CNN, one epoch on 1,280 digits (batch 64, lr 0.05)")


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, make in (("graph", graph_png), ("explorer", explorer_png), ("diagnostics", diagnostics_png)):
        make(IMAGES / f"{name}.png")
        print(f"wrote {IMAGES / f'{name}.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
