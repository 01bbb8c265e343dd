"""minigrad.manual_seed's accepted range (torch's), and rand/randn drawing straight into the
requested dtype: torch's values, at about the tensor's own size in peak memory."""
import tracemalloc

import numpy as np
import pytest
import torch

import minigrad


@pytest.mark.parametrize("seed", [0, 1, -1, -2 ** 63, 2 ** 63, 2 ** 64 - 1])
def test_manual_seed_accepts_torchs_range_and_reports_the_same_initial_seed(seed):
    assert minigrad.manual_seed(seed).initial_seed() == torch.manual_seed(seed).initial_seed()
    assert minigrad.Generator().manual_seed(seed).initial_seed() == torch.Generator().manual_seed(seed).initial_seed()
    minigrad.manual_seed(seed)
    first = minigrad.randn(3)
    minigrad.manual_seed(seed)
    assert minigrad.randn(3).tolist() == first.tolist()


def test_a_negative_seed_is_the_same_stream_as_its_unsigned_value():
    minigrad.manual_seed(-1)
    a = minigrad.rand(4)
    minigrad.manual_seed(2 ** 64 - 1)
    assert minigrad.rand(4).tolist() == a.tolist()


@pytest.mark.parametrize("seed", [2 ** 64, -2 ** 63 - 1, 10 ** 30])
def test_manual_seed_outside_torchs_range_raises_torchs_error(seed):
    with pytest.raises(Exception) as theirs:
        torch.manual_seed(seed)
    with pytest.raises(type(theirs.value), match="Overflow when unpacking long long"):
        minigrad.manual_seed(seed)
    torch.manual_seed(0)


@pytest.mark.parametrize("name", ["rand", "randn"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_draws_are_torchs_numbers(name, dtype):
    """A draw of a million values, not a multiple of 16: torch's numbers, bit for bit."""
    shape = (3, (1 << 20) // 3 + 7)
    minigrad.manual_seed(5)
    ours = getattr(minigrad, name)(*shape, dtype=getattr(minigrad, dtype))
    torch.manual_seed(5)
    theirs = getattr(torch, name)(*shape, dtype=getattr(torch, dtype))
    assert ours.dtype == getattr(minigrad, dtype) and tuple(ours.shape) == shape
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    like = getattr(minigrad, name + "_like")(ours)
    assert like.dtype == ours.dtype and tuple(like.shape) == shape


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_float32_draw_peaks_near_its_own_size(name):
    """torch peaks at the tensor's size; so does minigrad, which draws straight into it."""
    n = 3000
    size = n * n * 4
    tracemalloc.start()
    try:
        t = getattr(minigrad, name)(n, n, dtype=minigrad.float32)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert t.dtype == minigrad.float32
    assert peak < size + 2 * 8 * (1 << 20), peak   # the tensor (drawn in place) and little else


def test_a_draw_too_large_names_the_requested_dtype_and_raises_torchs_error():
    with pytest.raises(Exception) as theirs:
        torch.randn(10 ** 7, 10 ** 7)
    with pytest.raises(type(theirs.value), match="float32 tensor") as ours:
        minigrad.randn(10 ** 7, 10 ** 7, dtype=minigrad.float32)
    assert "400000000000000 bytes" in str(ours.value) and "float64" not in str(ours.value)
