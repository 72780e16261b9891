"""StyleGAN2 nets (Karras et al. 2020): shapes, truncation, w_avg, style mixing, demodulation, noise, path length."""
import math

import pytest
import torch
from torch import nn

from lightning_gan.nets.stylegan2 import (EqualizedLinear, MappingNetwork, ModulatedConv2d, StyleGAN2Discriminator,
                                          StyleGAN2Generator, SynthesisNetwork, mix_styles, path_length)

Z, W, K, N = 8, 16, 3, 4  # z_dim, w_dim, classes, batch
SHAPES = {16: 1, 32: 3}  # resolution -> channels


def make_g(resolution: int = 16, num_classes: int = 0, noise: bool = True) -> StyleGAN2Generator:
    torch.manual_seed(0)
    g = StyleGAN2Generator(z_dim=Z, w_dim=W, mapping_layers=2, num_classes=num_classes, resolution=resolution,
                           channels=SHAPES[resolution], width=8, max_width=16)
    if noise:  # noise strengths start at 0; switch them on so noise handling is observable
        for layer in g.synthesis.layers:
            nn.init.constant_(layer.noise_strength, 0.5)
    return g


def make_d(resolution: int = 16, num_classes: int = 0, **kwargs) -> StyleGAN2Discriminator:
    torch.manual_seed(1)
    return StyleGAN2Discriminator(resolution=resolution, channels=SHAPES[resolution], width=8, max_width=16,
                                  num_classes=num_classes, **kwargs)


def zs(n: int = N, seed: int = 2) -> torch.Tensor:
    return torch.randn(n, Z, generator=torch.Generator().manual_seed(seed))


def labels(n: int = N) -> torch.Tensor:
    return torch.arange(n) % K


@pytest.mark.parametrize("resolution", [16, 32])
@pytest.mark.parametrize("num_classes", [0, K])
def test_shapes_and_finiteness(resolution, num_classes):
    g, d = make_g(resolution, num_classes), make_d(resolution, num_classes)
    y = labels() if num_classes else None
    x = g(zs(), y)
    assert x.shape == (N, SHAPES[resolution], resolution, resolution) and torch.isfinite(x).all()
    assert g.num_ws == 2 * int(math.log2(resolution)) - 2 == len(g.synthesis.layers) + 1
    score = d(x, y)
    assert score.shape == (N,) and torch.isfinite(score).all()


@pytest.mark.parametrize("num_classes", [0, K])
@pytest.mark.parametrize("n", [1, 3, 4, 6])
def test_discriminator_any_batch_size(num_classes, n):
    d = make_d(16, num_classes)
    score = d(torch.randn(n, 1, 16, 16), labels(n) if num_classes else None)
    assert score.shape == (n,) and torch.isfinite(score).all()


def test_minibatch_std_couples_samples_within_groups_only():
    d = make_d(16)
    x = torch.randn(4, 1, 16, 16)
    y = x.clone()
    y[1] += 1.0  # with group 4 every sample shares the statistic; with group 1 nobody does
    assert not torch.allclose(d(x)[0], d(y)[0])
    d.mbstd_group = 1
    assert torch.allclose(d(x)[0], d(y)[0])


def test_bad_resolution_raises():
    for r in (4, 12, 24):
        with pytest.raises(ValueError):
            SynthesisNetwork(w_dim=W, resolution=r, channels=1, width=8, max_width=16)
        with pytest.raises(ValueError):
            StyleGAN2Discriminator(resolution=r, channels=1, width=8, max_width=16, num_classes=0)


def test_channels_per_resolution():
    g = make_g(32)
    assert g.synthesis.const.shape == (16, 4, 4)  # min(16, 8 * 32 // 4)
    assert [t.conv.weight.shape[1] for t in g.synthesis.torgbs] == [16, 16, 16, 8]


def test_no_plain_linear_or_conv_layers():
    """Spectral norm / orthogonal regularization walk nn.Linear / nn.Conv2d; these nets must not offer any."""
    for net in (make_g(16, K), make_d(16, K)):
        assert not any(isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)) for m in net.modules())


def test_equalized_linear_runtime_scaling():
    fc = EqualizedLinear(in_features=64, out_features=32, bias_init=0.5, lr_multiplier=0.01)
    assert 80 < fc.weight.std() < 120  # stored at 1/lr_multiplier scale
    x = torch.randn(10, 64)
    expected = x @ (fc.weight * 0.01 / 8).t() + 0.5
    assert torch.allclose(fc(x), expected, atol=1e-5)


def test_truncation_psi_zero_gives_one_image():
    g = make_g()
    for mode in ("const", "none"):
        x = g(zs(8), truncation_psi=0.0, noise_mode=mode)
        assert torch.allclose(x, x[:1].expand_as(x), atol=1e-6)
    x = g(zs(8), truncation_psi=1.0, noise_mode="const")
    assert not torch.allclose(x, x[:1].expand_as(x), atol=1e-3)


def test_variance_over_z_falls_with_psi():
    g = make_g()
    g.mapping(zs(64, seed=5), num_ws=1, update_w_avg=True)  # a non-zero centre, as after training
    z = zs(16)
    with torch.no_grad():
        var = [g(z, truncation_psi=psi, noise_mode="const").var(dim=0).mean().item() for psi in (1, 0.5, 0.25, 0)]
    assert var[0] > var[1] > var[2] > var[3] and var[3] < 1e-10


