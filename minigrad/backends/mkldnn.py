"""torch.backends.mkldnn: minigrad does not use oneDNN (MKL-DNN), so ``is_available()`` is False
(torch's CPU build says True: it ships oneDNN); ``enabled`` and ``deterministic`` are recorded."""
from __future__ import annotations

import sys

from ._flags import flag_context

enabled = True
deterministic = False
allow_tf32 = False


def is_available() -> bool:
    return False


def flags(enabled=False, deterministic=False):
    return flag_context(sys.modules[__name__], enabled=enabled, deterministic=deterministic)
