"""BigGAN (Brock et al. 2019), scaled for 32x32: residual G with a shared class embedding and a hierarchical
latent into conditional BatchNorm, projection D with residual blocks, optional self-attention.

The rest of the paper's recipe is the shared step's: hinge loss (``loss``), spectral norm in G and D and
orthogonal regularization of G (``penalty.*``), several D steps per G step and the EMA of G with a start
step (``train.*``), and the truncation trick (``generate(truncation=t)``, ``evaluate --truncation``).
"""
from __future__ import annotations

from lightning_gan.nets.biggan import BigGANDiscriminator, BigGANGenerator
from lightning_gan.objectives import ConditionalGAN
from lightning_gan.registry import VARIANTS
from lightning_gan.schemas.biggan import BigGANConfig


@VARIANTS.register("biggan")
class BigGAN(ConditionalGAN):
    Config = BigGANConfig
    tiny_overrides = ["variant.z_dim=12", "variant.shared_dim=4", "variant.g_width=2", "variant.d_width=2",
                      "variant.attention_resolution=8"]
    data_kinds = ("images",)
    truncation_sweep = (2.0, 1.0, 0.5, 0.25)  # rows of the truncation grid (the paper's Figure 2 shows t = 2 .. 0.04)

    def build_networks(self):
        v: BigGANConfig = self.cfg.variant
        channels, side = self.data_shape[0], self.data_shape[-1]
        generator = BigGANGenerator(z_dim=v.z_dim, num_classes=self.num_classes, shared_dim=v.shared_dim,
                                    resolution=side, channels=channels, width=v.g_width,
                                    attention_resolution=v.attention_resolution, hierarchical=v.hierarchical)
        discriminator = BigGANDiscriminator(num_classes=self.num_classes, resolution=side, channels=channels,
                                            width=v.d_width, attention_resolution=v.attention_resolution)
        return generator, discriminator
