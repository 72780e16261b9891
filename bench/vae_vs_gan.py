"""The VAE and DCGAN on Fashion-MNIST, evaluated by one pipeline at the same sample counts.

Each model trains from its shipped YAML (``--vae-steps`` / ``--gan-steps`` updates), then
``lightning-gan evaluate`` scores both with FID/KID/P-R/D-C on the standard Inception weights
(``--fid-samples``), the domain classifier's metrics (``--domain-samples``) and the 2014 paper's
Parzen estimate (``--parzen-samples`` centres); the VAE adds its test-set ELBO and IWAE bound
(``--iwae-k``). Needs the Inception weights and the Fashion-MNIST classifier prepared (README).

    python bench/vae_vs_gan.py --vae-steps 10000 --gan-steps 2000 --fid-samples 1000 --domain-samples 2000 --parzen-samples 1000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from lightning_gan.keys import count_tag  # noqa: E402

MODELS = {"VAE": "configs/vae_fashion_mnist.yaml", "DCGAN": "configs/dcgan_fashion_mnist.yaml"}


def train_and_score(config: str, steps: int, args, workdir: Path) -> dict:
    from lightning_gan.config import load_config
    from lightning_gan.evaluate_run import evaluate
    from lightning_gan.runs import fit

    cfg = load_config(ROOT / config, [f"train.g_steps={steps}", f"train.sample_every={steps}",
                                      f"train.checkpoint_every={steps}", "run.wandb.mode=disabled", f"run.root={workdir}"])
    result = fit(cfg, verbose=False)
    out = {"config": config, "g_steps": result.module.g_steps, "train_seconds": result.seconds,
           "run_dir": str(result.run_dir), "metrics": {}, "protocols": {}}
    groups = [(["inception"], args.fid_samples, []), (["domain"], args.domain_samples, []),
              (["parzen"], args.parzen_samples, [])]
    if cfg.variant.likelihood_model:
        groups.append((["likelihood"], args.fid_samples,
                       [f"eval.iwae_k={args.iwae_k}", f"eval.likelihood_images={args.likelihood_images}"]))
    for metrics, n, extra in groups:
        if n > 0:
            started = time.perf_counter()
            report, path = evaluate(str(result.run_dir), extra, metrics=metrics, num_samples=n, log=lambda *a: None)
            out["metrics"].update(report["metrics"])
            out["protocols"][metrics[0]] = {**report["protocol"], "seconds": round(time.perf_counter() - started, 1),
                                            "report": str(path)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vae-steps", type=int, default=10000)
    parser.add_argument("--gan-steps", type=int, default=2000)
    parser.add_argument("--fid-samples", type=int, default=1000)
    parser.add_argument("--domain-samples", type=int, default=2000)
    parser.add_argument("--parzen-samples", type=int, default=1000)
    parser.add_argument("--iwae-k", type=int, default=1000)
    parser.add_argument("--likelihood-images", type=int, default=1000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "vae_vs_gan.json"))
    args = parser.parse_args()
    workdir = Path("/tmp") / f"lightning-gan-vae-bench-{int(time.time())}"
    steps = {"VAE": args.vae_steps, "DCGAN": args.gan_steps}
    results = {}
    for name, config in MODELS.items():
        results[name] = train_and_score(config, steps[name], args, workdir)
        print(f"{name}: {results[name]['g_steps']} updates in {results[name]['train_seconds']:.0f} s", flush=True)
    report = {"machine": f"{platform.machine()} {os.cpu_count()} cores", "load_avg_at_end": os.getloadavg()[0],
              "args": vars(args), "runs": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    fid, dom, parzen, lik = (count_tag(n) for n in (args.fid_samples, args.domain_samples, args.parzen_samples,
                                                     args.likelihood_images))
    print(f"\n| model | updates | FID ({fid}) | KID ({fid}) | precision | recall | domain FID ({dom}) | "
          f"class KL ({dom}) | Parzen LL ({parzen}) | ELBO ({lik}) | IWAE K={args.iwae_k} ({lik}) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        m = r["metrics"]

        def get(key: str, fmt: str = ".1f") -> str:
            return format(m[key], fmt) if key in m else "-"

        print(f"| {name} | {r['g_steps']} | {get(f'fid{fid}')} | {get(f'kid{fid}', '.3f')} | {get(f'precision{fid}', '.2f')} "
              f"| {get(f'recall{fid}', '.2f')} | {get(f'domain_fid{dom}')} | {get(f'domain_class_kl{dom}', '.3f')} | "
              f"{get(f'parzen_ll{parzen}')} ± {get(f'parzen_ll_se{parzen}')} | {get(f'elbo{lik}')} | "
              f"{get(f'iwae_ll{lik}_k{args.iwae_k}')} |")
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
