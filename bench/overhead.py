"""Framework overhead: our training step against the same loop written by hand in plain PyTorch.

For each case the same networks (copied from a module built by the same config), optimizers
(Adam with the config's lr / betas), batch size, k, data tensors, loss (non-saturating) and torch
thread count are trained twice, interleaved in one invocation (ours, plain; the order alternates
every repeat, so machine noise hits both):

- ours:  ``lightning_gan.runs.fit(cfg, verbose=False)`` with W&B off, sample grids and checkpoints
  scheduled past the end, the default logging (``train.log_every=10``) on;
- plain: a shuffled DataLoader (same batch size, drop_last), k D steps then one G step, fakes under
  no_grad for D, D frozen (requires_grad) for the G step, ``zero_grad(set_to_none=True)``, and a
  loss ``.item()`` every log_every G steps.

Only the training loop is timed (a callback at on_train_start / each batch end / on_train_end).
Reported per case: G steps/s in steady state (from the batch where the G step count first reaches
10% of the run to the last batch), G steps/s over the whole loop, and ours / plain (the median of
the per-repeat ratios). Saves bench/results/overhead.json.

    python bench/overhead.py                      # both cases, default lengths, 5 repeats (~12 min)
    python bench/overhead.py --cases mlp --g-steps 2000 --repeats 5
"""
from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("lightning_gan") is None:  # PYTHONPATH (or an install) picks the code under test
    sys.path.insert(0, str(ROOT))

import lightning as L  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import lightning_gan  # noqa: E402
from lightning_gan.config import load_config, to_dict  # noqa: E402
from lightning_gan.registry import DATAMODULES, VARIANTS, load_all  # noqa: E402
from lightning_gan.runs import fit  # noqa: E402

CASES = {  # name -> (description, config file or None, overrides, default G steps, target ratio)
    "mlp": ("2014 MLP GAN, ring of 8 (embedded default: batch 256, k=1)", None, [], 800, 0.90),
    "dcgan": ("DCGAN 32x32 on digits (batch 64, Adam 2e-4, beta1 0.5, k=1)", None,
              ["variant.name=dcgan", "data.name=digits", "data.image_size=32", "data.batch_size=64",
               "optim.g.lr=2e-4", "optim.g.beta1=0.5", "optim.d.lr=2e-4", "optim.d.beta1=0.5"], 150, 0.97),
}
WARMUP_FRACTION = 0.10  # steady-state timing starts at the batch where g_steps first reaches this share


class LoopTimer(L.Callback):
    """Times the training loop only: on_train_start, the warm-up mark, the last batch end, on_train_end."""

    def __init__(self, warm_g_steps: int):
        self.warm_g_steps = warm_g_steps
        self.start = self.end = self.warm = self.last = None  # (perf_counter, process_time)
        self.g_warm = self.g_last = self.g_end = 0

    def on_train_start(self, trainer, module) -> None:
        self.start = clock()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        now = clock()
        if self.warm is None and module.g_steps >= self.warm_g_steps:
            self.warm, self.g_warm = now, module.g_steps
        self.last, self.g_last = now, module.g_steps

    def on_train_end(self, trainer, module) -> None:
        self.end, self.g_end = clock(), module.g_steps

    def rates(self) -> dict:
        return rates(self.g_end, self.start, self.end, self.g_last - self.g_warm, self.warm, self.last)


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def rates(g_total: int, start, end, g_steady: int, warm, last) -> dict:
    """Wall-clock G steps/s over the whole loop and in steady state; CPU time as a check on a busy machine."""
    return {"g_steps": g_total, "seconds": end[0] - start[0], "g_steps_per_s_full": g_total / (end[0] - start[0]),
            "g_steps_per_s": g_steady / (last[0] - warm[0]), "g_steps_per_cpu_s": g_steady / (last[1] - warm[1])}


def make_config(case: str, g_steps: int, root: str):
    _, path, overrides, _, _ = CASES[case]
    return load_config(path, [*overrides, f"train.g_steps={g_steps}", f"train.sample_every={g_steps + 1}",
                              f"train.checkpoint_every={g_steps + 1}", "train.log_every=10",
                              "run.wandb.mode=disabled", "trainer.accelerator=cpu", f"run.root={root}"])


