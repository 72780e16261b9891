"""Schema of BigGAN (Brock et al. 2019), scaled for 16x16 and 32x32 images."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Literal

from lightning_gan.config import AdversarialConfig, Config, ConditionalConfig, Issue
from lightning_gan.registry import VARIANT_SCHEMAS

# Image side -> G's up-sampling blocks from the 4x4 base (BigGAN-PyTorch's CIFAR arch has 3 at 32x32)
BIGGAN_BLOCKS = {16: 2, 32: 3}


def attention_sides(side: int) -> list[int]:
    """Feature-map sides where both G (up from 4x4) and D (down to 8x8, then 8x8 blocks) have a block output."""
    g_sides = {4 * 2 ** i for i in range(1, BIGGAN_BLOCKS[side] + 1)}
    d_sides = {max(8, side // 2 ** i) for i in range(1, BIGGAN_BLOCKS[side] + 2)}
    return sorted(g_sides & d_sides)


def image_side(cfg: Config) -> tuple[str, int | None]:
    """The config key that sets the image side, and the side (None for 2D points)."""
    shape = getattr(cfg.data, "shape", None)
    if shape is not None:
        return "data.shape", shape[-1] if len(shape) == 3 else None
    return "data.image_size", getattr(cfg.data, "image_size", None)


@VARIANT_SCHEMAS.register("biggan", root=AdversarialConfig)
@dataclass
class BigGANConfig(ConditionalConfig):
    """Residual G and projection D, shared class embedding, hierarchical latent, conditional BatchNorm.

    The step's settings of the paper (hinge loss, spectral norm in G and D, several D steps per G step,
    EMA of G, orthogonal regularization, truncation) are the shared ``loss``, ``penalty``, ``train`` and
    ``evaluate --truncation`` keys, set in configs/biggan_*.yaml.
    """

    name: str = "biggan"
    z_dim: int = 128  # BigGAN-PyTorch's CIFAR dim_z; split into (blocks + 1) equal chunks when hierarchical
    shared_dim: int = 128  # size of the class embedding shared by every conditional BatchNorm (the paper: 128)
    g_width: int = 64  # BigGAN's ch: every G block has 4 * ch channels at 32x32 (CIFAR script: 64)
    d_width: int = 64  # D's ch: every D block has 4 * ch channels
    attention_resolution: int = 0  # feature-map side of the self-attention block in G and D; 0 = none (CIFAR script)
    hierarchical: bool = True  # z split across G's blocks, each chunk with the class embedding into that block's BN
    d_conditioning: Literal["projection"] = "projection"  # BigGAN's D is a projection discriminator
    mismatch_share: float = 0.0  # BigGAN's projection D is trained on (real, y) vs (fake, y) only

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        key, side = image_side(cfg)
        if side not in BIGGAN_BLOCKS:
            yield Issue(key if side is not None else "variant.name",
                        f"biggan needs square images of side {sorted(BIGGAN_BLOCKS)}, got {side or 'no images'}",
                        "e.g. data.name=fashion_mnist data.image_size=32")
            return
        blocks = BIGGAN_BLOCKS[side]
        if self.hierarchical and self.z_dim % (blocks + 1):
            yield Issue("variant.z_dim", f"a hierarchical latent splits z into {blocks + 1} equal chunks at {side}x{side}, "
                        f"and {self.z_dim} is not divisible by {blocks + 1}",
                        f"e.g. variant.z_dim={(self.z_dim // (blocks + 1) + 1) * (blocks + 1)}, or variant.hierarchical=false")
        sides = attention_sides(side)
        if self.attention_resolution not in (0, *sides):
            yield Issue("variant.attention_resolution", f"no block has a {self.attention_resolution}x"
                        f"{self.attention_resolution} feature map at {side}x{side}", f"use 0 (none) or one of {sides}")
        for key in ("g_width", "d_width", "shared_dim"):
            if getattr(self, key) < 1:
                yield Issue(f"variant.{key}", "must be >= 1", f"e.g. variant.{key}=64")
        if self.prior != "normal":
            yield Issue("variant.prior", "BigGAN samples z from a normal prior (its truncation trick needs one)",
                        "drop variant.prior")
