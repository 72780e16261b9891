"""Sweeps offline with W&B's own engine: proposals, commands, read-back, hyperband, resume, validation."""
import csv
import json
import os
from pathlib import Path

import pytest
import yaml

from lightning_gan.cli import main
from lightning_gan.sweep import RunRecord, SweepRunner, SweepState, format_ranking, propose, ranking
from lightning_gan.sweep_spec import SweepError, agent_command, read_sweep, validate_sweep
from lightning_gan.wandb_offline import read_offline_run

REPO = Path(__file__).resolve().parents[1]
# A few seconds of training per run: the default 2D mixture, small batches, evaluations every 20 G steps.
TINY = ["data.n_samples=2048", "data.batch_size=64", "train.log_every=10", "train.sample_every=1000",
        "train.checkpoint_every=1000", "eval.every=20", "eval.num_samples=200", "eval.metrics=[modes,parzen]"]


def write_sweep(tmp_path, method="grid", parameters=None, g_steps=60, args=(), metric="eval/parzen_ll200",
                **extra) -> Path:
    spec = {"program": "lightning_gan/__main__.py", "method": method, "metric": {"name": metric, "goal": "maximize"},
            "parameters": parameters or {"train.k": {"values": [1, 2]}, "loss": {"values": ["non_saturating", "hinge"]}},
            "command": ["${env}", "${interpreter}", "-m", "lightning_gan", "fit", f"train.g_steps={g_steps}", *TINY, *args,
                        "${args_no_hyphens}"], **extra}
    path = tmp_path / f"{method}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_four_run_grid_sweep_logs_its_proposals_and_ranks_by_the_metric(tmp_path, capsys):
    path = write_sweep(tmp_path)
    assert main(["sweep", str(path), "--count", "5", "--dir", "sw", "--quiet"]) == 0  # the grid has 4 cells
    out = capsys.readouterr().out
    state = SweepState.load(Path("sw"))
    records = state.runs
    assert [r.state for r in records] == ["finished"] * 4
    assert {(r.params["train.k"], r.params["loss"]) for r in records} == {(1, "non_saturating"), (1, "hinge"),
                                                                         (2, "non_saturating"), (2, "hinge")}
    for record in records:
        run = read_offline_run(Path("sw") / record.run_dir)
        for key, value in record.params.items():  # the logged config equals the proposal
            assert run.config[key] == value
        assert run.run_info["group"] == f"sweep-grid-{state.sweep_id}"
        assert f"k={record.params['train.k']}" in run.run_info["name"] and record.params["loss"] in run.run_info["name"]
        assert {"mixture", record.params["loss"], f"k={record.params['train.k']}"} <= set(run.run_info["tags"])
        logged = [row["eval/parzen_ll200"] for row in run.history if "eval/parzen_ll200" in row]
        assert record.history == logged and len(logged) == 3  # G steps 20, 40, 60: read back from the W&B file
        assert run.summary["eval/parzen_ll200"]["max"] == pytest.approx(max(logged))  # best, not last
        assert record.g_steps == 60
    best = sorted(records, key=lambda r: -max(r.history))
    assert [r.id for r in ranking(records, "eval/parzen_ll200", "maximize")] == [r.id for r in best]
    table = format_ranking(records, "eval/parzen_ll200", "maximize")
    assert table in out
    first_row = table.splitlines()[2].split()
    assert first_row[:2] == ["1", Path(best[0].run_dir).name]  # the run's directory, as compare names it
    with (Path("sw") / "compare" / "compare.csv").open() as handle:
        compared = {row["run"]: row for row in csv.DictReader(handle)}
    for record in records:  # one duration for one run in both reports: its training loop's seconds
        assert record.train_seconds is not None and record.train_seconds < record.seconds
        assert float(compared[Path(record.run_dir).name]["train s"]) == record.train_seconds
        assert f"train.k={record.params['train.k']}" in read_offline_run(Path("sw") / record.run_dir).run_info["name"]
    sweep_dir = Path("sw").resolve()
    os.chdir(tmp_path.parent)  # compare finds the runs from anywhere (paths are stored relative to the sweep)
    assert main(["compare", str(sweep_dir), "--out", str(tmp_path / "cmp")]) == 0
    assert len((tmp_path / "cmp" / "compare.csv").read_text().splitlines()) == 5
    os.chdir(tmp_path)

    # Resume: a run whose runner died is proposed again; finished runs are not repeated.
    raw = json.loads((Path("sw") / "sweep.json").read_text())
    lost = raw["runs"][-1]
    raw["runs"][-1].update(state="running", history=[], run_dir=None)
    (Path("sw") / "sweep.json").write_text(json.dumps(raw))
    again = SweepRunner(path, count=5, directory="sw", log=lambda *_: None).run()
    assert [r.id for r in again[:3]] == [r.id for r in records[:3]]
    assert again[3].params == lost["params"] and again[3].id != lost["id"] and again[3].state == "finished"
    assert [r.state for r in SweepState.load(Path("sw")).runs] == ["finished"] * 3 + ["interrupted", "finished"]


