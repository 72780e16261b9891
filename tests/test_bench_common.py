"""The benches that time `lightning-gan fit` from outside read its summary line: it must stay readable."""
import pytest

from bench.common import training_seconds
from lightning_gan.cli import main


def test_the_fit_summary_line_gives_the_training_seconds(capsys, tmp_path):
    assert main(["fit", "train.g_steps=3", "variant.g_hidden=[8]", "variant.d_hidden=[8]", "run.wandb.mode=disabled",
                 f"run.root={tmp_path}"]) == 0
    assert 0 < training_seconds(capsys.readouterr().out) < 60


def test_output_without_the_line_fails_naming_it():
    with pytest.raises(ValueError, match="trained N G steps"):
        training_seconds("Epoch 0: 100%")
