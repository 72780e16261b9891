"""Config schemas of every variant and data module, registered by name; importing this package imports no torch.

A variant or data module keeps its networks and loading code in ``lightning_gan.variants`` /
``lightning_gan.data`` and names its schema here, so that parsing and validating a config (``fit``
with a typo, ``config``, ``sweep --check``) answers before torch is imported.
"""
from lightning_gan.schemas import biggan, data, gan, stylegan2, translation, vae  # noqa: F401
