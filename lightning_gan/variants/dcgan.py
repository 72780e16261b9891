"""DCGAN (Radford et al. 2016): convolutional G and D, the base of the WGAN / WGAN-GP / SN-GAN / LSGAN configs.

Those papers change the loss (``loss``), the constraint (``penalty.*``) and D's normalization
(``variant.d_norm``), not the step: each is a YAML over this variant.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Literal

from lightning_gan.config import Config, Issue, LatentConfig
from lightning_gan.objectives import UnconditionalGAN
from lightning_gan.nets.dcgan import BASES, DCGANDiscriminator, DCGANGenerator
from lightning_gan.registry import VARIANTS

Norm = Literal["batch", "layer", "none"]


def convolutional_checks(variant, cfg: Config) -> Iterator[Issue]:
    """DCGAN-shaped networks (this variant and the conditional one): square images of a known side, widths."""
    shape = getattr(cfg.data, "shape", None)
    key, side = ("data.shape", shape[-1] if len(shape) == 3 else None) if shape is not None else \
        ("data.image_size", getattr(cfg.data, "image_size", None))
    if side not in BASES:
        yield Issue(key if side is not None else "variant.name",
                    f"{variant.name} needs square images of side {sorted(BASES)}, got {side or cfg.data.name + ' (not images)'}",
                    "e.g. data.name=fashion_mnist data.image_size=32, or variant.name=gan for 2D data")
    for key in ("g_width", "d_width"):
        if getattr(variant, key) < 1:
            yield Issue(f"variant.{key}", "must be >= 1", f"e.g. variant.{key}=64")


@dataclass
class DCGANConfig(LatentConfig):
    name: str = "dcgan"
    g_width: int = 64  # channels of G's finest hidden map, doubled at each coarser stage (DCGAN: 64)
    d_width: int = 64  # channels of D's first feature map, doubled per stage
    g_norm: Norm = "batch"  # DCGAN normalises G with BatchNorm
    d_norm: Norm = "batch"  # BatchNorm in DCGAN / WGAN; layer or none for gradient-penalty critics

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        yield from convolutional_checks(self, cfg)

    def d_uses_batchnorm(self) -> bool:
        return self.d_norm == "batch"


@VARIANTS.register("dcgan")
class DCGAN(UnconditionalGAN):
    Config = DCGANConfig
    tiny_overrides = ["variant.z_dim=8", "variant.g_width=4", "variant.d_width=4"]
    data_kinds = ("images",)

    def build_networks(self):
        v: DCGANConfig = self.cfg.variant
        channels, side = self.data_shape[0], self.data_shape[-1]
        generator = DCGANGenerator(z_dim=v.z_dim, resolution=side, channels=channels, width=v.g_width, norm=v.g_norm)
        discriminator = DCGANDiscriminator(resolution=side, channels=channels, width=v.d_width, norm=v.d_norm)
        return generator, discriminator
