"""The DataLoader (torch.utils.data.dataloader).

Iterating a DataLoader creates an iterator, as torch's does: it draws a base seed from the
global generator (or the loader's ``generator``), then takes index batches from the sampler
and turns them into batches. With ``num_workers=0`` the batches are fetched in this process;
with ``num_workers > 0`` worker processes fetch them (up to ``prefetch_factor`` batches ahead
per worker, handed out round-robin, returned in order, or as they arrive with
``in_order=False``), each seeded from the base seed as torch's workers are. The same seed therefore gives the same batches, and leaves the global
generator in the same state, as in torch.
"""
from __future__ import annotations

import functools
import itertools
import multiprocessing
import queue
import warnings

import numpy as np

import minigrad
from ...random import Generator
from ._utils import worker as _worker
from ._utils.collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

get_worker_info = _worker.get_worker_info


class DataLoader:
    """Iterate over a dataset in (shuffled) batches, in this process or in worker processes.

    ``pin_memory`` is accepted and, as in torch without an accelerator, warned about and unused.
    ``in_order=False`` (with workers) yields each batch as soon as a worker returns it, and gives new
    work only to workers with fewer than their share of the outstanding batches, as torch does, so
    one slow batch does not hold up the others; in one process batches come in order, as in torch.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor=None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers "
                             "> 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
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
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            else:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def _fetcher_factory(self):
        """A picklable callable: dataset -> fetch(indices), the same in this process and in workers."""
        if self._iterable:
            return functools.partial(_IterableFetcher, auto_collation=self._auto_collation,
                                     collate_fn=self.collate_fn, drop_last=self.drop_last,
                                     batch_size=self.batch_size)
        return functools.partial(_MapFetcher, auto_collation=self._auto_collation, collate_fn=self.collate_fn,
                                 whole_arrays=self._default_collate)


class _InfiniteConstantSampler:
    """An IterableDataset's 'sampler': endless Nones, one per sample to take."""

    def __iter__(self):
        return itertools.repeat(None)


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, whole_arrays):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        # datasets backed by whole arrays batch by one fancy index (same result as default_collate)
        self.fetch_batch = getattr(dataset, "_fetch_batch", None) if whole_arrays else None

    def __call__(self, indices):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[indices])
        if self.fetch_batch is not None:
            return self.fetch_batch(indices)
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return self.collate_fn(getitems(indices))
        return self.collate_fn([self.dataset[i] for i in indices])


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last, batch_size):
        self.samples = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.batch_size = batch_size

    def __call__(self, indices):
        """The next batch (``indices`` only counts samples); StopIteration when the stream ends."""
        if not self.auto_collation:
            return self.collate_fn(next(self.samples))
        batch = list(itertools.islice(self.samples, self.batch_size))
        if not batch or (self.drop_last and len(batch) < self.batch_size):
            raise StopIteration
        return self.collate_fn(batch)


class _BaseIter:
    def __init__(self, loader: DataLoader):
        self._loader = loader
        self._index_sampler = loader._index_sampler
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device "
                          "pinned memory won't be used.", stacklevel=3)
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = int(minigrad.empty((), dtype=minigrad.int64).random_(generator=loader.generator).item())
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _next_index(self):
        return next(self._sampler_iter)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetch = loader._fetcher_factory()(loader.dataset)

    def __next__(self):
        index = self._next_index()
        data = self._fetch(index)
        self._num_yielded += 1
        return data


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context()
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._data_queue = context.Queue()
        self._index_queues, self._workers = [], []
        factory = loader._fetcher_factory()
        for worker_id in range(loader.num_workers):
            index_queue = context.Queue()
            w = context.Process(target=_worker.worker_loop, daemon=True,
                                args=(factory, loader.dataset, index_queue, self._data_queue, self._base_seed,
                                      loader.worker_init_fn, worker_id, loader.num_workers))
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._shutdown = False
        self._start_epoch()

    def _start_epoch(self):
        self._send_idx = self._rcvd_idx = 0
        self._task_worker = {}            # task id -> worker id, for tasks not yet yielded
        self._worker_tasks = [0] * len(self._workers)   # tasks each worker holds (sent, not yet yielded)
        self._results = {}                # task id -> data that arrived ahead of its turn
        self._active = [True] * len(self._workers)
        self._next_worker = itertools.cycle(range(len(self._workers)))
        for _ in range(self._loader.prefetch_factor * len(self._workers)):
            self._try_put_index()

    def _reset(self):
        """Persistent workers, next epoch: a fresh sampler pass (and fresh streams for iterable data)."""
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        if self._loader._iterable:
            for q in self._index_queues:
                q.put(_worker.RESET)
        self._start_epoch()

    def _try_put_index(self):
        if not any(self._active):
            return
        share = self._loader.prefetch_factor * len(self._workers) // sum(self._active)
        for _ in range(len(self._workers)):
            worker_id = next(self._next_worker)
            # out of order, a worker gets work only below its share, so a slow one does not pile it up
            if self._active[worker_id] and (self._loader.in_order or self._worker_tasks[worker_id] < share):
                break
        else:
            return   # every worker is at its share (the next index is drawn later: torch's would be lost)
        try:
            index = self._next_index()
        except StopIteration:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_worker[self._send_idx] = worker_id
        self._worker_tasks[worker_id] += 1
        self._send_idx += 1

    def _get(self):
        timeout = self._loader.timeout or None
        while True:
            try:
                return self._data_queue.get(timeout=timeout if timeout else 5.0)
            except queue.Empty:
                if timeout:
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
                dead = [w.pid for w in self._workers if not w.is_alive()]
                if dead:
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) exited "
                                       f"unexpectedly") from None

    def __next__(self):
        while True:
            if self._rcvd_idx >= self._send_idx:
                if not self._loader.persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if self._rcvd_idx not in self._task_worker:   # a task answered by an exhausted stream
                self._rcvd_idx += 1
                continue
            if self._rcvd_idx in self._results:
                data = self._results.pop(self._rcvd_idx)
            else:
                task_id, data = self._get()
                if task_id != self._rcvd_idx:
                    if self._loader.in_order or isinstance(data, _worker.IterableEnd):
                        self._results[task_id] = data
                        continue
                    return self._process(self._task_worker.pop(task_id), data)   # out of order: now
            worker_id = self._task_worker.pop(self._rcvd_idx)
            self._rcvd_idx += 1
            if isinstance(data, _worker.IterableEnd):
                self._active[worker_id] = False
                self._worker_tasks[worker_id] -= 1
                continue
            return self._process(worker_id, data)

    def _process(self, worker_id, data):
        """A batch the worker returned: its place goes to the next index, and the batch to the caller."""
        self._worker_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        self._num_yielded += 1
        return data

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=5.0)
            if w.is_alive():
                w.terminate()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass
