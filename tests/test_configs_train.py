"""Every shipped YAML trains for 2 G steps, with tiny widths, on its own data (IDX sets faked locally)."""
from pathlib import Path

import pytest
from folders import WRITERS
from test_data import fake_idx_set

from lightning_gan.config import load_config
from lightning_gan.jsonl import read_jsonl
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit

load_all()
CONFIGS = sorted((Path(__file__).parents[1] / "configs").glob("*.yaml"), key=lambda p: p.name)
IDX_SETS = ("fashion_mnist", "mnist")
FOLDER_SETS = {"paired_folder": "paired", "unpaired_folder": "unpaired"}  # image-to-image: a tiny copy in the format


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_trains_two_g_steps(path, tmp_path):
    shipped = load_config(path)
    data = [f"data.path={tmp_path / 'idx'}", "data.batch_size=8"] if shipped.data.name in IDX_SETS else []
    if data:
        fake_idx_set(tmp_path / "idx", n=40)
    if shipped.data.name in FOLDER_SETS:  # the YAML's own channels and direction, on 16x16 scenes
        WRITERS[FOLDER_SETS[shipped.data.name]](tmp_path / "set", channels=shipped.data.channels)
        data = [f"data.path={tmp_path / 'set'}", "data.image_size=16", "data.load_size=18", "data.batch_size=2",
                "variant.d_layers=1"]
    cfg = load_config(path, [*VARIANTS[shipped.variant.name].tiny_overrides, *data, "train.g_steps=2",
                             "train.log_every=1", "train.sample_every=2", "eval.every=0", "run.wandb.mode=disabled",
                             "trainer.accelerator=cpu", "run.root=runs"])
    result = fit(cfg, verbose=False)
    rows = [r for r in read_jsonl(result.run_dir / "metrics.jsonl") if any(k.startswith("train/") for k in r)]
    assert [r["g_step"] for r in rows] == [1, 2]
    # everything else the YAML sets is kept: same variant, data set, loss and schedule
    kept = lambda c: (c.variant.name, c.data.name, getattr(c, "loss", None), getattr(c.train, "k", None))  # noqa: E731
    assert kept(cfg) == kept(shipped)  # loss and k where the family has them
    assert (result.run_dir / "samples" / "g0000002.png").is_file()
