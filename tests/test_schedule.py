"""The adversarial schedule: k D steps per G step, each D step on a fresh batch, counters in checkpoints."""
from dataclasses import dataclass

import pytest
import torch

from lightning_gan.config import AdversarialConfig, load_config
from lightning_gan.jsonl import read_jsonl
from lightning_gan.module import load_module
from lightning_gan.registry import VARIANT_SCHEMAS, VARIANTS
from lightning_gan.schemas.gan import VanillaGANConfig
from lightning_gan.variants.vanilla import VanillaGAN


@dataclass
class RecordingConfig(VanillaGANConfig):
    name: str = "recording_gan"


class RecordingGAN(VanillaGAN):
    """Vanilla GAN that records which samples each update saw and which parameters could learn."""

    Config = RecordingConfig

    def on_fit_start(self):
        self.log_of_steps = []

    def discriminator_loss(self, batch):
        self.log_of_steps.append(("D", batch.images.clone(), self._trainable()))
        return super().discriminator_loss(batch)

    def generator_loss(self, batch):
        self.log_of_steps.append(("G", batch.images.clone(), self._trainable()))
        return super().generator_loss(batch)

    def _trainable(self):
        return (any(p.requires_grad for p in self.generator.parameters()),
                any(p.requires_grad for p in self.discriminator.parameters()))


@pytest.fixture
def recording_variant():
    VARIANT_SCHEMAS.register("recording_gan", root=AdversarialConfig)(RecordingConfig)
    VARIANTS.register("recording_gan")(RecordingGAN)
    yield
    del VARIANTS["recording_gan"], VARIANT_SCHEMAS["recording_gan"]


@pytest.mark.parametrize("k", [1, 3])
def test_k_d_steps_per_g_step_each_on_a_fresh_batch(k, recording_variant):
    from lightning_gan.runs import fit

    n = 5
    cfg = load_config(None, ["variant.name=recording_gan", "variant.g_hidden=[8]", "variant.d_hidden=[8]",
                             "data.name=synthetic", "data.shape=[2]", "data.n_samples=40", "data.batch_size=4",
                             f"train.k={k}", f"train.g_steps={n}", "train.log_every=2", "train.sample_every=2",
                             "run.wandb.mode=disabled", "trainer.accelerator=cpu"])
    result = fit(cfg, verbose=False)
    steps = result.module.log_of_steps
    kinds = "".join(kind for kind, _, _ in steps)
    assert kinds == ("D" * k + "G") * n  # strictly alternating, k D steps then one G step
    d_batches = [batch for kind, batch, _ in steps if kind == "D"]
    assert len(d_batches) == k * n == result.module.d_steps
    # every D step got a batch no other D step got (the data set has 40 distinct points)
    assert len({tuple(b.flatten().tolist()) for b in d_batches}) == len(d_batches)
    # toggling: during a D step only D can learn, during a G step only G
    assert all(trainable == ((False, True) if kind == "D" else (True, False)) for kind, _, trainable in steps)
    # Lightning's global_step counts optimizer steps (k + 1 per G step): why budgets use g_steps
    assert result.module.trainer.global_step == (k + 1) * n

    # G-step schedules hold for any k: rows and sample plots every 2 G steps and at the end (5)
    rows = [row["g_step"] for row in read_jsonl(result.run_dir / "metrics.jsonl") if "train/g_loss" in row]
    assert rows == [2, 4, 5]
    assert sorted(p.name for p in (result.run_dir / "samples").glob("*.png")) == [
        "g0000002.png", "g0000004.png", "g0000005.png"]

    restored = load_module(str(result.checkpoint))
    assert (restored.g_steps, restored.d_steps) == (n, k * n)
    checkpoint = torch.load(result.checkpoint, weights_only=True)
    assert checkpoint["lightning_gan_counters"] == {"g_steps": n, "d_steps": k * n, "d_in_cycle": 0, "d_logs": [],
                                                    "rollbacks": 0, "reg_logs": {}}
