"""2D Gaussian mixtures: the ring of 8 and the 5x5 grid of 25 (mode-collapse benchmarks)."""
from __future__ import annotations

import math

import torch

from lightning_gan.data.base import InMemoryDataModule
from lightning_gan.metrics.mixture import mode_stats
from lightning_gan.registry import DATAMODULES
from lightning_gan.schemas.data import MixtureConfig


def mixture_centers(layout: str, n_modes: int, radius: float) -> torch.Tensor:
    if layout == "ring":
        angle = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
        return torch.stack([angle.cos(), angle.sin()], dim=1).float() * radius  # [n_modes, 2]
    side = math.isqrt(n_modes)
    axis = torch.linspace(-radius, radius, side) if side > 1 else torch.zeros(1)
    return torch.cartesian_prod(axis, axis)  # [n_modes, 2]


@DATAMODULES.register("mixture")
class MixtureDataModule(InMemoryDataModule):
    Config = MixtureConfig

    @property
    def centers(self) -> torch.Tensor:
        return mixture_centers(self.cfg.layout, self.cfg.n_modes, self.cfg.radius)

    def draw(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = torch.Generator().manual_seed(seed)
        mode = torch.randint(self.cfg.n_modes, (n,), generator=rng)
        noise = torch.randn(n, 2, generator=rng) * self.cfg.sigma
        return self.centers[mode] + noise, mode

    def load(self):
        self.source = (f"synthetic: {self.cfg.n_samples} points of a {self.cfg.layout} of {self.cfg.n_modes} Gaussians "
                       f"(σ={self.cfg.sigma:g}), drawn with seed {self.seed}")
        return self.draw(self.cfg.n_samples, self.seed)

    def heldout(self) -> torch.Tensor:
        return self.draw(10_000, self.seed + 1_000_003)[0]  # fresh draws from the true mixture

    def sample_metrics(self, samples: torch.Tensor) -> dict[str, float]:
        """Mode coverage of generated points; logged with every scatter plot."""
        return mode_stats(samples, self.centers, self.cfg.sigma)
