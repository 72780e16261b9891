"""A W&B sweep file: W&B's own schema check, the command `wandb agent` builds, and our pre-launch checks.

The same YAML goes to ``wandb sweep`` (online) and ``lightning-gan sweep`` (offline). Nothing here
re-implements W&B: the schema is the ``sweeps`` package's (W&B's open-source engine) and the command
is assembled with ``wandb.sdk.launch.sweeps.utils``, exactly as ``wandb agent`` does it.
"""
from __future__ import annotations

import copy
import difflib
import math
import platform
import warnings
from pathlib import Path
from typing import Any

import yaml

from lightning_gan.config import Config, ConfigError, Issue, load_config

ARG_MACROS = ("${args}", "${args_no_hyphens}")  # the forms our CLI reads (`--k=v` and `k=v`)


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


def candidates(name: str, param: dict) -> list[Any]:
    """Values a parameter can take, for checking each against the config schema (ends of a range)."""
    if "values" in param:
        return list(param["values"])
    if "value" in param:
        return [param["value"]]
    distribution = param.get("distribution", "")
    if "min" in param and "max" in param:
        lo, hi = param["min"], param["max"]
        if distribution in ("log_uniform", "q_log_uniform"):  # min / max are natural logs here
            return [math.exp(lo), math.exp(hi)]
        return [lo, hi]
    if "mu" in param:
        return [param["mu"]]
    return []


def _base_params(parameters: dict) -> dict[str, Any]:
    return {name: (candidates(name, p) or [None])[0] for name, p in parameters.items()}


def _config_for(spec: dict, params: dict[str, Any]) -> Config:
    from lightning_gan.cli import _split

    config_path, overrides = _split(fit_args(agent_command(spec, params)))
    return load_config(config_path, overrides)


def logged_keys(cfg: Config, metric: str) -> set[str]:
    """Top-level keys a run of cfg logs: training rows, evaluations and, for mixtures, the sample grids."""
    from lightning_gan.evaluation import eval_keys
    from lightning_gan.registry import VARIANTS

    with_is = False
    if metric.startswith("eval/is"):  # IS needs Inception logits: only torch-fidelity's own file has them
        from lightning_gan.metrics.inception import WeightsMissing, resolve_weights

        try:
            with_is = resolve_weights(cfg.eval.inception_weights)[1]
        except WeightsMissing:
            with_is = False
    return VARIANTS[cfg.variant.name].train_keys(cfg) | eval_keys(cfg, cfg.data.facts(), with_inception_score=with_is)


def validate_sweep(spec: dict, where: str = "sweep") -> Config:
    """Everything is checked before any run starts; returns the config of the first proposal."""
    from jsonschema.exceptions import ValidationError

    issues: list[Issue] = []
    try:
        engine().SweepConfig(spec)
    except ValidationError as err:
        key = ".".join(str(p) for p in err.absolute_path) or _locate(spec, err.message) or where
        raise SweepError([Issue(key, err.message, "see W&B's sweep configuration keys (method, metric, parameters, "
                                                  "early_terminate, command)")]) from None
    parameters = spec["parameters"]
    command = [str(c) for c in spec.get("command") or []]
    if not any(macro in command for macro in ARG_MACROS):
        issues.append(Issue("command", "passes no ${args_no_hyphens} (or ${args}): runs would ignore the swept values",
                            "end the command with - ${args_no_hyphens}"))
    elif "fit" not in agent_command(spec, _base_params(parameters)):
        issues.append(Issue("command", "does not run `fit`", "e.g. ${env} ${interpreter} ${program} fit CONFIG.yaml ${args_no_hyphens}"))
    if issues:
        raise SweepError(issues)
    for name, param in parameters.items():
        if "parameters" in param:
            issues.append(Issue(f"parameters.{name}", "nested parameters: W&B passes them as one dict, not dotted keys",
                                f"write flat dotted names, e.g. {name}.lr: {{values: [...]}}"))
        elif spec["method"] == "grid" and "values" not in param and "value" not in param:
            issues.append(Issue(f"parameters.{name}", "a grid needs a list of values, not a distribution",
                                "use values: [...] or method: random / bayes"))
    if issues:
        raise SweepError(issues)
    try:  # the command's own arguments, without any swept value
        _config_for(spec, {})
    except ConfigError as err:
        raise SweepError([Issue(f"command ({i.key})", i.problem, i.fix) for i in err.issues]) from None
    for name, param in parameters.items():  # each value on its own, so a problem names its parameter
        for value in candidates(name, param):
            try:
                _config_for(spec, {name: value})
            except ConfigError as err:
                for i in err.issues:
                    problem = f"{i.key}: {i.problem}" if i.problem == "unknown key" else f"value {value!r}: {i.key}: {i.problem}"
                    if all(problem != seen.problem for seen in issues):
                        issues.append(Issue(f"parameters.{name}", problem, i.fix))
    if issues:
        raise SweepError(issues)
    try:
        cfg = _config_for(spec, _base_params(parameters))
    except ConfigError as err:
        raise SweepError([Issue(f"parameters ({i.key})", f"the first values together: {i.problem}", i.fix)
                          for i in err.issues]) from None
    metric = (spec.get("metric") or {}).get("name")
    needs_metric = spec["method"] == "bayes" or "early_terminate" in spec
    if metric is None and needs_metric:
        issues.append(Issue("metric", f"{'bayes' if spec['method'] == 'bayes' else 'early_terminate'} needs a metric",
                            "add metric: {name: eval/..., goal: minimize|maximize}"))
    if metric is not None and not issues:
        issues += _metric_issues(spec, cfg, metric)
    if issues:
        raise SweepError(issues)
    return cfg


def _metric_issues(spec: dict, cfg: Config, metric: str) -> list[Issue]:
    from lightning_gan.evaluation import metric_goal

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
