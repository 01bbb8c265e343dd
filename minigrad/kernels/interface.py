"""The kernel interface: the functions every backend (reference.py, cpu.py, cuda.py) provides.

Arrays in, arrays out, all 2-D NCHW; reference.py defines what each computes. The ops in
``minigrad.ops`` call these and nothing else, on ``kernels.for_array(x)``.

Each backend writes its own:

    unfold(x, Ho, Wo, geom), fold(cols, C, H, W, Ho, Wo, geom)
    conv2d(x, w, b, Ho, Wo, geom, groups)                     -> y
    conv2d_input_grad(g, w, H, W, geom, groups)               -> gx   (conv_transpose2d)
    conv2d_weight_grad(x, g, geom, groups)                    -> gw
    max_pool2d(x, hs, he, hstep, ws, we, wstep)               -> (y, flat argmax)
    max_pool2d_scatter(g, idx, H, W), max_pool2d_gather(x, idx)
    avg_pool2d(x, hs, he, ws, we, divisor), avg_pool2d_transpose(g, H, W, hs, he, ws, we, divisor)

Fused entry points, which let a backend share work between a forward and its backward; a
backend without a fused version takes the defaults below (``fused_defaults``), built from its
own kernels:

    conv2d_keep(x, w, b, Ho, Wo, geom, groups, keep=True)     -> (y, kept)
        the forward, and (if ``keep``: the weight gradient will be wanted) whatever it may hand
        to the backward (cpu: its im2col columns, when they are small enough), else None
    conv2d_grads(x, g, w, H, W, geom, groups, kept=None, bias=False) -> (gx, gw, gb)
        a conv's gradients from one call: gx if w is given, gw if x is, gb (the sum of g over
        N, H, W) if ``bias``; None for each one not asked for
"""
from __future__ import annotations

OWN = ("unfold", "fold", "conv2d", "conv2d_input_grad", "conv2d_weight_grad", "max_pool2d", "max_pool2d_scatter",
       "max_pool2d_gather", "avg_pool2d", "avg_pool2d_transpose")
FUSED = ("conv2d_keep", "conv2d_grads")
FUNCTIONS = OWN + FUSED


def fused_defaults(conv2d, conv2d_input_grad, conv2d_weight_grad):
    """(conv2d_keep, conv2d_grads) for a backend with no fused kernels: its own kernels, one by one."""

    def conv2d_keep(x, w, b, Ho, Wo, geom, groups, keep=True):
        """conv2d; nothing is kept for the backward."""
        return conv2d(x, w, b, Ho, Wo, geom, groups), None

    def conv2d_grads(x, g, w, H, W, geom, groups, kept=None, bias=False):
        """(input gradient if w is given, weight gradient if x is, bias gradient if ``bias``)."""
        gx = conv2d_input_grad(g, w, H, W, geom, groups) if w is not None else None
        gw = conv2d_weight_grad(x, g, geom, groups) if x is not None else None
        gb = g.sum(axis=(0, 2, 3)) if bias else None
        return gx, gw, gb

    return conv2d_keep, conv2d_grads


def missing(backend) -> list[str]:
    """The interface functions ``backend`` (a module) lacks: none, for each of minigrad's."""
    return [name for name in FUNCTIONS if not callable(getattr(backend, name, None))]


__all__ = ["OWN", "FUSED", "FUNCTIONS", "fused_defaults", "missing"]
