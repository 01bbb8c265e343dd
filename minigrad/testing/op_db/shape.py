"""Op table: shape ops (permute, transpose, squeeze, flatten, cat, stack, split, flip, roll, ...).

Shapes include 0-d, size-0 and size-1 dims; dims, sizes and offsets are drawn valid for each shape.
A few entries write through a view and return the base, to check that views share memory.
"""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes, dims_for, shapes


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


# -- diagonals, strided views and the *_scatter ops ---------------------------------------------------------
def _two_dims(ndim):
    return st.permutations(range(ndim)).map(lambda p: (p[0] - (ndim if p[0] % 2 else 0), p[1]))


def _diagonal_args(s):
    return st.tuples(st.integers(-3, 3), _two_dims(len(s))).map(lambda a: (a[0], a[1][0], a[1][1]))


def _diag_embed_args(s):
    n = len(s) + 1
    return st.tuples(st.integers(-2, 2), _two_dims(n)).map(lambda a: (a[0], a[1][0], a[1][1]))


def _scatter_into(view_args, view):
    """(x, src, *args): src has the shape torch's view of x with args has."""
    def make(dtype, s):
        def with_args(args):
            target = tuple(view(torch.empty(s), *args).shape)
            return arrays(dtype, target).map(lambda src: args_tuple(src, args))
        def args_tuple(src, args):
            return (src,) + tuple(args)
        return st.tuples(arrays(dtype, s), view_args(s).flatmap(with_args)).map(
            lambda a: Sample((a[0],) + a[1]))
    return make


def _select_args(s):
    return st.integers(0, len(s) - 1).flatmap(lambda d: st.tuples(
        st.just(d - (len(s) if d % 2 else 0)), st.integers(-s[d], s[d] - 1))) if all(s) else st.nothing()


def _slice_args(s):
    def for_dim(d):
        size = s[d]
        bound = st.one_of(st.none(), st.integers(-size - 1, size + 1))
        return st.tuples(st.just(d), bound, bound, st.integers(1, 3))
    return st.integers(0, len(s) - 1).flatmap(for_dim)


def _strided_args(s):
    """size, stride and storage offset inside a contiguous tensor of shape s."""
    n = int(np.prod(s))
    if n == 0:
        return st.just(((0,), (1,), 0))

    def build(a):
        size, stride, offset = a
        span = sum((k - 1) * t for k, t in zip(size, stride)) if all(size) else 0
        return st.just((tuple(size), tuple(stride), offset)) if offset + span < n else st.nothing()
    return st.integers(0, 3).flatmap(lambda k: st.tuples(
        st.lists(st.integers(0, 3), min_size=k, max_size=k), st.lists(st.integers(0, 3), min_size=k, max_size=k),
        st.integers(0, n - 1))).flatmap(build)


def _unfold_args(s):
    if not s:
        return st.tuples(st.sampled_from([0, -1]), st.integers(0, 1), st.integers(1, 2))
    return st.integers(0, len(s) - 1).flatmap(lambda d: st.tuples(
        st.just(d), st.integers(0, s[d]), st.integers(1, 3)))


def _tri_indices(dtype):
    return st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(-6, 6)).map(lambda a: Sample(a))


# -- splits, stacks, rearrangements ----------------------------------------------------------------------------
def _repeat_interleave(dtype):
    """int repeats, or a tensor of them (one per slice, or one for all), with or without a dim."""
    def make(s):
        ndim = len(s)
        dims = st.none() if not ndim else st.one_of(st.none(), _dim(ndim))

        def repeats_for(d):
            size = int(np.prod(s)) if d is None else s[d]
            tensor = st.one_of(hnp_int((size,), 0, 3), hnp_int((1,), 0, 3), hnp_int((), 0, 3)).map(NoGrad)
            return st.tuples(st.one_of(st.integers(0, 3), tensor), st.just({} if d is None else {"dim": d}))
        return st.tuples(arrays(dtype, s), dims.flatmap(repeats_for)).map(
            lambda a: Sample((a[0], a[1][0]), a[1][1]))
    return _any.flatmap(make)


