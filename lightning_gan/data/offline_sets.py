"""Image-to-image sets derived offline, written in the reference layouts so the users' loader is the one tested.

- ``pix2pix-edges``: Fashion-MNIST at 32x32, each image beside its Sobel edge map (A = edges, B =
  image), as side-by-side A|B PNGs in train/ and test/ (edges2shoes' layout and direction).
- ``cyclegan-sneaker-boot``: Fashion-MNIST sneakers (trainA, testA) and ankle boots (trainB, testB).
- ``cyclegan-digits-inverted``: scikit-learn's digits at 16x16; domain B is domain A inverted. trainA
  and trainB come from disjoint halves of the images (no pair is ever seen); testA/x and testB/x are
  one digit in both domains, so the error against the true mapping is known (``data.test_pairs``).

Each set is written to a temporary directory and renamed into place, so an interrupted prepare
leaves nothing a loader could mistake for a set.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from lightning_gan.errors import DataError

FASHION_SNEAKER, FASHION_ANKLE_BOOT = 7, 9
EDGE_THRESHOLD = 0.25  # share of an image's strongest gradient above which a pixel is an edge


def _fashion(split: str, size: int, source: str | None) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 [N, 1, size, size] images and labels of a Fashion-MNIST split (local IDX files)."""
    from lightning_gan.data.images import FashionMNISTDataModule, read_idx, resize
    from lightning_gan.schemas.data import IdxConfig

    module = FashionMNISTDataModule(IdxConfig(split=split, path=source))
    module.check()  # not found: the DataError names the Debian package, data.path and the download
    images_path, labels_path = module._find("images"), module._find("labels")
    images = torch.from_numpy(read_idx(images_path).copy()).unsqueeze(1)  # [N, 1, 28, 28]
    return resize(images, size), torch.from_numpy(read_idx(labels_path).astype(np.int64))


def sobel_edges(images: torch.Tensor) -> torch.Tensor:
    """uint8 [N, 1, H, W] -> uint8 edge maps, black strokes on white (edges2shoes' look).

    A pixel is an edge where the Sobel gradient magnitude exceeds EDGE_THRESHOLD of its image's maximum.
    """
    x = images.float() / 255
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]).view(1, 1, 3, 3)
    gx, gy = F.conv2d(x, kx, padding=1), F.conv2d(x, kx.transpose(-1, -2), padding=1)
    magnitude = (gx.pow(2) + gy.pow(2)).sqrt()  # [N, 1, H, W]
    strongest = magnitude.amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-8)
    return torch.where(magnitude > EDGE_THRESHOLD * strongest, 0, 255).to(torch.uint8)


def _save(folder: Path, images: torch.Tensor, names: list[str] | None = None) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        pixels = image.squeeze(0).numpy() if image.shape[0] == 1 else image.permute(1, 2, 0).numpy()
        Image.fromarray(pixels).save(folder / (names[i] if names else f"{i:05d}.png"))


def write_pix2pix_edges(out: Path, source: str | None, *, n_train: int = 10_000, n_test: int = 1_000) -> dict:
    record = {"layout": "paired_folder side_by_side, A = Sobel edges, B = image", "size": 32}
    for split, count in (("train", n_train), ("test", n_test)):
        images, _ = _fashion(split, 32, source)
        images = images[:count]
        _save(out / split, torch.cat([sobel_edges(images), images], dim=-1))  # [N, 1, 32, 64]: A | B
        record[split] = len(images)
    return record


def write_sneaker_boot(out: Path, source: str | None) -> dict:
    record = {"layout": "unpaired_folder, A = sneaker (class 7), B = ankle boot (class 9)", "size": 32}
    for split in ("train", "test"):
        images, labels = _fashion(split, 32, source)
        for side, label in (("A", FASHION_SNEAKER), ("B", FASHION_ANKLE_BOOT)):
            chosen = images[labels == label]
            _save(out / f"{split}{side}", chosen)
            record[f"{split}{side}"] = len(chosen)
    return record


def write_digits_inverted(out: Path, source: str | None = None, *, n_test: int = 297) -> dict:
    from sklearn.datasets import load_digits

    from lightning_gan.data.images import resize

    pixels = np.round(load_digits().images * (255 / 16)).astype(np.uint8)
    images = resize(torch.from_numpy(pixels).unsqueeze(1), 16)  # [1797, 1, 16, 16]
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    test, rest = order[:n_test], order[n_test:]
    half = len(rest) // 2 + 50  # unequal on purpose, as in the reference's sets (horse2zebra: 1067 / 1334)
    _save(out / "trainA", images[rest[:half]])
    _save(out / "trainB", 255 - images[rest[half:]])  # other digits: no training pair exists
    names = [f"{int(i):04d}.png" for i in test]
    _save(out / "testA", images[test], names)
    _save(out / "testB", 255 - images[test], names)  # the same digits inverted: the known mapping
    return {"layout": "unpaired_folder, B = 255 - A; testA/x and testB/x are one digit", "size": 16,
            "trainA": half, "trainB": len(rest) - half, "test": n_test}


SETS: dict[str, tuple[str, Callable[..., dict]]] = {
    "pix2pix-edges": ("datasets/fashion_edges", write_pix2pix_edges),
    "cyclegan-sneaker-boot": ("datasets/sneaker2boot", write_sneaker_boot),
    "cyclegan-digits-inverted": ("datasets/digits2inverted", write_digits_inverted),
}


def prepare_set(name: str, out: str | None = None, *, source: str | None = None, force: bool = False) -> tuple[Path, dict]:
    """Writes the named set to ``out`` (default its directory under datasets/); an existing set is kept."""
    default, write = SETS[name]
    target = Path(out or default)
    if target.exists() and not force:
        manifest = target / "lightning_gan_set.json"
        if manifest.is_file() and json.loads(manifest.read_text()).get("name") == name:
            return target, {**json.loads(manifest.read_text()), "reused": True}
        raise DataError(str(target), "exists and is not this prepared set", "pass --out to another directory, "
                        "or --force to replace it")
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        record = {"name": name, **write(tmp, source)}
        (tmp / "lightning_gan_set.json").write_text(json.dumps(record, indent=2) + "\n")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target, record
