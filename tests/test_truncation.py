"""The truncation trick over every variant that declares one, and a truncated figure's place in keys and reports."""
import json
from pathlib import Path

import pytest
import torch

from conftest import tiny_overrides
from lightning_gan.cli import main
from lightning_gan.config import ConfigError, load_config, to_dict
from lightning_gan.keys import count_tag, eval_keys, metric_goal
from lightning_gan.registry import VARIANTS, load_all

load_all()
TRUNCATED = sorted(name for name, cls in VARIANTS.items() if cls.truncation_sweep)
IN_W = [name for name in TRUNCATED if VARIANTS[name].Config.truncation_space == "w"]


def tiny_module(name: str):
    cfg = load_config(None, tiny_overrides(VARIANTS[name], "images"))
    torch.manual_seed(0)
    return VARIANTS[name](to_dict(cfg), data_shape=(1, 16, 16), num_classes=10).eval()


def test_the_image_variants_with_a_truncation_trick_are_covered():
    assert {"biggan", "stylegan2", "cstylegan2"} <= set(TRUNCATED) and {"stylegan2", "cstylegan2"} <= set(IN_W)


@pytest.mark.parametrize("name", TRUNCATED)
def test_sample_variance_falls_as_truncation_tightens(name):
    module = tiny_module(name)
    labels = torch.zeros(256, dtype=torch.long) if module.conditional else None
    spread = []
    for value in sorted(module.truncation_sweep, reverse=True):
        samples = module.generate(256, torch.Generator().manual_seed(0), labels=labels, truncation=value).samples
        spread.append(samples.var(dim=0).mean().item())
    assert all(a > b for a, b in zip(spread, spread[1:])), spread


@pytest.mark.parametrize("name", IN_W)
def test_psi_zero_gives_the_mean_style_for_every_z(name):
    module = tiny_module(name)
    labels = torch.full((6,), 3) if module.conditional else None
    # noise from one seeded generator is drawn per sample, so fix it to the net's constant noise
    images = module.sampling_network(module.sample_z(6), labels, truncation_psi=0.0, noise_mode="const")
    assert torch.allclose(images, images[:1].expand_as(images), atol=1e-6)
    untruncated = module.generate(6, torch.Generator().manual_seed(0), labels=labels).samples
    assert not torch.allclose(untruncated, untruncated[:1].expand_as(untruncated))


@pytest.mark.parametrize("name", TRUNCATED)
def test_the_truncation_grid_keeps_z_and_classes_and_changes_only_the_threshold(name):
    module = tiny_module(name)
    grid = module.showcase_grids(seed=0)["truncation"]
    rows = grid.images.view(len(module.truncation_sweep), grid.columns, *grid.images.shape[1:])
    again = module.generate(grid.columns, torch.Generator().manual_seed(0), labels=module.showcase_labels(grid.columns),
                            truncation=module.truncation_sweep[1]).samples
    torch.testing.assert_close(rows[1], again)
    assert not torch.allclose(rows[0], rows[-1])


def test_a_truncated_figure_has_its_own_key():
    assert count_tag(10_000) == "10k" and count_tag(10_000, 0.5) == "10k_t0.5" and count_tag(2048, 1.0) == "2048_t1"
    assert metric_goal("eval/fid10k_t0.5") == "minimize" and metric_goal("eval/domain_recall2k_t0.25") == "maximize"
    cfg = load_config(None, ["variant.name=biggan", "data.name=synthetic", "data.shape=[1,32,32]", "eval.every=10",
                             "eval.metrics=[inception]", "eval.truncation=0.5"])
    keys = eval_keys(cfg, cfg.data.facts())
    assert "eval/fid10k_t0.5" in keys and "eval/fid10k" not in keys


@pytest.mark.parametrize("overrides, message", [
    (["variant.name=biggan", "eval.truncation=0"], "threshold t of a truncated normal must be > 0"),
    (["variant.name=stylegan2", "eval.truncation=-0.5"], "ψ must be >= 0"),
    (["variant.name=dcgan", "variant.prior=uniform", "eval.truncation=1"], "normal prior"),
])
def test_bad_truncations_are_refused_with_the_key(overrides, message):
    with pytest.raises(ConfigError) as err:
        load_config(None, ["data.name=synthetic", "data.shape=[1,32,32]", *overrides])
    assert "eval.truncation" in str(err.value) and message in str(err.value)


def test_evaluate_with_truncation_records_it_in_keys_protocol_and_file_name(capsys):
    args = [*tiny_overrides(VARIANTS["biggan"], "images"), "data.n_samples=200", "run.name=big", "--quiet"]
    assert main(["fit", *args]) == 0
    assert main(["evaluate", "runs/big", "--metrics", "parzen", "--num-samples", "100", "--truncation", "0.5"]) == 0
    out = capsys.readouterr().out
    report = json.loads(Path(out.rsplit("report: ", 1)[1].strip()).read_text())
    assert set(report["metrics"]) == {"parzen_ll100_t0.5", "parzen_ll_se100_t0.5", "parzen_sigma100_t0.5"}
    assert report["truncation"] == 0.5 and report["protocol"]["truncation"] == 0.5
    assert out.rsplit("report: ", 1)[1].strip().endswith("n100_t0.5.json")
    assert main(["evaluate", "runs/big", "--metrics", "parzen", "--num-samples", "100", "--truncation", "-1"]) == 2
    assert "eval.truncation" in capsys.readouterr().err


@pytest.mark.parametrize("name", TRUNCATED)
def test_generate_refuses_a_bad_truncation_with_the_config_rule(name):
    module = tiny_module(name)
    with pytest.raises(ValueError, match="must be > 0" if name not in IN_W else "ψ must be >= 0"):
        module.generate(2, truncation=-1.0)
