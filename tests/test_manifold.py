"""k-NN precision / recall and density / coverage on point sets whose answers follow from the definitions.

Cluster points have small integer (or dyadic) coordinates, so every distance is computed exactly and
no point sits on a ball's boundary by rounding luck.
"""
import pytest
import torch

from lightning_gan.metrics.manifold import (
    DensityCoverage,
    PrecisionRecall,
    density_coverage,
    knn_radii,
    precision_recall,
)


def clusters(ids, k, shift=(0.0, 0.0)):
    """k+1 points per cluster on the parabola (i, i²), cluster c offset by 100c along x.

    Pairwise squared distances (i-j)²(1+(i+j)²) are all distinct for k <= 5, and a cluster spans
    at most ~26, so each point's k nearest others are exactly the rest of its own cluster: every
    ball B(x, r_k(x)) holds the whole cluster and nothing else.
    """
    i = torch.arange(k + 1, dtype=torch.float32)
    one = torch.stack([i, i * i], dim=1)
    return torch.cat([one + torch.tensor([100.0 * c + shift[0], shift[1]]) for c in ids])


def both(real, fake, k_pr=3, k_dc=5, batch_size=2048):
    return {**precision_recall(real, fake, k_pr, batch_size), **density_coverage(real, fake, k_dc, batch_size)}


def values(out):
    return {name: pytest.approx(float(v)) for name, v in out.items()}


def test_knn_radii_excludes_self():
    x = torch.tensor([[0.0], [1.0], [3.0], [10.0]])
    assert knn_radii(x, 1).tolist() == [1.0, 1.0, 2.0, 7.0]
    assert knn_radii(x, 2).tolist() == [3.0, 2.0, 3.0, 9.0]
    # A duplicate is a genuine neighbour at distance 0.
    assert knn_radii(torch.tensor([[0.0], [0.0], [5.0]]), 1).tolist() == [0.0, 0.0, 5.0]


def test_identical_sets():
    # A real ball holds its centre and its k neighbours, so each fake copy lies in k+1 of them.
    for k in (3, 5):
        points = clusters(range(4), k)
        out = both(points, points.clone(), k_pr=k, k_dc=k)
        assert {n: float(v) for n, v in out.items()} == pytest.approx(
            {"precision": 1.0, "recall": 1.0, "density": (k + 1) / k, "coverage": 1.0})


def test_far_away_fake_scores_zero():
    out = both(clusters(range(3), 5), clusters(range(3), 5, shift=(0.0, 1e4)))
    assert values(out) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_fake_covering_half_the_clusters():
    out = both(clusters(range(4), 5), clusters([0, 1], 5))
    assert values(out) == {"precision": 1.0, "recall": 0.5, "density": 6 / 5, "coverage": 0.5}


def test_fake_collapsed_to_one_cluster():
    # Fake = cluster 0 nudged by (0.5, 0.25): each fake point sits 0.56 from its real twin, well
    # inside that twin's ball (every radius exceeds 16), and far from the other three clusters.
    out = both(clusters(range(4), 5), clusters([0], 5, shift=(0.5, 0.25)))
    assert float(out["precision"]) == 1.0
    assert float(out["recall"]) == pytest.approx(0.25) and float(out["coverage"]) == pytest.approx(0.25)


def test_hand_computed_1d():
    # k=1. real [0, 1, 3, 10] -> radii [1, 1, 2, 7], balls [-1,1], [0,2], [1,5], [3,17].
    # fake [0.5, 2.5, 4, 6] -> radii [2, 1.5, 1.5, 2].
    # precision: 0.5 in [-1,1]; 2.5 in [1,5]; 4 in [1,5]; 6 in [3,17]           -> 4/4
    # recall: 0 and 1 within 0.5 of 0.5 (r=2); 3 within 0.5 of 2.5 (r=1.5);
    #         10 is 4 from 6 (r=2), 6 from 4, 7.5 from 2.5, 9.5 from 0.5: no ball -> 3/4
    # density: 0.5 in 2 balls, 2.5 in 1, 4 in 2, 6 in 1 -> 6 / (k * M) = 6/4
    # coverage: nearest fake to 0, 1, 3, 10 at 0.5, 0.5, 0.5, 4 vs radii 1, 1, 2, 7 -> 4/4
    real = torch.tensor([[0.0], [1.0], [3.0], [10.0]])
    fake = torch.tensor([[0.5], [2.5], [4.0], [6.0]])
    assert values(both(real, fake, k_pr=1, k_dc=1)) == {
        "precision": 1.0, "recall": 0.75, "density": 1.5, "coverage": 1.0}


