"""torch's own OpInfo samples, run against minigrad.

The op table (``testing/op_db``) draws inputs with hypothesis. torch's test suite has its own
table, ``torch.testing._internal.common_methods_invocations.op_db`` (it needs the ``expecttest``
package), with hand-picked corner cases for every op. This module runs those samples through
minigrad: for every OpInfo whose name minigrad exposes, each sample input of each dtype is
converted to minigrad tensors, the op is called in both libraries, and the outputs and the
gradients of every input that requires grad (under the same random upstream gradient) are
compared.

    python -m minigrad.testing.torch_opinfo                 # every exposed name, float32 + float64
                                                            # (+ complex64/128 for COMPLEX's names)
    python -m minigrad.testing.torch_opinfo sort topk -v    # some names, with each failure
    python -m minigrad.testing.torch_opinfo --missing       # OpInfo names minigrad lacks
    python -m minigrad.testing.torch_opinfo --markdown docs/torch_opinfo.md --known tests/parity/torch_opinfo_known.txt

``--markdown`` writes the published summary (names exposed, the pass rate, every failing
sample); ``--known`` writes the list of failing samples that tests/parity/test_torch_opinfo.py
holds CI to (a new failure, or a listed one that now passes, fails that test).

A name is *exposed* when minigrad has the callable under torch's path (``linalg.det`` ->
``minigrad.linalg.det``, ``nn.functional.pad`` -> ``minigrad.nn.functional.pad``) or as a
Tensor method; an OpInfo whose ``op`` is a lambda over tensor methods (``H``, ``mT``) is called
with minigrad tensors as it is.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import types
from collections import defaultdict

import numpy as np

import minigrad

__all__ = ["load_op_db", "resolve", "exposed_names", "run_opinfo", "run", "SampleResult"]

DTYPES = ("float32", "float64", "complex64", "complex128")
COMPLEX_DTYPES = ("complex64", "complex128")

# The OpInfo names whose complex samples run (the ops declared complex-capable, ops/complex.py);
# any other op refuses complex inputs, so its complex samples are not run. A complex sample of one
# of these names that reaches an op without complex support is skipped, with that op named.
COMPLEX = {
    "real", "imag", "conj", "conj_physical", "resolve_conj", "resolve_neg", "angle", "polar", "complex",
    "view_as_real", "view_as_complex", "abs", "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt",
    "reciprocal", "sum", "mean", "matmul", "mm", "bmm", "mv", "reshape", "view", "flatten", "squeeze", "unsqueeze",
    "transpose", "permute", "t", "cat", "stack", "flip", "roll", "clone", "expand", "where", "narrow",
    "fft.fft", "fft.ifft", "fft.fft2", "fft.ifft2", "fft.fftn", "fft.ifftn", "fft.rfft", "fft.irfft", "fft.rfft2",
    "fft.irfft2", "fft.rfftn", "fft.irfftn", "fft.hfft", "fft.ihfft", "fft.hfft2", "fft.ihfft2", "fft.hfftn",
    "fft.ihfftn", "fft.fftshift", "fft.ifftshift",
}

# Ops whose outputs are random draws: only shapes and dtypes are compared.
RANDOM = {"bernoulli", "randn", "rand", "normal", "uniform", "cauchy", "exponential", "geometric", "log_normal", "multinomial",
          "nn.functional.dropout", "nn.functional.dropout2d", "nn.functional.dropout3d",
          "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout", "nn.functional.rrelu",
          "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d", "rand_like",
          "randn_like", "randint_like", "randint", "empty", "empty_like", "new_empty", "empty_strided",
          "empty_permuted", "new_empty_strided", "svd_lowrank", "pca_lowrank", "poisson"}

# Ops whose outputs are defined up to a gauge: each singular vector or eigenvector up to its sign, and the
# columns past the k-th of full_matrices=True up to a rotation of the subspace they span. torch's CPU build
# runs MKL's LAPACK and NumPy runs OpenBLAS's; both return valid factorizations whose signs differ on some
# inputs, and no convention fixes them (torch's own test_compare_cpu compares its CPU and CUDA SVDs through
# gauge-invariant views for the same reason). Where the raw outputs differ, minigrad's vectors are turned to
# torch's gauge (_align_gauge) and every output is compared again.
GAUGE = {"svd", "linalg.svd", "linalg.eigh", "linalg.eig"}

# Where torch's OpInfo expects its own gradcheck to fail (TestBwdGradients.test_fn_grad marked
# expectedFailure: as_strided_scatter's backward ignores the overwritten elements and the storage offset,
# cov's), torch's gradient is known wrong; a sample whose gradient differs from torch's is then checked
# against the finite-difference gradient of torch's forward instead (run in float64), at
# torch.autograd.gradcheck's tolerance; a float32 gradient's atol allows for its own rounding where terms
# cancel (torch's float32 gradients miss by as much there).
NUMERICAL_GRAD_TOLERANCE = {"float32": (1e-3, 1e-4), "float64": (1e-3, 1e-5)}

# (rtol, atol) of outputs and gradients; atol is scaled by the largest magnitude compared, since a
# float32 sum of many terms in another order differs in its last bits relative to the terms.
TOLERANCE = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5),
             "complex128": (1e-7, 1e-7)}
GRAD_TOLERANCE = {"float32": (1e-5, 1e-5), "float64": (1e-7, 1e-7), "complex64": (1e-5, 1e-5),
                  "complex128": (1e-7, 1e-7)}


def load_op_db():
    """torch's OpInfo list (imports torch's test machinery: several seconds).

    Importing it freezes torch.backends' global flags (torch's test suite sets them only through
    its flags() context managers); they are unfrozen again so that the importing process, a
    pytest run, say, can still set them as any torch program does."""
    import torch.backends
    frozen = torch.backends.flags_frozen()
    from torch.testing._internal.common_methods_invocations import op_db
    if not frozen:
        torch.backends.flags_frozen.__globals__["__allow_nonbracketed_mutation_flag"] = True
    return op_db


def _attribute_path(name):
    obj = minigrad
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _wrapper_set_seed(op, *args, **kwargs):
    """torch's test helper of the same name, for minigrad: seed 42, then call."""
    minigrad.manual_seed(42)
    return op(*args, **kwargs)


