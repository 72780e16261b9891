"""``lightning-gan sweep SWEEP.yaml --count N``: a W&B sweep run offline, with W&B's own engine.

Per run: the engine (``sweeps.next_run``) proposes values from the results so far; the command is
the one ``wandb agent`` builds for them, started with the environment an agent gives a run
(``WANDB_RUN_ID``, ``WANDB_SWEEP_PARAM_PATH``) and W&B offline; while it trains, its logged metric
goes to ``sweeps.stop_runs`` (hyperband), and a run told to stop gets SIGTERM, as from an agent. The
finished run's metric is read back from its offline W&B file and fed to the next proposal.

The sweep directory holds ``sweep.json`` (every run's values, state and metric), the runs, their
logs and, at the end, a comparison report. Re-running the same command resumes: finished runs are
kept, an interrupted one is proposed again. Proposals are reproducible: the engine's random state
is seeded from ``--seed`` and the number of results it has seen.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lightning_gan.compare import train_seconds
from lightning_gan.config import Issue
from lightning_gan.jsonl import read_jsonl
from lightning_gan.run_dirs import RUN_ROOT_ENV
from lightning_gan.sweep_spec import (SweepError, _plain, agent_command, engine, engine_spec, read_sweep,
                                      validate_sweep)

STATE_FILE = "sweep.json"
POLL_SECONDS = 0.5
KILL_DELAY = 30  # seconds between SIGTERM and SIGKILL, as wandb agent waits
MAX_INITIAL_FAILURES = 3  # consecutive failures before any success end the sweep (a broken command)
# A hyperband-stopped run's logged values are real results: bayes uses them (rather than imputing the worst).
ENGINE_STATES = {"finished": "finished", "stopped": "finished", "failed": "failed", "running": "running"}


@dataclass
class RunRecord:
    id: str
    params: dict[str, Any]
    state: str = "running"  # running | finished | stopped (by hyperband) | failed | interrupted
    run_dir: str | None = None
    history: list[float] = field(default_factory=list)  # the sweep metric, every logged value in order
    g_steps: int = 0
    summary: Any = None  # the W&B summary entry of the metric ({"min": .., "last": ..} with define_metric)
    exit_code: int | None = None
    seconds: float = 0.0  # the run's process, start to exit (startup and evaluation included)
    train_seconds: float | None = None  # its training loop, from the run's timing.jsonl (what compare shows)

    def engine_run(self, metric: str | None):
        sweeps = engine()
        return sweeps.SweepRun(  # by alias: pydantic 2 silently drops the field names
            name=self.id, state=ENGINE_STATES[self.state], config={k: {"value": v} for k, v in self.params.items()},
            sampledHistory=[{metric: v} for v in self.history] if metric else [],
            summaryMetrics={metric: self.summary} if metric and self.summary is not None else {})

    def best(self, goal: str) -> float | None:
        finite = [v for v in self.history if np.isfinite(v)]
        return (min if goal == "minimize" else max)(finite) if finite else None


@dataclass
class SweepState:
    file: str
    digest: str  # of the sweep file's content and the seed: a directory holds one sweep
    seed: int
    sweep_id: str
    runs: list[RunRecord] = field(default_factory=list)

    def save(self, directory: Path) -> None:
        tmp = directory / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=1))
        os.replace(tmp, directory / STATE_FILE)  # a kill mid-write keeps the previous state

    @classmethod
    def load(cls, directory: Path) -> "SweepState | None":
        path = directory / STATE_FILE
        if not path.is_file():
            return None
        raw = json.loads(path.read_text())
        return cls(**{**raw, "runs": [RunRecord(**r) for r in raw["runs"]]})


def propose(spec: dict, done: list[RunRecord], seed: int) -> dict[str, Any] | None:
    """The engine's next proposal given every ended run; None when a grid is exhausted."""
    metric = (spec.get("metric") or {}).get("name")
    runs = [r.engine_run(metric) for r in done]
    state = seed * 100_003 + len(done)  # the same results give the same proposal, also after a resume
    random.seed(state)
    np.random.seed(state % 2**32)
    proposal = engine().next_run(spec, runs, validate=True)
    return None if proposal is None else {k: _plain(v["value"]) for k, v in proposal.config.items()}


