"""A differential fuzzer: random whole programs, run in minigrad and torch side by side.

A program is a list of Python statements over named tensors (``t0``, ``t1``...) in which ``lib``
is the library under test. :class:`DualProgram` runs each statement twice, once with
``lib = minigrad`` and once with ``lib = torch``, each in its own namespace, and after every
statement compares both namespaces: every tensor's values, dtype, shape, ``requires_grad``,
``is_leaf`` and ``.grad``, what the gradient hooks saw, and the exceptions (when one side raises,
the other must raise the same built-in exception class). A disagreement raises
:class:`Disagreement`, whose message is the program so far: it runs as it is in either library.

:class:`ProgramMachine` is a ``hypothesis.stateful.RuleBasedStateMachine`` that writes such
programs: tensors of every dtype, views, in-place ops on leaves, non-leaves and views, every op of
the op table (``minigrad.testing.op_db``, with its own sample inputs and domains), Python scalars,
grad-mode blocks, ``detach``, ``retain_grad``, hooks, ``backward`` and ``autograd.grad`` (twice,
and with ``create_graph``). Each kind of step belongs to a *family* (:data:`FAMILIES`); only the
families in :data:`ENABLED` are drawn, so a family whose known bugs are still open can be left
out of a run::

    from minigrad.testing import fuzz
    fuzz.ENABLED.discard("inplace_view")
    TestPrograms = fuzz.ProgramMachine.TestCase

The environment variable ``MINIGRAD_FUZZ_FAMILIES`` overrides the set for a run: a comma list of
names, ``all``, or ``all,-name,-name``. With ``MINIGRAD_FUZZ_COLLECT=file.jsonl`` a disagreement is
recorded in that file and ends its program quietly, so that one long run surveys all of them.
"""
from __future__ import annotations

import math
import os
import re
import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

import minigrad
from .assertions import TOLERANCES, compare_arrays
from .strategies import floats_in, shapes

__all__ = ["FAMILIES", "ENABLED", "SKIPPED_OPS", "DualProgram", "Disagreement", "ProgramMachine", "enabled_from_env"]

FAMILIES = {
    "create": "tensors of every dtype from Python lists, zeros/ones/full/arange and 0-d scalars",
    "create_wrap": "full() with a value outside an integer dtype's range (torch wraps it)",
    "create_numpy": "tensor()/as_tensor() of NumPy arrays and NumPy scalars (dtype preserved)",
    "view": "slicing, integer indexing, transpose, permute, expand, view, reshape, unsqueeze, squeeze, narrow",
    "view_select": "Tensor.select",
    "inplace_leaf": "in-place ops on leaves (a leaf that requires grad must raise, as in torch)",
    "inplace_nonleaf": "in-place ops on results of ops",
    "inplace_view": "in-place ops on views and setitem (torch's CopySlices)",
    "inplace_view_marking": "in-place ops and detach_() on a tensor that is a view in one library and not in the other",
    "inplace_saved_self": "mul_, div_, pow_, clamp_ (and *=, /=) whose result requires grad: their derivative "
                          "needs the old value",
    "inplace_saved_index": "in-place writes into a tensor an op of the table took without grad (index, mask, weight)",
    "inplace_hooked": "in-place ops on a tensor that has a hook or retain_grad()",
    "inplace_overwrite": "zero_(), fill_() and copy_() on a non-leaf that requires grad (its inputs' gradients "
                         "become zeros)",
    "inplace_base_with_views": "in-place ops on a tensor that requires grad (or becomes so) whose views are used "
                               "afterwards (the views' history is rebased in torch)",
    "inplace_overlap": "in-place ops whose operand shares memory with the tensor written",
    "inplace_operators": "the augmented operators //=, %=, **=, &=, |=, ^=, <<=, >>=",
    "op": "out-of-place ops of the op table, on the program's tensors or on the table's own samples",
    "op_inplace": "op-table entries that write in place (relu(inplace=True), setitem, view writes)",
    "op_grad_kwargs": "op-table arguments the table passes without grad (targets, weights) given tensors that "
                      "require grad",
    "scalar": "tensor <op> Python scalar in both orders, scalars inside the tensor dtype's range",
    "scalar_wide": "integer tensors with Python ints outside their dtype's range",
    "scalar_rmod": "Python scalar % tensor (no derivative in torch; the sign of a zero remainder)",
    "no_grad": "no_grad / set_grad_enabled(False) / enable_grad blocks",
    "no_grad_update": "in-place updates of leaves that require grad inside no_grad (an optimiser step)",
    "inference_mode": "inference_mode blocks, and their tensors used outside",
    "detach": "detach()",
    "detach_inplace": "detach_() of a tensor that is not a view, graphs built before it included",
    "detach_view": "detach_() of a view (torch raises)",
    "detach_write": "writes through detach() and .data, and into tensors that detach() made (shared storage and "
                    "version counter)",
    "data_write_saved": "writes through .data into a tensor a graph may have saved: one that requires grad (an op's "
                        "input or result), or an integer or bool tensor an op of the table took (an index or mask)",
    "retain_grad": "retain_grad() on tensors that require grad",
    "misuse": "retain_grad() on a tensor that does not require grad, view() with no sizes, "
              "integer // 0 and % 0 on an empty tensor, pow_ of an integer tensor with a negative exponent, "
              "uint8 clamp_ with a negative bound",
    "grad_hooked_inputs": "autograd.grad with respect to a non-leaf that has a hook",
    "inplace_bool_alpha": "bool_tensor.add_(other, alpha=2)",
    "hook": "Tensor.register_hook: hooks that observe and hooks that rescale the gradient",
    "hook_root": "backward / autograd.grad whose output is itself a tensor with a hook or retain_grad()",
    "free_graph": "backward / autograd.grad with retain_graph=False, then more backward passes that may reach the "
                  "freed graph",
    "backward": "backward() (with retain_graph, twice, with an explicit gradient)",
    "backward_inputs": "backward(inputs=[...])",
    "grad": "autograd.grad (allow_unused, retain_graph)",
    "create_graph": "autograd.grad / backward with create_graph=True, then differentiating the result",
    "grad_reset": "t.grad = None and t.grad.zero_()",
}

# Which families the fuzzer draws from; tests may narrow it (see the module docstring).
ENABLED: set[str] = set(FAMILIES)


def enabled_from_env(default=None) -> set[str]:
    """The families named by MINIGRAD_FUZZ_FAMILIES (``a,b``, ``all``, ``all,-a``); else ``default``."""
    spec = os.environ.get("MINIGRAD_FUZZ_FAMILIES")
    if not spec:
        return set(FAMILIES if default is None else default)
    chosen = set()
    for item in (s.strip() for s in spec.split(",")):
        if item == "all":
            chosen |= set(FAMILIES)
        elif item.startswith("-"):
            chosen.discard(item[1:])
        elif item:
            if item not in FAMILIES:
                raise ValueError(f"MINIGRAD_FUZZ_FAMILIES: unknown family {item!r}; known: {sorted(FAMILIES)}")
            chosen.add(item)
    return chosen


def _on(*families) -> bool:
    return all(f in ENABLED for f in families)


DTYPES = ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
FLOATS = ("float32", "float64")

# Values compare with the parity tolerances (docs/parity.md) widened 10 times: a program chains up
# to 30 ops and each side rounds differently at each of them (grad-of-grad uses the same factor).
_WIDEN = 10.0


class Disagreement(AssertionError):
    """minigrad and torch differ; the message holds the program and what differs."""

    def __init__(self, what: str, program: str, family: str = ""):
        self.what, self.program, self.family = what, program, family
        super().__init__(f"{what}\nfamily: {family}\nprogram (run with lib = torch, then lib = minigrad):\n{program}")


def _builtin_class(exc) -> type:
    """The first built-in class of an exception's MRO: torch's own errors (torch._C._LinAlgError,
    torch.OutOfMemoryError) subclass RuntimeError, and minigrad matches the built-in class."""
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


