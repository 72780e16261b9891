"""Regularizers and constraints, independent of the loss pair.

Penalties are pure functions returning an unweighted scalar. A ``Regularizer`` declares one of them
for a side (D or G) with a weight and an interval; the step (``AdversarialModule``) runs each due
regularizer, scales it by weight x interval and logs it under its name. Constraints act on a network.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, NamedTuple, Optional

import torch
from torch import nn
from torch.nn.utils import parametrizations

Critic = Callable[[torch.Tensor], torch.Tensor]


class RegularizerInputs(NamedTuple):
    """What a regularizer may read: the batch's real samples, this update's fakes, the scoring closure."""

    network: nn.Module  # the network being updated
    real: Optional[torch.Tensor] = None
    fake: Optional[torch.Tensor] = None
    critic: Optional[Critic] = None  # D with any condition closed over (labels)


@dataclass(frozen=True)
class Regularizer:
    """A penalty added to one side's loss on every ``every``-th update of that side.

    Lazy regularization (Karras et al. 2020, StyleGAN2 appendix B): run every N-th update with gain N,
    so its average strength is unchanged; that side's optimizer is corrected once by N/(N+1)
    (``base.lazy_corrected``). ``every=1`` is the usual per-step penalty.
    """

    name: str  # logged as train/<name>
    side: Literal["g", "d"]  # whose update it joins
    weight: float  # multiplies the unweighted penalty
    every: int  # interval in updates of that side
    penalty: Callable[[RegularizerInputs], torch.Tensor]

    def due(self, updates_so_far: int) -> bool:
        return updates_so_far % self.every == 0


def gradient_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): E[(‖∇D(x̂)‖₂ - 1)²], x̂ = εx + (1 - ε)G(z), ε ~ U[0, 1] per sample.

    ``critic`` closes over any condition (labels), so conditional variants pass their own.
    """
    eps = torch.rand(real.shape[0], *[1] * (real.dim() - 1), device=real.device, dtype=real.dtype)
    mixed = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


def r1_penalty(critic: Critic, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[‖∇D(x)‖₂²] on real data; the usual weight is γ/2."""
    real = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(real).sum(), real, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()


def orthogonal_penalty(net: nn.Module) -> torch.Tensor:
    """BigGAN's modified orthogonal regularization (Brock et al. 2019, eq. 3): Σ_W ‖W Wᵀ ⊙ (1 − I)‖²_F.

    Only off-diagonal entries are penalised, so filters are pushed apart without fixing their norms.
    W is every linear / convolution weight, flattened to [out, in·k·k]; biases, norms and embeddings are left alone.
    """
    total = torch.zeros((), device=next(net.parameters()).device)
    for layer in net.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            w = layer.weight.flatten(1)  # [out, in*k*k]
            gram = w @ w.t()
            total = total + (gram * (1 - torch.eye(gram.shape[0], device=gram.device, dtype=gram.dtype))).pow(2).sum()
    return total


@torch.no_grad()
def clip_weights(net: nn.Module, bound: float) -> None:
    """WGAN weight clipping (Arjovsky et al. 2017): every parameter into [-c, c], after D's step."""
    for param in net.parameters():
        param.clamp_(-bound, bound)


def add_spectral_norm(net: nn.Module) -> nn.Module:
    """Spectral normalization (Miyato et al. 2018) on every linear and convolution layer."""
    layers = [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    for layer in layers:
        parametrizations.spectral_norm(layer)
    return net
