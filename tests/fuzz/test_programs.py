"""Random whole programs run in minigrad and torch side by side (minigrad.testing.fuzz).

Each example is a program: 2-3 tensors, then up to 30 random steps and a final backward; after
every step both libraries' tensors, gradients, hook calls and exceptions are compared. Budget (number of programs):

  CI=true (the ci profile)   CI_PROGRAMS, derandomized: the same programs on every run
  HYPOTHESIS_PROFILE=slow    SLOW_PROGRAMS
  otherwise                  DEV_PROGRAMS
  MINIGRAD_FUZZ_PROGRAMS=N   N programs, whatever the profile (e.g. 5000 for a thorough sweep)

MINIGRAD_FUZZ_FAMILIES picks the step families (``all``, ``all,-inplace_view``...); by default
the families in CI_FAMILIES run.
"""
import os

from hypothesis import settings

from minigrad.testing import fuzz

CI_PROGRAMS, DEV_PROGRAMS, SLOW_PROGRAMS = 60, 100, 5000

# Families with open disagreements on this branch, and why (issue 14; the minimised programs are in
# the fuzzer's findings). Each is switched back on once its fix lands.
KNOWN_OPEN = {
    # listed in issue 14, being fixed
    "create_numpy": "tensor() of a list of NumPy scalars gives int64 for int8/int16/int32/uint8",
    "inplace_operators": "//=, %=, **=, &=, |=, ^= rebind the name; <<= and >>= are missing",
    "inplace_view": "in-place ops on views of tensors that require grad (CopySlices)",
    "op_inplace": "relu(inplace=True), setitem and view writes on views (CopySlices)",
    "detach_write": "writing into a detach()ed tensor raises a view error",
    "detach_view": "detach_() of a view does not raise",
    "inplace_overlap": "x.add_(x[0]): overlapping in-place writes do not raise",
    "inplace_overwrite": "zero_/fill_/copy_ on a non-leaf leave its inputs' .grad None instead of zeros",
    "inplace_base_with_views": "views made before an in-place op on their base keep the old history (wrong grads)",
    "inplace_view_marking": "conv1d, conv_transpose1d, unbatched avg/max_pool2d return views of an internal tensor",
    "inplace_saved_self": "mul_/div_/pow_/clamp_ whose result requires grad raise a version error",
    "inplace_saved_index": "index, mask and weight tensors changed in place: no version error",
    "backward_inputs": "backward(inputs=[non_leaf]) leaves non_leaf.grad None",
    "scalar_wide": "integer tensor with an out-of-range Python int: promotion",
    "no_grad_update": "version checks of saved tensors after an optimiser-style update (adaptive_avg_pool1d)",
    # found by the fuzzer, not in the list
    "view_select": "Tensor.select is missing",
    "create_graph": "after backward(create_graph=True), accumulating into .grad fails or drops its graph",
    "detach_inplace": "detach_() of a leaf does not stop the gradient of graphs built before it",
    "free_graph": "which second backward raises 'graph freed' depends on which nodes saved tensors",
    "hook_root": "hooks and retain_grad of the output tensor itself are not run by autograd.grad",
    "grad_hooked_inputs": "autograd.grad returns an input's gradient after that input's hook",
    "scalar_rmod": "scalar % tensor has a gradient (torch's backward raises); -1 % 1.0 is +0.0 (torch -0.0)",
    "inplace_hooked": "a hook registered before an in-place op still applies to the retained gradient",
    "op_grad_kwargs": "binary_cross_entropy accepts a weight that requires grad; torch raises",
    "inplace_bool_alpha": "bool.add_(bool, alpha=2) raises",
    "create_wrap": "full((), -2, dtype=uint8) raises OverflowError; torch wraps to 254",
    "inference_mode": "no inference tensors: in-place updates of them outside inference_mode do not raise",
    "misuse": "retain_grad() without requires_grad, view() without sizes, empty int tensor % 0, "
              "uint8.pow_(-1), uint8.clamp_(-1, 1): minigrad differs from torch on each",
}
assert set(KNOWN_OPEN) <= set(fuzz.FAMILIES), set(KNOWN_OPEN) - set(fuzz.FAMILIES)
CI_FAMILIES = set(fuzz.FAMILIES) - set(KNOWN_OPEN)
# Op-table entries with open disagreements, found by the fuzzer.
KNOWN_OPEN_OPS = {
    "expand": "expand to the tensor's own shape returns the input itself (a leaf); torch returns a view",
    "remainder_number_first": "scalar % tensor has a gradient; torch's backward raises",
    "cumsum": "cumsum(x_requiring_grad, dtype=int64) does not raise torch's 'Autograd not support dtype'",
}


def _budget():
    if os.environ.get("MINIGRAD_FUZZ_PROGRAMS"):
        return int(os.environ["MINIGRAD_FUZZ_PROGRAMS"])
    profile = settings.default
    if "slow" in (os.environ.get("HYPOTHESIS_PROFILE"), getattr(settings, "_current_profile", None)):
        return SLOW_PROGRAMS
    return CI_PROGRAMS if profile.derandomize else DEV_PROGRAMS


fuzz.ENABLED.clear()
fuzz.ENABLED.update(fuzz.enabled_from_env(CI_FAMILIES))
if not os.environ.get("MINIGRAD_FUZZ_FAMILIES"):
    fuzz.SKIPPED_OPS.update(KNOWN_OPEN_OPS)

TestPrograms = fuzz.ProgramMachine.TestCase
TestPrograms.settings = settings(settings.default, max_examples=_budget(), stateful_step_count=30)
