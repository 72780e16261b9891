"""Evaluation of image-to-image models on the data module's evaluation split (``data.eval_split``).

Paired data (group "translation"): L1, PSNR and SSIM of each output against its target, on pixels
in [0, 1], averaged over images (torchmetrics' functional PSNR / SSIM per image).
Unpaired data (group "cycle"), per direction ab (A -> B) and ba: the cycle reconstruction error
|F(G(a)) - a|; with known test pairs (``data.test_pairs``) also the error against the true mapping
|G(a) - b| beside ``input_l1``, the error of returning the input unchanged.
Group "inception": FID / KID / P-R / D-C of the outputs against the target domain's images of the
split (prefix ab_ / ba_ for the two directions of unpaired data).

Keys end in the split (``psnr_test``, ``ab_fid_test``); how many images were used is in the protocol.
Under DDP each rank translates its share; per-image sums are gathered, and torchmetrics gathers the
feature statistics.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from lightning_gan.keys import check_groups
from lightning_gan.metrics.features import Extractor, FeatureMetrics, RealFeatureCache, extract, kid_subset_size
from lightning_gan.metrics.inception import cache_dir
from lightning_gan.progress import progress

SAMPLE_SEED = 12345  # pix2pix's dropout noise: two evaluations of one G see the same masks


def to_unit(x: torch.Tensor) -> torch.Tensor:
    return (x.float() + 1) / 2  # [-1, 1] -> [0, 1]


def ssim_kernel(side: int) -> int:
    """The standard 11x11 Gaussian window, narrowed (odd) for images smaller than it."""
    return min(11, side if side % 2 else side - 1)


def pixel_errors(outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-image L1, PSNR (dB) and SSIM of outputs against targets, both in [-1, 1] ([N] each)."""
    out, tgt = to_unit(outputs), to_unit(targets)
    return {"l1": (out - tgt).abs().flatten(1).mean(1),
            "psnr": peak_signal_noise_ratio(out, tgt, data_range=1.0, reduction="none", dim=(1, 2, 3)),
            "ssim": structural_similarity_index_measure(out, tgt, data_range=1.0, reduction="none",
                                                         kernel_size=ssim_kernel(out.shape[-1]))}


