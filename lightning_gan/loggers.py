"""Loggers: metrics as JSON lines in the run directory, and W&B set up offline-first."""
from __future__ import annotations

import netrc
import os
from pathlib import Path
from typing import Any

import yaml
from lightning.pytorch.loggers import Logger, WandbLogger
from lightning.pytorch.utilities import rank_zero_only

from lightning_gan import compat
from lightning_gan.jsonl import append_jsonl
from lightning_gan.config import Config, flatten, to_dict


class JsonlLogger(Logger):
    """Appends one JSON object per logged row to ``metrics.jsonl``: readable with no server."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)

    @property
    def name(self) -> str:
        return "jsonl"

    @property
    def version(self) -> int:
        return 0

    @rank_zero_only
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        """The resolved config is already saved as config.yaml in the run directory."""

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        append_jsonl(self.path, {"step": step, **{k: float(v) for k, v in metrics.items()}})


def wandb_mode(requested: str) -> str:
    """auto -> online only when W&B is configured on this machine; otherwise offline files."""
    if requested != "auto":
        return requested
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    try:
        host = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai").split("//")[-1]
        if netrc.netrc().authenticators(host):
            return "online"
    except (FileNotFoundError, netrc.NetrcParseError):
        pass
    return "offline"


def sweep_values() -> dict[str, Any]:
    """The swept values of this run, from the file `wandb agent` (and `lightning-gan sweep`) writes."""
    path = os.environ.get("WANDB_SWEEP_PARAM_PATH")
    if not path or not Path(path).is_file():
        return {}
    loaded = yaml.safe_load(Path(path).read_text()) or {}
    return {k: v["value"] for k, v in loaded.items() if isinstance(v, dict) and "value" in v}


def display_name(cfg: Config, fallback: str) -> str:
    """variant-data plus the swept values by their full keys (`dcgan-fashion_mnist train.k=2 optim.d.lr=0.0001`).

    Full keys, because a leaf alone is ambiguous (`lr` of G or of D?) in dashboards and legends.
    """
    values = sweep_values()
    if not values:
        return fallback
    return " ".join([f"{cfg.variant.name}-{cfg.data.name}"] + [f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                                                                 for k, v in values.items()])


def make_wandb_logger(cfg: Config, run_dir: Path, run_name: str, metric_keys: set[str] = frozenset(),
                      resume_id: str | None = None) -> WandbLogger | None:
    """metric_keys: the run's eval/ keys; those with a direction get best-value summaries (min FID, not last).

    resume_id: a resumed run logs into its W&B run (same id, resume="allow").
    """
    from lightning_gan.keys import metric_goal

    mode = wandb_mode(cfg.run.wandb.mode)
    if mode == "disabled":
        return None
    # `lightning-gan sweep` groups a sweep's runs through WANDB_RUN_GROUP (under `wandb agent` the sweep does).
    group = cfg.run.wandb.group or os.environ.get("WANDB_RUN_GROUP") or f"{cfg.variant.name}-{cfg.data.name}"
    tags = [cfg.variant.name, cfg.data.name, *family_tags(cfg), *cfg.run.wandb.tags]
    # Absolute: W&B's service process, started by the first run of this Python process, resolves
    # relative paths against its own working directory, not ours.
    logger = WandbLogger(name=display_name(cfg, run_name), save_dir=str(run_dir.resolve()), project=cfg.run.wandb.project,
                         entity=cfg.run.wandb.entity, group=group, tags=tags, mode=mode, job_type="fit",
                         **({"id": resume_id, "resume": "allow"} if resume_id else {}))
    compat.drop_unset_wandb_anonymous(logger)
    # Flat dotted keys: the names sweeps use and W&B's grouping / parallel-coordinates panels read.
    logger.log_hyperparams(flatten(to_dict(cfg)))
    run = logger.experiment
    for pattern in ("train/*", "eval/*"):  # charts against G steps, not Lightning's batch counter
        run.define_metric(pattern, step_metric="g_step")
    for key in sorted(metric_keys):
        goal = metric_goal(key)
        if goal is not None:
            run.define_metric(key, step_metric="g_step", summary=("min" if goal == "minimize" else "max") + ",last")
    return logger


def family_tags(cfg: Config) -> list[str]:
    """The adversarial axes as W&B tags (loss, k, penalty); a family without them has none."""
    penalty = getattr(cfg, "penalty", None)
    if penalty is None:
        return []
    k = "k=adaptive" if cfg.train.k_schedule == "adaptive" else f"k={cfg.train.k}"
    return [cfg.loss, k, *([f"penalty={penalty.name}"] if penalty.name != "none" else []),
            *(["spectral_norm"] if penalty.spectral_norm_d or penalty.spectral_norm_g else [])]
