"""trainer.channels_last and trainer.compile: the same training in another memory format or traced by
torch.compile, with the eager module's parameter names, so checkpoints move between the modes."""
import contextlib
import math

import pytest
import torch

from conftest import tiny_overrides
from contract import cases, fit_tiny
from lightning_gan.config import load_config
from lightning_gan.module import load_module
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit

load_all()


def tiny_dcgan(tmp_path, name, *extra):
    cfg = load_config(None, [*tiny_overrides(VARIANTS["dcgan"], "images"), "train.g_steps=2", "train.k=2",
                             "train.ema_decay=0.5", "trainer.deterministic=true",
                             "data.shape=[3,16,16]",  # one channel would make NHWC and NCHW the same layout
                             f"run.root={tmp_path}", f"run.name={name}", *extra])
    return fit(cfg, verbose=False)


@contextlib.contextmanager
def watching_inputs(record):
    """record(network name, its first input) on every forward of G and D, traced or not."""
    original = VARIANTS["dcgan"].build

    def build(self):
        original(self)
        for name in ("generator", "discriminator"):
            getattr(self, name).register_forward_pre_hook(lambda module, args, name=name: record(name, args[0]))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(VARIANTS["dcgan"], "build", build)
        yield


def test_channels_last_trains_the_same_networks_on_nhwc_inputs_and_checkpoints_load_contiguous(tmp_path):
    d_inputs = []
    plain = tiny_dcgan(tmp_path, "plain")
    with watching_inputs(lambda name, x: d_inputs.append(x) if name == "discriminator" else None):
        nhwc = tiny_dcgan(tmp_path, "nhwc", "trainer.channels_last=true")
    convs = [p for p in nhwc.module.parameters() if p.dim() == 4]
    assert convs and all(p.is_contiguous(memory_format=torch.channels_last) for p in convs)
    assert not all(p.is_contiguous() for p in convs)
    assert d_inputs and all(x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
                            for x in d_inputs)  # real batches and G's fakes alike
    for (name, a), b in zip(plain.module.state_dict().items(), nhwc.module.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=name)  # same math, another summation order
    restored = load_module(str(nhwc.checkpoint))
    z = restored.sample_z(3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(restored.sample(z), nhwc.module.sample(z), atol=1e-5, rtol=1e-4)


def test_compile_traces_every_trained_network_and_trains_as_eager(tmp_path):
    traced = set()
    eager = tiny_dcgan(tmp_path, "eager")
    with watching_inputs(lambda name, x: traced.add(name) if torch.compiler.is_compiling() else None):
        compiled = tiny_dcgan(tmp_path, "compiled", "trainer.compile=eager")
    assert traced == {"generator", "discriminator"}
    assert list(compiled.module.state_dict()) == list(eager.module.state_dict())
    for (name, a), b in zip(eager.module.state_dict().items(), compiled.module.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)
    assert set(torch.load(compiled.checkpoint, weights_only=False)["state_dict"]) == set(eager.module.state_dict())


def image_cases():
    return [(name, data) for family in ("unconditional", "conditional", "translation", "vae")
            for name, data in cases(family) if data != "points"]


@pytest.mark.parametrize("name, data", image_cases())
def test_every_image_variant_trains_in_bf16_on_nhwc(name, data):
    """bench/precision.py's fastest eager mode, through each variant's own step and regularizers."""
    _, result = fit_tiny(name, data, "trainer.precision=bf16-mixed", "trainer.channels_last=true", "train.g_steps=2")
    assert result.module.g_steps == 2
    assert all(math.isfinite(value) for key, value in result.final.items() if key.startswith("train/")), result.final
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in result.module.parameters() if p.dim() == 4)
