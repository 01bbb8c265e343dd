"""Every op saves for backward what torch's node saves (derivatives.yaml: the names its formula
mentions, ``result`` for the output): writing one of those tensors in place between the op and
backward is torch's version error, and writing a tensor the node does not save is none. Found by
the op-table sweep that writes each tensor argument and each output of an op in place before
backward. Each case runs in torch and minigrad side by side: both raise the same error class, or
both run and give the same gradients; without the write both run and agree.
"""
from __future__ import annotations

import pytest

# (both libraries: equal values, or the same exception class and version-error gist)
from test_semantics_fuzzfound_h1 import _same  # noqa: E402


def _F(lib):
    return lib.nn.functional


def _x(lib, *shape):
    """A float64 tensor of ``shape`` with distinct values, a non-leaf that requires grad (so that it
    can be written in place), and the leaf that collects its gradient."""
    n = 1
    for s in shape:
        n *= s
    leaf = (lib.arange(n, dtype=lib.float64).reshape(shape) * 0.37 - 1.1).sin().detach().requires_grad_()
    return leaf * 1, leaf


# op name -> lib -> (the op's tensor arguments (non-leaves that require grad, or index tensors),
#                    the leaves that collect gradients, a function of the arguments)
def _unary(fn, *shape):
    def build(lib):
        x, leaf = _x(lib, *shape)
        return [x], [leaf], lambda x: fn(lib, x)
    return build


def _index(fn, shape, index):
    def build(lib):
        x, leaf = _x(lib, *shape)
        return [x, lib.tensor(index)], [leaf], lambda x, i: fn(lib, x, i)
    return build


def _with_source(fn, shape, index, source_shape):
    def build(lib):
        x, leaf = _x(lib, *shape)
        s, sleaf = _x(lib, *source_shape)
        return [x, lib.tensor(index), s], [leaf, sleaf], lambda x, i, s: fn(lib, x, i, s)
    return build


def _two(lib, shape_a, shape_b, fn):
    (a, la), (b, lb) = _x(lib, *shape_a), _x(lib, *shape_b)
    return [a, b], [la, lb], fn


def _three(lib, shape_a, shape_b, shape_c, fn):
    (a, la), (b, lb), (c, lc) = _x(lib, *shape_a), _x(lib, *shape_b), _x(lib, *shape_c)
    return [a, b, c], [la, lb, lc], fn


CASES = {
    "gather": _index(lambda lib, x, i: lib.gather(x, 1, i), (2, 3), [[0, 2], [1, 1]]),
    "take": _index(lambda lib, x, i: lib.take(x, i), (2, 3), [5, 0, 2]),
    "take_along_dim": _index(lambda lib, x, i: lib.take_along_dim(x, i, 1), (2, 3), [[0], [2]]),
    "masked_select": _index(lambda lib, x, m: lib.masked_select(x, m), (2, 3), [[True, False, True]] * 2),
    "index_add": _with_source(lambda lib, x, i, s: x.index_add(0, i, s, alpha=2.0), (3, 2), [2, 0], (2, 2)),
    "index_copy": _with_source(lambda lib, x, i, s: x.index_copy(0, i, s), (3, 2), [2, 0], (2, 2)),
    "put": _with_source(lambda lib, x, i, s: x.put(i, s), (2, 3), [4, 1], (2,)),
    "put_accumulate": _with_source(lambda lib, x, i, s: x.put(i, s, accumulate=True), (2, 3), [4, 4], (2,)),
    "avg_pool1d": _unary(lambda lib, x: _F(lib).avg_pool1d(x, 2), 1, 2, 5),
    "avg_pool2d": _unary(lambda lib, x: _F(lib).avg_pool2d(x, 2), 1, 2, 4, 5),
    "avg_pool3d": _unary(lambda lib, x: _F(lib).avg_pool3d(x, 2), 1, 1, 3, 4, 4),
    "adaptive_avg_pool1d": _unary(lambda lib, x: _F(lib).adaptive_avg_pool1d(x, 3), 1, 2, 5),
    "adaptive_avg_pool2d": _unary(lambda lib, x: _F(lib).adaptive_avg_pool2d(x, (2, 3)), 1, 2, 4, 5),
    "adaptive_avg_pool3d": _unary(lambda lib, x: _F(lib).adaptive_avg_pool3d(x, 2), 1, 1, 3, 4, 4),
    "pad_reflect": _unary(lambda lib, x: _F(lib).pad(x, (1, 2), mode="reflect"), 1, 2, 4),
    "pad_replicate": _unary(lambda lib, x: _F(lib).pad(x, (1, 0, 2, 1), mode="replicate"), 1, 2, 3, 3),
    "pad_reflect_nothing": _unary(lambda lib, x: _F(lib).pad(x, (0, 0), mode="reflect"), 1, 2, 4),
    "pdist": _unary(lambda lib, x: _F(lib).pdist(x), 4, 3),
    "sgn": _unary(lambda lib, x: lib.sgn(x), 2, 3),
    "cummax": _unary(lambda lib, x: lib.cummax(x, 1), 2, 3),
    "cummin": _unary(lambda lib, x: lib.cummin(x, 0), 2, 3),
    "nansum": _unary(lambda lib, x: lib.nansum(x, 1), 2, 3),
    "nanmean": _unary(lambda lib, x: lib.nanmean(x), 2, 3),
    "combinations": _unary(lambda lib, x: lib.combinations(x, 2), 4),
    "native_layer_norm": _unary(lambda lib, x: lib.native_layer_norm(x, (3,), None, None, 1e-5), 2, 3),
    "native_layer_norm_empty": _unary(lambda lib, x: lib.native_layer_norm(x, (3,), None, None, 1e-5), 0, 3),
    "native_batch_norm": _unary(lambda lib, x: lib.native_batch_norm(
        x, None, None, lib.zeros(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64), True, 0.1, 1e-5), 3, 2, 2),
    "native_batch_norm_eval": _unary(lambda lib, x: lib.native_batch_norm(
        x, None, None, lib.zeros(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64), False, 0.1, 1e-5), 3, 2, 2),
    "native_group_norm": _unary(lambda lib, x: lib.native_group_norm(x, None, None, 2, 4, 2, 2, 1e-5), 2, 4, 2),
    "slogdet": _unary(lambda lib, x: lib.linalg.slogdet(x + 3 * lib.eye(3, dtype=lib.float64)), 3, 3),
    "triangular_solve": lambda lib: _two(lib, (3, 2), (3, 3), lambda b, A: lib.triangular_solve(
        b, A + 3 * lib.eye(3, dtype=lib.float64))[0]),
    "cholesky_solve": lambda lib: _two(lib, (3, 2), (3, 3), lambda b, L: lib.cholesky_solve(
        b, L.tril() + 3 * lib.eye(3, dtype=lib.float64))),
    "householder_product_no_reflectors": lambda lib: _two(lib, (3, 2), (0,), lib.linalg.householder_product),
    "ormqr": lambda lib: _three(lib, (3, 3), (3,), (3, 2), lib.ormqr),
    "mse_loss_weighted": _with_source(lambda lib, x, w, t: _F(lib).mse_loss(x, t, weight=w), (2, 3),
                                      [[1.0, 2.0, 0.5]] * 2, (2, 3)),
    "l1_loss_weighted": _with_source(lambda lib, x, w, t: _F(lib).l1_loss(x, t, weight=w, reduction="sum"),
                                     (2, 3), [[1.0, 2.0, 0.5]] * 2, (2, 3)),
}

