"""minigrad.load(f) with the default weights_only=True is a security boundary: a malicious
checkpoint must fail to load without running anything.

Every payload below would create a canary file if any part of it ran; each test loads it with
minigrad (and with torch, whose weights-only loader refuses the same files with the same exception
class) and then checks that the canary does not exist. The payloads are hand-assembled pickles in
torch's zip container, so they reach the unpickler exactly as a downloaded checkpoint would.
"""
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import minigrad
from minigrad.serialization import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals


# -- assembling pickles by hand ----------------------------------------------------------------------

def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def text(s):
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def integer(n):
    return b"J" + struct.pack("<i", n)


PROTO, MARK, TUPLE, TUPLE1, TUPLE2, REDUCE, STOP = b"\x80\x02", b"(", b"t", b"\x85", b"\x86", b"R", b"."
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, SETITEM, APPEND, BUILD = b"}", b"]", b")", b"s", b"a", b"b"
NEWOBJ, BINPERSID, NONE, FALSE = b"\x81", b"Q", b"N", b"\x89"


def checkpoint(path, data_pkl, storages=None):
    """A zip laid out as torch.save writes it, holding ``data_pkl`` and the given storage records."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/.format_version", "1")
        zf.writestr("archive/byteorder", sys.byteorder)
        for key, raw in (storages or {}).items():
            zf.writestr(f"archive/data/{key}", raw)
        zf.writestr("archive/version", "3\n")
    return path


def float_storage(key, numel):
    """The persistent id of a float32 storage, as torch writes it."""
    return MARK + text("storage") + glob("torch", "FloatStorage") + text(key) + text("cpu") + integer(numel) + TUPLE


def tensor_record(storage_pid, offset, size, stride, requires_grad=FALSE):
    def ints(values):
        return MARK + b"".join(integer(v) for v in values) + TUPLE
    return (glob("torch._utils", "_rebuild_tensor_v2") + MARK + storage_pid + BINPERSID + integer(offset)
            + ints(size) + ints(stride) + requires_grad + glob("collections", "OrderedDict") + EMPTY_TUPLE
            + REDUCE + TUPLE + REDUCE)


@pytest.fixture
def canary(tmp_path):
    path = tmp_path / "canary"
    yield path
    assert not path.exists(), "the payload ran"


def shell(canary):
    return f"touch {canary}"


def python(canary):
    return f"open({str(canary)!r}, 'w').close()"


def refused_by_both(path, match=None):
    """minigrad and torch both refuse ``path`` with pickle.UnpicklingError; returns minigrad's message."""
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    with pytest.raises(pickle.UnpicklingError, match=match) as error:
        minigrad.load(path)
    return str(error.value)


# -- the payloads --------------------------------------------------------------------------------

