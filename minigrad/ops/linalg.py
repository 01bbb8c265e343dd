"""Matrix products: matmul and its special cases (mm, bmm, mv, dot), outer, the fused
``beta*input + alpha*product`` family (addmm, addmv, addr, addbmm, baddbmm), einsum, and the
products built on them (inner, vdot, kron, tensordot, chain_matmul, cross, cdist, block_diag,
cartesian_prod, combinations).

Forward is one NumPy call (BLAS for floats). Backward is written with the same products, so it
is differentiable and grad-of-grad comes for free; a plain backward (no ``create_graph``) runs
the very same formula on arrays, straight to BLAS, because matmul sits on every Linear layer's
hot path.
"""
from __future__ import annotations

import string

import numpy as np

from ..autograd import grad_mode
from ..device import check_same_device
from .. import dtypes
from ..kernels import blas
from ._util import Op, overload, Tensor, broadcast_shape, conj_of, xp
from ._args import autocast

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "addmm", "einsum", "addmv", "addr", "addbmm", "baddbmm",
           "inner", "vdot", "kron", "tensordot", "chain_matmul", "cross", "cdist", "block_diag", "cartesian_prod",
           "combinations"]


# -- matmul and its special cases ---------------------------------------------------------------
def _matmul_grads(g, a, b, na, nb, matmul, mT, unsqueeze):
    """The gradients of ``a @ b`` for cotangent ``g``, on Tensors or on arrays alike.

    A 1-D operand is a row (left) or column (right) vector whose extra dim was dropped from the
    output; batch dims that were broadcast are summed away by the engine.
    """
    ga = gb = None
    if na == 1 and nb == 1:                       # dot: g is 0-d
        ga = g * b if b is not None else None
        gb = g * a if a is not None else None
    elif nb == 1:                                 # (..., m, n) @ (n,) -> (..., m)
        if b is not None:
            ga = unsqueeze(g, -1) * b
        if a is not None:
            gb = matmul(g, a) if na == 2 else matmul(unsqueeze(g, -2), a)
    elif na == 1:                                 # (n,) @ (..., n, p) -> (..., p)
        if b is not None:
            ga = matmul(b, g) if nb == 2 else matmul(unsqueeze(g, -2), mT(b))
        if a is not None:
            gb = unsqueeze(a, -1) * unsqueeze(g, -2)
    else:                                         # (..., m, n) @ (..., n, p) -> (..., m, p)
        if b is not None:
            ga = matmul(g, mT(b))
        if a is not None:
            gb = matmul(mT(a), g)
    return ga, gb


def _np_mT(x):
    return np.swapaxes(x, -1, -2)


def _np_unsqueeze(x, dim):
    return np.expand_dims(x, dim)


def _mT(x):
    from .shape import transpose
    return transpose(x, -2, -1)


def _unsqueeze(x, dim):
    from .shape import reshape
    shape = list(x.shape)
    shape.insert(len(shape) + 1 + dim if dim < 0 else dim, 1)
    return reshape(x, tuple(shape))


def _grads(ctx, g, a, b, scale=1):
    """The gradients of ``scale * (a @ b)``: differentiable under create_graph, plain BLAS otherwise."""
    na, nb = ctx.ndims
    if scale != 1:
        g = g * scale
    a, b = conj_of(a), conj_of(b)   # complex: grad_a = g @ b^H, grad_b = a^H @ g
    if grad_mode.state.grad_enabled:
        return _matmul_grads(g, a, b, na, nb, matmul, _mT, _unsqueeze)
    ga, gb = _matmul_grads(g._data, None if a is None else a._data, None if b is None else b._data,
                           na, nb, blas.matmul, _np_mT, _np_unsqueeze)
    return (None if ga is None else Tensor._make(ga)), (None if gb is None else Tensor._make(gb))


def _dims_text(shape):
    return "x".join(str(s) for s in shape)


def _check_same_dtype(a: Tensor, b: Tensor):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {dtypes.C_NAMES[a.dtype.name]} != "
                           f"{dtypes.C_NAMES[b.dtype.name]}")


def _check_dot(a: Tensor, b: Tensor):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {dtypes.SCALAR_NAMES[a.dtype.name]} "
                           f"and {dtypes.SCALAR_NAMES[b.dtype.name]}")
    n, m = a._data.shape[0], b._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
                           f"of elements, but got {n} and {m} elements respectively")
    if a._data.dtype == np.bool_:
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")


def _fail_mm(m1_shape, m2_shape):
    raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims_text(m1_shape)} and "
                       f"{_dims_text(m2_shape)})")


def _fail_mv(rows, k, n):
    raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({n})")


def _fail_bmm(batch, k1, k2):
    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k1}] but got: "
                       f"[{batch}, {k2}].")


