"""The seed CNN of the project's origin document, and its torch twin from the same source.

    conv 1->32 (3x3, padding 1) -> max-pool 2 -> conv 32->64 (3x3, padding 1) -> max-pool 2
    -> flatten -> linear 4096->10

As written in the origin document there is no activation between the layers (max-pooling is
the only nonlinearity); ``ConvNet(relu=True)`` adds a ReLU after each convolution.

The class body is written once against an ``nn`` namespace and instantiated twice: with
``minigrad.nn`` (:class:`ConvNet`) and with ``torch.nn`` (:func:`torch_convnet`). Both therefore
have the same attribute names and the same state-dict keys ('conv1.weight', ..., 'fc.bias'),
so weights move between them with ``load_state_dict``.
"""
from __future__ import annotations

from . import nn as _minigrad_nn

__all__ = ["ConvNet", "torch_convnet", "copy_weights_to_torch"]


def _define_convnet(nn):
    class ConvNet(nn.Module):
        """The seed CNN for 1x32x32 images and 10 classes."""

        def __init__(self, relu: bool = False):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
            self.pool2 = nn.MaxPool2d(2)
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(64 * 8 * 8, 10)
            self.act = nn.ReLU() if relu else nn.Identity()

        def forward(self, x):
            x = self.pool1(self.act(self.conv1(x)))
            x = self.pool2(self.act(self.conv2(x)))
            return self.fc(self.flatten(x))

    return ConvNet


ConvNet = _define_convnet(_minigrad_nn)
ConvNet.__module__ = __name__


def torch_convnet(relu: bool = False):
    """The same network built with torch.nn (torch is imported only here)."""
    import torch.nn
    return _define_convnet(torch.nn)(relu)


def copy_weights_to_torch(model, torch_model) -> None:
    """Load ``model``'s state dict into ``torch_model`` (same keys), keeping torch's dtype."""
    from .serialization import to_torch
    torch_model.load_state_dict(to_torch(model.state_dict()))
