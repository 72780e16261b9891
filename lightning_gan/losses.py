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


@dataclass(frozen=True)
class LossPair:
    d: Callable[[Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]
    # True when scores are logits of P(real): the D(x) / D(G(z)) balance is then logged as mean
    # probabilities, whose common fixed point is 1/2.
    logits: bool


LOSSES: dict[str, LossPair] = {
    "minimax": LossPair(d=d_minimax, g=g_minimax, logits=True),
    # The non-saturating variant changes only G's objective; D still maximises V.
    "non_saturating": LossPair(d=d_minimax, g=g_non_saturating, logits=True),
}
