"""Tensors on 'cuda': moving, mixed-device errors, a small CNN on cuda vs cpu.

The GPU tests need CuPy, numba.cuda and a GPU; without them they are skipped (and reported as
skipped). The no-GPU behaviour is tested everywhere else (it is skipped where a GPU is present).
"""
import numpy as np
import pytest

import minigrad as mg

HAS_CUDA = mg.cuda.is_available()
gpu = pytest.mark.skipif(not HAS_CUDA, reason=f"minigrad.cuda.is_available() is False: {mg.cuda._state.get('why')}")
no_gpu = pytest.mark.skipif(HAS_CUDA, reason="a GPU is present")


def test_no_tests_package_shadows_nvidias_cuda_package():
    from pathlib import Path
    assert not (Path(__file__).parent.parent / "cuda").exists(), "see tests/gpu/__init__.py"


@no_gpu
def test_cuda_unavailable_raises_clear_error():
    assert mg.cuda.is_available() is False
    assert mg.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        mg.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        mg.tensor([1.0, 2.0]).cuda()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        mg.nn.Linear(2, 3).to("cuda")
    t = mg.tensor([1.0, 2.0])
    assert t.to("cpu") is t and t.cpu() is t and t.device == mg.device("cpu") and not t.is_cuda
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        t.to("tpu")


@gpu
def test_move_roundtrip_and_grad_goes_back():
    import cupy
    x = mg.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    y = x.to("cuda")
    assert y.is_cuda and str(y.device) == "cuda:0" and isinstance(y._data, cupy.ndarray)
    assert y.cuda() is y
    z = (y * y).sum()
    assert z.is_cuda
    z.backward()
    assert not x.grad.is_cuda
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    back = y.cpu()
    assert not back.is_cuda and isinstance(back._data, np.ndarray)
    np.testing.assert_array_equal(back.detach().numpy(), x.detach().numpy())
    assert y.detach().numpy(force=True).tolist() == [[1.0, -2.0], [3.0, 4.0]]


@gpu
def test_creation_on_cuda():
    for t in (mg.zeros(2, 3, device="cuda"), mg.ones(4, device="cuda"), mg.randn(3, device="cuda"),
              mg.arange(5, device="cuda"), mg.tensor([1, 2], device="cuda"), mg.full((2,), 7.0, device="cuda")):
        assert t.is_cuda
    z = mg.zeros_like(mg.ones(3, device="cuda"))
    assert z.is_cuda
    assert mg.tensor(np.arange(3.0), device="cuda").dtype == mg.float64


@gpu
def test_mixed_devices_raise_torch_error():
    a, b = mg.ones(3, device="cuda"), mg.ones(3)
    msg = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
    with pytest.raises(RuntimeError, match=msg):
        a + b
    with pytest.raises(RuntimeError, match=msg):
        b * a
    # a 0-d CPU tensor may join a GPU tensor, as in torch
    c = a * mg.tensor(2.0)
    assert c.is_cuda and c.cpu().tolist() == [2.0, 2.0, 2.0]


# ops that take several tensors, called with one on cuda and one on cpu: torch raises RuntimeError
_MIXED = {
    "matmul": lambda L, g, c: L.matmul(g(2, 3), c(3, 2)),
    "mm": lambda L, g, c: L.mm(c(2, 3), g(3, 2)),
    "bmm": lambda L, g, c: L.bmm(g(1, 2, 3), c(1, 3, 2)),
    "addmm": lambda L, g, c: L.addmm(g(2, 2), c(2, 3), g(3, 2)),
    "einsum": lambda L, g, c: L.einsum("ij,jk->ik", g(2, 3), c(3, 2)),
    "cat": lambda L, g, c: L.cat([g(2), c(2)]),
    "stack": lambda L, g, c: L.stack([c(2), g(2)]),
    "where": lambda L, g, c: L.where(c(2) > 0, g(2), g(2)),
    "gather": lambda L, g, c: L.gather(g(2, 3), 1, L.zeros(2, 1, dtype=L.int64)),
    "index_select": lambda L, g, c: L.index_select(c(3), 0, L.zeros(1, dtype=L.int64, device="cuda")),
    "getitem_gpu_index": lambda L, g, c: c(3)[L.zeros(1, dtype=L.int64, device="cuda")],
    "linear": lambda L, g, c: L.nn.functional.linear(g(2, 3), c(4, 3)),
    "conv2d": lambda L, g, c: L.nn.functional.conv2d(g(1, 1, 4, 4), c(1, 1, 3, 3)),
    "cross_entropy": lambda L, g, c: L.nn.functional.cross_entropy(g(2, 3), L.zeros(2, dtype=L.int64)),
    "embedding": lambda L, g, c: L.nn.functional.embedding(L.zeros(2, dtype=L.int64), g(3, 2)),
    "add": lambda L, g, c: g(2) + c(2),
}


