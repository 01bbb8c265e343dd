"""torch's own OpInfo samples against minigrad (minigrad/testing/torch_opinfo.py).

CI runs the first samples of every exposed OpInfo in float32 and float64 and holds the failing
ones to tests/parity/torch_opinfo_known.txt: a new failure fails, and so does a listed failure
that now passes (regenerate the list). The full run, every sample, is marked slow; its summary
is published in docs/torch_opinfo.md.
"""
import os

import pytest

pytest.importorskip("expecttest")
from minigrad.testing import torch_opinfo  # noqa: E402

KNOWN = os.path.join(os.path.dirname(__file__), "torch_opinfo_known.txt")
CI_SAMPLES = 6


@pytest.fixture(scope="module")
def op_db():
    return torch_opinfo.load_op_db()


def _check_against_known(results, limit):
    known = torch_opinfo.read_known(KNOWN)
    if limit is not None:
        known = {k for k in known if int(k.rsplit(" ", 1)[1]) < limit}
    failing = {torch_opinfo.sample_key(r): r for r in results if r.status == "fail"}
    ran = {torch_opinfo.sample_key(r) for r in results}
    new = sorted(set(failing) - known)
    fixed = sorted(k for k in known - set(failing) if k in ran)
    assert not new, "new failures:\n" + "\n".join(f"{k}: [{failing[k].stage}] {failing[k].message[:200]}" for k in new)
    assert not fixed, ("these listed failures pass now; regenerate the list (python -m minigrad.testing.torch_opinfo "
                       f"--known {KNOWN}):\n" + "\n".join(fixed))


def test_first_samples_of_every_exposed_op(op_db):
    results = torch_opinfo.run(max_samples=CI_SAMPLES, op_db=op_db)
    assert sum(r.status == "pass" for r in results) > 1000
    _check_against_known(results, CI_SAMPLES)


@pytest.mark.slow
def test_every_sample_of_every_exposed_op(op_db):
    _check_against_known(torch_opinfo.run(op_db=op_db), None)


def test_runner_reports_a_wrong_op(op_db, monkeypatch):
    """The runner is not blind: an op that returns a wrong value fails its samples."""
    import minigrad
    info = next(o for o in op_db if o.name == "exp")
    monkeypatch.setattr(minigrad, "exp", lambda x: minigrad.sin(x))
    rows = torch_opinfo.run_opinfo(info, "float64", max_samples=3)
    assert sum(r.status == "fail" and r.stage == "forward" for r in rows) >= 2
    monkeypatch.setattr(minigrad, "exp", lambda x: x.detach().exp().requires_grad_(x.requires_grad))
    rows = torch_opinfo.run_opinfo(info, "float64", max_samples=3)
    assert any(r.status == "fail" and r.stage == "grad" for r in rows)
