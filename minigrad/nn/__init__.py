"""minigrad.nn: modules, layers, losses and initialisation, as torch.nn."""
from . import functional  # noqa: F401
from . import init, utils  # noqa: F401
from . import parallel  # noqa: F401
from .module import Module
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter
from .parallel import DataParallel  # noqa: F401
