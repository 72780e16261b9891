"""Random tensors of any shape: data for tests and throughput benchmarks, no files involved."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import torch

from lightning_gan.config import DataConfig, DataFacts, Issue
from lightning_gan.data.base import InMemoryDataModule
from lightning_gan.registry import DATAMODULES


@dataclass
class SyntheticConfig(DataConfig):
    name: str = "synthetic"
    shape: list[int] = field(default_factory=lambda: [1, 16, 16])  # one sample: [2] or [C, H, W]
    n_samples: int = 1024  # size of the fixed random set
    num_classes: int = 10  # labels drawn uniformly from this many classes

    def checks(self) -> Iterator[Issue]:
        points = list(self.shape) == [2]
        image = len(self.shape) == 3 and self.shape[0] in (1, 3) and min(self.shape) >= 1
        if not (points or image):
            yield Issue("data.shape", f"must be [2] (points) or [C, H, W] with C 1 or 3, got {self.shape}",
                        "e.g. data.shape=[1,16,16]")
        if self.num_classes < 1:
            yield Issue("data.num_classes", f"must be >= 1, got {self.num_classes}", "e.g. data.num_classes=10")

    def facts(self) -> DataFacts:
        return DataFacts(points=list(self.shape) == [2], modes=False, labelled=self.num_classes > 1)


@DATAMODULES.register("synthetic")
class SyntheticDataModule(InMemoryDataModule):
    Config = SyntheticConfig

    def load(self):
        rng = torch.Generator().manual_seed(self.seed)
        x = torch.randn(self.cfg.n_samples, *self.cfg.shape, generator=rng)
        if len(self.cfg.shape) == 3:
            x = torch.tanh(x)  # images live in [-1, 1]
        y = torch.arange(self.cfg.n_samples) % self.cfg.num_classes  # every class present
        self.source = f"synthetic: {self.cfg.n_samples} random samples of shape {list(self.cfg.shape)}, seed {self.seed}"
        return x, y
