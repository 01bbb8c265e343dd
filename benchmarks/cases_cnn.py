"""The seed CNN: inference and a full training step at batch 32, 64 and 256.

Sides: minigrad; torch eager (default NCHW layout); torch's fastest CPU modes, channels_last
memory format and torch.compile (at batch 64; where it cannot compile offline it is reported as
"unavailable: <why>"); and the hand-written NumPy im2col + BLAS version (numpy_cnn.py). The
report adds the GEMM floor, the time the step's FLOPs would take at the machine's measured
float32 GEMM peak.
"""
from __future__ import annotations

from functools import lru_cache

from . import numpy_cnn, seed_cnn
from .harness import Case, Config, Side


@lru_cache(maxsize=1)
def _weights():
    return seed_cnn.initial_weights()


_compiled = {}  # one torch.compile'd twin per (device, relu)
# torch.compile compiles anew for each batch size and mode (about two minutes each on a 2-core
# machine), so it runs at the headline batch size only.
COMPILE_BATCHES = (64,)


def _make_cases(cfg: Config, batch: int, train: bool) -> Case:
    dev = cfg.device
    x_np, y_np = seed_cnn.batch(batch)

    def step_for(fw, model, x, y):
        return seed_cnn.train_step_fn(fw, model, x, y) if train else seed_cnn.inference_fn(fw, model, x)

    def build_minigrad():
        import minigrad
        model = seed_cnn.minigrad_model()
        if dev != "cpu":
            model = model.to(dev)
        return step_for(minigrad, model, minigrad.tensor(x_np, device=dev), minigrad.tensor(y_np, device=dev))

    def torch_side(channels_last: bool = False, compiled: bool = False):
        def build():
            import torch
            weights, relu = _weights()
            x, y = torch.tensor(x_np, device=dev), torch.tensor(y_np, device=dev)
            if compiled:
                key = (dev, relu)
                if key not in _compiled:
                    _compiled[key] = torch.compile(seed_cnn.torch_model(weights, relu).to(dev))
                model = _compiled[key]
                seed_cnn.load_torch(model, weights)
            else:
                model = seed_cnn.torch_model(weights, relu).to(dev)
            if channels_last:
                model = model.to(memory_format=torch.channels_last)
                x = x.contiguous(memory_format=torch.channels_last)
            return step_for(torch, model, x, y)
        return build

    def build_numpy():
        weights, relu = _weights()
        if relu:
            raise NotImplementedError("the NumPy reference has no ReLU")
        p = {k: v.copy() for k, v in weights.items()}
        if train:
            return lambda: numpy_cnn.train_step(p, x_np, y_np, seed_cnn.LR)
        return lambda: numpy_cnn.forward(p, x_np)[0]

    sides = [Side("minigrad", "minigrad", build_minigrad),
             Side("torch", "torch", torch_side()),
             Side("torch_channels_last", "torch", torch_side(channels_last=True)),
             Side("numpy_im2col", "numpy", build_numpy, optional=True, cpu_only=True,
                  settle_s=0.2)]   # its GEMMs run on OpenBLAS's threads, which then spin
    if batch in COMPILE_BATCHES:
        sides.insert(3, Side("torch_compile", "torch", torch_side(compiled=True), optional=True, quick=False))
    what = "train_step" if train else "inference"
    return Case(f"seed_cnn/{what}_b{batch}", "seed_cnn", sides, flops=numpy_cnn.step_flops(batch, train),
                params={"batch": batch, "what": "zero_grad, forward, cross_entropy, backward, SGD step"
                        if train else "forward under no_grad", "lr": seed_cnn.LR},
                budget=2.0, rtol=5e-3, sample_s=0.3)


def cases(cfg: Config) -> list[Case]:
    batches = [16] if cfg.quick else [32, 64, 256]
    return [_make_cases(cfg, b, train) for train in (False, True) for b in batches]
