"""AdversarialModule: THE adversarial training step, written once.

This is the only code that zeroes gradients, calls ``manual_backward`` / ``step``, toggles the
optimizers, clips gradients, counts G and D steps and logs the training rows. A variant subclasses
it and supplies:

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

import math
import random
from pathlib import Path
from typing import Any, Callable, ClassVar, Sequence

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from lightning_gan.config import Config, OptimizerConfig, VariantConfig, config_from_dict
from lightning_gan.divergence import DivergenceGuard
from lightning_gan.losses import LOSSES
from lightning_gan.penalties import add_spectral_norm, clip_weights, gradient_penalty, r1_penalty

Logs = dict[str, torch.Tensor]
COUNTERS_KEY = "lightning_gan_counters"
RNG_KEY = "lightning_gan_rng"


def make_optimizer(params, opt: OptimizerConfig) -> torch.optim.Optimizer:
    if opt.name == "adam":
        return torch.optim.Adam(params, lr=opt.lr, betas=(opt.beta1, opt.beta2), weight_decay=opt.weight_decay)
    if opt.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=opt.lr, alpha=opt.beta2, momentum=opt.momentum,
                                   weight_decay=opt.weight_decay)
    return torch.optim.SGD(params, lr=opt.lr, momentum=opt.momentum, weight_decay=opt.weight_decay)


class AdversarialModule(L.LightningModule):
    Config: ClassVar[type[VariantConfig]]
    data_kinds: ClassVar[tuple[str, ...]] = ("points", "images")  # what the nets accept (contract tests)

    def __init__(self, config: dict, data_shape: Sequence[int], num_classes: int = 0):
        super().__init__()
        # Plain values only, so a checkpoint alone rebuilds the module (load_from_checkpoint).
        # logger=False: the flat dotted config is logged once, by loggers.make_wandb_logger.
        self.save_hyperparameters({"config": config, "data_shape": list(data_shape), "num_classes": num_classes},
                                  logger=False)
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
        self.generator_ema: AveragedModel | None = None
        if self.cfg.train.ema_decay is not None:
            self.generator_ema = AveragedModel(self.generator, use_buffers=True,
                                               multi_avg_fn=get_ema_multi_avg_fn(self.cfg.train.ema_decay))
            self.generator_ema.requires_grad_(False)  # updated by averaging, never by an optimizer
        self.g_steps = 0  # generator updates so far: the unit of run length
        self.d_steps = 0  # discriminator updates so far (k per G step)
        self._d_in_cycle = 0  # D steps since the last G step
        self._d_logs: list[Logs] = []
        self._pending_clip: float | None = None  # max grad norm for the optimizer step under way
        t = self.cfg.train
        self.guard = DivergenceGuard(t.on_divergence, t.max_rollbacks, t.rollback_lr_factor)
        self._resumed = False  # set when a checkpoint restored this module's state

    # ---------------------------------------------------------------- what a variant provides
    def build_networks(self) -> tuple[nn.Module, nn.Module]:
        raise NotImplementedError

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError

    def discriminator_loss(self, batch: Any) -> tuple[torch.Tensor, Logs]:
        raise NotImplementedError

    def generator_loss(self, batch: Any) -> tuple[torch.Tensor, Logs]:
        raise NotImplementedError

    @classmethod
    def train_keys(cls, cfg: Config) -> set[str]:
        """The keys every training row logs (sweep validation checks a metric against them).

        Mirrors ``d_objective`` / ``g_objective``; a variant that logs more extends this (a contract
        test compares it with what a real run logs).
        """
        names = {"d_loss", "g_loss", "D_x", "D_G_z"}
        names |= {"wasserstein_estimate"} if LOSSES[cfg.loss].critic else set()
        names |= {"penalty"} if cfg.penalty.name in ("gp", "r1") else set()
        return {f"train/{name}" for name in names} | {"g_step", "d_step"}

    # ---------------------------------------------------------------- helpers for variants
    def d_objective(self, real: torch.Tensor, fake: torch.Tensor,
                    critic: Callable[[torch.Tensor], torch.Tensor] | None = None) -> tuple[torch.Tensor, Logs]:
        """The configured D loss and penalty on real and fake inputs, with the D(x) / D(G(z)) balance.

        ``critic`` maps inputs to scores (default: the discriminator); conditional variants pass a
        closure over their labels, so penalties see the same conditions.
        """
        critic = critic or self.discriminator
        # float(): under bf16 / fp16 autocast the scores are low precision; losses and logs are not
        real_scores, fake_scores = critic(real).float(), critic(fake).float()
        loss = self.loss_pair.d(real_scores, fake_scores)
        to_p = torch.sigmoid if self.loss_pair.logits else (lambda s: s)
        logs = {"D_x": to_p(real_scores.detach()).mean(), "D_G_z": to_p(fake_scores.detach()).mean()}
        if self.loss_pair.critic:
            logs["wasserstein_estimate"] = real_scores.detach().mean() - fake_scores.detach().mean()
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
        loss = self.loss_pair.g(fake_scores.float())
        return loss, {"g_loss": loss.detach()}

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> torch.Tensor:
        """Samples for grids and evaluation: the EMA of G when on, in eval mode (BatchNorm running stats)."""
        net = self.generator_ema.module if self.generator_ema is not None else self.generator
        was_training = net.training
        net.eval()
        try:  # callbacks run outside the precision plugin's context: match G's dtype (e.g. 64-true)
            return net(z.to(self.device, dtype=next(net.parameters()).dtype))
        finally:
            net.train(was_training)

    # ---------------------------------------------------------------- the step
    def configure_optimizers(self):
        return [make_optimizer(self.generator.parameters(), self.cfg.optim.g),
                make_optimizer(self.discriminator.parameters(), self.cfg.optim.d)]

    def _update(self, optimizer, network_name: str, loss_fn: Callable[[Any], tuple[torch.Tensor, Logs]], batch: Any,
                clip: float | None) -> Logs | None:
        """One update of one network; None when the divergence guard rolled training back instead."""
        # Toggling freezes the other network's parameters, so it builds no graph and gets no grad.
        self.toggle_optimizer(optimizer)
        loss, logs = loss_fn(batch)
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)  # not loss.backward(): under DDP this is what syncs gradients
        if not self.guard.finite(self, loss, getattr(self, network_name)):
            optimizer.zero_grad(set_to_none=True)
            self.untoggle_optimizer(optimizer)
            self.guard.handle(self, network_name, loss)  # raises Diverged, or rolls back
            self._d_logs, self._d_in_cycle = [], 0
            return None
        self._pending_clip = clip
        optimizer.step()  # clipping happens in on_before_optimizer_step, after AMP unscaling
        self._pending_clip = None
        self.untoggle_optimizer(optimizer)
        return logs

    def on_before_optimizer_step(self, optimizer) -> None:
        # Called by the precision plugin inside step(), after 16-mixed's scaler has unscaled the
        # gradients: clipping before step() would clip gradients still multiplied by the loss scale.
        if self._pending_clip is not None:
            self.clip_gradients(optimizer, gradient_clip_val=self._pending_clip, gradient_clip_algorithm="norm")

    def _after_d_step(self) -> None:
        if self.cfg.penalty.name == "clip":
            clip_weights(self.discriminator, self.cfg.penalty.clip)

    def training_step(self, batch: Any, batch_idx: int) -> None:
        loader = self.trainer.train_dataloader
        if hasattr(loader, "batch_consumed"):  # the data position a checkpoint records (data/resumable.py)
            loader.batch_consumed()
        opt_g, opt_d = self.optimizers()
        d_logs = self._update(opt_d, "discriminator", self.discriminator_loss, batch, self.cfg.train.grad_clip_d)
        if d_logs is None:
            return
        self._d_logs.append(d_logs)
        self._after_d_step()
        self.d_steps += 1
        self._d_in_cycle += 1
        if self._d_in_cycle < self.cfg.train.k:
            return
        # The G step reuses the cycle's last batch only for its size (and, in conditional variants,
        # its conditions); D has already been updated on it.
        g_logs = self._update(opt_g, "generator", self.generator_loss, batch, self.cfg.train.grad_clip_g)
        if g_logs is None:
            return
        if self.generator_ema is not None:
            self.generator_ema.update_parameters(self.generator)
        self.g_steps += 1
        self._d_in_cycle = 0
        d_logs = {name: torch.stack([row[name] for row in self._d_logs]).mean() for name in self._d_logs[0]}
        self._d_logs = []
        logs = {f"train/{name}": value for name, value in {**d_logs, **g_logs}.items()}
        self.log_dict(logs, on_step=True, on_epoch=False, prog_bar=True, batch_size=self._batch_size(batch))
        self.log("g_step", float(self.g_steps), on_step=True, on_epoch=False, prog_bar=False)
        self.log("d_step", float(self.d_steps), on_step=True, on_epoch=False, prog_bar=False)

    def on_fit_start(self) -> None:
        # Every rank starts from the same seed (and DDP copies rank 0's weights); give each rank its
        # own noise stream so fakes and dropout masks differ across ranks.
        # A resumed run keeps the noise stream its checkpoint restored instead.
        if self.trainer.world_size > 1 and not self._resumed:
            torch.manual_seed(self.cfg.train.seed + self.global_rank)

    def on_train_batch_end(self, outputs, batch, batch_idx) -> None:
        if self.g_steps >= self.cfg.train.g_steps:
            self.trainer.should_stop = True

    @property
    def logger_step(self) -> int:
        # The step Lightning itself hands to loggers (one per batch), so our rows line up with its own.
        return self.trainer.fit_loop.epoch_loop._batches_that_stepped

    def last_checkpoint_path(self) -> Path | None:
        from lightning_gan.callbacks import GStepCheckpoint

        found = [c for c in self.trainer.callbacks if isinstance(c, GStepCheckpoint)]
        return found[0].last_path if found else None

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
        checkpoint[COUNTERS_KEY] = {"g_steps": self.g_steps, "d_steps": self.d_steps, "d_in_cycle": self._d_in_cycle,
                                    "rollbacks": self.guard.rollbacks,
                                    "d_logs": [{k: float(v) for k, v in row.items()} for row in self._d_logs]}
        # The noise stream: z is drawn from the global generators, so an exact resume needs them back.
        # Every rank calls this hook; only rank 0's dict is written, so it carries every rank's stream.
        state = rng_state()
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            states: list = [None] * torch.distributed.get_world_size()
            torch.distributed.all_gather_object(states, state)
        else:
            states = [state]
        checkpoint[RNG_KEY] = {"ranks": states}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        counters = checkpoint.get(COUNTERS_KEY, {})
        self.g_steps = int(counters.get("g_steps", 0))
        self.d_steps = int(counters.get("d_steps", 0))
        self._d_in_cycle = int(counters.get("d_in_cycle", 0))
        self._d_logs = [{k: torch.tensor(v) for k, v in row.items()} for row in counters.get("d_logs", [])]
        self.guard.rollbacks = max(self.guard.rollbacks, int(counters.get("rollbacks", 0)))
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        loader_states = checkpoint.get("loops", {}).get("fit_loop", {}).get("state_dict", {}).get("combined_loader")
        if datamodule is not None and loader_states:
            # Lightning restores a loader's state only when it resumes mid-epoch; a run that stopped
            # mid-epoch at its end is recorded as a finished epoch. The data module applies it always.
            datamodule.resume_position = loader_states[0]
        if RNG_KEY in checkpoint and self._trainer is not None:  # resuming a fit (not loading for evaluation)
            states = checkpoint[RNG_KEY]["ranks"]
            if len(states) == self.trainer.world_size:
                set_rng_state(states[self.trainer.global_rank])
            else:  # another world size: a fresh, still distinct stream per rank
                torch.manual_seed(self.cfg.train.seed + self.trainer.global_rank + 1_000_003 * self.g_steps)
            self._resumed = True


def rng_state() -> dict:
    """torch (CPU and CUDA), numpy and python generators, as plain tensors / tuples (weights_only loads it)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {"torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
            "python": random.getstate()}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    random.setstate(state["python"])


