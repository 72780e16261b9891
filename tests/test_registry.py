"""The torch-free schemas and the classes that train agree: names, schemas, families and spelt-out facts."""
import typing
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
