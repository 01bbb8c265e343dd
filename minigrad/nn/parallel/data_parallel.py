"""DataParallel: in torch, replicas of a module on several GPUs; in minigrad a pass-through."""
from __future__ import annotations

from ..module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Holds ``module`` (so the state dict's keys start with ``module.``, as torch's) and calls it.

    torch splits each batch across its GPUs; minigrad runs the whole batch in the one module,
    which computes the same result. With no GPU torch does the same, and so ``device_ids`` is
    empty here."""

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
