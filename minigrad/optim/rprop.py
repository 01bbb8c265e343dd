"""Rprop: per-coordinate step sizes that grow while the gradient keeps its sign and shrink when it flips."""
from __future__ import annotations

from ..ops._util import xp
from ..tensor import Tensor
from .optimizer import Optimizer, check_non_negative, scalar_state

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """torch.optim.Rprop. For each parameter p with gradient g (negated if ``maximize``), and the
    previous step's (masked) gradient g':

        s = clamp(s * eta, step_size_min, step_size_max),  eta = etaplus if g g' > 0,
                                                             etaminus if g g' < 0, 1 if g g' == 0
        g = 0 where the sign flipped (that coordinate rests one step)
        p = p - sign(g) * s;   g' = g
    Step sizes start at ``lr``.
    """

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False, differentiable: bool = False):
        check_non_negative({"learning rate": lr})
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        if differentiable:
            raise NotImplementedError("minigrad's optimizers do not support differentiable=True")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            (etaminus, etaplus), (step_size_min, step_size_max) = group["etas"], group["step_sizes"]
            for p, x, g, state in self._updates(group):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["prev"] = Tensor._make(xp(x).zeros_like(x))
                    state["step_size"] = Tensor._make(xp(x).full_like(x, float(group["lr"])))
                state["step"]._data += 1
                prev, step_size = state["prev"]._data, state["step_size"]._data
                sign = xp(x).sign(g * prev)
                factor = xp(x).where(sign > 0, etaplus, xp(x).where(sign < 0, etaminus, 1)).astype(x.dtype)
                step_size *= factor                                         # step_size.mul_(sign).clamp_(...)
                xp(x).clip(step_size, x.dtype.type(step_size_min), x.dtype.type(step_size_max), out=step_size)
                g = xp(x).where(factor == x.dtype.type(etaminus), 0, g).astype(x.dtype)
                x -= xp(x).sign(g) * step_size                              # param.addcmul_(g.sign(), s, -1)
                prev[...] = g
                p._vc[0] += 1
                for value in state.values():
                    value._vc[0] += 1
        return loss
