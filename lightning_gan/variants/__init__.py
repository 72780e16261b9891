"""One file per paper; importing this package registers every variant."""
from lightning_gan.variants import biggan, conditional, dcgan, stylegan2, vanilla  # noqa: F401
