"""Training speed per variant under each numeric mode: fp32, bf16, bf16 + channels_last, and that
compiled (torch.compile, inductor), each against fp32 eager of the same variant, in one invocation.

Every point trains the variant's shipped Fashion-MNIST YAML on synthetic images of the same shape
(1x32x32, so no data set is needed) in its own process, W&B off, grids and checkpoints past the end.
Timing is the training loop in steady state: from the batch where the G step count reaches
``--warmup`` of the run to the last batch, so torch.compile's first-call compilation is left out
(its seconds are reported apart). images/s counts real images through D: G steps/s x k x batch.
A mode the config refuses (torch.compile with a double-backward penalty) is reported with its error.

    python bench/precision.py                              # every variant, every mode, on this machine's device
    python bench/precision.py --variants dcgan sngan --modes fp32 bf16 --g-steps 200   # a GPU run

Rerunning some variants or modes replaces their rows in the saved JSON and keeps the others.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import machine, save_json  # noqa: E402

VARIANTS = {  # name -> shipped YAML (its networks, k, batch, penalty)
    "dcgan": "configs/dcgan_fashion_mnist.yaml",
    "wgan_gp": "configs/wgan_gp_fashion_mnist.yaml",
    "sngan": "configs/sngan_fashion_mnist.yaml",
    "biggan": "configs/biggan_fashion_mnist.yaml",
    "stylegan2": "configs/stylegan2_fashion_mnist.yaml",
    "vae": "configs/vae_fashion_mnist.yaml",
}
MODES = {  # name -> trainer overrides
    "fp32": ["trainer.precision=32-true"],
    "bf16": ["trainer.precision=bf16-mixed"],
    "bf16_channels_last": ["trainer.precision=bf16-mixed", "trainer.channels_last=true"],
    "bf16_channels_last_compile": ["trainer.precision=bf16-mixed", "trainer.channels_last=true",
                                   "trainer.compile=inductor"],
}
DATA = ["data.name=synthetic", "data.shape=[1,32,32]", "data.n_samples=4096"]


def batch_size(variant: str) -> int:
    """The shipped YAML's batch (or the schema default): dropping its data section must not change it."""
    from omegaconf import OmegaConf

    from lightning_gan.config import load_config

    data = OmegaConf.load(ROOT / VARIANTS[variant]).get("data", {})
    return int(data.get("batch_size", load_config(ROOT / VARIANTS[variant]).data.batch_size))


def one_point(variant: str, mode: str, g_steps: int, warmup: float, root: Path) -> dict:
    """Train one (variant, mode) in this process and time its loop; a refused config is a result too."""
    import torch
    from omegaconf import OmegaConf

    from bench.overhead import LoopTimer
    from lightning_gan.config import ConfigError, load_config
    from lightning_gan.runs import fit

    shipped = OmegaConf.load(ROOT / VARIANTS[variant])
    shipped.pop("data", None)  # its networks, k, batch and penalty, on synthetic images of the same shape
    config_file = root / f"{variant}.yaml"
    OmegaConf.save(shipped, config_file)
    try:
        cfg = load_config(config_file, [
            *DATA, f"data.batch_size={batch_size(variant)}", *MODES[mode], f"train.g_steps={g_steps}",
            f"train.sample_every={g_steps + 1}", f"train.checkpoint_every={g_steps + 1}", "eval.every=0",
            "run.wandb.mode=disabled", f"run.root={root}", f"run.name={variant}-{mode}"])
    except ConfigError as error:
        return {"refused": "; ".join(f"{issue.key}: {issue.problem}" for issue in error.issues)}
    timer = LoopTimer(max(1, math.ceil(warmup * g_steps)))
    fit(cfg, verbose=False, callbacks=[timer])
    rates = timer.rates()
    k = cfg.train.k if hasattr(cfg.train, "k") else 1
    first_steps_s = timer.warm[0] - timer.start[0]  # compilation lands here
    return {"g_steps_per_s": rates["g_steps_per_s"], "images_per_s": rates["g_steps_per_s"] * k * cfg.data.batch_size,
            "k": k, "batch_size": cfg.data.batch_size, "warmup_seconds": first_steps_s,
            "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"}


def run_point(variant: str, mode: str, args, root: Path) -> dict:
    """One point in a fresh process: compilation caches and allocator state do not leak between modes."""
    proc = subprocess.run([sys.executable, __file__, "--g-steps", str(args.g_steps), "--warmup", str(args.warmup),
                           "--one", variant, mode, str(root)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"failed": (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--g-steps", type=int, default=30, help="G steps per point (a GPU wants a few hundred)")
    parser.add_argument("--warmup", type=float, default=0.3, help="share of the G steps left out of the timing")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "precision.json"))
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # internal: VARIANT MODE RUN_ROOT
    args = parser.parse_args(argv)
    if args.one:
        variant, mode, root = args.one
        print(json.dumps(one_point(variant, mode, args.g_steps, args.warmup, Path(root))))
        return
    import tempfile

    rows = []
    print("| variant | mode | G steps/s | images/s | vs fp32 | first steps (s) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants:
            baseline = None
            for mode in args.modes:
                started = time.perf_counter()
                result = run_point(variant, mode, args, Path(tmp))
                if mode == "fp32" and "images_per_s" in result:
                    baseline = result["images_per_s"]
                if "images_per_s" in result and baseline:
                    result["vs_fp32"] = result["images_per_s"] / baseline
                row = {"variant": variant, "mode": mode, "overrides": MODES[mode], "g_steps": args.g_steps,
                       "seconds": time.perf_counter() - started, **result}
                rows.append(row)
                if "images_per_s" in row:
                    ratio = f"{row['vs_fp32']:.2f}" if "vs_fp32" in row else "–"
                    print(f"| {variant} | {mode} | {row['g_steps_per_s']:.2f} | {row['images_per_s']:.0f} | {ratio} | "
                          f"{row['warmup_seconds']:.1f} |", flush=True)
                else:
                    print(f"| {variant} | {mode} | – | – | – | {row.get('refused') or row.get('failed')} |", flush=True)
    # a rerun of some variants or modes replaces their rows and keeps the others'
    kept = json.loads(Path(args.out).read_text())["rows"] if Path(args.out).is_file() else []
    fresh = {(row["variant"], row["mode"]) for row in rows}
    rows = [row for row in kept if (row["variant"], row["mode"]) not in fresh] + rows
    order = {name: i for i, name in enumerate([*VARIANTS, *MODES])}
    rows.sort(key=lambda row: (order.get(row["variant"], len(order)), order.get(row["mode"], len(order))))
    save_json(args.out, {"data": DATA, "warmup": args.warmup, "machine": machine(), "rows": rows})
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
