"""Numerical gradient checks in float64: central finite differences against autograd."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import engine


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(fn, inputs):
    outs = _as_tuple(fn(*inputs))
    return [o for o in outs if isinstance(o, Tensor) and o.requires_grad]


def _numerical_jacobian(fn, inputs, out_index, eps):
    """d(outputs[out_index]).ravel() / d(input).ravel() for every input that requires grad."""
    jacobians = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        data = x._data   # perturbed in place, element by element in ravel order (a strided input too)
        out0 = _eval(fn, inputs, out_index)
        jac = np.zeros((data.size, out0.size))
        for i, at in enumerate(np.ndindex(*data.shape)):
            orig = data[at]
            data[at] = orig + eps
            plus = _eval(fn, inputs, out_index)
            data[at] = orig - eps
            minus = _eval(fn, inputs, out_index)
            data[at] = orig
            jac[i] = (plus - minus).reshape(-1) / (2 * eps)
        jacobians.append(jac)
    return jacobians


def _eval(fn, inputs, out_index):
    outs = _as_tuple(fn(*inputs))  # with grad enabled: fn may itself differentiate (gradgradcheck)
    return np.array(outs[out_index]._data, dtype=np.float64, copy=True)


def _analytical_jacobian(fn, inputs, out_index):
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    out = _as_tuple(fn(*inputs))[out_index]
    jacs = [np.zeros((x._data.size, out._data.size)) for x in diff_inputs]
    for j in range(out._data.size):
        seed = np.zeros(out._data.size, dtype=out._data.dtype)
        seed[j] = 1
        grads = engine.grad(out, diff_inputs, Tensor._make(seed.reshape(out._data.shape)),
                            retain_graph=True, allow_unused=True)
        for jac, g in zip(jacs, grads):
            if g is not None:
                jac[:, j] = g._data.reshape(-1)
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored) -> bool:
    """Compare autograd's Jacobian with central finite differences (inputs should be float64)."""
    inputs = _as_tuple(inputs)
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad and x._data.dtype != np.float64:
            import warnings
            warnings.warn("Input to gradcheck is not double precision floating point; the check may fail.")
    n_out = len(_as_tuple(func(*inputs)))
    for k in range(n_out):
        out = _as_tuple(func(*inputs))[k]
        if not (isinstance(out, Tensor) and out.requires_grad):
            continue
        numerical = _numerical_jacobian(func, inputs, k, eps)
        analytical = _analytical_jacobian(func, inputs, k)
        for i, (num, ana) in enumerate(zip(numerical, analytical)):
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                if raise_exception:
                    err = np.abs(ana - num).max()
                    raise GradcheckError(f"Jacobian mismatch for output {k} with respect to input {i},\n"
                                         f"numerical:{num}\nanalytical:{ana}\nmax abs error {err:.3e}")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **_ignored) -> bool:
    """gradcheck applied to the function x -> d(func(x) . v)/dx built with create_graph=True."""
    inputs = _as_tuple(inputs)
    outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        rs = np.random.default_rng(0)
        grad_outputs = [Tensor._make(rs.standard_normal(o.shape).astype(o._data.dtype)) for o in outs]
    grad_outputs = [g.detach().requires_grad_() if g.dtype.is_floating_point else g for g in _as_tuple(grad_outputs)]
    n_in = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        ys = [o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor) and o.requires_grad]
        diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = engine.grad(ys, diff, list(vs), create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(gs)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
