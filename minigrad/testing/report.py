"""The parity report and the derivative cheat sheet, both generated from the op table.

    python -m minigrad.testing.report [--out DIR] [--examples N] [--filter PAT]
    python -m minigrad.testing.report --out docs/parity_report.md      # the committed copy
    python -m minigrad.testing.report --cheatsheet docs/cheatsheet.md

The report runs every op in ``minigrad.testing.op_db.OP_DB`` against torch for each of its
dtypes, each device torch has here, and each order (forward, grad, grad-of-grad) on N drawn
samples (the same samples for every device and order), and writes ``report.md`` and
``report.json``: pass/fail and the largest absolute and relative errors seen. In the JSON,
``results`` has one entry per op x dtype x device, with one dict per order (``status``,
``samples``, ``failures``, ``max_abs_error``, ``max_rel_error``, ``rtol``, ``atol``, and for a
failure its ``message`` and first failing ``sample``). ``minigrad parity``
runs the same (see :func:`register`).

The cheat sheet lists, per op-table entry, the backward nodes its graph is made of and the
one-line derivative from each Function's docstring.
"""
from __future__ import annotations

import argparse
import datetime
import fnmatch
import importlib
import inspect
import json
import math
import os
import pkgutil
import sys
import time
import warnings

ORDERS = ("forward", "grad", "gradgrad")


