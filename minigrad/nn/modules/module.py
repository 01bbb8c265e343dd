"""``Module`` at torch's path, torch.nn.modules.module (it is defined in minigrad/nn/module.py)."""
from ..module import Module, RemovableHandle  # noqa: F401

__all__ = ["Module"]

# Pickles record a class by its __module__: a saved model names minigrad.nn.modules.module.Module,
# as torch's names torch.nn.modules.module.Module.
Module.__module__ = __name__
