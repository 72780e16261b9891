"""Auto-Encoding Variational Bayes (Kingma & Welling 2013): the paper's MLPs, or DCGAN-shaped convolutions.

The decoders are the GAN generators without their tanh, so a VAE and a GAN of one size compare fairly.
"""
from __future__ import annotations

from lightning_gan.nets.dcgan import DCGANGenerator
from lightning_gan.nets.mlp import MLPGenerator
from lightning_gan.nets.vae import ConvEncoder, MLPEncoder
from lightning_gan.registry import VARIANTS
from lightning_gan.schemas.vae import VAEConfig
from lightning_gan.vae import VAEModule


@VARIANTS.register("vae")
class VAE(VAEModule):
    Config = VAEConfig
    tiny_overrides = ["variant.z_dim=2", "variant.hidden=[8]", "eval.iwae_k=8", "eval.iwae_chunk=3",
                      "eval.likelihood_images=16"]

    def build_networks(self):
        v: VAEConfig = self.cfg.variant
        channels, side = self.data_shape[0], self.data_shape[-1]
        if v.networks == "conv":
            encoder = ConvEncoder(resolution=side, channels=channels, width=v.width, norm=v.norm, z_dim=v.z_dim)
            decoder = DCGANGenerator(z_dim=v.z_dim, resolution=side, channels=channels, width=v.width, norm=v.norm,
                                     tanh_output=False)
            return encoder, decoder
        encoder = MLPEncoder(in_shape=self.data_shape, hidden=v.hidden, z_dim=v.z_dim)
        decoder = MLPGenerator(z_dim=v.z_dim, hidden=list(reversed(v.hidden)), out_shape=self.data_shape,
                               tanh_output=False)
        return encoder, decoder
