"""Schemas of the data modules: 2D mixtures, random tensors, digits, (Fashion-)MNIST and image folders."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Literal, Optional

from lightning_gan.config import DataConfig, DataFacts, Issue
from lightning_gan.registry import DATA_SCHEMAS


def _size_check(size: int) -> Iterator[Issue]:
    if size < 4:
        yield Issue("data.image_size", f"must be >= 4, got {size}", "e.g. data.image_size=28")


@DATA_SCHEMAS.register("mixture")
@dataclass
class MixtureConfig(DataConfig):
    """2D Gaussian mixtures: the ring of 8 and the 5x5 grid of 25 (mode-collapse benchmarks)."""

    name: str = "mixture"
    layout: Literal["ring", "grid"] = "ring"  # modes on a circle, or on a square grid
    n_modes: int = 8  # number of Gaussians (a perfect square for the grid)
    radius: float = 2.0  # ring radius, or half the grid's side
    sigma: float = 0.05  # std of each Gaussian; small against the spacing, so modes are distinct
    n_samples: int = 51_200  # points drawn once per run (a fixed training set, like an image data set)

    def checks(self) -> Iterator[Issue]:
        if self.n_modes < 1:
            yield Issue("data.n_modes", f"must be >= 1, got {self.n_modes}", "e.g. data.n_modes=8")
        elif self.layout == "grid" and math.isqrt(self.n_modes) ** 2 != self.n_modes:
            yield Issue("data.n_modes", f"the grid layout needs a perfect square, got {self.n_modes}",
                        "e.g. data.n_modes=25 (5x5), or data.layout=ring")
        if self.radius <= 0 or self.sigma <= 0:
            yield Issue("data.radius" if self.radius <= 0 else "data.sigma", "must be > 0",
                        "e.g. data.radius=2 data.sigma=0.05")

    def facts(self) -> DataFacts:
        return DataFacts(points=True, modes=True, labelled=self.n_modes > 1)


@DATA_SCHEMAS.register("synthetic")
@dataclass
class SyntheticConfig(DataConfig):
    """Random tensors of any shape: data for tests and throughput benchmarks, no files involved."""

    name: str = "synthetic"
    shape: list[int] = field(default_factory=lambda: [1, 16, 16])  # one sample: [2] or [C, H, W]
    n_samples: int = 1024  # size of the fixed random set
    num_classes: int = 10  # labels drawn uniformly from this many classes

    def checks(self) -> Iterator[Issue]:
        points = list(self.shape) == [2]
        image = len(self.shape) == 3 and self.shape[0] in (1, 3) and min(self.shape) >= 1
        if not (points or image):
            yield Issue("data.shape", f"must be [2] (points) or [C, H, W] with C 1 or 3, got {self.shape}",
                        "e.g. data.shape=[1,16,16]")
        if self.num_classes < 1:
            yield Issue("data.num_classes", f"must be >= 1, got {self.num_classes}", "e.g. data.num_classes=10")

    def facts(self) -> DataFacts:
        return DataFacts(points=list(self.shape) == [2], modes=False, labelled=self.num_classes > 1)


@DATA_SCHEMAS.register("digits")
@dataclass
class DigitsConfig(DataConfig):
    """The 1797 8x8 handwritten digits bundled with scikit-learn (no download)."""

    name: str = "digits"
    image_size: int = 8  # the set's native 8x8; larger sizes are upsampled
    batch_size: int = 64  # 1797 images: small batches keep several D steps per epoch

    def checks(self) -> Iterator[Issue]:
        yield from _size_check(self.image_size)


@DATA_SCHEMAS.register("fashion_mnist")
@dataclass
class IdxConfig(DataConfig):
    """Fashion-MNIST (and, as MNISTConfig, MNIST) from local IDX files or torchvision's download."""

    name: str = "fashion_mnist"
    root: str = "data"  # torchvision root: files are looked for (and downloaded) under ROOT/<Set>/raw
    path: Optional[str] = None  # a directory holding the four IDX files (.gz or not); overrides the search
    download: bool = False  # let torchvision download the set into root (needs internet)
    split: Literal["train", "test"] = "train"  # train = the 60k images, test = the 10k
    image_size: int = 28  # native 28x28; e.g. 32 for DCGAN-style nets

    def checks(self) -> Iterator[Issue]:
        yield from _size_check(self.image_size)
        for key in ("root", "path"):  # a file here would be skipped silently by the search below
            value = getattr(self, key)
            if value is not None and Path(value).exists() and not Path(value).is_dir():
                yield Issue(f"data.{key}", f"{value} is a file, not a directory",
                            f"point data.{key} at the directory that holds the IDX files")


@DATA_SCHEMAS.register("mnist")
@dataclass
class MNISTConfig(IdxConfig):
    name: str = "mnist"


@DATA_SCHEMAS.register("image_folder")
@dataclass
class ImageFolderConfig(DataConfig):
    """Every image below a directory; sub-directories, if any, are the classes."""

    name: str = "image_folder"
    path: str = "???"  # directory of images; sub-directories, if any, are the classes
    image_size: int = 32  # images are resized (shorter side) and centre-cropped to this
    channels: int = 3  # 1 = grayscale, 3 = RGB

    def checks(self) -> Iterator[Issue]:
        yield from _size_check(self.image_size)
        if self.channels not in (1, 3):
            yield Issue("data.channels", f"must be 1 or 3, got {self.channels}", "use data.channels=3 for colour")

    def facts(self) -> DataFacts:
        return DataFacts(points=False, modes=False, labelled=None)  # classes are the sub-directories, if any
