"""ASGD: SGD with a decaying step size and a running average of the iterates."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, check_non_negative, fused_multiply_add, scalar_dtype, scalar_state

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """torch.optim.ASGD. At step t, for each parameter p with gradient g (negated if ``maximize``):

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)     (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t)^alpha;   mu = 1 / max(1, t - t0)

    ``eta`` and ``mu`` are scalar tensors in torch's scalar dtype (float32 by default), and their new
    values are rounded to the default dtype (as torch's ``torch.as_tensor(value)``) even where a
    loaded state dict made them float64, so their rounding enters the next step as in torch.
    ``foreach`` is accepted and ignored: this is torch's single-tensor (default CPU) path; torch's
    ``foreach=True`` path computes ``eta`` and ``mu`` with tensor arithmetic in the scalar dtype and
    applies them with ``addcmul``, so it differs from this one by about 1e-10 relative.
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach=None, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        check_non_negative({"learning rate": lr, "weight_decay value": weight_decay})
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = float(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            weight_decay = group["weight_decay"]
            for p, x, g, state in self._updates(group):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["eta"] = scalar_state(lr)
                    state["mu"] = scalar_state(1.0)
                    state["ax"] = Tensor._make(xp(x).zeros_like(x))
                state["step"]._data += 1
                if weight_decay != 0:
                    g = fused_multiply_add(x, weight_decay, g)              # grad.add(param, alpha=wd)
                eta = float(state["eta"]._data)
                x *= 1 - lambd * eta                                        # param.mul_(1 - lambd * eta)
                x[...] = fused_multiply_add(g, -eta, x)                     # param.add_(g, alpha=-eta)
                ax = state["ax"]._data
                mu = state["mu"]._data
                if float(mu) != 1:
                    ax += (x - ax) * mu.astype(x.dtype)                     # ax.add_(p.sub(ax).mul_(mu))
                else:
                    ax[...] = x
                step = float(state["step"]._data)
                # torch.as_tensor(number) rounds to the default dtype before the copy into eta and mu
                state["eta"]._data[...] = scalar_dtype()(lr / ((1 + lambd * lr * step) ** alpha))
                state["mu"]._data[...] = scalar_dtype()(1 / max(1, step - t0))
                p._vc[0] += 1
                for value in state.values():
                    value._vc[0] += 1
        return loss
