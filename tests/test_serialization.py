"""save / load: round trips, no pickle, atomic writes, torch conversion."""
import os
from collections import OrderedDict

import numpy as np
import pytest
import torch

import minigrad
from minigrad import nn
from minigrad.serialization import from_torch, to_torch


def test_round_trip_of_a_checkpoint_like_structure(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    opt = minigrad.optim.Adam(model.parameters(), betas=(0.8, 0.9))
    for p in model.parameters():
        p.grad = minigrad.ones_like(p)
    opt.step()
    obj = {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(),
           "rng": minigrad.get_rng_state(), "big": 2 ** 62 + 1, "pi": 0.1 + 0.2, "inf": float("inf"),
           "none": None, "flag": True, "name": "run", "shape": (1, 2), "items": [1, "a", None],
           "array": np.arange(3, dtype=np.int16), "scalar": np.float32(1.5), "dtype": minigrad.float64,
           "param": nn.Parameter(minigrad.ones(2)), "grad": minigrad.ones(2, requires_grad=True),
           "nested": {(1, "x"): {0: "int key"}}}
    path = tmp_path / "ck.npz"
    minigrad.save(obj, path)
    back = minigrad.load(path)
    assert back["epoch"] == 3 and back["big"] == 2 ** 62 + 1 and back["pi"] == 0.1 + 0.2
    assert back["inf"] == float("inf") and back["none"] is None and back["flag"] is True
    assert back["shape"] == (1, 2) and back["items"] == [1, "a", None] and back["name"] == "run"
    assert back["array"].dtype == np.int16 and back["scalar"] == np.float32(1.5)
    assert back["dtype"] is minigrad.float64
    assert isinstance(back["param"], nn.Parameter) and back["grad"].requires_grad
    assert back["nested"] == {(1, "x"): {0: "int key"}}
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == list(obj["model"])
    for k, v in obj["model"].items():
        assert back["model"][k].dtype == v.dtype
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)
    assert sorted(back["optimizer"]["state"]) == [0, 1, 2, 3]
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    fresh.load_state_dict(back["model"])
    minigrad.optim.Adam(fresh.parameters()).load_state_dict(back["optimizer"])


def test_files_hold_no_pickles_and_pickles_are_refused(tmp_path):
    path = tmp_path / "w.npz"
    minigrad.save(nn.Linear(2, 2).state_dict(), path)
    with np.load(path, allow_pickle=False) as archive:   # loads without pickle
        assert all(archive[k].dtype != object for k in archive.files)
    evil = tmp_path / "evil.npz"
    np.savez(evil, payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(RuntimeError, match="not a readable minigrad checkpoint"):
        minigrad.load(evil)
    with pytest.raises(TypeError, match="cannot store"):
        minigrad.save({"f": lambda: 0}, tmp_path / "x.npz")


def test_plain_npz_loads_as_a_state_dict(tmp_path):
    np.savez(tmp_path / "plain.npz", weight=np.ones((2, 2), np.float32), bias=np.zeros(2, np.float32))
    sd = minigrad.load(tmp_path / "plain.npz")
    nn.Linear(2, 2).load_state_dict(sd)


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    minigrad.save({"v": minigrad.ones(3)}, path)
    before = path.read_bytes()

    def failing_savez(file, **arrays):
        file.write(b"partial garbage")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"v": minigrad.zeros(3)}, path)
    assert path.read_bytes() == before          # the old checkpoint is intact
    assert os.listdir(tmp_path) == ["ck.npz"]   # and no temporary file is left
    monkeypatch.undo()
    np.testing.assert_array_equal(minigrad.load(path)["v"].numpy(), np.ones(3))


def test_file_objects_and_torch_conversion(tmp_path):
    import io
    buf = io.BytesIO()
    minigrad.save({"a": minigrad.arange(4)}, buf)
    buf.seek(0)
    assert minigrad.load(buf)["a"].tolist() == [0, 1, 2, 3]
    model = nn.Conv2d(1, 2, 3)
    theirs = to_torch(model.state_dict())
    assert isinstance(theirs["weight"], torch.Tensor) and theirs["weight"].dtype == torch.float32
    theirs["weight"] += 1                        # a copy, not a view
    assert not np.array_equal(theirs["weight"].numpy(), model.weight.numpy(force=True))
    back = from_torch({"nested": [theirs["bias"]], "n": 1})
    assert isinstance(back["nested"][0], minigrad.Tensor) and back["n"] == 1
