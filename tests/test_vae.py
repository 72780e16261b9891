"""The VAE's terms and bounds: closed-form KL, the reparameterization, the IWAE bound, and a short run."""
import math

import numpy as np
import pytest
import torch

from lightning_gan.config import load_config
from lightning_gan.evaluate_run import build_datamodule, evaluate
from lightning_gan.likelihoods import (bernoulli_log_likelihood, gaussian_kl, gaussian_log_density,
                                       gaussian_log_likelihood, importance_weighted_bound, reparameterize)
from lightning_gan.runs import fit
from test_data import write_idx


def test_the_closed_form_kl_matches_a_monte_carlo_estimate_and_is_zero_at_the_prior():
    torch.manual_seed(0)
    mu, logvar = torch.randn(4, 3), torch.randn(4, 3) * 0.5
    z = reparameterize(mu, logvar, torch.randn(200_000, 4, 3))  # z ~ q
    monte_carlo = (gaussian_log_density(z, mu, logvar) - gaussian_log_density(z, torch.zeros(3), torch.zeros(3))).mean(0)
    torch.testing.assert_close(gaussian_kl(mu, logvar), monte_carlo, atol=0.02, rtol=0.01)
    assert torch.equal(gaussian_kl(torch.zeros(2, 5), torch.zeros(2, 5)), torch.zeros(2))
    assert (gaussian_kl(mu, logvar) > 0).all()


def test_reparameterized_samples_have_the_requested_moments_and_pass_gradients():
    mu = torch.tensor([1.5, -2.0], requires_grad=True)
    logvar = torch.tensor([math.log(0.25), math.log(4.0)], requires_grad=True)
    z = reparameterize(mu, logvar, torch.randn(100_000, 2, generator=torch.Generator().manual_seed(0)))
    torch.testing.assert_close(z.mean(0), torch.tensor([1.5, -2.0]), atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([0.5, 2.0]), atol=0.02, rtol=0)
    (z ** 2).mean().backward()  # d/dμ E[z²] = 2μ, d/dlogσ² E[z²] = σ²
    torch.testing.assert_close(mu.grad, torch.tensor([1.5, -2.0]), atol=0.03, rtol=0)
    torch.testing.assert_close(logvar.grad, torch.tensor([0.25, 4.0]) / 2, atol=0.05, rtol=0)


def test_the_likelihoods_are_the_textbook_densities():
    x = torch.tensor([[0.0, 1.0, 0.25]])
    logits = torch.tensor([[0.3, -1.2, 2.0]])
    p = torch.sigmoid(logits)
    expected = (x * p.log() + (1 - x) * (1 - p).log()).sum(-1)
    torch.testing.assert_close(bernoulli_log_likelihood(logits, x), expected)
    s = torch.tensor(0.2)
    normal = torch.distributions.Normal(p, s).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_log_likelihood(logits, x, s.log()), normal)


def test_the_iwae_bound_is_the_log_of_the_mean_weight():
    w = torch.randn(1, 5)
    torch.testing.assert_close(importance_weighted_bound(w), w[0])
    torch.testing.assert_close(importance_weighted_bound(torch.full((7, 3), -2.0)), torch.full((3,), -2.0))
    # weights 1 and 3: log of their mean, log 2 (not their mean log, which the ELBO would be)
    torch.testing.assert_close(importance_weighted_bound(torch.tensor([[0.0], [math.log(3)]])), torch.tensor([math.log(2)]))


def tiny_vae(*extra: str):
    from lightning_gan.config import to_dict
    from lightning_gan.registry import VARIANTS

    cfg = load_config(None, ["variant.name=vae", "variant.z_dim=3", "variant.hidden=[8]", "data.name=synthetic",
                             "data.shape=[1,4,4]", *extra])
    return VARIANTS.lookup("vae")(to_dict(cfg), data_shape=(1, 4, 4))


class Prior(torch.nn.Module):
    """q(z|x) = N(0, I) for every x."""

    def forward(self, x):
        return torch.zeros(len(x), 3), torch.zeros(len(x), 3)


def test_with_q_the_prior_the_bound_is_the_log_mean_likelihood_of_the_seeded_draws():
    module = tiny_vae()
    module.encoder = Prior()
    images = torch.rand(2, 1, 4, 4) * 2 - 1
    out = module.log_likelihood(images, k=5, chunk=2, seeds=[7, 8])
    for i, seed in enumerate((7, 8)):
        noise = torch.randn(6, 3, generator=torch.Generator().manual_seed(seed))  # row 0: the ELBO's z
        with torch.no_grad():
            logits = module.generator.eval()(noise[1:])
        rec = bernoulli_log_likelihood(logits, ((images[i:i + 1] + 1) / 2).expand(5, 1, 4, 4))
        torch.testing.assert_close(out["iwae_ll"][i], torch.logsumexp(rec, 0) - math.log(5))  # log p(z) = log q(z)
    assert torch.equal(out["kl"], torch.zeros(2))


def test_the_estimates_do_not_depend_on_the_chunk_size_or_the_batch():
    module = tiny_vae()
    images = torch.rand(3, 1, 4, 4) * 2 - 1
    whole = module.log_likelihood(images, k=7, chunk=7, seeds=[1, 2, 3])
    chunked = module.log_likelihood(images, k=7, chunk=3, seeds=[1, 2, 3])  # chunks 3, 3, 1
    alone = module.log_likelihood(images[1:2], k=7, chunk=2, seeds=[2])
    for name in whole:
        torch.testing.assert_close(chunked[name], whole[name])
        torch.testing.assert_close(alone[name][0], whole[name][1])