def _as_minigrad_program(fn):
    """torch's OpInfo lambda (``lambda tensors, equation: torch.einsum(equation, tensors)``) with
    ``torch`` meaning minigrad: the same code, run as a ported program would be."""
    namespace = dict(fn.__globals__, torch=minigrad, wrapper_set_seed=_wrapper_set_seed)
    return types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)


def resolve(info):
    """minigrad's callable for a torch OpInfo, or None when minigrad does not expose it."""
    name = info.name
    if name.startswith("torch."):
        return None  # aten internals (torch.ops.aten...)
    found = _attribute_path(name)
    method = getattr(minigrad.Tensor, name, None) if "." not in name else None
    if found is None and method is None and name in RANDOM:
        # a random fill known by its in-place method only (cauchy: Tensor.cauchy_)
        method = getattr(minigrad.Tensor, name + "_", None)
    if not callable(found) and method is None:
        return None   # absent, or a non-callable of that name (minigrad.bfloat16 is a dtype, not Tensor.bfloat16)
    op = info.op
    if getattr(op, "__name__", "") == "<lambda>" and hasattr(op, "__code__"):
        return _as_minigrad_program(op)
    if found is not None and callable(found):
        return found
    if callable(method):
        return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)
    return None


def exposed_names(op_db=None):
    """The OpInfo names minigrad exposes, and the ones it lacks."""
    op_db = op_db if op_db is not None else load_op_db()
    names = sorted({o.name for o in op_db})
    by_name = {}
    for o in op_db:
        by_name.setdefault(o.name, o)
    have = [n for n in names if resolve(by_name[n]) is not None]
    return have, [n for n in names if n not in have]


class Unsupported(Exception):
    """A sample argument minigrad has no counterpart for (a complex tensor, a memory format)."""


