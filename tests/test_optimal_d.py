"""The 2014 paper's Proposition 1 checked numerically with the project's D network and D loss.

With G fixed, minimising the D loss drives D(x) to D*(x) = p_data(x) / (p_data(x) + p_g(x)); when
p_g = p_data, D* = 1/2 and V(G, D*) = -log 4.
"""
import math

import torch

from lightning_gan.losses import LOSSES
from lightning_gan.nets.mlp import MLPDiscriminator

d_minimax = LOSSES["minimax"].d

DATA = torch.distributions.Normal(0.0, 1.0)


def train_discriminator(p_g, steps=1500, seed=0):
    torch.manual_seed(seed)
    d = MLPDiscriminator(in_shape=(1,), hidden=[32, 32], maxout_pieces=0, dropout=0.0)
    opt = torch.optim.Adam(d.parameters(), lr=3e-3)
    for _ in range(steps):
        real, fake = DATA.sample((1024, 1)), p_g.sample((1024, 1))
        loss = d_minimax(d(real), d(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return d


def test_discriminator_converges_to_the_optimal_ratio():
    p_g = torch.distributions.Normal(1.0, 0.7)
    d = train_discriminator(p_g)
    x = torch.tensor([[-1.0], [-0.5], [0.0], [0.5], [1.0], [1.5], [2.0]])
    with torch.no_grad():
        learned = torch.sigmoid(d(x))
    p_data, p_model = DATA.log_prob(x).exp().squeeze(1), p_g.log_prob(x).exp().squeeze(1)
    optimal = p_data / (p_data + p_model)
    # within 0.05 where both densities have mass (the points above lie within 2.2 std of both)
    torch.testing.assert_close(learned, optimal, atol=0.05, rtol=0)


def test_equal_distributions_give_one_half_and_minus_log_4():
    d = train_discriminator(DATA, steps=600)
    x = torch.linspace(-2, 2, 9).unsqueeze(1)
    with torch.no_grad():
        torch.testing.assert_close(torch.sigmoid(d(x)), torch.full((9,), 0.5), atol=0.05, rtol=0)
        real, fake = DATA.sample((100_000, 1)), DATA.sample((100_000, 1))
        value = -d_minimax(d(real), d(fake))  # V(G, D) = E log D(x) + E log(1 - D(G(z)))
    assert abs(value.item() - (-math.log(4))) < 0.01
