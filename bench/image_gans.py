"""Image GANs side by side on Fashion-MNIST 32x32: the same number of G steps for each.

Reports per run: G steps/s, real images/s (D steps x batch / training seconds), peak RSS, final
losses, and ratios against DCGAN (non-saturating), all measured in one invocation on one machine.
Quality (FID / domain metrics) joins once the evaluation issue provides it.

    python bench/image_gans.py --g-steps 200            # prints a table, writes bench/results/image_gans.json
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = {  # name -> (config file, extra overrides)
    "DCGAN (non-saturating)": ("configs/dcgan_fashion_mnist.yaml", []),
    "DCGAN (minimax)": ("configs/dcgan_fashion_mnist.yaml", ["loss=minimax"]),
    "LSGAN": ("configs/lsgan_fashion_mnist.yaml", []),
    "SN-GAN (hinge)": ("configs/sngan_fashion_mnist.yaml", []),
    "WGAN (clip, k=5)": ("configs/wgan_fashion_mnist.yaml", []),
    "WGAN-GP (k=5)": ("configs/wgan_gp_fashion_mnist.yaml", []),
}


def run_one(config: str, overrides: list[str]) -> dict:
    """Runs in a fresh process, so peak memory is this run's alone."""
    from lightning_gan.config import load_config
    from lightning_gan.runs import fit

    cfg = load_config(ROOT / config, overrides)
    result = fit(cfg, verbose=False)
    d_images = result.module.d_steps * cfg.data.batch_size
    return {"g_steps": result.module.g_steps, "d_steps": result.module.d_steps, "k": cfg.train.k,
            "train_seconds": result.seconds, "g_steps_per_s": result.module.g_steps / result.seconds,
            "real_images_per_s": d_images / result.seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "final": {k: v for k, v in result.final.items() if k.startswith("train/")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--g-steps", type=int, default=200)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "image_gans.json"))
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)  # internal: CONFIG [overrides]
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1:])))
        return
    results = {}
    workdir = Path("/tmp") / f"lightning-gan-bench-{int(time.time())}"
    for name, (config, extra) in RUNS.items():
        overrides = [*extra, f"train.g_steps={args.g_steps}", f"train.sample_every={args.g_steps}",
                     f"train.checkpoint_every={args.g_steps}", "run.wandb.mode=disabled", f"run.root={workdir}"]
        proc = subprocess.run([sys.executable, __file__, "--one", config, *overrides], capture_output=True,
                              text=True, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"{name} failed:\n{proc.stderr[-2000:]}")
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{name}: {results[name]['g_steps_per_s']:.2f} G steps/s", flush=True)
    base = results["DCGAN (non-saturating)"]
    for r in results.values():
        r["time_per_g_step_vs_dcgan"] = base["g_steps_per_s"] / r["g_steps_per_s"]
        r["peak_rss_vs_dcgan"] = r["peak_rss_mb"] / base["peak_rss_mb"]
    report = {"machine": f"{platform.machine()} {platform.processor() or ''} {__import__('os').cpu_count()} cores",
              "g_steps": args.g_steps, "runs": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print("\n| run | k | G steps/s | real images/s | time per G step vs DCGAN | peak RSS MB | vs DCGAN |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['k']} | {r['g_steps_per_s']:.2f} | {r['real_images_per_s']:.0f} | "
              f"{r['time_per_g_step_vs_dcgan']:.2f}x | {r['peak_rss_mb']:.0f} | {r['peak_rss_vs_dcgan']:.2f}x |")
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
