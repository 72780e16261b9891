"""The VAE family's contract, over every registered VAE variant: the shared checks, its own outputs, resume."""
import copy
from pathlib import Path

import pytest
import torch

from conftest import tiny_overrides
from contract import assert_base_contract, cases, fit_tiny
from lightning_gan.cli import main
from lightning_gan.config import ConfigError, load_config
from lightning_gan.registry import VARIANTS
from test_resume import assert_same_state

CASES = cases("vae")
# each network kind, and the Gaussian likelihood with its learned std (a parameter that must train too)
SETTINGS = ["variant.networks=mlp", "variant.networks=conv",
            "variant.likelihood=gaussian variant.gaussian_variance=learned", "train.ema_decay=0.5"]


def test_every_vae_variant_is_in_the_suite():
    assert {name for name, _ in CASES} >= {"vae"}


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("name, data", CASES)
def test_vae_contract(name, data, setting):
    cfg, result = fit_tiny(name, data, *setting.split(), "variant.width=4")
    assert_base_contract(name, data, cfg, result)
    module, samples = result.module, result.run_dir / "samples"
    # its outputs beyond prior samples: reconstructions, an interpolation, and the 2D latent scatter
    for grid in ("reconstruction", "interpolation", "latent"):
        assert len(list(samples.glob(f"{grid}-g*.png"))) == 2, grid
    # the decoder (its EMA copy when on) is what samples: generate() is its mean image of prior draws
    z = module.sample_z(3, torch.Generator().manual_seed(5))
    decoder = copy.deepcopy(module.sampling_network).eval()
    torch.testing.assert_close(module.generate(3, torch.Generator().manual_seed(5)).samples,
                               torch.sigmoid(decoder(z)) * 2 - 1)
    if cfg.train.ema_decay is not None:
        assert module.sampling_network is not module.generator
    with pytest.raises(ValueError, match="unconditional"):
        module.generate(2, labels=torch.tensor([0, 1]))


@pytest.mark.parametrize("name, data", CASES)
def test_the_config_has_no_adversarial_keys(name, data):
    for key in ("loss=hinge", "train.k=2", "penalty.name=gp", "optim.d.lr=1e-4"):
        with pytest.raises(ConfigError, match="unknown key"):
            load_config(None, [*tiny_overrides(VARIANTS[name], data), key])


@pytest.mark.parametrize("name, data", CASES)
def test_a_resumed_vae_run_ends_bit_for_bit_where_the_uninterrupted_one_ends(name, data):
    args = [a for a in tiny_overrides(VARIANTS[name], data) if not a.startswith("train.g_steps")]
    args += ["train.checkpoint_every=3", "train.kl_warmup=4", "trainer.deterministic=true", "--quiet"]
    assert main(["fit", *args, "train.g_steps=6", "run.name=whole"]) == 0
    assert main(["fit", *args, "train.g_steps=3", "run.name=part"]) == 0
    assert main(["fit", "--resume", "runs/part", "train.g_steps=6", "--quiet"]) == 0
    assert_same_state(Path("runs/whole/checkpoints/last.ckpt"), Path("runs/part/checkpoints/last.ckpt"))


def test_a_sweep_ranks_vae_runs_by_their_elbo(tmp_path, capsys):
    import yaml

    from lightning_gan.sweep import SweepState

    spec = {"program": "lightning_gan/__main__.py", "method": "grid", "metric": {"name": "eval/elbo16", "goal": "maximize"},
            "parameters": {"variant.beta": {"values": [0.5, 1.0]}},
            "command": ["${env}", "${interpreter}", "-m", "lightning_gan", "fit", *tiny_overrides(VARIANTS["vae"], "images"),
                        "eval.every=2", "eval.metrics=[likelihood]", "${args_no_hyphens}"]}
    (tmp_path / "vae.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["sweep", "vae.yaml", "--dir", "sw", "--quiet"]) == 0
    runs = SweepState.load(Path("sw")).runs
    assert [r.state for r in runs] == ["finished"] * 2 and all(len(r.history) == 2 for r in runs)
    assert "eval/elbo16" in capsys.readouterr().out


@pytest.mark.parametrize("name, data", CASES)
def test_logged_evaluation_keys_are_the_ones_sweeps_may_target_and_carry_k(name, data):
    from lightning_gan.jsonl import read_jsonl
    from lightning_gan.keys import eval_keys, metric_goal

    cfg, result = fit_tiny(name, data, "train.g_steps=2", "eval.every=2", "eval.metrics=[likelihood]")
    logged = {k for row in read_jsonl(result.run_dir / "metrics.jsonl") for k in row if k.startswith("eval/")}
    assert logged == eval_keys(cfg, cfg.data.facts()) == {"eval/elbo16", "eval/reconstruction16", "eval/kl16",
                                                         "eval/iwae_ll16_k8"}
    assert metric_goal("eval/elbo16") == metric_goal("eval/iwae_ll16_k8") == "maximize"
    assert metric_goal("eval/kl16") is None