def _check_matmul(input: Tensor, other: Tensor):
    """torch.matmul's argument checks, with the messages of the kernel torch dispatches to."""
    sa, sb = input._data.shape, other._data.shape
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        _check_dot(input, other)
        return
    k_a = sa[-1]
    k_b = sb[0] if nb == 1 else sb[-2]
    if k_a != k_b:
        if nb == 1:                       # mv, the batch of `input` folded into its rows
            _fail_mv(int(np.prod(sa[:-1])), k_a, k_b)
        if nb == 2:                       # mm, the batch of `input` folded into its rows
            _fail_mm((int(np.prod(sa[:-1])), k_a), sb)
        batch = broadcast_shape(sa[:-2], sb[:-2])   # bmm over the broadcast batch
        _fail_bmm(int(np.prod(batch)), k_a, k_b)
    if na > 2 or nb > 2:
        broadcast_shape(sa[:-2], sb[:-2])
    da, db = input.dtype.name, other.dtype.name
    if da != db:
        if nb == 1:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {dtypes.SCALAR_NAMES[db]}, "
                               f"{dtypes.SCALAR_NAMES[da]}, and {dtypes.SCALAR_NAMES[db]}")
        if nb >= 3:
            raise RuntimeError(f"expected scalar type {dtypes.SCALAR_NAMES[da]} but found {dtypes.SCALAR_NAMES[db]}")
        _check_same_dtype(input, other)
    if da == "bool":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


# torch's node for a product of these ranks (mm, mv, dot, bmm); its matmul of other ranks reshapes
# around them, where minigrad records one MatMul node (docs/parity.md)
_TORCH_NODES = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0", (3, 3): "BmmBackward0"}


class MatMul(Op):
    """z = a @ b;  dz/da = g @ b^T,  dz/db = a^T @ g   (1-D operands act as row / column vectors; complex: b^H, a^H)"""

    supports_complex = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.ndims = ndims = (a.ndim, b.ndim)
        if ndims in _TORCH_NODES and (a.ndim != 3 or a.shape[0] == b.shape[0]):
            ctx.node_name = _TORCH_NODES[ndims]
        need = ctx.needs_input_grad
        ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
        return blas.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _grads(ctx, g, a, b)


@autocast("lower")
def matmul(input: Tensor, other: Tensor) -> Tensor:
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):   # (a sparse tensor is no Tensor)
        if getattr(input, "is_sparse", False):
            return _sparse_mm(input, other)
        if getattr(other, "is_sparse", False):
            from ..sparse import dense_mm
            return dense_mm(input, other)
    a, b = input._data, other._data
    if type(a) is not np.ndarray or type(b) is not np.ndarray:   # (two NumPy arrays are both on the CPU)
        check_same_device(input, other)
    # The common case (same dtype, matching inner dims, no 0-d operand) pays for one comparison each.
    if a.dtype != b.dtype or a.dtype.kind == "b" or a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0] \
            or (a.ndim > 2 and b.ndim > 2):
        _check_matmul(input, other)
    return MatMul.apply(input, other)


def _sparse_mm(input, other):
    """torch.mm / matmul of a sparse matrix and a dense one (its values get the gradient, as they do in torch;
    a sparse leaf's own dense gradient under torch.mm is not computed: minigrad.sparse.mm gives the sparse one)."""
    from .. import sparse
    if input._leaf:
        raise NotImplementedError("minigrad: torch.mm(sparse, dense) with a sparse leaf that requires grad gives "
                                  "it a dense gradient in torch, which minigrad does not compute; use "
                                  "torch.sparse.mm (a sparse gradient), or build the sparse tensor from values "
                                  "that require grad")
    return sparse.mm(input, other)


@autocast("lower")
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    if getattr(input, "is_sparse", False):
        return _sparse_mm(input, mat2)
    if getattr(mat2, "is_sparse", False):
        from ..sparse import dense_mm
        return dense_mm(input, mat2)
    check_same_device(input, mat2)
    sa, sb = input._data.shape, mat2._data.shape
    if len(sa) != 2:
        raise RuntimeError("self must be a matrix")
    if len(sb) != 2:
        raise RuntimeError("mat2 must be a matrix")
    if sa[1] != sb[0]:
        _fail_mm(sa, sb)
    _check_same_dtype(input, mat2)
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    return MatMul.apply(input, mat2)


