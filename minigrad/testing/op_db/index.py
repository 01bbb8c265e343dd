"""Op table: indexing (``x[index]``, ``x[index] = v``), gather, scatter_add, index_select, masked_fill.

An index is drawn per shape as an :class:`IndexSpec` (ints, slices, None, Ellipsis, bool masks and
integer index arrays, in range, with repeats) and built into each library's own index on the call,
so that both frameworks see the same index. Integer indices repeat (with negative aliases), so
that the backward's accumulation is exercised.
"""
import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes, shapes


class IndexSpec:
    """An index as plain data: its items are ints, slices, None, Ellipsis, bools or ndarrays.

    ``as_list``: the index is one Python list (``x[[0, 2, 2]]``, ``x[[True, False]]``), which torch
    reads as an index tensor; ``bare``: a single item is passed as itself rather than in a tuple.
    """

    def __init__(self, items, as_list=False, bare=False):
        self.items, self.as_list, self.bare = tuple(items), as_list, bare

    def build(self, lib):
        if self.as_list:
            return [i.item() for i in self.items[0]]
        items = tuple(lib.tensor(i) if isinstance(i, np.ndarray) else i for i in self.items)
        return items[0] if self.bare and len(items) == 1 else items

    def __repr__(self):
        flags = (", as_list=True" if self.as_list else "") + (", bare=True" if self.bare else "")
        return f"IndexSpec({list(self.items)!r}{flags})"


def _lib(x):
    return minigrad if isinstance(x, minigrad.Tensor) else torch


def _getitem(x, index):
    return x[index.build(_lib(x))]


def _setitem_value(x, v, index):
    """``y[index] = v`` on a non-leaf copy of x: gradients flow to x (zero where written) and to v."""
    y = x * 1
    y[index.build(_lib(x))] = v
    return y


def _setitem_scalar(x, index, value):
    y = x * 1
    y[index.build(_lib(x))] = value
    return y


def _setitem_then_use(x, v, index):
    """Write into a tensor that another op already saved, then use both (the old value must survive)."""
    y = x * 1
    z = y.exp()  # saves its output, not y: the write into y must not disturb it
    y[index.build(_lib(x))] = v
    return y * 2 + z


# -- index strategies ---------------------------------------------------------------------------------
def _int_in(size):
    return st.integers(-size, size - 1)


def _slice_for(size):
    bound = st.one_of(st.none(), st.integers(-size - 2, size + 2))
    return st.tuples(bound, bound, st.sampled_from([None, 1, 2, 3])).map(lambda a: slice(*a))


def _index_array(size, shape, unique=False):
    """An int64 index array of ``shape`` with values in [-size, size): repeats (and negative aliases)
    allowed unless ``unique`` (then ``prod(shape) <= size`` is the caller's promise)."""
    if unique:
        n = int(np.prod(shape))
        return st.tuples(st.permutations(range(size)), st.lists(st.booleans(), min_size=n, max_size=n)).map(
            lambda a: np.where(a[1], np.array(a[0][:n]) - size, np.array(a[0][:n])).astype(np.int64).reshape(shape))
    return hnp.arrays(np.int64, shape, elements=st.integers(-size, size - 1))


def _basic_items(sizes, kinds):
    """Strategies for basic items over dims of ``sizes`` in order: an int, a slice, or None."""
    parts, dims = [], iter(sizes)
    for kind in kinds:
        if kind == "none":
            parts.append(st.none())
            continue
        size = next(dims, None)
        if size is None:
            break
        parts.append(_int_in(size) if kind == "int" and size > 0 else _slice_for(size))
    return st.tuples(*parts).map(list)


def _basic_index(shape):
    """ints, slices and None, with or without an Ellipsis between leading and trailing items;
    a tuple, or a bare item when there is one."""
    ndim = len(shape)

    def build(plan):
        lead_kinds, trail_kinds, dots, bare = plan
        if not dots:
            return _basic_items(shape, lead_kinds).map(lambda its: IndexSpec(its, bare=bare))
        n_lead = min(sum(k != "none" for k in lead_kinds), ndim)
        rest = shape[n_lead:]
        n_trail = min(sum(k != "none" for k in trail_kinds), len(rest))
        return st.tuples(_basic_items(shape[:n_lead], lead_kinds),
                         _basic_items(rest[len(rest) - n_trail:], trail_kinds)).map(
            lambda a: IndexSpec(a[0] + [Ellipsis] + a[1], bare=bare))
    kinds = st.lists(st.sampled_from(["int", "slice", "slice", "none"]), max_size=ndim + 1)
    return st.tuples(kinds, kinds, st.booleans(), st.booleans()).flatmap(build)


