"""Schemas of image-to-image translation: the folder formats of pix2pix / CycleGAN, and the two variants.

The folder layouts are those of the reference implementation (junyanz/pytorch-CycleGAN-and-pix2pix),
so a downloaded ``facades`` or ``horse2zebra`` trains with only ``data.path`` set.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterator, Literal, Optional

from lightning_gan.config import AdversarialConfig, Config, DataConfig, DataFacts, Issue, VariantConfig
from lightning_gan.registry import DATA_SCHEMAS, VARIANT_SCHEMAS

# the papers resize 256x256 images to 286 before a random 256 crop: the same share at every size
JITTER_RATIO = 286 / 256


# ---------------------------------------------------------------- data
@dataclass
class TranslationDataConfig(DataConfig):
    """Shared by the paired and unpaired folders: jitter, direction, size."""

    path: str = "???"  # the data set's root directory (e.g. datasets/facades)
    direction: Literal["AtoB", "BtoA"] = "AtoB"  # which side is the input (the reference's --direction)
    image_size: int = 256  # side of the random crop the networks see (the papers: 256)
    # side images are resized to before the random crop; null = image_size * 286/256 (the papers' jitter)
    load_size: Optional[int] = None
    flip: bool = True  # random horizontal flip, the same for both images of a pair
    channels: int = 3  # 1 = grayscale, 3 = RGB (every image is converted)
    eval_split: Literal["test", "val"] = "test"  # split that evaluation and the sample grids read
    batch_size: int = 1  # the papers train with one image per step (pix2pix: 1 to 10)

    @property
    def resized_side(self) -> int:
        return self.load_size if self.load_size is not None else round(self.image_size * JITTER_RATIO)

    def checks(self) -> Iterator[Issue]:
        if self.image_size < 8:
            yield Issue("data.image_size", f"must be >= 8, got {self.image_size}", "e.g. data.image_size=32")
        if self.load_size is not None and self.load_size < self.image_size:
            yield Issue("data.load_size", f"{self.load_size} is smaller than the crop data.image_size={self.image_size}",
                        "use data.load_size >= data.image_size (equal turns the crop jitter off), or null")
        if self.channels not in (1, 3):
            yield Issue("data.channels", f"must be 1 or 3, got {self.channels}", "use data.channels=3 for colour")


@DATA_SCHEMAS.register("paired_folder")
@dataclass
class PairedFolderConfig(TranslationDataConfig):
    """pix2pix's aligned data: A|B images side by side in train/ val/ test/, or A/<split> and B/<split> folders."""

    name: str = "paired_folder"
    # side_by_side: <path>/<split>/*.jpg, each image A|B (the reference's "aligned" mode, e.g. facades);
    # folders: <path>/A/<split>/x.jpg and <path>/B/<split>/x.jpg, paired by file name; auto: whichever is there
    layout: Literal["auto", "side_by_side", "folders"] = "auto"

    def facts(self) -> DataFacts:
        return DataFacts(points=False, modes=False, labelled=False, pairs="paired")


@DATA_SCHEMAS.register("unpaired_folder")
@dataclass
class UnpairedFolderConfig(TranslationDataConfig):
    """CycleGAN's two domains: <path>/trainA, trainB, testA, testB (counts may differ)."""

    name: str = "unpaired_folder"
    # testA/x and testB/x with the same file name are the same scene in both domains, so the error
    # against the true mapping is reported (the offline digits <-> inverted digits set has this)
    test_pairs: bool = False

    def facts(self) -> DataFacts:
        return DataFacts(points=False, modes=False, labelled=False, pairs="unpaired")


# ---------------------------------------------------------------- networks
def patch_receptive_field(layers: int) -> int:
    """Pixels one PatchGAN output sees: ``layers`` stride-2 4x4 convolutions, then two stride-1 ones.

    Backwards from one output: 4, then 4 + 3 = 7, then 2r + 2 per strided layer: 1 -> 16, 2 -> 34, 3 -> 70.
    """
    field = 7
    for _ in range(layers):
        field = 2 * field + 2
    return field


def patch_map_side(side: int, layers: int) -> int:
    """Side of the PatchGAN's score map on a ``side`` image (each strided layer halves, each stride-1 one takes 1)."""
    return side // 2 ** layers - 2


def _side(cfg: Config) -> tuple[str, Optional[int]]:
    shape = getattr(cfg.data, "shape", None)
    if shape is not None:
        return "data.shape", shape[-1] if len(shape) == 3 else None
    return "data.image_size", getattr(cfg.data, "image_size", None)


