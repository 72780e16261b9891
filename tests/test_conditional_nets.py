"""Conditional nets (Mirza & Osindero 2014; projection D of Miyato & Koyama 2018) and the features/head split
they rely on in the unconditional discriminators."""
import pytest
import torch
from torch import nn

from lightning_gan.nets.conditional import (ConditionalDCGANDiscriminator, ConditionalDCGANGenerator,
                                            ConditionalMLPDiscriminator, ConditionalMLPGenerator)
from lightning_gan.nets.dcgan import DCGANDiscriminator
from lightning_gan.nets.mlp import Maxout, MLPDiscriminator

K = 3  # classes
N = 6  # batch: every class appears twice
Z = 8


def labels() -> torch.Tensor:
    return torch.arange(N) % K


def other_labels() -> torch.Tensor:
    return (labels() + 1) % K  # a different class for every sample


# (builder, sample shape) per generator; tiny widths keep the file fast on CPU
GENERATORS = {
    "mlp-16": (lambda: ConditionalMLPGenerator(z_dim=Z, num_classes=K, hidden=[16], out_shape=(1, 16, 16),
                                               tanh_output=True), (1, 16, 16)),
    "mlp-32": (lambda: ConditionalMLPGenerator(z_dim=Z, num_classes=K, hidden=[16, 16], out_shape=(3, 32, 32),
                                               tanh_output=True), (3, 32, 32)),
    "dcgan-16": (lambda: ConditionalDCGANGenerator(z_dim=Z, num_classes=K, resolution=16, channels=1, width=4,
                                                   norm="batch"), (1, 16, 16)),
    "dcgan-32": (lambda: ConditionalDCGANGenerator(z_dim=Z, num_classes=K, resolution=32, channels=3, width=4,
                                                   norm="batch"), (3, 32, 32)),
}
# (conditional class, its unconditional base, shared arguments, sample shape) per discriminator
DISCRIMINATORS = {
    "mlp-16": (ConditionalMLPDiscriminator, MLPDiscriminator,
               dict(in_shape=(1, 16, 16), hidden=[16, 8], maxout_pieces=2, dropout=0.2), (1, 16, 16)),
    "mlp-32": (ConditionalMLPDiscriminator, MLPDiscriminator,
               dict(in_shape=(3, 32, 32), hidden=[16], maxout_pieces=0, dropout=0.0), (3, 32, 32)),
    "dcgan-16": (ConditionalDCGANDiscriminator, DCGANDiscriminator,
                 dict(resolution=16, channels=1, width=4, norm="batch"), (1, 16, 16)),
    "dcgan-32": (ConditionalDCGANDiscriminator, DCGANDiscriminator,
                 dict(resolution=32, channels=3, width=4, norm="layer"), (3, 32, 32)),
}
CONDITIONINGS = ["concat", "projection"]


def build_d(name: str, conditioning: str) -> tuple[nn.Module, tuple[int, ...]]:
    cls, _, kwargs, shape = DISCRIMINATORS[name]
    return cls(**kwargs, num_classes=K, conditioning=conditioning), shape


def randomise_embeddings(module: nn.Module) -> None:
    """The projection embedding starts at zero; give it a class signal to observe (no-op for concat)."""
    for m in module.modules():
        if isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight)


def assert_every_parameter_gets_gradient(module: nn.Module) -> None:
    for name, p in module.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_shape_and_range(name):
    build, shape = GENERATORS[name]
    torch.manual_seed(0)
    out = build()(torch.randn(N, Z), labels())
    assert out.shape == (N, *shape)
    assert out.abs().max() <= 1


@pytest.mark.parametrize("conditioning", CONDITIONINGS)
@pytest.mark.parametrize("name", DISCRIMINATORS)
def test_discriminator_shape(name, conditioning):
    torch.manual_seed(0)
    d, shape = build_d(name, conditioning)
    assert d(torch.randn(N, *shape), labels()).shape == (N,)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_output_depends_on_label(name):
    build, _ = GENERATORS[name]
    torch.manual_seed(0)
    g = build().eval()  # eval: each sample's output depends on its own z and y only
    z = torch.randn(N, Z)
    change = (g(z, labels()) - g(z, other_labels())).flatten(1).abs().amax(1)
    assert (change > 0).all()


@pytest.mark.parametrize("conditioning", CONDITIONINGS)
@pytest.mark.parametrize("name", DISCRIMINATORS)
def test_discriminator_score_depends_on_label(name, conditioning):
    torch.manual_seed(0)
    d, shape = build_d(name, conditioning)
    d.eval()
    randomise_embeddings(d)
    x = torch.randn(N, *shape)
    assert ((d(x, labels()) - d(x, other_labels())).abs() > 0).all()


@pytest.mark.parametrize("name", DISCRIMINATORS)
def test_projection_discriminator_is_head_of_features_plus_inner_product(name):
    torch.manual_seed(0)
    d, shape = build_d(name, "projection")
    d.eval()
    x, y = torch.randn(N, *shape), labels()
    # zero-initialised embedding: at the start the score is the unconditional one, for any label
    unconditional = d.head(d.features(x)).flatten()
    assert torch.equal(d(x, y), unconditional)
    assert torch.equal(d(x, other_labels()), unconditional)
    randomise_embeddings(d)
    phi = d.features(x).flatten(1)  # [N, feature_dim]
    expected = d.head(d.features(x)).flatten() + torch.einsum("nf,nf->n", d.embed.weight[y], phi)
    assert torch.allclose(d(x, y), expected, rtol=1e-5, atol=1e-6)  # float32; summation order may differ


