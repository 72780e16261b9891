"""Run by tests/test_ddp.py: a DDP fit that compares every parameter and buffer across ranks after every batch.

Buffers include BatchNorm running statistics (of G, D and the EMA copy of G) and the EMA's counter.

usage: python tests/ddp_rank_equality.py OUT.json key=value ...  (Lightning re-runs it for rank 1)
"""
import json
import sys
from pathlib import Path

import torch
from lightning.pytorch.callbacks import Callback

from lightning_gan.config import load_config
from lightning_gan.runs import fit


class RankEquality(Callback):
    """All-gathers every parameter and buffer after every batch (every D step, and every G step)."""

    def __init__(self):
        self.batches, self.max_difference, self.max_buffer_difference, self.buffers = 0, 0.0, 0.0, 0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.max_difference = max(self.max_difference, self._spread(module, list(module.parameters())))
        buffers = [b for b in module.buffers() if b.numel()]
        self.buffers = len(buffers)
        self.max_buffer_difference = max(self.max_buffer_difference, self._spread(module, buffers))
        self.batches += 1

    @staticmethod
    def _spread(module, tensors) -> float:
        if not tensors:
            return 0.0
        flat = torch.cat([t.detach().double().flatten() for t in tensors])
        gathered = module.all_gather(flat)  # [world_size, n]
        return float((gathered - gathered[0]).abs().max())

    def on_train_end(self, trainer, module):
        if trainer.is_global_zero:
            Path(sys.argv[1]).write_text(json.dumps({"batches": self.batches, "max_difference": self.max_difference,
                                                     "max_buffer_difference": self.max_buffer_difference,
                                                     "buffers": self.buffers, "g_steps": module.g_steps,
                                                     "world_size": trainer.world_size}))


if __name__ == "__main__":
    fit(load_config(None, sys.argv[2:]), verbose=False, callbacks=[RankEquality()])
