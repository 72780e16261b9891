"""BaseModule: what every model family shares, so a family only writes its schedule and a variant its math.

The base owns manual optimization (``update``: toggle, backward, guard, clip, step, ``after_update``),
optimizers and their G-step schedules (with the lazy-regularization correction), run-length counting
in G steps, the EMA of the sampling network, logging rows every ``train.log_every`` G steps, the
divergence guard, DDP buffer equality, ``generate``, and checkpointed counters and RNG state.

A family (``module.AdversarialModule``; later the VAE) implements ``build``, ``optimizer_specs`` and
``train_on_batch`` (which calls ``update`` per optimizer and ``finish_g_step`` once per G step), and
extends ``extra_state`` / ``load_extra_state`` for its own counters. ``training_step`` and the
checkpoint hooks live only here.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable, ClassVar, Iterable, NamedTuple, Optional, Sequence

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from lightning_gan import compat
from lightning_gan.batch import Batch
from lightning_gan.config import Config, OptimizerConfig, VariantConfig, config_from_dict, truncation_issues
from lightning_gan.divergence import DivergenceGuard
from lightning_gan.penalties import Regularizer
from lightning_gan.schedules import GStepSchedule

Logs = dict[str, torch.Tensor]
COUNTERS_KEY = "lightning_gan_counters"
RNG_KEY = "lightning_gan_rng"


class Showcase(NamedTuple):
    """A grid that shows what a variant adds (truncation rows, style mixing), written beside the sample grids."""

    images: torch.Tensor  # [rows * columns, C, H, W] in [-1, 1], row-major
    columns: Optional[int]  # None: a square-ish grid
    caption: str  # what the rows and columns are ("" when nothing needs saying)


class Generated(NamedTuple):
    samples: torch.Tensor  # [n, *data_shape]
    labels: Optional[torch.Tensor]  # [n] the conditions they were generated for; None if unconditional


@dataclass(frozen=True)
class OptimizerSpec:
    name: str  # "g", "d", ...: names its lr/<name> log, its regularizers' side and its config section
    network: str  # attribute holding the network it updates (guard messages)
    params: Iterable[nn.Parameter]
    config: OptimizerConfig
    clip: Optional[float] = None  # max global gradient norm, applied after AMP unscaling


def make_optimizer(params, opt: OptimizerConfig, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    if opt.name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=opt.weight_decay)
    if opt.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=betas[1], momentum=opt.momentum, weight_decay=opt.weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=opt.momentum, weight_decay=opt.weight_decay)


def lazy_corrected(opt: OptimizerConfig, interval: int) -> tuple[float, tuple[float, float]]:
    """lr and betas for an optimizer whose regularizer runs every ``interval`` updates (StyleGAN2, appendix B).

    With c = N / (N + 1): lr·c and β^c, so the main loss plus the lazily scaled penalty move the
    parameters as much per step as the two would when both run every step.
    """
    c = interval / (interval + 1) if interval > 1 else 1.0
    return opt.lr * c, (opt.beta1 ** c, opt.beta2 ** c)


class BaseModule(L.LightningModule):
    Config: ClassVar[type[VariantConfig]]
    RootConfig: ClassVar[type[Config]] = Config  # the family's top-level schema (config._build picks it)
    family: ClassVar[str]  # contract suites are parametrized per family
    data_kinds: ClassVar[tuple[str, ...]] = ("points", "images")  # what the nets accept (contract tests)
    truncation_sweep: ClassVar[tuple[float, ...]] = ()  # rows of the "truncation" showcase grid; () = no grid
    trained_networks: ClassVar[tuple[str, ...]] = ("generator",)  # attributes every update trains (contract suites)

    def __init__(self, config: dict, data_shape: Sequence[int], num_classes: int = 0,
                 label_prior: Optional[Sequence[float]] = None):
        super().__init__()
        # Plain values only, so a checkpoint alone rebuilds the module (load_from_checkpoint).
        # logger=False: the flat dotted config is logged once, by loggers.make_wandb_logger.
        self.save_hyperparameters({"config": config, "data_shape": list(data_shape), "num_classes": num_classes,
                                   "label_prior": list(label_prior) if label_prior is not None else None},
                                  logger=False)
        self.cfg = config_from_dict(config)
        self.data_shape = tuple(data_shape)
        self.num_classes = num_classes
        # The data's class shares: conditional samples draw their labels from it (uniform if unknown).
        prior = torch.tensor(label_prior, dtype=torch.float) if label_prior is not None else torch.ones(max(num_classes, 1))
        self.label_prior = prior / prior.sum()
        self.automatic_optimization = False
        self.build()
        self.generator_ema: AveragedModel | None = None  # EMA of the sampling network (the generator)
        if self.cfg.train.ema_decay is not None:
            self.generator_ema = AveragedModel(self.generator, use_buffers=True,
                                               multi_avg_fn=get_ema_multi_avg_fn(self.cfg.train.ema_decay))
            self.generator_ema.requires_grad_(False)  # updated by averaging, never by an optimizer
        self.g_steps = 0  # updates of the sampling network so far: the unit of run length
        self._pending_clip: float | None = None  # max grad norm for the optimizer step under way
        t = self.cfg.train
        self.guard = DivergenceGuard(t.on_divergence, t.max_rollbacks, t.rollback_lr_factor)
        self._resumed = False  # set when a checkpoint restored this module's state
        self.last_logged: dict[str, float] = {}  # the last logged row (the progress bar shows it)
        self._optimizer_names: list[str] = []
        self._base_lrs: dict[str, float] = {}
        self._plain_backward = False  # set per fit: loss.backward() where Lightning's would only add empty hooks
        self._channels_last = False  # set per fit: trainer.channels_last on a module with convolutions

    @property
    def conditional(self) -> bool:
        """generate() takes labels: declared by the variant's config schema."""
        return self.cfg.variant.conditional

    # ---------------------------------------------------------------- what a family provides
    def build(self) -> None:
        """Create the networks as attributes (``self.generator`` is the one that samples)."""
        raise NotImplementedError

    def optimizer_specs(self) -> list[OptimizerSpec]:
        raise NotImplementedError

    def train_on_batch(self, batch: Batch) -> None:
        """The family's schedule for one batch: ``update`` per optimizer, ``finish_g_step`` per G step."""
        raise NotImplementedError

    def regularizers(self) -> list[Regularizer]:
        """Penalties with a side and an interval; the family runs the due ones inside its objectives."""
        return []

    def after_update(self, name: str) -> None:
        """Work after optimizer ``name`` stepped (e.g. WGAN's weight clipping)."""

    def extra_state(self) -> dict:
        """The family's checkpointed counters: plain numbers, lists and dicts (weights_only loads them)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restores what ``extra_state`` saved; a key missing from an older checkpoint keeps its default."""

    # ---------------------------------------------------------------- sampling
    def sample_z(self, n: int, generator: torch.Generator | None = None, *,
                 truncation: float | None = None) -> torch.Tensor:
        """Prior noise of a ``LatentConfig`` variant; ``truncation`` t redraws normal values with |z| > t."""
        v = self.cfg.variant
        shape = (n, v.z_dim)
        # a seeded generator (fixed sample grids, evaluation) lives on the CPU; training noise is made in place
        device = "cpu" if generator is not None else self.device
        if truncation is not None and (problems := truncation_issues(v, truncation, "truncation")):
            raise ValueError(problems[0].problem)  # the one rule eval.truncation and --truncation follow
        if v.prior == "uniform":
            # U(-√3, √3): unit variance, like the normal prior, so widths and lrs transfer.
            z = (torch.rand(shape, generator=generator, device=device) * 2 - 1).mul_(math.sqrt(3))
        else:
            z = torch.randn(shape, generator=generator, device=device)
            if truncation is not None:
                outside = z.abs() > truncation
                while outside.any():  # resample past the threshold (BigGAN's truncation trick)
                    z[outside] = torch.randn(int(outside.sum()), generator=generator, device=device)
                    outside = z.abs() > truncation
        return z.to(self.device)

    def sample_labels(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Conditions drawn from the data's label distribution."""
        device = "cpu" if generator is not None else self.device
        return torch.multinomial(self.label_prior.to(device), n, replacement=True, generator=generator).to(self.device)

    def check_labels(self, labels: torch.Tensor, n: int) -> torch.Tensor:
        labels = torch.as_tensor(labels, dtype=torch.long)
        if not self.conditional:
            raise ValueError(f"{self.cfg.variant.name} is unconditional: it takes no labels")
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape [{n}], got {list(labels.shape)}")
        if len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) < self.num_classes:
            raise ValueError(f"labels must lie in [0, {self.num_classes}), got {labels.tolist()}")
        return labels.to(self.device)

    def run_generator(self, net: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None, *,
                      truncation: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """One sampling forward of ``net`` (G or its EMA copy). Variants whose G takes more (StyleGAN's ψ in
        w space, noise drawn from ``generator``) override this; ``truncation`` only arrives in "w" space."""
        return net(z) if labels is None else net(z, labels)

    @property
    def sampling_network(self) -> torch.nn.Module:
        """The EMA generator when on, else the generator."""
        return self.generator_ema.module if self.generator_ema is not None else self.generator

    @torch.no_grad()
    def sample(self, z: torch.Tensor, labels: torch.Tensor | None = None, *, truncation: float | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """z (and labels) -> samples, with the EMA generator when on, in eval mode (BatchNorm running stats)."""
        net = self.sampling_network
        was_training = net.training
        net.eval()
        try:  # callbacks run outside the precision plugin's context: match G's dtype (e.g. 64-true)
            z = z.to(self.device, dtype=next(net.parameters()).dtype)
            labels = labels.to(self.device) if labels is not None else None
            return self.run_generator(net, z, labels, truncation=truncation, generator=generator)
        finally:
            net.train(was_training)

    @torch.no_grad()
    def generate(self, n: int, generator: torch.Generator | None = None, *, labels: torch.Tensor | None = None,
                 inputs: torch.Tensor | None = None, truncation: float | None = None) -> Generated:
        """The one definition of a generated sample: grids, ``evaluate``, metrics and ``sample`` use it.

        generator: a seeded CPU generator makes the same z (and drawn labels) on every call.
        labels: the conditions of a conditional model ([n]); None draws them from the data's label
            distribution. z is drawn before any label, so fixing labels keeps the same z.
        inputs: the source images of an image-to-image model; models without inputs refuse them.
        truncation: BigGAN's threshold t on z, or StyleGAN's ψ on w (the config's ``truncation_space``).
        """
        if inputs is not None:
            raise ValueError(f"{self.cfg.variant.name} generates from noise: it takes no inputs")
        if truncation is not None and (problems := truncation_issues(self.cfg.variant, truncation, "truncation")):
            raise ValueError(problems[0].problem)
        in_z = self.cfg.variant.truncation_space == "z"
        z = self.sample_z(n, generator, truncation=truncation if in_z else None)
        if labels is not None:
            labels = self.check_labels(labels, n)
        elif self.conditional:
            labels = self.sample_labels(n, generator)
        return Generated(self.sample(z, labels, truncation=None if in_z else truncation, generator=generator), labels)

    @torch.no_grad()
    def sample_grid(self, datamodule, count: int, seed: int) -> Showcase:
        """The grid written every ``train.sample_every`` G steps, from one fixed noise batch, so grids over
        time show G's progress on the same z. Conditional: one row per class, the same z in every row."""
        noise = lambda: torch.Generator().manual_seed(seed)  # noqa: E731
        if not self.conditional:
            return Showcase(self.generate(count, noise()).samples, None, "")
        columns = max(4, count // self.num_classes)
        rows = [self.generate(columns, noise(), labels=torch.full((columns,), c, dtype=torch.long)).samples
                for c in range(self.num_classes)]
        return Showcase(torch.cat(rows), columns, "")

    def showcase_labels(self, columns: int) -> torch.Tensor | None:
        """One class per column of a showcase grid (cycling), for conditional variants."""
        return torch.arange(columns) % self.num_classes if self.conditional else None

    @torch.no_grad()
    def showcase_grids(self, seed: int, columns: int = 8, datamodule=None) -> dict[str, Showcase]:
        """Grids beside the sample grids (file ``samples/<name>-g<step>.png``, W&B ``samples/<name>``).

        The default is the truncation sweep when ``truncation_sweep`` is set: the same z and classes in
        every row, one row per value. Variants add their own grids by extending this; grids of data
        (a VAE's reconstructions) need ``datamodule``, which the sample-grid callback passes.
        """
        if not self.truncation_sweep or len(self.data_shape) != 3:
            return {}
        labels = self.showcase_labels(columns)
        rows = [self.generate(columns, torch.Generator().manual_seed(seed), labels=labels, truncation=t).samples
                for t in self.truncation_sweep]
        symbol = "t" if self.cfg.variant.truncation_space == "z" else "psi"  # PIL's bitmap font has no ψ
        values = ", ".join(f"{t:g}" for t in self.truncation_sweep)
        return {"truncation": Showcase(torch.cat(rows), columns, f"rows: {symbol} = {values}")}

    def latent_encodings(self, datamodule, seed: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(codes [N, 2], classes [N]) of data, drawn as ``samples/latent-g<step>.png``; None: no such plot."""
        return None

    def log_likelihood(self, images: torch.Tensor, *, k: int, chunk: int, seeds: Sequence[int]) -> dict:
        """Per-image log-likelihood bounds of a likelihood model (``VariantConfig.likelihood_model``)."""
        raise NotImplementedError(f"{self.cfg.variant.name} has no likelihood")

    def position(self) -> str:
        """Where training is, for messages ("G step 120"); families add their own counters."""
        return f"G step {self.g_steps}"

    # ---------------------------------------------------------------- optimizers
    def configure_optimizers(self):
        specs = self.optimizer_specs()
        self._optimizer_names = [spec.name for spec in specs]
        optimizers, schedulers = [], []
        for spec in specs:
            intervals = [reg.every for reg in self.regularizers() if reg.side == spec.name and reg.every > 1]
            lr, betas = lazy_corrected(spec.config, max(intervals, default=1))
            self._base_lrs[spec.name] = lr
            optimizer = make_optimizer(spec.params, spec.config, lr, betas)
            total = self.cfg.train.g_steps
            decay_from = spec.config.decay_from if spec.config.decay_from is not None else total // 2
            schedule = GStepSchedule(spec.config.schedule, spec.config.warmup, decay_from, total)
            optimizers.append(optimizer)
            schedulers.append(torch.optim.lr_scheduler.LambdaLR(optimizer, schedule))
        self._optimizer_configs = [spec.config for spec in specs]
        self._clips = {spec.name: spec.clip for spec in specs}
        self._networks = {spec.name: spec.network for spec in specs}
        return optimizers, schedulers

    def optimizer(self, name: str):
        optimizers = self.optimizers()
        optimizers = optimizers if isinstance(optimizers, list) else [optimizers]
        return optimizers[self._optimizer_names.index(name)]

    def schedulers(self) -> list:
        schedulers = self.lr_schedulers()
        return schedulers if isinstance(schedulers, list) else [schedulers] if schedulers is not None else []

    def update(self, name: str, loss_fn: Callable[[Batch], tuple[torch.Tensor, Logs]], batch: Batch) -> Logs | None:
        """One update of one network; None when the divergence guard rolled training back instead."""
        optimizer = self.optimizer(name)
        # Toggling freezes the other networks' parameters, so they build no graph and get no grad.
        self.toggle_optimizer(optimizer)
        loss, logs = loss_fn(batch)
        optimizer.zero_grad(set_to_none=True)
        if self._plain_backward:
            loss.backward()
        else:  # Lightning's path: DDP's gradient sync, AMP's loss scaling, backward hooks
            self.manual_backward(loss)
        network = getattr(self, self._networks[name])
        if not self.guard.finite(self, loss, network):
            optimizer.zero_grad(set_to_none=True)
            self.untoggle_optimizer(optimizer)
            self.guard.handle(self, self._networks[name], loss)  # raises Diverged, or rolls back
            return None
        self._pending_clip = self._clips[name]
        optimizer.step()  # clipping happens in on_before_optimizer_step, after AMP unscaling
        self._pending_clip = None
        self.untoggle_optimizer(optimizer)
        self.after_update(name)
        return logs

    def on_before_optimizer_step(self, optimizer) -> None:
        # Called by the precision plugin inside step(), after 16-mixed's scaler has unscaled the
        # gradients: clipping before step() would clip gradients still multiplied by the loss scale.
        if self._pending_clip is not None:
            self.clip_gradients(optimizer, gradient_clip_val=self._pending_clip, gradient_clip_algorithm="norm")

    # ---------------------------------------------------------------- the step
    def training_step(self, batch: Batch, batch_idx: int) -> None:
        if self._channels_last and batch.images.dim() == 4:
            batch = batch.to(memory_format=torch.channels_last)  # [N, C, H, W] stored as NHWC
        self.train_on_batch(batch)
        if self.trainer.world_size > 1:  # after the updates, before callbacks checkpoint or evaluate
            self._broadcast_buffers()

    def _broadcast_buffers(self) -> None:
        """Rank 0's buffers (BatchNorm statistics, EMA) to every rank, after each batch.

        DDP broadcasts buffers before a forward only on its own forward passes; under manual
        optimization the later forwards skip it, so each rank's running statistics drift apart and
        every rank would evaluate (and rank 0 checkpoint) with other statistics. One coalesced
        broadcast per batch restores DDP's semantics: rank 0's statistics everywhere.
        """
        buffers = [b for b in self.buffers() if b.dtype.is_floating_point or b.dtype in (torch.long, torch.int)]
        if not buffers:
            return
        for dtype in sorted({b.dtype for b in buffers}, key=str):  # one order on every rank: collectives pair up
            group = [b for b in buffers if b.dtype == dtype]
            flat = torch.cat([b.detach().flatten() for b in group])
            torch.distributed.broadcast(flat, src=0)
            offset = 0
            for b in group:
                b.data.copy_(flat[offset: offset + b.numel()].view_as(b))
                offset += b.numel()

    def finish_g_step(self, row: Logs, counters: dict[str, int] | None = None) -> None:
        """After each G step: EMA, counter, schedules, and the row when one is due.

        row: the step's statistics, logged as train/<name>; counters: logged under their own names.
        Rows go straight to the loggers every train.log_every G steps: Lightning's self.log would cost
        its bookkeeping on every step, and its log_every_n_steps counts batches, not G steps.
        """
        if self.generator_ema is not None:
            if self.g_steps < self.cfg.train.ema_start:  # copies G until the start step
                self.generator_ema.n_averaged.zero_()
            self.generator_ema.update_parameters(self.generator)
        self.g_steps += 1
        for scheduler in self.schedulers():
            scheduler.step()
        if self.g_steps % self.cfg.train.log_every == 0 or self.g_steps == self.cfg.train.g_steps:
            values = {f"train/{name}": float(value) for name, value in row.items()}
            values.update({f"lr/{name}": self.optimizer(name).param_groups[0]["lr"] for name in self._optimizer_names})
            values.update({name: float(value) for name, value in (counters or {}).items()})
            self.last_logged = values
            self.log_now(values)

    def on_fit_start(self) -> None:
        # Every rank starts from the same seed (and DDP copies rank 0's weights); give each rank its
        # own noise stream so fakes and dropout masks differ across ranks.
        # A resumed run keeps the noise stream its checkpoint restored instead.
        if self.trainer.world_size > 1 and not self._resumed:
            torch.manual_seed(self.cfg.train.seed + self.global_rank)

    def configure_model(self) -> None:
        """trainer.channels_last and trainer.compile, before DDP wraps the module and before a resumed
        checkpoint is loaded; in place, so parameter names (and checkpoints) stay the eager module's."""
        t = self.cfg.trainer
        # only convolutional networks gain: an MLP would flatten an NHWC batch through a copy
        self._channels_last = t.channels_last and any(p.dim() == 4 for p in self.parameters())
        if self._channels_last:
            self.to(memory_format=torch.channels_last)  # 4-D weights; every other tensor keeps its layout
        if t.compile is not None:
            for spec in self.optimizer_specs():  # the trained networks; the EMA copy only samples
                getattr(self, spec.network).compile(backend=t.compile)

    def on_train_start(self) -> None:
        self._plain_backward = compat.backward_is_plain(self.trainer, self)
        # A resumed run may train longer (train.g_steps grew): its schedules end at the new last step,
        # from the rate the checkpoint restored (a rolled-back run keeps its lowered base rates).
        self._reschedule()

    def _reschedule(self) -> None:
        total = self.cfg.train.g_steps
        for scheduler, config in zip(self.schedulers(), self._optimizer_configs):
            for schedule in scheduler.lr_lambdas:
                schedule.total = total
                schedule.decay_from = config.decay_from if config.decay_from is not None else total // 2
            for group, base, schedule in zip(scheduler.optimizer.param_groups, scheduler.base_lrs, scheduler.lr_lambdas):
                group["lr"] = base * schedule(scheduler.last_epoch)

    def on_train_batch_end(self, outputs, batch, batch_idx) -> None:
        if self.g_steps >= self.cfg.train.g_steps:
            self.trainer.should_stop = True

    @property
    def logger_step(self) -> int:
        # The step Lightning itself hands to loggers (one per batch), so every row has a rising step.
        return compat.batches_that_stepped(self.trainer)

    def last_checkpoint_path(self):
        from lightning_gan.callbacks import GStepCheckpoint

        found = [c for c in self.trainer.callbacks if isinstance(c, GStepCheckpoint)]
        return found[0].last_path if found else None

    def log_now(self, metrics: dict[str, float]) -> None:
        """Writes a row straight to the loggers, tagged with the G step (rank 0's loggers only write)."""
        for logger in self.trainer.loggers:
            logger.log_metrics({**metrics, "g_step": float(self.g_steps)}, step=self.logger_step)

    # ---------------------------------------------------------------- checkpoint state
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[COUNTERS_KEY] = {"g_steps": self.g_steps, "rollbacks": self.guard.rollbacks, **self.extra_state()}
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
        self.guard.rollbacks = max(self.guard.rollbacks, int(counters.get("rollbacks", 0)))
        self.load_extra_state(counters)
        if RNG_KEY in checkpoint and self._trainer is not None:  # resuming a fit (not loading for evaluation)
            states = checkpoint[RNG_KEY]["ranks"]
            if len(states) == self.trainer.world_size:
                set_rng_state(states[self.trainer.global_rank])
            else:  # another world size: a fresh, still distinct stream per rank
                torch.manual_seed(self.cfg.train.seed + self.trainer.global_rank + 1_000_003 * self.g_steps)
            self._resumed = True

    def roll_back(self, state: dict, lr_factor: float) -> None:
        """Restores a checkpoint's networks, optimizers, schedules and counters, with every rate x lr_factor.

        The schedule keeps its place: the scaled base rate times the schedule's factor at that G step.
        """
        self.load_state_dict(state["state_dict"])
        self.on_load_checkpoint(state)
        for name, saved_opt, saved_sched in zip(self._optimizer_names, state["optimizer_states"], state["lr_schedulers"]):
            optimizer = self.optimizer(name).optimizer
            optimizer.load_state_dict(saved_opt)
            scheduler = self.schedulers()[self._optimizer_names.index(name)]
            scheduler.load_state_dict(saved_sched)
            scheduler.base_lrs = [self._base_lrs[name] * lr_factor for _ in scheduler.base_lrs]
        self._reschedule()


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


def load_module(path: str, map_location: str = "cpu") -> BaseModule:
    """Rebuild any registered variant from a checkpoint (the class comes from its stored config)."""
    from lightning_gan.registry import VARIANTS, load_all

    load_all()
    # weights_only: a checkpoint holds tensors and plain values only, so loading runs no code from it
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    name = checkpoint["hyper_parameters"]["config"]["variant"]["name"]
    return VARIANTS.lookup(name).load_from_checkpoint(path, map_location=map_location, weights_only=True)
