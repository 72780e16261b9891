"""Run by tests/test_ddp.py: the Evaluator's mode and Parzen metrics gathered over 2 gloo CPU processes.

usage: python tests/ddp_eval_gather.py OUT_DIR  (forks ranks 0 and 1; each writes OUT_DIR/rank<r>.json)

The samples depend on the rank, so the gathered figures have known values that one rank alone cannot give:
rank 0 draws points exactly at mode centres, rank 1 points far from every mode (see ``rank_samples``).
"""
import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lightning_gan.evaluation import Evaluator  # imported once, before the fork (torchmetrics takes seconds)

WORLD_SIZE = 2
NUM_SAMPLES = 301  # shares 151 + 150; every rank draws 151, rank 1's last draw is not used
BATCH_SIZE = 64  # several sample() calls per rank: 64 + 64 + 23
ON_MODE_7 = 7  # rank 0's last 7 points sit on mode 7: a quarter of its fair share of 151, not of 301


def build_datamodule():
    from lightning_gan.config import load_config
    from lightning_gan.registry import DATAMODULES, load_all

    load_all()
    cfg = load_config(None, ["data.name=mixture", "data.layout=ring", "data.n_modes=8", "data.n_samples=2048"])
    datamodule = DATAMODULES[cfg.data.name](cfg.data, seed=0)
    datamodule.setup("fit")
    return datamodule


def rank_samples(rank: int, n: int, centers: torch.Tensor) -> torch.Tensor:
    """The first n points rank `rank` generates (each call of the sampler continues the sequence).

    rank 0: exactly on the centres, modes 0..6 in turn for the first 151 - 7 points, then 7 on mode 7.
    rank 1: far outside the ring (never high quality), except its unused 151st draw, which sits on mode 7:
    counting it would move both high_quality and mode 7's count.
    """
    i = torch.arange(n)
    if rank == 0:
        mode = torch.where(i < 151 - ON_MODE_7, i % 7, 7)
        return centers[mode].clone()
    far = torch.stack([10.0 + 0.01 * i, torch.full((n,), -10.0)], dim=1)
    far[i == 150] = centers[7]
    return far


def _worker(rank: int, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{Path(out_dir) / 'store'}", rank=rank,
                            world_size=WORLD_SIZE)

    def gather(t: torch.Tensor) -> torch.Tensor:  # what LightningModule.all_gather returns: [world_size, ...]
        parts = [torch.empty_like(t) for _ in range(WORLD_SIZE)]
        dist.all_gather(parts, t.contiguous())
        return torch.stack(parts)

    datamodule = build_datamodule()
    evaluator = Evaluator(datamodule, ["modes", "parzen"], NUM_SAMPLES, batch_size=BATCH_SIZE, rank=rank,
                          world_size=WORLD_SIZE, gather=gather, log=lambda *_: None)
    drawn, calls = [0], []

    def sample(n: int, generator: torch.Generator) -> torch.Tensor:
        calls.append(n)
        points = rank_samples(rank, drawn[0] + n, datamodule.centers)[drawn[0]:]
        drawn[0] += n
        return points

    results = evaluator.run(sample)
    (Path(out_dir) / f"rank{rank}.json").write_text(json.dumps({"results": results, "calls": calls}))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    build_datamodule()  # registry and data modules imported before the fork too
    mp.start_processes(_worker, args=(sys.argv[1],), nprocs=WORLD_SIZE, join=True, start_method="fork")
