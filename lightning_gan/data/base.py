"""Shared data-module machinery: in-memory tensors, the [-1, 1] image scaling, clear data errors."""
from __future__ import annotations

from typing import ClassVar

import lightning as L
import torch
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from lightning_gan.batch import TensorBatches, collate
from lightning_gan.config import DataConfig
from lightning_gan.data.resumable import ResumableLoader
from lightning_gan.errors import DataError


def scale_to_signed_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [-1, 1], the range of G's tanh output.

    The one place where pixel values are scaled; every image data module goes through it.
    """
    if images.dtype != torch.uint8:
        raise TypeError(f"expected uint8 images, got {images.dtype}")
    return v2.functional.to_dtype(images, torch.float32, scale=True) * 2 - 1


class InMemoryDataModule(L.LightningDataModule):
    """A data set small enough to hold as tensors; subclasses implement ``check`` and ``load``.

    Batches are ``batch.Batch``: images (float samples), labels (long; mode index for mixtures, 0 if unlabelled).
    Shuffled every epoch with the last partial batch dropped, so every D step sees a fresh full batch.
    """

    Config: ClassVar[type[DataConfig]]

    def __init__(self, cfg: DataConfig, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        self.seed = seed
        self.x: torch.Tensor | None = None
        self.y: torch.Tensor | None = None
        self.resume_position: dict | None = None  # the train loader's saved (epoch, consumed), on resume
        self.source = ""  # what load() read (files, generator, conversions): printed and recorded by a run

    def check(self) -> None:
        """Cheap existence / format checks that raise DataError before anything heavy starts."""

    def load(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(samples, labels); also sets ``self.source`` to say what was read."""
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.x is None:
            self.check()
            self.x, self.y = self.load()
            if len(self.x) < self.cfg.batch_size:
                raise DataError(type(self).__name__, f"{len(self.x)} samples, fewer than one batch of "
                                f"{self.cfg.batch_size}", "lower data.batch_size or add data")

    def heldout(self) -> torch.Tensor | None:
        """Samples never trained on (a test split or fresh draws), for likelihood tests; None if the set has none."""
        labelled = self.heldout_labelled()
        return labelled[0] if labelled is not None else None

    def heldout_labelled(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The held-out samples with their labels (a test split); None if the set has none."""
        return None

    @property
    def sample_shape(self) -> tuple[int, ...]:
        self.setup()
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        self.setup()
        return int(self.y.max().item()) + 1

    @property
    def label_prior(self) -> list[float]:
        """Each class's share of the data: conditional models draw their fake labels from it."""
        self.setup()
        counts = torch.bincount(self.y, minlength=self.num_classes).double()
        return (counts / counts.sum()).tolist()

    def train_dataloader(self) -> DataLoader:
        """Resumable: its position is saved in checkpoints (see data/resumable.py); it shards itself under DDP."""
        self.setup()
        loader = ResumableLoader(TensorBatches(self.x, self.y), batch_size=self.cfg.batch_size, seed=self.seed,
                                 num_workers=self.cfg.num_workers, collate_fn=collate)
        if self.resume_position is not None:  # set by the DataPosition callback when a checkpoint is restored
            loader.load_state_dict(self.resume_position)
        return loader
