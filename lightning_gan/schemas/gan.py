"""Schemas of the 2014 GAN, DCGAN (the base of the WGAN / WGAN-GP / SN-GAN / LSGAN configs) and the conditional GANs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Literal

from lightning_gan.config import AdversarialConfig, Config, ConditionalConfig, Issue, LatentConfig
from lightning_gan.registry import VARIANT_SCHEMAS

Norm = Literal["batch", "layer", "none"]
# Output sides the DCGAN networks are built for (nets.dcgan.BASES; a test keeps the two equal)
DCGAN_SIDES = (16, 28, 32, 64)


def mlp_checks(variant, *keys: str) -> Iterator[Issue]:
    for key in keys:
        if not getattr(variant, key) or any(width < 1 for width in getattr(variant, key)):
            yield Issue(f"variant.{key}", "needs at least one layer, every width >= 1", f"e.g. variant.{key}=[256,256]")
    if not 0 <= variant.d_dropout < 1:
        yield Issue("variant.d_dropout", f"must be in [0, 1), got {variant.d_dropout}", "e.g. variant.d_dropout=0.5")


def convolutional_checks(variant, cfg: Config) -> Iterator[Issue]:
    """DCGAN-shaped networks (DCGAN and the conditional one): square images of a known side, widths."""
    shape = getattr(cfg.data, "shape", None)
    key, side = ("data.shape", shape[-1] if len(shape) == 3 else None) if shape is not None else \
        ("data.image_size", getattr(cfg.data, "image_size", None))
    if side not in DCGAN_SIDES:
        yield Issue(key if side is not None else "variant.name",
                    f"{variant.name} needs square images of side {list(DCGAN_SIDES)}, got {side or cfg.data.name + ' (not images)'}",
                    "e.g. data.name=fashion_mnist data.image_size=32, or variant.name=gan for 2D data")
    for key in ("g_width", "d_width"):
        if getattr(variant, key) < 1:
            yield Issue(f"variant.{key}", "must be >= 1", f"e.g. variant.{key}=64")


@VARIANT_SCHEMAS.register("gan", root=AdversarialConfig)
@dataclass
class VanillaGANConfig(LatentConfig):
    """Generative Adversarial Nets (Goodfellow et al. 2014): MLP G and D, maxout and dropout as options."""

    name: str = "gan"
    z_dim: int = 16  # prior dimension (the paper used 100 for MNIST; 2D mixtures need far fewer)
    g_hidden: list[int] = field(default_factory=lambda: [256, 256])  # G's ReLU layer widths
    g_batchnorm: bool = False  # BatchNorm before G's ReLUs (PacGAN's and VEEGAN's mixture G); the 2014 G has none
    d_hidden: list[int] = field(default_factory=lambda: [256, 256])  # D's hidden layer widths
    d_maxout_pieces: int = 0  # 0: LeakyReLU D; >= 2: the paper's maxout D with that many pieces
    d_dropout: float = 0.0  # dropout in D (the paper used 0.5 on hidden layers with maxout)
    d_pack: int = 1  # PacGAN's packing: D scores this many samples at once (the paper: 2-4); 1 = plain D

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        yield from mlp_checks(self, "g_hidden", "d_hidden")
        if self.d_pack < 1:
            yield Issue("variant.d_pack", f"must be >= 1, got {self.d_pack}", "1 is the plain D, PacGAN used 2-4")
        elif cfg.data.batch_size % self.d_pack:
            yield Issue("variant.d_pack", f"must divide data.batch_size={cfg.data.batch_size}, got {self.d_pack}",
                        f"e.g. data.batch_size={self.d_pack * max(1, cfg.data.batch_size // self.d_pack)}")
        elif self.d_pack > 1 and cfg.penalty.name in ("gp", "r1"):
            yield Issue("variant.d_pack", f"a packed D has no per-sample gradient for penalty.name={cfg.penalty.name}",
                        "use penalty.name=none or clip (or spectral_norm_d) with d_pack > 1, or d_pack=1")
        if self.d_maxout_pieces == 1 or self.d_maxout_pieces < 0:
            yield Issue("variant.d_maxout_pieces", f"must be 0 (off) or >= 2, got {self.d_maxout_pieces}",
                        "use 0 for LeakyReLU or e.g. 5 as in the paper")


@dataclass
class DCGANSettings:
    """The convolutional fields DCGAN and its conditional form share (a mixin of the two schemas)."""

    g_width: int = 64  # channels of G's finest hidden map, doubled at each coarser stage (DCGAN: 64)
    d_width: int = 64  # channels of D's first feature map, doubled per stage
    g_norm: Norm = "batch"  # DCGAN normalises G with BatchNorm
    d_norm: Norm = "batch"  # BatchNorm in DCGAN / WGAN; layer or none for gradient-penalty critics

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        yield from convolutional_checks(self, cfg)

    def d_uses_batchnorm(self) -> bool:
        return self.d_norm == "batch"


@VARIANT_SCHEMAS.register("dcgan", root=AdversarialConfig)
@dataclass
class DCGANConfig(DCGANSettings, LatentConfig):
    """DCGAN (Radford et al. 2016); WGAN, WGAN-GP, SN-GAN and LSGAN change its loss, penalty and d_norm."""

    name: str = "dcgan"


@VARIANT_SCHEMAS.register("cgan", root=AdversarialConfig)
@dataclass
class CGANConfig(ConditionalConfig):
    """Conditional GAN (Mirza & Osindero 2014) with the paper's MLPs."""

    name: str = "cgan"
    z_dim: int = 100  # the 2014 paper's MNIST prior dimension
    g_hidden: list[int] = field(default_factory=lambda: [256, 512])  # G's ReLU layer widths
    d_hidden: list[int] = field(default_factory=lambda: [512, 256])  # D's LeakyReLU layer widths
    d_dropout: float = 0.0  # dropout in D (the paper used 0.5 with maxout units)

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        yield from mlp_checks(self, "g_hidden", "d_hidden")


@VARIANT_SCHEMAS.register("cdcgan", root=AdversarialConfig)
@dataclass
class CDCGANConfig(DCGANSettings, ConditionalConfig):
    """A conditional GAN with DCGAN-sized convolutional networks."""

    name: str = "cdcgan"