def l1_per_image(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (to_unit(a) - to_unit(b)).abs().flatten(1).mean(1)


@dataclass
class _Direction:
    prefix: str  # "" (paired), "ab_" or "ba_"
    inputs: torch.Tensor  # [N, C, H, W] in [-1, 1]
    targets: torch.Tensor  # the target domain's images: aligned when paired or known, else a reference set
    reverse: bool  # generate(..., reverse=True): B -> A
    features: FeatureMetrics | None = None


class TranslationEvaluator:
    """Same interface as ``evaluation.Evaluator``: ``prepare_real``, ``run(module.generate)``, ``protocol``."""

    def __init__(self, datamodule, groups: list[str], num_samples: int, *, batch_size: int = 250,
                 inception_weights: str = "auto", device: torch.device | str = "cpu", log=print,
                 show_progress: bool = False, extractor: Extractor | None = None, **_: object):
        from lightning_gan.evaluation import facts_of

        cfg = datamodule.cfg
        self.datamodule, self.batch_size, self.log, self.show_progress = datamodule, batch_size, log, show_progress
        self.device, self.rank, self.world_size = torch.device(device), 0, 1
        self.gather: Callable[[torch.Tensor], torch.Tensor] = lambda t: t.unsqueeze(0)
        self.groups = check_groups(groups, facts_of(datamodule))
        self.paired = datamodule.pairs == "paired"
        self.known_pairs = self.paired or bool(getattr(cfg, "test_pairs", False))
        self.tag = f"_{cfg.eval_split}"
        self.report_name = cfg.eval_split  # RUN_DIR/evaluation/g<step>-test.json
        inputs, targets = datamodule.eval_inputs[:num_samples], datamodule.eval_targets[:num_samples]
        self.directions = ([_Direction("", inputs, targets, False)] if self.paired else
                           [_Direction("ab_", inputs, targets, False), _Direction("ba_", targets, inputs, True)])
        self.protocol: dict = {"split": cfg.eval_split, "n_inputs": {d.prefix.rstrip("_") or "inputs": len(d.inputs) for d in self.directions},
                               "crop": f"centre {cfg.image_size} of {cfg.resized_side}", "direction": cfg.direction,
                               "pixels": "L1 / PSNR / SSIM on [0, 1]; mean over images", "sample_seed": SAMPLE_SEED,
                               "ssim_kernel": ssim_kernel(cfg.image_size)}
        if "cycle" in self.groups:
            self.protocol["cycle"] = ("cycle_l1: |F(G(a)) - a| on [0, 1]" + ("; mapping_l1: |G(a) - b| against the "
                                      "known test pairs, input_l1: |a - b|, the error of returning the input" if
                                      self.known_pairs else ""))
        self.extractor = None
        if "inception" in self.groups:
            if extractor is None:
                from lightning_gan.metrics.inception import RESIZE, InceptionFeatures

                extractor = InceptionFeatures(inception_weights)
                self.protocol.update(inception_weights=extractor.weights, resize=RESIZE)
            self.extractor = extractor.to(self.device)
            probe = self.extractor(inputs[:2].to(self.device))["features"]
            for d in self.directions:
                subset = kid_subset_size(len(d.targets), len(d.inputs))
                d.features = FeatureMetrics(num_features=probe.shape[1], prefix=d.prefix, n_tag=self.tag, score_name=None,
                                            class_prior=None, kid_subset_size=subset).to(self.device)
            self.protocol["fid"] = "outputs against the target domain's images of the split"
        self._real_ready = False

    def bind(self, *, rank: int, world_size: int, device: torch.device, gather) -> None:
        self.rank, self.world_size, self.device = rank, world_size, torch.device(device)
        self.gather = gather or (lambda t: t.unsqueeze(0))
        if self.extractor is not None:
            self.extractor.to(self.device)
            for d in self.directions:
                d.features.to(self.device)

    def prepare_real(self) -> dict[str, bool]:
        hits = {}
        if self.extractor is not None:
            cache = RealFeatureCache(cache_dir() / "real_features")
            for d in self.directions:
                label = f"{self.datamodule.cfg.name}-{d.prefix or 'target'}{self.datamodule.cfg.eval_split}-n{len(d.targets)}"

                def compute(images=d.targets):
                    with progress(len(images), f"real {d.prefix or ''}target features", self.show_progress) as bar:
                        return extract(self.extractor, images, self.batch_size, self.device, bar)

                tensors, hits[d.prefix or "target"] = cache.get(label, d.targets, getattr(self.extractor, "name", "features"), compute)
                share = {k: v[self.rank:: self.world_size].to(self.device) for k, v in tensors.items()}
                d.features.update(share, real=True)
        self._real_ready = True
        self.protocol["real_cache_hits"] = hits
        return hits

    def _mean(self, totals: dict[str, torch.Tensor], count: int) -> dict[str, float]:
        """Means over every rank's images: per-metric sums and the count, gathered."""
        names = sorted(totals)
        local = torch.stack([totals[n] for n in names] + [torch.tensor(float(count))]).to(self.device)
        summed = self.gather(local).reshape(-1, len(names) + 1).sum(0).cpu()
        return {n: float(summed[i] / summed[-1]) for i, n in enumerate(names)}

    @torch.no_grad()
    def run(self, generate, score=None) -> dict[str, float]:
        """``generate``: a translation module's ``generate(n, generator, inputs=..., reverse=...)``; ``score`` (a
        likelihood model's) is not used: translation models have no likelihood group."""
        if self.extractor is not None and not self._real_ready:
            self.prepare_real()
        results: dict[str, float] = {}
        generator = torch.Generator().manual_seed(SAMPLE_SEED + self.rank)
        for d in self.directions:
            if d.features is not None:
                d.features.reset_fake()
            inputs, targets = d.inputs[self.rank:: self.world_size], d.targets[self.rank:: self.world_size]
            totals: dict[str, torch.Tensor] = {}
            features = []
            with progress(len(inputs), f"translating {d.prefix.rstrip('_') or 'inputs'}", self.show_progress) as bar:
                for start in range(0, len(inputs), self.batch_size):
                    x = inputs[start: start + self.batch_size]
                    out = generate(len(x), generator, inputs=x, reverse=d.reverse).samples.float().cpu()
                    values = self._batch_values(generate, generator, d, x, out, targets[start: start + len(x)])
                    for name, v in values.items():
                        totals[name] = totals.get(name, torch.zeros(())) + v.sum()
                    if d.features is not None:
                        features.append(self.extractor(out.to(self.device)))
                    if bar is not None:
                        bar.update(len(x))
            results.update({f"{d.prefix}{k}{self.tag}": v for k, v in self._mean(totals, len(inputs)).items()})
            if d.features is not None:
                d.features.update({k: torch.cat([f[k] for f in features]) for k in features[0]}, real=False)
                results.update(d.features.compute())
        return results

    def _batch_values(self, generate, generator, d: _Direction, x, out, targets) -> dict[str, torch.Tensor]:
        values: dict[str, torch.Tensor] = {}
        if "translation" in self.groups:
            values.update(pixel_errors(out, targets))
        if "cycle" in self.groups:
            back = generate(len(x), generator, inputs=out, reverse=not d.reverse).samples.float().cpu()
            values["cycle_l1"] = l1_per_image(back, x)
            if self.known_pairs:
                values["mapping_l1"] = l1_per_image(out, targets)
                values["input_l1"] = l1_per_image(x, targets)
        return values
