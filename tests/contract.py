"""The contract every registered variant keeps, whatever its family: no per-variant code in here.

Each family's suite (tests/test_contract_<family>.py) parametrizes ``fit_tiny`` and
``assert_base_contract`` over that family's registered variants and adds its own checks.
"""
import math

import lightning as L
import torch

from conftest import tiny_overrides
from lightning_gan.base import load_module
from lightning_gan.config import load_config, to_dict
from lightning_gan.evaluate_run import build_datamodule
from lightning_gan.jsonl import read_jsonl
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit

load_all()


def cases(family: str) -> list[tuple[str, str]]:
    """(variant name, data kind) for every registered variant of a family: the suites' parameters."""
    return [(name, data) for name in sorted(VARIANTS) if VARIANTS[name].family == family
            for data in VARIANTS[name].data_kinds]


def fit_tiny(name: str, data: str, *extra: str):
    cfg = load_config(None, [*tiny_overrides(VARIANTS[name], data), *extra])
    return cfg, fit(cfg, verbose=False)


def assert_base_contract(name: str, data: str, cfg, result, *, inputs: torch.Tensor | None = None) -> None:
    """``inputs``: what a family that translates images samples from ([6, *shape]); noise models take none."""
    cls, module = VARIANTS[name], result.module
    shape = (2,) if data == "points" else (1, 16, 16)
    given = {} if inputs is None else {"inputs": inputs}

    # every network trained: every parameter moved away from its seeded initial value
    L.seed_everything(cfg.train.seed, verbose=False)
    initial = cls(to_dict(cfg), data_shape=shape, num_classes=10)
    for prefix in cls.trained_networks:
        before = dict(getattr(initial, prefix).named_parameters())
        for pname, param in getattr(module, prefix).named_parameters():
            assert not torch.equal(param.detach().cpu(), before[pname].detach()), f"{prefix}.{pname} did not train"

    # the run's length in G steps and finite logged losses (a family's own counters: its suite)
    assert module.g_steps == cfg.train.g_steps
    rows = [r for r in read_jsonl(result.run_dir / "metrics.jsonl") if any(k.startswith("train/") for k in r)]
    assert [r["g_step"] for r in rows] == list(range(cfg.train.log_every, cfg.train.g_steps + 1, cfg.train.log_every))
    assert all(math.isfinite(v) for r in rows for k, v in r.items() if k.startswith("train/"))
    assert {k for r in rows for k in r} - {"step"} == cfg.train_keys()  # what sweep validation expects

    # samples: shape and range, the same for the same seeded generator
    generated = module.generate(6, torch.Generator().manual_seed(1), **given)
    assert generated.samples.shape == (6, *shape)
    assert torch.isfinite(generated.samples).all()
    if data != "points":
        assert generated.samples.min() >= -1 and generated.samples.max() <= 1
    torch.testing.assert_close(module.generate(6, torch.Generator().manual_seed(1), **given).samples, generated.samples)

    # run directory contents
    assert (result.run_dir / "config.yaml").is_file()
    assert load_config(result.run_dir / "config.yaml") == cfg
    assert len(list((result.run_dir / "samples").glob("g*.png"))) == 2  # G steps 2 and 4
    # what the variant adds (truncation, style mixing, reconstructions), as the sample callback draws it
    for grid in module.showcase_grids(cfg.train.seed, datamodule=build_datamodule(cfg)):
        assert len(list((result.run_dir / "samples").glob(f"{grid}-g*.png"))) == 2

    # checkpoint round trip: same samples for the same noise, counters restored
    restored = load_module(str(result.checkpoint))
    assert type(restored) is cls
    assert restored.g_steps == module.g_steps and restored.extra_state() == module.extra_state()
    again = restored.generate(6, torch.Generator().manual_seed(1), **given)
    torch.testing.assert_close(again.samples, generated.samples)
    if generated.labels is not None:
        assert torch.equal(again.labels, generated.labels)


def assert_adversarial_counters(cfg, module) -> None:
    """k D steps for every G step (the adversarial schedule's own counter)."""
    assert module.d_steps == cfg.train.g_steps * cfg.train.k
