"""NAdam: Adam with Nesterov momentum and a momentum schedule."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import (Optimizer, addcdiv_, addcmul_, check_betas, check_non_negative, fused_multiply_add, lerp_,
                        scalar_state)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """torch.optim.NAdam. At step t, for each parameter p with gradient g (negated if ``maximize``):

        p = p * (1 - lr * wd)                if decoupled_weight_decay, else g = g + wd * p
        mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2);   P_t = mu_1 * ... * mu_t  ('mu_product')
        m = lerp(m, g, 1 - beta1);   v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / denom - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / denom

    ``mu_product`` is kept as a scalar tensor in torch's scalar dtype (float32 by default), as torch does,
    since its rounding enters every step.
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False):
        check_non_negative({"learning rate": lr, "epsilon value": eps})
        check_betas(betas)
        check_non_negative({"weight_decay value": weight_decay, "momentum_decay value": momentum_decay})
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = float(group["lr"]), group["betas"], group["eps"]
            weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
            for p, x, g, state in self._updates(group):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["mu_product"] = scalar_state(1.0)
                    state["exp_avg"] = Tensor._make(xp(x).zeros_like(x))
                    state["exp_avg_sq"] = Tensor._make(xp(x).zeros_like(x))
                state["step"]._data += 1
                step = float(state["step"]._data)
                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        x *= 1 - lr * weight_decay                          # param.mul_(1 - lr * wd)
                    else:
                        g = fused_multiply_add(x, weight_decay, g)          # grad.add(param, alpha=wd)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product = state["mu_product"]._data
                mu_product *= mu                                            # in the scalar dtype, as torch
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                lerp_(exp_avg, g, 1 - beta1)
                exp_avg_sq *= beta2
                addcmul_(exp_avg_sq, g, g, 1 - beta2)
                denom = xp(x).sqrt(exp_avg_sq / bias_correction2)
                denom += eps
                product = float(mu_product)
                addcdiv_(x, g, denom, -lr * (1.0 - mu) / (1.0 - product))
                addcdiv_(x, exp_avg, denom, (-lr * mu_next) / (1.0 - product * mu_next))
                p._vc[0] += 1
                for value in state.values():
                    value._vc[0] += 1
        return loss
