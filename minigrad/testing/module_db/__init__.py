"""The module table: every nn module's parity record, one file per family, like the op table.

Each family module defines ``MODULES``, a list of :class:`ModuleInfo`. A record builds the same
module in minigrad and in torch (``build(lib)`` with ``lib`` either package), copies minigrad's
weights into torch through the state dict, feeds both the same inputs and compares outputs, the
inputs' gradients and every parameter's gradient, in float32 and float64, in train and eval mode
(tests/nn/test_module_table.py). Adding a record adds its tests.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Callable

import numpy as np

__all__ = ["ModuleInfo", "MODULE_DB", "FAMILIES"]

FAMILIES = ["layers", "activation", "loss", "attention", "nnextra2", "nnextra"]


@dataclasses.dataclass
class ModuleInfo:
    """One module configuration, checked against torch.

    ``inputs(rng)`` returns the positional inputs as NumPy arrays (float64; cast to the dtype
    under test; floating ones require grad) or other values (ints, None, tuples) passed as they
    are. ``kwargs(rng)`` returns keyword inputs of the forward call (arrays there become tensors
    without grad, cast to the dtype under test when floating). Outputs may be tensors or nested
    tuples of tensors (an LSTM's ``(out, (h, c))``): every floating output that requires grad
    receives a random upstream gradient.
    """

    name: str                                  # case id, e.g. "Conv2d-strided"
    build: Callable[[Any], Any]                # lib -> module
    inputs: Callable[[np.random.Generator], tuple]
    kwargs: Callable[[np.random.Generator], dict] | None = None
    dtypes: tuple = ("float32", "float64")
    modes: tuple = ("train", "eval")
    random_in_train: bool = False              # train-mode output is random (dropout): compare shapes only
    grad: bool = True                          # check the backward pass
    grad_inputs: tuple | None = None           # positions of inputs that require grad (None: every floating one)
    rtol: dict | None = None                   # per dtype name, overrides the defaults
    atol: dict | None = None
    family: str = ""
    notes: str = ""

    def tolerance(self, dtype_name: str):
        # float32: torch's assert_close atol and ten times its rtol (a Transformer's sums of products
        # round differently in each library; the differences measured up to 1.2e-6 absolute)
        rtol, atol = {"float32": (1.3e-5, 1e-5), "float64": (1e-7, 1e-9)}[dtype_name]
        if self.rtol and dtype_name in self.rtol:
            rtol = self.rtol[dtype_name]
        if self.atol and dtype_name in self.atol:
            atol = self.atol[dtype_name]
        return rtol, atol

    def __repr__(self):
        return f"ModuleInfo({self.name})"


def _load():
    records = []
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"{__name__}.{family}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{family}":
                continue
            raise
        for info in module.MODULES:
            info.family = info.family or family
            records.append(info)
    names = [r.name for r in records]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate module table entries: {sorted(dupes)}")
    return records


MODULE_DB = _load()
