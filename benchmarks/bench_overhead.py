"""Per-op framework overhead on tiny tensors, minigrad against torch, and large elementwise ops
against the bare NumPy call they wrap.

    python benchmarks/bench_overhead.py [--rounds 30] [--iters 200] [--large] [--dispatch [--versus COMMIT]]

The tiny case is ``((a * b + a).sum()).backward()`` on 2-element float32 leaves (their ``.grad``
reset to None before each step, in both frameworks): five graph nodes, so almost all of the time
is Python dispatch and engine bookkeeping. minigrad and torch run interleaved in one process
(one batch of ``--iters`` steps each, ``--rounds`` times, the order alternating per round), torch
on one thread; each number is the median per-step time over the rounds, by CPU time
(``time.process_time``) and wall time. Ratios are torch_time / minigrad_time: at or above 1
minigrad is no slower than torch.

``--dispatch`` times the suite's dispatch cases and the small op cases that dispatch dominates
instead (CPU time); ``--versus COMMIT`` adds minigrad as it was at COMMIT as a third side, in the
same process (``benchmarks/versus_commit.py``'s import), so that a change is measured against
its parent under the same load.

``--large`` adds large elementwise cases (forward, and mul forward+backward) against the same
work written in bare NumPy: there the ratio is minigrad_time / numpy_time (the target is <= 1.2).

The suite's ``dispatch/mul_add_sum_backward[2]`` case (``python -m benchmarks --filter dispatch``)
times the same tiny step through the benchmark harness.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "benchmarks":
    sys.path.pop(0)  # run as a script: nothing in benchmarks/ may shadow a stdlib module
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def tiny_step(fw):
    """One ``((a * b + a).sum()).backward()`` on fresh-gradient 2-element leaves."""
    rng = np.random.default_rng(0)
    a = fw.tensor(rng.standard_normal(2).astype(np.float32), requires_grad=True)
    b = fw.tensor(rng.standard_normal(2).astype(np.float32), requires_grad=True)

    def step():
        a.grad = b.grad = None
        ((a * b + a).sum()).backward()
    return step


def time_batch(step, iters):
    """Per-step seconds of one batch, by each clock."""
    t0 = {k: c() for k, c in CLOCKS.items()}
    for _ in range(iters):
        step()
    return {k: (c() - t0[k]) / iters for k, c in CLOCKS.items()}


def interleaved(steps: dict, rounds: int, iters: int) -> dict:
    """``{side: {clock: median seconds per step}}``, the sides alternating batch by batch."""
    for step in steps.values():  # warm-up (imports, caches)
        for _ in range(max(10, iters // 10)):
            step()
    samples = {name: {k: [] for k in CLOCKS} for name in steps}
    names = list(steps)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            for k, v in time_batch(steps[name], iters).items():
                samples[name][k].append(v)
    return {name: {k: statistics.median(v) for k, v in s.items()} for name, s in samples.items()}


def _us(s):
    return f"{s * 1e6:9.1f} us"


def run_tiny(rounds, iters):
    import torch
    import minigrad
    torch.set_num_threads(1)
    med = interleaved({"minigrad": tiny_step(minigrad), "torch": tiny_step(torch)}, rounds, iters)
    print(f"tiny: ((a * b + a).sum()).backward(), 2-element float32, {rounds} rounds x {iters} iterations, "
          f"torch {torch.__version__} on 1 thread")
    for clock in CLOCKS:
        mg, th = med["minigrad"][clock], med["torch"][clock]
        print(f"  {clock:4s}  minigrad {_us(mg)}   torch {_us(th)}   torch/minigrad {th / mg:.2f}x")
    return med


def dispatch_steps(fw):
    """``{name: step}``: the suite's dispatch/* cases and the small op cases that dispatch dominates
    (``elementwise/*[1K]``, ``reduce/*[1x1000]``, ``matmul/64x64@64x64``), for framework ``fw``."""
    rng = np.random.default_rng(0)
    a2, b2 = (rng.standard_normal(2).astype(np.float32) for _ in range(2))
    a1k, b1k = (rng.standard_normal(1000).astype(np.float32) for _ in range(2))
    m = rng.standard_normal((64, 64)).astype(np.float32)
    x, y = fw.tensor(a2), fw.tensor(b2)
    xg, yg = fw.tensor(a2, requires_grad=True), fw.tensor(b2, requires_grad=True)
    u, v, row, mt = fw.tensor(a1k), fw.tensor(b1k), fw.tensor(a1k.reshape(1, 1000)), fw.tensor(m)
    relu = fw.nn.functional.relu
    return {
        "add_fwd[2]": lambda: x + y,
        "mul_add_fwd[2]": lambda: x * y + x,
        "mul_add_fwd_graph[2]": lambda: xg * yg + xg,
        "mul_add_sum_backward[2]": tiny_step(fw),
        "add[1K]": lambda: u + v,
        "mul[1K]": lambda: u * v,
        "exp[1K]": lambda: fw.exp(u),
        "relu[1K]": lambda: relu(u),
        "sum[1x1000]": lambda: row.sum(),
        "mean[1x1000]": lambda: row.mean(),
        "sum_dim1[1x1000]": lambda: row.sum(dim=1),
        "matmul[64x64@64x64]": lambda: mt @ mt,
    }


def run_dispatch(rounds, iters, versus=None):
    """The dispatch cases, minigrad against torch (and against minigrad at commit ``versus``), interleaved."""
    import torch
    import minigrad
    torch.set_num_threads(1)
    libs = {"minigrad": minigrad, "torch": torch}
    if versus:
        from benchmarks.versus_commit import import_commit
        old, sha = import_commit(versus)
        libs = {"minigrad": minigrad, f"mg@{sha}": old, "torch": torch}
    steps = {name: dispatch_steps(lib) for name, lib in libs.items()}
    names = list(libs)
    print(f"dispatch: {rounds} rounds x {iters} iterations per side, CPU time, 1 thread; "
          f"ratios: side/minigrad")
    print(f"  {'case':26s}" + "".join(f"{n:>16s}" for n in names) + "".join(f"{n + '/mg':>16s}" for n in names[1:]))
    for case in steps["minigrad"]:
        med = interleaved({n: steps[n][case] for n in names}, rounds, iters)
        t = {n: med[n]["cpu"] for n in names}
        print(f"  {case:26s}" + "".join(f"{_us(t[n]):>16s}" for n in names)
              + "".join(f"{t[n] / t['minigrad']:15.2f}x" for n in names[1:]), flush=True)


def large_cases():
    """``{name: (minigrad step, bare-NumPy step)}`` for large float32 elementwise work."""
    import minigrad
    rng = np.random.default_rng(1)
    out = {}
    for n in (100_000, 4_000_000):
        a = rng.standard_normal(n).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        x, y = minigrad.tensor(a), minigrad.tensor(b)
        out[f"add[{n}]"] = (lambda x=x, y=y: x + y, lambda a=a, b=b: a + b)
        out[f"mul[{n}]"] = (lambda x=x, y=y: x * y, lambda a=a, b=b: a * b)
        out[f"exp[{n}]"] = (lambda x=x: minigrad.exp(x), lambda a=a: np.exp(a))
        xg, yg = minigrad.tensor(a, requires_grad=True), minigrad.tensor(b, requires_grad=True)
        g = np.ones_like(a)
        gt = minigrad.tensor(g)

        def mg_step(xg=xg, yg=yg, gt=gt):
            xg.grad = yg.grad = None
            (xg * yg).backward(gt)

        def np_step(a=a, b=b, g=g):
            z = a * b  # noqa: F841  (the forward)
            return g * b, g * a
        out[f"mul_fwd_bwd[{n}]"] = (mg_step, np_step)
    return out


def run_large(rounds, iters):
    print(f"large elementwise, float32, {rounds} rounds: minigrad / numpy (target <= 1.2)")
    for name, (mg, bare) in large_cases().items():
        n = int(name.split("[")[1].rstrip("]"))
        it = max(10, iters * 2_000 // n)   # 10+ calls per batch: fewer allocator transitions between sides
        med = interleaved({"minigrad": mg, "numpy": bare}, rounds, it)
        for clock in CLOCKS:
            m, p = med["minigrad"][clock], med["numpy"][clock]
            print(f"  {name:22s} {clock:4s}  minigrad {_us(m)}   numpy {_us(p)}   minigrad/numpy {m / p:.2f}x")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--large", action="store_true", help="also time large elementwise ops against NumPy")
    p.add_argument("--dispatch", action="store_true",
                   help="time the dispatch cases and the small op cases (add, exp, sum, 64x64 matmul...)")
    p.add_argument("--versus", metavar="COMMIT", default=None,
                   help="with --dispatch: also time minigrad as it was at COMMIT, in this process")
    args = p.parse_args(argv)
    if args.dispatch:
        run_dispatch(args.rounds, args.iters, args.versus)
        return
    run_tiny(args.rounds, args.iters)
    if args.large:
        run_large(max(5, args.rounds // 3), args.iters)


if __name__ == "__main__":
    main()
