"""Scaling on the CPU: step time against batch size, torch threads, and 2-process DDP against 1.

Every point is one ``lightning-gan fit`` of the same model (DCGAN, 1x32x32 synthetic images, k = 1,
W&B off, grids and checkpoints past the end), timed by the run's own summary line, so process
start-up is excluded. Three sweeps, side by side in one invocation:

- batch: 32, 64, 128, 256 at 1 thread (ms per G step and images/s; ideal is images/s constant);
- threads: 1 and 2 at batch 64 (speed-up over 1 thread; ideal is the thread count);
- DDP: 2 processes of 1 thread each (gloo, batch 64 per rank) against 1 process of 1 thread
  (images/s ratio; ideal is 2).

The machine's 1-minute load average before and after each point is saved with it: on a shared host a
busy neighbour shows there, not in the ratios' labels.

    python bench/scaling.py --g-steps 100  # ~6 min on 2 idle cores
    python bench/scaling.py --g-steps 50 --batches 32 64
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import machine, save_json, training_seconds  # noqa: E402

MODEL = ["variant.name=dcgan", "data.name=synthetic", "data.shape=[1,32,32]", "data.n_samples=4096"]


def seconds_of(overrides: list[str], g_steps: int, workdir: Path) -> dict:
    """Training seconds of one fit, from its summary line, with the load average around it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "RANK", "OMP_"))}
    command = [str(Path(sys.executable).parent / "lightning-gan"), "fit", *MODEL, *overrides,
               f"train.g_steps={g_steps}", "trainer.accelerator=cpu", "train.sample_every=1000000",
               "train.checkpoint_every=1000000", "run.wandb.mode=disabled", f"run.root={workdir}"]
    load_before = os.getloadavg()[0]
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(overrides)} failed:\n{out.stderr[-2000:]}")
    seconds = training_seconds(out.stdout)
    return {"seconds": seconds, "load_avg_before": load_before, "load_avg_after": os.getloadavg()[0]}


def point(name: str, batch: int, threads: int, devices: int, g_steps: int, workdir: Path) -> dict:
    timing = seconds_of([f"data.batch_size={batch}", f"trainer.cpu_threads={threads}", f"trainer.devices={devices}"],
                        g_steps, workdir)
    images_per_s = g_steps * batch * devices * 2 / timing["seconds"]  # real + fake images through D per G step
    row = {"sweep": name, "batch_per_rank": batch, "threads_per_process": threads, "processes": devices,
           "g_steps": g_steps, "ms_per_g_step": 1000 * timing["seconds"] / g_steps, "images_per_s": images_per_s,
           **timing}
    print(f"{name:8} batch {batch:4} threads {threads} processes {devices}: {row['ms_per_g_step']:.1f} ms/G step, "
          f"{images_per_s:.0f} images/s (load {timing['load_avg_before']:.1f})", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--g-steps", type=int, default=100)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 64, 128, 256])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "scaling.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        batch_rows = [point("batch", b, 1, 1, args.g_steps, workdir) for b in args.batches]
        one, two = (point("threads", 64, t, 1, args.g_steps, workdir) for t in (1, 2))
        ddp = point("ddp", 64, 1, 2, args.g_steps, workdir)
    summary = {"threads_2_vs_1": two["images_per_s"] / one["images_per_s"],
               "ddp_2proc_vs_1proc": ddp["images_per_s"] / one["images_per_s"],
               "images_per_s_by_batch": {r["batch_per_rank"]: r["images_per_s"] for r in batch_rows}}
    print(f"2 threads / 1: {summary['threads_2_vs_1']:.2f} (ideal 2); "
          f"2 DDP processes / 1: {summary['ddp_2proc_vs_1proc']:.2f} (ideal 2)")
    save_json(args.out, {"model": MODEL, "machine": machine(), "rows": [*batch_rows, one, two, ddp],
                         "summary": summary})
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
