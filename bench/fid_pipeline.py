"""Our FID pipeline against torch-fidelity's ``calculate_metrics`` on the same images and weights.

One invocation, one machine, three timings on identical inputs (N generated vs N real Fashion-MNIST
training images, the converted standard Inception weights):
  - ours, cold: real features computed and written to a fresh cache, then generated ones;
  - ours, warm: the same evaluation again, real features read from the cache;
  - torch-fidelity: ``calculate_metrics(fid=True)`` on both sets (it always extracts both).
Reports the FIDs, |ΔFID| and the time ratios; saves JSON.

    lightning-gan prepare inception
    python bench/fid_pipeline.py RUN_DIR --num-samples 1000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lightning_gan.evaluate_run import build_datamodule, find_checkpoint, load_checkpoint  # noqa: E402
from lightning_gan.evaluation import Evaluator  # noqa: E402
from lightning_gan.metrics.inception import resolve_weights, to_inception_input  # noqa: E402


class _Uint8Images(torch.utils.data.Dataset):
    """torch-fidelity's input format: uint8 [3, H, W] tensors."""

    def __init__(self, images: torch.Tensor):
        self.pixels = to_inception_input(images)

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.pixels[i]


def ours(datamodule, fake: torch.Tensor, n: int, batch_size: int) -> tuple[float, float, bool, torch.Tensor]:
    evaluator = Evaluator(datamodule, ["inception"], n, batch_size=batch_size, log=lambda *a: None)
    start = time.perf_counter()
    hit = evaluator.prepare_real()["inception"]
    it = iter(fake.split(batch_size))
    results = evaluator.run(lambda count, generator: next(it))
    return results[f"fid{evaluator.tag}"], time.perf_counter() - start, hit, evaluator.real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="a Fashion-MNIST run directory (its generator makes the fake set)")
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "fid_pipeline.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    module = load_checkpoint(find_checkpoint(args.run))
    datamodule = build_datamodule(module.cfg)
    generator = torch.Generator().manual_seed(0)
    fake = module.sample(module.sample_z(args.num_samples, generator=generator)).float()  # [N, C, H, W]

    weights, _ = resolve_weights("auto")
    with tempfile.TemporaryDirectory() as cache:
        inception_dir = Path(weights).parent  # keep the converted weights; start real features cold
        os.environ["LIGHTNING_GAN_CACHE"] = cache
        (Path(cache) / "inception").symlink_to(inception_dir, target_is_directory=True)
        fid_cold, t_cold, hit_cold, real = ours(datamodule, fake, args.num_samples, args.batch_size)
        fid_warm, t_warm, hit_warm, _ = ours(datamodule, fake, args.num_samples, args.batch_size)

    import torch_fidelity

    start = time.perf_counter()
    theirs = torch_fidelity.calculate_metrics(
        input1=_Uint8Images(fake), input2=_Uint8Images(real), fid=True, cuda=False, cache=False, verbose=False,
        batch_size=args.batch_size, feature_extractor_weights_path=weights)["frechet_inception_distance"]
    t_theirs = time.perf_counter() - start

    report = {"machine": f"{platform.machine()} {os.cpu_count()} cores, {args.threads} torch threads",
              "n_fake": args.num_samples, "n_real": len(real), "weights": Path(weights).name,
              "run": str(args.run), "fid_ours_cold": fid_cold, "fid_ours_warm": fid_warm, "fid_torch_fidelity": theirs,
              "abs_delta_fid": abs(fid_cold - theirs), "seconds_ours_cold": t_cold, "seconds_ours_warm": t_warm,
              "seconds_torch_fidelity": t_theirs, "ours_cold_vs_torch_fidelity": t_cold / t_theirs,
              "ours_warm_vs_cold": t_warm / t_cold, "cache_hits": [hit_cold, hit_warm]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print("| pipeline | FID | seconds | time vs torch-fidelity |\n|---|---|---|---|")
    print(f"| torch-fidelity calculate_metrics | {theirs:.4f} | {t_theirs:.1f} | 1.00x |")
    print(f"| ours, real cache cold | {fid_cold:.4f} | {t_cold:.1f} | {t_cold / t_theirs:.2f}x |")
    print(f"| ours, real cache warm | {fid_warm:.4f} | {t_warm:.1f} | {t_warm / t_theirs:.2f}x |")
    print(f"\n|ΔFID| ours vs torch-fidelity: {abs(fid_cold - theirs):.2e}; warm/cold time: {t_warm / t_cold:.2f}; "
          f"N = {args.num_samples} fake vs {len(real)} real; saved {args.out}")


if __name__ == "__main__":
    main()
