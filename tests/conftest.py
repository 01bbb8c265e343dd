"""Test configuration: hypothesis profiles and the torch devices to compare against.

Profiles (select with HYPOTHESIS_PROFILE or --hypothesis-profile):
  ci   : a fixed, small number of examples per test, derandomized, no deadline (the default under CI)
  dev  : the default for local runs
  slow : many more examples, for a thorough local sweep
"""
import os

import pytest
from hypothesis import HealthCheck, settings

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                     HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=8, derandomize=True, print_blob=True, **_common)
settings.register_profile("dev", max_examples=25, **_common)
settings.register_profile("slow", max_examples=300, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_generate_tests(metafunc):
    """``devices``: (minigrad's device, torch's device) for each comparison the parity table runs:

    cpu        minigrad on cpu  vs torch on cpu   (always)
    cuda       minigrad on cuda vs torch on cuda  (where torch has CUDA; minigrad falls back to cpu
                                                    where it has no GPU of its own: CuPy missing)
    cuda-cpu   minigrad on cuda vs torch on cpu   (where minigrad has a GPU)
    Missing devices are skipped, and reported as skipped.
    """
    if "devices" in metafunc.fixturenames:
        import torch
        import minigrad
        torch_cuda, mg_cuda = torch.cuda.is_available(), minigrad.cuda.is_available()
        params = [pytest.param(("cpu", "cpu"), id="cpu"),
                  pytest.param(("cuda" if mg_cuda else "cpu", "cuda"), id="cuda",
                               marks=pytest.mark.skipif(not torch_cuda, reason="torch has no CUDA device here")),
                  pytest.param(("cuda", "cpu"), id="cuda-cpu",
                               marks=pytest.mark.skipif(not mg_cuda, reason=f"minigrad.cuda.is_available() is False: {minigrad.cuda._state.get('why')}"))]
        metafunc.parametrize("devices", params)
