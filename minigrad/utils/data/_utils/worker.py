"""DataLoader worker processes (torch.utils.data._utils.worker).

Each worker runs ``worker_loop``: it seeds Python's ``random``, minigrad and NumPy as torch's
workers do (``base_seed + worker_id``, and NumPy from a hash of both), calls the user's
``worker_init_fn``, then answers tasks from its index queue until it receives ``None``.
"""
from __future__ import annotations

import dataclasses
import queue
import random
import traceback

import numpy as np

import minigrad

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None   # set in a worker process


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its id, the number of workers, its
    seed and its own copy of the dataset."""
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """The current worker's WorkerInfo; None in the main process."""
    return _worker_info


def numpy_seed_state(base_seed: int, worker_id: int) -> list:
    """The four 32-bit words torch seeds a worker's NumPy with: the worker id and the two halves
    of the base seed hashed into a pool, mixed, and hashed out again (NumPy's SeedSequence
    scheme, as torch writes it out so that it needs no NumPy)."""
    mask = 0xFFFFFFFF
    shift = 16
    hash_mult = [0x43B0D7E5]

    def hash_in(value):
        value = (value ^ hash_mult[0]) & mask
        hash_mult[0] = (hash_mult[0] * 0x931E8875) & mask
        value = (value * hash_mult[0]) & mask
        return (value ^ (value >> shift)) & mask

    def mix(x, y):
        result = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (result ^ (result >> shift)) & mask

    pool = [hash_in(word) for word in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash_in(pool[src]))
    out_mult = 0x8B51F9DD
    state = []
    for word in pool:
        word = (word ^ out_mult) & mask
        out_mult = (out_mult * 0x58F38DED) & mask
        word = (word * out_mult) & mask
        state.append((word ^ (word >> shift)) & mask)
    return state


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback text."""

    def __init__(self, exc: BaseException, where: str):
        self.exc_type = type(exc)
        self.message = f"Caught {type(exc).__name__} {where}.\nOriginal {traceback.format_exc()}"

    def reraise(self):
        try:
            exc = self.exc_type(self.message)
        except Exception:   # an exception class whose constructor takes other arguments
            exc = RuntimeError(self.message)
        raise exc


class IterableEnd:
    """Sent by a worker whose copy of an IterableDataset is exhausted."""


RESET = "reset"   # a task that restarts an iterable dataset (persistent workers, next epoch)


def worker_loop(fetcher_factory, dataset, index_queue, data_queue, base_seed, init_fn, worker_id, num_workers):
    global _worker_info
    seed = base_seed + worker_id
    random.seed(seed)
    minigrad.manual_seed(seed)
    np.random.seed(numpy_seed_state(base_seed, worker_id))
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetch = fetcher_factory(dataset)
    except Exception as exc:
        init_error = ExceptionWrapper(exc, f"in DataLoader worker process {worker_id}")
    while True:
        try:
            task = index_queue.get(timeout=5.0)
        except queue.Empty:
            continue
        if task is None:
            break
        if task == RESET:
            if init_error is None:
                fetch = fetcher_factory(dataset)
            continue
        task_id, indices = task
        if init_error is not None:
            data_queue.put((task_id, init_error))
            continue
        try:
            data = fetch(indices)
        except StopIteration:
            data = IterableEnd()
        except Exception as exc:
            data = ExceptionWrapper(exc, f"in DataLoader worker process {worker_id}")
        data_queue.put((task_id, data))
