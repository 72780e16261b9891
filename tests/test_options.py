"""Options the default runs never take: gradient clipping (also under 16-mixed), RMSProp, the uniform
prior, data loader workers with exact resume, and the resume of a BatchNorm DCGAN with EMA."""
import math

import pytest
import torch
from lightning.pytorch.callbacks import Callback

from conftest import tiny_overrides
from lightning_gan.cli import main
from lightning_gan.config import load_config
from lightning_gan.registry import VARIANTS, load_all
from lightning_gan.runs import fit
from test_resume import assert_same_state

load_all()


class GradNorms(Callback):
    """D's gradient norm as its last update left it (G's update zeroes only G's gradients)."""

    def __init__(self):
        self.norms = []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        grads = [p.grad for p in module.discriminator.parameters() if p.grad is not None]
        self.norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_gradient_clipping_bounds_the_norm_under_each_precision(precision):
    clip = 1e-3  # far below the tiny D's natural gradient norm
    args = [*tiny_overrides(VARIANTS["gan"]), f"trainer.precision={precision}", "variant.d_dropout=0"]
    free, clipped = GradNorms(), GradNorms()
    fit(load_config(None, args), verbose=False, callbacks=[free])
    fit(load_config(None, [*args, f"train.grad_clip_d={clip}"]), verbose=False, callbacks=[clipped])
    assert min(free.norms) > 10 * clip
    # exactly the bound, measured on the gradients the optimizer stepped with. (On CPU, Lightning runs
    # 16-mixed as bf16-mixed, which has no loss scaler: the unscale-then-clip order is exercised on CUDA.)
    assert clipped.norms == pytest.approx([clip] * len(clipped.norms), rel=1e-3)


def test_rmsprop_takes_beta2_as_its_smoothing_constant():
    args = [*tiny_overrides(VARIANTS["gan"]), "optim.d.name=rmsprop", "optim.d.beta2=0.9", "optim.d.momentum=0.5"]
    result = fit(load_config(None, args), verbose=False)
    opt_d = result.module.optimizer("d").optimizer
    assert isinstance(opt_d, torch.optim.RMSprop)
    assert (opt_d.param_groups[0]["alpha"], opt_d.param_groups[0]["momentum"]) == (0.9, 0.5)
    assert all(opt_d.state[p]["step"] == 4 for p in result.module.discriminator.parameters())  # 4 D steps


def test_uniform_prior_has_unit_variance_and_the_sqrt3_bound():
    args = [*tiny_overrides(VARIANTS["gan"]), "variant.prior=uniform"]
    module = fit(load_config(None, args), verbose=False).module
    z = module.sample_z(20000, torch.Generator().manual_seed(0))
    assert z.abs().max() <= math.sqrt(3) and z.abs().max() > 1.7
    assert float(z.var()) == pytest.approx(1.0, abs=0.03)
    with pytest.raises(ValueError, match="normal prior"):
        module.sample_z(4, truncation=1.0)


RESUMES = {
    # a loader with a worker process keeps its position across the resume
    "workers": ["data.num_workers=1"],
    # BatchNorm running statistics in G and D and the EMA copy (with its own BatchNorm buffers)
    "dcgan_bn_ema": ["variant.name=dcgan", "variant.z_dim=8", "variant.g_width=4", "variant.d_width=4",
                     "data.shape=[1,16,16]", "train.ema_decay=0.9"],
}


@pytest.mark.parametrize("case", sorted(RESUMES))
def test_stopped_and_resumed_run_equals_the_uninterrupted_one(case):
    # 8 batches per epoch; 7 G steps x k=2 = 14 batches end mid-epoch
    base = ["data.name=synthetic", "data.n_samples=128", "data.batch_size=16", "train.k=2", "train.log_every=7",
            "train.sample_every=100", "train.checkpoint_every=100", "trainer.deterministic=true",
            "trainer.accelerator=cpu", "run.wandb.mode=disabled", "--quiet", *RESUMES[case]]
    assert main(["fit", *base, "train.g_steps=14", "run.name=whole"]) == 0
    assert main(["fit", *base, "train.g_steps=7", "run.name=part"]) == 0
    assert main(["fit", "--resume", "runs/part", "train.g_steps=14", "--quiet"]) == 0
    assert_same_state("runs/whole/checkpoints/last.ckpt", "runs/part/checkpoints/last.ckpt")
