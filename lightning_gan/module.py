"""AdversarialModule: THE adversarial training step, written once.

This is the only code that zeroes gradients, calls ``manual_backward`` / ``step``, toggles the
optimizers, clips gradients, counts G and D steps and logs. A variant subclasses it and supplies:

- ``Config``: its dataclass (a ``VariantConfig``),
- ``build_networks()`` -> (generator, discriminator),
- ``sample_z(n)`` -> prior noise,
- ``discriminator_loss(batch)`` / ``generator_loss(batch)`` -> (loss, {name: value}),
  usually via ``d_objective`` / ``g_objective`` below.

Schedule (Goodfellow et al. 2014, Algorithm 1): every batch is one D step, so each D step sees a
fresh batch; after every k-th D step one G step follows. Run length is counted in G steps with our
own counters; ``trainer.global_step`` counts optimizer steps (k + 1 per G step here) and is never
used as a batch or G-step count.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Sequence

import lightning as L
import torch
from torch import nn

from lightning_gan.config import Config, OptimizerConfig, VariantConfig, config_from_dict
from lightning_gan.losses import LOSSES
from lightning_gan.penalties import add_spectral_norm, clip_weights, gradient_penalty, r1_penalty

Logs = dict[str, torch.Tensor]
COUNTERS_KEY = "lightning_gan_counters"


def make_optimizer(params, opt: OptimizerConfig) -> torch.optim.Optimizer:
    if opt.name == "adam":
        return torch.optim.Adam(params, lr=opt.lr, betas=(opt.beta1, opt.beta2), weight_decay=opt.weight_decay)
    if opt.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=opt.lr, alpha=opt.beta2, momentum=opt.momentum,
                                   weight_decay=opt.weight_decay)
    return torch.optim.SGD(params, lr=opt.lr, momentum=opt.momentum, weight_decay=opt.weight_decay)


class AdversarialModule(L.LightningModule):
    Config: ClassVar[type[VariantConfig]]

    def __init__(self, config: dict, data_shape: Sequence[int], num_classes: int = 0):
        super().__init__()
        # Plain values only, so a checkpoint alone rebuilds the module (load_from_checkpoint).
        self.save_hyperparameters({"config": config, "data_shape": list(data_shape), "num_classes": num_classes})
        self.cfg: Config = config_from_dict(config)
        self.data_shape = tuple(data_shape)
        self.num_classes = num_classes
        self.automatic_optimization = False
        self.loss_pair = LOSSES[self.cfg.loss]
        self.generator, self.discriminator = self.build_networks()
        if self.cfg.penalty.spectral_norm_d:
            add_spectral_norm(self.discriminator)
        if self.cfg.penalty.spectral_norm_g:
            add_spectral_norm(self.generator)
        self.g_steps = 0  # generator updates so far: the unit of run length
        self.d_steps = 0  # discriminator updates so far (k per G step)
        self._d_in_cycle = 0  # D steps since the last G step
        self._d_logs: list[Logs] = []

    # ---------------------------------------------------------------- what a variant provides
    def build_networks(self) -> tuple[nn.Module, nn.Module]:
        raise NotImplementedError

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError

    def discriminator_loss(self, batch: Any) -> tuple[torch.Tensor, Logs]:
        raise NotImplementedError

    def generator_loss(self, batch: Any) -> tuple[torch.Tensor, Logs]:
        raise NotImplementedError

    # ---------------------------------------------------------------- helpers for variants
    def d_objective(self, real: torch.Tensor, fake: torch.Tensor,
                    critic: Callable[[torch.Tensor], torch.Tensor] | None = None) -> tuple[torch.Tensor, Logs]:
        """The configured D loss and penalty on real and fake inputs, with the D(x) / D(G(z)) balance.

        ``critic`` maps inputs to scores (default: the discriminator); conditional variants pass a
        closure over their labels, so penalties see the same conditions.
        """
        critic = critic or self.discriminator
        real_scores, fake_scores = critic(real), critic(fake)
        loss = self.loss_pair.d(real_scores, fake_scores)
        to_p = torch.sigmoid if self.loss_pair.logits else (lambda s: s)
        logs = {"D_x": to_p(real_scores.detach()).float().mean(), "D_G_z": to_p(fake_scores.detach()).float().mean()}
        if self.loss_pair.critic:
            logs["wasserstein_estimate"] = (real_scores.detach().float().mean() - fake_scores.detach().float().mean())
        penalty = self.cfg.penalty
        if penalty.name == "gp":
            logs["penalty"] = gradient_penalty(critic, real, fake)
            loss = loss + penalty.weight * logs["penalty"]
        elif penalty.name == "r1":
            logs["penalty"] = r1_penalty(critic, real)
            loss = loss + penalty.weight / 2 * logs["penalty"]
        logs = {name: value.detach() for name, value in logs.items()}
        return loss, {"d_loss": loss.detach(), **logs}

    def g_objective(self, fake_scores: torch.Tensor) -> tuple[torch.Tensor, Logs]:
        loss = self.loss_pair.g(fake_scores)
        return loss, {"g_loss": loss.detach()}

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> torch.Tensor:
        """Samples for grids and evaluation, with G in eval mode (BatchNorm running statistics)."""
        was_training = self.generator.training
        self.generator.eval()
        try:
            return self.generator(z.to(self.device))
        finally:
            self.generator.train(was_training)

    # ---------------------------------------------------------------- the step
    def configure_optimizers(self):
        return [make_optimizer(self.generator.parameters(), self.cfg.optim.g),
                make_optimizer(self.discriminator.parameters(), self.cfg.optim.d)]

    def _update(self, optimizer, loss_fn: Callable[[Any], tuple[torch.Tensor, Logs]], batch: Any,
                clip: float | None) -> Logs:
        # Toggling freezes the other network's parameters, so it builds no graph and gets no grad.
        self.toggle_optimizer(optimizer)
        loss, logs = loss_fn(batch)
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)  # not loss.backward(): under DDP this is what syncs gradients
        if clip is not None:
            self.clip_gradients(optimizer, gradient_clip_val=clip, gradient_clip_algorithm="norm")
        optimizer.step()
        self.untoggle_optimizer(optimizer)
        return logs

    def _after_d_step(self) -> None:
        if self.cfg.penalty.name == "clip":
            clip_weights(self.discriminator, self.cfg.penalty.clip)

    def training_step(self, batch: Any, batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        self._d_logs.append(self._update(opt_d, self.discriminator_loss, batch, self.cfg.train.grad_clip_d))
        self._after_d_step()
        self.d_steps += 1
        self._d_in_cycle += 1
        if self._d_in_cycle < self.cfg.train.k:
            return
        # The G step reuses the cycle's last batch only for its size (and, in conditional variants,
        # its conditions); D has already been updated on it.
        g_logs = self._update(opt_g, self.generator_loss, batch, self.cfg.train.grad_clip_g)
        self.g_steps += 1
        self._d_in_cycle = 0
        d_logs = {name: torch.stack([row[name] for row in self._d_logs]).mean() for name in self._d_logs[0]}
        self._d_logs = []
        logs = {f"train/{name}": value for name, value in {**d_logs, **g_logs}.items()}
        self.log_dict(logs, on_step=True, on_epoch=False, prog_bar=True, batch_size=self._batch_size(batch))
        self.log("g_step", float(self.g_steps), on_step=True, on_epoch=False, prog_bar=False)
        self.log("d_step", float(self.d_steps), on_step=True, on_epoch=False, prog_bar=False)

    def on_train_batch_end(self, outputs, batch, batch_idx) -> None:
        if self.g_steps >= self.cfg.train.g_steps:
            self.trainer.should_stop = True

    @property
    def logger_step(self) -> int:
        # The step Lightning itself hands to loggers (one per batch), so our rows line up with its own.
        return self.trainer.fit_loop.epoch_loop._batches_that_stepped

    def log_now(self, metrics: dict[str, float]) -> None:
        """Logs a row outside training_step (callbacks, end of training), tagged with the G step."""
        for logger in self.trainer.loggers:
            logger.log_metrics({**metrics, "g_step": float(self.g_steps)}, step=self.logger_step)

    @staticmethod
    def _batch_size(batch: Any) -> int:
        first = batch[0] if isinstance(batch, (tuple, list)) else batch
        return int(first.shape[0])

    # ---------------------------------------------------------------- checkpoint state
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[COUNTERS_KEY] = {"g_steps": self.g_steps, "d_steps": self.d_steps, "d_in_cycle": self._d_in_cycle}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        counters = checkpoint.get(COUNTERS_KEY, {})
        self.g_steps = int(counters.get("g_steps", 0))
        self.d_steps = int(counters.get("d_steps", 0))
        self._d_in_cycle = int(counters.get("d_in_cycle", 0))


def load_module(path: str, map_location: str = "cpu") -> AdversarialModule:
    """Rebuild any registered variant from a checkpoint (the class comes from its stored config)."""
    from lightning_gan.registry import VARIANTS, load_all

    load_all()
    # weights_only: a checkpoint holds tensors and plain values only, so loading runs no code from it
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    name = checkpoint["hyper_parameters"]["config"]["variant"]["name"]
    return VARIANTS.lookup(name).load_from_checkpoint(path, map_location=map_location, weights_only=True)