@autocast("lower")
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    check_same_device(input, mat2)
    sa, sb = input._data.shape, mat2._data.shape
    if len(sa) != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if len(sb) != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if sb[:2] != (sa[0], sa[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but "
                           f"got: [{sb[0]}, {sb[1]}].")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.SCALAR_NAMES[input.dtype.name]} but found "
                           f"{dtypes.SCALAR_NAMES[mat2.dtype.name]}")
    return MatMul.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    check_same_device(input, vec)
    sa, sb = input._data.shape, vec._data.shape
    if len(sa) != 2 or len(sb) != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {len(sa)}, {len(sb)}")
    if sa[1] != sb[0]:
        _fail_mv(sa[0], sa[1], sb[0])
    if input._data.dtype != vec._data.dtype:
        d = dtypes.SCALAR_NAMES[vec.dtype.name]
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {d}, "
                           f"{dtypes.SCALAR_NAMES[input.dtype.name]}, and {d}")
    return MatMul.apply(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    check_same_device(input, tensor)
    na, nb = input._data.ndim, tensor._data.ndim
    if na != 1 or nb != 1:
        raise RuntimeError(f"1D tensors expected, but got {na}D and {nb}D tensors")
    _check_dot(input, tensor)
    return MatMul.apply(input, tensor)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    check_same_device(input, vec2)
    from .elementwise import mul
    from .shape import reshape
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return mul(reshape(input, (input._data.shape[0], 1)), vec2)


class AddMM(Op):
    """z = beta*c + alpha*(a @ b);  dz/dc = beta,  dz/da = alpha g @ b^T,  dz/db = alpha a^T @ g"""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, c, a, b, beta, alpha):
        ctx.ndims, ctx.beta, ctx.alpha = (2, 2), beta, alpha
        need = ctx.needs_input_grad
        ctx.save_for_backward(a if need[2] else None, b if need[1] else None)
        out = blas.matmul(a, b)
        if alpha != 1:
            out = out * alpha if out.dtype.kind == "f" else (out * alpha).astype(out.dtype)
        if beta == 0:   # as in torch, c is then ignored: its NaNs and infs do not propagate
            return out
        scaled = c if beta == 1 else c * beta
        return (out + scaled).astype(out.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gc = None
        if ctx.needs_input_grad[0]:
            gc = g if ctx.beta == 1 else g * ctx.beta
        ga, gb = _grads(ctx, g, a, b, ctx.alpha)
        return gc, ga, gb


@autocast("lower")
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    check_same_device(input, mat1, mat2)
    sa, sb = mat1._data.shape, mat2._data.shape
    for name, s in (("mat1", sa), ("mat2", sb)):
        if len(s) != 2:
            raise RuntimeError(f"{name} must be a matrix, got {len(s)}-D tensor")
    if sa[1] != sb[0]:
        _fail_mm(sa, sb)
    for name, t in (("self", input), ("mat1", mat1)):
        if t._data.dtype != mat2._data.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got {dtypes.SCALAR_NAMES[t.dtype.name]} and "
                               f"{dtypes.SCALAR_NAMES[mat2.dtype.name]}")
    _no_bool_kernel("mm", mat1._data)
    out_shape = (sa[0], sb[1])
    if input._data.shape != out_shape:
        ishape = input._data.shape
        if len(ishape) > 2 or any(s not in (1, t) for s, t in zip(ishape[::-1], out_shape[::-1])):
            from .shape import expand
            expand(input, out_shape)   # raises torch's expand error
    return AddMM.apply(input, mat1, mat2, beta, alpha)


# -- beta*input + alpha*product: addmv, addr, addbmm, baddbmm ----------------------------------
def _product(kind, a, b):
    """The product inside each fused op, on Tensors (differentiable)."""
    from .elementwise import mul
    from .reduce import sum as sum_
    if kind == "mv":
        return matmul(a, b)
    if kind == "outer":
        return mul(_unsqueeze(a, -1), b)
    if kind == "bmm":
        return matmul(a, b)
    return sum_(matmul(a, b), 0)        # addbmm: the batch of products, summed


def _product_array(kind, a, b):
    if kind == "outer":
        return np.multiply.outer(a, b)
    out = blas.matmul(a, b)
    return out.sum(0) if kind == "addbmm" else out


def _product_grads(kind, g, a, b, need_a, need_b):
    """d(product)/da and /db for cotangent g, written with differentiable ops."""
    ga = gb = None
    if kind == "mv":                    # (m, n) @ (n,)
        ga = _product("outer", g, b) if need_a else None
        gb = matmul(_mT(a), g) if need_b else None
    elif kind == "outer":               # (m,) x (n,)
        ga = matmul(g, b) if need_a else None
        gb = matmul(_mT(g), a) if need_b else None
    else:                               # (B, m, k) @ (B, k, n), summed over B for addbmm
        if kind == "addbmm":
            g = _unsqueeze(g, 0)
        ga = matmul(g, _mT(b)) if need_a else None
        gb = matmul(_mT(a), g) if need_b else None
    return ga, gb


# torch's CPU kernels of the products that have no bool version (addr has one)
_BOOL_REFUSED = {"mm": "addmm_impl_cpu_", "mv": "addmv_impl_cpu", "bmm": "baddbmm", "addbmm": "addmm_impl_cpu_"}


def _no_bool_kernel(kind: str, a) -> None:
    if a.dtype == np.bool_ and kind in _BOOL_REFUSED:
        raise NotImplementedError(f"\"{_BOOL_REFUSED[kind]}\" not implemented for 'Bool'")


