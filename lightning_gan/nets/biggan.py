"""BigGAN generator and discriminator (Brock et al. 2019, "Large Scale GAN Training for High Fidelity Natural
Image Synthesis"), scaled for 16x16 and 32x32 images after the CIFAR architecture of BigGAN-PyTorch.

G: a linear layer maps (a chunk of) z to a 4x4 base, then residual up-blocks of 4 * width channels each,
with class-conditional BatchNorm whose gain and bias are linear in [shared class embedding, z chunk]
(the shared embedding and the hierarchical latent of the paper, section 3), BN-ReLU-conv3x3 to the image,
tanh. D: residual blocks of 4 * width channels, ReLU, global sum pooling, a linear score plus the
projection term <embed(y), h> (Miyato & Koyama 2018). An optional SAGAN self-attention block (Zhang et al.
2019) follows the first block of G and of D whose output side is ``attention_resolution``.

Choices and simplifications against the paper / BigGAN-PyTorch:
- hierarchical=False is BigGAN-PyTorch's: the whole z goes to the linear layer and every conditional BN
  sees the class embedding alone (no skip-z);
- z_dim must split into (blocks + 1) equal chunks; BigGAN-PyTorch silently drops the remainder;
- one attention block per net, after the first block at that side (BigGAN-PyTorch's D adds one after
  every block at that side, i.e. up to three at 8x8);
- no spectral norm inside: only nn.Linear / nn.Conv2d / nn.Embedding hold weights, so the framework's
  ``add_spectral_norm`` wraps every linear and conv; the embeddings (G's shared one and D's projection)
  stay plain, where BigGAN-PyTorch normalizes D's embedding too;
- every weight, embeddings included, starts orthogonal (BigGAN-PyTorch's default "ortho" init);
- no BN statistics accumulated for sampling ("standing stats"), no mixed precision, no layer sharing.

Labels are LongTensor [N] in [0, num_classes); D returns [N] logits.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BLOCKS = {16: 2, 32: 3}  # image side -> G's up-sampling blocks from the 4x4 base


def _blocks(resolution: int) -> int:
    if resolution not in BLOCKS:
        raise ValueError(f"BigGAN nets support resolutions {sorted(BLOCKS)}, got {resolution}")
    return BLOCKS[resolution]


def _ortho_init(net: nn.Module) -> None:
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.Embedding)):
            nn.init.orthogonal_(m.weight)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)


def _attention_index(sides: list[int], attention_resolution: int, net: str) -> int | None:
    """Index of the first block whose output side is ``attention_resolution`` (None for 0)."""
    if attention_resolution == 0:
        return None
    if attention_resolution not in sides:
        raise ValueError(f"no {net} block has a {attention_resolution}x{attention_resolution} output "
                         f"(its block sides are {sorted(set(sides))}); use 0 (none) or one of them")
    return sides.index(attention_resolution)


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm without its own affine, then a per-sample gain 1 + W_g c and bias W_b c from a condition c."""

    def __init__(
        self,
        *,
        channels: int,  # feature maps to normalize
        cond_dim: int,  # width of the condition (shared class embedding [+ z chunk])
    ):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        # no biases: a constant offset in the gain or bias would just be an unconditional affine, and the
        # "1 +" centres the gain at the identity whatever the scale of W_g (e.g. under spectral norm)
        self.gain = nn.Linear(cond_dim, channels, bias=False)
        self.bias = nn.Linear(cond_dim, channels, bias=False)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        gain = 1 + self.gain(cond)[:, :, None, None]  # [N, C, 1, 1]
        return self.bn(x) * gain + self.bias(cond)[:, :, None, None]


