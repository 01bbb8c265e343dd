"""Collation: a list of samples -> one batch (torch.utils.data._utils.collate)."""
from __future__ import annotations

import collections.abc
import copy
import numbers

import numpy as np

from ....tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def _is_text_or_object_array(array) -> bool:
    return array.dtype.kind in "SUO"


def default_convert(data):
    """NumPy arrays (and NumPy scalars) inside ``data`` become tensors; containers are walked
    and rebuilt as torch's default_convert does (a tuple becomes a list); the rest is kept."""
    if isinstance(data, Tensor):
        return data
    if type(data).__module__ == "numpy" and not isinstance(data, (np.str_, np.bytes_)):
        if isinstance(data, np.ndarray) and _is_text_or_object_array(data):
            return data
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        return _rebuild_mapping(data, converted)
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like, items: dict):
    """A mapping of ``like``'s type holding ``items`` (torch: copy and update, else the type, else dict)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _rebuild_sequence(like, items: list):
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def default_collate(batch):
    """Stack a list of samples into a batch, field by field, as torch's default_collate:
    tensors and arrays are stacked; ints become an int64 tensor, floats a float64 tensor, bools a
    bool tensor, NumPy scalars a tensor of their dtype; mappings, namedtuples and sequences are
    collated per field (a tuple's fields come back as a list); strings are kept as a list."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        first = elem._data
        from ....ops._util import xp
        return Tensor._make(xp(first).stack([b._data for b in batch]))
    if isinstance(elem, np.ndarray):
        if _is_text_or_object_array(elem):
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                            f"lists; found {elem.dtype}")
        return Tensor._make(np.stack(batch))
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return Tensor._make(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        return _rebuild_sequence(elem, fields)
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")
