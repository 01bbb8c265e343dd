"""nn.utils.rnn: batches of variable-length sequences, padded or packed, as torch.nn.utils.rnn.

A *packed* batch stores only the real time steps: the rows of step 0 of every sequence, then the rows
of step 1 of the sequences at least two long, and so on (``data``), with ``batch_sizes[t]`` the number
of sequences still running at step t. Sequences are in decreasing-length order inside the packing;
``sorted_indices`` / ``unsorted_indices`` map between that order and the caller's.

Packing, padding and unpacking are each one differentiable gather (``index_select``) with row
indices computed here in NumPy, so gradients flow back to the padded or packed input.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import creation, dtypes
from ...ops import cat
from ...ops._util import broadcast_shape
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """(data, batch_sizes, sorted_indices, unsorted_indices); build it with pack_padded_sequence or
    pack_sequence. ``unsorted_indices`` is derived from ``sorted_indices`` when not given."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """Move/cast ``data``; the index tensors follow it to its device, ``batch_sizes`` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, device=None) -> PackedSequence:
        return self.to("cuda" if device is None else device)

    def pin_memory(self) -> PackedSequence:
        return self

    def is_pinned(self) -> bool:
        return False

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def double(self):
        return self.to(dtype=dtypes.float64)

    def float(self):
        return self.to(dtype=dtypes.float32)

    def half(self):
        return self.to(dtype=dtypes.float16)

    def long(self):
        return self.to(dtype=dtypes.int64)

    def int(self):
        return self.to(dtype=dtypes.int32)

    def short(self):
        return self.to(dtype=dtypes.int16)

    def char(self):
        return self.to(dtype=dtypes.int8)

    def byte(self):
        return self.to(dtype=dtypes.uint8)


def _index(rows, device) -> Tensor:
    """An int64 index tensor of ``rows`` on ``device``."""
    return creation.tensor(np.asarray(rows, dtype=np.int64), device=device)


def invert_permutation(permutation):
    """The permutation q with q[p[i]] = i (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.tolist(), dtype=np.int64)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(p.size)
    return _index(inverse, permutation.device)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """batch_sizes[t] = how many of the (decreasing) lengths exceed t."""
    return (lengths[None, :] > np.arange(int(lengths.max()))[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True):
    """Pack a padded (T, B, *) batch (B, T, * with batch_first) of sequences of the given lengths."""
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device.type} Long tensor")
        lengths = lengths.tolist()
    lengths = np.asarray(lengths).astype(np.int64)
    batch_dim = 0 if batch_first else 1
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lengths, kind="stable")     # torch's order: ties keep their input order
        lengths = lengths[order]
        sorted_indices = _index(order, input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    time_major = input.transpose(0, 1) if batch_first else input
    steps, batch = time_major.shape[0], time_major.shape[1]
    if lengths.ndim != 1 or lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
                           f"(batch_size={batch})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    if lengths[0] > steps:
        # torch reads past the end of the input here; an error is the honest answer
        raise RuntimeError(f"lengths must not exceed the padded sequence length {steps}, but got {int(lengths[0])}")
    batch_sizes = _batch_sizes(lengths)
    rows = np.concatenate([t * batch + np.arange(size) for t, size in enumerate(batch_sizes)])
    flat = time_major.reshape((steps * batch,) + tuple(time_major.shape[2:]))
    data = flat.index_select(0, _index(rows, input.device))
    return PackedSequence(data, creation.tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length=None):
    """Unpack into a padded (T, B, *) batch (B, T, * with batch_first) in the caller's order, and the lengths."""
    batch_sizes = np.asarray(sequence.batch_sizes.tolist(), dtype=np.int64)
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    data = sequence.data
    batch = int(batch_sizes[0])
    # each padded (t, b) position reads its packed row, or the extra padding row appended at the end
    rows = np.full((steps, batch), data.shape[0], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    for t, (offset, size) in enumerate(zip(offsets, batch_sizes)):
        rows[t, :size] = offset + np.arange(size)
    if batch_first:
        rows = rows.T
    pad_row = creation.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad_row], 0).index_select(0, _index(rows.reshape(-1), data.device))
    padded = padded.reshape(rows.shape + tuple(data.shape[1:]))
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        order = np.asarray(sequence.unsorted_indices.tolist(), dtype=np.int64)
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[order]
    return padded, creation.tensor(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"):
    """Stack tensors of shapes (L_i, *) into (T, B, *) (B, T, * with batch_first), T = max L_i, padding
    each on the ``padding_side`` with ``padding_value``; the result has the first sequence's dtype."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    parts = []
    for seq in sequences:
        # each sequence is copied into its (L_i, *trailing) slot, broadcasting as copy_ does
        slot = (seq.shape[0],) + trailing
        if broadcast_shape(slot, tuple(seq.shape)) != slot:
            raise RuntimeError(f"output with shape {list(slot)} doesn't match the broadcast shape "
                               f"{list(broadcast_shape(slot, tuple(seq.shape)))}")
        seq = seq if tuple(seq.shape) == slot else seq.expand(slot)
        parts.append(seq if seq.dtype == first.dtype else seq.to(first.dtype))
    lengths = np.asarray([seq.shape[0] for seq in sequences], dtype=np.int64)
    steps, total = int(lengths.max()), int(lengths.sum())
    rows = np.full((len(sequences), steps), total, dtype=np.int64)   # ``total`` is the padding row
    for b, (offset, length) in enumerate(zip(np.cumsum(lengths) - lengths, lengths)):
        start = 0 if padding_side == "right" else steps - length
        rows[b, start:start + length] = offset + np.arange(length)
    if not batch_first:
        rows = rows.T
    pad_row = creation.full((1,) + trailing, padding_value, dtype=first.dtype, device=first.device)
    stacked = cat(parts + [pad_row], 0).index_select(0, _index(rows.reshape(-1), first.device))
    return stacked.reshape(rows.shape + trailing)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The list of sequences a right-padded batch holds (the inverse of pad_sequence)."""
    lengths = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    if batch_first:
        return [padded_sequences[b, :int(n)] for b, n in enumerate(lengths)]
    return [padded_sequences[:int(n), b] for b, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors: pack_padded_sequence(pad_sequence(sequences), lengths)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences a PackedSequence holds, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
