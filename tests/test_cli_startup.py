"""The CLI answers `--help` and usage errors without importing torch (which costs seconds)."""
import subprocess
import sys

PROBE = """
import contextlib, io, sys
from lightning_gan.cli import main
for argv in (["--help"], ["fit", "--help"], ["evaluate", "--help"], ["fit", "--no-such-option"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
print(sorted(m for m in ("torch", "lightning", "torchvision") if m in sys.modules))
"""


def test_help_and_usage_errors_import_no_torch():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
