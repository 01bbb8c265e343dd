"""Fused optimizer updates: one pass over a parameter's elements instead of one NumPy call per
torch in-place op.

Adam's step is seven torch ops on each parameter (lerp_, mul_, addcmul_, sqrt, div, add_,
addcdiv_). Written in NumPy each is a pass over the array, and the three that torch rounds once
(fused multiply-adds) go through float64 copies (optimizer.fused_multiply_add), so a 784 x 400
weight's update took about 10 ms. The kernel here computes, for each element, the same operations
in the same order with the same roundings, so its results are bitwise those of the NumPy path
(tests/optim/test_fused.py compares the two):

* a torch scalar in a float32 op is first rounded to float32 (the caller passes it so);
* a fused multiply-add ``y + a * b`` is ``float64(a) * float64(b) + float64(y)`` stored into the
  array (rounded once to float32, as fused_multiply_add; in float64 it is NumPy's ``y + a * b``, as
  Numba does not contract it into an FMA without fastmath).

The update is three loops, each without branches, so that LLVM vectorises them (one loop with the
options' branches inside stayed scalar: 2.5x slower than torch's update).

The kernel compiles on first use per dtype, cached on disk. Importing this module imports Numba:
the optimizers import it only for parameters of FUSED_MIN values or more (optimizer.fused_kernels),
so a program of small tensors never waits for Numba.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")   # x / 0 is inf or NaN as in NumPy (and the loops vectorise)
def adam(x, g, m, v, v_max, amsgrad, weight_decay, decoupled, decay, beta1_weight, lerp_small, lerp_complement,
         beta2, one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size):
    """Adam's step on flat contiguous arrays, in place on x, m, v (and v_max): the lines of Adam.step,
    element by element (the scalars already in the arrays' dtype)."""
    n = x.size
    if weight_decay != 0:
        if decoupled:
            for k in range(n):
                x[k] = x[k] * decay                               # param.mul_(1 - lr * wd)
        else:
            decayed = np.empty_like(g)
            for k in range(n):                                    # grad.add(param, alpha=wd)
                decayed[k] = np.float64(x[k]) * np.float64(weight_decay) + np.float64(g[k])
            g = decayed
    weight = beta1_weight if lerp_small else lerp_complement
    for k in range(n):
        gk, mk = g[k], m[k]
        start = mk if lerp_small else gk                          # m.lerp_(grad, 1 - beta1)
        m[k] = np.float64(gk - mk) * np.float64(weight) + np.float64(start)
        vk = v[k] * beta2                                         # v.mul_(beta2)
        v[k] = np.float64(one_minus_beta2 * gk) * np.float64(gk) + np.float64(vk)   # .addcmul_(g, g, 1 - b2)
    if amsgrad:
        for k in range(n):                                        # maximum(v_max, v): NaN wins
            vk, vm = v[k], v_max[k]
            v_max[k] = vk + vm if vk != vk or vm != vm else max(vk, vm)
        v = v_max
    for k in range(n):
        denom = np.sqrt(v[k]) / bias_correction2_sqrt + eps       # (v.sqrt() / bc2).add_(eps)
        x[k] = x[k] + (neg_step_size * m[k]) / denom              # param.addcdiv_(m, denom, -step)
