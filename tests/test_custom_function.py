"""Custom autograd.Function, side by side with torch: the tutorials' examples run unchanged, and
ctx's API (save_for_backward, needs_input_grad, mark_dirty, mark_non_differentiable,
set_materialize_grads), the setup_context style, once_differentiable and grad_fn's name.

The Functions are built by a factory taking the library, so that one definition serves both.
"""
import math

import numpy as np
import pytest
import torch

import minigrad as mg
import minigrad.autograd.function as mg_function
import torch.autograd.function as torch_function

LIBS = {"minigrad": (mg, mg_function), "torch": (torch, torch_function)}


def both(scenario):
    """``scenario(lib, function_module)`` for both libraries; returns (minigrad's, torch's) results."""
    return scenario(mg, mg_function), scenario(torch, torch_function)


def arrays(values):
    """Tensors (and nested tuples/lists of them) as NumPy arrays, for comparison."""
    if isinstance(values, (tuple, list)):
        return [arrays(v) for v in values]
    if hasattr(values, "detach"):
        return values.detach().numpy()
    return values


def assert_same(mine, theirs, rtol=1e-6):
    mine, theirs = arrays(mine), arrays(theirs)
    if isinstance(theirs, list):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            assert_same(a, b, rtol)
    elif isinstance(theirs, np.ndarray):
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-7)
    else:
        assert mine == theirs


# -- the tutorials' examples ---------------------------------------------------------------------

def legendre_fit(lib, _):
    """pytorch.org's "Defining New autograd Functions" tutorial, shortened to 30 steps."""
    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = lib.float
    x = lib.linspace(-math.pi, math.pi, 200, dtype=dtype)
    y = lib.sin(x)
    a = lib.full((), 0.0, dtype=dtype, requires_grad=True)
    b = lib.full((), -1.0, dtype=dtype, requires_grad=True)
    c = lib.full((), 0.0, dtype=dtype, requires_grad=True)
    d = lib.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for _ in range(30):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for p in (a, b, c, d):
                p -= learning_rate * p.grad
                p.grad = None
    return losses, [a, b, c, d]


def test_legendre_tutorial_trains_the_same():
    (mine_losses, mine), (their_losses, theirs) = both(legendre_fit)
    np.testing.assert_allclose(mine_losses, their_losses, rtol=1e-4)
    assert_same(mine, theirs, rtol=1e-4)


def extending_examples(lib, fn_module):
    """The examples of torch's "Extending PyTorch" notes: LinearFunction (ctx in forward and the
    setup_context style), MulConstant (a non-tensor argument) and MyCube (double backward)."""
    class LinearFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class LinearFunctionSetup(lib.autograd.Function):
        @staticmethod
        def forward(input, weight, bias):
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        backward = LinearFunction.backward

    class MulConstant(lib.autograd.Function):
        @staticmethod
        def forward(tensor, constant):
            return tensor * constant

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, constant = inputs
            ctx.constant = constant

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    class MyCube(lib.autograd.Function):
        @staticmethod
        def forward(x):
            result = x ** 3
            dx = 3 * x ** 2
            return result, dx

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, = inputs
            result, dx = output
            ctx.save_for_backward(x, dx)

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x

    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = lib.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    bias = lib.tensor(rng.standard_normal(2), requires_grad=True)
    out = []
    for fn in (LinearFunction, LinearFunctionSetup):
        y = fn.apply(x, w, bias)
        out.append((y, lib.autograd.grad(y.sin().sum(), (x, w, bias)), type(y.grad_fn).__name__))
    y = MulConstant.apply(x, 2.5)
    out.append((y, lib.autograd.grad(y.sum(), x)))
    cube, _ = MyCube.apply(x)
    g, = lib.autograd.grad(cube.sum(), x, create_graph=True)
    out.append((cube, g, lib.autograd.grad(g.sum(), x)))
    out.append(lib.autograd.gradcheck(LinearFunction.apply, (x, w, bias)))
    return out


def test_extending_notes_examples_match_torch():
    mine, theirs = both(extending_examples)
    assert_same(mine, theirs)


