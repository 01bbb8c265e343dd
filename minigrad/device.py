"""Devices: where a tensor's array lives. CPU arrays are NumPy arrays."""
from __future__ import annotations

import numpy as np


class device:
    """``minigrad.device('cpu')``, compared and printed like ``torch.device``."""

    __slots__ = ("type", "index")

    def __init__(self, type_or_str="cpu", index=None):
        if isinstance(type_or_str, device):
            type_or_str, index = type_or_str.type, type_or_str.index
        text = str(type_or_str)
        if ":" in text:
            text, idx = text.split(":", 1)
            index = int(idx)
        if text not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type_or_str}")
        self.type = text
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index == other.index or None in (self.index, other.index))

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self):
        return self.type + (f":{self.index}" if self.index is not None else "")


CPU = device("cpu")


def device_of(array) -> device:
    if isinstance(array, np.ndarray):
        return CPU
    if hasattr(array, "__cuda_array_interface__"):
        return device("cuda", getattr(getattr(array, "device", None), "id", 0))
    return CPU


def to_numpy(array) -> np.ndarray:
    if isinstance(array, np.ndarray):
        return array
    return array.get()  # a CuPy array



def check_same_device(*tensors) -> None:
    """torch's RuntimeError unless the tensors (or arrays) are all on one device; anything else
    (None, numbers) is ignored. Ops that take several tensors (matmul, conv, cat, gather, losses...)
    call this first; elementwise ops go through ``ops._util.promote``, which also lets a 0-d CPU
    tensor join a GPU one, as torch does."""
    first = None
    for t in tensors:
        a = getattr(t, "_data", t)
        if isinstance(a, np.ndarray):
            d = CPU
        elif hasattr(a, "__cuda_array_interface__"):
            d = device_of(a)
        else:
            continue
        if first is None:
            first = d
        elif d != first:
            gpu = first if first.type == "cuda" else d
            other = d if gpu is first else first
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two "
                               f"devices, {gpu} and {other}!")


# -- the default device (torch.set_default_device): where factories put a tensor given no device
_default_device = [None]   # None: the CPU, with no lookup on the hot path


def set_default_device(d) -> None:
    """Make factories (``tensor``, ``zeros``, ``randn``, layers' parameters...) called without a
    ``device`` create their tensors on ``d``; ``None`` or 'cpu' restores the CPU."""
    d = None if d is None else device(d)
    _default_device[0] = None if d is None or d.type == "cpu" else d


def get_default_device() -> device:
    d = _default_device[0]
    if d is None:
        return CPU
    from . import cuda
    cuda._require(d)
    return d if d.index is not None else device(d.type, cuda.current_device())


def default_device():
    """The device set by set_default_device, or None for the CPU (what factories read)."""
    return _default_device[0]
