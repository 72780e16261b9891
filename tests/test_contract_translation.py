"""The image-to-image family's contract, over every registered translation variant, on tiny folders.

What the base contract checks (every network trains, counters, logged keys, run directory, checkpoint
round trip) plus what translation adds: outputs follow the inputs, the sample grid's rows, the
evaluation keys a sweep may target, and a bitwise resume (pools and jitter included).
"""
from pathlib import Path

import pytest
import torch
from conftest import tiny_overrides
from contract import assert_adversarial_counters, assert_base_contract, cases, fit_tiny
from test_resume import assert_same_state

from lightning_gan.cli import main
from lightning_gan.config import load_config
from lightning_gan.evaluate_run import build_datamodule, evaluate
from lightning_gan.evaluation import facts_of
from lightning_gan.jsonl import read_jsonl
from lightning_gan.keys import eval_keys
from lightning_gan.registry import VARIANTS

CASES = cases("translation")
GROUP = {"paired": "translation", "unpaired": "cycle"}  # the pixel metrics each kind of data allows


def test_every_translation_variant_is_in_the_suite():
    assert {name for name, _ in CASES} >= {"pix2pix", "cyclegan"}
    assert {data for _, data in CASES} == {"paired", "unpaired"}


@pytest.mark.parametrize("name, data", CASES)
def test_translation_contract(name, data):
    cfg, result = fit_tiny(name, data)
    inputs = torch.rand(6, 1, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert_base_contract(name, data, cfg, result, inputs=inputs)
    assert_adversarial_counters(cfg, result.module)
    module = result.module

    # outputs follow the inputs, and sampling names what it needs
    a = module.generate(6, torch.Generator().manual_seed(1), inputs=inputs).samples
    b = module.generate(6, torch.Generator().manual_seed(1), inputs=-inputs).samples
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError, match="pass inputs"):
        module.generate(6)
    with pytest.raises(ValueError, match=r"inputs must have shape \[6, 1, 16, 16\]"):
        module.generate(6, inputs=inputs[:, :, :8])
    with pytest.raises(ValueError, match="no labels"):
        module.generate(6, inputs=inputs, labels=torch.zeros(6, dtype=torch.long))

    # the grid: one row per named row, one column per evaluation pair, first rows the test inputs
    datamodule = build_datamodule(cfg)
    grid = module.sample_grid(datamodule, 4, seed=0)
    assert grid.columns == 4 and grid.images.shape == (4 * len(module.grid_rows), 1, 16, 16)
    torch.testing.assert_close(grid.images[:4], datamodule.grid_pairs(4)[0])
    assert all(row in grid.caption for row in module.grid_rows)


@pytest.mark.parametrize("name, data", CASES)
def test_logged_and_reported_evaluation_keys_are_the_ones_sweeps_may_target(name, data):
    group = GROUP[data]
    cfg, result = fit_tiny(name, data, "train.g_steps=2", "eval.every=2", f"eval.metrics=[{group}]",
                           "eval.num_samples=10")
    logged = {k for row in read_jsonl(result.run_dir / "metrics.jsonl") for k in row if k.startswith("eval/")}
    assert logged == eval_keys(cfg, facts_of(build_datamodule(cfg))) != set()
    report, path = evaluate(str(result.run_dir), metrics=[group], log=lambda *_: None)
    assert {f"eval/{k}" for k in report["metrics"]} == logged
    assert path == result.run_dir / "evaluation" / "g0000002-test.json"
    for key, value in report["metrics"].items():
        assert torch.isfinite(torch.tensor(value)), key
        if key.endswith(("l1_test",)):  # mean absolute error of images in [-1, 1]
            assert 0 <= value <= 2, key


@pytest.mark.parametrize("name, data", CASES)
def test_a_resumed_run_ends_bit_for_bit_where_the_uninterrupted_one_ends(name, data):
    # pools of past fakes, jitter draws and the loader's position all have to come back
    args = [a for a in tiny_overrides(VARIANTS[name], data) if not a.startswith("train.g_steps")]
    args += ["train.checkpoint_every=3", "trainer.deterministic=true", "--quiet"]
    assert main(["fit", *args, "train.g_steps=6", "run.name=whole"]) == 0
    assert main(["fit", *args, "train.g_steps=3", "run.name=part"]) == 0
    assert main(["fit", "--resume", "runs/part", "train.g_steps=6", "--quiet"]) == 0
    assert_same_state(Path("runs/whole/checkpoints/last.ckpt"), Path("runs/part/checkpoints/last.ckpt"))
    assert load_config(Path("runs/part/config.yaml")).variant.name == name