def hnp_int(shape, low, high):
    from hypothesis.extra import numpy as hnp
    return hnp.arrays(np.int64, shape, elements=st.integers(low, high))


def _tensor_split_args(s):
    d = st.integers(0, len(s) - 1)
    sections = st.tuples(st.integers(1, 5), d)
    indices = st.tuples(st.lists(st.integers(-5, 6), max_size=3), d)
    tensor = st.tuples(st.one_of(hnp_int((), 1, 4), hnp_int((2,), -3, 5)), d).map(lambda a: (NoGrad(a[0]), a[1]))
    return st.one_of(sections, indices, tensor)


def _split_along_args(dim_of, min_dims):
    def args(s):
        dim = dim_of(len(s))
        size = s[dim]
        divisors = [k for k in range(1, size + 1) if size % k == 0] or [1]
        return st.one_of(st.sampled_from(divisors), st.lists(st.integers(0, size + 1), max_size=3)).map(
            lambda a: (a,))
    return args


def _tensors_with(dtype, shape_sets):
    return shape_sets.flatmap(lambda ss: st.tuples(*(arrays(dtype, s) for s in ss))).map(lambda a: Sample((list(a),)))


def _stack_shapes(kind):
    """Shapes that torch's hstack/vstack/dstack/column_stack join: equal off the joined dim once
    made at least 1-, 2- or 3-d."""
    k = st.integers(1, 3)
    if kind == "hstack":
        def make(s):
            if len(s) == 1:
                return k.flatmap(lambda n: st.lists(st.integers(0, 3).map(lambda m: (m,)), min_size=n, max_size=n))
            return k.flatmap(lambda n: st.lists(st.integers(0, 3).map(lambda m: s[:1] + (m,) + s[2:]),
                                                min_size=n, max_size=n))
        return shapes(1, 3).flatmap(make)
    if kind == "vstack":
        def make(s):
            if len(s) <= 1:
                return k.flatmap(lambda n: st.lists(st.sampled_from([s, (1,) + s] if s else [s, (1,), (1, 1)]),
                                                    min_size=n, max_size=n))
            return k.flatmap(lambda n: st.lists(st.integers(0, 3).map(lambda m: (m,) + s[1:]), min_size=n, max_size=n))
        return shapes(0, 3).flatmap(make)
    if kind == "dstack":
        def make(s):
            return k.flatmap(lambda n: st.lists(st.integers(1, 3).map(lambda m: s + (m,)), min_size=n, max_size=n))
        return shapes(2, 2).flatmap(lambda s: st.one_of(st.just([s]), make(s)))
    def make(n):   # column_stack: 0-d (n = 1) and 1-d of n elements, 2-d of n rows
        one = st.sampled_from([(n,), (n, 1), (n, 2)] + ([()] if n == 1 else []))
        return k.flatmap(lambda m: st.lists(one, min_size=m, max_size=m))
    return st.integers(0, 3).flatmap(make)


def _atleast(dtype):
    return st.lists(_any, min_size=1, max_size=3).flatmap(
        lambda ss: st.tuples(*(arrays(dtype, s) for s in ss))).map(lambda a: Sample(a if len(a) > 1 else (a[0],)))


def _rot90_args(s):
    return st.tuples(st.integers(-5, 5), _two_dims(len(s)))


def _broadcast_tensors(dtype):
    return st.integers(1, 3).flatmap(lambda n: broadcastable_shapes(n)).flatmap(
        lambda ss: st.tuples(*(arrays(dtype, s) for s in ss))).map(lambda a: Sample(a))


def _broadcast_shapes(dtype):
    return st.integers(1, 3).flatmap(lambda n: broadcastable_shapes(n)).map(lambda ss: Sample(tuple(ss)))


