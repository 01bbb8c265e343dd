"""The op table's record type and the checks it drives (used by tests/ and the parity report).

An :class:`OpInfo` is plain data: the minigrad callable, the torch callable, a hypothesis
strategy for inputs, the dtypes, tolerances and whether grad-of-grad is supported. The three
checks below run one drawn sample in both frameworks and compare, with torch as the spec:

* :func:`check_forward`: values and dtypes of every output;
* :func:`check_grad`: the gradient of every differentiable input (a random cotangent, so that
  every output element matters);
* :func:`check_gradgrad`: the gradient of <grad, v> w.r.t. the inputs and the cotangent,
  built with ``create_graph=True`` on both sides.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

import minigrad
from .assertions import TOLERANCES, compare_arrays

__all__ = ["OpInfo", "ErrorCase", "Sample", "NoGrad", "check_error", "check_forward", "check_grad", "check_gradgrad", "check_gradcheck",
           "TOLERANCES", "torch_devices"]

# TOLERANCES: per-dtype (rtol, atol), torch.testing.assert_close's defaults (see assertions.py).


@dataclasses.dataclass
class NoGrad:
    """Marks a floating-point array argument that should not require grad (targets, weights...)."""

    array: np.ndarray


@dataclasses.dataclass
class Sample:
    """One call: positional ``args`` (ndarrays become tensors) and keyword ``kwargs``.

    ``kwargs`` values may be ndarrays too (e.g. a ``weight=``); they become tensors without grad.
    """

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)

    def __repr__(self):
        def show(a):
            if isinstance(a, NoGrad):
                a = a.array
            if isinstance(a, np.ndarray):
                return f"array(shape={a.shape}, dtype={a.dtype}, values={a.tolist()})"
            return repr(a)
        args = ", ".join(show(a) for a in self.args)
        kwargs = ", ".join(f"{k}={show(v)}" for k, v in self.kwargs.items())
        return f"Sample({args}; {kwargs})"


@dataclasses.dataclass
class OpInfo:
    name: str
    op: Callable                     # minigrad callable
    ref: Callable                    # torch callable with the same signature
    sample: Callable[[Any], Any]     # dtype (NumPy) -> hypothesis strategy of Sample
    dtypes: tuple = ("float32", "float64")
    grad: bool = True                # has a gradient (False: comparisons, argmax...)
    gradgrad: bool = True            # supports double backward
    gradcheck: bool = True           # run the numerical gradcheck in float64
    rtol: dict | None = None         # per dtype name, overrides TOLERANCES
    atol: dict | None = None
    family: str = ""                 # module it lives in, for reports
    notes: str = ""
    cuda_ref: str = "cuda"           # "cpu": torch's CUDA kernel defines this case differently from
                                     # its CPU kernel (ties); compare with torch's CPU. "none": the
                                     # result is undefined (a cast of inf to int); minigrad on CUDA is not compared

    def tolerance(self, dtype_name: str):
        # Integer and bool samples: their float results (exp of an int...) are in the default dtype;
        # integer results compare exactly whatever the tolerance.
        rtol, atol = TOLERANCES.get(dtype_name) or TOLERANCES[minigrad.get_default_dtype().name]
        if self.rtol and dtype_name in self.rtol:
            rtol = self.rtol[dtype_name]
        if self.atol and dtype_name in self.atol:
            atol = self.atol[dtype_name]
        return rtol, atol

    def __repr__(self):
        return f"OpInfo({self.name})"


@dataclasses.dataclass
class ErrorCase:
    """A bad call: minigrad must raise torch's exception class, with a message naming the culprits.

    ``call(lib)`` performs the call with ``lib`` being either the ``minigrad`` or the ``torch``
    module; ``mentions`` are substrings (shapes, argument names) minigrad's message must contain.
    """

    name: str
    call: Callable
    mentions: tuple = ()

    def __repr__(self):
        return f"ErrorCase({self.name})"


def check_error(case: ErrorCase):
    import torch
    try:
        case.call(torch)
    except Exception as exc:
        expected = type(exc)
    else:
        raise AssertionError(f"{case.name}: torch accepts this call; the case is wrong")
    try:
        case.call(minigrad)
    except Exception as exc:
        if not isinstance(exc, expected):
            raise AssertionError(f"{case.name}: minigrad raised {type(exc).__name__}({exc}); torch raises "
                                 f"{expected.__name__}") from exc
        for text in case.mentions:
            assert text in str(exc), f"{case.name}: message {str(exc)!r} does not mention {text!r}"
        return
    raise AssertionError(f"{case.name}: minigrad accepted a call that torch rejects with {expected.__name__}")


def torch_devices():
    import torch
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


# -- building inputs on both sides ------------------------------------------------------------
def _is_diff(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _to_minigrad(a, requires_grad: bool, device="cpu"):
    if isinstance(a, NoGrad):
        return minigrad.tensor(a.array, device=device if device != "cpu" else None)
    if isinstance(a, np.ndarray):
        t = minigrad.tensor(a, device=device if device != "cpu" else None)
        return t.requires_grad_() if requires_grad and _is_diff(a) else t
    if isinstance(a, (list, tuple)) and a and all(isinstance(x, (np.ndarray, NoGrad)) for x in a):
        return type(a)(_to_minigrad(x, requires_grad, device) for x in a)
    return a


def _to_torch(a, requires_grad: bool, device="cpu"):
    import torch
    if isinstance(a, NoGrad):
        return torch.tensor(a.array, device=device)
    if isinstance(a, np.ndarray):
        t = torch.tensor(a, device=device)
        return t.requires_grad_() if requires_grad and _is_diff(a) else t
    if isinstance(a, (list, tuple)) and a and all(isinstance(x, (np.ndarray, NoGrad)) for x in a):
        return type(a)(_to_torch(x, requires_grad, device) for x in a)
    return a


def _flat_tensors(args, labels=None, prefix="input "):
    """The tensors that require grad, in order; ``labels`` collects their positions ("input 2[0]")."""
    out = []
    for i, a in enumerate(args):
        if isinstance(a, (list, tuple)):
            out.extend(_flat_tensors(a, labels, f"{prefix}{i}["))
        elif hasattr(a, "requires_grad") and a.requires_grad:
            out.append(a)
            if labels is not None:
                labels.append(f"{prefix}{i}" + ("]" if prefix.endswith("[") else ""))
    return out


def _outputs(result):
    if isinstance(result, (tuple, list)):  # torch's named results (values, indices) are tuples too
        return list(result)
    return [result]


def reference_device(op: OpInfo, sample: Sample, ref_device: str) -> str:
    """Where torch runs for this sample. torch on CPU is the spec; torch on CUDA is the reference
    wherever its kernels define the same thing, that is except for ops whose CUDA kernels break
    ties or cast out-of-range values differently (``op.cuda_ref == "cpu"``) and for samples holding
    an empty array: torch 2.11's CUDA embedding reads out of bounds on an empty weight, and that
    error poisons every later CUDA call of the process."""
    if ref_device != "cuda":
        return ref_device
    arrays = [a.array if isinstance(a, NoGrad) else a for a in (*sample.args, *sample.kwargs.values())]
    flat = [x for a in arrays for x in (a if isinstance(a, (list, tuple)) else (a,))]
    if op.cuda_ref == "cpu" or any(isinstance(a, np.ndarray) and a.size == 0 for a in flat):
        return "cpu"
    return ref_device


def _build(op: OpInfo, sample: Sample, requires_grad: bool, device, ref_device=None):
    """Both frameworks' arguments: minigrad's on ``device``, torch's on ``ref_device`` (default: the same)."""
    ref_device = reference_device(op, sample, device if ref_device is None else ref_device)
    mg_args = [_to_minigrad(a, requires_grad, device) for a in sample.args]
    mg_kwargs = {k: _to_minigrad(v, False, device) for k, v in sample.kwargs.items()}
    th_args = [_to_torch(a, requires_grad, ref_device) for a in sample.args]
    th_kwargs = {k: _to_torch(v, False, ref_device) for k, v in sample.kwargs.items()}
    return mg_args, mg_kwargs, th_args, th_kwargs