def _stale_view_first(e_th, e_mg) -> bool:
    """Both raise, torch its error for a stale view (a view made under no_grad, or one of several views
    returned together, whose memory was written since) and minigrad an error about the call's other
    arguments: torch collects a call's graph edges before its kernel checks the arguments, minigrad's
    ops check their arguments first (docs/parity.md, "Deviations")."""
    return isinstance(e_th, RuntimeError) and "its base or another view of its base has been modified inplace" \
        in str(e_th) and isinstance(e_mg, (IndexError, RuntimeError, ValueError, TypeError))


def _attribute(t, attr):
    """("ok", t.attr) or ("err", the exception reading it raised)."""
    try:
        return "ok", getattr(t, attr)
    except Exception as exc:  # noqa: BLE001
        return "err", exc


def _dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


def _to_numpy(t):
    import torch
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().resolve_conj().resolve_neg().numpy(force=True)
    return t.detach().numpy(force=True)


class _Hooks:
    """A hook factory bound into each namespace: ``hook("t3", 2.0)`` records what it sees."""

    def __init__(self):
        self.log = []

    def __call__(self, tag, scale=None):
        def hook(grad):
            if grad is None:  # torch calls the hooks of a multi-output node's unused outputs with None
                return None
            self.log.append((tag, tuple(grad.shape), _dtype_name(grad), _to_numpy(grad).copy()))
            return None if scale is None else grad * scale
        return hook


class _World:
    def __init__(self, lib, name, ops, constants):
        self.lib, self.name = lib, name
        self.hooks = _Hooks()
        self.ns = {"lib": lib, "np": np, "hook": self.hooks, "C": constants,
                   "nan": math.nan, "inf": math.inf,  # as the repr of a sample's values writes them
                   "op": (lambda n: ops[n].op) if name == "minigrad" else (lambda n: ops[n].ref)}

    def run(self, code):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(code, self.ns)
        except Exception as exc:  # noqa: BLE001: every exception is compared with the other side's
            return exc
        return None


class DualProgram:
    """Runs statements in both libraries and compares the two states after each one."""

    def __init__(self):
        import torch
        from .op_db import OP_DB
        self.ops = {op.name: op for op in OP_DB}
        self.constants = {}                 # non-literal arguments (index specs...), shared by both sides
        self.mg = _World(minigrad, "minigrad", self.ops, self.constants)
        self.th = _World(torch, "torch", self.ops, self.constants)
        self.lines: list[str] = []
        self.names: list[str] = []           # the tensors (and other results) the program has named
        self.counter = 0
        self.steps = 0
        self.failed = False                 # a disagreement was found: the program stops here
        self.collect = os.environ.get("MINIGRAD_FUZZ_COLLECT")  # a file: record disagreements there, go on

    # -- program text ---------------------------------------------------------------------------
    def program(self) -> str:
        head = [f"# C[{k!r}] = {v!r}" for k, v in self.constants.items()]
        return "\n".join(head + self.lines)

    def fresh(self) -> str:
        name = f"t{self.counter}"
        self.counter += 1
        return name

    def constant(self, value) -> str:
        key = len(self.constants)
        self.constants[key] = value
        return f"C[{key}]"

    def literal(self, value) -> str:
        """Source text for an argument: a literal where repr round-trips, else a shared constant."""
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return f"float({str(value)!r})"
        if isinstance(value, (bool, int, float, str, type(None))):
            return repr(value)
        if isinstance(value, (tuple, list)):
            parts = [self.literal(v) for v in value]
            if isinstance(value, tuple):
                return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
            return "[" + ", ".join(parts) + "]"
        if isinstance(value, slice):
            return f"slice({self.literal(value.start)}, {self.literal(value.stop)}, {self.literal(value.step)})"
        return self.constant(value)

    # -- running --------------------------------------------------------------------------------
    def run(self, code: str, family: str, assign: list[str] = (), unpack: bool = False):
        """Run ``code`` on both sides; on success the names in ``assign`` become tensors of the program.

        ``unpack``: ``code`` stores a result in ``_r``; each element of a tuple result (or the
        result itself) is then given a fresh name.
        Returns True when both sides ran without raising. With ``MINIGRAD_FUZZ_COLLECT`` set, a
        disagreement is appended to that file (one JSON record a line) and ends the program
        quietly: every later statement is skipped.
        """
        if self.failed:
            return False
        try:
            return self._run(code, family, assign, unpack)
        except Disagreement as exc:
            self.failed = True
            if not self.collect:
                raise
            import json
            with open(self.collect, "a") as f:
                f.write(json.dumps({"family": exc.family, "what": exc.what, "program": exc.program}) + "\n")
            return False

    def _run(self, code, family, assign, unpack):
        self.lines.append(code)
        self.steps += 1
        e_mg, e_th = self.mg.run(code), self.th.run(code)
        if (e_mg is None) != (e_th is None) or (e_th is not None and not isinstance(e_mg, _builtin_class(e_th))
                                                and not _stale_view_first(e_th, e_mg)):
            self.lines.append(f"# torch: {_describe(e_th)}\n# minigrad: {_describe(e_mg)}")
            raise Disagreement(f"exceptions differ: torch {_describe(e_th)}; minigrad {_describe(e_mg)}",
                               self.program(), family)
        if e_th is not None:
            self.lines[-1] += f"  # both raise {_builtin_class(e_th).__name__}"
            if str(e_th) == "ZeroDivisionError":
                self._take_torch_values()
            if (".backward(" in code or "autograd.grad(" in code) and self._partial_grads_differ():
                self.failed = True   # ends the program quietly: see _partial_grads_differ
                return False
        else:
            for name in assign:
                if name not in self.names:
                    self.names.append(name)
            if unpack:
                self._unpack(family)
        self.compare(family)
        return e_th is None

    def _take_torch_values(self):
        """torch's integer division writes the quotients before a zero divisor, then raises;
        minigrad writes none (docs/parity.md): go on from torch's values."""
        for name in self.names:
            t_th, t_mg = self.th.ns.get(name), self.mg.ns.get(name)
            if hasattr(t_th, "detach") and hasattr(t_mg, "_data") and t_mg._data.flags.writeable \
                    and tuple(t_th.shape) == t_mg._data.shape:
                t_mg._data[...] = t_th.detach().numpy()

    def _partial_grads_differ(self) -> bool:
        """A backward that raised partway has accumulated into the leaves its engine reached first (and
        run their hooks), and torch's order of nodes is not minigrad's (docs/parity.md): whether any
        .grad or the hooks that ran differ."""
        if sorted(e[:3] for e in self.mg.hooks.log) != sorted(e[:3] for e in self.th.hooks.log):
            return True
        for name in self.names:
            t_th, t_mg = self.th.ns.get(name), self.mg.ns.get(name)
            if hasattr(t_th, "detach") and isinstance(t_mg, minigrad.Tensor):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")   # (.grad of a non-leaf warns)
                    g, h = t_th.grad, t_mg.grad
                if (g is None) != (h is None) or (g is not None and (g.shape != h.shape or not np.array_equal(
                        _to_numpy(g), _to_numpy(h), equal_nan=True))):
                    return True
        return False

    def _unpack(self, family):
        r_th, r_mg = self.th.ns.pop("_r"), self.mg.ns.pop("_r")
        multiple = isinstance(r_th, (tuple, list))
        if multiple and (not isinstance(r_mg, (tuple, list)) or len(r_mg) != len(r_th)):
            raise Disagreement(f"torch returns {len(r_th)} results, minigrad {type(r_mg).__name__} {r_mg!r}",
                               self.program(), family)
        items_th, items_mg = (list(r_th), list(r_mg)) if multiple else ([r_th], [r_mg])
        names = [self.fresh() for _ in items_th]
        for name, a, b in zip(names, items_th, items_mg):
            self.th.ns[name], self.mg.ns[name] = a, b
            self.names.append(name)
        self.lines[-1] = self.lines[-1].replace("_r = ", ", ".join(names) + (", = " if len(names) == 1 and multiple
                                                                          else " = "), 1)

    # -- comparing ------------------------------------------------------------------------------
    def compare(self, family=""):
        for name in self.names:
            self._compare_one(name, self.mg.ns.get(name), self.th.ns.get(name), family)
        self._compare_hooks(family)

    def _fail(self, what, family):
        raise Disagreement(what, self.program(), family)

    def _compare_values(self, label, a, b, family):
        a_np, b_np = _to_numpy(a), _to_numpy(b)
        if a_np.shape != b_np.shape:
            self._fail(f"{label}: shape minigrad {a_np.shape} vs torch {b_np.shape}", family)
        rtol, atol = TOLERANCES.get(_dtype_name(b), (0.0, 0.0))
        result = compare_arrays(a_np, b_np, rtol * _WIDEN, atol * _WIDEN, equal_nan=True)
        if result.bad:
            self._fail(f"{label}: values differ\nminigrad {a_np.tolist()}\ntorch    {b_np.tolist()}\n"
                       + result.describe(rtol * _WIDEN, atol * _WIDEN), family)

    def _compare_one(self, name, a, b, family):
        import torch
        if not isinstance(b, torch.Tensor):
            if isinstance(a, minigrad.Tensor):
                self._fail(f"{name}: minigrad gives a Tensor, torch {type(b).__name__} {b!r}", family)
            ok = a == b or (isinstance(b, float) and isinstance(a, float)
                            and (math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6) or (a != a and b != b)))
            if not ok:
                self._fail(f"{name}: minigrad {a!r} vs torch {b!r}", family)
            return
        if not isinstance(a, minigrad.Tensor):
            self._fail(f"{name}: torch gives a Tensor, minigrad {type(a).__name__} {a!r}", family)
        for attr in ("shape", "dtype", "requires_grad", "is_leaf"):
            (ka, va), (kb, vb) = _attribute(a, attr), _attribute(b, attr)
            if ka != kb or ka == "err":   # torch raises reading a stale multi-output view's grad_fn
                if ka != kb or type(va) is not type(vb):
                    self._fail(f"{name}.{attr}: minigrad {ka} {va!r} vs torch {kb} {vb!r}", family)
                continue
            if attr == "shape":
                va, vb = tuple(va), tuple(vb)
            if attr == "dtype":
                va, vb = _dtype_name(a), _dtype_name(b)
            if va != vb:
                self._fail(f"{name}.{attr}: minigrad {va} vs torch {vb}", family)
        self._compare_values(name, a, b, family)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ga, gb = a.grad, b.grad
        if (ga is None) != (gb is None):
            self._fail(f"{name}.grad: minigrad {None if ga is None else _to_numpy(ga).tolist()} vs torch "
                       f"{None if gb is None else _to_numpy(gb).tolist()}", family)
        if gb is not None:
            if _dtype_name(ga) != _dtype_name(gb):
                self._fail(f"{name}.grad.dtype: minigrad {_dtype_name(ga)} vs torch {_dtype_name(gb)}", family)
            if ga.requires_grad != gb.requires_grad:
                self._fail(f"{name}.grad.requires_grad: minigrad {ga.requires_grad} vs torch {gb.requires_grad}",
                           family)
            self._compare_values(f"{name}.grad", ga, gb, family)

    def _compare_hooks(self, family):
        la = sorted(self.mg.hooks.log, key=lambda e: e[0])
        lb = sorted(self.th.hooks.log, key=lambda e: e[0])
        if [e[:3] for e in la] != [e[:3] for e in lb]:
            self._fail(f"hook calls differ (tag, shape, dtype):\nminigrad {[e[:3] for e in la]}\n"
                       f"torch    {[e[:3] for e in lb]}", family)
        for x, y in zip(la, lb):
            r = compare_arrays(x[3], y[3], *(v * _WIDEN for v in TOLERANCES.get(y[2], (0.0, 0.0))))
            if r.bad:
                self._fail(f"hook {x[0]} saw different gradients: minigrad {x[3].tolist()} vs torch {y[3].tolist()}",
                           family)

    # -- state queries the step writers use ------------------------------------------------------
    def tensors(self, predicate=lambda t: True) -> list[str]:
        """Names whose torch value is a tensor satisfying ``predicate(torch_tensor)``."""
        import torch
        out = []
        for n in self.names:
            t = self.th.ns.get(n)
            if not isinstance(t, torch.Tensor):
                continue
            try:
                chosen = predicate(t)
            except RuntimeError:   # torch raises reading is_leaf / grad_fn of a stale multi-output view
                chosen = False
            if chosen:
                out.append(n)
        return out

    def same_bits(self, name) -> bool:
        """Both sides hold bit-identical values (NaNs equal): safe input for a discontinuous op."""
        a, b = self.mg.ns.get(name), self.th.ns.get(name)
        if not isinstance(a, minigrad.Tensor):
            return False
        a_np = np.ascontiguousarray(np.atleast_1d(_to_numpy(a)))  # .view(uint8) needs contiguous arrays
        b_np = np.ascontiguousarray(np.atleast_1d(_to_numpy(b)))
        if a_np.shape != b_np.shape or a_np.dtype != b_np.dtype:
            return False
        if a_np.dtype.kind == "f":
            return bool(np.array_equal(a_np.view(np.uint8), b_np.view(np.uint8)) or
                        np.array_equal(a_np, b_np, equal_nan=True) and
                        np.array_equal(np.signbit(a_np), np.signbit(b_np)))
        return bool(np.array_equal(a_np, b_np))