class ReduceTo:
    """An object whose pickle calls ``func(*args)`` on load: what a malicious __reduce__ writes."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def payloads(canary):
    """``{name: pickle bytes}``: each one creates the canary if anything in it runs."""
    p = {
        "os.system via __reduce__": pickle.dumps(ReduceTo(os.system, shell(canary)), protocol=2),
        "posix.system": PROTO + glob("posix", "system") + text(shell(canary)) + TUPLE1 + REDUCE + STOP,
        "nt.system": PROTO + glob("nt", "system") + text(shell(canary)) + TUPLE1 + REDUCE + STOP,
        "eval": pickle.dumps(ReduceTo(eval, python(canary)), protocol=2),
        "exec": pickle.dumps(ReduceTo(exec, python(canary)), protocol=2),
        "subprocess.Popen": pickle.dumps(ReduceTo(subprocess.Popen, ["touch", str(canary)]), protocol=2),
        "subprocess.call under __builtin__ compat names": PROTO + glob("subprocess", "call") + MARK
        + text("touch") + text(str(canary)) + b"l" + TUPLE1 + REDUCE + STOP,
        # getattr(__import__("os"), "system")(cmd): a call chain that reaches os without naming it.
        "builtins.getattr chain": PROTO + glob("builtins", "getattr") + glob("builtins", "__import__")
        + text("os") + TUPLE1 + REDUCE + text("system") + TUPLE2 + REDUCE + text(shell(canary)) + TUPLE1
        + REDUCE + STOP,
        "__builtin__.getattr (Python 2 name)": PROTO + glob("__builtin__", "getattr") + glob("os", "path")
        + text("exists") + TUPLE2 + REDUCE + STOP,
        # A global several containers deep, after legitimate data.
        "nested global": PROTO + EMPTY_DICT + text("model") + EMPTY_DICT + text("layers") + EMPTY_LIST
        + glob("builtins", "eval") + text(python(canary)) + TUPLE1 + REDUCE + APPEND + SETITEM + SETITEM + STOP,
        "global inside a tensor record": PROTO + glob("torch._utils", "_rebuild_tensor_v2") + MARK
        + float_storage("0", 2) + BINPERSID + integer(0) + MARK + integer(2) + TUPLE + MARK + integer(1) + TUPLE
        + glob("os", "system") + text(shell(canary)) + TUPLE1 + REDUCE
        + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE + STOP,
        "global as a storage type": PROTO + MARK + text("storage") + glob("os", "system") + text("0") + text("cpu")
        + integer(2) + TUPLE + BINPERSID + STOP,
        "rebuild_from_type_v2 calling eval": PROTO + glob("torch._tensor", "_rebuild_from_type_v2")
        + glob("builtins", "eval") + glob("torch", "Tensor") + MARK + text(python(canary)) + TUPLE
        + EMPTY_DICT + MARK + TUPLE + REDUCE + STOP,
        # INST / OBJ build objects by calling a class (or any callable) in protocols 0 and 1.
        "INST os.system": b"(" + text(shell(canary)) + b"ios\nsystem\n" + STOP,
        "OBJ on os.system": PROTO + MARK + glob("os", "system") + text(shell(canary)) + b"o" + STOP,
        # (NEWOBJ calls cls.__new__ only: refused here before that, whatever the class)
        "NEWOBJ on subprocess.Popen": PROTO + glob("subprocess", "Popen") + MARK + EMPTY_LIST + text("touch")
        + APPEND + text(str(canary)) + APPEND + TUPLE + NEWOBJ + STOP,
        # Protocol 4's STACK_GLOBAL names the global with strings from the stack.
        "STACK_GLOBAL os.system": b"\x80\x04" + text("os") + text("system") + b"\x93" + text(shell(canary))
        + TUPLE1 + REDUCE + STOP,
        # EXT1 looks its global up in copyreg's extension registry.
        "EXT1": PROTO + b"\x82\x01" + text(shell(canary)) + TUPLE1 + REDUCE + STOP,
        "persistent id naming a module": PROTO + MARK + text("module") + text("os") + text("system")
        + text("cpu") + integer(0) + TUPLE + BINPERSID + STOP,
        "text PERSID": b"Pos.system\n" + STOP,
        "BUILD calling __setstate__ of a set": PROTO + glob("builtins", "set") + EMPTY_LIST + TUPLE1 + REDUCE
        + EMPTY_DICT + BUILD + STOP,
        "_codecs.encode with another codec": PROTO + glob("_codecs", "encode") + text("x") + text("rot13")
        + TUPLE2 + REDUCE + STOP,
        "torch.load inside the file": PROTO + glob("torch", "load") + text("other.pt") + TUPLE1 + REDUCE + STOP,
        "minigrad.load inside the file": PROTO + glob("minigrad.serialization", "load") + text("other.pt")
        + TUPLE1 + REDUCE + STOP,
        "numpy.load": PROTO + glob("numpy", "load") + text("x.npy") + TUPLE1 + REDUCE + STOP,
    }
    return p


PAYLOAD_NAMES = list(payloads("c"))
# Harmless in torch too, but refused by minigrad: BUILD on the default-allowed builtins (torch lets
# an empty state through), and _codecs.encode with any codec but latin-1 (the only one pickle uses).
STRICTER_THAN_TORCH = {"BUILD calling __setstate__ of a set", "_codecs.encode with another codec"}


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_no_payload_runs_and_each_is_refused(tmp_path, canary, name):
    data_pkl = payloads(canary)[name]
    path = checkpoint(tmp_path / "evil.pt", data_pkl, {"0": np.zeros(2, np.float32).tobytes()})
    with pytest.raises(pickle.UnpicklingError) as error:
        minigrad.load(path)
    assert "weights_only" in str(error.value)
    try:   # torch's weights-only loader refuses them too (its message differs in detail)
        torch.load(path)
    except Exception as exc:
        assert isinstance(exc, (pickle.UnpicklingError, RuntimeError)), exc
    else:
        assert name in STRICTER_THAN_TORCH, "torch loaded the payload"
    # and the same bytes as a file object, and as an .npz name (the format is read from the content)
    with pytest.raises(pickle.UnpicklingError):
        minigrad.load(io.BytesIO(path.read_bytes()))
    os.replace(path, tmp_path / "evil.npz")
    with pytest.raises(pickle.UnpicklingError):
        minigrad.load(tmp_path / "evil.npz")


@pytest.mark.parametrize("name", ["os.system via __reduce__", "posix.system", "eval", "exec", "subprocess.Popen",
                                  "builtins.getattr chain", "nested global", "global inside a tensor record",
                                  "INST os.system", "OBJ on os.system", "STACK_GLOBAL os.system"])
def test_the_payloads_are_live(tmp_path, name):
    """Loaded by plain pickle, each payload does create its canary: the tests above can fail."""
    live = tmp_path / "live"
    unpickler = pickle.Unpickler(io.BytesIO(payloads(live)[name]))
    unpickler.persistent_load = lambda pid: None
    try:
        unpickler.load()
    except Exception:
        pass   # the payload ran; what it returned may not fit the rest of the pickle
    for _ in range(100):   # Popen runs touch in a child process
        if live.exists():
            break
        import time
        time.sleep(0.05)
    assert live.exists()


def test_the_refusal_names_the_global_and_both_ways_to_load_it(tmp_path, canary):
    path = checkpoint(tmp_path / "evil.pt", payloads(canary)["os.system via __reduce__"])
    message = refused_by_both(path)
    assert "posix.system" in message and "blocked" in message   # os.system pickles as posix.system
    path = checkpoint(tmp_path / "evil2.pt", payloads(canary)["subprocess.Popen"])
    message = refused_by_both(path)
    assert "GLOBAL subprocess.Popen was not an allowed global by default" in message
    assert "minigrad.serialization.add_safe_globals([subprocess.Popen])" in message
    assert "minigrad.serialization.safe_globals([subprocess.Popen])" in message
    assert "`weights_only` set to `False`" in message
    message = refused_by_both(checkpoint(tmp_path / "evil3.pt", payloads(canary)["eval"]))
    assert "GLOBAL eval was not an allowed global" in message   # builtins. dropped, as torch shows it


def test_weights_only_false_is_the_explicit_opt_in_that_runs_code(tmp_path):
    """As torch.load(weights_only=False): the file's callables run. Shown with a harmless one."""
    marker = tmp_path / "ran"
    path = checkpoint(tmp_path / "f.pt", pickle.dumps(ReduceTo(marker.touch), protocol=2))
    minigrad.load(path, weights_only=False)
    assert marker.exists()
    marker.unlink()
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_a_tensor_record_cannot_read_outside_its_storage(tmp_path):
    storage = {"0": np.arange(4, dtype=np.float32).tobytes()}
    for offset, size, stride in [(0, [5], [1]), (3, [2], [1]), (0, [2, 2], [3, 1]), (0, [2], [-1])]:
        path = checkpoint(tmp_path / "oob.pt", PROTO + tensor_record(float_storage("0", 4), offset, size, stride)
                          + STOP, storage)
        with pytest.raises((RuntimeError, pickle.UnpicklingError)):
            minigrad.load(path)
        with pytest.raises((RuntimeError, pickle.UnpicklingError)):
            torch.load(path)
    ok = checkpoint(tmp_path / "ok.pt", PROTO + tensor_record(float_storage("0", 4), 1, [3], [1]) + STOP, storage)
    assert minigrad.load(ok).tolist() == torch.load(ok).tolist() == [1.0, 2.0, 3.0]


