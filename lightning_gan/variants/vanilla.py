"""Generative Adversarial Nets (Goodfellow et al. 2014): MLP G and D (maxout and dropout as options)."""
from __future__ import annotations

from lightning_gan.nets.mlp import MLPDiscriminator, MLPGenerator
from lightning_gan.objectives import UnconditionalGAN
from lightning_gan.registry import VARIANTS
from lightning_gan.schemas.gan import VanillaGANConfig


@VARIANTS.register("gan")
class VanillaGAN(UnconditionalGAN):
    Config = VanillaGANConfig
    # Smallest widths that still exercise every code path; used by the contract tests.
    tiny_overrides = ["variant.z_dim=4", "variant.g_hidden=[8]", "variant.d_hidden=[8]",
                      "variant.d_maxout_pieces=2", "variant.d_dropout=0.1"]

    def build_networks(self):
        v: VanillaGANConfig = self.cfg.variant
        images = len(self.data_shape) == 3  # images live in [-1, 1]; 2D points are unbounded
        generator = MLPGenerator(z_dim=v.z_dim, hidden=v.g_hidden, out_shape=self.data_shape, tanh_output=images,
                                 batchnorm=v.g_batchnorm)
        discriminator = MLPDiscriminator(in_shape=self.data_shape, hidden=v.d_hidden,
                                         maxout_pieces=v.d_maxout_pieces, dropout=v.d_dropout, pack=v.d_pack)
        return generator, discriminator
