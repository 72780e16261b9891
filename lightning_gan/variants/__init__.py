"""One file per paper; importing this package registers every variant."""
from lightning_gan.variants import conditional, dcgan, vanilla  # noqa: F401
