"""minigrad: a small, exact, fast reverse-mode autograd engine with PyTorch's API.

    import minigrad as torch   # port a script by changing the import
"""
from .tensor import Tensor, Size
from .dtypes import (bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64, half,
                     double, short, long, dtype, get_default_dtype, set_default_dtype, result_type,
                     promote_types)
from .dtypes import float32 as float, int32 as int  # noqa: A001  (torch.float / torch.int)
from .device import device, get_default_device, set_default_device
from .dtypes import finfo, iinfo
from ._repr import set_printoptions
from ._tensor_types import *  # noqa: F401,F403  (FloatTensor, LongTensor, ...)
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled, is_anomaly_enabled
from .creation import *  # noqa: F401,F403
from .random import manual_seed, seed, initial_seed, get_rng_state, set_rng_state, Generator, default_generator
from .ops import *  # noqa: F401,F403
from . import autograd, cuda, ops
from .linalg_aliases import *  # noqa: F401,F403,E402  (torch.det, torch.svd...; binds minigrad.linalg)
from . import sparse  # noqa: E402,F401

__version__ = "0.1.0"

# torch's core classes live in the torch namespace itself (torch.Tensor.__module__ == "torch"), so
# pickles and type names record them there; minigrad's record minigrad.Tensor, minigrad.dtype, ...
for _cls in (Tensor, Size, device, dtype, finfo, iinfo):
    _cls.__module__ = __name__
del _cls


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


# nn, optim and data (imported last: they build on everything above)
from . import nn, optim, utils  # noqa: E402
from .serialization import save, load  # noqa: E402
from . import accelerator, backends, distributed, onnx  # noqa: E402,F401
from .backends import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402,F401
