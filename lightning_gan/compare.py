"""``lightning-gan compare RUN_DIR... | SWEEP_DIR``: what the W&B dashboard shows, without a server.

Each run is read from its offline W&B file (history, run name, wall time), or from ``metrics.jsonl``
when W&B was disabled; its config from ``config.yaml``, flattened to the dotted keys sweeps use.
Writes ``compare.md`` and ``compare.csv`` (config axes that differ, best and final metric, final
D(x) / D(G(z)), G steps, training seconds) and PNG plots: the metric against G steps, the D(x) and
D(G(z)) curves, and the best metric against each axis that varies.

Runs are named by their directory (as ``sweep``'s ranking names them); legends use the W&B run name,
which spells the swept values by their full keys. Durations are training seconds (the training
loop, summed over resumes, from ``timing.jsonl``), the same figure ``sweep`` reports.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lightning_gan.config import ConfigError, Issue, flatten
from lightning_gan.keys import metric_goal

PREFERRED = ("eval/fid", "eval/domain_fid", "eval/parzen_ll", "eval/mode_kl")  # default metric, in this order


@dataclass
class RunData:
    path: Path
    label: str  # the W&B run name (variant-data and swept values) or the directory name
    config: dict[str, Any]  # flat dotted keys
    rows: list[dict]
    seconds: float | None  # training seconds (see train_seconds)
    state: str = ""  # from the sweep's records, when compared as a sweep

    def series(self, key: str) -> tuple[list[float], list[float]]:
        pairs = [(r.get("g_step"), r[key]) for r in self.rows if key in r and isinstance(r[key], (int, float))]
        pairs = [(g, v) for g, v in pairs if g is not None]
        return [g for g, _ in pairs], [v for _, v in pairs]

    @property
    def g_steps(self) -> int:
        return int(max((r.get("g_step", 0) for r in self.rows), default=0))


def train_seconds(run_dir: Path) -> float | None:
    """Seconds in the training loop, summed over every process that trained the run (timing.jsonl)."""
    from lightning_gan.jsonl import read_jsonl

    path = Path(run_dir) / "timing.jsonl"
    rows = read_jsonl(path) if path.is_file() else []
    return round(sum(r["train_seconds"] for r in rows), 1) if rows else None


def load_run(path: Path, state: str = "") -> RunData:
    """From the offline W&B file; from metrics.jsonl when W&B was off or its file holds fewer rows."""
    from lightning_gan.wandb_offline import richest_rows

    config = flatten(yaml.safe_load((path / "config.yaml").read_text()) or {})
    rows, run = richest_rows(path)
    label = (run.run_info.get("name") if run is not None else None) or path.name
    return RunData(path, label, config, rows, train_seconds(path), state)


def find_runs(paths: list[str]) -> tuple[list[RunData], dict | None]:
    """Run directories, sweep directories (their runs, in order) or folders of runs; sweep spec if any."""
    from lightning_gan.sweep import STATE_FILE, SweepState
    from lightning_gan.sweep_spec import read_sweep

    runs, spec, problems = [], None, []
    for raw in paths:
        path = Path(raw)
        if (path / STATE_FILE).is_file():
            state = SweepState.load(path)
            spec = spec or (read_sweep(state.file) if Path(state.file).is_file() else None)
            runs += [load_run(path / r.run_dir, r.state) for r in state.runs  # run_dir is relative to the sweep
                     if r.run_dir and (path / r.run_dir / "config.yaml").is_file()]
        elif (path / "config.yaml").is_file():
            runs.append(load_run(path))
        elif path.is_dir() and any((p / "config.yaml").is_file() for p in path.iterdir()):
            runs += [load_run(p) for p in sorted(path.iterdir()) if (p / "config.yaml").is_file()]
        else:
            problems.append(Issue(raw, "not a run directory (no config.yaml), a sweep directory (no sweep.json) "
                                       "or a folder of runs", "pass runs/<run> or runs/sweep-<name>"))
    if problems:
        raise ConfigError(problems)
    if not runs:
        raise ConfigError([Issue(" ".join(paths), "holds no finished runs yet", "run `lightning-gan fit` or a sweep first")])
    return runs, spec


def choose_metric(runs: list[RunData], requested: str | None) -> str | None:
    keys = {k for run in runs for row in run.rows for k in row}
    if requested:
        if requested not in keys:
            close = sorted(k for k in keys if k.startswith("eval/"))
            raise ConfigError([Issue("--metric", f"{requested!r} was not logged by these runs",
                                     f"choose one of: {', '.join(close) or 'no eval/ keys: set eval.every'}")])
        return requested
    ranked = sorted((k for k in keys if metric_goal(k)), key=lambda k: next(
        (i for i, p in enumerate(PREFERRED) if k.startswith(p)), len(PREFERRED)))
    return ranked[0] if ranked else None


def _axes(runs: list[RunData], swept: list[str]) -> list[str]:
    """The config keys whose value differs between the runs (a sweep's parameters first): only they
    explain a difference, so only they get a column and a plot."""
    keys = swept or sorted({k for r in runs for k in r.config if not k.startswith("run.")})
    return [k for k in keys if len({json.dumps(r.config.get(k)) for r in runs}) > 1]


def _best(values: list[float], goal: str) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return (min if goal == "minimize" else max)(finite) if finite else None


def table_rows(runs: list[RunData], metric: str | None, goal: str, axes: list[str]) -> tuple[list[str], list[list[Any]]]:
    head = ["run", *axes] + ([f"best {metric}", f"final {metric}"] if metric else []) + \
           ["final D(x)", "final D(G(z))", "G steps", "train s"] + (["state"] if any(r.state for r in runs) else [])
    rows = []
    for run in runs:
        values = run.series(metric)[1] if metric else []
        cells = [run.path.name, *[run.config.get(a) for a in axes]]
        if metric:
            cells += [_best(values, goal), values[-1] if values else None]
        cells += [(run.series(k)[1] or [None])[-1] for k in ("train/D_x", "train/D_G_z")]
        cells += [run.g_steps, run.seconds]
        rows.append(cells + ([run.state] if any(r.state for r in runs) else []))
    if metric:  # best first; runs without the metric last
        col = head.index(f"best {metric}")
        rows.sort(key=lambda c: (c[col] is None, 0 if c[col] is None else (c[col] if goal == "minimize" else -c[col])))
    return head, rows


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def plot(runs: list[RunData], metric: str | None, goal: str, axes: list[str], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if metric:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for run in runs:
            steps, values = run.series(metric)
            if values:
                ax.plot(steps, values, marker="o", ms=3, label=run.label)
        ax.set(xlabel="G steps", ylabel=metric, title=f"{metric} per run")
        _integer_ticks(ax.xaxis)
        _legend_below(fig, ax)
        written.append(_save(fig, out / "metric_vs_g_steps.png"))
    fig, panels = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for panel, key, title in ((panels[0], "train/D_x", "D(x)"), (panels[1], "train/D_G_z", "D(G(z))")):
        for run in runs:
            steps, values = run.series(key)
            panel.plot(steps, values, lw=1, label=run.label)
        panel.set(xlabel="G steps", ylabel=f"{title} ({key}): mean over the D steps", title=title)
        panel.yaxis.set_tick_params(labelleft=True)
        _integer_ticks(panel.xaxis)
    _legend_below(fig, panels[0])  # one legend for both panels: the same runs in the same colours
    written.append(_save(fig, out / "d_balance.png"))
    if metric:
        for axis in axes:
            points = [(r.config.get(axis), _best(r.series(metric)[1], goal)) for r in runs]
            points = [(x, y) for x, y in points if y is not None]
            if len({json.dumps(x) for x, _ in points}) < 2:  # a value that never varied explains nothing
                continue
            fig, ax = plt.subplots(figsize=(5, 4))
            xs = [x for x, _ in points]
            numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
            if numeric:
                ax.scatter(xs, [y for _, y in points])
                if min(xs) > 0 and max(xs) / min(xs) > 10:
                    ax.set_xscale("log")
                elif all(isinstance(x, int) for x in xs):
                    _integer_ticks(ax.xaxis)
            else:
                names = sorted({str(x) for x in xs})
                ax.scatter([names.index(str(x)) for x in xs], [y for _, y in points])
                ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
                ax.set_xlim(-0.5, len(names) - 0.5)
            ax.set(xlabel=axis, ylabel=f"best {metric}", title=f"best {metric} vs {axis}")
            written.append(_save(fig, out / f"metric_vs_{axis.replace('/', '_')}.png"))
    return written


def _integer_ticks(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, nbins="auto"))


def _legend_below(fig, ax) -> None:
    """One legend under the plot, in as many columns as fit: long run names never cover the curves."""
    handles, labels = ax.get_legend_handles_labels()
    fig.tight_layout()  # the axes first; the legend then hangs below them (savefig's tight box keeps it)
    if handles:
        width = max(len(label) for label in labels)
        columns = max(1, min(len(labels), int(fig.get_figwidth() * 14 // max(width, 1))))
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=columns, fontsize=7,
                   frameon=False)


def _save(fig, path: Path) -> Path:
    if not fig.legends:  # tight_layout would move the axes over a figure legend
        fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def compare(paths: list[str], metric: str | None = None, out: str | None = None) -> tuple[str, Path]:
    """Writes the report; returns the markdown table and the output directory."""
    runs, spec = find_runs(paths)
    metric = choose_metric(runs, metric or ((spec or {}).get("metric") or {}).get("name"))
    spec_metric = (spec or {}).get("metric") or {}
    goal = spec_metric.get("goal", "minimize") if metric == spec_metric.get("name") else metric_goal(metric or "") or "minimize"
    axes = _axes(runs, list((spec or {}).get("parameters", {})))
    head, rows = table_rows(runs, metric, goal, axes)
    out_dir = Path(out) if out else (Path(paths[0]) / "compare" if spec is not None and len(paths) == 1 else Path("compare"))
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "compare.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(head)
        writer.writerows([["" if c is None else c for c in row] for row in rows])
    table = "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                      + ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows])
    images = plot(runs, metric, goal, axes, out_dir)
    (out_dir / "compare.md").write_text(
        f"# {len(runs)} runs" + (f", ranked by {metric}" if metric else "") + "\n\n" + table + "\n\n"
        + "\n".join(f"![{p.stem}]({p.name})" for p in images) + "\n")
    return table, out_dir
