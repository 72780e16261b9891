"""k-NN manifold metrics on feature vectors: precision / recall and density / coverage.

Each point x of a set gets a ball B(x, r_k(x)) whose radius is the distance to its k-th nearest
*other* point of the same set; the union of the balls estimates the set's support.

Precision / recall (Kynkäänniemi et al. 2019), real X_1..X_N, fake Y_1..Y_M, k = 3:

    precision = (1/M) Σ_j 1[∃ i: Y_j ∈ B(X_i, r_k(X_i))]
    recall    = (1/N) Σ_i 1[∃ j: X_i ∈ B(Y_j, r_k(Y_j))]

Density / coverage (Naeem et al. 2020), real balls only, k = 5:

    density   = (1/(k M)) Σ_j Σ_i 1[Y_j ∈ B(X_i, r_k(X_i))]
    coverage  = (1/N) Σ_i 1[∃ j: Y_j ∈ B(X_i, r_k(X_i))]

Density is not capped at 1: a fake set equal to a tie-free real set scores (k+1)/k, since each
real ball holds its centre and its k neighbours. Membership is d <= r, boundary included.

Distances are Euclidean in float32 on the features' device, in row blocks of `batch_size`, so no
more than batch_size x N distances exist at once.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat


def _check_set(features: Tensor, k: int, name: str) -> None:
    if features.dim() != 2:
        raise ValueError(f"{name} features must be 2-D [N, D], got shape {tuple(features.shape)}")
    if len(features) <= k:
        raise ValueError(f"{name} set has {len(features)} points; k={k} needs more than k")


def _check_pair(real: Tensor, fake: Tensor, k: int) -> None:
    _check_set(real, k, "real")
    _check_set(fake, k, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real features have D={real.shape[1]} but fake have D={fake.shape[1]}")


def knn_radii(features: Tensor, k: int, batch_size: int = 2048) -> Tensor:
    """r_k(x) for every row: the distance to its k-th nearest other row of `features` ([N] float32).

    The point itself is among the k+1 smallest distances (at 0), so the (k+1)-th smallest is the
    k-th nearest other point; a duplicate of x also sits at 0 and counts as a neighbour, as it should.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    _check_set(features, k, "this")
    features = features.float()
    radii = [torch.cdist(block, features).topk(k + 1, dim=1, largest=False).values[:, k]
             for block in features.split(batch_size)]
    return torch.cat(radii)


def _ball_counts(points: Tensor, centers: Tensor, radii: Tensor, batch_size: int) -> Tensor:
    """For each point, how many of the balls B(centers_i, radii_i) contain it ([len(points)] int64)."""
    return torch.cat([(torch.cdist(block, centers) <= radii).sum(1) for block in points.split(batch_size)])


def precision_recall(real: Tensor, fake: Tensor, k: int = 3, batch_size: int = 2048) -> dict[str, Tensor]:
    """Kynkäänniemi et al. precision and recall of `fake` against `real`, as 0-dim float32 tensors."""
    _check_pair(real, fake, k)
    real, fake = real.float(), fake.to(real.device, torch.float32)
    real_radii, fake_radii = knn_radii(real, k, batch_size), knn_radii(fake, k, batch_size)
    return {
        "precision": (_ball_counts(fake, real, real_radii, batch_size) > 0).float().mean(),
        "recall": (_ball_counts(real, fake, fake_radii, batch_size) > 0).float().mean(),
    }


def density_coverage(real: Tensor, fake: Tensor, k: int = 5, batch_size: int = 2048) -> dict[str, Tensor]:
    """Naeem et al. density and coverage of `fake` against `real`, as 0-dim float32 tensors."""
    _check_pair(real, fake, k)
    real, fake = real.float(), fake.to(real.device, torch.float32)
    real_radii = knn_radii(real, k, batch_size)
    counts = _ball_counts(fake, real, real_radii, batch_size)
    # Coverage asks, per real ball, whether its nearest fake point falls inside it.
    nearest_fake = torch.cat([torch.cdist(block, fake).min(1).values for block in real.split(batch_size)])
    return {
        "density": counts.sum().float() / (k * len(fake)),
        "coverage": (nearest_fake <= real_radii).float().mean(),
    }


class _ManifoldMetric(Metric):
    """Accumulates real and fake feature rows; the concrete metric decides what to compute on them."""

    full_state_update = False
    higher_is_better = True
    is_differentiable = False

    def __init__(self, k: int, batch_size: int = 2048, **kwargs) -> None:
        super().__init__(**kwargs)
        if k < 1 or batch_size < 1:
            raise ValueError(f"k and batch_size must be positive, got k={k}, batch_size={batch_size}")
        self.k, self.batch_size = k, batch_size
        # List states concatenate across processes on sync, so every rank sees all points.
        self.add_state("real_features", default=[], dist_reduce_fx="cat")
        self.add_state("fake_features", default=[], dist_reduce_fx="cat")

    def update(self, features: Tensor, real: bool) -> None:
        if features.dim() != 2:
            raise ValueError(f"features must be 2-D [N, D], got shape {tuple(features.shape)}")
        state = self.real_features if real else self.fake_features
        seen = self.real_features + self.fake_features
        if seen and seen[0].shape[1] != features.shape[1]:
            raise ValueError(f"features have D={features.shape[1]} but earlier ones had D={seen[0].shape[1]}")
        state.append(features.detach().float())

    def reset_fake(self) -> None:
        """Forget generated samples, keep the real reference (reused by every in-training evaluation)."""
        real = list(self.real_features) if isinstance(self.real_features, list) else [self.real_features]
        self.reset()
        self.real_features = real

    def _sets(self) -> tuple[Tensor, Tensor]:
        # After a DDP sync a state may already be one concatenated tensor instead of a list.
        if isinstance(self.real_features, list) and not self.real_features:
            raise ValueError("no real features: call update(features, real=True) first")
        if isinstance(self.fake_features, list) and not self.fake_features:
            raise ValueError("no fake features: call update(features, real=False) first")
        return dim_zero_cat(self.real_features), dim_zero_cat(self.fake_features)


class PrecisionRecall(_ManifoldMetric):
    """Improved precision and recall (Kynkäänniemi et al. 2019) on feature vectors, k=3 by default."""

    def __init__(self, k: int = 3, batch_size: int = 2048, **kwargs) -> None:
        super().__init__(k, batch_size, **kwargs)

    def compute(self) -> dict[str, Tensor]:
        real, fake = self._sets()
        return precision_recall(real, fake, self.k, self.batch_size)


class DensityCoverage(_ManifoldMetric):
    """Density and coverage (Naeem et al. 2020) on feature vectors, k=5 by default."""

    def __init__(self, k: int = 5, batch_size: int = 2048, **kwargs) -> None:
        super().__init__(k, batch_size, **kwargs)

    def compute(self) -> dict[str, Tensor]:
        real, fake = self._sets()
        return density_coverage(real, fake, self.k, self.batch_size)
