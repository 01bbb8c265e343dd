"""The recurrent layers and nn.utils.rnn against torch, side by side.

Every comparison builds the torch module, copies its state dict into the minigrad module, feeds both
the same input (padded, unbatched or packed) and initial states, and compares the outputs, the final
states and the gradients of the input, of the initial states and of every parameter.
"""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence,
                                   pad_sequence, unpack_sequence, unpad_sequence)
from minigrad.serialization import to_torch

# torch's CPU LSTM notes that projections skip its oneDNN path; nothing to do with the comparison
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-4, atol=2e-5)}
MODES = {"RNN_TANH": ("RNN", dict(nonlinearity="tanh")), "RNN_RELU": ("RNN", dict(nonlinearity="relu")),
         "LSTM": ("LSTM", {}), "GRU": ("GRU", {})}


def _mg_dtype(dtype):
    return getattr(minigrad, np.dtype(dtype).name)


def _torch_dtype(dtype):
    return getattr(torch, np.dtype(dtype).name)


def _copy_weights(theirs, ours):
    """Load torch's state dict, as NumPy arrays, into the minigrad module."""
    ours.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy(force=True)


def _close(ours, theirs, dtype, what):
    assert tuple(ours.shape) == tuple(theirs.shape), what
    assert _np(ours).dtype == _np(theirs).dtype, what
    np.testing.assert_allclose(_np(ours), _np(theirs), err_msg=what, **TOL[dtype])


def _leaf_pair(array, dtype):
    a = np.asarray(array, dtype=dtype)
    return minigrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _states(h):
    return h if isinstance(h, tuple) else (h,)


# -- the module table: RNN, LSTM, GRU over drawn configurations -------------------------------------
@st.composite
def _configs(draw, mode):
    hidden = draw(st.integers(2, 4))
    cfg = dict(mode=mode, input_size=draw(st.integers(1, 3)), hidden_size=hidden,
               num_layers=draw(st.integers(1, 2)), bias=draw(st.booleans()), batch_first=draw(st.booleans()),
               bidirectional=draw(st.booleans()),
               proj_size=draw(st.integers(0, hidden - 1)) if mode == "LSTM" else 0,
               form=draw(st.sampled_from(["batched", "unbatched", "packed"])), with_state=draw(st.booleans()),
               dtype=draw(st.sampled_from([np.float64, np.float32])), train=draw(st.booleans()),
               steps=draw(st.integers(1, 4)), batch=draw(st.integers(1, 3)), seed=draw(st.integers(0, 2 ** 16)))
    cfg["lengths"] = draw(st.lists(st.integers(1, cfg["steps"]), min_size=cfg["batch"], max_size=cfg["batch"]))
    cfg["enforce_sorted"] = draw(st.booleans())
    if cfg["enforce_sorted"]:
        cfg["lengths"] = sorted(cfg["lengths"], reverse=True)
    return cfg


def _build_pair(cfg):
    name, extra = MODES[cfg["mode"]]
    kwargs = dict(num_layers=cfg["num_layers"], bias=cfg["bias"], batch_first=cfg["batch_first"],
                  bidirectional=cfg["bidirectional"], **extra)
    if cfg["proj_size"]:
        kwargs["proj_size"] = cfg["proj_size"]
    theirs = getattr(torch.nn, name)(cfg["input_size"], cfg["hidden_size"], dtype=_torch_dtype(cfg["dtype"]),
                                     **kwargs)
    ours = getattr(minigrad.nn, name)(cfg["input_size"], cfg["hidden_size"], dtype=_mg_dtype(cfg["dtype"]),
                                      **kwargs)
    _copy_weights(theirs, ours)
    ours.train(cfg["train"]), theirs.train(cfg["train"])
    return ours, theirs


