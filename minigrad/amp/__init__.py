"""minigrad.amp: automatic mixed precision, as torch.amp on a machine without CUDA.

    autocast       a context manager (and decorator) that runs chosen ops in a lower precision
    GradScaler     loss scaling for float16 training, with torch's skip-and-backoff schedule

On "cuda" both switch themselves off with torch's warning, as torch's CPU build does. On "cpu",
autocast to bfloat16 (the default) or float16 casts the inputs of the matrix products and
convolutions (torch's CPU lower-precision list) and runs the losses and reductions of its float32
list in float32.
"""
from .autocast_mode import autocast, is_autocast_available, custom_fwd, custom_bwd  # noqa: F401
from .grad_scaler import GradScaler, OptState  # noqa: F401

__all__ = ["autocast", "GradScaler", "is_autocast_available", "custom_fwd", "custom_bwd"]
