"""FID / KID / class histogram / real-feature cache on injected tiny feature extractors (no download)."""
import multiprocessing as mp

import numpy as np
import pytest
import torch
from scipy import linalg
from torch import nn

from lightning_gan.keys import count_tag
from lightning_gan.metrics.features import FeatureMetrics, RealFeatureCache, extract, tensor_digest
from lightning_gan.metrics.histogram import ClassHistogram


class TinyExtractor(nn.Module):
    """A fixed random conv net: enough to separate real, blurred and noise images."""

    name = "tiny-random-conv"

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, stride=2),
                                 nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())

    @torch.no_grad()
    def forward(self, images):
        return {"features": self.net(images)}


def digits(n=600, seed=0):
    from sklearn.datasets import load_digits

    images = torch.from_numpy(load_digits().images).float().unsqueeze(1) / 8 - 1  # [N, 1, 8, 8] in [-1, 1]
    images = nn.functional.interpolate(images, size=16, mode="bilinear")
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    return images[order[:n]]


def fid_of(real_features, fake_features, kid_subset_size=50):
    metrics = FeatureMetrics(num_features=real_features.shape[1], prefix="", n_tag="", score_name=None,
                             class_prior=None, kid_subset_size=kid_subset_size)
    metrics.update({"features": real_features}, real=True)
    metrics.update({"features": fake_features}, real=False)
    return metrics.compute()


def frechet_numpy(a, b):
    a, b = a.double().numpy(), b.double().numpy()
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_fid_of_a_set_with_itself_is_zero():
    features = TinyExtractor()(digits())["features"]
    values = fid_of(features, features)
    assert abs(values["fid"]) < 1e-3
    assert abs(values["kid"]) < 1e-3
    assert values["precision"] == values["recall"] == values["coverage"] == 1.0


def test_fid_orders_real_blurred_noise():
    extractor = TinyExtractor()
    real_a, real_b = digits(600, seed=0)[:300], digits(600, seed=0)[300:]
    blurred = nn.functional.avg_pool2d(real_b, 3, stride=1, padding=1)
    noise = torch.rand_like(real_b) * 2 - 1
    reference = extractor(real_a)["features"]
    fid = {name: fid_of(reference, extractor(x)["features"])["fid"]
           for name, x in (("real", real_b), ("blurred", blurred), ("noise", noise))}
    assert fid["real"] < fid["blurred"] < fid["noise"], fid


def test_fid_equals_a_direct_frechet_computation():
    extractor = TinyExtractor()
    a, b = extractor(digits(600)[:300])["features"], extractor(digits(600)[300:] * 0.8)["features"]
    ours, direct = fid_of(a, b)["fid"], frechet_numpy(a, b)
    assert ours == pytest.approx(direct, rel=1e-3)


def test_metric_keys_carry_the_count_and_never_call_a_classifier_score_is():
    metrics = FeatureMetrics(num_features=4, prefix="domain_", n_tag=count_tag(10_000), score_name="classifier_score",
                             class_prior=torch.ones(3), kid_subset_size=20)
    torch.manual_seed(0)
    metrics.update({"features": torch.randn(40, 4)}, real=True)
    metrics.update({"features": torch.randn(40, 4), "logits": torch.randn(40, 3)}, real=False)
    keys = set(metrics.compute())
    assert "domain_fid10k" in keys and "domain_classifier_score10k" in keys and "domain_class_kl10k" in keys
    assert not any(k.startswith(("is", "domain_is")) for k in keys)


def test_reset_fake_keeps_the_real_reference():
    torch.manual_seed(0)
    real, fake = torch.randn(60, 3), torch.randn(60, 3) + 1
    metrics = FeatureMetrics(num_features=3, prefix="", n_tag="", score_name=None, class_prior=None, kid_subset_size=30)
    metrics.update({"features": real}, real=True)
    metrics.update({"features": torch.randn(60, 3) * 5}, real=False)
    metrics.compute()
    metrics.reset_fake()
    metrics.update({"features": fake}, real=False)
    assert metrics.compute() == pytest.approx(fid_of(real, fake, kid_subset_size=30), rel=1e-6)


