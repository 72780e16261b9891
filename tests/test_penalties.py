"""Penalties and constraints: closed forms on linear critics, bounds, and every loss x penalty in a real step."""
import math

import pytest
import torch
from torch import nn

from conftest import tiny_overrides
from lightning_gan.cli import main
from lightning_gan.config import load_config, to_dict
from lightning_gan.module import load_module
from lightning_gan.penalties import add_spectral_norm, clip_weights, gradient_penalty, orthogonal_penalty, r1_penalty
from lightning_gan.registry import VARIANTS, load_all

load_all()


def linear_critic(weight_norm: float, dim: int = 6) -> nn.Linear:
    critic = nn.Linear(dim, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.randn(1, dim))
        critic.weight.mul_(weight_norm / critic.weight.norm())
    return critic


def test_gradient_penalty_of_a_unit_norm_linear_critic_is_zero():
    real, fake = torch.randn(16, 6), torch.randn(16, 6)
    assert gradient_penalty(linear_critic(1.0), real, fake).item() == pytest.approx(0, abs=1e-10)


def test_gradient_penalty_and_r1_closed_forms():
    critic = linear_critic(3.0)  # ∇D = w everywhere, ‖w‖ = 3
    real, fake = torch.randn(16, 6), torch.randn(16, 6)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx((3 - 1) ** 2, rel=1e-5)
    assert r1_penalty(critic, real).item() == pytest.approx(9, rel=1e-5)


def test_gradient_penalty_reaches_the_critic_parameters():
    critic = linear_critic(3.0)
    gradient_penalty(critic, torch.randn(8, 6), torch.randn(8, 6)).backward()
    # d/dw (‖w‖ - 1)² = 2(‖w‖ - 1) w/‖w‖, norm 2 * 2 = 4
    assert critic.weight.grad.norm().item() == pytest.approx(4, rel=1e-4)


def test_weight_clipping_bounds_every_parameter():
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(100)
    clip_weights(net, 0.01)
    assert all(p.abs().max() <= 0.01 for p in net.parameters())


def test_spectral_norm_gives_unit_largest_singular_value():
    net = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 1))
    with torch.no_grad():
        net[0].weight.mul_(5)
    add_spectral_norm(net)
    for _ in range(30):  # each training-mode forward runs one power iteration
        net(torch.randn(4, 20))
    for layer in (net[0], net[2]):
        assert torch.linalg.matrix_norm(layer.weight.detach(), ord=2).item() == pytest.approx(1, abs=1e-2)


def test_wasserstein_without_a_lipschitz_constraint_is_rejected(capsys, tmp_path):
    assert main(["fit", "loss=wasserstein", "run.root=runs"]) == 2
    err = capsys.readouterr().err
    assert "loss:" in err and "Lipschitz" in err and "penalty.name=gp" in err
    assert not (tmp_path / "runs").exists()
    load_config(None, ["loss=wasserstein", "penalty.name=gp"])  # a valid combination loads


@pytest.mark.parametrize("name, scale", [("gp", 10.0), ("r1", 5.0)])
def test_the_penalty_enters_d_loss_with_its_weight(name, scale):
    cls = VARIANTS["gan"]
    plain = cls(to_dict(load_config(None, ["variant.d_dropout=0"])), data_shape=(2,))
    penalised = cls(to_dict(load_config(None, ["variant.d_dropout=0", f"penalty.name={name}"])), data_shape=(2,))
    penalised.load_state_dict(plain.state_dict())
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    torch.manual_seed(0)
    base, _ = plain.d_objective(real, fake)
    torch.manual_seed(0)
    total, _ = penalised.d_objective(real, fake)
    value = penalised._reg_logs[name]  # logged under its own name: train/gp, train/r1
    assert value > 0
    torch.testing.assert_close(total, base + scale * value)  # λ = 10; R1 uses γ/2 with γ = 10


