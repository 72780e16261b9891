"""Fully connected generator and discriminator of Goodfellow et al. 2014.

The paper's MNIST nets: G = ReLU MLP on a uniform prior, D = maxout MLP with dropout. Both work on
flattened samples and restore the sample shape at the end, so the same nets serve 2D points and
images.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn


class Maxout(nn.Module):
    """Maxout unit (Goodfellow et al. 2013): the max over ``pieces`` affine maps per output unit."""

    def __init__(self, in_features: int, out_features: int, *, pieces: int):
        super().__init__()
        self.out_features = out_features
        self.pieces = pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(x).view(x.shape[0], self.out_features, self.pieces)  # [N, out, pieces]
        return y.max(dim=2).values


class MLPGenerator(nn.Module):
    def __init__(
        self,
        *,
        z_dim: int,  # length of the prior vector z
        hidden: Sequence[int],  # width of each hidden ReLU layer
        out_shape: Sequence[int],  # shape of one sample: (2,) for points, (C, H, W) for images
        tanh_output: bool,  # squash to [-1, 1] (images); points stay unbounded
        batchnorm: bool = False,  # BatchNorm before each ReLU (PacGAN's / VEEGAN's mixture G); off in the 2014 paper
    ):
        super().__init__()
        self.z_dim = z_dim
        self.out_shape = tuple(out_shape)
        layers: list[nn.Module] = []
        width = z_dim
        for h in hidden:
            layers += [nn.Linear(width, h), *([nn.BatchNorm1d(h)] if batchnorm else []), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, math.prod(self.out_shape)))
        if tanh_output:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.out_shape)  # [N, *out_shape]


class MLPDiscriminator(nn.Module):
    def __init__(
        self,
        *,
        in_shape: Sequence[int],  # shape of one sample
        hidden: Sequence[int],  # width of each hidden layer
        maxout_pieces: int,  # 0: LeakyReLU layers; >= 2: maxout layers with this many pieces
        dropout: float,  # drop probability on the input and every hidden layer (0 turns it off)
        pack: int = 1,  # PacGAN (Lin et al. 2018): score this many samples jointly, concatenated; 1 = plain D
    ):
        super().__init__()
        self.pack = pack
        layers: list[nn.Module] = []
        width = pack * math.prod(in_shape)
        for h in hidden:
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            if maxout_pieces >= 2:
                layers.append(Maxout(width, h, pieces=maxout_pieces))
            else:
                layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(width, 1))  # a real-valued score (logit); the loss applies any sigmoid
        self.net = nn.Sequential(*layers)
        self.feature_dim = width  # length of features(x); a plain int, so the state dict is unchanged

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self._packed(x)).squeeze(1)  # [N / pack]

    def _packed(self, x: torch.Tensor) -> torch.Tensor:
        # consecutive samples form a pack: a batch of one kind (all real or all fake) stays one kind
        return x.reshape(x.shape[0] // self.pack, -1)  # [N / pack, pack * prod(in_shape)]

    # phi / psi of the projection discriminator (Miyato & Koyama 2018): views of self.net, not new layers,
    # so parameter names, creation order and seeded initialisation stay those of the plain D.
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """phi(x): every layer but the last linear, including its input dropout."""
        return self.net[:-1](self._packed(x))  # [N / pack, feature_dim]

    @property
    def head(self) -> nn.Linear:
        """psi: the last linear layer; head(features(x)).squeeze(1) is forward(x)."""
        return self.net[-1]
