"""``repr(tensor)`` in torch's format, with torch's print options (``set_printoptions``).

The layout follows torch's ``_tensor_str``: one formatter for the whole tensor (built from the
elements that will be shown) decides between integer mode (``1.``), fixed point and scientific
notation and pads every element to one width; rows wrap at ``linewidth``; a tensor with more than
``threshold`` elements is summarised to ``edgeitems`` at each edge of every dimension.
"""
from __future__ import annotations

import math

import numpy as np

from . import dtypes

__all__ = ["set_printoptions", "get_printoptions", "tensor_repr"]

_PROFILES = {"default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
             "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
             "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80}}


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None   # None: chosen per tensor; True/False: forced


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print, as torch.set_printoptions: ``profile`` ('default', 'short', 'full')
    sets the first four options, then each option given overrides it; ``sci_mode`` is always set
    (None lets each tensor choose)."""
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return {name: getattr(PRINT_OPTS, name) for name in ("precision", "threshold", "edgeitems", "linewidth",
                                                        "sci_mode")}


class _Formatter:
    """Formats every element of one tensor to a common width (torch's ``_Formatter``)."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        precision = PRINT_OPTS.precision
        if not floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(str(value)))
            return
        shown = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if shown.size == 0:
            return   # torch keeps integer mode, width 1, and ignores sci_mode here
        magnitudes = np.abs(shown)
        low, high = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        self.sci_mode = (high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4) if PRINT_OPTS.sci_mode is None \
            else PRINT_OPTS.sci_mode
        if self.sci_mode:
            texts = [f"{v:.{precision}e}" for v in shown.tolist()]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in shown.tolist()]   # the '.' marks a floating tensor
        else:
            texts = [f"{v:.{precision}f}" for v in shown.tolist()]
        self.max_width = max(len(t) for t in texts)

    def format(self, value) -> str:
        if self.floating:
            precision = PRINT_OPTS.precision
            if self.sci_mode:
                text = f"{value:{self.max_width}.{precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
            else:
                text = f"{value:.{precision}f}"
        elif isinstance(value, bool):
            text = "True" if value else "False"
        else:
            text = str(value)
        return text.rjust(self.max_width)


class _ComplexFormatter:
    """Complex elements as torch prints them: the real parts and the imaginary parts each through
    their own formatter, joined as ``re+imj`` (the imaginary part's padding dropped)."""

    def __init__(self, values: np.ndarray):
        self.real, self.imag = _Formatter(values.real, True), _Formatter(values.imag, True)
        self.max_width = self.real.max_width + self.imag.max_width + 1   # the 'j'

    def format(self, value) -> str:
        value = complex(value)
        real_text = self.real.format(value.real)
        imag_text = (self.imag.format(value.imag) + "j").lstrip()
        return real_text + imag_text if imag_text[0] in "+-" else real_text + "+" + imag_text


def _summarized(array: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: ``edgeitems`` at each edge of every dimension."""
    edge = PRINT_OPTS.edgeitems
    if array.ndim == 0:
        return array
    if array.ndim == 1:
        return np.concatenate([array[:edge], array[-edge:]]) if array.shape[0] > 2 * edge and edge else array
    if not edge:
        return array[tuple(slice(0, 0) for _ in range(array.ndim))]
    rows = list(range(edge)) + list(range(array.shape[0] - edge, array.shape[0])) \
        if array.shape[0] > 2 * edge else range(array.shape[0])
    return np.stack([_summarized(array[i]) for i in rows])


def _vector_str(array, indent, summarize, formatter) -> str:
    element_length = formatter.max_width + 2   # with ", "
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and array.shape[0] > 2 * edge:
        data = ([formatter.format(v) for v in array[:edge].tolist()] + [" ..."] +
                [formatter.format(v) for v in array[-edge:].tolist()])
    else:
        data = [formatter.format(v) for v in array.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(array, indent, summarize, formatter) -> str:
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector_str(array, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    n = array.shape[0]
    if summarize and n > 2 * edge:
        slices = ([_tensor_str(array[i], indent + 1, summarize, formatter) for i in range(edge)] + ["..."] +
                  [_tensor_str(array[i], indent + 1, summarize, formatter) for i in range(n - edge, n)])
    else:
        slices = [_tensor_str(array[i], indent + 1, summarize, formatter) for i in range(n)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(body: str, suffixes, indent: int) -> str:
    """Append ``dtype=...`` and the like, each on a new line where it would pass ``linewidth``."""
    parts = [body]
    last_line = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t) -> str:
    prefix = "tensor("
    indent = len(prefix)
    array = t.numpy(force=True)
    dt = t.dtype
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default_shown = dt in (dtypes.get_default_dtype(), dtypes.default_complex_dtype(), dtypes.int64, dtypes.bool_)
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if dt is not dtypes.get_default_dtype():
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        if not default_shown:
            suffixes.append(f"dtype={dt!r}")
        summarize = array.size > PRINT_OPTS.threshold
        shown = _summarized(array) if summarize else array
        formatter = _ComplexFormatter(shown) if dt.is_complex else _Formatter(shown, dt.is_floating_point)
        body = _tensor_str(array, indent, summarize, formatter)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
