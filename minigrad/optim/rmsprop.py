"""RMSprop: gradients divided by a running root-mean-square, optionally centred and with momentum."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, addcdiv_, addcmul_, check_non_negative, fused_multiply_add, lerp_, scalar_state

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """torch.optim.RMSprop. For each parameter p with gradient g (negated if ``maximize``):

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - m * m) + eps  with m = lerp(m, g, 1 - alpha)  if centered
        avg = sqrt(v) + eps                                          otherwise
        b = momentum * b + g / avg;  p = p - lr * b                  if momentum > 0
        p = p - lr * g / avg                                         otherwise
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False):
        check_non_negative({"learning rate": lr, "epsilon value": eps, "momentum value": momentum,
                            "weight_decay value": weight_decay, "alpha value": alpha})
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = float(group["lr"]), group["alpha"], group["eps"]
            weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p, x, g, state in self._updates(group):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["square_avg"] = Tensor._make(xp(x).zeros_like(x))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._make(xp(x).zeros_like(x))
                    if centered:
                        state["grad_avg"] = Tensor._make(xp(x).zeros_like(x))
                state["step"]._data += 1
                if weight_decay != 0:
                    g = fused_multiply_add(x, weight_decay, g)              # grad.add(param, alpha=wd)
                square_avg = state["square_avg"]._data
                square_avg *= alpha                                         # square_avg.mul_(alpha)
                addcmul_(square_avg, g, g, 1 - alpha)                       # .addcmul_(g, g, 1 - alpha)
                if centered:
                    grad_avg = state["grad_avg"]._data
                    lerp_(grad_avg, g, 1 - alpha)                           # grad_avg.lerp_(g, 1 - alpha)
                    avg = square_avg.copy()                                 # square_avg.addcmul(m, m, -1)
                    addcmul_(avg, grad_avg, grad_avg, -1)
                    avg = xp(x).sqrt(avg)
                else:
                    avg = xp(x).sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum                                         # buf.mul_(momentum).addcdiv_(g, avg)
                    addcdiv_(buf, g, avg)
                    x[...] = fused_multiply_add(buf, -lr, x)                # param.add_(buf, alpha=-lr)
                else:
                    addcdiv_(x, g, avg, -lr)                                # param.addcdiv_(g, avg, -lr)
                p._vc[0] += 1
                for value in state.values():
                    value._vc[0] += 1
        return loss
