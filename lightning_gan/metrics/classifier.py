"""Domain classifier: trained once per labelled data set by ``lightning-gan prepare classifier``, then cached.

The cache key is a digest of the training images as the run preprocesses them, so a classifier is only
ever used on data like the data it was trained on (same set, size, channels and scaling).
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import torch
from torch import nn

from lightning_gan.errors import ClassifierMissing
from lightning_gan.metrics.features import tensor_digest
from lightning_gan.metrics.inception import cache_dir, weights_id
from lightning_gan.metrics.locks import entry_lock
from lightning_gan.nets.classifier import DomainClassifier
from lightning_gan.progress import progress

TRAIN_SAMPLES = 120_000  # sample budget: 2 epochs of Fashion-MNIST, ~67 of the 1797 digits
BATCH = 128


def classifier_path(data_name: str, images: torch.Tensor) -> Path:
    return cache_dir() / "classifiers" / f"{data_name}-{tensor_digest(images)}.pt"


def heldout_indices(n: int) -> torch.Tensor:
    """The training images the classifier never saw: the domain metrics' real reference."""
    return _split(n)[1]


def _split(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed 90/10 split of the training images: accuracy is measured on the held-out tenth."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    cut = n - max(n // 10, 1)
    return order[:cut], order[cut:]


def train_classifier(x: torch.Tensor, y: torch.Tensor, *, log=print, show_progress: bool = False) -> tuple[nn.Module, dict]:
    """Adam, a fixed sample budget, light augmentation-free training; returns the net and its record."""
    torch.manual_seed(0)
    num_classes = int(y.max()) + 1
    net = DomainClassifier(channels=x.shape[1], num_classes=num_classes)
    train_idx, held_idx = _split(len(x))
    steps = math.ceil(TRAIN_SAMPLES / BATCH)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    net.train()
    with progress(steps, "domain classifier", show_progress, unit="step") as bar:
        for step in range(steps):
            batch = train_idx[torch.randint(len(train_idx), (BATCH,), generator=generator)]
            loss = nn.functional.cross_entropy(net(x[batch])["logits"], y[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if (step + 1) % 200 == 0 or step + 1 == steps:
                if bar is not None:
                    bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
                else:
                    log(f"  classifier step {step + 1}/{steps}  loss {loss.item():.3f}")
            if bar is not None:
                bar.update()
    net.eval()
    with torch.no_grad():
        predicted = torch.cat([net(x[held_idx[i: i + 512]])["logits"].argmax(1) for i in range(0, len(held_idx), 512)])
    accuracy = float((predicted == y[held_idx]).float().mean())
    record = {"num_classes": num_classes, "channels": int(x.shape[1]), "image_size": int(x.shape[-1]),
              "held_out_accuracy": accuracy, "n_train": len(train_idx), "n_held_out": len(held_idx),
              "seconds": round(time.perf_counter() - start, 1)}
    return net, record


def prepare_classifier(data_name: str, x: torch.Tensor, y: torch.Tensor, force: bool = False, log=print,
                       show_progress: bool = False) -> tuple[Path, dict]:
    path = classifier_path(data_name, x)
    path.parent.mkdir(parents=True, exist_ok=True)
    with entry_lock(path):  # two agents asking at once train it once
        if path.is_file() and not force:
            return path, json.loads(torch.load(path, map_location="cpu", weights_only=True)["record"])
        net, record = train_classifier(x, y, log=log, show_progress=show_progress)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        torch.save({"state_dict": net.state_dict(), "record": json.dumps(record)}, tmp)
        os.replace(tmp, path)
    return path, record


class DomainFeatures(nn.Module):
    """Images in [-1, 1] -> {"features": 128-d penultimate, "logits"}; loaded from the cache."""

    def __init__(self, data_name: str, x: torch.Tensor):
        super().__init__()
        path = classifier_path(data_name, x)
        if not path.is_file():
            raise ClassifierMissing(
                f"no domain classifier for this {data_name} data (looked for {path}).\n      fix: run "
                "`lightning-gan prepare classifier` with the same config file and data.* overrides as the run")
        stored = torch.load(path, map_location="cpu", weights_only=True)
        self.record = json.loads(stored["record"])
        self.net = DomainClassifier(channels=self.record["channels"], num_classes=self.record["num_classes"])
        self.net.load_state_dict(stored["state_dict"])
        self.net.eval().requires_grad_(False)
        self.name = f"domain-classifier[{weights_id(str(path))}]"  # retraining changes the real-feature key

    def train(self, mode: bool = True) -> "DomainFeatures":
        return super().train(False)  # BatchNorm statistics stay frozen, even inside a training module

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.net(images.float())
