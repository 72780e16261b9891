"""`lightning-gan compare`: the dashboard's table and plots from offline runs."""
import csv
import time
from pathlib import Path

from lightning_gan.cli import main
from lightning_gan.config import load_config
from lightning_gan.runs import fit

TINY = ["data.n_samples=1024", "data.batch_size=64", "train.g_steps=40", "train.log_every=10",
        "train.sample_every=1000", "train.checkpoint_every=1000", "eval.every=20", "eval.num_samples=200",
        "run.wandb.mode=offline", "trainer.accelerator=cpu"]


def test_compare_two_runs_writes_the_table_and_plots(capsys):
    runs, elapsed = [], {}
    for k in (1, 2):
        started = time.perf_counter()
        runs.append(fit(load_config(None, TINY + [f"train.k={k}", f"run.name=k{k}"]), verbose=False))
        elapsed[f"k{k}"] = time.perf_counter() - started
    assert main(["compare", *(str(r.run_dir) for r in runs), "--out", "cmp"]) == 0
    out = capsys.readouterr().out
    with open("cmp/compare.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["run"] for r in rows) == ["k1", "k2"]
    assert {"train.k", "best eval/parzen_ll200", "final eval/parzen_ll200", "final D(x)", "G steps", "wall s"} <= set(rows[0])
    for row in rows:  # the figures are the runs' own
        run = next(r for r in runs if r.run_dir.name == row["run"])
        assert float(row["final eval/parzen_ll200"]) == run.final["eval/parzen_ll200"]
        assert int(row["G steps"]) == 40
        assert 0.1 < float(row["wall s"]) <= elapsed[row["run"]] + 0.05  # W&B's runtime: inside this run's fit
    best = [float(r["best eval/parzen_ll200"]) for r in rows]
    assert best == sorted(best, reverse=True)  # higher log-likelihood ranks first
    assert "| run | train.k |" in out and Path("cmp/compare.md").read_text().count("![") == 3
    for name in ("metric_vs_g_steps.png", "d_balance.png", "metric_vs_train.k.png"):
        assert (Path("cmp") / name).stat().st_size > 5000


def test_compare_rejects_a_path_without_runs(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(tmp_path / "empty")]) == 2
    assert "not a run directory" in capsys.readouterr().err
