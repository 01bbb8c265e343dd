"""torchvision.utils: save_image writes the tensor's values (no image codec in the stand-in)."""
import numpy as np


def save_image(tensor, fp, **kwargs):
    np.save(fp if str(fp).endswith(".npy") else str(fp) + ".npy", tensor.detach().numpy())
