"""Read an offline W&B run (``wandb/offline-run-*/run-<id>.wandb``) back with no server.

wandb 0.31 keeps metrics, config and summary only in that file. Its format is a LevelDB-style log:
a 7-byte file header (``:W&B``, magic 0xBEE1 little-endian, version 0), then 32 KiB blocks of
records, each with a 7-byte header (crc32c, u16 length LE, type FULL=1 / FIRST=2 / MIDDLE=3 /
LAST=4); a record's payload is a protobuf ``wandb_internal_pb2.Record``. Used by the tests (and
later by run comparison) to check what a run really logged.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 32 * 1024
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


@dataclass
class OfflineRun:
    path: Path
    config: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    run_info: dict = field(default_factory=dict)  # name, group, job_type, tags


def _payloads(data: bytes):
    if data[:4] != b":W&B" or struct.unpack("<H", data[4:6])[0] != 0xBEE1:
        raise ValueError("not a W&B run file (bad header)")
    offset, pending = HEADER, b""
    while offset + HEADER <= len(data):
        if BLOCK - offset % BLOCK < HEADER:  # too little room for a header: the block is padded
            offset += BLOCK - offset % BLOCK
            continue
        _crc, length, kind = struct.unpack("<IHB", data[offset: offset + HEADER])
        if kind == 0 and length == 0:  # zero padding at the end of a block
            offset += BLOCK - offset % BLOCK
            continue
        chunk = data[offset + HEADER: offset + HEADER + length]
        offset += HEADER + length
        if kind == FULL:
            yield chunk
        elif kind == FIRST:
            pending = chunk
        elif kind == MIDDLE:
            pending += chunk
        elif kind == LAST:
            yield pending + chunk
            pending = b""


def _items(items) -> dict:
    out = {}
    for item in items:
        key = "/".join(item.nested_key) if item.nested_key else item.key
        out[key] = json.loads(item.value_json)
    return out


def richest_rows(run_dir: Path) -> tuple[list[dict], OfflineRun | None]:
    """A run directory's logged rows: its W&B file's, or metrics.jsonl's when W&B was off or its file
    holds fewer rows (W&B writes in 32 KiB blocks, so after a hard kill the JSONL can be ahead)."""
    from lightning_gan.jsonl import read_jsonl

    jsonl = read_jsonl(run_dir / "metrics.jsonl") if (run_dir / "metrics.jsonl").is_file() else []
    try:
        run = read_offline_run(run_dir)
    except (FileNotFoundError, ValueError):  # W&B disabled, or the run died before it started
        return jsonl, None
    logged = lambda rows: sum("g_step" in r for r in rows)  # noqa: E731
    return (run.history if logged(run.history) >= logged(jsonl) else jsonl), run


def read_offline_run(run_dir: str | Path) -> OfflineRun:
    """run_dir: an ``offline-run-*`` directory, a directory holding ``wandb/``, or the .wandb file."""
    from wandb.proto import wandb_internal_pb2

    path = Path(run_dir)
    if path.is_dir():
        files = sorted(path.glob("run-*.wandb")) or sorted(path.glob("wandb/offline-run-*/run-*.wandb"))
        if not files:
            raise FileNotFoundError(f"no offline W&B run file under {path}")
        path = files[-1]
    run = OfflineRun(path)
    for payload in _payloads(path.read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "history":
            run.history.append(_items(record.history.item))
        elif kind == "config":
            run.config.update(_items(record.config.update))
        elif kind == "summary":
            run.summary.update(_items(record.summary.update))
        elif kind == "run":
            run.config.update(_items(record.run.config.update))
            run.run_info = {"name": record.run.display_name, "group": record.run.run_group,
                            "job_type": record.run.job_type, "tags": list(record.run.tags)}
    run.config = {k: (v["value"] if isinstance(v, dict) and set(v) == {"value"} else v)
                  for k, v in run.config.items() if not k.startswith("_")}
    return run
