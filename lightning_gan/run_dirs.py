"""Run directories: created atomically, never reused, and shared by every process of a multi-device run."""
from __future__ import annotations

import os
import time
from pathlib import Path

from lightning_gan.config import Config, ConfigError, Issue

RUN_DIR_ENV = "LIGHTNING_GAN_RUN_DIR"  # rank 0's run directory, inherited by the DDP processes it launches
# Replaces run.root: `lightning-gan sweep` keeps a sweep's runs in its directory without changing the
# command that `wandb agent` would build.
RUN_ROOT_ENV = "LIGHTNING_GAN_RUN_ROOT"


def make_run_dir(cfg: Config) -> Path:
    """Creates the run directory; an existing one is never reused (mkdir is the atomic check)."""
    root = Path(cfg.run.root)
    # Under a sweep agent the W&B run id names the directory, so agent, dashboard and disk agree.
    suffix = os.environ.get("WANDB_RUN_ID") or time.strftime("%Y%m%d-%H%M%S")
    stem = cfg.run.name or f"{cfg.variant.name}-{cfg.data.name}-{suffix}"
    for n in range(1, 1000):
        run_dir = root / (stem if n == 1 else f"{stem}-{n}")
        try:
            run_dir.mkdir(parents=True)
            return run_dir
        except FileExistsError:
            if cfg.run.name is not None:
                raise exists_error(run_dir) from None
        except OSError as err:
            raise ConfigError([Issue("run.root", f"cannot create {run_dir}: {err.strerror}",
                                     "point run.root at a writable directory")]) from None
    raise ConfigError([Issue("run.root", f"too many runs named {stem}* in {root}", "set run.name")])


def exists_error(run_dir: Path) -> ConfigError:
    return ConfigError([Issue("run.name", f"{run_dir} already exists; runs are never overwritten",
                              "choose another run.name, or leave it unset for a fresh timestamped name")])


def launched_rank_dir() -> Path | None:
    """In a DDP process started by Lightning's launcher (LOCAL_RANK > 0): rank 0's run directory."""
    if int(os.environ.get("LOCAL_RANK", "0")) > 0 and os.environ.get(RUN_DIR_ENV):
        return Path(os.environ[RUN_DIR_ENV])
    return None


def cluster_launch() -> tuple[int, int] | None:
    """(global rank, world size) when a cluster launcher started every process (torchrun, SLURM srun)."""
    if "TORCHELASTIC_RUN_ID" in os.environ:
        return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    if int(os.environ.get("SLURM_NTASKS", "1")) > 1 and os.environ.get("SLURM_JOB_NAME") not in ("bash", "interactive"):
        return int(os.environ.get("SLURM_PROCID", "0")), int(os.environ["SLURM_NTASKS"])
    return None


def cluster_rank_dir(cfg: Config) -> Path | None:
    """Under torchrun / SLURM every rank runs this code: all use the one directory that rank 0 creates."""
    launch = cluster_launch()
    if launch is None or launch[1] < 2:
        return None
    if cfg.run.name is None:
        raise ConfigError([Issue("run.name", f"this run was started by a cluster launcher on {launch[1]} processes, "
                                 "which cannot share a generated directory name",
                                 "set run.name=<name> so that every rank writes to one run directory")])
    return Path(cfg.run.root) / cfg.run.name if launch[0] > 0 else None
