"""Datasets and the DataLoader, as torch.utils.data .

A DataLoader draws indices from a sampler, groups them into batches and collates the samples
into batched tensors, in this process or in worker processes. Shuffling and the other random
samplers draw what torch's draw under the same seed: a fresh permutation per epoch from the
loader's ``generator`` if given, else from a generator seeded by one draw from the global one.

Datasets backed by whole arrays (TensorDataset, and Subsets of it) also implement
``_fetch_batch(indices)``, which the loader uses with the default collate: one fancy-indexing
call per tensor instead of one per sample plus a stack, with the same result.
"""
from . import _utils, dataloader, dataset, sampler  # noqa: F401  (torch's module paths)
from ._utils.collate import default_collate, default_convert
from ._utils.worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
                      random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "StackDataset",
           "Subset", "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DataLoader", "default_collate", "default_convert",
           "get_worker_info", "WorkerInfo"]
