"""Name -> class tables for variants and data modules.

A config's ``variant.name`` / ``data.name`` picks the class; the class carries its own ``Config``
dataclass, which becomes the schema of that config section before any YAML is merged.
"""
from __future__ import annotations

import difflib
from typing import Callable, TypeVar

T = TypeVar("T", bound=type)


class Registry(dict):
    def __init__(self, section: str):
        super().__init__()
        self.section = section  # the config key whose ``.name`` selects an entry

    def register(self, name: str) -> Callable[[T], T]:
        def add(cls: T) -> T:
            if name in self:
                raise ValueError(f"{self.section} {name!r} is registered twice ({self[name]} and {cls})")
            declared = getattr(cls.Config, "name", None)
            if declared != name:
                raise ValueError(f"{cls.__name__}.Config.name defaults to {declared!r}, expected {name!r}")
            self[name] = cls
            return cls

        return add

    def lookup(self, name: str):
        from lightning_gan.config import ConfigError, Issue

        if not isinstance(name, str) or name not in self:
            close = difflib.get_close_matches(str(name), list(self), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError([Issue(f"{self.section}.name", f"unknown {self.section} {name!r}{hint}",
                                     f"use one of: {', '.join(sorted(self))}")])
        return self[name]


VARIANTS = Registry("variant")
DATAMODULES = Registry("data")


def load_all() -> None:
    """Import the modules whose decorators fill the registries."""
    import lightning_gan.data  # noqa: F401
    import lightning_gan.variants  # noqa: F401
