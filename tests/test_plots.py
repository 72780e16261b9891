"""PNG outputs: image grids carry their caption (the G step), as the scatter plots carry their title."""
import numpy as np
import torch
from PIL import Image

from lightning_gan.plots import save_image_grid


def test_an_image_grid_carries_its_caption_above_the_unchanged_grid(tmp_path):
    images = torch.linspace(-1, 1, 4 * 8 * 8).reshape(4, 1, 8, 8)
    save_image_grid(tmp_path / "plain.png", images, columns=2)
    save_image_grid(tmp_path / "captioned.png", images, columns=2, title="G step 1500")
    plain = np.asarray(Image.open(tmp_path / "plain.png").convert("RGB"))
    captioned = np.asarray(Image.open(tmp_path / "captioned.png").convert("RGB"))
    strip = captioned.shape[0] - plain.shape[0]
    assert strip == 14 and captioned.shape[1] == plain.shape[1]
    assert (captioned[strip:] == plain).all()  # the samples themselves are untouched
    assert (captioned[:strip] < 128).any() and (captioned[:strip] == 255).mean() > 0.5  # dark text on white
