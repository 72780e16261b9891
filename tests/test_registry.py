"""The torch-free schemas and the classes that train agree: names, schemas, families and spelt-out facts."""
import typing
from pathlib import Path
from dataclasses import dataclass

import pytest

from lightning_gan.config import CRITIC_LOSSES, AdversarialConfig, ConfigError, LossName, VariantConfig
from lightning_gan.losses import LOSSES
from lightning_gan.nets.dcgan import BASES
from lightning_gan.registry import DATA_SCHEMAS, DATAMODULES, VARIANT_SCHEMAS, VARIANTS, Registry, SchemaRegistry, load_all
from lightning_gan.schemas.gan import DCGAN_SIDES

load_all()


def test_every_schema_has_its_class_and_every_class_its_schema():
    assert set(VARIANT_SCHEMAS) == set(VARIANTS)
    assert set(DATA_SCHEMAS) == set(DATAMODULES)
    for name, cls in VARIANTS.items():
        assert cls.Config is VARIANT_SCHEMAS[name].config and cls.RootConfig is VARIANT_SCHEMAS[name].root
    for name, cls in DATAMODULES.items():
        assert cls.Config is DATA_SCHEMAS[name].config


def test_spelt_out_facts_match_the_torch_modules():
    assert set(typing.get_args(LossName)) == set(LOSSES)
    assert CRITIC_LOSSES == {name for name, pair in LOSSES.items() if pair.critic}
    assert set(DCGAN_SIDES) == set(BASES)


def test_a_class_with_another_schema_is_refused_at_registration():
    schemas = SchemaRegistry("variant")

    @schemas.register("toy", root=AdversarialConfig)
    @dataclass
    class ToyConfig(VariantConfig):
        name: str = "toy"

    @dataclass
    class OtherConfig(VariantConfig):
        name: str = "toy"

    classes = Registry(schemas)
    with pytest.raises(ValueError, match="registered with ToyConfig"):
        classes.register("toy")(type("Toy", (), {"Config": OtherConfig, "RootConfig": AdversarialConfig}))
    with pytest.raises(ValueError, match="belongs to"):
        classes.register("toy")(type("Toy", (), {"Config": ToyConfig, "RootConfig": object}))
    with pytest.raises(ConfigError, match="did you mean 'toy'"):
        classes.register("tyo")(type("Toy", (), {"Config": ToyConfig, "RootConfig": AdversarialConfig}))


def test_library_entry_points_fill_the_class_tables_themselves():
    """`prepare classifier` once failed with KeyError 'fashion_mnist': it reached the data table before
    anything had imported the data modules. Each entry point runs here in a fresh interpreter."""
    import subprocess
    import sys

    code = ("from lightning_gan.config import load_config\n"
            "from lightning_gan.evaluate_run import build_datamodule\n"
            "dm = build_datamodule(load_config('configs/cgan_digits.yaml', ['trainer.accelerator=cpu']))\n"
            "print(type(dm).__name__, dm.num_classes)\n")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "10"