class AddProduct(Op):
    """z = beta*c + alpha*P(a, b) with P one of mv, outer, bmm, summed bmm;  dz/dc = beta,
    dz/da = alpha dP/da, dz/db = alpha dP/db (the products' rules: g b^T, a^T g, ...)"""

    @staticmethod
    def forward(ctx, c, a, b, kind, beta, alpha):
        _no_bool_kernel(kind, a)
        ctx.kind, ctx.beta, ctx.alpha = kind, beta, alpha
        ctx.node_name = {"mv": "AddmvBackward0", "outer": "AddrBackward0", "bmm": "BaddbmmBackward0",
                         "addbmm": "AddbmmBackward0"}[kind]
        need = ctx.needs_input_grad
        ctx.save_for_backward(a if need[2] else None, b if need[1] else None)
        ctx.empty_mv = kind == "mv" and a.size == 0
        ctx.a_shape, ctx.b_shape = a.shape, b.shape
        if ctx.empty_mv:   # torch's addmv of an empty matrix is beta*input, in input's shape
            return (c * beta if beta != 0 else xp(c).zeros_like(c)).astype(a.dtype)
        out = _product_array(kind, a, b)
        if alpha != 1:
            out = out * alpha
        if beta != 0:   # as in torch, beta == 0 ignores c: its NaNs and infs do not propagate
            out = out + (c if beta == 1 else c * beta)
        return np.broadcast_to(out, np.broadcast_shapes(out.shape, c.shape)).astype(a.dtype, copy=True)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        gc = (g if ctx.beta == 1 else g * ctx.beta) if need[0] else None
        if ctx.empty_mv:
            zeros = xp(g._data).zeros
            return (gc, Tensor._make(zeros(a.shape if a is not None else ctx.a_shape, g._data.dtype)) if need[1] else None,
                    Tensor._make(zeros(b.shape if b is not None else ctx.b_shape, g._data.dtype)) if need[2] else None)
        ga, gb = _product_grads(ctx.kind, g if ctx.alpha == 1 else g * ctx.alpha, a, b, need[1], need[2])
        return gc, ga, gb


