"""``Module`` at torch's path, torch.nn.modules.module (it is defined in minigrad/nn/module.py)."""
from ..module import Module, RemovableHandle  # noqa: F401

__all__ = ["Module"]

# Pickles record a class by its __module__: a saved model names minigrad.nn.modules.module.Module,
# as torch's names torch.nn.modules.module.Module.
Module.__module__ = __name__

from ..module import (register_module_backward_hook, register_module_buffer_registration_hook,  # noqa: E402,F401
                      register_module_forward_hook, register_module_forward_pre_hook,
                      register_module_full_backward_hook, register_module_full_backward_pre_hook,
                      register_module_module_registration_hook, register_module_parameter_registration_hook)
