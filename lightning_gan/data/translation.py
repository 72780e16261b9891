"""Image-to-image data in the folder layouts of pix2pix and CycleGAN (junyanz/pytorch-CycleGAN-and-pix2pix).

paired_folder (pix2pix, the reference's "aligned" mode): ``<path>/<split>/*.png`` with A|B side by
side, or ``<path>/A/<split>/x.png`` beside ``<path>/B/<split>/x.png``. unpaired_folder (CycleGAN,
"unaligned"): ``<path>/trainA``, ``trainB``, ``testA``, ``testB``, counts free.

Images are decoded once into memory at the resize side (uint8). Each batch is cropped and flipped
with the papers' jitter, drawn from the sample's id (epoch and index, from the resumable sampler)
and the seed alone: a resumed run crops exactly as the uninterrupted one, on any number of workers,
and both images of a pair get the same crop and flip.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from lightning_gan.batch import Batch, collate
from lightning_gan.data.base import InMemoryDataModule, scale_to_signed_unit
from lightning_gan.data.images import IMAGE_SUFFIXES
from lightning_gan.data.resumable import ResumableLoader
from lightning_gan.errors import DataError
from lightning_gan.registry import DATAMODULES
from lightning_gan.schemas.translation import PairedFolderConfig, TranslationDataConfig, UnpairedFolderConfig

OFFLINE_SETS = "offline sets in this layout: lightning-gan prepare --help"


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _sizes(files: Sequence[Path]) -> list[tuple[int, int]]:
    """(width, height) from each file's header, so a malformed set fails before anything is decoded."""
    from PIL import Image, UnidentifiedImageError

    sizes = []
    for f in files:
        try:
            with Image.open(f) as image:
                sizes.append(image.size)
        except (UnidentifiedImageError, OSError) as err:
            raise DataError(str(f), f"cannot read image: {err}", "remove or replace the file") from None
    return sizes


def _one_size(folder: Path, files: Sequence[Path], sizes: Sequence[tuple[int, int]]) -> tuple[int, int]:
    counts = Counter(sizes)
    if len(counts) > 1:
        (common, n), *_ = counts.most_common()
        name, (w, h) = next((f.name, s) for f, s in zip(files, sizes) if s != common)
        raise DataError(str(folder), f"images of {len(counts)} sizes: {n} are {common[0]}x{common[1]}, but {name} is {w}x{h}",
                        "resize them to one size (each layout of the reference implementation holds one size)")
    return sizes[0]


def _decode(files: Sequence[Path], channels: int, side: int, halves: bool = False) -> tuple[torch.Tensor, ...]:
    """uint8 [N, C, side, side] per image (or per half of side-by-side A|B images), resized."""
    from PIL import Image, UnidentifiedImageError

    mode = "L" if channels == 1 else "RGB"
    left, right = [], []
    for f in files:
        try:
            with Image.open(f) as image:
                pixels = v2.functional.pil_to_tensor(image.convert(mode))  # [C, H, W]
        except (UnidentifiedImageError, OSError) as err:
            raise DataError(str(f), f"cannot decode image: {err}", "remove or replace the file") from None
        if halves:
            half = pixels.shape[-1] // 2
            left.append(pixels[..., :half])
            right.append(pixels[..., half:])
        else:
            left.append(pixels)
    resize = lambda images: v2.functional.resize(torch.stack(images), [side, side], antialias=True)  # noqa: E731
    return (resize(left), resize(right)) if halves else (resize(left),)


