"""The Fashion-MNIST quality table: every image variant at a stated budget, beside the published FIDs.

Protocol (Lucic et al. 2018, "Are GANs Created Equal?"): FID on the standard Inception weights, N
generated samples against N test images (a fixed random subset, seed 0), gray copied to three
channels; the paper uses N = 10,000. Beside it KID, precision / recall, and on the data set's own
classifier the class-histogram KL and, for conditional rows, the conditional accuracy. Every row
trains at 32x32 from its shipped YAML.

    python bench/quality_table.py --budget cpu                 # the CPU budget of each row, N = 1000
    python bench/quality_table.py --budget full --fid-samples 10000   # the paper's N; 15,625 G steps each (a GPU)
    python bench/quality_table.py --rows dcgan_ns vae           # some rows only
    python bench/quality_table.py --table --figure docs/quality_grids.png   # the saved table and its grids

Resumable: each row is a part with its own JSON (bench/results/quality/<row>.json, kept and skipped
when its budget matches) and its own run directory (an interrupted training resumes from its last
checkpoint). ``--table`` prints the table from the saved parts without training anything.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import machine, save_json, train_once  # noqa: E402
from lightning_gan.keys import count_tag  # noqa: E402

FULL_G_STEPS = 15_625  # Lucic et al.: 20 epochs of 50,000 images at batch 64


@dataclass(frozen=True)
class Row:
    name: str
    config: str
    cpu_g_steps: int  # what fits the 2-core CPU run of the whole table in about 1.5 hours
    overrides: tuple[str, ...] = ()
    published: float | None = None  # Lucic et al. 2018's best Fashion-MNIST FID (Dai & Wipf 2019 for the VAE)
    extra_metrics: tuple[str, ...] = field(default=())


ROWS = {
    "gan2014": Row("GAN 2014 (MLP, non-saturating)", "configs/gan_fashion_mnist.yaml", 5000, ("data.image_size=32",)),
    "dcgan_ns": Row("DCGAN (non-saturating)", "configs/dcgan_fashion_mnist.yaml", 1000, published=26.5),
    "dcgan_mm": Row("DCGAN (minimax)", "configs/dcgan_fashion_mnist.yaml", 1000, ("loss=minimax",), published=29.6),
    "lsgan": Row("LSGAN", "configs/lsgan_fashion_mnist.yaml", 1000, published=30.7),
    "wgan": Row("WGAN (clip, k=5)", "configs/wgan_fashion_mnist.yaml", 500, published=21.5),
    "wgan_gp": Row("WGAN-GP (k=5)", "configs/wgan_gp_fashion_mnist.yaml", 400, published=24.5),
    "sngan": Row("SN-GAN (hinge)", "configs/sngan_fashion_mnist.yaml", 1000),
    "cgan": Row("cGAN (MLP, projection D)", "configs/cgan_fashion_mnist.yaml", 3000, ("data.image_size=32",),
                extra_metrics=("conditional",)),
    "biggan": Row("BigGAN (ch 16, k=4)", "configs/biggan_fashion_mnist.yaml", 150, extra_metrics=("conditional",)),
    "stylegan2": Row("StyleGAN2 (lazy R1)", "configs/stylegan2_fashion_mnist.yaml", 400),
    "vae": Row("VAE (MLP 500, z 20)", "configs/vae_fashion_mnist.yaml", 10_000, published=43.6),
}


def train_and_score(row: Row, g_steps: int, fid_samples: int, run_dir: Path) -> dict:
    """In a fresh process: trains (or resumes, or reuses a finished) run, then scores it."""
    from lightning_gan.config import load_config
    from lightning_gan.evaluate_run import evaluate

    def new_config():
        return load_config(ROOT / row.config, [*row.overrides, f"train.g_steps={g_steps}", f"train.sample_every={g_steps}",
                                               f"train.checkpoint_every={max(1, g_steps // 10)}", "run.wandb.mode=disabled",
                                               f"run.root={run_dir.parent}", f"run.name={run_dir.name}"])
    trained = train_once(run_dir, new_config)
    groups = ["inception", "domain", *row.extra_metrics]
    path = run_dir / "evaluation" / f"g{g_steps:07d}-n{count_tag(fid_samples)}.json"  # scored, then killed: reuse
    report = json.loads(path.read_text()) if path.is_file() else None
    if report is None or report["groups"] != groups or "test split" not in report["protocol"]["real"]:
        report, path = evaluate(str(run_dir), ["eval.reference=test"], metrics=groups, num_samples=fid_samples,
                                log=lambda *a: None)
    grids = sorted((run_dir / "samples").glob("g*.png"), key=lambda p: p.stat().st_mtime)
    return {"batch_size": load_config(run_dir / "config.yaml").data.batch_size, **trained, "metrics": report["metrics"], "protocol": report["protocol"],
            "report": str(path), "grid": str(grids[-1]) if grids else None}


def run_row(slug: str, row: Row, args) -> dict:
    g_steps = args.g_steps or (FULL_G_STEPS if args.budget == "full" and slug != "vae" else row.cpu_g_steps)
    part = Path(args.out_dir) / f"{slug}.json"
    if part.is_file():
        kept = json.loads(part.read_text())
        if kept["g_steps"] == g_steps and kept["fid_samples"] == args.fid_samples:
            print(f"{row.name}: kept {part}", flush=True)
            return kept
    run_dir = Path(args.runs_dir) / f"{slug}-g{g_steps}"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--one", slug, str(g_steps), str(args.fid_samples), str(run_dir)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{row.name} failed (rerun the same command to resume it):\n{proc.stderr[-3000:]}")
    result = {"row": row.name, "config": row.config, "overrides": list(row.overrides), "g_steps": g_steps,
              "fid_samples": args.fid_samples, "published_fid": row.published, "run_dir": str(run_dir),
              "part_seconds": time.perf_counter() - started, "machine": machine(),
              **json.loads(proc.stdout.strip().splitlines()[-1])}
    save_json(part, result)
    print(f"{row.name}: FID {result['metrics'].get('fid' + count_tag(args.fid_samples), float('nan')):.1f} "
          f"({result['part_seconds']:.0f} s)", flush=True)
    return result


def print_table(parts: dict[str, dict]) -> None:
    print("\n| model | G steps | batch | FID | published (Lucic et al.) | KID | precision | recall | class KL "
          "| classes generated | cond. accuracy | N |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in parts.values():
        n = count_tag(p["fid_samples"])
        m = p["metrics"]

        def cell(key, fmt="{:.3f}"):
            return fmt.format(m[key]) if key in m else "–"
        print(f"| {p['row']} | {p['g_steps']} | {p['batch_size']} | {cell('fid' + n, '{:.1f}')} | "
              f"{p['published_fid'] if p['published_fid'] is not None else '–'} | {cell('kid' + n, '{:.4f}')} | "
              f"{cell('precision' + n, '{:.2f}')} | {cell('recall' + n, '{:.2f}')} | {cell('domain_class_kl' + n)} | "
              f"{cell('domain_classes_generated' + n, '{:.0f}')} | {cell('cond_acc' + n, '{:.2f}')} | {p['fid_samples']} |")


def save_figure(parts: dict[str, dict], path: Path) -> None:
    """The last sample grid of each row side by side, titled with its model, G steps and FID."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = {slug: p for slug, p in parts.items() if p.get("grid") and Path(p["grid"]).is_file()}
    if not shown:
        raise SystemExit("no row has a sample grid on disk: train the rows first")
    columns = min(4, len(shown))
    rows = -(-len(shown) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3.3 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, p in zip(axes.flat, shown.values()):
        fid = p["metrics"].get("fid" + count_tag(p["fid_samples"]))
        ax.imshow(plt.imread(p["grid"]), cmap="gray")
        ax.set_title(f"{p['row'].split(' (')[0]}\n{p['g_steps']} G steps, FID {fid:.0f}", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", choices=("cpu", "full"), default="cpu",
                        help=f"cpu: each row's CPU budget; full: {FULL_G_STEPS} G steps (the VAE: its YAML's updates)")
    parser.add_argument("--g-steps", type=int, help="one G-step budget for every row (overrides --budget)")
    parser.add_argument("--fid-samples", type=int, default=1000, help="N generated and N test images (paper: 10000)")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), help="these rows only (default: all)")
    parser.add_argument("--out-dir", default=str(ROOT / "bench" / "results" / "quality"), help="one JSON per row")
    parser.add_argument("--runs-dir", default=str(ROOT / "runs" / "bench-quality"), help="the rows' run directories")
    parser.add_argument("--table", action="store_true", help="print the table of the saved parts and exit")
    parser.add_argument("--figure", help="also save the rows' last sample grids side by side in this PNG")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)  # internal: SLUG G_STEPS N RUN_DIR
    args = parser.parse_args()
    if args.one:
        slug, g_steps, n, run_dir = args.one
        print(json.dumps(train_and_score(ROWS[slug], int(g_steps), int(n), Path(run_dir))))
        return
    selected = args.rows or list(ROWS)
    if args.table:
        parts = {s: json.loads((Path(args.out_dir) / f"{s}.json").read_text())
                 for s in selected if (Path(args.out_dir) / f"{s}.json").is_file()}
    else:
        parts = {slug: run_row(slug, ROWS[slug], args) for slug in selected}
    print_table(parts)
    if args.figure:
        save_figure(parts, Path(args.figure))


if __name__ == "__main__":
    main()