def _advanced_index(shape, unique=False):
    """Integer arrays on some dims (broadcasting together), mixed with ints, slices and None."""
    ndim = len(shape)

    def build(plan):
        kinds, index_shape = plan
        parts, dim = [], 0
        for kind in kinds:
            if kind == "none":
                parts.append(st.none())
                continue
            if dim >= ndim:
                break
            size = shape[dim]
            if kind == "array" and size == 0 and 0 in index_shape:
                parts.append(st.just(np.zeros(index_shape, dtype=np.int64)))
            elif kind == "array" and size > 0:
                # a suffix of the common shape: the arrays broadcast against each other
                parts.append(st.integers(0, len(index_shape)).flatmap(
                    lambda k, size=size: _index_array(size, index_shape[k:], unique)))
            elif kind == "int" and size > 0:
                parts.append(_int_in(size))
            else:
                parts.append(_slice_for(size) if kind == "slice" else st.just(slice(None)))
            dim += 1
        return st.tuples(*parts).map(IndexSpec)

    kinds = st.lists(st.sampled_from(["array", "array", "int", "full", "slice", "none"]), min_size=1,
                     max_size=ndim + 1)
    if unique:
        smallest = min(shape)
        index_shape = st.one_of(st.just(()), st.integers(0, smallest).map(lambda n: (n,)))
    else:
        index_shape = shapes(0, 2, max_side=3)
    return st.tuples(kinds, index_shape).flatmap(build).filter(
        lambda spec: any(isinstance(i, np.ndarray) and i.ndim for i in spec.items))


def _mask_index(shape):
    """A bool mask over k consecutive dims, after a few leading slices (or an Ellipsis)."""
    ndim = len(shape)

    def build(lead_k):
        lead, k = lead_k
        mask = arrays(np.bool_, shape[lead:lead + k])
        prefix = st.sampled_from([[slice(None)] * lead] + ([[Ellipsis]] if lead and lead + k == ndim else []))
        return st.tuples(prefix, mask, st.booleans()).map(
            lambda a: IndexSpec(a[0] + [a[1]], as_list=False) if not a[2] or a[1].ndim != 1 or lead
            else IndexSpec([a[1]], as_list=True))
    return st.integers(0, ndim - 1).flatmap(lambda lead: st.tuples(st.just(lead), st.integers(1, ndim - lead))) \
        .flatmap(build)


def _list_index(shape):
    """A single Python list of ints (torch reads it as an index tensor)."""
    return st.lists(_int_in(shape[0]), max_size=4).map(lambda v: IndexSpec([np.array(v, dtype=np.int64)],
                                                                            as_list=True))


def _index_sample(index_strategy, min_dims=0, min_side=0):
    def strategy(dtype):
        return shapes(min_dims, 3, min_side=min_side).flatmap(
            lambda s: st.tuples(arrays(dtype, s), index_strategy(s))).map(lambda a: Sample((a[0], a[1])))
    return strategy


def _target_shape(shape, spec):
    return tuple(torch.empty(shape)[spec.build(torch)].shape)


def _value_shape(target):
    """A shape that broadcasts to ``target``: a suffix of it with some sizes set to 1."""
    return st.integers(0, len(target)).flatmap(lambda k: st.lists(
        st.booleans(), min_size=len(target) - k, max_size=len(target) - k).map(
            lambda ones: tuple(1 if o else s for o, s in zip(ones, target[k:]))))


def _nonempty(min_dims):
    # Writing into an empty tensor: torch's gradient for it then does not require grad (a detail of
    # its zero-size fast path, with no values to compare), so setitem draws non-empty tensors.
    return shapes(min_dims, 3).filter(lambda s: 0 not in s)


def _setitem_sample(index_strategy, min_dims=0):
    def strategy(dtype):
        def with_value(s_and_spec):
            x, spec = s_and_spec
            target = _target_shape(x.shape, spec)
            return _value_shape(target).flatmap(lambda vs: arrays(dtype, vs)).map(
                lambda v: Sample((x, v, spec)))
        return _nonempty(min_dims).flatmap(
            lambda s: st.tuples(arrays(dtype, s), index_strategy(s))).flatmap(with_value)
    return strategy


def _setitem_scalar_sample(index_strategy, min_dims=0):
    def strategy(dtype):
        return _nonempty(min_dims).flatmap(lambda s: st.tuples(
            arrays(dtype, s), index_strategy(s), st.sampled_from([0, -1.5, 2.25]))).map(lambda a: Sample(a))
    return strategy


# -- gather / scatter_add / index_select / masked_fill -------------------------------------------------------
def _gather_args(shape, dtype, with_src=False):
    """dim and an index no larger than the input apart from dim, values in range (repeats likely)."""
    ndim = len(shape)
    full = shape or (1,)

    def for_dim(d):
        sizes = [st.integers(0, 3) if i == d else st.integers(0, full[i]) for i in range(len(full))]
        return st.tuples(*sizes).flatmap(lambda ishape: st.tuples(
            st.just(d - (ndim if d % 2 and ndim else 0)),
            _in_range(full[d], ishape if ndim else ())))
    out = st.integers(0, max(ndim, 1) - 1).flatmap(for_dim)
    if with_src:
        out = out.flatmap(lambda di: st.tuples(st.just(di[0]), st.just(di[1]), arrays(dtype, di[1].shape)))
    return out


