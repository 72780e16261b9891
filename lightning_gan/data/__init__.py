"""Data modules; importing this package registers every one of them."""
from lightning_gan.data.base import InMemoryDataModule  # noqa: F401
from lightning_gan.data import images, mixtures, synthetic, translation  # noqa: F401
