"""Run one program, unchanged, under real torch or under minigrad posing as torch.

    python tests/programs/_run.py {torch,minigrad} PROGRAM.py WORKDIR [ARG ...]

With ``minigrad``, every ``import torch`` / ``import torch.x.y`` / ``from torch.x import y``
resolves to ``minigrad`` / ``minigrad.x.y`` (an import hook below), so the program's text stays
as published. ``stubs/`` (small local stand-ins for packages that download data, such as
torchvision's datasets) comes first on ``sys.path`` for both runs; it imports ``torch`` and so
follows whichever library is in use. The program runs as ``__main__`` in WORKDIR with
``sys.argv = [PROGRAM.py, ARG ...]``, after seeding torch, ``random`` and NumPy with 0, so that programs which
never seed still draw the same numbers under both libraries.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


class TorchAsMinigrad(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``torch`` and ``torch.<path>`` to the minigrad module at the same path."""

    def find_spec(self, name, path=None, target=None):
        if name != "torch" and not name.startswith("torch."):
            return None
        ours = "minigrad" + name[len("torch"):]
        if importlib.util.find_spec(ours) is None:
            return None            # ModuleNotFoundError names torch's path, as a missing module would
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return importlib.import_module("minigrad" + spec.name[len("torch"):])

    def exec_module(self, module):
        # the import system stamped torch's spec on minigrad's module: give it its own back
        module.__spec__ = importlib.util.find_spec(module.__name__)
        module.__loader__ = module.__spec__.loader


def main(argv):
    backend, program, workdir, *args = argv
    dtype = os.environ.get("PROGRAM_DEFAULT_DTYPE")   # e.g. float64, for programs run to convergence
    program = os.path.abspath(program)
    if backend == "minigrad":
        import minigrad  # noqa: F401  (from the checkout this file sits in)
        sys.meta_path.insert(0, TorchAsMinigrad())
    elif backend != "torch":
        raise SystemExit(f"backend must be torch or minigrad, not {backend!r}")
    sys.path.insert(0, os.path.join(HERE, "stubs"))
    sys.path.insert(0, os.path.dirname(program))
    for extra in reversed(os.environ.get("PROGRAM_SYS_PATH", "").split(os.pathsep)):
        if extra:
            sys.path.insert(0, extra)   # e.g. a repository root, for programs importing its package
    os.chdir(workdir)
    import random

    import numpy as np
    import torch   # (minigrad under the hook) seeded, for programs that draw without seeding
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    if dtype:
        torch.set_default_dtype(getattr(torch, dtype))
    sys.argv = [program, *args]
    runpy.run_path(program, run_name="__main__")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))   # the checkout's minigrad
    main(sys.argv[1:])