def test_spectral_norm_is_applied_to_every_layer_of_the_module():
    from torch.nn.utils import parametrize

    module = VARIANTS["gan"](to_dict(load_config(None, ["penalty.spectral_norm_d=true"])), data_shape=(2,))
    linears = [m for m in module.discriminator.modules() if isinstance(m, nn.Linear)]
    assert linears and all(parametrize.is_parametrized(m, "weight") for m in linears)
    assert not any(parametrize.is_parametrized(m) for m in module.generator.modules())


def test_gradient_penalty_with_batchnorm_in_the_critic_is_rejected(capsys):
    args = ["fit", "variant.name=dcgan", "data.name=synthetic", "loss=wasserstein", "penalty.name=gp"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "penalty.name:" in err and "BatchNorm" in err and "variant.d_norm=layer" in err
    load_config(None, [*args[1:], "variant.d_norm=layer"])  # the WGAN-GP paper's choice loads


def test_dcgan_on_2d_points_is_rejected(capsys):
    assert main(["fit", "variant.name=dcgan"]) == 2
    assert "dcgan needs square images" in capsys.readouterr().err


COMBINATIONS = [("minimax", []), ("non_saturating", ["penalty.name=r1"]), ("hinge", ["penalty.spectral_norm_d=true"]),
                ("wasserstein", ["penalty.name=gp"]), ("wasserstein", ["penalty.name=clip"]),
                ("least_squares", ["penalty.spectral_norm_g=true", "penalty.spectral_norm_d=true"])]


@pytest.mark.parametrize("loss, penalty", COMBINATIONS, ids=lambda v: v if isinstance(v, str) else "+".join(v))
def test_every_loss_and_penalty_trains_in_the_shared_step(loss, penalty):
    from lightning_gan.runs import fit

    cfg = load_config(None, [*tiny_overrides(VARIANTS["gan"], "points"), f"loss={loss}", *penalty])
    result = fit(cfg, verbose=False)
    final = result.final
    assert all(math.isfinite(final[k]) for k in ("train/d_loss", "train/g_loss"))
    if cfg.penalty.name in ("gp", "r1"):
        assert final[f"train/{cfg.penalty.name}"] > 0
    if loss == "wasserstein":
        assert math.isfinite(final["train/wasserstein_estimate"])
    if cfg.penalty.name == "clip":
        assert all(p.abs().max() <= cfg.penalty.clip for p in result.module.discriminator.parameters())
    # spectral-norm parametrizations survive a checkpoint round trip
    z = result.module.sample_z(5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(load_module(str(result.checkpoint)).sample(z), result.module.sample(z))


def test_orthogonal_regularization_is_zero_for_orthogonal_filters_and_its_gradient_moves_toward_them():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 4), nn.Conv2d(2, 3, 3))
    with torch.no_grad():  # orthogonal rows of any norms: the modified form leaves norms free (eq. 3)
        for layer, scale in zip(net, (3.0, 0.5)):
            nn.init.orthogonal_(layer.weight)
            layer.weight.mul_(scale)
    assert orthogonal_penalty(net).item() == pytest.approx(0, abs=1e-10)
    with torch.no_grad():
        for layer in net:
            layer.weight.add_(0.3 * torch.randn_like(layer.weight))
    before = orthogonal_penalty(net)
    assert before.item() > 0
    before.backward()
    with torch.no_grad():  # a small step against the gradient lowers it: the gradient points toward orthogonality
        for layer in net:
            layer.weight.sub_(1e-3 * layer.weight.grad)
        assert orthogonal_penalty(net) < before
        # the penalty is the off-diagonal Gram mass: an explicit sum over filter pairs agrees
        w = net[0].weight
        pairs = sum((w[i] @ w[j]) ** 2 for i in range(4) for j in range(4) if i != j)
        w = net[1].weight.flatten(1)
        pairs = pairs + sum((w[i] @ w[j]) ** 2 for i in range(3) for j in range(3) if i != j)
        torch.testing.assert_close(orthogonal_penalty(net), pairs)
