"""Every private Lightning detail this project relies on, in one place.

``tests/test_compat.py`` pins each of them, so a Lightning upgrade that moves one fails there, loudly,
instead of silently breaking the logging step or an exact resume.
"""
from __future__ import annotations

from typing import Any, Optional


def batches_that_stepped(trainer) -> int:
    """The step Lightning hands its loggers: one per training batch (not per optimizer step)."""
    return trainer.fit_loop.epoch_loop._batches_that_stepped


def saved_train_loader_state(checkpoint: dict) -> Optional[dict[str, Any]]:
    """The train loader's ``state_dict()`` as Lightning stored it in a checkpoint, or None.

    Lightning restores a loader's state only when it resumes mid-epoch; a run that stopped
    mid-epoch at its end is recorded as a finished epoch, so the data module applies it itself.
    """
    states = checkpoint.get("loops", {}).get("fit_loop", {}).get("state_dict", {}).get("combined_loader")
    return states[0] if states else None