@pytest.mark.parametrize("generated, kl_zero, classes, top", [
    ([0, 1, 2, 3] * 25, True, 4, 0.25),  # all classes, in the data's shares
    ([2] * 100, False, 1, 1.0),  # collapsed onto one class
    ([0, 1] * 50, False, 2, 0.5),  # half the classes dropped
])
def test_class_histogram(generated, kl_zero, classes, top):
    histogram = ClassHistogram(torch.ones(4))
    histogram.update(nn.functional.one_hot(torch.tensor(generated), 4).float())
    values = histogram.compute()
    assert (float(values["class_kl"]) < 1e-9) == kl_zero
    assert values["classes_generated"] == classes
    assert values["top_class_share"] == pytest.approx(top)
    if not kl_zero:
        assert float(values["class_kl"]) == pytest.approx(np.log(4 / classes))


def test_real_feature_cache_hits_and_keys(tmp_path):
    cache, images = RealFeatureCache(tmp_path), digits(50)
    calls = []

    def compute():
        calls.append(1)
        return extract(TinyExtractor(), images, 16, torch.device("cpu"))

    first, hit1 = cache.get("digits", images, "tiny", compute)
    second, hit2 = cache.get("digits", images, "tiny", compute)
    assert (hit1, hit2, len(calls)) == (False, True, 1)
    assert torch.equal(first["features"], second["features"])
    cache.get("digits", images, "another-extractor", compute)
    cache.get("digits", images[:40], "tiny", compute)
    assert len(calls) == 3  # extractor and images are both part of the key
    path = cache.path("digits", tensor_digest(images), "tiny")
    path.write_bytes(b"truncated")  # a damaged entry is recomputed, not trusted
    _, hit = cache.get("digits", images, "tiny", compute)
    assert not hit and len(calls) == 4


def _cache_worker(directory, counter):
    images = torch.arange(64, dtype=torch.float32).reshape(4, 1, 4, 4)

    def compute():
        with counter.get_lock():
            counter.value += 1
        import time

        time.sleep(0.5)  # widen the window in which a second writer could start
        return {"features": images.flatten(1)}

    tensors, _ = RealFeatureCache(directory).get("x", images, "flat", compute)
    assert torch.equal(tensors["features"], images.flatten(1))


def test_real_feature_cache_is_safe_for_concurrent_agents(tmp_path):
    ctx = mp.get_context("spawn")
    counter = ctx.Value("i", 0)
    workers = [ctx.Process(target=_cache_worker, args=(tmp_path, counter)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert counter.value == 1  # computed once, the others waited and read it


def test_a_cache_entry_leaves_no_lock_file_even_when_interrupted(tmp_path):
    from lightning_gan.metrics.features import RealFeatureCache

    cache = RealFeatureCache(tmp_path / "cache")
    images = torch.zeros(4, 1, 8, 8)
    features, hit = cache.get("x", images, "net", lambda: {"features": torch.ones(4, 2)})
    assert not hit and torch.equal(features["features"], torch.ones(4, 2))

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.get("y", images, "net", interrupted)
    assert sorted(p.suffix for p in (tmp_path / "cache").iterdir()) == [".pt"]  # the first entry, no .lock


def test_kid_std_measures_the_spread_of_subsets_that_differ():
    from lightning_gan.metrics.features import kid_subset_size

    assert kid_subset_size(50000, 10000) == 1000 and kid_subset_size(2000, 500) == 250 and kid_subset_size(3, 3) == 2
    torch.manual_seed(0)
    real, fake = torch.randn(200, 8), torch.randn(200, 8) + 0.3
    whole = fid_of(real, fake, kid_subset_size=200)["kid_std"]  # every subset is the whole set
    halves = fid_of(real, fake, kid_subset_size=kid_subset_size(200, 200))["kid_std"]
    assert whole < 1e-6 and halves > 1e-3
