"""torch.cuda.amp and torch.cpu.amp: the older spellings, deprecated in torch with a FutureWarning.

They live here and are installed as ``minigrad.cuda.amp`` and ``minigrad.cpu.amp`` (modules in
sys.modules, so ``from minigrad.cuda.amp import GradScaler`` works as it does for torch).
"""
from __future__ import annotations

import sys
import types
import warnings

from . import autocast_mode
from .grad_scaler import GradScaler as _GradScaler


def _legacy_namespace(device: str) -> types.ModuleType:
    module = types.ModuleType(f"minigrad.{device}.amp", f"torch.{device}.amp's deprecated spellings.")

    class autocast(autocast_mode.autocast):
        def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True):
            warnings.warn(f"`torch.{device}.amp.autocast(args...)` is deprecated. Please use "
                          f"`torch.amp.autocast('{device}', args...)` instead.", FutureWarning, stacklevel=2)
            if dtype is None:
                dtype = autocast_mode.get_autocast_dtype(device)
            super().__init__(device, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    class GradScaler(_GradScaler):
        def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                     growth_interval: int = 2000, enabled: bool = True):
            warnings.warn(f"`torch.{device}.amp.GradScaler(args...)` is deprecated. Please use "
                          f"`torch.amp.GradScaler('{device}', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__(device, init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    autocast.__module__ = GradScaler.__module__ = module.__name__
    module.autocast, module.GradScaler = autocast, GradScaler
    module.custom_fwd, module.custom_bwd = autocast_mode.custom_fwd, autocast_mode.custom_bwd
    return module


def install(minigrad) -> None:
    """minigrad.cuda.amp, minigrad.cpu and minigrad.cpu.amp."""
    cuda_amp = _legacy_namespace("cuda")
    minigrad.cuda.amp = cuda_amp
    sys.modules["minigrad.cuda.amp"] = cuda_amp
    cpu = types.ModuleType("minigrad.cpu", "torch.cpu: the CPU device's namespace.")
    cpu.amp = _legacy_namespace("cpu")
    cpu.is_available = lambda: True
    cpu.device_count = lambda: 1
    cpu.current_device = lambda: "cpu"
    cpu.synchronize = lambda device=None: None
    minigrad.cpu = cpu
    sys.modules["minigrad.cpu"] = cpu
    sys.modules["minigrad.cpu.amp"] = cpu.amp
