"""DCGAN (Radford et al. 2016): convolutional G and D, the base of the WGAN / WGAN-GP / SN-GAN / LSGAN configs.

Those papers change the loss (``loss``), the constraint (``penalty.*``) and D's normalization
(``variant.d_norm``), not the step: each is a YAML over this variant.
"""
from __future__ import annotations

from lightning_gan.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightning_gan.objectives import UnconditionalGAN
from lightning_gan.registry import VARIANTS
from lightning_gan.schemas.gan import DCGANConfig


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
