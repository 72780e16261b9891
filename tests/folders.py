"""Tiny image-to-image sets in the reference layouts, built so pairing and direction can be read back.

Domain A is noise in [0, 127], and B of the same scene is its negative 255 - A, which lands in [128, 255]:
after scaling to [-1, 1] a true pair is (x, -x) exactly, A pixels are < 0 and B pixels > 0, so any
batch shows whether inputs and targets are paired (target == -input) and which way round they are.
"""
from pathlib import Path

import numpy as np
from PIL import Image


def scene(index: int, side: int, channels: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) of one scene: uint8 [side, side] (gray) or [side, side, 3]."""
    shape = (side, side) if channels == 1 else (side, side, channels)
    a = np.random.default_rng([seed, index]).integers(0, 128, shape, dtype=np.uint8)
    return a, 255 - a


def save(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def write_side_by_side(root: Path, n: int = 8, side: int = 16, channels: int = 1,
                       splits: tuple[str, ...] = ("train", "test")) -> Path:
    """pix2pix's own layout: <root>/<split>/<i>.png holding A and B side by side."""
    for split in splits:
        for i in range(n):
            a, b = scene(i, side, channels, seed=len(split))
            save(root / split / f"{i}.png", np.concatenate([a, b], axis=1))
    return root


def write_aligned(root: Path, n: int = 8, side: int = 16, channels: int = 1,
                  splits: tuple[str, ...] = ("train", "test")) -> Path:
    """The aligned-folders layout: <root>/A/<split>/<name> and <root>/B/<split>/<name>, paired by name."""
    for split in splits:
        for i in range(n):
            a, b = scene(i, side, channels, seed=len(split))
            save(root / "A" / split / f"{i}.png", a)
            save(root / "B" / split / f"{i}.png", b)
    return root


def write_unpaired(root: Path, counts: tuple[int, int] = (8, 6), side: int = 16, channels: int = 1,
                   test_count: int = 5) -> Path:
    """CycleGAN's layout: trainA/trainB of unequal counts from unrelated scenes; testA/testB paired by name."""
    for domain, count, seed in (("A", counts[0], 1), ("B", counts[1], 2)):
        for i in range(count):
            save(root / f"train{domain}" / f"{i}.png", scene(i, side, channels, seed=seed)["AB".index(domain)])
    for i in range(test_count):
        a, b = scene(i, side, channels, seed=3)
        save(root / "testA" / f"{i}.png", a)
        save(root / "testB" / f"{i}.png", b)
    return root


WRITERS = {"paired": write_side_by_side, "unpaired": write_unpaired}
DATA_NAMES = {"paired": "paired_folder", "unpaired": "unpaired_folder"}
