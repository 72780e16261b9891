"""Parzen-window log-likelihood against a brute-force density, plus the σ cross-validation protocol."""
import math

import numpy as np
import pytest
import torch

from lightning_gan.metrics.parzen import (
    parzen_evaluate,
    parzen_log_likelihood,
    select_sigma,
)

from scipy import stats  # noqa: E402  (scipy comes with scikit-learn, a dependency)


def _data(m, n, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(m, d, generator=g, dtype=torch.float64), torch.rand(n, d, generator=g, dtype=torch.float64)


def _brute_force(x, centers, sigma):
    """log (1/N) Σ_i N(x; c_i, σ²I) from scipy's own Gaussian density, log-sum-exp over centres."""
    cov = sigma ** 2 * np.eye(x.shape[1])
    logpdf = np.stack([stats.multivariate_normal(c, cov).logpdf(x) for c in centers.numpy()], axis=1)
    top = logpdf.max(axis=1, keepdims=True)
    return (top[:, 0] + np.log(np.exp(logpdf - top).sum(axis=1))) - math.log(len(centers))


@pytest.mark.parametrize("sigma", [0.05, 0.3, 2.0])
def test_matches_brute_force(sigma):
    x, centers = _data(5, 7, 3)
    ours = parzen_log_likelihood(x, centers, sigma)
    assert ours.shape == (5,) and ours.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), _brute_force(x.numpy(), centers, sigma), rtol=1e-6)


def test_float32_input_close_to_brute_force():
    x, centers = _data(5, 7, 3)
    ours = parzen_log_likelihood(x.float(), centers.float(), 0.3)
    np.testing.assert_allclose(ours.numpy(), _brute_force(x.numpy(), centers, 0.3), rtol=1e-5)


def test_sigma_grid_equals_single_calls():
    x, centers = _data(6, 9, 4)
    grid = torch.tensor([0.05, 0.2, 1.0])
    many = parzen_log_likelihood(x, centers, grid)
    assert many.shape == (6, 3)
    for j, s in enumerate(grid.tolist()):
        torch.testing.assert_close(many[:, j], parzen_log_likelihood(x, centers, s))


def test_chunked_equals_unchunked():
    x, centers = _data(11, 13, 5)
    grid = torch.tensor([0.1, 0.5])
    torch.testing.assert_close(parzen_log_likelihood(x, centers, grid, batch_size=2),
                               parzen_log_likelihood(x, centers, grid, batch_size=1024))


def test_image_shaped_inputs_are_flattened():
    x, centers = _data(4, 6, 12)
    flat = parzen_log_likelihood(x, centers, 0.2)
    torch.testing.assert_close(parzen_log_likelihood(x.view(4, 3, 2, 2), centers.view(6, 3, 2, 2), 0.2), flat)


def test_far_away_points_stay_finite():
    centers = torch.zeros(3, 2)
    x = torch.tensor([[1e3, 0.0], [0.0, -1e3]])
    ll = parzen_log_likelihood(x, centers, 0.01)
    assert torch.isfinite(ll).all()
    # Every centre sits at distance 1e3, so the logsumexp is exact: -d²/(2σ²) - (D/2) log(2πσ²).
    expected = -1e6 / (2 * 1e-4) - math.log(2 * math.pi * 1e-4)
    torch.testing.assert_close(ll, torch.full((2,), expected, dtype=torch.float64))


def test_select_sigma_finds_interior_optimum_with_unimodal_curve():
    # Centres and validation data from one blob N(0, s²I): the best bandwidth is a fraction of s,
    # so a grid spanning s/100 .. 10s must peak strictly inside and fall off on both sides.
    g = torch.Generator().manual_seed(1)
    s, d = 0.2, 2
    centers, valid = s * torch.randn(300, d, generator=g), s * torch.randn(200, d, generator=g)
    grid = s * torch.logspace(-2, 1, 13)
    best, curve = select_sigma(centers, valid, grid)
    i = int(torch.argmax(curve))
    assert 0 < i < len(grid) - 1 and best == pytest.approx(float(grid[i]))
    assert 0.1 * s < best < s
    steps = torch.sign(torch.diff(curve))
    assert (steps[:i] > 0).all() and (steps[i:] < 0).all()


def test_select_sigma_warns_and_returns_edge():
    # Validating on the centres themselves rewards an ever narrower kernel: the smallest σ wins.
    _, centers = _data(1, 20, 3)
    grid = torch.tensor([0.01, 0.1, 1.0])
    with pytest.warns(UserWarning, match="smallest"):
        best, curve = select_sigma(centers, centers, grid)
    assert best == pytest.approx(0.01) and curve.shape == (3,)


def test_default_grid_runs():
    x, centers = _data(10, 30, 3)
    best, curve = select_sigma(centers, x)
    grid = torch.logspace(-1, 0, 10, dtype=torch.float64)  # the documented default: ten σ from 0.1 to 1.0
    expected = parzen_log_likelihood(x, centers, grid).mean(0)  # mean validation log-likelihood per σ
    torch.testing.assert_close(curve, expected)
    assert best == pytest.approx(float(grid[int(expected.argmax())]))


def test_evaluate_reports_mean_and_standard_error():
    g = torch.Generator().manual_seed(2)
    centers, valid, test = (0.3 * torch.randn(n, 3, generator=g, dtype=torch.float64) for n in (100, 40, 25))
    grid = torch.logspace(-2, 0.5, 8, dtype=torch.float64)
    out = parzen_evaluate(centers, valid, test, grid)
    assert set(out) == {"parzen_ll", "parzen_ll_se", "parzen_sigma", "n_centers", "n_test"}
    assert out["parzen_sigma"] == select_sigma(centers, valid, grid)[0]
    ll = parzen_log_likelihood(test, centers, out["parzen_sigma"]).numpy()
    assert out["parzen_ll"] == pytest.approx(ll.mean(), rel=1e-12)
    assert out["parzen_ll_se"] == pytest.approx(np.std(ll) / math.sqrt(25), rel=1e-12)
    assert (out["n_centers"], out["n_test"]) == (100, 25)


@pytest.mark.parametrize("x, centers, match", [
    (torch.zeros(0, 3), torch.zeros(4, 3), "empty"),
    (torch.zeros(2, 3), torch.zeros(0, 3), "empty"),
    (torch.zeros(2, 3), torch.zeros(4, 5), "D=3"),
    (torch.zeros(3), torch.zeros(4, 3), "shape"),
])
def test_bad_inputs_raise(x, centers, match):
    with pytest.raises(ValueError, match=match):
        parzen_log_likelihood(x, centers, 0.1)


def test_bad_sigma_raises():
    with pytest.raises(ValueError, match="positive"):
        parzen_log_likelihood(torch.zeros(2, 3), torch.zeros(4, 3), torch.tensor([0.1, 0.0]))
