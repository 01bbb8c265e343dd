"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, addcdiv_, check_betas, check_non_negative, fused_multiply_add, lerp_, scalar_state

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """torch.optim.Adamax. At step t, for each parameter p with gradient g (negated if ``maximize``):

        g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)
        u = max(beta2 * u, |g| + eps)        (state 'exp_inf')
        p = p - lr / (1 - beta1^t) * m / u
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 foreach=None, *, maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        check_non_negative({"learning rate": lr, "epsilon value": eps})
        check_betas(betas)
        check_non_negative({"weight_decay value": weight_decay})
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps, weight_decay = float(group["lr"]), group["betas"], group["eps"], group["weight_decay"]
            for p, x, g, state in self._updates(group):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["exp_avg"] = Tensor._make(xp(x).zeros_like(x))
                    state["exp_inf"] = Tensor._make(xp(x).zeros_like(x))
                state["step"]._data += 1
                if weight_decay != 0:
                    g = fused_multiply_add(x, weight_decay, g)              # grad.add(param, alpha=wd)
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
                lerp_(exp_avg, g, 1 - beta1)                                # exp_avg.lerp_(g, 1 - beta1)
                exp_inf *= beta2                                            # max(exp_inf.mul_(beta2),
                norm = xp(x).abs(g)                                         #     g.abs().add_(eps))
                norm += eps
                xp(x).maximum(exp_inf, norm, out=exp_inf)
                clr = lr / (1 - beta1 ** float(state["step"]._data))
                addcdiv_(x, exp_avg, exp_inf, -clr)                         # param.addcdiv_(m, u, -clr)
                p._vc[0] += 1
                for value in state.values():
                    value._vc[0] += 1
        return loss