def _compare_module(cfg):
    rng = np.random.default_rng(cfg["seed"])
    dtype = cfg["dtype"]
    ours, theirs = _build_pair(cfg)
    steps, batch = cfg["steps"], cfg["batch"]
    directions = 2 if cfg["bidirectional"] else 1
    out_size = cfg["proj_size"] or cfg["hidden_size"]
    if cfg["form"] == "unbatched":
        shape = (steps, cfg["input_size"])
    elif cfg["batch_first"] and cfg["form"] == "batched":
        shape = (batch, steps, cfg["input_size"])
    else:
        shape = (steps, batch, cfg["input_size"])
    xm, xt = _leaf_pair(rng.standard_normal(shape), dtype)
    if cfg["form"] == "packed":
        args_m = (pack_padded_sequence(xm, cfg["lengths"], enforce_sorted=cfg["enforce_sorted"]),)
        args_t = (torch.nn.utils.rnn.pack_padded_sequence(xt, cfg["lengths"], enforce_sorted=cfg["enforce_sorted"]),)
    else:
        args_m, args_t = (xm,), (xt,)
    state_leaves = []
    if cfg["with_state"]:
        lead = (cfg["num_layers"] * directions,) + (() if cfg["form"] == "unbatched" else (batch,))
        sizes = [out_size] + ([cfg["hidden_size"]] if cfg["mode"] == "LSTM" else [])
        state_leaves = [_leaf_pair(rng.standard_normal(lead + (n,)), dtype) for n in sizes]
        hm, ht = [p[0] for p in state_leaves], [p[1] for p in state_leaves]
        args_m += (tuple(hm) if cfg["mode"] == "LSTM" else hm[0],)
        args_t += (tuple(ht) if cfg["mode"] == "LSTM" else ht[0],)

    out_m, hid_m = ours(*args_m)
    out_t, hid_t = theirs(*args_t)
    if cfg["form"] == "packed":
        assert isinstance(out_m, PackedSequence)
        assert out_m.batch_sizes.tolist() == out_t.batch_sizes.tolist()
        for a, b in ((out_m.sorted_indices, out_t.sorted_indices), (out_m.unsorted_indices, out_t.unsorted_indices)):
            assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist())
        out_m, out_t = out_m.data, out_t.data
    outputs = [("output", out_m, out_t)] + [(f"h_n[{k}]", a, b) for k, (a, b) in
                                            enumerate(zip(_states(hid_m), _states(hid_t)))]
    assert len(_states(hid_m)) == len(_states(hid_t))
    loss_m, loss_t = 0, 0
    for what, a, b in outputs:
        _close(a, b, dtype, what)
        g = rng.standard_normal(tuple(b.shape)).astype(dtype)
        loss_m = loss_m + (a * minigrad.tensor(g)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_m.backward()
    loss_t.backward()
    _close(xm.grad, xt.grad, dtype, "input grad")
    for k, (sm, sn) in enumerate(state_leaves):
        _close(sm.grad, sn.grad, dtype, f"h_0[{k}] grad")
    names_m = [n for n, _ in ours.named_parameters()]
    assert names_m == [n for n, _ in theirs.named_parameters()]
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, q.grad, dtype, f"{name} grad")


@pytest.mark.parametrize("mode", list(MODES))
@given(data=st.data())
def test_module_matches_torch(mode, data):
    _compare_module(data.draw(_configs(mode)))


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("form", ["batched", "unbatched", "packed"])
def test_module_matches_torch_deep_configuration(mode, form):
    """The richest configuration of each mode, in each input form (not left to the draw)."""
    _compare_module(dict(mode=mode, input_size=3, hidden_size=4, num_layers=2, bias=True, batch_first=True,
                         bidirectional=True, proj_size=2 if mode == "LSTM" else 0, form=form, with_state=True,
                         dtype=np.float64, train=True, steps=4, batch=3, seed=7, lengths=[2, 4, 1],
                         enforce_sorted=False))


# -- cells -------------------------------------------------------------------------------------------
@given(kind=st.sampled_from(["RNNCell-tanh", "RNNCell-relu", "LSTMCell", "GRUCell"]), bias=st.booleans(),
       batched=st.booleans(), with_state=st.booleans(), dtype=st.sampled_from([np.float64, np.float32]),
       seed=st.integers(0, 2 ** 16))
def test_cell_matches_torch(kind, bias, batched, with_state, dtype, seed):
    rng = np.random.default_rng(seed)
    name, _, act = kind.partition("-")
    kwargs = dict(bias=bias, **({"nonlinearity": act} if act else {}))
    theirs = getattr(torch.nn, name)(3, 4, dtype=_torch_dtype(dtype), **kwargs)
    ours = getattr(minigrad.nn, name)(3, 4, dtype=_mg_dtype(dtype), **kwargs)
    _copy_weights(theirs, ours)
    lead = (2,) if batched else ()
    xm, xt = _leaf_pair(rng.standard_normal(lead + (3,)), dtype)
    states = [_leaf_pair(rng.standard_normal(lead + (4,)), dtype) for _ in range(2 if name == "LSTMCell" else 1)]
    args_m, args_t = (xm,), (xt,)
    if with_state:
        hm, ht = [s[0] for s in states], [s[1] for s in states]
        args_m += (tuple(hm) if name == "LSTMCell" else hm[0],)
        args_t += (tuple(ht) if name == "LSTMCell" else ht[0],)
    loss_m, loss_t = 0, 0
    for k, (a, b) in enumerate(zip(_states(ours(*args_m)), _states(theirs(*args_t)))):
        _close(a, b, dtype, f"state {k}")
        g = rng.standard_normal(tuple(b.shape)).astype(dtype)
        loss_m, loss_t = loss_m + (a * minigrad.tensor(g)).sum(), loss_t + (b * torch.tensor(g)).sum()
    loss_m.backward()
    loss_t.backward()
    _close(xm.grad, xt.grad, dtype, "input grad")
    if with_state:
        for k, (sm, st_) in enumerate(states):
            _close(sm.grad, st_.grad, dtype, f"hx[{k}] grad")
    for (name_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, q.grad, dtype, f"{name_} grad")