def _describe(exc) -> str:
    if exc is None:
        return "no exception"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}({(text[0] if text else '')[:160]!r})"


# -- what the steps write ------------------------------------------------------------------------
def _is_float(t) -> bool:
    return t.dtype.is_floating_point


def _empty_with_grad(t) -> bool:
    """An empty tensor that requires grad: with create_graph, whether its gradient is in a graph
    follows each torch formula's shortcut for empty inputs (docs/parity.md); not compared."""
    return t.requires_grad and t.numel() == 0


def _is_view(t) -> bool:
    return t._base is not None


def _dense(t) -> bool:
    """torch's is_non_overlapping_and_dense: the elements fill one block of memory exactly."""
    expected = 1
    for stride, size in sorted((st, n) for st, n in zip(t.stride(), t.shape) if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _undetected_overlap(target, operand) -> bool:
    """``operand`` shares memory with ``target`` in another layout, and one of them is not dense:
    torch's partial-overlap check gives up ("too hard") and its in-place kernel reads operand
    elements it has already overwritten, so its result depends on its loop order (minigrad computes
    out of place, then writes). An in-place step with such an operand is not compared."""
    if not hasattr(operand, "untyped_storage") or operand.numel() == 0 or target.numel() == 0 \
            or operand.untyped_storage().data_ptr() != target.untyped_storage().data_ptr():
        return False
    same = operand.data_ptr() == target.data_ptr() and tuple(operand.shape) == tuple(target.shape) \
        and operand.stride() == target.stride()
    if not same and operand.data_ptr() == target.data_ptr() and tuple(operand.shape) == tuple(target.shape) \
            and all(a == b or n == 1 for n, a, b in zip(target.shape, target.stride(), operand.stride())):
        # the same elements, the strides differing only in size-1 dims: torch calls it a partial
        # overlap, minigrad cannot (NumPy gives such dims stride 0 where torch gives others; docs/parity.md)
        return True
    return not same and not (_dense(operand) and _dense(target))


def _values(dtype: str, shape):
    """A nested list of ``shape`` with values for ``dtype``: small numbers and exact kinks (0, +-1)."""
    if dtype == "bool":
        elements = st.booleans()
    elif dtype in FLOATS:
        elements = st.one_of(floats_in(-3.0, 3.0, width=32 if dtype == "float32" else 64),
                             st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0]))
    else:
        info = np.iinfo(dtype)
        elements = st.one_of(st.integers(max(info.min, -5), min(info.max, 5)),
                             st.integers(int(info.min), int(info.max)))
    size = int(np.prod(shape)) if shape else 1
    return st.lists(elements, min_size=size, max_size=size).map(
        lambda flat: np.array(flat, dtype=object).reshape(shape).tolist() if shape else flat[0])