def child_env(record: RunRecord, param_path: Path, group: str, runs_root: Path) -> dict[str, str]:
    """An agent's run environment, offline, free of this process's W&B service and sweep variables."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("WANDB_SERVICE", "WANDB_RUN_ID", "WANDB_RUN_GROUP") and not k.startswith("WANDB_SWEEP_")}
    env.update(WANDB_MODE="offline", WANDB_RUN_ID=record.id, WANDB_SWEEP_PARAM_PATH=str(param_path),
               WANDB_RUN_GROUP=group, WANDB_SILENT="true", **{RUN_ROOT_ENV: str(runs_root)})
    # ${interpreter} is the literal `python`: resolve it to this interpreter, whatever PATH holds.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def read_result(run_dir: Path | None, metric: str | None) -> tuple[list[float], int, Any]:
    """The metric's values, the last G step and the W&B summary entry, from the run's offline files
    (the W&B file, what the dashboard shows after `wandb sync`, unless metrics.jsonl holds more)."""
    from lightning_gan.wandb_offline import richest_rows

    if run_dir is None:
        return [], 0, None
    rows, run = richest_rows(run_dir)
    steps = int(max((r.get("g_step", 0) for r in rows), default=0))
    summary = run.summary.get(metric) if run is not None and metric else None
    return [r[metric] for r in rows if metric and metric in r], steps, summary


def live_result(run_dir: Path | None, metric: str) -> tuple[list[float], int]:
    """While a run trains: metrics.jsonl only, flushed row by row (the W&B file lags by 32 KiB blocks)."""
    path = run_dir / "metrics.jsonl" if run_dir is not None else None
    rows = read_jsonl(path) if path is not None and path.is_file() else []
    return [r[metric] for r in rows if metric in r], int(max((r.get("g_step", 0) for r in rows), default=0))


class SweepRunner:
    def __init__(self, sweep_file: str | Path, *, count: int, directory: str | Path | None = None, seed: int = 0,
                 log: Callable[[str], None] = print):
        self.file = Path(sweep_file).resolve()
        spec = read_sweep(self.file)
        self.count, self.seed, self.log = count, seed, log
        if count < 1:
            raise SweepError([Issue("--count", f"must be >= 1, got {count}", "e.g. --count 8")])
        self.cfg = validate_sweep(spec, str(self.file))  # before any directory or run exists
        self.spec = engine_spec(spec)
        if spec.get("run_cap") is not None and spec["run_cap"] < count:  # W&B's agent stops at run_cap too
            self.count = spec["run_cap"]
            log(f"run_cap {spec['run_cap']} caps the sweep at {self.count} runs (--count {count})")
        if self.cfg.run.wandb.mode == "online":
            raise SweepError([Issue("run.wandb.mode", "online, but an offline sweep runs W&B offline",
                                    "drop run.wandb.mode from the command (or use wandb agent for online runs)")])
        self.metric = (self.spec.get("metric") or {}).get("name")
        self.goal = (self.spec.get("metric") or {}).get("goal", "minimize")
        digest = hashlib.sha1(self.file.read_bytes() + f"|seed={seed}".encode()).hexdigest()
        self.directory = Path(directory) if directory else Path(self.cfg.run.root) / f"sweep-{self.file.stem}-seed{seed}"
        self.state = SweepState.load(self.directory) if self.directory.is_dir() else None
        if self.state is not None and self.state.digest != digest:
            raise SweepError([Issue("--dir", f"{self.directory} holds a sweep of another file or seed "
                                             f"({self.state.file}, seed {self.state.seed})",
                                    "pass a new --dir, or the same file and --seed to resume it")])
        if self.state is None:
            if self.directory.exists() and any(self.directory.iterdir()):
                raise SweepError([Issue("--dir", f"{self.directory} exists and is not a sweep directory",
                                        "pass an empty or new --dir")])
            # The digest ties the directory to its file and seed; the random part keeps W&B run ids unique
            # when the same sweep is run again elsewhere and synced into one project.
            self.state = SweepState(str(self.file), digest, seed, sweep_id=f"{digest[:4]}{os.urandom(2).hex()}")
        self.group = f"sweep-{self.file.stem}-{self.state.sweep_id}"

    def preflight(self) -> None:
        """The first run's command can start from here: its executable exists, and so does a script it runs.

        A schema cannot see this (W&B's documented ``program: path/to/script.py`` with ``${program}`` is
        looked up from the working directory); without it every run fails in a second.
        """
        command = agent_command(self.spec, propose(self.spec, [], self.seed) or {})
        parts = command[1:] if command and command[0] == "/usr/bin/env" else command
        if not parts or shutil.which(parts[0]) is None:
            raise SweepError([Issue("command", f"cannot find the program {parts[0] if parts else ''!r} to run",
                                    "use command: [lightning-gan, fit, CONFIG.yaml, ${args_no_hyphens}] in the "
                                    "environment where lightning-gan is installed")])
        script = parts[1] if len(parts) > 1 and Path(parts[0]).name.startswith("python") else None
        if script is not None and not script.startswith("-") and not Path(script).is_file():
            raise SweepError([Issue("program" if script == self.spec.get("program") else "command",
                                    f"{script!r} does not exist, looked up from {Path.cwd()}: every run would fail",
                                    "run the sweep from the directory that holds it, give its absolute path, or use "
                                    "command: [lightning-gan, fit, CONFIG.yaml, ${args_no_hyphens}]")])

    # ------------------------------------------------------------------ the loop
    def run(self) -> list[RunRecord]:
        from filelock import FileLock, Timeout

        self.preflight()  # before the sweep directory exists
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            lock = FileLock(str(self.directory / ".lock"), timeout=0).acquire()
        except Timeout:
            raise SweepError([Issue("--dir", f"another `lightning-gan sweep` is running in {self.directory}",
                                    "wait for it, or pass another --dir")]) from None
        with lock, _signals_interrupt():
            for record in self.state.runs:
                if record.state == "running":  # its process died with the previous runner
                    record.state = "interrupted"
                    self.log(f"run {record.id} was interrupted; its values will be proposed again")
            self.state.save(self.directory)
            failures = 0
            while len(self.ended) < self.count:
                params = propose(self.spec, self.ended, self.seed)
                if params is None:
                    self.log("the grid is exhausted")
                    break
                record = RunRecord(id=f"{self.state.sweep_id}-{len(self.state.runs):03d}", params=params)
                self.state.runs.append(record)
                self.state.save(self.directory)
                self._execute(record)
                self.state.save(self.directory)
                failures = failures + 1 if record.state == "failed" else 0
                if failures >= MAX_INITIAL_FAILURES and not any(r.state in ("finished", "stopped") for r in self.ended):
                    raise SweepError([Issue("command", f"the first {failures} runs failed",
                                            f"read {self.directory / 'logs' / (record.id + '.log')}")])
        return self.ended

    @property
    def ended(self) -> list[RunRecord]:
        return [r for r in self.state.runs if r.state in ("finished", "stopped", "failed")]

    def _execute(self, record: RunRecord) -> None:
        from wandb.sdk.lib import config_util

        shown = " ".join(f"{k}={v}" for k, v in record.params.items())
        self.log(f"[{len(self.ended) + 1}/{self.count}] run {record.id}: {shown}")
        param_path = self.directory / "params" / f"config-{record.id}.yaml"  # what wandb agent writes per run
        config_util.save_config_file_from_dict(str(param_path), {k: {"value": v} for k, v in record.params.items()})
        runs_root = (self.directory / "runs").resolve()
        log_path = self.directory / "logs" / f"{record.id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = agent_command(self.spec, record.params)
        start = time.perf_counter()
        with log_path.open("w") as out:
            out.write(" ".join(command) + "\n")
            out.flush()
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                    env=child_env(record, param_path, self.group, runs_root))
            try:
                stopped = self._watch(proc, record)
            except BaseException:  # Ctrl-C or SIGTERM to the runner: stop the child too; proposed again on resume
                _stop(proc)
                record.state = "interrupted"
                self.state.save(self.directory)
                raise
        record.seconds = round(time.perf_counter() - start, 1)
        record.exit_code = proc.returncode
        run_dir = self.run_dir(record)
        record.history, record.g_steps, record.summary = read_result(run_dir, self.metric)
        record.train_seconds = train_seconds(run_dir) if run_dir else None
        if record.state == "running" and proc.returncode == 0 and self.metric and not record.history:
            self.log(f"    warning: {record.id} logged no value of {self.metric}")
        record.state = "stopped" if stopped else "finished" if proc.returncode == 0 else "failed"
        best = record.best(self.goal)
        self.log(f"    {record.state} after {record.seconds:.0f} s (process)" + (f", {self.metric} best {best:.4g}" if best is not None else "")
                 + (f" (see {log_path})" if record.state == "failed" else ""))

    def run_dir(self, record: RunRecord) -> Path | None:
        """Found by its W&B run id; stored relative to the sweep directory, which may move."""
        if record.run_dir is None:
            found = sorted((self.directory / "runs").glob(f"*-{record.id}"))
            record.run_dir = str(found[0].relative_to(self.directory)) if found else None
        return self.directory / record.run_dir if record.run_dir else None

    def _watch(self, proc: subprocess.Popen, record: RunRecord) -> bool:
        """Polls the running run's metric for hyperband; True when the engine stopped it."""
        hyperband = "early_terminate" in self.spec and self.metric is not None
        terminated_at = None
        while proc.poll() is None:
            time.sleep(POLL_SECONDS)
            if terminated_at is not None:
                if time.monotonic() > terminated_at + KILL_DELAY:
                    proc.kill()
                continue
            if not hyperband:
                continue
            record.history, record.g_steps = live_result(self.run_dir(record), self.metric)
            runs = [r.engine_run(self.metric) for r in self.ended] + [record.engine_run(self.metric)]
            if any(r.name == record.id for r in engine().stop_runs(self.spec, runs, validate=True)):
                self.log(f"    hyperband stops {record.id} after {len(record.history)} values of {self.metric}")
                proc.send_signal(signal.SIGTERM)  # what wandb agent sends; Lightning ends the fit cleanly
                terminated_at = time.monotonic()
        return terminated_at is not None


