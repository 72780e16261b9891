"""What every bench script records: the machine, and JSON written whole (a kill leaves the old file)."""
from __future__ import annotations

import json
import os
import platform
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
