"""Deterministic synthetic datasets in place of torchvision's downloads."""
from __future__ import annotations

import os

import numpy as np

# sizes kept tiny so that a program's epoch is a few batches; overridable per run
TRAIN_SIZE = int(os.environ.get("PROGRAM_MNIST_TRAIN", 256))
TEST_SIZE = int(os.environ.get("PROGRAM_MNIST_TEST", 128))


class VisionDataset:
    def __init__(self, root=None, transform=None, target_transform=None):
        self.root = root
        self.transform = transform
        self.target_transform = target_transform

    def _item(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class MNIST(VisionDataset):
    """28 x 28 uint8 digits with labels 0..9: a class-dependent blob plus noise (learnable)."""

    classes = [f"{i} - {w}" for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        n = TRAIN_SIZE if train else TEST_SIZE
        rng = np.random.RandomState(1 if train else 2)
        labels = rng.randint(0, 10, size=n)
        yy, xx = np.mgrid[0:28, 0:28]
        images = rng.randint(0, 64, size=(n, 28, 28))
        for i, c in enumerate(labels):
            cy, cx = 6 + 2 * (c // 2), 5 + 4 * (c % 5)
            images[i] += (180 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 18.0)).astype(np.int64)
        import torch   # as torchvision: data and targets are tensors (uint8 images, int64 labels)
        self.data = torch.from_numpy(np.clip(images, 0, 255).astype(np.uint8))
        self.targets = torch.from_numpy(labels.astype(np.int64))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self._item(self.data[index].numpy(), int(self.targets[index]))


class FakeData(VisionDataset):
    """torchvision's FakeData: random images (H x W x C uint8 here) and random labels."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform, target_transform)
        self.size, self.image_size, self.num_classes = size, image_size, num_classes
        self.random_offset = random_offset

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        rng = np.random.RandomState(index + self.random_offset)
        c, h, w = self.image_size
        img = rng.randint(0, 256, size=(h, w, c)).astype(np.uint8)
        return self._item(img, int(rng.randint(0, self.num_classes)))


class ImageFolder(VisionDataset):
    """torchvision's ImageFolder: ``root/<class>/<image>``, classes and files in sorted order, each
    image opened with PIL and converted to RGB."""

    EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")

    def __init__(self, root, transform=None, target_transform=None):
        super().__init__(root, transform, target_transform)
        self.classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples = [(os.path.join(root, c, f), self.class_to_idx[c]) for c in self.classes
                        for f in sorted(os.listdir(os.path.join(root, c))) if f.lower().endswith(self.EXTENSIONS)]
        self.targets = [t for _, t in self.samples]

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        from PIL import Image
        path, target = self.samples[index]
        with open(path, "rb") as f:
            img = Image.open(f).convert("RGB")
        return self._item(img, target)