def _in_range(size, ishape):
    if size == 0:
        ishape = tuple(0 for _ in ishape) if ishape else ishape
        if not ishape:
            return st.nothing()
        return st.just(np.zeros(ishape, dtype=np.int64))
    return hnp.arrays(np.int64, ishape, elements=st.integers(0, size - 1))


def _gather(dtype):
    return shapes(0, 3).flatmap(lambda s: st.tuples(arrays(dtype, s), _gather_args(s, dtype))).map(
        lambda a: Sample((a[0], a[1][0], NoGrad(a[1][1]))))


def _scatter_add(dtype):
    return shapes(0, 3).flatmap(lambda s: st.tuples(arrays(dtype, s), _gather_args(s, dtype, True))).map(
        lambda a: Sample((a[0], a[1][0], NoGrad(a[1][1]), a[1][2])))


def _index_select(dtype):
    def args(s):
        if not s:
            return st.tuples(st.sampled_from([0, -1]), st.sampled_from([np.array(0), np.array([0])]))
        ndim = len(s)
        return st.integers(-ndim, ndim - 1).flatmap(lambda d: st.tuples(
            st.just(d), st.integers(0, 5).flatmap(lambda n: _in_range(s[d], (n if s[d] else 0,)))))
    return shapes(0, 3).flatmap(lambda s: st.tuples(arrays(dtype, s), args(s))).map(
        lambda a: Sample((a[0], a[1][0], NoGrad(a[1][1]))))


def _masked_fill(value_kind):
    def strategy(dtype):
        def make(shps):
            xs, ms = shps
            value = (st.sampled_from([0.5, -2.0, 3]) if value_kind == "scalar"
                     else arrays(dtype, ()))  # a 0-d tensor: it gets a gradient too
            return st.tuples(arrays(dtype, xs), arrays(np.bool_, ms), value).map(
                lambda a: Sample((a[0], NoGrad(a[1]), a[2])))
        return broadcastable_shapes(2).flatmap(make)
    return strategy



# -- scatter, scatter_reduce, the index_* ops, take/put, masks, nonzero ------------------------------------------
def _unique_along(shape, dim, ishape):
    """An int64 index of ``ishape`` whose values along ``dim`` are distinct positions of
    ``shape[dim]`` (scatter and index_copy leave the winner of a repeated write unspecified)."""
    full = list(ishape)
    full[dim] = shape[dim]
    def build(noise):
        order = np.argsort(noise, axis=dim, kind="stable")
        return order[tuple(slice(0, n) for n in ishape)].astype(np.int64)
    return hnp.arrays(np.float64, tuple(full), elements=st.floats(0, 1)).map(build)


def _values(dtype, n, distinct):
    """n values; ``distinct``: at least 0.5 apart (no ties, and none within a gradcheck step)."""
    if distinct:
        return st.permutations(range(n)).map(lambda p: (np.array(p, np.float64) * 0.5 - n / 4).astype(dtype))
    return arrays(dtype, (n,))


def _scatter(dtype, unique=False, distinct_values=False):
    """(x, dim, index, src): index no larger than x apart from dim, src of index's shape."""
    def for_shape(s):
        ndim = len(s)
        full = s or (1,)
        def for_dim(d):
            if full[d] == 0:
                return st.nothing()
            sizes = [st.integers(0, full[d] if unique else 3) if i == d else st.integers(0, full[i])
                     for i in range(len(full))] if ndim else [st.just(1)]
            def with_index(ishape):
                index = _unique_along(full, d, ishape) if unique else _in_range(full[d], ishape)
                if not ndim:
                    index = index.map(lambda i: i.reshape(()))
                values = _values(dtype, int(np.prod(s)) + int(np.prod(ishape)), distinct_values)
                return st.tuples(st.just(d - (ndim if d % 2 and ndim else 0)), index, values)
            return st.tuples(*sizes).flatmap(with_index)
        return st.integers(0, len(full) - 1).flatmap(for_dim).map(
            lambda a: Sample((a[2][:int(np.prod(s))].reshape(s), a[0], NoGrad(a[1]),
                              a[2][int(np.prod(s)):].reshape(a[1].shape))))
    return shapes(0, 3).flatmap(for_shape)


def _scatter_value(dtype):
    return _scatter(dtype).flatmap(lambda smp: st.sampled_from([1.5, -2.0, 0]).map(
        lambda v: Sample(smp.args[:3], {"value": v})))


def _scatter_reduce(reduce, **kw):
    def strategy(dtype):
        return _scatter(dtype, distinct_values=reduce in ("amax", "amin"), **kw).flatmap(
            lambda smp: st.booleans().map(lambda inc: Sample(smp.args + (reduce,), {"include_self": inc})))
    return strategy


def _legacy_reduce(reduce):
    def strategy(dtype):
        return _scatter(dtype).map(lambda smp: Sample(smp.args, {"reduce": reduce}))
    return strategy


