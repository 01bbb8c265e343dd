"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, as torch.nn.

An LSTM or GRU over sequences of one length (without projections) runs each layer and direction as
one fused node with its own backward through time (ops/rnn.py). Every other case is composed from
differentiable ops (linear, sigmoid, tanh, relu, split, cat), so the backward pass through time
comes from autograd. One mechanism runs those cases: the input is held in
torch's *packed* layout, the time steps' rows stacked one after another (``data`` of shape
(sum of batch_sizes, features)) with ``batch_sizes[t]`` sequences still running at step t. A padded
(T, B, F) input is the special case ``batch_sizes = [B] * T``, so padded and PackedSequence inputs,
forward and reverse directions, share one loop.

Gate layouts follow torch (and so its state dicts): LSTM rows are (input, forget, cell, output),
GRU rows are (reset, update, new) with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ... import creation
from ...ops import cat, split, stack
from ...ops._util import overload
from ...ops.rnn import can_fuse, gru_layer, lstm_layer
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# -- one time step of each kind of cell --------------------------------------------------------------
# ``x_proj`` is the input's contribution W_ih x + b_ih (computed for all steps at once by the
# caller); ``state`` is (h,) or, for the LSTM, (h, c); ``w`` holds w_hh, b_hh and, for a projected
# LSTM, w_hr. Each returns the new state tuple.

def _rnn_step(activation):
    def step(x_proj, state, w):
        """h' = act(W_ih x + b_ih + W_hh h + b_hh)"""
        return (activation(x_proj + F.linear(state[0], w["w_hh"], w["b_hh"])),)
    return step


def _lstm_step(x_proj, state, w):
    """i, f, g, o = gates;  c' = sigmoid(f) c + sigmoid(i) tanh(g);  h' = W_hr (sigmoid(o) tanh(c'))"""
    h, c = state
    i, f, g, o = (x_proj + F.linear(h, w["w_hh"], w["b_hh"])).chunk(4, 1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    h = F.sigmoid(o) * F.tanh(c)
    if w["w_hr"] is not None:
        h = F.linear(h, w["w_hr"])
    return h, c


def _gru_step(x_proj, state, w):
    """r, z from both sums;  n = tanh(x_n + r (W_hn h + b_hn));  h' = (1 - z) n + z h, as n + z (h - n)"""
    h = state[0]
    x_r, x_z, x_n = x_proj.chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w["w_hh"], w["b_hh"]).chunk(3, 1)
    r = F.sigmoid(x_r + h_r)
    z = F.sigmoid(x_z + h_z)
    n = F.tanh(x_n + r * h_n)
    return (n + z * (h - n),)


_STEPS = {"RNN_TANH": _rnn_step(F.tanh), "RNN_RELU": _rnn_step(F.relu), "LSTM": _lstm_step, "GRU": _gru_step}


