"""Run by tests/test_ddp.py: a DDP fit that compares every parameter across ranks after every batch.

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
    """All-gathers G's and D's parameters after every batch (every D step, and every G step)."""

    def __init__(self):
        self.batches, self.max_difference = 0, 0.0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        flat = torch.cat([p.detach().flatten() for p in module.parameters()])
        gathered = module.all_gather(flat)  # [world_size, n]
        self.max_difference = max(self.max_difference, float((gathered - gathered[0]).abs().max()))
        self.batches += 1

    def on_train_end(self, trainer, module):
        if trainer.is_global_zero:
            Path(sys.argv[1]).write_text(json.dumps({"batches": self.batches, "max_difference": self.max_difference,
                                                     "g_steps": module.g_steps, "world_size": trainer.world_size}))


if __name__ == "__main__":
    fit(load_config(None, sys.argv[2:]), verbose=False, callbacks=[RankEquality()])
