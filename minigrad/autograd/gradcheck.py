"""Numerical gradient checks in float64: central finite differences against autograd.

Complex numbers follow torch's convention: a complex output counts as its real and imaginary
parts (two real outputs), and the gradient of a real output with respect to a complex input z is
d/dRe(z) + i d/dIm(z), so each complex input is perturbed along both directions."""
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
        directions = (1, 1j) if data.dtype.kind == "c" else (1,)
        jac = np.zeros((data.size, out0.size), dtype=complex if len(directions) == 2 else float)
        for i, at in enumerate(np.ndindex(*data.shape)):
            orig = data[at]
            for direction in directions:
                data[at] = orig + eps * direction
                plus = _eval(fn, inputs, out_index)
                data[at] = orig - eps * direction
                minus = _eval(fn, inputs, out_index)
                data[at] = orig
                jac[i] = jac[i] + direction * (plus - minus).reshape(-1) / (2 * eps)
        jacobians.append(jac)
    return jacobians


def _eval(fn, inputs, out_index):
    outs = _as_tuple(fn(*inputs))  # with grad enabled: fn may itself differentiate (gradgradcheck)
    out = np.asarray(outs[out_index]._data)
    if out.dtype.kind == "c":   # its real and imaginary parts, as two real outputs each
        return np.stack([out.real, out.imag], -1).astype(np.float64)
    return np.array(out, dtype=np.float64, copy=True)


def _analytical_jacobian(fn, inputs, out_index):
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    out = _as_tuple(fn(*inputs))[out_index]
    # A seed of 1 at a complex output differentiates its real part, a seed of i its imaginary part.
    seeds = (1, 1j) if out._data.dtype.kind == "c" else (1,)
    jacs = [np.zeros((x._data.size, out._data.size * len(seeds)), dtype=complex if x._data.dtype.kind == "c" else float)
            for x in diff_inputs]
    for j in range(out._data.size):
        for k, value in enumerate(seeds):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[j] = value
            grads = engine.grad(out, diff_inputs, Tensor._make(seed.reshape(out._data.shape)),
                                retain_graph=True, allow_unused=True)
            for jac, g in zip(jacs, grads):
                if g is not None:
                    jac[:, j * len(seeds) + k] = g._data.reshape(-1)
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored) -> bool:
    """Compare autograd's Jacobian with central finite differences (inputs should be float64)."""
    inputs = _as_tuple(inputs)
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad and x._data.dtype not in (np.float64, np.complex128):
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
    grad_outputs = [g.detach().requires_grad_() if g.dtype.is_floating_point or g.dtype.is_complex else g
                    for g in _as_tuple(grad_outputs)]
    n_in = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        ys = [o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor) and o.requires_grad]
        diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = engine.grad(ys, diff, list(vs), create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(gs)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
