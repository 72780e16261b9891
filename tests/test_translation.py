"""pix2pix and CycleGAN beyond the family contract: folder formats, jitter, each objective's terms, the pool.

The contract suite (test_contract_translation.py) covers what every translation variant shares; bad
folders are rows of test_bad_inputs.py.
"""
import time

import pytest
import torch
from folders import write_aligned, write_side_by_side, write_unpaired

from lightning_gan.batch import Batch
from lightning_gan.config import load_config, to_dict
from lightning_gan.data.offline_sets import SETS, write_digits_inverted
from lightning_gan.evaluate_run import build_datamodule, evaluate
from lightning_gan.module import load_module
from lightning_gan.nets.translation import FakePool
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit

load_all()
PIXEL = 2.01 / 127.5  # resizing rounds A and B to uint8 separately: a true pair is (x, -x) to two grey levels
DATA = ["variant.d_layers=1", "data.image_size=16", "data.load_size=20", "data.channels=1", "data.batch_size=4"]
QUICK = ["train.g_steps=4", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
         "train.num_grid_samples=4", "trainer.accelerator=cpu", "run.wandb.mode=disabled", *DATA]


def datamodule(data: str, path, *extra: str):
    cfg = load_config(None, ["variant.name=pix2pix" if data == "paired_folder" else "variant.name=cyclegan",
                             f"data.name={data}", f"data.path={path}", *DATA, *extra])
    return build_datamodule(cfg)


def batches(dm, epochs: int = 2) -> list[Batch]:
    """Every batch of a few epochs, as training sees them (each consumed, so the next epoch follows)."""
    loader, out = dm.train_dataloader(), []
    for _ in range(epochs):
        for batch in loader:
            out.append(batch)
            loader.batch_consumed()
    return out


# ------------------------------------------------------------------ folder formats
@pytest.mark.parametrize("writer, layout", [(write_side_by_side, "side_by_side"), (write_aligned, "folders")])
@pytest.mark.parametrize("direction", ["AtoB", "BtoA"])
def test_each_paired_layout_loads_true_pairs_in_the_requested_direction(tmp_path, writer, layout, direction):
    dm = datamodule("paired_folder", writer(tmp_path / "set"), f"data.direction={direction}")
    assert dm.layout_name == layout and len(dm.x) == 8
    sign = -1 if direction == "AtoB" else 1  # A pixels are < 0, B pixels > 0 (tests/folders.py)
    for batch in batches(dm):
        torch.testing.assert_close(batch.target, -batch.images, atol=PIXEL, rtol=0)  # each target is its own input's partner
        assert (batch.images * sign > 0).all()
    torch.testing.assert_close(dm.eval_targets, -dm.eval_inputs, atol=PIXEL, rtol=0)
    assert (dm.eval_inputs * sign > 0).all()


@pytest.mark.parametrize("direction", ["AtoB", "BtoA"])
def test_the_unpaired_layout_loads_unequal_domains_and_known_test_pairs(tmp_path, direction):
    dm = datamodule("unpaired_folder", write_unpaired(tmp_path / "set", counts=(8, 6)), f"data.direction={direction}",
                    "data.test_pairs=true")
    first, second = (8, 6) if direction == "AtoB" else (6, 8)
    assert (len(dm.x), len(dm.target)) == (first, second) and len(dm._dataset()) == 8
    sign = -1 if direction == "AtoB" else 1
    seen = torch.cat([b.images for b in batches(dm)])
    assert (seen * sign > 0).all() and (torch.cat([b.target for b in batches(dm)]) * sign < 0).all()
    assert len(torch.unique(seen.flatten(1), dim=0)) > 1
    torch.testing.assert_close(dm.eval_targets, -dm.eval_inputs, atol=PIXEL, rtol=0)  # testA/x and testB/x: one scene


