"""RAdam: Adam whose adaptive step is switched on only once the variance estimate is tractable."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, addcmul_, check_betas, check_non_negative, fused_multiply_add, lerp_, scalar_state

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """torch.optim.RAdam. At step t, for each parameter p with gradient g (negated if ``maximize``):

        p = p * (1 - lr * wd)                if decoupled_weight_decay, else g = g + wd * p
        m = lerp(m, g, 1 - beta1);   v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        p = p - lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t    if rho_t > 5
        p = p - lr * m / (1 - beta1^t)                                                otherwise
        with r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        check_non_negative({"learning rate": lr, "epsilon value": eps})
        check_betas(betas)
        check_non_negative({"weight_decay value": weight_decay})
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
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
                    state["exp_avg_sq"] = Tensor._make(xp(x).zeros_like(x))
                state["step"]._data += 1
                step = float(state["step"]._data)
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        x *= 1 - lr * weight_decay                          # param.mul_(1 - lr * wd)
                    else:
                        g = fused_multiply_add(x, weight_decay, g)          # grad.add(param, alpha=wd)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                lerp_(exp_avg, g, 1 - beta1)
                exp_avg_sq *= beta2
                addcmul_(exp_avg_sq, g, g, 1 - beta2)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                bias_corrected_exp_avg = exp_avg / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    adaptive_lr = xp(x).sqrt(exp_avg_sq)
                    adaptive_lr += eps
                    adaptive_lr = (bias_correction2 ** 0.5) / adaptive_lr
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    x -= bias_corrected_exp_avg * lr * adaptive_lr * rect
                else:
                    x -= bias_corrected_exp_avg * lr
                p._vc[0] += 1
                for value in state.values():
                    value._vc[0] += 1
        return loss
