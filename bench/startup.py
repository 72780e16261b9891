"""Time to first answer of the CLI calls a newcomer makes first, optionally beside another checkout.

    python bench/startup.py                       # this checkout
    python bench/startup.py --against ../old-copy # the same calls, interleaved, on an older checkout too

Each call runs in a fresh process (the real cost: interpreter + imports + work), ``--repeats`` times,
alternating checkouts so that a busy machine slows both alike; the table shows medians and the ratio.
The JSON goes to bench/results/startup.json. A call that needs no training must not import torch:
tests/test_cli_startup.py holds that boundary; this script shows what it buys.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CALLS = {  # name -> CLI arguments; each answers without training
    "--help": ["--help"],
    "fit typo (optim.g.lrr=1)": ["fit", "optim.g.lrr=1"],
    "fit bad choice (loss=hinje)": ["fit", "loss=hinje"],
    "config": ["config"],
    "config dcgan yaml": ["config", "configs/dcgan_fashion_mnist.yaml"],
    "sweep --check": ["sweep", "sweeps/ring8_grid.yaml", "--check"],
}


def time_call(checkout: Path, args: list[str]) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lightning_gan", *args], cwd=checkout, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, help="another checkout of lightning-gan to time beside this one")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per call and checkout (median shown)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "startup.json")
    args = parser.parse_args()
    checkouts = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    rows = []
    for name, cli in CALLS.items():
        times: dict[str, list[float]] = {label: [] for label in checkouts}
        codes: dict[str, int] = {}
        for _ in range(args.repeats):
            for label, checkout in checkouts.items():
                seconds, codes[label] = time_call(checkout, cli)
                times[label].append(seconds)
        row = {"call": name, "args": cli, **{f"{label}_s": round(statistics.median(t), 2) for label, t in times.items()},
               **{f"{label}_exit": code for label, code in codes.items()}}
        if args.against:
            row["speedup"] = round(row["against_s"] / row["this_s"], 1)
        rows.append(row)
        print("  ".join(f"{k}={v}" for k, v in row.items() if k != "args"), flush=True)
    report = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "repeats": args.repeats,
              "load_avg": os.getloadavg()[0], "checkouts": {k: str(v) for k, v in checkouts.items()}, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
