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


def _torch_devices():
    import torch
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def pytest_generate_tests(metafunc):
    if "torch_device" in metafunc.fixturenames:
        import torch
        params = [pytest.param("cpu")]
        params.append(pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                                     reason="torch has no CUDA device here")))
        metafunc.parametrize("torch_device", params)
