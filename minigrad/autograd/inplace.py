"""In-place writes and views, with torch's semantics (``Tensor._inplace`` calls :func:`write`).

An in-place op is computed out of place first (``y.mul_(w)`` runs ``mul(y, w)``, which records
its node N), then the result is written into the tensor's memory and the version counter that
the tensor shares with its base and views moves on. What follows mirrors torch:

* **What N saved.** N is the in-place op's own node. Where it saved the tensor it overwrites (an
  input record, or an array on ctx), it keeps a copy of the old values instead, as torch's
  ``original_self``: ``y.mul_(w)``, ``y.clamp_()``, ``y.pow_(2)`` backward fine. Where it saved
  its result, the record now names the written tensor at its new version, so a later in-place
  change of it raises (``y.exp_(); y.add_(1)``), as in torch.
* **Any other node** that saved the tensor (or a view or base of it) raises at backward: its
  record holds the old version.
* **A view of a tensor that requires grad** (torch's CopySlices and ``rebase_history``): writing
  into view ``v`` of base ``b`` gives ``b`` a new grad_fn, :class:`CopySlices`, whose backward
  sends the gradient of the written region to N and the rest to ``b``'s old graph. Every live
  view of ``b`` (``v`` included) is then re-derived from the new ``b`` (:class:`ViewOfBase`), so
  that its gradient flows through the write; the same happens to the views of a base written
  directly. Views are registered on their base when they are created with grad mode on.
* Writing into a leaf that requires grad, or into a view of one, raises torch's errors; so does
  an operand that partly overlaps the written memory (``x.add_(x[0])``).
"""
from __future__ import annotations

import weakref

import numpy as np

from .. import dtypes
from . import grad_mode
from .function import Function, _INPUT, _OUTPUT, _apply_recorded
from ..tensor import Tensor

_state = grad_mode.state

LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_MSG = "a view of a leaf Variable that requires grad is being used in an in-place operation."
PARTIAL_OVERLAP_MSG = ("unsupported operation: some elements of the input tensor and the written-to tensor refer "
                       "to a single memory location. Please clone() the tensor before performing the operation.")
INTERNAL_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers to a single "
                        "memory location. Please clone() the tensor before performing the operation.")


NO_GRAD_VIEW_MSG = ("A view was created in {mode} and is being modified inplace {when}. Given that this use case "
                    "is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the "
                    "view and the inplace either both inside the {block} block (if you don't want the inplace to be "
                    "tracked) or both outside (if you want the inplace to be tracked).")
MODIFIED_NO_GRAD_VIEW_MSG = (
    "A view was created in {mode} and its base or another view of its base has been modified inplace {when}. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving "
    "both the view and the inplace either both inside the {block} block (if you don't want the inplace to be "
    "tracked) or both outside (if you want the inplace to be tracked).")
# torch's words for the mode a view was made in (its CreationMeta), as the messages above use them
_NO_GRAD_WORDS = {"no_grad": dict(mode="no_grad mode", when="with grad mode enabled", block="no_grad"),
                  "inference": dict(mode="inference mode", when="in normal mode", block="inference_mode")}
MULTI_OUTPUT_VIEW_MSG = ("Output {nr} of {name} is a view and is being modified inplace. This view is the output of "
                         "a function that returns multiple views. Such functions do not allow the output views to be "
                         "modified inplace. You should replace the inplace operation by an out-of-place one.")
MODIFIED_MULTI_OUTPUT_VIEW_MSG = (
    "Output {nr} of {name} is a view and its base or another view of its base has been modified inplace. This "
    "view is the output of a function that returns multiple views. Such functions do not allow the output views "
    "to be modified inplace. You should replace the inplace operation by an out-of-place one.")


def no_grad_view_message(template: str, t: Tensor) -> str:
    """torch's message for a view made without grad mode (origin[0] None), or for a view made with grad
    mode of such a view (origin[0] "view of": torch carries the creation mode over to it)."""
    origin = t._view_origin
    if origin[0] is None:
        return template.format(**_NO_GRAD_WORDS[origin[1]])
    message = template.format(**_NO_GRAD_WORDS[origin[1]])
    node = origin[3] or t.grad_fn   # (the node the view was made with: a write since re-derives grad_fn)
    name = node.name() if node is not None else "View"
    name = name[:name.rfind("Backward")] if "Backward" in name else name
    return f"Output {t._output_nr} of {name} is a view of a view which was" + message[len("A view was"):]


