"""The top-level torch functions of linear algebra (torch.det, torch.inverse, torch.svd, torch.lu, ...):
torch.linalg's functions under their older names and signatures."""
from __future__ import annotations

from .linalg import LinAlgError  # noqa: F401  (imports minigrad.linalg, torch.linalg's namespace, over ops.linalg)

__all__ = []