def test_chunked_equals_unchunked():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(40, 8, generator=g), 1.3 * torch.randn(35, 8, generator=g) + 0.4
    small, large = both(real, fake, batch_size=3), both(real, fake, batch_size=2048)
    assert {n: float(v) for n, v in small.items()} == {n: float(v) for n, v in large.items()}
    assert 0 < float(large["precision"]) < 1 and 0 < float(large["coverage"]) < 1  # a non-trivial case


@pytest.mark.parametrize("metric_cls, fn", [(PrecisionRecall, precision_recall), (DensityCoverage, density_coverage)])
def test_metric_accumulates_updates(metric_cls, fn):
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(30, 4, generator=g), torch.randn(25, 4, generator=g) + 0.5
    metric = metric_cls(batch_size=7)
    for block in real.split(11):
        metric.update(block, real=True)
    for block in fake.split(9):
        metric.update(block, real=False)
    expected = fn(real, fake, metric.k)
    assert metric.compute() == expected
    assert metric.k == (3 if metric_cls is PrecisionRecall else 5)

    metric.reset()
    with pytest.raises(ValueError, match="no real features"):
        metric._sets()

    # After a DDP sync the list states arrive as one concatenated tensor.
    metric.update(real[:1], real=True)
    metric.real_features, metric.fake_features = real, fake
    assert metric.compute() == expected


def test_metric_flags():
    for cls in (PrecisionRecall, DensityCoverage):
        assert cls.higher_is_better is True and cls.is_differentiable is False and cls.full_state_update is False


def test_too_few_points_raise():
    with pytest.raises(ValueError, match="real set has 3 points"):
        precision_recall(torch.randn(3, 2), torch.randn(10, 2), k=3)
    with pytest.raises(ValueError, match="fake set has 5 points"):
        density_coverage(torch.randn(10, 2), torch.randn(5, 2), k=5)
    metric = DensityCoverage()
    metric.update(torch.randn(10, 2), real=True)
    metric.update(torch.randn(4, 2), real=False)
    with pytest.raises(ValueError, match="fake set has 4 points"):
        metric.compute()


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="2-D"):
        precision_recall(torch.randn(10, 2, 2), torch.randn(10, 4))
    with pytest.raises(ValueError, match="D=3 but fake have D=4"):
        density_coverage(torch.randn(10, 3), torch.randn(10, 4))
    metric = PrecisionRecall()
    with pytest.raises(ValueError, match="2-D"):
        metric.update(torch.randn(10), real=True)
    metric.update(torch.randn(10, 3), real=True)
    with pytest.raises(ValueError, match="D=4 but earlier ones had D=3"):
        metric.update(torch.randn(10, 4), real=False)


def test_random_sets_match_brute_force():
    # Full float64 distance matrices straight from the definitions, on data with a non-trivial answer.
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(60, 6, generator=g), 0.8 * torch.randn(50, 6, generator=g) + 0.3
    r, f = real.double(), fake.double()
    real_radii = torch.cdist(r, r).sort(1).values[:, 3]  # column 0 is the point itself
    fake_radii = torch.cdist(f, f).sort(1).values[:, 3]
    inside_real = torch.cdist(f, r) <= real_radii  # [fake, real]: fake_j in real ball i
    expected = {
        "precision": inside_real.any(1).double().mean(),
        "recall": (torch.cdist(r, f) <= fake_radii).any(1).double().mean(),
    }
    real_radii5 = torch.cdist(r, r).sort(1).values[:, 5]
    inside5 = torch.cdist(f, r) <= real_radii5
    expected |= {"density": inside5.sum() / (5 * 50), "coverage": inside5.any(0).double().mean()}
    got = both(real, fake, batch_size=16)
    assert {n: float(v) for n, v in got.items()} == pytest.approx({n: float(v) for n, v in expected.items()})
