"""Module table: loss modules, each with its targets (targets do not require grad)."""
import numpy as np

from . import ModuleInfo


def _inputs(name):
    def draw(rng):
        x = rng.standard_normal((4, 5))
        if name in ("CrossEntropyLoss", "NLLLoss"):
            return x, np.array([0, 3, 4, 1])
        if name == "BCELoss":
            return rng.uniform(0.05, 0.95, (4, 5)), rng.uniform(0, 1, (4, 5))
        if name == "BCEWithLogitsLoss":
            return x, rng.uniform(0, 1, (4, 5))
        if name == "KLDivLoss":
            return np.log(rng.dirichlet(np.ones(5), 4)), rng.dirichlet(np.ones(5), 4)
        return x, rng.standard_normal((4, 5))
    return draw


_WEIGHT = np.linspace(0.5, 2.0, 5)

_CASES = {
    "CrossEntropyLoss": [{}, {"reduction": "sum"}, {"label_smoothing": 0.1}, {"ignore_index": 3},
                         {"weight": "w", "reduction": "none"}],
    "NLLLoss": [{}, {"weight": "w"}, {"reduction": "none"}],
    "MSELoss": [{}, {"reduction": "sum"}],
    "L1Loss": [{}, {"reduction": "none"}],
    "SmoothL1Loss": [{}, {"beta": 0.5}],
    "HuberLoss": [{}, {"delta": 0.5, "reduction": "sum"}],
    "BCELoss": [{}, {"weight": "w"}],
    "BCEWithLogitsLoss": [{}, {"pos_weight": "w"}, {"weight": "w", "reduction": "sum"}],
    "KLDivLoss": [{"reduction": "batchmean"}, {"reduction": "sum", "log_target": False}],
}


def _build(name, kwargs):
    def build(lib):
        kw = {k: (lib.tensor(_WEIGHT) if v == "w" else v) for k, v in kwargs.items()}
        return getattr(lib.nn, name)(**kw)
    return build


MODULES = [ModuleInfo(f"{name}-{i}", _build(name, kw), _inputs(name), grad_inputs=(0,))
           for name, cases in _CASES.items() for i, kw in enumerate(cases)]
