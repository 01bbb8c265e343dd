"""distributed and nn.parallel for a world of one process, next to torch's gloo world of one."""
import numpy as np
import pytest
import torch
import torch.distributed as tdist

import minigrad
import minigrad.distributed as dist


@pytest.fixture
def worlds(tmp_path):
    """Both libraries initialised as a world of one; torch through a file store (no network)."""
    dist.init_process_group(backend="gloo", rank=0, world_size=1)
    tdist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    yield
    for lib in (dist, tdist):
        if lib.is_initialized():
            lib.destroy_process_group()


def test_availability_and_uninitialised_state():
    assert dist.is_available() == tdist.is_available() is True
    assert dist.is_initialized() == tdist.is_initialized() is False
    assert dist.is_gloo_available() == tdist.is_gloo_available()
    assert dist.is_nccl_available() == tdist.is_nccl_available() is False
    assert dist.is_mpi_available() == tdist.is_mpi_available()
    for name in ("get_rank", "get_world_size", "barrier", "get_backend"):
        for lib in (dist, tdist):
            with pytest.raises(ValueError, match="Default process group has not been initialized"):
                getattr(lib, name)()
    for lib in (dist, tdist):
        with pytest.raises(AssertionError, match="Process group cannot be None"):
            lib.destroy_process_group()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(minigrad.ones(2))
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        minigrad.nn.parallel.DistributedDataParallel(minigrad.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))


def test_a_world_of_one(worlds):
    assert dist.is_initialized() == tdist.is_initialized() is True
    assert dist.get_rank() == tdist.get_rank() == 0
    assert dist.get_world_size() == tdist.get_world_size() == 1
    assert dist.get_backend() == tdist.get_backend() == "gloo"
    assert dist.barrier() is None and tdist.barrier() is None
    for lib in (dist, tdist):
        with pytest.raises(ValueError, match="twice"):
            lib.init_process_group("gloo", rank=0, world_size=1)


@pytest.mark.parametrize("op", ["SUM", "AVG", "PRODUCT", "MIN", "MAX"])
def test_collectives_of_one_process_are_the_identity(worlds, op):
    values = np.array([1.5, -2.0, 3.25], dtype=np.float32)
    ours, theirs = minigrad.tensor(values), torch.tensor(values)
    assert dist.all_reduce(ours, op=getattr(dist.ReduceOp, op)) is None
    tdist.all_reduce(theirs, op=getattr(tdist.ReduceOp, op))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    dist.broadcast(ours, src=0), tdist.broadcast(theirs, src=0)
    dist.reduce(ours, dst=0), tdist.reduce(theirs, dst=0)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert dist.all_reduce(ours, async_op=True).wait() is True
    assert tdist.all_reduce(theirs, async_op=True).wait() is True


@pytest.mark.filterwarnings("ignore:`torch.distributed.all_gather_into_tensor` is deprecated:FutureWarning")
def test_gathers_fill_one_slot(worlds):
    values = np.arange(4, dtype=np.float32)
    out_ours, out_theirs = [minigrad.zeros(4)], [torch.zeros(4)]
    dist.all_gather(out_ours, minigrad.tensor(values))
    tdist.all_gather(out_theirs, torch.tensor(values))
    np.testing.assert_array_equal(out_ours[0].numpy(), out_theirs[0].numpy())
    big_ours, big_theirs = minigrad.zeros(4), torch.zeros(4)
    dist.all_gather_into_tensor(big_ours, minigrad.tensor(values))
    tdist.all_gather_into_tensor(big_theirs, torch.tensor(values))
    np.testing.assert_array_equal(big_ours.numpy(), big_theirs.numpy())
    objects_ours, objects_theirs = [None], [None]
    dist.all_gather_object(objects_ours, {"loss": 1.5})
    tdist.all_gather_object(objects_theirs, {"loss": 1.5})
    assert objects_ours == objects_theirs == [{"loss": 1.5}]


def test_another_rank_or_a_bigger_world_is_refused_clearly(worlds):
    with pytest.raises(RuntimeError, match="invalid root rank"):
        tdist.broadcast(torch.ones(1), src=1)
    with pytest.raises(RuntimeError, match="minigrad runs in one process"):
        dist.broadcast(minigrad.ones(1), src=1)
    with pytest.raises(NotImplementedError, match="minigrad runs in one process"):
        dist.all_gather([minigrad.zeros(1), minigrad.zeros(1)], minigrad.ones(1))
    with pytest.raises(NotImplementedError, match="minigrad runs in one process"):
        dist.new_group([0, 1])


