"""Adam and AdamW (Adam with decoupled weight decay)."""
from __future__ import annotations

import numpy as np

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, addcdiv_, addcmul_, fused_kernels, fused_multiply_add, lerp_

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """torch.optim.Adam. At step t, for each parameter p with gradient g:

        p = p * (1 - lr * wd)            if decoupled_weight_decay (AdamW)
        g = g + wd * p                   otherwise, when wd != 0
        m = lerp(m, g, 1 - beta1);   v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)            if amsgrad (and v_max replaces v below)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None, decoupled_weight_decay: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, betas=tuple(float(b) for b in betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            decoupled = group["decoupled_weight_decay"]
            for p, x, g, state in self._updates(group):
                if len(state) == 0:
                    state["step"] = Tensor._make(np.asarray(0.0, dtype=np.float32))
                    state["exp_avg"] = Tensor._make(xp(x).zeros_like(x))
                    state["exp_avg_sq"] = Tensor._make(xp(x).zeros_like(x))
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._make(xp(x).zeros_like(x))
                step_t = state["step"]
                step_t._data += 1
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                v_max = state["max_exp_avg_sq"]._data if amsgrad else v
                kernels = fused_kernels(x, g, m, v, v_max)
                if kernels is not None:
                    # the lines below in one pass per element, bitwise the same (optim/_fused.py)
                    step = float(step_t._data)
                    t = x.dtype.type
                    kernels.adam(x.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), v_max.reshape(-1),
                                 amsgrad, t(weight_decay), decoupled, t(1 - lr * weight_decay), t(1 - beta1),
                                 1 - beta1 < 0.5, -(t(1) - t(1 - beta1)), t(beta2), t(1 - beta2),
                                 t((1 - beta2 ** step) ** 0.5), t(eps), t(-(lr / (1 - beta1 ** step))))
                    self._bump_versions(p, state)
                    continue
                # Each line is one torch in-place op, with torch's rounding (see fused_multiply_add).
                if weight_decay != 0:
                    if decoupled:
                        x *= 1 - lr * weight_decay                          # param.mul_(1 - lr * wd)
                    else:
                        g = fused_multiply_add(x, weight_decay, g)          # grad.add(param, alpha=wd)
                lerp_(m, g, 1 - beta1)                                      # m.lerp_(grad, 1 - beta1)
                v *= beta2                                                  # v.mul_(beta2)
                addcmul_(v, g, g, 1 - beta2)                                # .addcmul_(g, g, 1 - beta2)
                step = float(step_t._data)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                step_size = lr / bias_correction1
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]._data
                    xp(x).maximum(vmax, v, out=vmax)
                    v = vmax
                denom = xp(x).sqrt(v) / bias_correction2_sqrt               # (v.sqrt() / bc2).add_(eps)
                denom += eps
                addcdiv_(x, m, denom, -step_size)                           # param.addcdiv_(m, denom, -step)
                self._bump_versions(p, state)
        return loss

    @staticmethod
    def _bump_versions(p, state):
        """The parameter and its state tensors were changed in place: their version counters say so."""
        p._vc[0] += 1
        for key in ("exp_avg", "exp_avg_sq", "step"):
            state[key]._vc[0] += 1