class UnconditionalGAN(AdversarialModule):
    """G(z) against D(x) with no conditions: the objective of every unconditional variant.

    Its Config derives from ``LatentConfig`` (z_dim, prior); a subclass only builds its networks.
    """

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        shape = (n, self.cfg.variant.z_dim)
        # a seeded generator (fixed sample grids) lives on the CPU; training noise is made in place
        device = "cpu" if generator is not None else self.device
        if self.cfg.variant.prior == "uniform":
            # U(-√3, √3): unit variance, like the normal prior, so widths and lrs transfer.
            z = (torch.rand(shape, generator=generator, device=device) * 2 - 1).mul_(math.sqrt(3))
        else:
            z = torch.randn(shape, generator=generator, device=device)
        return z.to(self.device)

    def discriminator_loss(self, batch):
        real = batch[0]
        with torch.no_grad():  # fakes are inputs to D here: G builds no graph
            fake = self.generator(self.sample_z(real.shape[0]))
        return self.d_objective(real, fake)

    def generator_loss(self, batch):
        fake = self.generator(self.sample_z(batch[0].shape[0]))
        return self.g_objective(self.discriminator(fake))


def load_module(path: str, map_location: str = "cpu") -> AdversarialModule:
    """Rebuild any registered variant from a checkpoint (the class comes from its stored config)."""
    from lightning_gan.registry import VARIANTS, load_all

    load_all()
    # weights_only: a checkpoint holds tensors and plain values only, so loading runs no code from it
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    name = checkpoint["hyper_parameters"]["config"]["variant"]["name"]
    return VARIANTS.lookup(name).load_from_checkpoint(path, map_location=map_location, weights_only=True)