def _to_minigrad(value, leaves):
    import torch
    if isinstance(value, torch.Tensor):
        name = str(value.dtype).split(".")[-1]
        dtype = getattr(minigrad, name, None)
        if dtype is None or not isinstance(dtype, minigrad.dtype) or value.layout != torch.strided:
            raise Unsupported(f"{value.dtype} {value.layout} tensor")
        base = value._base
        if base is not None and base.is_contiguous() and base.storage_offset() == 0 and not value.is_conj() \
                and not value.is_neg():   # a view in torch (as_strided's partial views): a view in minigrad too
            array = base.detach().cpu().numpy().copy()
            storage = minigrad.tensor(array, dtype=dtype, requires_grad=base.requires_grad)
            out = minigrad.as_strided(storage, tuple(value.shape), value.stride(), value.storage_offset())
            if value.requires_grad != out.requires_grad:   # (a view made a leaf of its own by requires_grad_)
                out = out.detach().requires_grad_(value.requires_grad)
        else:
            array = value.detach().cpu().resolve_conj().resolve_neg().numpy().copy()
            out = minigrad.tensor(array, dtype=dtype, requires_grad=value.requires_grad)
        if value.requires_grad:
            leaves.append((value, out))
        return out
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, torch.dtype):
        dtype = getattr(minigrad, str(value).split(".")[-1], None)
        if dtype is None:
            raise Unsupported(str(value))
        return dtype
    if isinstance(value, torch.device):
        return minigrad.device(str(value))
    if isinstance(value, torch.nn.Module):   # a stateless module argument (a distance function)
        if any(True for _ in value.parameters()) or not hasattr(minigrad.nn, type(value).__name__):
            raise Unsupported(f"torch module {type(value).__name__}")
        module = getattr(minigrad.nn, type(value).__name__)()
        for key, setting in vars(value).items():
            if not key.startswith("_") and isinstance(setting, (bool, int, float, str, type(None))):
                setattr(module, key, setting)
        return module
    if callable(value) and getattr(value, "__module__", "") and str(value.__module__).startswith("torch"):
        name = getattr(value, "__name__", None)   # a torch function argument: minigrad's of that name
        for namespace in (minigrad.nn.functional, minigrad):
            if name and callable(getattr(namespace, name, None)):
                return getattr(namespace, name)
        raise Unsupported(f"torch function {name}")
    if isinstance(value, (torch.memory_format, torch.layout, torch.Generator)):
        mapped = getattr(minigrad, str(value).split(".")[-1], None)
        if mapped is None:
            raise Unsupported(str(value))
        return mapped
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_to_minigrad(v, leaves) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_to_minigrad(v, leaves) for v in value)
    if isinstance(value, dict):
        return {k: _to_minigrad(v, leaves) for k, v in value.items()}
    return value


def _flatten(out):
    if isinstance(out, (list, tuple)):
        return [x for o in out for x in _flatten(o)]
    return [out]


@dataclasses.dataclass
class SampleResult:
    name: str
    dtype: str
    index: int
    status: str            # "pass", "fail", "skip"
    stage: str = ""        # "call", "forward", "grad"
    message: str = ""


def _as_array(value):
    import torch
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bfloat16:   # (NumPy has no bfloat16 of torch's: its float32 values, exact)
            value = value.float()
        return value.detach().cpu().resolve_conj().resolve_neg().numpy(force=True)  # (force: torch's ZeroTensor gradients)
    if isinstance(value, minigrad.Tensor):
        array = value.numpy(force=True)
        return array.astype(np.float32) if value.dtype == minigrad.bfloat16 else array
    return np.asarray(value)


