"""minigrad: a small, exact, fast reverse-mode autograd engine with PyTorch's API.

    import minigrad as torch   # port a script by changing the import
"""
from .tensor import Tensor, Size
from .dtypes import (bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64, half,
                     double, short, long, dtype, get_default_dtype, set_default_dtype, result_type,
                     promote_types, bfloat16)
from .dtypes import float32 as float, int32 as int  # noqa: A001  (torch.float / torch.int)
from .device import device, get_default_device, set_default_device
from .dtypes import finfo, iinfo
from ._repr import set_printoptions
from ._tensor_types import *  # noqa: F401,F403  (FloatTensor, LongTensor, ...)
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled, is_anomaly_enabled
from .creation import *  # noqa: F401,F403
from .random import manual_seed, seed, initial_seed, get_rng_state, set_rng_state, Generator, default_generator
from .random import torch_normal as normal, poisson
from .ops import *  # noqa: F401,F403
from .ops.index import _unsafe_masked_index, _unsafe_masked_index_put_accumulate  # noqa: F401  (torch exposes them; star imports skip _names)
from . import autograd, cuda, ops
from .linalg_aliases import *  # noqa: F401,F403  (torch.det, torch.svd...; binds minigrad.linalg)
from . import linalg_aliases as _linalg_aliases, sparse  # noqa: F401
from .dtypes import can_cast
from .dtypes import complex32, complex64, complex128, cfloat, cdouble, chalf
from . import fft
from . import creation as _creation
from .ops import _args


def _torch_namespace_signatures():
    """torch's functions take ``out=`` and NumPy's ``axis=`` / ``keepdims=``: give every op and
    factory exported here those keywords (ops.* and the Tensor methods stay unwrapped)."""
    factories = set(_creation.__all__)
    names = factories | {name for name in vars(ops) if not name.startswith("_")} | set(_linalg_aliases.__all__)
    namespace = globals()
    for name in names:
        fn = namespace.get(name)
        if callable(fn) and not isinstance(fn, type) and not name.startswith("_"):
            namespace[name] = _args.with_out(fn, warn_resize=name not in factories)
    for name, method in list(vars(Tensor).items()):  # x.sum(axis=1, keepdims=True)
        if callable(method) and not name.startswith("__"):
            wrapped = _args.numpy_aliases(method)
            if wrapped is not method:
                setattr(Tensor, name, wrapped)


_torch_namespace_signatures()
from . import masked  # noqa: E402,F401  (torch.masked: reductions with a mask=)

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
from . import special, signal  # noqa: E402,F401
from .signal.windows import (bartlett_window, blackman_window, hamming_window, hann_window,  # noqa: E402,F401
                             kaiser_window)
from .serialization import save, load  # noqa: E402
from . import accelerator, backends, distributed, onnx  # noqa: E402,F401
from . import amp  # noqa: E402
from .amp import legacy as _amp_legacy  # noqa: E402
from .amp import autocast  # noqa: E402,F401
from .amp.autocast_mode import (is_autocast_enabled, get_autocast_dtype, set_autocast_enabled,  # noqa: E402,F401
                                set_autocast_dtype, is_autocast_cache_enabled, set_autocast_cache_enabled,
                                clear_autocast_cache)
_amp_legacy.install(__import__(__name__))
from .backends import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402,F401