def mark_view_of_no_grad_view(view: Tensor, source: Tensor) -> None:
    """A view made with grad mode of a view made without it (mark_no_grad_view), or of such a view in
    turn, keeps its creation mode (torch's propagate_creation_meta): a write into its memory, then a use
    of it, or a write into it, raises torch's "... is a view of a view which was created in no_grad
    mode ..." error naming its own op."""
    origin = source._view_origin
    if origin is None:
        return
    if origin[0] is not None and origin[0] != "view of":
        # a view of one of several views returned together is such a view too (torch's
        # propagate_creation_meta keeps MULTI_OUTPUT_NODE); torch's messages name its own op
        view._view_origin = (view._output_nr, view.grad_fn, view._vc[0])
        return
    # (the mode, "no_grad" or "inference", and the node the view was made with, for torch's message)
    view._view_origin = ("view of", origin[1], view._vc[0], view.grad_fn)


def _op_name(name_or_node) -> str:
    """The op a multi-output view came from, as torch's messages name it ("Split", or "Select" for a
    view of such a view: its node's name without "Backward0")."""
    if isinstance(name_or_node, str):
        return name_or_node
    name = name_or_node.name() if name_or_node is not None else "View"
    return name[:name.rfind("Backward")] if "Backward" in name else name


def mark_no_grad_view(view: Tensor, requires_grad: bool = True) -> None:
    """A view made while autograd does not record (no_grad, inference_mode) has no graph node, but
    requires grad when its base does (torch's CreationMeta NO_GRAD_MODE / INFERENCE_MODE): ops on
    it record, yet no gradient reaches it or its base. Once its memory is written in place (through
    its base, another view or a detach()), any use of it raises; so does writing it with grad mode
    on. ``_view_origin`` (kept in its __dict__) is then (None, the mode, the version at creation,
    whether it follows its base's requires_grad). ``requires_grad``: False for a tensor a custom
    Function's forward returned (torch returns such an output of an unrecorded call without grad)."""
    view._view_origin = (None, "inference" if _state.inference else "no_grad", view._vc[0], requires_grad)
    if requires_grad:
        if view._base._requires_grad:
            view._requires_grad = True
        # (weakly, on the base: its later detach_() or requires_grad_() carries over to the view)
        view._base.__dict__.setdefault("_no_grad_views", []).append(weakref.ref(view))


def follow_base_requires_grad(base: Tensor) -> None:
    """``base``'s requires_grad changed (detach_(), requires_grad_()): the views made of it under
    no_grad follow it (see mark_no_grad_view), also in what ops on them record."""
    views = [v for v in (r() for r in base.__dict__["_no_grad_views"]) if v is not None]
    base.__dict__["_no_grad_views"] = [weakref.ref(v) for v in views]
    for view in views:
        if view.grad_fn is None:
            view._requires_grad = base._requires_grad


def is_no_grad_view(t: Tensor) -> bool:
    """``t`` is a view made without grad mode (see mark_no_grad_view) of a base that requires grad:
    its graph edge leads nowhere (torch gives such a view no gradient accumulator)."""
    origin = t._view_origin
    return origin is not None and origin[0] is None and origin[3] and t._base is not None and t._base._requires_grad


# -- views of a base ---------------------------------------------------------------------------------
def mark_multi_output_views(outputs: tuple, fn) -> tuple:
    """Views returned together by one op (split, chunk, unbind) may not be written in place while
    autograd records (torch forbids it): remember which output of which op each one is."""
    for nr, t in enumerate(outputs):
        # (over the mark of a view of a no_grad view: torch's multi-output mark wins there, but not
        # over an inference-mode one: its propagate_creation_meta)
        if isinstance(t, Tensor) and t._base is not None and ("_view_origin" not in t.__dict__ or (
                t._view_origin[0] == "view of" and t._view_origin[1] != "inference")):
            t._view_origin = (nr, fn.__name__, t._vc[0])
    return outputs


