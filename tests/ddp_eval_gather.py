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

from lightning_gan.base import Generated
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


FEATURES_REAL, FEATURES_CLASSES = 201, 3  # real features split 101 + 100 by rank (as Evaluator.prepare_real does)


def feature_inputs(rank: int) -> dict[str, torch.Tensor]:
    """Rank `rank`'s share of real features, and its fake features and logits (shares 101 + 100).

    rank 0's fakes sit next to real points and spread over the 3 classes; rank 1's lie far away, all class 0.
    """
    g = torch.Generator().manual_seed(0)
    real = torch.randn(FEATURES_REAL, 4, generator=g, dtype=torch.float64).float()
    n = 101 if rank == 0 else 100
    if rank == 0:
        fake = real[:n] + 0.01 * torch.randn(n, 4, generator=g, dtype=torch.float64).float()
        classes = torch.arange(n) % FEATURES_CLASSES
    else:
        fake = torch.randn(n, 4, generator=torch.Generator().manual_seed(1)) + 50.0
        classes = torch.zeros(n, dtype=torch.long)
    logits = torch.nn.functional.one_hot(classes, FEATURES_CLASSES).float()
    return {"real": real[rank::WORLD_SIZE], "fake": fake, "logits": logits}


def feature_metrics():
    from lightning_gan.metrics.features import FeatureMetrics

    return FeatureMetrics(num_features=4, prefix="", n_tag="", score_name=None,
                          class_prior=torch.ones(FEATURES_CLASSES), kid_subset_size=50)


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

    def sample(n: int, generator: torch.Generator) -> Generated:
        calls.append(n)
        points = rank_samples(rank, drawn[0] + n, datamodule.centers)[drawn[0]:]
        drawn[0] += n
        return Generated(points, None)

    results = evaluator.run(sample)

    # FeatureMetrics (FID, k-NN precision / recall, density / coverage, class histogram): torchmetrics
    # gathers uneven shares itself in compute()
    inputs, features = feature_inputs(rank), feature_metrics()
    features.update({"features": inputs["real"]}, real=True)
    features.update({"features": inputs["fake"], "logits": inputs["logits"]}, real=False)
    (Path(out_dir) / f"rank{rank}.json").write_text(json.dumps({"results": results, "calls": calls,
                                                                "features": features.compute()}))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    from lightning_gan.registry import load_all

    load_all()  # only imports before the fork: a parent that ran torch ops (its OpenMP pool) can hang the children
    mp.start_processes(_worker, args=(sys.argv[1],), nprocs=WORLD_SIZE, join=True, start_method="fork")
