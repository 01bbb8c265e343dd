"""Sparse COO tensors, enough for graph models: ``sparse_coo_tensor``, ``Tensor.to_sparse``,
``to_dense``, ``coalesce``, ``sparse.mm`` / ``sparse @ dense`` / ``torch.mm(sparse, dense)`` /
``torch.spmm`` / ``dense @ sparse``, ``sparse.sum``, and the arithmetic torch defines between layouts:

    dense + sparse, dense - sparse   -> dense     (sparse + dense: torch's RuntimeError)
    sparse + sparse, sparse - sparse -> sparse    (coalesced when both are)
    sparse * scalar, sparse / scalar -> sparse    (the same indices)
    sparse * dense, dense * sparse   -> sparse    (at the sparse operand's indices)
    sparse * sparse                  -> sparse    (their intersection when both are coalesced)

Every result is built from differentiable ops on the values (``to_dense``, gathers, concatenation),
so the same arithmetic carries the gradients. An uncoalesced result may list its entries in another
order than torch's (torch's order is an implementation detail); its dense form, its ``coalesce()``
and its ``is_coalesced()`` flag are torch's.

A sparse tensor holds its indices (an int64 array, sparse_dim x nnz), its values (a dense Tensor of
nnz rows, which carries the autograd graph) and its size. Gradients reach the values and the dense
operands: the gradient of a product with respect to the sparse factor is taken at its nonzeros only,
which is what ``torch.sparse.mm`` returns (a sparse gradient) and what the values of a sparse tensor
built by ``sparse_coo_tensor(indices, values)`` receive under ``torch.mm`` too.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from .ops._util import Op, Tensor

__all__ = ["mm", "sum", "add", "mul", "spmm", "softmax", "log_softmax", "index_select", "SparseCOOTensor", "sparse_coo_tensor", "layout", "strided",
           "sparse_coo"]


class layout:
    """torch.layout: how a tensor's elements are stored (torch.strided, torch.sparse_coo)."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"minigrad.{self._name}"


strided = layout("strided")
sparse_coo = layout("sparse_coo")


class SparseToDense(Op):
    """Z = the dense tensor with the values at the indices (duplicates summed);  dZ/dvalues = g at the indices"""

    node_name = "ToDenseBackward0"

    @staticmethod
    def forward(ctx, values, indices, size):
        ctx.indices = indices
        out = np.zeros(size, dtype=values.dtype)
        np.add.at(out, tuple(indices), values)
        return out

    @staticmethod
    def backward(ctx, g):
        return g[tuple(Tensor._make(i) for i in ctx.indices)]


class SparseMM(Op):
    """Z = S D, S (m x n) given by values at (rows, cols);  dZ/dvalues_k = <g[row_k], D[col_k]>,
    dZ/dD = S^T g (the same product with rows and cols swapped)"""

    node_name = "SparseAddmmBackward0"

    @staticmethod
    def forward(ctx, values, dense, rows, cols, m):
        ctx.rows, ctx.cols, ctx.n = rows, cols, dense.shape[0]
        ctx.save_for_backward(values, dense)
        out = np.zeros((m,) + dense.shape[1:], dtype=dense.dtype)
        np.add.at(out, rows, values.reshape((-1,) + (1,) * (dense.ndim - 1)) * dense[cols])
        return out

    @staticmethod
    def backward(ctx, g):
        from .ops.reduce import sum as sum_
        values, dense = ctx.saved_tensors
        rows, cols = Tensor._make(ctx.rows), Tensor._make(ctx.cols)
        g_values = None
        if ctx.needs_input_grad[0]:
            picked = g[rows] * dense[cols]
            g_values = sum_(picked, tuple(range(1, picked.ndim))) if picked.ndim > 1 else picked
        g_dense = SparseMM.apply(values, g, ctx.cols, ctx.rows, ctx.n) if ctx.needs_input_grad[1] else None
        return g_values, g_dense


class SumDuplicates(Op):
    """z_u = sum of the values whose index is the u-th distinct one;  dz/dvalues_k = g[u(k)]"""

    node_name = "CoalesceBackward0"

    @staticmethod
    def forward(ctx, values, inverse, n):
        ctx.inverse = inverse
        out = np.zeros((n,) + values.shape[1:], dtype=values.dtype)
        np.add.at(out, inverse, values)
        return out

    @staticmethod
    def backward(ctx, g):
        return g[Tensor._make(ctx.inverse.astype(np.int64))]


