"""The two objectives every noise-to-image GAN variant builds on: unconditional and class-conditional.

A variant subclasses one of them and only builds its networks (plus its Config).
"""
from __future__ import annotations

import torch

from lightning_gan.batch import Batch
from lightning_gan.module import AdversarialModule


class UnconditionalGAN(AdversarialModule):
    """G(z) against D(x) with no conditions. Its Config derives from ``LatentConfig`` (z_dim, prior)."""

    family = "unconditional"

    def discriminator_loss(self, batch: Batch):
        real = batch.images
        with torch.no_grad():  # fakes are inputs to D here: G builds no graph
            fake = self.generator_forward(self.sample_z(len(real)))
        return self.d_objective(real, fake)

    def generator_loss(self, batch: Batch):
        fake = self.generator_forward(self.sample_z(len(batch)))
        return self.g_objective(self.discriminator(fake), fake=fake)


def mismatched_labels(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """A wrong label for each entry, uniform over the other num_classes - 1 classes."""
    shift = torch.randint(1, num_classes, labels.shape, device=labels.device)
    return (labels + shift) % num_classes


class ConditionalGAN(AdversarialModule):
    """G(z, y) against D(x, y) (Mirza & Osindero 2014), with mismatched pairs as extra negatives.

    D step: fakes are made for the batch's own labels, so real and fake share conditions and a
    gradient penalty interpolates between pairs of one class. A share ``variant.mismatch_share`` of
    the batch's real images, each under a wrong label, is scored as fake (Reed et al. 2016's
    matching-aware discriminator): without them D can judge realism alone and G may ignore y.
    G step: labels drawn from the data's label distribution.
    Its Config derives from ``ConditionalConfig``.
    """

    family = "conditional"

    def negatives(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The real images that D must call fake, and the wrong labels they are shown with."""
        count = round(self.cfg.variant.mismatch_share * len(batch))
        return batch.images[:count], mismatched_labels(batch.labels[:count], self.num_classes)

    def discriminator_loss(self, batch: Batch):
        real, labels = batch.images, batch.labels
        with torch.no_grad():
            fake = self.generator_forward(self.sample_z(len(real)), labels)
        wrong_images, wrong_labels = self.negatives(batch)
        negatives = [self.discriminator(wrong_images, wrong_labels)] if len(wrong_images) else []
        return self.d_objective(real, fake, negatives=negatives, critic=lambda x: self.discriminator(x, labels))

    def generator_loss(self, batch: Batch):
        labels = self.sample_labels(len(batch))
        fake = self.generator_forward(self.sample_z(len(batch)), labels)
        return self.g_objective(self.discriminator(fake, labels), fake=fake)
