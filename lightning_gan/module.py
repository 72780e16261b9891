"""AdversarialModule: THE adversarial schedule, written once, on the shared ``BaseModule``.

A variant subclasses one of the objectives in ``objectives.py`` (or this class) and supplies:

- ``Config``: its dataclass (a ``VariantConfig`` registered in ``lightning_gan.schemas``),
- ``build_networks()`` -> (generator, discriminator),
- ``discriminator_loss(batch)`` / ``generator_loss(batch)`` -> (loss, {name: value}),
  usually via ``d_objective`` / ``g_objective`` below.

Schedule (Goodfellow et al. 2014, Algorithm 1): every batch is one D step, so each D step sees a
fresh batch; after every k-th D step one G step follows. k is fixed (``train.k``) or adaptive
(``train.k_schedule=adaptive``). Run length is counted in G steps with our own counters;
``trainer.global_step`` counts optimizer steps (k + 1 per G step here) and is never used as a count.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from lightning_gan.base import COUNTERS_KEY, RNG_KEY, BaseModule, Logs, OptimizerSpec, load_module  # noqa: F401
from lightning_gan.batch import Batch
from lightning_gan.config import AdversarialConfig
from lightning_gan.losses import LOSSES
from lightning_gan.penalties import (Regularizer, RegularizerInputs, add_spectral_norm, clip_weights, gradient_penalty,
                                     orthogonal_penalty, r1_penalty)
from lightning_gan.schedules import AdaptiveK


def declared_regularizers(cfg: AdversarialConfig) -> list[Regularizer]:
    """The config's penalties as regularizers: gp / r1 on D (every ``penalty.every`` D steps), orthogonal on G."""
    p = cfg.penalty
    regs = []
    if p.name == "gp":
        regs.append(Regularizer("gp", "d", p.weight, p.every, lambda i: gradient_penalty(i.critic, i.real, i.fake)))
    elif p.name == "r1":  # γ/2 · E‖∇D(x)‖², as Mescheder et al. 2018 write it
        regs.append(Regularizer("r1", "d", p.weight / 2, p.every, lambda i: r1_penalty(i.critic, i.real)))
    if p.orthogonal_g > 0:
        regs.append(Regularizer("orthogonal", "g", p.orthogonal_g, 1, lambda i: orthogonal_penalty(i.network)))
    return regs


