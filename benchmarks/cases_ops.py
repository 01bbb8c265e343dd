"""Op-level cases: dispatch overhead on tiny tensors, elementwise, reductions, softmax and
cross-entropy, matmul. Each large op also runs as the bare NumPy call it wraps, so the report
shows minigrad's overhead over NumPy (the core issue wants at most 1.2x on large tensors).
"""
from __future__ import annotations

import numpy as np

from .harness import Case, Config
from .sides import framework_sides, numpy_side, randn, size_label, tensor


def cases(cfg: Config) -> list[Case]:
    return dispatch(cfg) + elementwise(cfg) + reductions(cfg) + softmax_ce(cfg) + norms(cfg) + matmul(cfg)


# -- dispatch: per-op Python overhead -------------------------------------------------------
def dispatch(cfg: Config) -> list[Case]:
    rng = np.random.default_rng(0)
    a, b = randn(rng, 2), randn(rng, 2)
    dev = cfg.device

    def add_fwd(fw, dev):
        x, y = tensor(fw, a, dev), tensor(fw, b, dev)
        return lambda: x + y

    def mul_add_fwd(fw, dev):
        x, y = tensor(fw, a, dev), tensor(fw, b, dev)
        return lambda: x * y + x

    def mul_add_fwd_record(fw, dev):
        x, y = tensor(fw, a, dev, True), tensor(fw, b, dev, True)
        return lambda: x * y + x

    def mul_add_sum_backward(fw, dev):
        x, y = tensor(fw, a, dev, True), tensor(fw, b, dev, True)

        def step():
            x.grad = y.grad = None
            ((x * y + x).sum()).backward()
            return x.grad
        return step

    def np_add():
        return lambda: a + b

    def np_mul_add():
        return lambda: a * b + a

    return [
        Case("dispatch/add_fwd[2]", "dispatch", framework_sides(add_fwd, dev) + [numpy_side(np_add)],
             params={"shape": [2], "what": "x + y, no grad"}),
        Case("dispatch/mul_add_fwd[2]", "dispatch",
             framework_sides(mul_add_fwd, dev) + [numpy_side(np_mul_add)],
             params={"shape": [2], "what": "x * y + x, no grad"}),
        Case("dispatch/mul_add_fwd_graph[2]", "dispatch", framework_sides(mul_add_fwd_record, dev),
             params={"shape": [2], "what": "x * y + x, requires_grad (graph recorded)"}),
        Case("dispatch/mul_add_sum_backward[2]", "dispatch", framework_sides(mul_add_sum_backward, dev),
             params={"shape": [2], "what": "((x * y + x).sum()).backward()"}),
    ]


# -- elementwise ----------------------------------------------------------------------------
def _sizes(cfg):
    return [4_096] if cfg.quick else [1_000, 100_000, 4_000_000]


def elementwise(cfg: Config) -> list[Case]:
    out = []
    rng = np.random.default_rng(1)
    ops = {  # name: (minigrad/torch expression, the NumPy call it wraps)
        "add": (lambda fw, x, y: x + y, np.add),
        "mul": (lambda fw, x, y: x * y, np.multiply),
        "exp": (lambda fw, x, y: fw.exp(x), lambda a, b: np.exp(a)),
        "relu": (lambda fw, x, y: fw.nn.functional.relu(x), lambda a, b: np.maximum(a, 0)),
    }
    for n in _sizes(cfg):
        a, b = randn(rng, n), randn(rng, n)
        for name, (expr, np_fn) in ops.items():
            def make(fw, dev, expr=expr, a=a, b=b):
                x, y = tensor(fw, a, dev), tensor(fw, b, dev)
                return lambda: expr(fw, x, y)

            def bare(np_fn=np_fn, a=a, b=b):
                return lambda: np_fn(a, b)
            out.append(Case(f"elementwise/{name}[{size_label(n)}]", "elementwise",
                            framework_sides(make, cfg.device) + [numpy_side(bare)],
                            params={"numel": n, "dtype": "float32", "what": f"{name}, forward"}))

        def mul_backward(fw, dev, a=a, b=b):
            x, y = tensor(fw, a, dev, True), tensor(fw, b, dev, True)
            g = tensor(fw, np.ones_like(a), dev)

            def step():
                x.grad = y.grad = None
                (x * y).backward(g)
                return x.grad
            return step

        def bare_mul_backward(a=a, b=b):
            g = np.ones_like(a)

            def step():
                z = a * b
                return g * b, g * a, z
            return step
        out.append(Case(f"elementwise/mul_fwd_bwd[{size_label(n)}]", "elementwise",
                        framework_sides(mul_backward, cfg.device) + [numpy_side(bare_mul_backward)],
                        params={"numel": n, "dtype": "float32", "what": "z = x * y; z.backward(g)"}))
    return out


