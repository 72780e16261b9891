"""What answers before training imports no torch: `--help`, usage errors, config errors, `config`, `sweep --check`.

Each probe runs in a fresh interpreter and reports which heavy packages got imported; a wall-clock
limit would be flaky on shared machines, the import boundary is not.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "lightning", "torchvision", "torchmetrics", "pytorch_lightning")
ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import contextlib, io, json, sys
from lightning_gan.cli import main
codes = []
for argv in {argvs!r}:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            codes.append(main(argv))
        except SystemExit as exit:
            codes.append(exit.code)
print(json.dumps({{"codes": codes, "heavy": sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))}}))
"""


def _probe(*argvs: list[str]) -> dict:
    code = PROBE.format(argvs=list(argvs), heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_help_and_usage_errors_import_no_torch():
    result = _probe(["--help"], ["fit", "--help"], ["evaluate", "--help"], ["fit", "--no-such-option"])
    assert result == {"codes": [0, 0, 0, 2], "heavy": []}


def test_config_errors_and_printing_import_no_torch():
    result = _probe(["fit", "optim.g.lrr=1"], ["fit", "loss=hinje"], ["fit", "variant.name=dcgann"],
                    ["config"], ["config", "configs/cgan_fashion_mnist.yaml", "train.k=2"])
    assert result == {"codes": [2, 2, 2, 0, 0], "heavy": []}


@pytest.mark.parametrize("sweep", sorted(p.name for p in (ROOT / "sweeps").glob("*.yaml")))
def test_sweep_check_imports_no_torch(sweep):
    # W&B's engine itself is imported (its schema and proposals are the check); torch is not.
    assert _probe(["sweep", f"sweeps/{sweep}", "--check"]) == {"codes": [0], "heavy": []}
