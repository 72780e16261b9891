"""BigGAN nets (Brock et al. 2019): shapes, conditional BN, hierarchical latent, attention, projection, SN, grads."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lightning_gan.nets.biggan import BigGANDiscriminator, BigGANGenerator, ConditionalBatchNorm2d, SelfAttention
from lightning_gan.penalties import add_spectral_norm

K, N, WIDTH, SHARED = 3, 4, 2, 4  # classes, batch, width (blocks of 4 * WIDTH = 8 channels), shared_dim
SHAPES = {16: 1, 32: 3}  # resolution -> channels
Z = {16: 9, 32: 8}  # z_dim divisible by blocks + 1


def make_g(resolution: int = 16, attention: int = 0, hierarchical: bool = True, z_dim: int | None = None):
    torch.manual_seed(0)
    return BigGANGenerator(z_dim=z_dim or Z[resolution], num_classes=K, shared_dim=SHARED, resolution=resolution,
                           channels=SHAPES[resolution], width=WIDTH, attention_resolution=attention,
                           hierarchical=hierarchical)


def make_d(resolution: int = 16, attention: int = 0) -> BigGANDiscriminator:
    torch.manual_seed(1)
    return BigGANDiscriminator(num_classes=K, resolution=resolution, channels=SHAPES[resolution], width=WIDTH,
                               attention_resolution=attention)


def zs(g: BigGANGenerator, n: int = N, seed: int = 2) -> torch.Tensor:
    return torch.randn(n, g.z_dim, generator=torch.Generator().manual_seed(seed))


def labels(n: int = N) -> torch.Tensor:
    return torch.arange(n) % K


def images(resolution: int, n: int = N, seed: int = 3) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, SHAPES[resolution], resolution, resolution, generator=gen) * 2 - 1


def block_sides(net: nn.Module, run) -> list[int]:
    sides = []
    hooks = [b.register_forward_hook(lambda m, i, o: sides.append(o.shape[-1])) for b in net.blocks]
    run()
    for h in hooks:
        h.remove()
    return sides


@pytest.mark.parametrize("resolution", [16, 32])
@pytest.mark.parametrize("attention", [0, 8])
def test_shapes_range_and_block_layout(resolution, attention):
    g, d = make_g(resolution, attention), make_d(resolution, attention)
    assert (g.z_dim, g.num_classes) == (Z[resolution], K)
    g_sides = block_sides(g, lambda: g(zs(g), labels()))
    x = g(zs(g), labels())
    assert x.shape == (N, SHAPES[resolution], resolution, resolution)
    assert torch.isfinite(x).all() and x.abs().max() <= 1
    assert g_sides == {16: [8, 16], 32: [8, 16, 32]}[resolution]  # up-blocks from the 4x4 base
    d_sides = block_sides(d, lambda: d(x, labels()))
    assert d_sides == {16: [8, 8, 8], 32: [16, 8, 8, 8]}[resolution]  # down, (down,) then two at 8x8
    score = d(x, labels())
    assert score.shape == (N,) and torch.isfinite(score).all()
    assert all(b.conv2.out_channels == 4 * WIDTH for b in [*g.blocks, *d.blocks])


def test_bad_resolution_raises():
    for r in (8, 28, 64):
        with pytest.raises(ValueError, match="resolution"):
            BigGANGenerator(z_dim=9, num_classes=K, shared_dim=SHARED, resolution=r, channels=1, width=WIDTH,
                            attention_resolution=0, hierarchical=False)
        with pytest.raises(ValueError, match="resolution"):
            BigGANDiscriminator(num_classes=K, resolution=r, channels=1, width=WIDTH, attention_resolution=0)


def test_conditional_batchnorm_uses_the_condition():
    torch.manual_seed(4)
    cbn = ConditionalBatchNorm2d(channels=5, cond_dim=3)
    x = torch.randn(N, 5, 6, 6)
    c1, c2 = torch.randn(N, 3), torch.randn(N, 3)
    out1 = cbn(x, c1)
    assert not torch.allclose(out1, cbn(x, c2))
    assert torch.allclose(out1, cbn(x, c1))
    # a zero condition gives gain 1 and bias 0: the plain normalization, not zeros
    plain = F.batch_norm(x, None, None, training=True)
    assert torch.allclose(cbn(x, torch.zeros(N, 3)), plain, atol=1e-5)
    assert plain.abs().mean() > 0.5


def test_generator_output_depends_on_the_label():
    g = make_g().eval()  # running stats: samples do not interact, so only the changed one may move
    z, y = zs(g), labels()
    y2 = y.clone()
    y2[0] = (y[0] + 1) % K
    a, b = g(z, y), g(z, y2)
    assert not torch.allclose(a[0], b[0], atol=1e-5)
    assert torch.equal(a[1:], b[1:])


@pytest.mark.parametrize("resolution", [16, 32])
def test_hierarchical_chunks_reach_their_own_block(resolution):
    g = make_g(resolution).eval()
    n_blocks, chunk = len(g.blocks), Z[resolution] // (len(g.blocks) + 1)
    assert g.linear.in_features == chunk
    assert all(b.bn1.gain.in_features == SHARED + chunk for b in g.blocks)
    z, y = zs(g), labels()

    def outputs(zz):
        outs = []
        hooks = [b.register_forward_hook(lambda m, i, o: outs.append(o)) for b in g.blocks]
        image = g(zz, y)
        for h in hooks:
            h.remove()
        return outs, image

    base_outs, base_image = outputs(z)
    for k in range(n_blocks + 1):  # chunk 0 -> the 4x4 base, chunk k -> block k - 1
        z2 = z.clone()
        z2[:, k * chunk:(k + 1) * chunk] += 1.0
        outs, image = outputs(z2)
        assert not torch.allclose(image, base_image, atol=1e-5)
        first_changed = 0 if k == 0 else k - 1
        for i in range(n_blocks):
            same = torch.equal(outs[i], base_outs[i])
            assert same == (i < first_changed), (k, i)


def test_hierarchical_needs_divisible_z_and_flat_latent_does_not():
    with pytest.raises(ValueError, match="divisible"):
        make_g(16, z_dim=10)  # 3 chunks at 16x16
    with pytest.raises(ValueError, match="divisible"):
        make_g(32, z_dim=9)  # 4 chunks at 32x32
    g = make_g(16, hierarchical=False, z_dim=10)
    assert g.linear.in_features == 10 and all(b.bn1.gain.in_features == SHARED for b in g.blocks)
    g.eval()
    z = zs(g)
    assert g(z, labels()).shape == (N, 1, 16, 16)
    z2 = z.clone()
    z2[:, -1] += 1.0  # the last entry still matters, through the base only
    assert not torch.allclose(g(z2, labels()), g(z, labels()), atol=1e-5)


@pytest.mark.parametrize("resolution,attention", [(16, 8), (16, 16), (32, 8), (32, 16), (32, 32)])
def test_generator_attention_placement(resolution, attention):
    g = make_g(resolution, attention).eval()
    assert isinstance(g.attention, SelfAttention) and g.attention.gamma.item() == 0
    seen = []
    g.attention.register_forward_hook(lambda m, i, o: seen.append(i[0].shape[-1]))
    z, y = zs(g), labels()
    before = g(z, y)
    assert seen == [attention] and torch.isfinite(before).all()
    with torch.no_grad():
        g.attention.gamma.fill_(1.0)
    assert not torch.allclose(g(z, y), before, atol=1e-5)  # the block is on the forward path


@pytest.mark.parametrize("resolution,attention", [(16, 8), (32, 16), (32, 8)])
def test_discriminator_attention_placement(resolution, attention):
    d = make_d(resolution, attention)
    assert isinstance(d.attention, SelfAttention) and d.attention.gamma.item() == 0
    seen = []
    d.attention.register_forward_hook(lambda m, i, o: seen.append(i[0].shape[-1]))
    x, y = images(resolution), labels()
    before = d(x, y)
    assert seen == [attention]  # once, even where several blocks end at that side
    with torch.no_grad():
        d.attention.gamma.fill_(1.0)
    assert not torch.allclose(d(x, y), before, atol=1e-5)


def test_invalid_attention_resolution_raises():
    for resolution, attention in [(16, 4), (16, 32), (32, 4), (32, 64)]:
        with pytest.raises(ValueError, match="block"):
            make_g(resolution, attention)
    for resolution, attention in [(16, 16), (16, 4), (32, 32), (32, 4)]:
        with pytest.raises(ValueError, match="block"):
            make_d(resolution, attention)


def test_self_attention_is_identity_at_init_and_non_local_after():
    torch.manual_seed(5)
    attn = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(attn(x), x)
    with torch.no_grad():
        attn.gamma.fill_(1.0)
    x2 = x.clone()
    x2[:, :, 0, 0] += 3.0  # one corner pixel
    delta = (attn(x2) - attn(x)).abs()
    assert delta[:, :, 7, 7].max() > 1e-4  # reaches the opposite corner: a 1x1 conv stack could not


def test_projection_term():
    d = make_d(16)
    x, y = images(16), labels()
    y2 = (y + 1) % K
    a, b = d(x, y), d(x, y2)
    assert not torch.allclose(a, b, atol=1e-5)
    h = d.features(x)
    expected = ((d.embed(y) - d.embed(y2)) * h).sum(dim=1)  # only the inner product depends on y
    assert torch.allclose(a - b, expected, atol=1e-4)
    with torch.no_grad():
        d.embed.weight.zero_()
    assert torch.equal(d(x, y), d(x, y2))


def _sn_layers(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


@pytest.mark.parametrize("which", ["g", "d"])
def test_spectral_norm_applies_and_converges(which):
    net = make_g(16, attention=8) if which == "g" else make_d(16, attention=8)
    layers = _sn_layers(net)
    torch.manual_seed(6)
    with torch.no_grad():  # orthogonal init has all singular values 1: break it so the check means something
        for m in layers:
            m.weight.normal_(0, 3.0)
    raw = [torch.linalg.matrix_norm(m.weight.flatten(1), ord=2).item() for m in layers]
    assert min(raw) > 1.5
    add_spectral_norm(net)
    assert all(hasattr(m, "parametrizations") for m in layers)
    net.train()  # each training-mode forward runs one power iteration per layer
    with torch.no_grad():
        for i in range(30):
            gen = torch.Generator().manual_seed(i)
            x = torch.randn(N, Z[16], generator=gen) if which == "g" else images(16, seed=i)
            assert torch.isfinite(net(x, labels())).all()
    net.eval()
    with torch.no_grad():
        sigmas = [torch.linalg.matrix_norm(m.weight.flatten(1), ord=2).item() for m in layers]
    assert all(abs(s - 1) < 0.1 for s in sigmas), sigmas


def _check_grads(net: nn.Module, gamma: float) -> None:
    for name, p in net.named_parameters():
        assert p.grad is not None, name  # every parameter is on the forward path
        if name.endswith("bias"):
            # may be exactly 0: a bias right before G's output BN is cancelled by it, and the hinge's
            # d loss / d bias of D's final layer is (#active fakes - #active reals) / N
            continue
        if gamma == 0 and name.startswith("attention.") and name != "attention.gamma":
            assert p.grad.abs().max() == 0, name  # gated off by gamma = 0 ...
            continue
        assert p.grad.abs().max() > 0, name  # ... while gamma itself learns from the start


@pytest.mark.parametrize("gamma", [0.0, 0.5])
def test_every_parameter_gets_a_gradient(gamma):
    g, d = make_g(16, attention=8), make_d(16, attention=8)
    with torch.no_grad():
        g.attention.gamma.fill_(gamma)
        d.attention.gamma.fill_(gamma)
    y = labels()
    fake = g(zs(g), y)
    (F.relu(1 - d(images(16), y)).mean() + F.relu(1 + d(fake.detach(), y)).mean()).backward()  # D's hinge
    _check_grads(d, gamma)
    assert all(p.grad is None for p in g.parameters())
    (-d(fake, y).mean()).backward()  # G's hinge
    _check_grads(g, gamma)
