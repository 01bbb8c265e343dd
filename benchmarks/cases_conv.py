"""Conv and pool cases: the seed CNN's layers at batch 64, and the grid of the conv issue
(3x3 and 1x1 convs with 64-256 channels on 8-56 pixel maps, 5x5 stride 2, depthwise).

Each runs forward alone and forward + backward (``y.backward(g)``, gradients for the weight, the
bias and, except for the seed's first layer whose input is the image, the input), and reports
GFLOP/s, so it can be read against the machine's GEMM peak.
"""
from __future__ import annotations

import importlib.util
import zlib
from dataclasses import dataclass

import numpy as np

from .harness import Case, Config
from .sides import framework_sides, randn, tensor


@dataclass(frozen=True)
class ConvSpec:
    label: str
    n: int
    cin: int
    cout: int
    size: int            # square input maps
    k: int = 3
    stride: int = 1
    padding: int = 1
    groups: int = 1
    input_grad: bool = True

    @property
    def out_size(self) -> int:
        return (self.size + 2 * self.padding - self.k) // self.stride + 1

    def flops(self, backward: bool) -> float:
        fwd = 2.0 * self.n * self.cout * self.out_size ** 2 * (self.cin // self.groups) * self.k ** 2
        # backward: the weight gradient costs one forward, the input gradient another
        return fwd * (1 + 1 + self.input_grad) if backward else fwd

    def params(self) -> dict:
        return {"N": self.n, "C_in": self.cin, "C_out": self.cout, "H": self.size, "W": self.size,
                "kernel": self.k, "stride": self.stride, "padding": self.padding, "groups": self.groups,
                "input_grad": self.input_grad}


@dataclass(frozen=True)
class PoolSpec:
    label: str
    n: int
    c: int
    size: int
    k: int = 2
    stride: int | None = None
    padding: int = 0

    def params(self) -> dict:
        return {"N": self.n, "C": self.c, "H": self.size, "W": self.size, "kernel": self.k,
                "stride": self.stride or self.k, "padding": self.padding}


def seed_layers(cfg: Config):
    n = 4 if cfg.quick else 64
    return ([ConvSpec(f"seed_conv1_b{n}", n, 1, 32, 32, input_grad=False),
             ConvSpec(f"seed_conv2_b{n}", n, 32, 64, 16)],
            [PoolSpec(f"seed_pool1_b{n}", n, 32, 32), PoolSpec(f"seed_pool2_b{n}", n, 64, 16)])


def grid(cfg: Config):
    if cfg.quick:
        n = 2
        return ([ConvSpec("3x3_16to16_8px", n, 16, 16, 8), ConvSpec("1x1_16to32_8px", n, 16, 32, 8, k=1, padding=0),
                 ConvSpec("5x5s2_16to16_8px", n, 16, 16, 8, k=5, stride=2, padding=2),
                 ConvSpec("dw3x3_16_8px", n, 16, 16, 8, groups=16)],
                [PoolSpec("pool3x3s2p1_16_8px", n, 16, 8, k=3, stride=2, padding=1)])
    n = 8
    convs = [ConvSpec("3x3_64to64_56px", n, 64, 64, 56), ConvSpec("3x3_128to128_28px", n, 128, 128, 28),
             ConvSpec("3x3_256to256_14px", n, 256, 256, 14), ConvSpec("3x3_256to256_8px", n, 256, 256, 8),
             ConvSpec("1x1_64to256_56px", n, 64, 256, 56, k=1, padding=0),
             ConvSpec("1x1_256to64_28px", n, 256, 64, 28, k=1, padding=0),
             ConvSpec("1x1_256to256_14px", n, 256, 256, 14, k=1, padding=0),
             ConvSpec("5x5s2_64to128_56px", n, 64, 128, 56, k=5, stride=2, padding=2),
             ConvSpec("dw3x3_64_56px", n, 64, 64, 56, groups=64),
             ConvSpec("dw3x3_256_14px", n, 256, 256, 14, groups=256)]
    pools = [PoolSpec("pool3x3s2p1_64_56px", n, 64, 56, k=3, stride=2, padding=1)]
    return convs, pools


def conv_case(spec: ConvSpec, backward: bool, cfg: Config, group: str) -> Case:
    rng = np.random.default_rng(zlib.crc32(spec.label.encode()))
    x_np = randn(rng, spec.n, spec.cin, spec.size, spec.size)
    w_np = randn(rng, spec.cout, spec.cin // spec.groups, spec.k, spec.k) * np.float32(0.1)
    b_np = randn(rng, spec.cout)
    g_np = randn(rng, spec.n, spec.cout, spec.out_size, spec.out_size)

    def make(fw, dev):
        conv2d = fw.nn.functional.conv2d
        x = tensor(fw, x_np, dev, backward and spec.input_grad)
        w, b = tensor(fw, w_np, dev, backward), tensor(fw, b_np, dev, backward)
        if not backward:
            return lambda: conv2d(x, w, b, spec.stride, spec.padding, 1, spec.groups)
        g = tensor(fw, g_np, dev)

        def step():
            x.grad = w.grad = b.grad = None
            conv2d(x, w, b, spec.stride, spec.padding, 1, spec.groups).backward(g)
            return w.grad
        return step
    what = "fwd_bwd" if backward else "fwd"
    return Case(f"{group}/{spec.label}/{what}", group, framework_sides(make, cfg.device),
                flops=spec.flops(backward), params=spec.params(), rtol=5e-3, sample_s=0.1)


def pool_case(spec: PoolSpec, backward: bool, cfg: Config, group: str) -> Case:
    rng = np.random.default_rng(zlib.crc32(spec.label.encode()))
    x_np = randn(rng, spec.n, spec.c, spec.size, spec.size)

    def make(fw, dev):
        max_pool2d = fw.nn.functional.max_pool2d
        x = tensor(fw, x_np, dev, backward)
        if not backward:
            return lambda: max_pool2d(x, spec.k, spec.stride, spec.padding)
        out_shape = tuple(max_pool2d(x.detach(), spec.k, spec.stride, spec.padding).shape)
        g = tensor(fw, np.random.default_rng(0).standard_normal(out_shape).astype(np.float32), dev)

        def step():
            x.grad = None
            max_pool2d(x, spec.k, spec.stride, spec.padding).backward(g)
            return x.grad
        return step
    what = "fwd_bwd" if backward else "fwd"
    return Case(f"{group}/{spec.label}/{what}", group, framework_sides(make, cfg.device),
                params=spec.params(), sample_s=0.1)


def cases(cfg: Config) -> list[Case]:
    out = []
    convs, pools = seed_layers(cfg)
    for spec in convs:
        out += [conv_case(spec, False, cfg, "seed_layers"), conv_case(spec, True, cfg, "seed_layers")]
    for spec in pools:
        out += [pool_case(spec, False, cfg, "seed_layers"), pool_case(spec, True, cfg, "seed_layers")]
    convs, pools = grid(cfg)
    for spec in convs:
        out += [conv_case(spec, False, cfg, "conv_grid"), conv_case(spec, True, cfg, "conv_grid")]
    for spec in pools:
        out += [pool_case(spec, False, cfg, "conv_grid"), pool_case(spec, True, cfg, "conv_grid")]
    return out + _conv_helper_cases(cfg, {c.name for c in out})


def _conv_helper_cases(cfg: Config, taken: set) -> list[Case]:
    """Cases from benchmarks/bench_conv.py (the conv kernels' own benchmarks), when it has any.

    It may define ``cases(cfg) -> list[Case]``; names already defined here are not repeated. Its
    builders make CPU tensors, so they are left out of a --device cuda run.
    """
    if cfg.device != "cpu" or importlib.util.find_spec(f"{__package__}.bench_conv") is None:
        return []
    module = importlib.import_module(f"{__package__}.bench_conv")
    extra = module.cases(cfg) if hasattr(module, "cases") else []
    return [c for c in extra if isinstance(c, Case) and c.name not in taken]