# Ops whose value and derivative are smooth: they may run on inputs that already differ in the last
# bits between the two libraries. Every other op of the table (rounding, comparisons, max, abs,
# clamp, relu, sort-like and index ops) is fed only bit-identical inputs, since there a rounding
# difference legitimately becomes a different branch.
SMOOTH_OPS = frozenset("""
add add_alpha sub mul div neg mul_number rsub_number rdiv_number subtract multiply divide true_divide sum mean
reshape expand exp expm1 log log2 log10 log1p sqrt rsqrt reciprocal square sin cos tan atan sinh cosh tanh
sigmoid erf atan2 pow_number lerp lerp_number prod var std logsumexp cumsum matmul mm bmm mv dot outer
addmm einsum einsum_sublist permute transpose t T mT squeeze unsqueeze flatten unflatten movedim narrow
split split_sections chunk unbind cat concat concatenate stack repeat tile flip roll tril triu gelu gelu_tanh
silu mish softplus softsign logsigmoid softmax log_softmax softmin selu mse_loss mse_loss_weighted
binary_cross_entropy_with_logits kl_div linear pad pad_reflect pad_replicate pad_circular layer_norm
batch_norm_train batch_norm_eval conv2d conv1d conv_transpose2d conv_transpose1d unfold fold avg_pool2d
avg_pool1d adaptive_avg_pool2d adaptive_avg_pool1d
""".split())

def _torch_bug(name, sample) -> bool:
    """Samples on which torch 2.13 itself misbehaves (docs/parity.md, "The program fuzzer")."""
    if name == "native_group_norm":
        return True  # without create_graph torch's backward drops the gradients of the mean and rstd outputs
    if name == "as_strided_scatter":
        return True  # torch's input gradient keeps g only inside the written region (its own gradcheck fails)
    if name in ("linalg.eig", "eig"):
        # the table's entry returns |V| (its gauge fix): an eigenvector component near 0 sits at abs's kink,
        # which last-bit different eigenvectors (LAPACK's, in two builds) reach from different sides
        return True
    if name == "special.airy_ai" and getattr(sample.args[0], "dtype", None) == np.float32:
        return True  # torch's float32 airy_ai is 2e-5 off at x = -30 (minigrad 3e-8): later ops carry it past tolerance
    if name == "linalg.cond_norms":
        # torch's backward of cond with p in (1, -1, inf, -inf, 'fro') always raises its version error (an
        # in-place write of an inverse its composite saved), also with no in-place op in the program
        return sample.args[1] != "nuc"
    if name in ("sgn", "value_tests", "value_tests_int"):
        # torch's gradient of sgn of a real tensor is an efficient ZeroTensor: a second backward into the
        # leaf raises "ZeroTensors are immutable", a hook scaling it changes its dtype, .numpy() refuses it
        return True
    if name in ("dist_inf", "dist_empty"):
        return True  # the backward of dist(x, y, 0) fails: "Expected a proper Tensor but got None" (minigrad: zeros)
    if name == "cov" and any(sample.kwargs.get(k) is not None for k in ("fweights", "aweights")):
        x = sample.args[0]
        observations = x.shape[-1] if np.ndim(x) else 1
        return observations == 1  # torch zeroes its input in place (a leaf that requires grad: it raises)
    if name == "interpolate_nearest" and np.ndim(sample.args[0]) in (3, 5) and "scale_factor" in sample.kwargs \
            and not sample.kwargs.get("recompute_scale_factor"):
        # torch's 1-d and 3-d nearest forward reads floor(o / scale_factor) where its backward (and its 2-d
        # forward) takes the shortcut o (output size n) or o >> 1 (output size 2n): with scale_factor 2.3 and
        # a side of 2 its forward reads [0, 0, 0, 1], its gradient flows as from [0, 0, 1, 1] (minigrad's)
        sizes = np.shape(sample.args[0])[2:]
        factors = np.broadcast_to(np.asarray(sample.kwargs["scale_factor"], float), (len(sizes),))
        return any(int(n * f) in (n, 2 * n) and f != int(n * f) / n for n, f in zip(sizes, factors))
    return False


def _lapack_layout_in_torch_only(th, mg) -> bool:
    """Whether torch's tensor is a batch of column-major matrices (LAPACK's layout, which torch's
    linalg ops return and its elementwise ops keep) where minigrad's is row-major: ``.view()`` of
    it may then raise in torch only (docs/parity.md, "Deliberate differences")."""
    return th.ndim >= 2 and th.numel() > 1 and not th.is_contiguous() and th.mT.is_contiguous() \
        and mg.is_contiguous()


def _remainder_overflows(a, b) -> bool:
    """Whether a float ``a % b`` meets torch 2.13's remainder bug: its vectorized kernel computes
    ``a - b * floor(a / b)``, NaN where ``a / b`` overflows (a denormal divisor), while its scalar
    tail (the last elements) gives the exact remainder, as minigrad does. ``a``, ``b``: torch
    tensors or numbers."""
    import torch
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        try:
            q = torch.div(a, b)
        except RuntimeError:
            return False     # shapes that do not broadcast: the step raises in both libraries
        if not q.is_floating_point():
            return False
        return bool((torch.isinf(q) & torch.isfinite(a) & torch.isfinite(b) & (b != 0)).any())


def _median_reads_past_zero_stride(name, args) -> bool:
    """Whether ``median(x, dim)`` / ``nanmedian(x, dim)`` meets torch 2.13's bug on inputs with a zero
    stride (an ``expand``): along such a dim it returns values read from outside the tensor (4.6e-310,
    2.3e-186) and indices to match; along the other dims it is right."""
    if not name.startswith(("median_dim", "nanmedian_dim")) or len(args) < 2 or not hasattr(args[0], "stride"):
        return False
    x, dim = args[0], args[1]
    if x.dim() == 0:
        return False
    dim = dim % x.dim()
    return x.stride(dim) == 0 and x.shape[dim] > 1


# Op-table entries that write into their input (their own family: in-place semantics).
def _writes_in_place(name: str) -> bool:
    return name.endswith("_inplace") or name.startswith(("view_write", "setitem"))


# Op-table entries the fuzzer leaves out (dropout draws random numbers); tests may add the names
# of ops with open disagreements.
SKIPPED_OPS: set[str] = {"dropout_deterministic"}