def _index_op(kind, unique=False, distinct_values=False):
    """(x, dim, index vector, source or value): source's size along dim is index's length."""
    def strategy(dtype):
        def for_shape(s):
            ndim = len(s)
            full = s or (1,)
            def for_dim(d):
                if full[d] == 0:
                    return st.nothing()
                n_max = full[d] if unique else 4
                def with_n(n):
                    if unique:
                        index = st.permutations(range(full[d])).map(lambda p: np.array(p[:n], np.int64))
                    else:
                        index = hnp.arrays(np.int64, (n,), elements=st.integers(0, full[d] - 1))
                    sshape = list(full)
                    sshape[d] = n
                    sshape = tuple(sshape) if ndim else ((n,) if n != 1 else ())
                    values = _values(dtype, int(np.prod(s)) + int(np.prod(sshape)), distinct_values)
                    return st.tuples(index, values).map(lambda a: (
                        a[1][:int(np.prod(s))].reshape(s), d - (ndim if d % 2 and ndim else 0), a[0],
                        a[1][int(np.prod(s)):].reshape(sshape)))
                return st.integers(0 if ndim else 1, n_max if ndim else 1).flatmap(with_n)
            return st.integers(0, len(full) - 1).flatmap(for_dim)
        base = shapes(0, 3).flatmap(for_shape)
        if kind == "source":
            return base.map(lambda a: Sample((a[0], a[1], NoGrad(a[2]), a[3])))
        if kind == "alpha":
            return st.tuples(base, st.sampled_from([1, 2, -0.5])).map(
                lambda a: Sample((a[0][0], a[0][1], NoGrad(a[0][2]), a[0][3]), {"alpha": a[1]}))
        if kind == "fill":
            return st.tuples(base, st.sampled_from([1.5, -2, 0])).map(
                lambda a: Sample((a[0][0], a[0][1], NoGrad(a[0][2]), a[1])))
        if kind == "fill_tensor":
            return st.tuples(base, arrays(dtype, ())).map(
                lambda a: Sample((a[0][0], a[0][1], NoGrad(a[0][2]), a[1])))
        return st.tuples(base, st.booleans()).map(
            lambda a: Sample((a[0][0], a[0][1], NoGrad(a[0][2]), a[0][3], kind), {"include_self": a[1]}))
    return strategy


def _flat_index(s, n_max=5, unique=False):
    size = int(np.prod(s))
    if size == 0:
        return st.just(np.zeros((0,), np.int64))
    if unique:
        return st.permutations(range(size)).flatmap(lambda p: st.integers(0, min(size, n_max)).map(
            lambda n: np.array(p[:n], np.int64) - np.where(np.arange(n) % 2, size, 0)))
    return shapes(0, 2, max_side=3).flatmap(lambda ish: hnp.arrays(np.int64, ish, elements=st.integers(-size, size - 1)))


def _take(dtype):
    return shapes(0, 3).flatmap(lambda s: st.tuples(arrays(dtype, s), _flat_index(s))).map(
        lambda a: Sample((a[0], NoGrad(a[1]))))


def _put(accumulate):
    def strategy(dtype):
        return shapes(0, 3).flatmap(lambda s: st.tuples(arrays(dtype, s), _flat_index(s, unique=not accumulate))
                                    ).flatmap(lambda a: arrays(dtype, a[1].shape).map(
                                        lambda src: Sample((a[0], NoGrad(a[1]), src), {"accumulate": accumulate})))
    return strategy


def _take_along_dim(dtype):
    def for_shape(s):
        ndim = len(s)
        def for_dim(d):
            if s[d] == 0:
                return st.nothing()
            ishape = st.tuples(*[st.integers(0, 3) if i == d else st.sampled_from([1, s[i]])
                                 for i in range(ndim)])
            return ishape.flatmap(lambda ish: hnp.arrays(np.int64, ish, elements=st.integers(0, s[d] - 1))).map(
                lambda idx: (d - (ndim if d % 2 else 0), idx))
        return st.integers(0, ndim - 1).flatmap(for_dim)
    with_dim = shapes(1, 3).flatmap(lambda s: st.tuples(arrays(dtype, s), for_shape(s))).map(
        lambda a: Sample((a[0], NoGrad(a[1][1]), a[1][0])))
    no_dim = shapes(0, 3).flatmap(lambda s: st.tuples(arrays(dtype, s), _flat_index(s).map(
        lambda i: np.abs(i) % max(int(np.prod(s)), 1)))).map(lambda a: Sample((a[0], NoGrad(a[1]))))
    return st.one_of(with_dim, no_dim)


def _masked_select(dtype):
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(arrays(dtype, s[0]), arrays(np.bool_, s[1]))).map(
        lambda a: Sample((a[0], NoGrad(a[1]))))


def _masked_scatter(dtype):
    def make(s):
        target = np.broadcast_shapes(s[0], s[1])
        return st.tuples(arrays(dtype, target), arrays(np.bool_, s[1]),
                         st.integers(0, 3)).flatmap(lambda a: arrays(dtype, (a[2] + int(np.prod(target)),)).map(
                             lambda src: Sample((a[0], NoGrad(a[1]), src))))
    return broadcastable_shapes(2).flatmap(make)