def test_cell_stepped_over_a_sequence_equals_the_layer():
    """An LSTMCell carrying its state over the steps computes what a one-layer LSTM does."""
    layer = minigrad.nn.LSTM(3, 4, dtype=minigrad.float64)
    cell = minigrad.nn.LSTMCell(3, 4, dtype=minigrad.float64)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    out, (h, c) = layer(x)
    state = None
    for t in range(5):
        state = cell(x[t], state)
        np.testing.assert_allclose(state[0].detach().numpy(), out[t].detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(state[1].detach().numpy(), c[0].detach().numpy(), rtol=1e-12, atol=1e-14)


# -- construction: names, shapes, initialisation, repr ----------------------------------------------
CONSTRUCTIONS = [
    ("RNN", (3, 4), {}), ("RNN", (3, 4, 2, "relu", False, True, 0.0, True), {}),
    ("LSTM", (3, 4), dict(num_layers=2, bidirectional=True, proj_size=2)),
    ("LSTM", (3, 4, 2, False), dict(proj_size=1)), ("GRU", (3, 5), dict(num_layers=3, batch_first=True)),
    ("GRU", (2, 3), dict(bias=False, bidirectional=True, dropout=0.25, num_layers=2)),
    ("RNNCell", (3, 4), dict(nonlinearity="relu", bias=False)), ("LSTMCell", (3, 4), {}), ("GRUCell", (2, 6), {}),
]


@pytest.mark.parametrize("name,args,kwargs", CONSTRUCTIONS)
def test_construction_matches_torch(name, args, kwargs):
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(minigrad.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    bound = 1 / np.sqrt(theirs.hidden_size)
    values = np.concatenate([p.detach().numpy().ravel() for p in ours.parameters()])
    assert values.dtype == np.float32
    assert np.all(np.abs(values) <= bound) and values.std() > bound / 4   # U(-bound, bound), not a constant
    if hasattr(theirs, "all_weights"):
        assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in theirs.all_weights]
    # the state dict loads into torch's module, and torch's back into ours
    theirs.load_state_dict(to_torch(ours.state_dict()))
    _copy_weights(theirs, ours)


def test_initialisation_draws_through_init_uniform(monkeypatch):
    """Every parameter is drawn by nn.init.uniform_(p, -1/sqrt(hidden), 1/sqrt(hidden)), in parameter
    order, so a torch-identical generator gives torch's initial weights."""
    calls = []
    real = minigrad.nn.init.uniform_
    def recording_uniform_(tensor, a, b):
        calls.append((tuple(tensor.shape), a, b))
        return real(tensor, a, b)
    monkeypatch.setattr(minigrad.nn.init, "uniform_", recording_uniform_)
    m = minigrad.nn.LSTM(3, 4, num_layers=2, proj_size=2)
    cell = minigrad.nn.GRUCell(3, 9)
    expected = [(tuple(p.shape), -0.5, 0.5) for p in m.parameters()] + \
               [(tuple(p.shape), -1 / 3, 1 / 3) for p in cell.parameters()]
    assert calls == expected


def test_dtype_and_device_arguments_and_to():
    m = minigrad.nn.GRU(2, 3, dtype=minigrad.float64, device="cpu")
    assert all(p.dtype == minigrad.float64 for p in m.parameters())
    m = m.float()
    assert m._flat_weights[0].dtype == minigrad.float32
    out, h = m(minigrad.zeros(4, 1, 2))
    assert out.dtype == minigrad.float32 and tuple(h.shape) == (1, 1, 3)
    m.flatten_parameters()   # accepted, as in torch


# -- dropout between layers ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(MODES))
def test_dropout_between_layers(mode):
    name, extra = MODES[mode]
    kwargs = dict(num_layers=2, dropout=0.5, bidirectional=True, **extra)
    theirs = getattr(torch.nn, name)(3, 4, dtype=torch.float64, **kwargs)
    ours = getattr(minigrad.nn, name)(3, 4, dtype=minigrad.float64, **kwargs)
    _copy_weights(theirs, ours)
    x = np.random.default_rng(1).standard_normal((6, 2, 3))
    out_train, _ = ours(minigrad.tensor(x))
    assert tuple(out_train.shape) == tuple(theirs(torch.tensor(x))[0].shape) == (6, 2, 8)
    ours.eval(), theirs.eval()
    first, _ = ours(minigrad.tensor(x))
    second, _ = ours(minigrad.tensor(x))
    np.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())   # eval is deterministic
    np.testing.assert_allclose(first.detach().numpy(), theirs(torch.tensor(x))[0].detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    assert not np.allclose(out_train.detach().numpy(), first.detach().numpy())       # train dropped something


# -- errors: torch's exception class and message --------------------------------------------------------
def _raises_like_torch(build_and_call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_and_call(torch)
    except Exception as e:  # noqa: BLE001  (the spec is whatever torch raises)
        expected = e
    else:
        pytest.fail("torch did not raise")
    with pytest.raises(type(expected)) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_and_call(minigrad)
    assert str(info.value) == str(expected)


ERRORS = {
    "nonlinearity": lambda l: l.nn.RNN(3, 4, nonlinearity="sigmoid"),
    "dropout_range": lambda l: l.nn.LSTM(3, 4, dropout=1.5),
    "dropout_bool": lambda l: l.nn.GRU(3, 4, dropout=True),
    "proj_too_big": lambda l: l.nn.LSTM(3, 4, proj_size=4),
    "proj_negative": lambda l: l.nn.LSTM(3, 4, proj_size=-1),
    "proj_gru": lambda l: l.nn.GRU(3, 4, proj_size=2),
    "proj_rnn": lambda l: l.nn.RNN(3, 4, proj_size=2),
    "hidden_zero": lambda l: l.nn.GRU(3, 0),
    "hidden_float": lambda l: l.nn.GRU(3, 4.0),
    "input_zero": lambda l: l.nn.LSTM(0, 4),
    "layers_zero": lambda l: l.nn.RNN(3, 4, num_layers=0),
    "bias_type": lambda l: l.nn.RNN(3, 4, bias=1),
    "input_4d": lambda l: l.nn.LSTM(3, 4)(l.zeros(2, 2, 2, 3)),
    "rnn_input_1d": lambda l: l.nn.RNN(3, 4)(l.zeros(3)),
    "input_size": lambda l: l.nn.GRU(3, 4)(l.zeros(2, 2, 5)),
    "input_dtype": lambda l: l.nn.RNN(3, 4)(l.zeros(2, 2, 3, dtype=l.float64)),
    "hidden_shape": lambda l: l.nn.GRU(3, 4, num_layers=2)(l.zeros(2, 5, 3), l.zeros(1, 5, 4)),
    "lstm_h_shape": lambda l: l.nn.LSTM(3, 4, proj_size=2)(l.zeros(2, 5, 3), (l.zeros(1, 5, 4), l.zeros(1, 5, 4))),
    "lstm_c_shape": lambda l: l.nn.LSTM(3, 4)(l.zeros(2, 5, 3), (l.zeros(1, 5, 4), l.zeros(1, 5, 3))),
    "lstm_hx_dims": lambda l: l.nn.LSTM(3, 4)(l.zeros(2, 5, 3), (l.zeros(1, 4), l.zeros(1, 4))),
    "lstm_unbatched_hx": lambda l: l.nn.LSTM(3, 4)(l.zeros(2, 3), (l.zeros(1, 1, 4), l.zeros(1, 1, 4))),
    "gru_unbatched_hx": lambda l: l.nn.GRU(3, 4)(l.zeros(2, 3), l.zeros(1, 1, 4)),
    "rnn_batched_hx": lambda l: l.nn.RNN(3, 4)(l.zeros(2, 1, 3), l.zeros(1, 4)),
    "empty_sequence": lambda l: l.nn.GRU(3, 4)(l.zeros(0, 2, 3)),
    "empty_sequence_and_batch": lambda l: l.nn.LSTM(3, 4, batch_first=True)(l.zeros(0, 0, 3)),
    "cell_input_3d": lambda l: l.nn.LSTMCell(3, 4)(l.zeros(1, 2, 3)),
    "cell_hidden_3d": lambda l: l.nn.GRUCell(3, 4)(l.zeros(2, 3), l.zeros(1, 2, 4)),
    "lstmcell_hx_3d": lambda l: l.nn.LSTMCell(3, 4)(l.zeros(2, 3), (l.zeros(2, 4), l.zeros(1, 2, 4))),
    "cell_input_size": lambda l: l.nn.RNNCell(3, 4)(l.zeros(2, 5)),
    "cell_batch": lambda l: l.nn.LSTMCell(3, 4)(l.zeros(2, 3), (l.zeros(3, 4), l.zeros(3, 4))),
    "cell_hidden_size": lambda l: l.nn.GRUCell(3, 4)(l.zeros(2, 3), l.zeros(2, 5)),
    "pack_unsorted": lambda l: l.nn.utils.rnn.pack_padded_sequence(l.zeros(4, 3, 2), [4, 2, 3]),
    "pack_zero_length": lambda l: l.nn.utils.rnn.pack_padded_sequence(l.zeros(4, 3, 2), [4, 2, 0],
                                                                       enforce_sorted=False),
    "pack_lengths_count": lambda l: l.nn.utils.rnn.pack_padded_sequence(l.zeros(4, 3, 2), [4, 2]),
    "pack_lengths_2d": lambda l: l.nn.utils.rnn.pack_padded_sequence(l.zeros(4, 3, 2), l.tensor([[4, 2, 1]])),
    "pad_packed_total_length": lambda l: l.nn.utils.rnn.pad_packed_sequence(
        l.nn.utils.rnn.pack_sequence([l.zeros(4, 2), l.zeros(1, 2)]), total_length=3),
    "pad_side": lambda l: l.nn.utils.rnn.pad_sequence([l.zeros(2)], padding_side="middle"),
    "pad_empty": lambda l: l.nn.utils.rnn.pad_sequence([]),
    "pad_not_iterable": lambda l: l.nn.utils.rnn.pad_sequence(3),
    "pad_trailing_shapes": lambda l: l.nn.utils.rnn.pad_sequence([l.zeros(2, 2), l.zeros(3, 3)]),
    "pad_trailing_missing": lambda l: l.nn.utils.rnn.pad_sequence([l.zeros(2, 2), l.zeros(3)]),
    "pad_trailing_extra": lambda l: l.nn.utils.rnn.pad_sequence([l.zeros(2), l.zeros(3, 2)]),
    "pad_trailing_not_broadcast": lambda l: l.nn.utils.rnn.pad_sequence([l.zeros(2, 1), l.zeros(3, 2)]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_match_torch(case):
    _raises_like_torch(ERRORS[case])


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        minigrad.nn.LSTM(3, 4, dropout=0.5)


def test_lengths_longer_than_the_padding_raise():
    """torch packs past the end of the input here (reading memory it does not own); minigrad raises."""
    with pytest.raises(RuntimeError, match="must not exceed"):
        pack_padded_sequence(minigrad.zeros(4, 3, 2), [5, 2, 1])


# -- nn.utils.rnn ---------------------------------------------------------------------------------------
def test_utils_rnn_is_importable_as_in_torch():
    import minigrad.nn.utils.rnn as rnn_utils
    assert minigrad.nn.utils.rnn is rnn_utils and rnn_utils.pad_sequence is pad_sequence
    assert PackedSequence._fields == torch.nn.utils.rnn.PackedSequence._fields


@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=4), trailing=st.sampled_from([(), (2,), (2, 1)]),
       batch_first=st.booleans(), padding_value=st.sampled_from([0.0, -1.5]),
       padding_side=st.sampled_from(["right", "left"]), seed=st.integers(0, 2 ** 16))
def test_pad_sequence_matches_torch(lengths, trailing, batch_first, padding_value, padding_side, seed):
    rng = np.random.default_rng(seed)
    pairs = [_leaf_pair(rng.standard_normal((n,) + trailing), np.float64) for n in lengths]
    kwargs = dict(batch_first=batch_first, padding_value=padding_value, padding_side=padding_side)
    ours = pad_sequence([m for m, _ in pairs], **kwargs)
    theirs = torch.nn.utils.rnn.pad_sequence([t for _, t in pairs], **kwargs)
    _close(ours, theirs, np.float64, "padded")
    g = rng.standard_normal(tuple(theirs.shape))
    (ours * minigrad.tensor(g)).sum().backward()
    (theirs * torch.tensor(g)).sum().backward()
    for k, (m, t) in enumerate(pairs):
        _close(m.grad, t.grad, np.float64, f"grad of sequence {k}")


def test_pad_sequence_broadcasts_into_the_first_sequences_shape():
    """Each sequence is copied into its slot as copy_ copies: a size-1 trailing dim is broadcast."""
    source_m, source_t = _leaf_pair([[2.0], [3.0], [4.0]], np.float32)
    ours = pad_sequence([minigrad.ones(2, 2), source_m])
    theirs = torch.nn.utils.rnn.pad_sequence([torch.ones(2, 2), source_t])
    _close(ours, theirs, np.float32, "padded")
    g = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    (ours * minigrad.tensor(g)).sum().backward()
    (theirs * torch.tensor(g)).sum().backward()
    _close(source_m.grad, source_t.grad, np.float32, "grad summed over the broadcast")


def test_pad_sequence_keeps_the_first_dtype():
    ours = pad_sequence([minigrad.ones(2, dtype=minigrad.float32), minigrad.ones(3, dtype=minigrad.float64)])
    theirs = torch.nn.utils.rnn.pad_sequence([torch.ones(2, dtype=torch.float32), torch.ones(3, dtype=torch.float64)])
    _close(ours, theirs, np.float32, "padded")


@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=5), batch_first=st.booleans(),
       enforce_sorted=st.booleans(), as_tensor=st.booleans(), total_extra=st.sampled_from([None, 0, 2]),
       padding_value=st.sampled_from([0.0, 7.0]), seed=st.integers(0, 2 ** 16))
