"""Small synthetic stand-ins for downloaded photographs: smooth colour gradients plus a few blobs
(so that an image model has something to learn), saved as PNG files.

``bsds300(dest)``: the BSDS300 images the super-resolution example downloads,
``<dest>/BSDS300/images/{train,test}/*.png``, RGB, 300 x 264 (larger than its 255-pixel crop).
``folder(path, count, height, width)``: ``count`` images in one folder (an ImageFolder class, a
style image).
"""
from __future__ import annotations

import os

import numpy as np


def _picture(rng, height, width):
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    channels = []
    for _ in range(3):
        a, b, c = rng.rand(3) * 6
        picture = 0.5 + 0.25 * np.sin(a * xx + b * yy + c)
        for cy, cx, r in rng.rand(4, 3):
            picture += 0.3 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (0.01 + 0.05 * r))
        channels.append(picture)
    return (np.clip(np.stack(channels, axis=-1), 0, 1) * 255).astype(np.uint8)


def folder(path: str, count: int, height: int, width: int, seed: int = 0, prefix: str = "") -> list:
    from PIL import Image
    rng = np.random.RandomState(seed)
    os.makedirs(path, exist_ok=True)
    files = []
    for k in range(count):
        files.append(os.path.join(path, f"{prefix}{k:03d}.png"))
        Image.fromarray(_picture(rng, height, width), "RGB").save(files[-1])
    return files


def bsds300(dest: str = "dataset") -> None:
    for split, count, seed in (("train", 8, 0), ("test", 4, 1)):
        folder(os.path.join(dest, "BSDS300", "images", split), count, 264, 300, seed)
