#!/usr/bin/env bash
# One GPU check for minigrad (issue 7). Usage: benchmarks/gpu_check.sh OUTDIR
# Run from the repo root on a machine with an NVIDIA GPU, CuPy, numba-cuda, torch+CUDA, pytest and
# hypothesis installed (no network needed). Every step is time-boxed and independent; the whole
# script ends in under ~4 minutes. Logs: OUTDIR/<step>.log, junit XML, OUTDIR/summary.txt.
set -u
OUT="${1:?usage: benchmarks/gpu_check.sh OUTDIR}"
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export HYPOTHESIS_PROFILE=ci
PY=${PYTHON:-python}
: > "$OUT/summary.txt"

step() {  # step NAME SECONDS CMD...
  local name=$1 secs=$2; shift 2
  local t0=$SECONDS
  timeout -k 5 "$secs" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "$name rc=$rc ($((SECONDS - t0))s)" | tee -a "$OUT/summary.txt"
}

# (a) environment
step env 30 $PY - <<'PYEOF'
import platform, sys
print("python", sys.version.split()[0], platform.platform())
try:
    import numpy, numba; print("numpy", numpy.__version__, "numba", numba.__version__)
except Exception as e: print("numpy/numba:", e)
try:
    import cupy; print("cupy", cupy.__version__, "devices", cupy.cuda.runtime.getDeviceCount(),
                       cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
except Exception as e: print("cupy:", repr(e))
try:
    import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
                        torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
except Exception as e: print("torch:", repr(e))
import minigrad
print("minigrad.cuda.is_available()", minigrad.cuda.is_available(), minigrad.cuda._state)
PYEOF

# (b) tests: CUDA device tests + simulator kernels, then the CUDA parity subset
step pytest_cuda 55 $PY -m pytest tests/cuda -q -p no:warnings -p no:cacheprovider -rs \
  --junitxml="$OUT/junit_cuda.xml"
step pytest_parity_cuda 60 $PY -m pytest tests/parity/test_ops.py -q -p no:warnings -p no:cacheprovider -x \
  -k "cuda and (conv or pool or add or mul or matmul or sum or cross_entropy or relu)" \
  --junitxml="$OUT/junit_parity_cuda.xml"

# (c) seed CNN training step at batch 256 on cuda: minigrad vs torch (cuDNN), medians
step train_step_bench 55 $PY - <<'PYEOF'
import statistics, time
import numpy as np
import minigrad as mg, torch
from benchmarks import seed_cnn as S

x, y = S.batch(256)
weights, relu = S.initial_weights()

def run(fw, model, xb, yb, sync, n=10, warm=3):
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

m = S.minigrad_model().to("cuda")
tm = S.torch_model(weights, relu).cuda()
torch.backends.cudnn.benchmark = True
t_mg, l_mg = run(mg, m, mg.tensor(x, device="cuda"), mg.tensor(y, device="cuda"), mg.cuda.synchronize)
t_tc, l_tc = run(torch, tm, torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda"), torch.cuda.synchronize)
print(f"seed CNN train step, batch 256, cuda: minigrad {t_mg*1e3:.2f} ms  torch(cuDNN) {t_tc*1e3:.2f} ms  "
      f"ratio {t_mg/t_tc:.2f}x   (last losses {l_mg:.4f} / {l_tc:.4f})")
PYEOF

# (d) one epoch of `minigrad train --device cuda`, if the CLI has --device
MG="$PY -c 'import sys; from minigrad.cli import main; sys.exit(main())'"
if command -v minigrad >/dev/null; then MG=minigrad; fi
if timeout 20 bash -c "$MG train --help" 2>/dev/null | grep -q -- "--device"; then
  step train_epoch_cuda 30 bash -c "$MG train --device cuda --epochs 1"
else
  echo "train_epoch_cuda skipped (minigrad train has no --device option)" | tee -a "$OUT/summary.txt"
fi
cat "$OUT/summary.txt"
