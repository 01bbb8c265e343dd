"""Function.apply's fast paths give the same results as torch: outputs that view an input (version
counters shared), integer and multi-output results, recorded and unrecorded calls, the cached
broadcast check's errors, custom Functions returning non-tensors and inputs modified in place."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad


def _pair(array, requires_grad=False):
    return (minigrad.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad))


@pytest.mark.parametrize("grad", [False, True])
def test_view_output_shares_the_version_counter(grad):
    a = np.arange(6, dtype=np.float32)
    for lib, x in zip((minigrad, torch), _pair(a)):
        base = x.clone().requires_grad_(grad) if grad else x
        with lib.no_grad():
            view = base.view(2, 3)
            fresh = base * 2
            base.add_(1)
        assert view._version == base._version == 1
        assert fresh._version == 0
        assert view.tolist() == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("grad_mode", [False, True])
def test_multi_output_and_integer_results(grad_mode):
    a = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]], dtype=np.float32)
    results = []
    for lib, x in zip((minigrad, torch), _pair(a, requires_grad=True)):
        with lib.set_grad_enabled(grad_mode):
            values, indices = x.max(dim=1)
            parts = x.split([1, 2], dim=1)
        # (under no_grad, torch 2.13 reports requires_grad=True for views of a leaf that requires
        # grad, minigrad False: a difference older than these fast paths, so compared in grad mode only)
        views = [p.requires_grad for p in parts] if grad_mode else None
        results.append((values.requires_grad, indices.requires_grad, indices.dtype.is_floating_point,
                        values.grad_fn is None, indices.grad_fn is None, views,
                        [p.grad_fn is None for p in parts], values.tolist(), indices.tolist()))
        if grad_mode:
            (values.sum() + parts[1].sum()).backward()
            results.append(x.grad.tolist())
    assert results[: len(results) // 2] == results[len(results) // 2:]


def test_recorded_binary_op_graph_matches_torch():
    a, b = np.array([1.0, -2.0], np.float32), np.array([[0.5], [3.0]], np.float32)
    seen = []
    for lib in (minigrad, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b)
        z = x * y + x            # broadcast (2,) with (2, 1): the engine sums x's gradient back
        z.sum().backward()
        seen.append((z.grad_fn.name(), len(z.grad_fn.next_functions), z.shape, x.grad.tolist(), z.tolist()))
    assert seen[0] == seen[1]


def test_broadcast_error_each_time():
    """The broadcast check is cached per pair of shapes; a clash raises every time, as in torch."""
    for _ in range(2):
        errors = []
        for lib in (minigrad, torch):
            with pytest.raises(RuntimeError) as info:
                lib.ones(3, 4) + lib.ones(5)
            errors.append(str(info.value))
        assert errors[0] == errors[1]


def _custom(lib):
    class ScaleAndCount(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k, 7      # a tensor and a Python int

        @staticmethod
        def backward(ctx, g, _unused):
            return g * ctx.k, None

    class AddOneInPlace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    return ScaleAndCount, AddOneInPlace


def test_custom_function_outputs_match_torch():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    seen = []
    for lib in (minigrad, torch):
        scale, add_one = _custom(lib)
        x = lib.tensor(a, requires_grad=True)
        y, n = scale.apply(x, 3.0)
        h = x * 1            # a non-leaf, modified in place by a Function that marks it dirty
        out = add_one.apply(h)
        (y.sum() + out.sum()).backward()
        seen.append((type(n).__name__, n, y.requires_grad, out is h, h._version, out.grad_fn is not None,
                     x.grad.tolist(), out.tolist()))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("grad", [False, True])
def test_full_reductions_give_fresh_0d_tensors(grad):
    """A full reduction's NumPy scalar becomes a 0-d tensor of its own memory (Function.apply's
    scalar case): writing into it leaves the input alone, and its dtype, value and node match torch."""
    a = np.array([[1.5, -2.0, 4.0], [0.25, 3.0, -1.0]], np.float32)
    seen = []
    for lib, x in zip((minigrad, torch), _pair(a, requires_grad=grad)):
        outs = [x.sum(), x.mean(), x.amax(), x.to(lib.int32).sum()]
        row = [(tuple(o.shape), str(o.dtype).split(".")[-1], o.item(), o.requires_grad,
                None if o.grad_fn is None else o.grad_fn.name()) for o in outs]
        with lib.no_grad():
            for o in outs:
                o.add_(1)
        row.append((x.tolist(), [o._version for o in outs], [o.item() for o in outs]))
        seen.append(row)
    assert seen[0] == seen[1]


def test_node_fields_set_by_few_nodes():
    """Hooks, retain_grad, set_materialize_grads and the freed check, whose fields a node holds
    only once set (class-level defaults otherwise), behave as in torch."""
    def run(lib):
        class Pair(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                return (g1 if g1 is not None else 0) + (g2 * 3 if g2 is not None else 0)

        x = lib.tensor([1.0, -2.0], requires_grad=True)
        h = x.exp()
        h.retain_grad()
        seen_grads = []
        h.register_hook(lambda g: seen_grads.append(g.tolist()))
        first, _ = Pair.apply(h)
        first.sum().backward(retain_graph=True)
        z = (h * h).sum()
        z.backward()
        with pytest.raises(RuntimeError) as info:
            z.backward()
        return (x.grad.tolist(), h.grad.tolist(), seen_grads, "second time" in str(info.value))
    a, b = run(minigrad), run(torch)
    assert np.allclose(a[0], b[0]) and np.allclose(a[1], b[1])
    assert np.allclose(a[2], b[2]) and a[3] == b[3] is True


def test_recorded_outputs_that_stay_out_of_the_graph():
    """An integer result of a recorded call, and a user forward's non-tensor output, are left out
    of the graph as in torch (the recorded path's fresh-float case does not take them)."""
    def run(lib):
        class Raw(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return np.ones(2)

            @staticmethod
            def backward(ctx, g):
                return g
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        as_int = x.long()
        return (as_int.requires_grad, as_int.grad_fn is None, type(Raw.apply(x)).__name__,
                (x * 2).requires_grad, (x * 2).grad_fn.name())
    assert run(minigrad) == run(torch)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float16", "float32", "complex64"])
def test_add_and_mul_of_one_dtype_and_shape_match_torch(dtype):
    """add and mul of two tensors of one dtype and shape go straight to the op (elementwise's
    _plain_pair); their values, dtypes and nodes match torch's general path, bools and complex included."""
    a = np.array([[1, 0, 3], [2, 5, 0]]).astype(dtype)
    b = np.array([[4, 1, 0], [1, 2, 3]]).astype(dtype)
    seen = []
    for lib in (minigrad, torch):
        grad = dtype in ("float16", "float32", "complex64")
        x, y = lib.tensor(a, requires_grad=grad), lib.tensor(b)
        outs = [x + y, x * y, lib.add(x, y), lib.mul(y, x)]
        seen.append([(str(o.dtype).split(".")[-1], o.requires_grad,
                      None if o.grad_fn is None else o.grad_fn.name(), o.detach().numpy().tolist()) for o in outs])
        if grad:
            sum(o.real.sum() if dtype == "complex64" else o.sum() for o in outs).backward()
            seen.append(x.grad.numpy().tolist())
    assert seen[: len(seen) // 2] == seen[len(seen) // 2:]


@pytest.mark.parametrize("dim", [0, 1, -1, -2, 2, -3])
@pytest.mark.parametrize("shape", [(3, 4), ()])
def test_reductions_over_one_dim_match_torch(shape, dim):
    """One dim given as an int (norm_dims' quick path): negative dims, dims out of range
    and a 0-d input give torch's results or its exception class."""
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) - 2.5
    seen = []
    for lib, x in zip((minigrad, torch), _pair(a, requires_grad=True)):
        row = []
        for name in ("sum", "mean"):
            for keepdim in (False, True):
                try:
                    z = getattr(x, name)(dim, keepdim)
                    row.append((tuple(z.shape), z.tolist(), z.grad_fn.name()))
                except (IndexError, RuntimeError) as e:
                    row.append(type(e).__name__)
        seen.append(row)
    assert seen[0] == seen[1]


@pytest.mark.parametrize("grad", [False, True])
def test_row_kernel_reductions_give_fresh_tensors(grad):
    """Sums and means from the row kernels (16K values and more) are written straight into a fresh
    array of the result's shape: shapes, values, nodes and version counters as torch's, and writing
    into a result leaves the input alone."""
    a = np.random.default_rng(3).standard_normal((200, 100)).astype(np.float32)
    seen = []
    for lib, x in zip((minigrad, torch), _pair(a, requires_grad=grad)):
        outs = [x.sum(), x.mean(), x.sum(1), x.mean(-1, keepdim=True), x.sum((0, 1), keepdim=True)]
        row = [(tuple(o.shape), o.requires_grad, None if o.grad_fn is None else o.grad_fn.name()) for o in outs]
        values = [o.detach().numpy().copy() for o in outs]
        with lib.no_grad():
            for o in outs:
                o.add_(1)
        row.append(([o._version for o in outs], x._version))
        row.append(bool(np.array_equal(x.detach().numpy(), a)))
        seen.append((row, values))
    assert seen[0][0] == seen[1][0]
    for mine, theirs in zip(seen[0][1], seen[1][1]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-4)


def test_parallel_kernels_read_this_threads_count():
    """The thread count the row kernels split by (kernels.cpu._num_threads) is numba's setting for the
    calling thread, also after set_num_threads and in another thread."""
    numba = pytest.importorskip("numba")
    import threading
    from minigrad.kernels import cpu
    before = numba.get_num_threads()
    try:
        assert cpu._num_threads() == before
        numba.set_num_threads(1)
        assert cpu._num_threads() == 1
        other = []
        worker = threading.Thread(target=lambda: other.append((cpu._num_threads(), numba.get_num_threads())))
        worker.start()
        worker.join()
        assert other[0][0] == other[0][1]
    finally:
        numba.set_num_threads(before)
    assert cpu._num_threads() == before


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.int64])
def test_small_relu_matches_torch_in_every_layout(dtype):
    """relu below the row kernels' size takes NumPy's maximum against a block of zeros of x's shape
    (C-contiguous inputs) or against the number 0 (other layouts): values, dtypes, strides and
    gradients as torch's, NaN, infinities and signed zeros included."""
    base = (np.random.default_rng(4).standard_normal((6, 40)) * 3).astype(dtype)
    if base.dtype.kind == "f":
        base[0, :5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
        base[3, ::7] = -0.0   # (relu(-0.0) is -0.0 in torch)
    inputs = [base, base[0], base.T, base[:, ::3], base[2:3, 5], base[:0], np.asarray(base[1, 1])]
    for a in inputs:
        pair = _pair(np.ascontiguousarray(a) if a.ndim == 0 else a, requires_grad=base.dtype.kind == "f")
        if a.ndim and not a.flags.c_contiguous:   # the same layout on both sides: a strided view
            pair = tuple(t.detach().T.contiguous().T if a.flags.f_contiguous else t for t in pair)
        outs = [lib.nn.functional.relu(x) for lib, x in zip((minigrad, torch), pair)]
        assert [tuple(o.shape) for o in outs][0] == tuple(outs[1].shape)
        assert str(outs[0].dtype).split(".")[-1] == str(outs[1].dtype).split(".")[-1]
        if a.size:   # (an empty tensor's strides differ from torch's whatever the op: (0, 0) against (40, 1))
            assert outs[0].stride() == outs[1].stride()
        np.testing.assert_array_equal(outs[0].detach().numpy(), outs[1].detach().numpy())
        np.testing.assert_array_equal(np.signbit(outs[0].detach().numpy()), np.signbit(outs[1].detach().numpy()))
        if base.dtype.kind == "f" and pair[0].requires_grad:
            for o in outs:
                o.sum().backward()
            np.testing.assert_array_equal(pair[0].grad.numpy(), pair[1].grad.numpy())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("n", [9, 70000])
def test_relu_keeps_signed_zeros_and_nan(dtype, n):
    """relu(-0.0) is -0.0 and relu(NaN) is NaN in torch, for every float dtype and size (NumPy's
    half-precision maximum would give +0.0)."""
    a = np.zeros(n)
    a[:6] = [-0.0, 0.0, 1.5, np.nan, -2.0, -np.inf]
    a[6::3] = -0.0
    outs = [lib.relu(lib.tensor(a, dtype=getattr(lib, dtype))).float().numpy() for lib in (minigrad, torch)]
    np.testing.assert_array_equal(outs[0], outs[1])
    finite = ~np.isnan(outs[1])
    np.testing.assert_array_equal(np.signbit(outs[0][finite]), np.signbit(outs[1][finite]))
    assert np.signbit(outs[1][0]) and np.isnan(outs[1][3])
