"""torch.stft and torch.istft, composed of differentiable ops (no backward of their own).

stft: pad the signal by n_fft // 2 on each side (``center``), cut it into frames of n_fft samples
every hop_length samples (``Tensor.unfold``, a strided view), multiply each frame by the window
(zero-padded to n_fft around its middle, as torch does), and take the FFT of each frame (rfft when
``onesided``). The result is (batch?, freq, frames), as in torch.

istft inverts it by weighted overlap-add: the inverse FFT of each frame, times the window, summed
into the output at frame * hop_length (``index_add``), divided by the overlap-added squared
window (the "window envelope"). Where that envelope vanishes the signal cannot be recovered (the
NOLA condition fails) and torch raises; so does this.

Their gradients are those of the ops they are built from (unfold, mul, fft, index_add, div).
"""
from __future__ import annotations

import warnings

import numpy as np

from ._util import Tensor

__all__ = ["stft", "istft"]


def _describe(x: Tensor) -> str:
    return f"Tensor{list(x._data.shape)}"


def _full_window(window, n_fft: int, win_length: int, dtype) -> Tensor:
    """The window as an n_fft-long tensor: ones(win_length) when absent, zero-padded on both
    sides to n_fft with the extra zero on the right (torch's left = (n_fft - win_length) // 2)."""
    from .nnfunc import pad
    if window is None:
        window = Tensor._make(np.ones(win_length, dtype))
    left = (n_fft - win_length) // 2
    if left == 0 and win_length == n_fft:
        return window
    return pad(window, (left, n_fft - win_length - left))


def _real_dtype(x: Tensor):
    """The real NumPy dtype of ``x``'s values (float32 for complex64)."""
    return np.empty(0, x._data.dtype).real.dtype


