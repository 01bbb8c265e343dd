"""save / load in torch's zip format: round trips of everything weights_only allows, in both
directions between minigrad and torch (each saves, the other loads), whole modules, map_location,
and which format save picks."""
import io
import os
import pickle
import stat
import struct
import subprocess
import sys
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest
import torch

import minigrad
from minigrad import nn

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def values(dtype_name, shape=(2, 3)):
    return (np.arange(int(np.prod(shape))) % 3 - 1).astype(dtype_name).reshape(shape)


def ours_and_theirs():
    """The same checkpoint built from minigrad objects and from torch objects."""
    def build(lib, tensor, param, size, device):
        base = tensor(values("float32", (3, 4)))
        return {
            "tensors": {d: tensor(values(d)) for d in DTYPES},
            "scalar": tensor(np.array(2.5, np.float64)), "empty": tensor(np.zeros((0, 3), np.float32)),
            "row": base[1], "base": base, "transposed": base.t(), "column": base[:, 2],
            "expanded": tensor(values("float32", (1, 3))).expand(4, 3),
            "param": param(tensor(values("float32")), True), "frozen": param(tensor(values("float32")), False),
            "needs_grad": tensor(values("float64")).requires_grad_(),
            "dtypes": [getattr(lib, d) for d in DTYPES], "size": size([2, 3]), "device": device("cpu"),
            "od": OrderedDict([("b", 1), ("a", 2)]), "counter": Counter("abca"), "set": {1, 2},
            "bytes": b"\x00\xffab", "bytearray": bytearray(b"xy"), "complex": 1 - 2j,
            "plain": [None, True, False, 0, -1, 2 ** 70, 1.5, float("inf"), "text", (1, (2,))],
            "int_keys": {0: "zero", (1, 2): "tuple key"},
        }
    ours = build(minigrad, lambda a: minigrad.tensor(a), nn.Parameter, minigrad.Size, minigrad.device)
    theirs = build(torch, lambda a: torch.tensor(a), torch.nn.Parameter, torch.Size, torch.device)
    return ours, theirs