class SparseCOOTensor:
    """A sparse COO tensor (torch.sparse_coo layout). See the module's docstring."""

    is_sparse = True
    layout = sparse_coo

    def __init__(self, indices: np.ndarray, values: Tensor, size: tuple, coalesced: bool = False,
                 leaf: bool = False):
        self._leaf = leaf     # created with requires_grad=True: a leaf whose .grad is read
        self._indices_array = indices
        self._vals = values
        self._size = tuple(int(s) for s in size)
        self._coalesced = coalesced or indices.shape[1] <= 1   # (torch: one entry or none is coalesced)

    # -- torch's accessors
    @property
    def shape(self):
        from .tensor import Size
        return Size(self._size)

    def size(self, dim=None):
        return self.shape if dim is None else self._size[dim]

    def dim(self):
        return len(self._size)

    ndim = property(dim)

    @property
    def dtype(self):
        return self._vals.dtype

    @property
    def device(self):
        return self._vals.device

    @property
    def requires_grad(self):
        return self._vals.requires_grad

    @property
    def grad(self):
        """The gradient of a sparse leaf: sparse, at this tensor's distinct indices (coalesced, as torch's).
        Every copy of a duplicated index has the same gradient, so the first one's is taken."""
        g = self._vals.grad
        if g is None:
            return None
        dims = self._size[:self.sparse_dim()]
        flat = np.ravel_multi_index(tuple(self._indices_array), dims) if self._nnz() else np.zeros(0, np.int64)
        unique, first = np.unique(flat, return_index=True)
        indices = np.array(np.unravel_index(unique, dims), dtype=np.int64).reshape(self.sparse_dim(), -1)
        return SparseCOOTensor(indices, Tensor._make(g._data[first]), self._size, True)

    def sparse_dim(self):
        return self._indices_array.shape[0]

    def dense_dim(self):
        return self._vals.ndim - 1

    def indices(self):
        return Tensor._make(self._indices_array)

    _indices = indices

    def values(self):
        return self._vals

    _values = values

    def _nnz(self):
        return self._indices_array.shape[1]

    def is_coalesced(self):
        return self._coalesced

    def coalesce(self):
        """Indices sorted, duplicates summed (their values added, a differentiable gather-sum)."""
        if self._coalesced:
            return self
        flat = np.ravel_multi_index(tuple(self._indices_array), self._size[:self.sparse_dim()]) \
            if self._nnz() else np.zeros(0, np.int64)
        unique, inverse = np.unique(flat, return_inverse=True)
        indices = np.array(np.unravel_index(unique, self._size[:self.sparse_dim()]), dtype=np.int64).reshape(
            self.sparse_dim(), -1)
        values = SumDuplicates.apply(self._vals, inverse.reshape(-1), len(unique))
        return SparseCOOTensor(indices, values, self._size, True)

    def to_dense(self):
        return SparseToDense.apply(self._vals, self._indices_array, self._size)

    def to_sparse(self):
        return self

    def __matmul__(self, other):
        return mm(self, other)

    def t(self):
        if self.sparse_dim() != 2:
            raise RuntimeError("t() expects a tensor with <= 2 sparse and 0 dense dimensions")
        return SparseCOOTensor(self._indices_array[::-1].copy(), self._vals, self._size[::-1])

    # -- arithmetic (the module's docstring lists what each combination of layouts gives)
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):   # dense + sparse (Tensor.__add__ declined the sparse operand)
        return add(other, self)

    def __sub__(self, other):
        return add(self, other, alpha=-1)

    def __rsub__(self, other):   # dense - sparse
        return add(other, self, alpha=-1)

    def __mul__(self, other):
        return mul(self, other)

    __rmul__ = __mul__           # dense * sparse is sparse too, as in torch

    def __truediv__(self, other):
        if not _is_scalar(other):
            raise RuntimeError("sparse division is only supported by a scalar or a zero-dim dense tensor")
        return self._with_values(self._vals / other)

    def __neg__(self):
        return self._with_values(-self._vals)

    def __rmatmul__(self, other):   # dense @ sparse
        return dense_mm(other, self)

    def sum(self, dim=None, dtype=None):
        return sum(self, dim, dtype)

    def index_select(self, dim, index):
        return index_select(self, dim, index)

    # -- in place: the result of the same op becomes this tensor's indices and values
    def add_(self, other, *, alpha=1):
        return self._become(add(self, other, alpha=alpha), "add")

    def sub_(self, other, *, alpha=1):
        return self._become(add(self, other, alpha=-alpha), "add")

    def mul_(self, other):
        return self._become(mul(self, other), "mul")

    def div_(self, other):
        return self._become(self / other, "mul")

    def _become(self, result, op: str):
        """torch's rules for the result's dtype: add_ casts it to this tensor's dtype within a category
        (float64 into float32) and refuses a higher one; mul_ and div_ take only this tensor's dtype."""
        from .autograd import grad_mode
        if self._leaf and self.requires_grad and grad_mode.is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if result.dtype != self.dtype:
            mine, theirs = dtypes.SCALAR_NAMES[self.dtype.name], dtypes.SCALAR_NAMES[result.dtype.name]
            if op == "mul":
                raise RuntimeError(f"dtype of values ({theirs}) must match dtype of sparse tensor ({mine})")
            if result.dtype.category > self.dtype.category:
                raise RuntimeError(f"Can't convert result type {theirs} to output {mine} in add operation")
            result = result.to(self.dtype)
        self._indices_array, self._vals, self._coalesced = result._indices_array, result._vals, result._coalesced
        return self

    def _with_values(self, values):
        """The same indices (and coalesced flag) holding other values."""
        return SparseCOOTensor(self._indices_array, values, self._size, self._coalesced)

    # -- dtype, device, autograd
    def to(self, *args, **kwargs):
        return self._with_values(self._vals.to(*args, **kwargs))

    def cpu(self):
        return self

    def float(self):
        return self._with_values(self._vals.float())

    def double(self):
        return self._with_values(self._vals.double())

    def detach(self):
        return self._with_values(self._vals.detach())

    def clone(self):
        return SparseCOOTensor(self._indices_array.copy(), self._vals.clone(), self._size, self._coalesced)

    def __repr__(self):
        return (f"tensor(indices={self.indices()!r},\n       values={self._vals!r},\n       size={self._size}, "
                f"nnz={self._nnz()}, layout=minigrad.sparse_coo)")


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None) -> SparseCOOTensor:
    """A sparse tensor with ``values[k]`` at ``indices[:, k]`` (duplicates are summed when read)."""
    import minigrad
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"indices must be an int64 tensor")
    idx = idx.astype(np.int64).reshape(idx.shape[0] if idx.ndim else 0, -1)
    if not isinstance(values, Tensor):
        values = minigrad.tensor(values, dtype=dtype)
    elif dtype is not None:
        values = values.to(dtype)
    if idx.shape[1] != values.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {idx.shape[1]}, nnz "
                           f"from values: {values.shape[0]}")
    if size is None:
        size = tuple(int(i.max()) + 1 if i.size else 0 for i in idx) + tuple(values.shape[1:])
    size = tuple(size)
    for d, row in enumerate(idx):   # (torch checks these only with check_invariants=True; minigrad always)
        if row.size and (row.min() < 0 or row.max() >= size[d]):
            bad = int(row.max()) if row.max() >= size[d] else int(row.min())
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {size[d]} but found index "
                               f"{bad}")
    if requires_grad:
        values = values.detach().requires_grad_()
    return SparseCOOTensor(idx, values, size, bool(is_coalesced), leaf=requires_grad)


