"""Loggers: metrics as JSON lines in the run directory, and W&B set up offline-first."""
from __future__ import annotations

import json
import netrc
import os
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers import Logger, WandbLogger
from lightning.pytorch.utilities import rank_zero_only

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
        row = {"step": step, **{k: float(v) for k, v in metrics.items()}}
        with self.path.open("a") as handle:
            handle.write(json.dumps(row) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


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


def make_wandb_logger(cfg: Config, run_dir: Path, run_name: str) -> WandbLogger | None:
    mode = wandb_mode(cfg.run.wandb.mode)
    if mode == "disabled":
        return None
    group = cfg.run.wandb.group or f"{cfg.variant.name}-{cfg.data.name}"
    tags = [cfg.variant.name, cfg.data.name, cfg.loss, f"k={cfg.train.k}", *cfg.run.wandb.tags]
    logger = WandbLogger(name=run_name, save_dir=str(run_dir), project=cfg.run.wandb.project,
                         entity=cfg.run.wandb.entity, group=group, tags=tags, mode=mode,
                         job_type="fit")
    # Flat dotted keys: the names sweeps use and W&B's grouping / parallel-coordinates panels read.
    logger.log_hyperparams(flatten(to_dict(cfg)))
    return logger
