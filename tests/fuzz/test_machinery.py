"""The program fuzzer's own machinery: it must notice each kind of disagreement it claims to check."""
import pytest

from minigrad.testing import fuzz


def _program(*lines):
    p = fuzz.DualProgram()
    for code, names in lines:
        p.run(code, "test", names)
    return p


def test_agreeing_program_passes_and_is_runnable_text():
    p = _program(("t0 = lib.tensor([1.0, -2.0], requires_grad=True)", ["t0"]),
                 ("t1 = (t0 * 3).exp()", ["t1"]),
                 ("t1.sum().backward()", []),
                 ("t2 = t0 // 0", ["t2"]))
    assert "t1.sum().backward()" in p.program()
    import torch
    ns = {"lib": torch}
    exec(p.program(), ns)  # the recorded program runs as it is
    assert ns["t0"].grad is not None


@pytest.mark.parametrize("code,expected", [
    # minigrad computes a different value than torch
    ("t1 = t0 * (2 if lib.__name__ == 'torch' else 3)", "values differ"),
    # a different dtype
    ("t1 = t0.to(lib.float64 if lib.__name__ == 'torch' else lib.float32)", "dtype"),
    # only one side raises
    ("t1 = t0 if lib.__name__ == 'torch' else t0.nonexistent_method()", "exceptions differ"),
    # both raise, but different classes
    ("t1 = (int('x') if lib.__name__ == 'torch' else [][1])", "exceptions differ"),
    # a different requires_grad / is_leaf
    ("t1 = t0 * 1 if lib.__name__ == 'torch' else t0.detach()", "requires_grad"),
    # a different gradient
    ("(t0 * (2 if lib.__name__ == 'torch' else 3)).sum().backward()", "t0.grad"),
])
def test_disagreements_are_caught(code, expected):
    p = _program(("t0 = lib.tensor([1.0, 2.0], requires_grad=True)", ["t0"]))
    with pytest.raises(fuzz.Disagreement, match=expected):
        p.run(code, "test", ["t1"])


def test_hook_calls_are_compared():
    p = _program(("t0 = lib.tensor([1.0, 2.0], requires_grad=True)", ["t0"]),
                 ("t1 = t0 * 2", ["t1"]),
                 ("t1.register_hook(hook('t1', None))", []))
    with pytest.raises(fuzz.Disagreement, match="hook"):
        p.run("(t1 * 3).sum().backward() if lib.__name__ == 'torch' else (t0 * 6).sum().backward()", "test")


def test_families_from_environment(monkeypatch):
    monkeypatch.setenv("MINIGRAD_FUZZ_FAMILIES", "all,-view,-op")
    chosen = fuzz.enabled_from_env()
    assert "view" not in chosen and "op" not in chosen and "backward" in chosen
    monkeypatch.setenv("MINIGRAD_FUZZ_FAMILIES", "view,backward")
    assert fuzz.enabled_from_env() == {"view", "backward"}
    monkeypatch.setenv("MINIGRAD_FUZZ_FAMILIES", "no_such_family")
    with pytest.raises(ValueError, match="no_such_family"):
        fuzz.enabled_from_env()


def test_collect_mode_records_and_stops(tmp_path, monkeypatch):
    out = tmp_path / "found.jsonl"
    monkeypatch.setenv("MINIGRAD_FUZZ_COLLECT", str(out))
    p = _program(("t0 = lib.tensor([1.0])", ["t0"]))
    assert p.run("t1 = t0 * (2 if lib.__name__ == 'torch' else 3)", "scalar", ["t1"]) is False
    assert p.run("t2 = t0 + 1", "scalar", ["t2"]) is False  # the program has ended
    import json
    record = json.loads(out.read_text().splitlines()[0])
    assert record["family"] == "scalar" and "values differ" in record["what"] and "t1 = t0" in record["program"]


def test_same_bits_on_non_contiguous_tensors():
    p = _program(("t0 = lib.tensor([[0.0, -0.0], [2.0, 3.0]], dtype=lib.float64).t()", ["t0"]))
    assert p.same_bits("t0")
    p.run("t1 = t0 * (1 if lib.__name__ == 'torch' else 1 + 1e-12)", "test", ["t1"])  # within tolerance
    assert not p.same_bits("t1")
