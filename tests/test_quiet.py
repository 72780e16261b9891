"""A run prints nothing a user cannot act on: third-party noise is silenced by message and origin only."""
import os
import subprocess
import sys
import warnings

from lightning.pytorch.loggers import WandbLogger

from lightning_gan import compat
from lightning_gan.quiet import silence_third_party_noise

NOISE = ["LeafSpec", "litlogger", "anonymous setting", "smaller than the logging interval",
         "requires_grad=True to a scalar", "torch.jit"]


def test_a_default_run_with_offline_wandb_prints_no_third_party_noise(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    # 64 samples / batch 8: 8 batches an epoch, fewer than Lightning's default logging interval of 50
    proc = subprocess.run([sys.executable, "-m", "lightning_gan", "fit", "train.g_steps=12", "train.log_every=4",
                           "data.n_samples=64", "data.batch_size=8", "run.wandb.mode=offline", "trainer.accelerator=cpu",
                           f"run.root={tmp_path / 'runs'}"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    assert "trained 12 G steps" in output and "W&B" in output  # the run did log to W&B (offline)
    assert not [word for word in NOISE if word in output], output


def test_quiet_fit_prints_none_of_wandbs_console_output_but_still_logs_offline(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    proc = subprocess.run([sys.executable, "-m", "lightning_gan", "fit", "train.g_steps=12", "train.log_every=4",
                           "run.wandb.mode=offline", "trainer.accelerator=cpu", "run.name=q", "--quiet"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wandb:" not in proc.stdout + proc.stderr  # no banner, no run history
    assert list((tmp_path / "runs" / "q" / "wandb").glob("offline-run-*"))


def test_only_the_listed_warnings_are_silenced():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_third_party_noise()
        warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated", FutureWarning)  # from this module: kept
        warnings.warn("something else", FutureWarning)
    assert [str(w.message) for w in caught] == ["`isinstance(treespec, LeafSpec)` is deprecated", "something else"]


def test_wandb_loggers_anonymous_key_is_dropped_only_when_unset():
    unset = WandbLogger(mode="disabled")
    assert "anonymous" in unset._wandb_init and unset._wandb_init["anonymous"] is None  # what Lightning passes
    compat.drop_unset_wandb_anonymous(unset)
    assert "anonymous" not in unset._wandb_init
    chosen = WandbLogger(mode="disabled", anonymous=True)
    compat.drop_unset_wandb_anonymous(chosen)
    assert chosen._wandb_init["anonymous"] == "allow"
