"""The VAE's terms as pure functions of tensors (Kingma & Welling 2013; Burda et al. 2016 for the bound).

Every log-density is per example, summed over its dimensions, in nats. Pixels are in [0, 1].
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − log σ² − 1), per row of [N, D]."""
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(-1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """z = μ + ε·σ with ε ~ N(0, I) given: the sample is a differentiable function of μ and log σ²."""
    return mu + noise * (0.5 * logvar).exp()


def gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; μ, σ²) = −½ Σ ((z − μ)²/σ² + log σ² + log 2π), over the last dimension."""
    return -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + LOG_2PI).sum(-1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor, log_std: torch.Tensor | None = None) -> torch.Tensor:
    """log p(x|z) = Σ x·log p + (1 − x)·log(1 − p), p = sigmoid(logits): minus the binary cross-entropy."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(-1)


def gaussian_log_likelihood(logits: torch.Tensor, x: torch.Tensor, log_std: torch.Tensor | None = None) -> torch.Tensor:
    """log N(x; m, s²) = −Σ ((x − m)²/(2s²) + log s + ½ log 2π), m = sigmoid(logits), one scalar log s."""
    mean = torch.sigmoid(logits)
    return -((x - mean).pow(2) / (2 * (2 * log_std).exp()) + log_std + 0.5 * LOG_2PI).flatten(1).sum(-1)


def importance_weighted_bound(log_weights: torch.Tensor) -> torch.Tensor:
    """IWAE bound log (1/K) Σ_k w_k, w_k = p(x, z_k) / q(z_k|x), from log w of shape [K, N]: per example.

    K = 1 is the ELBO's single-sample estimate; the bound rises toward log p(x) as K grows.
    """
    return torch.logsumexp(log_weights, dim=0) - math.log(log_weights.shape[0])


LogLikelihood = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], torch.Tensor]
# variant.likelihood -> log p(x|z) from the decoder's logits
LIKELIHOODS: dict[str, LogLikelihood] = {"bernoulli": bernoulli_log_likelihood, "gaussian": gaussian_log_likelihood}
