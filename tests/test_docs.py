"""The docs are executable: their code and their tables are checked against minigrad and torch.

* docs/walkthrough.md: every ```python block runs, section by section (each section in a fresh
  namespace after the Setup section), so every derivation's asserts hold; a ```text block right
  after a python block must equal what that block printed. A block starting with
  ``# needs: minigrad.x.y`` is skipped while that function does not exist yet.
* docs/parity.md: the tables marked ``<!-- checked: ... -->`` (tolerances, subgradients at kinks,
  dtype promotion) are evaluated row by row in torch and in minigrad.
* docs/cheatsheet.md must equal what ``python -m minigrad.testing.report --cheatsheet`` generates,
  and lists each op's own backward node first.
* docs/benchmarks.md stays a current summary (under 250 lines); project files speak of commits,
  dates and measurements, not as a lab notebook; paths and links in the docs resolve.
* docs/architecture.md's import rule holds: kernels import nothing from the rest of minigrad, the
  training stack never imports kernels, the library never imports testing, and autograd imports
  ops only inside a function.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import io
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


# -- reading markdown -------------------------------------------------------------------------
def fenced_blocks(text: str):
    """(language, code, first line number of the code, heading) for each fenced block, in order."""
    blocks, heading, lang, start, buf = [], "", None, 0, []
    for n, line in enumerate(text.splitlines(), start=1):
        if lang is None:
            if line.startswith("## "):
                heading = line[3:].strip()
            m = re.match(r"^```(\w*)\s*$", line)
            if m:
                lang, start, buf = m.group(1) or "", n + 1, []
        elif line.startswith("```"):
            blocks.append((lang, "\n".join(buf) + "\n", start, heading))
            lang = None
        else:
            buf.append(line)
    return blocks


def sections(path):
    """{heading: [(lang, code, line)]} in document order."""
    out = {}
    for lang, code, line, heading in fenced_blocks(path.read_text(encoding="utf-8")):
        out.setdefault(heading, []).append((lang, code, line))
    return out


def missing_needs(code: str):
    """The dotted names a block declares with ``# needs:`` that do not resolve."""
    missing = []
    for m in re.finditer(r"^# needs:(.*)$", code, re.M):
        for name in (n.strip() for n in m.group(1).split(",")):
            if name and _resolve(name) is None:
                missing.append(name)
    return missing


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


def run_block(code: str, line: int, path, namespace: dict) -> str:
    """Execute ``code`` (line numbers as in the markdown file); return what it printed."""
    compiled = compile("\n" * (line - 1) + code, str(path), "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compiled, namespace)
    return out.getvalue()


# -- docs/walkthrough.md ----------------------------------------------------------------------
WALKTHROUGH = DOCS / "walkthrough.md"
_WALK = sections(WALKTHROUGH)
_WALK_SECTIONS = [h for h, blocks in _WALK.items() if h != "Setup" and any(b[0] == "python" for b in blocks)]


def test_walkthrough_has_the_promised_sections():
    wanted = ["Broadcasting add", "Matmul", "Softmax and cross-entropy", "Conv2d as im2col + matmul",
              "Conv2d's backward as convolutions", "Max pooling", "Topological order, and why gradients accumulate"]
    for heading in wanted:
        assert heading in _WALK_SECTIONS, f"docs/walkthrough.md lost its section {heading!r}"
    assert "Setup" in _WALK


@pytest.mark.parametrize("heading", _WALK_SECTIONS)
def test_walkthrough_section_runs(heading):
    blocks = _WALK[heading]
    needs = [name for lang, code, _ in blocks if lang == "python" for name in missing_needs(code)]
    if needs:
        pytest.skip(f"not implemented yet: {', '.join(sorted(set(needs)))}")
    namespace = {"__name__": "walkthrough"}
    for lang, code, line in _WALK["Setup"]:
        if lang == "python":
            run_block(code, line, WALKTHROUGH, namespace)
    printed = None
    asserts = 0
    for lang, code, line in blocks:
        if lang == "python":
            asserts += sum(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(code)))
            printed = run_block(code, line, WALKTHROUGH, namespace)
        elif lang == "text" and printed is not None:
            # a ```text block right after a python block shows its output: it must be current
            assert _strip_lines(printed) == _strip_lines(code), \
                f"docs/walkthrough.md:{line}: the shown output is stale; the block now prints:\n{printed}"
            printed = None
    assert asserts, f"section {heading!r} checks nothing"


def _strip_lines(text):
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


# -- docs/parity.md ---------------------------------------------------------------------------
PARITY = DOCS / "parity.md"


def checked_tables(kind: str):
    """Rows (lists of cell strings, line number) of every table marked <!-- checked: kind -->."""
    rows, lines = [], PARITY.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip() != f"<!-- checked: {kind} -->":
            continue
        j = i + 3  # skip the header and the |---| line
        while j < len(lines) and lines[j].startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", lines[j].strip())[1:-1]]
            rows.append(pytest.param([c.replace("\\|", "|") for c in cells], id=f"parity.md:{j + 1}"))
            j += 1
    assert rows, f"docs/parity.md has no checked table {kind!r}"
    return rows