def _expand_input(input: Tensor, out_shape):
    """torch's check that ``input`` broadcasts to the product's shape (its expand error otherwise)."""
    if input._data.shape != tuple(out_shape):
        from .shape import expand
        expand(input, tuple(out_shape))


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    check_same_device(input, mat, vec)
    sm, sv = mat._data.shape, vec._data.shape
    if len(sm) != 2 or len(sv) != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {len(sm)}, {len(sv)}")
    ishape = input._data.shape
    if sm[1] != sv[0] or not (ishape in ((), (1,), (sm[0],)) or not mat._data.size):
        raise RuntimeError(f"size mismatch, got input ({ishape[0] if ishape else 1}), mat ({sm[0]}x{sm[1]}), "
                           f"vec ({sv[0]})")
    for t in (input, mat):
        if t._data.dtype != vec._data.dtype:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                               f"{dtypes.SCALAR_NAMES[input.dtype.name]}, {dtypes.SCALAR_NAMES[mat.dtype.name]}, and "
                               f"{dtypes.SCALAR_NAMES[vec.dtype.name]}")
    return AddProduct.apply(input, mat, vec, "mv", beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    check_same_device(input, vec1, vec2)
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    _expand_input(input, (vec1._data.shape[0], vec2._data.shape[0]))
    _check_same_dtype(vec1, vec2)
    _check_same_dtype(input, vec1)
    return AddProduct.apply(input, vec1, vec2, "outer", beta, alpha)


def _check_batches(batch1: Tensor, batch2: Tensor):
    sa, sb = batch1._data.shape, batch2._data.shape
    if len(sa) != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if len(sb) != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_same_dtype(batch1, batch2)
    return sa, sb


@autocast("lower")
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    check_same_device(input, batch1, batch2)
    sa, sb = _check_batches(batch1, batch2)
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({sa[1]}x{sa[2]} and {sb[1]}x{sb[2]})")
    _expand_input(input, (sa[1], sb[2]))
    _check_same_dtype(input, batch1)
    return AddProduct.apply(input, batch1, batch2, "addbmm", beta, alpha)


@autocast("lower")
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    check_same_device(input, batch1, batch2)
    sa, sb = _check_batches(batch1, batch2)
    if sb[:2] != (sa[0], sa[2]):
        _fail_bmm(sa[0], sa[2], sb[1]) if sb[0] == sa[0] else \
            _raise(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but got: "
                   f"[{sb[0]}, {sb[1]}].")
    _expand_input(input, (sa[0], sa[1], sb[2]))
    _check_same_dtype(input, batch1)
    return AddProduct.apply(input, batch1, batch2, "bmm", beta, alpha)


def _raise(message):
    raise RuntimeError(message)


# -- products built from the ones above ---------------------------------------------------------
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """<input, other> of two 1-D tensors (the first conjugated: the same as dot for real tensors)."""
    check_same_device(input, other)
    na, nb = input._data.ndim, other._data.ndim
    if na != 1 or nb != 1:
        raise RuntimeError(f"1D tensors expected, but got {na}D and {nb}D tensors")
    _check_dot(input, other)
    out = MatMul.apply(input, other)
    return overload(out, "VdotBackward0")


def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract ``dims`` (a count of trailing/leading dims, or two lists) of a and b: a permute and
    reshape of each into a matrix, one matmul, and a reshape back."""
    from .shape import permute, reshape
    check_same_device(a, b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a = list(range(-dims, 0))
        dims_b = list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError(f"both dimension lists should have same length")
    from ..tensor import _wrap_dim
    from .reduce import sum as _sum
    for da, db in zip(dims_a, dims_b):   # torch's message names the dims as given
        sa, sb = a._data.shape, b._data.shape
        if sb[db] == 1:     # a size-1 dim broadcasts against the other's: that one is summed right away, as torch
            a = _sum(a, da, keepdim=True)
        elif sa[da] == 1:
            b = _sum(b, db, keepdim=True)
        elif sa[da] != sb[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[da]} in dim {da} and "
                               f"second has size {sb[db]} in dim {db}")
    sa, sb = a._data.shape, b._data.shape
    dims_a = [_wrap_dim(d, a._data.ndim) for d in dims_a]
    dims_b = [_wrap_dim(d, b._data.ndim) for d in dims_b]
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.SCALAR_NAMES[a.dtype.name]} but found "
                           f"{dtypes.SCALAR_NAMES[b.dtype.name]}")
    free_a = [d for d in range(a._data.ndim) if d not in dims_a]
    free_b = [d for d in range(b._data.ndim) if d not in dims_b]
    k = int(np.prod([sa[d] for d in dims_a]))
    m = int(np.prod([sa[d] for d in free_a]))
    n = int(np.prod([sb[d] for d in free_b]))
    am = reshape(permute(a, free_a + dims_a), (m, k))
    bm = reshape(permute(b, dims_b + free_b), (k, n))
    result = reshape(mm(am, bm), tuple(sa[d] for d in free_a) + tuple(sb[d] for d in free_b))
    if out is not None:
        out.copy_(result)
        return out
    return result


def inner(input: Tensor, other: Tensor) -> Tensor:
    """sum over the last dims of both: a tensordot; a 0-d operand scales the other."""
    check_same_device(input, other)
    if input._data.ndim == 0 or other._data.ndim == 0:
        from .elementwise import mul
        return mul(input, other)
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(sa)} and {list(sb)}")
    return tensordot(input, other, ([-1], [-1]))


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: every element of input times the whole of other, as a block matrix: a
    broadcast product of interleaved dims, reshaped."""
    from .elementwise import mul
    from .shape import reshape
    check_same_device(input, other)
    n = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (n - input._data.ndim) + input._data.shape
    sb = (1,) * (n - other._data.ndim) + other._data.shape
    from ..autograd.inplace import forget_view
    a = reshape(input, tuple(x for s in sa for x in (s, 1)))
    b = reshape(other, tuple(x for s in sb for x in (1, s)))
    # torch's _unsafe_view: the same memory, but no view for autograd (a version counter of its own), so
    # the product's node saves tensors that an in-place change of input or other does not version
    for t in (a, b):
        forget_view(t)
    out = reshape(mul(a, b), tuple(p * q for p, q in zip(sa, sb)))
    forget_view(out)
    return overload(out, "UnsafeViewBackward0")


@autocast("lower")
def chain_matmul(*matrices) -> Tensor:
    """Deprecated torch alias of linalg.multi_dot for 2-D matrices (one matrix is returned as is)."""
    import warnings
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        if m._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        from .convert import clone
        return clone(matrices[0])
    return multi_dot(matrices)


def multi_dot(tensors) -> Tensor:
    """linalg.multi_dot: the product of a chain of matrices (first and last may be vectors), multiplied
    left to right."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    check_same_device(*tensors)
    last = len(tensors) - 1
    for i, t in enumerate(tensors):
        nd = t._data.ndim
        if (i in (0, last) and nd not in (1, 2)) or (0 < i < last and nd != 2):
            which = "first" if i == 0 else "last" if i == last else None
            if which:
                raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got {nd}D")
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{dtypes.SCALAR_NAMES[tensors[0].dtype.name]} and tensor {i} "
                               f"{dtypes.SCALAR_NAMES[t.dtype.name]}")
    from .shape import reshape
    first_vec, last_vec = tensors[0]._data.ndim == 1, tensors[-1]._data.ndim == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = reshape(mats[0], (1, -1))
    if last_vec:
        mats[-1] = reshape(mats[-1], (-1, 1))
    for i in range(len(mats) - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i]._data.shape)} and "
                               f"{list(mats[i + 1]._data.shape)} cannot be multiplied")
    result = mats[0]
    for m in mats[1:]:
        result = mm(result, m)
    shape = tuple(s for s, drop in zip(result._data.shape, (first_vec, last_vec)) if not drop)
    return reshape(result, shape) if shape != result._data.shape else result


class LinalgCross(Op):
    """z = a x b along dim;  dz/da = b x g,  dz/db = g x a"""

    @staticmethod
    def forward(ctx, a, b, dim):
        ctx.dim = dim
        need = ctx.needs_input_grad
        ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
        # np.cross moves dim last and back: torch's result is contiguous (a later .view() relies on it)
        return xp(a).ascontiguousarray(np.cross(a, b, axis=dim))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (LinalgCross.apply(b, g, ctx.dim) if need[0] else None,
                LinalgCross.apply(g, a, ctx.dim) if need[1] else None)


def _linalg_cross(input: Tensor, other: Tensor, dim: int, name: str) -> Tensor:
    from .shape import expand
    from ..tensor import _wrap_dim
    check_same_device(input, other)
    shape = broadcast_shape(input._data.shape, other._data.shape)
    dim = _wrap_dim(dim, len(shape))
    na, nb = input._data.ndim, other._data.ndim
    if na != nb:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    la, lb = input._data.shape[dim], other._data.shape[dim]
    if la != 3 or lb != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim - len(shape)} must have length 3. Got {la} and {lb}")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{name}: expected both inputs to have the same dtype, but input has "
                           f"{dtypes.SCALAR_NAMES[input.dtype.name]} and other has {dtypes.SCALAR_NAMES[other.dtype.name]}")
    if input._data.shape != shape:
        input = expand(input, shape)
    if other._data.shape != shape:
        other = expand(other, shape)
    return LinalgCross.apply(input, other, dim)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """torch.linalg.cross: the cross product along ``dim`` (default the last), inputs broadcast."""
    return _linalg_cross(input, other, dim, "linalg.cross")


def cross(input: Tensor, other: Tensor, dim=None) -> Tensor:
    """torch.cross: as linalg.cross, but without ``dim`` it takes the first dim of size 3 (deprecated)."""
    if dim is None:
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = broadcast_shape(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _linalg_cross(input, other, dim, "linalg.cross")


class Cdist(Op):
    """z_ij = ||x1_i - x2_j||_p;  dz/dx1_i = sum_j g_ij dn_ij, dz/dx2_j = -sum_i g_ij dn_ij with dn the
    p-norm's gradient at d = x1_i - x2_j: sgn(d)|d|^(p-1) / z^(p-1) (0 where z = 0; p=1: sgn(d);
    p=inf: sgn(d) where |d| = z, every tie in full; p=0: 0)"""

    @staticmethod
    def forward(ctx, x1, x2, p):
        ctx.p = p
        diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
        if p == 0:
            out = (diff != 0).sum(-1)
        elif p == 1:
            out = diff.sum(-1)
        elif p == 2:
            out = np.sqrt((diff * diff).sum(-1))
        elif p == np.inf:
            out = diff.max(-1, initial=0)
        else:
            out = (diff ** p).sum(-1) ** (1 / p)
        out = out.astype(x1.dtype)
        ctx.save_for_backward(x1, x2, out)   # (the result too, as torch's node: writing it is a version error)
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, out = ctx.saved_tensors
        return CdistBackward.apply(g, x1, x2, Tensor._make(out._data), ctx.p)


class CdistBackward(Op):
    """cdist's gradients (see Cdist), computed on arrays; like torch's _cdist_backward it has no derivative"""

    @staticmethod
    def forward(ctx, g, x1, x2, z, p):
        d = x1[..., :, None, :] - x2[..., None, :, :]
        z = z[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                dn = np.zeros_like(d)
            elif p == 1:
                dn = np.sign(d)
            elif p == np.inf:
                dn = np.sign(d) * (np.abs(d) == z)
            elif p < 2:
                dn = np.where(z == 0, 0, np.sign(d) * np.abs(d) ** (p - 1) / z ** (p - 1))
            else:
                dn = np.where(z == 0, 0, d * np.abs(d) ** (p - 2) / z ** (p - 1))
        weighted = g[..., None] * dn
        return weighted.sum(-2).astype(x1.dtype), (-weighted.sum(-3)).astype(x2.dtype)

    @staticmethod
    def backward(ctx, g1, g2):
        raise NotImplementedError("the derivative for '_cdist_backward' is not implemented.")


@autocast("fp32")
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Distances between the rows of x1 and of x2, batched (p = 2 with the mm mode, or more than 25
    rows without a mode: sqrt(|x1|^2 - 2 x1 x2^T + |x2|^2), as torch computes it there)."""
    from .shape import expand
    check_same_device(x1, x2)
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t._data.ndim}D")
    c1, c2 = x1._data.shape[-1], x2._data.shape[-1]
    if c1 != c2:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {c1} X2: {c2}")
    if not dtypes.is_floating(x1._data.dtype) or not dtypes.is_floating(x2._data.dtype):
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {dtypes.SCALAR_NAMES[x1.dtype.name]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    batch = broadcast_shape(x1._data.shape[:-2], x2._data.shape[:-2])
    r1, r2 = x1._data.shape[-2], x2._data.shape[-2]
    x1 = expand(x1, batch + (r1, c1)) if x1._data.shape[:-2] != batch else x1
    x2 = expand(x2, batch + (r2, c1)) if x2._data.shape[:-2] != batch else x2
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or
                         (compute_mode == modes[0] and (r1 > 25 or r2 > 25)))
    if use_mm:
        return _euclidean_dist(x1, x2)
    return Cdist.apply(x1, x2, float(p))


