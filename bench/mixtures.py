"""Mode coverage on the 2D mixtures with PacGAN's protocol, over seeds, beside the published tables.

Grid of 25: means at {-4,-2,0,2,4}², σ = 0.05. Ring of 8: radius 1, σ = 0.01, 8 distinct means
(angles 2πi/8, i < 8). After training, 2,500 samples from the generator; a sample is high quality
within 3σ of its nearest mode. Modes are counted both ways: ``modes_hit`` (at least one
high-quality sample, VEEGAN's and PacGAN's count) and ``modes_captured`` (our stricter rule: at least
a quarter of a mode's fair share). mode_kl is the reverse KL of the high-quality samples' mode
histogram to uniform. Each configuration reports mean ± std over the seeds.

    python bench/mixtures.py --layouts grid25 --seeds 10                  # every configuration
    python bench/mixtures.py --layouts grid25 ring8 --configs gan_ns --seeds 10 --workers 2   # 2 seeds at once
    python bench/mixtures.py --layouts grid25 ring8 --configs pacgan4_k2_ema_decay --seeds 10 --g-steps 60000 20000 \\
        --figure docs/mixtures_best_worst.png   # G steps per layout; the best and worst seed's scatter

Resumable: one JSON per (layout, configuration) in bench/results/mixtures/, holding each finished seed.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import machine, save_json, train_once  # noqa: E402

LAYOUTS = {  # PacGAN's two mixtures
    "grid25": ["data.layout=grid", "data.n_modes=25", "data.radius=4.0", "data.sigma=0.05"],
    "ring8": ["data.layout=ring", "data.n_modes=8", "data.radius=1.0", "data.sigma=0.01"],
}
# PacGAN's own grid setup (its synthetic_data_experiments config): G 4 x 400 ReLU with BatchNorm on a
# 2-D Gaussian z, D 3 x 200 maxout (5 pieces), batch 100; its optimizer Adam lr 1e-4, beta1 0.8
PACGAN_NETS = ["variant.z_dim=2", "variant.g_hidden=[400,400,400,400]", "variant.g_batchnorm=true",
               "variant.d_hidden=[200,200,200]", "variant.d_maxout_pieces=5", "data.batch_size=100"]
PACGAN_ADAM = [f"optim.{net}.{key}" for net in "gd" for key in ("lr=1e-4", "beta1=0.8")]
CONFIGS = {  # the 2014 GAN's MLPs (configs/gan_ring8.yaml) under each objective and schedule
    "gan_ns": [],
    "gan_mm": ["loss=minimax"],
    "hinge_sn": ["loss=hinge", "penalty.spectral_norm_d=true"],
    "wgan_gp": ["loss=wasserstein", "penalty.name=gp", "penalty.weight=0.1", "train.k=5"],
    "gan_ns_k2": ["train.k=2"],
    "gan_ns_k5": ["train.k=5"],
    "gan_ns_adaptive_k": ["train.k_schedule=adaptive"],
    "pacgan4": ["variant.d_pack=4"],  # PacGAN's packed D (Lin et al. 2018), m = 4 as in its tables
    # the best of our short trials on the grid: packing for coverage; k = 2, an averaged G and
    # learning rates decayed to 0 for precision (lr 1e-4, or no decay, left the samples smeared)
    "pacgan4_k2_ema_decay": ["variant.d_pack=4", "train.k=2", "train.ema_decay=0.999",
                             "optim.g.schedule=linear_decay", "optim.d.schedule=linear_decay"],
    # PacGAN's networks and optimizer, then its networks under our named configuration's training
    "pacgan4_paper": [*PACGAN_NETS, *PACGAN_ADAM, "variant.d_pack=4"],
    "pacgan4_paper_k2_ema_decay": [*PACGAN_NETS, *PACGAN_ADAM, "variant.d_pack=4", "train.k=2", "train.ema_decay=0.999",
                                   "optim.g.schedule=linear_decay", "optim.d.schedule=linear_decay"],
    "pacgan4_nets_k2_ema_decay": [*PACGAN_NETS, "variant.d_pack=4", "train.k=2", "train.ema_decay=0.999",
                                  "optim.g.schedule=linear_decay", "optim.d.schedule=linear_decay"],
}
SAMPLES = 2500


def one_seed(layout: str, config: str, seed: int, g_steps: int, run_root: Path) -> dict:
    from lightning_gan.config import load_config
    from lightning_gan.data.mixtures import mixture_centers
    from lightning_gan.metrics.mixture import mode_stats, modes_hit
    from lightning_gan.plots import save_scatter
    import torch

    from lightning_gan.base import load_module

    run_dir = run_root / f"{layout}-{config}-s{seed}-g{g_steps}"
    def new_config():
        return load_config(ROOT / "configs" / "gan_ring8.yaml", [
            *LAYOUTS[layout], *CONFIGS[config], f"train.seed={seed}", f"train.g_steps={g_steps}",
            f"train.sample_every={g_steps}", f"train.checkpoint_every={max(1, g_steps // 5)}", "eval.every=0",
            "run.wandb.mode=disabled", f"run.root={run_root}", f"run.name={run_dir.name}"])
    trained = train_once(run_dir, new_config)
    cfg = load_config(run_dir / "config.yaml")
    module = load_module(str(run_dir / "checkpoints" / "last.ckpt")).eval()
    centers = mixture_centers(cfg.data.layout, cfg.data.n_modes, cfg.data.radius)
    samples = module.generate(SAMPLES, torch.Generator().manual_seed(10_000 + seed)).samples
    stats = mode_stats(samples, centers, cfg.data.sigma)
    plot = run_dir / "samples" / "bench-2500.png"
    save_scatter(plot, samples, centers, title=f"{layout} {config} seed {seed}")  # the means stand for the data
    return {"seed": seed, "modes_hit": modes_hit(samples, centers, cfg.data.sigma), **stats,
            "train_seconds": trained["train_seconds"], "scatter": str(plot)}


def summarize(seeds: list[dict]) -> dict:
    def mean_std(key):
        values = [s[key] for s in seeds if math.isfinite(s[key])]  # mode_kl is NaN with no high-quality sample
        return [statistics.fmean(values), statistics.pstdev(values)] if values else [math.nan, math.nan]
    return {key: mean_std(key) for key in ("modes_hit", "modes_captured", "high_quality", "mode_kl")} | {
        "all_modes_every_seed": all(s["modes_hit"] == s["n_modes"] for s in seeds),
        "best_seed": max(seeds, key=lambda s: (s["modes_hit"], s["high_quality"]))["seed"],
        "worst_seed": min(seeds, key=lambda s: (s["modes_hit"], s["high_quality"]))["seed"]}


def save_figure(rows: list[tuple[str, str, int, list[dict]]], path: Path) -> None:
    """The best and the worst seed's scatter of each (mixture, configuration), side by side."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 2, figsize=(8, 4.2 * len(rows)), squeeze=False)
    for (layout, config, g_steps, seeds), pair in zip(rows, axes):
        summary = summarize(seeds)
        for ax, which in zip(pair, ("best", "worst")):
            seed = next(s for s in seeds if s["seed"] == summary[f"{which}_seed"])
            ax.axis("off")
            if Path(seed["scatter"]).is_file():
                ax.imshow(plt.imread(seed["scatter"]))
            ax.set_title(f"{config}, {g_steps} G steps\n{which} seed ({seed['seed']}): {seed['modes_hit']} modes, "
                         f"{100 * seed['high_quality']:.0f} % HQ", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")


def train_and_score(args, layout: str, config: str, seed: int, g_steps: int) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--runs-dir", args.runs_dir, "--one", layout, config,
                           str(seed), str(g_steps)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{layout} {config} seed {seed} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layouts", nargs="+", choices=list(LAYOUTS), default=list(LAYOUTS))
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--g-steps", type=int, nargs="+", default=[8000],
                        help="G steps of every run: one value, or one per --layouts entry")
    parser.add_argument("--workers", type=int, default=1, help="seeds trained at once, one process (and core) each")
    parser.add_argument("--out-dir", default=str(ROOT / "bench" / "results" / "mixtures"))
    parser.add_argument("--runs-dir", default=str(ROOT / "runs" / "bench-mixtures"))
    parser.add_argument("--figure", help="also save the best and worst seed's scatter of each row in this PNG")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)  # internal: LAYOUT CONFIG SEED G_STEPS
    args = parser.parse_args()
    if len(args.g_steps) not in (1, len(args.layouts)):
        parser.error(f"--g-steps takes one value or one per layout ({len(args.layouts)}), got {len(args.g_steps)}")
    steps = dict(zip(args.layouts, args.g_steps * len(args.layouts) if len(args.g_steps) == 1 else args.g_steps))
    if args.one:
        layout, config, seed, g_steps = args.one
        print(json.dumps(one_seed(layout, config, int(seed), int(g_steps), Path(args.runs_dir))))
        return
    shown = []
    print("| mixture | configuration | seeds | modes (≥ 1 HQ sample) | modes (≥ ¼ share) | high quality % | reverse KL |")
    print("|---|---|---|---|---|---|---|")
    for layout in args.layouts:
        n_modes = int(LAYOUTS[layout][1].split("=")[1])
        g_steps = steps[layout]
        for config in args.configs:
            part = Path(args.out_dir) / f"{layout}-{config}-g{g_steps}.json"
            kept = json.loads(part.read_text()) if part.is_file() else {"seeds": []}
            done = {s["seed"] for s in kept["seeds"]}
            todo = [seed for seed in range(args.seeds) if seed not in done]
            with ThreadPoolExecutor(args.workers) as pool:  # each seed is its own process; threads only wait
                for row in pool.map(lambda seed: train_and_score(args, layout, config, seed, g_steps)
                                    | {"n_modes": n_modes}, todo):
                    kept["seeds"] = sorted([*kept["seeds"], row], key=lambda s: s["seed"])
                    save_json(part, {"layout": layout, "overrides": LAYOUTS[layout] + CONFIGS[config],
                                     "g_steps": g_steps, "samples": SAMPLES, "machine": machine(),
                                     "seeds": kept["seeds"], "summary": summarize(kept["seeds"])})
            seeds = [s for s in kept["seeds"] if s["seed"] < args.seeds]
            if not seeds:
                continue
            s = summarize(seeds)
            shown.append((layout, config, g_steps, seeds))
            print(f"| {layout} | {config} | {len(seeds)} | {s['modes_hit'][0]:.1f} ± {s['modes_hit'][1]:.1f} | "
                  f"{s['modes_captured'][0]:.1f} ± {s['modes_captured'][1]:.1f} | "
                  f"{100 * s['high_quality'][0]:.1f} ± {100 * s['high_quality'][1]:.1f} | "
                  f"{s['mode_kl'][0]:.3f} ± {s['mode_kl'][1]:.3f} |", flush=True)
    if args.figure and shown:
        save_figure(shown, Path(args.figure))


if __name__ == "__main__":
    main()
