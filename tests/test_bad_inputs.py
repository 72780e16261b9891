"""Bad input, table-driven: each exits 2 with what is wrong and how to fix it, and touches no output."""
import contextlib
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from folders import save, write_aligned, write_side_by_side, write_unpaired

from lightning_gan.cli import main

COMMON = ["train.g_steps=4", "train.log_every=2", "train.sample_every=2", "train.checkpoint_every=2",
          "run.wandb.mode=disabled", "trainer.accelerator=cpu", "--quiet"]
TINY = [*COMMON, "data.n_samples=256", "data.batch_size=16"]  # the default 2D mixture, small
P2P = ["variant.name=pix2pix", "variant.d_layers=1", "data.name=paired_folder", "data.image_size=16", "data.channels=1"]
CYC = ["variant.name=cyclegan", "variant.d_layers=1", "data.name=unpaired_folder", "data.image_size=16", "data.channels=1"]

# (command line after `lightning-gan`, text the message must contain: the key or file, and the problem)
CASES = {
    "unknown top-level key": (["fit", "nosuch=1"], "nosuch: unknown key"),
    "typo at depth 2": (["fit", "optim.d.lrr=1e-4"], "did you mean 'optim.d.lr'"),
    "typo at depth 3": (["fit", "run.wandb.projct=x"], "did you mean 'run.wandb.project'"),
    "wrong type": (["fit", "train.k=abc"], "train.k: Value 'abc'"),
    "k = 0": (["fit", "train.k=0"], "train.k: must be >= 1, got 0"),
    "negative learning rate": (["fit", "optim.g.lr=-1"], "optim.g.lr: must be > 0"),
    "EMA decay out of range": (["fit", "train.ema_decay=1.5"], "train.ema_decay: must be in (0, 1)"),
    "rollback factor out of range": (["fit", "train.rollback_lr_factor=2"], "train.rollback_lr_factor"),
    "NaN value": (["fit", "data.sigma=nan"], "data.sigma: must be a finite number"),
    "negative seed": (["fit", "train.seed=-1"], "train.seed: must be in"),
    "Wasserstein loss without a constraint": (["fit", "loss=wasserstein"], "needs a Lipschitz critic"),
    "gradient penalty with BatchNorm": (["fit", "variant.name=dcgan", "penalty.name=gp"], "BatchNorm in the critic"),
    "unknown variant": (["fit", "variant.name=stylegan9"], "unknown variant"),
    "unknown data set": (["fit", "data.name=cifar11"], "data.name"),
    "bad loss name": (["fit", "loss=hinged"], "loss: unknown choice 'hinged'"),
    "bad precision": (["fit", "trainer.precision=8-mixed"], "trainer.precision"),
    "zero devices": (["fit", "trainer.devices=0"], "trainer.devices: must be >= 1"),
    "grid of 8 modes": (["fit", "data.layout=grid", "data.n_modes=8"], "perfect square"),
    "channel count": (["fit", "data.name=image_folder", "data.path=imgs", "data.channels=2"], "data.channels: must be 1 or 3"),
    "missing data path": (["fit", "data.name=image_folder", "data.path=/nonexistent/images"], "directory not found"),
    "corrupt image file": (["fit", "data.name=image_folder", "data.path=corrupt"], "cannot decode image"),
    "unknown metric group": (["fit", "eval.metrics=[nosuch]"], "unknown metric group 'nosuch'"),
    "image metrics on 2D points": (["fit", "eval.every=2", "eval.metrics=[inception]"], "inception needs images"),
    "too few evaluation samples": (["fit", "eval.num_samples=5"], "eval.num_samples: must be >= 10"),
    "unwritable output directory": (["fit", "run.root=/proc/lightning-gan"], "point run.root at a writable directory"),
    "existing run directory": (["fit", "run.name=keep"], "already exists; runs are never overwritten"),
    "config file not found": (["fit", "nosuch.yaml"], "config file not found"),
    "config file not YAML": (["fit", "broken.yaml"], "not valid YAML"),
    "not a key=value override": (["fit", "train.k"], "not a key=value override"),
    "resume without a checkpoint": (["fit", "--resume", "runs/nockpt"], "nothing to resume"),
    "checkpoint from another variant": (["fit", "--resume", "runs/keep", "variant.name=dcgan"],
                                        "the checkpoint was trained with variant 'gan'"),
    "sweep parameter that is not a config key": (["sweep", "sweep.yaml", "--check"], "did you mean 'optim.d.lr'"),
    "evaluate a missing run": (["evaluate", "runs/nowhere"], "does not exist"),
    # image-to-image folders in the reference layouts (tests/folders.py writes the well-formed ones)
    "paired set without its test split": (["fit", *P2P, "data.path=p2p_no_test"], "split 'test' missing"),
    "odd-width A|B image": (["fit", *P2P, "data.path=p2p_odd"], "an odd width cannot split into A|B halves"),
    "A|B halves not square": (["fit", *P2P, "data.path=p2p_wide"], "the A|B halves are not square"),
    "aligned A/ and B/ of unequal counts": (["fit", *P2P, "data.path=p2p_unequal"], "8 and 7 images, not paired by name"),
    "mixed image sizes in a split": (["fit", *P2P, "data.path=p2p_mixed"], "images of 2 sizes"),
    "unreadable image in a paired set": (["fit", *P2P, "data.path=p2p_corrupt"], "cannot read image"),
    "CycleGAN domain folder missing": (["fit", *CYC, "data.path=cyc_no_trainB"], "split 'trainB' missing"),
    "CycleGAN test pairs not named alike": (["fit", *CYC, "data.path=cyc_names", "data.test_pairs=true"],
                                            "the two folders' file names differ"),
    "noise variant on paired images": (["fit", "variant.name=dcgan", "data.name=paired_folder", "data.path=p2p_ok"],
                                       "dcgan generates images from noise"),
    "pix2pix on unpaired domains": (["fit", *P2P[:2], *CYC[2:], "data.path=cyc_names"], "pix2pix translates paired images"),
    "PatchGAN deeper than the image": (["fit", *P2P, "variant.d_layers=3", "data.path=p2p_ok"], "leave no score map"),
    "an adversarial key on the VAE": (["fit", "variant.name=vae", "data.name=digits", "loss=hinge"], "loss: unknown key"),
    "the VAE on 2D points": (["fit", "variant.name=vae"], "the VAE models images"),
    "likelihood metrics on a GAN": (["fit", "eval.every=2", "eval.metrics=[likelihood]"], "likelihood needs a model"),
    "translation metrics on noise data": (["fit", "eval.every=2", "eval.metrics=[translation]"], "translation needs paired"),
}
OWN_DATA = ("data.name=image_folder", "data.name=paired_folder", "data.name=unpaired_folder", "data.name=digits")