def test_pack_and_pad_packed_match_torch(lengths, batch_first, enforce_sorted, as_tensor, total_extra, padding_value,
                                         seed):
    rng = np.random.default_rng(seed)
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    steps = max(lengths) + 1   # one step of padding past the longest
    shape = (len(lengths), steps, 2) if batch_first else (steps, len(lengths), 2)
    xm, xt = _leaf_pair(rng.standard_normal(shape), np.float64)
    lengths_m = minigrad.tensor(lengths) if as_tensor else lengths
    lengths_t = torch.tensor(lengths) if as_tensor else lengths
    pm = pack_padded_sequence(xm, lengths_m, batch_first=batch_first, enforce_sorted=enforce_sorted)
    pt = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths_t, batch_first=batch_first, enforce_sorted=enforce_sorted)
    _close(pm.data, pt.data, np.float64, "packed data")
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        a, b = getattr(pm, field), getattr(pt, field)
        assert (a is None) == (b is None), field
        if a is not None:
            assert a.tolist() == b.tolist() and a.dtype == minigrad.int64, field
    total = None if total_extra is None else max(lengths) + total_extra
    padded_m, len_m = pad_packed_sequence(pm, batch_first=batch_first, padding_value=padding_value,
                                          total_length=total)
    padded_t, len_t = torch.nn.utils.rnn.pad_packed_sequence(pt, batch_first=batch_first,
                                                             padding_value=padding_value, total_length=total)
    _close(padded_m, padded_t, np.float64, "padded")
    assert len_m.tolist() == len_t.tolist() and len_m.dtype == minigrad.int64
    g = rng.standard_normal(tuple(padded_t.shape))
    (padded_m * minigrad.tensor(g)).sum().backward()
    (padded_t * torch.tensor(g)).sum().backward()
    _close(xm.grad, xt.grad, np.float64, "grad through pack and pad")


