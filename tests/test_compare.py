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
    assert {"train.k", "best eval/parzen_ll200", "final eval/parzen_ll200", "final D(x)", "G steps", "train s"} <= set(rows[0])
    assert "data.n_samples" not in rows[0]  # an axis that does not vary gets no column (nor a plot)
    for row in rows:  # the figures are the runs' own
        run = next(r for r in runs if r.run_dir.name == row["run"])
        assert float(row["final eval/parzen_ll200"]) == run.final["eval/parzen_ll200"]
        assert int(row["G steps"]) == 40
        assert float(row["train s"]) == round(run.seconds, 1) < elapsed[row["run"]]  # the training loop's seconds
    best = [float(r["best eval/parzen_ll200"]) for r in rows]
    assert best == sorted(best, reverse=True)  # higher log-likelihood ranks first
    assert "| run | train.k |" in out and Path("cmp/compare.md").read_text().count("![") == 3
    for name in ("metric_vs_g_steps.png", "d_balance.png", "metric_vs_train.k.png"):
        assert (Path("cmp") / name).stat().st_size > 5000


def test_compare_plots_have_labels_integer_ticks_and_one_legend_with_full_keys(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from lightning_gan import compare as cmp

    figures = {}
    monkeypatch.setattr(cmp, "_save", lambda fig, path: figures.setdefault(path.name, fig) and path)
    rows = [{"g_step": g, "eval/fid": 10.0 / g + k, "train/D_x": 0.5, "train/D_G_z": 0.4} for g in (1, 2, 3)
            for k in (0,)]
    runs = [cmp.RunData(Path(f"r{k}"), f"gan-mixture train.k={k} optim.d.lr=0.001", {"train.k": k, "loss": name,
                        "data.batch_size": 64}, [dict(r, **{"eval/fid": r["eval/fid"] + k}) for r in rows], 1.0)
            for k, name in ((1, "hinge"), (2, "non_saturating"), (3, "least_squares"))]
    axes = cmp._axes(runs, [])
    assert axes == ["loss", "train.k"]  # data.batch_size is the same in every run
    cmp.plot(runs, "eval/fid", "minimize", axes, Path("."))
    for fig in figures.values():
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()
        assert len(fig.legends) + sum(ax.get_legend() is not None for ax in fig.axes) <= 1
    legend = figures["d_balance.png"].legends[0]
    assert [t.get_text() for t in legend.get_texts()][0] == "gan-mixture train.k=1 optim.d.lr=0.001"
    k_axis = figures["metric_vs_train.k.png"].axes[0]
    assert all(float(t).is_integer() for t in k_axis.get_xticks())  # no 1.5 between k=1 and k=2
    loss_axis = figures["metric_vs_loss.png"].axes[0]
    assert [t.get_rotation() for t in loss_axis.get_xticklabels()] == [30.0] * 3  # long names do not collide


def test_compare_rejects_a_path_without_runs(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(tmp_path / "empty")]) == 2
    assert "not a run directory" in capsys.readouterr().err
