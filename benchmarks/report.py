"""Reports: a terminal table, results.json, results.md (the table for the README), ratios.png."""
from __future__ import annotations

import json
import math
from pathlib import Path

from .harness import BASELINE, SUBJECT, CaseResult

LABELS = {"torch_channels_last": "channels_last", "torch_compile": "compile", "numpy_im2col": "np-im2col",
          "numpy": "numpy"}


# -- one record per case ----------------------------------------------------------------------
def record(res: CaseResult, peak_gflops: float | None) -> dict:
    case = res.case
    sides = {}
    for name, r in res.sides.items():
        entry = {"status": r.status}
        if r.reason:
            entry["reason"] = r.reason
        entry.update(r.stats())
        if r.number:
            entry["calls_per_sample"] = r.number
        if r.first_call_s is not None:
            entry["first_call_s"] = r.first_call_s
        if r.check is not None:
            entry["check_vs_torch"] = r.check
        if r.extra:
            entry["extra"] = r.extra
        if case.flops and case.unit == "s" and entry.get("median"):
            entry["gflops"] = case.flops / entry["median"] / 1e9
            if peak_gflops:
                entry["fraction_of_peak"] = entry["gflops"] / peak_gflops
        sides[name] = entry
    rec = {"name": case.name, "group": case.group, "unit": case.unit, "params": case.params,
           "flops": case.flops, "sides": sides, "wall_s": res.wall_s,
           "ratio": res.ratio(BASELINE),
           "ratios": {n: res.ratio(n) for n in res.sides if n != SUBJECT and res.ratio(n) is not None}}
    if res.ok("numpy") and res.ok(SUBJECT):
        rec["numpy_overhead"] = res.sides[SUBJECT].median / res.sides["numpy"].median
    if case.flops and peak_gflops and case.unit == "s":
        rec["gemm_floor_s"] = case.flops / (peak_gflops * 1e9)
    return rec


# -- formatting -------------------------------------------------------------------------------
def fmt_value(v: float | None, unit: str) -> str:
    if v is None or not math.isfinite(v):
        return "-"
    if unit == "MB":
        return f"{v:.0f} MB" if v >= 10 else f"{v:.1f} MB"
    for scale, u in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
        if v >= scale:
            x = v / scale
            return f"{x:.3g} {u}" if x < 100 else f"{x:.0f} {u}"
    return f"{v * 1e9:.2g} ns"


def fmt_side(entry: dict | None, unit: str) -> str:
    if entry is None:
        return "-"
    if entry["status"] != "ok":
        return entry["status"]
    med, iqr = entry.get("median"), entry.get("iqr", 0.0)
    spread = f" ±{100 * iqr / med:.0f}%" if med and iqr else ""
    return fmt_value(med, unit) + spread


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def notes(rec: dict) -> str:
    parts = []
    for name, entry in rec["sides"].items():
        if name in (SUBJECT, BASELINE):
            continue
        label = LABELS.get(name, name)
        if entry["status"] == "ok":
            if name == "numpy":
                parts.append(f"mg/numpy {rec['numpy_overhead']:.2f}x" if "numpy_overhead" in rec
                             else f"numpy {fmt_value(entry.get('median'), rec['unit'])}")
            elif rec["ratios"].get(name) is not None:
                parts.append(f"vs {label} {fmt_ratio(rec['ratios'][name])}")
            else:
                parts.append(f"{label} {fmt_value(entry.get('median'), rec['unit'])}")
        elif entry["status"] in ("unavailable", "error"):
            parts.append(f"{label}: {entry['status']}")
    if rec.get("gemm_floor_s") and rec["group"] == "seed_cnn":
        parts.append(f"GEMM floor {fmt_value(rec['gemm_floor_s'], 's')}")
    for name, entry in rec["sides"].items():
        if str(entry.get("check_vs_torch", "ok")).startswith("mismatch"):
            parts.append(f"{LABELS.get(name, name)} MISMATCH vs torch")
        if entry["status"] in ("unavailable", "error") and name == SUBJECT:
            parts.append(entry.get("reason", "")[:60])
    return "; ".join(parts)


def fmt_gflops(rec: dict) -> str:
    mg, th = rec["sides"].get(SUBJECT, {}), rec["sides"].get(BASELINE, {})
    if "gflops" not in mg and "gflops" not in th:
        return ""
    pct = f" ({100 * mg['fraction_of_peak']:.0f}%)" if "fraction_of_peak" in mg else ""
    left = f"{mg['gflops']:.3g}{pct}" if "gflops" in mg else "-"
    right = f"{th['gflops']:.3g}" if "gflops" in th else "-"
    return f"{left} / {right}"