def _nonzero(kwargs=st.just({})):
    def strategy(dtype):
        return shapes(0, 3).flatmap(lambda s: st.tuples(arrays(dtype, s, low=-1, high=1).map(lambda a: np.asarray(np.round(a))), kwargs)).map(
            lambda a: Sample((a[0],), a[1]))
    return strategy


def _unravel(dtype):
    return st.tuples(shapes(0, 2, max_side=3).flatmap(
        lambda s: hnp.arrays(np.int64, s, elements=st.integers(-20, 20))), shapes(1, 3, min_side=1)).map(
        lambda a: Sample((NoGrad(a[0]), a[1])))



def _index_put(accumulate):
    """(x, (index along dim 0,), values, accumulate): distinct positions unless accumulating."""
    def strategy(dtype):
        def make(s):
            n_max = s[0] if not accumulate else 4
            def with_n(n):
                if accumulate:
                    index = hnp.arrays(np.int64, (n,), elements=st.integers(-s[0], s[0] - 1))
                else:
                    index = st.permutations(range(s[0])).map(lambda p: np.array(p[:n], np.int64))
                return st.tuples(arrays(dtype, s), index, arrays(dtype, (n,) + s[1:])).map(
                    lambda a: Sample((a[0], (NoGrad(a[1]),), a[2], accumulate)))
            return st.integers(0, n_max).flatmap(with_n)
        return shapes(1, 3, min_side=1).flatmap(make)
    return strategy


def _unsafe_masked(put):
    """(x, mask, (rows, cols) out of range too, fill or values): torch clamps the indices."""
    def strategy(dtype):
        def make(s):
            rows = hnp.arrays(np.int64, (3, 1), elements=st.integers(-s[0] - 2, s[0] + 1))
            cols = hnp.arrays(np.int64, (2,), elements=st.integers(-s[1] - 2, s[1] + 1))
            last = arrays(dtype, (3, 2)) if put else st.sampled_from([0.0, -1.5])
            return st.tuples(arrays(dtype, s), arrays(np.bool_, (3, 1)), rows, cols, last).map(
                lambda a: Sample((a[0], NoGrad(a[1]), (NoGrad(a[2]), NoGrad(a[3])), a[4])))
        return shapes(2, 2, min_side=1).flatmap(make)
    return strategy