# -- reductions -----------------------------------------------------------------------------
def reductions(cfg: Config) -> list[Case]:
    out = []
    rng = np.random.default_rng(2)
    ops = {
        "sum": (lambda fw, x: x.sum(), lambda a: a.sum()),
        "mean": (lambda fw, x: x.mean(), lambda a: a.mean()),
        "sum_dim1": (lambda fw, x: x.sum(dim=1), lambda a: a.sum(axis=1)),
    }
    for n in _sizes(cfg):
        a = randn(rng, n // 1000 if n >= 1000 else 1, min(n, 1000))
        for name, (expr, np_fn) in ops.items():
            def make(fw, dev, expr=expr, a=a):
                x = tensor(fw, a, dev)
                return lambda: expr(fw, x)

            def bare(np_fn=np_fn, a=a):
                return lambda: np_fn(a)
            out.append(Case(f"reduce/{name}[{a.shape[0]}x{a.shape[1]}]", "reduce",
                            framework_sides(make, cfg.device) + [numpy_side(bare)],
                            params={"shape": list(a.shape), "dtype": "float32"}))
    return out


# -- softmax and cross-entropy --------------------------------------------------------------
def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_ce(cfg: Config) -> list[Case]:
    out = []
    rng = np.random.default_rng(3)
    shapes = [(64, 10)] if cfg.quick else [(64, 10), (256, 1000), (4096, 1000)]
    for rows, cols in shapes:
        logits = randn(rng, rows, cols)
        target = rng.integers(0, cols, rows)

        def softmax(fw, dev, logits=logits):
            x = tensor(fw, logits, dev)
            return lambda: fw.nn.functional.softmax(x, dim=-1)

        def bare_softmax(logits=logits):
            return lambda: _np_softmax(logits)

        def ce_backward(fw, dev, logits=logits, target=target):
            x = tensor(fw, logits, dev, True)
            t = tensor(fw, target, dev)

            def step():
                x.grad = None
                fw.nn.functional.cross_entropy(x, t).backward()
                return x.grad
            return step

        def bare_ce_backward(logits=logits, target=target, rows=rows):
            rows_idx = np.arange(rows)

            def step():
                z = logits - logits.max(axis=1, keepdims=True)
                lse = np.log(np.exp(z).sum(axis=1))
                loss = (lse - z[rows_idx, target]).mean()   # noqa: F841  (the forward, as minigrad does)
                grad = np.exp(z - lse[:, None])
                grad[rows_idx, target] -= 1
                grad /= rows
                return grad
            return step

        out.append(Case(f"softmax/softmax[{rows}x{cols}]", "softmax",
                        framework_sides(softmax, cfg.device) + [numpy_side(bare_softmax)],
                        params={"shape": [rows, cols], "dim": -1}))
        out.append(Case(f"softmax/cross_entropy_fwd_bwd[{rows}x{cols}]", "softmax",
                        framework_sides(ce_backward, cfg.device) + [numpy_side(bare_ce_backward)],
                        params={"shape": [rows, cols], "what": "cross_entropy(x, t).backward()"}))
    return out


# -- layer_norm -----------------------------------------------------------------------------
def norms(cfg: Config) -> list[Case]:
    """layer_norm over the last dim with weight and bias (a transformer's shapes): the forward
    alone, and forward plus backward into the input, weight and bias."""
    out = []
    rng = np.random.default_rng(5)
    shapes = [(64, 768)] if cfg.quick else [(64, 768), (4096, 1024)]
    for rows, cols in shapes:
        x_np, w_np, b_np = randn(rng, rows, cols), randn(rng, cols), randn(rng, cols)

        def fwd(fw, dev, x_np=x_np, w_np=w_np, b_np=b_np):
            x, w, b = tensor(fw, x_np, dev), tensor(fw, w_np, dev), tensor(fw, b_np, dev)
            return lambda: fw.nn.functional.layer_norm(x, (x_np.shape[1],), w, b)

        def fwd_bwd(fw, dev, x_np=x_np, w_np=w_np, b_np=b_np):
            x, w, b = (tensor(fw, a, dev, True) for a in (x_np, w_np, b_np))
            g = tensor(fw, np.ones_like(x_np), dev)

            def step():
                x.grad = w.grad = b.grad = None
                fw.nn.functional.layer_norm(x, (x_np.shape[1],), w, b).backward(g)
                return x.grad
            return step

        def bare(x_np=x_np, w_np=w_np, b_np=b_np):
            def step():
                mean = x_np.mean(axis=1, keepdims=True)
                xc = x_np - mean
                return xc * (1 / np.sqrt((xc * xc).mean(axis=1, keepdims=True) + 1e-5)) * w_np + b_np
            return step
        out.append(Case(f"norm/layer_norm[{rows}x{cols}]/fwd", "norm",
                        framework_sides(fwd, cfg.device) + [numpy_side(bare)],
                        params={"shape": [rows, cols], "normalized_shape": [cols]}))
        out.append(Case(f"norm/layer_norm[{rows}x{cols}]/fwd_bwd", "norm", framework_sides(fwd_bwd, cfg.device),
                        params={"shape": [rows, cols], "normalized_shape": [cols],
                                "what": "layer_norm(x, w, b).backward(ones)"}))
    return out


# -- matmul ---------------------------------------------------------------------------------
def matmul(cfg: Config) -> list[Case]:
    """Every side of these may run multithreaded OpenBLAS (NumPy's products, and minigrad's from
    blas.SERIAL_MAX multiply-adds up), so each sample is followed by a pause (Side.settle_s)."""
    out = []
    rng = np.random.default_rng(4)
    fwd_shapes = [(64, 64, 64)] if cfg.quick else [(64, 64, 64), (256, 256, 256), (1024, 1024, 1024),
                                                   (64, 4096, 10)]
    bwd_shapes = [(64, 64, 64)] if cfg.quick else [(256, 256, 256), (1024, 1024, 1024)]
    for m, k, n in fwd_shapes:
        a, b = randn(rng, m, k), randn(rng, k, n)

        def make(fw, dev, a=a, b=b):
            x, y = tensor(fw, a, dev), tensor(fw, b, dev)
            return lambda: x @ y

        def bare(a=a, b=b):
            return lambda: a @ b
        out.append(Case(f"matmul/{m}x{k}@{k}x{n}", "matmul",
                        framework_sides(make, cfg.device) + [numpy_side(bare)],
                        flops=2.0 * m * k * n, params={"m": m, "k": k, "n": n}))
    for m, k, n in bwd_shapes:
        a, b = randn(rng, m, k), randn(rng, k, n)

        def make_bwd(fw, dev, a=a, b=b):
            x, y = tensor(fw, a, dev, True), tensor(fw, b, dev, True)
            g = tensor(fw, np.ones((a.shape[0], b.shape[1]), np.float32), dev)

            def step():
                x.grad = y.grad = None
                (x @ y).backward(g)
                return x.grad
            return step

        def bare_bwd(a=a, b=b):
            g = np.ones((a.shape[0], b.shape[1]), np.float32)
            return lambda: (a @ b, g @ b.T, a.T @ g)[1]
        out.append(Case(f"matmul/fwd_bwd_{m}x{k}@{k}x{n}", "matmul",
                        framework_sides(make_bwd, cfg.device) + [numpy_side(bare_bwd)],
                        flops=6.0 * m * k * n, params={"m": m, "k": k, "n": n}))
    for case in out:
        for side in case.sides:
            side.settle_s = 0.2
    return out
