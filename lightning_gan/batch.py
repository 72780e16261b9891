"""The batch every data module produces and every model reads by name.

Models read fields by name, never index tuples. ``Batch.to`` makes Lightning move a batch as one object
(its generic walk over dataclass fields cost a tiny MLP GAN ~2 % of its step).
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

    def to(self, *args, **kwargs) -> "Batch":
        """Images and target moved (or cast) as ``Tensor.to`` would; labels follow to their device, still long.

        Lightning's batch_to_device calls this.
        """
        images = self.images.to(*args, **kwargs)
        target = None if self.target is None else self.target.to(*args, **kwargs)
        return Batch(images, self.labels.to(images.device, non_blocking=kwargs.get("non_blocking", False)), target)


class TensorBatches(torch.utils.data.Dataset):
    """In-memory tensors that a DataLoader indexes a whole batch at a time.

    ``__getitems__`` takes the batch's indices at once: one gather per tensor, instead of a Python
    call per sample and a stack (the per-sample path cost ~11 % of a small MLP GAN's step).
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, target: Optional[torch.Tensor] = None):
        self.images, self.labels, self.target = images, labels, target

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Batch:
        return self.__getitems__([index])

    def __getitems__(self, indices: Sequence[int]) -> Batch:
        index = torch.as_tensor(indices)
        return Batch(self.images[index], self.labels[index], None if self.target is None else self.target[index])


def collate(batch: Batch) -> Batch:
    """The DataLoader's collate_fn for ``TensorBatches``: the batch is already whole (module level: picklable)."""
    return batch