OPS = [
    OpInfo("getitem_basic", _getitem, _getitem, _index_sample(_basic_index)),
    OpInfo("getitem_advanced", _getitem, _getitem, _index_sample(_advanced_index, min_dims=1),
           notes="int arrays with repeats, mixed with ints/slices/None (torch's result order)"),
    OpInfo("getitem_mask", _getitem, _getitem, _index_sample(_mask_index, min_dims=1)),
    OpInfo("getitem_list", _getitem, _getitem, _index_sample(_list_index, min_dims=1, min_side=1)),
    OpInfo("setitem_basic", _setitem_value, _setitem_value, _setitem_sample(_basic_index)),
    OpInfo("setitem_advanced", _setitem_value, _setitem_value,
           _setitem_sample(lambda s: _advanced_index(s, unique=True), min_dims=1),
           notes="unique indices: torch leaves the winner of a repeated write unspecified"),
    OpInfo("setitem_mask", _setitem_value, _setitem_value, _setitem_sample(_mask_index, min_dims=1)),
    OpInfo("setitem_scalar", _setitem_scalar, _setitem_scalar,
           _setitem_scalar_sample(lambda s: st.one_of(_basic_index(s), _mask_index(s) if s else _basic_index(s)))),
    OpInfo("setitem_then_use", _setitem_then_use, _setitem_then_use, _setitem_sample(_basic_index)),
    OpInfo("gather", minigrad.gather, torch.gather, _gather),
    OpInfo("scatter_add", minigrad.scatter_add, torch.scatter_add, _scatter_add),
    OpInfo("index_select", minigrad.index_select, torch.index_select, _index_select),
    OpInfo("masked_fill", minigrad.masked_fill, torch.masked_fill, _masked_fill("scalar")),
    OpInfo("masked_fill_tensor_value", minigrad.masked_fill, torch.masked_fill, _masked_fill("tensor")),
    OpInfo("scatter", minigrad.scatter, torch.scatter, lambda dt: _scatter(dt, unique=True),
           notes="distinct positions along dim: torch leaves the winner of a repeated write unspecified"),
    OpInfo("scatter_value", minigrad.scatter, torch.scatter, _scatter_value),
    OpInfo("scatter_legacy_reduce_add", minigrad.scatter, torch.scatter, _legacy_reduce("add"), grad=False,
           notes="reduce='add'|'multiply': torch defines no derivative"),
    OpInfo("scatter_legacy_reduce_multiply", minigrad.scatter, torch.scatter, _legacy_reduce("multiply"), grad=False),
    OpInfo("scatter_reduce_sum", minigrad.scatter_reduce, torch.scatter_reduce, _scatter_reduce("sum")),
    OpInfo("scatter_reduce_prod", minigrad.scatter_reduce, torch.scatter_reduce, _scatter_reduce("prod"),
           gradgrad=False, notes="torch's double backward refuses two zeros reaching one position"),
    OpInfo("scatter_reduce_mean", minigrad.scatter_reduce, torch.scatter_reduce, _scatter_reduce("mean")),
    OpInfo("scatter_reduce_amax", minigrad.scatter_reduce, torch.scatter_reduce, _scatter_reduce("amax"),
           notes="distinct values: ties share the gradient (torch's rule), which gradcheck cannot see"),
    OpInfo("scatter_reduce_amin", minigrad.scatter_reduce, torch.scatter_reduce, _scatter_reduce("amin")),
    OpInfo("scatter_reduce_int", minigrad.scatter_reduce, torch.scatter_reduce, _scatter_reduce("mean"),
           dtypes=("int64",), grad=False, notes="integer mean rounds down, as torch"),
    OpInfo("index_add", minigrad.index_add, torch.index_add, _index_op("alpha")),
    OpInfo("index_copy", minigrad.index_copy, torch.index_copy, _index_op("source", unique=True)),
    OpInfo("index_fill", minigrad.index_fill, torch.index_fill, _index_op("fill")),
    OpInfo("index_fill_tensor_value", minigrad.index_fill, torch.index_fill, _index_op("fill_tensor", unique=True),
           notes="distinct positions: torch's value gradient fails on repeats (its unique-index backward)"),
    *[OpInfo(f"index_reduce_{r}", minigrad.index_reduce, torch.index_reduce,
             _index_op(r, distinct_values=r in ("amax", "amin")), gradgrad=r != "prod")
      for r in ("prod", "mean", "amax", "amin")],
    OpInfo("index_put", minigrad.index_put, torch.index_put, _index_put(False)),
    OpInfo("index_put_accumulate", minigrad.index_put, torch.index_put, _index_put(True)),
    OpInfo("_unsafe_masked_index", minigrad._unsafe_masked_index, torch.ops.aten._unsafe_masked_index,
           _unsafe_masked(False)),
    OpInfo("_unsafe_masked_index_put_accumulate", minigrad._unsafe_masked_index_put_accumulate,
           torch.ops.aten._unsafe_masked_index_put_accumulate, _unsafe_masked(True)),
    OpInfo("take", minigrad.take, torch.take, _take),
    OpInfo("put", minigrad.put, torch.put, _put(False)),
    OpInfo("put_accumulate", minigrad.put, torch.put, _put(True)),
    OpInfo("take_along_dim", minigrad.take_along_dim, torch.take_along_dim, _take_along_dim),
    OpInfo("masked_select", minigrad.masked_select, torch.masked_select, _masked_select),
    OpInfo("masked_scatter", minigrad.masked_scatter, torch.masked_scatter, _masked_scatter),
    OpInfo("nonzero", minigrad.nonzero, torch.nonzero, _nonzero(), grad=False),
    OpInfo("nonzero_as_tuple", minigrad.nonzero, torch.nonzero, _nonzero(st.just({"as_tuple": True})), grad=False),
    OpInfo("argwhere", minigrad.argwhere, torch.argwhere, _nonzero(), grad=False),
    OpInfo("nonzero_static", minigrad.nonzero_static, torch.nonzero_static,
           _nonzero(st.tuples(st.integers(0, 6), st.sampled_from([-1, 0, 7])).map(
               lambda a: {"size": a[0], "fill_value": a[1]})), grad=False),
    OpInfo("unravel_index", minigrad.unravel_index, torch.unravel_index, _unravel, dtypes=("int64",), grad=False),
]


def _x(lib):
    return lib.arange(60.0).reshape(3, 4, 5)


def _setitem(lib, index, value):
    x = _x(lib)
    x[index(lib)] = value(lib)


