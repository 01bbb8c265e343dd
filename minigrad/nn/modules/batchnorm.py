"""The batch norms at torch's path, torch.nn.modules.batchnorm (defined in normalization.py)."""
from .normalization import BatchNorm1d, BatchNorm2d, _BatchNorm

__all__ = ["BatchNorm1d", "BatchNorm2d"]

# Pickles record a class by its __module__, so these name torch's module, as torch's do.
for _cls in (_BatchNorm, BatchNorm1d, BatchNorm2d):
    _cls.__module__ = __name__
del _cls
