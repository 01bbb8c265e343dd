"""``repr(tensor)`` in torch's format: 4 decimals, scientific notation when the range is wide."""
from __future__ import annotations

import numpy as np

from . import dtypes

_DEFAULT_SHOWN = ("float32", "int64", "bool")


def _float_formatter(values: np.ndarray):
    finite = np.abs(values[np.isfinite(values)]).astype(np.float64)
    nonzero = finite[finite != 0]
    if finite.size and np.all(finite == np.round(finite)) and (nonzero.size == 0 or nonzero.max() < 1e8):
        width = max(len(f"{v:.0f}.") for v in finite) if finite.size else 2
        fmt = lambda v: (f"{v:.0f}." if np.isfinite(v) else str(v)).rjust(width + (1 if (values < 0).any() else 0))
        return fmt
    sci = nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8 or nonzero.min() < 1e-4)
    spec = "{:.4e}" if sci else "{:.4f}"
    texts = [spec.format(v) for v in values.ravel()] or ["0"]
    width = max(len(t) for t in texts)
    return lambda v: spec.format(v).rjust(width) if np.isfinite(v) else str(v).rjust(width)


def tensor_repr(t) -> str:
    array = t.numpy(force=True)
    dt = t.dtype
    suffix = []
    if array.size == 0:
        body = "[]"
        if array.shape != (0,):
            suffix.append(f"size={tuple(array.shape)}")
    else:
        if dt.is_floating_point:
            formatter = {"float_kind": _float_formatter(array)}
        elif dt is dtypes.bool_:
            formatter = {"bool": lambda v: "True" if v else "False"}
        else:
            formatter = None
        body = np.array2string(array, separator=", ", prefix="tensor(", formatter=formatter,
                               threshold=1000, edgeitems=3, max_line_width=80)
    if dt.name not in _DEFAULT_SHOWN or (dt is dtypes.float32 and dtypes.get_default_dtype() is not dtypes.float32):
        suffix.append(f"dtype={dt!r}")
    if t.device.type != "cpu":
        suffix.insert(0, f"device='{t.device}'")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + suffix) + ")"
