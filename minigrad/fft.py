"""``minigrad.fft``: torch.fft's discrete Fourier transforms (the ops are in ops/fft.py)."""
from .ops.fft import (fft, ifft, fft2, ifft2, fftn, ifftn, rfft, irfft, rfft2, irfft2, rfftn, irfftn,  # noqa: F401
                      hfft, ihfft, hfft2, ihfft2, hfftn, ihfftn, fftfreq, rfftfreq, fftshift, ifftshift)
from .ops.fft import __all__  # noqa: F401
