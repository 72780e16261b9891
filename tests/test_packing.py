"""PacGAN (Lin et al. 2018): the packed D (m samples scored jointly, as one concatenated input) and its mixture G."""
import torch

from lightning_gan.nets.mlp import MLPDiscriminator


def test_a_packed_d_scores_each_pack_of_consecutive_samples_as_one_input():
    torch.manual_seed(0)
    d = MLPDiscriminator(in_shape=(2,), hidden=[16], maxout_pieces=0, dropout=0.0, pack=4)
    x = torch.randn(12, 2)
    scores = d(x)
    assert scores.shape == (3,)
    # pack 1 holds samples 4..7: the same score whatever the other packs hold
    other = x.clone()
    other[:4], other[8:] = torch.randn(4, 2), torch.randn(4, 2)
    assert torch.equal(d(other)[1], scores[1])
    # within a pack, the order of samples matters (the input is their concatenation, not a set)
    swapped = x.clone()
    swapped[[4, 5]] = x[[5, 4]]
    assert not torch.isclose(d(swapped)[1], scores[1])
    assert d.net[0].in_features == 4 * 2


def test_a_pack_sees_the_joint_sample_so_it_can_tell_duplicates_from_diverse_samples():
    """The reason for packing: a collapsed G (identical samples) is visible within one pack."""
    torch.manual_seed(0)
    d = MLPDiscriminator(in_shape=(2,), hidden=[32, 32], maxout_pieces=0, dropout=0.0, pack=2)
    opt = torch.optim.Adam(d.parameters(), lr=1e-2)
    for _ in range(300):
        diverse = torch.randn(128, 2)
        point = torch.randn(64, 1, 2)
        collapsed = point.expand(64, 2, 2).reshape(128, 2)  # each pack holds one point twice
        loss = torch.nn.functional.softplus(-d(diverse)).mean() + torch.nn.functional.softplus(d(collapsed)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        diverse, point = torch.randn(512, 2), torch.randn(256, 1, 2)
        accuracy = ((d(diverse) > 0).float().mean() + (d(point.expand(256, 2, 2).reshape(512, 2)) < 0).float().mean()) / 2
    # both marginals are N(0, I): an unpacked D could do no better than chance (0.5)
    assert accuracy > 0.9


def test_a_packed_gan_trains_resumes_and_samples_in_the_shared_step(tmp_path):
    """d_pack through the whole run: the step, the checkpoint, and generate(), which never packs."""
    from lightning_gan.base import load_module
    from lightning_gan.config import load_config
    from lightning_gan.runs import fit, resume_config

    overrides = ["variant.d_pack=4", "variant.g_hidden=[8]", "variant.d_hidden=[8]", "data.batch_size=32",
                 "train.k=2", "train.g_steps=3", "train.checkpoint_every=3", "run.wandb.mode=disabled",
                 f"run.root={tmp_path}", "run.name=packed"]
    fit(load_config(None, overrides), verbose=False)
    cfg, resume = resume_config(tmp_path / "packed", ["train.g_steps=6"])
    module = fit(cfg, verbose=False, resume=resume).module
    assert module.g_steps == 6 and module.discriminator.net[0].in_features == 4 * 2
    samples = load_module(str(tmp_path / "packed" / "checkpoints" / "last.ckpt")).generate(5).samples
    assert samples.shape == (5, 2) and torch.isfinite(samples).all()


def test_the_batchnorm_mlp_generator_trains_on_batch_statistics_and_samples_on_running_ones(tmp_path):
    """g_batchnorm (PacGAN's mixture G): one BatchNorm per hidden layer, updated by the shared step;
    sampling uses the running statistics, so a sample does not depend on the rest of its batch."""
    from lightning_gan.config import load_config
    from lightning_gan.runs import fit

    overrides = ["variant.g_batchnorm=true", "variant.g_hidden=[8,8]", "variant.d_hidden=[8]", "data.batch_size=16",
                 "train.g_steps=3", "run.wandb.mode=disabled", f"run.root={tmp_path}", "run.name=bn"]
    module = fit(load_config(None, overrides), verbose=False).module
    norms = [m for m in module.generator.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert [n.num_features for n in norms] == [8, 8]
    assert all(n.num_batches_tracked.item() >= 3 and n.running_mean.abs().sum() > 0 for n in norms)
    z = module.sample_z(6, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(module.sample(z)[:2], module.sample(z[:2]))
    module.generator.train()
    assert not torch.allclose(module.generator(z)[:2], module.generator(z[:2]))  # train mode: batch statistics
