"""TranslationGAN: the image-to-image family on the adversarial step (pix2pix, CycleGAN).

Still two optimizers and one step: a side may hold several networks (CycleGAN's two generators are
one "g" side, its two critics one "d" side). A batch's ``images`` are the inputs and ``target`` the
images of the other domain (aligned for paired data). What differs from noise models is sampling:
``generate`` translates given inputs, and the sample grid shows inputs, outputs and targets of a
fixed set of evaluation images.
"""
from __future__ import annotations

import torch
from torch import nn

from lightning_gan.base import Generated, Showcase
from lightning_gan.module import AdversarialModule


class TranslationGAN(AdversarialModule):
    family = "translation"
    data_kinds = ("paired",)  # contract suites: "paired" or "unpaired" folders
    grid_rows = ("input", "output", "target")  # what ``translation_rows`` returns, for the grid's caption

    def translator(self, net: nn.Module, reverse: bool) -> nn.Module:
        """The network of one direction inside ``net`` (G or its EMA copy); one-way variants refuse reverse."""
        if reverse:
            raise ValueError(f"{self.cfg.variant.name} translates one way (input to target): reverse is not available")
        return net

    @torch.no_grad()
    def translate(self, inputs: torch.Tensor, *, generator: torch.Generator | None = None,
                  reverse: bool = False) -> torch.Tensor:
        """Inputs [N, C, H, W] in [-1, 1] -> outputs, with the EMA generator when on, in eval mode.

        A seeded ``generator`` fixes the networks' own noise (pix2pix's dropout): the global random
        state is forked and seeded from it, so a sample grid drawn mid-training leaves the training
        noise stream as it was, and the same generator gives the same outputs.
        """
        net = self.translator(self.sampling_network, reverse)
        was_training = net.training
        net.eval()
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        try:
            with torch.random.fork_rng(devices=devices):
                if generator is not None:
                    torch.manual_seed(int(torch.randint(2 ** 62, (1,), generator=generator)))
                return net(inputs.to(self.device, dtype=next(net.parameters()).dtype))
        finally:
            net.train(was_training)

    @torch.no_grad()
    def generate(self, n: int, generator: torch.Generator | None = None, *, labels: torch.Tensor | None = None,
                 inputs: torch.Tensor | None = None, truncation: float | None = None, reverse: bool = False) -> Generated:
        """Translations of ``inputs`` ([n, C, H, W] in [-1, 1]); ``reverse`` maps target to input (CycleGAN)."""
        name = self.cfg.variant.name
        if inputs is None:
            raise ValueError(f"{name} translates images: pass inputs=[{n}, {', '.join(map(str, self.data_shape))}] in [-1, 1]")
        if labels is not None or truncation is not None:
            raise ValueError(f"{name} takes no labels or truncation: its outputs follow from the inputs")
        inputs = torch.as_tensor(inputs)
        if tuple(inputs.shape) != (n, *self.data_shape):
            raise ValueError(f"inputs must have shape [{n}, {', '.join(map(str, self.data_shape))}], got {list(inputs.shape)}")
        return Generated(self.translate(inputs, generator=generator, reverse=reverse), None)

    def translation_rows(self, inputs: torch.Tensor, targets: torch.Tensor, generator: torch.Generator) -> list[torch.Tensor]:
        """The sample grid's rows, named by ``grid_rows``."""
        return [inputs, self.translate(inputs, generator=generator), targets]

    @torch.no_grad()
    def sample_grid(self, datamodule, count: int, seed: int) -> Showcase:
        columns = max(1, min(8, count))
        inputs, targets = datamodule.grid_pairs(columns)
        rows = self.translation_rows(inputs.to(self.device), targets.to(self.device), torch.Generator().manual_seed(seed))
        return Showcase(torch.cat([row.float().cpu() for row in rows]), len(inputs), f"rows: {', '.join(self.grid_rows)}")
