"""A small synthetic stand-in for the BSDS300 images (BSDS300-images.tgz) that the super-resolution
example downloads: ``<dest>/BSDS300/images/{train,test}/*.png``, RGB, 300 x 264 (larger than the
example's 255-pixel crop). Smooth gradients plus a few blobs, so upscaling has something to learn.
"""
from __future__ import annotations

import os

import numpy as np


def write(dest: str = "dataset", train: int = 8, test: int = 4, seed: int = 0) -> None:
    from PIL import Image
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:264, 0:300] / 300.0
    for split, count in (("train", train), ("test", test)):
        folder = os.path.join(dest, "BSDS300", "images", split)
        os.makedirs(folder, exist_ok=True)
        for k in range(count):
            channels = []
            for _ in range(3):
                a, b, c = rng.rand(3) * 6
                picture = 0.5 + 0.25 * np.sin(a * xx + b * yy + c)
                for cy, cx, r in rng.rand(4, 3):
                    picture += 0.3 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (0.01 + 0.05 * r))
                channels.append(picture)
            rgb = (np.clip(np.stack(channels, axis=-1), 0, 1) * 255).astype(np.uint8)
            Image.fromarray(rgb, "RGB").save(os.path.join(folder, f"{k:03d}.png"))
