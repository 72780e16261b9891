"""DDP with 2 CPU processes (gloo) against 1 process, side by side in one invocation.

For each model the same command runs with ``trainer.devices=1`` and ``trainer.devices=2`` (one torch
thread per process, so 2 processes use the 2 cores a single one leaves half idle). Reported: training
seconds (from the run's own summary line, so process start-up is excluded), real samples/s (D steps
x batch x ranks / seconds) and the 2-process / 1-process ratio. Saves bench/results/ddp_cpu.json.

    python bench/ddp_cpu.py --g-steps 1000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import training_seconds  # noqa: E402
MODELS = {  # name -> (overrides, batch size, k)
    "MLP GAN, ring of 8": (["data.batch_size=256"], 256, 1),
    "DCGAN, synthetic 1x32x32": (["variant.name=dcgan", "data.name=synthetic", "data.shape=[1,32,32]",
                                   "data.n_samples=4096", "data.batch_size=64"], 64, 1),
}


def run(overrides: list[str], devices: int, g_steps: int, workdir: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "RANK"))}
    command = [str(Path(sys.executable).parent / "lightning-gan"), "fit", *overrides, f"train.g_steps={g_steps}",
               f"trainer.devices={devices}", "trainer.accelerator=cpu", "trainer.cpu_threads=1",
               "train.sample_every=100000", "train.checkpoint_every=100000", "run.wandb.mode=disabled",
               f"run.root={workdir}"]
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return training_seconds(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--g-steps", type=int, default=1000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ddp_cpu.json"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, (overrides, batch, k) in MODELS.items():
            seconds = {d: run(overrides, d, args.g_steps, Path(workdir)) for d in (1, 2)}
            rate = {d: args.g_steps * k * batch * d / seconds[d] for d in (1, 2)}
            rows.append({"model": name, "g_steps": args.g_steps, "batch_per_rank": batch,
                         "seconds_1proc": round(seconds[1], 2), "seconds_2proc": round(seconds[2], 2),
                         "samples_per_s_1proc": round(rate[1], 1), "samples_per_s_2proc": round(rate[2], 1),
                         "ratio_2proc_vs_1proc": round(rate[2] / rate[1], 2)})
            print(f"{name}: 1 process {rate[1]:.0f} samples/s, 2 processes {rate[2]:.0f} samples/s, "
                  f"ratio {rate[2] / rate[1]:.2f}")
    report = {"machine": f"{platform.machine()} {os.cpu_count()} cores, no GPU", "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
