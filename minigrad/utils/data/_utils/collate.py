"""Collation: a list of samples -> one batch (torch.utils.data._utils.collate)."""
from __future__ import annotations

import numbers

import numpy as np

from ....tensor import Tensor

__all__ = ["default_collate"]


def default_collate(batch):
    """Stack a list of samples into a batch, field by field, as torch's default_collate:
    tensors and arrays are stacked; ints become an int64 tensor, floats a float64 tensor, bools a
    bool tensor; tuples, lists and dicts are collated per field; strings are kept as a list."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        first = elem._data
        from ....ops._util import xp
        return Tensor._make(xp(first).stack([b._data for b in batch]))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SUO":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                            f"lists; found {elem.dtype}")
        return Tensor._make(np.stack(batch))
    if isinstance(elem, np.generic):
        return Tensor._make(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, dict):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, (tuple, list)):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")