def test_pack_sequence_unpack_and_unpad_match_torch():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    pm = pack_sequence([minigrad.tensor(a) for a in arrays], enforce_sorted=False)
    pt = torch.nn.utils.rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    _close(pm.data, pt.data, np.float64, "packed")
    assert pm.batch_sizes.tolist() == pt.batch_sizes.tolist()
    unpacked_m, unpacked_t = unpack_sequence(pm), torch.nn.utils.rnn.unpack_sequence(pt)
    assert len(unpacked_m) == len(unpacked_t) == 3
    for a, b in zip(unpacked_m, unpacked_t):
        _close(a, b, np.float64, "unpacked")
    padded = np.zeros((3, 4, 2))
    for a, b in zip(unpad_sequence(minigrad.tensor(padded), minigrad.tensor([2, 4, 1]), batch_first=True),
                    torch.nn.utils.rnn.unpad_sequence(torch.tensor(padded), torch.tensor([2, 4, 1]), batch_first=True)):
        _close(a, b, np.float64, "unpadded")
    sorted_m = pack_sequence([minigrad.tensor(a) for a in sorted(arrays, key=len, reverse=True)])
    assert sorted_m.sorted_indices is None and sorted_m.unsorted_indices is None


def test_packed_sequence_conversions():
    p = pack_sequence([minigrad.ones(3, 2), minigrad.ones(1, 2)], enforce_sorted=False)
    q = p.double()
    assert isinstance(q, PackedSequence) and q.data.dtype == minigrad.float64
    assert q.batch_sizes is p.batch_sizes and q.sorted_indices.tolist() == p.sorted_indices.tolist()
    assert p.to(minigrad.float32) is p and not p.is_cuda
    data, batch_sizes, sorted_indices, unsorted_indices = p   # a namedtuple, as torch's
    assert PackedSequence(data, batch_sizes, sorted_indices).unsorted_indices.tolist() == unsorted_indices.tolist()


