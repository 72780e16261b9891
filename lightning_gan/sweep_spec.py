"""A W&B sweep file: W&B's own schema check, the command `wandb agent` builds, and our pre-launch checks.

The same YAML goes to ``wandb sweep`` (online) and ``lightning-gan sweep`` (offline). Nothing here
re-implements W&B: the schema is the ``sweeps`` package's (W&B's open-source engine) and the command
is assembled with ``wandb.sdk.launch.sweeps.utils``, exactly as ``wandb agent`` does it.
"""
from __future__ import annotations

import copy
import difflib
import json
import math
import platform
import random
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lightning_gan.config import Config, ConfigError, Issue, load_config

ARG_MACROS = ("${args}", "${args_no_hyphens}")  # the forms our CLI reads (`--k=v` and `k=v`)
SAMPLES = 16  # engine draws checked for a random or bayes sweep (each distribution's real output type)
MAX_GRID = 512  # grid cells checked one by one


class SweepError(ConfigError):
    """A sweep file that cannot run: named key, reason, fix; the CLI exits 2 before any run starts."""

    title = "invalid sweep file"


def read_sweep(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise SweepError([Issue(str(path), "sweep file not found", "pass a file from sweeps/, e.g. sweeps/ring8_grid.yaml")])
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise SweepError([Issue(str(path), f"not valid YAML: {err}", "fix the YAML syntax")]) from None
    if not isinstance(spec, dict):
        raise SweepError([Issue(str(path), "not a mapping", "write a W&B sweep file: program, method, metric, parameters")])
    return spec


def engine_spec(spec: dict) -> dict:
    """The file without ``run_cap``: W&B's agent reads it, the engine's schema refuses it."""
    return {key: value for key, value in spec.items() if key != "run_cap"}


def engine():
    """W&B's sweep engine (the `sweeps` package); its pydantic-v1 style config warns under pydantic 2."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import sweeps
    return sweeps


def agent_command(spec: dict, params: dict[str, Any], args_json_file: str = "") -> list[str]:
    """The command `wandb agent` runs for a proposal (wandb_agent.Agent._command_run, with W&B's helpers)."""
    from wandb.sdk.launch.sweeps import utils as sweep_utils

    template = sweep_utils.create_sweep_command(copy.deepcopy(spec.get("command")))  # None -> W&B's default
    sweep_vars = sweep_utils.create_sweep_command_args({"args": {k: {"value": v} for k, v in params.items()}})
    sweep_vars["interpreter"] = ["python"]
    sweep_vars["program"] = [spec.get("program")]
    sweep_vars["args_json_file"] = [args_json_file]
    if platform.system() != "Windows":
        sweep_vars["env"] = ["/usr/bin/env"]
    command: list[str] = []
    for chunk in map(str, template):
        if chunk.startswith("${") and chunk.endswith("}"):
            command += sweep_vars.get(chunk[2:-1]) or []
        else:
            command.append(chunk)
    return command


def _locate(tree: dict, message: str, prefix: str = "") -> str | None:
    """The key holding the value a schema message starts with ('gird' is not one of ...): the engine's
    errors carry no path."""
    for key, value in tree.items():
        if isinstance(value, (dict, list)) and message.startswith(repr(value)):
            return f"{prefix}{key}"
        if isinstance(value, dict):
            found = _locate(value, message, f"{prefix}{key}.")
            if found:
                return found
        elif isinstance(value, (str, int, float)) and message.startswith(repr(value)):
            return f"{prefix}{key}"
    return None


def fit_args(command: list[str]) -> list[str]:
    """The arguments after `fit` in a built command (what our CLI receives)."""
    return command[command.index("fit") + 1:]


def _config_for(spec: dict, params: dict[str, Any]) -> Config:
    from lightning_gan.config import split_args

    args = [a for a in fit_args(agent_command(spec, params)) if a != "--quiet"]  # flags the CLI itself takes
    config_path, overrides = split_args(args)
    return load_config(config_path, overrides)


def engine_proposals(spec: dict) -> list[dict[str, Any]]:
    """What the engine can propose: a grid's every cell (up to MAX_GRID), else SAMPLES random draws.

    Drawn by the engine itself, so each distribution's output type (an int_uniform's ints, a
    log_uniform's exp of its ends) is what gets checked. Raises the engine's ValueError.
    """
    sweeps = engine()
    plain = lambda run: {k: _plain(v["value"]) for k, v in run.config.items()}  # noqa: E731
    if spec["method"] == "grid":
        seen: list = []
        while len(seen) < MAX_GRID:
            run = sweeps.next_run(spec, seen, validate=True)
            if run is None:
                break
            seen.append(sweeps.SweepRun(config=run.config, state="finished"))
        return [plain(run) for run in seen]
    state = random.getstate(), np.random.get_state()
    random.seed(0)
    np.random.seed(0)
    try:
        drawn = sweeps.next_runs({**spec, "method": "random"}, [], validate=True, n=SAMPLES)
    finally:
        random.setstate(state[0])
        np.random.set_state(state[1])
    if spec["method"] == "bayes":  # raises what bayes alone refuses (e.g. nothing searchable)
        sweeps.next_run(spec, [], validate=True)
    return [plain(run) for run in drawn]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value  # the engine proposes numpy scalars


def logged_keys(cfg: Config, metric: str) -> set[str]:
    """Top-level keys a run of cfg logs: training rows, evaluations and, for mixtures, the sample grids."""
    from lightning_gan.keys import eval_keys

    with_is = False
    if metric.startswith("eval/is"):  # IS needs Inception logits: only torch-fidelity's own file has them
        from lightning_gan.metrics.inception import WeightsMissing, resolve_weights

        try:
            with_is = resolve_weights(cfg.eval.inception_weights)[1]
        except WeightsMissing:
            with_is = False
    return cfg.train_keys() | eval_keys(cfg, cfg.data.facts(), with_inception_score=with_is)


def validate_sweep(spec: dict, where: str = "sweep") -> Config:
    """Everything is checked before any run starts; returns the config of the first proposal."""
    from jsonschema.exceptions import ValidationError
    from wandb.sdk.launch.sweeps import utils as sweep_utils

    run_cap = spec.get("run_cap")
    if run_cap is not None and (isinstance(run_cap, bool) or not isinstance(run_cap, int) or run_cap < 1):
        _fail_on([Issue("run_cap", f"must be a positive integer, got {run_cap!r}", "e.g. run_cap: 20, or drop it")])
    spec = engine_spec(spec)
    metric = (spec.get("metric") or {}).get("name")
    if metric is None and (spec.get("method") == "bayes" or "early_terminate" in spec):
        _fail_on([Issue("metric", f"{'bayes' if spec.get('method') == 'bayes' else 'early_terminate'} needs a metric",
                        "add metric: {name: eval/..., goal: minimize|maximize}, or use method: random / grid")])
    try:
        engine().SweepConfig(spec)
    except ValidationError as err:
        key = ".".join(str(p) for p in err.absolute_path) or _locate(spec, err.message) or where
        raise SweepError([Issue(key, err.message, "see W&B's sweep configuration keys (method, metric, parameters, "
                                                  "early_terminate, command)")]) from None
    parameters = spec["parameters"]
    _fail_on([Issue(f"parameters.{name}", "nested parameters: W&B passes them as one dict, not dotted keys",
                    f"write flat dotted names, e.g. {name}.lr: {{values: [...]}}")
              for name, param in parameters.items() if "parameters" in param])
    try:
        proposals = engine_proposals(spec)
    except ValueError as err:
        named = re.search(r"[Pp]arameter (\S+)", str(err))
        key = f"parameters.{named.group(1)}" if named and named.group(1) in parameters else "parameters"
        raise SweepError([Issue(key, f"W&B's sweep engine refuses it: {err}",
                                "a grid takes values: [...]; see W&B's sweep configuration keys")]) from None
    _fail_on(_quantization_issues(spec, proposals))
    if "fit" not in agent_command(spec, proposals[0] if proposals else {}):
        default = "" if spec.get("command") else \
            " (with no command:, W&B runs its default, ${env} ${interpreter} ${program} ${args}: no `fit`)"
        _fail_on([Issue("command", f"does not run `fit`{default}",
                        "add command: [lightning-gan, fit, CONFIG.yaml, ${args_no_hyphens}] "
                        "(or ${env} ${interpreter} ${program} fit CONFIG.yaml ${args})")])
    template = [str(c) for c in sweep_utils.create_sweep_command(copy.deepcopy(spec.get("command")))]
    if not any(macro in template for macro in ARG_MACROS):
        _fail_on([Issue("command", "passes no ${args_no_hyphens} (or ${args}): runs would ignore the swept values",
                        "end the command with - ${args_no_hyphens}")])
    try:  # the command's own arguments, without any swept value
        _config_for(spec, {})
    except ConfigError as err:
        raise SweepError([Issue(f"command ({i.key})", i.problem, i.fix) for i in err.issues]) from None
    issues: list[Issue] = []
    for name, param in parameters.items():  # each value on its own, so a problem names its parameter
        values = list(param.get("values", [])) + [p[name] for p in proposals if name in p]
        failed: set[str] = set()  # one message per config key: a distribution's draws fail alike
        for value in dict.fromkeys(map(_hashable, values)):
            try:
                _config_for(spec, {name: _unhashable(value)})
            except ConfigError as err:
                for i in err.issues:
                    if i.key not in failed:
                        failed.add(i.key)
                        problem = f"{i.key}: {i.problem}" if i.problem == "unknown key" else \
                            f"value {_unhashable(value)!r}: {i.key}: {i.problem}"
                        fix = i.fix
                        if isinstance(value, float) and value.is_integer() and "Integer" in i.problem:
                            fix = (f"W&B's {param.get('distribution', 'distribution')} proposes floats; for an "
                                   "integer key use distribution: int_uniform, or values: [...]")
                        _add(issues, Issue(f"parameters.{name}", problem, fix))
    _fail_on(issues)
    configs = []
    for params in proposals:  # values together: cross-field rules, and the metric each run logs
        shown = " ".join(f"{k}={v}" for k, v in params.items())
        try:
            configs.append(cfg := _config_for(spec, params))
        except ConfigError as err:
            for i in err.issues:
                _add(issues, Issue(f"parameters ({shown})", f"{i.key}: {i.problem}", i.fix))
            continue
        if cfg.run.name is not None:
            _add(issues, Issue("run.name", "a sweep's runs name their own directories (<variant>-<data>-<run id>)",
                               "remove run.name from the command and the parameters"))
        for issue in _metric_issues(spec, cfg, metric) if metric else []:
            _add(issues, issue)
    _fail_on(issues)
    if "early_terminate" in spec:
        _fail_on(_hyperband_issues(spec, configs[0], metric))
    return configs[0]


def _quantization_issues(spec: dict, proposals: list[dict]) -> list[Issue]:
    """A q_* distribution rounds to multiples of q (default 1): below 1, every draw becomes 0."""
    issues = []
    for name, param in spec["parameters"].items():
        if not str(param.get("distribution", "")).startswith("q_"):
            continue
        drawn = {p[name] for p in proposals if name in p}
        q = param.get("q", 1)
        if drawn and len(drawn) == 1:
            issues.append(Issue(f"parameters.{name}", f"every draw is {drawn.pop()!r}: {param['distribution']} rounds "
                                f"to multiples of q = {q}{' (the default)' if 'q' not in param else ''}, coarser than "
                                f"[{param.get('min')}, {param.get('max')}]",
                                f"set q well below the range (e.g. q: {_suggest_q(param)}), or drop the q_ prefix"))
    return issues


def _suggest_q(param: dict) -> float:
    low, high = float(param.get("min", 0)), float(param.get("max", 1))
    return float(f"{(high - low) / 100:.1g}") if high > low else 0.01


def _hashable(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _unhashable(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def _add(issues: list[Issue], issue: Issue) -> None:
    if all((issue.key, issue.problem) != (seen.key, seen.problem) for seen in issues):
        issues.append(issue)


def _fail_on(issues: list[Issue]) -> None:
    if issues:
        raise SweepError(issues)


def _hyperband_issues(spec: dict, cfg: Config, metric: str) -> list[Issue]:
    """The engine's own bands check, and whether a run logs the metric often enough to reach a band."""
    from lightning_gan.keys import count_tag

    sweeps = engine()
    try:
        sweeps.stop_runs(spec, [sweeps.SweepRun(name="probe", state="running", sampledHistory=[{metric: 0.0}])],
                         validate=True)
    except ValueError as err:
        return [Issue("early_terminate", f"W&B's hyperband refuses it: {err}", "e.g. type: hyperband, min_iter: 2, eta: 2")]
    min_iter = spec["early_terminate"].get("min_iter")
    if cfg.eval.every > 0 and metric.endswith(count_tag(cfg.eval.num_samples, cfg.eval.truncation)):
        every = cfg.eval.every
    else:
        every = cfg.train.sample_every if metric.startswith("eval/") else cfg.train.log_every
    values = math.ceil(cfg.train.g_steps / every)
    if min_iter is not None and min_iter >= values:
        return [Issue("early_terminate.min_iter", f"hyperband first compares runs at value {min_iter + 1} of "
                                                  f"{metric}, but a run logs {values}",
                      "lower min_iter, or log the metric more often (eval.every)")]
    return []


def _metric_issues(spec: dict, cfg: Config, metric: str) -> list[Issue]:
    from lightning_gan.keys import metric_goal

    keys = logged_keys(cfg, metric)
    if metric not in keys:
        close = difflib.get_close_matches(metric, sorted(keys), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        if cfg.eval.every == 0:
            hint += "in-training evaluation is off: add parameters eval.every: {value: N}. "
        return [Issue("metric.name", f"{metric!r} is not a key this run logs",
                      f"{hint}keys logged: {', '.join(sorted(k for k in keys if k.startswith('eval/')) or sorted(keys))}")]
    goal, wanted = spec["metric"].get("goal", "minimize"), metric_goal(metric)
    if wanted is not None and goal != wanted:
        return [Issue("metric.goal", f"{metric} is better when {'lower' if wanted == 'minimize' else 'higher'}, "
                                     f"but the goal is {goal}", f"set metric.goal: {wanted}")]
    return []