def _np(x):
    if isinstance(x, minigrad.Tensor):
        return x.detach().numpy(force=True) if hasattr(x, "numpy") else np.asarray(x)
    return x.detach().cpu().numpy(force=True)  # force: torch's grad-of-grad may be a ZeroTensor


def _assert_close(actual, expected, rtol, atol, what):
    """assert_close on arrays with torch's semantics: |a - e| <= atol + rtol*|e|, NaNs equal.

    Returns ``(largest absolute error, largest relative error)`` when the arrays are close.
    """
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape mismatch: minigrad {a.shape} vs torch {e.shape}")
    result = compare_arrays(a, e, rtol, atol, equal_nan=True)
    if result.bad:
        raise AssertionError(f"{what}: values differ (minigrad vs torch)\n" + result.describe(rtol, atol))
    return result.max_abs, result.max_rel


def _note(stats, errors):
    """Fold one comparison's (abs, rel) errors into a check's running maxima."""
    if stats is not None:
        stats["abs"] = max(stats.get("abs", 0.0), errors[0])
        stats["rel"] = max(stats.get("rel", 0.0), errors[1])
    return errors[0]


def _dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


# -- the checks -----------------------------------------------------------------------------
# Each check takes minigrad's ``device`` and optionally torch's ``ref_device`` (default: the same),
# returns the largest absolute error seen, and, given a ``stats`` dict, records the largest
# absolute and relative errors in it (keys "abs" and "rel"), for the parity report.

