"""Public PyTorch programs, run unchanged under torch and under minigrad-as-torch, must print
the same losses (to float rounding). The programs, and how each is run, are in programs.py."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys

import pytest

from .programs import HERE, PROGRAMS, SHA256

RUNNER = os.path.join(HERE, "_run.py")
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")


def _params():
    for p in PROGRAMS:
        marks = [pytest.mark.slow] if p.slow else []
        if p.xfail:
            marks.append(pytest.mark.xfail(reason=f"minigrad lacks {p.xfail}", strict=True))
        yield pytest.param(p, id=p.name, marks=marks)


def _sources_or_skip(program):
    for path in program.needed:
        file = program.file(path)
        if not os.path.exists(file):
            pytest.skip(f"{program.repo[0]}/{path} is not under MINIGRAD_PROGRAM_SOURCES (see SOURCES.md)")
        with open(file, "rb") as f:
            actual = hashlib.sha256(f.read()).hexdigest()
        assert actual.startswith(SHA256[path]), \
            f"{file} is not the published text of {program.repo[0]}@{program.repo[1]}"


def _run(program, backend, workdir):
    os.makedirs(workdir)
    env = {**os.environ, **program.env, "PYTHONPATH": REPO_ROOT, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
           "OMP_NUM_THREADS": "1",   # (both libraries: one thread each, on a shared machine)
           "PROGRAM_SYS_PATH": os.pathsep.join(program.file(p) for p in program.sys_path),
           "PROGRAM_DIR": os.path.dirname(program.file())}
    if program.setup:
        setup_env = {**env, "PYTHONPATH": os.pathsep.join([os.path.join(HERE, "stubs"), REPO_ROOT])}
        subprocess.run([sys.executable, "-c", program.setup], cwd=workdir, env=setup_env, check=True)
    done = subprocess.run([sys.executable, RUNNER, backend, program.file(), str(workdir), *program.args],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{program.name} under {backend} failed:\n{done.stderr[-3000:]}"
    keep = re.compile(program.keep)
    lines = [line for line in done.stdout.splitlines() if keep.search(line)]
    lines = [re.sub(program.ignore, "", line) for line in lines] if program.ignore else lines
    return lines[:program.max_lines] if program.max_lines else lines


def _same_up_to_rounding(expected: str, got: str, rtol: float) -> bool:
    """The same text, and the same numbers up to ``rtol`` or one unit of the last printed
    decimal (two libraries' values on either side of a rounding boundary print differently)."""
    if NUMBER.sub("#", expected) != NUMBER.sub("#", got):
        return False
    for a, b in zip(NUMBER.findall(expected), NUMBER.findall(got)):
        if a == b:
            continue
        if not re.search(r"[.eE]", a + b):
            return False                     # integers (counts, steps) must be equal
        x, y = float(a), float(b)
        decimals = len(a.split(".")[1]) if "." in a and "e" not in a.lower() else None
        unit = 10.0 ** -decimals if decimals is not None else 0.0
        if abs(x - y) > rtol * max(abs(x), abs(y)) + unit:
            return False
    return True


@pytest.mark.parametrize("program", _params())
def test_program_prints_what_torch_prints(program, tmp_path):
    _sources_or_skip(program)
    got = _run(program, "minigrad", tmp_path / "minigrad")   # first: a missing feature fails fast
    expected = _run(program, "torch", tmp_path / "torch")
    assert expected, f"{program.name}: no output lines matched {program.keep!r} under torch"
    assert len(got) == len(expected), "\n".join(["torch:", *expected, "minigrad:", *got])
    for e, g in zip(expected, got):
        assert _same_up_to_rounding(e, g, program.rtol), f"torch:    {e}\nminigrad: {g}"


@pytest.mark.parametrize("expected, got, same", [
    ("Loss: 0.310600 after 12 batches", "Loss: 0.310601 after 12 batches", True),
    ("Loss: 0.3106", "Loss: 0.3107", True),           # one unit of the last printed decimal
    ("Loss: 0.3106", "Loss: 0.3108", False),
    ("after 12 batches", "after 13 batches", False),  # integers are exact
    ("Loss: 1.5e-03", "Loss: 1.5000001e-03", True),
    ("Loss: 1.5", "Cost: 1.5", False),
])
def test_output_comparison(expected, got, same):
    assert _same_up_to_rounding(expected, got, 2e-5) is same
