"""The default 2014 GAN on the ring of 8 Gaussians, end to end, with W&B offline read back."""
import pytest

from lightning_gan.config import flatten, load_config, to_dict
from lightning_gan.jsonl import read_jsonl
from lightning_gan.wandb_offline import read_offline_run

# The embedded default run, shortened for the suite; README figures come from the full default.
TEST_BUDGET = ["train.g_steps=4000", "train.sample_every=4000", "train.checkpoint_every=4000"]


@pytest.mark.slow
def test_ring_of_8_end_to_end_with_wandb_offline(monkeypatch):
    from lightning_gan.runs import fit

    monkeypatch.setenv("WANDB_MODE", "offline")
    cfg = load_config(None, [*TEST_BUDGET, "run.wandb.mode=offline", "trainer.accelerator=cpu"])
    result = fit(cfg, verbose=False)

    # mode coverage of the final samples (2000 points from the fixed noise batch)
    assert result.final["eval/modes_captured"] == 8
    assert result.final["eval/high_quality"] >= 0.5
    # the D(x) / D(G(z)) balance heads for 1/2 from both sides
    assert 0.3 < result.final["train/D_G_z"] <= 0.5 <= result.final["train/D_x"] < 0.7

    run = read_offline_run(result.run_dir)
    assert {k: run.config[k] for k in flatten(to_dict(cfg))} == flatten(to_dict(cfg))
    assert run.run_info["tags"][:3] == ["gan", "mixture", "non_saturating"]
    train_rows = [row for row in run.history if "train/g_loss" in row]
    assert [row["g_step"] for row in train_rows] == list(range(10, 4001, 10))
    jsonl = [row for row in read_jsonl(result.run_dir / "metrics.jsonl") if "train/g_loss" in row]
    assert [row["train/g_loss"] for row in jsonl] == pytest.approx([row["train/g_loss"] for row in train_rows])
    # define_metric summaries: the best value (here the max) and the last, not only the last
    captured = [row["eval/modes_captured"] for row in run.history if "eval/modes_captured" in row]
    assert run.summary["eval/modes_captured"] == {"max": max(captured), "last": result.final["eval/modes_captured"]}
    assert run.summary["eval/mode_kl"]["min"] == min(row["eval/mode_kl"] for row in run.history if "eval/mode_kl" in row)
    assert run.summary["samples/_type"] == "images/separated"  # the scatter plot went to W&B