def run_ours(case: str, g_steps: int, root: str) -> dict:
    cfg = make_config(case, g_steps, root)
    timer = LoopTimer(max(1, math.ceil(WARMUP_FRACTION * g_steps)))
    result = fit(cfg, verbose=False, callbacks=[timer])
    assert result.module.g_steps == g_steps, (result.module.g_steps, g_steps)
    return timer.rates()


def run_plain(case: str, g_steps: int, root: str) -> dict:
    """The loop a researcher would write by hand, on the same networks, optimizers, data and threads."""
    cfg = make_config(case, g_steps, root)
    load_all()
    datamodule = DATAMODULES[cfg.data.name](cfg.data, seed=cfg.train.seed)
    datamodule.prepare_data()
    datamodule.setup("fit")
    if cfg.trainer.cpu_threads > 0:
        torch.set_num_threads(cfg.trainer.cpu_threads)
    torch.manual_seed(cfg.train.seed)
    # The networks only: built by the module for the same config, then used as plain nn.Modules.
    module = VARIANTS[cfg.variant.name](to_dict(cfg), data_shape=datamodule.sample_shape,
                                        num_classes=datamodule.num_classes)
    G, D = copy.deepcopy(module.generator).train(), copy.deepcopy(module.discriminator).train()
    del module
    og, od = cfg.optim.g, cfg.optim.d
    assert og.name == od.name == "adam" and cfg.loss == "non_saturating" and cfg.penalty.name == "none"
    opt_g = torch.optim.Adam(G.parameters(), lr=og.lr, betas=(og.beta1, og.beta2), weight_decay=og.weight_decay)
    opt_d = torch.optim.Adam(D.parameters(), lr=od.lr, betas=(od.beta1, od.beta2), weight_decay=od.weight_decay)
    loader = DataLoader(TensorDataset(datamodule.x), batch_size=cfg.data.batch_size, shuffle=True, drop_last=True,
                        num_workers=cfg.data.num_workers)
    z_dim, uniform, k, log_every = cfg.variant.z_dim, cfg.variant.prior == "uniform", cfg.train.k, cfg.train.log_every

    def sample_z(n: int) -> torch.Tensor:
        return (torch.rand(n, z_dim) * 2 - 1).mul_(math.sqrt(3)) if uniform else torch.randn(n, z_dim)

    warm = max(1, math.ceil(WARMUP_FRACTION * g_steps))
    g = d = 0
    warm_at = g_warm = None
    history = []
    start = clock()
    while g < g_steps:
        for (real,) in loader:
            # D step: real against fakes drawn without a graph through G
            with torch.no_grad():
                fake = G(sample_z(real.shape[0]))
            d_loss = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            d += 1
            if d % k == 0:  # G step, D frozen
                D.requires_grad_(False)
                g_loss = F.softplus(-D(G(sample_z(real.shape[0])))).mean()
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
                D.requires_grad_(True)
                g += 1
                if g % log_every == 0:
                    history.append((g, d_loss.item(), g_loss.item()))
                if warm_at is None and g >= warm:
                    warm_at, g_warm = clock(), g
                if g >= g_steps:
                    break
    end = clock()
    assert len(history) == g_steps // log_every
    return rates(g, start, end, g - g_warm, warm_at, end)


