"""Config: defaults < YAML < key=value, and every kind of bad input fails at load with exit 2."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lightning_gan.cli import main
from lightning_gan.config import ConfigError, config_from_dict, flatten, load_config, to_dict

CONFIGS = sorted((Path(__file__).parents[1] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    cfg = load_config(path)
    written = flatten(yaml.safe_load(path.read_text()))
    loaded = flatten(to_dict(cfg))
    assert {key: loaded.get(key) for key in written} == written  # every value the file sets is in effect


def test_shipped_configs_exist():
    assert len(CONFIGS) >= 4


def test_overrides_merge_last_over_yaml(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text("train:\n  k: 3\noptim:\n  d:\n    lr: 0.001\n")
    cfg = load_config(path, ["train.k=5", "--loss=minimax"])  # `wandb agent` ${args} form too
    assert (cfg.train.k, cfg.optim.d.lr, cfg.loss) == (5, 0.001, "minimax")
    assert cfg.optim.g.lr == 5e-4  # untouched default


def test_round_trip_through_plain_dict():
    cfg = load_config(None, ["data.name=digits", "variant.g_hidden=[32,16]"])
    assert config_from_dict(to_dict(cfg)) == cfg


@pytest.mark.parametrize("args, key, words", [
    (["variant.nosuch=1"], "variant.nosuch", "unknown key"),
    (["optim.d.lrr=1e-4"], "optim.d.lrr", "did you mean 'optim.d.lr'"),
    (["train.k=abc"], "train.k", "could not be converted"),
    (["train.k=0"], "train.k", "must be >= 1"),
    (["loss=hinged"], "loss", "did you mean loss=hinge? choices: minimax, non_saturating, hinge"),
    (["optim.g.name=adma"], "optim.g.name", "did you mean optim.g.name=adam?"),
    (["penalty.name=zzz"], "penalty.name", "choose one of none, gp, r1, clip"),
    (["eval.metrics=[inceptoin]"], "eval.metrics", "did you mean 'inception'?"),
    (["variant.name=nosuch"], "variant.name", "unknown variant"),
    (["data.name=mnistt"], "data.name", "did you mean 'mnist'"),
    (["optim.g.lr=-1"], "optim.g.lr", "must be > 0"),
    (["data.layout=grid", "data.n_modes=8"], "data.n_modes", "perfect square"),
    (["variant.d_maxout_pieces=1"], "variant.d_maxout_pieces", "must be 0"),
    (["variant.d_pack=3", "data.batch_size=64"], "variant.d_pack", "must divide data.batch_size=64"),
    (["variant.d_pack=2", "penalty.name=gp"], "variant.d_pack", "no per-sample gradient"),
    (["trainer.compile=indcutor"], "trainer.compile", "unknown torch.compile backend 'indcutor'"),
    (["trainer.compile=inductor", "penalty.name=r1"], "trainer.compile", "penalty.name=r1 needs a double backward"),
    (["variant.name=stylegan2", "data.name=synthetic", "data.shape=[1,16,16]", "penalty.name=none",
      "variant.pl_weight=2", "trainer.compile=inductor"], "trainer.compile", "variant.pl_weight=2.0 needs a double"),
    (["data.name=image_folder"], "data.path", "required value is missing"),
    (["train.k"], "train.k", "not a key=value"),
    (["variant=5"], "config", "not a subclass"),
    (["variant.name=[1]"], "variant.name", "unknown variant"),
    (["trainer.strategy=ddp"], "trainer.strategy", "choose one of auto, ddp_find_unused_parameters_true"),
    (["data.sigma=nan"], "data.sigma", "finite"),
    (["optim.g.lr=inf"], "optim.g.lr", "finite"),
    (["train.seed=-1"], "train.seed", "must be in"),
    (["data.name=synthetic", "data.shape=[5,8,8]"], "data.shape", "C 1 or 3"),
    (["data.name=synthetic", "data.num_classes=0"], "data.num_classes", "must be >= 1"),
    (["trainer.accelerator=mps"], "trainer", "fix:"),  # Lightning's own check, caught before any output
])
def test_bad_config_exits_2_naming_the_key_and_writes_nothing(args, key, words, capsys, tmp_path):
    assert main(["fit", *args, f"run.root={tmp_path / 'runs'}"]) == 2
    err = capsys.readouterr().err
    assert f"{key}:" in err and words in err and "fix:" in err
    assert not (tmp_path / "runs").exists()


def test_wandb_agent_argument_forms_reach_the_config(capsys):
    """`wandb agent` passes ${args} as --key=value and ${args_no_hyphens} as key=value; options may sit between."""
    assert main(["config", "--train.k=3", "--quiet", "loss=minimax", "--optim.d.lr=0.001"]) == 0
    out = capsys.readouterr().out
    assert "  k: 3" in out and "loss: minimax" in out and "lr: 0.001" in out


def test_all_problems_are_reported_together():
    with pytest.raises(ConfigError) as info:
        load_config(None, ["train.k=0", "optim.d.lr=0", "data.batch_size=0"])
    assert [i.key for i in info.value.issues] == ["train.k", "optim.d.lr", "data.batch_size"]


def test_missing_config_file_exits_2(capsys):
    assert main(["fit", "configs/nosuch.yaml"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_existing_run_directory_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    (tmp_path / "runs" / "mine" / "keep.txt").write_text("precious")
    assert main(["fit", "run.root=runs", "run.name=mine"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "runs" / "mine" / "keep.txt").read_text() == "precious"


def test_console_script_exits_2_on_a_typo(tmp_path):
    """The installed `lightning-gan` entry point, as a user runs it."""
    script = Path(sys.executable).parent / "lightning-gan"
    assert script.is_file(), "the package is not installed with its console script"
    proc = subprocess.run([str(script), "fit", "variant.nosuch=1"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "variant.nosuch" in proc.stderr
    assert not (tmp_path / "runs").exists()