def _mg_device(device):
    return device if device != "cpu" else None


def check_forward(op: OpInfo, sample: Sample, dtype_name: str, device="cpu", *, ref_device=None, stats=None):
    """Outputs' values and dtypes match torch's. Returns the largest absolute error seen."""
    import torch
    mg_args, mg_kwargs, th_args, th_kwargs = _build(op, sample, False, device, ref_device)
    try:
        try:
            expected = _outputs(op.ref(*th_args, **th_kwargs))
        except (NotImplementedError, RuntimeError):
            if reference_device(op, sample, ref_device or device) != "cuda":
                raise
            # torch's CUDA kernels lack some dtypes (integer matmul) or reject some broadcasts that
            # its CPU kernels accept: the CPU result is the spec
            _, _, th_args, th_kwargs = _build(op, sample, False, device, "cpu")
            expected = _outputs(op.ref(*th_args, **th_kwargs))
    except Exception as exc:  # torch rejects the sample: minigrad must reject it the same way
        try:
            op.op(*mg_args, **mg_kwargs)
        except type(exc):
            return 0.0
        except Exception as mine:
            raise AssertionError(f"{op.name}: torch raised {type(exc).__name__}({exc}); minigrad raised "
                                 f"{type(mine).__name__}({mine})") from mine
        raise AssertionError(f"{op.name}: torch raised {type(exc).__name__}({exc}) but minigrad returned a result")
    actual = _outputs(op.op(*mg_args, **mg_kwargs))
    assert len(actual) == len(expected), f"{op.name}: {len(actual)} outputs vs torch's {len(expected)}"
    rtol, atol = op.tolerance(dtype_name)
    worst = 0.0
    for i, (a, e) in enumerate(zip(actual, expected)):
        if not isinstance(e, torch.Tensor):
            assert a == e, f"{op.name} output {i}: {a!r} vs torch {e!r}"
            continue
        assert isinstance(a, minigrad.Tensor), f"{op.name} output {i} is {type(a).__name__}, not a Tensor"
        assert _dtype_name(a) == _dtype_name(e), \
            f"{op.name} output {i}: dtype minigrad.{_dtype_name(a)} vs torch.{_dtype_name(e)}"
        errors = _assert_close(_np(a), _np(e), rtol, atol, f"{op.name} output {i} ({dtype_name})")
        worst = max(worst, _note(stats, errors))
    return worst


def _cotangents(outputs, seed=0):
    rs = np.random.default_rng(seed)
    return [rs.standard_normal(o.shape) + (1j * rs.standard_normal(o.shape) if o.is_complex() else 0)
            for o in outputs]


def _real_loss(t):
    """A complex <grad, w> as a real loss (its real part: Re<g, w> is what torch's convention differentiates)."""
    return t.real if t.is_complex() else t


def _diff_outputs(outputs):
    return [o for o in outputs if hasattr(o, "requires_grad") and o.requires_grad]


def check_grad(op: OpInfo, sample: Sample, dtype_name: str, device="cpu", *, ref_device=None, stats=None):
    """Every differentiable input's gradient matches torch's. Returns the largest absolute error."""
    import torch
    mg_args, mg_kwargs, th_args, th_kwargs = _build(op, sample, True, device, ref_device)
    labels = []
    th_inputs = _flat_tensors(th_args, labels)
    if not th_inputs:
        return 0.0
    try:
        th_out = _diff_outputs(_outputs(op.ref(*th_args, **th_kwargs)))
    except Exception:
        return 0.0  # an invalid sample; check_forward covers the error parity
    mg_out = _diff_outputs(_outputs(op.op(*mg_args, **mg_kwargs)))
    assert len(mg_out) == len(th_out), f"{op.name}: {len(mg_out)} differentiable outputs vs torch's {len(th_out)}"
    if not th_out:
        return 0.0
    cots = _cotangents(th_out)
    th_grads = torch.autograd.grad(th_out, th_inputs, [torch.tensor(c, dtype=o.dtype, device=o.device)
                                                       for c, o in zip(cots, th_out)], allow_unused=True)
    mg_inputs = _flat_tensors(mg_args)
    mg_grads = minigrad.autograd.grad(mg_out, mg_inputs, [minigrad.tensor(c, dtype=o.dtype, device=_mg_device(device))
                                                         for c, o in zip(cots, mg_out)], allow_unused=True)
    rtol, atol = op.tolerance(dtype_name)
    worst = 0.0
    for label, a, e in zip(labels, mg_grads, th_grads):
        if e is None:
            assert a is None or not np.any(_np(a)), f"{op.name}: {label} has a gradient, torch's is None"
            continue
        assert a is not None, f"{op.name}: {label} got no gradient; torch's is {_np(e)}"
        assert _dtype_name(a) == _dtype_name(e), \
            f"{op.name} gradient of {label}: dtype minigrad.{_dtype_name(a)} vs torch.{_dtype_name(e)}"
        errors = _assert_close(_np(a), _np(e), rtol, atol, f"{op.name} gradient of {label} ({dtype_name})")
        worst = max(worst, _note(stats, errors))
    return worst


