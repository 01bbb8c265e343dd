"""First-call latency: how long the first call of a common op takes in a fresh process, minigrad
against torch. What a user waits for before a loop gets going: Numba compiling a kernel, NumPy
touching fresh memory, lazy imports, one-time set-up.

    python benchmarks/first_call.py [--repeat 3] [--ops 'conv2d|std'] [--out DIR]

Each measurement runs in a fresh interpreter (``python benchmarks/first_call.py --child ...``),
which imports one framework only, builds the inputs from NumPy arrays (no framework code runs
before the timed call except the import and the wrapping of the inputs), then times

* ``first``: the op's first call (forward, and for differentiable ops the backward of ``.sum()``
  of its output, timed apart as ``first_bwd``);
* ``again``: the same call (and backward) once more in the same process (what it costs warm).

minigrad runs twice per repeat: **cold**, with ``NUMBA_CACHE_DIR`` an empty folder (every
kernel the op needs compiles), then **warm**, with the folder the cold run filled (the kernels
load from Numba's on-disk cache: what every run after the first pays). torch runs once (it ships
compiled kernels). The seed CNN's first training step (batch 64: forward, cross-entropy,
backward, SGD step) is the last case. Each time is taken by two clocks, the process's CPU time
(the table's main columns, in ms: with one thread it is the work itself, which a machine shared
with busy neighbours barely disturbs) and wall-clock time (results.json, and the cold first call
in the table); medians over the repeats. ``import`` is the framework's import time (wall).

Written once against torch's API: each case is a set-up and a call over ``fw`` (the framework
module) and ``a(...)`` (a NumPy array as a framework tensor).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "benchmarks":
    sys.path.pop(0)  # run as a script: nothing in benchmarks/ may shadow a stdlib module
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

F = "fw.nn.functional"

# name: (set-up, the timed call; its result is the output whose .sum() is backwarded when it
# requires grad). ``a(shape, grad=False, ints=None)`` makes a float32 tensor from a seeded
# NumPy array (``ints=n``: int64 in [0, n)).
CASES = {
    "add": ("x, y = a((256, 256), True), a((256, 256), True)", "x + y"),
    "mul": ("x, y = a((256, 256), True), a((256, 256), True)", "x * y"),
    "matmul": ("x, y = a((256, 256), True), a((256, 256), True)", "x @ y"),
    "exp": ("x = a((256, 256), True)", "x.exp()"),
    "log": ("x = a((256, 256), True, positive=True)", "x.log()"),
    "sum": ("x = a((256, 256), True)", "x.sum(0)"),
    "mean": ("x = a((256, 256), True)", "x.mean(1)"),
    "std": ("x = a((182_000, 200))", "x.std(0)"),   # makemore's first .std(0), the case
    "relu": ("x = a((64, 32, 32, 32), True)", f"{F}.relu(x)"),
    "softmax": ("x = a((256, 1000), True)", f"{F}.softmax(x, dim=-1)"),
    "cross_entropy": ("x, t = a((256, 1000), True), a((256,), ints=1000)", f"{F}.cross_entropy(x, t)"),
    "linear": ("x, w, b = a((64, 4096), True), a((10, 4096), True), a((10,), True)", f"{F}.linear(x, w, b)"),
    "conv2d": ("x, w, b = a((64, 1, 32, 32), True), a((32, 1, 3, 3), True), a((32,), True)",
               f"{F}.conv2d(x, w, b, padding=1)"),
    "max_pool2d": ("x = a((64, 32, 32, 32), True)", f"{F}.max_pool2d(x, 2)"),
    "layer_norm": ("x, w, b = a((64, 128, 256), True), a((256,), True), a((256,), True)",
                   f"{F}.layer_norm(x, (256,), w, b)"),
    "batch_norm": ("x, w, b = a((64, 32, 16, 16), True), a((32,), True), a((32,), True)",
                   f"{F}.batch_norm(x, None, None, w, b, training=True)"),
    "embedding": ("i, w = a((64, 35), ints=10_000), a((10_000, 200), True)", f"{F}.embedding(i, w)"),
    "dropout": ("x = a((64, 4096), True)", f"{F}.dropout(x, 0.5, training=True)"),
    "lstm_cell": ("fw.manual_seed(0); cell = fw.nn.LSTMCell(200, 200); x, h, c = a((20, 200)), a((20, 200)), "
                  "a((20, 200))", "cell(x, (h, c))[0]"),
    "adam_step": ("w = a((4096, 10), True); w.grad = a((4096, 10)); opt = fw.optim.Adam([w], lr=1e-3)",
                  "opt.step()"),
}
SEED_CNN = "seed_cnn_step"


def _child(framework: str, name: str) -> dict:
    """Run in the fresh interpreter: import, set up, time the first call and a second one."""
    import numpy as np
    t0 = time.perf_counter()
    fw = __import__(framework)
    import_s = time.perf_counter() - t0
    if framework == "torch":
        fw.set_num_threads(1)
    rng = np.random.default_rng(0)

    def a(shape, grad=False, ints=None, positive=False):
        if ints is not None:
            return fw.from_numpy(rng.integers(0, ints, shape))
        array = rng.standard_normal(shape).astype(np.float32)
        t = fw.from_numpy(np.abs(array) + 0.1 if positive else array)
        return t.requires_grad_() if grad else t

    scope = {"fw": fw, "a": a, "np": np}
    if name == SEED_CNN:
        from benchmarks import seed_cnn
        # (the default seed model has no ReLU; torch's twin keeps its own initial weights: the
        # values do not change what runs)
        model = seed_cnn.minigrad_model() if framework == "minigrad" else seed_cnn.torch_model(None)
        x, y = seed_cnn.batch(64)
        step = seed_cnn.train_step_fn(fw, model, fw.from_numpy(x), fw.from_numpy(y))
        call = step
    else:
        setup, expr = CASES[name]
        exec(setup, scope)
        code = compile(expr, name, "eval")

        def call():
            return eval(code, scope)
    result = {"import_s": import_s}
    with _timed(result, "first"):
        out = call()
    backward = name != SEED_CNN and getattr(out, "requires_grad", False)
    if backward:
        with _timed(result, "first_bwd"):
            out.sum().backward()
    with _timed(result, "again"):
        out = call()
        if backward:
            out.sum().backward()
    return result


class _timed:
    """``result[key + "_s"]``: the block's wall-clock seconds; ``result[key + "_cpu_s"]``: the
    process's CPU seconds (one thread: the work itself, barely disturbed by other processes)."""

    def __init__(self, result, key):
        self.result, self.key = result, key

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.result[self.key + "_s"] = time.perf_counter() - self.wall
        self.result[self.key + "_cpu_s"] = time.process_time() - self.cpu


