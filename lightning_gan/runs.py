"""``fit``: config -> run directory (config.yaml, checkpoints, samples, metrics.jsonl, W&B run)."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import lightning as L
from lightning.fabric.utilities.exceptions import MisconfigurationException
import torch

from lightning_gan.callbacks import DataPosition, EvalMetrics, GStepCheckpoint, GStepProgressBar, SampleGrid
from lightning_gan.config import Config, ConfigError, Issue, to_dict, to_yaml
from lightning_gan.evaluation import facts_of
from lightning_gan.keys import eval_keys
from lightning_gan.jsonl import append_jsonl, read_jsonl
from lightning_gan.loggers import JsonlLogger, make_wandb_logger
from lightning_gan.module import COUNTERS_KEY
from lightning_gan.quiet import silence_third_party_noise
from lightning_gan.registry import DATAMODULES, VARIANTS, load_all
from lightning_gan.run_dirs import (RUN_DIR_ENV, RUN_ROOT_ENV, cluster_launch, cluster_rank_dir, exists_error,
                                     launched_rank_dir, make_run_dir)


@dataclass
class RunResult:
    run_dir: Path
    checkpoint: Path
    final: dict[str, float]  # the last logged value of every metric
    seconds: float  # this process's training loop (trainer.fit), not the run's total
    module: L.LightningModule
    g_steps_at_start: int = 0  # the G step a resumed run continued from (0 for a new run)


def strategy_for(cfg: Config) -> str:
    if cfg.trainer.strategy == "auto" and cfg.trainer.devices * cfg.trainer.num_nodes > 1:
        # Each update reaches only one network, so DDP must look for unused parameters.
        return "ddp_find_unused_parameters_true"
    return cfg.trainer.strategy


@dataclass(frozen=True)
class Resume:
    checkpoint: Path  # the run's checkpoints/last.ckpt
    g_steps: int  # the G step it holds


def resume_config(run_dir: str | Path, overrides=()) -> tuple[Config, Resume]:
    """The run's own config (plus overrides) and its last checkpoint, checked before anything loads.

    A missing, damaged or foreign checkpoint is an error: a resume never silently starts afresh.
    """
    from lightning_gan.config import load_config

    path = Path(run_dir)
    if not (path / "config.yaml").is_file():
        raise ConfigError([Issue("--resume", f"{path} is not a run directory (no config.yaml)",
                                 "pass a directory written by `lightning-gan fit`, e.g. runs/<run>")])
    ckpt = path / "checkpoints" / "last.ckpt"
    if not ckpt.is_file():
        raise ConfigError([Issue("--resume", f"{path} has no checkpoints/last.ckpt, so there is nothing to resume",
                                 f"start anew instead: lightning-gan fit {path / 'config.yaml'} run.name=<new name>")])
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        saved, done = state["hyper_parameters"]["config"], int(state[COUNTERS_KEY]["g_steps"])
    except Exception as err:  # noqa: BLE001 - truncated, foreign or pickled-code files alike
        raise ConfigError([Issue("--resume", f"{ckpt} is damaged or not a lightning-gan checkpoint "
                                 f"({type(err).__name__})", "restore it from a copy, or start anew under a new run.name")]) from None
    for arg in overrides:  # another variant or data set: say so before its schema complains about keys
        key, _, value = arg.removeprefix("--").partition("=")
        section = key.split(".")[0]
        if key in ("variant.name", "data.name") and value != saved[section]["name"]:
            raise ConfigError([Issue(key, f"the checkpoint was trained with {section} {saved[section]['name']!r}, "
                                     f"not {value!r}", f"resume without {key}; for a new {section}, start a new run")])
    cfg = load_config(path / "config.yaml", overrides)
    for section in ("variant", "data"):
        if saved[section] != to_dict(cfg)[section] and (section == "variant" or saved["data"]["name"] != cfg.data.name):
            raise ConfigError([Issue(section, f"the checkpoint was trained with {section} {saved[section]['name']!r} "
                                     "settings that differ from this config's", f"resume without {section}.* overrides")])
    if cfg.train.g_steps <= done:  # a step more would change a finished run's final state
        raise ConfigError([Issue("train.g_steps", f"{path} is already at G step {done} of {cfg.train.g_steps}: "
                                 "nothing to resume", f"to train longer, pass train.g_steps=N with N > {done}")])
    return cfg, Resume(ckpt, done)


def _trim_metrics(run_dir: Path, g_steps: int) -> None:
    """Rows logged after the checkpoint (by the process that died) move aside: the resumed run logs them again."""
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return
    rows = read_jsonl(path)
    keep = [r for r in rows if r.get("g_step", 0) <= g_steps]
    if len(keep) < len(rows):
        with (run_dir / "metrics.discarded.jsonl").open("a") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in rows if r.get("g_step", 0) > g_steps)
        tmp = path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in keep))
        os.replace(tmp, path)


def _wandb_run_id(run_dir: Path) -> str | None:
    """The id in wandb/<offline->run-<time>-<id>/run-<id>.wandb (ids may contain dashes: sweep runs)."""
    files = sorted((run_dir / "wandb").glob("*run-*/run-*.wandb"), key=lambda p: p.parent.name)
    return files[-1].name.removeprefix("run-").removesuffix(".wandb") if files else None


def fit(cfg: Config, verbose: bool = True, resume: Resume | None = None, callbacks: list | None = None) -> RunResult:
    """Everything that can fail on bad input (data, networks, Trainer) runs before the directory exists.

    resume: from ``resume_config``; the run continues in its directory and W&B run.
    callbacks: extra Lightning callbacks (e.g. checks of a run from a script or a test).
    """
    load_all()
    silence_third_party_noise()
    if os.environ.get(RUN_ROOT_ENV) and resume is None:
        cfg.run.root = os.environ[RUN_ROOT_ENV]
    named = Path(cfg.run.root) / cfg.run.name if cfg.run.name else None
    # Set in every process but rank 0's. A resumed run's directory is the --resume path on every rank.
    launch = cluster_launch()
    if resume is not None and launch is not None and launch[1] > 1 and launch[0] > 0:
        other_rank_dir = resume.checkpoint.parent.parent
    else:
        other_rank_dir = launched_rank_dir() or (cluster_rank_dir(cfg) if resume is None else None)
    if named is not None and named.exists() and other_rank_dir is None and resume is None:
        raise exists_error(named)  # before any data is read; make_run_dir re-checks atomically
    datamodule = DATAMODULES.lookup(cfg.data.name)(cfg.data, seed=cfg.train.seed)
    datamodule.prepare_data()
    datamodule.setup("fit")
    if verbose and other_rank_dir is None:
        print(f"data: {cfg.data.name}: {datamodule.source}")
    if cfg.trainer.cpu_threads > 0:
        torch.set_num_threads(cfg.trainer.cpu_threads)
    L.seed_everything(cfg.train.seed, workers=True, verbose=False)
    variant_cls = VARIANTS.lookup(cfg.variant.name)
    if cfg.variant.conditional and datamodule.num_classes < 2:
        raise ConfigError([Issue("variant.name", f"{cfg.variant.name} is class-conditional, and this {cfg.data.name} "
                                 "data has one class", "use labelled data, or an unconditional variant")])
    module = variant_cls(to_dict(cfg), data_shape=datamodule.sample_shape, num_classes=datamodule.num_classes,
                         label_prior=datamodule.label_prior)
    run_dir = other_rank_dir or Path(cfg.run.root) / "pending"  # paths are bound once it exists
    jsonl = JsonlLogger(run_dir / "metrics.jsonl")
    sample_grid = SampleGrid(run_dir / "samples", cfg.train.sample_every, cfg.train.num_grid_samples, cfg.train.seed)
    checkpoints = GStepCheckpoint(run_dir / "checkpoints", every=cfg.train.checkpoint_every)
    # The checkpoint goes last: at a step where several fire, it records only work already done, so a
    # kill right after it loses no sample grid or evaluation of that step.
    callbacks = [DataPosition(), sample_grid, *(callbacks or [])]
    if cfg.eval.every > 0:  # weights / classifier are resolved here: a missing one fails before training
        from lightning_gan.evaluation import make_evaluator

        evaluator = make_evaluator(datamodule, cfg, conditional=module.conditional,
                                   log=print if verbose else (lambda *a: None))
        callbacks.append(EvalMetrics(evaluator, cfg.eval.every))
    callbacks.append(checkpoints)
    callbacks += ([GStepProgressBar(refresh_rate=cfg.train.log_every)] if verbose else [])
    try:
        trainer = L.Trainer(
            accelerator=cfg.trainer.accelerator, devices=cfg.trainer.devices, num_nodes=cfg.trainer.num_nodes,
            strategy=strategy_for(cfg), precision=cfg.trainer.precision, deterministic=cfg.trainer.deterministic,
            max_epochs=-1, max_steps=-1,  # the module stops itself after train.g_steps G steps
            use_distributed_sampler=False,  # the resumable loader shards itself (data/resumable.py)
            sync_batchnorm=cfg.trainer.sync_batchnorm,
            logger=[jsonl], enable_checkpointing=False, enable_model_summary=False,
            log_every_n_steps=1,  # rows bypass self.log (BaseModule.finish_g_step); this only quiets its warning
            enable_progress_bar=verbose, callbacks=callbacks)
    except (MisconfigurationException, ValueError, RuntimeError) as err:
        raise ConfigError([Issue("trainer", str(err).splitlines()[0],
                                 "check trainer.accelerator / devices / num_nodes / precision for this machine")]) from None

    resumed_at = resume.g_steps if resume is not None else 0
    if resume is not None and other_rank_dir is None:
        run_dir = resume.checkpoint.parent.parent
        _trim_metrics(run_dir, resumed_at)
        if (run_dir / "config.yaml").read_text() != to_yaml(cfg):  # overrides (e.g. a longer run): keep the old one
            os.replace(run_dir / "config.yaml", run_dir / f"config.before-resume-g{resumed_at}.yaml")
            (run_dir / "config.yaml").write_text(to_yaml(cfg))
        os.environ[RUN_DIR_ENV] = str(run_dir)
    elif other_rank_dir is None:
        run_dir = make_run_dir(cfg)
        (run_dir / "config.yaml").write_text(to_yaml(cfg))
        os.environ[RUN_DIR_ENV] = str(run_dir)  # DDP processes launched by trainer.fit inherit it
    jsonl.path = run_dir / "metrics.jsonl"
    sample_grid.out_dir, checkpoints.directory = run_dir / "samples", run_dir / "checkpoints"
    wandb_logger = make_wandb_logger(cfg, run_dir, run_dir.name, metric_keys=eval_keys(cfg, facts_of(datamodule)),
                                     resume_id=_wandb_run_id(run_dir) if resume is not None else None)
    if other_rank_dir is None:  # one row per process start: a resumed run may read other files
        append_jsonl(run_dir / "data.jsonl", {"g_step": resumed_at, "name": cfg.data.name, "source": datamodule.source,
                                              "samples": len(datamodule.x), "shape": list(datamodule.sample_shape)})
    if wandb_logger is not None:
        wandb_logger.log_hyperparams({"data_source": datamodule.source})
        trainer.loggers = [jsonl, wandb_logger]

    start = time.perf_counter()
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=str(resume.checkpoint) if resume is not None else None)
    finally:
        os.environ.pop(RUN_DIR_ENV, None)
    seconds = time.perf_counter() - start
    if trainer.is_global_zero:  # compare and sweep report this (summed over resumes), not a process's wall time
        append_jsonl(run_dir / "timing.jsonl", {"g_step_start": resumed_at, "g_step_end": module.g_steps,
                                                "train_seconds": round(seconds, 1)})
    if not trainer.is_global_zero:
        return RunResult(run_dir, checkpoints.last_path, {}, seconds, module, resumed_at)
    if wandb_logger is not None:
        wandb_logger.experiment.finish()  # flush now: the run is read back (and may be synced) right away
    final: dict[str, float] = {}
    for row in read_jsonl(run_dir / "metrics.jsonl"):
        final.update(row)
    result = RunResult(run_dir, checkpoints.last_path, final, seconds, module, resumed_at)
    if verbose:
        print(describe(result))
    return result


def describe(result: RunResult) -> str:
    run_dir = result.run_dir
    samples = sorted((run_dir / "samples").glob("g*.png"))  # the sample grids; showcases are beside them
    lines = [f"\nrun directory: {run_dir}",
             f"  config      {run_dir / 'config.yaml'}",
             f"  checkpoint  {result.checkpoint}",
             f"  metrics     {run_dir / 'metrics.jsonl'}",
             f"  samples     {samples[-1] if samples else '(none)'}  ({len(samples)} frames)"]
    offline = sorted((run_dir / "wandb").glob("offline-run-*"))
    if offline:
        lines.append(f"  W&B         {offline[-1]}  (offline; upload with: wandb sync {offline[-1]})")
    shown = {k: v for k, v in result.final.items() if k.startswith(("train/", "eval/"))}
    total = int(result.final.get("g_step", result.module.g_steps))
    trained = total - result.g_steps_at_start
    done = (f"trained {trained} G steps in {result.seconds:.1f} s (resumed at G step {result.g_steps_at_start}, "
            f"now {total})" if result.g_steps_at_start else f"trained {trained} G steps in {result.seconds:.1f} s")
    lines.append(f"{done}: " + ", ".join(f"{k.split('/', 1)[1]}={v:.3g}" for k, v in sorted(shown.items())))
    return "\n".join(lines)
