"""Class-conditional generators and discriminators, built on the unconditional MLP and DCGAN nets.

Generators follow the conditional GAN of Mirza & Osindero 2014 ("Conditional Generative Adversarial
Nets"): the label y enters as a one-hot vector alongside z, G(z ⊕ one_hot(y)). Discriminators offer
two conditionings:

- "concat" (Mirza & Osindero 2014): D(x ⊕ one_hot(y)); the MLP appends the one-hot to the flattened
  sample, the conv D appends it as constant label planes, one extra input channel per class.
- "projection" (Miyato & Koyama 2018, "cGANs with Projection Discriminator", eq. 3): with φ the body of
  the unconditional D and ψ its last layer, D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩. The label never
  enters the body, so the class evidence is a single inner product on the features.

Each class subclasses its unconditional counterpart, so the layers (and state-dict keys ``net.*``) are
built by the same code; only the input width grows by ``num_classes`` where the label is concatenated.
Labels are LongTensor [N] in [0, num_classes). Every D returns [N] logits.
"""
from __future__ import annotations

import math
from typing import Literal, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from lightning_gan.nets.dcgan import DCGANDiscriminator, DCGANGenerator, Norm
from lightning_gan.nets.mlp import MLPDiscriminator, MLPGenerator

Conditioning = Literal["concat", "projection"]
CONDITIONINGS = ("concat", "projection")


def _check_conditioning(conditioning: str) -> None:
    if conditioning not in CONDITIONINGS:
        raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got {conditioning!r}")


def _projection_embedding(num_classes: int, feature_dim: int) -> nn.Embedding:
    embed = nn.Embedding(num_classes, feature_dim)
    # Zero init: at step 0 the projection D is exactly its unconditional D (the inner product is 0), so
    # early training is not steered by random class directions of the size of φ(x). It still learns at
    # once: d score / d embed(y) = φ(x), which is non-zero. (Created after the body, so the body's seeded
    # initialisation equals the unconditional D's under the same seed.)
    nn.init.zeros_(embed.weight)
    return embed


class ConditionalMLPGenerator(MLPGenerator):
    def __init__(
        self,
        *,
        z_dim: int,  # length of the prior vector z (the label is added on top)
        num_classes: int,  # number of labels; y arrives one-hot with z
        hidden: Sequence[int],  # width of each hidden ReLU layer
        out_shape: Sequence[int],  # shape of one sample: (2,) for points, (C, H, W) for images
        tanh_output: bool,  # squash to [-1, 1] (images); points stay unbounded
    ):
        super().__init__(z_dim=z_dim + num_classes, hidden=hidden, out_shape=out_shape, tanh_output=tanh_output)
        self.z_dim = z_dim  # what callers sample; the first layer takes z_dim + num_classes
        self.num_classes = num_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        zy = torch.cat([z, F.one_hot(labels, self.num_classes).to(z.dtype)], dim=1)  # [N, z_dim + K]
        return super().forward(zy)  # [N, *out_shape]


class ConditionalDCGANGenerator(DCGANGenerator):
    def __init__(
        self,
        *,
        z_dim: int,  # length of the prior vector z (the label is added on top)
        num_classes: int,  # number of labels; y arrives one-hot as extra input channels
        resolution: int,  # output side: 16, 28, 32 or 64
        channels: int,  # output image channels (1 gray, 3 RGB)
        width: int,  # channels of the last hidden feature map; doubled at each coarser stage
        norm: Norm,  # normalization after each hidden layer ("batch" in DCGAN)
    ):
        super().__init__(z_dim=z_dim + num_classes, resolution=resolution, channels=channels, width=width,
                         norm=norm)
        self.z_dim = z_dim  # what callers sample; the first transposed conv takes z_dim + num_classes
        self.num_classes = num_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        zy = torch.cat([z.flatten(1), F.one_hot(labels, self.num_classes).to(z.dtype)], dim=1)  # [N, z_dim + K]
        # self.net directly: the parent's forward reshapes to self.z_dim, which now excludes the label
        return self.net(zy[:, :, None, None])  # [N, z_dim + K, 1, 1] -> [N, C, res, res]


class ConditionalMLPDiscriminator(MLPDiscriminator):
    def __init__(
        self,
        *,
        in_shape: Sequence[int],  # shape of one sample
        num_classes: int,  # number of labels
        hidden: Sequence[int],  # width of each hidden layer
        maxout_pieces: int,  # 0: LeakyReLU layers; >= 2: maxout layers with this many pieces
        dropout: float,  # drop probability on the input and every hidden layer (0 turns it off)
        conditioning: Conditioning,  # "concat": one-hot appended to the input; "projection": ⟨embed(y), φ(x)⟩
    ):
        _check_conditioning(conditioning)
        flat = math.prod(in_shape)
        super().__init__(in_shape=(flat + num_classes,) if conditioning == "concat" else in_shape, hidden=hidden,
                         maxout_pieces=maxout_pieces, dropout=dropout)
        self.num_classes = num_classes
        self.conditioning = conditioning
        if conditioning == "projection":
            self.embed = _projection_embedding(num_classes, self.feature_dim)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.conditioning == "concat":
            xy = torch.cat([x.flatten(1), F.one_hot(labels, self.num_classes).to(x.dtype)], dim=1)  # [N, D + K]
            return super().forward(xy)  # [N]
        h = self.features(x)  # [N, feature_dim]
        return self.head(h).squeeze(1) + (self.embed(labels) * h).sum(dim=1)  # [N]


class ConditionalDCGANDiscriminator(DCGANDiscriminator):
    def __init__(
        self,
        *,
        resolution: int,  # input side: 16, 28, 32 or 64
        channels: int,  # input image channels
        num_classes: int,  # number of labels
        width: int,  # channels of the first feature map; doubled at each stage
        norm: Norm,  # normalization after each conv but the first
        conditioning: Conditioning,  # "concat": one-hot label planes as extra channels; "projection"
    ):
        _check_conditioning(conditioning)
        super().__init__(resolution=resolution, channels=channels + num_classes if conditioning == "concat"
                         else channels, width=width, norm=norm)
        self.num_classes = num_classes
        self.conditioning = conditioning
        if conditioning == "projection":
            self.embed = _projection_embedding(num_classes, math.prod(self.feature_shape))

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.conditioning == "concat":
            onehot = F.one_hot(labels, self.num_classes).to(x.dtype)  # [N, K]
            planes = onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])  # [N, K, H, W]
            return super().forward(torch.cat([x, planes], dim=1))  # [N, C + K, H, W] -> [N]
        h = self.features(x)  # [N, C_last, base, base]
        return self.head(h).flatten() + (self.embed(labels) * h.flatten(1)).sum(dim=1)  # [N]
