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