class ProgramMachine(RuleBasedStateMachine):
    """Writes a random program step by step, each step run and compared in both libraries."""

    def __init__(self):
        super().__init__()
        self.p = DualProgram()
        self.hooked = set()    # names with a gradient hook
        self.detached = set()  # names made by detach(): they share storage (and version) with their source
        self.index_args = set()  # integer and bool tensors passed to an op of the table
        self.saved_results = set()  # integer and bool results of an op of the table

    # -- helpers ----------------------------------------------------------------------------------
    def _pick(self, data, predicate=lambda t: True, label="tensor"):
        names = self.p.tensors(predicate)
        return data.draw(st.sampled_from(names), label=label) if names else None

    def _t(self, name):
        return self.p.th.ns[name]

    def _is_leaf(self, name) -> bool:
        """torch's is_leaf, False where torch refuses to read it (a stale view made under no_grad or
        returned with others: every use of it raises)."""
        try:
            return self._t(name).is_leaf
        except RuntimeError:
            return False

    def _create_line(self, data, dtype, shape, requires_grad) -> str:
        lib_dtype = f"lib.{dtype}"
        rg = ", requires_grad=True" if requires_grad else ""
        if 0 in shape:
            return f"lib.zeros({shape!r}, dtype={lib_dtype}{rg})"
        values = data.draw(_values(dtype, shape), label="values")
        return f"lib.tensor({values!r}, dtype={lib_dtype}{rg})"

    def _new_tensor(self, data, dtype=None, shape=None, requires_grad=None, family="create"):
        dtype = dtype or data.draw(st.sampled_from(DTYPES), label="dtype")
        shape = tuple(data.draw(shapes(max_dims=3, max_side=4), label="shape")) if shape is None else tuple(shape)
        if requires_grad is None:
            requires_grad = dtype in FLOATS and data.draw(st.booleans(), label="requires_grad")
        name = self.p.fresh()
        self.p.run(f"{name} = {self._create_line(data, dtype, shape, requires_grad)}", family, [name])
        return name

    def _operand(self, data, target_shape=None):
        """Another tensor of the program (preferably one that broadcasts to ``target_shape``) or a scalar."""
        if data.draw(st.integers(0, 3), label="operand kind") == 0:
            return self.p.literal(data.draw(st.sampled_from([2.5, -1, 0.5, 3, True, 0]), label="scalar"))

        def fits(t):
            if target_shape is None:
                return True
            try:
                return np.broadcast_shapes(tuple(t.shape), target_shape) == tuple(target_shape)
            except ValueError:
                return False
        name = self._pick(data, fits, "operand") if data.draw(st.integers(0, 5)) else self._pick(data)
        return name or "1.5"

    # -- creation ---------------------------------------------------------------------------------
    @initialize(data=st.data())
    def start(self, data):
        for dtype in data.draw(st.lists(st.sampled_from(FLOATS + ("int64", "bool")), min_size=2, max_size=3), "start"):
            if _on("create"):
                self._new_tensor(data, dtype, requires_grad=dtype in FLOATS)
        if not _on("create"):  # a program needs something to work on
            self.p.run("t_base = lib.tensor([[0.5, -1.0], [2.0, 1.5]], requires_grad=True)", "create", ["t_base"])

    @precondition(lambda self: _on("create"))
    @rule(data=st.data())
    def create(self, data):
        kind = data.draw(st.integers(0, 6), label="constructor")
        if kind <= 3:
            self._new_tensor(data)
            return
        dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
        shape = tuple(data.draw(shapes(max_dims=3, max_side=4), label="shape"))
        name = self.p.fresh()
        family = "create"
        rg = ", requires_grad=True" if dtype in FLOATS and data.draw(st.booleans()) else ""
        if kind == 4:
            fn = data.draw(st.sampled_from(["zeros", "ones"]))
            code = f"{name} = lib.{fn}({shape!r}, dtype=lib.{dtype}{rg})"
        elif kind == 5:
            value = data.draw(st.sampled_from([0, 1, -2, 2.5, True, 7]), label="fill")
            code = f"{name} = lib.full({shape!r}, {value!r}, dtype=lib.{dtype}{rg})"
            if dtype == "uint8" and value == -2:
                family = "create_wrap"
        else:  # a 0-d tensor from a Python scalar: dtype inferred from the scalar's kind
            value = data.draw(st.sampled_from([0, 3, -1, 2.5, -0.5, True, False]), label="scalar")
            rg = ", requires_grad=True" if isinstance(value, float) and data.draw(st.booleans()) else ""
            code = f"{name} = lib.tensor({value!r}{rg})"
        if _on(family):
            self.p.run(code, family, [name])

    @precondition(lambda self: _on("create_numpy"))
    @rule(data=st.data())
    def create_numpy(self, data):
        dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
        shape = tuple(data.draw(shapes(max_dims=2, max_side=3, min_side=1), label="shape"))
        values = data.draw(_values(dtype, shape), label="values")
        name = self.p.fresh()
        form = data.draw(st.integers(0, 3), label="form")
        array = f"np.array({values!r}, dtype=np.{dtype if dtype != 'bool' else 'bool_'})"
        if form == 0:
            code = f"{name} = lib.tensor({array})"
        elif form == 1:
            code = f"{name} = lib.as_tensor({array})"
        elif form == 2:  # a list of NumPy scalars
            code = f"{name} = lib.tensor(list({array}.reshape(-1)))"
        else:  # a tensor made from another tensor's elements
            source = self._pick(data, lambda t: t.ndim >= 1 and t.numel() > 0)
            if source is None:
                return
            code = f"{name} = lib.tensor([{source}.detach().reshape(-1)[0]])"
        self.p.run(code, "create_numpy", [name])

    # -- views ------------------------------------------------------------------------------------
    @precondition(lambda self: _on("view"))
    @rule(data=st.data())
    def view(self, data):
        src = self._pick(data)
        if src is None:
            return
        t = self._t(src)
        nd = t.ndim
        d = data.draw(st.integers(-max(nd, 1), max(nd, 1) - 1), label="dim")
        choices = ["unsqueeze", "expand", "view_flat", "reshape"]
        if nd >= 1:
            choices += ["slice", "slice_step", "index", "transpose", "narrow", "squeeze", "permute"]
        kind = data.draw(st.sampled_from(choices), label="view kind")
        family = "view"
        size0 = t.shape[0] if nd else 0
        a = data.draw(st.integers(-size0 - 1, size0), label="start")
        b = data.draw(st.integers(-size0 - 1, size0 + 1), label="stop")
        if kind == "unsqueeze":
            expr = f"{src}.unsqueeze({data.draw(st.integers(-nd - 1, nd), label='dim')})"
        elif kind == "expand":
            expr = f"{src}.expand({data.draw(st.integers(0, 3), label='new size')}, *{src}.shape)"
            if nd and 1 in t.shape and data.draw(st.booleans()):
                sizes = [3 if s == 1 else -1 for s in t.shape]
                expr = f"{src}.expand({', '.join(map(str, sizes))})"
        elif kind == "view_flat":
            expr = f"{src}.view({data.draw(st.sampled_from(['-1', '1, -1', '-1, 1', '*' + src + '.shape']))})"
            if _lapack_layout_in_torch_only(t, self.p.mg.ns[src]):
                return   # a deliberate difference (docs/parity.md): minigrad's linalg results are row-major
            if nd == 0 and expr.endswith("shape)"):  # view() without sizes
                family = "misuse"
        elif kind == "reshape":
            expr = f"{src}.reshape({data.draw(st.sampled_from(['-1', '-1, 1']))})"
        elif kind == "slice":
            expr = f"{src}[{a}:{b}]" if data.draw(st.booleans()) or nd < 2 else f"{src}[:, {a}:{b}]"
        elif kind == "slice_step":
            expr = f"{src}[::{data.draw(st.integers(1, 3))}]"
        elif kind == "index":
            expr = f"{src}[{a}]"
        elif kind == "transpose":
            expr = f"{src}.transpose({d}, {data.draw(st.integers(-nd, nd - 1), label='dim1')})"
        elif kind == "narrow":
            start = data.draw(st.integers(0, size0), label="start")
            expr = f"{src}.narrow(0, {start}, {data.draw(st.integers(0, size0 - start), label='length')})"
        elif kind == "squeeze":
            expr = f"{src}.squeeze({d})" if data.draw(st.booleans()) else f"{src}.squeeze()"
        else:
            perm = data.draw(st.permutations(range(nd)), label="perm")
            expr = f"{src}.permute({', '.join(map(str, perm))})" if nd > 1 else f"{src}.permute(0)"
        if not _on(family):
            return
        name = self.p.fresh()
        self.p.run(f"{name} = {expr}", family, [name])

    @precondition(lambda self: _on("view_select"))
    @rule(data=st.data())
    def select(self, data):
        src = self._pick(data, lambda t: t.ndim >= 1)
        if src is None:
            return
        t = self._t(src)
        d = data.draw(st.integers(0, t.ndim - 1), label="dim")
        i = data.draw(st.integers(-t.shape[d] - 1, t.shape[d]), label="index")
        name = self.p.fresh()
        self.p.run(f"{name} = {src}.select({d}, {i})", "view_select", [name])

    # -- in-place ---------------------------------------------------------------------------------
    def _inplace_family(self, t, name=None):
        mine = self.p.mg.ns.get(name)
        if isinstance(mine, minigrad.Tensor) and (mine._base is not None) != _is_view(t):
            return "inplace_view_marking"  # a view in one library only (an op's output cut from a buffer,
            # or a gradient that torch returns as an expanded view)
        if _is_view(t):
            if isinstance(mine, minigrad.Tensor) and self._bases_differ(t, mine):
                return "inplace_view_marking"  # a view of a tensor that is a view in torch only (a gradient)
            return "inplace_view"
        if t.is_leaf and not t.requires_grad and (self._shares_with_grad(t) or name in self.detached):
            return "detach_write"  # a detach() of a tensor that requires grad: same storage
        if name in self.index_args:
            return "inplace_saved_index"  # an index, mask or weight a graph may have saved
        if name in self.hooked:
            return "inplace_hooked"
        return "inplace_leaf" if t.is_leaf else "inplace_nonleaf"

    def _bases_differ(self, t, mine) -> bool:
        """Views in both libraries whose bases are not the same program tensor: torch's base is one
        minigrad does not have (a gradient autograd.grad returned as an expanded view of its own
        buffer, whose views torch marks as made under no_grad)."""
        names = self.p.names
        theirs = {n for n in names if self.p.th.ns.get(n) is t._base}
        ours = {n for n in names if self.p.mg.ns.get(n) is mine._base}
        return theirs != ours

    def _shares_with_grad(self, t):
        ptr = t.untyped_storage().data_ptr()
        return t.numel() > 0 and any(o.untyped_storage().data_ptr() == ptr for o in
                                     (self._t(n) for n in self.p.tensors(lambda o: o.requires_grad)))

    def _inplace_code(self, data, target):
        t = self._t(target)
        shape = tuple(t.shape)
        kind = data.draw(st.sampled_from(["add_", "sub_", "mul_", "div_", "iadd", "imul", "isub", "itruediv",
                                          "clamp_", "pow_", "neg_", "zero_", "fill_", "copy_", "masked_fill_",
                                          "setitem"]), label="in-place op")
        if kind in ("add_", "sub_", "mul_", "div_"):
            other = self._operand(data, shape)
            alpha = ", alpha=2" if kind in ("add_", "sub_") and data.draw(st.integers(0, 3)) == 0 else ""
            if alpha and _dtype_name(t) == "bool" and not _on("inplace_bool_alpha"):
                alpha = ""
            return f"{target}.{kind}({other}{alpha})"
        if kind in ("iadd", "imul", "isub", "itruediv"):
            sym = {"iadd": "+=", "imul": "*=", "isub": "-=", "itruediv": "/="}[kind]
            return f"{target} {sym} {self._operand(data, shape)}"
        if kind == "clamp_":
            lo, hi = data.draw(st.sampled_from([(-1, 1), (0, None), (None, 0.5), (-0.5, 2.0)]), label="bounds")
            if _dtype_name(t) == "uint8" and (lo or 0) < 0 and not _on("misuse"):
                lo = 0  # a negative bound on uint8: an open disagreement (family misuse)
            return f"{target}.clamp_({lo!r}, {hi!r})"
        if kind == "pow_":
            exponent = data.draw(st.sampled_from([2, 3, 0.5, -1]), label="exponent")
            if exponent == -1 and not _is_float(t) and not _on("misuse"):
                exponent = 2
            return f"{target}.pow_({exponent!r})"
        if kind == "neg_":
            return f"{target}.neg_()"
        if kind == "zero_":
            return f"{target}.zero_()"
        if kind == "fill_":
            return f"{target}.fill_({data.draw(st.sampled_from([0, 1, 2.5, -1, True]))!r})"
        if kind == "copy_":
            return f"{target}.copy_({self._pick(data) or target})"
        if kind == "masked_fill_":
            return f"{target}.masked_fill_({target} > 0, {data.draw(st.sampled_from([0, -1.5, 2]))!r})"
        # setitem: a basic index on the target
        index = data.draw(st.sampled_from(["0", "-1", ":1", "...", "1:", "::2"]), label="index")
        value = data.draw(st.sampled_from(["0.5", "7", self._pick(data) or "1"]), label="value")
        return f"{target}[{index}] = {value}"

    @rule(data=st.data())
    def inplace(self, data):
        candidates = [n for n in self.p.tensors() if _on(self._inplace_family(self._t(n), n))]
        if not candidates:
            return
        target = data.draw(st.sampled_from(candidates), label="target")
        t = self._t(target)
        family = self._inplace_family(t, target)
        code = self._inplace_code(data, target)
        operands_need_grad = any(self._t(n).requires_grad for n in self.p.tensors() if re.search(rf"\b{n}\b", code))
        if family in ("inplace_leaf", "inplace_nonleaf") and operands_need_grad and \
                re.match(rf"{target}(\.(mul_|div_|pow_|clamp_)\(| \*= | /= )", code):
            family = "inplace_saved_self"
            if not _on(family):
                return
        if family in ("inplace_leaf", "inplace_nonleaf") and (t.requires_grad or operands_need_grad) and \
                any(self._t(n)._base is t for n in self.p.tensors(_is_view)):
            family = "inplace_base_with_views"
            if not _on(family):
                return
        if family == "inplace_nonleaf" and self._t(target).requires_grad and \
                re.match(rf"{target}\.(zero_|fill_|copy_)\(", code):
            family = "inplace_overwrite"
            if not _on(family):
                return
        if "[" in code.split("=")[0] and not _on("inplace_view"):
            return  # setitem writes through a view (CopySlices)
        if "[" in code.split("=")[0] and not _is_float(t) and operands_need_grad:
            # torch 2.13 bug: int_tensor[::2] = a value that requires grad gives the integer tensor a
            # CopySlices node and requires_grad=True (its copy_ does not; minigrad writes without a graph)
            return
        ptr = t.untyped_storage().data_ptr()
        others = [n for n in self.p.tensors(lambda o: o.numel() > 0 and o.untyped_storage().data_ptr() == ptr)
                  if n != target and re.search(rf"\b{n}\b", code)]
        if any(_undetected_overlap(t, self._t(n)) for n in others):
            return
        if others or (t.numel() > 0 and re.search(rf"\b{target}\b.*\b{target}\b", code.split("=", 1)[-1])):
            family = "inplace_overlap"  # the operand aliases the tensor written
            if not _on(family):
                return
        self.p.run(code, family)

    @precondition(lambda self: _on("inplace_operators"))
    @rule(data=st.data())
    def inplace_operator(self, data):
        target = self._pick(data)
        if target is None:
            return
        family = "inplace_operators"
        if self._inplace_family(self._t(target), target) == "inplace_view_marking":
            family = "inplace_view_marking"
            if not _on(family):
                return
        sym = data.draw(st.sampled_from(["//=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>="]), label="operator")
        t = self._t(target)
        operand = self._operand(data, tuple(t.shape))
        other = self.p.th.ns.get(operand)
        if sym == "**=" and t.requires_grad and (operand in ("True", "False") or (
                hasattr(other, "dtype") and _dtype_name(other) == "bool")):
            # torch 2.13's backward of pow with a bool exponent tensor raises "Subtraction, the `-`
            # operator, with a bool tensor is not supported" (its formula computes exponent - 1);
            # tensor ** False is NaN at 0 (see the scalar rule)
            return
        if hasattr(other, "untyped_storage") and other is not t and other.numel() > 0 and t.numel() > 0 \
                and other.untyped_storage().data_ptr() == t.untyped_storage().data_ptr():
            if _undetected_overlap(t, other):
                return
            family = "inplace_overlap"  # the operand aliases the tensor written
            if not _on(family):
                return
        if sym == "//=" and t._base is not None and not t.requires_grad and getattr(other, "requires_grad", False):
            # torch 2.13 bug: floor_divide_'s NotImplemented node keeps edges only to the inputs that
            # require grad, while the CopySlices around it drops its first edge as the view's own: the
            # operand's edge is lost and autograd.grad gives None where it must raise (minigrad raises)
            return
        if sym in ("//=", "%=") and not (self.p.same_bits(target) and (
                operand not in self.p.names or self.p.same_bits(operand))):
            return  # a jump: a last-bit difference between the two sides may land on either side of it
        # check that the name still refers to the same object afterwards (an in-place write, not a rebind)
        if sym == "%=" and _remainder_overflows(t, eval(operand, self.p.th.ns)):
            return   # torch's remainder bug (see _remainder_overflows)
        code = f"_before = {target}\n{target} {sym} {operand}\nassert {target} is _before, 'rebound'"
        self.p.run(code, family)

    # -- the op table ---------------------------------------------------------------------------
    def _table_ops(self):
        families = [f for f in ("op", "op_inplace") if _on(f)]
        return sorted(n for n in self.p.ops if n not in SKIPPED_OPS
                      and ("op_inplace" if _writes_in_place(n) else "op") in families)

    @precondition(lambda self: _on("op") or _on("op_inplace"))
    @rule(data=st.data())
    def table_op(self, data):
        from .opinfo import NoGrad
        names = self._table_ops()
        if not names:
            return
        op = self.p.ops[data.draw(st.sampled_from(names), label="op")]
        family = "op_inplace" if _writes_in_place(op.name) else "op"
        real = [d for d in op.dtypes if "complex" not in d]   # programs hold real tensors: complex ops are the op table's
        if not real:
            return
        dtype = data.draw(st.sampled_from(real), label="op dtype")
        sample = data.draw(op.sample(dtype), label="sample")
        if _torch_bug(op.name, sample):
            return

        def tensor_for(array, requires_grad):
            """A tensor of the program with this array's shape and dtype, or a new one holding it.

            Where the table passes an array without grad (targets, weights: ``NoGrad`` and keyword
            arrays), only tensors that do not require grad stand in, unless ``op_grad_kwargs`` is on.
            """
            def same(t):
                if not requires_grad and t.requires_grad and not _on("op_grad_kwargs"):
                    return False
                return tuple(t.shape) == array.shape and _dtype_name(t) == array.dtype.name
            pool = [n for n in self.p.tensors(same)
                    if op.name in SMOOTH_OPS or self.p.same_bits(n)]
            if op.name == "take_along_dim" and array.dtype.kind in "iu":
                pool = []   # torch 2.13 bug: take_along_dim wraps an out-of-range index (modulo the size) unchecked
            if ("svd" in op.name and "svdvals" not in op.name) or ("eig" in op.name and "eigvals" not in op.name) \
                    or "pca" in op.name:
                pool = []   # singular/eigen vectors are unique only for a well-separated spectrum: the table's own
                # samples have one, a program's tensor may not (then both libraries are right, and differ)
            if pool and data.draw(st.integers(0, 3), label="reuse") > 0:
                return data.draw(st.sampled_from(pool), label="reuse which")
            name = self.p.fresh()
            rg = requires_grad and array.dtype.kind == "f"
            if array.size == 0:
                line = f"lib.zeros({array.shape!r}, dtype=lib.{array.dtype.name}{', requires_grad=True' if rg else ''})"
            else:
                line = (f"lib.tensor({array.tolist()!r}, dtype=lib."
                        f"{array.dtype.name}{', requires_grad=True' if rg else ''})")
            self.p.run(f"{name} = {line}", "create", [name])
            return name

        def arg(a, top=True, grad=True):
            if isinstance(a, NoGrad):
                return tensor_for(a.array, False)
            if isinstance(a, np.ndarray):
                return tensor_for(a, grad) if top else self.p.constant(a)
            if top and isinstance(a, (list, tuple)) and a and all(isinstance(x, (np.ndarray, NoGrad)) for x in a):
                parts = [arg(x, grad=grad) for x in a]
                return ("[" + ", ".join(parts) + "]") if isinstance(a, list) else ("(" + ", ".join(parts) + ",)")
            return self.p.literal(a)

        args = [arg(a) for a in sample.args]
        kwargs = [f"{k}={arg(v, grad=False)}" for k, v in sample.kwargs.items()]
        if op.name.startswith("remainder") and _remainder_overflows(*eval(f"({', '.join(args)},)", self.p.th.ns)[:2]):
            return   # torch's remainder bug (see _remainder_overflows)
        if op.name.startswith(("median_dim", "nanmedian_dim")) and _median_reads_past_zero_stride(
                op.name, eval(f"({', '.join(args)},)", self.p.th.ns)):
            return   # torch's median bug on expanded inputs (see _median_reads_past_zero_stride)
        self.index_args.update(n for n in self.p.tensors(lambda t: not t.requires_grad)
                               if re.search(rf"\b{n}\b", ", ".join(args + kwargs)))
        known = len(self.p.names)
        self.p.run(f"_r = op({op.name!r})({', '.join(args + kwargs)})", family, unpack=True)
        # integer and bool results (max pool's and sort's indices...): torch's node may have saved them
        self.saved_results.update(n for n in self.p.names[known:] if n in self.p.tensors(
            lambda t: not t.is_floating_point() and not t.is_complex()))

    # -- Python scalars -------------------------------------------------------------------------
    @precondition(lambda self: _on("scalar") or _on("scalar_wide"))
    @rule(data=st.data())
    def scalar(self, data):
        src = self._pick(data)
        if src is None:
            return
        t = self._t(src)
        sym = data.draw(st.sampled_from(["+", "-", "*", "/", "**", "//", "%", "==", "<", ">=", "&", "|", "^"]),
                        label="operator")
        wide = False
        if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype.__repr__() == "torch.bool":  # (complex: fft's)
            value = data.draw(st.sampled_from([2, -1, 0, 0.5, -2.5, True, False, 3]), label="scalar")
        else:
            info = np.iinfo(_dtype_name(t))
            inside = [v for v in (0, 1, -1, 2, 3, -3, 100) if info.min <= v <= info.max]
            outside = [v for v in (256, -1, 300, -129, 2**40, -2**40, 2**31, 70000) if not info.min <= v <= info.max]
            wide = bool(outside) and _on("scalar_wide") and (not _on("scalar") or data.draw(st.booleans()))
            value = data.draw(st.sampled_from(outside if wide else inside + [0.5, -2.5, True]), label="scalar")
        family = "scalar_wide" if wide else "scalar"
        tensor_first = data.draw(st.booleans(), label="tensor first")
        if sym == "%" and not tensor_first:
            family = "scalar_rmod"
        if sym in ("//", "%") and tensor_first and value == 0 and t.numel() == 0 and not _is_float(t):
            family = "misuse"
        if sym in ("//", "%", "==", "<", ">=") and not self.p.same_bits(src):
            return  # a jump: a last-bit difference between the two sides may land on either side of it
        if sym == "**" and isinstance(value, bool) and t.requires_grad:
            # torch 2.13's backward of bool ** tensor fails an internal assert, and that of
            # tensor ** False is NaN at 0 (its pow_backward does not see False as a zero exponent)
            return
        if sym == "%" and _remainder_overflows(*((t, value) if tensor_first else (value, t))):
            return   # torch's remainder bug (see _remainder_overflows)
        if sym == "**" and t.dtype.is_complex:
            return   # torch's complex pow is exp(y log x): 0 ** 0j is NaN there (minigrad, NumPy: 1)
        if not _on(family):
            return
        name = self.p.fresh()
        expr = f"{src} {sym} {value!r}" if tensor_first else f"{value!r} {sym} {src}"
        self.p.run(f"{name} = {expr}", family, [name])

    # -- grad modes -----------------------------------------------------------------------------
    @precondition(lambda self: _on("no_grad"))
    @rule(data=st.data())
    def no_grad_block(self, data):
        src = self._pick(data)
        if src is None:
            return
        mode = data.draw(st.sampled_from(["lib.no_grad()", "lib.set_grad_enabled(False)"]), label="mode")
        name = self.p.fresh()
        t = self._t(src)
        body = data.draw(st.sampled_from(["out", "update", "nested", "view"]), label="body")
        family = "no_grad"
        if body == "out":
            inner = f"    {name} = {src} * 2 + 1\n"
        elif body == "view":   # a view made without grad mode: requires grad as its base, refused once written
            inner = f"    {name} = {self._view_expr(data, src, t)}\n"
        elif body == "update" and _is_float(t):  # an optimiser-style update of a leaf that requires grad
            inner = f"    {src}.mul_(0.5).add_(0.25)\n    {name} = {src} * 1\n"
            family = "no_grad_update"
        else:
            inner = f"    with lib.enable_grad():\n        {name} = {src} * {src}\n"
        if _on(family):
            self.p.run(f"with {mode}:\n{inner}", family, [name])

    @precondition(lambda self: _on("inference_mode"))
    @rule(data=st.data())
    def inference_block(self, data):
        src = self._pick(data)
        if src is None:
            return
        name = self.p.fresh()
        value = data.draw(st.sampled_from([f"{src} * 3", self._view_expr(data, src, self._t(src))]), label="value")
        self.p.run(f"with lib.inference_mode():\n    {name} = {value}", "inference_mode", [name])

    def _view_expr(self, data, src, t):
        """A view of ``src``: one of one output, or (a dimension permitting) one of several."""
        if t.dim() and t.shape[0]:
            return data.draw(st.sampled_from([f"{src}.unsqueeze(0)", f"{src}.unbind(0)[0]"]), label="view")
        return f"{src}.unsqueeze(0)"

    # -- detach, .data ----------------------------------------------------------------------------
    @precondition(lambda self: _on("detach") or _on("detach_inplace") or _on("detach_view"))
    @rule(data=st.data())
    def detach(self, data):
        src = self._pick(data)
        if src is None:
            return
        if data.draw(st.integers(0, 3), label="detach_") == 0:
            family = "detach_view" if _is_view(self._t(src)) else "detach_inplace"
            mine = self.p.mg.ns.get(src)
            if isinstance(mine, minigrad.Tensor) and (mine._base is not None) != _is_view(self._t(src)):
                family = "inplace_view_marking"  # a view in one library only: detach_() raises in that one
            if _on(family):
                self.p.run(f"{src}.detach_()", family)
        elif _on("detach"):
            name = self.p.fresh()
            if self.p.run(f"{name} = {src}.detach()", "detach", [name]):
                self.detached.add(name)

    @precondition(lambda self: _on("detach_write"))
    @rule(data=st.data())
    def detach_write(self, data):
        src = self._pick(data)
        if src is None:
            return
        via = data.draw(st.sampled_from(["detach()", "data"]), label="alias")
        write = data.draw(st.sampled_from(["zero_()", "mul_(2)", "add_(1)", "fill_(0.5)"]), label="write")
        family = "detach_write"
        if via == "data" and self._maybe_saved(self._t(src)):
            # .data has a version counter of its own, so nothing raises, and torch's backward then
            # reads the new values where some of minigrad's use what their forward computed
            # (positions, masks, shares: docs/parity.md, deliberate differences)
            family = "data_write_saved"
            if not _on(family):
                return
        self.p.run(f"{src}.{via}.{write}", family)

    def _maybe_saved(self, t):
        """Whether ``t`` shares memory with a tensor a graph may have saved: one that requires grad,
        an index or mask given to an op of the table, or an integer result of one (the indices
        torch's max pool backward reads)."""
        ptr = t.untyped_storage().data_ptr()
        return any(o.untyped_storage().data_ptr() == ptr for o in (self._t(n) for n in self.p.tensors()
                   if n in self.index_args or n in self.saved_results or self._t(n).requires_grad))

    # -- gradients --------------------------------------------------------------------------------
    @precondition(lambda self: _on("retain_grad") or _on("misuse"))
    @rule(data=st.data())
    def retain_grad(self, data):
        family = data.draw(st.sampled_from(sorted({"retain_grad", "misuse"} & ENABLED)), label="family")
        src = self._pick(data, lambda t: t.requires_grad == (family == "retain_grad"))
        if src is not None and self.p.run(f"{src}.retain_grad()", family):
            self.hooked.add(src)  # retain_grad is a hook too

    @precondition(lambda self: _on("hook"))
    @rule(data=st.data())
    def hook(self, data):
        src = self._pick(data, lambda t: t.requires_grad) or self._pick(data)
        if src is None:
            return
        scale = data.draw(st.sampled_from([None, 2.0, -1.0]), label="hook scale")
        t = self._t(src)
        if getattr(t, "_backward_hooks", 0) is None and t._is_view() and t.requires_grad:   # (a torch tensor)
            # torch 2.13 bug: the first register_hook on a view whose grad_fn is stale (its base was
            # written in place since its last use) re-derives the grad_fn after setting up the hook
            # dict and segfaults. register_hook reads grad_fn then anyway: reading it just before,
            # on torch's side only, re-derives it first and changes nothing else.
            try:
                t.grad_fn  # noqa: B018
            except RuntimeError:   # (a view torch refuses to re-derive: register_hook raises it again)
                pass
        if self.p.run(f"{src}.register_hook(hook({src!r}, {scale!r}))", "hook"):
            self.hooked.add(src)  # (a hook on the root of a backward: family hook_root)

    def _loss(self, data, src):
        """A scalar built from ``src``: sum, a weighted sum or a sum of squares."""
        form = data.draw(st.integers(0, 3), label="loss")
        if form == 0:
            return f"{src}.sum()"
        if form == 1:
            return f"({src} * {src}).sum()"
        if form == 2:
            return f"({src} * lib.linspace(-1, 1, {src}.numel()).reshape({src}.shape).to({src}.dtype)).sum()"
        return src  # as it is: backward of a non-scalar raises unless a gradient is given

    @precondition(lambda self: _on("backward"))
    @rule(data=st.data())
    def backward(self, data):
        src = self._pick(data, lambda t: t.requires_grad and _is_float(t)) if data.draw(st.integers(0, 5)) \
            else self._pick(data)
        if src is None:
            return
        loss = self._loss(data, src)
        twice = data.draw(st.booleans(), label="twice")
        explicit = loss == src and data.draw(st.booleans(), label="explicit gradient")
        if loss == src and src in self.hooked and not _on("hook_root"):
            return
        free = _on("free_graph") and data.draw(st.booleans(), label="free the graph")
        grad = f"lib.ones_like({src}) * 0.5, " if explicit else ""
        graph = ", create_graph=True" if _on("create_graph") and data.draw(st.integers(0, 4)) == 0 \
            and not self.p.tensors(_empty_with_grad) else ""
        family = "create_graph" if graph else "free_graph" if free else "backward"
        if twice:
            self.p.run(f"_loss = {loss}\n_loss.backward({grad}retain_graph=True{graph})\n"
                       f"_loss.backward({grad}retain_graph={not free}{graph})", family)
        else:
            self.p.run(f"{loss}.backward({grad}retain_graph={not free}{graph})", family)

    @precondition(lambda self: _on("backward_inputs"))
    @rule(data=st.data())
    def backward_inputs(self, data):
        src = self._pick(data, lambda t: t.requires_grad and _is_float(t))
        if src is None:
            return
        inputs = data.draw(st.lists(st.sampled_from(self.p.tensors(lambda t: t.requires_grad)), min_size=1,
                                    max_size=2, unique=True), label="inputs")
        if self.p.run(f"{src}.sum().backward(inputs=[{', '.join(inputs)}], retain_graph=True)", "backward_inputs"):
            # a non-leaf input retains its gradient from now on: a hook, for the hook_root rules
            self.hooked.update(n for n in inputs if not self._is_leaf(n))

    @precondition(lambda self: _on("grad"))
    @rule(data=st.data())
    def grad(self, data):
        src = self._pick(data, lambda t: t.requires_grad and _is_float(t))
        if src is None:
            return
        pool = [n for n in self.p.tensors(lambda t: t.requires_grad)
                if n not in self.hooked or self._is_leaf(n) or _on("grad_hooked_inputs")]
        inputs = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True), label="inputs")
        create = _on("create_graph") and data.draw(st.booleans(), label="create_graph") \
            and not any(_empty_with_grad(self._t(n)) for n in inputs + [src])
        retain = data.draw(st.booleans(), label="retain_graph")
        loss = self._loss(data, src)
        grad_outputs = f", grad_outputs=lib.ones_like({src})" if loss == src else ""
        if loss == src and src in self.hooked and not _on("hook_root"):
            return
        retain = retain or not _on("free_graph")
        code = (f"_r = lib.autograd.grad({loss}, [{', '.join(inputs)}]{grad_outputs}, allow_unused=True, "
                f"retain_graph={retain}, create_graph={create})")
        self.p.run(code, "create_graph" if create else "grad" if retain else "free_graph", unpack=True)

    @precondition(lambda self: _on("grad_reset"))
    @rule(data=st.data())
    def grad_reset(self, data):
        src = self._pick(data, lambda t: t.grad is not None if t.is_leaf else False)
        if src is None:
            return
        how = data.draw(st.sampled_from([f"{src}.grad = None", f"{src}.grad.zero_()"]), label="reset")
        self.p.run(how, "grad_reset")

    def teardown(self):
        """Every program ends with a backward through its last tensor that requires grad."""
        if getattr(self, "p", None) is not None and self.p.collect:
            with open(self.p.collect + ".count", "a") as f:  # progress of a long survey
                f.write("1\n")
        if not _on("backward") or getattr(self, "p", None) is None or self.p.failed:
            return
        candidates = self.p.tensors(lambda t: t.requires_grad and _is_float(t))
        if candidates:
            self.p.run(f"{candidates[-1]}.sum().backward()", "backward")
