"""Schemas of StyleGAN2 (Karras et al. 2020), unconditional and class-conditional, scaled for 16x16 and 32x32."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterator, Literal

from lightning_gan.config import AdversarialConfig, Config, ConditionalConfig, Issue, LatentConfig
from lightning_gan.registry import VARIANT_SCHEMAS
from lightning_gan.schemas.biggan import image_side


@dataclass
class StyleGAN2Settings:
    """The StyleGAN2 fields both forms share (a mixin of the two schemas below)."""

    truncation_space: ClassVar[Literal["none", "z", "w"]] = "w"  # ψ pulls w toward its tracked mean

    z_dim: int = 64  # prior dimension (the paper: 512; 64 suits 32x32 gray images and 2 CPU cores)
    w_dim: int = 64  # style space dimension (the paper: 512, equal to z_dim)
    mapping_layers: int = 2  # mapping network depth (the paper: 8; StyleGAN2-ADA's CIFAR config: 2)
    g_width: int = 32  # G's channels at the output resolution, doubled per coarser block up to g_max_width
    g_max_width: int = 128  # cap on G's channels (the paper: 512)
    d_width: int = 32  # D's channels at the input resolution, doubled per block up to d_max_width
    d_max_width: int = 128  # cap on D's channels
    mbstd_group: int = 4  # minibatch standard-deviation group size (the paper: 4)
    # style-mixing regularization: share of G's batches whose styles switch latent at a random layer
    # (the paper: 0.9; StyleGAN2-ADA's CIFAR config: 0, off)
    mixing_prob: float = 0.0
    pl_weight: float = 0.0  # path-length regularization weight (the paper: 2; the CIFAR config: 0, off)
    pl_every: int = 4  # G steps between path-length runs (lazy regularization, the paper: 4)
    pl_decay: float = 0.01  # rate of the running mean of path lengths (the paper: 0.01)
    pl_batch_shrink: int = 2  # the path-length batch is the G batch divided by this (the paper: 2)

    def stylegan_checks(self, cfg: Config) -> Iterator[Issue]:
        key, side = image_side(cfg)
        if side is None or side < 8 or side & (side - 1):
            yield Issue(key if side is not None else "variant.name",
                        f"{self.name} needs square images whose side is a power of 2 >= 8, got {side or 'no images'}",
                        "e.g. data.name=fashion_mnist data.image_size=32")
        for name in ("w_dim", "mapping_layers", "g_width", "g_max_width", "d_width", "d_max_width", "mbstd_group",
                     "pl_every", "pl_batch_shrink"):
            if getattr(self, name) < 1:
                yield Issue(f"variant.{name}", f"must be >= 1, got {getattr(self, name)}",
                            f"e.g. variant.{name}={getattr(StyleGAN2Settings, name)}")
        if not 0 <= self.mixing_prob <= 1:
            yield Issue("variant.mixing_prob", f"must be in [0, 1], got {self.mixing_prob}", "0.9 in the paper, 0 = off")
        if self.pl_weight < 0 or not 0 < self.pl_decay < 1:
            yield Issue("variant.pl_weight" if self.pl_weight < 0 else "variant.pl_decay", "pl_weight must be >= 0 and "
                        "pl_decay in (0, 1)", "e.g. variant.pl_weight=2 variant.pl_decay=0.01, or pl_weight=0 (off)")
        if self.prior != "normal":
            yield Issue("variant.prior", "StyleGAN2 maps a normal z", "drop variant.prior")

    def style_train_keys(self) -> set[str]:
        return {"pl"} if self.pl_weight > 0 else set()


@VARIANT_SCHEMAS.register("stylegan2", root=AdversarialConfig)
@dataclass
class StyleGAN2Config(StyleGAN2Settings, LatentConfig):
    """Mapping network, learned constant, modulated convolutions, noise inputs, skip G and residual D."""

    name: str = "stylegan2"

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        yield from self.stylegan_checks(cfg)

    def train_keys(self) -> set[str]:
        return super().train_keys() | self.style_train_keys()


@VARIANT_SCHEMAS.register("cstylegan2", root=AdversarialConfig)
@dataclass
class ConditionalStyleGAN2Config(StyleGAN2Settings, ConditionalConfig):
    """StyleGAN2-ADA's conditional form: a label embedding joins z at the mapping network, projection D."""

    name: str = "cstylegan2"
    d_conditioning: Literal["projection"] = "projection"  # StyleGAN2-ADA's D: a projection of a label embedding
    mismatch_share: float = 0.0  # StyleGAN2-ADA's projection D sees (real, y) vs (fake, y) only

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        yield from self.stylegan_checks(cfg)

    def train_keys(self) -> set[str]:
        return super().train_keys() | self.style_train_keys()