HEADERS = ["case", "minigrad", "torch", "torch/minigrad", "GFLOP/s mg (% peak) / torch", "notes"]


def rows(records: list[dict]) -> list[list[str]]:
    return [[r["name"], fmt_side(r["sides"].get(SUBJECT), r["unit"]), fmt_side(r["sides"].get(BASELINE), r["unit"]),
             fmt_ratio(r["ratio"]), fmt_gflops(r), notes(r)] for r in records]


def terminal_table(records: list[dict]) -> str:
    table = [HEADERS] + rows(records)
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS) - 1)]
    lines = []
    for k, row in enumerate(table):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     + "  " + row[-1])
        if k == 0:
            lines.append("-" * (sum(widths) + 2 * len(widths) + 5))
    return "\n".join(lines)


def header_lines(meta: dict) -> list[str]:
    m, th = meta["machine"], meta["threads"]
    peak = meta.get("gemm_peak", {})
    return [f"Machine: {m['cpu_model']}, {m['usable_cpus']} usable CPUs; {m['platform']}; Python {m['python']}",
            "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
            f"Threads: {th['requested']} each (torch {th.get('torch')}, numba {th.get('numba')}, BLAS "
            + (", ".join(f"{b['internal_api']} {b['num_threads']}" for b in th["blas"])
               if isinstance(th.get("blas"), list) else str(th.get("blas"))) + ")",
            f"float32 GEMM peak: {peak.get('gflops', float('nan')):.0f} GFLOP/s ({peak.get('source', '')})",
            f"Load average at start / end: {m.get('load_average_at_start')} / {meta.get('load_average_at_end')}",
            f"Clock: {'CPU time of the process' if meta.get('timer') == 'cpu' else 'wall time'}; "
            f"command: {meta['command']}   ({meta['wall_s']:.0f} s)"]


def markdown(meta: dict, records: list[dict]) -> str:
    out = ["# minigrad vs torch: benchmark results", ""]
    out += [f"- {line}" for line in header_lines(meta)]
    out += ["", "Times are medians per call (± IQR / median). Ratio = torch time / minigrad time: "
            "above 1, minigrad is faster (for memory, smaller).", ""]
    out.append("| " + " | ".join(HEADERS) + " |")
    out.append("|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 2) + ["---"]) + "|")
    for row in rows(records):
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    missing = [(r["name"], n, e) for r in records for n, e in r["sides"].items()
               if e["status"] in ("unavailable", "error")]
    if missing:
        out += ["", "Not measured:", ""]
        out += [f"- `{name}` {side}: {e['status']}: {e.get('reason', '')}" for name, side, e in missing]
    return "\n".join(out) + "\n"


def chart(records: list[dict], path: Path) -> bool:
    """A horizontal bar chart of reference_time / minigrad_time per case (log scale)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    bars = []
    for r in records:
        for name, ratio in r["ratios"].items():
            if name == "numpy" or ratio is None:
                continue
            bars.append((r["name"] if name == BASELINE else f"{r['name']} vs {LABELS.get(name, name)}", ratio))
    if not bars:
        return False
    bars.reverse()
    fig, ax = plt.subplots(figsize=(10, 0.22 * len(bars) + 1.2))
    colors = ["tab:green" if v >= 1 else "tab:red" for _, v in bars]
    # bars grow from 1 (parity) towards the ratio, so slower and faster read as left and right
    ax.barh(range(len(bars)), [v - 1.0 for _, v in bars], left=1.0, color=colors)
    for i, (_, v) in enumerate(bars):
        ax.text(v, i, f" {v:.2f}x ", va="center", ha="left" if v >= 1 else "right",
                fontsize=6)
    ax.set_yticks(range(len(bars)), [n for n, _ in bars], fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("reference time / minigrad time  (> 1: minigrad faster)")
    ax.set_title("minigrad vs torch")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_json(out_dir: str, meta: dict, records: list[dict], complete: bool = True) -> Path:
    """results.json; written after every case too (``complete`` false), then once more at the end."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"meta": meta, "complete": complete, "cases": records}, indent=1, default=str) + "\n")
    tmp.replace(path)
    return path


def write(out_dir: str, meta: dict, records: list[dict]) -> dict:
    out = Path(out_dir)
    paths = {"json": write_json(out_dir, meta, records), "md": out / "results.md", "png": out / "ratios.png"}
    paths["md"].write_text(markdown(meta, records))
    if not chart(records, paths["png"]):
        del paths["png"]
    return paths