def to_sparse(input: Tensor, sparse_dim=None) -> SparseCOOTensor:
    """The nonzeros of a dense tensor (their values a differentiable gather of it)."""
    if sparse_dim is not None and sparse_dim != input.ndim:
        raise NotImplementedError("minigrad: to_sparse with dense dims is not supported")
    idx = np.array(np.nonzero(input._data), dtype=np.int64).reshape(input.ndim, -1)
    values = input[tuple(Tensor._make(i) for i in idx)] if input.ndim else input.reshape(1)
    return SparseCOOTensor(idx, values, input.shape, True)


def mm(mat1, mat2: Tensor) -> Tensor:
    """sparse (m x n) @ dense (n x p) -> dense (m x p), with gradients for mat1's values and for mat2."""
    if not getattr(mat1, "is_sparse", False):
        from .ops.linalg import mm as dense_mm
        return dense_mm(mat1, mat2)
    if mat1.sparse_dim() != 2 or mat1.dense_dim() != 0:
        raise RuntimeError("sparse.mm: expected a 2-D sparse matrix")
    if mat2.ndim not in (1, 2):
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    m, n = mat1._size
    if mat2.shape[0] != n:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {n}, got {mat2.shape[0]}")
    if mat1.dtype != mat2.dtype:
        raise RuntimeError(f"expected mat1 and mat2 to have the same dtype, but got {mat1.dtype} != {mat2.dtype}")
    rows, cols = mat1._indices_array
    return SparseMM.apply(mat1._vals, mat2, rows, cols, m)


