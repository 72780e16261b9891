"""Penalties and constraints on the discriminator, independent of the loss pair.

Penalties are pure functions returning an unweighted scalar; the config's ``penalty.weight``
scales them in one place (``AdversarialModule.d_objective``). Constraints act on a network.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn.utils import parametrizations

Critic = Callable[[torch.Tensor], torch.Tensor]


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
