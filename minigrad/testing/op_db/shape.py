"""Op table: shape ops (permute, transpose, squeeze, flatten, cat, stack, split, flip, roll, ...).

Shapes include 0-d, size-0 and size-1 dims; dims, sizes and offsets are drawn valid for each shape.
A few entries write through a view and return the base, to check that views share memory.
"""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays, dims_for, shapes


def _dim(ndim, extra=0):
    """A valid dim (negative too) for a tensor of ``ndim`` dims; ``extra=1`` for unsqueeze/stack."""
    n = max(ndim + extra, 1)
    return st.integers(-n, n - 1)


def _with(shape_strategy, make):
    """Draw a shape, then an array of it and the rest of the arguments (``make(dtype, shape)``)."""
    def strategy(dtype):
        return shape_strategy.flatmap(lambda s: make(dtype, s))
    return strategy


def _x_and(extra):
    """Sample(x, *extra(shape)): the input and arguments drawn for its shape."""
    return lambda dtype, s: st.tuples(arrays(dtype, s), extra(s)).map(lambda a: Sample((a[0],) + tuple(a[1])))


_any = shapes(0, 4)
_nd1 = shapes(1, 4)

# -- permutations and views -------------------------------------------------------------------------
_permute = _with(_any, _x_and(lambda s: st.permutations(range(len(s))).map(lambda p: (tuple(p),))))
_transpose = _with(_any, _x_and(lambda s: st.tuples(_dim(len(s)), _dim(len(s)))))
_t = _with(shapes(0, 2), _x_and(lambda s: st.just(())))
_squeeze = _with(shapes(0, 4, max_side=2), _x_and(lambda s: dims_for(len(s)).map(lambda d: () if d is None else (d,))))
_unsqueeze = _with(_any, _x_and(lambda s: _dim(len(s), 1).map(lambda d: (d,))))


def _flatten_args(s):
    n = max(len(s), 1)
    return st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.booleans(), st.booleans()).map(
        lambda a: (min(a[0], a[1]) - (n if a[2] else 0), max(a[0], a[1]) - (n if a[3] else 0)))