def test_storage_records_must_match_their_data(tmp_path):
    pkl = PROTO + tensor_record(float_storage("0", 4), 0, [4], [1]) + STOP
    short = checkpoint(tmp_path / "short.pt", pkl, {"0": np.zeros(2, np.float32).tobytes()})
    with pytest.raises(RuntimeError, match="holds 8 bytes"):
        minigrad.load(short)
    missing = checkpoint(tmp_path / "missing.pt", PROTO + tensor_record(float_storage("../../etc/passwd", 4), 0,
                                                                          [4], [1]) + STOP)
    with pytest.raises(RuntimeError, match="no record"):
        minigrad.load(missing)


def test_a_parameter_record_may_not_replace_minigrads_internals(tmp_path):
    record = tensor_record(float_storage("0", 2), 0, [2], [1])
    state = EMPTY_DICT + text("_data") + NONE + SETITEM
    pkl = (PROTO + glob("torch._utils", "_rebuild_parameter_with_state") + MARK + record + FALSE
           + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + state + TUPLE + REDUCE + STOP)
    path = checkpoint(tmp_path / "p.pt", pkl, {"0": np.ones(2, np.float32).tobytes()})
    with pytest.raises(pickle.UnpicklingError, match="may not set the attribute '_data'"):
        minigrad.load(path)
    public = pkl.replace(text("_data"), text("note"))
    path = checkpoint(tmp_path / "q.pt", public, {"0": np.ones(2, np.float32).tobytes()})
    ours, theirs = minigrad.load(path), torch.load(path)
    assert ours.note is None and theirs.note is None and ours.tolist() == theirs.tolist() == [1.0, 1.0]


