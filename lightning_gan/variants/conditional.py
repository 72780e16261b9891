"""Conditional GANs (Mirza & Osindero 2014): G(z, y) and D(x, y) with the data set's labels.

``cgan``: the 2014 paper's MLPs; ``cdcgan``: DCGAN-sized convolutional networks. D is conditioned
by input concatenation (the 2014 paper) or by projection (Miyato & Koyama 2018), and sees real images
under wrong labels as negatives (Reed et al. 2016); see ``objectives.ConditionalGAN``.
"""
from __future__ import annotations

from lightning_gan.nets.conditional import (ConditionalDCGANDiscriminator, ConditionalDCGANGenerator,
                                            ConditionalMLPDiscriminator, ConditionalMLPGenerator)
from lightning_gan.objectives import ConditionalGAN
from lightning_gan.registry import VARIANTS
from lightning_gan.schemas.gan import CDCGANConfig, CGANConfig


@VARIANTS.register("cgan")
class CGAN(ConditionalGAN):
    Config = CGANConfig
    tiny_overrides = ["variant.z_dim=4", "variant.g_hidden=[8]", "variant.d_hidden=[8]", "variant.d_dropout=0.1"]

    def build_networks(self):
        v: CGANConfig = self.cfg.variant
        images = len(self.data_shape) == 3  # images live in [-1, 1]; 2D points are unbounded
        generator = ConditionalMLPGenerator(z_dim=v.z_dim, num_classes=self.num_classes, hidden=v.g_hidden,
                                            out_shape=self.data_shape, tanh_output=images)
        discriminator = ConditionalMLPDiscriminator(in_shape=self.data_shape, num_classes=self.num_classes,
                                                    hidden=v.d_hidden, maxout_pieces=0, dropout=v.d_dropout,
                                                    conditioning=v.d_conditioning)
        return generator, discriminator


@VARIANTS.register("cdcgan")
class CDCGAN(ConditionalGAN):
    Config = CDCGANConfig
    tiny_overrides = ["variant.z_dim=8", "variant.g_width=4", "variant.d_width=4"]
    data_kinds = ("images",)

    def build_networks(self):
        v: CDCGANConfig = self.cfg.variant
        channels, side = self.data_shape[0], self.data_shape[-1]
        generator = ConditionalDCGANGenerator(z_dim=v.z_dim, num_classes=self.num_classes, resolution=side,
                                              channels=channels, width=v.g_width, norm=v.g_norm)
        discriminator = ConditionalDCGANDiscriminator(resolution=side, channels=channels, num_classes=self.num_classes,
                                                      width=v.d_width, norm=v.d_norm, conditioning=v.d_conditioning)
        return generator, discriminator
