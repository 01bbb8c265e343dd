"""The seed CNN in each framework, from one set of initial weights.

minigrad's is ``minigrad.models.ConvNet`` (seeded with ``minigrad.manual_seed(0)``); torch's twin is
the same architecture as a ``torch.nn.Sequential`` whose parameters are copied from minigrad's
(the six parameter shapes are distinct, so each is matched by shape); the NumPy reference takes the
same arrays. Without minigrad's model, the weights come from the torch twin's own initialisation.
"""
from __future__ import annotations

import numpy as np

SHAPES = {(32, 1, 3, 3): "w1", (32,): "b1", (64, 32, 3, 3): "w2", (64,): "b2", (10, 4096): "w3", (10,): "b3"}
LR = 0.01


def minigrad_model():
    import minigrad
    from minigrad.models import ConvNet
    minigrad.manual_seed(0)
    return ConvNet()


def has_relu(model) -> bool:
    return any(type(m).__name__ == "ReLU" for m in model.modules())


def initial_weights() -> tuple[dict, bool]:
    """The seed weights by name (w1, b1, ..., see SHAPES) and whether the model has ReLUs."""
    try:
        model = minigrad_model()
    except ImportError:
        import torch
        torch.manual_seed(0)
        model, relu = torch_model(None), False
        return {SHAPES[tuple(p.shape)]: p.detach().numpy().copy() for p in model.parameters()}, relu
    weights = {SHAPES[tuple(p.shape)]: np.array(p.detach().numpy(), copy=True) for p in model.parameters()}
    return weights, has_relu(model)


def torch_model(weights: dict | None, relu: bool = False):
    import torch
    from torch import nn
    act = [nn.ReLU()] if relu else []
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), *act, nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), *act, nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4096, 10))
    if weights is not None:
        load_torch(model, weights)
    return model


def load_torch(model, weights: dict):
    import torch
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(weights[SHAPES[tuple(p.shape)]]))


def batch(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, n)
    return x, y


def train_step_fn(fw, model, x, y):
    """zero_grad, forward, cross-entropy, backward, SGD step: the same code for minigrad and torch."""
    opt = fw.optim.SGD(model.parameters(), lr=LR)
    cross_entropy = fw.nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def inference_fn(fw, model, x):
    def step():
        with fw.no_grad():
            return model(x)
    return step
