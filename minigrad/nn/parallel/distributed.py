"""DistributedDataParallel for a world of one process (see minigrad.distributed)."""
from __future__ import annotations

import contextlib

from ... import distributed as dist
from ..module import Module

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Wraps ``module`` as torch's DDP does, in a world of one process: calling it calls the
    module, and the gradient all-reduce that follows each backward in torch is, over one
    process, the identity, so gradients are the module's own. ``no_sync()`` and the
    ``require_backward_grad_sync`` flag are accepted for the same reason. Needs
    ``minigrad.distributed.init_process_group`` first, as torch's does."""

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0, broadcast_buffers: bool = True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 **kwargs):
        super().__init__()
        if process_group is None:
            process_group = dist.new_group()   # raises, as torch, when no process group was initialised
        self.module = module
        self.process_group = process_group
        self.device_ids = list(device_ids) if device_ids else None
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Skip the gradient synchronisation inside the block (a no-op over one process)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    @contextlib.contextmanager
    def join(self, divide_by_initial_world_size: bool = True, enable: bool = True, throw_on_early_termination=False):
        yield
