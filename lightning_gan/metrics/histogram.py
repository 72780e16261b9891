"""Class histogram of generated samples under a classifier: the seed's mode-collapse / dropping measure."""
from __future__ import annotations

import torch
from torchmetrics import Metric


class ClassHistogram(Metric):
    """Counts argmax classes of generated samples and compares them with the data's class shares.

    - ``class_kl``: KL(generated class shares || data class shares), nats; 0 when they match.
    - ``classes_generated``: classes holding at least a quarter of their data share (the rule used for
      modes of 2D mixtures), so a few stray samples do not count a class as generated.
    - ``top_class_share``: share of the most frequent class; near 1 is collapse onto one class.
    """

    full_state_update = False
    is_differentiable = False

    def __init__(self, class_prior: torch.Tensor, **kwargs):
        super().__init__(**kwargs)
        prior = torch.as_tensor(class_prior, dtype=torch.float64)
        self.register_buffer("prior", prior / prior.sum(), persistent=False)
        self.add_state("counts", default=torch.zeros(len(prior), dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, logits: torch.Tensor) -> None:
        classes = logits.argmax(dim=1)
        self.counts += torch.bincount(classes, minlength=len(self.prior)).to(self.counts)

    def compute(self) -> dict[str, torch.Tensor]:
        share = self.counts / self.counts.sum().clamp_min(1)
        nonzero = share > 0
        kl = (share[nonzero] * (share[nonzero] / self.prior[nonzero]).log()).sum()
        return {"class_kl": kl, "classes_generated": (share >= self.prior / 4).sum().double(),
                "top_class_share": share.max()}