# -- end to end: a character-level LSTM language model trained in both libraries ----------------------
def _char_model(lib, vocab):
    class CharLM(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(vocab, 8)
            self.lstm = lib.nn.LSTM(8, 16, num_layers=2, batch_first=True)
            self.head = lib.nn.Linear(16, vocab)

        def forward(self, x, state=None):
            out, state = self.lstm(self.embed(x), state)
            return self.head(out), state
    return CharLM()


def test_char_lstm_language_model_trains_like_torch():
    text = "the quick brown fox jumps over the lazy dog. " * 4
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    rng = np.random.default_rng(0)
    theirs = _char_model(torch, len(chars))
    ours = _char_model(minigrad, len(chars))
    _copy_weights(theirs, ours)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.5)
    opt_m = minigrad.optim.SGD(ours.parameters(), lr=0.5)
    losses_t, losses_m = [], []
    states = {torch: None, minigrad: None}
    for _ in range(5):
        starts = rng.integers(0, len(ids) - 13, size=4)
        batch = np.stack([ids[s:s + 13] for s in starts])
        for lib, model, opt, losses in ((torch, theirs, opt_t, losses_t), (minigrad, ours, opt_m, losses_m)):
            x, y = lib.tensor(batch[:, :-1]), lib.tensor(batch[:, 1:])
            # from the second step on, the state is carried over, detached (truncated BPTT, as the
            # word language model example does)
            logits, state = model(x, states[lib])
            states[lib] = tuple(h.detach() for h in state)
            loss = lib.nn.functional.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(losses_m, losses_t, rtol=1e-5, atol=1e-5)
    assert losses_t[-1] < losses_t[0]   # it did learn, so the comparison covered real updates


