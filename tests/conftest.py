"""Test configuration: hypothesis profiles and the torch devices to compare against.

Profiles (select with HYPOTHESIS_PROFILE or --hypothesis-profile):
  ci   : a fixed, small number of examples per test, derandomized, no deadline, no shrinking (the
         default under CI: a failure reports the drawn example as it is; rerun under dev to shrink it)
  dev  : the default for local runs
  slow : many more examples, for a thorough local sweep
"""
import os

import pytest
from hypothesis import HealthCheck, Phase, settings

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                     HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=8, derandomize=True, print_blob=True,
                          phases=(Phase.explicit, Phase.reuse, Phase.generate), **_common)
settings.register_profile("dev", max_examples=25, **_common)
settings.register_profile("slow", max_examples=300, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# Device variants that this machine cannot run are not collected (rather than collected and
# skipped by the thousand); the run's summary says in one line how many were left out and why.
_LEFT_OUT = {}   # variant id -> why; counted per test in pytest_collection_modifyitems


def _device_variants():
    """[(id, (minigrad's device, torch's device), None or why this machine cannot run it)]."""
    import torch
    import minigrad
    torch_cuda, mg_cuda = torch.cuda.is_available(), minigrad.cuda.is_available()
    return [("cpu", ("cpu", "cpu"), None),
            ("cuda", ("cuda" if mg_cuda else "cpu", "cuda"), None if torch_cuda else "torch has no CUDA device"),
            ("cuda-cpu", ("cuda", "cpu"), None if mg_cuda else
             f"minigrad.cuda.is_available() is False ({minigrad.cuda._state.get('why')})")]


def pytest_generate_tests(metafunc):
    """``devices``: (minigrad's device, torch's device) for each comparison the parity table runs:

    cpu        minigrad on cpu  vs torch on cpu   (always)
    cuda       minigrad on cuda vs torch on cuda  (where torch has CUDA; minigrad falls back to cpu
                                                    where it has no GPU of its own: CuPy missing)
    cuda-cpu   minigrad on cuda vs torch on cpu   (where minigrad has a GPU)
    Variants this machine cannot run are not collected; the summary line counts them.
    """
    if "devices" in metafunc.fixturenames:
        params = []
        for variant, pair, why in _device_variants():
            if why is None:
                params.append(pytest.param(pair, id=variant))
            else:
                _LEFT_OUT[variant] = why
        metafunc.parametrize("devices", params)


_left_out_count = [0]


@pytest.hookimpl(trylast=True)   # after -k and -m deselect: count what this run would have run
def pytest_collection_modifyitems(config, items):
    """Count the device variants left out: one per collected cpu variant per variant left out."""
    if _LEFT_OUT:
        cpu_variants = sum(1 for item in items
                           if getattr(item, "callspec", None) and item.callspec.params.get("devices") == ("cpu", "cpu"))
        _left_out_count[0] = cpu_variants * len(_LEFT_OUT)


def pytest_terminal_summary(terminalreporter):
    if _left_out_count[0]:
        reasons = "; ".join(f"{variant}: {why}" for variant, why in _LEFT_OUT.items())
        terminalreporter.write_line(f"{_left_out_count[0]} CUDA variants of the parity tests not collected "
                                    f"on this machine ({reasons})")


# hypothesis (6.155) wraps a @given test's settings in one more parent layer each time the test
# runs; a function parametrized over the whole op table runs over 900 times, and the chain then
# exceeds Python's recursion limit when a setting is read. Each test's settings are put back
# after it runs, so the chain stays at its collected depth.
def pytest_runtest_setup(item):
    fn = getattr(item, "obj", None)
    if fn is not None and hasattr(fn, "_hypothesis_internal_use_settings"):
        item._hypothesis_settings_before = fn._hypothesis_internal_use_settings


def pytest_runtest_teardown(item):
    before = getattr(item, "_hypothesis_settings_before", None)
    if before is not None:
        item.obj._hypothesis_internal_use_settings = before
