"""torch.load's environment overrides, TORCH_FORCE_WEIGHTS_ONLY_LOAD and
TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD, side by side with torch: which loads they allow or refuse, the
warning, and the error when both are set."""
import os
import pickle
import warnings

import numpy as np
import pytest
import torch

import minigrad

LIBS = (minigrad, torch)


@pytest.fixture
def array_file(tmp_path):
    """A checkpoint holding a NumPy array (as a program's data file): refused by the restricted load."""
    path = tmp_path / "data.pt"
    torch.save(np.arange(6.0).reshape(2, 3), path)
    return path


def _outcome(call):
    try:
        value = call()
    except Exception as exc:   # the class is what is compared
        return type(exc).__name__
    return ("loaded", type(value).__name__, np.asarray(value).tolist())


@pytest.mark.parametrize("env", [{}, {"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, {"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "true"},
                                 {"TORCH_FORCE_WEIGHTS_ONLY_LOAD": "1"}, {"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "0"}])
@pytest.mark.parametrize("weights_only", [None, True, False])
def test_environment_overrides_as_torch(array_file, monkeypatch, env, weights_only):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    kwargs = {} if weights_only is None else {"weights_only": weights_only}
    outcomes = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = _outcome(lambda: lib.load(array_file, **kwargs))
        outcomes.append((outcome, [str(w.message) for w in caught if "TORCH_FORCE" in str(w.message)]))
    assert outcomes[0] == outcomes[1]


def test_both_overrides_set_is_an_error_as_torch(array_file, monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    for lib in LIBS:
        with pytest.raises(RuntimeError, match="Only one of"):
            lib.load(array_file)


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo owned > owned.txt",))


def test_forced_restricted_load_runs_nothing_even_with_weights_only_false(tmp_path, monkeypatch):
    """TORCH_FORCE_WEIGHTS_ONLY_LOAD wins over an explicit weights_only=False: a malicious pickle is
    refused and its code does not run."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    path = tmp_path / "evil.pt"
    torch.save(_Payload(), path)   # torch's zip format, its pickle calling os.system
    for lib in LIBS:
        with pytest.raises(pickle.UnpicklingError):
            lib.load(path, weights_only=False)
    assert not (tmp_path / "owned.txt").exists()
