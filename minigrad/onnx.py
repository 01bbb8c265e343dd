"""minigrad.onnx: importable, as programs import torch.onnx at the top; exporting is not built."""
from __future__ import annotations

__all__ = ["export", "is_in_onnx_export"]


def export(model, args=(), f=None, **kwargs):
    """Not available: minigrad records no graph that an ONNX exporter could translate."""
    raise NotImplementedError("minigrad.onnx.export is not implemented: minigrad cannot export models to ONNX. "
                              "Save the weights with minigrad.save(model.state_dict(), path), load them into "
                              "the same model built with torch, and export that with torch.onnx.export.")


def is_in_onnx_export() -> bool:
    return False
