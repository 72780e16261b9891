"""pix2pix and CycleGAN on tiny folders in the reference layouts (work in progress: the full contract suite follows)."""
import numpy as np
import pytest
import torch
from PIL import Image

from lightning_gan.batch import Batch
from lightning_gan.config import load_config
from lightning_gan.errors import DataError
from lightning_gan.nets.translation import FakePool
from lightning_gan.runs import fit

QUICK = ["train.g_steps=4", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
         "train.num_grid_samples=4", "trainer.accelerator=cpu", "run.wandb.mode=disabled",
         "data.image_size=16", "data.load_size=18", "data.channels=1", "data.batch_size=4"]


def write_paired(root, n=8, side=16, width=None):
    (root / "train").mkdir(parents=True)
    (root / "test").mkdir()
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for i in range(n):
            pixels = rng.integers(0, 255, (side, width or 2 * side), dtype=np.uint8)
            Image.fromarray(pixels).save(root / split / f"{i}.png")


def write_unpaired(root, counts=(8, 6), side=16):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for domain, n in zip("AB", counts):
            (root / f"{split}{domain}").mkdir(parents=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 255, (side, side), dtype=np.uint8)).save(root / f"{split}{domain}" / f"{i}.png")


@pytest.mark.parametrize("name, writer, data", [("pix2pix", write_paired, "paired_folder"),
                                                 ("cyclegan", write_unpaired, "unpaired_folder")])
def test_tiny_run_trains_every_network_and_writes_translation_grids(tmp_path, name, writer, data):
    from lightning_gan.registry import VARIANTS

    writer(tmp_path / "set")
    cfg = load_config(None, [f"variant.name={name}", *VARIANTS.lookup(name).tiny_overrides, f"data.name={data}",
                             f"data.path={tmp_path / 'set'}", *QUICK])
    result = fit(cfg, verbose=False)
    module = result.module
    assert module.g_steps == 4
    assert len(list((result.run_dir / "samples").glob("g*.png"))) == 2
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    out = module.generate(3, torch.Generator().manual_seed(0), inputs=x).samples
    assert out.shape == (3, 1, 16, 16) and out.abs().max() <= 1
    torch.testing.assert_close(module.generate(3, torch.Generator().manual_seed(0), inputs=x).samples, out)
    with pytest.raises(ValueError, match="inputs"):
        module.generate(3)


def test_odd_width_side_by_side_images_fail_before_training(tmp_path):
    write_paired(tmp_path / "set", width=31)
    cfg = load_config(None, ["variant.name=pix2pix", "variant.d_layers=1", "data.name=paired_folder",
                             f"data.path={tmp_path / 'set'}", *QUICK])
    with pytest.raises(DataError, match="odd width"):
        fit(cfg, verbose=False)
    assert not (tmp_path / "runs").exists()


def test_the_full_pool_returns_a_past_fake_half_of_the_time():
    torch.manual_seed(0)
    pool = FakePool(size=10, shape=(1,))
    first = pool(-torch.arange(1.0, 11).unsqueeze(1))  # fills it: returned as they are
    assert torch.equal(first, -torch.arange(1.0, 11).unsqueeze(1))
    new = torch.arange(1.0, 4001).unsqueeze(1)
    out = pool(new)
    assert abs(float((out != new).float().mean()) - 0.5) < 0.05  # a past fake instead of the new one
    assert set((out[out != new]).tolist()) <= set(range(-10, 4001)) - {0}


def test_the_l1_term_is_zero_when_the_output_equals_the_target(tmp_path):
    from lightning_gan.config import to_dict
    from lightning_gan.registry import VARIANTS

    cfg = load_config(None, ["variant.name=pix2pix", "variant.d_layers=1", "data.name=paired_folder", "data.path=x", *QUICK])
    module = VARIANTS.lookup("pix2pix")(to_dict(cfg), data_shape=(1, 16, 16))
    module.generator = torch.nn.Identity()
    images = torch.rand(2, 1, 16, 16)
    _, logs = module.generator_loss(Batch(images, torch.zeros(2, dtype=torch.long), images.clone()))
    assert float(logs["l1"]) == 0
