"""Integer inputs of the 3-d convolution and pools: computed exactly and returned in the input's dtype,
as torch's CPU kernels do (the op table covers the floating dtypes)."""
import numpy as np
import pytest
import torch

import minigrad


@pytest.mark.parametrize("name,kwargs", [
    ("max_pool3d", {"kernel_size": 2, "padding": 1}),
    ("max_pool3d", {"kernel_size": (2, 1, 3), "stride": 1, "dilation": (1, 2, 1)}),
    ("avg_pool3d", {"kernel_size": 2, "stride": 1, "padding": 1}),
    ("avg_pool3d", {"kernel_size": 2, "padding": 1, "count_include_pad": False}),
    ("avg_pool3d", {"kernel_size": 3, "stride": 2, "ceil_mode": True, "divisor_override": 4}),
])
def test_integer_pools_match_torch(name, kwargs):
    x = np.random.default_rng(0).integers(-9, 9, (2, 2, 5, 6, 5))
    expected = getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs)
    actual = getattr(minigrad.nn.functional, name)(minigrad.tensor(x), **kwargs)
    assert actual.dtype == minigrad.int64
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


def test_integer_conv3d_matches_torch():
    rng = np.random.default_rng(1)
    x, w = rng.integers(-5, 5, (2, 2, 4, 5, 3)), rng.integers(-3, 3, (3, 2, 2, 2, 2))
    expected = torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w), padding=1)
    actual = minigrad.nn.functional.conv3d(minigrad.tensor(x), minigrad.tensor(w), padding=1)
    assert actual.dtype == minigrad.int64
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())
