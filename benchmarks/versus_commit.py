"""The seed CNN's training step at two commits, in one process, interleaved.

    python -m benchmarks.versus_commit f86a6f7 [--batch 64] [--threads 2] [--rounds 15]

A regression check between commits has the same noise problem as a comparison with torch: two
runs minutes apart on a shared machine differ by more than the change being measured. So the
package as it was at the given commit is exported (``git archive``) into a temporary folder
under another name (``minigrad_<sha>``; minigrad imports itself only relatively, so both copies
load side by side), and the two packages' steps are timed alternately in this process, with
torch's eager step as a third side for reference. Reports medians and the ratio.
"""
from __future__ import annotations

import argparse
import importlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np

from .harness import set_threads
from .seed_cnn import LR, batch, load_torch, torch_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def import_commit(commit: str):
    """minigrad as it was at ``commit``, imported as ``minigrad_<sha>``."""
    sha = subprocess.run(["git", "rev-parse", "--short", commit], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.strip()
    name = f"minigrad_{sha}"
    root = os.path.join(tempfile.gettempdir(), f"minigrad-versus-{sha}")
    if not os.path.isdir(os.path.join(root, name)):
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "minigrad"], cwd=REPO, check=True,
                                 capture_output=True).stdout
        os.makedirs(root, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(root, filter="data")
        os.rename(os.path.join(root, "minigrad"), os.path.join(root, name))
    sys.path.insert(0, root)
    return importlib.import_module(name), sha


def minigrad_step(lib, weights, x, y):
    """One SGD step of the seed CNN built with package ``lib`` from ``weights``."""
    nn, F = lib.nn, lib.nn.functional
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4096, 10))
    with lib.no_grad():
        for (_, p), w in zip(model.named_parameters(), weights):
            p.copy_(lib.tensor(w))
    opt = lib.optim.SGD(model.parameters(), lr=LR)
    xt, yt = lib.tensor(x), lib.tensor(y)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(xt), yt).backward()
        opt.step()
    return step


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.versus_commit", description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the commit to compare the working tree's minigrad with")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=15, help="alternations; each times 5 steps per side")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    import torch

    import minigrad
    old, sha = import_commit(args.commit)
    x, y = batch(args.batch)
    torch.manual_seed(0)
    reference = torch_model(None, relu=True)
    weights = [p.detach().numpy().copy() for p in reference.parameters()]
    sides = {f"minigrad @ {sha}": minigrad_step(old, weights, x, y),
             "minigrad (working tree)": minigrad_step(minigrad, weights, x, y)}
    model = torch_model(None, relu=True)
    load_torch_params = dict(zip([tuple(w.shape) for w in weights], weights))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(load_torch_params[tuple(p.shape)]))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    sides["torch eager"] = torch_step
    times = {k: [] for k in sides}
    for step in sides.values():  # compiles and warm caches
        for _ in range(3):
            step()
    for _ in range(args.rounds):
        for name, step in sides.items():
            for _ in range(5):
                t0 = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - t0)
    load = os.getloadavg()[0]
    print(f"seed CNN SGD step, batch {args.batch}, {args.threads} threads, {args.rounds} x 5 steps per side, "
          f"load average {load:.1f}")
    medians = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
    for name, ms in medians.items():
        print(f"  {name:28s} median {ms:7.2f} ms   torch/this {medians['torch eager'] / ms:5.2f}x")
    old_ms, new_ms = medians[f"minigrad @ {sha}"], medians["minigrad (working tree)"]
    print(f"  working tree / {sha}: {new_ms / old_ms:.3f} (below 1: faster now)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
