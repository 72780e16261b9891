"""The divergence guard: a non-finite loss or gradient never reaches an optimizer step.

Checked after every backward, before ``step``: the loss and the global gradient norm of the network
being updated must be finite (under 16-mixed only the loss: GradScaler itself skips steps with
inf gradients). Under DDP the ranks agree on the verdict, so all stop or roll back together.

``train.on_divergence``:
- ``stop`` (default): raise ``Diverged`` naming the network, the step and the last finite
  checkpoint; nothing further is written, so ``last.ckpt`` stays the last finite state;
- ``rollback``: reload ``last.ckpt`` (networks, EMA, every optimizer and schedule, counters),
  multiply every base learning rate by ``train.rollback_lr_factor`` (the schedule keeps its shape
  and place), and go on; after ``train.max_rollbacks`` it stops.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from lightning_gan.errors import Diverged


def all_finite(loss: torch.Tensor, network: nn.Module | None) -> torch.Tensor:
    """The loss and, unless ``network`` is None, every gradient norm of it are finite: a few ops in all."""
    loss = loss.detach().reshape(-1)
    grads = [p.grad for p in network.parameters() if p.grad is not None] if network is not None else []
    if not grads:
        return loss.isfinite().all()
    norms = torch._foreach_norm(grads)  # a norm is finite exactly when every entry of its tensor is
    return torch.cat([loss.to(norms[0]), torch.stack(norms)]).isfinite().all()


class DivergenceGuard:
    def __init__(self, policy: str, max_rollbacks: int, lr_factor: float):
        self.policy, self.max_rollbacks, self.lr_factor = policy, max_rollbacks, lr_factor
        self.rollbacks = 0

    def finite(self, module, loss: torch.Tensor, network: nn.Module) -> bool:
        trainer = module.trainer
        # under 16-mixed the gradients are still scaled: GradScaler skips their inf steps itself
        ok = bool(all_finite(loss, network if str(trainer.precision) != "16-mixed" else None))
        return trainer.strategy.reduce_boolean_decision(ok, all=True) if trainer.world_size > 1 else ok

    def handle(self, module, network_name: str, loss: torch.Tensor) -> None:
        """Rolls back, or raises Diverged with what, where and how to go on."""
        what = f"its loss is {float(loss.detach()):g}" if not torch.isfinite(loss.detach()).all() else "a gradient is not finite"
        checkpoint = module.last_checkpoint_path()
        where = f"the {network_name} diverged at {module.position()}: {what}"
        # Every rank must take the same branch: rank 0's view of the file decides (no shared filesystem needed).
        have_checkpoint = module.trainer.strategy.broadcast(bool(checkpoint and checkpoint.is_file()), src=0)
        if self.policy == "rollback" and self.rollbacks < self.max_rollbacks and have_checkpoint:
            self.rollbacks += 1
            self._roll_back(module, checkpoint)
            module.print(f"{where}; rolled back to {checkpoint.name} (G step {module.g_steps}) with learning rates "
                         f"x{self.lr_factor ** self.rollbacks:g} (rollback {self.rollbacks} of {self.max_rollbacks})")
            return
        kept = (f"the last finite checkpoint is {checkpoint}" if checkpoint and checkpoint.is_file()
                else "no checkpoint was written before it")
        tried = f" after {self.rollbacks} rollbacks" if self.rollbacks else ""
        raise Diverged(f"{where}{tried}; {kept}. Lower optim.{network_name[0]}.lr, add a penalty (penalty.name=gp) or "
                       "clip gradients (train.grad_clip_d), or set train.on_divergence=rollback")

    def _roll_back(self, module, checkpoint: Path) -> None:
        state = torch.load(checkpoint, map_location=module.device, weights_only=True)
        module.roll_back(state, self.lr_factor ** self.rollbacks)
