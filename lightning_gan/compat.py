"""Every private Lightning detail this project relies on, in one place.

``tests/test_compat.py`` pins each of them, so a Lightning upgrade that moves one fails there, loudly,
instead of silently breaking the logging step or an exact resume.
"""
from __future__ import annotations

from typing import Any, Optional

import lightning as L


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


def drop_unset_wandb_anonymous(logger) -> None:
    """Lightning's WandbLogger passes ``anonymous=None`` to ``wandb.init`` even when the user set nothing,
    and W&B >= 0.22 warns "The anonymous setting has no effect" for any value: leave the key out."""
    if logger._wandb_init.get("anonymous", "set") is None:
        del logger._wandb_init["anonymous"]


def backward_is_plain(trainer, module: L.LightningModule) -> bool:
    """Whether Lightning's ``manual_backward`` would do nothing but ``loss.backward()`` in this fit.

    On one device in full or double precision, with no ``backward`` / ``on_before_backward`` /
    ``on_after_backward`` overridden by the module or any callback, it only dispatches to empty hooks,
    which costs the tiny default MLP ~8 % of its speed. Anything else (DDP's gradient sync, AMP's loss
    scaling, a user's hook) takes Lightning's path.
    """
    from lightning.pytorch.plugins.precision import DoublePrecision, Precision
    from lightning.pytorch.strategies import SingleDeviceStrategy
    from lightning.pytorch.utilities.model_helpers import is_overridden

    if type(trainer.strategy) is not SingleDeviceStrategy or type(trainer.precision_plugin) not in (Precision,
                                                                                                    DoublePrecision):
        return False
    hooks = ("on_before_backward", "on_after_backward")
    if any(is_overridden(hook, module, parent=L.LightningModule) for hook in (*hooks, "backward")):
        return False
    return not any(is_overridden(hook, callback, parent=L.Callback) for callback in trainer.callbacks for hook in hooks)
