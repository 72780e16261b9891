"""One file per paper; importing this package registers every variant."""
from lightning_gan.variants import biggan, conditional, cyclegan, dcgan, pix2pix, stylegan2, vae, vanilla  # noqa: F401
