"""Image-to-image networks: pix2pix's U-Net, CycleGAN's ResNet generator, the PatchGAN, and the fake pool.

Shapes follow the reference implementation (junyanz/pytorch-CycleGAN-and-pix2pix): 4x4 stride-2
convolutions in the U-Net and the PatchGAN, 3x3 residual blocks between two stride-2 stages in the
ResNet generator, LeakyReLU 0.2 in encoders and D, tanh outputs in [-1, 1].
"""
from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Norm = Literal["batch", "instance", "none"]


def norm_layer(kind: Norm, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":  # the reference's instance norm: no affine, no running statistics
        return nn.InstanceNorm2d(channels)
    return nn.Identity()


class TestTimeDropout(nn.Module):
    """Dropout that can stay on in eval mode: pix2pix's noise, applied when sampling as in training."""

    def __init__(self, p: float, at_test: bool):
        super().__init__()
        self.p, self.at_test = p, at_test

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(x, self.p, training=self.training or self.at_test)


class UNetGenerator(nn.Module):
    """Encoder down to 1x1, decoder back up, each decoder level fed the encoder map of its size (skips)."""

    def __init__(self, *,
                 in_channels: int,  # channels of the input image
                 out_channels: int,  # channels of the output image
                 resolution: int,  # image side, a power of two: log2(side) levels, down to 1x1 (unet_256: 8)
                 width: int = 64,  # channels of the outermost level, doubled per level up to 8x
                 norm: Norm = "batch",  # normalization after every convolution but the outermost and innermost
                 dropout: float = 0.5,  # on the three decoder levels after the bottleneck: the only noise source
                 test_dropout: bool = True):  # keep that dropout on in eval mode (the paper's noise at test time)
        super().__init__()
        levels = int(math.log2(resolution))
        channels = [width * min(2 ** i, 8) for i in range(levels)]
        bias = norm != "batch"  # BatchNorm's shift replaces a bias
        self.down = nn.ModuleList([nn.Conv2d(in_channels, channels[0], 4, 2, 1, bias=bias)])
        for i in range(1, levels):
            innermost = i == levels - 1
            self.down.append(nn.Sequential(nn.LeakyReLU(0.2), nn.Conv2d(channels[i - 1], channels[i], 4, 2, 1, bias=bias),
                                           nn.Identity() if innermost else norm_layer(norm, channels[i])))
        # up[0] leaves the 1x1 bottleneck; up[j] takes [previous output, encoder map of that size]
        self.up = nn.ModuleList([nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(channels[-1], channels[-2], 4, 2, 1, bias=bias),
                                               norm_layer(norm, channels[-2]))])
        for j, i in enumerate(range(levels - 2, 0, -1)):
            noise = [TestTimeDropout(dropout, test_dropout)] if j < 3 and dropout > 0 else []
            self.up.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2 * channels[i], channels[i - 1], 4, 2, 1, bias=bias),
                                         norm_layer(norm, channels[i - 1]), *noise))
        self.up.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2 * channels[0], out_channels, 4, 2, 1), nn.Tanh()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)  # [N, C_i, side / 2^(i+1), side / 2^(i+1)]
        x = self.up[0](skips[-1])
        for layer, skip in zip(self.up[1:], reversed(skips[:-1])):
            x = layer(torch.cat([x, skip], dim=1))  # [N, 2 C_i, s, s] -> [N, C_(i-1), 2s, 2s]
        return x


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, norm: Norm):
        super().__init__()
        self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=norm != "batch"),
                                  norm_layer(norm, channels), nn.ReLU(),
                                  nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=norm != "batch"),
                                  norm_layer(norm, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's generator (after Johnson et al. 2016): 7x7 in, two stride-2 stages, residual blocks, back up."""

    def __init__(self, *,
                 in_channels: int,  # channels of the input image
                 out_channels: int,  # channels of the output image
                 width: int = 64,  # channels after the 7x7 input convolution; 4x at the bottleneck
                 blocks: int = 9,  # residual blocks at side / 4 (the paper: 9 at 256x256, 6 at 128x128)
                 norm: Norm = "instance"):  # normalization after every convolution but the last
        super().__init__()
        bias = norm != "batch"
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, width, 7, bias=bias),
                                   norm_layer(norm, width), nn.ReLU()]
        for i in range(2):
            layers += [nn.Conv2d(width * 2 ** i, width * 2 ** (i + 1), 3, 2, 1, bias=bias),
                       norm_layer(norm, width * 2 ** (i + 1)), nn.ReLU()]
        layers += [ResidualBlock(width * 4, norm) for _ in range(blocks)]  # [N, 4 width, side / 4, side / 4]
        for i in (2, 1):
            layers += [nn.ConvTranspose2d(width * 2 ** i, width * 2 ** (i - 1), 3, 2, 1, output_padding=1, bias=bias),
                       norm_layer(norm, width * 2 ** (i - 1)), nn.ReLU()]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """A map of real/fake scores, one per overlapping patch (``schemas.translation.patch_receptive_field``)."""

    def __init__(self, *,
                 in_channels: int,  # channels it judges (pix2pix: input and output stacked)
                 width: int = 64,  # channels of the first layer, doubled per layer up to 8x
                 layers: int = 3,  # stride-2 layers: 3 sees 70x70 patches, 2 34x34, 1 16x16
                 norm: Norm = "batch"):  # after every convolution but the first and the last
        super().__init__()
        bias = norm != "batch"
        body: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        channels = width
        for n in range(1, layers + 1):  # layers - 1 more stride-2 convolutions, then one of stride 1
            out = width * min(2 ** n, 8)
            body += [nn.Conv2d(channels, out, 4, 2 if n < layers else 1, 1, bias=bias), norm_layer(norm, out),
                     nn.LeakyReLU(0.2)]
            channels = out
        body.append(nn.Conv2d(channels, 1, 4, 1, 1))  # [N, 1, side / 2^layers - 2, same]
        self.net = nn.Sequential(*body)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PairedCritic(nn.Module):
    """pix2pix's D: a PatchGAN on (input, output) stacked along channels, so it judges the pair, not the output alone."""

    def __init__(self, patch: PatchDiscriminator):
        super().__init__()
        self.patch = patch

    def forward(self, inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
        return self.patch(torch.cat([inputs, outputs], dim=1))  # [N, C_in + C_out, H, W] -> score map


class TwoGenerators(nn.Module):
    """CycleGAN's G: A -> B and F: B -> A, one side of the step (one optimizer); calling it maps A -> B."""

    def __init__(self, *, a_to_b: nn.Module, b_to_a: nn.Module):
        super().__init__()
        self.a_to_b, self.b_to_a = a_to_b, b_to_a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a_to_b(x)

    def compile(self, *args, **kwargs) -> None:
        """torch.compile each direction: the step calls them, not this module."""
        self.a_to_b.compile(*args, **kwargs)
        self.b_to_a.compile(*args, **kwargs)


class TwoCritics(nn.Module):
    """CycleGAN's D_A (judges domain A) and D_B (judges domain B), updated together by one optimizer."""

    def __init__(self, *, a: nn.Module, b: nn.Module):
        super().__init__()
        self.a, self.b = a, b

    def compile(self, *args, **kwargs) -> None:
        """torch.compile each critic: the step calls them, not this module."""
        self.a.compile(*args, **kwargs)
        self.b.compile(*args, **kwargs)


class FakePool(nn.Module):
    """The last ``size`` fakes (Shrivastava et al. 2017): D trains on new fakes mixed with past ones.

    Until full, every fake is stored and returned. Then each new fake is, with probability 1/2, swapped
    for a random stored one (which is returned), else returned itself. The store is a buffer, so it is
    checkpointed and a resumed run draws from the same history.
    """

    def __init__(self, *, size: int, shape: tuple[int, ...]):
        super().__init__()
        self.size = size
        self.register_buffer("images", torch.zeros(size, *shape))  # [size, C, H, W]
        self.register_buffer("filled", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def forward(self, fakes: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return fakes
        coins = torch.rand(len(fakes), device=fakes.device).tolist()
        picks = torch.randint(self.size, (len(fakes),), device=fakes.device).tolist()
        out, filled = fakes.detach().clone(), int(self.filled)
        for i, (coin, pick) in enumerate(zip(coins, picks)):
            if filled < self.size:
                self.images[filled] = fakes[i]
                filled += 1
            elif coin < 0.5:
                out[i] = self.images[pick]
                self.images[pick] = fakes[i]
        self.filled.fill_(filled)
        return out
