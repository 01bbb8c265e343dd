"""minigrad.testing: test your own ops the way minigrad tests itself.

    from minigrad.testing import assert_matches_torch, arrays, shapes

    assert_matches_torch(MySquare.apply, lambda x: x * x,
                         shapes().flatmap(lambda s: arrays("float64", s)),
                         check_gradgrad=True)

* :func:`assert_close`: torch.testing.assert_close's semantics (per-dtype default tolerances,
  shape/dtype/device checks) for minigrad tensors, torch tensors, arrays and numbers;
* :func:`assert_matches_torch`: outputs, every input's gradient and grad-of-grad against torch,
  on given inputs or hypothesis-drawn ones, with the failing input and its largest errors named;
* :func:`gradcheck` / :func:`gradgradcheck`: numerical checks of minigrad's own derivatives
  (float64);
* the hypothesis strategies minigrad's tests use: :func:`shapes`, :func:`broadcastable_shapes`,
  :func:`arrays`, :func:`floats_in`, :func:`tensor_inputs`, :func:`dims_for`;
* :class:`NoGrad` marks an input that must not require grad (targets, indices stored as floats).

The op table (``minigrad.testing.op_db``), its record types (``opinfo``) and the parity report
(``python -m minigrad.testing.report``) live in the submodules.
"""
from ..autograd.gradcheck import gradcheck, gradgradcheck
from .assertions import TOLERANCES, assert_close, assert_matches_torch, default_tolerance
from .opinfo import NoGrad
from .strategies import arrays, broadcastable_shapes, dims_for, floats_in, shapes, tensor_inputs

__all__ = ["assert_close", "assert_matches_torch", "gradcheck", "gradgradcheck", "default_tolerance",
           "TOLERANCES", "NoGrad", "shapes", "broadcastable_shapes", "arrays", "floats_in", "tensor_inputs",
           "dims_for"]
