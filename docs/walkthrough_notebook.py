"""Generate docs/walkthrough.ipynb from docs/walkthrough.md, the one source of truth.

    python docs/walkthrough_notebook.py            # rewrite docs/walkthrough.ipynb
    python docs/walkthrough_notebook.py --check    # exit 1 if it is stale

Prose becomes markdown cells and each ```python block a code cell (```text blocks, which show
what a block prints, stay in the prose). The notebook is
stored without outputs; tests/test_viz_notebook.py checks that it is current and executes it.
No Jupyter package is needed to generate it: the nbformat 4.5 JSON is written directly.
"""
from __future__ import annotations

import json
import pathlib
import re
import sys

DOCS = pathlib.Path(__file__).resolve().parent
SOURCE = DOCS / "walkthrough.md"
TARGET = DOCS / "walkthrough.ipynb"

INTRO = ("*This notebook is generated from [walkthrough.md](walkthrough.md) by "
         "`python docs/walkthrough_notebook.py`; edit the markdown, not the notebook.*")


def cells_of(markdown: str) -> list:
    """(kind, text) pairs in document order: kind is "markdown" or "code"."""
    cells, prose, lang, code = [], [], None, []

    def flush_prose():
        text = "\n".join(prose).strip("\n")
        if text.strip():
            cells.append(("markdown", text))
        prose.clear()

    for line in markdown.splitlines():
        if lang is None:
            m = re.match(r"^```(\w*)\s*$", line)
            if m and m.group(1) in ("python", "text"):
                lang, code = m.group(1), []
                if lang == "python":
                    flush_prose()
            else:
                prose.append(line)
        elif line.startswith("```"):
            if lang == "python":
                cells.append(("code", "\n".join(code).strip("\n")))
            else:                           # shown output stays as text beside the cell's own
                prose.extend(["```text", *code, "```"])
            lang = None
        else:
            code.append(line)
    flush_prose()
    return cells


def notebook(markdown: str) -> dict:
    cells = [("markdown", INTRO)] + cells_of(markdown)
    out = []
    for i, (kind, text) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"cell-{i:03d}", "metadata": {}, "source": text.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    return {"cells": out, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                      "name": "python3"},
                                       "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def render(markdown: str) -> str:
    return json.dumps(notebook(markdown), indent=1, ensure_ascii=False) + "\n"


def main(argv) -> int:
    text = render(SOURCE.read_text(encoding="utf-8"))
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run python docs/walkthrough_notebook.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
