"""The one mechanism behind torch.backends' ``flags(...)`` context managers."""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def flag_context(namespace, **values):
    """Set module-level flags of ``namespace`` for the duration of a ``with`` block, then restore
    the previous values (also when the block raises)."""
    previous = {name: getattr(namespace, name) for name in values}
    for name, value in values.items():
        setattr(namespace, name, value)
    try:
        yield
    finally:
        for name, value in previous.items():
            setattr(namespace, name, value)