def _compare(ours, theirs, tolerance, what):
    """None when close; a message otherwise. Sparse COO results are compared as their sparse and dense dims
    and their dense values."""
    import torch
    if isinstance(theirs, torch.Tensor) and theirs.layout == torch.sparse_coo and hasattr(ours, "sparse_dim"):
        if (ours.sparse_dim(), ours.dense_dim()) != (theirs.sparse_dim(), theirs.dense_dim()):
            return (f"{what}: sparse/dense dims {(ours.sparse_dim(), ours.dense_dim())} != torch's "
                    f"{(theirs.sparse_dim(), theirs.dense_dim())}")
        ours, theirs = ours.to_dense(), theirs.to_dense()
    if isinstance(theirs, torch.Tensor) != isinstance(ours, minigrad.Tensor):
        if not (theirs is None or ours is None):
            return f"{what}: minigrad gives {type(ours).__name__}, torch {type(theirs).__name__}"
    if isinstance(theirs, torch.Tensor):
        if tuple(ours.shape) != tuple(theirs.shape):
            return f"{what}: shape {tuple(ours.shape)} != torch's {tuple(theirs.shape)}"
        ours_dtype, theirs_dtype = str(ours.dtype).split(".")[-1], str(theirs.dtype).split(".")[-1]
        if ours_dtype != theirs_dtype:
            return f"{what}: dtype {ours_dtype} != torch's {theirs_dtype}"
    a, b = _as_array(ours), _as_array(theirs)
    if a.shape != b.shape:
        return f"{what}: shape {a.shape} != torch's {b.shape}"
    if a.dtype.kind in "biu" or b.dtype.kind in "biu" or a.dtype == object:
        if not np.array_equal(a, b):
            return f"{what}: values differ ({np.sum(a != b)} of {a.size})"
        return None
    rtol, atol = tolerance
    finite = np.isfinite(b)
    scale = max(1.0, float(np.abs(b[finite]).max())) if finite.any() else 1.0
    with np.errstate(invalid="ignore"):
        close = np.isclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True)
    if not close.all():
        bad = np.argwhere(~close)[0]
        index = tuple(int(i) for i in bad)
        return (f"{what}: {int((~close).sum())} of {a.size} differ; at {index} minigrad {a[index]!r} "
                f"torch {b[index]!r}")
    return None


def _dtype_supported(info, dtype_name):
    import torch
    try:
        return getattr(torch, dtype_name) in info.supported_dtypes("cpu")
    except Exception:  # noqa: BLE001  (an OpInfo without dtype information)
        return True


def run_opinfo(info, dtype_name, *, grad=True, max_samples=None, seed=0):
    """Run one OpInfo's samples in one dtype; a list of SampleResult."""
    import torch
    fn = resolve(info)
    label = info.name + (f".{info.variant_test_name}" if info.variant_test_name else "")
    if fn is None or not _dtype_supported(info, dtype_name):
        return []
    if dtype_name in COMPLEX_DTYPES and info.name not in COMPLEX:
        return []
    torch.manual_seed(seed)
    dtype = getattr(torch, dtype_name)
    want_grad = grad and info.supports_autograd and label.split(".")[0] not in RANDOM and info.name not in RANDOM
    try:
        samples = list(info.sample_inputs("cpu", dtype, requires_grad=want_grad))
    except Exception as exc:  # noqa: BLE001  (torch's sample generator needs something absent here)
        return [SampleResult(label, dtype_name, -1, "skip", "samples", f"{type(exc).__name__}: {exc}")]
    if max_samples is not None:
        samples = samples[:max_samples]
    results = []
    rng = np.random.default_rng(seed)
    for index, sample in enumerate(samples):
        results.append(_run_sample(info, label, fn, sample, dtype_name, index, want_grad, rng))
    return results


def _np_mT(a):
    return np.swapaxes(a, -1, -2)


def _same_shapes_and_dtypes(ours, theirs):
    return all(tuple(m.shape) == tuple(t.shape) and str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
               for m, t in zip(ours, theirs))


