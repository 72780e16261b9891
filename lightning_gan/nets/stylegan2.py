"""StyleGAN2 generator and discriminator (Karras et al. 2020, "Analyzing and Improving the Image Quality of
StyleGAN"), scaled for 16x16 and 32x32 images; the conditioning follows StyleGAN2-ADA (Karras et al. 2020,
"Training Generative Adversarial Networks with Limited Data").

G = synthesis(mapping(z, y)): an MLP maps z (and the label) to w, a per-layer affine of w modulates, then
demodulates, the weights of every conv ("skip" output architecture, learned 4x4 constant input, per-pixel
noise). D is the "resnet" architecture with a minibatch-stddev epilogue and, when conditional, the
projection head of StyleGAN2-ADA. Every layer uses the equalized learning rate (weights stored ~N(0, 1),
scaled at run time by lr_multiplier / sqrt(fan_in)); none subclasses nn.Linear / nn.Conv2d, so spectral
norm and orthogonal regularization, which look for those, leave these nets alone.

Simplifications against the paper / the official code:
- up-sampling (G) is a bilinear 2x resize of the input followed by the 3x3 modulated conv, not a transposed
  conv with a [1, 3, 3, 1] FIR filter; the skip RGB image is also resized bilinearly;
- down-sampling (D) is a 2x2 average pool of the conv output, not a FIR filter before a stride-2 conv;
- the conditional D maps its label to the projection vector with one equalized FC (+ 2nd-moment norm):
  ADA's 8-layer MLP on a one-hot can only produce one learned vector per class anyway;
- no mixed precision, conv clamping or fused kernels; truncation has no layer cutoff (psi acts on every w);
- the output of G is linear (no tanh), as in StyleGAN2: it is trained towards [-1, 1] images but not
  clipped to them.

ws accounting (as StyleGAN2-ADA): one w per SynthesisLayer, coarse first, plus one for the last ToRGB;
each other ToRGB shares the w of the next block's first layer. So ``num_ws = 2 * log2(resolution) - 2``
and ws[:, i] is the style of the i-th SynthesisLayer in forward order.

Labels are LongTensor [N] in [0, num_classes); D returns [N] logits. Randomness comes from an optional
``torch.Generator`` (drawn on its device, then moved), else from the global RNG on the input's device.
"""
from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

NoiseMode = Literal["random", "const", "none"]
NOISE_MODES = ("random", "const", "none")


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    # the sqrt(2) gain keeps the second moment of a unit-variance input at about 1 after the ReLU-ish cut
    return F.leaky_relu(x, 0.2) * math.sqrt(2)


def _randn(shape: tuple[int, ...], like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    if generator is None:
        return torch.randn(shape, device=like.device, dtype=like.dtype)
    return torch.randn(shape, generator=generator, device=generator.device).to(like.device, like.dtype)


def _up2(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def _one_hot(labels: torch.Tensor | None, num_classes: int, like: torch.Tensor) -> torch.Tensor:
    if labels is None:
        raise ValueError(f"this net is conditional ({num_classes} classes): pass labels")
    return F.one_hot(labels, num_classes).to(like.dtype)  # [N, K]


class EqualizedLinear(nn.Module):
    """Fully connected layer with the equalized learning rate (optionally lrelu * sqrt(2))."""

    def __init__(
        self,
        *,
        in_features: int,  # input width
        out_features: int,  # output width
        activation: bool = False,  # apply lrelu * sqrt(2) after the bias
        bias: bool = True,  # learn an additive bias
        bias_init: float = 0.0,  # effective initial bias (1 for style affines: start at the unmodulated conv)
        lr_multiplier: float = 1.0,  # scales this layer's effective learning rate (0.01 in the mapping net)
    ):
        super().__init__()
        # stored at 1/lr_multiplier scale and multiplied back at run time: Adam's step is scale-free, so the
        # effective weight moves lr_multiplier times as fast
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], bias_init / lr_multiplier)) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bias * self.bias_gain if self.bias is not None else None
        x = F.linear(x, self.weight * self.weight_gain, b)
        return _lrelu(x) if self.activation else x


