"""The 2014 paper's Parzen-window table, extended to Fashion-MNIST and digits and to later models.

Protocol (Goodfellow et al. 2014, Table 1): a Gaussian Parzen window on N generator samples, σ chosen
from 25 values in [0.01, 10] by the mean log-likelihood of 1000 training examples, then the mean
log-likelihood ± standard error of held-out examples; pixels in [0, 1]. Fashion-MNIST rows (32x32,
1024 dimensions) score the runs of bench/quality_table.py against the test split (run that first);
digits rows (16x16, 256 dimensions) train here and, digits having no test split, score training
examples outside the σ-validation set. The paper's MNIST row (28x28): 225 ± 2 for adversarial nets.
The authors warn that the estimator has high variance and does poorly in high dimensions.

    python bench/parzen_table.py --samples 10000
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import machine, save_json, train_once  # noqa: E402

QUALITY = ROOT / "bench" / "results" / "quality"
DIGITS = ["data.name=digits", "data.image_size=16", "data.batch_size=64"]
ROWS = {  # name -> Fashion-MNIST quality-table row, or (digits config, overrides, G steps)
    "GAN 2014 (Fashion-MNIST)": "gan2014",
    "DCGAN (Fashion-MNIST)": "dcgan_ns",
    "WGAN-GP (Fashion-MNIST)": "wgan_gp",
    "VAE (Fashion-MNIST)": "vae",
    "GAN 2014 (digits)": ("configs/gan_digits.yaml", ["data.image_size=16"], 3000),
    "DCGAN (digits)": ("configs/dcgan_fashion_mnist.yaml", DIGITS, 1500),
    "WGAN-GP (digits)": ("configs/wgan_gp_fashion_mnist.yaml", DIGITS, 1000),
    "VAE (digits)": ("configs/vae_digits.yaml", ["data.image_size=16", "variant.z_dim=20"], 5000),
}
PUBLISHED = {"row": "Adversarial nets, MNIST 28x28 (Goodfellow et al. 2014, Table 1)", "parzen_ll": 225, "se": 2}


def score(name: str, spec, samples: int, runs_dir: Path) -> dict:
    from lightning_gan.config import load_config
    from lightning_gan.evaluate_run import evaluate

    if isinstance(spec, str):
        part = QUALITY / f"{spec}.json"
        if not part.is_file():
            raise SystemExit(f"{part} is missing: run `python bench/quality_table.py --rows {spec}` first")
        kept = json.loads(part.read_text())
        run_dir, g_steps = Path(kept["run_dir"]), kept["g_steps"]
        if not (run_dir / "checkpoints" / "last.ckpt").is_file():
            raise SystemExit(f"{run_dir} (the run of {part}) is gone: delete {part} and rerun "
                             f"`python bench/quality_table.py --rows {spec}`")
    else:
        config, overrides, g_steps = spec
        run_dir = runs_dir / name.replace(" ", "_").replace("(", "").replace(")", "")
        train_once(run_dir, lambda: load_config(ROOT / config, [
            *overrides, f"train.g_steps={g_steps}", f"train.sample_every={g_steps}", f"train.checkpoint_every={g_steps}",
            "run.wandb.mode=disabled", f"run.root={runs_dir}", f"run.name={run_dir.name}"]))
    report, _ = evaluate(str(run_dir), metrics=["parzen"], num_samples=samples, log=lambda *a: None)
    return {"run_dir": str(run_dir), "g_steps": g_steps, "metrics": report["metrics"], "protocol": report["protocol"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=10_000, help="generator samples in the window (and test examples)")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "parzen_table.json"))
    parser.add_argument("--runs-dir", default=str(ROOT / "runs" / "bench-parzen"))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(score(args.one, ROWS[args.one], args.samples, Path(args.runs_dir))))
        return
    saved = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {"rows": {}}
    for name in args.rows or list(ROWS):
        proc = subprocess.run([sys.executable, __file__, "--samples", str(args.samples), "--runs-dir", args.runs_dir,
                               "--one", name], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
        saved["rows"][name] = json.loads(proc.stdout.strip().splitlines()[-1])
        save_json(args.out, {**saved, "samples": args.samples, "published": PUBLISHED, "machine": machine()})
    print("| model | G steps | Parzen log-likelihood ± s.e. | σ | test examples |")
    print("|---|---|---|---|---|")
    print(f"| {PUBLISHED['row']} | – | {PUBLISHED['parzen_ll']} ± {PUBLISHED['se']} | – | 10000 |")
    for name, row in saved["rows"].items():
        m = {k.rstrip("0123456789k"): v for k, v in row["metrics"].items()}
        print(f"| {name} | {row['g_steps']} | {m['parzen_ll']:.1f} ± {m['parzen_ll_se']:.1f} | {m['parzen_sigma']:.3f} | "
              f"{row['protocol']['parzen'].split('test: ')[1].split(' ')[0]} |")


if __name__ == "__main__":
    main()
