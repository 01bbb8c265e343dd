"""minigrad.nn.parallel: torch's data-parallel wrappers, for minigrad's one process."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