def check_gradgrad(op: OpInfo, sample: Sample, dtype_name: str, device="cpu", *, ref_device=None, stats=None):
    """d<grad(out; v), w>/d(inputs, v) matches torch (grad-of-grad). Returns the largest abs error."""
    import torch
    mg_args, mg_kwargs, th_args, th_kwargs = _build(op, sample, True, device, ref_device)
    labels = []
    th_inputs = _flat_tensors(th_args, labels)
    if not th_inputs:
        return 0.0
    try:
        th_out = _diff_outputs(_outputs(op.ref(*th_args, **th_kwargs)))
    except Exception:
        return 0.0
    if not th_out:
        return 0.0
    mg_inputs = _flat_tensors(mg_args)
    mg_out = _diff_outputs(_outputs(op.op(*mg_args, **mg_kwargs)))
    assert len(mg_out) == len(th_out), f"{op.name}: {len(mg_out)} differentiable outputs vs torch's {len(th_out)}"
    cots = _cotangents(th_out, seed=1)
    th_v = [torch.tensor(c, dtype=o.dtype, device=o.device, requires_grad=True) for c, o in zip(cots, th_out)]
    mg_v = [minigrad.tensor(c, dtype=o.dtype, device=_mg_device(device), requires_grad=True)
            for c, o in zip(cots, mg_out)]
    th_g = torch.autograd.grad(th_out, th_inputs, th_v, create_graph=True, allow_unused=True)
    mg_g = minigrad.autograd.grad(mg_out, mg_inputs, mg_v, create_graph=True, allow_unused=True)
    ws = _cotangents([g for g in th_g if g is not None], seed=2)
    th_terms = [_real_loss((g * torch.tensor(w, dtype=g.dtype, device=g.device)).sum()) for g, w in
                zip([g for g in th_g if g is not None], ws) if g.requires_grad]
    mg_terms = [_real_loss((g * minigrad.tensor(w, dtype=g.dtype, device=_mg_device(device))).sum()) for g, w in
                zip([g for g in mg_g if g is not None], ws) if g.requires_grad]
    if not th_terms:
        return 0.0  # the gradient does not depend on the inputs (a linear op)
    assert len(mg_terms) == len(th_terms), \
        f"{op.name}: {len(mg_terms)} first-order gradients are differentiable vs torch's {len(th_terms)}"
    th_total, mg_total = sum(th_terms), sum(mg_terms)
    th_gg = torch.autograd.grad(th_total, th_inputs + th_v, allow_unused=True)
    mg_gg = minigrad.autograd.grad(mg_total, mg_inputs + mg_v, allow_unused=True)
    rtol, atol = op.tolerance(dtype_name)
    rtol, atol = rtol * 10, atol * 10  # two chained derivatives
    labels = labels + [f"cotangent of output {i}" for i in range(len(th_v))]
    worst = 0.0
    for label, a, e in zip(labels, mg_gg, th_gg):
        if e is None:
            assert a is None or not np.any(_np(a)), f"{op.name}: grad-of-grad of {label} present, torch's is None"
            continue
        if a is None:
            a_np = np.zeros(tuple(e.shape))
        else:
            a_np = _np(a)
        errors = _assert_close(a_np, _np(e), rtol, atol, f"{op.name} grad-of-grad of {label} ({dtype_name})")
        worst = max(worst, _note(stats, errors))
    return worst


def check_gradcheck(op: OpInfo, sample: Sample, gradgrad: bool = False):
    """Numerical gradcheck (and gradgradcheck) of the minigrad op in float64."""
    args = [_to_minigrad(a, True) for a in sample.args]
    kwargs = {k: _to_minigrad(v, False) for k, v in sample.kwargs.items()}
    positions = [i for i, a in enumerate(args) if isinstance(a, minigrad.Tensor) and a.requires_grad]
    if not positions:
        return True

    def fn(*xs):
        full = list(args)
        for i, x in zip(positions, xs):
            full[i] = x
        return op.op(*full, **kwargs)

    inputs = tuple(args[i] for i in positions)
    check = minigrad.autograd.gradgradcheck if gradgrad else minigrad.autograd.gradcheck
    return check(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