def test_hyperband_stops_a_run_that_is_clearly_worse_at_the_bracket(tmp_path):
    # Wide modes (3σ = 0.9) make "high quality" reachable in a few G steps; at G lr 1e-9 the samples
    # stay a blob at the origin, far from the ring: none is ever high quality.
    path = write_sweep(tmp_path, parameters={"optim.g.lr": {"values": [0.001, 0.002, 1e-9]}}, g_steps=500,
                       args=["data.sigma=0.3", "data.batch_size=256", "eval.every=50"], metric="eval/high_quality200",
                       early_terminate={"type": "hyperband", "min_iter": 2, "eta": 2})
    *good, bad = SweepRunner(path, count=3, directory="sw", log=lambda *_: None).run()
    assert [r.state for r in good] == ["finished"] * 2 and all(len(r.history) == 10 for r in good)
    assert bad.state == "stopped" and bad.g_steps < 500 and 3 <= len(bad.history) < 10  # band 2: from the third value
    assert max(bad.history) < min(r.history[2] for r in good)
    assert read_offline_run(Path("sw") / bad.run_dir).history  # what it logged before the stop survives


def test_a_sweep_without_metric_and_a_broken_command(tmp_path, capsys):
    spec = yaml.safe_load(write_sweep(tmp_path, method="random", parameters={"train.k": {"values": [1, 2]}}).read_text())
    del spec["metric"]
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(spec))
    (record,) = SweepRunner(tmp_path / "plain.yaml", count=1, directory="sw", log=lambda *_: None).run()
    assert record.state == "finished" and record.g_steps == 60 and record.history == []
    # A command that passes validation but fails in every run (no GPU here): the sweep ends after 3.
    spec["command"].insert(-1, "trainer.accelerator=gpu")
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(spec))
    assert main(["sweep", str(tmp_path / "broken.yaml"), "--count", "5", "--dir", "sw2"]) == 2
    assert "the first 3 runs failed" in capsys.readouterr().err
    assert [r.state for r in SweepState.load(Path("sw2")).runs] == ["failed"] * 3


def test_bayes_proposals_depend_on_the_results_fed_back():
    spec = {"method": "bayes", "metric": {"name": "m", "goal": "maximize"},
            "parameters": {"optim.d.lr": {"min": 0.0, "max": 1.0}}}
    xs = [0.05, 0.25, 0.5, 0.75, 0.95]

    def records(peak):
        return [RunRecord(id=str(i), params={"optim.d.lr": x}, state="finished", history=[-(x - peak) ** 2])
                for i, x in enumerate(xs)]

    low, high = propose(spec, records(0.1), seed=0), propose(spec, records(0.9), seed=0)
    assert low != high
    assert low["optim.d.lr"] < 0.5 < high["optim.d.lr"]
    assert propose(spec, records(0.1), seed=0) == low  # reproducible for the same results and seed
    # random: the n-th proposal depends on the seed and n only, so a resumed sweep proposes it again
    spec = {**spec, "method": "random"}
    assert propose(spec, records(0.1)[:3], seed=4) == propose(spec, records(0.9)[:3], seed=4)
    assert propose(spec, records(0.1)[:3], seed=4) != propose(spec, records(0.1)[:2], seed=4)


