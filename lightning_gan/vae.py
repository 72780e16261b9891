"""VAEModule: the variational autoencoder family on the shared ``BaseModule`` (Kingma & Welling 2013).

One optimizer and one update per batch: encoder q(z|x) = N(μ, σ²), z = μ + ε·σ (reparameterized),
decoder logits -> log p(x|z) (``likelihoods.LIKELIHOODS``), loss = −E[log p(x|z)] + β·KL. The base
owns the rest (counters, checkpoints, resume, the guard, EMA, logging), so none of it is copied here.
``self.generator`` is the decoder: it is what samples, what the EMA averages and what the GAN
tooling (grids, ``generate``, FID, Parzen) already reads. Images are in [-1, 1] as everywhere; the
likelihood sees pixels in [0, 1].
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from lightning_gan.base import BaseModule, Logs, OptimizerSpec, Showcase
from lightning_gan.batch import Batch
from lightning_gan.likelihoods import (LIKELIHOODS, gaussian_kl, gaussian_log_density, importance_weighted_bound,
                                       reparameterize)
from lightning_gan.schemas.vae import VAERootConfig


LOG_STD_FLOOR = math.log(0.5 / 255)  # half a grey level of pixels in [0, 1]


def full(t: torch.Tensor) -> torch.Tensor:
    """At least float32: under bf16 / fp16 autocast the networks' outputs are low precision, the loss is not."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def to_unit(images: torch.Tensor) -> torch.Tensor:
    return (images + 1) / 2  # [-1, 1] -> [0, 1], the likelihood's pixel scale


class OutputScale(nn.Module):
    """log s of a Gaussian p(x|z): one scalar, learned or fixed (a buffer); unused by Bernoulli models."""

    def __init__(self, *, std: float, learned: bool):
        super().__init__()
        value = torch.tensor(math.log(std))
        if learned:
            self.log_std = nn.Parameter(value)
        else:
            self.register_buffer("log_std", value)


