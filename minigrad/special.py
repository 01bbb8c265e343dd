"""``torch.special``: the special functions (ops/special.py) and torch.special's aliases of math ops."""
from .ops.special import *  # noqa: F401,F403
from .ops.special import __all__ as _special_names
from .ops.math import (digamma, digamma as psi, erf, erfc, erfinv, exp2, expm1, i0, igamma as gammainc,
                       igammac as gammaincc, lgamma as gammaln, logit, log1p, mvlgamma as multigammaln, polygamma,
                       round as _round, sigmoid as expit, sinc, xlogy)
from .ops._util import overload as _overload
from .ops.activation import softmax as _softmax, log_softmax as _log_softmax
from .ops.reduce import logsumexp

__all__ = _special_names + ["digamma", "psi", "erf", "erfc", "erfinv", "exp2", "expm1", "i0", "gammainc", "gammaincc",
                            "gammaln", "logit", "log1p", "multigammaln", "polygamma", "round", "expit", "sinc", "xlogy",
                            "softmax", "log_softmax", "logsumexp"]


def softmax(input, dim, *, dtype=None):
    """torch.special.softmax: nn.functional.softmax with a required dim."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """torch.special.log_softmax: nn.functional.log_softmax with a required dim."""
    return _log_softmax(input, dim, dtype=dtype)


def round(input, *, decimals=0):
    """torch.special.round: torch.round through its decimals overload (a RoundBackward1 node)."""
    return _overload(_round(input, decimals=decimals), "RoundBackward1")
