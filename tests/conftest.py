import os

import pytest

# Tests never reach a W&B server; those that read W&B back switch to offline explicitly.
os.environ["WANDB_MODE"] = "disabled"
os.environ["WANDB_SILENT"] = "true"
os.environ.setdefault("WANDB_DIR", "/tmp")
os.environ.pop("WANDB_API_KEY", None)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Every test runs in its own directory, so run directories never collide or leak."""
    monkeypatch.chdir(tmp_path)


def tiny_overrides(variant_cls, data: str = "points") -> list[str]:
    """A few-step config for any registered variant on synthetic data (points or 16x16 images)."""
    shape = "[2]" if data == "points" else "[1,16,16]"
    return [f"variant.name={variant_cls.Config.name}", *variant_cls.tiny_overrides,
            "data.name=synthetic", f"data.shape={shape}", "data.n_samples=64", "data.batch_size=8",
            "train.g_steps=4", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
            "train.num_grid_samples=4", "trainer.accelerator=cpu", "run.wandb.mode=disabled"]
