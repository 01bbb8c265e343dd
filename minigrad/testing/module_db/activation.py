"""Module table: activation modules (inputs kept away from their kinks)."""
from . import ModuleInfo
from ._util import away_from_kinks

_PLAIN = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Mish", "Softplus", "Softsign",
          "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid", "Sigmoid", "Tanh"]


def _module(name, *args, **kwargs):
    return lambda l: getattr(l.nn, name)(*args, **kwargs)


MODULES = [ModuleInfo(name, _module(name), away_from_kinks(3, 7)) for name in _PLAIN] + [
    ModuleInfo("LeakyReLU-0.2", _module("LeakyReLU", 0.2), away_from_kinks(3, 7)),
    ModuleInfo("ELU-alpha", _module("ELU", alpha=0.5), away_from_kinks(3, 7)),
    ModuleInfo("GELU-tanh", _module("GELU", approximate="tanh"), away_from_kinks(3, 7)),
    ModuleInfo("Softplus-beta", _module("Softplus", beta=2.0, threshold=3.0), away_from_kinks(3, 7)),
    ModuleInfo("Hardtanh-bounds", _module("Hardtanh", -2.0, 1.5), away_from_kinks(3, 7, low=-3.6, high=3.6)),
    ModuleInfo("Softmax", _module("Softmax", dim=0), away_from_kinks(3, 7)),
    ModuleInfo("LogSoftmax", _module("LogSoftmax", dim=-1), away_from_kinks(3, 7)),
]