def _align_gauge(name, ours, theirs):
    """minigrad's factors (arrays) in torch's gauge: each vector's sign flipped where it points against
    torch's, the columns past the k-th rotated onto torch's (unchanged only if they span the same subspace).
    A vector that is not torch's up to its sign still differs afterwards."""
    def turned(a, b, k):
        sign = np.where((a[..., :k] * b[..., :k]).sum(-2, keepdims=True) < 0, -1, 1).astype(a.dtype)
        rest = a[..., k:] @ (_np_mT(a[..., k:]) @ b[..., k:])
        return np.concatenate([a[..., :k] * sign, rest], -1), sign
    if name == "linalg.eigh":
        return [ours[0], turned(ours[1], theirs[1], ours[1].shape[-1])[0]]
    if name == "linalg.eig":   # complex eigenvectors: each turned by the phase of its overlap with torch's
        overlap = (np.conj(ours[1]) * theirs[1]).sum(-2, keepdims=True)
        return [ours[0], ours[1] * np.exp(1j * np.angle(overlap)).astype(ours[1].dtype)]
    (u, s, v), (u_t, _, v_t) = ours, theirs
    k = s.shape[-1]
    if name == "linalg.svd":   # Vh: the vectors are its rows
        v, v_t = _np_mT(v), _np_mT(v_t)
    u, sign = turned(u, u_t, k)
    v = np.concatenate([v[..., :k] * sign, turned(v, v_t, k)[0][..., k:]], -1)   # V's signs follow U's
    return [u, s, _np_mT(v) if name == "linalg.svd" else v]


def _torch_grad_known_wrong(info, dtype_name):
    """Whether torch's OpInfo marks its own gradcheck of this op as an expected failure (on the CPU)."""
    import unittest
    import torch
    return any(getattr(d, "test_name", None) == "test_fn_grad" and unittest.expectedFailure in d.decorators
               and d.is_active("TestBwdGradients", "test_fn_grad", "cpu", getattr(torch, dtype_name), {})
               for d in info.decorators)


def _numerical_grads(info, sample, leaves_t, picked, upstream, eps=1e-6):
    """The gradients of sum(upstream * outputs) for each leaf by central differences of torch's forward,
    run in float64 (the sample's floating tensors upcast); ``picked`` are the positions of the
    differentiable outputs among output_process_fn_grad's flattened outputs."""
    import torch
    copies = {}

    def upcast(t):
        if isinstance(t, torch.Tensor) and t.dtype.is_floating_point:
            copies[id(t)] = t.detach().to(torch.float64).contiguous().clone()
            return copies[id(t)]
        return t
    wide = sample.transform(upcast)
    weights = [torch.from_numpy(u.astype(np.float64)) for u in upstream]

    def objective():
        outs = _flatten(sample.output_process_fn_grad(info.op(wide.input, *wide.args, **wide.kwargs)))
        return sum(float((w * outs[j].to(torch.float64)).sum()) for j, w in zip(picked, weights))
    grads = []
    with torch.no_grad():
        for leaf in leaves_t:
            x = copies[id(leaf)]
            grad = np.zeros(tuple(x.shape))
            flat = x.view(-1)   # (contiguous: perturbs x in place)
            for i in range(x.numel()):
                kept = float(flat[i])
                flat[i] = kept + eps
                up = objective()
                flat[i] = kept - eps
                down = objective()
                flat[i] = kept
                grad.reshape(-1)[i] = (up - down) / (2 * eps)
            grads.append(grad)
    return grads