@pytest.mark.parametrize("mode", list(MODES))
def test_empty_batch_gives_torch_shapes(mode):
    name, extra = MODES[mode]
    results = []
    for lib in (torch, minigrad):
        out, hidden = getattr(lib.nn, name)(3, 4, bidirectional=True, **extra)(lib.zeros(2, 0, 3))
        results.append([tuple(out.shape)] + [tuple(h.shape) for h in _states(hidden)])
    assert results[0] == results[1]


# -- the fused LSTM and GRU layers (ops/rnn.py): one node per layer and direction --------------------
@st.composite
def _fused_configs(draw, mode):
    """LSTMs and GRUs that run fused: no projection, sequences of one length (padded, unbatched or packed)."""
    lengths_equal = draw(st.booleans())
    cfg = dict(mode=mode, input_size=draw(st.integers(1, 4)), hidden_size=draw(st.integers(1, 5)),
               num_layers=draw(st.integers(1, 3)), bias=draw(st.booleans()), batch_first=draw(st.booleans()),
               bidirectional=draw(st.booleans()), proj_size=0,
               form=draw(st.sampled_from(["batched", "unbatched", "packed"])), with_state=draw(st.booleans()),
               dtype=draw(st.sampled_from([np.float64, np.float32])), train=False,
               steps=draw(st.integers(1, 6)), batch=draw(st.integers(1, 4)), seed=draw(st.integers(0, 2 ** 16)),
               enforce_sorted=True)
    cfg["lengths"] = [cfg["steps"]] * cfg["batch"] if lengths_equal else \
        sorted(draw(st.lists(st.integers(1, cfg["steps"]), min_size=cfg["batch"], max_size=cfg["batch"])),
               reverse=True)
    return cfg


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@given(data=st.data())
def test_fused_layers_match_torch(mode, data):
    """Outputs, final states and every gradient, float32 and float64 (packed sequences of unequal
    lengths take the composed path: the comparison covers the choice between the two)."""
    _compare_module(data.draw(_fused_configs(mode)))


def _layer_inputs(mode, seed, steps=3, batch=2, inputs=3, hidden=2, bias=True):
    """Random float64 leaves for ops.rnn's lstm_layer (x, h0, c0, weights) or gru_layer (x, h0, weights)."""
    rng = np.random.default_rng(seed)
    gates = 4 if mode == "LSTM" else 3
    shapes = [(steps, batch, inputs)] + [(batch, hidden)] * (2 if mode == "LSTM" else 1)
    shapes += [(gates * hidden, inputs), (gates * hidden, hidden)] + ([(gates * hidden,)] * 2 if bias else [])
    return [minigrad.tensor(rng.standard_normal(s) * 0.7, requires_grad=True) for s in shapes] + \
        ([] if bias else [None, None])