class EqualizedConv2d(nn.Module):
    """Square conv ("same" padding) with the equalized learning rate and optional 2x down-sampling (D)."""

    def __init__(
        self,
        *,
        in_channels: int,  # input feature maps
        out_channels: int,  # output feature maps
        kernel_size: int,  # odd side of the kernel (1 or 3)
        activation: bool = False,  # apply lrelu * sqrt(2)
        bias: bool = True,  # learn an additive bias (the residual skip has none)
        down: bool = False,  # halve the resolution after the conv (2x2 average pool)
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.activation = activation
        self.down = down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.weight.shape[-1] // 2)
        if self.down:
            x = F.avg_pool2d(x, 2)  # a box filter before decimation, standing in for ADA's FIR filter
        return _lrelu(x) if self.activation else x


class ModulatedConv2d(nn.Module):
    """Conv whose weights are scaled per sample and input channel by styles = affine(w), then (optionally)
    demodulated so each output channel has unit expected variance for unit-variance inputs (paper eq. 1-3).
    With ``up`` the input is first resized bilinearly to twice its side (see the module docstring)."""

    def __init__(
        self,
        *,
        in_channels: int,  # input feature maps
        out_channels: int,  # output feature maps
        w_dim: int,  # width of the w that sets the styles
        kernel_size: int,  # odd side of the kernel (3 in the layers, 1 in ToRGB)
        demodulate: bool = True,  # normalize each sample's output channels (off in ToRGB)
        up: bool = False,  # double the resolution first (the first layer of each block)
    ):
        super().__init__()
        self.affine = EqualizedLinear(in_features=w_dim, out_features=in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)  # cancels under demodulation
        self.demodulate = demodulate
        self.up = up

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        n, c_in = x.shape[:2]
        styles = self.affine(w) * self.weight_gain  # [N, C_in]
        weight = self.weight[None] * styles[:, None, :, None, None]  # [N, C_out, C_in, k, k]
        if self.demodulate:
            weight = weight * (weight.square().sum(dim=[2, 3, 4], keepdim=True) + 1e-8).rsqrt()
        if self.up:
            x = _up2(x)
        k = weight.shape[-1]
        # one grouped conv runs N different kernels: the batch becomes the group axis
        out = F.conv2d(x.reshape(1, n * c_in, *x.shape[2:]), weight.reshape(-1, c_in, k, k),
                       padding=k // 2, groups=n)  # [1, N * C_out, H, W]
        return out.reshape(n, -1, *out.shape[2:])  # [N, C_out, H, W]


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv + scaled per-pixel noise + bias + lrelu * sqrt(2)."""

    def __init__(
        self,
        *,
        in_channels: int,  # input feature maps
        out_channels: int,  # output feature maps
        w_dim: int,  # width of w
        resolution: int,  # output side (sets the size of the fixed noise)
        up: bool = False,  # double the resolution (first layer of a block)
    ):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels=in_channels, out_channels=out_channels, w_dim=w_dim, kernel_size=3,
                                    up=up)
        self.noise_strength = nn.Parameter(torch.zeros([]))  # starts silent; G learns how much noise to use
        self.register_buffer("noise_const", torch.randn(resolution, resolution))  # for reproducible grids
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, *, noise_mode: NoiseMode = "random",
                generator: torch.Generator | None = None) -> torch.Tensor:
        x = self.conv(x, w)  # [N, C_out, R, R]
        if noise_mode == "random":
            x = x + _randn((x.shape[0], 1, *x.shape[2:]), x, generator) * self.noise_strength  # one plane per sample
        elif noise_mode == "const":
            x = x + self.noise_const * self.noise_strength
        return _lrelu(x + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv to image channels, not demodulated (the output scale is the style's to set)."""

    def __init__(
        self,
        *,
        in_channels: int,  # input feature maps
        channels: int,  # image channels
        w_dim: int,  # width of w
    ):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels=in_channels, out_channels=channels, w_dim=w_dim, kernel_size=1,
                                    demodulate=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias[None, :, None, None]


def _check_resolution(resolution: int) -> None:
    if resolution < 8 or resolution & (resolution - 1):
        raise ValueError(f"StyleGAN2 nets need a power-of-2 resolution >= 8, got {resolution}")


def _widths(resolution: int, width: int, max_width: int) -> dict[int, int]:
    """Channels per side 4, 8, ..., resolution: ``width`` at the output side, doubling per halving, capped."""
    sides = [4 * 2 ** i for i in range(int(math.log2(resolution)) - 1)]
    return {r: min(max_width, width * resolution // r) for r in sides}


class SynthesisNetwork(nn.Module):
    def __init__(
        self,
        *,
        w_dim: int,  # width of each w
        resolution: int,  # output side: a power of 2 >= 8
        channels: int,  # output image channels
        width: int,  # channels at the output resolution; doubled per coarser block
        max_width: int,  # cap on the channels of any block
    ):
        super().__init__()
        _check_resolution(resolution)
        ch = _widths(resolution, width, max_width)
        sides = list(ch)
        self.const = nn.Parameter(torch.randn(ch[4], 4, 4))
        # flat lists in forward order, so ws[:, i] <-> layers[i] without bookkeeping per block
        self.layers = nn.ModuleList()
        self.torgbs = nn.ModuleList()
        self.layers_per_block: list[int] = []
        for r in sides:
            if r > 4:
                self.layers.append(SynthesisLayer(in_channels=ch[r // 2], out_channels=ch[r], w_dim=w_dim,
                                                  resolution=r, up=True))
            self.layers.append(SynthesisLayer(in_channels=ch[r], out_channels=ch[r], w_dim=w_dim, resolution=r))
            self.torgbs.append(ToRGB(in_channels=ch[r], channels=channels, w_dim=w_dim))
            self.layers_per_block.append(1 if r == 4 else 2)
        self.w_dim = w_dim
        self.resolution = resolution

    @property
    def num_ws(self) -> int:
        """One w per SynthesisLayer plus one for the last ToRGB (the others share their next layer's)."""
        return len(self.layers) + 1

    def forward(self, ws: torch.Tensor, *, noise_mode: NoiseMode = "random",
                generator: torch.Generator | None = None, return_features: bool = False):
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        if ws.dim() != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must have shape [N, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        x = self.const[None].expand(ws.shape[0], -1, -1, -1)  # [N, C_4, 4, 4]
        img, features, i = None, [], 0
        for count, torgb in zip(self.layers_per_block, self.torgbs):
            for _ in range(count):
                x = self.layers[i](x, ws[:, i], noise_mode=noise_mode, generator=generator)  # [N, C_r, r, r]
                features.append(x)
                i += 1
            y = torgb(x, ws[:, i])  # [N, channels, r, r]; ws[:, i] is also the next block's first style
            img = y if img is None else _up2(img) + y
        return (img, features) if return_features else img  # img: [N, channels, R, R], linear


class MappingNetwork(nn.Module):
    def __init__(
        self,
        *,
        z_dim: int,  # length of the prior vector z
        w_dim: int,  # width of w (and of the label embedding)
        num_layers: int,  # FC layers after the input (8 in the paper)
        num_classes: int,  # 0: unconditional; else the label's embedding joins z at the input
        lr_multiplier: float = 0.01,  # the paper's 100x slower mapping net
        w_avg_beta: float = 0.995,  # decay of the running mean of w (the truncation centre)
    ):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"the mapping network needs num_layers >= 1, got {num_layers}")
        self.embed = EqualizedLinear(in_features=num_classes, out_features=w_dim) if num_classes > 0 else None
        dims = [z_dim + (w_dim if num_classes > 0 else 0)] + [w_dim] * num_layers
        self.layers = nn.Sequential(*[EqualizedLinear(in_features=a, out_features=b, activation=True,
                                                      lr_multiplier=lr_multiplier) for a, b in zip(dims, dims[1:])])
        self.register_buffer("w_avg", torch.zeros(w_dim))
        self.z_dim = z_dim
        self.num_classes = num_classes
        self.w_avg_beta = w_avg_beta

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None, *, num_ws: int,
                truncation_psi: float = 1.0, update_w_avg: bool = False) -> torch.Tensor:
        x = normalize_2nd_moment(z)  # [N, z_dim]
        if self.embed is not None:
            # normalized like z, so neither input dominates the first layer by scale alone
            y = normalize_2nd_moment(self.embed(_one_hot(labels, self.num_classes, z)))  # [N, w_dim]
            x = torch.cat([x, y], dim=1)  # [N, z_dim + w_dim]
        w = self.layers(x)  # [N, w_dim]
        if update_w_avg:  # from the untruncated w: the centre must not drift towards itself
            # under autocast w is bf16 / fp16 and the centre stays fp32: lerp wants one dtype
            self.w_avg.copy_(w.detach().mean(dim=0).to(self.w_avg.dtype).lerp(self.w_avg, self.w_avg_beta))
        if truncation_psi != 1:
            w = self.w_avg.to(w.dtype).lerp(w, truncation_psi)
        return w[:, None].repeat(1, num_ws, 1)  # [N, num_ws, w_dim]


def mix_styles(ws_a: torch.Tensor, ws_b: torch.Tensor, crossover: int) -> torch.Tensor:
    """ws whose layers < crossover come from ws_a and the rest from ws_b (both [N, num_ws, w_dim])."""
    return torch.cat([ws_a[:, :crossover], ws_b[:, crossover:]], dim=1)


class StyleGAN2Generator(nn.Module):
    def __init__(
        self,
        *,
        z_dim: int,  # length of the prior vector z
        w_dim: int,  # width of the intermediate latent w
        mapping_layers: int,  # FC layers of the mapping network (8 in the paper)
        num_classes: int,  # 0: unconditional
        resolution: int,  # output side: a power of 2 >= 8
        channels: int,  # output image channels
        width: int,  # channels at the output resolution; doubled per coarser block
        max_width: int,  # cap on the channels of any block
        mapping_lr_multiplier: float = 0.01,  # learning-rate scale of the mapping network
    ):
        super().__init__()
        self.mapping = MappingNetwork(z_dim=z_dim, w_dim=w_dim, num_layers=mapping_layers, num_classes=num_classes,
                                      lr_multiplier=mapping_lr_multiplier)
        self.synthesis = SynthesisNetwork(w_dim=w_dim, resolution=resolution, channels=channels, width=width,
                                          max_width=max_width)
        self.z_dim = z_dim
        self.num_classes = num_classes
        self.num_ws = self.synthesis.num_ws

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None, *, truncation_psi: float = 1.0,
                noise_mode: NoiseMode = "random", generator: torch.Generator | None = None,
                mixing_prob: float = 0.0, update_w_avg: bool = False, return_ws: bool = False):
        ws = self.mapping(z, labels, num_ws=self.num_ws, truncation_psi=truncation_psi, update_w_avg=update_w_avg)
        if mixing_prob > 0:
            # style mixing regularization: one crossover per batch (as ADA); scalars on the CPU need no device sync
            dev = generator.device if generator is not None else "cpu"
            cutoff = int(torch.randint(1, self.num_ws, [], generator=generator, device=dev))
            if float(torch.rand([], generator=generator, device=dev)) < mixing_prob:
                z2 = _randn(tuple(z.shape), z, generator)
                ws = mix_styles(ws, self.mapping(z2, labels, num_ws=self.num_ws, truncation_psi=truncation_psi), cutoff)
        images = self.synthesis(ws, noise_mode=noise_mode, generator=generator)  # [N, C, R, R]
        return (images, ws) if return_ws else images


def _mbstd_group(n: int, group: int) -> int:
    """Largest divisor of n that is <= group, so every batch size splits into whole groups."""
    return max(g for g in range(1, min(group, n) + 1) if n % g == 0)


class _DiscriminatorBlock(nn.Module):
    """conv3x3 -> conv3x3 with 2x down-sampling, plus a bias-free 1x1 down-sampled skip; sum / sqrt(2)."""

    def __init__(
        self,
        *,
        in_channels: int,  # input feature maps
        out_channels: int,  # output feature maps (at half the side)
    ):
        super().__init__()
        self.conv0 = EqualizedConv2d(in_channels=in_channels, out_channels=in_channels, kernel_size=3, activation=True)
        self.conv1 = EqualizedConv2d(in_channels=in_channels, out_channels=out_channels, kernel_size=3, activation=True,
                                     down=True)
        self.skip = EqualizedConv2d(in_channels=in_channels, out_channels=out_channels, kernel_size=1, bias=False,
                                    down=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # 1/sqrt(2) keeps the sum of two ~unit-variance branches at unit variance
        return (self.skip(x) + self.conv1(self.conv0(x))) / math.sqrt(2)  # [N, C_out, H/2, W/2]


class StyleGAN2Discriminator(nn.Module):
    def __init__(
        self,
        *,
        resolution: int,  # input side: a power of 2 >= 8
        channels: int,  # input image channels
        width: int,  # channels at the input resolution; doubled per halving
        max_width: int,  # cap on the channels of any block
        num_classes: int,  # 0: unconditional; else a projection head
        mbstd_group: int = 4,  # largest group for the minibatch stddev statistic
        mbstd_channels: int = 1,  # feature groups of the stddev statistic (one extra map each)
        cmap_dim: int = 0,  # width of the label projection; 0 = the hidden width at 4x4
    ):
        super().__init__()
        _check_resolution(resolution)
        ch = _widths(resolution, width, max_width)
        c4 = ch[4]
        self.from_rgb = EqualizedConv2d(in_channels=channels, out_channels=ch[resolution], kernel_size=1,
                                        activation=True)
        self.blocks = nn.ModuleList(_DiscriminatorBlock(in_channels=ch[r], out_channels=ch[r // 2])
                                    for r in sorted(ch, reverse=True) if r > 4)
        if c4 % mbstd_channels:
            raise ValueError(f"mbstd_channels={mbstd_channels} must divide the 4x4 width {c4}")
        self.conv = EqualizedConv2d(in_channels=c4 + mbstd_channels, out_channels=c4, kernel_size=3, activation=True)
        self.fc = EqualizedLinear(in_features=c4 * 16, out_features=c4, activation=True)
        self.cmap_dim = (cmap_dim or c4) if num_classes > 0 else 0
        self.out = EqualizedLinear(in_features=c4, out_features=self.cmap_dim or 1)
        self.embed = EqualizedLinear(in_features=num_classes, out_features=self.cmap_dim) if num_classes > 0 else None
        self.num_classes = num_classes
        self.mbstd_group = mbstd_group
        self.mbstd_channels = mbstd_channels

    def minibatch_std(self, x: torch.Tensor) -> torch.Tensor:
        """Appends the mean stddev over each group of samples (per feature group) as extra constant maps."""
        n, c, h, w = x.shape
        g, f = _mbstd_group(n, self.mbstd_group), self.mbstd_channels
        # group members are samples i, i + n/g, i + 2n/g, ... (ADA's layout)
        y = x.reshape(g, n // g, f, c // f, h, w)  # [G, M, F, C/F, H, W]
        y = (y - y.mean(dim=0)).square().mean(dim=0).add(1e-8).sqrt()  # [M, F, C/F, H, W]
        y = y.mean(dim=[2, 3, 4]).reshape(-1, f, 1, 1)  # [M, F, 1, 1]
        return torch.cat([x, y.repeat(g, 1, h, w)], dim=1)  # [N, C + F, H, W]

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.from_rgb(x)  # [N, C_R, R, R]
        for block in self.blocks:
            h = block(h)
        h = self.conv(self.minibatch_std(h))  # [N, C_4, 4, 4]
        h = self.out(self.fc(h.flatten(1)))  # [N, cmap_dim or 1]
        if self.embed is None:
            return h.squeeze(1)  # [N]
        cmap = normalize_2nd_moment(self.embed(_one_hot(labels, self.num_classes, x)))  # [N, cmap_dim]
        return (h * cmap).sum(dim=1) / math.sqrt(self.cmap_dim)  # [N]


def path_length(images: torch.Tensor, ws: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Per-sample ‖J_w^T y‖ of the StyleGAN2 path-length regularizer (paper eq. 4), y ~ N(0, I) / sqrt(H W).

    The division by sqrt(H W) makes the length independent of the resolution; averaging the squared gradient
    over the ws makes it independent of num_ws. The running mean and the weight are the caller's.
    """
    y = _randn(tuple(images.shape), images, generator) / math.sqrt(images.shape[2] * images.shape[3])
    (grad,) = torch.autograd.grad((images * y).sum(), ws, create_graph=True)  # [N, num_ws, w_dim]
    return grad.square().sum(dim=2).mean(dim=1).sqrt()  # [N]