ERRORS = [
    ErrorCase("index_int_out_of_range", lambda lib: _x(lib)[5], ("index 5", "dimension 0", "size 3")),
    ErrorCase("index_int_out_of_range_dim1", lambda lib: _x(lib)[0, 7], ("index 7", "dimension 1", "size 4")),
    ErrorCase("index_negative_out_of_range", lambda lib: _x(lib)[-4], ("index -4", "size 3")),
    ErrorCase("index_tensor_out_of_range", lambda lib: _x(lib)[lib.tensor([0, 5])], ("index 5", "size 3")),
    ErrorCase("index_float_tensor", lambda lib: _x(lib)[lib.tensor([1.0])], ("long, int, byte or bool",)),
    ErrorCase("index_float", lambda lib: _x(lib)[1.5], ("float",)),
    ErrorCase("index_negative_step", lambda lib: _x(lib)[::-1], ("step must be greater than zero",)),
    ErrorCase("index_zero_step", lambda lib: _x(lib)[::0], ("zero",)),
    ErrorCase("index_too_many", lambda lib: _x(lib)[0, 0, 0, 0], ("too many indices", "3")),
    ErrorCase("index_0d_with_int", lambda lib: lib.tensor(1.0)[0], ("0-dim",)),
    ErrorCase("index_mask_shape", lambda lib: _x(lib)[lib.ones(3, 5, dtype=lib.bool)],
              ("[3, 5]", "[3, 4, 5]", "index 1")),
    ErrorCase("index_broadcast_mismatch", lambda lib: _x(lib)[[0, 1], [0, 1, 2]], ("shape mismatch", "[2]", "[3]")),
    ErrorCase("setitem_value_shape", lambda lib: _setitem(lib, lambda L: 0, lambda L: L.ones(3)),
              ("shape mismatch", "[3]", "[4, 5]")),
    ErrorCase("setitem_out_of_range", lambda lib: _setitem(lib, lambda L: (0, 9), lambda L: 1.0), ("index 9",)),
    ErrorCase("setitem_leaf_requires_grad",
              lambda lib: lib.ones(3, requires_grad=True).__setitem__(0, 2.0), ("leaf",)),
    ErrorCase("gather_out_of_range", lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[0, 5]])),
              ("index 5", "dimension 1", "size 3")),
    ErrorCase("gather_negative", lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[-1]])), ("index -1",)),
    ErrorCase("gather_float_index", lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[0.0]])), ("int32/int64",)),
    ErrorCase("gather_ndim_mismatch", lambda lib: lib.ones(2, 3).gather(1, lib.tensor([0, 1])),
              ("same number of dimensions",)),
    ErrorCase("gather_index_too_large", lambda lib: lib.ones(2, 3).gather(0, lib.tensor([[0, 1, 1, 1]])),
              ("dimension 1", "[1, 4]", "[2, 3]")),
    ErrorCase("gather_bad_dim", lambda lib: lib.ones(2, 3).gather(2, lib.tensor([[0]])), ("[-2, 1]", "2")),
    ErrorCase("scatter_add_out_of_range",
              lambda lib: lib.ones(2, 3).scatter_add(1, lib.tensor([[0, 5]]), lib.ones(2, 3)), ("index 5",)),
    ErrorCase("scatter_add_dtype_mismatch",
              lambda lib: lib.ones(2, 3).scatter_add(1, lib.tensor([[0, 1]]), lib.ones(2, 3, dtype=lib.float64)),
              ("dtype",)),
    ErrorCase("scatter_add_index_too_large",
              lambda lib: lib.ones(2, 3).scatter_add(1, lib.tensor([[0, 1]]), lib.ones(1, 1)),
              ("[1, 2]", "[2, 3]", "[1, 1]")),
    ErrorCase("scatter_add_float_index",
              lambda lib: lib.ones(2, 3).scatter_add(1, lib.tensor([[0.0]]), lib.ones(2, 3)), ("int32/int64",)),
    ErrorCase("index_select_out_of_range", lambda lib: lib.ones(2, 3).index_select(1, lib.tensor([0, 5])),
              ("5", "3")),
    ErrorCase("index_select_2d_index", lambda lib: lib.ones(2, 3).index_select(1, lib.tensor([[0, 1]])),
              ("vector",)),
    ErrorCase("index_select_float_index", lambda lib: lib.ones(2, 3).index_select(1, lib.tensor([0.0])),
              ("int32 or int64",)),
    ErrorCase("masked_fill_int_mask", lambda lib: lib.ones(2, 3).masked_fill(lib.tensor([1, 0, 1]), 1.5),
              ("boolean", "long int")),
    ErrorCase("masked_fill_1d_value",
              lambda lib: lib.ones(2, 3).masked_fill(lib.tensor([True, False, True]), lib.tensor([1.5])),
              ("0-dimensional", "1 dimension")),
    ErrorCase("masked_fill_bad_mask_shape",
              lambda lib: lib.ones(2, 3).masked_fill(lib.tensor([True, False, True, True]), 1.5), ("4", "3")),
]


def _m(lib):
    return lib.ones(3, 4)


