"""Random tensors of any shape: data for tests and throughput benchmarks, no files involved."""
from __future__ import annotations

import torch

from lightning_gan.data.base import InMemoryDataModule
from lightning_gan.registry import DATAMODULES
from lightning_gan.schemas.data import SyntheticConfig


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
