"""minigrad.nn.functional: torch.nn.functional's ops (they live in minigrad.ops, by family)."""
from ..ops.activation import *  # noqa: F401,F403
from ..ops.loss import *  # noqa: F401,F403
from ..ops.nnfunc import *  # noqa: F401,F403
from ..ops.conv import *  # noqa: F401,F403
from ..ops.pool import *  # noqa: F401,F403
from ..ops.attention import *  # noqa: F401,F403
from ..ops.attention import _canonical_mask, _none_or_dtype, _mha_shape_check, _in_projection_packed, _in_projection  # noqa: F401,E501