def measure(framework: str, name: str, cache_dir: str | None) -> dict:
    """One fresh child process; ``cache_dir`` becomes its NUMBA_CACHE_DIR."""
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = env["MKL_NUM_THREADS"] = "1"
    env["NUMBA_NUM_THREADS"] = "1"
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", framework, name],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = total
    return result


def run(names, repeat: int) -> dict:
    results = {}
    for name in names:
        samples = {"minigrad_cold": [], "minigrad_warm": [], "torch": []}
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
                samples["minigrad_cold"].append(measure("minigrad", name, cache))
                samples["minigrad_warm"].append(measure("minigrad", name, cache))
            samples["torch"].append(measure("torch", name, None))
        results[name] = {side: _median(runs) for side, runs in samples.items()}
        print(_row(name, results[name]), flush=True)
    return results


def _median(runs: list) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0]["error"]}
    keys = [k for k in ok[0] if ok[0][k] is not None]
    return {k: statistics.median(r[k] for r in ok) for k in keys}


HEADER = ("| case | mg cold first | mg warm first | torch first | warm first: torch/mg | mg again | torch again "
          "| mg cold bwd | mg warm bwd | torch bwd | mg cold first (wall) | mg import | torch import |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def _row(name, r) -> str:
    """One table row; times in ms of CPU time, except the wall-clock and import columns (s)."""
    cold, warm, torch = r["minigrad_cold"], r["minigrad_warm"], r["torch"]
    if "error" in cold or "error" in warm or "error" in torch:
        return f"| {name} | error: {cold.get('error') or warm.get('error') or torch.get('error')} |"

    def ms(side, key):
        v = side.get(key)
        return "-" if v is None else f"{v * 1e3:.1f}"
    ratio = torch["first_cpu_s"] / warm["first_cpu_s"] if warm["first_cpu_s"] else float("nan")
    return (f"| {name} | {ms(cold, 'first_cpu_s')} | {ms(warm, 'first_cpu_s')} | {ms(torch, 'first_cpu_s')} | "
            f"{ratio:.2f}x | {ms(warm, 'again_cpu_s')} | {ms(torch, 'again_cpu_s')} | {ms(cold, 'first_bwd_cpu_s')} | "
            f"{ms(warm, 'first_bwd_cpu_s')} | {ms(torch, 'first_bwd_cpu_s')} | {cold['first_s']:.2f} s | "
            f"{warm['import_s']:.2f} s | {torch['import_s']:.2f} s |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="fresh processes per side and case (median)")
    p.add_argument("--ops", default=None, help="regular expression: only the cases whose name matches")
    p.add_argument("--out", default="results/first_call", help="where results.json and results.md go")
    p.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "CASE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    import re
    names = [n for n in [*CASES, SEED_CNN] if args.ops is None or re.search(args.ops, n)]
    print(f"first-call latency, {len(names)} cases, {args.repeat} fresh processes per side; load average "
          f"{os.getloadavg()[0]:.1f}; 1 thread; CPU ms unless marked")
    print(HEADER)
    t0 = time.perf_counter()
    results = run(names, args.repeat)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"command": " ".join(sys.argv), "repeat": args.repeat, "load_end": os.getloadavg(),
            "seconds": time.perf_counter() - t0}
    (out / "results.json").write_text(json.dumps({"meta": meta, "cases": results}, indent=1))
    (out / "results.md").write_text(HEADER + "\n" + "\n".join(_row(n, r) for n, r in results.items()) + "\n")
    print(f"wrote {out / 'results.json'}, {out / 'results.md'} ({meta['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
