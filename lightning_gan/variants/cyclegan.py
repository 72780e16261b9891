"""CycleGAN (Zhu et al. 2017): unpaired translation, G: A -> B and F: B -> A, each judged by a PatchGAN.

Cycle consistency (F(G(a)) ≈ a, G(F(b)) ≈ b) keeps each output tied to its input; the identity term
(G(b) ≈ b, F(a) ≈ a) keeps colours. Each D also trains on a pool of past fakes. The two generators
are one side of the step and the two critics the other: two optimizers, one step.
"""
from __future__ import annotations

import torch

from lightning_gan.nets.translation import FakePool, PatchDiscriminator, ResnetGenerator, TwoCritics, TwoGenerators
from lightning_gan.registry import VARIANTS
from lightning_gan.schemas.translation import CycleGANConfig
from lightning_gan.translation import TranslationGAN


@VARIANTS.register("cyclegan")
class CycleGAN(TranslationGAN):
    Config = CycleGANConfig
    tiny_overrides = ["variant.g_width=4", "variant.g_blocks=1", "variant.d_width=4", "variant.d_layers=1",
                      "variant.pool_size=4"]
    data_kinds = ("unpaired",)
    grid_rows = ("A", "G(A)", "F(G(A))", "B", "F(B)", "G(F(B))")

    def build_networks(self):
        v: CycleGANConfig = self.cfg.variant
        channels = self.data_shape[0]

        def generator():
            return ResnetGenerator(in_channels=channels, out_channels=channels, width=v.g_width, blocks=v.g_blocks,
                                   norm=v.g_norm)

        def critic():
            return PatchDiscriminator(in_channels=channels, width=v.d_width, layers=v.d_layers, norm=v.d_norm)

        # the pools hold D's training inputs, not parameters: buffers of the module, so checkpointed
        self.pool_a = FakePool(size=v.pool_size, shape=self.data_shape)  # F's fakes of domain A, for D_A
        self.pool_b = FakePool(size=v.pool_size, shape=self.data_shape)  # G's fakes of domain B, for D_B
        return TwoGenerators(a_to_b=generator(), b_to_a=generator()), TwoCritics(a=critic(), b=critic())

    def translator(self, net, reverse: bool):
        return net.b_to_a if reverse else net.a_to_b

    def discriminator_loss(self, batch):
        a, b = batch.images, batch.target
        with torch.no_grad():
            fake_b, fake_a = self.pool_b(self.generator.a_to_b(a)), self.pool_a(self.generator.b_to_a(b))
        loss_b, logs_b = self.d_objective(b, fake_b, critic=self.discriminator.b)
        loss_a, logs_a = self.d_objective(a, fake_a, critic=self.discriminator.a)
        logs = {name: (logs_a[name] + logs_b[name]) / 2 for name in logs_a}  # the balance of both critics
        loss = loss_a + loss_b
        logs.update(d_loss=loss.detach(), d_loss_a=logs_a["d_loss"], d_loss_b=logs_b["d_loss"])
        return loss, logs

    def generator_loss(self, batch):
        a, b, v, g = batch.images, batch.target, self.cfg.variant, self.generator
        fake_b, fake_a = g.a_to_b(a), g.b_to_a(b)
        adversarial, _ = self.g_objective(self.discriminator.b(fake_b), self.discriminator.a(fake_a), fake=fake_b)
        cycle = (g.b_to_a(fake_b) - a).abs().mean() + (g.a_to_b(fake_a) - b).abs().mean()
        identity = ((g.a_to_b(b) - b).abs().mean() + (g.b_to_a(a) - a).abs().mean() if v.identity_weight > 0
                    else torch.zeros((), device=a.device))
        loss = adversarial + v.cycle_weight * cycle + v.identity_weight * v.cycle_weight * identity
        return loss, {"g_loss": loss.detach(), "g_adversarial": adversarial.detach(), "cycle": cycle.detach(),
                      "identity": identity.detach()}

    def translation_rows(self, inputs, targets, generator):
        fake_b = self.translate(inputs, generator=generator)
        fake_a = self.translate(targets, generator=generator, reverse=True)
        return [inputs, fake_b, self.translate(fake_b, generator=generator, reverse=True),
                targets, fake_a, self.translate(fake_a, generator=generator)]
