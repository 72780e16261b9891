import os
from pathlib import Path

import pytest
from folders import DATA_NAMES, WRITERS

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
    """A few-step config for any registered variant on synthetic data (points or 16x16 images), or on a
    tiny "paired" / "unpaired" folder of 16x16 images, written into the test's directory when absent."""
    if data in WRITERS:
        folder = Path(f"tiny_{data}")
        if not folder.exists():
            WRITERS[data](folder)
        data_args = [f"data.name={DATA_NAMES[data]}", f"data.path={folder.resolve()}", "data.image_size=16",
                     "data.load_size=18", "data.channels=1", "data.batch_size=4"]
        data_args += ["data.test_pairs=true"] if data == "unpaired" else []  # so the known-mapping errors apply
    else:
        shape = "[2]" if data == "points" else "[1,16,16]"
        data_args = ["data.name=synthetic", f"data.shape={shape}", "data.n_samples=64", "data.batch_size=8"]
    return [f"variant.name={variant_cls.Config.name}", *variant_cls.tiny_overrides, *data_args,
            "train.g_steps=4", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
            "train.num_grid_samples=4", "trainer.accelerator=cpu", "run.wandb.mode=disabled"]
