"""Every command shown in the README, CONTRIBUTING.md and docs/ still parses and validates.

A documented command goes stale when a flag, a config key, a file or a bench option it names is
renamed. Each one is checked here the way it can be without training: ``lightning-gan fit`` and
``config`` commands validate their whole config (as ``lightning-gan config``), ``sweep`` runs its
``--check``, the other subcommands and ``python bench/*.py`` commands parse their arguments with the
real parser (a bench stops right after parsing), and every file a command names exists. Running them
in full is the job of the end-to-end, resume, evaluate, sweep and compare tests and of ``bench/``.
"""
from __future__ import annotations

import argparse
import re
import runpy
import shlex
import sys
from pathlib import Path

import pytest

from lightning_gan.cli import _parser, main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
# runs/<run>, RUN_DIR, runs/X/, $NODE_RANK, [key=value ...]: a synopsis or a path to fill in
PLACEHOLDER = re.compile(r"<[^>]+>|\b[A-Z][A-Z_]*\b|\$\w+|\[.*\]")
COMMAND = re.compile(r"^(?:srun |torchrun .*?-m lightning_gan |)(lightning-gan |python bench/|python -m pytest)")


def documented_commands() -> list[tuple[str, str]]:
    """(where, command) for each command line in a fenced block or an inline code span."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        block_lines = []
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
            block_lines += re.sub(r"\\\n\s*", " ", block).splitlines()  # join continuation lines
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        lines = block_lines + re.findall(r"`([^`\n]+)`", prose)  # an inline span of two words names a subcommand
        for line in lines:
            command = re.sub(r"\s+#.*$", "", line.strip())
            if COMMAND.match(command) and len(command.split()) > 2 - (line in block_lines):  # not a bare name
                found.append((doc.name, command))
    return sorted(set(found))


COMMANDS = documented_commands()


def test_the_docs_show_commands_of_every_kind():
    kinds = {COMMAND.match(c).group(1) for _, c in COMMANDS}
    assert kinds == {"lightning-gan ", "python bench/", "python -m pytest"}
    assert len(COMMANDS) > 30


class Parsed(Exception):
    pass


def check_bench(words: list[str], monkeypatch) -> None:
    script = ROOT / words[1]
    assert script.is_file(), f"{words[1]} does not exist"
    original = argparse.ArgumentParser.parse_args

    def parse_and_stop(self, args=None, namespace=None):
        original(self, args, namespace)  # a bad option exits 2 here, with argparse's message
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_and_stop)
    monkeypatch.setattr(sys, "argv", [str(script), *words[2:]])
    monkeypatch.setattr(sys, "path", list(sys.path))
    with pytest.raises(Parsed):
        runpy.run_path(str(script), run_name="__main__")


def check_cli(words: list[str], capsys) -> None:
    command, args = words[0], words[1:]
    for word in args:  # a file the command names must exist (placeholders aside)
        if re.search(r"\.(ya?ml|py)$", word) and not PLACEHOLDER.search(word):
            assert (ROOT / word).is_file(), f"{word} does not exist"
    filled_in = not PLACEHOLDER.search(" ".join(args))  # else a synopsis, or a path to fill in
    if filled_in and command in ("fit", "config") and "--resume" not in args:
        assert main(["config", *[a for a in args if a != "--quiet"]]) == 0, capsys.readouterr().err
    elif filled_in and command == "sweep":
        assert main(["sweep", args[0], "--check", "--quiet"]) == 0, capsys.readouterr().err
    elif filled_in and command == "prepare" and args[0] == "classifier" and len(args) > 1:
        assert main(["config", *args[1:]]) == 0, capsys.readouterr().err
    else:  # its options parse (argparse exits 2 on a bad one)
        ns, extra = _parser().parse_known_args(words)
        assert all("=" in e for e in extra), f"unrecognized arguments: {extra}"
        if getattr(ns, "metrics", None):
            from lightning_gan.config import METRIC_GROUPS
            assert set(ns.metrics.split(",")) <= set(METRIC_GROUPS)


@pytest.mark.parametrize("where, command", COMMANDS, ids=[f"{w}:{c[:60]}" for w, c in COMMANDS])
def test_a_documented_command_parses_and_validates(where, command, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("LIGHTNING_GAN_RUN_ROOT", str(tmp_path))
    words = shlex.split(re.sub(r"^torchrun .*?-m lightning_gan ", "lightning-gan ", command.removeprefix("srun ")))
    if words[0] == "python" and words[1].startswith("bench/"):
        check_bench(words, monkeypatch)
    elif words[:3] == ["python", "-m", "pytest"]:
        for option, word in zip(words[2:], words[3:]):
            if not word.startswith("-") and option not in ("-m", "-k"):
                assert (ROOT / word.split("::")[0]).exists(), f"{word} does not exist"
    else:
        check_cli(words[1:], capsys)


def test_ci_runs_exactly_the_readme_test_command_and_the_first_command_fits_the_default():
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    install_and_fit, install_and_test = block.strip().splitlines()
    assert install_and_fit.endswith("&& lightning-gan fit")
    assert install_and_test.endswith("&& python -m pytest")
    assert install_and_test in (ROOT / ".ci" / "run").read_text().splitlines()
    assert install_and_test in (ROOT / "CONTRIBUTING.md").read_text()


def test_the_variant_file_the_readme_shows_is_the_real_one_verbatim():
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    shown = [block for block in blocks if "@VARIANTS.register" in block]
    assert len(shown) == 1, "the README shows one real variant file"
    name = re.search(r'@VARIANTS.register\("(\w+)"\)', shown[0]).group(1)
    real = {"gan": "vanilla"}.get(name, name)
    assert shown[0] == (ROOT / "lightning_gan" / "variants" / f"{real}.py").read_text()
