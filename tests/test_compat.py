"""Pins every private Lightning detail lightning_gan.compat reads: an upgrade that moves one fails here."""
import lightning as L
import torch

from conftest import tiny_overrides
from lightning_gan import compat
from lightning_gan.batch import Batch
from lightning_gan.callbacks import DataPosition
from lightning_gan.config import load_config, to_dict
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


class CountsBackwards(L.Callback):
    """A user's backward hook: it must still run, so its presence sends backward through Lightning."""

    def __init__(self):
        self.calls = 0

    def on_after_backward(self, trainer, module):
        self.calls += 1


def test_backward_is_plain_exactly_when_lightning_would_only_call_empty_hooks():
    module = VARIANTS["gan"](to_dict(load_config(None, tiny_overrides(VARIANTS["gan"]))), data_shape=[2])
    plain = L.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False)
    assert compat.backward_is_plain(plain, module)
    with_hook = L.Trainer(accelerator="cpu", devices=1, logger=False, callbacks=[CountsBackwards()])
    assert not compat.backward_is_plain(with_hook, module)
    ddp = L.Trainer(accelerator="cpu", devices=2, strategy="ddp", logger=False)
    assert not compat.backward_is_plain(ddp, module)  # DDP syncs gradients inside its backward
    for precision in ("bf16-mixed", "16-mixed"):  # AMP scales the loss (16-mixed) inside Lightning's backward
        assert not compat.backward_is_plain(L.Trainer(accelerator="cpu", precision=precision, logger=False), module)


def test_the_plain_backward_trains_bitwise_as_lightnings_and_a_users_hook_still_runs():
    cfg = load_config(None, [*tiny_overrides(VARIANTS["gan"]), "train.g_steps=5", "train.checkpoint_every=5"])
    fast = fit(cfg, verbose=False)
    counter = CountsBackwards()
    hooked = fit(cfg, verbose=False, callbacks=[counter])
    assert fast.module._plain_backward and not hooked.module._plain_backward
    assert counter.calls == 10  # 5 G steps, k=1: a D and a G backward each
    for (name, a), b in zip(fast.module.state_dict().items(), hooked.module.state_dict().values()):
        assert torch.equal(a, b), name


def test_a_batch_moves_as_one_object_and_keeps_long_labels(monkeypatch):
    batch = Batch(images=torch.zeros(3, 2), labels=torch.tensor([0, 1, 2]), target=torch.ones(3, 2))
    moved = batch.to(torch.float64)
    assert moved.images.dtype == moved.target.dtype == torch.float64 and moved.labels.dtype == torch.long
    assert torch.equal(moved.labels, batch.labels) and torch.equal(moved.target, batch.target.double())
    # Lightning's transfer treats anything with .to as one leaf and calls it (not its walk over fields)
    from lightning.fabric.utilities.apply_func import move_data_to_device
    calls = []
    monkeypatch.setattr(Batch, "to", lambda self, *args, **kwargs: calls.append(args) or self)
    assert move_data_to_device(batch, torch.device("cpu")) is batch and calls == [(torch.device("cpu"),)]
