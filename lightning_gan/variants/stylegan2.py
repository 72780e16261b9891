"""StyleGAN2 (Karras et al. 2020), unconditional and class-conditional (StyleGAN2-ADA's form), scaled for 32x32.

The networks are in ``nets/stylegan2.py``. The rest of the paper's recipe is the shared step's: the
non-saturating logistic loss (``loss``), lazy R1 (``penalty.name=r1 penalty.every=16``), the EMA of G
(``train.ema_decay``). This file adds what only StyleGAN has: style mixing and the tracked mean w in G's
training forward, the path-length regularizer with its running mean (a buffer, so it is checkpointed),
truncation ψ in w space, noise drawn from the caller's generator, and the style-mixing grid.
"""
from __future__ import annotations

import torch

from lightning_gan.base import Showcase
from lightning_gan.nets.stylegan2 import StyleGAN2Discriminator, StyleGAN2Generator, mix_styles, path_length
from lightning_gan.objectives import ConditionalGAN, UnconditionalGAN
from lightning_gan.penalties import Regularizer
from lightning_gan.registry import VARIANTS
from lightning_gan.schemas.stylegan2 import ConditionalStyleGAN2Config, StyleGAN2Config

COARSE_SIDE = 8  # the style-mixing grid takes the styles of 4x4 and 8x8 layers from the row latent


class StyleGAN2Parts:
    """What both forms share; mixed into UnconditionalGAN / ConditionalGAN, which own the objectives."""

    tiny_overrides = ["variant.z_dim=8", "variant.w_dim=8", "variant.mapping_layers=1", "variant.g_width=4",
                      "variant.g_max_width=8", "variant.d_width=4", "variant.d_max_width=8", "variant.mbstd_group=2"]
    data_kinds = ("images",)
    truncation_sweep = (1.0, 0.7, 0.5, 0.0)  # rows of the ψ grid: none, the usual 0.7, half, the mean style

    def build_networks(self):
        v = self.cfg.variant
        channels, side = self.data_shape[0], self.data_shape[-1]
        classes = self.num_classes if self.conditional else 0
        generator = StyleGAN2Generator(z_dim=v.z_dim, w_dim=v.w_dim, mapping_layers=v.mapping_layers,
                                       num_classes=classes, resolution=side, channels=channels, width=v.g_width,
                                       max_width=v.g_max_width)
        discriminator = StyleGAN2Discriminator(resolution=side, channels=channels, width=v.d_width,
                                               max_width=v.d_max_width, num_classes=classes, mbstd_group=v.mbstd_group)
        # the running mean of path lengths: a buffer, so checkpoints and resume carry it
        self.register_buffer("pl_mean", torch.zeros(()))
        return generator, discriminator

    def generator_forward(self, z, labels=None):
        return self.generator(z, labels, mixing_prob=self.cfg.variant.mixing_prob, update_w_avg=True)

    def run_generator(self, net, z, labels, *, truncation=None, generator=None):
        # G's output is linear, trained toward [-1, 1]: clamped here, as every consumer of samples expects
        images = net(z, labels, truncation_psi=1.0 if truncation is None else truncation, generator=generator)
        return images.clamp(-1, 1)

    def regularizers(self) -> list[Regularizer]:
        v = self.cfg.variant
        path = [Regularizer("pl", "g", v.pl_weight, v.pl_every, lambda _: self.path_length_penalty())]
        return super().regularizers() + (path if v.pl_weight > 0 else [])

    def path_length_penalty(self) -> torch.Tensor:
        """E[(‖J_wᵀ y‖ − a)²] on a batch shrunk by ``pl_batch_shrink``, with a the running mean of lengths."""
        v = self.cfg.variant
        n = max(1, self.cfg.data.batch_size // v.pl_batch_shrink)
        labels = self.sample_labels(n) if self.conditional else None
        images, ws = self.generator(self.sample_z(n), labels, mixing_prob=v.mixing_prob, return_ws=True)
        lengths = path_length(images, ws)  # [n]
        self.pl_mean.copy_(self.pl_mean.lerp(lengths.detach().mean().to(self.pl_mean.dtype), v.pl_decay))
        return (lengths - self.pl_mean).square().mean()

    @torch.no_grad()
    def showcase_grids(self, seed: int, columns: int = 8, datamodule=None) -> dict[str, Showcase]:
        return {**super().showcase_grids(seed, columns, datamodule), "style_mixing": self.style_mixing_grid(seed)}

    @torch.no_grad()
    def style_mixing_grid(self, seed: int, rows: int = 4, columns: int = 6) -> Showcase:
        """Row sources down the left, column sources along the top; each cell has the coarse styles of its
        row and the fine styles of its column, with the same constant noise everywhere."""
        net = self.sampling_network
        was_training = net.training
        net.eval()
        try:
            generator = torch.Generator().manual_seed(seed)
            z = self.sample_z(rows + columns, generator)
            labels = self.showcase_labels(rows + columns)
            ws = net.mapping(z, labels.to(self.device) if labels is not None else None, num_ws=net.num_ws)
            row_ws, column_ws = ws[:rows], ws[rows:]  # [rows, num_ws, w_dim], [columns, num_ws, w_dim]
            crossover = min(net.num_ws - 1, self.coarse_styles())
            mixed = torch.cat([mix_styles(row_ws[r:r + 1].expand_as(column_ws), column_ws, crossover)
                               for r in range(rows)])  # [rows * columns, num_ws, w_dim]
            render = lambda w: net.synthesis(w, noise_mode="const").clamp(-1, 1)  # noqa: E731
            sources, cells = render(ws), render(mixed)  # [rows + columns, C, H, W], [rows * columns, C, H, W]
            blank = torch.zeros_like(sources[:1])  # the corner: mid-gray
            grid = [blank, sources[rows:]]
            for r in range(rows):
                grid += [sources[r:r + 1], cells[r * columns:(r + 1) * columns]]
            caption = f"left: coarse styles (to {COARSE_SIDE}x{COARSE_SIDE}), top: fine styles"
            return Showcase(torch.cat(grid), columns + 1, caption)
        finally:
            net.train(was_training)

    def coarse_styles(self) -> int:
        """The number of ws of layers up to COARSE_SIDE: one at 4x4, two per doubling after it."""
        doublings = max(0, (COARSE_SIDE // 4).bit_length() - 1)
        return 1 + 2 * doublings


@VARIANTS.register("stylegan2")
class StyleGAN2(StyleGAN2Parts, UnconditionalGAN):
    Config = StyleGAN2Config


@VARIANTS.register("cstylegan2")
class ConditionalStyleGAN2(StyleGAN2Parts, ConditionalGAN):
    Config = ConditionalStyleGAN2Config