ERRORS += [
    ErrorCase("scatter_out_of_range", lambda lib: _m(lib).scatter(0, lib.tensor([[5]]), 1.0),
              ("index 5", "dimension 0", "size 3")),
    ErrorCase("scatter_negative_index", lambda lib: _m(lib).scatter(0, lib.tensor([[-1]]), 1.0), ("index -1",)),
    ErrorCase("scatter_float_index", lambda lib: _m(lib).scatter(0, lib.tensor([[0.0]]), 1.0), ("int32/int64",)),
    ErrorCase("scatter_dtype_mismatch", lambda lib: _m(lib).scatter(0, lib.tensor([[0]]), lib.ones(1, 1, dtype=lib.float64)),
              ("dtype",)),
    ErrorCase("scatter_bad_legacy_reduce", lambda lib: _m(lib).scatter(0, lib.tensor([[0]]), _m(lib), reduce="sum"),
              ("add or multiply",)),
    ErrorCase("scatter_index_too_large", lambda lib: _m(lib).scatter(1, lib.tensor([[0, 1]]), lib.ones(1, 1)),
              ("[1, 2]", "[3, 4]", "[1, 1]")),
    ErrorCase("scatter_reduce_out_of_range",
              lambda lib: _m(lib).scatter_reduce(0, lib.tensor([[5]]), _m(lib), "sum"), ("index 5", "size 3")),
    ErrorCase("scatter_reduce_bad_reduce",
              lambda lib: _m(lib).scatter_reduce(0, lib.tensor([[0]]), _m(lib), "foo"), ("reduce", "foo")),
    ErrorCase("index_add_out_of_range", lambda lib: _m(lib).index_add(0, lib.tensor([0, 5]), lib.ones(2, 4)),
              ("index 5", "dimension 0", "size 3")),
    ErrorCase("index_add_negative", lambda lib: _m(lib).index_add(0, lib.tensor([-1]), lib.ones(1, 4)),
              ("index -1",)),
    ErrorCase("index_add_1d_out_of_range", lambda lib: lib.ones(3).index_add(0, lib.tensor([3]), lib.ones(1)),
              ("out of range",)),
    ErrorCase("index_add_float_index", lambda lib: _m(lib).index_add(0, lib.tensor([0.0]), lib.ones(1, 4)),
              ("int32/int64", "Float")),
    ErrorCase("index_add_count_mismatch", lambda lib: _m(lib).index_add(0, lib.tensor([0, 1]), lib.ones(3, 4)),
              ("(2)", "(3)")),
    ErrorCase("index_add_2d_index", lambda lib: _m(lib).index_add(0, lib.tensor([[0]]), lib.ones(1, 4)),
              ("vector",)),
    ErrorCase("index_add_dtype_mismatch",
              lambda lib: _m(lib).index_add(0, lib.tensor([0]), lib.ones(1, 4, dtype=lib.float64)), ("Float", "Double")),
    ErrorCase("index_copy_out_of_range", lambda lib: _m(lib).index_copy(0, lib.tensor([5]), lib.ones(1, 4)),
              ("index 5", "dimension 0", "size 3")),
    ErrorCase("index_copy_negative", lambda lib: _m(lib).index_copy(0, lib.tensor([-1]), lib.ones(1, 4)),
              ("index -1",)),
    ErrorCase("index_copy_count_mismatch", lambda lib: _m(lib).index_copy(0, lib.tensor([0]), lib.ones(2, 4)),
              ("(1)", "(2)")),
    ErrorCase("index_fill_out_of_range", lambda lib: _m(lib).index_fill(1, lib.tensor([4]), 1.0),
              ("index 4", "dimension 1", "size 4")),
    ErrorCase("index_fill_2d_index", lambda lib: _m(lib).index_fill(1, lib.tensor([[0]]), 1.0), ("vector",)),
    ErrorCase("index_fill_1d_value", lambda lib: _m(lib).index_fill(1, lib.tensor([0]), lib.ones(2)),
              ("0-dimensional", "1 dimension")),
    ErrorCase("index_reduce_out_of_range",
              lambda lib: _m(lib).index_reduce(0, lib.tensor([3]), lib.ones(1, 4), "prod"), ("out of range",)),
    ErrorCase("index_reduce_bad_reduce",
              lambda lib: _m(lib).index_reduce(0, lib.tensor([0]), lib.ones(1, 4), "sum"), ("prod", "sum")),
    ErrorCase("take_out_of_range", lambda lib: _m(lib).take(lib.tensor([12])), ("index 12", "12 elements")),
    ErrorCase("take_negative_out_of_range", lambda lib: _m(lib).take(lib.tensor([-13])), ("index -13",)),
    ErrorCase("put_out_of_range", lambda lib: _m(lib).put(lib.tensor([12]), lib.ones(1)), ("index 12",)),
    ErrorCase("put_size_mismatch", lambda lib: _m(lib).put(lib.tensor([1, 2]), lib.ones(1)),
              ("source.numel() = 1", "index.numel() = 2")),
    ErrorCase("take_along_dim_ndim_mismatch", lambda lib: lib.take_along_dim(_m(lib), lib.tensor([0]), 1),
              ("2 dimensions", "1 dimensions")),
    ErrorCase("masked_select_int_mask", lambda lib: _m(lib).masked_select(lib.tensor([1, 0, 1, 0])), ("BoolTensor",)),
    ErrorCase("masked_select_bad_shape", lambda lib: _m(lib).masked_select(lib.tensor([True, False])), ("4", "2")),
    ErrorCase("masked_scatter_short_source",
              lambda lib: _m(lib).masked_scatter(lib.ones(3, 4, dtype=lib.bool), lib.ones(3)), ("source",)),
    ErrorCase("masked_scatter_int_mask",
              lambda lib: _m(lib).masked_scatter(lib.ones(3, 4, dtype=lib.long), lib.ones(12)), ("boolean", "Long")),
    ErrorCase("nonzero_static_negative_size", lambda lib: lib.nonzero_static(_m(lib), size=-1), ("size",)),
    ErrorCase("unravel_index_float", lambda lib: lib.unravel_index(lib.tensor(1.0), (3, 4)), ("integer",)),
    ErrorCase("unravel_index_negative_shape", lambda lib: lib.unravel_index(lib.tensor(1), (3, -4)), ("negative",)),
]
