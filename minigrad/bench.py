"""``minigrad bench``: the benchmark suite of the repository's benchmarks/ folder (minigrad against
torch, side by side). It is the same as ``python -m benchmarks`` run from the repository root; the
suite is not part of the installed package, so this works from a source checkout.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def _suite():
    try:
        import benchmarks
    except ImportError:
        if not (_REPO / "benchmarks" / "__init__.py").exists():
            raise SystemExit("minigrad bench: the benchmark suite lives in the source repository's benchmarks/ "
                             "folder; run it from a checkout (pip install -e '.[test]')") from None
        sys.path.insert(0, str(_REPO))
        import benchmarks
    return benchmarks


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _suite().add_arguments(parser)


def main(args: argparse.Namespace) -> int:
    return _suite().run(args)