class VAEModule(BaseModule):
    RootConfig = VAERootConfig
    family = "vae"
    data_kinds = ("images",)
    trained_networks = ("encoder", "generator", "scale")  # scale: a learned std (no parameters when fixed)

    # ---------------------------------------------------------------- what a variant provides
    def build_networks(self) -> tuple[nn.Module, nn.Module]:
        """(encoder: x -> (μ, log σ²), decoder: z -> logits of the image's shape)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- the family's parts of the base
    def build(self) -> None:
        v = self.cfg.variant
        self.encoder, self.generator = self.build_networks()
        self.scale = OutputScale(std=v.gaussian_std, learned=v.learns_std)
        self.log_likelihood_fn = LIKELIHOODS[v.likelihood]

    @property
    def autoencoder(self) -> nn.Module:
        """Everything the one optimizer updates (what the divergence guard checks)."""
        return nn.ModuleList([self.encoder, self.generator, self.scale])

    def optimizer_specs(self) -> list[OptimizerSpec]:
        return [OptimizerSpec("vae", "autoencoder", self.autoencoder.parameters(), self.cfg.optim.vae,
                              self.cfg.train.grad_clip)]

    def train_on_batch(self, batch: Batch) -> None:
        logs = self.update("vae", self.vae_loss, batch)
        if logs is not None:  # None: the guard rolled back
            self.finish_g_step(logs)

    def kl_weight(self) -> float:
        """β, ramped linearly from 0 over ``train.kl_warmup`` updates."""
        warmup = self.cfg.train.kl_warmup
        return self.cfg.variant.beta * (min(1.0, (self.g_steps + 1) / warmup) if warmup > 0 else 1.0)

    def vae_loss(self, batch: Batch) -> tuple[torch.Tensor, Logs]:
        """−E_q[log p(x|z)] + β·KL(q(z|x) ‖ N(0, I)), one reparameterized z per image, mean over the batch."""
        x = batch.images.to(self._param_dtype())
        mu, logvar = self.encoder(x)
        z = reparameterize(mu, logvar, torch.randn_like(mu))
        reconstruction = self.log_likelihood_fn(full(self.generator(z)), full(to_unit(x)), full(self.output_log_std()))
        kl = gaussian_kl(full(mu), full(logvar))
        beta = self.kl_weight()
        loss = (beta * kl - reconstruction).mean()
        logs = {"loss": loss, "reconstruction": reconstruction.mean(), "kl": kl.mean(),
                "elbo": (reconstruction - kl).mean(), "beta": torch.tensor(beta)}
        if self.cfg.variant.learns_std:
            logs["log_std"] = self.scale.log_std
        return loss, {name: value.detach() for name, value in logs.items()}

    def run_generator(self, net, z, labels, *, truncation=None, generator=None) -> torch.Tensor:
        """The decoder's mean image (sigmoid of its logits), in [-1, 1] like every sample."""
        return torch.sigmoid(net(z)) * 2 - 1

    # ---------------------------------------------------------------- likelihood
    def _param_dtype(self) -> torch.dtype:
        return next(self.generator.parameters()).dtype  # 64-true trains in float64; callbacks pass float32 data

    @torch.no_grad()
    def log_likelihood(self, images: torch.Tensor, *, k: int, chunk: int, seeds: Sequence[int]) -> dict[str, torch.Tensor]:
        """Per image ([N] each): the ELBO (one z, closed-form KL), its reconstruction and KL terms, and the
        importance-weighted bound with K samples (Burda et al. 2016), decoded ``chunk`` samples at a time.

        Image i's noise comes from ``seeds[i]`` alone, so a value does not depend on the chunk size, the
        batch it was scored in or the number of processes. Uses the sampling decoder (the EMA's when on):
        both figures are bounds on that model's log p(x).
        """
        encoder, decoder = self.encoder, self.sampling_network
        modes = encoder.training, decoder.training
        encoder.eval(), decoder.eval()
        try:
            x = images.to(self.device, self._param_dtype())
            target = to_unit(x)
            mu, logvar = encoder(x)
            n, d = mu.shape
            noise = torch.stack([torch.randn(1 + k, d, generator=torch.Generator().manual_seed(int(seed)))
                                 for seed in seeds], dim=1).to(self.device, mu.dtype)  # [1 + K, N, d], CPU-seeded
            log_std = self.output_log_std()
            z = reparameterize(mu, logvar, noise[0])
            reconstruction = self.log_likelihood_fn(decoder(z), target, log_std)
            kl = gaussian_kl(mu, logvar)
            log_weights = []
            for start in range(1, 1 + k, chunk):
                zs = reparameterize(mu, logvar, noise[start: start + chunk])  # [m, N, d]
                m = len(zs)
                logits = decoder(zs.flatten(0, 1))  # [m * N, C, H, W], sample-major like the repeat below
                rec = self.log_likelihood_fn(logits, target.repeat(m, *([1] * (target.dim() - 1))), log_std).view(m, n)
                prior = gaussian_log_density(zs, torch.zeros_like(mu), torch.zeros_like(logvar))
                log_weights.append(rec + prior - gaussian_log_density(zs, mu, logvar))  # log p(x, z) - log q(z|x)
            iwae = importance_weighted_bound(torch.cat(log_weights))
            values = {"elbo": reconstruction - kl, "reconstruction": reconstruction, "kl": kl, "iwae_ll": iwae}
            return {name: value.float() for name, value in values.items()}
        finally:
            encoder.train(modes[0]), decoder.train(modes[1])

    def output_log_std(self) -> torch.Tensor:
        """log s of a Gaussian p(x|z), floored at half a grey level: on 8-bit data a density could otherwise
        grow without bound as s shrinks (the figures are bounds on this surrogate, not on a discrete p(x))."""
        return self.scale.log_std.clamp(min=LOG_STD_FLOOR)

    # ---------------------------------------------------------------- outputs beyond prior samples
    @torch.no_grad()
    def encode_means(self, images: torch.Tensor) -> torch.Tensor:
        was = self.encoder.training
        self.encoder.eval()
        try:
            return self.encoder(images.to(self.device, self._param_dtype()))[0].float()
        finally:
            self.encoder.train(was)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.sample(z)

    def showcase_grids(self, seed: int, columns: int = 8, datamodule=None) -> dict[str, Showcase]:
        """With the data: reconstructions (rows of inputs, then their reconstructions) and a latent
        interpolation (each row walks in a straight line between the encodings of two held-out images)."""
        grids = super().showcase_grids(seed, columns, datamodule)
        if datamodule is None:
            return grids
        images = showcase_images(datamodule, 2 * columns, seed)
        inputs = images[:columns]
        recon = self.decode(self.encode_means(inputs))
        grids["reconstruction"] = Showcase(torch.cat([inputs, recon.cpu()]), len(inputs), "rows: input, reconstruction")
        rows = min(4, len(images) // 2)  # each from image i to image rows + i
        ends = self.encode_means(images[: 2 * rows]).view(2, rows, -1)
        steps = torch.linspace(0, 1, columns, device=ends.device).view(1, columns, 1)
        path = ends[0].unsqueeze(1) * (1 - steps) + ends[1].unsqueeze(1) * steps  # [rows, columns, z_dim]
        grids["interpolation"] = Showcase(self.decode(path.flatten(0, 1)).cpu(), columns,
                                          "rows: decoded straight lines between two encodings")
        return grids

    def latent_encodings(self, datamodule, seed: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Posterior means of held-out images and their classes, for a scatter when z is 2-dimensional."""
        if self.cfg.variant.z_dim != 2:
            return None
        images, labels = showcase_images(datamodule, 2000, seed, with_labels=True)
        return self.encode_means(images).cpu(), labels


def showcase_images(datamodule, n: int, seed: int, *, with_labels: bool = False):
    """n images of the held-out split when there is one (else of the training split), in a seeded order."""
    held = datamodule.heldout_labelled()
    images, labels = held if held is not None else (datamodule.x, datamodule.y)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]
    return (images[order].float(), labels[order]) if with_labels else images[order].float()