def sum(input, dim=None, dtype=None):
    """The sum of all values (a dense 0-d tensor), or over ``dim`` (of the dense form)."""
    if not getattr(input, "is_sparse", False):
        from .ops.reduce import sum as dense_sum
        return dense_sum(input, dim)
    if dim is None:
        return input._vals.sum() if dtype is None else input._vals.sum().to(dtype)
    out = input.to_dense().sum(dim)
    return to_sparse(out) if out.ndim else out


def spmm(input, mat2: Tensor) -> Tensor:
    """torch.spmm: torch.mm for a sparse first operand."""
    from .ops.linalg import mm as any_mm
    return any_mm(input, mat2)


def _is_sparse(x) -> bool:
    return getattr(x, "is_sparse", False)


def _is_scalar(x) -> bool:
    return isinstance(x, (bool, int, float, np.number)) or (isinstance(x, Tensor) and x.ndim == 0)


def _refuse_sparse_leaf(sparse, op: str):
    """torch gives a sparse leaf a *dense* gradient under these ops (every element of the result
    depends on it), which the values of a sparse tensor cannot hold: refuse rather than return the
    gradient at the nonzeros only."""
    if sparse._leaf and sparse.requires_grad:
        raise NotImplementedError(f"minigrad: {op} with a sparse leaf that requires grad gives it a dense gradient "
                                  "in torch, which minigrad does not compute; build the sparse tensor from values "
                                  "that require grad instead")


def _entries(s) -> np.ndarray:
    """Each entry's position in the sparse dims, as one flat (row-major) index."""
    if not s._nnz():
        return np.zeros(0, np.int64)
    return np.ravel_multi_index(tuple(s._indices_array), s._size[:s.sparse_dim()])


def _check_same_sparse_size(a, b):
    if a._size != b._size:
        raise RuntimeError(f"add: expected sizes of 'self' and 'other' to match, but {list(a._size)} != "
                           f"{list(b._size)}")
    if a.sparse_dim() != b.sparse_dim():
        raise RuntimeError(f"Expected a and b to have the same number of sparse dimensions, but got {a.sparse_dim()} "
                           f"and {b.sparse_dim()}")


def add(input, other, *, alpha=1):
    """torch.add across layouts: dense + alpha * sparse is dense (its gradient reaches the dense
    operand whole and the sparse one's values at their indices); sparse + alpha * sparse is sparse,
    the two entry lists joined (and summed into one coalesced list when both are coalesced)."""
    from .ops.elementwise import add as dense_add, sub as dense_sub
    from .ops.shape import cat
    if not _is_sparse(input):
        if not _is_sparse(other):
            return dense_add(input, other, alpha=alpha)
        if not isinstance(input, Tensor) or tuple(input.shape) != other._size:
            size = list(input.shape) if isinstance(input, Tensor) else []
            raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size {size} while "
                               f"other has size {list(other._size)} (FYI: dense-sparse addition does not currently "
                               "support broadcasting)")
        _refuse_sparse_leaf(other, "dense + sparse")
        if alpha == -1:   # dense - sparse: torch's SubBackward0
            return dense_sub(input, other.to_dense())
        return dense_add(input, other.to_dense(), alpha=alpha)
    if not _is_sparse(other):
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
    _check_same_sparse_size(input, other)
    scaled = other._vals if alpha == 1 else other._vals * alpha
    slots, n = _merge(_entries(input), _entries(other))
    values = SumDuplicates.apply(cat([input._vals, scaled]), slots, n)   # (cat promotes the dtypes, as add does)
    indices = np.zeros((input.sparse_dim(), n), np.int64)
    indices[:, slots] = np.concatenate([input._indices_array, other._indices_array], axis=1)
    return SparseCOOTensor(indices, values, input._size, input.is_coalesced() and other.is_coalesced())