def test_commands_equal_what_wandb_agent_builds(tmp_path, monkeypatch):
    import wandb.wandb_agent as agent_module

    captured = {}

    class FakeProcess:
        def __init__(self, command=None, env=None, **_):
            captured["command"] = command

    monkeypatch.setattr(agent_module, "AgentProcess", FakeProcess)
    for key in ("WANDB_RUN_ID", "WANDB_SWEEP_PARAM_PATH", "WANDB_SWEEP_ID"):
        monkeypatch.setenv(key, "x")  # the agent sets these; monkeypatch restores them afterwards
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    for file in sorted((REPO / "sweeps").glob("*.yaml")):
        spec = read_sweep(file)
        params = propose(spec, [], seed=1)
        agent = agent_module.Agent.__new__(agent_module.Agent)
        agent._sweep_command, agent._function, agent._in_jupyter = spec.get("command"), None, False
        agent._forward_signals, agent._run_processes, agent._log = False, {}, []
        agent._command_run({"run_id": "r1", "program": spec["program"],
                            "args": {k: {"value": v} for k, v in params.items()}})
        assert agent_command(spec, params) == captured["command"], file.name


@pytest.mark.parametrize("file", sorted(p.name for p in (REPO / "sweeps").glob("*.yaml")))
def test_every_sweep_file_validates_against_its_config(file, monkeypatch, capsys):
    monkeypatch.chdir(REPO)  # the commands name configs/ relative to the repository
    assert main(["sweep", f"sweeps/{file}", "--check"]) == 0
    assert "valid; first command:" in capsys.readouterr().out
    spec = read_sweep(REPO / "sweeps" / file)
    cfg = validate_sweep(spec)
    assert spec["method"] in ("grid", "random", "bayes") and "${args_no_hyphens}" in spec["command"]
    assert spec["metric"]["name"].startswith("eval/") and cfg.eval.every > 0
    assert all("." in name or name == "loss" for name in spec["parameters"])


DELETE = object()  # a key the bad file leaves out