@dataclass
class TranslationConfig(VariantConfig):
    """Image-to-image variants: G(x) -> y; D judges images of the target domain (and, in pix2pix, pairs)."""

    d_width: int = 64  # channels of the PatchGAN's first layer, doubled per strided layer up to 8x (the papers: 64)
    # stride-2 layers of the PatchGAN: 3 sees 70x70 patches (the papers' default at 256x256), 2 sees 34x34,
    # 1 sees 16x16; configs at 32x32 use 1 (see configs/pix2pix_fashion_edges.yaml for why)
    d_layers: int = 3
    d_norm: Literal["batch", "instance", "none"] = "batch"  # PatchGAN normalization (pix2pix: batch, CycleGAN: instance)

    def d_uses_batchnorm(self) -> bool:
        return self.d_norm == "batch"

    def checks(self, cfg: Config) -> Iterator[Issue]:
        key, side = _side(cfg)
        if side is None:
            yield Issue("variant.name", f"{self.name} translates images, and {cfg.data.name} holds points", "use image data")
            return
        if self.d_width < 1:
            yield Issue("variant.d_width", f"must be >= 1, got {self.d_width}", "e.g. variant.d_width=64")
        if self.d_layers < 1 or patch_map_side(side, self.d_layers) < 1:
            most = max((n for n in range(1, 10) if patch_map_side(side, n) >= 1), default=0)
            yield Issue("variant.d_layers", f"{self.d_layers} strided PatchGAN layers leave no score map on {side}x{side} "
                        f"images", f"use 1..{most} at this size (1 sees 16x16 patches, 2 34x34, 3 70x70)")


@VARIANT_SCHEMAS.register("pix2pix", root=AdversarialConfig)
@dataclass
class Pix2PixConfig(TranslationConfig):
    """pix2pix (Isola et al. 2017): U-Net G with dropout as its noise, PatchGAN D on (input, output) pairs, + λ·L1."""

    name: str = "pix2pix"
    translates: ClassVar[Optional[Literal["paired", "unpaired"]]] = "paired"
    g_width: int = 64  # channels of the U-Net's outermost level, doubled per level up to 8x (the paper: 64)
    g_norm: Literal["batch", "instance"] = "batch"  # the paper's BatchNorm (at batch size 1 it acts as instance norm)
    g_dropout: float = 0.5  # dropout in the three innermost decoder levels: the paper's only source of noise
    # dropout stays on when sampling and evaluating (the paper's noise at test time); false = deterministic
    test_dropout: bool = True
    l1_weight: float = 100.0  # λ of the L1 term (the paper: 100); 0 leaves a plain conditional GAN

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        key, side = _side(cfg)
        if side is not None and (side < 8 or side & (side - 1)):
            yield Issue(key, f"the U-Net halves {side}x{side} down to 1x1, so the side must be a power of two >= 8",
                        "e.g. data.image_size=32 or 256")
        if self.g_width < 1:
            yield Issue("variant.g_width", f"must be >= 1, got {self.g_width}", "e.g. variant.g_width=64")
        if not 0 <= self.g_dropout < 1:
            yield Issue("variant.g_dropout", f"must be in [0, 1), got {self.g_dropout}", "the paper uses 0.5")
        if self.l1_weight < 0:
            yield Issue("variant.l1_weight", f"must be >= 0, got {self.l1_weight}", "the paper uses 100")

    def train_keys(self) -> set[str]:
        return {"g_adversarial", "l1"}


@VARIANT_SCHEMAS.register("cyclegan", root=AdversarialConfig)
@dataclass
class CycleGANConfig(TranslationConfig):
    """CycleGAN (Zhu et al. 2017): two ResNet generators, two PatchGANs, cycle and identity losses, fake pools."""

    name: str = "cyclegan"
    translates: ClassVar[Optional[Literal["paired", "unpaired"]]] = "unpaired"
    g_width: int = 64  # channels of the ResNet generators' first layer (the paper: 64)
    g_blocks: int = 9  # residual blocks at the bottleneck (the paper: 9 at 256x256, 6 at 128x128)
    g_norm: Literal["batch", "instance"] = "instance"  # the paper's instance norm (Ulyanov et al. 2016)
    d_norm: Literal["batch", "instance", "none"] = "instance"  # the paper uses instance norm everywhere
    cycle_weight: float = 10.0  # λ of both cycle-consistency terms, |F(G(a)) - a| and |G(F(b)) - b| (the paper: 10)
    # identity term |G(b) - b| + |F(a) - a|, weighted identity_weight · λ (the paper: 0.5); keeps colours
    identity_weight: float = 0.5
    pool_size: int = 50  # past fakes each D also trains on (Shrivastava et al. 2017; the paper: 50); 0 = none

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        key, side = _side(cfg)
        if side is not None and side % 4:
            yield Issue(key, f"the ResNet generator downsamples twice, so the side must be divisible by 4, got {side}",
                        "e.g. data.image_size=32 or 256")
        for field_name in ("g_width", "g_blocks"):
            if getattr(self, field_name) < 1:
                yield Issue(f"variant.{field_name}", "must be >= 1", f"e.g. variant.{field_name}={getattr(CycleGANConfig, field_name)}")
        for field_name in ("cycle_weight", "identity_weight"):
            if getattr(self, field_name) < 0:
                yield Issue(f"variant.{field_name}", "must be >= 0", "0 turns the term off")
        if self.pool_size < 0:
            yield Issue("variant.pool_size", f"must be >= 0, got {self.pool_size}", "0 turns the pool off; the paper uses 50")

    def train_keys(self) -> set[str]:
        return {"g_adversarial", "cycle", "identity", "d_loss_a", "d_loss_b"}
