"""Conv and pool kernels against torch on the CPU: the seed CNN's layers, its training step, a
grid of common convs, the machine's GEMM peak, and Numba compile times (cold and warm cache).

    python -m benchmarks.bench_conv [--threads 2] [--quick] [--only layers,step,grid,extra,compile]

torch and minigrad run interleaved in one process with the same number of threads
(``torch.set_num_threads``, ``numba.set_num_threads`` and OpenBLAS through threadpoolctl); each
number is the median over rounds, and ratios are torch_time / minigrad_time (above 1: minigrad
is faster).

Each case is built by a function returning ``{side: step}`` (zero-argument callables), so the
benchmark suite can reuse them: ``seed_layer_cases``, ``train_step_cases``, ``grid_cases``,
``extra_op_cases``; ``cases(cfg)`` wraps the ones the suite does not already have.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "benchmarks":
    sys.path.pop(0)  # run as a script: benchmarks/profile.py must not shadow the stdlib's profile
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# -- threads ------------------------------------------------------------------------------------
def set_threads(n: int):
    import numba
    import torch
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(n)
    numba.set_num_threads(n)
    threadpool_limits(n)


# -- case builders ------------------------------------------------------------------------------
def _rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def conv_sides(n, cin, cout, size, k=3, stride=1, padding=1, groups=1, input_grad=True, backward=True, seed=0):
    """minigrad and torch steps for conv2d forward (+ backward of input, weight and bias)."""
    import torch
    import minigrad
    rng = np.random.default_rng(seed)
    x, w, b = _rand(rng, n, cin, size, size), _rand(rng, cout, cin // groups, k, k) * 0.1, _rand(rng, cout)
    out = (size + 2 * padding - k) // stride + 1
    g = _rand(rng, n, cout, out, out)

    def make(fw, F):
        xt = fw.tensor(x, requires_grad=backward and input_grad)
        wt, bt = fw.tensor(w, requires_grad=backward), fw.tensor(b, requires_grad=backward)
        gt = fw.tensor(g)
        if not backward:
            return lambda: F.conv2d(xt, wt, bt, stride, padding, 1, groups)

        def step():
            xt.grad = wt.grad = bt.grad = None
            F.conv2d(xt, wt, bt, stride, padding, 1, groups).backward(gt)
            return wt.grad
        return step
    flops = 2.0 * n * cout * out * out * (cin // groups) * k * k * ((2 + input_grad) if backward else 1)
    return {"minigrad": make(minigrad, minigrad.nn.functional), "torch": make(torch, torch.nn.functional)}, flops


def pool_sides(n, c, size, k=2, stride=None, padding=0, backward=True, seed=0):
    import torch
    import minigrad
    x = _rand(np.random.default_rng(seed), n, c, size, size)

    def make(fw, F):
        xt = fw.tensor(x, requires_grad=backward)
        if not backward:
            return lambda: F.max_pool2d(xt, k, stride, padding)
        g = fw.ones(tuple(F.max_pool2d(xt.detach(), k, stride, padding).shape))

        def step():
            xt.grad = None
            F.max_pool2d(xt, k, stride, padding).backward(g)
            return xt.grad
        return step
    return {"minigrad": make(minigrad, minigrad.nn.functional), "torch": make(torch, torch.nn.functional)}


def seed_layer_cases(batch=64):
    """The seed CNN's layers, forward + backward (conv1's input is the image: no input gradient)."""
    conv1, f1 = conv_sides(batch, 1, 32, 32, input_grad=False)
    conv2, f2 = conv_sides(batch, 32, 64, 16)
    return {f"conv1_1to32_32px_b{batch}": (conv1, f1), f"conv2_32to64_16px_b{batch}": (conv2, f2),
            f"pool1_32ch_32px_b{batch}": (pool_sides(batch, 32, 32), None),
            f"pool2_64ch_16px_b{batch}": (pool_sides(batch, 64, 16), None)}


def train_step_cases(batch=64, relu=False):
    """zero_grad, forward, cross-entropy, backward, SGD step of the seed CNN, same initial weights."""
    import torch
    import minigrad
    from minigrad.models import ConvNet, copy_weights_to_torch, torch_convnet
    rng = np.random.default_rng(0)
    x, y = _rand(rng, batch, 1, 32, 32), rng.integers(0, 10, batch)
    minigrad.manual_seed(0)
    model = ConvNet(relu=relu)

    def make(fw, net, channels_last=False):
        xt, yt = fw.tensor(x), fw.tensor(y)
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
            xt = xt.contiguous(memory_format=torch.channels_last)
        opt = fw.optim.SGD(net.parameters(), lr=0.01)

        def step():
            opt.zero_grad()
            loss = fw.nn.functional.cross_entropy(net(xt), yt)
            loss.backward()
            opt.step()
            return loss
        return step

    sides = {"minigrad": make(minigrad, model)}
    for name, cl in (("torch", False), ("torch_channels_last", True)):
        twin = torch_convnet(relu=relu)
        copy_weights_to_torch(model, twin)
        sides[name] = make(torch, twin, cl)
    return {f"train_step_b{batch}" + ("_relu" if relu else ""): (sides, 1.90e9 * batch / 64)}


GRID = [  # (label, cin, cout, size, k, stride, padding, groups)
    ("3x3_64to64_56px", 64, 64, 56, 3, 1, 1, 1), ("3x3_128to128_28px", 128, 128, 28, 3, 1, 1, 1),
    ("3x3_256to256_14px", 256, 256, 14, 3, 1, 1, 1), ("3x3_256to256_8px", 256, 256, 8, 3, 1, 1, 1),
    ("1x1_64to256_56px", 64, 256, 56, 1, 1, 0, 1), ("1x1_256to64_28px", 256, 64, 28, 1, 1, 0, 1),
    ("1x1_256to256_14px", 256, 256, 14, 1, 1, 0, 1), ("5x5s2_64to128_56px", 64, 128, 56, 5, 2, 2, 1),
    ("dw3x3_64_56px", 64, 64, 56, 3, 1, 1, 64), ("dw3x3_256_14px", 256, 256, 14, 3, 1, 1, 256),
]


def grid_cases(batch=8, backward=True):
    out = {}
    for label, cin, cout, size, k, s, p, g in GRID:
        sides, flops = conv_sides(batch, cin, cout, size, k, s, p, g, backward=backward)
        out[f"{label}_b{batch}_{'fwd_bwd' if backward else 'fwd'}"] = (sides, flops)
    return out


def extra_op_cases(batch=64):
    """Ops the suite's conv group leaves out: conv_transpose2d, avg_pool2d, adaptive_avg_pool2d."""
    import torch
    import minigrad
    rng = np.random.default_rng(1)
    x, w = _rand(rng, batch, 64, 8, 8), _rand(rng, 64, 32, 4, 4) * 0.1
    a = _rand(rng, batch, 64, 16, 16)

    def convt(fw):
        F = fw.nn.functional
        xt, wt = fw.tensor(x, requires_grad=True), fw.tensor(w, requires_grad=True)

        def step():
            xt.grad = wt.grad = None
            F.conv_transpose2d(xt, wt, stride=2, padding=1).sum().backward()
            return wt.grad
        return step

    def pool(fw, name, *args):
        F = fw.nn.functional
        at = fw.tensor(a, requires_grad=True)

        def step():
            at.grad = None
            getattr(F, name)(at, *args).sum().backward()
            return at.grad
        return step
    return {f"conv_transpose2d_64to32_8px_k4s2_b{batch}": ({"minigrad": convt(minigrad), "torch": convt(torch)}, None),
            f"avg_pool2d_3x3s2p1_64ch_16px_b{batch}": ({fw.__name__: pool(fw, "avg_pool2d", 3, 2, 1)
                                                       for fw in (minigrad, torch)}, None),
            f"adaptive_avg_pool2d_1_64ch_16px_b{batch}": ({fw.__name__: pool(fw, "adaptive_avg_pool2d", 1)
                                                          for fw in (minigrad, torch)}, None)}