def assert_same(ours, theirs, where="root"):
    """A minigrad object equals a torch object: values, dtypes, shapes, strides, flags."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, minigrad.Tensor), where
        assert isinstance(ours, nn.Parameter) == isinstance(theirs, torch.nn.Parameter), where
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], where
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.requires_grad == theirs.requires_grad, where
        if theirs.numel():   # (minigrad reports NumPy's strides for an empty tensor, torch contiguous ones)
            assert tuple(ours.stride()) == tuple(theirs.stride()), where
        np.testing.assert_array_equal(ours.numpy(force=True), theirs.detach().numpy(), err_msg=where)
    elif isinstance(theirs, torch.dtype):
        assert str(ours).split(".")[1] == str(theirs).split(".")[1], where
    elif isinstance(theirs, torch.Size):
        assert isinstance(ours, minigrad.Size) and tuple(ours) == tuple(theirs), where
    elif isinstance(theirs, torch.device):
        assert isinstance(ours, minigrad.device) and str(ours) == str(theirs), where
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), where
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{where}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, where


@pytest.mark.parametrize("direction", ["minigrad to minigrad", "minigrad to torch", "torch to minigrad"])
def test_round_trip_of_every_type_weights_only_allows(tmp_path, direction):
    ours, theirs = ours_and_theirs()
    path = tmp_path / "ck.pt"
    if direction == "torch to minigrad":
        torch.save(theirs, path)
        assert_same(minigrad.load(path), theirs)
    elif direction == "minigrad to torch":
        minigrad.save(ours, path)
        assert_same(ours, torch.load(path))   # weights_only=True: torch finds only its own records
    else:
        minigrad.save(ours, path)
        assert_same(minigrad.load(path), theirs)


@pytest.mark.parametrize("writer", ["minigrad", "torch"])
def test_views_of_one_tensor_load_sharing_memory(tmp_path, writer):
    path = tmp_path / "views.pt"
    lib = minigrad if writer == "minigrad" else torch
    base = lib.arange(12.0).reshape(3, 4)
    (minigrad.save if writer == "minigrad" else torch.save)({"base": base, "row": base[1], "t": base.t()}, path)
    for loaded, lib in [(minigrad.load(path), minigrad), (torch.load(path), torch)]:
        with lib.no_grad():
            loaded["row"][0] = 100.0   # writes through to the other views, as before saving
        assert loaded["base"][1, 0].item() == loaded["t"][0, 1].item() == 100.0
    with zipfile.ZipFile(path) as zf:
        assert [n for n in zf.namelist() if "/data/" in n] == [zf.namelist()[0].split("/")[0] + "/data/0"]


def test_flipped_and_strided_views_save_what_they_show(tmp_path):
    base = minigrad.arange(10.0)
    flipped = minigrad.tensor(base.numpy()[::-1])   # negative strides: stored as a private copy
    minigrad.save({"flipped": flipped, "every_other": base[::2]}, tmp_path / "f.pt")
    theirs = torch.load(tmp_path / "f.pt")
    assert theirs["flipped"].tolist() == flipped.tolist() and theirs["every_other"].tolist() == base[::2].tolist()
    assert theirs["every_other"].stride() == (2,)


def test_the_zip_layout_is_torchs(tmp_path):
    """Same record names, 64-byte aligned data (torch.load(mmap=True) relies on it)."""
    minigrad.save({"w": minigrad.ones(3), "b": minigrad.zeros(2, dtype=minigrad.int64)}, tmp_path / "ours.pt")
    torch.save({"w": torch.ones(3), "b": torch.zeros(2, dtype=torch.int64)}, tmp_path / "theirs.pt")
    names = {}
    for who in ("ours", "theirs"):
        with zipfile.ZipFile(tmp_path / f"{who}.pt") as zf:
            names[who] = sorted(n.split("/", 1)[1] for n in zf.namelist())
            assert {n.split("/")[0] for n in zf.namelist()} == {who}
            raw = (tmp_path / f"{who}.pt").read_bytes()
            for info in zf.infolist():
                assert info.compress_type == zipfile.ZIP_STORED
                name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
                assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
    assert names["ours"] == names["theirs"]
    loaded = torch.load(tmp_path / "ours.pt", mmap=True)
    assert loaded["w"].tolist() == [1.0, 1.0, 1.0] and loaded["b"].dtype == torch.int64


def test_state_dicts_load_across_libraries(tmp_path):
    mg = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                             torch.nn.Linear(8, 3))
    minigrad.save(mg.state_dict(), tmp_path / "mg.pt")
    tm.load_state_dict(torch.load(tmp_path / "mg.pt"))
    tm.eval(), mg.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(tm(torch.tensor(x)).detach().numpy(), mg(minigrad.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    torch.save(tm.state_dict(), tmp_path / "tm.pt")
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3)).eval()
    fresh.load_state_dict(minigrad.load(tmp_path / "tm.pt"))
    np.testing.assert_array_equal(fresh(minigrad.tensor(x)).detach().numpy(), mg(minigrad.tensor(x)).detach().numpy())


def test_optimizer_state_round_trips_and_training_continues_identically(tmp_path):
    def run(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            model(minigrad.ones(4, 3)).pow(2).sum().backward()
            opt.step()
    minigrad.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = minigrad.optim.Adam(model.parameters(), lr=0.1)
    run(model, opt, 2)
    minigrad.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "ck.pt")
    theirs = torch.load(tmp_path / "ck.pt")
    assert sorted(theirs["opt"]["state"]) == [0, 1] and theirs["opt"]["state"][0]["exp_avg"].shape == (2, 3)
    back = minigrad.load(tmp_path / "ck.pt")
    model2 = nn.Linear(3, 2)
    model2.load_state_dict(back["model"])
    opt2 = minigrad.optim.Adam(model2.parameters(), lr=0.1)
    opt2.load_state_dict(back["opt"])
    run(model, opt, 2), run(model2, opt2, 2)
    np.testing.assert_array_equal(model.weight.numpy(force=True), model2.weight.numpy(force=True))


def test_whole_module_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Dropout(0.5))
    model.eval()
    path = tmp_path / "model.pt"
    minigrad.save(model, path)
    loaded = minigrad.load(path, weights_only=False)
    assert type(loaded) is nn.Sequential and not loaded.training
    assert [type(m) for m in loaded] == [type(m) for m in model]
    x = minigrad.randn(5, 3)
    np.testing.assert_array_equal(loaded(x).numpy(force=True), model(x).numpy(force=True))
    assert isinstance(loaded[0].weight, nn.Parameter) and loaded[0].weight.requires_grad
    with minigrad.serialization.safe_globals([nn.Sequential, nn.Linear, nn.ReLU, nn.BatchNorm1d, nn.Dropout]):
        again = minigrad.load(path)
    np.testing.assert_array_equal(again(x).numpy(force=True), model(x).numpy(force=True))
    # a module whose parameters are shared keeps sharing them
    tied = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    tied[1].weight = tied[0].weight
    minigrad.save(tied, path)
    back = minigrad.load(path, weights_only=False)
    assert back[0].weight is back[1].weight


def test_torch_tensor_attributes_and_parameter_state(tmp_path):
    t = torch.ones(2)
    t.note = "kept"
    p = torch.nn.Parameter(torch.zeros(2))
    p.tag = 3
    torch.save({"t": t, "p": p}, tmp_path / "a.pt")
    back = minigrad.load(tmp_path / "a.pt")
    assert back["t"].note == "kept" and back["p"].tag == 3 and isinstance(back["p"], nn.Parameter)
    mt = minigrad.ones(2)
    mt.note = "kept"
    minigrad.save({"t": mt}, tmp_path / "b.pt")
    assert torch.load(tmp_path / "b.pt")["t"].note == "kept" and minigrad.load(tmp_path / "b.pt")["t"].note == "kept"


def test_map_location(tmp_path):
    path = tmp_path / "ck.pt"
    torch.save({"w": torch.ones(2)}, path)
    for where in ["cpu", minigrad.device("cpu"), torch.device("cpu"), {"cpu": "cpu"}, lambda s, loc: s,
                  lambda s, loc: None]:
        assert minigrad.load(path, map_location=where)["w"].tolist() == [1.0, 1.0]
        assert torch.load(path, map_location=where if not isinstance(where, minigrad.device) else "cpu")["w"].tolist() \
            == [1.0, 1.0]
    seen = []
    minigrad.load(path, map_location=lambda storage, location: seen.append((storage.numel(), location)))
    assert seen == [(2, "cpu")]
    with pytest.raises(TypeError):
        minigrad.load(path, map_location=lambda s, loc: "not a storage")


@pytest.mark.skipif(minigrad.cuda.is_available(), reason="the CPU-only behaviour")
def test_cuda_locations_on_a_cpu_only_machine_raise_torchs_error(tmp_path):
    path = tmp_path / "ck.pt"
    torch.save({"w": torch.ones(2)}, path)
    # a file saved on a GPU: the same records with the location "cuda:0"
    gpu = tmp_path / "gpu.pt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(gpu, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info.filename.replace("ck/", "gpu/"), data)
    for f, where in [(path, "cuda"), (path, "cuda:0"), (path, torch.device("cuda")), (path, {"cpu": "cuda:0"}),
                     (gpu, None)]:
        with pytest.raises(RuntimeError) as theirs:
            torch.load(f, map_location=where)
        with pytest.raises(RuntimeError) as ours:
            minigrad.load(f, map_location=where)
        assert str(ours.value) == str(theirs.value)
    for where in ["cpu", {"cuda:0": "cpu"}, lambda s, loc: s]:
        assert minigrad.load(gpu, map_location=where)["w"].tolist() == torch.load(gpu, map_location=where)["w"].tolist()


def test_which_format_save_writes(tmp_path):
    obj = {"w": minigrad.ones(2)}
    minigrad.save(obj, tmp_path / "a.npz")
    minigrad.save(obj, tmp_path / "a.pt")
    minigrad.save(obj, tmp_path / "b.pt", format="npz")
    minigrad.save(obj, tmp_path / "c.npz", format="torch")
    buffer = io.BytesIO()
    minigrad.save(obj, buffer)
    buffer.seek(0)

    def is_torch_zip(f):
        with zipfile.ZipFile(f) as zf:
            return any(n.endswith("/data.pkl") for n in zf.namelist())
    assert [is_torch_zip(tmp_path / n) for n in ("a.npz", "a.pt", "b.pt", "c.npz")] == [False, True, False, True]
    assert is_torch_zip(buffer)
    for name in ("a.npz", "a.pt", "b.pt", "c.npz"):
        assert minigrad.load(tmp_path / name)["w"].tolist() == [1.0, 1.0]   # load reads the format from the file
    buffer.seek(0)
    assert minigrad.load(buffer)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="format"):
        minigrad.save(obj, tmp_path / "x.pt", format="json")


def test_torch_format_writes_atomically_and_privately(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    old_umask = os.umask(0o022)
    try:
        minigrad.save({"v": minigrad.ones(3)}, path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    before = path.read_bytes()
    with pytest.raises(pickle.PicklingError):
        minigrad.save({"f": lambda: 0}, path)   # fails before the file is touched
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.pt"]
    with pytest.raises(OSError):
        minigrad.save({"v": 1}, tmp_path)
    from minigrad import serialization

    def failing_write(*args):
        raise OSError("disk full")
    monkeypatch.setattr(serialization, "_write_torch_zip", failing_write)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"v": minigrad.zeros(3)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.pt"]


def test_damaged_torch_files_raise_runtime_error_as_torch_does(tmp_path):
    path = tmp_path / "ck.pt"
    minigrad.save({"w": minigrad.ones(1000)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError):
        torch.load(path)
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        minigrad.load(path)
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy format"):
        minigrad.load(legacy)


def test_torch_is_not_imported_to_load_torchs_files(tmp_path):
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "p": torch.nn.Parameter(torch.ones(1)),
                "dtype": torch.int64, "size": torch.Size([2])}, tmp_path / "t.pt")
    code = ("import sys, minigrad; sys.modules['torch'] = None\n"   # importing torch would now fail
            f"ck = minigrad.load({str(tmp_path / 't.pt')!r})\n"
            "assert ck['w'].tolist() == [[0, 1, 2], [3, 4, 5]] and ck['dtype'] is minigrad.int64\n"
            f"minigrad.save(ck, {str(tmp_path / 'm.pt')!r})\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert result.stdout.strip() == "ok", result.stderr
    assert torch.load(tmp_path / "m.pt")["p"].requires_grad


def test_a_whole_module_torch_saved_loads_into_minigrads_classes(tmp_path):
    """With weights_only=False, torch's module paths resolve to minigrad's modules of the same path."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    torch.save(theirs, tmp_path / "model.pt")
    ours = minigrad.load(tmp_path / "model.pt", weights_only=False)
    assert type(ours) is nn.Sequential and type(ours[0]) is nn.Linear
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(minigrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-7)
    # weights_only=True refuses the module classes, unless minigrad's classes of those paths are allowed
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.container.Sequential"):
        minigrad.load(tmp_path / "model.pt")
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / "model.pt")
    with minigrad.serialization.safe_globals([nn.Sequential, nn.Linear, nn.Tanh]):
        again = minigrad.load(tmp_path / "model.pt")
    np.testing.assert_array_equal(again(minigrad.tensor(x)).detach().numpy(), ours(minigrad.tensor(x)).detach().numpy())