def _meshgrid(indexing):
    def strategy(dtype):
        return st.lists(shapes(0, 1), min_size=1, max_size=3).flatmap(
            lambda ss: st.tuples(*(arrays(dtype, s) for s in ss))).map(
            lambda a: Sample(a, {"indexing": indexing}))
    return strategy



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
    ("diagonal", lambda v: v.diagonal(0, -1, 0)),
    ("unfold", lambda v: v.unfold(-1, 2, 2)),
    ("as_strided", lambda v: v.as_strided((2,), (v.stride(0) + 1,), 1)),
    ("select", lambda v: v.select(1, 0)),
    ("tensor_split", lambda v: v.tensor_split(2, 1)[-1]),
    ("hsplit", lambda v: v.hsplit([1])[1]),
    ("ravel", lambda v: v.ravel()),
    ("movedim", lambda v: v.movedim(0, -1)),
    ("atleast_3d", lambda v: (minigrad if isinstance(v, minigrad.Tensor) else torch).atleast_3d(v)),
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
    ("rot90", lambda v: v.rot90()),
    ("fliplr", lambda v: v.fliplr()),
    ("diagonal_copy", lambda v: _lib(v).diagonal_copy(v)),
    ("narrow_copy", lambda v: v.narrow_copy(0, 0, 1)),
    ("unfold_copy", lambda v: _lib(v).unfold_copy(v, 0, 1, 1)),
    ("select_copy", lambda v: _lib(v).select_copy(v, 0, 0)),
    ("as_strided_copy", lambda v: _lib(v).as_strided_copy(v, (2,), (1,))),
    ("unbind_copy", lambda v: _lib(v).unbind_copy(v)[0]),
    ("alias_copy", lambda v: _lib(v).alias_copy(v)),
]


