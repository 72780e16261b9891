"""The VAE family's contract, over every registered VAE variant: the shared checks, its own outputs, resume."""
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
NETWORKS = ["variant.networks=mlp", "variant.networks=conv"]


def test_every_vae_variant_is_in_the_suite():
    assert {name for name, _ in CASES} >= {"vae"}


@pytest.mark.parametrize("networks", NETWORKS)
@pytest.mark.parametrize("name, data", CASES)
def test_vae_contract(name, data, networks):
    cfg, result = fit_tiny(name, data, networks, "variant.width=4")
    assert_base_contract(name, data, cfg, result)
    module, samples = result.module, result.run_dir / "samples"
    # its outputs beyond prior samples: reconstructions, an interpolation, and the 2D latent scatter
    for grid in ("reconstruction", "interpolation", "latent"):
        assert len(list(samples.glob(f"{grid}-g*.png"))) == 2, grid
    # the decoder is what samples: generate() is the decoder's mean image of prior draws
    z = module.sample_z(3, torch.Generator().manual_seed(5))
    torch.testing.assert_close(module.generate(3, torch.Generator().manual_seed(5)).samples,
                               torch.sigmoid(module.generator.eval()(z)) * 2 - 1)
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
