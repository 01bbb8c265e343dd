"""minigrad.distributed: torch.distributed for a world of one process.

minigrad runs in one process. Programs written for torch's distributed training (nanoGPT, the
ImageNet example) import this package and branch on it; in a world of one they run unchanged:

    dist.init_process_group(backend="gloo", rank=0, world_size=1)   # or RANK=0 WORLD_SIZE=1
    model = nn.parallel.DistributedDataParallel(model)
    dist.all_reduce(loss)                                            # the identity

Rank is 0, the world size 1, and every collective returns what a world of one computes: its own
tensor (all_reduce, broadcast, reduce), a one-element gather. A world of more than one process
raises NotImplementedError (a RuntimeError), saying so.
"""
from __future__ import annotations

import enum
import os
from datetime import timedelta

__all__ = ["is_available", "is_initialized", "init_process_group", "destroy_process_group", "get_rank",
           "get_world_size", "get_backend", "barrier", "all_reduce", "reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "reduce_scatter_tensor", "gather", "scatter", "all_gather_object",
           "broadcast_object_list", "new_group", "ReduceOp", "group", "GroupMember", "is_gloo_available",
           "is_nccl_available", "is_mpi_available", "is_torchelastic_launched", "ProcessGroup"]

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."
_ONE_PROCESS = ("minigrad runs in one process: torch.distributed works here only for a world of one process "
                "(rank 0, world_size 1)")


class ReduceOp(enum.Enum):
    """The reductions of the collectives; in a world of one each returns its only operand."""
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ProcessGroup:
    """The one group of a one-process world."""

    def __init__(self, backend: str):
        self._backend = backend

    def rank(self) -> int:
        return 0

    def size(self) -> int:
        return 1

    def __repr__(self):
        return f"ProcessGroup(backend={self._backend!r}, rank=0, size=1)"


class group:
    WORLD = None   # the default group once init_process_group ran


GroupMember = group


class _Work:
    """What an ``async_op=True`` collective returns: already complete."""

    def wait(self, timeout=None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True


def is_available() -> bool:
    return True


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    return False


def is_mpi_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def is_initialized() -> bool:
    return _world_group[0] is not None


_world_group = [None]   # the ProcessGroup once init_process_group ran


def _set_world(process_group) -> None:
    _world_group[0] = group.WORLD = process_group


def _from_env(value: int, name: str) -> int:
    if value is not None and value >= 0:
        return int(value)
    text = os.environ.get(name)
    if text is None:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment variable "
                         f"{name} expected, but not set")
    return int(text)


def init_process_group(backend=None, init_method=None, timeout: timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None, device_id=None):
    """Join a world of one process. ``rank`` and ``world_size`` come from the arguments, else from
    the RANK and WORLD_SIZE environment variables (torchrun's), as torch's env:// rendezvous does."""
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    backend = "gloo" if backend is None else str(backend).lower()
    if backend in ("nccl", "cuda:nccl"):
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if backend in ("mpi", "ucc", "xccl"):
        raise RuntimeError(f"Distributed package doesn't have {backend.upper()} built in")
    if backend not in ("gloo", "cpu:gloo"):
        raise AssertionError(f"Unknown backend type {backend}")
    me = _from_env(rank, "RANK")
    size = _from_env(world_size, "WORLD_SIZE")
    if size != 1 or me != 0:
        raise NotImplementedError(f"{_ONE_PROCESS}; init_process_group got rank={me}, world_size={size}")
    _set_world(ProcessGroup("gloo"))


def destroy_process_group(group=None) -> None:
    if not is_initialized():
        raise AssertionError("Process group cannot be None")
    _set_world(None)


def _world():
    if not is_initialized():
        raise ValueError(_NOT_INITIALIZED)
    return _world_group[0]


def get_rank(group=None) -> int:
    _world()
    return 0


def get_world_size(group=None) -> int:
    _world()
    return 1


def get_backend(group=None) -> str:
    return _world()._backend


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, **kwargs):
    """A subgroup of the world of one: only ``ranks`` None or [0] exist."""
    world = _world()
    if ranks is not None and list(ranks) != [0]:
        raise NotImplementedError(f"{_ONE_PROCESS}; new_group got ranks={list(ranks)}")
    return world


def _check_rank(name: str, value: int) -> None:
    if value != 0:
        raise NotImplementedError(f"{_ONE_PROCESS}; {name}={value} names another process")


def _done(async_op: bool):
    return _Work() if async_op else None


def barrier(group=None, async_op: bool = False, device_ids=None):
    _world()
    return _done(async_op)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """The reduction over one process: ``tensor`` itself, unchanged."""
    _world()
    return _done(async_op)


def reduce(tensor, dst: int = 0, op=ReduceOp.SUM, group=None, async_op: bool = False, group_dst=None):
    _world()
    _check_rank("dst", dst if group_dst is None else group_dst)
    return _done(async_op)


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False, group_src=None):
    _world()
    _check_rank("src", src if group_src is None else group_src)
    return _done(async_op)


def _copy_into(out, tensor) -> None:
    from ..autograd.grad_mode import no_grad
    with no_grad():
        out.copy_(tensor)


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """Fills ``tensor_list`` (one slot per process: one) with ``tensor``."""
    _world()
    if len(tensor_list) != 1:
        raise NotImplementedError(f"{_ONE_PROCESS}; all_gather got {len(tensor_list)} output tensors")
    _copy_into(tensor_list[0], tensor)
    return _done(async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    _world()
    _copy_into(output_tensor, input_tensor.reshape(output_tensor.shape))
    return _done(async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    _world()
    _copy_into(output, input.reshape(output.shape))
    return _done(async_op)


def gather(tensor, gather_list=None, dst: int = 0, group=None, async_op: bool = False, group_dst=None):
    _world()
    _check_rank("dst", dst if group_dst is None else group_dst)
    if gather_list is not None:
        all_gather(gather_list, tensor)
    return _done(async_op)


def scatter(tensor, scatter_list=None, src: int = 0, group=None, async_op: bool = False, group_src=None):
    _world()
    _check_rank("src", src if group_src is None else group_src)
    if scatter_list is not None:
        if len(scatter_list) != 1:
            raise NotImplementedError(f"{_ONE_PROCESS}; scatter got {len(scatter_list)} input tensors")
        _copy_into(tensor, scatter_list[0])
    return _done(async_op)


def all_gather_object(object_list, obj, group=None) -> None:
    _world()
    if len(object_list) != 1:
        raise NotImplementedError(f"{_ONE_PROCESS}; all_gather_object got a list of {len(object_list)}")
    object_list[0] = obj


def broadcast_object_list(object_list, src: int = 0, group=None, device=None, group_src=None) -> None:
    _world()
    _check_rank("src", src if group_src is None else group_src)