@contextlib.contextmanager
def _signals_interrupt():
    """SIGTERM / SIGHUP to the runner act like Ctrl-C, so the running child is stopped, not orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=KILL_DELAY)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def ranking(records: list[RunRecord], metric: str | None, goal: str) -> list[RunRecord]:
    """Best first by the metric's best value; runs without one, then failed runs, at the end."""
    def key(r: RunRecord):
        best = r.best(goal)
        return (r.state == "failed", best is None, 0.0 if best is None else (best if goal == "minimize" else -best))
    return sorted(records, key=key) if metric else list(records)


def format_ranking(records: list[RunRecord], metric: str | None, goal: str) -> str:
    axes = list(dict.fromkeys(k for r in records for k in r.params))
    head = ["rank", "run", *axes] + ([f"best {metric}", "last"] if metric else []) + ["G steps", "state", "train s"]
    rows = []
    for i, r in enumerate(ranking(records, metric, goal), 1):
        best = r.best(goal)
        # the run directory's name and its training seconds: what `compare` shows for the same run
        cells = [str(i), Path(r.run_dir).name if r.run_dir else r.id, *[_fmt(r.params.get(a)) for a in axes]]
        if metric:
            cells += [_fmt(best), _fmt(r.history[-1] if r.history else None)]
        rows.append(cells + [str(r.g_steps), r.state, _fmt(r.train_seconds)])
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
