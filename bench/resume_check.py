"""Kill -9 a run mid-way, resume it, and compare with the uninterrupted run: the resume check's figures.

Runs in a temporary directory: one uninterrupted run, and one run killed with SIGKILL right after a
mid-epoch checkpoint and then resumed with ``lightning-gan fit --resume``. Prints and saves
(bench/results/resume_check.json) the step of the kill, the tensors compared and their largest
difference, and whether the logged rows agree.

    python bench/resume_check.py
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["train.g_steps=600", "train.k=2", "train.ema_decay=0.99", "train.checkpoint_every=150", "train.log_every=10",
        "train.sample_every=100000", "data.n_samples=2048", "data.batch_size=64", "trainer.deterministic=true",
        "trainer.accelerator=cpu", "run.wandb.mode=disabled", "--quiet"]


def counters(ckpt: Path) -> dict:
    return torch.load(ckpt, map_location="cpu", weights_only=True)["lightning_gan_counters"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "resume_check.json"))
    args = parser.parse_args()
    cli = [sys.executable, "-m", "lightning_gan", "fit"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_SERVICE")}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        subprocess.run([*cli, *ARGS, "run.name=full"], cwd=work, env=env, check=True)
        full_seconds = time.perf_counter() - start
        proc = subprocess.Popen([*cli, *ARGS, "run.name=cut"], cwd=work, env=env)
        ckpt = work / "runs/cut/checkpoints/last.ckpt"
        while proc.poll() is None and not (ckpt.is_file() and counters(ckpt)["g_steps"] >= 150):
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        killed = proc.wait() == -signal.SIGKILL
        killed_at = counters(ckpt)["g_steps"]
        subprocess.run([*cli, "--resume", "runs/cut", "--quiet"], cwd=work, env=env, check=True)
        a, b = (torch.load(work / f"runs/{n}/checkpoints/last.ckpt", map_location="cpu", weights_only=True)
                for n in ("full", "cut"))
        tensors = [(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"]]
        tensors += [(torch.as_tensor(v), torch.as_tensor(ob["state"][i][name]))
                    for oa, ob in zip(a["optimizer_states"], b["optimizer_states"])
                    for i, st in oa["state"].items() for name, v in st.items()]
        max_diff = max(float((x.double() - y.double()).abs().max()) if x.numel() else 0.0 for x, y in tensors)
        rows = [[(r["g_step"], r["train/g_loss"]) for r in map(json.loads, (work / f"runs/{n}/metrics.jsonl").read_text().splitlines())
                 if "train/g_loss" in r] for n in ("full", "cut")]
        report = {"machine": f"{platform.machine()} {os.cpu_count()} cores", "g_steps": 600, "k": 2,
                  "killed_with_sigkill": killed, "checkpoint_resumed_from_g_step": killed_at,
                  "tensors_compared": len(tensors), "max_abs_difference": max_diff,
                  "bitwise_equal": all(torch.equal(x, y) for x, y in tensors),
                  "logged_rows_equal": rows[0] == rows[1], "rows": len(rows[0]),
                  "counters_equal": a["lightning_gan_counters"] == b["lightning_gan_counters"],
                  "uninterrupted_seconds": round(full_seconds, 1)}
    print(json.dumps(report, indent=1))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
