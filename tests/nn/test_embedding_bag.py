"""embedding_bag's scale_grad_by_freq: each index's gradient rows divided by how often the index occurs,
as torch documents it (and as minigrad's embedding does, which matches torch's embedding). torch 2.13's
CPU embedding_bag kernel scales by the counts of other indices ([0, 0, 1] gives row 1 half a gradient),
so this compares with torch's embedding over the same rows instead."""
import numpy as np
import pytest
import torch

import minigrad


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_matches_torch_embedding(mode):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 3))
    indices = np.array([1, 2, 4, 5, 4, 3, 2, 0, 4])
    offsets = np.array([0, 3, 3, 7])
    g = rng.standard_normal((4, 3))
    ours = minigrad.tensor(w, requires_grad=True)
    minigrad.nn.functional.embedding_bag(minigrad.tensor(indices), ours, minigrad.tensor(offsets), mode=mode,
                                         scale_grad_by_freq=True).backward(minigrad.tensor(g))
    # the same bags through torch's embedding (whose scale_grad_by_freq is right) and a weighted sum per bag
    theirs = torch.tensor(w, requires_grad=True)
    rows = torch.nn.functional.embedding(torch.tensor(indices), theirs, scale_grad_by_freq=True)
    bag = np.repeat(np.arange(4), np.diff(np.append(offsets, indices.size)))
    counts = np.bincount(bag, minlength=4)
    scale = torch.tensor(1.0 / counts[bag] if mode == "mean" else np.ones(indices.size))
    out = torch.zeros(4, 3, dtype=torch.float64).index_add(0, torch.tensor(bag), rows * scale[:, None])
    out.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
