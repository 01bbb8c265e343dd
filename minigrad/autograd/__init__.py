"""Automatic differentiation: Function, backward/grad, grad modes, gradcheck (reverse mode);
functional (jacobian, hessian, vjp, jvp, hvp, vhp) and forward_ad (dual tensors, forward mode)."""
from .function import Function, Node
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .engine import backward, grad, detect_anomaly, set_detect_anomaly
from .gradcheck import gradcheck, gradgradcheck
from .trace import trace_backward
from . import forward_ad, functional  # noqa: E402  (torch.autograd.forward_ad / .functional)

__all__ = ["Function", "Node", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly",
           "set_detect_anomaly", "gradcheck", "gradgradcheck", "trace_backward", "forward_ad", "functional"]