def _merge(a: np.ndarray, b: np.ndarray):
    """torch's sparse + sparse: one pass over both entry lists in step, as when merging two sorted
    lists (which coalesced ones are): the smaller index is taken first, and two equal ones become one
    entry holding their sum. Returns each entry's slot in the result (a's, then b's) and the count."""
    slots = np.empty(len(a) + len(b), np.int64)
    a, b = a.tolist(), b.tolist()
    i = j = n = 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            if a[i] == b[j]:
                slots[len(a) + j] = n
                j += 1
            slots[i] = n
            i += 1
        else:
            slots[len(a) + j] = n
            j += 1
        n += 1
    rest_a, rest_b = len(a) - i, len(b) - j
    slots[i:len(a)] = np.arange(n, n + rest_a)
    slots[len(a) + j:] = np.arange(n + rest_a, n + rest_a + rest_b)
    return slots, n + rest_a + rest_b


def mul(input, other):
    """torch.mul across layouts: a sparse operand's entries times the other operand there (a scalar,
    or a dense tensor broadcast to the sparse size, read at each entry's index), so the result
    is sparse with the sparse operand's indices. Two coalesced sparse operands give their
    intersection; otherwise one's entries times the other's dense form."""
    if not _is_sparse(input):
        input, other = other, input   # dense * sparse: the product commutes (torch's result is sparse too)
    if isinstance(other, (bool, int, float, np.number)):
        return input._with_values(input._vals * other)
    if _is_sparse(other):
        if input._size != other._size:
            raise RuntimeError(f"mul: expected 'self' and 'other' to have same sizes, but {list(input._size)} != "
                               f"{list(other._size)}")
        if input.is_coalesced() and other.is_coalesced():
            common, at_input, at_other = np.intersect1d(_entries(input), _entries(other), assume_unique=True,
                                                        return_indices=True)
            values = input._vals[Tensor._make(at_input.astype(np.int64))] * \
                other._vals[Tensor._make(at_other.astype(np.int64))]
            return SparseCOOTensor(input._indices_array[:, at_input], values, input._size, True)
        # otherwise torch keeps the entries of the uncoalesced operand (of both: the one with fewer
        # entries, the second on a tie), each times the other operand's dense value there
        keep_input = other.is_coalesced() or (not input.is_coalesced() and input._nnz() < other._nnz())
        kept, masked = (input, other) if keep_input else (other, input)
        input, other = kept, masked.to_dense()
    if not isinstance(other, Tensor):
        raise TypeError(f"mul(): argument 'other' must be Tensor, not {type(other).__name__}")
    shape = np.broadcast_shapes(tuple(other.shape), input._size)
    if shape != input._size:
        raise NotImplementedError(f"minigrad: sparse * dense where the dense operand ({list(other.shape)}) "
                                  f"broadcasts the sparse one ({list(input._size)}) to a larger size")
    at_entries = other.expand(*input._size)[tuple(Tensor._make(i) for i in input._indices_array)]
    return input._with_values(input._vals * at_entries)


def dense_mm(input: Tensor, mat2) -> Tensor:
    """dense (m x n) @ sparse (n x p) -> dense (m x p): the transpose of mat2^T @ input^T, so the
    gradients are sparse @ dense's."""
    _refuse_sparse_leaf(mat2, "dense @ sparse")
    if mat2.sparse_dim() != 2 or mat2.dense_dim() != 0:
        raise RuntimeError("sparse.mm: expected a 2-D sparse matrix")
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    n, p = mat2._size
    if input.shape[1] != n:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and {n}x{p})")
    if input.dtype != mat2.dtype:
        raise RuntimeError(f"expected mat1 and mat2 to have the same dtype, but got {input.dtype} != {mat2.dtype}")
    rows, cols = mat2._indices_array
    return SparseMM.apply(mat2._vals, input.t(), cols, rows, p).t()