# ------------------------------------------------------------------ jitter
def test_jitter_and_flip_are_the_same_for_both_images_of_a_pair_and_seeded(tmp_path):
    path = write_side_by_side(tmp_path / "set")
    first, again = batches(datamodule("paired_folder", path)), batches(datamodule("paired_folder", path))
    other = batches(datamodule("paired_folder", path, "train.seed=1"))
    for batch in first:
        torch.testing.assert_close(batch.target, -batch.images, atol=PIXEL, rtol=0)  # the same crop and flip of A and of B
    assert all(torch.equal(a.images, b.images) for a, b in zip(first, again))  # seeded: resume replays it
    assert not all(torch.equal(a.images, b.images) for a, b in zip(first, other))
    # it is jitter: the same scenes in a later epoch (ids tagged epoch * 8 + index) come out cropped or flipped otherwise
    dataset = datamodule("paired_folder", path)._dataset()
    epoch0, epoch1 = dataset.__getitems__(list(range(8))), dataset.__getitems__(list(range(8, 16)))
    torch.testing.assert_close(epoch1.target, -epoch1.images, atol=PIXEL, rtol=0)
    assert sum(not torch.equal(a, b) for a, b in zip(epoch0.images, epoch1.images)) >= 4


def test_without_load_slack_or_flip_the_training_images_are_the_centre_crops(tmp_path):
    dm = datamodule("paired_folder", write_side_by_side(tmp_path / "set"), "data.load_size=16", "data.flip=false")
    first = batches(dm, epochs=1)
    images = torch.cat([b.images for b in first])
    torch.testing.assert_close(images.sort(dim=0).values, dm.x.float().div(127.5).sub(1).sort(dim=0).values)


# ------------------------------------------------------------------ pix2pix
def tiny(name: str, data: str, path, *extra: str):
    cfg = load_config(None, [f"variant.name={name}", *VARIANTS.lookup(name).tiny_overrides, f"data.name={data}",
                             f"data.path={path}", *QUICK, *extra])
    return cfg, VARIANTS.lookup(name)(to_dict(cfg), data_shape=(1, 16, 16))


class Shift(torch.nn.Module):
    def __init__(self, by: float):
        super().__init__()
        self.by = by

    def forward(self, x):
        return x + self.by


class Recorder(torch.nn.Module):
    """A stand-in critic that keeps what it was shown."""

    def __init__(self):
        super().__init__()
        self.calls, self.w = [], torch.nn.Parameter(torch.zeros(()))

    def forward(self, *args):
        self.calls.append([a.detach().clone() for a in args])
        return args[-1].mean(dim=(1, 2, 3)) * 0 + self.w


def test_pix2pix_d_judges_input_output_pairs(tmp_path):
    _, module = tiny("pix2pix", "paired_folder", tmp_path)
    module.discriminator, module.generator = Recorder(), Shift(0.5)  # G(x) = x + 0.5: its output is recognisable
    inputs, targets = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    module.discriminator_loss(Batch(inputs, torch.zeros(2, dtype=torch.long), targets))
    shown = [[pair[0], pair[1]] for pair in module.discriminator.calls]
    assert len(shown) == 2 and all(torch.equal(call[0], inputs) for call in shown)  # always with the input
    outputs = [call[1] for call in shown]
    assert any(torch.equal(o, targets) for o in outputs) and any(torch.equal(o, inputs + 0.5) for o in outputs)
    module.discriminator.calls.clear()
    module.generator_loss(Batch(inputs, torch.zeros(2, dtype=torch.long), targets))
    assert [[torch.equal(a, b) for a, b in zip(call, (inputs, inputs + 0.5))] for call in module.discriminator.calls] \
        == [[True, True]]


def test_the_l1_term_is_zero_when_the_output_equals_the_target(tmp_path):
    _, module = tiny("pix2pix", "paired_folder", tmp_path)
    module.generator = torch.nn.Identity()
    images = torch.rand(2, 1, 16, 16)
    loss, logs = module.generator_loss(Batch(images, torch.zeros(2, dtype=torch.long), images.clone()))
    assert float(logs["l1"]) == 0 and torch.equal(loss, logs["g_adversarial"])
    _, logs = module.generator_loss(Batch(images, torch.zeros(2, dtype=torch.long), images + 0.25))
    assert float(logs["l1"]) == pytest.approx(0.25)


