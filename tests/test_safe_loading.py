"""Nothing loaded from disk or taken from a config runs code: checkpoints, caches, configs, sweeps."""
import os
from pathlib import Path

import torch

from lightning_gan.cli import main
from lightning_gan.metrics.features import RealFeatureCache, tensor_digest

MARKER = "pwned"


class Payload:
    """Unpickling this would create the marker file: the classic malicious checkpoint."""

    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def test_a_pickled_payload_in_a_checkpoint_is_refused_without_running(capsys):
    Path("runs/evil/checkpoints").mkdir(parents=True)
    torch.save({"state_dict": {}, "hyper_parameters": Payload()}, "runs/evil/checkpoints/last.ckpt")
    assert main(["evaluate", "runs/evil"]) == 2
    assert "is not a readable lightning-gan checkpoint" in capsys.readouterr().err
    assert not Path(MARKER).exists()


def test_a_pickled_payload_in_the_feature_cache_is_recomputed_without_running():
    cache = RealFeatureCache(Path("cache"))
    images = torch.zeros(4, 2)
    path = cache.path("real", tensor_digest(images), "net")
    path.parent.mkdir(parents=True)
    torch.save({"tensors": Payload()}, path)
    features, hit = cache.get("real", images, "net", lambda: {"features": torch.ones(4, 3)})
    assert not hit and torch.equal(features["features"], torch.ones(4, 3))
    assert not Path(MARKER).exists()


def test_config_values_are_data_never_code(capsys):
    # A name is looked up in the registry, never imported; a YAML tag is not constructed.
    assert main(["config", "variant.name=os.system"]) == 2
    assert "unknown variant" in capsys.readouterr().err.lower()
    Path("evil.yaml").write_text('train:\n  k: !!python/object/apply:os.system ["touch pwned"]\n')
    assert main(["config", "evil.yaml"]) == 2
    assert not Path(MARKER).exists()
    Path("sweep.yaml").write_text(
        "program: x\nmethod: grid\nparameters:\n  loss: {values: [\"__import__('os').system('touch pwned')\"]}\n"
        "command: [python, -m, lightning_gan, fit, '${args_no_hyphens}']\n")
    assert main(["sweep", "sweep.yaml", "--check"]) == 2
    assert not Path(MARKER).exists()