def test_init_reads_torchruns_environment_and_refuses_more_processes(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with pytest.raises(ValueError, match="environment variable RANK expected"):
        dist.init_process_group(backend="gloo")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(NotImplementedError, match="minigrad runs in one process.*world_size=2"):
        dist.init_process_group(backend="gloo")
    assert not dist.is_initialized()
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_process_group(backend="gloo")
    try:
        assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
    finally:
        dist.destroy_process_group()
    with pytest.raises(RuntimeError, match="NCCL"):
        dist.init_process_group(backend="nccl", rank=0, world_size=1)
    with pytest.raises(AssertionError, match="Unknown backend type"):
        dist.init_process_group(backend="carrier-pigeon", rank=0, world_size=1)


def _pair():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = minigrad.nn.Sequential(minigrad.nn.Linear(3, 4), minigrad.nn.Tanh(), minigrad.nn.Linear(4, 2))
    ours.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("wrapper", ["DistributedDataParallel", "DataParallel"])
def test_wrappers_delegate_forward_and_backward(worlds, wrapper):
    ours, theirs = _pair()
    wrapped_ours = getattr(minigrad.nn.parallel, wrapper)(ours)
    wrapped_theirs = getattr(torch.nn.parallel, wrapper)(theirs)
    assert wrapped_ours.module is ours and wrapped_theirs.module is theirs
    assert list(wrapped_ours.state_dict()) == list(wrapped_theirs.state_dict())
    assert [n for n, _ in wrapped_ours.named_parameters()] == [n for n, _ in wrapped_theirs.named_parameters()]
    assert type(wrapped_ours).__module__ == "minigrad" + type(wrapped_theirs).__module__[len("torch"):]
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    out_ours, out_theirs = wrapped_ours(minigrad.tensor(x)), wrapped_theirs(torch.tensor(x))
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-6, atol=1e-6)
    out_ours.square().sum().backward()
    out_theirs.square().sum().backward()
    for (name, p), (_, q) in zip(wrapped_ours.named_parameters(), wrapped_theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_ddp_no_sync_and_the_sync_flag(worlds):
    ours, theirs = _pair()
    ddp_ours = minigrad.nn.parallel.DistributedDataParallel(ours)
    ddp_theirs = torch.nn.parallel.DistributedDataParallel(theirs)
    assert ddp_ours.require_backward_grad_sync == ddp_theirs.require_backward_grad_sync is True
    with ddp_ours.no_sync(), ddp_theirs.no_sync():
        assert ddp_ours.require_backward_grad_sync == ddp_theirs.require_backward_grad_sync is False
    assert ddp_ours.require_backward_grad_sync == ddp_theirs.require_backward_grad_sync is True
    ddp_ours.require_backward_grad_sync = False   # nanoGPT's gradient-accumulation idiom
    assert ddp_ours.require_backward_grad_sync is False


def test_data_parallel_is_exported_by_nn_as_torchs():
    assert minigrad.nn.DataParallel is minigrad.nn.parallel.DataParallel
    assert hasattr(torch.nn, "DataParallel") and not hasattr(torch.nn, "DistributedDataParallel")
    assert not hasattr(minigrad.nn, "DistributedDataParallel")
    dp = minigrad.nn.DataParallel(minigrad.nn.Linear(2, 2))
    assert dp.device_ids == torch.nn.DataParallel(torch.nn.Linear(2, 2)).device_ids == []


def _nanogpt_style_training(lib, weights, batches, init_kwargs):
    """The distributed scaffolding of a GPT trainer (nanoGPT's train.py), as it runs under torchrun
    with one process: init from the environment, DDP, gradient accumulation that syncs on the
    last micro-step only, the raw model behind .module, a loss averaged over the world."""
    import os
    ddp = int(os.environ.get("RANK", -1)) != -1
    if ddp:
        lib.distributed.init_process_group(backend="gloo", **init_kwargs)
        master_process = int(os.environ["RANK"]) == 0
        world_size = int(os.environ["WORLD_SIZE"])
    lib.backends.cuda.matmul.allow_tf32 = True
    lib.backends.cudnn.allow_tf32 = True
    device = lib.accelerator.current_accelerator().type if lib.accelerator.is_available() else "cpu"
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.GELU(), lib.nn.Linear(8, 3)).to(device)
    model.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    if ddp:
        model = lib.nn.parallel.DistributedDataParallel(model)
    raw_model = model.module if ddp else model
    optimizer = lib.optim.SGD(raw_model.parameters(), lr=0.1)
    accumulation_steps = 2
    losses = []
    for step in range(3):
        for micro_step in range(accumulation_steps):
            if ddp:
                model.require_backward_grad_sync = micro_step == accumulation_steps - 1
            x, y = batches[(step * accumulation_steps + micro_step) % len(batches)]
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)) / accumulation_steps
            loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        reported = loss.detach().clone()
        if ddp:
            lib.distributed.all_reduce(reported, op=lib.distributed.ReduceOp.AVG)
        losses.append(reported.item())
    if ddp:
        assert master_process and world_size == 1
        lib.distributed.destroy_process_group()
    return losses, {k: v.detach().numpy() for k, v in raw_model.state_dict().items()}


def test_a_gpt_trainers_distributed_scaffolding_runs_as_torchs(monkeypatch, tmp_path):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    # The program sets these flags: restore them afterwards (by plain assignment: the cuBLAS flags
    # object serves them through __getattr__, which monkeypatch's undo cannot always restore).
    flags = [(ns, ns.allow_tf32) for lib in (minigrad, torch)
             for ns in (lib.backends.cuda.matmul, lib.backends.cudnn)]
    try:
        _gpt_scaffolding_matches_torch(tmp_path)
    finally:
        for ns, value in flags:
            ns.allow_tf32 = value


def _gpt_scaffolding_matches_torch(tmp_path):
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU(), torch.nn.Linear(8, 3))
    weights = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((5, 4)).astype(np.float32), rng.integers(0, 3, 5)) for _ in range(4)]
    ours = _nanogpt_style_training(minigrad, weights, batches, {})
    store = {"init_method": f"file://{tmp_path / 'store'}", "rank": 0, "world_size": 1}   # torch: no network
    theirs = _nanogpt_style_training(torch, weights, batches, store)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)
    for name in weights:
        np.testing.assert_allclose(ours[1][name], theirs[1][name], rtol=1e-5, atol=1e-6, err_msg=name)