# -- samples ----------------------------------------------------------------------------------
def draw_samples(strategy, n: int) -> list:
    """``n`` examples from a hypothesis strategy, the same ones on every run (derandomized)."""
    from hypothesis import HealthCheck, Phase, given, settings
    drawn = []

    @settings(max_examples=n, derandomize=True, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(sample):
        drawn.append(sample)

    collect()
    return drawn[:n]


# -- the parity run ---------------------------------------------------------------------------
def _devices():
    """(torch device, minigrad device) pairs: torch's CUDA is compared with minigrad's own CUDA
    when it has one, else with minigrad on the CPU."""
    import minigrad
    from .opinfo import torch_devices
    pairs = []
    for d in torch_devices():
        pairs.append((d, d if d == "cpu" or minigrad.cuda.is_available() else "cpu"))
    return pairs


def _describe_sample(sample) -> str:
    from .assertions import _describe
    text = _describe(sample.args)
    if sample.kwargs:
        text += "; " + ", ".join(f"{k}={_describe((v,))}" for k, v in sample.kwargs.items())
    return text


def _finite(x):
    if x is None:
        return None
    return x if math.isfinite(x) else ("inf" if x > 0 else "nan" if x != x else "-inf")


def _check_for(order):
    from . import opinfo
    return {"forward": opinfo.check_forward, "grad": opinfo.check_grad, "gradgrad": opinfo.check_gradgrad}[order]


def _applies(op, order) -> str | None:
    """None when the order is checked for ``op``, else why not."""
    if order == "forward":
        return None
    if not op.grad:
        return "no gradient"
    if order == "gradgrad" and not op.gradgrad:
        return "grad-of-grad not supported"
    return None


def run_op(op, dtype_name: str, examples: int, devices=None) -> list:
    """Rows (dicts) for one op and dtype: one per device and order."""
    devices = devices or _devices()
    rows = []
    started = time.perf_counter()
    try:
        samples = draw_samples(op.sample(dtype_name), examples)
        draw_error = None
    except Exception as exc:  # an unsatisfiable or broken strategy
        samples, draw_error = [], f"drawing samples failed: {type(exc).__name__}: {exc}"
    for torch_device, mg_device in devices:
        for order in ORDERS:
            rtol, atol = op.tolerance(dtype_name)
            if order == "gradgrad":
                rtol, atol = rtol * 10, atol * 10
            row = dict(op=op.name, family=op.family, dtype=dtype_name, device=torch_device,
                       minigrad_device=mg_device, order=order, status="pass", samples=0, failures=0,
                       max_abs_error=0.0, max_rel_error=0.0, rtol=rtol, atol=atol, message=None, sample=None)
            reason = _applies(op, order)
            if reason:
                row.update(status="n/a", message=reason, max_abs_error=None, max_rel_error=None)
                rows.append(row)
                continue
            if draw_error:
                row.update(status="error", message=draw_error)
                rows.append(row)
                continue
            check = _check_for(order)
            stats = {}
            for sample in samples:
                row["samples"] += 1
                try:
                    check(op, sample, dtype_name, mg_device, ref_device=torch_device, stats=stats)
                except AssertionError as exc:
                    status, message = "fail", str(exc)
                except Exception as exc:
                    status, message = "error", f"{type(exc).__name__}: {exc}"
                else:
                    continue
                row["failures"] += 1
                if row["status"] == "pass" or (row["status"] == "error" and status == "fail"):
                    row.update(status=status, message=message, sample=_describe_sample(sample))
            row["max_abs_error"] = _finite(stats.get("abs", 0.0))
            row["max_rel_error"] = _finite(stats.get("rel", 0.0))
            rows.append(row)
    elapsed = round(time.perf_counter() - started, 3)
    for row in rows:
        row["op_dtype_seconds"] = elapsed  # the whole op x dtype, all devices and orders
    return rows


def run_report(examples: int = 10, pattern: str | None = None, op_db=None, progress=None, devices=None) -> dict:
    """Run the op table (ops whose name or family matches the glob ``pattern``) against torch, on
    ``devices`` (torch device names; default: every device torch has here)."""
    import numpy
    import torch

    import minigrad
    from .op_db import OP_DB
    ops = list(OP_DB if op_db is None else op_db)
    if pattern:
        ops = [op for op in ops if fnmatch.fnmatch(op.name, pattern) or fnmatch.fnmatch(op.family, pattern)
               or pattern in op.name]
    devices = [pair for pair in _devices() if devices is None or pair[0] in devices]
    rows = []
    for k, op in enumerate(ops):
        for dtype_name in op.dtypes:
            with warnings.catch_warnings():  # torch's deprecation notes (x.T on 1-d...) are not findings
                warnings.simplefilter("ignore")
                rows.extend(run_op(op, dtype_name, examples, devices))
        if progress:
            bad = [r for r in rows if r["op"] == op.name and r["status"] in ("fail", "error")]
            print(f"[{k + 1}/{len(ops)}] {op.name}: {'ok' if not bad else f'{len(bad)} failing'}", file=progress)
    return {
        "generated": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "command": "python -m minigrad.testing.report",
        "versions": {"minigrad": minigrad.__version__, "torch": torch.__version__, "numpy": numpy.__version__,
                     "python": sys.version.split()[0]},
        "examples": examples,
        "filter": pattern,
        "devices": [{"torch": t, "minigrad": m} for t, m in devices],
        "summary": _summary(rows),
        "results": rows,
    }


def _summary(rows) -> dict:
    out = {}
    for order in ORDERS:
        counts = {"pass": 0, "fail": 0, "error": 0, "n/a": 0}
        for r in rows:
            if r["order"] == order:
                counts[r["status"]] += 1
        out[order] = counts
    return out


# -- writing ----------------------------------------------------------------------------------
def _err(x) -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    return "0" if x == 0 else f"{x:.1e}"


def _cell(row) -> str:
    status = row["status"]
    if status == "n/a":
        return "n/a"
    errors = f"{_err(row['max_abs_error'])} / {_err(row['max_rel_error'])}"
    if status == "pass":
        return f"ok {errors}"
    word = "**FAIL**" if status == "fail" else "**ERROR**"
    return f"{word} {row['failures']}/{row['samples']}"


def to_markdown(report: dict) -> str:
    rows = report["results"]
    v = report["versions"]
    devices = ", ".join(d["torch"] if d["torch"] == d["minigrad"] else f"{d['torch']} (torch) vs {d['minigrad']} "
                        "(minigrad)" for d in report["devices"])
    lines = ["# minigrad parity report", "",
             f"Generated {report['generated']} by `{report['command']}`"
             + (f" (filter `{report['filter']}`)" if report["filter"] else "") + ": "
             f"minigrad {v['minigrad']}, torch {v['torch']}, numpy {v['numpy']}, Python {v['python']}; "
             f"{report['examples']} drawn samples per op and dtype; devices: {devices}.", "",
             "Each cell is one op x dtype x device x order over all samples: `ok` with the largest absolute / "
             "relative error seen, or **FAIL** (values, dtype or shape differ beyond the tolerance) / **ERROR** "
             "(an exception) with the failing sample count; `n/a`: the op has no gradient or does not support "
             "grad-of-grad. Tolerances are torch.testing's per dtype (x10 for grad-of-grad) unless the op's "
             "table entry widens them. The contract behind this table is docs/parity.md.", "",
             "| order | pass | fail | error | n/a |", "|---|---|---|---|---|"]
    for order, c in report["summary"].items():
        lines.append(f"| {order} | {c['pass']} | {c['fail']} | {c['error']} | {c['n/a']} |")
    lines += ["", "| op | family | dtype | device | forward | grad | gradgrad |", "|---|---|---|---|---|---|---|"]
    grouped = {}
    for r in rows:
        grouped.setdefault((r["op"], r["family"], r["dtype"], r["device"]), {})[r["order"]] = r
    for (op, family, dtype, device), by_order in grouped.items():
        cells = [_cell(by_order[o]) if o in by_order else "" for o in ORDERS]
        lines.append(f"| {op} | {family} | {dtype} | {device} | " + " | ".join(cells) + " |")
    bad = [r for r in rows if r["status"] in ("fail", "error")]
    if bad:
        lines += ["", "## Failures", ""]
        for r in bad:
            lines += [f"### {r['op']} ({r['dtype']}, {r['device']}, {r['order']}): {r['status']}, "
                      f"{r['failures']} of {r['samples']} samples", "", "```", (r["message"] or "").strip(), "```", ""]
            if r["sample"]:
                lines += [f"First failing sample: `{r['sample']}`", ""]
    return "\n".join(lines).rstrip() + "\n"


def json_results(rows) -> list:
    """Rows grouped per op x dtype x device, each order (forward, grad, gradgrad) as a nested dict
    without its empty fields: the JSON layout of the report."""
    grouped = {}
    for r in rows:
        key = (r["op"], r["dtype"], r["device"])
        entry = grouped.setdefault(key, {"op": r["op"], "family": r["family"], "dtype": r["dtype"],
                                         "device": r["device"], "seconds": r.get("op_dtype_seconds")})
        entry[r["order"]] = {k: v for k, v in r.items() if v is not None and k not in
                             ("op", "family", "dtype", "device", "order", "minigrad_device", "op_dtype_seconds")}
    return list(grouped.values())


def _json_text(report: dict) -> str:
    """The report as JSON: the header indented, then one line per op x dtype x device (diffable)."""
    head = {k: v for k, v in report.items() if k != "results"}
    text = json.dumps(head, indent=1, allow_nan=False)[:-2]  # reopen the object before its "}"
    rows = ",\n  ".join(json.dumps(r, allow_nan=False, separators=(",", ":")) for r in json_results(report["results"]))
    return text + ',\n "results": [\n  ' + rows + "\n ]\n}\n"


def write_report(report: dict, out) -> tuple:
    """Write ``report.md`` and ``report.json`` into the directory ``out``; or, when ``out`` ends
    in ``.md``, that file and the ``.json`` beside it (e.g. docs/parity_report.md)."""
    out = os.fspath(out)
    if out.endswith(".md"):
        md, js = out, out[:-3] + ".json"
        os.makedirs(os.path.dirname(md) or ".", exist_ok=True)
    else:
        os.makedirs(out, exist_ok=True)
        md, js = os.path.join(out, "report.md"), os.path.join(out, "report.json")
    with open(md, "w", encoding="utf-8") as f:
        f.write(to_markdown(report))
    with open(js, "w", encoding="utf-8") as f:
        f.write(_json_text(report))
    return md, js


# -- the derivative cheat sheet ---------------------------------------------------------------
def _graph_functions(outputs, names=None) -> list:
    """The Function classes of the nodes behind ``outputs``, output side first, without repeats.

    ``names``, if given, collects the node names each Function's nodes showed ({Function: [name]}):
    one Function may record several of torch's names (Sum: SumBackward0 and SumBackward1)."""
    from ..autograd.function import Node
    seen, order, queue = set(), [], [o.grad_fn for o in outputs if getattr(o, "grad_fn", None) is not None]
    visited = set()
    while queue:
        node = queue.pop(0)
        if id(node) in visited or not isinstance(node, Node):
            continue
        visited.add(id(node))
        fn = node._fn
        if names is not None and node.name() not in names.setdefault(fn, []):
            names[fn].append(node.name())
        if fn not in seen:
            seen.add(fn)
            order.append(fn)
        queue.extend(nxt for nxt, _ in node.next_functions if nxt is not None)
    return order


def op_nodes(op, n_samples: int = 4, names=None) -> list:
    """(Function, recorded by every sample) for each node an op-table entry's graphs use, own node first.

    Over a few deterministic samples. The nodes most samples record are the op's own and come
    first, output side first; after them the nodes fewer inputs record, such as the reshape
    that conv2d, max_pool2d or index_select wrap around an unbatched or 0-d input (listing them
    first would make every such op look like a reshape). ``names``: see :func:`_graph_functions`.
    """
    from .opinfo import _build, _outputs
    if not op.grad:
        return []
    dtype_name = "float64" if "float64" in op.dtypes else op.dtypes[0]
    try:
        samples = draw_samples(op.sample(dtype_name), n_samples)
    except Exception:
        return []
    graphs = []
    for sample in samples:
        mg_args, mg_kwargs, _, _ = _build(op, sample, True, "cpu")
        try:
            outs = _outputs(op.op(*mg_args, **mg_kwargs))
        except Exception:
            continue  # a sample the op rejects (torch rejects it too: the error parity tests check)
        fns = _graph_functions(outs, names)
        if fns:
            graphs.append(fns)
    found = []
    for fns in graphs:
        found.extend(fn for fn in fns if fn not in found)
    count = {fn: sum(fn in fns for fns in graphs) for fn in found}
    home = getattr(op.op, "__module__", None)   # among equals, the nodes of the op's own module first
    ranked = sorted(found, key=lambda fn: (-count[fn], fn.__module__ != home))   # stable: output side first
    return [(fn, count[fn] == len(graphs)) for fn in ranked]


def op_functions(op, n_samples: int = 4) -> list:
    """The Function classes an op-table entry's graph uses, the op's own first (see :func:`op_nodes`)."""
    return [fn for fn, _ in op_nodes(op, n_samples)]


def derivative_line(fn) -> str:
    """The first paragraph of a Function's docstring (its derivative), on one line."""
    doc = inspect.getdoc(fn) or ""
    return " ".join(line.strip() for line in doc.split("\n\n")[0].splitlines()).strip()


def all_functions() -> list:
    """Every Function subclass defined in a minigrad.ops module, by module, in definition order."""
    import minigrad.ops as ops_pkg
    from ..autograd.function import Function
    found = []
    for info in sorted(pkgutil.iter_modules(ops_pkg.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{ops_pkg.__name__}.{info.name}")
        classes = [c for c in vars(module).values()
                   if inspect.isclass(c) and issubclass(c, Function) and c.__module__ == module.__name__
                   and "backward" in vars(c)]  # not abstract bases such as Op; in definition order
        found.extend(classes)
    return found


def _where(fn) -> str:
    return fn.__module__.replace(".", "/") + ".py"


def _md_code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`" if text else "(no docstring)"


def _family_table(ops, reached) -> list:
    """Markdown lines for one family: a row per backward node of each op; records the Functions seen."""
    lines = [f"## {ops[0].family}", "", "| op | backward node | derivative | defined in |", "|---|---|---|---|"]
    no_grad = []
    for op in ops:
        if not op.grad:
            no_grad.append(op.name)
            continue
        names = {}
        nodes = op_nodes(op, names=names)
        if not nodes:
            lines.append(f"| {op.name} | ? | (no sample recorded a graph) | |")
        for i, (fn, every_sample) in enumerate(nodes):
            reached.add(fn)
            node = ", ".join(sorted(names.get(fn) or [fn.node_name])) + ("" if every_sample else " (some inputs)")
            lines.append(f"| {op.name if i == 0 else ''} | {node} | {_md_code(derivative_line(fn))} | {_where(fn)} |")
    if no_grad:
        lines += ["", "No gradient (forward only): " + ", ".join(no_grad) + "."]
    lines.append("")
    return lines


def cheatsheet(op_db=None) -> str:
    """The derivative cheat sheet (markdown): every op-table entry's backward nodes and derivatives."""
    from .op_db import FAMILIES, OP_DB
    ops = list(OP_DB if op_db is None else op_db)
    lines = ["# Derivative cheat sheet", "",
             "Generated from the op table (`minigrad/testing/op_db/`) and each op's Function docstring by "
             "`python -m minigrad.testing.report --cheatsheet docs/cheatsheet.md`; do not edit by hand "
             "(tests/test_docs.py checks it is current).", "",
             "Notation: `z` is the op's output and `x`, `y`, ... its inputs; each line gives the local "
             "derivative, which backward multiplies by the incoming gradient `g = dL/dz` (a vector-Jacobian "
             "product). Broadcasting is undone and dtypes restored centrally by the engine, so the formulas "
             "ignore both. An op whose graph has several nodes (a composite) lists each of them: first the nodes "
             "it records for every input, output side first, then those only some inputs add, marked "
             "(some inputs), such as the reshape around an unbatched conv2d input.", ""]
    reached = set()
    by_family = {}
    for op in ops:
        by_family.setdefault(op.family, []).append(op)
    order = [f for f in FAMILIES if f in by_family] + sorted(f for f in by_family if f not in FAMILIES)
    with warnings.catch_warnings():  # the samples may trigger torch-style warnings (var with one element...)
        warnings.simplefilter("ignore")
        tables = {family: _family_table(by_family[family], reached) for family in order}
    for family in order:
        lines += tables[family]
    rest = [fn for fn in all_functions() if fn not in reached]
    if rest:
        lines += ["## Functions without an op-table entry", "",
                  "Defined in minigrad.ops but not reached by any op-table sample (helpers used inside other "
                  "backward formulas, or ops still missing from the table).", "",
                  "| Function | derivative | defined in |", "|---|---|---|"]
        for fn in rest:
            lines.append(f"| {fn.__name__} | {_md_code(derivative_line(fn))} | {_where(fn)} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# -- command line -----------------------------------------------------------------------------
def _add_arguments(p):
    p.add_argument("--out", default="parity-report", help="directory for report.md and report.json "
                   "(default: ./parity-report), or a .md path: that file and the .json beside it")
    p.add_argument("--examples", type=int, default=10, help="drawn samples per op and dtype (default 10)")
    p.add_argument("--filter", dest="pattern", help="only ops (or families) matching this glob or substring")
    p.add_argument("--device", action="append", dest="devices", metavar="DEVICE",
                   help="a torch device to compare on (repeatable; default: cpu, and cuda when torch has it)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when any check fails")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--cheatsheet", metavar="PATH", help="write the derivative cheat sheet to PATH instead")


def register(subparsers):
    """Add ``minigrad parity`` to an argparse subparsers object."""
    p = subparsers.add_parser("parity", help="run the op table against torch; write report.md and report.json",
                              description=__doc__.split("\n\n")[0])
    _add_arguments(p)
    p.set_defaults(func=parity_command)
    return p


def parity_command(args) -> int:
    if args.cheatsheet:
        text = cheatsheet()
        with open(args.cheatsheet, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {args.cheatsheet}")
        return 0
    report = run_report(args.examples, args.pattern, progress=None if args.quiet else sys.stderr,
                        devices=args.devices)
    md, js = write_report(report, args.out)
    s = report["summary"]
    failing = sum(c["fail"] + c["error"] for c in s.values())
    print(f"wrote {md} and {js}: " + ", ".join(f"{o} {c['pass']} ok / {c['fail']} fail / {c['error']} error"
                                               for o, c in s.items()))
    return 1 if args.strict and failing else 0


def add_arguments(p):
    """The ``minigrad parity`` options (minigrad/cli.py calls this, then :func:`main` with the args)."""
    _add_arguments(p)


def main(args=None) -> int:
    """Given parsed args (from minigrad/cli.py), or a list of command-line words."""
    if not isinstance(args, argparse.Namespace):
        parser = argparse.ArgumentParser(prog="python -m minigrad.testing.report",
                                         description=__doc__.split("\n\n")[0])
        _add_arguments(parser)
        args = parser.parse_args(args)
    return parity_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