@pytest.mark.parametrize("name", DISCRIMINATORS)
def test_projection_body_initialises_like_the_unconditional_discriminator(name):
    # the embedding is created after the body, so under one seed the body is the plain D's
    _, plain_cls, kwargs, _ = DISCRIMINATORS[name]
    torch.manual_seed(0)
    d, _ = build_d(name, "projection")
    torch.manual_seed(0)
    plain = plain_cls(**kwargs).state_dict()
    body = {k: v for k, v in d.state_dict().items() if k != "embed.weight"}
    assert list(body) == list(plain)
    assert all(torch.equal(body[k], plain[k]) for k in plain)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_gradients_reach_every_parameter(name):
    build, _ = GENERATORS[name]
    torch.manual_seed(0)
    g = build()
    out = g(torch.randn(N, Z), labels())
    (out * torch.randn_like(out)).sum().backward()
    assert_every_parameter_gets_gradient(g)


@pytest.mark.parametrize("conditioning", CONDITIONINGS)
@pytest.mark.parametrize("name", DISCRIMINATORS)
def test_discriminator_gradients_reach_every_parameter(name, conditioning):
    torch.manual_seed(0)
    d, shape = build_d(name, conditioning)  # embedding left at its zero init: it must still learn
    out = d(torch.randn(N, *shape), labels())
    (out * torch.randn_like(out)).sum().backward()
    assert_every_parameter_gets_gradient(d)


# The unconditional discriminators, against their layer stacks as built before the features/head split: the
# same modules created in the same order under the same seed, so names, initial values and outputs must match.
# (plain D, reference stack, sample shape, how the reference stack takes the sample: the MLPs flatten it)
FLAT, IMAGE = (lambda x: x.flatten(1)), (lambda x: x)
UNCONDITIONAL = {
    "mlp-maxout-dropout": (
        lambda: MLPDiscriminator(in_shape=(1, 16, 16), hidden=[16, 8], maxout_pieces=2, dropout=0.2),
        lambda: nn.Sequential(nn.Dropout(0.2), Maxout(256, 16, pieces=2), nn.Dropout(0.2), Maxout(16, 8, pieces=2),
                              nn.Dropout(0.2), nn.Linear(8, 1)),
        (1, 16, 16), FLAT),
    "mlp-leaky": (
        lambda: MLPDiscriminator(in_shape=(2,), hidden=[8, 8], maxout_pieces=0, dropout=0.0),
        lambda: nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.LeakyReLU(0.2),
                              nn.Linear(8, 1)),
        (2,), FLAT),
    "dcgan-16-batch": (
        lambda: DCGANDiscriminator(resolution=16, channels=1, width=4, norm="batch"),
        lambda: nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1), nn.LeakyReLU(0.2, True),
                              nn.Conv2d(4, 8, 4, 2, 1, bias=False), nn.BatchNorm2d(8), nn.LeakyReLU(0.2, True),
                              nn.Conv2d(8, 1, 4, 1, 0)),
        (1, 16, 16), IMAGE),
    "dcgan-32-layer": (
        lambda: DCGANDiscriminator(resolution=32, channels=3, width=4, norm="layer"),
        lambda: nn.Sequential(nn.Conv2d(3, 4, 4, 2, 1), nn.LeakyReLU(0.2, True),
                              nn.Conv2d(4, 8, 4, 2, 1, bias=False), nn.GroupNorm(1, 8), nn.LeakyReLU(0.2, True),
                              nn.Conv2d(8, 16, 4, 2, 1, bias=False), nn.GroupNorm(1, 16), nn.LeakyReLU(0.2, True),
                              nn.Conv2d(16, 1, 4, 1, 0)),
        (3, 32, 32), IMAGE),
}


@pytest.mark.parametrize("name", UNCONDITIONAL)
def test_unconditional_discriminator_is_bit_identical_to_its_original_stack(name):
    build, build_reference, shape, reference_input = UNCONDITIONAL[name]
    torch.manual_seed(0)
    d = build()
    torch.manual_seed(0)
    reference = build_reference()
    expected = {f"net.{k}": v for k, v in reference.state_dict().items()}
    assert list(d.state_dict()) == list(expected)
    assert all(torch.equal(d.state_dict()[k], v) for k, v in expected.items())
    x = torch.randn(N, *shape)
    # train mode, so dropout masks and batch statistics are exercised too
    torch.manual_seed(1)
    out = d(x)
    torch.manual_seed(1)
    assert torch.equal(out, reference(reference_input(x)).flatten())
    torch.manual_seed(1)
    assert torch.equal(out, d.head(d.features(x)).flatten())  # the split composes to exactly forward()


def test_unknown_conditioning_is_refused():
    with pytest.raises(ValueError, match="conditioning"):
        ConditionalMLPDiscriminator(in_shape=(2,), num_classes=K, hidden=[4], maxout_pieces=0, dropout=0.0,
                                    conditioning="sum")