def _layer(mode, reverse):
    from minigrad.ops.rnn import gru_layer, lstm_layer
    layer = lstm_layer if mode == "LSTM" else gru_layer
    return lambda *args: layer(*args, reverse=reverse)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_layer_gradcheck(mode, reverse, bias):
    assert minigrad.autograd.gradcheck(_layer(mode, reverse), tuple(_layer_inputs(mode, 1, bias=bias)))


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_layer_gradgradcheck(mode, reverse):
    """Under create_graph the backward is recorded with minigrad ops: second derivatives are right."""
    assert minigrad.autograd.gradgradcheck(_layer(mode, reverse), tuple(_layer_inputs(mode, 2, steps=2, inputs=2)))


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_second_derivative_matches_torch(mode, dtype):
    """d/dW of |d(loss)/dx|^2 through a two-layer bidirectional LSTM or GRU, as torch computes it."""
    cfg = dict(mode=mode, input_size=3, hidden_size=4, num_layers=2, bias=True, batch_first=False,
               bidirectional=True, proj_size=0, dtype=dtype, train=False)
    ours, theirs = _build_pair(cfg)
    x = np.random.default_rng(3).standard_normal((4, 2, 3))
    xm, xt = _leaf_pair(x, dtype)
    results = []
    for lib, model, xs in ((minigrad, ours, xm), (torch, theirs, xt)):
        out, hidden = model(xs)
        gx, = lib.autograd.grad((out * out).sum() + sum(h.sum() for h in _states(hidden)), xs, create_graph=True)
        results.append(lib.autograd.grad((gx * gx).sum(), [model.weight_hh_l0, model.weight_ih_l1_reverse]))
    for a, b in zip(*results):
        _close(a, b, dtype, "second derivative")


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{}, dict(num_layers=2), dict(batch_first=True), dict(bidirectional=True)])
def test_fused_node_names_match_torch(mode, dtype, kwargs):
    """torch's CPU float32 LSTM output comes from MkldnnRnnLayerBackward0, float64's and the GRU's
    from a stack."""
    names = []
    for lib in (torch, minigrad):
        model = getattr(lib.nn, mode)(3, 4, dtype=getattr(lib, np.dtype(dtype).name), **kwargs)
        x = lib.zeros(2, 5, 3, dtype=getattr(lib, np.dtype(dtype).name), requires_grad=True)
        out, hidden = model(x)
        names.append([out.grad_fn.name()] + [h.grad_fn.name() for h in _states(hidden)])
    assert names[0] == names[1]


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_fused_layer_refuses_a_weight_changed_in_place_before_backward(mode):
    results = []
    for lib in (torch, minigrad):
        model = getattr(lib.nn, mode)(3, 4)
        out, _ = model(lib.ones(2, 1, 3))
        with lib.no_grad():
            model.weight_hh_l0.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
            out.sum().backward()
        results.append(info.type)
    assert results[0] is results[1]


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_saturated_gates_match_torch(mode, dtype):
    """Pre-activations far past where exp overflows: gates of exactly 0 and 1, finite gradients."""
    cfg = dict(mode=mode, input_size=3, hidden_size=4, num_layers=1, bias=True, batch_first=False,
               bidirectional=True, proj_size=0, dtype=dtype, train=False)
    ours, theirs = _build_pair(cfg)
    x = np.random.default_rng(5).standard_normal((3, 2, 3)) * 1e4
    xm, xt = _leaf_pair(x, dtype)
    (om, hid_m), (ot, hid_t) = ours(xm), theirs(xt)
    for k, (a, b) in enumerate(zip((om,) + _states(hid_m), (ot,) + _states(hid_t))):
        _close(a, b, dtype, f"output {k}")
    (om.sum() + _states(hid_m)[-1].sum()).backward()
    (ot.sum() + _states(hid_t)[-1].sum()).backward()
    assert np.isfinite(_np(xm.grad)).all()
    _close(xm.grad, xt.grad, dtype, "input grad")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, q.grad, dtype, f"{name} grad")


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_states_of_another_dtype_raise_as_torch(mode):
    for lib in (torch, minigrad):
        model = getattr(lib.nn, mode)(3, 4)
        h = lib.zeros(1, 1, 4, dtype=lib.float64)
        with pytest.raises(RuntimeError):
            model(lib.zeros(2, 1, 3), (h, h) if mode == "LSTM" else h)
