"""One file per paper; importing this package registers every variant."""
from lightning_gan.variants import dcgan, vanilla  # noqa: F401
