"""minigrad's numba.cuda kernels (minigrad/kernels/cuda.py) under Numba's CUDA simulator.

The simulator must be switched on before numba.cuda is first imported, so the kernels run in a
child process (tests/gpu/_sim_check.py) with NUMBA_ENABLE_CUDASIM=1; it checks them against the
NumPy reference (conv forward/input grad/weight grad, unfold/fold, max pool with ties/NaN/-inf and
its scatter/gather, avg pool and its transpose) and reports one result per check. No GPU needed.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def _run(*args):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, str(HERE / "_sim_check.py"), *args], capture_output=True, text=True,
                          env=env, timeout=600, cwd=ROOT)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"simulator run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture(scope="module")
def results():
    return _run()


def _names():
    # the check names, as the script defines them (kept in sync by test_every_check_ran)
    names = []
    for dt in ("float32", "float64"):
        names += [f"conv_{k}_{dt}" for k in range(4)]
        names += [f"max_pool_{k}_{dt}" for k in range(3)]
        names += [f"avg_pool_{k}_{dt}" for k in range(3)]
    return sorted(names + ["conv_empty"])


@pytest.mark.parametrize("name", _names())
def test_cuda_kernel_matches_reference_in_simulator(results, name):
    assert name in results, f"check {name} did not run"
    assert results[name] == "ok", results[name]


def test_every_check_ran(results):
    assert sorted(results) == _names()


def test_cuda_backend_provides_the_whole_interface():
    """cuda.py has every function of kernels/interface.py (its fused ones are the defaults)."""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    code = "from minigrad.kernels import cuda, interface; print(interface.missing(cuda))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["[]"]
