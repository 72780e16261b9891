"""DDP with 2 CPU processes (gloo) through the CLI, as a user launches it on one machine with N GPUs.

Lightning's launcher re-runs the command line for rank 1; that must share rank 0's run directory
and write nothing of its own. Run as a subprocess (popen DDP inside pytest re-executes pytest).
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch


@pytest.mark.slow
def test_two_process_ddp_writes_one_run(tmp_path):
    script = Path(sys.executable).parent / "lightning-gan"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "RANK"))}
    env["WANDB_MODE"] = "offline"
    proc = subprocess.run([str(script), "fit", "trainer.devices=2", "trainer.accelerator=cpu", "train.g_steps=20",
                           "train.log_every=5", "train.sample_every=10", "train.checkpoint_every=10",
                           "run.root=runs", "run.name=ddp", "eval.every=10", "eval.num_samples=301",
                           "run.wandb.mode=offline", "--quiet"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["ddp"]
    run = tmp_path / "runs" / "ddp"
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["g_step"] for r in rows if "train/g_loss" in r] == [5, 10, 15, 20]  # one writer, no duplicates
    evals = [r for r in rows if "eval/high_quality301" in r]
    assert [r["g_step"] for r in evals] == [10, 20]  # both ranks computed; rank 0 logged once
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["g0000010.png", "g0000020.png"]
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["lightning_gan_counters"]["g_steps"] == 20
    assert_one_wandb_run_with_every_row(run, rows)


def test_mixture_metrics_are_gathered_over_both_ranks(tmp_path):
    """The Evaluator under 2 gloo processes: mode and Parzen figures are those of all 301 samples (151 + 150).

    Rank 0's points sit on mode centres, rank 1's far from every mode, so one rank alone gives other values:
    high_quality 1 (rank 0) or 0 (rank 1) instead of 151/301, and 8 modes captured instead of 7.
    """
    from ddp_eval_gather import NUM_SAMPLES, build_datamodule, feature_inputs, feature_metrics, rank_samples
    from lightning_gan.base import Generated
    from lightning_gan.evaluation import Evaluator
    from lightning_gan.metrics.mixture import mode_stats

    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "RANK"))}
    proc = subprocess.run([sys.executable, str(Path(__file__).parent / "ddp_eval_gather.py"), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["calls"] for r in ranks] == [[64, 64, 23]] * 2  # both ranks draw 151, in batches of 64
    got = ranks[0]["results"]
    assert ranks[1]["results"] == got  # every rank computes the same gathered figures

    counts = [21, 21, 21, 21, 20, 20, 20, 7]  # rank 0's 151 points; rank 1 adds none (its on-mode 151st is unused)
    assert got["high_quality301"] == pytest.approx(151 / 301, rel=1e-6)
    assert got["modes_captured301"] == 7  # mode 7's 7 points: below 301 / 8 / 4, above 151 / 8 / 4
    assert got["mode_kl301"] == pytest.approx(sum(c / 151 * math.log(8 * c / 151) for c in counts), rel=1e-5)
    datamodule = build_datamodule()
    centers, sigma = datamodule.centers, datamodule.cfg.sigma
    alone = mode_stats(rank_samples(0, 151, centers), centers, sigma)
    assert (alone["high_quality"], alone["modes_captured"]) == (1.0, 8.0)  # what rank 0 alone would report

    # One process on the union of what each rank contributes gives every figure, Parzen included.
    union = torch.cat([rank_samples(0, 151, centers), rank_samples(1, 150, centers)])
    single = Evaluator(datamodule, ["modes", "parzen"], NUM_SAMPLES, batch_size=NUM_SAMPLES, log=lambda *_: None)
    expected = single.run(lambda n, generator: Generated(union[:n], None))
    assert set(got) == set(expected) == {"modes_captured301", "high_quality301", "mode_kl301", "parzen_ll301",
                                         "parzen_ll_se301", "parzen_sigma301"}
    assert got == pytest.approx(expected, rel=1e-9)

    # Feature metrics: the gathered figures are those of one process holding every rank's features.
    union = [feature_inputs(r) for r in (0, 1)]
    single = feature_metrics()
    single.update({"features": torch.cat([u["real"] for u in union])}, real=True)
    single.update({"features": torch.cat([u["fake"] for u in union]),
                   "logits": torch.cat([u["logits"] for u in union])}, real=False)
    expected = single.compute()
    features = ranks[0]["features"]
    assert ranks[1]["features"] == features
    assert features == pytest.approx(expected, rel=1e-5, abs=1e-6)
    # rank 0's 101 fakes sit on real points, rank 1's 100 far away: shares of all 201, not of one rank's
    assert features["precision"] == pytest.approx(101 / 201) and features["top_class_share"] == pytest.approx(134 / 201)
    assert features["classes_generated"] == 3


def assert_one_wandb_run_with_every_row(run: Path, rows: list[dict]) -> None:
    """Rank 0 wrote exactly one W&B run, and it holds every row of metrics.jsonl."""
    from lightning_gan.wandb_offline import read_offline_run

    files = list((run / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == 1
    history = read_offline_run(files[0]).history
    for key in ("train/g_loss", "eval/high_quality301"):
        assert [r[key] for r in history if key in r] == pytest.approx([r[key] for r in rows if key in r]), key


@pytest.mark.slow
def test_two_process_ddp_feature_metrics_with_uneven_shares(tmp_path, monkeypatch):
    """Domain FID etc. under DDP: 201 samples split 101 + 100, gathered by torchmetrics without a hang."""
    from lightning_gan.cli import main
    from lightning_gan.metrics import classifier

    cache = tmp_path / "cache"
    monkeypatch.setenv("LIGHTNING_GAN_CACHE", str(cache))
    monkeypatch.setattr(classifier, "TRAIN_SAMPLES", 2000)
    digits = str(Path(__file__).resolve().parents[1] / "configs" / "gan_digits.yaml")
    assert main(["prepare", "classifier", digits, "--quiet"]) == 0
    script = Path(sys.executable).parent / "lightning-gan"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "RANK"))}
    proc = subprocess.run([str(script), "fit", digits, "trainer.devices=2", "trainer.accelerator=cpu",
                           "train.g_steps=20", "train.log_every=5", "train.sample_every=20", "eval.every=10",
                           "eval.num_samples=201", "eval.batch_size=50", "eval.metrics=[domain]",
                           "run.root=runs", "run.name=ddp", "--quiet"],
                          cwd=tmp_path, env={**env, "LIGHTNING_GAN_CACHE": str(cache)}, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "runs" / "ddp" / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval/domain_fid201" in r]
    assert [r["g_step"] for r in evals] == [10, 20]
    for r in evals:
        # exact gathered values on known features: test_mixture_metrics_are_gathered_over_both_ranks
        assert r["eval/domain_fid201"] > 0 and {"eval/domain_coverage201", "eval/domain_precision201"} <= set(r)
        assert r["eval/domain_top_class_share201"] * 201 == pytest.approx(round(r["eval/domain_top_class_share201"] * 201), abs=1e-3)


@pytest.mark.slow
def test_torchrun_launch_writes_one_run_and_needs_a_run_name(tmp_path):
    """torchrun starts every rank itself (as on several nodes): they share the one directory rank 0 makes."""
    torchrun = Path(sys.executable).parent / "torchrun"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "RANK"))}
    args = [str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "lightning_gan", "fit", "trainer.devices=2",
            "trainer.accelerator=cpu", "train.g_steps=20", "train.log_every=5", "train.sample_every=10",
            "train.checkpoint_every=10", "eval.every=10", "eval.num_samples=301", "run.wandb.mode=offline", "--quiet"]
    env["WANDB_MODE"] = "offline"
    unnamed = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert unnamed.returncode != 0 and "set run.name=<name> so that every rank writes to one run directory" in unnamed.stderr
    assert not (tmp_path / "runs").exists()
    proc = subprocess.run(args + ["run.name=tr"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["tr"]
    rows = [json.loads(line) for line in (tmp_path / "runs/tr/metrics.jsonl").read_text().splitlines()]
    assert [r["g_step"] for r in rows if "train/g_loss" in r] == [5, 10, 15, 20]
    assert sorted(p.name for p in (tmp_path / "runs/tr/samples").iterdir()) == ["g0000010.png", "g0000020.png"]
    assert_one_wandb_run_with_every_row(tmp_path / "runs/tr", rows)


RANK_CASES = {  # the 2014 MLP GAN, and DCGAN with BatchNorm in D and k = 2
    "gan": ["variant.name=gan", "variant.z_dim=4", "variant.g_hidden=[16]", "variant.d_hidden=[16]",
            "data.name=synthetic", "data.shape=[2]", "train.k=1"],
    "dcgan_bn_k3": ["variant.name=dcgan", "variant.z_dim=8", "variant.g_width=4", "variant.d_width=4",
                    "variant.d_norm=batch", "data.name=synthetic", "data.shape=[1,16,16]", "train.k=3",
                    "train.ema_decay=0.9"],  # the EMA copy of G (and its BatchNorm buffers) is compared too
    "wgan_gp_k2": ["variant.name=dcgan", "variant.z_dim=8", "variant.g_width=4", "variant.d_width=4",
                   "variant.d_norm=layer", "loss=wasserstein", "penalty.name=gp", "data.name=synthetic",
                   "data.shape=[1,16,16]", "train.k=2"],
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(RANK_CASES))
def test_parameters_are_identical_on_both_ranks_after_every_step(tmp_path, case):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "RANK"))}
    out = tmp_path / "equality.json"
    args = [sys.executable, str(Path(__file__).parent / "ddp_rank_equality.py"), str(out), *RANK_CASES[case],
            "data.n_samples=256", "data.batch_size=16", "train.g_steps=8", "train.log_every=2", "train.sample_every=100",
            "train.checkpoint_every=100", "trainer.devices=2", "trainer.accelerator=cpu", "run.wandb.mode=disabled",
            "run.name=eq"]
    proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    k = {"gan": 1, "dcgan_bn_k3": 3, "wgan_gp_k2": 2}[case]
    assert result["world_size"] == 2 and result["g_steps"] == 8 and result["batches"] == 8 * k
    assert result["max_difference"] == 0.0  # bitwise equal after every D step and every G step
    # every buffer too: BatchNorm running statistics of G, D and the EMA copy, and the EMA's counter
    assert result["buffers"] == {"gan": 0, "dcgan_bn_k3": 16, "wgan_gp_k2": 6}[case]
    assert result["max_buffer_difference"] == 0.0


@pytest.mark.slow
def test_ddp_resume_equals_the_uninterrupted_run(tmp_path):
    """Every rank's noise stream and data shard come back: a stopped and resumed 2-process run ends equal."""
    script = str(Path(sys.executable).parent / "lightning-gan")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "RANK"))}
    base = ["trainer.devices=2", "trainer.accelerator=cpu", "trainer.deterministic=true", "train.k=2",
            "train.log_every=4", "train.sample_every=1000", "train.checkpoint_every=1000", "data.n_samples=512",
            "data.batch_size=32", "run.wandb.mode=disabled", "--quiet"]
    for args in (["fit", *base, "train.g_steps=26", "run.name=full"],  # 8 batches per rank per epoch
                 ["fit", *base, "train.g_steps=13", "run.name=half"],  # stops mid-epoch (26 batches)
                 ["fit", "--resume", "runs/half", "train.g_steps=26", "--quiet"]):
        proc = subprocess.run([script, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
    full, resumed = (torch.load(tmp_path / f"runs/{n}/checkpoints/last.ckpt", weights_only=True) for n in ("full", "half"))
    for key, value in full["state_dict"].items():
        assert torch.equal(value, resumed["state_dict"][key]), key
    assert len(full["lightning_gan_rng"]["ranks"]) == 2  # both ranks' streams are in the checkpoint
