"""The layers of minigrad.nn, one file per family (as torch.nn.modules)."""
from . import activation, container, conv, dropout, flatten, linear, loss, normalization, pooling, sparse
from . import channelshuffle, distance, instancenorm, padding, pixelshuffle, upsampling
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
from . import adaptive
from .adaptive import *  # noqa: F401,F403
from . import rnn
from .rnn import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from . import transformer
from .transformer import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403

__all__ = [name for module in (activation, container, conv, dropout, flatten, linear, loss, normalization, pooling,
                               sparse) for name in module.__all__]
__all__ += rnn.__all__
__all__ += transformer.__all__
__all__ += adaptive.__all__
__all__ += [name for module in (channelshuffle, distance, instancenorm, padding, pixelshuffle, upsampling)
            for name in module.__all__]