def test_damaged_pickles_raise_unpickling_error(tmp_path):
    for data in [b"", PROTO, PROTO + TUPLE1 + STOP, PROTO + b"h\x05" + STOP, PROTO + SETITEM + STOP,
                 PROTO + EMPTY_LIST + integer(1) + SETITEM + STOP, PROTO + EMPTY_DICT + integer(1) + APPEND + STOP]:
        with pytest.raises(pickle.UnpicklingError):
            minigrad.load(checkpoint(tmp_path / "d.pt", data))


class Point:
    def __init__(self, x):
        self.x = x


def make_point(x):
    return Point(x)


def test_safe_globals_allow_a_class_only_while_they_are_in_force(tmp_path):
    clear_safe_globals()
    path = tmp_path / "point.pt"
    minigrad.save({"p": Point(3), "t": minigrad.ones(2)}, path)
    torch_path = tmp_path / "point_torch.pt"
    torch.save({"p": Point(3), "t": torch.ones(2)}, torch_path)
    for p in (path, torch_path):
        with pytest.raises(pickle.UnpicklingError, match="Point"):
            minigrad.load(p)
        with safe_globals([Point]):
            assert minigrad.load(p)["p"].x == 3
        with pytest.raises(pickle.UnpicklingError):
            minigrad.load(p)
    with torch.serialization.safe_globals([Point]):
        assert torch.load(path)["p"].x == 3   # torch reads minigrad's file the same way
    add_safe_globals([Point])
    try:
        assert Point in get_safe_globals()
        assert minigrad.load(path)["p"].x == 3
    finally:
        clear_safe_globals()
    assert get_safe_globals() == []
    # (obj, "name") pairs allow an object pickled under another name
    pkl = PROTO + glob("some.old.module", "make_point") + integer(7) + TUPLE1 + REDUCE + STOP
    old = checkpoint(tmp_path / "old.pt", pkl)
    with safe_globals([(make_point, "some.old.module.make_point")]):
        assert minigrad.load(old).x == 7
    with pytest.raises(pickle.UnpicklingError):
        minigrad.load(old)


def test_safe_globals_keeps_what_was_allowed_before(tmp_path):
    clear_safe_globals()
    add_safe_globals([Point])
    try:
        with safe_globals([Point, make_point]):
            pass
        assert get_safe_globals() == [Point]
    finally:
        clear_safe_globals()