def _run_sample(info, label, fn, sample, dtype_name, index, want_grad, rng):
    import torch
    result = SampleResult(label, dtype_name, index, "pass")
    try:
        theirs = info.op(sample.input, *sample.args, **sample.kwargs)
    except Exception as exc:  # noqa: BLE001  (torch rejects its own sample: nothing to compare)
        return dataclasses.replace(result, status="skip", stage="torch", message=f"{type(exc).__name__}: {exc}")
    leaves = []
    try:
        args = _to_minigrad((sample.input, *sample.args), leaves)
        kwargs = _to_minigrad(dict(sample.kwargs), leaves)
    except Unsupported as exc:
        return dataclasses.replace(result, status="skip", stage="convert", message=str(exc))
    try:
        ours = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        if _complex_refused(exc):
            return dataclasses.replace(result, status="skip", stage="call", message=str(exc))
        return dataclasses.replace(result, status="fail", stage="call", message=f"{type(exc).__name__}: {exc}")
    flat_t, flat_m = _flatten(theirs), _flatten(ours)
    if any(isinstance(m, torch.Tensor) for m in flat_m):
        return dataclasses.replace(result, status="fail", stage="call",
                                   message="minigrad's call returned a torch tensor (an op it lacks)")
    if len(flat_t) != len(flat_m):
        return dataclasses.replace(result, status="fail", stage="forward",
                                   message=f"{len(flat_m)} outputs, torch gives {len(flat_t)}")
    random = info.name in RANDOM
    for k, (m, t) in enumerate(zip(flat_m, flat_t)):
        if random:
            if isinstance(t, torch.Tensor) and (not isinstance(m, minigrad.Tensor) or tuple(m.shape) != tuple(t.shape)):
                return dataclasses.replace(result, status="fail", stage="forward", message=f"output {k}: shape")
            continue
        problem = _compare(m, t, TOLERANCE[dtype_name], f"output {k}")
        if problem and info.name in GAUGE and _same_shapes_and_dtypes(flat_m, flat_t):
            aligned = _align_gauge(info.name, [_as_array(x) for x in flat_m], [_as_array(x) for x in flat_t])
            problem = next((f"{p} (in torch's gauge)" for j, (a, t) in enumerate(zip(aligned, flat_t))
                            if (p := _compare(a, _as_array(t), TOLERANCE[dtype_name], f"output {j}"))), None)
            if problem is None:
                break   # every output agrees in torch's gauge
        if problem:
            return dataclasses.replace(result, status="fail", stage="forward", message=problem)
    if not want_grad or random or not leaves:
        return result
    process = sample.output_process_fn_grad
    try:
        outputs_t = _flatten(process(theirs))
        picked = [j for j, t in enumerate(outputs_t) if isinstance(t, torch.Tensor) and t.requires_grad
                  and (t.dtype.is_floating_point or t.dtype.is_complex)]
        grad_t = [outputs_t[j] for j in picked]
        grad_m = [m for m in _flatten(process(ours)) if isinstance(m, minigrad.Tensor) and m.requires_grad
                  and (m.dtype.is_floating_point or m.dtype.is_complex)]
    except Exception as exc:  # noqa: BLE001
        return dataclasses.replace(result, status="fail", stage="grad", message=f"output_process_fn_grad: {exc}")
    if not grad_t:
        return result
    if len(grad_m) != len(grad_t):
        return dataclasses.replace(result, status="fail", stage="grad",
                                   message=f"{len(grad_m)} differentiable outputs, torch has {len(grad_t)}")
    upstream = [_upstream(rng, t, dtype_name) for t in grad_t]
    inputs_t = [t for t, _ in leaves]
    inputs_m = [m for _, m in leaves]
    try:
        expected = torch.autograd.grad(grad_t, inputs_t, [torch.from_numpy(u) for u in upstream], allow_unused=True)
    except Exception as exc:  # noqa: BLE001
        return dataclasses.replace(result, status="skip", stage="grad", message=f"torch: {type(exc).__name__}: {exc}")
    try:
        got = minigrad.autograd.grad(grad_m, inputs_m, [minigrad.tensor(u) for u in upstream], allow_unused=True)
    except Exception as exc:  # noqa: BLE001
        if _complex_refused(exc):
            return dataclasses.replace(result, status="skip", stage="grad", message=str(exc))
        return dataclasses.replace(result, status="fail", stage="grad", message=f"{type(exc).__name__}: {exc}")
    for k, (m, t, x) in enumerate(zip(got, expected, inputs_t)):
        if t is None and m is None:
            continue
        t = torch.zeros_like(x) if t is None else t
        m = minigrad.zeros(tuple(x.shape), dtype=getattr(minigrad, dtype_name)) if m is None else m
        problem = _compare(m, t, GRAD_TOLERANCE[dtype_name], f"grad of input {k}")
        if problem and _torch_grad_known_wrong(info, dtype_name):
            numerical = _numerical_grads(info, sample, inputs_t, picked, upstream)
            problem = next((f"{p} (and differs from finite differences: torch's gradcheck of this op is an expected "
                            f"failure)" for j, (g, n) in enumerate(zip(got, numerical))
                            if (p := _compare(_as_array(g) if g is not None else np.zeros_like(n), n,
                                              NUMERICAL_GRAD_TOLERANCE[dtype_name], f"grad of input {j}"))), None)
            if problem is None:
                break   # minigrad's gradients are the numerical ones; torch's known-wrong ones are not the spec
        if problem:
            return dataclasses.replace(result, status="fail", stage="grad", message=problem)
    return result