# (op, what is written in place): argument i, or output i ("out0")
WRITES = [
    ("gather", 0), ("take", 0), ("take_along_dim", 0), ("masked_select", 0),
    ("index_add", 2), ("index_copy", 2), ("put", 2), ("put_accumulate", 2),
    ("avg_pool1d", 0), ("avg_pool2d", 0), ("avg_pool3d", 0),
    ("adaptive_avg_pool1d", 0), ("adaptive_avg_pool2d", 0), ("adaptive_avg_pool3d", 0),
    ("pad_reflect", 0), ("pad_replicate", 0), ("pad_reflect_nothing", 0),
    ("pdist", 0), ("pdist", "out0"),
    ("sgn", 0), ("sgn", "out0"), ("cummax", 0), ("cummin", 0), ("nansum", 0), ("nanmean", 0),
    ("combinations", 0),
    ("native_layer_norm", "out1"), ("native_layer_norm", "out2"), ("native_layer_norm_empty", "out1"),
    ("native_layer_norm_empty", "out2"), ("native_batch_norm", 0), ("native_batch_norm", "out1"),
    ("native_batch_norm", "out2"), ("native_batch_norm_eval", "out1"), ("native_batch_norm_eval", "out2"),
    ("native_group_norm", "out1"),
    ("slogdet", "out0"), ("triangular_solve", 0), ("cholesky_solve", 0),
    ("householder_product_no_reflectors", 0), ("householder_product_no_reflectors", 1),
    ("householder_product_no_reflectors", "out0"), ("ormqr", "out0"), ("ormqr", 2),
]

# writes torch's nodes do not see (they save none of these): no error in either library
UNSAVED_WRITES = [("mse_loss_weighted", 0), ("mse_loss_weighted", 2), ("l1_loss_weighted", 0),
                  ("l1_loss_weighted", 2)]


def _run_case(name, written):
    def run(lib):
        args, leaves, fn = CASES[name](lib)
        out = fn(*args)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if written is not None:
            target = outs[int(written[3:])] if isinstance(written, str) else args[written]
            with lib.no_grad():
                target.copy_(target.clone())
        # (each element weighted differently: a normalised output's plain sum has a zero gradient)
        loss = sum((o * lib.arange(o.numel(), dtype=o.dtype).reshape(o.shape)).sum() for o in outs if o.requires_grad)
        loss.backward()
        # (plus zeros: torch's gradient of sgn is a ZeroTensor, which numpy() refuses; no gradient: empty)
        grads = [lib.zeros(0) if leaf.grad is None else leaf.grad + lib.zeros_like(leaf) for leaf in leaves]
        return [o.detach().numpy() for o in outs] + [g.numpy() for g in grads]
    return run


@pytest.mark.parametrize("name,written", WRITES, ids=[f"{n}-{w}" for n, w in WRITES])
def test_a_write_into_what_the_node_saves(name, written):
    """Written in place before backward: torch's version error in both (the same class and gist)."""
    assert _same(_run_case(name, written)) == "err"


@pytest.mark.parametrize("name,written", UNSAVED_WRITES, ids=[f"{n}-{w}" for n, w in UNSAVED_WRITES])
def test_a_write_into_what_the_node_does_not_save(name, written):
    """Written in place before backward, but saved by no node: both run and agree."""
    assert _same(_run_case(name, written)) == "ok"


@pytest.mark.parametrize("name", sorted(CASES))
def test_without_a_write_both_run_and_agree(name):
    assert _same(_run_case(name, None)) == "ok"
