"""The optimizer and scheduler idioms of public PyTorch programs, run side by side with torch from
the same weights and batches: the losses agree step by step."""
import numpy as np
import pytest
import torch

import minigrad
from minigrad.serialization import from_torch


def _models(dtype):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4)).to(dtype)
    ours = minigrad.nn.Sequential(minigrad.nn.Linear(8, 16), minigrad.nn.ReLU(), minigrad.nn.Linear(16, 4))
    ours.to(getattr(minigrad, str(dtype).removeprefix("torch.")))
    ours.load_state_dict(from_torch(theirs.state_dict()))
    return ours, theirs


def _batches(dtype, n=12):
    rng = np.random.default_rng(0)
    return [(rng.standard_normal((10, 8)).astype(dtype), rng.integers(0, 4, 10)) for _ in range(n)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mnist_example_adadelta_with_step_lr(dtype):
    """The official MNIST example's loop: Adadelta(lr=1.0), StepLR(step_size=1, gamma=0.7) per epoch."""
    ours, theirs = _models(getattr(torch, np.dtype(dtype).name))
    runs = {}
    for lib, model in [(minigrad, ours), (torch, theirs)]:
        optimizer = lib.optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
        losses = []
        for epoch in range(3):
            for x, y in _batches(dtype, 4):
                optimizer.zero_grad()
                loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            scheduler.step()
        runs[lib] = (losses, scheduler.get_last_lr())
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(runs[minigrad][0], runs[torch][0], rtol=tol)
    assert runs[minigrad][1] == runs[torch][1] == [1.0 * 0.7 ** 3]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_closure_loop_like_the_time_sequence_example(line_search_fn):
    """LBFGS(lr=0.8) stepped with a closure that recomputes a regression loss, as the official
    time-sequence-prediction example does (with an MLP here)."""
    ours, theirs = _models(torch.float64)
    rng = np.random.default_rng(1)
    x, target = rng.standard_normal((32, 8)), rng.standard_normal((32, 4))
    runs = {}
    for lib, model in [(minigrad, ours), (torch, theirs)]:
        optimizer = lib.optim.LBFGS(model.parameters(), lr=0.8, max_iter=6, line_search_fn=line_search_fn)
        inputs, targets = lib.tensor(x), lib.tensor(target)
        losses = []
        for _ in range(4):
            def closure():
                optimizer.zero_grad()
                loss = lib.nn.functional.mse_loss(model(inputs), targets)
                loss.backward()
                return loss
            losses.append(optimizer.step(closure).item())
        runs[lib] = losses
    np.testing.assert_allclose(runs[minigrad], runs[torch], rtol=1e-9)
    assert runs[minigrad][-1] < runs[minigrad][0]


@pytest.mark.parametrize("name,kwargs", [("RMSprop", dict(lr=1e-2, momentum=0.9)), ("NAdam", {}), ("RAdam", {}),
                                         ("Adamax", {}), ("Adagrad", {}), ("ASGD", dict(t0=5)),
                                         ("Rprop", {})])
def test_one_cycle_per_batch_training(name, kwargs):
    """OneCycleLR stepped per batch (cycling momentum or beta1 where the optimizer has one), or
    CosineAnnealingWarmRestarts per fractional epoch where it has none."""
    ours, theirs = _models(torch.float64)
    runs = {}
    batches = _batches(np.float64)
    for lib, model in [(minigrad, ours), (torch, theirs)]:
        optimizer = getattr(lib.optim, name)(model.parameters(), **kwargs)
        sched = lib.optim.lr_scheduler
        if "momentum" in optimizer.defaults or "betas" in optimizer.defaults:
            scheduler = sched.OneCycleLR(optimizer, max_lr=0.05, total_steps=len(batches))
            step = lambda i: scheduler.step()  # noqa: E731
        else:
            scheduler = sched.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2)
            step = lambda i: scheduler.step(i / 4)  # noqa: E731
        losses = []
        for i, (x, y) in enumerate(batches):
            optimizer.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            optimizer.step()
            step(i)
            losses.append(loss.item())
        runs[lib] = losses, scheduler.get_last_lr()
    np.testing.assert_allclose(runs[minigrad][0], runs[torch][0], rtol=1e-11)
    assert runs[minigrad][1] == runs[torch][1]