@gpu
@pytest.mark.parametrize("name", sorted(_MIXED))
def test_mixed_devices_raise_torch_error_for_every_multi_tensor_op(name):
    """Each op raises what torch raises for the same mix of devices (RuntimeError, or for a
    CPU-index-on-GPU read, nothing), and never computes a result across devices."""
    import torch
    results = []
    for L in (torch, mg):
        g = lambda *shape, L=L: L.ones(*shape, device="cuda")
        c = lambda *shape, L=L: L.ones(*shape)
        try:
            _MIXED[name](L, g, c)
            results.append(None)
        except Exception as e:  # noqa: BLE001 - the class is what we compare
            results.append(type(e))
    assert results[1] == results[0], f"{name}: torch {results[0]}, minigrad {results[1]}"


@gpu
def test_cpu_index_reads_and_writes_a_gpu_tensor():
    x = mg.arange(6.0, device="cuda")
    i = mg.tensor([0, 2, 2])
    assert x[i].is_cuda and x[i].cpu().tolist() == [0.0, 2.0, 2.0]
    x[i] = 7.0
    assert x.cpu().tolist() == [7.0, 1.0, 7.0, 3.0, 4.0, 5.0]
    y = mg.arange(4.0, device="cuda", requires_grad=True)
    y[mg.tensor([1, 1, 3])].sum().backward()
    assert y.grad.cpu().tolist() == [0.0, 2.0, 0.0, 1.0]


@gpu
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_small_cnn_cuda_matches_cpu(dtype):
    from minigrad.models import ConvNet
    mg.manual_seed(0)
    cpu_model = ConvNet(relu=True).to(dtype)
    mg.manual_seed(0)
    gpu_model = ConvNet(relu=True).to(dtype).to("cuda")
    assert all(p.is_cuda for p in gpu_model.parameters())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 1, 32, 32))
    y = rng.integers(0, 10, 4)
    losses, grads = [], []
    for model, dev in ((cpu_model, "cpu"), (gpu_model, "cuda")):
        xt = mg.tensor(x, dtype=dtype, device=dev)
        loss = mg.nn.functional.cross_entropy(model(xt), mg.tensor(y, device=dev))
        loss.backward()
        losses.append(loss.item())
        grads.append([p.grad.cpu().numpy() for p in model.parameters()])
    tol = 1e-4 if dtype == mg.float32 else 1e-10
    assert abs(losses[0] - losses[1]) <= tol * max(1, abs(losses[0]))
    for gc, gg in zip(*grads):
        np.testing.assert_allclose(gg, gc, rtol=tol, atol=tol)


@gpu
def test_pools_and_conv_dispatch_to_cuda_kernels():
    import torch
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    xm = mg.tensor(x, device="cuda", requires_grad=True)
    wm = mg.tensor(w, device="cuda", requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    F, TF = mg.nn.functional, torch.nn.functional
    outs_m = [F.conv2d(xm, wm, stride=(2, 1), padding=1, dilation=(1, 2)), F.max_pool2d(xm, 3, 2, 1),
              F.avg_pool2d(xm, 2, ceil_mode=True), F.conv_transpose2d(xm, wm.transpose(0, 1), stride=2)]
    outs_t = [TF.conv2d(xt, wt, stride=(2, 1), padding=1, dilation=(1, 2)), TF.max_pool2d(xt, 3, 2, 1),
              TF.avg_pool2d(xt, 2, ceil_mode=True), TF.conv_transpose2d(xt, wt.transpose(0, 1), stride=2)]
    for om, ot in zip(outs_m, outs_t):
        assert om.is_cuda
        np.testing.assert_allclose(om.detach().numpy(force=True), ot.detach().numpy(), rtol=1e-4, atol=1e-4)
    sum(o.sum() for o in outs_m).backward()
    sum(o.sum() for o in outs_t).backward()
    np.testing.assert_allclose(xm.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(wm.grad.cpu().numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-4)
