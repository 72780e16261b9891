"""One evaluation protocol shared by ``lightning-gan evaluate`` and the in-training metrics callback.

``Evaluator`` is built before anything is generated: it resolves Inception weights and the domain
classifier (raising with the fix if either is missing) and prepares the real references from the
on-disk cache. ``run`` then draws ``num_samples`` from G and returns flat ``{key: value}`` metrics whose
names carry the sample count (``fid10k``), plus ``protocol`` recording how every figure was made.

Under DDP each rank generates its share of samples and holds its share of the real reference;
torchmetrics gathers the states in ``compute`` (called on every rank). Parzen and mode metrics gather
their samples through ``gather`` (``LightningModule.all_gather``: [world_size, ...]).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch

from lightning_gan.config import DataFacts
from lightning_gan.keys import check_groups, count_tag, likelihood_key
from lightning_gan.metrics.features import FeatureMetrics, RealFeatureCache, extract, kid_subset_size
from lightning_gan.metrics.inception import RESIZE, cache_dir
from lightning_gan.metrics.mixture import mode_stats
from lightning_gan.metrics.parzen import parzen_evaluate
from lightning_gan.progress import progress

if TYPE_CHECKING:
    from lightning_gan.base import Generated

Sampler = Callable[[int, torch.Generator], "Generated"]  # module.generate: (n, generator) -> samples (and labels)
PARZEN_SIGMAS = torch.logspace(-2, 1, 25)  # 0.01..10 covers 2D mixtures (σ 0.05) and pixels in [0, 1]
PARZEN_VALID = 1000  # validation examples for choosing σ
SAMPLE_SEED = 12345  # fixed noise for evaluation samples: two evaluations of one G see the same z


def facts_of(datamodule) -> DataFacts:
    """A loaded data module's facts (exact, where the config alone may leave `labelled` open)."""
    return DataFacts(points=len(datamodule.sample_shape) == 1, modes=hasattr(datamodule, "centers"),
                     labelled=datamodule.num_classes > 1, pairs=getattr(datamodule, "pairs", None))


def make_evaluator(datamodule, cfg, *, conditional: bool, device: torch.device | str = "cpu", log=print,
                   show_progress: bool = False):
    """The evaluator of a run's data: image-to-image sets get ``TranslationEvaluator``, the rest ``Evaluator``."""
    e = cfg.eval
    if facts_of(datamodule).pairs is not None:
        from lightning_gan.metrics.translation import TranslationEvaluator

        return TranslationEvaluator(datamodule, e.metrics, e.num_samples, batch_size=e.batch_size,
                                    inception_weights=e.inception_weights, device=device, log=log,
                                    show_progress=show_progress)
    likelihood = (LikelihoodProtocol(e.likelihood_images, e.iwae_k, e.iwae_chunk)
                  if cfg.variant.likelihood_model else None)
    return Evaluator(datamodule, e.metrics, e.num_samples, batch_size=e.batch_size, inception_weights=e.inception_weights,
                     device=device, conditional=conditional, truncation=e.truncation, log=log,
                     show_progress=show_progress, likelihood=likelihood, reference=e.reference)


@dataclass(frozen=True)
class LikelihoodProtocol:
    """How a likelihood model is scored: on ``images`` held-out images, the IWAE bound with ``k`` samples."""

    images: int
    k: int
    chunk: int  # samples decoded at once per image batch


def _signed_to_unit(x: torch.Tensor) -> torch.Tensor:
    return (x.float().flatten(1) + 1) / 2  # images: [-1, 1] -> [0, 1], the 2014 paper's pixel scale


@dataclass
class _FeatureGroup:
    name: str
    extractor: torch.nn.Module
    metrics: FeatureMetrics
    real: torch.Tensor  # this group's real reference images


