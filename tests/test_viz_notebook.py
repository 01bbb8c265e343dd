"""docs/walkthrough.ipynb: generated from docs/walkthrough.md (one source of truth), and executed.

The notebook is executed in a fresh Jupyter kernel with nbclient, so it cannot go stale: every
cell runs (the walkthrough's asserts compare minigrad with torch and with hand derivations), and
the graph cell must show the picture inline, as SVG, without Graphviz.
"""
import importlib.util
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("walkthrough_notebook", DOCS / "walkthrough_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebook_is_generated_from_the_markdown():
    gen = _generator()
    committed = (DOCS / "walkthrough.ipynb").read_text(encoding="utf-8")
    assert committed == gen.render((DOCS / "walkthrough.md").read_text(encoding="utf-8")), \
        "docs/walkthrough.ipynb is stale: run python docs/walkthrough_notebook.py"
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.reads(committed, as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    md_blocks = (DOCS / "walkthrough.md").read_text(encoding="utf-8").count("```python")
    assert len(code) == md_blocks and all(c.strip() for c in code)


def test_notebook_executes_and_shows_the_graph(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel is another process: it must import this checkout's minigrad, wherever it runs
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(DOCS / "walkthrough.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    svgs = [o["data"]["image/svg+xml"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "execute_result" and "image/svg+xml" in o.get("data", {})]
    assert len(svgs) == 1, "the graph cell shows the graph inline"
    for op in ("AddBackward0", "MulBackward0", "SumBackward0"):
        assert op in svgs[0]
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    assert "[4] MulBackward0#1" in printed             # trace_backward's output, as in the markdown
