"""Gaussian Parzen-window log-likelihood, the evaluation protocol of Goodfellow et al. 2014 (Table 1).

An isotropic Gaussian kernel density is placed on N generator samples c_1..c_N:

    p_σ(x) = (1/N) Σ_i N(x; c_i, σ²I)
    log p_σ(x) = logsumexp_i(-||x - c_i||² / (2σ²)) - log N - (D/2) log(2πσ²)

σ is chosen on a validation split (the grid value with the highest mean validation log-likelihood)
and the mean test log-likelihood is reported in nats with its standard error std / sqrt(n_test).

The estimate is known to be biased and high-variance in high dimension (Theis et al. 2016); it is
here to reproduce the historical numbers, not as a recommended quality measure.
"""
from __future__ import annotations

import math
import warnings

import torch
from torch import Tensor


def default_sigmas() -> Tensor:
    """Ten log-spaced bandwidths from 0.1 to 1.0: the range that matters for pixels scaled to [0, 1].

    Much below 0.1 every test point is far from every centre in units of σ; above 1.0 the kernel is
    wider than the data's whole range. Data on another scale needs its own grid.
    """
    return torch.logspace(-1, 0, 10, dtype=torch.float64)


def _flatten(x: Tensor, name: str) -> Tensor:
    if x.dim() < 2:
        raise ValueError(f"{name} must have shape [N, D] or [N, C, H, W], got {tuple(x.shape)}")
    if x.shape[0] == 0 or x[0].numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    return x.detach().reshape(x.shape[0], -1)


def _as_sigma_grid(sigma: float | Tensor) -> tuple[Tensor, bool]:
    """Returns the bandwidths as a float64 vector and whether the caller passed a single value."""
    scalar = not isinstance(sigma, Tensor) or sigma.dim() == 0
    grid = torch.as_tensor(sigma, dtype=torch.float64).reshape(-1).cpu()
    if grid.numel() == 0:
        raise ValueError("sigma grid is empty")
    if not bool(torch.isfinite(grid).all() and (grid > 0).all()):
        raise ValueError(f"sigma must be positive and finite, got {grid.tolist()}")
    return grid, scalar


def parzen_log_likelihood(
    x: Tensor, centers: Tensor, sigma: float | Tensor, batch_size: int = 1024
) -> Tensor:
    """Per-example log p_σ(x) under a Gaussian Parzen window on `centers`; float64 result.

    Returns [M] for a single σ and [M, S] for a 1-D tensor of S bandwidths. Points and centres are
    taken in blocks of `batch_size`, so at most batch_size² squared distances exist at a time; the
    logsumexp over centres runs across centre blocks as log(e^a + e^b), and each block's
    distances serve every σ, which keeps a cross-validation grid at the cost of one distance pass.
    """
    x = _flatten(x, "x")
    centers = _flatten(centers, "centers")
    if x.shape[1] != centers.shape[1]:
        raise ValueError(f"x has D={x.shape[1]} but centers have D={centers.shape[1]}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    grid, scalar = _as_sigma_grid(sigma)

    # float64 inputs keep full precision; anything narrower is lifted to float32 for the matmul,
    # whose cancellation error (~1e-7 of ||x||²) is small against the distances that matter.
    dtype = torch.promote_types(torch.promote_types(x.dtype, centers.dtype), torch.float32)
    device = centers.device
    x, centers = x.to(device, dtype), centers.to(device, dtype)
    c_sq = centers.pow(2).sum(1)
    neg_inv_two_var = (-0.5 / grid.pow(2)).tolist()

    out = torch.empty(len(x), len(grid), dtype=torch.float64, device=device)
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        xb_sq = xb.pow(2).sum(1, keepdim=True)
        acc = torch.full((len(xb), len(grid)), -math.inf, dtype=torch.float64, device=device)
        for c_start in range(0, len(centers), batch_size):
            cb = centers[c_start:c_start + batch_size]
            d2 = xb_sq + c_sq[c_start:c_start + batch_size] - 2.0 * xb @ cb.T
            # Rounding can push a true zero slightly negative; a negative distance would be a bonus.
            d2 = d2.double().clamp_min_(0.0)
            block = torch.stack([torch.logsumexp(d2 * s, dim=1) for s in neg_inv_two_var], dim=1)
            acc = torch.logaddexp(acc, block)
        out[start:start + len(xb)] = acc

    d = x.shape[1]
    log_norm = math.log(len(centers)) + 0.5 * d * torch.log(2 * math.pi * grid.pow(2))
    out -= log_norm.to(device)
    return out[:, 0] if scalar else out


def select_sigma(
    centers: Tensor, valid: Tensor, sigmas: Tensor | None = None, batch_size: int = 1024
) -> tuple[float, Tensor]:
    """Returns (best σ, mean validation log-likelihood per σ) over the grid (default_sigmas()).

    A best σ on the edge of the grid is returned as it is, with a warning: the true optimum lies
    outside the grid, so the reported likelihood is a lower bound of what a wider grid would give.
    """
    grid = default_sigmas() if sigmas is None else torch.as_tensor(sigmas, dtype=torch.float64)
    grid, _ = _as_sigma_grid(grid)
    mean_ll = parzen_log_likelihood(valid, centers, grid, batch_size).mean(0).cpu()
    best = int(torch.argmax(mean_ll))
    if len(grid) > 1 and best in (0, len(grid) - 1):
        side = "smallest" if best == 0 else "largest"
        warnings.warn(f"Parzen σ={grid[best].item():.4g} is the {side} value of the grid; "
                      "the optimum may lie outside it", stacklevel=2)
    return float(grid[best]), mean_ll


def parzen_evaluate(
    centers: Tensor, valid: Tensor, test: Tensor, sigmas: Tensor | None = None,
    batch_size: int = 1024,
) -> dict[str, float]:
    """Cross-validates σ on `valid`, then scores `test`: mean log-likelihood ± standard error.

    parzen_ll_se = std(ll) / sqrt(n_test) with the population std (ddof=0), as the original
    evaluation script computed it; for thousands of test points the choice is immaterial.
    """
    sigma, _ = select_sigma(centers, valid, sigmas, batch_size)
    ll = parzen_log_likelihood(test, centers, sigma, batch_size)
    n_test = len(ll)
    return {
        "parzen_ll": float(ll.mean()),
        "parzen_ll_se": float(ll.std(correction=0) / math.sqrt(n_test)),
        "parzen_sigma": sigma,
        "n_centers": len(centers),
        "n_test": n_test,
    }