def test_unsafe_globals_are_listed_without_loading(tmp_path):
    class_path = f"{__name__}.Marker"
    minigrad.save({"m": Marker(), "w": minigrad.ones(1), "s": {1}}, tmp_path / "a.pt")
    torch.save({"m": Marker(), "w": torch.ones(1), "s": {1}}, tmp_path / "b.pt")
    for name in ("a.pt", "b.pt"):
        assert minigrad.serialization.get_unsafe_globals_in_checkpoint(tmp_path / name) == [class_path]
        assert torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path / name) == [class_path]
    minigrad.save({"w": minigrad.ones(1)}, tmp_path / "c.npz")
    assert minigrad.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "c.npz") == []


class Marker:
    pass


def rewrite(src, dst, change):
    """Copy the zip ``src`` to ``dst``, passing each record's (name, data) through ``change``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            name, data = change(info.filename.split("/", 1)[1], zin.read(info))
            zout.writestr("archive/" + name, data)
    return dst


def test_a_big_endian_checkpoint_loads_byte_swapped_as_torch_loads_it(tmp_path):
    torch.save({"f": torch.arange(3.0, dtype=torch.float64), "i": torch.tensor([1, -2], dtype=torch.int32)},
               tmp_path / "little.pt")
    itemsizes = {"0": 8, "1": 4}

    def to_big_endian(name, data):
        if name == "byteorder":
            return name, b"big"
        if name.startswith("data/"):
            return name, np.frombuffer(data, f"u{itemsizes[name[5:]]}").byteswap().tobytes()
        return name, data
    big = rewrite(tmp_path / "little.pt", tmp_path / "big.pt", to_big_endian)
    ours, theirs = minigrad.load(big), torch.load(big)
    assert ours["f"].tolist() == theirs["f"].tolist() == [0.0, 1.0, 2.0]
    assert ours["i"].tolist() == theirs["i"].tolist() == [1, -2]


def test_a_storage_key_named_twice_is_read_once_with_its_first_element_type(tmp_path):
    """torch never writes this, but reads it so: the second record gets the first one's storage."""
    torch.save({"a": torch.tensor([1.0, 2.0]), "b": torch.tensor([0, 0], dtype=torch.int32)}, tmp_path / "t.pt")

    def same_storage(name, data):
        if name == "data.pkl":   # point b's record at a's storage key
            data = data.replace(b"X\x01\x00\x00\x001", b"X\x01\x00\x00\x000")
        return name, data
    path = rewrite(tmp_path / "t.pt", tmp_path / "shared.pt", same_storage)
    ours, theirs = minigrad.load(path), torch.load(path)
    assert theirs["b"].dtype == torch.float32 and ours["b"].dtype == minigrad.float32
    assert ours["b"].tolist() == theirs["b"].tolist() == [1.0, 2.0]
    with minigrad.no_grad():
        ours["a"][0] = 3.0
    assert ours["b"][0].item() == 3.0