# -- timing ------------------------------------------------------------------------------------
def time_sides(sides: dict, budget=2.0, min_rounds=7, min_sample=0.02):
    """Median seconds per call of each side, sampled round-robin (interleaved)."""
    names = list(sides)
    for name in names:                     # first call (compiles), then a warm-up call
        sides[name]()
        sides[name]()
    number = {}
    for name in names:
        t0 = time.perf_counter()
        sides[name]()
        dt = max(time.perf_counter() - t0, 1e-6)
        number[name] = max(1, int(min_sample / dt))
    samples = {name: [] for name in names}
    start, rounds = time.perf_counter(), 0
    while rounds < min_rounds or (time.perf_counter() - start < budget and rounds < 200):
        order = names[rounds % len(names):] + names[:rounds % len(names)]
        for name in order:
            t0 = time.perf_counter()
            for _ in range(number[name]):
                sides[name]()
            samples[name].append((time.perf_counter() - t0) / number[name])
        rounds += 1
    return {name: float(np.median(s)) for name, s in samples.items()}


def gemm_peak(threads):
    """float32 GEMM GFLOP/s of np.matmul at this thread count (the best of a few sizes)."""
    best = 0.0
    for n in (1024, 2048):
        a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
        t = time_sides({"gemm": lambda: a @ a}, budget=1.0, min_rounds=5)["gemm"]
        best = max(best, 2 * n ** 3 / t / 1e9)
    return best


