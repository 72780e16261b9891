"""The VAE family's top-level schema and the ``vae`` variant (Kingma & Welling 2013).

The family owns its top level: one optimizer (``optim.vae``), a KL weight and warm-up, and no
adversarial keys (``loss``, ``penalty``, ``train.k`` are unknown keys here, as GAN keys should be).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Iterator, Literal, Optional

from lightning_gan.config import Config, EvalConfig, Issue, LatentConfig, OptimizerConfig, TrainConfig, optimizer_checks
from lightning_gan.registry import VARIANT_SCHEMAS
from lightning_gan.schemas.gan import DCGAN_SIDES


@dataclass
class VAETrainConfig(TrainConfig):
    # G steps (updates) over which the KL weight rises linearly from 0 to variant.beta (Bowman et al.
    # 2016's warm-up, against a posterior that collapses before the decoder learns); 0 = none
    kl_warmup: int = 0
    grad_clip: Optional[float] = None  # max global grad norm of the one update; null turns clipping off


@dataclass
class VAEOptimConfig:
    # encoder and decoder together (the paper's one stochastic objective); Adam at 1e-3 is the common VAE default
    vae: OptimizerConfig = field(default_factory=lambda: OptimizerConfig(lr=1e-3))


@dataclass
class VAEEvalConfig(EvalConfig):
    # samples of q(z|x) per test image in the importance-weighted bound (Burda et al. 2016); the estimate
    # rises toward log p(x) with K. In the protocol of every report
    iwae_k: int = 1000
    iwae_chunk: int = 100  # of those K, how many go through the decoder at once per image batch (memory)
    likelihood_images: int = 1000  # held-out images for the ELBO and the IWAE estimate (their count tags the keys)


@dataclass
class VAERootConfig(Config):
    """Variational autoencoders: one optimizer, a likelihood, a KL weight; evaluated like the GANs."""

    train: VAETrainConfig = field(default_factory=VAETrainConfig)  # run length (in updates), KL warm-up
    optim: VAEOptimConfig = field(default_factory=VAEOptimConfig)  # one optimizer for encoder and decoder
    eval: VAEEvalConfig = field(default_factory=VAEEvalConfig)  # the GANs' metrics plus the likelihood group

    def family_checks(self) -> Iterator[Issue]:
        yield from optimizer_checks("optim.vae", self.optim.vae)
        t, e = self.train, self.eval
        if t.kl_warmup < 0:
            yield Issue("train.kl_warmup", f"must be >= 0, got {t.kl_warmup}", "e.g. train.kl_warmup=2000, or 0 for none")
        if t.grad_clip is not None and t.grad_clip <= 0:
            yield Issue("train.grad_clip", f"must be > 0, got {t.grad_clip}", "e.g. train.grad_clip=10, or null")
        for key in ("iwae_k", "iwae_chunk", "likelihood_images"):
            if getattr(e, key) < 1:
                yield Issue(f"eval.{key}", f"must be >= 1, got {getattr(e, key)}", f"e.g. eval.{key}={getattr(VAEEvalConfig, key)}")

    def train_keys(self) -> set[str]:
        names = {"loss", "reconstruction", "kl", "elbo", "beta"} | ({"log_std"} if self.variant.learns_std else set())
        return super().train_keys() | {f"train/{name}" for name in names} | {"lr/vae"}


@VARIANT_SCHEMAS.register("vae", root=VAERootConfig)
@dataclass
class VAEConfig(LatentConfig):
    """Auto-Encoding Variational Bayes (Kingma & Welling 2013): Gaussian q(z|x), N(0, I) prior, reparameterized."""

    name: str = "vae"
    likelihood_model: ClassVar[bool] = True  # evaluation adds the ELBO and IWAE log-likelihood
    z_dim: int = 20  # latent size (the paper's MNIST figures use 2 to 200; 20 is its common choice)
    networks: Literal["mlp", "conv"] = "mlp"  # the paper's MLPs, or DCGAN-shaped convolutions (16/28/32/64 px)
    hidden: list[int] = field(default_factory=lambda: [500])  # MLP hidden widths, encoder (decoder mirrored); the paper: 500
    width: int = 32  # conv: channels of the encoder's first / the decoder's last feature map, doubled per stage
    norm: Literal["batch", "layer", "none"] = "batch"  # conv: normalization after each hidden conv
    # p(x|z) of pixels in [0, 1]: bernoulli (binary cross-entropy, the paper's MNIST model) or gaussian
    likelihood: Literal["bernoulli", "gaussian"] = "bernoulli"
    # gaussian: a fixed std, or one learned (a scalar, Dai & Wipf 2019's γ), starting at gaussian_std
    gaussian_variance: Literal["fixed", "learned"] = "learned"
    gaussian_std: float = 0.1  # the fixed std, or the learned one's start
    beta: float = 1.0  # weight of the KL term (β-VAE, Higgins et al. 2017); 1 is the ELBO, 0 a plain autoencoder

    @property
    def learns_std(self) -> bool:
        return self.likelihood == "gaussian" and self.gaussian_variance == "learned"

    def checks(self, cfg: Config) -> Iterator[Issue]:
        yield from super().checks(cfg)
        if self.prior != "normal":
            yield Issue("variant.prior", f"the VAE's KL is in closed form against N(0, I), got {self.prior!r}",
                        "use variant.prior=normal")
        if self.beta < 0:
            yield Issue("variant.beta", f"must be >= 0, got {self.beta}", "e.g. variant.beta=1 (the ELBO)")
        if self.gaussian_std <= 0:
            yield Issue("variant.gaussian_std", f"must be > 0, got {self.gaussian_std}", "e.g. variant.gaussian_std=0.1")
        if self.networks == "mlp" and (not self.hidden or any(w < 1 for w in self.hidden)):
            yield Issue("variant.hidden", "needs at least one layer, every width >= 1", "e.g. variant.hidden=[500]")
        facts = cfg.data.facts()
        if facts.points or facts.pairs is not None:
            yield Issue("variant.name", f"the VAE models images, and data {cfg.data.name!r} is "
                        + ("2D points" if facts.points else "image-to-image pairs"),
                        "use an image data set (fashion_mnist, mnist, digits, image_folder)")
        if self.networks == "conv" and self.width < 1:
            yield Issue("variant.width", f"must be >= 1, got {self.width}", "e.g. variant.width=32")
        if self.networks == "conv":
            side = getattr(cfg.data, "image_size", None)
            shape = getattr(cfg.data, "shape", None)
            side = shape[-1] if shape is not None and len(shape) == 3 else side
            if side not in DCGAN_SIDES:
                yield Issue("variant.networks", f"conv networks need square images of side {list(DCGAN_SIDES)}, got {side}",
                            "set data.image_size to one of them, or use variant.networks=mlp")
