"""DCGAN generator and discriminator (Radford et al. 2016): strided convolutions, no pooling.

Resolution and width are arguments: 28x28 grows from a 7x7 base, 16, 32 and 64 from 4x4, doubling per
stage. G: BatchNorm + ReLU, tanh output. D: LeakyReLU(0.2), no norm on the first layer, and a
configurable norm elsewhere (batch for DCGAN; layer or none for gradient-penalty critics).
"""
from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Norm = Literal["batch", "layer", "none"]
BASES = {16: 4, 28: 7, 32: 4, 64: 4}  # output resolution -> side of the first feature map


def stages(resolution: int) -> tuple[int, int]:
    if resolution not in BASES:
        raise ValueError(f"DCGAN nets support resolutions {sorted(BASES)}, got {resolution}")
    base = BASES[resolution]
    return base, (resolution // base).bit_length() - 1  # number of x2 upsampling stages


def norm_layer(kind: Norm, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # normalises over (C, H, W) per sample: no batch coupling
    return nn.Identity()


class DCGANGenerator(nn.Module):
    def __init__(
        self,
        *,
        z_dim: int,  # length of the prior vector z
        resolution: int,  # output side: 28, 32 or 64
        channels: int,  # output image channels (1 gray, 3 RGB)
        width: int,  # channels of the last hidden feature map; doubled at each coarser stage
        norm: Norm,  # normalization after each hidden layer ("batch" in DCGAN)
        tanh_output: bool = True,  # images in [-1, 1]; False leaves logits (a VAE decoder's Bernoulli / mean)
    ):
        super().__init__()
        base, n_up = stages(resolution)
        widths = [width * 2 ** i for i in reversed(range(n_up))]  # coarse -> fine, e.g. [256, 128, 64]
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim, widths[0], base, 1, 0, bias=norm == "none"),
                                   norm_layer(norm, widths[0]), nn.ReLU(True)]  # [N, w0, base, base]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=norm == "none"), norm_layer(norm, c_out),
                       nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1)]  # [N, C, res, res]
        layers += [nn.Tanh()] if tanh_output else []
        self.net = nn.Sequential(*layers)
        self.z_dim = z_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1))  # [N, z_dim, 1, 1] -> [N, C, res, res]


class DCGANDiscriminator(nn.Module):
    def __init__(
        self,
        *,
        resolution: int,  # input side: 28, 32 or 64
        channels: int,  # input image channels
        width: int,  # channels of the first feature map; doubled at each stage
        norm: Norm,  # normalization after each conv but the first
    ):
        super().__init__()
        base, n_down = stages(resolution)
        widths = [width * 2 ** i for i in range(n_down)]  # fine -> coarse, e.g. [64, 128, 256]
        layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=norm == "none"), norm_layer(norm, c_out),
                       nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(widths[-1], 1, base, 1, 0))  # [N, 1, 1, 1]: one score per image
        self.net = nn.Sequential(*layers)
        self.feature_shape = (widths[-1], base, base)  # of features(x); plain ints, the state dict is unchanged

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()  # [N]

    # phi / psi of the projection discriminator (Miyato & Koyama 2018): views of self.net, not new layers,
    # so parameter names, creation order and seeded initialisation stay those of the plain D.
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """phi(x): the conv body, everything but the final base x base conv."""
        return self.net[:-1](x)  # [N, C_last, base, base]

    @property
    def head(self) -> nn.Conv2d:
        """psi: the final base x base conv; head(features(x)).flatten() is forward(x)."""
        return self.net[-1]