def test_allowlisted_class_cannot_smuggle_a_disallowed_callable(tmp_path, canary):
    """Allowing one class allows that class, not what its pickle names inside."""
    pkl = (PROTO + glob(__name__, "Point") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + text("x")
           + glob("os", "system") + text(shell(canary)) + TUPLE1 + REDUCE + SETITEM + BUILD + STOP)
    path = checkpoint(tmp_path / "p.pt", pkl)
    with safe_globals([Point]):
        with pytest.raises(pickle.UnpicklingError, match="os.system"):
            minigrad.load(path)
        with pytest.raises(pickle.UnpicklingError):
            torch.load(path)


def test_whole_module_needs_the_opt_in(tmp_path):
    model = minigrad.nn.Sequential(minigrad.nn.Linear(2, 3), minigrad.nn.ReLU())
    path = tmp_path / "model.pt"
    minigrad.save(model, path)
    with pytest.raises(pickle.UnpicklingError, match="Sequential"):
        minigrad.load(path)
    loaded = minigrad.load(path, weights_only=False)
    x = minigrad.randn(4, 2)
    np.testing.assert_array_equal(loaded(x).numpy(force=True), model(x).numpy(force=True))


def test_npz_checkpoints_never_unpickle(tmp_path, canary):
    """The .npz format holds no pickle at all: an object array inside is refused, not loaded."""
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([ReduceTo(os.system, shell(canary))], dtype=object))
    for weights_only in (True, False):
        with pytest.raises(RuntimeError, match="pickled objects"):
            minigrad.load(path, weights_only=weights_only)


def test_ordered_dict_build_state_stays_data(tmp_path):
    pkl = (PROTO + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + EMPTY_DICT
           + text("_metadata") + EMPTY_DICT + SETITEM + BUILD + STOP)
    path = checkpoint(tmp_path / "od.pt", pkl)
    ours, theirs = minigrad.load(path), torch.load(path)
    assert type(ours) is type(theirs) is OrderedDict and ours._metadata == theirs._metadata == {}


def test_mutated_checkpoints_fail_only_with_the_loaders_errors(tmp_path):
    """Byte flips, cuts and splices of a real checkpoint's pickle load or raise UnpicklingError
    (or RuntimeError for a record that does not fit its storage): no other exception escapes."""
    obj = {"w": minigrad.arange(6.0).reshape(2, 3), "p": minigrad.nn.Parameter(minigrad.ones(2)),
           "od": OrderedDict(a=[1, 2.5, "s", None, True]), "dt": minigrad.int64, "size": minigrad.Size([2]),
           "bytes": b"ab", "set": {1}, "c": 1j, "big": 2 ** 80}
    buffer = io.BytesIO()
    minigrad.save(obj, buffer)
    with zipfile.ZipFile(buffer) as zf:
        prefix = zf.namelist()[0].split("/")[0] + "/"
        records = {n[len(prefix):]: zf.read(n) for n in zf.namelist()}
    original = records["data.pkl"]
    rng = np.random.default_rng(0)
    outcomes = set()
    for trial in range(300):
        data = bytearray(original)
        kind = trial % 3
        if kind == 0:      # flip a few bytes
            for i in rng.integers(0, len(data), size=rng.integers(1, 4)):
                data[i] = rng.integers(0, 256)
        elif kind == 1:    # cut the pickle short
            data = data[: rng.integers(0, len(data))]
        else:              # splice a stretch of the pickle elsewhere
            a, b = sorted(rng.integers(0, len(data), size=2))
            at = rng.integers(0, len(data))
            data = data[:at] + data[a:b] + data[at:]
        path = checkpoint(tmp_path / "m.pt", bytes(data), {k[5:]: v for k, v in records.items()
                                                          if k.startswith("data/")})
        try:
            minigrad.load(path)
            outcomes.add("loaded")
        except (pickle.UnpicklingError, RuntimeError) as exc:
            outcomes.add(type(exc).__name__)
    assert outcomes >= {"loaded", "UnpicklingError"}