class Evaluator:
    def __init__(self, datamodule, groups: list[str], num_samples: int, *, batch_size: int = 250,
                 inception_weights: str = "auto", device: torch.device | str = "cpu", rank: int = 0,
                 world_size: int = 1, gather: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 conditional: bool = False, truncation: float | None = None, log=print, show_progress: bool = False,
                 likelihood: LikelihoodProtocol | None = None, reference: str = "train"):
        self.datamodule, self.num_samples, self.batch_size = datamodule, num_samples, batch_size
        self.device, self.rank, self.world_size = torch.device(device), rank, world_size
        self.gather = gather or (lambda t: t.unsqueeze(0))
        self.groups = check_groups(groups, facts_of(datamodule), conditional, likelihood is not None)
        self.likelihood = likelihood
        self.truncation = truncation  # passed to every generate(); part of every key (fid10k_t0.5)
        self.tag = count_tag(num_samples, truncation)
        self.report_name = f"n{self.tag}"  # RUN_DIR/evaluation/g<step>-n10k.json
        self.log = log
        self.show_progress = show_progress  # bars per phase (the evaluate command); off inside training
        train_x, train_y = datamodule.x, datamodule.y
        order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(0))
        self.real = self._reference(reference, train_x, order)
        self.n_real = len(self.real)
        self.protocol: dict = {"n_fake": num_samples, "n_real": self.n_real,
                               "real": f"{reference} split, fixed random subset (seed 0)",
                               "sample_seed": SAMPLE_SEED, "truncation": truncation}
        self.feature_groups: list[_FeatureGroup] = []
        self.domain_net = None  # resolved first: a missing classifier fails in seconds, before Inception loads
        if "domain" in self.groups or "conditional" in self.groups:
            from lightning_gan.metrics.classifier import DomainFeatures

            self.domain_net = DomainFeatures(datamodule.cfg.name, train_x).to(self.device)
            self.protocol.update(domain_classifier=self.domain_net.name,
                                 domain_classifier_accuracy=self.domain_net.record["held_out_accuracy"])
        if "inception" in self.groups:  # weights are resolved now: a missing file fails before generation
            from lightning_gan.metrics.inception import InceptionFeatures

            net = InceptionFeatures(inception_weights)
            self._add_group("inception", net, self.real, prefix="", score_name="is" if net.has_logits else None,
                            prior=None)
            self.protocol.update(inception_weights=net.weights, resize=RESIZE,
                                 inception_score="reported" if net.has_logits else
                                 "not reported: these weights have no logits layer (converted offline file)")
        if "conditional" in self.groups:
            self.protocol["conditional"] = ("cond_acc: share of samples the domain classifier assigns to the class they "
                                            "were generated for; labels drawn from the data's class shares; mean over "
                                            "classes, and per class (cond_acc<count>/class<c>)")
        if "domain" in self.groups:
            from lightning_gan.metrics.classifier import heldout_indices

            net = self.domain_net
            prior = torch.bincount(train_y, minlength=net.record["num_classes"]).double()
            # Images the classifier never saw: on its training images its features are overconfident,
            # and even a perfect generator would score a domain FID above zero.
            domain_real = train_x[heldout_indices(len(train_x))[:num_samples]]
            self._add_group("domain", net, domain_real, prefix="domain_", score_name="classifier_score", prior=prior)
            self.protocol.update(domain_real=f"{len(domain_real)} training images held out from the classifier")
        if "parzen" in self.groups:
            test = datamodule.heldout()
            n_valid = min(PARZEN_VALID, len(order) // 5)
            valid_idx = order[-n_valid:]  # the end of the permutation; the test set below never overlaps it
            self.parzen_valid = train_x[valid_idx]
            self.parzen_test = test[:num_samples] if test is not None else train_x[order[: len(order) - n_valid][:num_samples]]
            self.protocol.update(parzen=f"centres: {num_samples} samples; σ from {len(PARZEN_SIGMAS)} values in "
                                        f"[0.01, 10] on {len(valid_idx)} training examples; test: "
                                        f"{len(self.parzen_test)} {'held-out' if test is not None else 'training'} examples"
                                        + ("; images scaled to [0, 1]" if len(datamodule.sample_shape) > 1 else ""))

        if "likelihood" in self.groups:
            self._prepare_likelihood(order)

    def _reference(self, split: str, train_x: torch.Tensor, train_order: torch.Tensor) -> torch.Tensor:
        if split == "train":
            return train_x[train_order[: self.num_samples]]
        from lightning_gan.config import ConfigError, Issue

        held = self.datamodule.heldout()
        if held is None:
            raise ConfigError([Issue("eval.reference", f"{self.datamodule.cfg.name} has no test split to compare against",
                                     "use eval.reference=train")])
        order = torch.randperm(len(held), generator=torch.Generator().manual_seed(0))
        return held[order[: self.num_samples]]

    def _prepare_likelihood(self, train_order: torch.Tensor) -> None:
        """The held-out images the ELBO and the IWAE bound are computed on (the test split when there is one)."""
        from lightning_gan.config import ConfigError, Issue

        held = self.datamodule.heldout()
        pool, where = (held, "held-out test images") if held is not None else \
            (self.datamodule.x[train_order.flip(0)], "training images (this data set has no test split)")
        n = self.likelihood.images
        if len(pool) < n:
            raise ConfigError([Issue("eval.likelihood_images", f"{n} requested, but the data set has {len(pool)} {where}",
                                     f"use eval.likelihood_images={len(pool)} or fewer")])
        self.likelihood_x = pool[:n]
        self.protocol["likelihood"] = (f"{n} {where}; nats per image, pixels in [0, 1]; elbo: one reparameterized z, "
                                       f"closed-form KL; iwae_ll: importance-weighted bound (Burda et al. 2016) with "
                                       f"K = {self.likelihood.k} samples of q(z|x); image i's noise from seed {SAMPLE_SEED} + i")

    def _likelihood(self, score: Callable) -> dict[str, float]:
        """Each rank scores a contiguous block of the images; the per-image values are gathered and averaged."""
        n, per = len(self.likelihood_x), -(-len(self.likelihood_x) // self.world_size)
        index = torch.arange(self.rank * per, (self.rank + 1) * per).clamp(max=n - 1)  # equal shapes: pad with the last
        batch = max(1, 1000 // self.likelihood.chunk)  # images per decoder call of chunk samples each
        values: dict[str, list[torch.Tensor]] = {}
        with progress(per, "likelihood of held-out images", self.show_progress) as bar:
            for start in range(0, per, batch):
                ids = index[start: start + batch]
                images = self.likelihood_x[ids]
                # image i's noise from its own seed: the same figures for any chunk, batch or process count
                out = score(images, k=self.likelihood.k, chunk=self.likelihood.chunk, seeds=(SAMPLE_SEED + ids).tolist())
                for name, value in out.items():
                    values.setdefault(name, []).append(value.float())
                if bar is not None:
                    bar.update(len(images))
        results = {}
        for name in sorted(values):
            gathered = self.gather(torch.cat(values[name]).to(self.device)).cpu().flatten()[:n]
            results[likelihood_key(name, n, self.likelihood.k)] = float(gathered.mean())
        return results

    def bind(self, *, rank: int, world_size: int, device: torch.device,
             gather: Callable[[torch.Tensor], torch.Tensor] | None) -> None:
        """Called by the metrics callback once the Trainer knows this process's rank and device."""
        self.rank, self.world_size, self.device = rank, world_size, torch.device(device)
        self.gather = gather or (lambda t: t.unsqueeze(0))
        for group in self.feature_groups:
            group.extractor.to(self.device)
            group.metrics.to(self.device)
        if self.domain_net is not None:
            self.domain_net.to(self.device)

    def _add_group(self, name, extractor, real, *, prefix, score_name, prior) -> None:
        extractor = extractor.to(self.device)
        probe = extractor(real[:2].to(self.device))  # feature size, and a clear failure before generation
        subset = kid_subset_size(len(real), self.num_samples)
        metrics = FeatureMetrics(num_features=probe["features"].shape[1], prefix=prefix, n_tag=self.tag,
                                 score_name=score_name, class_prior=prior, kid_subset_size=subset).to(self.device)
        self.protocol[f"{prefix}kid"] = (f"mean and std over 100 random subsets of {subset} real and {subset} "
                                         "generated features (1000, or half the smaller set)")
        self.feature_groups.append(_FeatureGroup(name, extractor, metrics, real))

    def prepare_real(self) -> dict[str, bool]:
        """Feeds each rank's share of the cached real features; returns cache hits per group."""
        hits = {}
        cache = RealFeatureCache(cache_dir() / "real_features")
        for group in self.feature_groups:
            label = f"{self.datamodule.cfg.name}-{group.name}-n{len(group.real)}"
            started = time.perf_counter()

            def compute(g=group):
                with progress(len(g.real), f"real {g.name} features", self.show_progress) as bar:
                    return extract(g.extractor, g.real, self.batch_size, self.device, bar)

            tensors, hits[group.name] = cache.get(label, group.real, group.extractor.name, compute)
            self.log(f"  real {group.name} features: {'cache hit' if hits[group.name] else 'computed'} "
                     f"({time.perf_counter() - started:.1f} s)")
            share = {k: v[self.rank:: self.world_size].to(self.device) for k, v in tensors.items()}
            group.metrics.update(share, real=True)
        self.protocol["real_cache_hits"] = hits
        return hits

    @torch.no_grad()
    def run(self, sample: Sampler, score: Callable | None = None) -> dict[str, float]:
        """Generates this rank's share of samples, feeds every metric, and computes (on every rank).

        score: a likelihood model's ``log_likelihood`` (images -> per-image bounds), for that group.
        """
        if self.feature_groups and not self.protocol.get("real_cache_hits"):
            self.prepare_real()
        for group in self.feature_groups:
            group.metrics.reset_fake()
        generator = torch.Generator().manual_seed(SAMPLE_SEED + self.rank)
        shares = [self.num_samples // self.world_size + (r < self.num_samples % self.world_size)
                  for r in range(self.world_size)]
        # Every rank draws the same count (all_gather needs equal shapes); only its share is used.
        per_rank, local_n = shares[0], shares[self.rank]
        kept, outs, hits, labels = [], {group.name: [] for group in self.feature_groups}, [], []
        if not (self.feature_groups or {"modes", "parzen", "conditional"} & set(self.groups)):
            per_rank = 0  # the likelihood group alone reads no samples: none are drawn
        with progress(per_rank, "generated samples and their features", self.show_progress) as bar:
            for start in range(0, per_rank, self.batch_size):
                self._generate_batch(sample, generator, start, per_rank, local_n, kept, outs, hits, labels)
                if bar is not None:
                    bar.update(min(self.batch_size, per_rank - start))
        results: dict[str, float] = self._likelihood(score) if "likelihood" in self.groups else {}
        for group in self.feature_groups:
            # One update per evaluation on every rank: torchmetrics syncs list states element by element,
            # so ranks with different numbers of update calls would fall out of step.
            group.metrics.update({k: torch.cat([o[k] for o in outs[group.name]]) for k in outs[group.name][0]},
                                 real=False)
            results.update(group.metrics.compute())
        if hits:
            results.update(self._conditional_accuracy(torch.cat(hits), torch.cat(labels), shares))
        if kept:
            gathered = self.gather(torch.cat(kept).to(self.device)).cpu()  # [world_size, per_rank, ...]
            samples = torch.cat([gathered[r, :n] for r, n in enumerate(shares)])
            if "modes" in self.groups:
                stats = mode_stats(samples, self.datamodule.centers, self.datamodule.cfg.sigma)
                results.update({f"{k}{self.tag}": v for k, v in stats.items()})
            if "parzen" in self.groups:
                scale = _signed_to_unit if samples.dim() > 2 else (lambda t: t.float())
                stats = parzen_evaluate(scale(samples), scale(self.parzen_valid), scale(self.parzen_test),
                                        sigmas=PARZEN_SIGMAS)
                results.update({f"{k}{self.tag}": float(stats[k]) for k in ("parzen_ll", "parzen_ll_se", "parzen_sigma")})
        return results

    def _generate_batch(self, sample: Sampler, generator, start: int, per_rank: int, local_n: int, kept: list,
                        outs: dict, hits: list, labels: list) -> None:
        """One batch of samples through every feature network (and the classifier, for cond_acc)."""
        n = min(self.batch_size, per_rank - start)
        generated = sample(n, generator) if self.truncation is None else sample(n, generator, truncation=self.truncation)
        fake = generated.samples.float()
        used = fake[: max(0, local_n - start)]
        for group in self.feature_groups:
            if len(used):
                outs[group.name].append(group.extractor(used.to(self.device)))
        if "parzen" in self.groups or "modes" in self.groups:
            kept.append(fake.cpu())
        if "conditional" in self.groups:  # every rank keeps per_rank entries (equal shapes for the gather)
            predicted = self.domain_net(fake.to(self.device))["logits"].argmax(1)
            hits.append((predicted == generated.labels.to(self.device)).float())
            labels.append(generated.labels.to(self.device))

    def _conditional_accuracy(self, hits: torch.Tensor, labels: torch.Tensor, shares: list[int]) -> dict[str, float]:
        """cond_acc (mean over the classes drawn) and per class, over every rank's samples."""
        hits, labels = (torch.cat([g[r, :n] for r, n in enumerate(shares)]).cpu()
                        for g in (self.gather(hits), self.gather(labels)))
        classes = self.datamodule.num_classes
        counts = torch.bincount(labels.long(), minlength=classes)
        per_class = torch.bincount(labels.long(), weights=hits, minlength=classes) / counts.clamp(min=1)
        drawn = counts > 0
        results = {f"cond_acc{self.tag}": float(per_class[drawn].mean())}
        results.update({f"cond_acc{self.tag}/class{c}": float(per_class[c]) for c in range(classes) if drawn[c]})
        return results
