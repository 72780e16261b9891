"""Name -> schema and name -> class tables for variants and data modules.

A config's ``variant.name`` / ``data.name`` picks a schema from ``VARIANT_SCHEMAS`` / ``DATA_SCHEMAS``:
dataclasses in ``lightning_gan.schemas``, which import neither torch nor Lightning, so a config is
parsed and validated in a fraction of a second. The classes that train (``VARIANTS``, ``DATAMODULES``)
register under the same names, and registration checks that a class uses the schema of its name.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

T = TypeVar("T", bound=type)


def _unknown(section: str, name: object, known: list[str]):
    from lightning_gan.config import ConfigError, Issue

    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError([Issue(f"{section}.name", f"unknown {section} {name!r}{hint}", f"use one of: {', '.join(sorted(known))}")])


@dataclass(frozen=True)
class Schema:
    config: type  # the section's dataclass (its ``name`` field defaults to the registered name)
    root: Optional[type]  # a variant's family schema (AdversarialConfig, ...), which owns the top level


class SchemaRegistry(dict):
    def __init__(self, section: str):
        super().__init__()
        self.section = section  # the config key whose ``.name`` selects an entry

    def register(self, name: str, *, root: Optional[type] = None) -> Callable[[T], T]:
        def add(config: T) -> T:
            if name in self:
                raise ValueError(f"{self.section} schema {name!r} is registered twice ({self[name].config} and {config})")
            if getattr(config, "name", None) != name:
                raise ValueError(f"{config.__name__}.name defaults to {getattr(config, 'name', None)!r}, expected {name!r}")
            self[name] = Schema(config, root)
            return config

        return add

    def lookup(self, name: str) -> Schema:
        load_schemas()
        if not isinstance(name, str) or name not in self:
            raise _unknown(self.section, name, list(self))
        return self[name]


class Registry(dict):
    """Classes that train or load data (they import torch); each uses the schema registered under its name."""

    def __init__(self, schemas: SchemaRegistry):
        super().__init__()
        self.schemas = schemas
        self.section = schemas.section

    def register(self, name: str) -> Callable[[T], T]:
        def add(cls: T) -> T:
            if name in self:
                raise ValueError(f"{self.section} {name!r} is registered twice ({self[name]} and {cls})")
            schema = self.schemas.lookup(name)
            if cls.Config is not schema.config:
                raise ValueError(f"{cls.__name__}.Config is {cls.Config.__name__}, but {self.section} {name!r} "
                                 f"is registered with {schema.config.__name__} in lightning_gan.schemas")
            if schema.root is not None and cls.RootConfig is not schema.root:
                raise ValueError(f"{cls.__name__} belongs to {cls.RootConfig.__name__}, its schema to {schema.root.__name__}")
            self[name] = cls
            return cls

        return add

    def lookup(self, name: str):
        load_all()
        if not isinstance(name, str) or name not in self:
            raise _unknown(self.section, name, list(self))
        return self[name]


VARIANT_SCHEMAS = SchemaRegistry("variant")
DATA_SCHEMAS = SchemaRegistry("data")
VARIANTS = Registry(VARIANT_SCHEMAS)
DATAMODULES = Registry(DATA_SCHEMAS)


def load_schemas() -> None:
    """Import the schema modules (no torch) whose decorators fill the schema tables."""
    import lightning_gan.schemas  # noqa: F401


def load_all() -> None:
    """Import the modules (torch, Lightning) whose decorators fill the class tables."""
    import lightning_gan.data  # noqa: F401
    import lightning_gan.variants  # noqa: F401
