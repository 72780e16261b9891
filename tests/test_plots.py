"""PNG outputs: image grids carry their caption (the G step), as the scatter plots carry their title."""
import numpy as np
import torch
from PIL import Image

from lightning_gan.plots import save_image_grid


def test_an_image_grid_carries_its_caption_above_the_unchanged_grid(tmp_path):
    images = torch.linspace(-1, 1, 4 * 32 * 32).reshape(4, 1, 32, 32)
    save_image_grid(tmp_path / "plain.png", images, columns=2)
    save_image_grid(tmp_path / "captioned.png", images, columns=2, title="G step 1500")
    plain = np.asarray(Image.open(tmp_path / "plain.png").convert("RGB"))
    captioned = np.asarray(Image.open(tmp_path / "captioned.png").convert("RGB"))
    strip = captioned.shape[0] - plain.shape[0]
    assert strip == 14 and captioned.shape[1] == plain.shape[1]
    assert (captioned[strip:] == plain).all()  # the samples themselves are untouched
    assert (captioned[:strip] < 128).any() and (captioned[:strip] == 255).mean() > 0.5  # dark text on white


def test_a_long_caption_wraps_and_small_images_are_enlarged(tmp_path):
    images = torch.linspace(-1, 1, 4 * 8 * 8).reshape(4, 1, 8, 8)  # 8x8 digits: drawn at 16x16
    save_image_grid(tmp_path / "plain.png", images, columns=2)
    plain = np.asarray(Image.open(tmp_path / "plain.png").convert("L"))
    assert plain.shape == (2 * 17 + 1, 2 * 17 + 1)
    assert (plain[1:17, 1:17].reshape(8, 2, 8, 2) == plain[1:17:2, 1:17:2][:, None, :, None]).all()  # 2x2 blocks
    save_image_grid(tmp_path / "long.png", images, columns=2, title="G step 5000, rows: input, reconstruction")
    long = np.asarray(Image.open(tmp_path / "long.png").convert("L"))
    strip = long.shape[0] - plain.shape[0]
    assert strip > 14 and (strip - 14) % 12 == 0 and long.shape[1] == plain.shape[1]  # more lines, same width
    assert (long[strip:] == plain).all()
