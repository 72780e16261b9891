"""Losses: closed-form values (two-sided) and the gradient direction of every registered pair."""
import math

import pytest
import torch
from torch.testing import assert_close

from lightning_gan.losses import LOSSES, g_hinge, g_least_squares, g_minimax, g_non_saturating, g_wasserstein

LOG2 = math.log(2)


def test_minimax_values_at_zero_score():
    # D(x) = σ(0) = 1/2 everywhere: L_D = -2 log(1/2), the paper's -V = log 4
    zeros = torch.zeros(5)
    assert_close(LOSSES["minimax"].d(zeros, zeros), torch.tensor(2 * LOG2))
    assert_close(LOSSES["minimax"].d_real(zeros), torch.tensor(LOG2))
    assert_close(LOSSES["minimax"].d_fake(zeros), torch.tensor(LOG2))
    assert_close(g_minimax(zeros), torch.tensor(-LOG2))
    assert_close(g_non_saturating(zeros), torch.tensor(LOG2))


def test_minimax_values_at_known_scores():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    sig = torch.sigmoid
    expected_d = -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean())
    assert_close(LOSSES["minimax"].d(real, fake), expected_d)
    assert_close(LOSSES["minimax"].d_real(real), -torch.log(sig(real)).mean())
    assert_close(LOSSES["minimax"].d_fake(fake), -torch.log(1 - sig(fake)).mean())
    assert_close(g_minimax(fake), torch.log(1 - sig(fake)).mean())
    assert_close(g_non_saturating(fake), -torch.log(sig(fake)).mean())


def test_hinge_wasserstein_least_squares_values():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-2.0, 0.0, 1.5])
    # hinge: relu(1 - [2, .5, -1]) = [0, .5, 2] -> 2.5/3; relu(1 + [-2, 0, 1.5]) = [0, 1, 2.5] -> 3.5/3
    hinge, wgan, ls = LOSSES["hinge"], LOSSES["wasserstein"], LOSSES["least_squares"]
    assert_close(hinge.d_real(real), torch.tensor(2.5 / 3))
    assert_close(hinge.d_fake(fake), torch.tensor(3.5 / 3))
    assert_close(hinge.d(real, fake), torch.tensor(6.0 / 3))
    assert_close(g_hinge(fake), torch.tensor(0.5 / 3))  # -mean([-2, 0, 1.5]) = 0.5 / 3
    assert_close(wgan.d(real, fake), torch.tensor((-0.5 - 1.5) / 3))
    assert_close(wgan.d_real(real), torch.tensor(-1.5 / 3))
    assert_close(g_wasserstein(fake), torch.tensor(0.5 / 3))
    # LSGAN: ½ mean([1, .25, 4]) + ½ mean([4, 0, 2.25]) ; ½ mean([9, 1, .25])
    assert_close(ls.d_real(real), torch.tensor(0.5 * 5.25 / 3))
    assert_close(ls.d(real, fake), torch.tensor(0.5 * 5.25 / 3 + 0.5 * 6.25 / 3))
    assert_close(g_least_squares(fake), torch.tensor(0.5 * 10.25 / 3))


def test_losses_are_finite_for_extreme_logits():
    big = torch.tensor([80.0, -80.0])
    for pair in LOSSES.values():
        assert torch.isfinite(pair.d(big, -big)) and torch.isfinite(pair.g(big)) and torch.isfinite(pair.g(-big))


def test_saturation_is_what_the_paper_says():
    # When D confidently rejects fakes (score -8), the saturating loss has almost no gradient,
    # the non-saturating one a large one.
    fake = torch.tensor([-8.0], requires_grad=True)
    (grad_mm,) = torch.autograd.grad(g_minimax(fake), fake)
    (grad_ns,) = torch.autograd.grad(g_non_saturating(fake), fake)
    assert abs(grad_mm.item()) < 1e-3 < 0.9 < abs(grad_ns.item())


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_direction(name):
    """At an undecided D: D lowers its loss by raising real scores and lowering fake ones; G by raising fake."""
    pair = LOSSES[name]
    real = torch.full((4,), pair.neutral, requires_grad=True)
    fake = torch.full((4,), pair.neutral, requires_grad=True)
    d_real, d_fake = torch.autograd.grad(pair.d(real, fake), (real, fake))
    (g_fake,) = torch.autograd.grad(pair.g(fake), fake)
    assert (d_real < 0).all(), "D loss must fall as D(x) rises"
    assert (d_fake > 0).all(), "D loss must rise as D(G(z)) rises"
    # each term on its own points the same way: the fake term is what scores extra negatives
    (term_real,) = torch.autograd.grad(pair.d_real(real), real)
    (term_fake,) = torch.autograd.grad(pair.d_fake(fake), fake)
    assert (term_real < 0).all() and (term_fake > 0).all()
    assert (g_fake < 0).all(), "G loss must fall as D(G(z)) rises"