def code_under_test() -> dict:
    path = Path(lightning_gan.__file__).resolve().parent.parent
    info = {"path": str(path)}
    try:
        git = ["git", "-C", str(path)]
        info["commit"] = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                        check=True).stdout.strip()
        info["dirty"] = bool(subprocess.run([*git, "status", "--porcelain", "--", "lightning_gan"],
                                            capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--g-steps", type=int, default=None,
                        help="G steps per run for every case (default: " +
                             ", ".join(f"{name} {c[3]}" for name, c in CASES.items()) + ")")
    parser.add_argument("--repeats", type=int, default=5, help="ours / plain pairs per case, interleaved")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "overhead.json"))
    args = parser.parse_args()
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)  # "GPU available: False" etc., per fit
    report = {"torch": torch.__version__, "lightning": L.__version__, "python": platform.python_version(),
              "machine": {"nproc": os.cpu_count(), "platform": platform.platform(),
                          "processor": platform.processor() or platform.machine()},
              "code": code_under_test(), "load_average_at_start": os.getloadavg(), "repeats": args.repeats,
              "warmup_fraction": WARMUP_FRACTION, "cases": {}}
    with tempfile.TemporaryDirectory(prefix="lightning-gan-overhead-") as workdir:
        for case in args.cases:
            description, _, overrides, default_steps, target = CASES[case]
            g_steps = args.g_steps or default_steps
            cfg = make_config(case, g_steps, workdir)
            runs = {"ours": [], "plain": []}
            for r in range(args.repeats):
                for which in (("ours", "plain") if r % 2 == 0 else ("plain", "ours")):
                    result = (run_ours if which == "ours" else run_plain)(case, g_steps, workdir)
                    runs[which].append(result)
                    print(f"  {case} repeat {r + 1}/{args.repeats} {which:5s}: {result['g_steps_per_s']:7.2f} G steps/s "
                          f"(whole loop {result['g_steps_per_s_full']:.2f}, "
                          f"per CPU second {result['g_steps_per_cpu_s']:.2f})", flush=True)
            steady = {w: [x["g_steps_per_s"] for x in rs] for w, rs in runs.items()}
            full = {w: [x["g_steps_per_s_full"] for x in rs] for w, rs in runs.items()}
            cpu = {w: [x["g_steps_per_cpu_s"] for x in rs] for w, rs in runs.items()}
            ratios = [o / p for o, p in zip(steady["ours"], steady["plain"])]
            ratios_full = [o / p for o, p in zip(full["ours"], full["plain"])]
            ratio = statistics.median(ratios)
            report["cases"][case] = {
                "description": description, "overrides": overrides, "g_steps": g_steps, "batch_size": cfg.data.batch_size,
                "k": cfg.train.k, "log_every": cfg.train.log_every, "cpu_threads": cfg.trainer.cpu_threads,
                "torch_threads": torch.get_num_threads(),
                "ours_g_steps_per_s": statistics.median(steady["ours"]),
                "plain_g_steps_per_s": statistics.median(steady["plain"]),
                "ratio": ratio, "target": target, "meets_target": ratio >= target,
                "ours_g_steps_per_s_full": statistics.median(full["ours"]),
                "plain_g_steps_per_s_full": statistics.median(full["plain"]),
                "ratio_full": statistics.median(ratios_full),
                "ratio_cpu": statistics.median(o / p for o, p in zip(cpu["ours"], cpu["plain"])),
                "ratios": ratios, "ratios_full": ratios_full, "runs": runs}
    report["load_average_at_end"] = os.getloadavg()
    code = report["code"]
    print(f"\ntorch {report['torch']}, lightning {report['lightning']}, {report['machine']['nproc']} CPUs, "
          f"{report['machine']['platform']}; code {code['path']} {code.get('commit', '')}"
          f"{' (modified)' if code.get('dirty') else ''}")
    print("G steps/s in steady state (from 10% of the run on; whole loop in brackets), median of "
          f"{args.repeats} interleaved repeats; load average {report['load_average_at_start'][0]:.1f} at start, "
          f"{report['load_average_at_end'][0]:.1f} at end\n")
    print("| case | G steps | batch | k | threads | ours | plain | ours / plain | target | ratio per CPU second |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case, c in report["cases"].items():
        print(f"| {case}: {c['description']} | {c['g_steps']} | {c['batch_size']} | {c['k']} | {c['torch_threads']} | "
              f"{c['ours_g_steps_per_s']:.2f} ({c['ours_g_steps_per_s_full']:.2f}) | "
              f"{c['plain_g_steps_per_s']:.2f} ({c['plain_g_steps_per_s_full']:.2f}) | "
              f"{c['ratio']:.2f} ({c['ratio_full']:.2f}) | >= {c['target']:.2f} {'ok' if c['meets_target'] else 'MISSED'} | "
              f"{c['ratio_cpu']:.2f} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