def _lengths(n_fft, hop_length, win_length):
    return (n_fft // 4 if hop_length is None else hop_length), (n_fft if win_length is None else win_length)


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """Short-time Fourier transform, as torch.stft: (B?, L) -> (B?, freq, frames)."""
    from .nnfunc import pad
    from .fft import fft, rfft
    from .complex import view_as_real
    if not isinstance(input, Tensor):
        raise TypeError(f"stft(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    is_complex = input._data.dtype.kind == "c" or (window is not None and window._data.dtype.kind == "c")
    if return_complex is None:
        if not is_complex:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will "
                               "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    hop_length, win_length = _lengths(n_fft, hop_length, win_length)
    head = f"stft({_describe(input)}, n_fft={n_fft}, hop_length={hop_length}, win_length={win_length})"
    if input.dim() not in (1, 2):
        raise RuntimeError(f"{head} : expected a 1D or 2D tensor")
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"{head} : expected a tensor of floating point or complex values")
    if center:
        # torch pads a (1, B?, L) view so that reflect/replicate/circular padding takes the 1-D path
        signal_dim = input.dim()
        extended_shape = (1,) * (3 - signal_dim) + tuple(input.shape)

        def padded(part):
            extended = pad(part.reshape(extended_shape), (n_fft // 2, n_fft // 2), mode=pad_mode)
            return extended.reshape(tuple(extended.shape)[-signal_dim:])
        if input._data.dtype.kind == "c":   # padding copies samples, so pad the two parts alike
            from .complex import complex as make_complex
            input = make_complex(padded(input.real), padded(input.imag))
        else:
            input = padded(input)
    length = input.shape[-1]
    if not 0 < n_fft <= length:
        raise RuntimeError(f"{head} : expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop_length <= 0:
        raise RuntimeError(f"{head} : expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"{head} : expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        raise RuntimeError(f"{head} : expected a 1D window tensor of size equal to win_length={win_length}, "
                           f"but got window with size {list(window.shape)}")
    if onesided is None:
        onesided = not is_complex
    elif onesided and is_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    window = _full_window(window, n_fft, win_length, _real_dtype(input))
    frames = input.unfold(-1, n_fft, hop_length) * window          # (B?, frames, n_fft)
    norm = "ortho" if normalized else "backward"
    spectrum = (rfft if onesided else fft)(frames, dim=-1, norm=norm).transpose(-1, -2)   # (B?, freq, frames)
    if return_complex:
        return spectrum
    warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                  "complex tensors for all inputs, and return_complex=False will raise an error.", UserWarning)
    return view_as_real(spectrum)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """Inverse short-time Fourier transform, as torch.istft: (B?, freq, frames) -> (B?, L)."""
    from .fft import ifft, irfft
    from .index import index_add
    if not isinstance(input, Tensor):
        raise TypeError(f"istft(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind != "c":
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    hop_length, win_length = _lengths(n_fft, hop_length, win_length)
    head = f"istft({_describe(input)}, n_fft={n_fft}, hop_length={hop_length}, win_length={win_length})"
    if input.numel() == 0:
        raise RuntimeError(f"{head} : input tensor cannot be empty.")
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{head} : expected a tensor with 3 or 4 dimensions of complex values, "
                           f"but got {input.dim() + 1}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"{head} : expected 0 < win_length <= n_fft")
    if not 0 < hop_length <= win_length:
        raise RuntimeError(f"{head} : expected 0 < hop_length <= win_length")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        raise RuntimeError(f"{head} : Invalid window shape. window has to be 1D and length of `win_length`")
    batched = input.dim() == 3
    if not batched:
        input = input.unsqueeze(0)
    fft_size, n_frames = input.shape[-2], input.shape[-1]
    if onesided is None:
        onesided = fft_size != n_fft
    if onesided and fft_size != n_fft // 2 + 1:
        raise RuntimeError(f"{head} : expected the frequency dimension (3rd to the last) of the input tensor to "
                           f"match n_fft / 2 + 1 when onesided=True, but got {fft_size}")
    if not onesided and fft_size != n_fft:
        raise RuntimeError(f"{head} : expected the frequency dimension (3rd to the last) of the input tensor to "
                           f"match n_fft when onesided=False, but got {fft_size}")
    window = _full_window(window, n_fft, win_length, _real_dtype(input))
    norm = "ortho" if normalized else "backward"
    spectra = input.transpose(-1, -2)                                   # (B, frames, freq)
    if return_complex:
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = ifft(spectra, n_fft, dim=-1, norm=norm)
    else:
        if window._data.dtype.kind == "c":
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not onesided:
            spectra = spectra.narrow(-1, 0, n_fft // 2 + 1)
        frames = irfft(spectra, n_fft, dim=-1, norm=norm)
    # overlap-add: sample t of frame f lands at f * hop_length + t
    expected_len = n_fft + hop_length * (n_frames - 1)
    positions = (np.arange(n_frames)[:, None] * hop_length + np.arange(n_fft)[None, :]).reshape(-1)
    index = Tensor._make(positions.astype(np.int64))
    weighted = (frames * window).reshape(input.shape[0], n_frames * n_fft)
    y = index_add(Tensor._make(np.zeros((input.shape[0], expected_len), weighted._data.dtype)), -1, index, weighted)
    window_sq = window * window
    envelope = index_add(Tensor._make(np.zeros(expected_len, window_sq._data.dtype)), 0, index,
                         window_sq.expand(n_frames, n_fft).reshape(-1))
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        # torch slices [start:-(n_fft // 2)], which is empty when n_fft == 1
        end = (expected_len - n_fft // 2 if n_fft > 1 else 0) if center else expected_len
    stop = min(end, expected_len)
    y = y.narrow(-1, start, max(stop - start, 0))
    envelope = envelope.narrow(-1, start, max(stop - start, 0))
    if envelope.numel() == 0:
        raise RuntimeError("min(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    lowest = float(np.abs(envelope._data).min())
    if lowest < 1e-11:
        raise RuntimeError(f"{head} window overlap add min: {lowest:g}")
    y = y / envelope
    if not batched:
        y = y.squeeze(0)
    if end > expected_len:
        warnings.warn("The length of signal is shorter than the length parameter. Result is being padded with "
                      "zeros in the tail. Please check your center and hop_length settings.", UserWarning)
        from .nnfunc import pad
        y = pad(y, (0, end - expected_len))
    return y
