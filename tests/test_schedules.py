"""Learning-rate schedules in G steps, adaptive k, and lazy regularization's gain and optimizer correction."""
import pytest
import torch

from conftest import tiny_overrides
from lightning_gan.base import lazy_corrected
from lightning_gan.config import OptimizerConfig, load_config
from lightning_gan.jsonl import read_jsonl
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit
from lightning_gan.schedules import AdaptiveK, GStepSchedule

load_all()


def test_linear_decay_holds_then_falls_to_zero_at_the_last_step():
    schedule = GStepSchedule("linear_decay", warmup=0, decay_from=50, total=100)
    assert [schedule(s) for s in (0, 49, 50, 75, 100)] == [1.0, 1.0, 1.0, 0.5, 0.0]
    warm = GStepSchedule("constant", warmup=4, decay_from=0, total=100)
    assert [warm(s) for s in (0, 1, 3, 50)] == [0.25, 0.5, 1.0, 1.0]


def test_schedules_are_stepped_in_g_steps_logged_and_resumed():
    args = [*tiny_overrides(VARIANTS["gan"]), "train.k=2", "train.g_steps=8", "train.checkpoint_every=4",
            "optim.g.schedule=linear_decay", "optim.g.decay_from=4", "optim.d.warmup=4", "run.name=a"]
    result = fit(load_config(None, args), verbose=False)
    rows = {r["g_step"]: r for r in read_jsonl(result.run_dir / "metrics.jsonl") if "lr/g" in r}
    base = OptimizerConfig.lr
    # G: constant to step 4, then linear to 0 at step 8 (value logged after the step's update)
    assert [rows[s]["lr/g"] for s in (2, 4, 6, 8)] == pytest.approx([base, base, base * 2 / 4, 0.0])
    # D: warm-up over 4 G steps, whatever k is (2 D updates per G step here)
    assert [rows[s]["lr/d"] for s in (2, 4, 6)] == pytest.approx([base * 3 / 4, base, base])
    state = torch.load(result.checkpoint, weights_only=True)["lr_schedulers"]
    assert [s["last_epoch"] for s in state] == [8, 8]


def test_adaptive_k_moves_within_bounds():
    k = AdaptiveK(k=2, low=1, high=3, every=2, lose_below=0.6, win_above=0.9)
    for accuracy, expected in [(0.5, 2), (0.5, 3), (0.5, 3), (0.5, 3), (0.95, 3), (0.95, 2), (0.95, 2), (0.95, 1),
                               (0.99, 1), (0.99, 1), (0.7, 1), (0.7, 1)]:
        k.observe(torch.tensor(accuracy))
        assert k.k == expected


def test_adaptive_k_in_a_run_logs_k_and_keeps_the_d_step_count():
    # an MLP D on 2D points wins quickly: k falls from 3 toward 1
    args = [*tiny_overrides(VARIANTS["gan"]), "train.k=3", "train.k_schedule=adaptive", "train.k_min=1",
            "train.k_max=3", "train.k_every=1", "train.k_lose_below=0.0", "train.k_win_above=0.01", "train.g_steps=4"]
    result = fit(load_config(None, args), verbose=False)
    rows = [r for r in read_jsonl(result.run_dir / "metrics.jsonl") if "train/k" in r]
    assert [r["train/k"] for r in rows] == [3, 2, 1, 1]  # the k each G step's cycle ran; any accuracy > 0.01 wins
    assert result.module.d_steps == 3 + 2 + 1 + 1 == rows[-1]["d_step"]


def test_lazy_correction_of_lr_and_betas():
    lr, (b1, b2) = lazy_corrected(OptimizerConfig(lr=0.002, beta1=0.0, beta2=0.99), 16)
    assert lr == pytest.approx(0.002 * 16 / 17) and b1 == 0.0 and b2 == pytest.approx(0.99 ** (16 / 17))
    assert lazy_corrected(OptimizerConfig(lr=0.002), 1) == (0.002, (0.5, 0.999))


def test_lazy_r1_runs_every_n_d_steps_with_gain_n():
    args = [*tiny_overrides(VARIANTS["gan"]), "variant.d_dropout=0", "penalty.name=r1", "penalty.every=4",
            "penalty.weight=2.0", "train.g_steps=1"]
    module = VARIANTS["gan"](_to_dict(args), data_shape=(2,), num_classes=10)
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    plain = module.loss_pair.d(module.discriminator(real), module.discriminator(fake))
    for d_steps, due in [(0, True), (1, False), (3, False), (4, True)]:
        module.d_steps = d_steps
        module._reg_logs = {}
        loss, _ = module.d_objective(real, fake)
        if due:  # γ/2 · interval · R1
            torch.testing.assert_close(loss, plain + 2.0 / 2 * 4 * module._reg_logs["r1"])
        else:
            torch.testing.assert_close(loss, plain)
            assert "r1" not in module._reg_logs
    # the D optimizer's lr and betas carry the N/(N+1) correction; G's do not
    opt_g, opt_d = module.configure_optimizers()[0]
    assert opt_d.param_groups[0]["lr"] == pytest.approx(OptimizerConfig.lr * 4 / 5)
    assert opt_g.param_groups[0]["lr"] == pytest.approx(OptimizerConfig.lr)


def _to_dict(args):
    from lightning_gan.config import to_dict

    return to_dict(load_config(None, args))
