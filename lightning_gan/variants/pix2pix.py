"""pix2pix (Isola et al. 2017): a conditional GAN from image to image, plus λ·L1 to the target.

The L1 term alone averages plausible outputs into a blur; the PatchGAN on (input, output) pairs
makes each patch look real and belong to its input. G's only noise is dropout, kept on when sampling.
"""
from __future__ import annotations

import torch

from lightning_gan.nets.translation import PairedCritic, PatchDiscriminator, UNetGenerator
from lightning_gan.registry import VARIANTS
from lightning_gan.schemas.translation import Pix2PixConfig
from lightning_gan.translation import TranslationGAN


@VARIANTS.register("pix2pix")
class Pix2Pix(TranslationGAN):
    Config = Pix2PixConfig
    tiny_overrides = ["variant.g_width=4", "variant.d_width=4", "variant.d_layers=1"]
    data_kinds = ("paired",)

    def build_networks(self):
        v: Pix2PixConfig = self.cfg.variant
        channels, side = self.data_shape[0], self.data_shape[-1]
        generator = UNetGenerator(in_channels=channels, out_channels=channels, resolution=side, width=v.g_width,
                                  norm=v.g_norm, dropout=v.g_dropout, test_dropout=v.test_dropout)
        patch = PatchDiscriminator(in_channels=2 * channels, width=v.d_width, layers=v.d_layers, norm=v.d_norm)
        return generator, PairedCritic(patch)

    def discriminator_loss(self, batch):
        inputs = batch.images
        with torch.no_grad():
            fake = self.generator_forward(inputs)
        # D judges pairs: (input, target) is real, (input, G(input)) fake; penalties see the same inputs
        return self.d_objective(batch.target, fake, critic=lambda outputs: self.discriminator(inputs, outputs))

    def generator_loss(self, batch):
        fake = self.generator_forward(batch.images)
        adversarial, _ = self.g_objective(self.discriminator(batch.images, fake), fake=fake)
        l1 = (fake - batch.target).abs().mean()
        loss = adversarial + self.cfg.variant.l1_weight * l1
        return loss, {"g_loss": loss.detach(), "g_adversarial": adversarial.detach(), "l1": l1.detach()}
