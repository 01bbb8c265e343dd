"""The origin document's training script, running on minigrad.

It is written exactly as one would write it for PyTorch: to run it on torch instead, replace the
three minigrad imports with

    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset

and nothing else changes (the digits come as NumPy arrays from minigrad.datasets either way).

Compared with the origin document's script, this version
  * flattens with x.flatten(1), so the batch size is never baked into the shape;
  * clears the gradients before every backward pass (optimizer.zero_grad());
  * evaluates in eval mode, under no_grad, on images the model never trained on;
  * seeds the generator, so a run can be repeated.

    python examples/seed_convnet.py [epochs]
"""
import sys

import minigrad as torch
import minigrad.nn as nn
from minigrad.utils.data import DataLoader, TensorDataset

from minigrad.datasets import digits  # 8x8 handwritten digits upsampled to 32x32 (NumPy arrays)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool2 = nn.MaxPool2d(2)
        self.fc = nn.Linear(64 * 8 * 8, 10)

    def forward(self, x):
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2(x))
        return self.fc(x.flatten(1))


def loader(split, shuffle):
    data = digits(split)
    images = torch.from_numpy(data.images.astype("float32"))
    labels = torch.from_numpy(data.labels)
    return DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=shuffle)


def main(epochs=20):
    torch.manual_seed(0)
    train_loader, test_loader = loader("train", shuffle=True), loader("test", shuffle=False)
    model = ConvNet()
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    for epoch in range(epochs):
        model.train()
        running = 0.0
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(labels)
        scheduler.step()

        model.eval()
        correct = total = 0
        with torch.no_grad():
            for images, labels in test_loader:
                predicted = model(images).argmax(dim=1)
                correct += (predicted == labels).sum().item()
                total += len(labels)
        print(f"epoch {epoch + 1:2d}: training loss {running / len(train_loader.dataset):.4f}, "
              f"held-out accuracy {100 * correct / total:.2f}%")
    return 100 * correct / total


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