def test_the_kl_weight_warms_up_linearly_to_beta():
    module = tiny_vae("variant.beta=2", "train.kl_warmup=4")
    weights = []
    for step in range(6):
        module.g_steps = step
        weights.append(module.kl_weight())
    assert weights == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0]  # the update at G step s uses (s + 1) / warmup
    assert tiny_vae("variant.beta=0.5").kl_weight() == 0.5


def test_the_learned_std_is_floored_at_half_a_grey_level():
    module = tiny_vae("variant.likelihood=gaussian", "variant.gaussian_std=1e-6")
    assert float(module.output_log_std().detach()) == pytest.approx(math.log(0.5 / 255))


def test_the_likelihood_is_the_same_for_any_number_of_processes(tmp_path):
    """Three ranks score contiguous blocks (padded to equal shapes) and gather them: one process's figures."""
    import threading

    from lightning_gan.evaluation import Evaluator, LikelihoodProtocol

    cfg = load_config(None, ["variant.name=vae", "variant.z_dim=3", "variant.hidden=[8]", "data.name=synthetic",
                             "data.shape=[1,4,4]", "data.n_samples=64", "data.batch_size=8"])
    datamodule = build_datamodule(cfg)
    module = tiny_vae()
    protocol = LikelihoodProtocol(images=16, k=6, chunk=4)
    single = Evaluator(datamodule, ["likelihood"], 10, likelihood=protocol).run(module.generate, module.log_likelihood)
    barrier, slots, results = threading.Barrier(3), [None] * 3, {}

    def rank(r: int) -> None:
        def all_gather(t):  # LightningModule.all_gather's contract: [world_size, *t.shape], the same on every rank
            slots[r] = t
            barrier.wait()
            out = torch.stack(slots)
            barrier.wait()  # everyone has read before the next call overwrites
            return out

        ev = Evaluator(datamodule, ["likelihood"], 10, rank=r, world_size=3, gather=all_gather, likelihood=protocol)
        results[r] = ev.run(module.generate, module.log_likelihood)

    threads = [threading.Thread(target=rank, args=(r,)) for r in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for r in range(3):
        assert results[r].keys() == single.keys()
        for key, value in single.items():
            assert results[r][key] == pytest.approx(value, rel=1e-5), key


def digits_as_idx(root, train: int = 1500):
    """scikit-learn's digits at 28x28 as an IDX set with a train and a test split (a real held-out set)."""
    from sklearn.datasets import load_digits
    from torch.nn.functional import interpolate

    digits = load_digits()
    images = interpolate(torch.from_numpy(digits.images).float().unsqueeze(1), size=28, mode="bilinear")
    images = (images.squeeze(1) * 255 / 16).round().clamp(0, 255).numpy()
    root.mkdir(parents=True)
    for split, rows in (("train", slice(0, train)), ("t10k", slice(train, None))):
        write_idx(root / f"{split}-images-idx3-ubyte", images[rows], compress=False)
        write_idx(root / f"{split}-labels-idx1-ubyte", digits.target[rows].astype(np.uint8), compress=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("vae")
    digits_as_idx(root / "idx")
    args = ["variant.name=vae", "variant.z_dim=8", "variant.hidden=[128]", "data.name=fashion_mnist",
            f"data.path={root / 'idx'}", "data.batch_size=50", "train.log_every=50", "train.sample_every=1000",
            "train.checkpoint_every=1000", "trainer.accelerator=cpu", "run.wandb.mode=disabled",
            f"run.root={root / 'runs'}"]
    untrained = fit(load_config(None, [*args, "train.g_steps=1", "run.name=untrained"]), verbose=False)
    short = fit(load_config(None, [*args, "train.g_steps=300", "run.name=short"]), verbose=False)
    return untrained, short, build_datamodule(short.module.cfg)


def test_a_short_run_lowers_the_test_set_negative_elbo(trained):
    untrained, short, _ = trained
    reports = [evaluate(str(r.run_dir), ["eval.likelihood_images=297", "eval.iwae_k=10"], metrics=["likelihood"],
                        log=lambda *_: None)[0] for r in (untrained, short)]
    before, after = (r["metrics"]["elbo297"] for r in reports)
    assert -after < 0.8 * -before, (before, after)
    assert "297 held-out test images" in reports[1]["protocol"]["likelihood"]


def test_the_iwae_estimate_rises_with_k_and_is_above_the_elbo_on_average(trained):
    _, short, datamodule = trained
    images = datamodule.heldout()[:200]
    estimates = {k: short.module.log_likelihood(images, k=k, chunk=50, seeds=range(len(images)))
                 for k in (1, 10, 100)}
    means = [float(estimates[k]["iwae_ll"].mean()) for k in (1, 10, 100)]
    assert means[0] <= means[1] <= means[2], means
    assert means[2] > float(estimates[100]["elbo"].mean()) + 0.5  # strictly above by more than the noise
    # K = 1 is an ELBO estimate itself: the two agree within their Monte Carlo spread
    assert abs(means[0] - float(estimates[1]["elbo"].mean())) < 2.0
