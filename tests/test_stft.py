"""minigrad.stft / istft against torch.stft / istft side by side: values, dtypes, shapes and gradients
over hypothesis-drawn lengths, n_fft, hops, window lengths, centering, normalisation and sidedness;
istft(stft(x)) round trips; and the errors (class and the argument named)."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minigrad

TOL = {"float32": 1e-4, "float64": 1e-10}


@st.composite
def _stft_case(draw):
    n_fft = draw(st.integers(1, 12))
    win_length = draw(st.integers(1, n_fft))
    hop_length = draw(st.integers(1, win_length))
    center = draw(st.booleans())
    min_length = n_fft // 2 + 1 if center else n_fft
    length = draw(st.integers(min_length, min_length + 20))
    return dict(n_fft=n_fft, win_length=win_length, hop_length=hop_length, center=center, length=length,
                batch=draw(st.sampled_from([(), (2,)])), dtype=draw(st.sampled_from(sorted(TOL))),
                normalized=draw(st.booleans()), onesided=draw(st.sampled_from([None, True, False])),
                window=draw(st.sampled_from(["none", "hann", "random"])),
                pad_mode=draw(st.sampled_from(["reflect", "constant", "replicate", "circular"])),
                seed=draw(st.integers(0, 2 ** 16)))


def _arrays(case):
    rng = np.random.default_rng(case["seed"])
    signal = rng.standard_normal(case["batch"] + (case["length"],)).astype(case["dtype"])
    if case["window"] == "none":
        return signal, None
    if case["window"] == "hann":
        window = torch.hann_window(case["win_length"], dtype=torch.float64).numpy()
    else:
        window = rng.uniform(0.5, 1.5, case["win_length"])
    return signal, window.astype(case["dtype"])


def _loss(lib, spectrum):
    """A smooth real loss that weighs every bin's real and imaginary part differently."""
    weights = lib.tensor(np.linspace(-1, 2, spectrum.numel()).reshape(tuple(spectrum.shape)))
    return ((spectrum.real * weights).sum() + (spectrum.imag * weights * weights).sum()
            + (spectrum * spectrum.conj()).real.sum())


def _stft_both(case, loss):
    signal, window = _arrays(case)
    out = {}
    for lib in (torch, minigrad):
        x = lib.tensor(signal, requires_grad=True)
        w = None if window is None else lib.tensor(window, requires_grad=True)
        y = lib.stft(x, case["n_fft"], case["hop_length"], case["win_length"], w, center=case["center"],
                     pad_mode=case["pad_mode"], normalized=case["normalized"], onesided=case["onesided"],
                     return_complex=True)
        loss(lib, y).backward()
        out[lib] = (y, x.grad, None if w is None else w.grad)
    return out


