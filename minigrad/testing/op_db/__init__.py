"""The op table: every op's parity record, one module per family. Adding an entry adds its tests.

Each family module defines ``OPS``, a list of :class:`minigrad.testing.opinfo.OpInfo`, and may
define ``ERRORS``, a list of :class:`minigrad.testing.opinfo.ErrorCase` (bad calls).
"""
import importlib

FAMILIES = ["core", "math", "reduce", "linalg", "linalg_decomp", "shape", "index", "compare", "activation", "loss",
            "nnfunc", "conv", "pool", "attention", "dropout", "nnextra", "sort", "masked", "special", "complex", "fft"]


def _load():
    ops, errors = [], []
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"{__name__}.{family}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{family}":
                continue  # a family not written yet
            raise
        for op in module.OPS:
            op.family = op.family or family
            ops.append(op)
        errors.extend(getattr(module, "ERRORS", []))
    names = [op.name for op in ops]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate op table entries: {sorted(dupes)}")
    return ops, errors


OP_DB, ERRORS = _load()
