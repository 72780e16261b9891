"""Image GANs side by side on Fashion-MNIST 32x32: the same number of G steps for each.

Reports per run: G steps/s, real images/s (D steps x batch / training seconds), peak RSS, final
losses, and ratios against DCGAN (non-saturating), all measured in one invocation on one machine.
Quality after training, through ``lightning-gan evaluate``'s pipeline: FID with the standard Inception
weights on --fid-samples samples, and domain FID / class histogram on --domain-samples samples (the
classifier and the Inception weights must be prepared first, see the README).

    python bench/image_gans.py --g-steps 200 --fid-samples 500 --domain-samples 2000
    python bench/image_gans.py --only BigGAN StyleGAN2 "StyleGAN2 (R1 every D step)" cStyleGAN2   # + the DCGAN baseline

Conditional runs also report the domain classifier's conditional accuracy. "StyleGAN2 (R1 every D step)"
against "StyleGAN2" (R1 every 16th) is the saving of lazy regularization.
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
sys.path.insert(0, str(ROOT))
from lightning_gan.keys import count_tag  # noqa: E402
RUNS = {  # name -> (config file, extra overrides)
    "DCGAN (non-saturating)": ("configs/dcgan_fashion_mnist.yaml", []),
    "DCGAN (minimax)": ("configs/dcgan_fashion_mnist.yaml", ["loss=minimax"]),
    "LSGAN": ("configs/lsgan_fashion_mnist.yaml", []),
    "SN-GAN (hinge)": ("configs/sngan_fashion_mnist.yaml", []),
    "WGAN (clip, k=5)": ("configs/wgan_fashion_mnist.yaml", []),
    "WGAN-GP (k=5)": ("configs/wgan_gp_fashion_mnist.yaml", []),
    "BigGAN": ("configs/biggan_fashion_mnist.yaml", []),
    "StyleGAN2": ("configs/stylegan2_fashion_mnist.yaml", []),
    "StyleGAN2 (R1 every D step)": ("configs/stylegan2_fashion_mnist.yaml", ["penalty.every=1"]),
    "cStyleGAN2": ("configs/cstylegan2_fashion_mnist.yaml", []),
}
BASELINE = "DCGAN (non-saturating)"


def run_one(config: str, overrides: list[str], fid_samples: int, domain_samples: int) -> dict:
    """Runs in a fresh process, so peak memory is this run's alone."""
    from lightning_gan.config import load_config
    from lightning_gan.evaluate_run import evaluate
    from lightning_gan.runs import fit

    cfg = load_config(ROOT / config, overrides)
    result = fit(cfg, verbose=False)
    d_images = result.module.d_steps * cfg.data.batch_size
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # training only, before evaluation
    quality = {}
    domain = ["domain", "conditional"] if cfg.variant.conditional else ["domain"]
    for groups, n in ((domain, domain_samples), (["inception"], fid_samples)):
        if n > 0:
            report, _ = evaluate(str(result.run_dir), metrics=groups, num_samples=n, log=lambda *a: None)
            quality.update(report["metrics"])
            quality[f"{groups[0]}_protocol"] = report["protocol"]
    return {"variant": cfg.variant.name, "g_steps": result.module.g_steps, "d_steps": result.module.d_steps, "k": cfg.train.k,
            "train_seconds": result.seconds, "g_steps_per_s": result.module.g_steps / result.seconds,
            "real_images_per_s": d_images / result.seconds,
            "peak_rss_mb": peak_rss_mb, "quality": quality,
            "final": {k: v for k, v in result.final.items() if k.startswith("train/")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--g-steps", type=int, default=200)
    parser.add_argument("--fid-samples", type=int, default=500, help="Inception FID samples per run (0: skip)")
    parser.add_argument("--domain-samples", type=int, default=2000, help="domain-metric samples per run (0: skip)")
    parser.add_argument("--only", nargs="+", choices=list(RUNS), help=f"these runs (and {BASELINE}, the baseline)")
    parser.add_argument("--out", help="JSON path (default bench/results/image_gans.json, image_gans_only.json with --only)")
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)  # internal: CONFIG [overrides]
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1:], args.fid_samples, args.domain_samples)))
        return
    selected = [name for name in RUNS if not args.only or name in args.only or name == BASELINE]
    args.out = args.out or str(ROOT / "bench" / "results" / ("image_gans_only.json" if args.only else "image_gans.json"))
    results = {}
    workdir = Path("/tmp") / f"lightning-gan-bench-{int(time.time())}"
    for name in selected:
        config, extra = RUNS[name]
        overrides = [*extra, f"train.g_steps={args.g_steps}", f"train.sample_every={args.g_steps}",
                     f"train.checkpoint_every={args.g_steps}", "run.wandb.mode=disabled", f"run.root={workdir}"]
        proc = subprocess.run([sys.executable, __file__, "--fid-samples", str(args.fid_samples),
                               "--domain-samples", str(args.domain_samples), "--one", config, *overrides], capture_output=True,
                              text=True, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"{name} failed:\n{proc.stderr[-2000:]}")
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{name}: {results[name]['g_steps_per_s']:.2f} G steps/s", flush=True)
    base = results[BASELINE]
    for r in results.values():
        r["time_per_g_step_vs_dcgan"] = base["g_steps_per_s"] / r["g_steps_per_s"]
        r["peak_rss_vs_dcgan"] = r["peak_rss_mb"] / base["peak_rss_mb"]
    report = {"machine": f"{platform.machine()} {platform.processor() or ''} {__import__('os').cpu_count()} cores",
              "g_steps": args.g_steps, "fid_samples": args.fid_samples, "domain_samples": args.domain_samples,
              "load_avg_at_end": __import__("os").getloadavg()[0], "workdir": str(workdir), "runs": results}
    lazy, eager = results.get("StyleGAN2"), results.get("StyleGAN2 (R1 every D step)")
    if lazy and eager:  # the saving of lazy regularization, measured side by side
        report["lazy_r1_speedup"] = lazy["g_steps_per_s"] / eager["g_steps_per_s"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    fid, dom = count_tag(args.fid_samples), count_tag(args.domain_samples)
    print(f"\n| run | k | G steps/s | real images/s | time per G step vs DCGAN | peak RSS MB | vs DCGAN "
          f"| FID ({fid}) | domain FID ({dom}) | classes generated | top class share | cond. accuracy ({dom}) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        q = r["quality"]
        print(f"| {name} | {r['k']} | {r['g_steps_per_s']:.2f} | {r['real_images_per_s']:.0f} | "
              f"{r['time_per_g_step_vs_dcgan']:.2f}x | {r['peak_rss_mb']:.0f} | {r['peak_rss_vs_dcgan']:.2f}x | "
              f"{q.get(f'fid{fid}', float('nan')):.1f} | {q.get(f'domain_fid{dom}', float('nan')):.1f} | "
              f"{q.get(f'domain_classes_generated{dom}', float('nan')):.0f} | "
              f"{q.get(f'domain_top_class_share{dom}', float('nan')):.2f} | "
              f"{q.get(f'cond_acc{dom}', float('nan')):.2f} |")
    if "lazy_r1_speedup" in report:
        print(f"\nlazy R1: a G step with R1 every 16th D step is {report['lazy_r1_speedup']:.2f}x as fast as with R1 "
              "on every D step")
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
