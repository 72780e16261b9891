"""The divergence guard: stop with the step and the network, keep the last finite checkpoint, or roll back."""
import pytest
import torch

from lightning_gan.cli import main
from lightning_gan.config import load_config
from lightning_gan.errors import Diverged
from lightning_gan.module import load_module
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit

load_all()
TINY = ["data.n_samples=1024", "data.batch_size=64", "train.g_steps=20", "train.log_every=1",
        "train.sample_every=1000", "train.checkpoint_every=5", "run.wandb.mode=disabled", "trainer.accelerator=cpu"]


def poison(monkeypatch, network: str, from_step: int, times: int | None = None, gradient: bool = False):
    """Makes the variant's D (or G) loss, or only its gradient, NaN from a G step on (`times` times)."""
    cls = VARIANTS["gan"]
    name = f"{network}_loss"
    original = getattr(cls, name)
    hits = []

    def poisoned(self, batch):
        loss, logs = original(self, batch)
        if self.g_steps >= from_step and (times is None or len(hits) < times):
            hits.append(self.g_steps)
            if gradient:  # value unchanged, gradient 0 * inf = NaN
                param = next(getattr(self, network).parameters())
                loss = loss + 0 * torch.sqrt((param - param.detach()).sum())
            else:
                loss = loss * float("nan")
        return loss, logs

    monkeypatch.setattr(cls, name, poisoned)
    return hits


def test_divergence_stops_naming_network_and_step_and_keeps_the_last_finite_checkpoint(monkeypatch, capsys):
    poison(monkeypatch, "discriminator", from_step=7)
    assert main(["fit", *TINY, "run.name=div"]) == 3
    err = capsys.readouterr().err
    assert "the discriminator diverged at G step 7, D step 7: its loss is nan" in err
    assert "the last finite checkpoint is runs/div/checkpoints/last.ckpt" in err and "optim.d.lr" in err
    kept = load_module("runs/div/checkpoints/last.ckpt")
    assert kept.g_steps == 5 and all(torch.isfinite(p).all() for p in kept.parameters())


def test_a_non_finite_gradient_with_a_finite_loss_is_caught(monkeypatch):
    poison(monkeypatch, "generator", from_step=3, gradient=True)
    with pytest.raises(Diverged, match="the generator diverged at G step 3, D step 4: a gradient is not finite"):
        fit(load_config(None, TINY), verbose=False)


def test_rollback_restores_the_checkpoint_and_lowers_both_learning_rates(monkeypatch):
    hits = poison(monkeypatch, "discriminator", from_step=7, times=1)
    cfg = load_config(None, TINY + ["train.on_divergence=rollback"])
    result = fit(cfg, verbose=False)
    assert hits == [7] and result.module.g_steps == 20 and result.module.guard.rollbacks == 1
    lrs = [opt.param_groups[0]["lr"] for opt in result.module.trainer.optimizers]
    assert lrs == [cfg.optim.g.lr * 0.5, cfg.optim.d.lr * 0.5]
    assert all(torch.isfinite(p).all() for p in result.module.parameters())


def test_rollback_gives_up_after_max_rollbacks(monkeypatch):
    poison(monkeypatch, "discriminator", from_step=7)
    with pytest.raises(Diverged, match="after 2 rollbacks"):
        fit(load_config(None, TINY + ["train.on_divergence=rollback", "train.max_rollbacks=2"]), verbose=False)


def test_a_real_blow_up_from_a_huge_learning_rate_is_stopped(capsys):
    assert main(["fit", *TINY, "optim.d.name=sgd", "optim.d.lr=1e30"]) == 3
    assert "diverged at G step" in capsys.readouterr().err
