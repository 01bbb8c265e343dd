"""The layers of minigrad.nn, one file per family (as torch.nn.modules)."""
from . import activation, container, conv, dropout, flatten, linear, loss, normalization, pooling, sparse
from . import batchnorm, module, utils  # noqa: F401  (torch's paths of classes and helpers defined elsewhere)
from .activation import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from . import rnn
from .rnn import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from . import transformer
from .transformer import *  # noqa: F401,F403

__all__ = [name for module in (activation, container, conv, dropout, flatten, linear, loss, normalization, pooling,
                               sparse) for name in module.__all__]
__all__ += rnn.__all__
__all__ += transformer.__all__
