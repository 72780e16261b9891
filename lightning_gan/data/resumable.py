"""A training loader whose position survives a checkpoint, so a resumed run sees the same batches.

Lightning saves the state of any train loader with ``state_dict`` / ``load_state_dict`` and restores
it before iterating. The state here is (epoch, batches consumed in it). Epoch e's order is a
permutation drawn from (seed, e) alone, so it can be re-created and the consumed batches skipped.

Batches are counted when the training step consumes them (``batch_consumed``, called by the
``DataPosition`` callback), not when iterated:
Lightning prefetches one batch ahead, so a count of yielded batches would be one too many.

The sampler also shards for DDP (``Trainer(use_distributed_sampler=False)``): each rank takes every
world_size-th index of the epoch's permutation, padded by wrap-around like DistributedSampler.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, Sampler


class EpochSampler(Sampler[int]):
    """Counts its own epochs: a new iteration after a fully consumed epoch starts the next one.

    Lightning's epoch counter is not used: a checkpoint written when a run stops mid-epoch records
    that epoch as complete, so a run resumed from it would skip the epoch's unseen batches.
    """

    def __init__(self, size: int, *, seed: int, batch_size: int, tag_epochs: bool = False):
        self.size, self.seed, self.batch_size = size, seed, batch_size
        # yield epoch * size + index: a dataset drawing per-sample randomness (crop jitter) from this
        # id gets other draws in every epoch, and the same ones after a resume
        self.tag_epochs = tag_epochs
        self.epoch = 0
        self.consumed = 0  # batches of this epoch the training step has taken

    @staticmethod
    def _world() -> tuple[int, int]:
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1

    def _num_local(self) -> int:
        return math.ceil(self.size / self._world()[1])

    def set_epoch(self, epoch: int) -> None:
        """Lightning calls this at every epoch start; the epoch here follows the data actually consumed."""

    def __iter__(self) -> Iterator[int]:
        if self.consumed >= self._num_local() // self.batch_size:  # the last epoch was used up
            self.epoch, self.consumed = self.epoch + 1, 0
        rank, world = self._world()
        order = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch))
        total = self._num_local() * world
        order = torch.cat([order, order[: total - self.size]])  # equal shares for every rank
        local = order[rank:total:world] + (self.epoch * self.size if self.tag_epochs else 0)
        return iter(local[self.consumed * self.batch_size:].tolist())  # after a restore: the unseen rest

    def __len__(self) -> int:
        return self._num_local()


class ResumableLoader(DataLoader):
    """Shuffled full batches (the last partial batch dropped) from an EpochSampler, resumable."""

    def __init__(self, dataset: Dataset, *, batch_size: int, seed: int, num_workers: int = 0, collate_fn=None,
                 tag_epochs: bool = False):
        sampler = EpochSampler(len(dataset), seed=seed, batch_size=batch_size, tag_epochs=tag_epochs)
        # Its own generator: a loader without one draws its workers' base seed from the global RNG at
        # every epoch start, which would shift the noise stream of a resumed run.
        super().__init__(dataset, batch_size=batch_size, sampler=sampler, drop_last=True, num_workers=num_workers,
                         persistent_workers=num_workers > 0, generator=torch.Generator().manual_seed(seed),
                         collate_fn=collate_fn)

    def batch_consumed(self) -> None:
        self.sampler.consumed += 1

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.sampler.epoch, "consumed": self.sampler.consumed}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sampler.epoch, self.sampler.consumed = int(state["epoch"]), int(state["consumed"])
