"""What every bench script records: the machine, and JSON written whole (a kill leaves the old file)."""
from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path


def machine() -> dict:
    """Where a figure was measured, and how busy the machine was (the 1-minute load average)."""
    import torch

    return {"cpu": f"{platform.machine()} {platform.processor() or ''}".strip(), "cores": os.cpu_count(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "torch": torch.__version__, "load_avg_1min": os.getloadavg()[0]}


def save_json(path: str | Path, data: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


def training_seconds(fit_stdout: str) -> float:
    """The training loop's seconds from `lightning-gan fit`'s summary line (start-up excluded)."""
    found = re.search(r"trained \d+ G steps in ([\d.]+) s", fit_stdout)
    if found is None:
        raise ValueError(f"no 'trained N G steps in S s' line in the fit's output:\n{fit_stdout[-1000:]}")
    return float(found.group(1))


def train_once(run_dir: Path, new_config) -> dict:
    """Trains a bench run exactly once: a killed run resumes from its checkpoint, a finished one (its
    marker, bench-trained.json) is not trained again. ``new_config()`` builds the config of a fresh run."""
    from lightning_gan.runs import fit, resume_config

    done = run_dir / "bench-trained.json"
    if not done.is_file():
        if (run_dir / "checkpoints" / "last.ckpt").is_file():
            cfg, resume = resume_config(run_dir)
        else:
            cfg, resume = new_config(), None
        result = fit(cfg, verbose=False, resume=resume)
        start = resume.g_steps if resume else 0
        save_json(done, {"train_seconds": result.seconds, "resumed_from": resume.g_steps if resume else None,
                         "g_steps_per_s": (result.module.g_steps - start) / result.seconds})
    return json.loads(done.read_text())