def _lib(x):
    return minigrad if isinstance(x, minigrad.Tensor) else torch


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
    OpInfo("diagonal", minigrad.diagonal, torch.diagonal, _with(shapes(2, 4), _x_and(_diagonal_args))),
    OpInfo("diagonal_scatter", minigrad.diagonal_scatter, torch.diagonal_scatter,
           _with(shapes(2, 4), _scatter_into(_diagonal_args, torch.diagonal))),
    OpInfo("select", minigrad.select, torch.select, _with(_nd1, _x_and(_select_args))),
    OpInfo("select_scatter", minigrad.select_scatter, torch.select_scatter,
           _with(_nd1, _scatter_into(_select_args, torch.select))),
    OpInfo("slice_scatter", minigrad.slice_scatter, torch.slice_scatter,
           _with(_nd1, _scatter_into(_slice_args, lambda x, d, a, b, k: torch.slice_copy(x, d, a, b, k)))),
    OpInfo("as_strided", minigrad.as_strided, torch.as_strided, _with(_nd1, _x_and(_strided_args))),
    OpInfo("as_strided_scatter", minigrad.as_strided_scatter, torch.as_strided_scatter,
           _with(_nd1, _scatter_into(_strided_args, torch.as_strided)), grad=False,
           notes="forward only: torch's input gradient keeps g only inside the written region (its own "
                 "gradcheck fails); minigrad's is g outside it, checked by gradcheck in tests/test_indexing_ops.py"),
    OpInfo("tensor_unfold", lambda x, *a: x.unfold(*a), lambda x, *a: x.unfold(*a), _with(_any, _x_and(_unfold_args))),
    OpInfo("diag", minigrad.diag, torch.diag, _with(shapes(1, 2), _x_and(lambda s: st.integers(-3, 3).map(lambda k: (k,))))),
    OpInfo("diag_embed", minigrad.diag_embed, torch.diag_embed, _with(_nd1, _x_and(_diag_embed_args))),
    OpInfo("diagflat", minigrad.diagflat, torch.diagflat, _with(_any, _x_and(lambda s: st.integers(-2, 2).map(lambda k: (k,))))),
    OpInfo("trace", minigrad.trace, torch.trace, _with(shapes(2, 2), _x_and(lambda s: st.just(())))),
    OpInfo("tril_indices", minigrad.tril_indices, torch.tril_indices, _tri_indices, dtypes=("int64",), grad=False),
    OpInfo("triu_indices", minigrad.triu_indices, torch.triu_indices, _tri_indices, dtypes=("int64",), grad=False),
    OpInfo("repeat_interleave", minigrad.repeat_interleave, torch.repeat_interleave, _repeat_interleave),
    OpInfo("tensor_split", minigrad.tensor_split, torch.tensor_split, _with(_nd1, _x_and(_tensor_split_args))),
    OpInfo("hsplit", minigrad.hsplit, torch.hsplit, _with(_nd1, _x_and(_split_along_args(lambda n: 1 if n > 1 else 0, 1)))),
    OpInfo("vsplit", minigrad.vsplit, torch.vsplit, _with(shapes(2, 4), _x_and(_split_along_args(lambda n: 0, 2)))),
    OpInfo("dsplit", minigrad.dsplit, torch.dsplit, _with(shapes(3, 4), _x_and(_split_along_args(lambda n: 2, 3)))),
    OpInfo("split_with_sizes", minigrad.split_with_sizes, torch.split_with_sizes,
           _with(_nd1, _x_and(_split_sections_args))),
    OpInfo("unsafe_split", minigrad.unsafe_split, torch.unsafe_split, _with(_nd1, _x_and(_split_args))),
    OpInfo("unsafe_chunk", minigrad.unsafe_chunk, torch.unsafe_chunk, _with(_nd1, _x_and(_chunk_args))),
    *[OpInfo(kind, getattr(minigrad, kind), getattr(torch, kind),
             lambda dt, kind=kind: _tensors_with(dt, _stack_shapes(kind)))
      for kind in ("hstack", "vstack", "dstack", "column_stack")],
    *[OpInfo(f"atleast_{n}d", getattr(minigrad, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d"), _atleast)
      for n in (1, 2, 3)],
    OpInfo("rot90", minigrad.rot90, torch.rot90, _with(shapes(2, 4), _x_and(_rot90_args))),
    OpInfo("fliplr", minigrad.fliplr, torch.fliplr, _with(shapes(2, 4), _x_and(lambda s: st.just(())))),
    OpInfo("flipud", minigrad.flipud, torch.flipud, _with(_nd1, _x_and(lambda s: st.just(())))),
    OpInfo("ravel", minigrad.ravel, torch.ravel, _with(_any, _x_and(lambda s: st.just(())))),
    OpInfo("ravel_noncontiguous", lambda x: minigrad.ravel(x.mT), lambda x: torch.ravel(x.mT),
           _with(shapes(2, 3), _x_and(lambda s: st.just(())))),
    OpInfo("broadcast_tensors", minigrad.broadcast_tensors, torch.broadcast_tensors, _broadcast_tensors),
    OpInfo("broadcast_shapes", minigrad.broadcast_shapes, torch.broadcast_shapes, _broadcast_shapes, grad=False),
    OpInfo("meshgrid_ij", minigrad.meshgrid, torch.meshgrid, _meshgrid("ij")),
    OpInfo("meshgrid_xy", minigrad.meshgrid, torch.meshgrid, _meshgrid("xy")),
    # the *_copy ops: each view's values in memory of their own (node <view's node>_copy)
    OpInfo("alias_copy", minigrad.alias_copy, torch.alias_copy, _with(_any, _x_and(lambda s: st.just(())))),
    OpInfo("as_strided_copy", minigrad.as_strided_copy, torch.as_strided_copy, _with(_nd1, _x_and(_strided_args))),
    OpInfo("diagonal_copy", minigrad.diagonal_copy, torch.diagonal_copy, _with(shapes(2, 4), _x_and(_diagonal_args))),
    OpInfo("expand_copy", minigrad.expand_copy, torch.expand_copy,
           _with(shapes(0, 2, max_side=2), _x_and(lambda s: st.just(((2,) + tuple(3 if k == 1 else k for k in s),))))),
    OpInfo("narrow_copy", minigrad.narrow_copy, torch.narrow_copy,
           _with(_nd1, _x_and(lambda s: _narrow_args(s).map(lambda a: (a[0], a[1] % max(s[a[0]], 1), a[2])))),
           notes="non-negative starts: torch's gradient is lost for a negative start that ends at the end "
                 "(narrow_copy(x, 0, -1, 1)); minigrad's is checked in tests/test_indexing_ops.py"),
    OpInfo("permute_copy", minigrad.permute_copy, torch.permute_copy, _permute),
    OpInfo("select_copy", minigrad.select_copy, torch.select_copy, _with(_nd1, _x_and(_select_args))),
    OpInfo("split_copy", minigrad.split_copy, torch.split_copy, _with(_nd1, _x_and(_split_args))),
    OpInfo("split_with_sizes_copy", minigrad.split_with_sizes_copy, torch.split_with_sizes_copy,
           _with(_nd1, _x_and(_split_sections_args))),
    OpInfo("squeeze_copy", minigrad.squeeze_copy, torch.squeeze_copy, _squeeze),
    OpInfo("t_copy", minigrad.t_copy, torch.t_copy, _t),
    OpInfo("transpose_copy", minigrad.transpose_copy, torch.transpose_copy, _transpose),
    OpInfo("unbind_copy", minigrad.unbind_copy, torch.unbind_copy,
           _with(_nd1, _x_and(lambda s: _dim(len(s)).map(lambda d: (d,))))),
    OpInfo("unfold_copy", minigrad.unfold_copy, torch.unfold_copy, _with(_any, _x_and(_unfold_args))),
    OpInfo("unsqueeze_copy", minigrad.unsqueeze_copy, torch.unsqueeze_copy, _unsqueeze),
    OpInfo("view_copy", minigrad.view_copy, torch.view_copy,
           _with(_any, _x_and(lambda s: st.sampled_from([(-1,), (int(np.prod(s)), 1)]).map(lambda v: (v,))))),
    OpInfo("slice_copy", minigrad.slice_copy, torch.slice_copy, _with(_nd1, _x_and(_slice_args))),
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

ERRORS += [
    ErrorCase("diagonal_same_dims", lambda lib: lib.ones(3, 3).diagonal(0, 1, 1), ("identical", "1, 1")),
    ErrorCase("diagonal_1d", lambda lib: lib.ones(3).diagonal(), ("[-1, 0]", "1")),
    ErrorCase("diagonal_scatter_bad_src", lambda lib: lib.diagonal_scatter(lib.ones(3, 4), lib.ones(4)),
              ("src size = [4]", "slice size = [3]")),
    ErrorCase("select_out_of_range", lambda lib: lib.select(lib.ones(3, 4), 0, 3), ("index 3", "[3, 4]", "dimension 0")),
    ErrorCase("select_0d", lambda lib: lib.select(lib.tensor(1.0), 0, 0), ("0-dim",)),
    ErrorCase("select_scatter_bad_src", lambda lib: lib.select_scatter(lib.ones(3, 4), lib.ones(3), 0, 0),
              ("src size = [3]", "slice size = [4]")),
    ErrorCase("slice_scatter_bad_src", lambda lib: lib.slice_scatter(lib.ones(3, 4), lib.ones(3, 4), 0, 1),
              ("src size = [3, 4]", "slice size = [2, 4]")),
    ErrorCase("as_strided_out_of_bounds", lambda lib: lib.ones(3).as_strided((4,), (1,)),
              ("storage size of 16", "storage of size 12")),
    ErrorCase("as_strided_scatter_bad_src",
              lambda lib: lib.as_strided_scatter(lib.ones(3), lib.ones(2), (3,), (1,)), ("src size = [2]",)),
    ErrorCase("unfold_too_large", lambda lib: lib.ones(3, 4).unfold(1, 5, 1), ("dimension 1 is 4", "size is 5")),
    ErrorCase("unfold_zero_step", lambda lib: lib.ones(3, 4).unfold(1, 2, 0), ("step is 0",)),
    ErrorCase("unfold_bad_dim", lambda lib: lib.ones(3, 4).unfold(2, 1, 1), ("[-2, 1]", "2")),
    ErrorCase("diag_3d", lambda lib: lib.diag(lib.ones(2, 2, 2)), ("1D or 2D", "3D")),
    ErrorCase("diag_embed_same_dims", lambda lib: lib.diag_embed(lib.ones(3), 0, 0, 0), ("identical",)),
    ErrorCase("trace_1d", lambda lib: lib.trace(lib.ones(3)), ("matrix", "dim 1")),
    ErrorCase("tril_indices_negative_row", lambda lib: lib.tril_indices(-1, 4), ("row", "-1")),
    ErrorCase("triu_indices_float", lambda lib: lib.triu_indices(3, 4, dtype=lib.float32), ("triu_indices", "Float")),
    ErrorCase("repeat_interleave_negative", lambda lib: lib.repeat_interleave(lib.ones(3), -1), ("non-negative",)),
    ErrorCase("repeat_interleave_size_mismatch",
              lambda lib: lib.repeat_interleave(lib.ones(3), lib.tensor([1, 2]), 0), ("repeats.size(0) = 2", "3")),
    ErrorCase("repeat_interleave_output_size",
              lambda lib: lib.repeat_interleave(lib.tensor([1, 2]), output_size=2), ("size",)),
    ErrorCase("tensor_split_zero_sections", lambda lib: lib.tensor_split(lib.ones(3), 0), ("sections", "0")),
    ErrorCase("tensor_split_0d", lambda lib: lib.tensor_split(lib.tensor(1.0), 2), ("1-dimensional", "0 dims")),
    ErrorCase("tensor_split_float_tensor",
              lambda lib: lib.tensor_split(lib.ones(3), lib.tensor([1.0])), ("long", "Float")),
    ErrorCase("hsplit_not_divisible", lambda lib: lib.hsplit(lib.ones(3, 4), 3), ("dimension 1", "4", "3")),
    ErrorCase("vsplit_1d", lambda lib: lib.vsplit(lib.ones(3), 1), ("at least 2", "1 dimensions")),
    ErrorCase("dsplit_2d", lambda lib: lib.dsplit(lib.ones(3, 4), 1), ("at least 3", "2 dimensions")),
    ErrorCase("hstack_empty", lambda lib: lib.hstack([]), ("hstack", "non-empty")),
    ErrorCase("vstack_size_mismatch", lambda lib: lib.vstack([lib.ones(3), lib.ones(4)]), ("3", "4")),
    ErrorCase("rot90_1d", lambda lib: lib.rot90(lib.ones(3)), ("dims >= 2", "1")),
    ErrorCase("rot90_same_dims", lambda lib: lib.rot90(lib.ones(3, 3), 1, (0, 0)), ("different", "dim0 = 0")),
    ErrorCase("rot90_three_dims", lambda lib: lib.rot90(lib.ones(3, 3, 3), 1, (0, 1, 2)), ("== 2", "3")),
    ErrorCase("fliplr_1d", lambda lib: lib.fliplr(lib.ones(3)), (">= 2-d",)),
    ErrorCase("flipud_0d", lambda lib: lib.flipud(lib.tensor(1.0)), (">= 1-d",)),
    ErrorCase("broadcast_tensors_mismatch", lambda lib: lib.broadcast_tensors(lib.ones(2, 3), lib.ones(4)),
              ("(3)", "(4)")),
    ErrorCase("broadcast_shapes_mismatch", lambda lib: lib.broadcast_shapes((2, 3), (4,)), ("length 4", "index 1")),
    ErrorCase("meshgrid_2d", lambda lib: lib.meshgrid(lib.ones(2, 2), indexing="ij"), ("0D or 1D",)),
    ErrorCase("meshgrid_bad_indexing", lambda lib: lib.meshgrid(lib.ones(2), indexing="foo"), ("indexing", "foo")),
    ErrorCase("narrow_copy_too_long", lambda lib: lib.narrow_copy(lib.ones(3, 4), 1, 2, 3), ("(2)", "(3)", "(4)")),
    ErrorCase("resize_requires_grad", lambda lib: lib.ones(3, requires_grad=True).resize_(5), ("resize", "grad")),
]
