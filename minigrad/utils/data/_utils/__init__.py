"""Helpers of the DataLoader, at torch's paths (torch.utils.data._utils)."""
from . import collate, worker  # noqa: F401
