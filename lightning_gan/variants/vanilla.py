"""Generative Adversarial Nets (Goodfellow et al. 2014): MLP G and D (maxout and dropout as options)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from lightning_gan.config import Config, Issue, LatentConfig
from lightning_gan.objectives import UnconditionalGAN
from lightning_gan.nets.mlp import MLPDiscriminator, MLPGenerator
from lightning_gan.registry import VARIANTS


@dataclass
class VanillaGANConfig(LatentConfig):
    name: str = "gan"
    z_dim: int = 16  # prior dimension (the paper used 100 for MNIST; 2D mixtures need far fewer)
    g_hidden: list[int] = field(default_factory=lambda: [256, 256])  # G's ReLU layer widths
    d_hidden: list[int] = field(default_factory=lambda: [256, 256])  # D's hidden layer widths
    d_maxout_pieces: int = 0  # 0: LeakyReLU D; >= 2: the paper's maxout D with that many pieces
    d_dropout: float = 0.0  # dropout in D (the paper used 0.5 on hidden layers with maxout)

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        for key in ("g_hidden", "d_hidden"):
            if any(width < 1 for width in getattr(self, key)):
                yield Issue(f"variant.{key}", "every layer width must be >= 1", f"e.g. variant.{key}=[256,256]")
        if self.d_maxout_pieces == 1 or self.d_maxout_pieces < 0:
            yield Issue("variant.d_maxout_pieces", f"must be 0 (off) or >= 2, got {self.d_maxout_pieces}",
                        "use 0 for LeakyReLU or e.g. 5 as in the paper")
        if not 0 <= self.d_dropout < 1:
            yield Issue("variant.d_dropout", f"must be in [0, 1), got {self.d_dropout}", "e.g. variant.d_dropout=0.5")


@VARIANTS.register("gan")
class VanillaGAN(UnconditionalGAN):
    Config = VanillaGANConfig
    # Smallest widths that still exercise every code path; used by the contract tests.
    tiny_overrides = ["variant.z_dim=4", "variant.g_hidden=[8]", "variant.d_hidden=[8]",
                      "variant.d_maxout_pieces=2", "variant.d_dropout=0.1"]

    def build_networks(self):
        v: VanillaGANConfig = self.cfg.variant
        images = len(self.data_shape) == 3  # images live in [-1, 1]; 2D points are unbounded
        generator = MLPGenerator(z_dim=v.z_dim, hidden=v.g_hidden, out_shape=self.data_shape, tanh_output=images)
        discriminator = MLPDiscriminator(in_shape=self.data_shape, hidden=v.d_hidden,
                                         maxout_pieces=v.d_maxout_pieces, dropout=v.d_dropout)
        return generator, discriminator