def _euclidean_dist(x1: Tensor, x2: Tensor) -> Tensor:
    """torch's matrix-product form of the Euclidean distance, term for term (its rounding too)."""
    from .math import clamp, sqrt
    from .reduce import sum as sum_
    from .shape import cat
    from ..creation import ones_like
    n1 = sum_(x1 * x1, -1, keepdim=True)
    n2 = sum_(x2 * x2, -1, keepdim=True)
    one1, one2 = ones_like(n1), ones_like(n2)
    a = cat([x1 * -2, n1, one1], -1)
    b = cat([x2, one2, n2], -1)
    return sqrt(clamp(matmul(a, _mT(b)), min=0))


class BlockDiag(Op):
    """z = the inputs placed along the diagonal of a zero matrix;  dz/dx_k = g's block k"""

    @staticmethod
    def forward(ctx, *blocks, dtype):
        ctx.blocks = [b.shape for b in blocks]
        rows = sum(s[0] for s in ctx.blocks) if blocks else 1   # torch: block_diag() is 1 x 0
        cols = sum(s[1] for s in ctx.blocks)
        out = xp(blocks[0] if blocks else np.zeros(0)).zeros((rows, cols), dtype=dtype)
        r = c = 0
        for b in blocks:
            out[r:r + b.shape[0], c:c + b.shape[1]] = b
            r, c = r + b.shape[0], c + b.shape[1]
        return out

    @staticmethod
    def backward(ctx, g):
        grads, r, c = [], 0, 0
        for (m, n), need in zip(ctx.blocks, ctx.needs_input_grad):
            grads.append(g[r:r + m, c:c + n] if need else None)
            r, c = r + m, c + n
        return tuple(grads)


