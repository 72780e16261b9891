"""Image data sets: scikit-learn digits, (Fashion-)MNIST from local IDX files or a download, image folders.

All of them produce uint8 images and go through ``scale_to_signed_unit`` once.
"""
from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import torch
from torchvision.transforms import v2

from lightning_gan.data.base import InMemoryDataModule, scale_to_signed_unit
from lightning_gan.errors import DataError
from lightning_gan.registry import DATAMODULES
from lightning_gan.schemas.data import DigitsConfig, IdxConfig, ImageFolderConfig, MNISTConfig

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return v2.functional.resize(images, [size, size], antialias=True)  # [N, C, size, size]


# ---------------------------------------------------------------- scikit-learn digits
@DATAMODULES.register("digits")
class DigitsDataModule(InMemoryDataModule):
    """The 1797 8x8 handwritten digits bundled with scikit-learn (no download)."""

    Config = DigitsConfig

    def load(self):
        from sklearn.datasets import load_digits

        digits = load_digits()
        pixels = np.round(digits.images * (255 / 16)).astype(np.uint8)  # values 0..16 -> 0..255
        images = torch.from_numpy(pixels).unsqueeze(1)  # [N, 1, 8, 8]
        self.source = f"scikit-learn's bundled digits (load_digits: {len(images)} images, 8x8, resized to {self.cfg.image_size})"
        return scale_to_signed_unit(resize(images, self.cfg.image_size)), torch.from_numpy(digits.target).long()


# ---------------------------------------------------------------- MNIST / Fashion-MNIST
def read_idx(path: Path) -> np.ndarray:
    """Reads an IDX file (raw or .gz) of unsigned bytes, the format of MNIST and Fashion-MNIST."""
    fix = "re-download or reinstall the data set (the file is truncated or not an IDX file)"
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as err:
        raise DataError(str(path), f"cannot read: {err}", fix) from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(str(path), "not an IDX file of unsigned bytes (bad magic number)", fix)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if len(raw) != offset + math.prod(dims):
        raise DataError(str(path), f"header says {dims} but the file holds {len(raw) - offset} bytes", fix)
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


class IdxDataModule(InMemoryDataModule):
    torchvision_name: str  # torchvision class and folder name
    system_dirs: tuple[str, ...] = ()  # where OS packages install the set
    install_hint: str = ""

    def _candidates(self) -> list[Path]:
        if self.cfg.path is not None:
            return [Path(self.cfg.path)]
        return [Path(self.cfg.root) / self.torchvision_name / "raw", *map(Path, self.system_dirs)]

    def _find(self, kind: str) -> Path | None:
        prefix = "train" if self.cfg.split == "train" else "t10k"
        name = f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"
        for folder in self._candidates():
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.is_file():
                    return candidate
        return None

    def check(self) -> None:
        if self._find("images") and self._find("labels") or self.cfg.download and self.cfg.path is None:
            return
        searched = ", ".join(str(p) for p in self._candidates())
        fixes = [f"data.path=DIR with {self.cfg.split} IDX files"]
        if self.install_hint:
            fixes.insert(0, self.install_hint)
        fixes.append("data.download=true (needs internet)")
        raise DataError(searched, f"{self.torchvision_name} ({self.cfg.split}) not found", "; or ".join(fixes))

    def prepare_data(self) -> None:
        if self._find("images") or not self.cfg.download:
            return
        import torchvision

        try:  # torchvision's own download path, for users with internet
            getattr(torchvision.datasets, self.torchvision_name)(self.cfg.root, train=self.cfg.split == "train",
                                                                download=True)
        except Exception as err:
            raise DataError(self.cfg.root, f"download of {self.torchvision_name} failed: {err}",
                            "check the internet connection, or point data.path at local IDX files") from None

    def load(self):  # after prepare_data (Lightning's order), so a requested download has happened
        images_path, labels_path = self._find("images"), self._find("labels")
        if images_path is None or labels_path is None:
            raise DataError(self.cfg.root, f"{self.torchvision_name} files missing after prepare_data",
                            "run prepare_data() first, or check data.root")
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{images_path} / {labels_path}", f"shapes {images.shape} and {labels.shape} do "
                            "not form an image set", "use matching images/labels files of one split")
        x = resize(torch.from_numpy(images.copy()).unsqueeze(1), self.cfg.image_size)  # [N, 1, H, W]
        self.source = f"{images_path} and {labels_path} ({len(x)} images, {self.cfg.split} split)"
        return scale_to_signed_unit(x), torch.from_numpy(labels.astype(np.int64))

    def heldout_labelled(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The test split when training on train (None otherwise, or when its files are absent); read once."""
        if self.cfg.split != "train":
            return None
        if getattr(self, "_heldout", None) is None:
            other = type(self)(type(self.cfg)(**{**vars(self.cfg), "split": "test", "download": False}), self.seed)
            if other._find("images") is None or other._find("labels") is None:
                return None
            self._heldout = other.load()
        return self._heldout


@DATAMODULES.register("fashion_mnist")
class FashionMNISTDataModule(IdxDataModule):
    Config = IdxConfig
    torchvision_name = "FashionMNIST"
    system_dirs = ("/usr/share/datasets/fashion-mnist",)  # Debian's dataset-fashion-mnist
    install_hint = "apt-get install dataset-fashion-mnist"


@DATAMODULES.register("mnist")
class MNISTDataModule(IdxDataModule):
    Config = MNISTConfig
    torchvision_name = "MNIST"


# ---------------------------------------------------------------- a folder of images
@DATAMODULES.register("image_folder")
class ImageFolderDataModule(InMemoryDataModule):
    """Every image below ``data.path``, decoded once into memory at ``image_size``."""

    Config = ImageFolderConfig

    def _files(self) -> list[Path]:
        root = Path(self.cfg.path)
        return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())

    def check(self) -> None:
        root = Path(self.cfg.path)
        if not root.is_dir():
            raise DataError(str(root), "directory not found", "set data.path to a directory of images")
        if not self._files():
            raise DataError(str(root), f"no image files ({', '.join(sorted(IMAGE_SUFFIXES))})",
                            "put images in the directory (or in one sub-directory per class)")

    def load(self):
        from PIL import Image, UnidentifiedImageError

        files = self._files()
        classes = sorted({f.parent for f in files})
        to_tensor = v2.Compose([v2.PILToTensor(), v2.Resize(self.cfg.image_size, antialias=True),
                                v2.CenterCrop(self.cfg.image_size)])
        images = []
        mode = "L" if self.cfg.channels == 1 else "RGB"
        converted: dict[str, int] = {}
        for f in files:
            try:
                with Image.open(f) as image:
                    if image.mode != mode:
                        converted[image.mode] = converted.get(image.mode, 0) + 1
                    images.append(to_tensor(image.convert(mode)))
            except (UnidentifiedImageError, OSError) as err:
                raise DataError(str(f), f"cannot decode image: {err}", "remove or replace the file") from None
        labels = torch.tensor([classes.index(f.parent) for f in files])
        conversions = ", ".join(f"{n} {m}" for m, n in sorted(converted.items()))
        self.source = (f"{len(files)} image files under {self.cfg.path} ({len(classes)} classes)"
                       + (f"; converted to {mode} (data.channels={self.cfg.channels}): {conversions}" if converted else ""))
        return scale_to_signed_unit(torch.stack(images)), labels  # [N, C, S, S]