def _unflatten_args(s):
    def for_dim(d):
        size = s[d]
        if size == 0:
            options = [(0,), (1, 0), (0, 3)]
        else:
            divisors = [k for k in range(1, size + 1) if size % k == 0]
            options = [(size,)] + [(k, size // k) for k in divisors] + [(k, -1) for k in divisors] + \
                      [(1, k, -1) for k in divisors]
        return st.sampled_from(options).map(lambda sizes: (d - len(s) if d % 2 else d, sizes))
    return st.integers(0, len(s) - 1).flatmap(for_dim)


def _movedim_args(s):
    n = len(s)
    if n == 0:
        return st.sampled_from([(0, 0), (-1, 0), ((0,), (-1,))])
    return st.integers(0, n).flatmap(lambda k: st.tuples(
        st.permutations(range(n)).map(lambda p: p[:k]), st.permutations(range(n)).map(lambda p: p[:k]),
        st.booleans()).map(lambda a: (a[0][0], a[1][0]) if a[2] and k == 1 else (tuple(a[0]), tuple(a[1]))))


def _narrow_args(s):
    def for_dim(d):
        size = s[d]
        return st.integers(0, size).flatmap(lambda start: st.tuples(
            st.just(d), st.sampled_from([start, start - size]), st.integers(0, size - start)))
    return st.integers(0, len(s) - 1).flatmap(for_dim)


# -- splits and joins ---------------------------------------------------------------------------------
def _split_args(s):
    def for_dim(d):
        size = s[d]
        sizes = st.integers(0 if size == 0 else 1, max(size, 1) + 1)
        return st.tuples(sizes, st.just(d - len(s)))
    return st.integers(0, len(s) - 1).flatmap(for_dim)


def _partition(size):
    """A list of non-negative sizes summing to ``size`` (zeros included)."""
    return st.lists(st.integers(0, size), max_size=3).map(
        lambda cuts: [b - a for a, b in zip([0] + sorted(cuts), sorted(cuts) + [size])])


def _split_sections_args(s):
    return st.integers(0, len(s) - 1).flatmap(lambda d: st.tuples(_partition(s[d]), st.just(d)))


def _chunk_args(s):
    return st.tuples(st.integers(1, 5), _dim(len(s)))


def _cat(dtype, dtypes=None):
    """cat of 1-4 tensors matching except in dim, sometimes with 1-D empty tensors (which torch skips)."""
    def make(s):
        def for_dim(d):
            n = len(s)
            parts = st.lists(st.integers(0, 3), min_size=1, max_size=4)

            def build(sizes_and_empties):
                sizes, empties = sizes_and_empties
                shapes_ = [s[:d] + (k,) + s[d + 1:] for k in sizes]
                shapes_ = [(0,) if e else sh for sh, e in zip(shapes_, empties)] if n > 1 else shapes_
                if n > 1 and all(empties[:len(shapes_)]):
                    shapes_[0] = s[:d] + (sizes[0],) + s[d + 1:]
                return st.tuples(*(arrays(dt, sh) for sh, dt in zip(
                    shapes_, (dtypes or (dtype,)) * len(shapes_))), st.just(d - (n if d % 2 else 0)))
            return st.tuples(parts, st.lists(st.booleans(), min_size=4, max_size=4).map(
                lambda e: [x and (i % 2 == 1) for i, x in enumerate(e)])).flatmap(build)
        return st.integers(0, len(s) - 1).flatmap(for_dim)
    return _nd1.flatmap(make).map(lambda a: Sample(tuple(a[:-1]), {"dim": a[-1]}))


def _cat_mixed(dtype):
    other = "float64" if dtype == "float32" else "int32"  # float64 + int32: gradcheck stays in float64
    return _cat(dtype, (dtype, other))


def _stack(dtype):
    return _any.flatmap(lambda s: st.tuples(
        st.integers(1, 3).flatmap(lambda k: st.tuples(*(arrays(dtype, s) for _ in range(k)))),
        _dim(len(s), 1))).map(lambda a: Sample(a[0], {"dim": a[1]}))


# -- copies that rearrange ------------------------------------------------------------------------------
def _repeat_args(s):
    return st.integers(len(s), 4).flatmap(
        lambda k: st.tuples(st.lists(st.integers(0, 2), min_size=k, max_size=k).map(tuple)))


def _tile_args(s):
    return st.tuples(st.lists(st.integers(0, 2), max_size=4).map(tuple))


def _flip_args(s):
    n = len(s)
    if n == 0:
        return st.sampled_from([((),), ((0,),), ((-1,),)])
    return st.tuples(st.lists(st.integers(-n, n - 1), unique_by=lambda d: d % n, max_size=n).map(tuple))


def _roll_args(s):
    n = len(s)
    shift = st.integers(-6, 6)
    flat = shift.map(lambda k: (k, None))
    if n == 0:
        return flat
    per_dim = st.lists(st.tuples(shift, st.integers(-n, n - 1)), min_size=1, max_size=n).map(
        lambda pairs: (tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))
    one = st.tuples(shift, _dim(n))
    return st.one_of(flat, per_dim, one)


_tri = _with(shapes(2, 4), _x_and(lambda s: st.integers(-3, 3).map(lambda k: (k,))))


# -- writing through views: the base must see the change, as in torch ------------------------------------
def _write_through(view):
    def run(x):
        y = x.clone()
        with _grad_off(x):
            view(y).mul_(-2)
        return y
    return run


def _grad_off(x):
    return (minigrad if isinstance(x, minigrad.Tensor) else torch).no_grad()


_VIEW_WRITES = [
    ("permute", lambda v: v.permute(*reversed(range(v.dim())))),
    ("transpose", lambda v: v.transpose(0, -1)),
    ("unsqueeze_squeeze", lambda v: v.unsqueeze(0).squeeze(0)),
    ("view", lambda v: v.view(-1)),
    ("flatten", lambda v: v.flatten()),
    ("narrow", lambda v: v.narrow(0, 1, 1)),
    ("split", lambda v: v.split(1)[-1]),
    ("unbind", lambda v: v.unbind(-1)[0]),
    ("chunk", lambda v: v.chunk(2, 1)[1]),
]


def _view_sample(dtype):
    return shapes(2, 3, min_side=2).flatmap(lambda s: arrays(dtype, s)).map(lambda x: Sample((x,)))


def _copy_then_write(copy):
    """flip/roll/repeat/cat copy: writing into the result must leave the input alone."""
    def run(x):
        y = x.clone()
        with _grad_off(x):
            copy(y).mul_(-2)
        return y
    return run


_COPY_WRITES = [
    ("flip", lambda v: v.flip(0)),
    ("roll", lambda v: v.roll(1, 0)),
    ("repeat", lambda v: v.repeat(1, 1)),
    ("reshape_noncontiguous", lambda v: v.t().reshape(-1)),
]


OPS = [
    OpInfo("permute", minigrad.permute, torch.permute, _permute),
    OpInfo("transpose", minigrad.transpose, torch.transpose, _transpose),
    OpInfo("t", minigrad.t, torch.t, _t),
    OpInfo("T", lambda x: x.T, lambda x: x.T, _with(shapes(0, 2), _x_and(lambda s: st.just(())))),
    OpInfo("mT", lambda x: x.mT, lambda x: x.mT, _with(shapes(2, 4), _x_and(lambda s: st.just(())))),
    OpInfo("squeeze", minigrad.squeeze, torch.squeeze, _squeeze),
    OpInfo("unsqueeze", minigrad.unsqueeze, torch.unsqueeze, _unsqueeze),
    OpInfo("flatten", minigrad.flatten, torch.flatten, _with(_any, _x_and(_flatten_args))),
    OpInfo("unflatten", minigrad.unflatten, torch.unflatten, _with(_nd1, _x_and(_unflatten_args))),
    OpInfo("movedim", minigrad.movedim, torch.movedim, _with(_any, _x_and(_movedim_args))),
    OpInfo("narrow", minigrad.narrow, torch.narrow, _with(_nd1, _x_and(_narrow_args))),
    OpInfo("split", minigrad.split, torch.split, _with(_nd1, _x_and(_split_args))),
    OpInfo("split_sections", minigrad.split, torch.split, _with(_nd1, _x_and(_split_sections_args))),
    OpInfo("chunk", minigrad.chunk, torch.chunk, _with(_nd1, _x_and(_chunk_args))),
    OpInfo("unbind", minigrad.unbind, torch.unbind, _with(_nd1, _x_and(lambda s: _dim(len(s)).map(lambda d: (d,))))),
    OpInfo("cat", lambda *xs, dim: minigrad.cat(xs, dim), lambda *xs, dim: torch.cat(xs, dim), _cat),
    OpInfo("cat_promote", lambda *xs, dim: minigrad.cat(list(xs), dim=dim),
           lambda *xs, dim: torch.cat(list(xs), dim=dim), _cat_mixed),
    OpInfo("concat", lambda *xs, dim: minigrad.concat(xs, dim=dim), lambda *xs, dim: torch.concat(xs, dim=dim), _cat,
           grad=False, notes="an alias of cat: forward only"),
    OpInfo("concatenate", lambda *xs, dim: minigrad.concatenate(xs, axis=dim),
           lambda *xs, dim: torch.concatenate(xs, axis=dim), _cat, grad=False, notes="an alias of cat: forward only"),
    OpInfo("stack", lambda *xs, dim: minigrad.stack(xs, dim), lambda *xs, dim: torch.stack(xs, dim), _stack),
    OpInfo("repeat", minigrad.Tensor.repeat, torch.Tensor.repeat, _with(_any, _x_and(_repeat_args))),
    OpInfo("tile", minigrad.tile, torch.tile, _with(_any, _x_and(_tile_args))),
    OpInfo("flip", minigrad.flip, torch.flip, _with(_any, _x_and(_flip_args))),
    OpInfo("roll", minigrad.roll, torch.roll, _with(_any, _x_and(_roll_args))),
    OpInfo("tril", minigrad.tril, torch.tril, _tri),
    OpInfo("triu", minigrad.triu, torch.triu, _tri),
] + [
    OpInfo(f"view_write_{name}", _write_through(view), _write_through(view), _view_sample, grad=False,
           notes="writes through a view: the base sees it")
    for name, view in _VIEW_WRITES
] + [
    OpInfo(f"copy_write_{name}", _copy_then_write(copy), _copy_then_write(copy), _view_sample, grad=False,
           notes="writes into a copy: the input does not see it")
    for name, copy in _COPY_WRITES
]


ERRORS = [
    ErrorCase("permute_wrong_len", lambda lib: lib.ones(2, 3, 4).permute(0, 1), ("3", "2")),
    ErrorCase("permute_duplicate", lambda lib: lib.ones(2, 3, 4).permute(0, 1, 1), ("duplicate",)),
    ErrorCase("permute_bad_dim", lambda lib: lib.ones(2, 3, 4).permute(0, 1, 5), ("[-3, 2]", "5")),
    ErrorCase("transpose_bad_dim", lambda lib: lib.ones(2, 3).transpose(0, 2), ("[-2, 1]", "2")),
    ErrorCase("t_3d", lambda lib: lib.ones(2, 3, 4).t(), ("<= 2", "3D")),
    ErrorCase("squeeze_bad_dim", lambda lib: lib.ones(2, 3).squeeze(5), ("[-2, 1]", "5")),
    ErrorCase("squeeze_repeated_dim", lambda lib: lib.ones(1, 2, 1).squeeze((0, 0)), ("dim 0", "multiple")),
    ErrorCase("unsqueeze_bad_dim", lambda lib: lib.ones(2, 3).unsqueeze(3), ("[-3, 2]", "3")),
    ErrorCase("flatten_start_after_end", lambda lib: lib.ones(2, 3, 4).flatten(2, 1), ("start_dim", "end_dim")),
    ErrorCase("unflatten_bad_sizes", lambda lib: lib.ones(3, 4).unflatten(1, (3, 2)), ("[3, 2]", "(4)")),
    ErrorCase("unflatten_empty_sizes", lambda lib: lib.ones(3, 4).unflatten(1, ()), ("non-empty",)),
    ErrorCase("movedim_len_mismatch", lambda lib: lib.movedim(lib.ones(2, 3), (0, 1), (1,)), ("[0, 1]", "[1]")),
    ErrorCase("movedim_repeated", lambda lib: lib.movedim(lib.ones(2, 3), (0, 0), (0, 1)), ("repeated",)),
    ErrorCase("narrow_too_long", lambda lib: lib.ones(3, 4).narrow(1, 2, 3), ("(2)", "(3)", "(4)")),
    ErrorCase("narrow_bad_start", lambda lib: lib.ones(3, 4).narrow(1, 5, 0), ("[-4, 4]", "5")),
    ErrorCase("narrow_negative_length", lambda lib: lib.ones(3, 4).narrow(1, 0, -1), ("non-negative",)),
    ErrorCase("narrow_0d", lambda lib: lib.tensor(1.0).narrow(0, 0, 1), ("0-dim",)),
    ErrorCase("split_sizes_dont_sum", lambda lib: lib.ones(3, 4).split([1, 2], 1), ("4", "[1, 2]")),
    ErrorCase("split_size_zero", lambda lib: lib.ones(3, 4).split(0, 1), ("0", "4")),
    ErrorCase("split_size_negative", lambda lib: lib.ones(3, 4).split(-1, 1), ("-1",)),
    ErrorCase("split_0d", lambda lib: lib.tensor(1.0).split(1), ("1-dimensional",)),
    ErrorCase("chunk_zero", lambda lib: lib.ones(3, 4).chunk(0), ("greater than 0", "0")),
    ErrorCase("unbind_0d", lambda lib: lib.tensor(1.0).unbind(0), ("no dimensions",)),
    ErrorCase("cat_empty_list", lambda lib: lib.cat([]), ("non-empty",)),
    ErrorCase("cat_0d", lambda lib: lib.cat([lib.tensor(1.0), lib.tensor(2.0)]), ("zero-dimensional", "position 0")),
    ErrorCase("cat_size_mismatch", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]),
              ("dimension 0", "3", "4", "tensor number 1")),
    ErrorCase("cat_ndim_mismatch", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 3, 1)]), ("2", "3")),
    ErrorCase("cat_bad_dim", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 3)], 2), ("[-2, 1]", "2")),
    ErrorCase("cat_a_tensor", lambda lib: lib.cat(lib.ones(2, 3)), ("tuple of Tensors",)),
    ErrorCase("cat_non_tensor", lambda lib: lib.cat([lib.ones(2), 1.0]), ("element 1", "float")),
    ErrorCase("stack_empty_list", lambda lib: lib.stack([]), ("non-empty",)),
    ErrorCase("stack_size_mismatch", lambda lib: lib.stack([lib.ones(2, 3), lib.ones(2, 4)]),
              ("[2, 3]", "[2, 4]", "entry 1")),
    ErrorCase("stack_bad_dim", lambda lib: lib.stack([lib.ones(2, 3), lib.ones(2, 3)], 3), ("[-3, 2]", "3")),
    ErrorCase("repeat_too_few", lambda lib: lib.ones(2, 3).repeat(2), ("repeat dims",)),
    ErrorCase("repeat_negative", lambda lib: lib.ones(2, 3).repeat(-1, 1), ("negative dimension", "-2")),
    ErrorCase("flip_repeated_dim", lambda lib: lib.ones(2, 3).flip(0, 0), ("dim 0", "multiple")),
    ErrorCase("flip_bad_dim", lambda lib: lib.ones(2, 3).flip(2), ("[-2, 1]", "2")),
    ErrorCase("roll_misaligned", lambda lib: lib.ones(2, 3).roll((1, 2), (0,)), ("shifts: 2", "dims:1")),
    ErrorCase("roll_flat_two_shifts", lambda lib: lib.ones(2, 3).roll((1, 2)), ("shifts: 2", "dims:0")),
    ErrorCase("roll_bad_dim", lambda lib: lib.ones(2, 3).roll(1, 2), ("[-2, 1]", "2")),
    ErrorCase("tril_1d", lambda lib: lib.ones(3).tril(), ("tril", "2 dimensions")),
    ErrorCase("triu_1d", lambda lib: lib.ones(3).triu(), ("triu", "2 dimensions")),
    ErrorCase("view_noncontiguous", lambda lib: lib.ones(2, 3).t().view(6), ("view size", "reshape")),
]