# ------------------------------------------------------------------ CycleGAN
def test_cycle_and_identity_terms_are_zero_for_identity_generators(tmp_path):
    _, module = tiny("cyclegan", "unpaired_folder", tmp_path)
    module.generator.a_to_b = module.generator.b_to_a = torch.nn.Identity()
    a, b = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    _, logs = module.generator_loss(Batch(a, torch.zeros(2, dtype=torch.long), b))
    assert float(logs["cycle"]) == 0 and float(logs["identity"]) == 0
    module.generator.a_to_b = Shift(0.5)  # G(F(b)) = b + 0.5 and F(G(a)) = a + 0.5
    _, logs = module.generator_loss(Batch(a, torch.zeros(2, dtype=torch.long), b))
    assert float(logs["cycle"]) == pytest.approx(1.0) and float(logs["identity"]) == pytest.approx(0.5)


def test_the_full_pool_returns_a_past_fake_half_of_the_time():
    torch.manual_seed(0)
    pool = FakePool(size=10, shape=(1,))
    first = pool(-torch.arange(1.0, 11).unsqueeze(1))  # fills it: returned as they are
    assert torch.equal(first, -torch.arange(1.0, 11).unsqueeze(1))
    new = torch.arange(1.0, 4001).unsqueeze(1)
    out = pool(new)
    assert abs(float((out != new).float().mean()) - 0.5) < 0.05  # a past fake instead of the new one
    assert set((out[out != new]).tolist()) <= set(range(-10, 4001)) - {0}


def test_the_pools_are_in_the_checkpoint(tmp_path):
    cfg, _ = tiny("cyclegan", "unpaired_folder", write_unpaired(tmp_path / "set"), "variant.pool_size=6")
    result = fit(cfg, verbose=False)
    restored = load_module(str(result.checkpoint))
    for pool in ("pool_a", "pool_b"):
        saved, live = getattr(restored, pool), getattr(result.module, pool)
        assert int(saved.filled) == 6 and torch.equal(saved.images, live.images.cpu())
        assert saved.images.abs().sum() > 0


def test_every_offline_set_has_a_prepare_command_and_every_metric_group_is_in_the_help():
    from lightning_gan.cli import METRIC_GROUP_NAMES, TRANSLATION_SETS
    from lightning_gan.config import METRIC_GROUPS

    assert set(TRANSLATION_SETS) == set(SETS)
    assert METRIC_GROUP_NAMES == METRIC_GROUPS


def test_a_short_cyclegan_run_beats_returning_the_input_on_the_known_digit_mapping(tmp_path):
    # digits <-> inverted digits: the true B of each test A is known, so the error against it is measurable
    started = time.perf_counter()
    write_digits_inverted(tmp_path / "digits2inverted")
    cfg = load_config(None, ["variant.name=cyclegan", "variant.g_width=8", "variant.g_blocks=2", "variant.d_width=8",
                             "variant.d_layers=1", "data.name=unpaired_folder", f"data.path={tmp_path / 'digits2inverted'}",
                             "data.test_pairs=true", "data.image_size=16", "data.channels=1", "data.batch_size=8",
                             "loss=least_squares", "train.g_steps=100", "train.sample_every=1000",
                             "train.checkpoint_every=1000", "trainer.accelerator=cpu", "run.wandb.mode=disabled"])
    result = fit(cfg, verbose=False)
    report, _ = evaluate(str(result.run_dir), metrics=["cycle"], log=lambda *_: None)
    m = report["metrics"]
    for d in ("ab", "ba"):
        assert m[f"{d}_mapping_l1_test"] < 0.85 * m[f"{d}_input_l1_test"], m
        assert m[f"{d}_cycle_l1_test"] < m[f"{d}_input_l1_test"], m
    assert time.perf_counter() - started < 120