def centre_crop(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 [N, C, L, L] -> float [N, C, size, size] in [-1, 1]: the evaluation view of training's random crop."""
    return scale_to_signed_unit(v2.functional.center_crop(images, [size, size]))


def _splitmix(x: np.ndarray) -> np.ndarray:
    """A 64-bit integer hash (splitmix64's finaliser), elementwise and wrapping."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)).astype(np.uint64)
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)).astype(np.uint64)
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)).astype(np.uint64)
    return x ^ (x >> np.uint64(31))


def draw(seed: int, ids: np.ndarray, stream: int) -> np.ndarray:
    """Uniform 64-bit draws that depend only on (seed, sample id, stream)."""
    with np.errstate(over="ignore"):
        base = _splitmix(np.array([seed * 16 + stream], dtype=np.uint64))
        return _splitmix(ids.astype(np.uint64) + base)


class JitteredPairs(Dataset):
    """Batches of (input, target) crops; paired sets crop and flip both alike, unpaired ones each on its own.

    Indices are the sampler's ids ``epoch * len + index``. An unpaired sample takes input ``index %
    len(inputs)`` and a target drawn from the id (the reference's unaligned mode draws B at random).
    """

    def __init__(self, inputs: torch.Tensor, targets: torch.Tensor, *, size: int, flip: bool, seed: int, paired: bool):
        self.inputs, self.targets = inputs, targets  # uint8 [N, C, L, L] at the resize side
        self.size, self.flip, self.seed, self.paired = size, flip, seed, paired

    def __len__(self) -> int:
        return len(self.inputs) if self.paired else max(len(self.inputs), len(self.targets))

    def __getitem__(self, index: int) -> Batch:
        return self.__getitems__([index])

    def _jitter(self, images: torch.Tensor, ids: np.ndarray, stream: int) -> torch.Tensor:
        slack = images.shape[-1] - self.size + 1
        h = draw(self.seed, ids, stream)
        tops, lefts = (h % np.uint64(slack)).astype(np.int64), ((h >> np.uint64(20)) % np.uint64(slack)).astype(np.int64)
        flips = ((h >> np.uint64(40)) & np.uint64(1)).astype(bool) & self.flip
        crops = [img[:, t: t + self.size, l: l + self.size] for img, t, l in zip(images, tops, lefts)]
        crops = [c.flip(-1) if f else c for c, f in zip(crops, flips)]
        return scale_to_signed_unit(torch.stack(crops))  # [N, C, size, size]

    def __getitems__(self, ids: Sequence[int]) -> Batch:
        ids = np.asarray(ids, dtype=np.int64)
        inputs = self.inputs[torch.from_numpy(ids % len(self.inputs))]
        if self.paired:
            targets = self.targets[torch.from_numpy(ids % len(self.targets))]
            streams = (0, 0)  # one crop and flip for both images of a pair
        else:
            picks = (draw(self.seed, ids, 2) % np.uint64(len(self.targets))).astype(np.int64)
            targets, streams = self.targets[torch.from_numpy(picks)], (0, 1)
        labels = torch.zeros(len(ids), dtype=torch.long)
        return Batch(self._jitter(inputs, ids, streams[0]), labels, self._jitter(targets, ids, streams[1]))


class TranslationDataModule(InMemoryDataModule):
    """Inputs and targets of a training split (jittered per batch) and of an evaluation split (centre crops)."""

    Config = TranslationDataConfig
    pairs: str  # "paired" / "unpaired": what evaluation can measure

    def __init__(self, cfg: TranslationDataConfig, seed: int = 0):
        super().__init__(cfg, seed)
        self.target: torch.Tensor | None = None  # uint8 [N, C, L, L] training targets
        self.eval_inputs: torch.Tensor | None = None  # float [N, C, S, S] in [-1, 1]
        self.eval_targets: torch.Tensor | None = None
        self._files: dict[str, tuple] = {}  # split -> split_files(), so check() and load() scan each folder once

    # ---------------------------------------------------------------- what a layout provides
    def split_files(self, split: str) -> tuple[list[Path], list[Path] | None]:
        """Files of one split: (A|B images, None), or (A files, B files); raises DataError when malformed."""
        raise NotImplementedError

    # ---------------------------------------------------------------- shared
    def _root(self) -> Path:
        root = Path(self.cfg.path).expanduser()
        if not root.is_dir():
            raise DataError(str(root), "directory not found", f"set data.path to a data set in the {self.layout_hint} "
                            f"layout; {OFFLINE_SETS}")
        return root

    def _split_dir(self, folder: Path, split: str) -> Path:
        if not folder.is_dir():
            present = sorted(p.name for p in folder.parent.iterdir() if p.is_dir())
            fix = (f"data.eval_split={'val' if split == 'test' else 'test'}, if the set has that split instead"
                   if split == self.cfg.eval_split else f"use a data set in the {self.layout_hint} layout; {OFFLINE_SETS}")
            raise DataError(str(folder), f"split {folder.name!r} missing (present: {', '.join(present) or 'none'})", fix)
        files = image_files(folder)
        if not files:
            raise DataError(str(folder), f"no image files ({', '.join(sorted(IMAGE_SUFFIXES))})", "put the split's images in it")
        return folder

    def _direction(self, a, b):
        return (a, b) if self.cfg.direction == "AtoB" else (b, a)

    def check(self) -> None:
        for split in ("train", self.cfg.eval_split):
            self._checked_files(split)

    def _checked_files(self, split: str) -> tuple:
        if split not in self._files:
            self._files[split] = self.split_files(split)
        return self._files[split]

    def _read_split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        first, second = self._checked_files(split)
        side = self.cfg.resized_side
        if second is None:
            a, b = _decode(first, self.cfg.channels, side, halves=True)
        else:
            (a,), (b,) = _decode(first, self.cfg.channels, side), _decode(second, self.cfg.channels, side)
        return self._direction(a, b)

    def load(self):
        self.x, self.target = self._read_split("train")
        inputs, targets = self._read_split(self.cfg.eval_split)
        self.eval_inputs, self.eval_targets = centre_crop(inputs, self.cfg.image_size), centre_crop(targets, self.cfg.image_size)
        side, crop = self.cfg.resized_side, self.cfg.image_size
        counts = (f"{len(self.x)} pairs" if self.pairs == "paired" else f"{len(self.x)} inputs and {len(self.target)} targets")
        self.source = (f"{self.cfg.path} ({self.layout_name}, {self.cfg.direction}): train {counts}, "
                       f"{self.cfg.eval_split} {len(self.eval_inputs)}/{len(self.eval_targets)}; resized to {side}, "
                       f"random {crop} crops" + (" and flips" if self.cfg.flip else ""))
        return self.x, torch.zeros(len(self.x), dtype=torch.long)  # unlabelled: one class

    def _dataset(self) -> JitteredPairs:
        return JitteredPairs(self.x, self.target, size=self.cfg.image_size, flip=self.cfg.flip, seed=self.seed,
                             paired=self.pairs == "paired")

    @property
    def sample_shape(self) -> tuple[int, ...]:
        self.setup()
        return (self.cfg.channels, self.cfg.image_size, self.cfg.image_size)

    def train_dataloader(self) -> DataLoader:
        self.setup()
        loader = ResumableLoader(self._dataset(), batch_size=self.cfg.batch_size, seed=self.seed,
                                 num_workers=self.cfg.num_workers, collate_fn=collate, tag_epochs=True)
        if self.resume_position is not None:
            loader.load_state_dict(self.resume_position)
        return loader

    def grid_pairs(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first n inputs and targets of the evaluation split: the same images in every sample grid."""
        self.setup()
        return self.eval_inputs[:n], self.eval_targets[:n]


@DATAMODULES.register("paired_folder")
class PairedFolderDataModule(TranslationDataModule):
    Config = PairedFolderConfig
    pairs = "paired"
    layout_hint = "pix2pix (<path>/train/ with A|B side-by-side images, or <path>/A/train/ and <path>/B/train/)"

    @property
    def layout_name(self) -> str:
        return self._layout(self._root())

    def _layout(self, root: Path) -> str:
        if self.cfg.layout != "auto":
            return self.cfg.layout
        if (root / "A").is_dir() and (root / "B").is_dir():
            return "folders"
        if (root / "train").is_dir():
            return "side_by_side"
        present = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise DataError(str(root), f"neither pix2pix layout: no train/ nor A/ and B/ (present: {', '.join(present) or 'none'})",
                        f"point data.path at the folder holding train/ (A|B images) or A/ and B/; {OFFLINE_SETS}")

    def split_files(self, split: str):
        root = self._root()
        if self._layout(root) == "side_by_side":
            folder = self._split_dir(root / split, split)
            files = image_files(folder)
            width, height = _one_size(folder, files, _sizes(files))
            if width % 2:
                raise DataError(str(folder), f"the images are {width}x{height}: an odd width cannot split into A|B halves",
                                "each image must be A and B side by side, of equal width (e.g. 512x256)")
            if width // 2 != height:
                raise DataError(str(folder), f"the images are {width}x{height}: the A|B halves are not square",
                                "each half must be square (e.g. 512x256 for two 256x256 images)")
            return files, None
        a_dir, b_dir = self._split_dir(root / "A" / split, split), self._split_dir(root / "B" / split, split)
        a_files, b_files = image_files(a_dir), image_files(b_dir)
        a_names, b_names = {f.name for f in a_files}, {f.name for f in b_files}
        if a_names != b_names:
            only_a, only_b = sorted(a_names - b_names), sorted(b_names - a_names)
            raise DataError(f"{a_dir} / {b_dir}", f"{len(a_files)} and {len(b_files)} images, not paired by name "
                            f"(only in A: {', '.join(only_a[:3]) or 'none'}; only in B: {', '.join(only_b[:3]) or 'none'})",
                            "give each A image a B image of the same file name")
        for folder, files in ((a_dir, a_files), (b_dir, b_files)):
            _one_size(folder, files, _sizes(files))
        return a_files, b_files


@DATAMODULES.register("unpaired_folder")
class UnpairedFolderDataModule(TranslationDataModule):
    Config = UnpairedFolderConfig
    pairs = "unpaired"
    layout_name = "CycleGAN layout"
    layout_hint = "CycleGAN (<path>/trainA, trainB, testA, testB)"

    def split_files(self, split: str):
        root = self._root()
        folders = [self._split_dir(root / f"{split}{side}", split) for side in "AB"]
        files = [image_files(folder) for folder in folders]
        for folder, fs in zip(folders, files):
            _one_size(folder, fs, _sizes(fs))
        if split == self.cfg.eval_split and self.cfg.test_pairs:
            names = [{f.name for f in fs} for fs in files]
            if names[0] != names[1]:
                raise DataError(f"{folders[0]} / {folders[1]}", "data.test_pairs=true, but the two folders' file names differ",
                                "give each image of one domain its counterpart of the same name, or data.test_pairs=false")
        return files[0], files[1]
