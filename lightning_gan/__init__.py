"""lightning-gan: GAN experiments on PyTorch Lightning, one adversarial step for every variant."""
__version__ = "0.1.0"