def report(name, times, flops=None, baseline="torch"):
    mine = times["minigrad"]
    parts = [f"{name:42s} minigrad {mine * 1e3:8.2f} ms"]
    for side, t in times.items():
        if side != "minigrad":
            parts.append(f"{side} {t * 1e3:8.2f} ms (x{t / mine:.2f})")
    if flops:
        parts.append(f"{flops / mine / 1e9:6.1f} GFLOP/s")
    line = " | ".join(parts)
    print(line, flush=True)
    return {"case": name, "ms": {k: v * 1e3 for k, v in times.items()}, "ratio_torch": times[baseline] / mine,
            "gflops": flops / mine / 1e9 if flops else None}


# -- compile times ------------------------------------------------------------------------------
_COMPILE_SNIPPET = """
import time, sys
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import numpy as np, minigrad
from minigrad.models import ConvNet
t1 = time.perf_counter()
model = ConvNet(); opt = minigrad.optim.SGD(model.parameters(), lr=0.01)
x = minigrad.tensor(np.random.default_rng(0).standard_normal((64, 1, 32, 32)).astype(np.float32))
y = minigrad.tensor(np.arange(64) % 10)
def step():
    opt.zero_grad(); loss = minigrad.nn.functional.cross_entropy(model(x), y); loss.backward(); opt.step()
t2 = time.perf_counter(); step(); t3 = time.perf_counter(); step(); t4 = time.perf_counter()
print(f"{{t1 - t0:.3f}} {{t3 - t2:.3f}} {{t4 - t3:.3f}}")
"""


def compile_times():
    """Import time, first and second training step, with an empty then a filled Numba cache."""
    code = _COMPILE_SNIPPET.format(root=str(ROOT))
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold", "warm"):
            res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
            if res.returncode:
                raise RuntimeError(res.stderr[-2000:])
            imp, first, second = map(float, res.stdout.split()[-3:])
            out[label] = {"import_s": imp, "first_step_s": first, "second_step_s": second}
            print(f"numba cache {label}: import {imp:.2f} s, first step {first:.2f} s, second step "
                  f"{second * 1e3:.1f} ms", flush=True)
    return out


# -- the benchmark suite's hook -----------------------------------------------------------------
def cases(cfg):
    """Harness Cases for what benchmarks/cases_conv.py and cases_cnn.py do not cover."""
    from .harness import Case, Side
    batch = 4 if cfg.quick else 64
    built = {}

    def side(case, name):
        def build():
            if case not in built:
                built[case] = extra_op_cases(batch)[case][0]
            return built[case][name]
        return Side(name, name, build)
    names = list(_extra_names(batch))
    return [Case(f"conv_extra/{n}", "conv_grid", [side(n, "minigrad"), side(n, "torch")], rtol=5e-3) for n in names]


def _extra_names(batch):
    return [f"conv_transpose2d_64to32_8px_k4s2_b{batch}", f"avg_pool2d_3x3s2p1_64ch_16px_b{batch}",
            f"adaptive_avg_pool2d_1_64ch_16px_b{batch}"]


# -- main ---------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="short budgets (a smoke run)")
    ap.add_argument("--only", default="layers,step,grid,extra,compile")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--budget", type=float, default=None, help="seconds of sampling per case")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    budget = args.budget or (0.3 if args.quick else 2.0)
    set_threads(args.threads)
    results = {"threads": args.threads, "cases": []}
    print(f"threads: {args.threads} (torch, numba, OpenBLAS); ratio = torch / minigrad, medians", flush=True)
    if "layers" in only or "step" in only or "grid" in only:
        results["gemm_peak_gflops"] = gemm_peak(args.threads)
        print(f"float32 GEMM peak (np.matmul): {results['gemm_peak_gflops']:.1f} GFLOP/s", flush=True)
    groups = []
    if "step" in only:
        groups += [train_step_cases(64)] + ([] if args.quick else [train_step_cases(256)])
    if "layers" in only:
        groups.append(seed_layer_cases(64))
    if "grid" in only:
        groups.append(grid_cases(2 if args.quick else 8))
    if "extra" in only:
        groups.append(extra_op_cases(64))
    for group in groups:
        for name, (sides, flops) in group.items():
            results["cases"].append(report(name, time_sides(sides, budget=budget), flops))
    if "compile" in only:
        results["compile"] = compile_times()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
