"""One definition of a generated sample: generate() from Python, `lightning-gan sample` from the shell."""
import numpy as np
import pytest
import torch
from PIL import Image

from conftest import tiny_overrides
from lightning_gan.base import load_module
from lightning_gan.cli import main
from lightning_gan.config import load_config
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit

load_all()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny finished conditional run and an unconditional one (16x16 synthetic images, 10 classes)."""
    root = tmp_path_factory.mktemp("runs")
    made = {}
    for name in ("cdcgan", "dcgan"):
        cfg = load_config(None, [*tiny_overrides(VARIANTS[name], "images"), f"run.root={root}", f"run.name={name}"])
        made[name] = fit(cfg, verbose=False).run_dir
    return made


def test_three_lines_from_a_checkpoint(runs):
    model = load_module(str(runs["cdcgan"] / "checkpoints" / "last.ckpt"))
    images, labels = model.generate(10, labels=torch.arange(10))
    assert images.shape == (10, 1, 16, 16) and torch.equal(labels, torch.arange(10))


def test_conditional_grids_have_one_row_per_class(runs):
    # 10 classes x max(4, num_grid_samples // 10) = 4 columns of 16 px images, 1 px padding, under a
    # caption strip of 14 px and 12 px more per wrapped line
    assert grid_geometry(runs["cdcgan"] / "samples" / "g0000004.png") == (4 * 17 + 1, 10 * 17 + 1)
    # an unconditional grid is square: 4 samples -> 2 x 2
    assert grid_geometry(runs["dcgan"] / "samples" / "g0000004.png") == (2 * 17 + 1, 2 * 17 + 1)


def grid_geometry(path) -> tuple[int, int]:
    """(width, height) of the grid under its caption strip, which is 14 px plus 12 px per wrapped line."""
    width, height = Image.open(path).size
    pixels = np.asarray(Image.open(path).convert("L"))
    first_dark_padding_row = next(y for y in range(height) if (pixels[y] == 0).all())  # make_grid pads with black
    strip = first_dark_padding_row
    assert strip >= 14 and (strip - 14) % 12 == 0, strip
    return width, height - strip


def test_truncation_narrows_the_prior_and_keeps_its_bound(runs):
    model = load_module(str(runs["dcgan"] / "checkpoints" / "last.ckpt"))
    spreads = []
    for t in (2.0, 1.0, 0.5, 0.25):
        z = model.sample_z(4000, torch.Generator().manual_seed(0), truncation=t)
        assert z.abs().max() <= t
        spreads.append(float(z.var()))
    assert spreads == sorted(spreads, reverse=True)  # variance falls as t drops


def test_sample_command_writes_one_row_per_label(runs, tmp_path):
    out = tmp_path / "grid.png"
    assert main(["sample", str(runs["cdcgan"]), "--n", "5", "--labels", "0-2,7", "--out", str(out)]) == 0
    # 4 rows (labels 0, 1, 2, 7) of 5 images of 16 px, 1 px padding (torchvision's make_grid), a caption
    assert grid_geometry(out) == (5 * 17 + 1, 4 * 17 + 1)


@pytest.mark.parametrize("args, message", [
    (["--labels", "3"], "dcgan is unconditional"),
    (["--labels", "x"], "is not a list of class indices"),
    (["--n", "0"], "--n: must be >= 1"),
])
def test_sample_command_refuses_bad_requests(runs, tmp_path, capsys, args, message):
    out = tmp_path / "grid.png"
    assert main(["sample", str(runs["dcgan"]), *args, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_sample_command_refuses_labels_outside_the_classes(runs, tmp_path, capsys):
    assert main(["sample", str(runs["cdcgan"]), "--labels", "9,10", "--out", str(tmp_path / "g.png")]) == 2
    assert "[10] outside the model's classes 0..9" in capsys.readouterr().err


def test_generate_refuses_inputs_for_a_noise_model(runs):
    model = load_module(str(runs["dcgan"] / "checkpoints" / "last.ckpt"))
    with pytest.raises(ValueError, match="takes no inputs"):
        model.generate(2, inputs=torch.zeros(2, 1, 16, 16))
