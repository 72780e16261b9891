"""Pins every private Lightning detail lightning_gan.compat reads: an upgrade that moves one fails here."""
import torch

from conftest import tiny_overrides
from lightning_gan import compat
from lightning_gan.callbacks import DataPosition
from lightning_gan.config import load_config
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit

load_all()


class RecordSteps(DataPosition.__base__):
    def __init__(self):
        self.steps = []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.steps.append(compat.batches_that_stepped(trainer))


def test_private_lightning_state_that_compat_reads():
    recorder = RecordSteps()
    # 64 samples / batch 8 = 8 batches an epoch; 6 G steps end mid-epoch
    cfg = load_config(None, [*tiny_overrides(VARIANTS["gan"]), "train.g_steps=6", "train.checkpoint_every=6"])
    result = fit(cfg, verbose=False, callbacks=[recorder])
    # one logger step per training batch; Lightning advances it after the batch's callbacks: 0, 1, ... 5
    assert recorder.steps == [0, 1, 2, 3, 4, 5]
    checkpoint = torch.load(result.checkpoint, weights_only=True)
    # the train loader's own state_dict, where Lightning keeps it in the checkpoint
    assert compat.saved_train_loader_state(checkpoint) == {"epoch": 0, "consumed": 6}
    assert compat.saved_train_loader_state({}) is None
