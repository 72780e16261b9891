"""The conditional family's contract, over every registered class-conditional variant."""
from typing import get_args, get_type_hints

import pytest
import torch

from contract import assert_adversarial_counters, assert_base_contract, cases, fit_tiny
from lightning_gan.batch import Batch
from lightning_gan.registry import VARIANTS

CASES = cases("conditional")
# every D conditioning a variant's schema allows (its d_conditioning Literal)
CONDITIONED = [(name, data, conditioning) for name, data in CASES
               for conditioning in get_args(get_type_hints(VARIANTS[name].Config)["d_conditioning"])]


@pytest.mark.parametrize("name, data, conditioning", CONDITIONED)
def test_conditional_contract(name, data, conditioning):
    cfg, result = fit_tiny(name, data, f"variant.d_conditioning={conditioning}")
    assert_base_contract(name, data, cfg, result)
    assert_adversarial_counters(cfg, result.module)
    module = result.module.eval()

    # with a fixed z, the condition changes G's output...
    labels = torch.tensor([0, 1, 2, 3])
    a = module.generate(4, torch.Generator().manual_seed(3), labels=labels)
    b = module.generate(4, torch.Generator().manual_seed(3), labels=(labels + 1) % module.num_classes)
    assert torch.equal(a.labels, labels)
    assert not torch.allclose(a.samples, b.samples)
    # ... and D's score of a fixed input
    with torch.no_grad():
        scores = [module.discriminator(a.samples, y) for y in (labels, (labels + 1) % module.num_classes)]
    assert not torch.allclose(*scores)
    # drawn labels follow the data's label distribution (64 synthetic samples: classes 0-3 hold 7, the rest 6)
    drawn = module.sample_labels(20000, torch.Generator().manual_seed(0))
    shares = torch.bincount(drawn, minlength=10).float() / 20000
    expected = torch.tensor([7.0] * 4 + [6.0] * 6) / 64
    torch.testing.assert_close(shares, expected, atol=0.01, rtol=0)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 10\)"):
        module.generate(2, labels=torch.tensor([0, 10]))


@pytest.mark.parametrize("name, data", CASES)
def test_mismatched_negatives_carry_wrong_labels(name, data):
    cfg, result = fit_tiny(name, data, "variant.mismatch_share=0.5", "train.g_steps=2")
    module = result.module
    shape = (2,) if data == "points" else (1, 16, 16)
    batch = Batch(images=torch.randn(40, *shape), labels=torch.arange(40) % 10)
    images, wrong = module.negatives(batch)
    assert len(images) == 20 and torch.equal(images, batch.images[:20])  # the share of the batch
    assert (wrong != batch.labels[:20]).all() and ((wrong >= 0) & (wrong < 10)).all()
    # wrong labels are uniform over the other 9 classes
    many = module.negatives(Batch(images=torch.zeros(9000, *shape), labels=torch.zeros(9000, dtype=torch.long)))[1]
    assert int(many.min()) == 1 and int(many.max()) == 9
    assert torch.bincount(many, minlength=10)[1:].float().std() < 60  # ~1000 each
    # and they enter D's loss: with mismatched pairs off, no negative term is logged
    cfg_off, off = fit_tiny(name, data, "variant.mismatch_share=0", "train.g_steps=2")
    assert "train/d_negatives" in result.final and "train/d_negatives" not in off.final
