"""Datasets and the DataLoader, as torch.utils.data (single process).

A DataLoader draws indices from a sampler, groups them into batches and collates the samples
into batched tensors. Shuffling draws a fresh permutation per epoch from a minigrad.Generator:
the loader's ``generator`` if given (reproducible, and its state can be checkpointed), else a
seed taken from the global generator (so ``minigrad.manual_seed`` makes runs repeatable).

Datasets backed by whole arrays (TensorDataset, and Subsets of it) also implement
``_fetch_batch(indices)``, which the loader uses with the default collate: one fancy-indexing
call per tensor instead of one per sample plus a stack, with the same result.
"""
from __future__ import annotations

import bisect
import math
import numbers
import warnings

import numpy as np

from ..random import Generator, default_generator
from ..tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
           "DataLoader", "default_collate"]


# -- datasets ------------------------------------------------------------------------------
class Dataset:
    """A map-style dataset: ``dataset[i]`` is the i-th sample; ``len(dataset)`` their number."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is iterated over rather than indexed (streams)."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")


class TensorDataset(Dataset):
    """Samples are ``(t[i] for t in tensors)``; all tensors share their first dimension."""

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        # (an int index gives a NumPy scalar, made a 0-d array again; a GPU array stays on the GPU)
        return tuple(t[index] if t.requires_grad else
                     Tensor._make(t._data[index] if hasattr(t._data, "__cuda_array_interface__") else
                                  np.asarray(t._data[index])) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)

    def _fetch_batch(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        return [Tensor._make(t._data[idx]) for t in self.tensors]


class ConcatDataset(Dataset):
    """The concatenation of several datasets."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        offset = idx if which == 0 else idx - self.cumulative_sizes[which - 1]
        return self.datasets[which][int(offset)]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def _fetch_batch(self):
        inner = getattr(self.dataset, "_fetch_batch", None)
        if inner is None:
            raise AttributeError("_fetch_batch")
        cached = self.__dict__.get("_index_array")
        if cached is None or len(cached) != len(self.indices):
            cached = self.__dict__["_index_array"] = np.asarray(self.indices, dtype=np.int64)
        return lambda indices: inner(cached[np.asarray(indices, dtype=np.int64)])


def random_split(dataset, lengths, generator: Generator = default_generator):
    """Split into non-overlapping Subsets of the given lengths (or fractions summing to 1)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(int(math.floor(len(dataset) * frac)))
        remainder = len(dataset) - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                              stacklevel=2)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = generator.np.permutation(sum(lengths)).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out


# -- samplers ------------------------------------------------------------------------------
class Sampler:
    """Yields dataset indices (or, for a batch sampler, lists of them)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _epoch_rng(generator):
    """The NumPy generator one epoch draws from: the given minigrad.Generator, or a fresh one
    seeded from the global generator (torch's RandomSampler does the same with its seed)."""
    if generator is not None:
        return generator.np
    seed = int(default_generator.np.integers(0, 2 ** 63 - 1))
    return np.random.Generator(np.random.PCG64(seed))


class RandomSampler(Sampler):
    """A random permutation per epoch (or ``num_samples`` draws with ``replacement``)."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _epoch_rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        reps, rest = divmod(self.num_samples, n)
        order = [i for _ in range(reps) for i in rng.permutation(n).tolist()]
        if rest:
            order += rng.permutation(n).tolist()[:rest]
        return iter(order)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _epoch_rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


# -- collation -----------------------------------------------------------------------------
def default_collate(batch):
    """Stack a list of samples into a batch, field by field, as torch's default_collate:
    tensors and arrays are stacked; ints become an int64 tensor, floats a float64 tensor, bools a
    bool tensor; tuples, lists and dicts are collated per field; strings are kept as a list."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        first = elem._data
        from ..ops._util import xp
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


# -- the loader ----------------------------------------------------------------------------
class DataLoader:
    """Iterate over a dataset in (shuffled) batches.

    Accepts torch's arguments; worker processes, pinned memory and prefetching are accepted for
    compatibility and ignored (loading runs in the calling process).
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor=None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._default_collate = collate_fn is None
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __len__(self) -> int:
        if self._iterable:
            return len(self.dataset)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        if self._iterable:
            return self._iter_iterable()
        if self.batch_sampler is None:  # batch_size=None: samples, one by one, uncollated stacks
            return (self._convert(self.dataset[i]) for i in self.sampler)
        return self._iter_batches()

    def _iter_batches(self):
        fetch = getattr(self.dataset, "_fetch_batch", None) if self._default_collate else None
        getitems = getattr(self.dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            if fetch is not None:
                yield fetch(indices)
            elif callable(getitems):
                yield self.collate_fn(getitems(indices))
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def _iter_iterable(self):
        if self.batch_size is None:
            yield from (self._convert(s) for s in self.dataset)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    @staticmethod
    def _convert(sample):
        """batch_size=None: NumPy arrays become tensors, nothing is stacked (torch's default_convert)."""
        if isinstance(sample, np.ndarray) and sample.dtype.kind not in "SUO":
            return Tensor._make(sample)
        if isinstance(sample, tuple):
            return tuple(DataLoader._convert(s) for s in sample)
        if isinstance(sample, list):
            return [DataLoader._convert(s) for s in sample]
        return sample

