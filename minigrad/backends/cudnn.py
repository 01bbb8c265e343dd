"""torch.backends.cudnn: minigrad never calls cuDNN (not even with CuPy on a GPU, where its conv and
pool kernels are its own), so ``is_available()`` is False and ``version()`` None, as in torch's CPU
build; the flags hold torch's defaults and can be set, but change nothing."""
from __future__ import annotations

import sys

from ._flags import flag_context

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    return None


def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the flags inside a ``with`` block (torch's defaults: cuDNN off inside)."""
    return flag_context(sys.modules[__name__], enabled=enabled, benchmark=benchmark,
                        benchmark_limit=benchmark_limit, deterministic=deterministic, allow_tf32=allow_tf32)