def _close(mine, theirs, tol):
    assert str(mine.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(mine.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


@given(_stft_case())
def test_stft_values_and_grads_match_torch(case):
    out = _stft_both(case, _loss)
    tol = TOL[case["dtype"]] * 10
    for mine, theirs in zip(out[minigrad], out[torch]):
        if theirs is None:
            assert mine is None
        else:
            _close(mine, theirs, tol)


def test_stft_abs_loss_grads_match_torch():
    case = dict(n_fft=16, win_length=12, hop_length=4, center=True, length=64, batch=(3,), dtype="float64",
                normalized=True, onesided=None, window="hann", pad_mode="reflect", seed=1)
    out = _stft_both(case, lambda lib, y: y.abs().sum())
    for mine, theirs in zip(out[minigrad], out[torch]):
        _close(mine, theirs, 1e-10)


def test_stft_complex_input_is_two_sided():
    rng = np.random.default_rng(2)
    signal = (rng.standard_normal(30) + 1j * rng.standard_normal(30)).astype(np.complex128)
    results = [lib.stft(lib.tensor(signal), 8, 3, window=lib.hann_window(8, dtype=lib.float64))
               for lib in (minigrad, torch)]
    _close(*results, 1e-10)
    for lib in (minigrad, torch):
        with pytest.raises(RuntimeError, match="onesided"):
            lib.stft(lib.tensor(signal), 8, onesided=True)


def test_stft_return_complex_false_is_view_as_real():
    signal = np.random.default_rng(3).standard_normal(40).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [lib.stft(lib.tensor(signal), 8, return_complex=False) for lib in (minigrad, torch)]
    _close(*results, 1e-5)


def test_tensor_methods():
    signal = np.random.default_rng(4).standard_normal(40)
    spectra = [lib.tensor(signal).stft(8, return_complex=True) for lib in (minigrad, torch)]
    _close(*spectra, 1e-10)
    _close(spectra[0].istft(8), spectra[1].istft(8), 1e-10)


@given(_stft_case(), st.booleans(), st.integers(-3, 3))
def test_istft_of_stft_matches_torch(case, pass_length, length_change):
    signal, window = _arrays(case)
    torch_window = None if window is None else torch.tensor(window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spectrum = torch.stft(torch.tensor(signal), case["n_fft"], case["hop_length"], case["win_length"],
                              torch_window, center=case["center"], normalized=case["normalized"],
                              onesided=case["onesided"], return_complex=True)
    kwargs = dict(n_fft=case["n_fft"], hop_length=case["hop_length"], win_length=case["win_length"],
                  center=case["center"], normalized=case["normalized"], onesided=case["onesided"],
                  length=case["length"] + length_change if pass_length else None)
    kwargs["length"] = None if kwargs["length"] is not None and kwargs["length"] < 1 else kwargs["length"]
    outcome = {}
    for lib in (torch, minigrad):
        spec = lib.tensor(spectrum.numpy(), requires_grad=True)
        w = None if window is None else lib.tensor(window)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = lib.istft(spec, window=w, **kwargs)
        except RuntimeError as error:
            outcome[lib] = error
            continue
        (y * lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)))).sum().backward()
        outcome[lib] = (y, spec.grad)
    if isinstance(outcome[torch], RuntimeError):
        assert isinstance(outcome[minigrad], RuntimeError), outcome[torch]
        assert ("overlap add" in str(outcome[torch])) == ("overlap add" in str(outcome[minigrad]))
        return
    assert not isinstance(outcome[minigrad], Exception), outcome[minigrad]
    tol = TOL[case["dtype"]] * 100
    for mine, theirs in zip(outcome[minigrad], outcome[torch]):
        _close(mine, theirs, tol)
    if pass_length and length_change == 0 and case["center"] and case["window"] != "none":
        # the round trip: a window that overlaps itself everywhere restores the signal where frames cover it
        # (past the last frame istft pads with zeros)
        covered = (spectrum.shape[-1] - 1) * case["hop_length"] + case["n_fft"] - 2 * (case["n_fft"] // 2)
        np.testing.assert_allclose(outcome[minigrad][0].detach().numpy()[..., :covered], signal[..., :covered],
                                   rtol=tol, atol=tol)


def test_istft_returns_complex_for_two_sided():
    rng = np.random.default_rng(5)
    spectrum = (rng.standard_normal((8, 9)) + 1j * rng.standard_normal((8, 9)))
    results = [lib.istft(lib.tensor(spectrum), 8, return_complex=True) for lib in (minigrad, torch)]
    _close(*results, 1e-10)


def _errors(lib):
    x = lib.ones(20)
    spectrum = lib.stft(lib.ones(20), 8, return_complex=True)
    return {
        "return_complex": lambda: lib.stft(x, 8),
        "n_fft": lambda: lib.stft(x, 30, center=False, return_complex=True),
        "hop_length": lambda: lib.stft(x, 8, hop_length=0, return_complex=True),
        "win_length": lambda: lib.stft(x, 8, win_length=9, return_complex=True),
        "window": lambda: lib.stft(x, 8, window=lib.ones(5), return_complex=True),
        "1D or 2D": lambda: lib.stft(lib.ones(2, 2, 5), 4, return_complex=True),
        "floating point": lambda: lib.stft(lib.ones(20, dtype=lib.int64), 8, return_complex=True),
        "complex-valued": lambda: lib.istft(spectrum.real, 8),
        "overlap add": lambda: lib.istft(spectrum, 8, window=lib.hann_window(8), center=False),
        "frequency dimension": lambda: lib.istft(spectrum, 10),
        "hop_length <= win_length": lambda: lib.istft(spectrum, 8, hop_length=9),
        "win_length <= n_fft": lambda: lib.istft(spectrum, 8, win_length=9),
        "empty": lambda: lib.istft(spectrum[:, :0], 8),
        "window shape": lambda: lib.istft(spectrum, 8, window=lib.ones(5)),
        "onesided output": lambda: lib.istft(spectrum, 8, return_complex=True),
        "3 or 4 dimensions": lambda: lib.istft(spectrum[None, None], 8),
    }


@pytest.mark.parametrize("named", sorted(_errors(torch)))
def test_errors_match_torch(named):
    for lib in (torch, minigrad):
        with pytest.raises(RuntimeError) as error:
            _errors(lib)[named]()
        assert named.lower() in str(error.value).lower(), (lib.__name__, str(error.value))
