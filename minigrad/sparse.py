"""Sparse COO tensors, enough for graph models: ``sparse_coo_tensor``, ``Tensor.to_sparse``,
``to_dense``, ``coalesce``, ``sparse.mm`` / ``sparse @ dense`` / ``torch.mm(sparse, dense)`` and
``sparse.sum``.

A sparse tensor holds its indices (an int64 array, sparse_dim x nnz), its values (a dense Tensor of
nnz rows, which carries the autograd graph) and its size. Gradients reach the values and the dense
operands: the gradient of a product with respect to the sparse factor is taken at its nonzeros only,
which is what ``torch.sparse.mm`` returns (a sparse gradient) and what the values of a sparse tensor
built by ``sparse_coo_tensor(indices, values)`` receive under ``torch.mm`` too.
"""
from __future__ import annotations

import numpy as np

from .ops._util import Op, Tensor

__all__ = ["mm", "sum", "SparseCOOTensor", "sparse_coo_tensor", "layout", "strided", "sparse_coo"]


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
        self._values = values
        self._size = tuple(int(s) for s in size)
        self._coalesced = coalesced

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
        return self._values.dtype

    @property
    def device(self):
        return self._values.device

    @property
    def requires_grad(self):
        return self._values.requires_grad

    @property
    def grad(self):
        """The gradient of a sparse leaf: sparse, at this tensor's distinct indices (coalesced, as torch's).
        Every copy of a duplicated index has the same gradient, so the first one's is taken."""
        g = self._values.grad
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
        return self._values.ndim - 1

    def indices(self):
        return Tensor._make(self._indices_array)

    _indices = indices

    def values(self):
        return self._values

    _values_ = values

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
        values = SumDuplicates.apply(self._values, inverse.reshape(-1), len(unique))
        return SparseCOOTensor(indices, values, self._size, True)

    def to_dense(self):
        return SparseToDense.apply(self._values, self._indices_array, self._size)

    def to_sparse(self):
        return self

    def __matmul__(self, other):
        return mm(self, other)

    def t(self):
        if self.sparse_dim() != 2:
            raise RuntimeError("t() expects a tensor with <= 2 sparse and 0 dense dimensions")
        return SparseCOOTensor(self._indices_array[::-1].copy(), self._values, self._size[::-1])

    def __repr__(self):
        return (f"tensor(indices={self.indices()!r},\n       values={self._values!r},\n       size={self._size}, "
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
    return SparseMM.apply(mat1._values, mat2, rows, cols, m)


def sum(input, dim=None, dtype=None):
    """The sum of all values (a dense 0-d tensor), or over ``dim`` (of the dense form)."""
    if not getattr(input, "is_sparse", False):
        from .ops.reduce import sum as dense_sum
        return dense_sum(input, dim)
    if dim is None:
        return input._values.sum() if dtype is None else input._values.sum().to(dtype)
    out = input.to_dense().sum(dim)
    return to_sparse(out) if out.ndim else out
