"""Matrix products: matmul and its special cases (mm, bmm, mv, dot), outer, addmm, einsum.

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
from ._util import Op, overload, Tensor, broadcast_shape, xp

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "addmm", "einsum"]


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
    """z = a @ b;  dz/da = g @ b^T,  dz/db = a^T @ g   (1-D operands act as row / column vectors)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.ndims = (a.ndim, b.ndim)
        if ctx.ndims in _TORCH_NODES and (a.ndim != 3 or a.shape[0] == b.shape[0]):
            ctx.node_name = _TORCH_NODES[ctx.ndims]
        need = ctx.needs_input_grad
        ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
        return blas.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _grads(ctx, g, a, b)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    check_same_device(input, other)
    a, b = input._data, other._data
    # The common case (same dtype, matching inner dims, no 0-d operand) pays for one comparison each.
    if a.dtype != b.dtype or a.dtype.kind == "b" or a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0] \
            or (a.ndim > 2 and b.ndim > 2):
        _check_matmul(input, other)
    return MatMul.apply(input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
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
    out_shape = (sa[0], sb[1])
    if input._data.shape != out_shape:
        ishape = input._data.shape
        if len(ishape) > 2 or any(s not in (1, t) for s, t in zip(ishape[::-1], out_shape[::-1])):
            from .shape import expand
            expand(input, out_shape)   # raises torch's expand error
    return AddMM.apply(input, mat1, mat2, beta, alpha)


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
