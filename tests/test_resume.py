"""Exact resume: a run killed with SIGKILL and resumed ends where the uninterrupted run ends."""
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lightning as L
import pytest
import torch

from lightning_gan.cli import main
from lightning_gan.jsonl import read_jsonl
from lightning_gan.module import COUNTERS_KEY, load_module
from lightning_gan.wandb_offline import read_offline_run

# k = 2 and EMA on; 32 batches per epoch, so the checkpoints at G steps 100 and 200 fall mid-epoch.
BASE = ["train.g_steps=300", "train.k=2", "train.ema_decay=0.99", "train.checkpoint_every=100", "train.log_every=10",
        "train.sample_every=1000", "data.n_samples=2048", "data.batch_size=64", "trainer.deterministic=true",
        "trainer.accelerator=cpu", "run.wandb.mode=disabled", "--quiet"]


def g_steps_of(ckpt: Path) -> int:
    return torch.load(ckpt, map_location="cpu", weights_only=True)[COUNTERS_KEY]["g_steps"]


def start(name: str, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_SERVICE")}
    return subprocess.Popen([sys.executable, "-m", "lightning_gan", "fit", *BASE, f"run.name={name}", *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def assert_same_state(a: Path, b: Path) -> None:
    first, second = (torch.load(p, map_location="cpu", weights_only=True) for p in (a, b))
    assert first["state_dict"].keys() == second["state_dict"].keys()
    for key, value in first["state_dict"].items():  # G, D and the EMA of G, bit for bit
        assert torch.equal(value, second["state_dict"][key]), key
    for opt_a, opt_b in zip(first["optimizer_states"], second["optimizer_states"]):
        for index, state in opt_a["state"].items():
            for name, value in state.items():
                assert torch.equal(torch.as_tensor(value), torch.as_tensor(opt_b["state"][index][name])), name
    assert {k: v for k, v in first[COUNTERS_KEY].items()} == {k: v for k, v in second[COUNTERS_KEY].items()}


def test_sigkill_then_resume_equals_the_uninterrupted_run():
    assert main(["fit", *BASE, "run.name=full"]) == 0
    proc = start("cut")
    ckpt = Path("runs/cut/checkpoints/last.ckpt")
    while proc.poll() is None and not (ckpt.is_file() and g_steps_of(ckpt) >= 100):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    killed_at = g_steps_of(ckpt)
    assert 100 <= killed_at < 300

    assert main(["fit", "--resume", "runs/cut", "--quiet"]) == 0
    assert_same_state(Path("runs/full/checkpoints/last.ckpt"), ckpt)
    # the logged rows continue where the checkpoint left off, with the same values
    full, cut = (read_jsonl(Path(f"runs/{n}/metrics.jsonl")) for n in ("full", "cut"))
    pairs = lambda rows: [(r["g_step"], r["train/g_loss"]) for r in rows if "train/g_loss" in r]  # noqa: E731
    assert pairs(cut) == pairs(full)


def test_sigterm_writes_a_checkpoint_and_the_run_resumes_from_it():
    proc = start("pre", "train.g_steps=100000", "train.checkpoint_every=100000", "run.wandb.mode=offline")
    while proc.poll() is None and len(read_jsonl(Path("runs/pre/metrics.jsonl")) if Path("runs/pre/metrics.jsonl").is_file() else []) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)  # preemption
    proc.wait(timeout=60)
    ckpt = Path("runs/pre/checkpoints/last.ckpt")
    stopped_at = g_steps_of(ckpt)
    assert stopped_at >= 30
    assert main(["fit", "--resume", "runs/pre", f"train.g_steps={stopped_at + 10}", "--quiet"]) == 0
    assert g_steps_of(ckpt) == stopped_at + 10
    assert Path(f"runs/pre/config.before-resume-g{stopped_at}.yaml").is_file()  # the override kept the old config
    # the same W&B run: both processes wrote offline files under one run id, the second from the resumed step on
    first, second = sorted(Path("runs/pre/wandb").glob("offline-run-*/run-*.wandb"), key=lambda p: p.parent.name)
    assert first.name == second.name
    steps = [row["g_step"] for row in read_offline_run(second).history if "train/g_loss" in row]
    assert steps and steps[0] > stopped_at


class Killed(Exception):
    """Stands for the process dying in the middle of a write."""


def test_a_kill_while_writing_a_checkpoint_leaves_the_previous_one(monkeypatch):
    original = L.Trainer.save_checkpoint
    calls = []

    def dying_save(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:  # the second checkpoint: half a file, then the process "dies"
            original(self, path, *args, **kwargs)
            Path(path).write_bytes(Path(path).read_bytes()[:1000])
            raise Killed
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(L.Trainer, "save_checkpoint", dying_save)
    with pytest.raises(Killed):
        main(["fit", *BASE, "run.name=torn"])
    assert load_module("runs/torn/checkpoints/last.ckpt").g_steps == 100  # the torn write never replaced it
    monkeypatch.setattr(L.Trainer, "save_checkpoint", original)
    assert main(["fit", "--resume", "runs/torn", "--quiet"]) == 0
    assert g_steps_of(Path("runs/torn/checkpoints/last.ckpt")) == 300


def digest(directory: Path) -> dict:
    return {str(p): hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_bad_resumes_exit_2_and_never_start_afresh(capsys):
    assert main(["fit", *BASE, "train.g_steps=20", "train.checkpoint_every=10", "run.name=done"]) == 0
    Path("runs/nockpt").mkdir(parents=True)
    Path("runs/nockpt/config.yaml").write_text(Path("runs/done/config.yaml").read_text())
    Path("runs/torn/checkpoints").mkdir(parents=True)
    Path("runs/torn/config.yaml").write_text(Path("runs/done/config.yaml").read_text())
    Path("runs/torn/checkpoints/last.ckpt").write_bytes(b"not a checkpoint")
    before = digest(Path("runs"))
    cases = [
        (["--resume", "runs/nowhere"], "is not a run directory"),
        (["--resume", "runs/nockpt"], "nothing to resume"),
        (["--resume", "runs/torn"], "is damaged or not a lightning-gan checkpoint"),
        (["--resume", "runs/done", "variant.name=dcgan"], "the checkpoint was trained with variant 'gan'"),
        (["--resume", "runs/done", "variant.g_hidden=[8]"], "the checkpoint was trained with variant 'gan'"),
        (["--resume", "runs/done", "configs/gan_ring8.yaml"], "a config file with --resume"),
        (["--resume", "runs/done"], "is already at G step 20 of 20: nothing to resume"),
        (["--resume", "runs/done", "train.g_steps=10"], "to train longer, pass train.g_steps=N with N > 20"),
        (["run.name=done", *BASE], "already exists; runs are never overwritten"),
    ]
    for args, message in cases:
        assert main(["fit", *args]) == 2, args
        assert message in capsys.readouterr().err, args
    assert digest(Path("runs")) == before  # nothing written, nothing started afresh


def test_resuming_a_run_that_ended_mid_epoch_continues_its_data_where_it_stopped():
    # 16 batches per epoch; 13 G steps x k=2 = 26 batches end mid-epoch. Lightning records that epoch as
    # done and restores no loader state: the data module must still continue at batch 10 of epoch 1.
    short = [a for a in BASE if not a.startswith(("train.g_steps", "data.n_samples", "data.batch_size"))]
    short += ["data.n_samples=512", "data.batch_size=32"]
    assert main(["fit", *short, "train.g_steps=26", "run.name=whole"]) == 0
    assert main(["fit", *short, "train.g_steps=13", "run.name=part"]) == 0
    assert main(["fit", "--resume", "runs/part", "train.g_steps=26", "--quiet"]) == 0
    assert_same_state(Path("runs/whole/checkpoints/last.ckpt"), Path("runs/part/checkpoints/last.ckpt"))


def test_a_resumed_run_reports_the_steps_it_trained_and_its_bar_starts_where_it_resumed(capsys):
    quick = [a for a in BASE if a not in ("--quiet",) and not a.startswith(("train.g_steps", "train.log_every"))]
    assert main(["fit", *quick, "train.g_steps=20", "train.log_every=5", "run.name=short", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["fit", "--resume", "runs/short", "train.g_steps=30"]) == 0
    out = capsys.readouterr().out
    assert "trained 10 G steps in" in out and "(resumed at G step 20, now 30)" in out
    bar = [line for line in out.replace("\r", "\n").splitlines() if line.startswith("G steps")]
    # tqdm draws the restored position first; Lightning's own per-epoch bar never shows
    assert bar and bar[0].startswith("G steps:  67%") and "20/30" in bar[0] and "Training" not in out
    assert "30/30" in bar[-1]
