"""EMA of the generator: the exact average of G's weights after each G step, D untouched, saved, used to sample."""
import torch
from lightning.pytorch.callbacks import Callback

from conftest import tiny_overrides
from lightning_gan.config import load_config
from lightning_gan.module import load_module
from lightning_gan.registry import VARIANTS, load_all

load_all()


def test_ema_is_the_exponential_average_of_g_after_each_g_step(monkeypatch):
    import lightning_gan.runs as runs

    snapshots = []

    class RecordG(Callback):
        def on_train_batch_end(self, trainer, module, *args):
            if module.g_steps > len(snapshots):
                snapshots.append({k: v.detach().clone() for k, v in module.generator.state_dict().items()})

    real_trainer = runs.L.Trainer
    monkeypatch.setattr(runs.L, "Trainer", lambda **kw: real_trainer(**{**kw, "callbacks": kw["callbacks"] + [RecordG()]}))
    cfg = load_config(None, [*tiny_overrides(VARIANTS["dcgan"], "images"), "train.g_steps=3", "train.ema_decay=0.5",
                             "train.k=2"])
    result = runs.fit(cfg, verbose=False)
    module = result.module
    assert len(snapshots) == 3
    ema = module.generator_ema.module.state_dict()
    for name, value in ema.items():
        if value.is_floating_point():  # the first update copies G, then ema = d * ema + (1 - d) * G
            expected = 0.5 * (0.5 * snapshots[0][name] + 0.5 * snapshots[1][name]) + 0.5 * snapshots[2][name]
            torch.testing.assert_close(value, expected)
    assert not any("discriminator" in key for key in module.generator_ema.state_dict())

    z = module.sample_z(4, generator=torch.Generator().manual_seed(0))
    module.generator_ema.module.eval()
    torch.testing.assert_close(module.sample(z), module.generator_ema.module(z))  # grids use the EMA
    restored = load_module(str(result.checkpoint))
    torch.testing.assert_close(restored.sample(z), module.sample(z))  # and it is in the checkpoint
    assert any(key.startswith("generator_ema.") for key in torch.load(result.checkpoint, weights_only=True)["state_dict"])


def test_before_its_start_step_the_ema_copies_g():
    cfg = load_config(None, [*tiny_overrides(VARIANTS["dcgan"], "images"), "train.ema_decay=0.5", "train.ema_start=3",
                             "train.g_steps=3"])
    module = fit_module(cfg)
    for name, value in module.generator_ema.module.state_dict().items():  # G steps 1-3 copied G
        assert torch.equal(value, module.generator.state_dict()[name]), name
    longer = fit_module(load_config(None, [*tiny_overrides(VARIANTS["dcgan"], "images"), "train.ema_decay=0.5",
                                           "train.ema_start=3", "train.g_steps=5"]))
    ema, g = longer.generator_ema.module.state_dict(), longer.generator.state_dict()
    assert not all(torch.equal(ema[k], g[k]) for k in ema if ema[k].is_floating_point())  # averaging from step 4


def fit_module(cfg):
    from lightning_gan.runs import fit

    return fit(cfg, verbose=False).module