def double_backward_examples(lib, _):
    """torch's "Double Backward with Custom Functions" tutorial: saving an input (Square), an
    output (Exp) and intermediate results returned as extra outputs (Sinh)."""
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad_out):
            x, = ctx.saved_tensors
            return grad_out * 2 * x

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = lib.exp(x)
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_out):
            result, = ctx.saved_tensors
            return grad_out * result

    class Sinh(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            expx = lib.exp(x)
            expnegx = lib.exp(-x)
            ctx.save_for_backward(expx, expnegx)
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
            expx, expnegx = ctx.saved_tensors
            grad_input = grad_out * (expx + expnegx) / 2
            grad_input += _grad_out_exp * expx
            grad_input -= _grad_out_negexp * expnegx
            return grad_input

    def sinh(x):
        return Sinh.apply(x)[0]

    x = lib.tensor(np.random.default_rng(1).random((3, 3)), requires_grad=True)
    out = []
    for fn in (Square.apply, Exp.apply, sinh):
        g, = lib.autograd.grad(fn(x).sum(), x, create_graph=True)
        out.append((g, lib.autograd.grad(g.sum(), x), lib.autograd.gradcheck(fn, x),
                    lib.autograd.gradgradcheck(fn, x)))
    return out


def test_double_backward_tutorial_examples_match_torch():
    mine, theirs = both(double_backward_examples)
    assert_same(mine, theirs)


# -- grad_fn -------------------------------------------------------------------------------------

def make_scale(lib):
    class MyScale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            ctx.seen_needs = ctx.needs_input_grad
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None
    return MyScale


def test_grad_fn_class_is_named_after_the_function():
    def scenario(lib, _):
        fn = make_scale(lib)
        y = fn.apply(lib.ones(2, requires_grad=True), 3.0)
        return type(y.grad_fn).__name__, y.grad_fn.name(), f"{y.grad_fn.name()} object" in repr(y.grad_fn)
    mine, theirs = both(scenario)
    assert mine == theirs == ("MyScaleBackward", "MyScaleBackward", True)
    assert isinstance(make_scale(mg).apply(mg.ones(1, requires_grad=True), 1.0).grad_fn, mg.autograd.Node)


def test_needs_input_grad_follows_requires_grad_in_every_mode():
    def scenario(lib, _):
        fn = make_scale(lib)
        seen = []
        leaf = lib.ones(2, requires_grad=True)
        for x, mode in ((leaf, lib.enable_grad), (leaf, lib.no_grad), (lib.ones(2), lib.enable_grad)):
            with mode():
                y = fn.apply(x, 2.0)
            seen.append((y.grad_fn.seen_needs if y.grad_fn is not None else None, y.requires_grad))
        return seen
    mine, theirs = both(scenario)
    assert mine == theirs


# -- mark_dirty ----------------------------------------------------------------------------------

def make_add_one(lib):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2   # (not the true derivative: shows that this backward is the one used)
    return AddOne


def test_mark_dirty_returns_the_input_object_with_its_history_rebased():
    def scenario(lib, _):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 3
        version = b._version
        c = make_add_one(lib).apply(b)
        same = c is b
        (c * c).sum().backward()
        return same, b._version - version, type(b.grad_fn).__name__, b.is_leaf, b, a.grad
    mine, theirs = both(scenario)
    assert mine[0] is True
    assert_same(mine, theirs)


def test_mark_dirty_on_a_tensor_that_needs_no_grad_and_under_no_grad():
    def scenario(lib, _):
        fn = make_add_one(lib)
        plain = lib.zeros(2)
        out = fn.apply(plain)
        leaf = lib.zeros(2, requires_grad=True)
        with lib.no_grad():
            detached = fn.apply(leaf)
        return (out is plain, out.requires_grad, plain, detached is leaf, detached.requires_grad,
                detached.is_leaf, leaf)
    mine, theirs = both(scenario)
    assert_same(mine, theirs)


def test_mark_dirty_errors():
    def scenario(lib, _):
        class NotReturned(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                return g

        errors = []
        for fn, x in ((make_add_one(lib), lib.ones(2, requires_grad=True)),
                      (NotReturned, lib.ones(2, requires_grad=True) * 1)):
            with pytest.raises(RuntimeError) as info:
                fn.apply(x)
            errors.append(str(info.value).split(".")[0])
        return errors
    mine, theirs = both(scenario)
    assert mine == theirs


def test_mark_dirty_on_a_view_gives_torch_gradients_or_raises():
    """torch rebases the base's history too (CopySlices). Where minigrad cannot yet, it must raise
    rather than leave the base's gradient silently stale."""
    def scenario(lib, _):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2

        a = lib.ones(3, requires_grad=True)
        base = a * 1
        Double.apply(base[:2])
        base.sum().backward()
        return base, a.grad

    theirs = scenario(torch, torch_function)
    try:
        mine = scenario(mg, mg_function)
    except RuntimeError as e:
        assert "view" in str(e)
    else:
        assert_same(mine, theirs)


# -- other ctx methods ---------------------------------------------------------------------------

@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads_and_mark_non_differentiable(materialize):
    def scenario(lib, _):
        class Parts(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                mask = (x > 1.5).to(x.dtype)
                ctx.mark_non_differentiable(mask)
                ctx.save_for_backward(x)
                return x * 1, x * 2, mask

            @staticmethod
            def backward(ctx, g1, g2, g_mask):
                x, = ctx.saved_tensors
                ctx.received = tuple(g is None for g in (g1, g2, g_mask))
                zero = lib.zeros_like(x)
                return (g1 if g1 is not None else zero) + 2 * (g2 if g2 is not None else zero)

        x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
        first, second, mask = Parts.apply(x)
        (first * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return first.grad_fn.received, mask.requires_grad, mask.is_leaf, mask, x.grad
    mine, theirs = both(scenario)
    assert_same(mine, theirs)


def test_saved_tensors_after_backward_and_with_retain_graph():
    def scenario(lib, _):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 2 * x * g

        x = lib.tensor([1.5, -2.0], requires_grad=True)
        y = Square.apply(x)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        with pytest.raises(RuntimeError) as info:
            y.grad_fn.saved_tensors
        return x.grad, "backward through the graph a second time" in str(info.value)
    mine, theirs = both(scenario)
    assert_same(mine, theirs)


def test_returning_an_input_unchanged_gives_a_new_tensor_in_the_graph():
    def scenario(lib, _):
        class Identity(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return 3 * g

        x = lib.ones(2, requires_grad=True)
        y = Identity.apply(x)
        result = (y is x, y.is_leaf, y._version == x._version)
        y.sum().backward()
        return result, x.grad
    mine, theirs = both(scenario)
    assert_same(mine, theirs)


# -- setup_context -------------------------------------------------------------------------------

def test_setup_context_sees_bound_defaults_and_the_plain_output():
    def scenario(lib, _):
        seen = []

        class Affine(lib.autograd.Function):
            @staticmethod
            def forward(x, scale, shift=None, power=2):
                y = x * scale
                return y + shift if shift is not None else y ** power

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, scale, shift, power = inputs
                seen.append((len(inputs), shift is None, power, output.requires_grad,
                             ctx.needs_input_grad, lib.is_grad_enabled()))
                ctx.save_for_backward(x, scale)
                ctx.power, ctx.has_shift = power, shift is not None

            @staticmethod
            def backward(ctx, g):
                x, scale = ctx.saved_tensors
                if ctx.has_shift:
                    return g * scale, g * x, g, None
                y = x * scale
                dy = g * ctx.power * y ** (ctx.power - 1)
                return dy * scale, dy * x, None, None

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        s = lib.tensor([0.5, -1.0], requires_grad=True)
        grads = []
        for kwargs in ({}, {"power": 3}, {"shift": lib.ones(2, requires_grad=True)}):
            y = Affine.apply(x, s, **kwargs)
            grads.append((y, type(y.grad_fn).__name__, lib.autograd.grad(y.sum(), (x, s))))
        return seen, grads
    mine, theirs = both(scenario)
    assert_same(mine, theirs)


# -- once_differentiable -------------------------------------------------------------------------

def make_cube(lib, fn_module):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @fn_module.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            ctx.grad_mode_inside = lib.is_grad_enabled()
            return 3 * x ** 2 * g
    return Cube


def test_once_differentiable_first_order_and_its_recording_rules():
    def scenario(lib, fn_module):
        cube = make_cube(lib, fn_module)
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        y = cube.apply(x)
        plain, = lib.autograd.grad(y.sum(), x, retain_graph=True)
        with_graph, = lib.autograd.grad(y.sum(), x, create_graph=True, retain_graph=True)
        go = lib.ones(2, requires_grad=True)
        marked, = lib.autograd.grad(y, x, go, create_graph=True)
        return (plain, plain.requires_grad, y.grad_fn.grad_mode_inside, with_graph.requires_grad,
                marked, marked.requires_grad, marked.is_leaf, cube.backward.__name__)
    mine, theirs = both(scenario)
    assert_same(mine, theirs)


def test_once_differentiable_raises_when_differentiated_twice():
    def scenario(lib, fn_module):
        cube = make_cube(lib, fn_module)
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        g, = lib.autograd.grad(cube.apply(x), x, lib.ones(2, requires_grad=True), create_graph=True)
        with pytest.raises(RuntimeError) as info:
            g.sum().backward()
        return str(info.value)
    mine, theirs = both(scenario)
    assert mine == theirs == "trying to differentiate twice a function that was marked with @once_differentiable"


# -- keyword arguments ---------------------------------------------------------------------------

def test_keyword_arguments_are_inputs_in_the_signature_order():
    """A tensor passed by keyword gets its gradient, and needs_input_grad and backward's results
    count keyword arguments, as in torch; a skipped parameter between them is a TypeError."""
    def scenario(lib, _):
        class Scaled(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, a=1.0, b=None):
                ctx.seen = ctx.needs_input_grad
                ctx.save_for_backward(x, b)
                ctx.a = a
                return x * a if b is None else x * a * b

            @staticmethod
            def backward(ctx, g):
                x, b = ctx.saved_tensors
                gx = g * ctx.a if b is None else g * ctx.a * b
                gb = None if b is None else g * ctx.a * x
                return (gx, None, gb)[:len(ctx.seen)]

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, -1.0], requires_grad=True)
        seen = []
        for kwargs in ({}, {"a": 3.0}, {"b": w, "a": 2.0}):
            y = Scaled.apply(x, **kwargs)
            seen.append(y.grad_fn.seen)
            y.sum().backward()
        with pytest.raises(TypeError) as info:
            Scaled.apply(x, b=w)
        only_keyword = Scaled.apply(lib.ones(2), a=1.0, b=w)   # recorded: the only tensor needing grad came by keyword
        return seen, x.grad, w.grad, "'a'" in str(info.value), only_keyword.requires_grad
    mine, theirs = both(scenario)
    assert_same(mine, theirs)


def test_outputs_that_are_not_tensors_pass_through_and_get_no_gradient():
    def scenario(lib, _):
        received = []

        class WithExtras(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, 3, "label", None, 2.5

            @staticmethod
            def backward(ctx, g, *others):
                received.append([type(o).__name__ for o in others])
                return g * 2

        class OnlyANumber(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return 1.5

            @staticmethod
            def backward(ctx, g):
                return g

        x = lib.ones(2, requires_grad=True)
        recorded = WithExtras.apply(x)
        recorded[0].sum().backward()
        with lib.no_grad():
            unrecorded = WithExtras.apply(x)
        return (recorded[1:], unrecorded[1:], received, x.grad, OnlyANumber.apply(x),
                OnlyANumber.apply(lib.ones(1)))
    mine, theirs = both(scenario)
    assert_same(mine, theirs)


@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize("mode", ["enable_grad", "no_grad"])
def test_save_for_backward_takes_only_tensors_when_the_call_is_recorded(requires_grad, mode):
    def scenario(lib, _):
        class SavesANumber(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.save_for_backward(x, None, k)
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, None

        with getattr(lib, mode)():
            try:
                return SavesANumber.apply(lib.ones(2, requires_grad=requires_grad), 3.0).tolist()
            except TypeError as e:
                return str(e)
    mine, theirs = both(scenario)
    assert mine == theirs