def test_w_avg_updates_only_on_request():
    m = MappingNetwork(z_dim=Z, w_dim=W, num_layers=2, num_classes=0)
    before = m.w_avg.clone()
    ws = m(zs(), num_ws=3)
    assert torch.equal(m.w_avg, before)
    ws = m(zs(), num_ws=3, update_w_avg=True)
    assert not torch.equal(m.w_avg, before)
    assert torch.allclose(m.w_avg, ws[:, 0].mean(0).lerp(before, 0.995))
    g = make_g()
    before = g.mapping.w_avg.clone()
    g(zs(), mixing_prob=1.0)
    assert torch.equal(g.mapping.w_avg, before)
    g(zs(), update_w_avg=True)
    assert not torch.equal(g.mapping.w_avg, before)


def test_style_mixing_is_local():
    g = make_g(32)
    ws_a = g.mapping(zs(seed=3), num_ws=g.num_ws)
    ws_b = g.mapping(zs(seed=4), num_ws=g.num_ws)
    _, feats_a = g.synthesis(ws_a, noise_mode="const", return_features=True)
    for c in (1, 3, g.num_ws - 2):
        _, feats = g.synthesis(mix_styles(ws_a, ws_b, c), noise_mode="const", return_features=True)
        for i in range(c):  # layer i uses ws index i
            assert torch.equal(feats[i], feats_a[i])
        assert not torch.allclose(feats[c], feats_a[c], atol=1e-4)
    mixed = mix_styles(ws_a, ws_b, 2)
    assert torch.equal(mixed[:, :2], ws_a[:, :2]) and torch.equal(mixed[:, 2:], ws_b[:, 2:])


def test_generator_labels_matter():
    g = make_g(16, K)
    z = zs()
    x0 = g(z, labels(), noise_mode="const")
    x1 = g(z, (labels() + 1) % K, noise_mode="const")
    assert not torch.allclose(x0, x1, atol=1e-4)
    with pytest.raises(ValueError):
        g(z)


def test_discriminator_labels_matter():
    d = make_d(16, K)
    x = torch.randn(N, 1, 16, 16)
    assert not torch.allclose(d(x, labels()), d(x, (labels() + 1) % K), atol=1e-5)


def test_demodulation_keeps_unit_std():
    torch.manual_seed(6)
    conv = ModulatedConv2d(in_channels=32, out_channels=32, w_dim=W, kernel_size=3)
    x = torch.randn(4, 32, 32, 32)
    w = 3 * torch.randn(4, W)  # styles far from 1, which only demodulation can undo
    out = conv(x, w)
    assert 0.85 < out.std() < 1.15
    assert (out.std(dim=[1, 2, 3]) - 1).abs().max() < 0.15  # per sample, not just on average
    conv.demodulate = False
    raw = conv(x, w)
    assert not torch.allclose(raw, out, atol=1e-2)
    assert raw.std() > 1.5


def test_same_seed_same_random_noise():
    g = make_g()
    z = zs()
    a = g(z, noise_mode="random", generator=torch.Generator().manual_seed(7))
    b = g(z, noise_mode="random", generator=torch.Generator().manual_seed(7))
    c = g(z, noise_mode="random", generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.allclose(a, c, atol=1e-4)
    assert torch.equal(g(z, noise_mode="const"), g(z, noise_mode="const"))
    with pytest.raises(ValueError):
        g(z, noise_mode="fixed")


def test_gradients_reach_every_part():
    g, d = make_g(16, K), make_d(16, K)
    d(g(zs(), labels(), mixing_prob=1.0, generator=torch.Generator().manual_seed(0)), labels()).sum().backward()
    for part in (g.mapping, g.synthesis, d):
        grads = [p.grad for p in part.parameters()]
        # every tensor, including each ToRGB (the skip sum) and each noise strength (random noise)
        assert all(gr is not None and torch.isfinite(gr).all() and gr.abs().sum() > 0 for gr in grads)


def test_path_length():
    g = make_g()
    images, ws = g(zs(), return_ws=True, noise_mode="const")
    lengths = path_length(images, ws, generator=torch.Generator().manual_seed(0))
    assert lengths.shape == (N,) and torch.isfinite(lengths).all() and (lengths > 0).all()
    again = path_length(images, ws, generator=torch.Generator().manual_seed(0))
    assert torch.equal(lengths, again)
    lengths.mean().backward()
    grads = [p.grad for p in g.synthesis.parameters() if p.grad is not None]
    assert grads and sum(gr.abs().sum() for gr in grads) > 0
    assert g.synthesis.layers[0].conv.weight.grad is not None


def test_mixing_probability():
    g = make_g()
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        _, ws = g(zs(), mixing_prob=0.0, generator=gen, return_ws=True)
        assert torch.equal(ws, ws[:, :1].expand_as(ws))
        _, ws = g(zs(), mixing_prob=1.0, generator=gen, return_ws=True)
        assert not torch.allclose(ws[:, 0], ws[:, -1])
        cut = int((ws != ws[:, :1]).any(dim=2).any(dim=0).float().argmax())  # first layer from the 2nd latent
        assert 1 <= cut < g.num_ws and torch.equal(ws[:, :cut], ws[:, :1].expand(-1, cut, -1))
