"""One file per paper; importing this package registers every variant."""
from lightning_gan.variants import vanilla  # noqa: F401
