"""Adadelta: per-coordinate steps from running averages of squared gradients and squared updates."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, addcmul_, check_non_negative, fused_multiply_add, scalar_state

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """torch.optim.Adadelta. For each parameter p with gradient g (negated if ``maximize``):

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g                        (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g               (u: acc_delta)
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach=None, *, capturable: bool = False, maximize: bool = False, differentiable: bool = False):
        check_non_negative({"learning rate": lr})
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative({"epsilon value": eps, "weight_decay value": weight_decay})
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, rho, eps, weight_decay = float(group["lr"]), group["rho"], group["eps"], group["weight_decay"]
            for p, x, g, state in self._updates(group):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["square_avg"] = Tensor._make(xp(x).zeros_like(x))
                    state["acc_delta"] = Tensor._make(xp(x).zeros_like(x))
                state["step"]._data += 1
                if weight_decay != 0:
                    g = fused_multiply_add(x, weight_decay, g)              # grad.add(param, alpha=wd)
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                square_avg *= rho                                           # square_avg.mul_(rho)
                addcmul_(square_avg, g, g, 1 - rho)                         # .addcmul_(g, g, 1 - rho)
                std = xp(x).sqrt(square_avg + eps)
                delta = xp(x).sqrt(acc_delta + eps)
                delta /= std                                                # delta.div_(std).mul_(g)
                delta *= g
                acc_delta *= rho
                addcmul_(acc_delta, delta, delta, 1 - rho)
                x[...] = fused_multiply_add(delta, -lr, x)                  # param.add_(delta, alpha=-lr)
                p._vc[0] += 1
                for value in state.values():
                    value._vc[0] += 1
        return loss