def _upstream(rng, t, dtype_name):
    """A random upstream gradient for output ``t``: in the sample's real dtype, in the output's own
    dtype when a complex sample or output is involved (complex: both parts random)."""
    if not t.dtype.is_complex and dtype_name not in COMPLEX_DTYPES:
        return rng.standard_normal(tuple(t.shape)).astype(dtype_name)
    output_dtype = str(t.dtype).split(".")[-1]
    if not t.dtype.is_complex:
        return np.asarray(rng.standard_normal(tuple(t.shape)), dtype=output_dtype)
    parts = rng.standard_normal((2,) + tuple(t.shape))
    return np.asarray(parts[0] + 1j * parts[1], dtype=output_dtype)


def _complex_refused(exc) -> bool:
    """minigrad's refusal of a complex input to an op without complex support (autograd.function)."""
    return isinstance(exc, NotImplementedError) and "does not support complex tensors" in str(exc)


def run(names=None, *, dtypes=DTYPES, grad=True, max_samples=None, op_db=None, progress=None):
    """Every sample of the named (default: every exposed) OpInfo; a list of SampleResult."""
    import warnings
    op_db = op_db if op_db is not None else load_op_db()
    wanted = set(names) if names else None
    results = []
    for info in op_db:
        label = info.name + (f".{info.variant_test_name}" if info.variant_test_name else "")
        if wanted is not None and info.name not in wanted and label not in wanted:
            continue
        if resolve(info) is None:
            continue
        for dtype_name in dtypes:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = run_opinfo(info, dtype_name, grad=grad, max_samples=max_samples)
            results.extend(rows)
            if progress:
                progress(label, dtype_name, rows)
    return results


def summarize(results):
    """(passed, failed, skipped) counts and the per-label failure lists."""
    by_label = defaultdict(lambda: {"pass": 0, "fail": 0, "skip": 0, "failures": []})
    for r in results:
        row = by_label[r.name]
        row[r.status] += 1
        if r.status == "fail":
            row["failures"].append(r)
    passed = sum(r.status == "pass" for r in results)
    failed = sum(r.status == "fail" for r in results)
    skipped = sum(r.status == "skip" for r in results)
    return passed, failed, skipped, dict(by_label)


def sample_key(r) -> str:
    return f"{r.name} {r.dtype} {r.index}"


def known_text(results) -> str:
    """The failing samples, one ``label dtype index  # stage: message`` line each, sorted."""
    lines = [f"{sample_key(r)}  # {r.stage}: {r.message[:120]}".replace("\n", " ")
             for r in results if r.status == "fail"]
    header = ("# torch OpInfo samples minigrad fails today (written by python -m minigrad.testing.torch_opinfo "
              "--known); tests/parity/test_torch_opinfo.py fails on any change to this list\n")
    return header + "".join(line + "\n" for line in sorted(lines))


def read_known(path) -> set:
    with open(path) as fh:
        return {line.split("#")[0].strip() for line in fh if line.strip() and not line.startswith("#")}


