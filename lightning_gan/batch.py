"""The batch every data module produces and every model reads by name.

Lightning moves dataclass batches to the device field by field, so models never index tuples.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch


@dataclass
class Batch:
    images: torch.Tensor  # [N, ...] samples in data space: images in [-1, 1], or 2D points
    labels: torch.Tensor  # [N] long class labels (mode index for mixtures, 0 when unlabelled)
    target: Optional[torch.Tensor] = None  # [N, ...] the paired output of image-to-image data

    def __len__(self) -> int:
        return int(self.images.shape[0])


def collate(rows: Sequence[tuple[torch.Tensor, ...]]) -> Batch:
    """DataLoader collate_fn for datasets of (image, label[, target]) rows (module level: picklable for workers)."""
    columns = [torch.stack(column) for column in zip(*rows)]
    return Batch(*columns)