def test_unsupported_arguments_say_so(tmp_path):
    with pytest.raises(NotImplementedError, match="_use_new_zipfile_serialization"):
        minigrad.save({}, tmp_path / "a.pt", _use_new_zipfile_serialization=False)
    import json
    with pytest.raises(NotImplementedError, match="pickle module"):
        minigrad.save({}, tmp_path / "a.pt", pickle_module=json)
    minigrad.save({"w": minigrad.ones(1)}, tmp_path / "a.pt")
    with pytest.raises(NotImplementedError, match="pickle module"):
        minigrad.load(tmp_path / "a.pt", pickle_module=json)
    assert minigrad.load(tmp_path / "a.pt", pickle_module=pickle)["w"].tolist() == [1.0]   # a full load, as torch's
    with pytest.raises(TypeError, match="map_location"):
        minigrad.load(tmp_path / "a.pt", map_location=3)


from hypothesis import given, strategies as st  # noqa: E402


@st.composite
def tensor_views(draw):
    """A minigrad tensor of any dtype, possibly a view (a slice with steps, a transpose, an index)
    of a larger one, and the torch tensor made the same way."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    base = values(dtype, shape) if shape else np.array(values(dtype, (1,))[0])
    ours, theirs = minigrad.tensor(base), torch.tensor(base)
    view = draw(st.sampled_from(["none", "transpose", "step", "index"]))
    if view == "transpose" and len(shape) >= 2:
        ours, theirs = ours.transpose(0, 1), theirs.transpose(0, 1)
    elif view == "step" and shape and shape[-1] > 1:
        ours, theirs = ours[..., 1::2], theirs[..., 1::2]
    elif view == "index" and shape and shape[0] > 0:
        ours, theirs = ours[shape[0] - 1], theirs[shape[0] - 1]
    return ours, theirs


@given(tensor_views())
def test_any_tensor_view_round_trips_through_both_libraries(pair):
    ours, theirs = pair
    buffer = io.BytesIO()
    minigrad.save({"t": ours}, buffer)
    buffer.seek(0)
    assert_same(ours, torch.load(buffer)["t"])
    buffer.seek(0)
    assert_same(minigrad.load(buffer)["t"], theirs)
    buffer = io.BytesIO()
    torch.save({"t": theirs}, buffer)
    buffer.seek(0)
    assert_same(minigrad.load(buffer)["t"], theirs)
