"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, addcdiv_, addcmul_, check_non_negative, fused_multiply_add, scalar_state

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """torch.optim.Adagrad. At step t, for each parameter p with gradient g (negated if ``maximize``):

        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                        (state 'sum', starting at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    As torch, the state is created for every parameter when the optimizer is built.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None):
        check_non_negative({"learning rate": lr, "lr_decay value": lr_decay, "weight_decay value": weight_decay,
                            "initial_accumulator_value value": initial_accumulator_value, "epsilon value": eps})
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _init_state(self, p, group) -> None:
        state = self.state[p]
        state["step"] = scalar_state(0.0)
        state["sum"] = Tensor._make(xp(p._data).full_like(p._data, group["initial_accumulator_value"]))

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        for p in self.param_groups[-1]["params"]:   # also a group added after construction
            if p not in self.state:
                self._init_state(p, self.param_groups[-1])

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps, weight_decay = float(group["lr"]), group["lr_decay"], group["eps"], group["weight_decay"]
            for p, x, g, state in self._updates(group):
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)
                if weight_decay != 0:
                    g = fused_multiply_add(x, weight_decay, g)              # grad.add(param, alpha=wd)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                addcmul_(state_sum, g, g)                                   # sum.addcmul_(g, g, value=1)
                std = xp(x).sqrt(state_sum)
                std += eps                                                  # sum.sqrt().add_(eps)
                addcdiv_(x, g, std, -clr)                                   # param.addcdiv_(g, std, -clr)
                p._vc[0] += 1
                for value in state.values():
                    value._vc[0] += 1
        return loss
