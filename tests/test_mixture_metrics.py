"""Mode coverage on constructed samples: all modes, one mode, half the modes, off-mode noise."""
import math

import pytest
import torch

from lightning_gan.data.mixtures import mixture_centers
from lightning_gan.metrics.mixture import mode_stats

CENTERS = mixture_centers("ring", 8, 2.0)
SIGMA = 0.05


def around(modes, per_mode=100):
    g = torch.Generator().manual_seed(0)
    return torch.cat([CENTERS[m] + SIGMA * torch.randn(per_mode, 2, generator=g) for m in modes])


def test_all_modes():
    stats = mode_stats(around(range(8)), CENTERS, SIGMA)
    assert stats["modes_captured"] == 8 and stats["high_quality"] > 0.98
    assert stats["mode_kl"] == pytest.approx(0, abs=1e-3)


def test_one_mode():
    stats = mode_stats(around([3] * 8), CENTERS, SIGMA)
    assert stats["modes_captured"] == 1
    assert stats["mode_kl"] == pytest.approx(math.log(8), rel=1e-4)


def test_half_the_modes():
    stats = mode_stats(around([0, 2, 4, 6]), CENTERS, SIGMA)
    assert stats["modes_captured"] == 4
    assert stats["mode_kl"] == pytest.approx(math.log(2), abs=0.01)


def test_points_off_every_mode_are_not_high_quality():
    stats = mode_stats(torch.zeros(100, 2), CENTERS, SIGMA)  # the ring's centre
    assert stats["high_quality"] == 0 and stats["modes_captured"] == 0


def test_a_few_stray_points_do_not_capture_a_mode():
    samples = torch.cat([around(range(7)), CENTERS[7].repeat(2, 1)])  # mode 7 gets 2 of 702 points
    assert mode_stats(samples, CENTERS, SIGMA)["modes_captured"] == 7


def test_one_high_quality_sample_hits_a_mode_that_a_share_does_not_capture():
    from lightning_gan.metrics.mixture import modes_hit

    centers = mixture_centers("grid", 25, 4.0)
    samples = torch.cat([centers[:24].repeat_interleave(100, 0), centers[24:] + 0.1, centers[:1] + 1.0])
    assert modes_hit(samples, centers, 0.05) == 25  # the one point 0.1 (2σ) from mode 24 counts
    assert mode_stats(samples, centers, 0.05)["modes_captured"] == 24  # far below a quarter of 2401 / 25
    assert modes_hit(centers[:3] + 0.2, centers, 0.05) == 0  # 4σ off: not high quality, no mode