def to_markdown(results, have, lacking, max_samples=None) -> str:
    import torch
    passed, failed, skipped, by_label = summarize(results)
    compared = passed + failed
    lines = [
        "# torch's OpInfo samples, run against minigrad",
        "",
        "Generated by `python -m minigrad.testing.torch_opinfo --markdown docs/torch_opinfo.md` (torch "
        f"{torch.__version__}); do not edit. Every sample input that torch's own test table "
        "(`torch.testing._internal.common_methods_invocations.op_db`) gives for an op minigrad exposes is run "
        "in both libraries, float32 and float64 (and complex64 and complex128 for the ops with complex "
        "support, `COMPLEX` in minigrad/testing/torch_opinfo.py), comparing outputs and the gradients of every "
        "input that requires grad (complex upstream gradients for complex outputs). Random ops compare shapes "
        "and dtypes only.",
        "",
        "Singular vectors and eigenvectors (svd, linalg.svd, linalg.eigh) are compared in torch's gauge where "
        "their signs differ (torch's MKL and NumPy's OpenBLAS pick different ones); where torch's OpInfo marks "
        "its own gradcheck an expected failure (as_strided_scatter, cov), a gradient that differs from torch's "
        "is compared with finite differences instead.",
        "",
        f"- OpInfo names exposed: **{len(have)} of {len(have) + len(lacking)}**",
        f"- samples passing: **{passed} of {compared} ({100 * passed / max(compared, 1):.2f}%)**"
        + (f", at most {max_samples} per op and dtype" if max_samples else ""),
        f"- samples skipped: {skipped} (torch rejects the sample, it needs a dtype or memory format minigrad "
        "does not have, or a complex sample reaches an op without complex support)",
        "",
        "## Failing samples",
        "",
        "| op | dtype | sample | stage | message |",
        "|---|---|---|---|---|",
    ]
    for label in sorted(by_label):
        for r in by_label[label]["failures"]:
            message = r.message[:160].replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {label} | {r.dtype} | {r.index} | {r.stage} | {message} |")
    lines += ["", "## OpInfo names minigrad does not expose", "", " ".join(f"`{n}`" for n in lacking), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minigrad.testing.torch_opinfo", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="OpInfo names (default: every exposed one)")
    parser.add_argument("--dtypes", default=",".join(DTYPES))
    parser.add_argument("--no-grad", action="store_true", help="compare forward results only")
    parser.add_argument("--max-samples", type=int, default=None)
    parser.add_argument("--missing", action="store_true", help="list the OpInfo names minigrad lacks and exit")
    parser.add_argument("--json", help="write every sample's result to this file")
    parser.add_argument("--markdown", help="write the summary as markdown to this file")
    parser.add_argument("--known", help="write the failing samples, one per line, to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failing sample")
    args = parser.parse_args(argv)
    op_db = load_op_db()
    have, lacking = exposed_names(op_db)
    total = len(have) + len(lacking)
    if args.missing:
        print(f"{len(lacking)} of {total} OpInfo names missing:")
        print(" ".join(lacking))
        return 0
    unknown = [n for n in args.names if n not in have and not any(n.startswith(h + ".") for h in have)]
    if unknown:
        print(f"not exposed by minigrad (or not an OpInfo name): {' '.join(unknown)}", file=sys.stderr)

    def progress(label, dtype_name, rows):
        bad = [r for r in rows if r.status == "fail"]
        if bad or args.verbose:
            print(f"{label:45s} {dtype_name:8s} {len(rows) - len(bad):4d}/{len(rows):<4d}"
                  + (f"  first: [{bad[0].stage}] {bad[0].message[:150]}" if bad else ""), flush=True)
        if args.verbose:
            for r in bad[1:]:
                print(f"{'':45s} {'':8s} sample {r.index}: [{r.stage}] {r.message[:150]}")

    results = run(args.names or None, dtypes=tuple(args.dtypes.split(",")), grad=not args.no_grad,
                  max_samples=args.max_samples, op_db=op_db, progress=progress)
    passed, failed, skipped, _ = summarize(results)
    compared = passed + failed
    rate = passed / compared if compared else math.nan
    print(f"\nexposed OpInfo names: {len(have)} of {total}")
    print(f"samples: {passed} passed, {failed} failed, {skipped} skipped (torch rejects them, or minigrad has "
          f"no dtype for them): pass rate {100 * rate:.2f}%")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([dataclasses.asdict(r) for r in results], fh)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(to_markdown(results, have, lacking, max_samples=args.max_samples))
    if args.known:
        with open(args.known, "w") as fh:
            fh.write(known_text(results))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