def _softmax(input, dim, dtype, log: bool):
    """Softmax over each line of stored entries along ``dim`` (the entries that share every other
    index); the entries not stored take no part, as in torch. Coalesced first, so duplicates count
    once with their sum, and the result is coalesced."""
    from .ops.activation import log_softmax as dense_log_softmax, softmax as dense_softmax
    from .ops.math import exp, log as log_
    s = input.coalesce()
    values = s._vals if dtype is None else s._vals.to(dtype)
    dim = dim + s.dim() if dim < 0 else dim
    if dim >= s.sparse_dim():   # a dense dimension: each entry's values, as a dense softmax
        along = dim - s.sparse_dim() + 1
        return s._with_values((dense_log_softmax if log else dense_softmax)(values, along))
    others = [d for d in range(s.sparse_dim()) if d != dim]
    if others:
        line = np.ravel_multi_index(tuple(s._indices_array[others]), tuple(s._size[d] for d in others))
    else:
        line = np.zeros(s._nnz(), np.int64)
    lines, line = np.unique(line, return_inverse=True)
    line = line.reshape(-1)
    # the largest value of each line (a constant: softmax does not depend on it) keeps exp in range
    largest = np.full((len(lines),) + values.shape[1:], -np.inf, dtype=values._data.dtype)
    np.maximum.at(largest, line, values._data)
    shifted = values - Tensor._make(largest[line])
    e = exp(shifted)
    total = SumDuplicates.apply(e, line, len(lines))[Tensor._make(line.astype(np.int64))]
    return s._with_values(shifted - log_(total) if log else e / total)


def softmax(input, dim: int, dtype=None):
    """torch.sparse.softmax: softmax over the stored entries of each line along ``dim``."""
    return _softmax(input, dim, dtype, log=False)


def log_softmax(input, dim: int, dtype=None):
    """torch.sparse.log_softmax."""
    return _softmax(input, dim, dtype, log=True)


def index_select(input, dim: int, index) -> SparseCOOTensor:
    """The entries whose index along ``dim`` is one of ``index``'s, renumbered by their position in
    ``index`` (an index listed twice copies its entries twice). In torch's order: by position in
    ``index``, then by the entries' order; never marked coalesced."""
    if not _is_sparse(input):
        from .ops.index import index_select as dense_index_select
        return dense_index_select(input, dim, index)
    idx = index._data if isinstance(index, Tensor) else None
    if idx is None or idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise IndexError("index_select() argument index must be 1-D strided (non-sparse) long-tensor.")
    dim = dim + input.dim() if dim < 0 else dim
    size = input._size[dim]
    bad = idx[(idx < -size) | (idx >= size)]
    if bad.size:
        raise IndexError(f"index_select(): index contains {int(bad[0])} that is out of range for tensor of size "
                         f"{list(input._size)} at dimension {dim}")
    idx = np.where(idx < 0, idx + size, idx).astype(np.int64)
    new_size = input._size[:dim] + (len(idx),) + input._size[dim + 1:]
    if dim >= input.sparse_dim():   # a dense dimension: select within each entry's values
        values = input._vals.index_select(dim - input.sparse_dim() + 1, Tensor._make(idx))
        return SparseCOOTensor(input._indices_array, values, new_size, input._coalesced)
    along = input._indices_array[dim]
    order = np.argsort(along, kind="stable")          # entries grouped by their index, in their order
    first = np.searchsorted(along[order], idx, "left")
    counts = np.searchsorted(along[order], idx, "right") - first
    starts = np.repeat(first, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    entries = order[starts + within]
    indices = input._indices_array[:, entries].copy()
    indices[dim] = np.repeat(np.arange(len(idx)), counts)
    return SparseCOOTensor(indices, input._vals[Tensor._make(entries.astype(np.int64))], new_size)
