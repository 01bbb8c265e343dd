#!/usr/bin/env bash
# One GPU check for minigrad (issue 7). Usage: benchmarks/gpu_check.sh OUTDIR [PYTEST_WORKERS]
# Environment: STEPS (a space-separated subset of the steps below), PARITY_K (the parity step's
# pytest -k expression, default "cuda"). Run from anywhere on a machine with an NVIDIA GPU, CuPy, numba-cuda, torch+CUDA, pytest and
# hypothesis installed (no network needed; pytest-xdist is used when present). Every step is
# time-boxed and independent; the whole script ends in about 8 minutes at most (about 3 when all
# goes well on an H100). Writes seven files: OUTDIR/summary.txt and one OUTDIR/<step>.log per step.
#   env           versions, devices, minigrad.cuda.is_available()
#   tests_cuda    tests/gpu: device rules, mixed-device errors, CNN cuda-vs-cpu, simulator kernels
#   parity_cuda   the whole parity table with minigrad on cuda vs torch on cuda and on cpu
#   step_bench    the seed CNN's training step at batch 64 and 256, minigrad vs torch (cuDNN)
#   train_cuda    `minigrad train --device cuda --compare-torch` for 3 epochs
#   bench_cuda    `python -m benchmarks --device cuda --quick`
set -u
OUT="${1:?usage: benchmarks/gpu_check.sh OUTDIR [PYTEST_WORKERS]}"
WORKERS="${2:-14}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 HYPOTHESIS_PROFILE=ci CI=true
PY=${PYTHON:-python3}
: > "$OUT/summary.txt"

step() {  # step NAME SECONDS CMD...
  local name=$1 secs=$2; shift 2
  local t0=$SECONDS
  timeout -k 5 "$secs" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "$name rc=$rc ($((SECONDS - t0))s)" | tee -a "$OUT/summary.txt"
  tail -n 3 "$OUT/$name.log" | sed 's/^/    /' >> "$OUT/summary.txt"
}

STEPS="${STEPS:-env tests_cuda parity_cuda step_bench train_cuda bench_cuda}"   # a subset: STEPS="env parity_cuda"
PARITY_K="${PARITY_K:-cuda}"   # pytest -k expression for the parity step
want() { [[ " $STEPS " == *" $1 "* ]]; }

XDIST=""
if $PY -c "import xdist" 2>/dev/null; then XDIST="-n $WORKERS"; fi

want env && step env 45 bash -c "nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc; $PY - <<'PYEOF'
import platform, sys
print('python', sys.version.split()[0], platform.platform())
import numpy, numba; print('numpy', numpy.__version__, 'numba', numba.__version__)
try:
    import numba_cuda; print('numba-cuda', getattr(numba_cuda, '__version__', '?'))
except Exception as e: print('numba-cuda:', repr(e))
import cupy; print('cupy', cupy.__version__, cupy.cuda.runtime.getDeviceProperties(0)['name'].decode())
import torch; print('torch', torch.__version__, torch.cuda.is_available(), torch.cuda.get_device_name(0), 'cudnn', torch.backends.cudnn.version())
import minigrad
print('minigrad.cuda.is_available()', minigrad.cuda.is_available(), minigrad.cuda._state)
x = minigrad.randn(2, 1, 8, 8, device='cuda', requires_grad=True)
w = minigrad.randn(3, 1, 3, 3, device='cuda', requires_grad=True)
y = minigrad.nn.functional.max_pool2d(minigrad.nn.functional.conv2d(x, w, padding=1), 2)
y.sum().backward(); print('smoke conv+pool on cuda ok', y.shape, x.grad.device)
PYEOF"

want tests_cuda && step tests_cuda 90 $PY -m pytest tests/gpu -q -p no:cacheprovider -rfs --tb=short $XDIST

want parity_cuda && step parity_cuda 240 $PY -m pytest tests/parity/test_ops.py -q -p no:cacheprovider \
  -k "$PARITY_K" -rf --tb=line $XDIST

want step_bench && step step_bench 60 $PY - <<'PYEOF'
import statistics, time
import minigrad as mg, torch
from benchmarks import seed_cnn as S
torch.backends.cudnn.benchmark = True
weights, relu = S.initial_weights()

def run(fw, model, xb, yb, sync, n=20, warm=5):
    opt = fw.optim.SGD(model.parameters(), lr=S.LR)
    def step():
        opt.zero_grad()
        loss = fw.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss
    for _ in range(warm):
        step()
    sync()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); loss = step(); sync(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts), float(loss.item())

for b in (64, 256):
    x, y = S.batch(b)
    rows = []
    for rnd in range(3):   # interleaved rounds; medians of medians
        m = S.minigrad_model().to("cuda")
        tm = S.torch_model(weights, relu).cuda()
        rows.append((run(mg, m, mg.tensor(x, device="cuda"), mg.tensor(y, device="cuda"), mg.cuda.synchronize),
                     run(torch, tm, torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda"), torch.cuda.synchronize)))
    t_mg = statistics.median(r[0][0] for r in rows); t_tc = statistics.median(r[1][0] for r in rows)
    print(f"seed CNN train step, batch {b}, cuda: minigrad {t_mg*1e3:.2f} ms  torch(cuDNN) {t_tc*1e3:.2f} ms  "
          f"torch/minigrad {t_tc/t_mg:.2f}x  (last losses {rows[-1][0][1]:.5f} / {rows[-1][1][1]:.5f})")
PYEOF

want train_cuda && step train_cuda 60 $PY -c "import sys; from minigrad.cli import main; sys.exit(main())" \
  train --device cuda --epochs 3 --compare-torch

want bench_cuda && step bench_cuda 45 $PY -m benchmarks --device cuda --quick --out /tmp/minigrad-bench-cuda

cat "$OUT/summary.txt"
