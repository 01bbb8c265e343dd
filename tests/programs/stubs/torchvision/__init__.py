"""A small local stand-in for torchvision, enough for the programs in tests/programs.

The real package downloads its datasets; these stand-ins make small deterministic ones from
NumPy instead (the same samples under torch and under minigrad), and implement the few
transforms the programs use, as torchvision defines them, on NumPy images (H x W or H x W x C,
uint8) in place of PIL images. Everything tensor-valued goes through ``import torch``, so under
minigrad-as-torch the stand-ins produce minigrad tensors. ``ImageFolder`` reads real image files
(which a program's setup writes), and ``models.vgg16`` is the architecture without its download.
"""
from . import datasets, models, transforms, utils  # noqa: F401