def _code(cell: str) -> str:
    m = re.fullmatch(r"`(.*)`", cell)
    assert m, f"expected a `code` cell, got {cell!r}"
    return m.group(1)


def _libs():
    import torch
    import torch.nn.functional as tF

    import minigrad
    import minigrad.nn.functional as mF
    return {"torch": {"torch": torch, "F": tF}, "minigrad": {"torch": minigrad, "F": mF}}


_VALUES = {"nan": math.nan, "inf": math.inf}


def _grad_of(lib: dict, expr: str, values):
    torch = lib["torch"]
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out = eval(expr, {**lib, "x": x})
    out.sum().backward()
    return np.asarray(x.grad.detach().numpy() if hasattr(x.grad, "detach") else x.grad, dtype=np.float64)


@pytest.mark.parametrize("row", checked_tables("kinks"))
def test_parity_kink_rule(row):
    expr, at, expected = _code(row[0]), eval(_code(row[1]), _VALUES), eval(_code(row[2]), _VALUES)
    libs = _libs()
    torch_grad = _grad_of(libs["torch"], expr, at)
    np.testing.assert_array_equal(torch_grad, np.asarray(expected), err_msg=f"torch's gradient of {expr} at {at} "
                                  "is not what docs/parity.md says")
    try:
        mg_grad = _grad_of(libs["minigrad"], expr, at)
    except AttributeError as exc:
        pytest.skip(f"minigrad lacks a function used by {expr}: {exc}")
    np.testing.assert_array_equal(mg_grad, torch_grad, err_msg=f"minigrad's gradient of {expr} at {at}")


@pytest.mark.parametrize("row", checked_tables("promotion"))
def test_parity_promotion_rule(row):
    expr, expected = _code(row[0]), row[1]
    for name, lib in _libs().items():
        result = eval(expr, dict(lib))
        got = str(result.dtype).split(".")[-1]
        assert got == expected, f"{name}: {expr} gives {got}; docs/parity.md says {expected}"


@pytest.mark.parametrize("row", checked_tables("tolerances"))
def test_parity_tolerance_rule(row):
    import torch

    import minigrad
    from minigrad.testing import TOLERANCES, assert_close
    dtype, rtol, atol = row[0], float(row[1]), float(row[2])
    if rtol == 0 and atol == 0:
        assert TOLERANCES.get(dtype, (0.0, 0.0)) == (0.0, 0.0)
        for lib, check in ((torch, torch.testing.assert_close), (minigrad, assert_close)):
            check(lib.tensor([1], dtype=getattr(lib, dtype)), lib.tensor([1], dtype=getattr(lib, dtype)))
            with pytest.raises(AssertionError):
                check(lib.tensor([1], dtype=getattr(lib, dtype)), lib.tensor([0], dtype=getattr(lib, dtype)))
        return
    assert TOLERANCES[dtype] == (rtol, atol), f"minigrad.testing.TOLERANCES[{dtype!r}] disagrees with parity.md"
    expected, bound = 64.0, atol + rtol * 64.0
    for lib, check in ((torch, torch.testing.assert_close), (minigrad, assert_close)):
        dt = getattr(lib, dtype)
        inside = lib.tensor([expected + 0.5 * bound], dtype=dt)
        outside = lib.tensor([expected + 2.0 * bound], dtype=dt)
        check(inside, lib.tensor([expected], dtype=dt))
        with pytest.raises(AssertionError):
            check(outside, lib.tensor([expected], dtype=dt))


def test_parity_has_the_conv_and_pooling_section():
    text = PARITY.read_text(encoding="utf-8")
    assert "## Conv and pooling" in text


# -- docs/cheatsheet.md -----------------------------------------------------------------------
def test_cheatsheet_is_current(tmp_path):
    """The committed sheet is what the documented command writes. It runs in a process of its own:
    hypothesis's derandomized draws depend on what else the process has run and loaded."""
    out = tmp_path / "cheatsheet.md"
    subprocess.run([sys.executable, "-m", "minigrad.testing.report", "--cheatsheet", str(out)], check=True,
                   cwd=DOCS.parent, capture_output=True, timeout=600)
    generated = out.read_text(encoding="utf-8")
    assert "| add | AddBackward0 | `z = x + alpha*y;  dz/dx = 1,  dz/dy = alpha` |" in generated
    committed = (DOCS / "cheatsheet.md").read_text(encoding="utf-8")
    assert committed == generated, ("docs/cheatsheet.md is stale: regenerate it with "
                                    "`python -m minigrad.testing.report --cheatsheet docs/cheatsheet.md`")