class SelfAttention(nn.Module):
    """SAGAN self-attention: x + gamma * o(g(x) softmax(theta(x)^T phi(x))), phi and g max-pooled 2x."""

    def __init__(
        self,
        channels: int,  # feature maps in and out
    ):
        super().__init__()
        key = max(1, channels // 8)  # query / key width; at least 1 so narrow nets (< 8 channels) still build
        self.theta = nn.Conv2d(channels, key, 1, bias=False)
        self.phi = nn.Conv2d(channels, key, 1, bias=False)
        self.g = nn.Conv2d(channels, max(1, channels // 2), 1, bias=False)
        self.o = nn.Conv2d(max(1, channels // 2), channels, 1, bias=False)
        # zero: the block starts as the identity and the net learns how much non-local evidence to mix in
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        theta = self.theta(x).flatten(2)  # [N, C/8, HW]
        # pooled keys and values: a quarter of the positions to attend to, at a quarter of the cost
        phi = F.max_pool2d(self.phi(x), 2).flatten(2)  # [N, C/8, HW/4]
        g = F.max_pool2d(self.g(x), 2).flatten(2)  # [N, C/2, HW/4]
        beta = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)  # [N, HW, HW/4]: each query over all keys
        o = (g @ beta.transpose(1, 2)).view(n, -1, h, w)  # [N, C/2, H, W]
        return x + self.gamma * self.o(o)


class GBlock(nn.Module):
    """CBN-ReLU-up-conv3x3-CBN-ReLU-conv3x3, plus a nearest-up 1x1-conv skip; doubles the side."""

    def __init__(
        self,
        *,
        in_channels: int,  # input feature maps
        out_channels: int,  # output feature maps
        cond_dim: int,  # width of this block's condition
    ):
        super().__init__()
        self.bn1 = ConditionalBatchNorm2d(channels=in_channels, cond_dim=cond_dim)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)  # bn2 would cancel a bias
        self.bn2 = ConditionalBatchNorm2d(channels=out_channels, cond_dim=cond_dim)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1)  # learned: the side (and maybe the width) changes

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, cond)), scale_factor=2, mode="nearest")  # [N, C_in, 2H, 2W]
        h = self.conv2(F.relu(self.bn2(self.conv1(h), cond)))  # [N, C_out, 2H, 2W]
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class BigGANGenerator(nn.Module):
    def __init__(
        self,
        *,
        z_dim: int,  # length of the prior vector z
        num_classes: int,  # number of labels
        shared_dim: int,  # width of the class embedding shared by every conditional BN
        resolution: int,  # output side: 16 (2 up-blocks) or 32 (3)
        channels: int,  # output image channels (1 gray, 3 RGB)
        width: int,  # BigGAN's ch: every block has 4 * width channels
        attention_resolution: int,  # output side of the block followed by self-attention; 0 = none
        hierarchical: bool,  # split z into (blocks + 1) chunks: one for the base, one per block's BNs
    ):
        super().__init__()
        n_blocks = _blocks(resolution)
        if hierarchical and z_dim % (n_blocks + 1):
            raise ValueError(f"a hierarchical latent splits z into {n_blocks + 1} equal chunks at {resolution}x"
                             f"{resolution}; z_dim={z_dim} is not divisible by {n_blocks + 1}")
        chunk = z_dim // (n_blocks + 1) if hierarchical else z_dim
        cond_dim = shared_dim + (chunk if hierarchical else 0)
        c = 4 * width
        self.shared = nn.Embedding(num_classes, shared_dim)
        self.linear = nn.Linear(chunk, c * 4 * 4)
        self.blocks = nn.ModuleList(GBlock(in_channels=c, out_channels=c, cond_dim=cond_dim)
                                    for _ in range(n_blocks))
        sides = [4 * 2 ** (i + 1) for i in range(n_blocks)]  # output side of each block
        self.attention_index = _attention_index(sides, attention_resolution, "generator")
        self.attention = SelfAttention(c) if self.attention_index is not None else None
        self.out = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, channels, 3, padding=1), nn.Tanh())
        _ortho_init(self)
        self.z_dim = z_dim
        self.num_classes = num_classes
        self.hierarchical = hierarchical
        self.chunk = chunk
        self.block_channels = c

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        y = self.shared(labels)  # [N, shared_dim]
        if self.hierarchical:
            first, *rest = torch.split(z, self.chunk, dim=1)  # blocks + 1 chunks of [N, chunk]
            conds = [torch.cat([y, zi], dim=1) for zi in rest]  # [N, shared_dim + chunk] per block
        else:
            first, conds = z, [y] * len(self.blocks)
        h = self.linear(first).view(z.shape[0], self.block_channels, 4, 4)  # [N, C, 4, 4]
        for i, (block, cond) in enumerate(zip(self.blocks, conds)):
            h = block(h, cond)  # [N, C, 2H, 2W]
            if i == self.attention_index:
                h = self.attention(h)
        return self.out(h)  # [N, channels, res, res] in [-1, 1]


class DBlock(nn.Module):
    """Residual D block: (ReLU)-conv3x3-ReLU-conv3x3(-avgpool), plus a skip that is learned (1x1 conv)
    only where the shape changes. The ``optimized`` first block sees the image, so it has no leading ReLU
    and pools its input before the skip conv (cheaper at the full side, as BigGAN-PyTorch)."""

    def __init__(
        self,
        *,
        in_channels: int,  # input feature maps
        out_channels: int,  # output feature maps
        down: bool,  # halve the side with a 2x2 average pool
        optimized: bool = False,  # the first block: no pre-activation, pool before the skip conv
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        learned = in_channels != out_channels or down
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if learned else None
        self.down = down
        self.optimized = optimized

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(x if self.optimized else F.relu(x))))  # [N, C_out, H, W]
        if self.down:
            h = F.avg_pool2d(h, 2)  # [N, C_out, H/2, W/2]
        s = x
        if self.optimized:  # pool, then conv: the 1x1 conv runs on a quarter of the positions
            s = self.skip(F.avg_pool2d(s, 2))
        else:
            s = self.skip(s) if self.skip is not None else s
            s = F.avg_pool2d(s, 2) if self.down else s
        return h + s


class BigGANDiscriminator(nn.Module):
    def __init__(
        self,
        *,
        num_classes: int,  # number of labels (projection head)
        resolution: int,  # input side: 16 or 32
        channels: int,  # input image channels
        width: int,  # BigGAN's ch: every block has 4 * width channels
        attention_resolution: int,  # output side of the block followed by self-attention; 0 = none
    ):
        super().__init__()
        c = 4 * width
        n_down = _blocks(resolution) - 1  # 32x32: 16, 8, then two blocks at 8x8 (BigGAN-PyTorch's CIFAR D)
        downs = [True] * n_down + [False, False]
        self.blocks = nn.ModuleList(DBlock(in_channels=channels if i == 0 else c, out_channels=c, down=down,
                                           optimized=i == 0) for i, down in enumerate(downs))
        sides = [resolution // 2 ** min(i + 1, n_down) for i in range(len(downs))]  # output side of each block
        self.attention_index = _attention_index(sides, attention_resolution, "discriminator")
        self.attention = SelfAttention(c) if self.attention_index is not None else None
        self.linear = nn.Linear(c, 1)
        self.embed = nn.Embedding(num_classes, c)
        _ortho_init(self)
        self.num_classes = num_classes

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """phi(x): the residual body, ReLU and global sum pooling."""
        h = x
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i == self.attention_index:
                h = self.attention(h)
        # a sum, not a mean, as BigGAN-PyTorch: the score scales with the area the evidence covers
        return F.relu(h).sum(dim=[2, 3])  # [N, C]

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.features(x)  # [N, C]
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(dim=1)  # [N]
