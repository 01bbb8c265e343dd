"""torchvision.transforms, as torchvision defines them, on NumPy images (and PIL images for
Resize, CenterCrop and ToTensor)."""
from __future__ import annotations

import numpy as np


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class ToTensor:
    """H x W (x C) uint8 -> C x H x W float in [0, 1]."""

    def __call__(self, pic):
        import torch
        if not isinstance(pic, np.ndarray):   # a PIL image
            pic = np.array(pic)
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = torch.from_numpy(np.ascontiguousarray(pic.transpose((2, 0, 1))))
        return img.to(dtype=torch.get_default_dtype()).div(255)


class Normalize:
    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        import torch
        if not self.inplace:
            tensor = tensor.clone()
        mean = torch.as_tensor(self.mean, dtype=tensor.dtype)
        std = torch.as_tensor(self.std, dtype=tensor.dtype)
        if mean.ndim == 1:
            mean = mean.view(-1, 1, 1)
        if std.ndim == 1:
            std = std.view(-1, 1, 1)
        return tensor.sub_(mean).div_(std)


class Lambda:
    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class Resize:
    """PIL images: torchvision's bilinear resize (an int size is the shorter side's). NumPy images are
    accepted where they already have the size (the stand-in datasets make it so)."""

    def __init__(self, size, *args, **kwargs):
        self.size = size

    def __call__(self, img):
        if isinstance(img, np.ndarray):
            return img
        from PIL import Image
        w, h = img.size
        if isinstance(self.size, int):
            short, long = (w, h) if w <= h else (h, w)
            new_short, new_long = self.size, int(self.size * long / short)
            size = (new_short, new_long) if w <= h else (new_long, new_short)
        else:
            size = (self.size[1], self.size[0])
        return img.resize(size, Image.BILINEAR)


class CenterCrop:
    """PIL images: the central size x size part, placed as torchvision places it. NumPy images are
    accepted where they already have the size."""

    def __init__(self, size):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, img):
        if isinstance(img, np.ndarray):
            return img
        w, h = img.size
        th, tw = self.size
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return img.crop((left, top, left + tw, top + th))
