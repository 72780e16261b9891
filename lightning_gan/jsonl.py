"""metrics.jsonl, data.jsonl, timing.jsonl: one JSON object per line, appended as a run goes."""
from __future__ import annotations

import json
from pathlib import Path


def append_jsonl(path: Path, row: dict) -> None:
    """One JSON object as one line; ``read_jsonl`` reads the file back."""
    with Path(path).open("a") as handle:
        handle.write(json.dumps(row) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    """Every complete row; a last line the run is still appending (or a kill cut short) is left out."""
    rows = []
    for line in filter(str.strip, Path(path).read_text().splitlines()):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return rows