def _run_direction(step, data, batch_sizes, init_state, w, reverse):
    """Run one layer in one direction over packed ``data``; returns (outputs in packed layout,
    final state tuple with one row per sequence, in the packed batch order).

    Forward, the batch shrinks as sequences end: the rows that stop at step t are set aside as their
    final states. Reverse, each sequence starts at its own last step, so the batch grows: rows that
    start at step t join with their initial states.
    """
    x_proj = split(F.linear(data, w["w_ih"], w["b_ih"]), batch_sizes)   # one input matmul for all steps
    outputs = [None] * len(batch_sizes)
    if not reverse:
        state, running, finished = init_state, init_state[0].shape[0], []   # batch_sizes[0] is the whole batch
        for t, size in enumerate(batch_sizes):
            if size < running:
                finished.append(tuple(s[size:] for s in state))
                state = tuple(s[:size] for s in state)
                running = size
            state = step(x_proj[t], state, w)
            outputs[t] = state[0]
        if finished:   # rows set aside later belong to earlier batch positions
            state = tuple(cat([s] + [f[k] for f in reversed(finished)], 0) for k, s in enumerate(state))
    else:
        state, running = None, 0
        for t in reversed(range(len(batch_sizes))):
            size = batch_sizes[t]
            if state is None or size > running:
                joining = tuple(s[running:size] for s in init_state)
                state = joining if state is None else tuple(cat([s, j], 0) for s, j in zip(state, joining))
                running = size
            state = step(x_proj[t], state, w)
            outputs[t] = state[0]
    return cat(outputs, 0), state


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=2)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)

        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
            for direction in range(num_directions):
                shapes = [("weight_ih_l{}{}", (gate_size, layer_input_size)),
                          ("weight_hh_l{}{}", (gate_size, real_hidden_size))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                names = [name.format(layer, "_reverse" if direction == 1 else "") for name, _ in shapes]
                for name, (_, shape) in zip(names, shapes):
                    setattr(self, name, Parameter(creation.empty(shape, dtype=dtype, device=device)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in parameter order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Kept for torch compatibility: the weights are always used as they are (no cuDNN buffer)."""

    # -- argument checks, as torch's -------------------------------------------------------------------
    def check_input(self, input, batch_sizes) -> None:
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            theirs, ours = f"torch.{input.dtype.name}", f"torch.{weight_dtype.name}"
            raise ValueError(f"RNN input dtype ({theirs}) does not match weight dtype ({ours}). Convert input: "
                             f"input.to({ours}), or convert model: model.to({theirs})")
        expected_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def _mini_batch(self, input, batch_sizes) -> int:
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes) -> tuple:
        return (self.num_layers * (2 if self.bidirectional else 1), self._mini_batch(input, batch_sizes),
                self.proj_size if self.proj_size > 0 else self.hidden_size)

    def get_expected_cell_size(self, input, batch_sizes) -> tuple:
        return (self.num_layers * (2 if self.bidirectional else 1), self._mini_batch(input, batch_sizes),
                self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(tuple(expected_hidden_size), list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        if self.mode == "LSTM":
            self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                                   "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                                   "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        """Reorder the batch dimension (dim 1) of the state(s) by ``permutation``."""
        if permutation is None:
            return hx
        if isinstance(hx, tuple):
            return tuple(h.index_select(1, permutation) for h in hx)
        return hx.index_select(1, permutation)

    # -- forward -----------------------------------------------------------------------------------------
    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        is_batched = True
        if packed:
            input, batch_sizes, sorted_indices, unsorted_indices = input
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                detail = " tensor" if self.mode.startswith("RNN") else ""
                raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {input.dim()}D{detail} instead")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            if hx is not None:
                self._check_hx_dims(hx, is_batched)
                if not is_batched:
                    hx = tuple(h.unsqueeze(1) for h in hx) if lstm else hx.unsqueeze(1)
        if hx is None:
            hx = self._zero_state(input, batch_sizes)
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(input, hx, batch_sizes)

        if packed:
            data, steps = input, [int(b) for b in batch_sizes.tolist()]
        else:
            if not input.size(1 if self.batch_first else 0):
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            time_major = input.transpose(0, 1) if self.batch_first else input
            length, batch = time_major.shape[0], time_major.shape[1]
            data, steps = time_major.reshape(length * batch, time_major.shape[2]), [batch] * length
        output, state = self._run(data, steps, hx if lstm else (hx,))

        if packed:
            hidden = self.permute_hidden(state if lstm else state[0], unsorted_indices)
            output = output.reshape(-1, output.shape[-1]) if output.dim() == 3 else output
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), hidden
        if output.dim() == 2:
            output = output.reshape(length, batch, output.shape[-1])
        if self.batch_first:
            output = output.transpose(0, 1)
            if not lstm:   # torch's RNN and GRU transpose through the other overload
                output = overload(output, "TransposeBackward1")
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            state = tuple(s.squeeze(1) for s in state)
        return output, (state if lstm else state[0])

    def _run(self, data, batch_sizes, hx):
        """All layers and directions over packed ``data``; returns (last layer's output, final states
        stacked as (num_layers * num_directions, batch, *)). The output is packed (2-D), or time-major
        (T, B, H) where the layers ran fused."""
        step = _STEPS[self.mode]
        num_directions = 2 if self.bidirectional else 1
        # an LSTM or GRU over equally long sequences runs each layer and direction as one node (ops/rnn.py)
        fused = (self.mode in ("LSTM", "GRU") and not self.proj_size and len(set(batch_sizes)) == 1
                 and can_fuse(data, *self._flat_weights, *hx))
        finals = [[] for _ in hx]
        layer_input = data.reshape(len(batch_sizes), batch_sizes[0], data.shape[1]) if fused else data
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                w = self._layer_weights(layer, direction)
                if fused and self.mode == "LSTM":
                    out, h, c = lstm_layer(layer_input, hx[0][index], hx[1][index], w["w_ih"], w["w_hh"],
                                           w["b_ih"], w["b_hh"], reverse=direction == 1)
                    final = (h, c)
                elif fused:
                    out, h = gru_layer(layer_input, hx[0][index], w["w_ih"], w["w_hh"], w["b_ih"], w["b_hh"],
                                       reverse=direction == 1)
                    final = (h,)
                else:
                    out, final = _run_direction(step, layer_input, batch_sizes, tuple(h[index] for h in hx), w,
                                                reverse=direction == 1)
                outputs.append(out)
                for k, f in enumerate(final):
                    finals[k].append(f)
            layer_input = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, tuple(stack(f, 0) for f in finals)

    def _layer_weights(self, layer: int, direction: int) -> dict:
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return {key: getattr(self, name + suffix, None) for key, name in
                (("w_ih", "weight_ih"), ("w_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh"),
                 ("w_hr", "weight_hr"))}

    def _name(self) -> str:
        return "RNN" if self.mode.startswith("RNN") else self.mode

    def _check_hx_dims(self, hx, is_batched: bool) -> None:
        want = 3 if is_batched else 2
        kind = "batched 3-D" if is_batched else "unbatched 2-D"
        if self.mode == "LSTM":
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        elif hx.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor")

    def _zero_state(self, input, batch_sizes):
        h = creation.zeros(self.get_expected_hidden_size(input, batch_sizes), dtype=input.dtype, device=input.device)
        if self.mode != "LSTM":
            return h
        c = creation.zeros(self.get_expected_cell_size(input, batch_sizes), dtype=input.dtype, device=input.device)
        return h, c

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


class RNN(RNNBase):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu.

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
        dropout=0.0, bidirectional=False, device=None, dtype=None)
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory; with ``proj_size > 0`` the hidden state is projected by W_hr.

    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
         bidirectional=False, proj_size=0, device=None, dtype=None)
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit.

    GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        bidirectional=False, device=None, dtype=None)
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# -- cells ----------------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """One time step: weight_ih (gates * hidden, input), weight_hh (gates * hidden, hidden), biases."""

    _mode = None

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(creation.empty((num_chunks * hidden_size, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(creation.empty((num_chunks * hidden_size, hidden_size), dtype=dtype,
                                                  device=device))
        if bias:
            self.bias_ih = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in parameter order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _cell_forward(self, input, hx: tuple, mode: str) -> tuple:
        """Check shapes as torch's native cells do, then run one step; ``hx`` is a tuple of 2-D states."""
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")
        for k, h in enumerate(hx):
            if input.size(0) != h.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} batch size {h.size(0)}")
            if h.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {h.size(1)}, "
                                   f"expected {self.hidden_size}")
        w = {"w_hh": self.weight_hh, "b_hh": self.bias_hh, "w_hr": None}
        return _STEPS[mode](F.linear(input, self.weight_ih, self.bias_ih), hx, w)

    def _prepare(self, input, hx, name: str, n_states: int):
        """torch's dimension checks and unbatched handling; returns (2-D input, tuple of 2-D states, batched)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        states = None if hx is None else (tuple(hx) if n_states == 2 else (hx,))
        if states is not None:
            for idx, h in enumerate(states):
                if h.dim() not in (1, 2):
                    what = f"hx[{idx}]" if n_states == 2 else "hidden"
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {h.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = creation.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            states = (zeros,) * n_states
        elif not is_batched:
            states = tuple(h.unsqueeze(0) for h in states)
        return input, states, is_batched


class RNNCell(RNNCellBase):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, states, is_batched = self._prepare(input, hx, "RNNCell", 1)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        (h,) = self._cell_forward(input, states, "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU")
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, states, is_batched = self._prepare(input, hx, "LSTMCell", 2)
        h, c = self._cell_forward(input, states, "LSTM")
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, states, is_batched = self._prepare(input, hx, "GRUCell", 1)
        (h,) = self._cell_forward(input, states, "GRU")
        return h if is_batched else h.squeeze(0)
