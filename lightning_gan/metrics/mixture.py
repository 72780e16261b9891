"""Mode coverage on 2D Gaussian mixtures (the ring-of-8 / grid-of-25 mode-collapse benchmarks).

A sample is *high quality* when it lies within 3σ of some mode centre. A mode is *captured* when it
holds at least a quarter of its fair share of the samples (n / n_modes / 4), so a generator that
puts a few stray points near a mode does not get credit for it. VEEGAN and PacGAN count a mode as
captured when a single high-quality sample is nearest to it: ``modes_hit``, for comparing with them.
"""
from __future__ import annotations

import torch


def mode_stats(samples: torch.Tensor, centers: torch.Tensor, sigma: float) -> dict[str, float]:
    """Returns modes_captured, high_quality (share of samples within 3σ) and mode_kl.

    mode_kl is KL(sample mode histogram || uniform) over the high-quality samples, in nats: 0 when
    every mode gets an equal share, log(n_modes) when all samples sit on one mode.
    """
    samples = samples.detach().float().cpu()
    centers = centers.float().cpu()
    distance, nearest = torch.cdist(samples, centers).min(dim=1)  # [N]
    good = distance <= 3 * sigma
    counts = torch.bincount(nearest[good], minlength=len(centers)).float()
    n_modes = len(centers)
    captured = int((counts >= len(samples) / n_modes / 4).sum())
    share = counts / counts.sum().clamp_min(1)
    nonzero = share > 0
    kl = float((share[nonzero] * (share[nonzero] * n_modes).log()).sum()) if good.any() else float("nan")
    return {"modes_captured": float(captured), "high_quality": float(good.float().mean()), "mode_kl": kl}


def modes_hit(samples: torch.Tensor, centers: torch.Tensor, sigma: float) -> int:
    """Modes nearest to at least one high-quality sample (VEEGAN's and PacGAN's count)."""
    distance, nearest = torch.cdist(samples.detach().float().cpu(), centers.float().cpu()).min(dim=1)  # [N]
    return int(nearest[distance <= 3 * sigma].unique().numel())
