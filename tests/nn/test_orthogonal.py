"""parametrizations.orthogonal against torch: every map, square, tall and wide weights, with and
without the trivialization; the same parametrized weight, gradients and state dict after the same
seed, and assignment (right_inverse). It needs minigrad's linear algebra (geqrf,
householder_product, matrix_exp, solve)."""
import numpy as np
import pytest
import torch

import minigrad

pytestmark = pytest.mark.skipif(not all(hasattr(minigrad, n) for n in ("geqrf", "matrix_exp")),
                                reason="needs minigrad.geqrf and minigrad.matrix_exp")

CASES = [((4, 4), None, True), ((5, 3), None, True), ((3, 5), None, True), ((4, 4), "cayley", True),
         ((4, 4), "householder", True), ((5, 3), "householder", False), ((3, 5), "householder", False),
         ((4, 4), "matrix_exp", False), ((5, 3), "cayley", True)]


def _run(lib, shape, orthogonal_map, use_trivialization):
    lib.manual_seed(0)
    m = lib.nn.Linear(shape[1], shape[0]).double()
    lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map,
                                             use_trivialization=use_trivialization)
    x = lib.tensor(np.linspace(-1, 1, 2 * shape[1]).reshape(2, shape[1]))
    (m(x) ** 2).sum().backward()
    record = [type(m).__name__, list(m.state_dict()), m.weight.detach().numpy()]
    record += [p.grad.numpy() for p in m.parameters()]
    if use_trivialization or orthogonal_map == "householder":
        lib.manual_seed(1)
        target = lib.nn.init.orthogonal_(lib.empty(*shape, dtype=lib.float64))
        m.weight = target
        record.append(m.weight.detach().numpy())
    return record


@pytest.mark.parametrize("shape,orthogonal_map,use_trivialization", CASES, ids=str)
def test_orthogonal_matches_torch(shape, orthogonal_map, use_trivialization):
    ours = _run(minigrad, shape, orthogonal_map, use_trivialization)
    theirs = _run(torch, shape, orthogonal_map, use_trivialization)
    assert ours[:2] == theirs[:2]
    for a, b in zip(ours[2:], theirs[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    w = ours[2]
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)


def test_orthogonal_errors_match_torch():
    for lib in (minigrad, torch):
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "bias")
        with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), orthogonal_map="qr")
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), use_trivialization=False)
        with pytest.raises(NotImplementedError, match="not possible to assign"):
            m.weight = lib.eye(2)