def block_diag(*tensors) -> Tensor:
    from .shape import reshape
    check_same_device(*tensors) if tensors else None
    blocks = []
    for i, t in enumerate(tensors):
        nd = t._data.ndim
        if nd > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {nd} "
                               f"dimensions")
        blocks.append(t if nd == 2 else reshape(t, (1, -1)))
    dtype = dtypes.result_type(*tensors) if tensors else dtypes.get_default_dtype()
    blocks = [b if b._data.dtype == dtype.np else b.to(dtype) for b in blocks]
    return BlockDiag.apply(*blocks, dtype=dtype.np)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-D input, as rows: each input broadcast along the
    others' dims, flattened, stacked as columns."""
    from .shape import expand, reshape, stack
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    sizes = tuple(t._data.shape[0] for t in tensors)
    columns = []
    for k, t in enumerate(tensors):
        shape = tuple(n if i == k else 1 for i, n in enumerate(sizes))
        columns.append(reshape(expand(reshape(t, shape), sizes), (-1,)))
    return stack(columns, 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-element combinations of a 1-D input (itertools' order), as rows: index gathers, stacked."""
    import itertools
    from .shape import stack
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:   # torch: an empty 1-D tensor, not part of the graph
        from ..creation import empty
        return empty(0, dtype=input.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(pick(range(input._data.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    from .index import take   # (torch's columns are masked_selects: their nodes save the input)
    return stack([take(input, Tensor._make(index[:, k])) for k in range(r)], 1)


# -- einsum ---------------------------------------------------------------------------------------
class Einsum(Op):
    """z = einsum(subs -> out, *xs);  dz/dx_k = einsum(out, subs of the others -> subs_k) of g and the
    others, broadcast over labels only x_k has and put on the diagonal of x_k's repeated labels"""

    @staticmethod
    def forward(ctx, *arrays, inputs, output):
        ctx.inputs, ctx.output = inputs, output
        ctx.sizes = _label_sizes(inputs, [a.shape for a in arrays])
        need = ctx.needs_input_grad
        ctx.save_for_backward(*(x if any(need[:k] + need[k + 1:]) else None for k, x in enumerate(arrays)))
        eq = ",".join(inputs) + "->" + output
        # NumPy's path optimizer (pairwise contractions, BLAS) pays off for 3+ operands or big ones
        optimize = len(arrays) > 2 or (len(arrays) == 2 and arrays[0].size * arrays[1].size > 1 << 16)
        return np.einsum(eq, *arrays, optimize=optimize)

    @staticmethod
    def backward(ctx, g):
        xs = ctx.saved_tensors
        inputs, output, sizes = ctx.inputs, ctx.output, ctx.sizes
        grads = []
        for k, subs in enumerate(inputs):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [(s, x) for j, (s, x) in enumerate(zip(inputs, xs)) if j != k]
            grads.append(_einsum_operand_grad(g, output, others, subs, sizes))
        return tuple(grads)


def _einsum_operand_grad(g, output, others, subs, sizes):
    """The gradient of the operand with subscripts ``subs`` (see Einsum's docstring)."""
    from .shape import expand, reshape
    unique = "".join(dict.fromkeys(subs))
    available = set(output).union(*(set(s) for s, _ in others))
    wanted = "".join(l for l in unique if l in available)
    grad = _einsum([output] + [s for s, _ in others], wanted, [g] + [x for _, x in others])
    # Labels this operand alone sizes (absent from the others, or 1 there): the gradient is the same
    # all along them, so it is broadcast to their full size.
    computed = iter(grad._data.shape)
    shape = tuple(next(computed) if l in available else 1 for l in unique)
    full = tuple(sizes[l] for l in unique)
    if shape != grad._data.shape:
        grad = reshape(grad, shape)
    if shape != full:
        grad = expand(grad, full)
    if len(unique) < len(subs):
        # repeated labels (a diagonal): the gradient lives on the diagonal only
        first = {}
        shape, mask = [], None
        for p, l in enumerate(subs):
            shape.append(sizes[l] if l not in first else 1)
            first.setdefault(l, p)
        grad = reshape(grad, tuple(shape))
        xpm = xp(g._data)
        for p, l in enumerate(subs):
            q = first[l]
            if q != p:
                n = sizes[l]
                view = [1] * len(subs)
                view[q] = view[p] = n
                eye = xpm.eye(n, dtype=g._data.dtype).reshape(view)
                mask = eye if mask is None else mask * eye
        grad = grad * Tensor._make(mask)
    return grad


def _einsum(inputs, output, tensors):
    """einsum on already checked, explicit subscripts (one letter per dim, no ellipsis)."""
    return Einsum.apply(*tensors, inputs=tuple(inputs), output=output)


def _label_sizes(inputs, shapes):
    """Each label's size: the one size other than 1 it has in the operands (1 broadcasts)."""
    sizes = {}
    for term, shape in zip(inputs, shapes):
        for l, n in zip(term, shape):
            if sizes.setdefault(l, n) == 1:
                sizes[l] = n
    return sizes


def _sublist_equation(args):
    """einsum(op1, sublist1, op2, sublist2, ..., [sublist_out]) as an equation and operands."""
    letters = string.ascii_uppercase + string.ascii_lowercase

    def text(sublist):
        out = []
        for s in sublist:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                out.append(letters[s])
            else:
                raise RuntimeError(f"einsum(): expected subscript to be within the range [0, 52), but got {s}")
        return "".join(out)
    operands, terms = list(args[0:len(args) - len(args) % 2:2]), [text(s) for s in args[1::2]]
    equation = ",".join(terms[:len(operands)])
    if len(args) % 2:
        equation += "->" + text(args[-1])
    return equation, operands


def _parse_einsum(equation: str, shapes):
    """Explicit subscripts: one letter per dim (ellipsis dims get letters of their own) for each operand
    and for the output. Raises torch's errors for a malformed equation or mismatched sizes."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for i, ch in enumerate(equation):
        if not (ch in string.ascii_letters or ch in ".,->"):
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts "
                               f"must be in [a-zA-Z]")
    spare = iter(l for l in string.ascii_letters[::-1] if l not in equation)
    ell_ndim = 0
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        n_labels = len(term.replace("...", ""))
        if "..." in term:
            if term.count("...") > 1 or "." in term.replace("...", "", 1):
                raise RuntimeError(f"einsum(): found more than one ellipsis for operand {k}")
            if n_labels > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_labels}) is more than the "
                                   f"number of dimensions ({len(shape)}) for operand {k}")
            ell_ndim = max(ell_ndim, len(shape) - n_labels)
        elif n_labels != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_labels}) does not match the "
                               f"number of dimensions ({len(shape)}) for operand {k} and no ellipsis was given")
    ell = "".join(next(spare) for _ in range(ell_ndim))
    inputs = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            n = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", ell[ell_ndim - n:])
        inputs.append(term)
    sizes = {}
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        seen = {}
        for l, n in zip(term, shape):
            if l in seen and seen[l] != n:
                raise RuntimeError(f"einsum(): subscript {l} is repeated for operand {k} but the sizes don't match, "
                                   f"{n} != {seen[l]}")
            seen[l] = n
            old = sizes.setdefault(l, n)
            if n != old and n != 1 and old != 1:
                raise RuntimeError(f"einsum(): subscript {l} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {old}")
            if old == 1:
                sizes[l] = n
    if arrow:
        if "..." in rhs:
            rhs = rhs.replace("...", ell, 1)
        for l in rhs:
            if l == ".":
                raise RuntimeError("einsum(): found more than one ellipsis in the output")
            if l not in sizes:
                raise RuntimeError(f"einsum(): output subscript {l} does not appear in the equation for any input "
                                   f"operand")
            if rhs.count(l) > 1:
                raise RuntimeError(f"einsum(): output subscript {l} appears more than once in the output")
        output = rhs
    else:
        counts = {}
        for term in inputs:
            for l in term:
                counts[l] = counts.get(l, 0) + 1
        output = ell + "".join(sorted(l for l, c in counts.items() if c == 1 and l not in ell))
    return inputs, output


@autocast("lower")
def einsum(*args) -> Tensor:
    if args and isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    operands = list(operands)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    check_same_device(*operands)
    first = operands[0]._data.dtype
    for t in operands[1:]:
        if t._data.dtype != first:
            raise RuntimeError(f"expected scalar type {dtypes.SCALAR_NAMES[operands[0].dtype.name]} but found "
                               f"{dtypes.SCALAR_NAMES[t.dtype.name]}")
    inputs, output = _parse_einsum(equation, [t._data.shape for t in operands])
    return _einsum(inputs, output, operands)
