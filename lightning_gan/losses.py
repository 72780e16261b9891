"""Adversarial losses as pure functions of discriminator scores.

Sign convention used everywhere: the discriminator outputs a real-valued score (a logit for the
BCE-based losses), higher means "more real". Every function returns a scalar to *minimise*.
``real`` / ``fake`` are the scores D(x) and D(G(z)).

A loss type is a pair (d_*, g_*); ``LOSSES`` maps the config name to the pair. Adding a loss type
is two functions and one table row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def d_minimax(real: Tensor, fake: Tensor) -> Tensor:
    """Goodfellow et al. 2014 discriminator loss, the negated value function V(D, G):

    L_D = -E[log σ(D(x))] - E[log(1 - σ(D(G(z))))] = E[softplus(-D(x))] + E[softplus(D(G(z)))]
    """
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def g_minimax(fake: Tensor) -> Tensor:
    """The paper's saturating generator loss, minimising V directly:

    L_G = E[log(1 - σ(D(G(z))))] = -E[softplus(D(G(z)))]

    Its gradient vanishes when D confidently rejects fakes, which is why the paper proposes the
    non-saturating alternative below.
    """
    return -F.softplus(fake).mean()


def g_non_saturating(fake: Tensor) -> Tensor:
    """The paper's non-saturating generator loss (same fixed point, strong early gradients):

    L_G = -E[log σ(D(G(z)))] = E[softplus(-D(G(z)))]
    """
    return F.softplus(-fake).mean()


def d_hinge(real: Tensor, fake: Tensor) -> Tensor:
    """Hinge loss (Lim & Ye 2017; SN-GAN, BigGAN): L_D = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]"""
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def g_hinge(fake: Tensor) -> Tensor:
    """Hinge generator loss: L_G = -E[D(G(z))]"""
    return -fake.mean()


def d_wasserstein(real: Tensor, fake: Tensor) -> Tensor:
    """WGAN critic loss (Arjovsky et al. 2017): L_D = E[D(G(z))] - E[D(x)].

    Only meaningful for a Lipschitz critic (weight clipping, gradient penalty or spectral norm);
    -L_D then estimates the Wasserstein-1 distance.
    """
    return fake.mean() - real.mean()


def g_wasserstein(fake: Tensor) -> Tensor:
    """WGAN generator loss: L_G = -E[D(G(z))]"""
    return -fake.mean()


def d_least_squares(real: Tensor, fake: Tensor) -> Tensor:
    """LSGAN discriminator loss (Mao et al. 2017, 0-1 coding): L_D = ½E[(D(x) - 1)²] + ½E[D(G(z))²]"""
    return 0.5 * (real - 1).pow(2).mean() + 0.5 * fake.pow(2).mean()


def g_least_squares(fake: Tensor) -> Tensor:
    """LSGAN generator loss: L_G = ½E[(D(G(z)) - 1)²]"""
    return 0.5 * (fake - 1).pow(2).mean()


@dataclass(frozen=True)
class LossPair:
    d: Callable[[Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]
    # True when scores are logits of P(real): the D(x) / D(G(z)) balance is then logged as mean
    # probabilities, whose common fixed point is 1/2. Otherwise raw mean scores are logged.
    logits: bool
    # The score of an undecided D (the balance's fixed point when p_g = p_data): 0 for logits,
    # hinge and critics; 0.5 for LSGAN's 0-1 targets.
    neutral: float = 0.0
    # True for critic losses, whose E[D(x)] - E[D(G(z))] estimates the Wasserstein distance.
    critic: bool = False


LOSSES: dict[str, LossPair] = {
    "minimax": LossPair(d=d_minimax, g=g_minimax, logits=True),
    # The non-saturating variant changes only G's objective; D still maximises V.
    "non_saturating": LossPair(d=d_minimax, g=g_non_saturating, logits=True),
    "hinge": LossPair(d=d_hinge, g=g_hinge, logits=False),
    "wasserstein": LossPair(d=d_wasserstein, g=g_wasserstein, logits=False, critic=True),
    "least_squares": LossPair(d=d_least_squares, g=g_least_squares, logits=False, neutral=0.5),
}