def check_multi_output_view(t: Tensor) -> None:
    """A view returned with others (split, chunk, unbind) cannot be used in the graph once its
    memory was written in place, through its base, another view or a detach(): torch cannot
    re-derive such a view's graph node, and raises on its next use. A view outside any graph (no
    grad_fn, its base does not require grad) is not looked at, as in torch's grad_fn lookup."""
    origin = t._view_origin
    if origin is not None and t._vc[0] != origin[2] \
            and (t.grad_fn is not None or (t._base is not None and t._base._requires_grad)):
        if origin[0] is None or origin[0] == "view of":   # (made without grad mode: mark_no_grad_view)
            raise RuntimeError(no_grad_view_message(MODIFIED_NO_GRAD_VIEW_MSG, t))
        raise RuntimeError(MODIFIED_MULTI_OUTPUT_VIEW_MSG.format(nr=origin[0], name=_op_name(origin[1])))


# The bases that have views, by their version counter, which detach() shares: a write through a
# detach()ed alias finds the views to re-derive here. Several bases can share one counter (a
# tensor and a detach()ed alias that has views of its own): each counter has one weak set of
# them, which every base in it holds, so that the entry goes with the last of them.
_bases_by_counter: "weakref.WeakValueDictionary[int, weakref.WeakSet]" = weakref.WeakValueDictionary()


def register_view(base: Tensor, view: Tensor) -> None:
    """Remember ``view`` (weakly) on ``base``, so that a write into ``base`` can re-derive it."""
    views = base.__dict__.get("_views")
    if views is None:
        views = base.__dict__["_views"] = []
        sharing = _bases_by_counter.get(id(base._vc))
        if sharing is None:
            sharing = _bases_by_counter[id(base._vc)] = weakref.WeakSet()
        sharing.add(base)
        base.__dict__["_counter_bases"] = sharing
    elif len(views) >= 32 and not len(views) & (len(views) - 1):  # at 32, 64, 128, ...: drop the dead ones
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(view))


def forget_view(view: Tensor) -> None:
    """Make ``view`` a tensor of its own for autograd (torch's unsafe_split): no base, its own
    version counter, no longer re-derived when its base is written. The memory stays shared."""
    base = view._base
    if base is None:
        return
    views = base.__dict__.get("_views")
    if views:
        views[:] = [r for r in views if r() is not view]
    view._base = None
    view._vc = [view._vc[0]]
    view.__dict__.pop("_view_origin", None)


def _live_views(base: Tensor):
    views = base.__dict__.get("_views")
    if not views:
        return []
    live = [v for v in (r() for r in views) if v is not None]
    views[:] = [weakref.ref(v) for v in live]
    return live


def geometry(base_array, view_array):
    """Where ``view_array`` lies in ``base_array``'s memory, as plain ints (nothing to free):
    (base shape, base strides, view byte offset, view shape, view strides, itemsize)."""
    return (base_array.shape, base_array.strides, _address(view_array) - _address(base_array),
            view_array.shape, view_array.strides, base_array.itemsize)


def _address(array) -> int:
    if isinstance(array, np.ndarray):
        return array.__array_interface__["data"][0]
    return array.data.ptr  # a CuPy array


