"""Feature-space metrics on one extractor: FID, KID, IS-style score, precision/recall, density/coverage.

Features are computed once per image and fed to every metric: the expensive network (Inception at
~7 images/s on 2 CPU cores) runs once, not once per metric. torchmetrics' FID / KID / IS receive the
ready features through ``GivenFeatures``, an identity "extractor".

Real features are cached on disk (``RealFeatureCache``), keyed by a hash of the real images themselves
(which covers data set, split and preprocessing) and the extractor's name (network, weights, resize).
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from lightning_gan.metrics.histogram import ClassHistogram
from lightning_gan.metrics.locks import entry_lock
from lightning_gan.metrics.manifold import DensityCoverage, PrecisionRecall

Extractor = Callable[[torch.Tensor], dict]  # images in [-1, 1] -> {"features": [N, D], "logits"?: [N, K]}


class GivenFeatures(nn.Module):
    """Identity: torchmetrics' metrics call their "inception" on what ``update`` gets, here features."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features  # read by FrechetInceptionDistance instead of a probe image

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


class FeatureMetrics(nn.Module):
    """Every metric computed on one extractor's features; keys are ``{prefix}{metric}{count}``.

    ``score_name`` is "is" only for the standard Inception logits; a domain classifier's score is
    "classifier_score", so nothing else is ever reported as an Inception Score.
    """

    def __init__(self, *, num_features: int, prefix: str, n_tag: str, score_name: str | None,
                 class_prior: torch.Tensor | None, kid_subset_size: int = 1000):
        super().__init__()
        self.prefix, self.n_tag, self.score_name = prefix, n_tag, score_name
        self.fid = FrechetInceptionDistance(feature=GivenFeatures(num_features), reset_real_features=False)
        with warnings.catch_warnings():  # "saves all features in buffer": by design, at most a few 10k rows
            warnings.simplefilter("ignore", UserWarning)
            self.kid = KernelInceptionDistance(feature=GivenFeatures(num_features), subset_size=kid_subset_size,
                                               reset_real_features=False)
            self.score = InceptionScore(feature=GivenFeatures(0)) if score_name else None
        self.pr = PrecisionRecall()
        self.dc = DensityCoverage()
        self.histogram = ClassHistogram(class_prior) if class_prior is not None else None

    def update(self, out: dict, real: bool) -> None:
        features = out["features"].float()
        self.fid.update(features, real=real)
        self.kid.update(features, real=real)
        self.pr.update(features, real=real)
        self.dc.update(features, real=real)
        if not real and self.score is not None:
            self.score.update(out["logits"].float())
        if not real and self.histogram is not None:
            self.histogram.update(out["logits"])

    def compute(self) -> dict[str, float]:
        """Every rank must call this under DDP (torchmetrics gathers the states collectively)."""
        values: dict[str, float] = {"fid": self.fid.compute()}
        with torch.random.fork_rng(devices=[]):  # KID / IS draw random subsets: fixed, and no effect on training
            torch.default_generator.manual_seed(0)  # CPU only: torch.manual_seed would reset every GPU's stream
            kid_mean, kid_std = self.kid.compute()
            values.update(kid=kid_mean, kid_std=kid_std)
            if self.score is not None:
                score_mean, score_std = self.score.compute()
                values.update({self.score_name: score_mean, f"{self.score_name}_std": score_std})
        values.update(self.pr.compute())
        values.update(self.dc.compute())
        if self.histogram is not None:
            values.update(self.histogram.compute())
        return {f"{self.prefix}{k}{self.n_tag}": float(v) for k, v in values.items()}

    def reset_fake(self) -> None:
        """Forget generated samples but keep the real reference (in-training evaluations reuse it)."""
        for metric in (self.fid, self.kid):
            metric.reset()  # reset_real_features=False keeps the real half
        for metric in (self.pr, self.dc):
            metric.reset_fake()
        for metric in (self.score, self.histogram):
            if metric is not None:
                metric.reset()


def tensor_digest(x: torch.Tensor) -> str:
    """Hash of a tensor's values: the cache key of "these exact real images, so preprocessed"."""
    digest = hashlib.sha1(str((tuple(x.shape), str(x.dtype))).encode())
    digest.update(x.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


@torch.no_grad()
def extract(extractor: Extractor, images: torch.Tensor, batch_size: int, device: torch.device, bar=None) -> dict:
    """Features of ``images`` in batches; ``bar`` (a tqdm bar or None) advances by each batch's size."""
    outs = []
    for i in range(0, len(images), batch_size):
        outs.append({k: v.cpu() for k, v in extractor(images[i: i + batch_size].to(device)).items()})
        if bar is not None:
            bar.update(len(outs[-1]["features"]))
    return {k: torch.cat([o[k] for o in outs]) for k in outs[0]}


def kid_subset_size(n_real: int, n_fake: int) -> int:
    """KID's subset size: 1000 (Bińkowski et al. 2018), at most half the smaller set.

    KID is the mean over 100 random subsets, and kid_std their spread; a subset as large as the set is
    the set itself every time, and its "std" (~1e-7) would measure nothing.
    """
    return max(2, min(1000, min(n_real, n_fake) // 2))


class RealFeatureCache:
    """Real-image features on disk, shared by every run of a sweep.

    One file per (images digest, extractor). A file lock makes concurrent agents compute a missing
    entry once while the others wait; the write is a temp file + rename, so a reader never sees half a
    file. Files are plain tensors, loaded with ``weights_only=True``.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def path(self, label: str, digest: str, extractor_name: str) -> Path:
        key = hashlib.sha1(f"{digest}|{extractor_name}".encode()).hexdigest()[:16]
        return self.directory / f"{label}-{key}.pt"

    def get(self, label: str, images: torch.Tensor, extractor_name: str, compute: Callable[[], dict]) -> tuple[dict, bool]:
        """Returns (features, hit); ``compute`` runs only when no valid file exists."""
        path = self.path(label, tensor_digest(images), extractor_name)
        self.directory.mkdir(parents=True, exist_ok=True)
        with entry_lock(path):
            if path.is_file():
                try:
                    stored = torch.load(path, map_location="cpu", weights_only=True)
                    return stored["tensors"], True
                except Exception:  # noqa: BLE001 - a damaged entry is recomputed, never trusted
                    path.unlink()
            tensors = compute()
            meta = json.dumps({"label": label, "extractor": extractor_name, "n": len(images)})
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            torch.save({"tensors": tensors, "meta": meta}, tmp)
            os.replace(tmp, path)
            return tensors, False
