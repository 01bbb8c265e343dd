"""torch.nn.modules.utils: the int-or-tuple helpers at torch's path (programs import ``_pair`` from
here), and stripping a wrapper's prefix from a state dict."""
from __future__ import annotations

from ._utils import _ntuple, _pair, _reverse_repeat_tuple, _single  # noqa: F401

__all__ = ["consume_prefix_in_state_dict_if_present"]

_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def consume_prefix_in_state_dict_if_present(state_dict, prefix: str) -> None:
    """Strip ``prefix`` from the keys that have it, in place: a state dict saved from a
    DistributedDataParallel or DataParallel wrapper ('module.' keys) then loads into the bare model."""
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
                metadata[key[len(prefix):]] = metadata.pop(key)
