"""``fit``: config -> run directory (config.yaml, checkpoints, samples, metrics.jsonl, W&B run)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch

from lightning_gan.callbacks import GStepCheckpoint, GStepProgressBar, SampleGrid
from lightning_gan.config import Config, ConfigError, Issue, to_dict, to_yaml
from lightning_gan.loggers import JsonlLogger, make_wandb_logger, read_jsonl
from lightning_gan.registry import DATAMODULES, VARIANTS, load_all


@dataclass
class RunResult:
    run_dir: Path
    checkpoint: Path
    final: dict[str, float]  # the last logged value of every metric
    seconds: float
    module: L.LightningModule


def choose_run_dir(cfg: Config) -> Path:
    root = Path(cfg.run.root)
    if cfg.run.name is not None:
        run_dir = root / cfg.run.name
        if run_dir.exists():
            raise ConfigError([Issue("run.name", f"{run_dir} already exists; runs are never overwritten",
                                     "choose another run.name, or leave it unset for a fresh timestamped name")])
        return run_dir
    stem = f"{cfg.variant.name}-{cfg.data.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir, n = root / stem, 1
    while run_dir.exists():
        n += 1
        run_dir = root / f"{stem}-{n}"
    return run_dir


def strategy_for(cfg: Config) -> str:
    if cfg.trainer.strategy == "auto" and cfg.trainer.devices * cfg.trainer.num_nodes > 1:
        # Each update reaches only one network, so DDP must look for unused parameters.
        return "ddp_find_unused_parameters_true"
    return cfg.trainer.strategy


def fit(cfg: Config, verbose: bool = True) -> RunResult:
    load_all()
    run_dir = choose_run_dir(cfg)
    datamodule = DATAMODULES[cfg.data.name](cfg.data, seed=cfg.train.seed)
    datamodule.prepare_data()
    datamodule.setup("fit")  # a missing or malformed data set fails here, before any output is written
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(to_yaml(cfg))

    if cfg.trainer.cpu_threads > 0:
        torch.set_num_threads(cfg.trainer.cpu_threads)
    L.seed_everything(cfg.train.seed, workers=True, verbose=False)
    module = VARIANTS[cfg.variant.name](to_dict(cfg), data_shape=datamodule.sample_shape,
                                        num_classes=datamodule.num_classes)
    checkpoints = GStepCheckpoint(run_dir / "checkpoints", every=cfg.train.checkpoint_every)
    loggers = [JsonlLogger(run_dir / "metrics.jsonl")]
    wandb_logger = make_wandb_logger(cfg, run_dir, run_dir.name)
    if wandb_logger is not None:
        loggers.append(wandb_logger)
    callbacks = [SampleGrid(run_dir / "samples", cfg.train.sample_every, cfg.train.num_grid_samples, cfg.train.seed),
                 checkpoints]
    if verbose:
        callbacks.append(GStepProgressBar(refresh_rate=cfg.train.log_every))
    trainer = L.Trainer(
        accelerator=cfg.trainer.accelerator, devices=cfg.trainer.devices, num_nodes=cfg.trainer.num_nodes,
        strategy=strategy_for(cfg), precision=cfg.trainer.precision, deterministic=cfg.trainer.deterministic,
        max_epochs=-1, max_steps=-1,  # the module stops itself after train.g_steps G steps
        log_every_n_steps=cfg.train.log_every * cfg.train.k,  # batches; G steps land on every k-th batch
        logger=loggers, enable_checkpointing=False, enable_model_summary=False, default_root_dir=run_dir,
        enable_progress_bar=verbose, callbacks=callbacks,
    )
    start = time.perf_counter()
    trainer.fit(module, datamodule=datamodule)
    seconds = time.perf_counter() - start
    if wandb_logger is not None and trainer.is_global_zero:
        wandb_logger.experiment.finish()  # forked DDP workers never run W&B's atexit: flush explicitly
    final: dict[str, float] = {}
    for row in read_jsonl(run_dir / "metrics.jsonl"):
        final.update(row)
    result = RunResult(run_dir, checkpoints.last_path, final, seconds, module)
    if verbose and trainer.is_global_zero:
        print(describe(result))
    return result


def describe(result: RunResult) -> str:
    run_dir = result.run_dir
    samples = sorted((run_dir / "samples").glob("*.png"))
    lines = [f"\nrun directory: {run_dir}",
             f"  config      {run_dir / 'config.yaml'}",
             f"  checkpoint  {result.checkpoint}",
             f"  metrics     {run_dir / 'metrics.jsonl'}",
             f"  samples     {samples[-1] if samples else '(none)'}  ({len(samples)} frames)"]
    offline = sorted((run_dir / "wandb").glob("offline-run-*"))
    if offline:
        lines.append(f"  W&B         {offline[-1]}  (offline; upload with: wandb sync {offline[-1]})")
    shown = {k: v for k, v in result.final.items() if k.startswith(("train/", "eval/"))}
    lines.append(f"finished {int(result.final.get('g_step', 0))} G steps in {result.seconds:.1f} s: "
                 + ", ".join(f"{k.split('/', 1)[1]}={v:.3g}" for k, v in sorted(shown.items())))
    return "\n".join(lines)
