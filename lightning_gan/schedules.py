"""Learning-rate schedules counted in G steps, and the adaptive choice of k.

A schedule is a factor on the configured rate, as a function of the G step: a plain object with
number fields, so ``LambdaLR`` saves it in checkpoints and a resume continues the same curve.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GStepSchedule:
    """Linear warm-up from 0 over ``warmup`` G steps, then constant, then (``linear_decay``) linear to 0.

    The decay is CycleGAN's policy (Zhu et al. 2017): constant for the first part of training, then
    linearly to zero at the last G step.
    """

    kind: str  # "constant" or "linear_decay"
    warmup: int  # G steps of linear warm-up (0: none)
    decay_from: int  # G step at which the linear decay starts
    total: int  # the run's last G step, where a decayed rate reaches 0

    def __call__(self, g_step: int) -> float:
        factor = min(1.0, (g_step + 1) / self.warmup) if self.warmup > 0 else 1.0
        if self.kind == "linear_decay" and g_step >= self.decay_from:
            factor *= max(0.0, (self.total - g_step) / max(1, self.total - self.decay_from))
        return factor


@dataclass
class AdaptiveK:
    """Raises k when D is losing and lowers it when D wins (the seeds' advice), within [low, high].

    Judged every ``every`` G steps from D's accuracy on the cycle's scores, the share of real scores
    above the neutral score and of fake scores below it, averaged over the window: a scale-free form
    of the D(x) / D(G(z)) balance that reads the same for logits, hinge and critic scores.
    """

    k: int  # current D steps per G step
    low: int  # smallest k
    high: int  # largest k
    every: int  # G steps per decision
    lose_below: float  # D accuracy under which D is losing: k + 1
    win_above: float  # D accuracy over which D is winning: k - 1
    total: float = 0.0  # accuracy summed over the window (a tensor between decisions: no sync per step)
    count: int = 0  # G steps in the window

    def observe(self, accuracy) -> None:
        self.total, self.count = self.total + accuracy, self.count + 1
        if self.count < self.every:
            return
        mean = float(self.total) / self.count
        if mean < self.lose_below:
            self.k = min(self.high, self.k + 1)
        elif mean > self.win_above:
            self.k = max(self.low, self.k - 1)
        self.total, self.count = 0.0, 0

    def state(self) -> dict:
        return {"k": self.k, "total": float(self.total), "count": self.count}