def write_translation_folders(root: Path) -> None:
    """One malformed copy of the reference layouts per case, and a well-formed one."""
    write_side_by_side(root / "p2p_ok")
    write_side_by_side(root / "p2p_no_test", splits=("train",))
    save(root / "p2p_odd" / "train" / "0.png", np.zeros((16, 31), np.uint8))
    save(root / "p2p_wide" / "train" / "0.png", np.zeros((16, 48), np.uint8))
    write_aligned(root / "p2p_unequal")
    (root / "p2p_unequal" / "B" / "train" / "7.png").unlink()
    write_side_by_side(root / "p2p_mixed")
    save(root / "p2p_mixed" / "train" / "big.png", np.zeros((20, 40), np.uint8))
    write_side_by_side(root / "p2p_corrupt")
    (root / "p2p_corrupt" / "train" / "bad.png").write_bytes(b"\x89PNG but not really")
    write_unpaired(root / "cyc_no_trainB")
    shutil.rmtree(root / "cyc_no_trainB" / "trainB")
    write_unpaired(root / "cyc_names")
    (root / "cyc_names" / "testB" / "0.png").rename(root / "cyc_names" / "testB" / "other.png")


def tree(root: Path) -> dict:
    return {str(p): hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """An existing finished run and the inputs for the data cases, made once for the module."""
    root = tmp_path_factory.mktemp("bad_inputs_workspace")
    with contextlib.chdir(root):
        assert main(["fit", *TINY, "run.name=keep"]) == 0
        Path("runs/nockpt").mkdir()
        Path("runs/nockpt/config.yaml").write_text(Path("runs/keep/config.yaml").read_text())
        Path("imgs").mkdir()
        Path("corrupt").mkdir()
        (Path("corrupt") / "a.png").write_bytes(b"\x89PNG but not really")
        write_translation_folders(Path("."))
        Path("broken.yaml").write_text("train: {k: [1,\n")
        Path("sweep.yaml").write_text("program: x\nmethod: grid\nparameters:\n  optim.d.lrr: {values: [0.001]}\n"
                                      "command: [python, -m, lightning_gan, fit, '${args_no_hyphens}']\n")
    return root


@pytest.fixture
def workspace(template, tmp_path):
    """A private copy of the template in this test's directory (the cwd), and a fingerprint of everything."""
    shutil.copytree(template, tmp_path, dirs_exist_ok=True, symlinks=True)
    return tree(tmp_path)


def test_there_are_at_least_25_distinct_bad_inputs():
    # distinct command lines, not just names: a case copied under a second name does not count
    assert len({tuple(args) for args, _ in CASES.values()}) == len(CASES) >= 25


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_exits_2_with_the_fix_and_touches_no_output(name, workspace, tmp_path, capsys):
    args, message = CASES[name]
    if args[0] == "fit" and "--resume" not in args:
        args = [*args, *(COMMON if any(a in args for a in OWN_DATA) else TINY)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "fix" in err  # every message says how to fix it
    assert tree(tmp_path) == workspace  # nothing written, nothing overwritten, no new run directory
