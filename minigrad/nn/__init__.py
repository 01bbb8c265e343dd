"""minigrad.nn: modules, layers, losses and initialisation, as torch.nn."""
from . import functional  # noqa: F401
