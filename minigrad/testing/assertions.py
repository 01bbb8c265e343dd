"""Assertions for parity tests: ``assert_close`` (torch's semantics) and ``assert_matches_torch``.

``assert_close(actual, expected)`` accepts minigrad tensors, torch tensors, NumPy arrays, Python
numbers and (nested) sequences or mappings of them, in any mix, and passes when every element
satisfies ``|actual - expected| <= atol + rtol * |expected|`` with torch's default tolerances for
the dtype (below). Shapes, dtypes and devices must match, as in ``torch.testing.assert_close``.

``assert_matches_torch(minigrad_fn, torch_fn, *inputs)`` runs a function in both frameworks and
compares outputs, every input's gradient and optionally grad-of-grad; inputs may be hypothesis
strategies, in which case examples are drawn (and a failure is shrunk to a minimal one).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["assert_close", "assert_matches_torch", "default_tolerance", "TOLERANCES"]

# (rtol, atol) per dtype: torch.testing.assert_close's defaults. Integers and bool compare exactly.
TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


def _dtype_name(dtype) -> str:
    """'float32' for minigrad.float32, torch.float32, np.float32 or np.dtype('float32')."""
    if isinstance(dtype, str):
        return dtype.split(".")[-1]
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        return np.dtype(dtype).name
    name = getattr(dtype, "name", None)
    if isinstance(name, str):
        return name
    return str(dtype).split(".")[-1]


def default_tolerance(*dtypes) -> tuple:
    """(rtol, atol) for comparing values of these dtypes: the loosest among them."""
    pairs = [TOLERANCES.get(_dtype_name(d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


# -- the numerical comparison shared with the op table's checks ---------------------------------
class Mismatch:
    """The outcome of comparing two arrays: element counts and the largest errors, with indices."""

    __slots__ = ("bad", "size", "max_abs", "abs_index", "max_rel", "rel_index", "exact")

    def __init__(self, bad, size, max_abs, abs_index, max_rel, rel_index, exact):
        self.bad, self.size = bad, size
        self.max_abs, self.abs_index = max_abs, abs_index
        self.max_rel, self.rel_index = max_rel, rel_index
        self.exact = exact

    def describe(self, rtol, atol) -> str:
        pct = 100.0 * self.bad / max(self.size, 1)
        allowed_abs = "" if self.exact else f" (up to {atol} allowed)"
        allowed_rel = "" if self.exact else f" (up to {rtol} allowed)"
        return (f"Mismatched elements: {self.bad} / {self.size} ({pct:.1f}%)\n"
                f"Greatest absolute difference: {_num(self.max_abs)} at index {self.abs_index}{allowed_abs}\n"
                f"Greatest relative difference: {_num(self.max_rel)} at index {self.rel_index}{allowed_rel}")


def _num(x):
    return int(x) if float(x).is_integer() and math.isfinite(x) and abs(x) < 2**53 else x


def compare_arrays(actual, expected, rtol, atol, equal_nan=True) -> Mismatch:
    """Compare two same-shaped arrays element by element (torch's rule). Never raises.

    The largest absolute and relative errors are taken over all elements (equal NaNs and equal
    infinities count as zero error), as torch reports them.
    """
    a, e = np.asarray(actual), np.asarray(expected)
    exact = a.dtype.kind in "biu" and e.dtype.kind in "biu"
    if a.dtype.kind == "c" or e.dtype.kind == "c":
        a64, e64 = a.astype(np.complex128), e.astype(np.complex128)
    else:
        a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(a64 - e64)
        same = (a64 == e64)  # equal infinities (and every equal pair) are fine
        if equal_nan:
            same |= np.isnan(a64) & np.isnan(e64)
        if exact:
            ok = same
        else:
            # infinities must match exactly (inf vs -inf is within "inf" of tolerance otherwise)
            ok = same | (np.isfinite(e64) & (diff <= atol + rtol * np.abs(e64)))
        diff = np.where(same, 0.0, diff)
        rel = np.where(same, 0.0, diff / np.abs(e64))
    bad = int((~ok).sum())
    if a.size == 0:
        return Mismatch(0, 0, 0.0, (), 0.0, (), exact)
    abs_i = _argmax(diff)
    rel_i = _argmax(rel)
    return Mismatch(bad, int(a.size), float(diff[abs_i]), _index(abs_i), float(rel[rel_i]), _index(rel_i), exact)


def _argmax(x):
    flat = x.reshape(-1)
    nan = np.isnan(flat)
    k = int(np.argmax(nan)) if nan.any() else int(np.argmax(flat))
    return np.unravel_index(k, x.shape) if x.ndim else ()


def _index(i):
    return tuple(int(k) for k in i)


# -- assert_close -----------------------------------------------------------------------------
def _framework(x) -> str:
    mod = type(x).__module__.split(".")[0]
    return mod if mod in ("minigrad", "torch", "numpy") else "python"


def _as_array(x):
    """(array, dtype name, device string or None, framework) for a tensor-like."""
    fw = _framework(x)
    if fw == "minigrad":
        data = x._data
        if not isinstance(data, np.ndarray):
            data = data.get()
        return data, x._data.dtype.name, str(getattr(x.device, "type", x.device)), "minigrad"
    if fw == "torch":
        t = x.detach()
        name = _dtype_name(t.dtype)
        if name == "bfloat16":
            t = t.float()
        return t.cpu().numpy(), name, str(t.device.type), "torch"
    array = np.asarray(x)
    return array, array.dtype.name, "cpu", fw


def _is_tensor_like(x) -> bool:
    return _framework(x) in ("minigrad", "torch") or isinstance(x, (np.ndarray, np.generic))


def _shape_text(fw, shape):
    shape = tuple(int(s) for s in shape)
    if fw == "torch":
        return f"torch.Size({list(shape)})"
    if fw == "minigrad":
        return f"minigrad.Size({list(shape)})"
    return str(shape)


def _dtype_text(fw, name):
    return f"{fw}.{name}" if fw in ("minigrad", "torch") else name


def assert_close(actual, expected, rtol=None, atol=None, *, equal_nan=False, check_dtype=True,
                 check_device=True, msg=None):
    """torch.testing.assert_close for minigrad: raise AssertionError unless ``actual`` is close.

    Either both ``rtol`` and ``atol`` are given or neither (then the defaults of the dtypes
    compared apply: float32 (1.3e-6, 1e-5), float64 (1e-7, 1e-7), float16 (1e-3, 1e-5),
    integers and bool exactly). ``msg`` (a string, or a callable taking the default message)
    replaces the message.
    """
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    _assert_close_rec(actual, expected, rtol, atol, equal_nan, check_dtype, check_device, msg, [])


def _fail(message, msg, path):
    if path:
        message += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)
    if callable(msg):
        message = msg(message)
    elif msg is not None:
        message = msg
    raise AssertionError(message)


def _assert_close_rec(actual, expected, rtol, atol, equal_nan, check_dtype, check_device, msg, path):
    if isinstance(expected, dict) or isinstance(actual, dict):
        if not (isinstance(expected, dict) and isinstance(actual, dict)):
            _fail(f"Expected a mapping on both sides, got {type(actual).__name__} and {type(expected).__name__}.",
                  msg, path)
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match: {sorted(map(repr, actual))} != "
                  f"{sorted(map(repr, expected))}.", msg, path)
        for k in expected:
            _assert_close_rec(actual[k], expected[k], rtol, atol, equal_nan, check_dtype, check_device, msg,
                              path + [k])
        return
    seq = (list, tuple)
    if isinstance(expected, seq) or isinstance(actual, seq):
        if not (isinstance(expected, seq) and isinstance(actual, seq)):
            _fail(f"Expected a sequence on both sides, got {type(actual).__name__} and {type(expected).__name__}.",
                  msg, path)
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", msg, path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_close_rec(a, e, rtol, atol, equal_nan, check_dtype, check_device, msg, path + [i])
        return
    if isinstance(actual, numbers.Number) and isinstance(expected, numbers.Number) \
            and not _is_tensor_like(actual) and not _is_tensor_like(expected):
        _assert_scalars_close(actual, expected, rtol, atol, equal_nan, check_dtype, msg, path)
        return
    if not (_is_tensor_like(actual) and _is_tensor_like(expected)):
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")
    a, a_dtype, a_dev, a_fw = _as_array(actual)
    e, e_dtype, e_dev, e_fw = _as_array(expected)
    if a.shape != e.shape:
        _fail(f"The values for attribute 'shape' do not match: {_shape_text(a_fw, a.shape)} != "
              f"{_shape_text(e_fw, e.shape)}.", msg, path)
    if check_device and a_dev != e_dev:
        _fail(f"The values for attribute 'device' do not match: {a_dev} != {e_dev}.", msg, path)
    if check_dtype and a_dtype != e_dtype:
        _fail(f"The values for attribute 'dtype' do not match: {_dtype_text(a_fw, a_dtype)} != "
              f"{_dtype_text(e_fw, e_dtype)}.", msg, path)
    r, t = (rtol, atol) if rtol is not None else default_tolerance(a_dtype, e_dtype)
    result = compare_arrays(a, e, r, t, equal_nan)
    if result.bad:
        word = "equal" if result.exact else "close"
        _fail(f"Tensor-likes are not {word}!\n\n" + result.describe(r, t), msg, path)


def _assert_scalars_close(actual, expected, rtol, atol, equal_nan, check_dtype, msg, path):
    if check_dtype and type(actual) is not type(expected) and not (
            isinstance(actual, numbers.Integral) and isinstance(expected, numbers.Integral)):
        _fail(f"The values for attribute 'dtype' do not match: {type(actual).__name__} != "
              f"{type(expected).__name__}.", msg, path)
    exact = isinstance(actual, numbers.Integral) and isinstance(expected, numbers.Integral)
    r, t = (rtol, atol) if rtol is not None else ((0.0, 0.0) if exact else TOLERANCES["float64"])
    if isinstance(actual, complex) or isinstance(expected, complex):
        a, e = complex(actual), complex(expected)
    else:
        a, e = float(actual), float(expected)
    if a == e or (equal_nan and a != a and e != e):
        return
    diff = abs(a - e)
    if not exact and diff <= t + r * abs(e):
        return
    rel = diff / abs(e) if e != 0 else math.inf
    word = "equal" if exact else "close"
    allowed = ("", "") if exact else (f" (up to {t} allowed)", f" (up to {r} allowed)")
    _fail(f"Scalars are not {word}!\n\nExpected {expected} but got {actual}.\n"
          f"Absolute difference: {_num(diff)}{allowed[0]}\nRelative difference: {rel}{allowed[1]}", msg, path)


# -- assert_matches_torch ---------------------------------------------------------------------
def assert_matches_torch(minigrad_fn, torch_fn, *inputs, check_grad=True, check_gradgrad=False,
                         devices=("cpu",), dtypes=None, max_examples=None, rtol=None, atol=None,
                         name=None):
    """Run ``minigrad_fn`` and ``torch_fn`` on the same inputs; outputs and gradients must agree.

    Each of ``inputs`` is passed positionally to both functions, converted per framework:

    * a NumPy array, a minigrad tensor or a torch tensor becomes a tensor in each framework;
      floating-point ones require grad (wrap one in :class:`NoGrad` to exclude it);
    * a hypothesis strategy is drawn from (``max_examples`` draws, by default the active
      hypothesis profile's), the drawn value then being converted as above; a failure is
      shrunk to a minimal example, which hypothesis prints;
    * anything else (numbers, tuples of ints, strings) is passed as it is.

    Checked, in order, on every device in ``devices`` (torch's side runs there; minigrad's too
    where it has that device, else on the CPU; devices torch lacks are skipped) and for every
    dtype in ``dtypes`` (floating-point inputs are cast to it; ``None`` keeps the inputs' dtypes):

    1. forward: each output's dtype, shape and values;
    2. ``check_grad``: each floating-point input's gradient, for a random cotangent;
    3. ``check_gradgrad``: the gradient of <grad, w> w.r.t. the inputs and the cotangent.

    Tolerances default to torch's for the dtype (the loosest among the floating-point inputs) and
    are multiplied by 10 for grad-of-grad. On failure the AssertionError names the check, dtype,
    device, the inputs and which output or input differs, with the largest absolute and relative
    errors and their indices.
    """
    import torch
    from hypothesis import HealthCheck, given, settings
    from hypothesis.strategies import SearchStrategy, just, tuples

    from .opinfo import OpInfo, Sample, check_forward, check_grad as grad_check, check_gradgrad as gradgrad_check

    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    name = name or _callable_name(minigrad_fn)
    run_devices = [d for d in devices if _torch_has(torch, d)]
    if not run_devices:
        raise ValueError(f"none of devices={tuple(devices)!r} is available to torch here")
    checks = [("forward", check_forward)]
    if check_grad:
        checks.append(("grad", grad_check))
    if check_gradgrad:
        checks.append(("gradgrad", gradgrad_check))

    def run(values):
        for dt in (dtypes or (None,)):
            args = tuple(_as_input(v, dt) for v in values)
            dtype_name = _dtype_name(dt) if dt is not None else _sample_dtype(args)
            tol = None
            if rtol is not None:
                tol = ({dtype_name: rtol}, {dtype_name: atol})
            op = OpInfo(name, minigrad_fn, torch_fn, sample=None, rtol=tol and tol[0], atol=tol and tol[1])
            sample = Sample(args)
            for device in run_devices:
                mg_device = _minigrad_device(device)
                for order, check in checks:
                    try:
                        check(op, sample, dtype_name, mg_device, ref_device=device)
                    except AssertionError as exc:
                        raise AssertionError(
                            f"{name} does not match torch: {order} check, dtype {dtype_name}, device {device} "
                            f"(minigrad on {mg_device}), inputs ({_describe(args)}):\n{exc}") from None

    if not any(isinstance(v, SearchStrategy) for v in inputs):
        run(inputs)
        return
    strategy = tuples(*(v if isinstance(v, SearchStrategy) else just(v) for v in inputs))
    kw = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    if max_examples is not None:
        kw["max_examples"] = max_examples
    settings(**kw)(given(strategy)(run))()


def _callable_name(fn) -> str:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):  # MyFunction.apply
        return f"{owner.__name__}.{fn.__name__}"
    return getattr(fn, "__qualname__", None) or repr(fn)


def _describe(args, limit=24) -> str:
    """The inputs, with values when they are small enough to read (and to paste into a test)."""
    from .opinfo import NoGrad

    def show(a):
        if isinstance(a, NoGrad):
            return f"NoGrad({show(a.array)})"
        if isinstance(a, np.ndarray):
            if a.size <= limit:
                return f"array({a.tolist()!r}, dtype={a.dtype.name})"
            return f"array(shape={a.shape}, dtype={a.dtype.name}, min={a.min():.4g}, max={a.max():.4g})"
        if isinstance(a, (list, tuple)):
            inner = ", ".join(show(x) for x in a)
            return f"[{inner}]" if isinstance(a, list) else f"({inner})"
        return repr(a)
    return ", ".join(show(a) for a in args)


def _torch_has(torch, device) -> bool:
    kind = str(device).split(":")[0]
    if kind == "cpu":
        return True
    if kind == "cuda":
        return torch.cuda.is_available()
    import warnings
    warnings.warn(f"assert_matches_torch: unknown device {device!r} skipped")
    return False


def _minigrad_device(device):
    if str(device).startswith("cuda"):
        import minigrad
        return device if minigrad.cuda.is_available() else "cpu"
    return "cpu"


def _as_input(value, dtype):
    """A drawn or given input, as the op table's Sample expects it (arrays; NoGrad for constants)."""
    from .opinfo import NoGrad
    if isinstance(value, NoGrad):
        return NoGrad(_cast(_to_numpy(value.array), dtype))
    fw = _framework(value)
    if fw in ("minigrad", "torch"):
        return _cast(_as_array(value)[0].copy(), dtype)
    if isinstance(value, np.ndarray):
        return _cast(value, dtype)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (np.ndarray, NoGrad)) or
                                                         _framework(v) in ("minigrad", "torch") for v in value):
        return type(value)(_as_input(v, dtype) for v in value)
    return value


def _to_numpy(x):
    return _as_array(x)[0].copy() if _framework(x) in ("minigrad", "torch") else np.asarray(x)


def _cast(array, dtype):
    if dtype is None or array.dtype.kind != "f":
        return array
    return array.astype(_dtype_name(dtype))


def _sample_dtype(args) -> str:
    """The dtype whose tolerance applies: the least precise floating-point input's."""
    from .opinfo import NoGrad
    names = []

    def visit(a):
        if isinstance(a, NoGrad):
            a = a.array
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc":
            names.append(a.dtype.name)
        elif isinstance(a, (list, tuple)):
            for x in a:
                visit(x)
    for a in args:
        visit(a)
    if not names:
        import minigrad
        return minigrad.get_default_dtype().name
    return max(names, key=lambda n: TOLERANCES.get(n, (0.0, 0.0)))
