"""Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, fused_multiply_add, required

__all__ = ["SGD"]


class SGD(Optimizer):
    """torch.optim.SGD. For each parameter p with gradient g (negated if ``maximize``):

        g = g + weight_decay * p
        b = g                                  (first step)
        b = momentum * b + (1 - dampening) * g  (later steps)
        g = g + momentum * b if nesterov else b  (when momentum != 0)
        p = p - lr * g
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False, foreach=None,
                 differentiable: bool = False, fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                # Each line is one torch in-place op, with torch's rounding (see fused_multiply_add).
                g = p.grad._data
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = fused_multiply_add(p._data, weight_decay, g)           # grad.add(param, alpha=wd)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._make(xp(p._data).array(g, copy=True))
                    else:
                        b = buf._data
                        b *= momentum                                           # buf.mul_(momentum)
                        if dampening == 0:
                            b += g                                              # .add_(grad)
                        else:
                            b[...] = fused_multiply_add(g, 1 - dampening, b)    # .add_(grad, alpha=1-d)
                        buf._vc[0] += 1
                    g = fused_multiply_add(buf._data, momentum, g) if nesterov else buf._data
                p._data[...] = fused_multiply_add(g, -lr, p._data)              # param.add_(grad, alpha=-lr)
                p._vc[0] += 1
        return loss