BAD = [
    ({"parameters": {"optim.d.lrr": {"values": [1e-4]}}}, "parameters.optim.d.lrr", "did you mean 'optim.d.lr'"),
    ({"parameters": {"train.k": {"values": [0, 1]}}}, "parameters.train.k", "must be >= 1"),
    ({"parameters": {"train.k": {"values": ["two"]}}}, "parameters.train.k", "value 'two'"),
    ({"parameters": {"optim": {"parameters": {"d.lr": {"values": [1e-4]}}}}}, "parameters.optim", "flat dotted"),
    ({"metric": {"name": "eval/fid10k", "goal": "minimize"}}, "metric.name", "eval/parzen_ll200"),
    ({"metric": {"name": "eval/parzen_ll200", "goal": "minimize"}}, "metric.goal", "better when higher"),
    ({"method": "gird"}, "method", "'gird' is not one of"),
    ({"parameters": {"optim.d.lr": {"min": 1e-4, "max": 1e-3}}}, "parameters.optim.d.lr", "disallowed in grid search"),
    ({"command": ["${env}", "${interpreter}", "-m", "lightning_gan", "fit"]}, "command", "${args_no_hyphens}"),
    ({"method": "random", "parameters": {"train.k": {"distribution": "uniform", "min": 1, "max": 4}}},
     "parameters.train.k", "could not be converted to Integer"),  # the engine draws floats here
    ({"parameters": {"run.name": {"values": ["a", "b"]}}}, "run.name", "name their own directories"),
    ({"parameters": {"eval.num_samples": {"values": [200, 300]}}}, "metric.name", "'eval/parzen_ll200' is not a key"),
    ({"method": "bayes", "parameters": {"train.k": {"value": 1}}}, "parameters", "searchable"),
    ({"early_terminate": {"type": "hyperband", "max_iter": 2, "eta": 3, "s": 2}}, "early_terminate", "Bands"),
    ({"early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 2}}, "early_terminate.min_iter", "a run logs 3"),
    # W&B's documented shape: a relative program run by ${program}, looked up from the working directory
    ({"program": "nowhere/train.py", "command": ["${env}", "${interpreter}", "${program}", "fit", *TINY, "${args}"]},
     "program", "'nowhere/train.py' does not exist, looked up from"),
    ({"method": "bayes", "metric": DELETE}, "metric", "bayes needs a metric"),
    ({"method": "random", "parameters": {"optim.d.lr": {"distribution": "q_log_uniform_values", "min": 1e-4,
                                                        "max": 1e-2}}},
     "parameters.optim.d.lr", "rounds to multiples of q = 1 (the default)"),
    ({"method": "random", "parameters": {"data.batch_size": {"distribution": "q_log_uniform_values", "min": 16,
                                                             "max": 256}}},
     "parameters.data.batch_size", "for an integer key use distribution: int_uniform"),
    ({"command": DELETE}, "command", "W&B runs its default, ${env} ${interpreter} ${program} ${args}: no `fit`"),
    ({"run_cap": 0}, "run_cap", "must be a positive integer"),
]


@pytest.mark.parametrize("change, key, message", BAD, ids=[b[1] + ":" + b[2][:12] for b in BAD])
def test_a_bad_sweep_exits_2_naming_the_key_before_any_run(tmp_path, capsys, change, key, message):
    spec = yaml.safe_load(write_sweep(tmp_path).read_text())
    spec.update(change)
    spec = {k: v for k, v in spec.items() if v is not DELETE}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["sweep", str(path), "--count", "2", "--dir", "sw"]) == 2
    err = capsys.readouterr().err
    assert f"  {key}" in err and message in err
    assert not os.path.exists("sw")


def test_run_cap_caps_the_sweep_as_wandb_agent_does(tmp_path):
    runner = SweepRunner(write_sweep(tmp_path, run_cap=3), count=8, directory="sw", log=lambda *_: None)
    assert runner.count == 3 and "run_cap" not in runner.spec  # the engine's schema never sees it


def test_a_sweep_whose_every_run_failed_does_not_exit_0(tmp_path, capsys, monkeypatch):
    # Fewer failures than the runner's give-up count (3, tested above with real failing runs): the
    # runner returns normally, and the command must still say it failed.
    failed = [RunRecord(id=f"x-{i}", params={"train.k": 1}, state="failed") for i in range(2)]
    monkeypatch.setattr(SweepRunner, "run", lambda self: failed)
    assert main(["sweep", str(write_sweep(tmp_path)), "--count", "2", "--dir", "sw"]) == 1
    assert "every run failed: read sw/logs" in capsys.readouterr().err
    monkeypatch.setattr(SweepRunner, "run", lambda self: [*failed, RunRecord(id="x-2", params={}, state="finished")])
    assert main(["sweep", str(write_sweep(tmp_path)), "--count", "3", "--dir", "sw2"]) == 0


def test_a_sweep_directory_of_another_sweep_is_refused(tmp_path, capsys):
    first = write_sweep(tmp_path)
    Path("sw").mkdir()
    SweepState(str(first), "other-digest", 0, "abc").save(Path("sw"))
    assert main(["sweep", str(first), "--dir", "sw"]) == 2
    assert "holds a sweep of another file or seed" in capsys.readouterr().err
    with pytest.raises(SweepError, match="must be >= 1"):
        SweepRunner(first, count=0, directory="sw2")