@pytest.mark.parametrize("name", ["conv2d", "max_pool2d", "index_select", "gather", "unfold"])
def test_cheatsheet_lists_the_ops_own_node_first(name):
    """An unbatched (or 0-d) sample wraps these ops in a reshape; their own node still leads."""
    from minigrad.testing.op_db import OP_DB
    from minigrad.testing.report import op_nodes
    op = next(op for op in OP_DB if op.name == name)
    nodes = op_nodes(op)
    first, every_sample = nodes[0]
    assert first.__module__ == op.op.__module__, \
        f"{name}: the cheat sheet lists {first.__name__} ({first.__module__}) first, not {name}'s own node"
    # (gather's empty-index sample reads through an Index node, which carries gather's node name)
    assert every_sample or name == "gather", f"{name}: its own node {first.__name__} is not recorded for every sample"


# -- docs/benchmarks.md, docs/architecture.md and the project's words -------------------------
ROOT = DOCS.parent


def test_benchmarks_doc_stays_a_current_summary():
    lines = (DOCS / "benchmarks.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 250, (f"docs/benchmarks.md has {len(lines)} lines: keep it a current summary under 250 "
                              "lines; history goes to docs/CHANGELOG.md and the commit messages")


_TEXT_SUFFIXES = {".md", ".py", ".txt", ".toml", ".cfg", ".ini", ".sh", ".json", ".yml", ".yaml", ".js", ".css",
                  ".html"}
# spelled in two pieces so that this file passes its own check
_LAB_NOTEBOOK_WORD = re.compile(r"\b" + "sess" + r"ions?\b", re.IGNORECASE)


def _project_text_files():
    yield ROOT / "README.md"
    for folder in ("docs", "minigrad", "benchmarks", "examples", "tests"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in _TEXT_SUFFIXES:
                yield path


def test_project_files_speak_of_commits_and_dates():
    found = []
    for path in _project_text_files():
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if _LAB_NOTEBOOK_WORD.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert not found, ("say which commit, date or measurement instead:\n" + "\n".join(found))


def test_docs_point_at_files_that_exist():
    """Paths written in README.md and docs/*.md (minigrad/..., tests/..., ...), relative links, and the
    docs/*.md that code names all resolve. docs/CHANGELOG.md is history: it may name moved paths."""
    missing = []
    for doc in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        if doc.name == "CHANGELOG.md":
            continue
        text = doc.read_text(encoding="utf-8")
        for m in re.finditer(r"(?<![\w/.-])((?:minigrad|tests|benchmarks|docs|examples)/[\w./-]*\w)", text):
            if not (ROOT / m.group(1)).exists():
                missing.append(f"{doc.name}: {m.group(1)}")
        for m in re.finditer(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" not in m.group(1) and not (doc.parent / m.group(1)).exists():
                missing.append(f"{doc.name}: link {m.group(1)}")
    for path in _project_text_files():
        if path.suffix == ".py":
            for m in re.finditer(r"\bdocs/[\w.-]+\.md\b", path.read_text(encoding="utf-8")):
                if not (ROOT / m.group(0)).exists():
                    missing.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert not missing, "\n".join(missing)


def _minigrad_imports(path: pathlib.Path):
    """(imported minigrad module or name, line, at module level) for each import in a minigrad file."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0] + ".__init__"
    package = package.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == "minigrad" or name.startswith("minigrad."):
                yield name, node.lineno, id(node) in top_level


def _imports_of(*parts):
    for path in sorted((ROOT / "minigrad").joinpath(*parts[:-1]).glob(parts[-1])):
        for name, line, top in _minigrad_imports(path):
            yield f"{path.relative_to(ROOT)}:{line}", name, top


_TRAINING_STACK = [("nn", "**/*.py"), ("optim", "**/*.py"), ("utils", "**/*.py"), ("datasets.py",), ("models.py",),
                   ("train.py",), ("viz.py",), ("viz", "**/*.py")]


def test_layers_import_as_docs_architecture_says():
    """docs/architecture.md's import rule, where it holds without exception."""
    bad = []
    for where, name, _ in _imports_of("kernels", "*.py"):
        if not name.startswith("minigrad.kernels"):
            bad.append(f"{where}: kernels import nothing from the rest of minigrad, not {name}")
    for parts in _TRAINING_STACK:
        for where, name, _ in _imports_of(*parts):
            if name.startswith("minigrad.kernels"):
                bad.append(f"{where}: the training stack uses the public API, not {name}")
    library = [p for p in (ROOT / "minigrad").rglob("*.py") if "testing" not in p.relative_to(ROOT).parts]
    for path in library:
        for name, line, _ in _minigrad_imports(path):
            if name.startswith("minigrad.testing"):
                bad.append(f"{path.relative_to(ROOT)}:{line}: the library never imports {name}")
    for where, name, top in _imports_of("autograd", "*.py"):
        if name.startswith("minigrad.ops") and top:
            bad.append(f"{where}: autograd imports ops only inside a function (ops build on autograd)")
    assert not bad, "\n".join(bad)
