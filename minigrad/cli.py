"""The ``minigrad`` command: ``minigrad <subcommand> [options]``.

Each subcommand lives in its own module, imported only when that subcommand runs, and is listed
in :data:`SUBCOMMANDS`. A subcommand module defines either

    add_arguments(parser: argparse.ArgumentParser) -> None
    main(args: argparse.Namespace) -> int          (the exit status)

or only ``main(argv: list[str]) -> int``, parsing its own arguments. To add one, write the
module and add a line to SUBCOMMANDS; entries whose module does not exist (yet) are not offered.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

# name -> (module, one-line help)
SUBCOMMANDS = {
    "train": ("minigrad.train", "train the seed CNN on handwritten digits (optionally beside torch)"),
    "bench": ("minigrad.bench", "time minigrad against torch, side by side"),
    "graph": ("minigrad.viz", "draw a computation graph"),
    "explain": ("minigrad.viz.explorer", "write a step-by-step backprop explorer (one HTML file) for a script"),
    "parity": ("minigrad.testing.report", "check minigrad's ops against torch"),
}


# Optional dependencies -> the extra that installs them, for "needs X: pip install ..." lines.
EXTRAS = {"torch": "test", "hypothesis": "test", "pytest": "test", "tqdm": "train", "matplotlib": "train",
          "cupy": "cuda"}


def _missing_dependency(exc: ModuleNotFoundError) -> str | None:
    """The one line for a subcommand whose optional dependency is not installed, or None when the
    missing module is part of minigrad itself (that subcommand does not exist)."""
    top = (exc.name or "").split(".")[0]
    if not top or top == "minigrad":
        return None
    extra = EXTRAS.get(top)
    return f"needs {top}, which is not installed: " + (f"pip install -e '.[{extra}]'" if extra else f"pip install {top}")


def _available():
    out = {}
    for name, (module, help_text) in SUBCOMMANDS.items():
        try:
            if importlib.util.find_spec(module) is not None:
                out[name] = (module, help_text)
        except ModuleNotFoundError as exc:   # a parent package imports a missing dependency
            if _missing_dependency(exc):
                out[name] = (module, help_text)
    return out


def _unavailable(parser, name, why):
    """Make subcommand ``name`` say ``why`` in one line (exit status 2), whatever its arguments."""
    parser.add_argument("argv", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def main(args):
        print(f"minigrad {name}: {why}", file=sys.stderr)
        return 2
    parser.set_defaults(_main=main)


def build_parser(argv) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minigrad", description="minigrad: a from-scratch autograd engine "
                                     "with PyTorch's API")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in _available().items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:  # import only the subcommand that runs
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                why = _missing_dependency(exc)
                if why is None:
                    raise
                _unavailable(p, name, why)
                continue
            if hasattr(mod, "add_arguments"):
                mod.add_arguments(p)
                p.set_defaults(_main=mod.main)
            else:  # the module parses its own arguments
                p.add_argument("argv", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
                p.set_defaults(_main=lambda args, main=mod.main: main(args.argv))
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if getattr(args, "_main", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._main(args) or 0)
    except ModuleNotFoundError as exc:   # an optional dependency, imported where the feature needs it
        why = _missing_dependency(exc)
        if why is None:
            raise
        print(f"minigrad {args.command}: {why}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
