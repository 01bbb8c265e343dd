"""Datasets and the DataLoader, as torch.utils.data (single process).

A DataLoader draws indices from a sampler, groups them into batches and collates the samples
into batched tensors. Shuffling draws a fresh permutation per epoch from a minigrad.Generator:
the loader's ``generator`` if given (reproducible, and its state can be checkpointed), else a
seed taken from the global generator (so ``minigrad.manual_seed`` makes runs repeatable).

Datasets backed by whole arrays (TensorDataset, and Subsets of it) also implement
``_fetch_batch(indices)``, which the loader uses with the default collate: one fancy-indexing
call per tensor instead of one per sample plus a stack, with the same result.
"""
from . import _utils, dataloader, dataset, sampler  # noqa: F401  (torch's module paths)
from ._utils.collate import default_collate
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
           "DataLoader", "default_collate"]