class AdversarialModule(BaseModule):
    RootConfig = AdversarialConfig
    family = "adversarial"
    trained_networks = ("generator", "discriminator")

    # ---------------------------------------------------------------- what a variant provides
    def build_networks(self) -> tuple[nn.Module, nn.Module]:
        raise NotImplementedError

    def discriminator_loss(self, batch: Batch) -> tuple[torch.Tensor, Logs]:
        raise NotImplementedError

    def generator_forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """G's training forward in both objectives; variants whose G trains with more (StyleGAN's style
        mixing and tracked mean w) override it. Sampling goes through ``run_generator`` instead."""
        return self.generator(z) if labels is None else self.generator(z, labels)

    def generator_loss(self, batch: Batch) -> tuple[torch.Tensor, Logs]:
        raise NotImplementedError

    # ---------------------------------------------------------------- the family's parts of the base
    def build(self) -> None:
        self.loss_pair = LOSSES[self.cfg.loss]
        self.generator, self.discriminator = self.build_networks()
        if self.cfg.penalty.spectral_norm_d:
            add_spectral_norm(self.discriminator)
        if self.cfg.penalty.spectral_norm_g:
            add_spectral_norm(self.generator)
        self._regs = {side: [r for r in self.regularizers() if r.side == side] for side in ("g", "d")}
        self._reg_logs: Logs = {}  # the last value of each regularizer: lazy ones are logged between their runs
        self.d_steps = 0  # discriminator updates so far (k per G step)
        self._d_in_cycle = 0  # D steps since the last G step
        self._d_logs: list[Logs] = []
        t = self.cfg.train
        self.adaptive_k = (AdaptiveK(t.k, t.k_min, t.k_max, t.k_every, t.k_lose_below, t.k_win_above)
                           if t.k_schedule == "adaptive" else None)

    def regularizers(self) -> list[Regularizer]:
        return declared_regularizers(self.cfg)

    def optimizer_specs(self) -> list[OptimizerSpec]:
        t = self.cfg.train
        return [OptimizerSpec("g", "generator", self.generator.parameters(), self.cfg.optim.g, t.grad_clip_g),
                OptimizerSpec("d", "discriminator", self.discriminator.parameters(), self.cfg.optim.d, t.grad_clip_d)]

    def after_update(self, name: str) -> None:
        if name == "d" and self.cfg.penalty.name == "clip":  # WGAN clips after D's step
            clip_weights(self.discriminator, self.cfg.penalty.clip)

    @property
    def k(self) -> int:
        return self.adaptive_k.k if self.adaptive_k is not None else self.cfg.train.k

    def train_on_batch(self, batch: Batch) -> None:
        d_logs = self.update("d", self.discriminator_loss, batch)
        if d_logs is None:  # rolled back: the restored checkpoint ended a cycle
            self._d_logs, self._d_in_cycle = [], 0
            return
        self._d_logs.append(d_logs)
        self.d_steps += 1
        self._d_in_cycle += 1
        if self._d_in_cycle < self.k:
            return
        # The G step reuses the cycle's last batch only for its size; D has already been updated on it.
        g_logs = self.update("g", self.generator_loss, batch)
        if g_logs is None:
            self._d_logs, self._d_in_cycle = [], 0
            return
        d_logs = {name: torch.stack([row[name] for row in self._d_logs]).mean() for name in self._d_logs[0]}
        row = {**d_logs, **self._reg_logs, **g_logs, "k": self.k}
        if self.adaptive_k is not None:
            self.adaptive_k.observe(d_logs["D_accuracy"])
        self._d_logs, self._d_in_cycle = [], 0
        self.finish_g_step(row, counters={"d_step": self.d_steps})

    def position(self) -> str:
        return f"G step {self.g_steps}, D step {self.d_steps}"

    # ---------------------------------------------------------------- helpers for variants
    def d_objective(self, real: torch.Tensor, fake: torch.Tensor, *, negatives: Sequence[torch.Tensor] = (),
                    critic: Callable[[torch.Tensor], torch.Tensor] | None = None) -> tuple[torch.Tensor, Logs]:
        """The configured D loss, its due regularizers and the D(x) / D(G(z)) balance.

        real / fake: D's inputs; ``critic`` maps inputs to scores (default: the discriminator);
        conditional variants pass a closure over their labels, so penalties see the same conditions.
        negatives: D's scores of more samples it must call fake (real images under a wrong label).
        Every fake-side sample weighs the same: the fake term is the mean of ``d_fake`` over G's
        samples and the negatives together. With as many negatives as fakes it is Reed et al. 2016's
        matching-aware loss, ½·fake term + ½·mismatch term.
        """
        critic = critic or self.discriminator
        # float(): under bf16 / fp16 autocast the scores are low precision; losses and logs are not
        real_scores, fake_scores = critic(real).float(), critic(fake).float()
        pair = self.loss_pair
        d_real, d_fake = pair.d_real(real_scores), pair.d_fake(fake_scores)
        fake_term, n_fake = d_fake, len(fake_scores)
        logs: Logs = {}
        if negatives:
            negative_scores = torch.cat([s.float() for s in negatives])
            d_negatives, n_neg = pair.d_fake(negative_scores), len(negative_scores)
            fake_term = (n_fake * d_fake + n_neg * d_negatives) / (n_fake + n_neg)
            logs["d_negatives"] = d_negatives
            logs["D_negatives"] = self._as_balance(negative_scores.detach())
        loss = d_real + fake_term
        real_d, fake_d = real_scores.detach(), fake_scores.detach()
        logs.update(d_real=d_real, d_fake=d_fake, D_x=self._as_balance(real_d), D_G_z=self._as_balance(fake_d),
                    D_accuracy=((real_d > pair.neutral).float().mean() + (fake_d < pair.neutral).float().mean()) / 2)
        if pair.critic:
            logs["wasserstein_estimate"] = real_d.mean() - fake_d.mean()
        loss = loss + self._regularize("d", self.d_steps, RegularizerInputs(self.discriminator, real, fake, critic))
        logs = {name: value.detach() for name, value in logs.items()}
        return loss, {"d_loss": loss.detach(), **logs}

    def g_objective(self, *fake_scores: torch.Tensor, fake: torch.Tensor | None = None) -> tuple[torch.Tensor, Logs]:
        """The configured G loss on D's scores of G's samples, plus G's due regularizers.

        Several score tensors (one per critic: CycleGAN's two directions) add their losses.
        """
        loss = sum(self.loss_pair.g(scores.float()) for scores in fake_scores)
        loss = loss + self._regularize("g", self.g_steps, RegularizerInputs(self.generator, fake=fake))
        return loss, {"g_loss": loss.detach()}

    def _as_balance(self, scores: torch.Tensor) -> torch.Tensor:
        """Mean probability of "real" for logit losses (fixed point 1/2); the mean raw score otherwise."""
        return torch.sigmoid(scores).mean() if self.loss_pair.logits else scores.mean()

    def _regularize(self, side: str, updates_so_far: int, inputs: RegularizerInputs) -> torch.Tensor | float:
        total: torch.Tensor | float = 0.0
        for reg in self._regs[side]:
            if reg.due(updates_so_far):
                value = reg.penalty(inputs)
                self._reg_logs[reg.name] = value.detach()
                total = total + reg.weight * reg.every * value  # gain N for a penalty run every N-th update
        return total

    # ---------------------------------------------------------------- checkpoint state
    def extra_state(self) -> dict:
        return {"d_steps": self.d_steps, "d_in_cycle": self._d_in_cycle,
                "d_logs": [{k: float(v) for k, v in row.items()} for row in self._d_logs],
                "reg_logs": {k: float(v) for k, v in self._reg_logs.items()},
                **({"adaptive_k": self.adaptive_k.state()} if self.adaptive_k is not None else {})}

    def load_extra_state(self, state: dict) -> None:
        self.d_steps = int(state.get("d_steps", 0))
        self._d_in_cycle = int(state.get("d_in_cycle", 0))
        self._d_logs = [{k: torch.tensor(v) for k, v in row.items()} for row in state.get("d_logs", [])]
        self._reg_logs = {k: torch.tensor(v) for k, v in state.get("reg_logs", {}).items()}
        if self.adaptive_k is not None and "adaptive_k" in state:
            saved = state["adaptive_k"]
            self.adaptive_k.k, self.adaptive_k.total, self.adaptive_k.count = saved["k"], saved["total"], saved["count"]
