"""Print every results table from the JSON the benches saved, as Markdown, with the command and JSON of each.

Nothing is trained or measured here: the tables in docs/benchmarks.md and the README are this
script's output, so a rerun of any bench followed by this script refreshes them.

    python bench/tables.py                      # every table whose JSON exists
    python bench/tables.py --tables quality mixtures
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
from lightning_gan.keys import count_tag  # noqa: E402


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _fmt(value, spec: str) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def quality() -> list[str]:
    from bench.quality_table import ROWS

    lines = ["| model | G steps | batch | FID | Lucic et al. (best, 10k) | KID | precision | recall | class KL | classes | cond. acc. "
             "| N | arguments of bench/quality_table.py, and part |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for slug, row in ROWS.items():
        path = RESULTS / "quality" / f"{slug}.json"
        if not path.is_file():
            lines.append(f"| {row.name} | not run yet: `python bench/quality_table.py --rows {slug}` |" + " |" * 11)
            continue
        p = _load(path)
        n = count_tag(p["fid_samples"])
        m = p["metrics"]
        budget = "" if p["g_steps"] == row.cpu_g_steps else f" --g-steps {p['g_steps']}"
        lines.append(f"| {p['row']} | {p['g_steps']} | {p['batch_size']} | {_fmt(m.get('fid' + n), '.1f')} | "
                     f"{_fmt(p['published_fid'], '.1f')} | {_fmt(m.get('kid' + n), '.4f')} | "
                     f"{_fmt(m.get('precision' + n), '.2f')} | {_fmt(m.get('recall' + n), '.2f')} | "
                     f"{_fmt(m.get('domain_class_kl' + n), '.3f')} | {_fmt(m.get('domain_classes_generated' + n), '.0f')} | "
                     f"{_fmt(m.get('cond_acc' + n), '.2f')} | {p['fid_samples']} | "
                     f"`--rows {slug}{budget}`; [{slug}.json](../bench/results/quality/{slug}.json) |")
    return lines


def mixtures() -> list[str]:
    lines = ["| mixture | configuration | G steps | seeds | modes (≥ 1 HQ) | modes (≥ ¼ share) | high quality % "
             "| reverse KL | all modes every seed | arguments of bench/mixtures.py, and part |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for path in sorted((RESULTS / "mixtures").glob("*.json"), key=lambda p: (p.name.split("-")[0], _load(p)["g_steps"], p.name)):
        p = _load(path)
        s = p["summary"]
        config = path.stem.split("-")[1]
        lines.append(f"| {p['layout']} | {config} | {p['g_steps']} | {len(p['seeds'])} | "
                     f"{s['modes_hit'][0]:.1f} ± {s['modes_hit'][1]:.1f} | "
                     f"{s['modes_captured'][0]:.1f} ± {s['modes_captured'][1]:.1f} | "
                     f"{100 * s['high_quality'][0]:.1f} ± {100 * s['high_quality'][1]:.1f} | "
                     f"{s['mode_kl'][0]:.3f} ± {s['mode_kl'][1]:.3f} | {'yes' if s['all_modes_every_seed'] else 'no'} | "
                     f"`--layouts {p['layout']} --configs {config} --seeds {len(p['seeds'])} --g-steps {p['g_steps']}`; "
                     f"[{path.name}](../bench/results/mixtures/{path.name}) |")
    return lines


def parzen() -> list[str]:
    from bench.parzen_table import ROWS

    p = _load(RESULTS / "parzen_table.json")
    pub = p["published"]
    lines = ["| model | G steps | Parzen log-likelihood ± s.e. (nats) | σ | dimensions |", "|---|---|---|---|---|",
             f"| {pub['row']} | – | {pub['parzen_ll']} ± {pub['se']} | – | 784 |"]
    for name, row in sorted(p["rows"].items(), key=lambda item: list(ROWS).index(item[0])):
        m = {k.rstrip("0123456789k"): v for k, v in row["metrics"].items()}
        dims = 256 if "digits" in name else 1024
        lines.append(f"| {name} | {row['g_steps']} | {m['parzen_ll']:.1f} ± {m['parzen_ll_se']:.1f} | "
                     f"{m['parzen_sigma']:.3f} | {dims} |")
    return lines


def overhead() -> list[str]:
    p = _load(RESULTS / "overhead.json")
    lines = ["| case | ours (G steps/s) | plain loop | ours / plain (median; per repeat) | target | met |",
             "|---|---|---|---|---|---|"]
    for case in p["cases"].values():
        lines.append(f"| {case['description']} | {case['ours_g_steps_per_s']:.1f} | {case['plain_g_steps_per_s']:.1f} | "
                     f"{case['ratio']:.3f} ({', '.join(f'{r:.2f}' for r in case['ratios'])}) | {case['target']} | "
                     f"{'yes' if case['meets_target'] else 'no'} |")
    return lines


def peers() -> list[str]:
    p = _load(RESULTS / "peers.json")
    ours = next(r for r in p["parts"] if r["model"] == "ours")
    networks = {"ours": "DCGAN, width 64", "torchgan": "DCGAN, step 64", "mimicry": "ResNet DCGAN, 3 channels"}
    lines = ["| framework | networks | G / D parameters | G steps | G steps/s | vs ours | FID | KID | N | as shipped on torch 2.14 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in p["parts"]:
        net = networks[row["model"].split("-")[0]]
        n = count_tag(row["fid_samples"])
        if row.get("error"):
            last = row["error"].strip().splitlines()[-1].strip()
            lines.append(f"| {row['framework']} | {net} | – | {row['g_steps']} | – | – | – | – | – | fails: `{last}` |")
            continue
        m = row["metrics"]
        lines.append(f"| {row['framework']} | {net} | {row['g_params'] / 1e6:.2f}M / {row['d_params'] / 1e6:.2f}M | "
                     f"{row['g_steps']} | {row['g_steps_per_s']:.2f} | {row['g_steps_per_s'] / ours['g_steps_per_s']:.2f} | "
                     f"{m['fid' + n]:.1f} | {m['kid' + n]:.4f} | {row['fid_samples']} | "
                     f"{'runs' if 'shim' not in row['model'] else 'with the compatibility shim of `apply_shims`'} |")
    return lines


def scaling() -> list[str]:
    p = _load(RESULTS / "scaling.json")
    lines = ["| sweep | batch per process | threads per process | processes | ms per G step | images/s | load avg before |",
             "|---|---|---|---|---|---|---|"]
    for r in p["rows"]:
        lines.append(f"| {r['sweep']} | {r['batch_per_rank']} | {r['threads_per_process']} | {r['processes']} | "
                     f"{r['ms_per_g_step']:.1f} | {r['images_per_s']:.0f} | {r['load_avg_before']:.2f} |")
    return lines


def precision() -> list[str]:
    p = _load(RESULTS / "precision.json")
    lines = [f"| variant | mode | batch x k | G steps/s | images/s | vs fp32 | first {p['warmup']:.0%} of the steps (s) |",
             "|---|---|---|---|---|---|---|"]
    for r in p["rows"]:
        if "images_per_s" in r:
            lines.append(f"| {r['variant']} | {r['mode']} | {r['batch_size']} x {r['k']} | {r['g_steps_per_s']:.2f} | "
                         f"{r['images_per_s']:.0f} | {_fmt(r.get('vs_fp32'), '.2f')} | {r['warmup_seconds']:.1f} |")
        else:
            lines.append(f"| {r['variant']} | {r['mode']} | – | – | – | – | {r.get('refused') or r.get('failed')} |")
    return lines


TABLES = {
    "quality": (quality, "python bench/quality_table.py --budget cpu", "bench/results/quality/*.json"),
    "mixtures": (mixtures, "python bench/mixtures.py", "bench/results/mixtures/*.json"),
    "parzen": (parzen, "python bench/parzen_table.py", "bench/results/parzen_table.json"),
    "overhead": (overhead, "python bench/overhead.py", "bench/results/overhead.json"),
    "peers": (peers, "python bench/peers.py", "bench/results/peers.json"),
    "scaling": (scaling, "python bench/scaling.py", "bench/results/scaling.json"),
    "precision": (precision, "python bench/precision.py", "bench/results/precision.json"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", nargs="+", choices=list(TABLES), default=list(TABLES))
    args = parser.parse_args()
    for name in args.tables:
        make, command, source = TABLES[name]
        try:
            lines = make()
        except FileNotFoundError:
            print(f"## {name}: no JSON yet (`{command}` writes {source})\n")
            continue
        print(f"## {name} (`{command}`; {source})\n")
        print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
