"""Callbacks scheduled in G steps: sample grids, checkpoints, the progress bar; and the data position.

Lightning's own schedules (ModelCheckpoint's ``every_n_train_steps``, the progress bar's batch
count) follow ``trainer.global_step`` or batches, which in manual optimization count optimizer
steps (k + 1 per G step); these callbacks read the module's own ``g_steps`` instead.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm
from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.utilities import rank_zero_only
from lightning.pytorch.utilities.exceptions import SIGTERMException

from lightning_gan import compat
from lightning_gan.plots import save_image_grid, save_latent_scatter, save_scatter


class DataPosition(Callback):
    """Keeps the resumable train loader's position (data/resumable.py) in step with training.

    It counts a batch as consumed when the training step takes it (Lightning prefetches one ahead),
    and on resume hands the checkpoint's loader state to the data module before the loader is built.
    """

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        loader = trainer.train_dataloader
        if hasattr(loader, "batch_consumed"):
            loader.batch_consumed()

    def on_load_checkpoint(self, trainer, module, checkpoint) -> None:
        state = compat.saved_train_loader_state(checkpoint)
        if state is not None and trainer.datamodule is not None:
            trainer.datamodule.resume_position = state


class _EveryGSteps(Callback):
    """Fires ``fire`` after every ``every``-th G step and once more when training ends."""

    def __init__(self, every: int):
        self.every = every
        self._last_fired = -1

    def fire(self, trainer: L.Trainer, module) -> None:
        raise NotImplementedError

    def on_train_start(self, trainer, module) -> None:
        self._last_fired = module.g_steps  # a resumed run does not redo what its checkpoint's step did

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if module.g_steps % self.every == 0 and module.g_steps != self._last_fired and module.g_steps > 0:
            self._last_fired = module.g_steps
            self.fire(trainer, module)

    def on_train_end(self, trainer, module) -> None:
        if module.g_steps != self._last_fired:
            self._last_fired = module.g_steps
            self.fire(trainer, module)


class SampleGrid(_EveryGSteps):
    """Samples from one fixed noise batch, so grids over time show G's progress on the same z.

    Images become a PNG grid; 2D points a scatter over the real data, with the data module's
    ``sample_metrics`` (mode coverage) logged alongside. Both go to ``samples/`` and to W&B.
    """

    def __init__(self, out_dir: Path, every: int, num_images: int, seed: int):
        super().__init__(every)
        self.out_dir = Path(out_dir)
        self.num_images = num_images
        self.seed = seed

    def _noise(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed)  # the same z at every firing

    def fire(self, trainer, module) -> None:
        datamodule = trainer.datamodule
        if len(module.data_shape) == 1:
            samples = module.generate(self.num_images * 25, self._noise()).samples.float().cpu()
            if hasattr(datamodule, "sample_metrics"):
                module.log_now({f"eval/{k}": v for k, v in datamodule.sample_metrics(samples).items()})
            self._write(trainer, module, samples, datamodule, None, "")
        else:
            grid = module.sample_grid(datamodule, self.num_images, self.seed)
            self._write(trainer, module, grid.images.float().cpu(), datamodule, grid.columns, grid.caption)
        for name, grid in module.showcase_grids(self.seed, datamodule=datamodule).items():
            self._write_showcase(trainer, module, name, grid)
        if (encodings := module.latent_encodings(datamodule, self.seed)) is not None:
            self._write_latents(trainer, module, *encodings)

    @rank_zero_only
    def _write_latents(self, trainer, module, codes, classes) -> None:
        path = self.out_dir / f"latent-g{module.g_steps:07d}.png"
        title = f"G step {module.g_steps}, posterior means of {len(codes)} images by class"
        save_latent_scatter(path, codes, classes, title)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image("samples/latent", [str(path)], step=module.logger_step, caption=[title])

    @rank_zero_only
    def _write_showcase(self, trainer, module, name: str, grid) -> None:
        path = self.out_dir / f"{name}-g{module.g_steps:07d}.png"
        title = f"G step {module.g_steps}, {grid.caption}"
        save_image_grid(path, grid.images.float().cpu(), columns=grid.columns, title=title)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(f"samples/{name}", [str(path)], step=module.logger_step, caption=[title])

    @rank_zero_only
    def _write(self, trainer, module, samples, datamodule, columns, caption: str) -> None:
        path = self.out_dir / f"g{module.g_steps:07d}.png"
        title = f"{module.cfg.variant.name} on {module.cfg.data.name}, G step {module.g_steps}"
        if len(module.data_shape) == 1:
            real = datamodule.x[: len(samples)]
            save_scatter(path, samples, real, title)
        else:
            save_image_grid(path, samples, columns=columns, title=f"G step {module.g_steps}" + (f", {caption}" if caption else ""))
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image("samples", [str(path)], step=module.logger_step, caption=[title])


class EvalMetrics(_EveryGSteps):
    """Evaluates G every N G steps and logs ``eval/<metric><count>`` (e.g. ``eval/fid10k``).

    The evaluator (Inception, classifier, torchmetrics states) lives here, not in the LightningModule,
    so none of it enters a checkpoint. Every rank generates its share and calls compute().
    """

    def __init__(self, evaluator, every: int):
        super().__init__(every)
        self.evaluator = evaluator

    def on_fit_start(self, trainer, module) -> None:
        distributed = trainer.world_size > 1
        self.evaluator.bind(rank=trainer.global_rank, world_size=trainer.world_size, device=module.device,
                            gather=module.all_gather if distributed else None)
        if not trainer.is_global_zero:
            self.evaluator.log = lambda *a: None

    def fire(self, trainer, module) -> None:
        results = self.evaluator.run(module.generate, score=module.log_likelihood)
        module.log_now({f"eval/{k}": v for k, v in results.items()})


class GStepCheckpoint(_EveryGSteps):
    """Writes ``last.ckpt`` every N G steps and at the end, atomically (temp file + rename)."""

    def __init__(self, directory: Path, every: int):
        super().__init__(every)
        self.directory = Path(directory)

    @property
    def last_path(self) -> Path:
        return self.directory / "last.ckpt"

    def on_fit_start(self, trainer, module) -> None:
        # A kill between Lightning's write and our rename leaves a full-size temporary file; no other
        # writer of this directory is alive when a fit (or a resume) of this run starts.
        if trainer.is_global_zero and self.directory.is_dir():
            for stale in self.directory.glob(".last.ckpt.tmp*"):
                stale.unlink(missing_ok=True)

    def fire(self, trainer, module) -> None:
        if not all(torch.isfinite(p).all() for p in module.parameters()):
            # Same on every rank (DDP keeps parameters equal): the last finite checkpoint stays in place.
            module.print(f"G step {module.g_steps}: parameters are not finite; {self.last_path.name} is not overwritten")
            return
        tmp = self.directory / f".last.ckpt.tmp{os.getpid()}"
        trainer.save_checkpoint(tmp, weights_only=False)  # every rank calls it; rank 0 writes
        if trainer.is_global_zero:
            os.replace(tmp, self.last_path)  # a kill mid-write never leaves a corrupt last.ckpt
        trainer.strategy.barrier("lightning_gan_checkpoint")

    def on_exception(self, trainer, module, exception: BaseException) -> None:
        """Preemption (SIGTERM): Lightning ends the batch, then raises; save so `--resume` loses nothing."""
        if isinstance(exception, SIGTERMException) and module.g_steps != self._last_fired:
            self._last_fired = module.g_steps
            self.fire(trainer, module)


class GStepProgressBar(TQDMProgressBar):
    """One bar over the whole run, counted in G steps (epochs mean little for GAN training).

    A resumed run's bar starts at the restored G step, and its rate counts only this process's steps.
    """

    def on_train_start(self, trainer, module) -> None:
        # Lightning's own bar would first draw "Training: 0/?" (per epoch); tqdm's rate counts from `initial`
        self.train_progress_bar = Tqdm(desc="G steps", total=module.cfg.train.g_steps, initial=module.g_steps,
                                       position=2 * self.process_position, disable=self.is_disabled, leave=True,
                                       dynamic_ncols=True, file=sys.stdout, smoothing=0, bar_format=self.BAR_FORMAT)

    def on_train_epoch_start(self, trainer, *_: Any) -> None:
        """The bar spans epochs: Lightning's reset to a per-epoch count is skipped."""

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        bar = self.train_progress_bar
        if bar is not None and not bar.disable and module.g_steps != bar.n:
            if module.g_steps % max(self.refresh_rate, 1) == 0 or module.g_steps == bar.total:
                bar.n = module.g_steps
                bar.set_postfix(self.get_metrics(trainer, module), refresh=False)
                bar.refresh()

    def on_train_epoch_end(self, trainer, module) -> None:
        """The bar spans epochs; it is closed in on_train_end."""

    def get_metrics(self, trainer, module) -> dict:
        """The last logged row's training statistics, by short name (rows bypass Lightning's self.log)."""
        return {key.split("/", 1)[1]: f"{value:.3g}" for key, value in module.last_logged.items()
                if key.startswith("train/")}
