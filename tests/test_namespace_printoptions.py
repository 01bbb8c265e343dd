"""set_printoptions and repr(tensor), character for character against torch's."""
import pytest
import torch

import minigrad

CASES = [
    "torch.arange(12.).reshape(3, 4) / 3", "torch.arange(2000.)", "torch.arange(2000)", "torch.arange(10.) / 3",
    "torch.arange(30.).reshape(6, 5) / 7", "torch.tensor([[1e-8, 1e5]]).double()", "torch.arange(3000).reshape(1000, 3)",
    "torch.tensor([1.5], dtype=torch.float16)", "torch.tensor([])", "torch.zeros(0, 3)", "torch.tensor([], dtype=torch.long)",
    "torch.tensor([float('nan'), 1., float('inf')])", "torch.tensor([float('nan'), 1.5, -float('inf')])",
    "torch.tensor(2.5)", "torch.tensor(3)", "torch.tensor(float('nan'))", "torch.tensor([True, False])", "torch.zeros(3)",
    "torch.tensor([-1., 2.])", "torch.ones(2, 3, requires_grad=True)", "torch.arange(40.).reshape(2, 4, 5)",
    "torch.ones(100, 100)", "torch.arange(24).reshape(2, 3, 4).to(torch.int32)", "torch.tensor([1e10, 1.])",
    "torch.tensor([123456789.5, 1.])", "torch.arange(200.).reshape(10, 20) / 7", "torch.zeros(2, 3, dtype=torch.uint8)",
    "torch.tensor([0.00001, 0.5])", "torch.arange(100.)", "torch.tensor([1e-5, 1e-3]).double()",
    "torch.arange(5000).reshape(50, 100)", "torch.tensor([[True] * 40] * 3)", "torch.tensor([-0.5, 1234.5678])",
    "torch.arange(64.).reshape(2, 2, 2, 2, 2, 2)",
]

OPTIONS = [{}, {"precision": 2}, {"precision": 6}, {"threshold": 5}, {"threshold": 5, "edgeitems": 1},
           {"edgeitems": 0, "threshold": 3}, {"linewidth": 20}, {"linewidth": 120}, {"sci_mode": True},
           {"sci_mode": False}, {"profile": "short"}, {"profile": "full"}, {"profile": "short", "precision": 3}]


@pytest.fixture
def restore_printoptions():
    yield
    minigrad.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_repr_matches_torch_under_each_print_option(options, restore_printoptions):
    minigrad.set_printoptions(**options)
    torch.set_printoptions(**options)
    for expr in CASES:
        ours, theirs = eval(expr, {"torch": minigrad}), eval(expr, {"torch": torch})
        assert repr(ours).replace("minigrad.", "torch.") == repr(theirs), expr


def test_options_persist_until_changed_and_sci_mode_is_reset_by_every_call(restore_printoptions):
    for lib in (minigrad, torch):
        lib.set_printoptions(precision=2, sci_mode=True)
        lib.set_printoptions(threshold=4)   # keeps precision, resets sci_mode to automatic
    x = "torch.tensor([0.123456, 1.5])"
    assert repr(eval(x, {"torch": minigrad})) == repr(eval(x, {"torch": torch})) == "tensor([0.12, 1.50])"
    y = "torch.arange(10.)"
    assert repr(eval(y, {"torch": minigrad})) == repr(eval(y, {"torch": torch}))


def test_profiles_set_torchs_values(restore_printoptions):
    from minigrad._repr import get_printoptions
    import torch._tensor_str as torch_str
    for profile in ("short", "full", "default"):
        minigrad.set_printoptions(profile=profile)
        torch.set_printoptions(profile=profile)
        assert get_printoptions() == torch_str.get_printoptions()
    minigrad.set_printoptions(profile="no-such-profile")   # torch ignores an unknown profile
    torch.set_printoptions(profile="no-such-profile")
    assert get_printoptions() == torch_str.get_printoptions()