def view_index(geom):
    """The C-order flat index into the base of each element of the view (an int64 array of the
    view's shape): both are laid over one scratch buffer with their own strides, the base's slots
    numbered first, then read back through the view."""
    bshape, bstrides, offset, vshape, vstrides, item = geom
    if any(s % item for s in bstrides + vstrides) or offset % item:
        raise NotImplementedError("in-place write into a view whose strides are not whole elements")
    bst = [s // item for s in bstrides]
    vst = [s // item for s in vstrides]
    size = int(np.prod(bshape))
    if size == 0 or int(np.prod(vshape)) == 0:
        return np.zeros(vshape, np.int64)
    lo = sum((n - 1) * s for n, s in zip(bshape, bst) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(bshape, bst) if s > 0)
    scratch = np.full(hi - lo + 1, -1, np.int64)
    step = scratch.itemsize
    slots = np.lib.stride_tricks.as_strided(scratch[-lo:], bshape, [s * step for s in bst])
    slots[...] = np.arange(size).reshape(bshape)
    picked = np.lib.stride_tricks.as_strided(scratch[offset // item - lo:], vshape, [s * step for s in vst])
    return np.array(picked, copy=True)


def _c_strides(shape, item):
    strides, step = [], item
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def is_reshape(geom) -> bool:
    """Whether the view is the whole base read in C order (a reshape of a contiguous base, as
    Conv1d's and Flatten's outputs are): its gradient needs no index, only a reshape."""
    bshape, bstrides, offset, vshape, vstrides, item = geom
    return (offset == 0 and int(np.prod(bshape)) == int(np.prod(vshape))
            and all(s == c for n, s, c in zip(bshape, bstrides, _c_strides(bshape, item)) if n > 1)
            and all(s == c for n, s, c in zip(vshape, vstrides, _c_strides(vshape, item)) if n > 1))


def _index_on(g, geom):
    """view_index on the device of gradient ``g``."""
    index = view_index(geom)
    if isinstance(g._data, np.ndarray):
        return index
    from ..ops._util import xp
    return xp(g._data).asarray(index)


class CopySlices(Function):
    """b' = b with the view region replaced by r;  db'/db = g with zeros in the region,  db'/dr = g[region]

    The grad_fn a base gets when one of its views is written in place (torch's CopySlices)."""

    node_name = "CopySlices"  # torch's name() adds its C++ namespace: torch::autograd::CopySlices

    array_forward = True
    supports_complex = True   # (its gradient only moves elements)

    @staticmethod
    def forward(ctx, base, result, geom):
        ctx.geom = geom
        return base  # the write itself is done by ``write``; only the node is kept

    @staticmethod
    def backward(ctx, g):
        from ..ops._util import xp
        from ..ops.index import Index, IndexPut
        if is_reshape(ctx.geom):  # the write covered the whole base: nothing of the old value is left
            gbase = Tensor._make(xp(g._data).zeros_like(g._data)) if ctx.needs_input_grad[0] else None
            # a copy, as torch's (which clones the region): a later in-place change of the incoming
            # gradient (a grad_outputs tensor) must not reach this one
            return gbase, g.reshape(ctx.geom[3]).clone() if ctx.needs_input_grad[1] else None
        index = _index_on(g, ctx.geom)
        flat = g.reshape(-1)
        gbase = IndexPut.apply(flat, 0, (Ellipsis,), (index,)).reshape(ctx.geom[0]) \
            if ctx.needs_input_grad[0] else None
        gresult = Index.apply(flat, (Ellipsis,), (index,)) if ctx.needs_input_grad[1] else None
        return gbase, gresult


class ViewOfBase(Function):
    """v = b[region] (a view re-derived after a write);  dv/db = zeros of b's shape with g at the region

    torch's AsStridedBackward, the grad_fn of a view whose base was written in place."""

    node_name = "AsStridedBackward0"

    array_forward = True
    supports_complex = True   # (its gradient only moves elements)

    @staticmethod
    def forward(ctx, base, view, geom):
        ctx.geom = geom
        return view

    @staticmethod
    def backward(ctx, g):
        from ..ops.index import IndexBackward
        bshape = ctx.geom[0]
        if is_reshape(ctx.geom):  # a copy, as torch's as_strided_backward: never a view of the incoming gradient
            return g.reshape(bshape).clone(), None
        flat = IndexBackward.apply(g, (int(np.prod(bshape)),), (Ellipsis,), (_index_on(g, ctx.geom),))
        return flat.reshape(bshape), None


def _rederive_views(base: Tensor, until_next_use: bool = False) -> None:
    """Point every live view of ``base`` at ``base``'s current graph (torch regenerates a view's
    grad_fn the same way when its base's version has moved on). ``until_next_use``: see _set_grad_fn."""
    tracked = base._requires_grad
    for view in _live_views(base):
        if not tracked and view.grad_fn is None:
            continue   # (outside any graph: torch's grad_fn lookup leaves such a view alone)
        args = (base, view._data, geometry(base._data, view._data))
        # A view that has a node of its own gets a new one even when its base no longer requires
        # grad (``b.detach_()`` after the view was made): torch's node then leads nowhere.
        node = (ViewOfBase.apply(*args) if tracked else _apply_recorded(ViewOfBase, args, list(args), {})).grad_fn
        _set_grad_fn(view, node, 0, until_next_use)


# -- overlap (torch's assert_no_internal_overlap / assert_no_partial_overlap) -----------------------
def _dense(array) -> bool:
    """Non-overlapping and dense: the elements fill one block of memory exactly (any dim order)."""
    dims = sorted((s, n) for s, n in zip(array.strides, array.shape) if n != 1)
    expected = array.itemsize
    for s, n in dims:
        if s != expected:
            return False
        expected *= n
    return True


def _layout(array):
    """Sizes and strides, leaving out size-1 dims (whose NumPy strides carry no meaning)."""
    return [(n, s) for n, s in zip(array.shape, array.strides) if n != 1]


def _same_strides(a, b) -> bool:
    """torch's test for a full overlap of two tensors over the same memory: equal stride lists (the
    number of dims counts, and so does the stride of a size-1 dim: ``x[::3]`` of a 1-element ``x``
    partly overlaps ``x``). A size-1 dim with stride 0 matches any stride: NumPy gives that to the
    dims that ``None`` indexing and expand add, where torch gives the stride of a contiguous tensor."""
    if a.ndim != b.ndim:
        return False
    return all(sa == sb or (sa == 0 and na == 1) or (sb == 0 and nb == 1)
               for na, nb, sa, sb in zip(a.shape, b.shape, a.strides, b.strides))


def check_overlap(out, operands) -> None:
    """Raise torch's error when an operand partly overlaps the memory ``out`` (an array) being written."""
    for other in operands:
        if not isinstance(other, Tensor) or type(other._data) is not np.ndarray or type(out) is not np.ndarray:
            continue  # (GPU arrays are not checked)
        a = other._data
        if a is out or not np.may_share_memory(a, out) or not (_dense(a) and _dense(out)):
            continue  # the same array is a full overlap (allowed); a non-dense pair is "too hard", as in torch
        a_begin, b_begin = _address(a), _address(out)
        a_end, b_end = a_begin + a.nbytes, b_begin + out.nbytes
        if a_begin == b_begin and a_end == b_end and _same_strides(a, out):
            continue
        if a_begin < b_end and b_begin < a_end:
            raise RuntimeError(PARTIAL_OVERLAP_MSG)


def check_setitem_overlap(region, value) -> None:
    """check_overlap for ``t[index] = value`` writing ``region``: as torch's setitem, the value loses
    its leading size-1 dims and is broadcast to the region first (a 0-d value is a fill; a value that
    does not broadcast is left to the write's own shape error)."""
    if not isinstance(value, Tensor) or type(value._data) is not np.ndarray or type(region) is not np.ndarray:
        return
    v = value._data
    if v.ndim == 0 or region.ndim == 0 or v.shape == region.shape:
        return check_overlap(region, (value,)) if v.shape == region.shape else None
    while v.ndim and v.shape[0] == 1:
        v = v.reshape(v.shape[1:])  # (a view, also when 0-d)
    if v.ndim == 0:   # expanded with stride 0: one element written from itself is a partial overlap
        if region.size == 1 and _address(v) == _address(region) and any(region.strides):
            raise RuntimeError(PARTIAL_OVERLAP_MSG)
        return
    try:
        v = np.broadcast_to(v, region.shape)
    except ValueError:
        return
    check_overlap(region, (Tensor._make(v),))


# -- the write ---------------------------------------------------------------------------------------
def write(target: Tensor, result: Tensor, operands=(), fill=False) -> Tensor:
    """Write ``result`` (the out-of-place value of an in-place op) into ``target``'s memory.
    ``fill``: the op writes one value everywhere (fill_, zero_), which torch allows also where
    several elements share a memory location."""
    grad_on = _state.grad_enabled
    base = target._base
    if grad_on:
        # (the view checks first, as torch's check_inplace: a view made under no_grad of a base that
        # requires grad is a tensor without grad_fn that requires grad, but not a leaf to refuse)
        origin = target.__dict__.get("_view_origin") if base is not None else None
        if origin is not None and (base._requires_grad or result._requires_grad):
            if origin[0] is None or origin[0] == "view of":
                raise RuntimeError(no_grad_view_message(NO_GRAD_VIEW_MSG, target))
            raise RuntimeError(MULTI_OUTPUT_VIEW_MSG.format(nr=origin[0], name=_op_name(origin[1])))
        if target._requires_grad and target.grad_fn is None:
            raise RuntimeError(LEAF_MSG)
        # (after the checks above, as torch's check_inplace; the view's own requires_grad counts: it
        # stays on after the leaf's detach_() or requires_grad_(False))
        if base is not None and target._requires_grad and base.grad_fn is None:
            raise RuntimeError(VIEW_OF_LEAF_MSG)
    data = target._data
    if operands:   # (before the shape check, as torch)
        check_overlap(data, operands)
    if result._data.shape != data.shape:
        raise RuntimeError(f"output with shape {list(data.shape)} doesn't match the broadcast "
                           f"shape {list(result._data.shape)}")
    if result._data.dtype != data.dtype:
        rd, sd = result.dtype, target.dtype
        if rd.category > sd.category:
            raise RuntimeError(f"result type {dtypes.scalar_name(result._data.dtype)} can't be cast to the "
                               f"desired output type {dtypes.scalar_name(data.dtype)}")
    check_writable(data, fill)
    node = result.grad_fn if grad_on and result._requires_grad else None
    keep = node is not None and _keeps_target(node, target)
    original = Tensor._make(data.copy(), target._requires_grad, target.grad_fn, target._output_nr) if keep else None
    data[...] = result._data
    target._vc[0] += 1
    if node is not None:
        _rebind_saved(node, target, result, original)
    if grad_on and base is None and result._requires_grad:
        _set_grad_fn(target, node, result._output_nr)
        _rederive_views(target)
    elif grad_on and base is not None and (base._requires_grad or result._requires_grad):
        if node is not None:
            _bypass_view_node(node, target, base)
        copy = CopySlices.apply(base, result, geometry(base._data, data))
        _set_grad_fn(base, copy.grad_fn, 0)
        _rederive_views(base)
    else:
        rederive_after_untracked_write(target)
    return target


def rederive_after_untracked_write(target: Tensor) -> None:
    """A write autograd did not record (under no_grad, or through a detach()ed alias) still moves
    the version counter on: torch then re-derives the grad_fn of every view of the base from the
    base's graph at its next use, so hooks and retain_grad of a view in between no longer run
    for later uses. Done here at once (the base's graph is the same then as at the next use)."""
    sharing = _bases_by_counter.get(id(target._vc))
    for base in list(sharing or ()):
        if base._vc is target._vc:
            with grad_mode._GradMode(True):
                _rederive_views(base, until_next_use=True)


def same_layout(a, b) -> bool:
    """Two arrays over the very same elements (address, shape, strides and dtype): torch's copy_
    from such a source returns before its overlap checks (nothing to move)."""
    return a is b or (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                      and a.strides == b.strides and _address(a) == _address(b))


def has_internal_overlap(array) -> bool:
    """torch's test: some dimension of more than one element has stride 0 (an expanded tensor),
    and the tensor has elements at all."""
    return array.size > 0 and any(n > 1 and st == 0 for n, st in zip(array.shape, array.strides))


def check_setitem(array, index, value=None) -> None:
    """check_writable for ``t[index] = value``: a basic index (ints, slices, ..., None) writes
    into a view of ``t``, and torch checks that view, not all of ``t``, for internal overlap
    (after copy_'s early return for a value over the very same elements)."""
    basic = (int, slice, type(Ellipsis), type(None))
    if type(array) is np.ndarray and (isinstance(index, basic) or (
            type(index) is tuple and all(isinstance(i, basic) and not isinstance(i, bool) for i in index))) \
            and not isinstance(index, bool):
        try:
            region = array[index]
        except IndexError:
            return   # setitem raises it
        if np.ndim(region) and has_internal_overlap(region) and not (
                hasattr(value, "_data") and same_layout(region, value._data)):
            raise RuntimeError(INTERNAL_OVERLAP_MSG)
        check_writable(array, fill=True)
    else:   # advanced indexing: torch only warns on an expanded tensor
        check_writable(array, fill=True)


def check_writable(array, fill=False) -> None:
    """Before any in-place write into ``array``: torch's internal-overlap error (not for a write of
    one value everywhere, ``fill``), and a read-only NumPy array made writable. Such an array is a
    broadcast (np.broadcast_to: expand, and gradients such as sum's): torch writes through such a
    tensor into the memory it shares, so minigrad does too."""
    if not fill and has_internal_overlap(array):
        raise RuntimeError(INTERNAL_OVERLAP_MSG)
    if not getattr(array.flags, "writeable", True):   # (CuPy arrays have no such flag)
        try:
            array.flags.writeable = True
        except ValueError:   # memory that is read-only itself (a read-only buffer given to from_numpy)
            raise RuntimeError("the tensor's memory is read-only; clone() it before writing in place") from None


def _set_grad_fn(t: Tensor, node, output_nr, until_next_use: bool = False) -> None:
    """Give ``t`` its new grad_fn. A retain_grad hook moves along (``t.grad`` is the gradient of
    the new value); other hooks stay with the old value's node, as in torch.

    ``until_next_use`` (a view re-derived after an untracked write): torch re-derives such a view
    only at its next use, so until then the old node, in the graphs built before the write, still
    fills ``t.grad``: the hook stays there as well, and leaves it when ``t`` is next used (_edge
    calls drop_retain_on_old)."""
    old, old_nr = t.grad_fn, t._output_nr
    t.grad_fn, t._output_nr, t._requires_grad = node, output_nr, True
    if "_no_grad_views" in t.__dict__:   # (a base that requires grad now: its no_grad views follow)
        follow_base_requires_grad(t)
    if t._retains_grad and old is not None and old._pre_hooks:
        hooks = old._pre_hooks.get(old_nr, [])
        for hook in [h for h in hooks if getattr(h, "retains_grad", False)]:
            if until_next_use and t._retain_on_old is None:
                t._retain_on_old = (hooks, hook)
            else:
                hooks.remove(hook)
            node.register_hook(output_nr, hook)


def drop_retain_on_old(t: Tensor) -> None:
    """``t`` is used after an untracked write re-derived it: its old node no longer fills ``t.grad``."""
    hooks, hook = t._retain_on_old
    t._retain_on_old = None
    if hook in hooks:
        hooks.remove(hook)


def _bypass_view_node(node, target: Tensor, base: Tensor) -> None:
    """The in-place op's edge to the view it wrote (its first one to the view's node: torch's
    ``self``) goes to ``base``'s region instead, as torch's CopySlices sends the gradient of
    ``self`` straight to the base: the view's old node, and the hooks registered on the view
    before the write, are not on that path (the values are the same)."""
    old = (target.grad_fn, target._output_nr)
    if old[0] is None or not base._requires_grad:
        return
    edges = node.next_functions
    for i, edge in enumerate(edges):
        if edge is not None and edge[0] is old[0] and edge[1] == old[1]:
            region = ViewOfBase.apply(base, target._data, geometry(base._data, target._data)).grad_fn
            node.next_functions = edges[:i] + ((region, 0),) + edges[i + 1:]
            return


def _keeps_target(node, target) -> bool:
    """Whether the in-place op's node saved the tensor about to be overwritten."""
    for rec in node._saved or ():
        if rec is not None and rec[0] == _INPUT and rec[1] is target:
            return True
    extras = node.__dict__
    return bool(extras) and any(v is target._data for v in extras.values())


def _rebind_saved(node, target, result, original) -> None:
    """The in-place op's node keeps the old values of the overwritten tensor (``original``) and
    names the written tensor, at its new version, where it saved its own result."""
    saved = node._saved
    if saved:
        records = []
        kept = False
        for rec in saved:
            if rec is not None and rec[0] == _INPUT and rec[1] is target and not kept:
                # self's old values (torch's original_self); another saved argument that is the
                # same tensor (y.mul_(y), y.pow_(y)) keeps its record, so backward raises as torch's
                rec = (_INPUT, original, original._vc, original._vc[0])
                kept = True
            elif rec is not None and rec[0] == _INPUT and rec[1].__dict__.get("_cast_of") is target:
                # the op's cast copy of self (type promotion) already holds self's old values: it
                # stays valid after this write, at a version of its own (torch's original_self)
                rec = (_INPUT, rec[1], [rec[3]], rec[3])
            elif rec is not None and rec[0] == _OUTPUT and rec[1][0] is result._data:
                rec = (_OUTPUT, (target._data, rec[1][1], target._vc), target._vc, target._vc[0])
            records.append(rec)
        node._saved = tuple(records)
    if original is not None:
        extras = node.__dict__
        for key, value in list(extras.items()):
            if value is target._data:
                extras[key] = original._data
