"""StyleGAN2 in the shared step: lazy R1 at interval 16, the path-length mean in checkpoints, bitwise resume,
style mixing in training and in its grid."""
from pathlib import Path

import pytest
import torch

import lightning_gan.penalties as penalties
from conftest import tiny_overrides
from lightning_gan.cli import main
from lightning_gan.config import OptimizerConfig, load_config, to_dict
from lightning_gan.module import load_module
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit
from test_resume import assert_same_state

load_all()
TINY = [*tiny_overrides(VARIANTS["stylegan2"], "images"), "trainer.deterministic=true"]
LAZY_R1 = ["penalty.name=r1", "penalty.weight=0.01", "penalty.every=16"]


def test_lazy_r1_runs_on_every_16th_d_step_with_gain_16_and_one_optimizer_correction(monkeypatch):
    runs_at, values = [], []
    real_r1 = penalties.r1_penalty

    def recording_r1(critic, real):
        value = real_r1(critic, real)
        values.append(value.detach())
        return value

    import lightning_gan.module as module_file
    monkeypatch.setattr(module_file, "r1_penalty", recording_r1)
    cfg = load_config(None, [*TINY, *LAZY_R1, "train.g_steps=17", "train.k=2", "run.name=lazy"])
    module_cls = VARIANTS["stylegan2"]
    seen = []
    original = module_cls.d_objective

    def d_objective(self, *args, **kwargs):
        before = len(values)
        loss, logs = original(self, *args, **kwargs)
        if len(values) > before:
            runs_at.append(self.d_steps)
            seen.append((loss, logs["d_real"] + logs["d_fake"], values[-1]))
        return loss, logs

    monkeypatch.setattr(module_cls, "d_objective", d_objective)
    result = fit(cfg, verbose=False)
    assert result.module.d_steps == 34
    assert runs_at == [0, 16, 32]  # D steps before the update: the 1st, 17th and 33rd
    for loss, plain, r1 in seen:  # γ/2 · 16 · R1
        torch.testing.assert_close(loss.detach(), plain + 0.01 / 2 * 16 * r1)
    # D's Adam carries the N/(N+1) correction once, also after a resume (no second correction on top)
    corrected = OptimizerConfig.lr * 16 / 17
    d_lr = lambda ckpt: torch.load(ckpt, weights_only=True)["optimizer_states"][1]["param_groups"][0]["lr"]  # noqa: E731
    assert d_lr(result.checkpoint) == pytest.approx(corrected)
    assert main(["fit", "--resume", "runs/lazy", "train.g_steps=20", "--quiet"]) == 0
    assert d_lr(result.checkpoint) == pytest.approx(corrected)
    g_lr = torch.load(result.checkpoint, weights_only=True)["optimizer_states"][0]["param_groups"][0]["lr"]
    assert g_lr == pytest.approx(OptimizerConfig.lr)  # no G regularizer: no correction


def test_the_path_length_mean_is_tracked_logged_and_checkpointed():
    cfg = load_config(None, [*TINY, "variant.pl_weight=2", "variant.pl_every=2", "train.g_steps=4"])
    result = fit(cfg, verbose=False)
    module = result.module
    assert module.pl_mean.item() > 0  # two runs of the running mean from 0
    assert "train/pl" in result.final
    restored = load_module(str(result.checkpoint))
    assert torch.equal(restored.pl_mean, module.pl_mean)
    # and the G optimizer carries the interval-2 correction
    assert module.optimizers()[0].param_groups[0]["lr"] == pytest.approx(OptimizerConfig.lr * 2 / 3)


def test_a_stylegan2_run_with_every_regularizer_resumes_bitwise():
    extra = [*LAZY_R1[:2], "penalty.every=3", "variant.pl_weight=2", "variant.pl_every=2", "variant.mixing_prob=0.9",
             "train.ema_decay=0.9", "train.checkpoint_every=3", "--quiet"]
    assert main(["fit", *TINY, *extra, "train.g_steps=6", "run.name=full"]) == 0
    assert main(["fit", *TINY, *extra, "train.g_steps=3", "run.name=cut"]) == 0
    assert main(["fit", "--resume", "runs/cut", "train.g_steps=6", "--quiet"]) == 0
    assert_same_state(Path("runs/full/checkpoints/last.ckpt"), Path("runs/cut/checkpoints/last.ckpt"))


def test_style_mixing_reaches_training_and_the_grid_mixes_coarse_and_fine():
    module = VARIANTS["stylegan2"](to_dict(load_config(None, TINY)), data_shape=(1, 16, 16), num_classes=0)
    torch.manual_seed(0)
    z = module.sample_z(8)
    outputs = {}
    for prob in (0.0, 1.0):
        module.cfg.variant.mixing_prob = prob
        torch.manual_seed(1)  # the same noise and the same second latent draw
        outputs[prob] = module.generator_forward(z)
    assert not torch.allclose(outputs[0.0], outputs[1.0])  # a second latent took over the later layers

    module.eval()
    grid = module.style_mixing_grid(seed=0, rows=2, columns=3)
    assert grid.columns == 4
    cells = grid.images.view(3, 4, *grid.images.shape[1:])  # [1 + rows, 1 + columns, C, H, W]
    assert torch.equal(cells[0, 0], torch.zeros_like(cells[0, 0]))  # the blank corner
    for r in (1, 2):
        for c in (1, 2, 3):  # each cell is neither of its sources: it took styles from both
            assert not torch.allclose(cells[r, c], cells[r, 0]) and not torch.allclose(cells[r, c], cells[0, c])
    torch.testing.assert_close(module.style_mixing_grid(seed=0, rows=2, columns=3).images, grid.images)
