"""One contract for every registered variant: no per-variant code in here."""
import math

import lightning as L
import pytest
import torch

from conftest import tiny_overrides
from lightning_gan.config import load_config, to_dict
from lightning_gan.loggers import read_jsonl
from lightning_gan.module import load_module
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit

load_all()
CASES = [(name, data) for name in sorted(VARIANTS) for data in VARIANTS[name].data_kinds]


@pytest.mark.parametrize("name, data", CASES)
def test_variant_contract(name, data):
    cls = VARIANTS[name]
    cfg = load_config(None, tiny_overrides(cls, data))
    result = fit(cfg, verbose=False)
    module = result.module
    shape = (2,) if data == "points" else (1, 16, 16)

    # both networks trained: every parameter moved away from its seeded initial value
    L.seed_everything(cfg.train.seed, verbose=False)
    initial = cls(to_dict(cfg), data_shape=shape, num_classes=10)
    for prefix in ("generator", "discriminator"):
        before = dict(getattr(initial, prefix).named_parameters())
        for pname, param in getattr(module, prefix).named_parameters():
            assert not torch.equal(param.detach().cpu(), before[pname].detach()), f"{prefix}.{pname} did not train"

    # the schedule's counters and finite logged losses
    assert (module.g_steps, module.d_steps) == (cfg.train.g_steps, cfg.train.g_steps * cfg.train.k)
    rows = [r for r in read_jsonl(result.run_dir / "metrics.jsonl") if "train/g_loss" in r]
    assert len(rows) == cfg.train.g_steps // cfg.train.log_every
    assert all(math.isfinite(r[k]) for r in rows for k in ("train/g_loss", "train/d_loss", "train/D_x", "train/D_G_z"))
    assert {k for r in rows for k in r} - {"step", "epoch"} == cls.train_keys(cfg)  # what sweep validation expects

    # samples: shape and range
    z = module.sample_z(6, generator=torch.Generator().manual_seed(1))
    samples = module.sample(z)
    assert samples.shape == (6, *shape)
    assert torch.isfinite(samples).all()
    if data == "images":
        assert samples.min() >= -1 and samples.max() <= 1

    # run directory contents
    assert (result.run_dir / "config.yaml").is_file()
    assert load_config(result.run_dir / "config.yaml") == cfg
    assert len(list((result.run_dir / "samples").glob("g*.png"))) == 2  # G steps 2 and 4

    # checkpoint round trip: same samples for the same z, counters restored
    restored = load_module(str(result.checkpoint))
    assert type(restored) is cls
    assert (restored.g_steps, restored.d_steps) == (module.g_steps, module.d_steps)
    torch.testing.assert_close(restored.sample(z), samples)
