"""The VAE's encoders q(z|x) = N(μ(x), σ²(x)); decoders are the GAN generators without their tanh (logits).

Encoders return (μ, log σ²), each [N, z_dim]: log σ² is unconstrained, so σ is positive without a clamp.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from lightning_gan.nets.dcgan import Norm, norm_layer, stages


class MLPEncoder(nn.Module):
    def __init__(
        self,
        *,
        in_shape: Sequence[int],  # shape of one image (C, H, W)
        hidden: Sequence[int],  # width of each hidden ReLU layer (the paper: one of 500)
        z_dim: int,  # latent size
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width = math.prod(in_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, 2 * z_dim)  # μ and log σ² side by side

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.body(x.flatten(1))).chunk(2, dim=1)  # [N, C*H*W] -> 2 x [N, z_dim]
        return mu, logvar


class ConvEncoder(nn.Module):
    """DCGAN's discriminator body (stride-2 4x4 convolutions, LeakyReLU 0.2), then a linear head."""

    def __init__(
        self,
        *,
        resolution: int,  # input side: 16, 28, 32 or 64
        channels: int,  # input image channels
        width: int,  # channels of the first feature map; doubled at each stage
        norm: Norm,  # normalization after each conv but the first
        z_dim: int,  # latent size
    ):
        super().__init__()
        base, n_down = stages(resolution)
        widths = [width * 2 ** i for i in range(n_down)]
        layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=norm == "none"), norm_layer(norm, c_out),
                       nn.LeakyReLU(0.2, True)]
        self.body = nn.Sequential(*layers)  # [N, widths[-1], base, base]
        self.head = nn.Linear(widths[-1] * base * base, 2 * z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.body(x).flatten(1)).chunk(2, dim=1)  # [N, C', b, b] -> 2 x [N, z_dim]
        return mu, logvar
