"""Adversarial losses as pure functions of discriminator scores.

Sign convention used everywhere: the discriminator outputs a real-valued score (a logit for the
BCE-based losses), higher means "more real". Every function returns a scalar to *minimise*.
``real`` / ``fake`` are the scores D(x) and D(G(z)).

A loss type is three terms: D's loss on real scores, D's loss on fake scores (anything D must call
fake: G's samples, and for conditional models real images under a wrong label), and G's loss.
D's loss is ``d_real(real) + d_fake(fake)``. ``LOSSES`` maps the config name to the terms. Adding a
loss type is three one-line functions and one table row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def d_real_logistic(real: Tensor) -> Tensor:
    """D's real term of Goodfellow et al. 2014 (the negated value function): -E[log σ(D(x))] = E[softplus(-D(x))]"""
    return F.softplus(-real).mean()


def d_fake_logistic(fake: Tensor) -> Tensor:
    """D's fake term of Goodfellow et al. 2014: -E[log(1 - σ(D(G(z))))] = E[softplus(D(G(z)))]"""
    return F.softplus(fake).mean()


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


def d_real_hinge(real: Tensor) -> Tensor:
    """Hinge loss (Lim & Ye 2017; SN-GAN, BigGAN), real term: E[relu(1 - D(x))]"""
    return F.relu(1 - real).mean()


def d_fake_hinge(fake: Tensor) -> Tensor:
    """Hinge loss, fake term: E[relu(1 + D(G(z)))]"""
    return F.relu(1 + fake).mean()


def g_hinge(fake: Tensor) -> Tensor:
    """Hinge generator loss: L_G = -E[D(G(z))]"""
    return -fake.mean()


def d_real_wasserstein(real: Tensor) -> Tensor:
    """WGAN critic (Arjovsky et al. 2017), real term: -E[D(x)].

    Only meaningful for a Lipschitz critic (weight clipping, gradient penalty or spectral norm);
    -(real term + fake term) then estimates the Wasserstein-1 distance.
    """
    return -real.mean()


def d_fake_wasserstein(fake: Tensor) -> Tensor:
    """WGAN critic, fake term: E[D(G(z))]"""
    return fake.mean()


def g_wasserstein(fake: Tensor) -> Tensor:
    """WGAN generator loss: L_G = -E[D(G(z))]"""
    return -fake.mean()


def d_real_least_squares(real: Tensor) -> Tensor:
    """LSGAN (Mao et al. 2017, 0-1 coding), real term: ½E[(D(x) - 1)²]"""
    return 0.5 * (real - 1).pow(2).mean()


def d_fake_least_squares(fake: Tensor) -> Tensor:
    """LSGAN, fake term: ½E[D(G(z))²]"""
    return 0.5 * fake.pow(2).mean()


def g_least_squares(fake: Tensor) -> Tensor:
    """LSGAN generator loss: L_G = ½E[(D(G(z)) - 1)²]"""
    return 0.5 * (fake - 1).pow(2).mean()


@dataclass(frozen=True)
class LossPair:
    d_real: Callable[[Tensor], Tensor]  # D's loss on scores of real data
    d_fake: Callable[[Tensor], Tensor]  # D's loss on scores of what it must call fake
    g: Callable[[Tensor], Tensor]  # G's loss on scores of its samples
    # True when scores are logits of P(real): the D(x) / D(G(z)) balance is then logged as mean
    # probabilities, whose common fixed point is 1/2. Otherwise raw mean scores are logged.
    logits: bool
    # The score of an undecided D (the balance's fixed point when p_g = p_data): 0 for logits,
    # hinge and critics; 0.5 for LSGAN's 0-1 targets.
    neutral: float = 0.0
    # True for critic losses, whose E[D(x)] - E[D(G(z))] estimates the Wasserstein distance.
    critic: bool = False

    def d(self, real: Tensor, fake: Tensor) -> Tensor:
        """D's whole loss on one real and one fake set of scores."""
        return self.d_real(real) + self.d_fake(fake)


LOSSES: dict[str, LossPair] = {
    "minimax": LossPair(d_real_logistic, d_fake_logistic, g_minimax, logits=True),
    # The non-saturating variant changes only G's objective; D still maximises V.
    "non_saturating": LossPair(d_real_logistic, d_fake_logistic, g_non_saturating, logits=True),
    "hinge": LossPair(d_real_hinge, d_fake_hinge, g_hinge, logits=False),
    "wasserstein": LossPair(d_real_wasserstein, d_fake_wasserstein, g_wasserstein, logits=False, critic=True),
    "least_squares": LossPair(d_real_least_squares, d_fake_least_squares, g_least_squares, logits=False, neutral=0.5),
}
