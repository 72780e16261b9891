"""``lightning-gan``: fit a config, or print it resolved. Bad input exits with status 2."""
from __future__ import annotations

import argparse
import sys

from pathlib import Path

from lightning_gan.config import ConfigError, Issue, load_config, to_yaml

EPILOG = """examples:
  lightning-gan fit                                  # the embedded default: 2014 GAN on a ring of 8 Gaussians
  lightning-gan fit configs/gan_digits.yaml train.k=2 loss=minimax
  lightning-gan config configs/gan_ring8.yaml        # print the resolved config and exit"""


def _split(args: list[str]) -> tuple[str | None, list[str]]:
    """[CONFIG.yaml] key=value ...: the config file is the one argument that is not an override."""
    plain = [a for a in args if "=" not in a]
    paths = [a for a in plain if a.endswith((".yaml", ".yml")) or Path(a).is_file()]
    problems = [Issue(a, "not a key=value override, nor a .yaml config file",
                      "write overrides as dotted.key=value, e.g. train.k=2") for a in plain if a not in paths]
    problems += [Issue(a, "a second config file", "pass one YAML file, then key=value overrides")
                 for a in paths[1:]]
    if problems:
        raise ConfigError(problems)
    return (paths[0] if paths else None), [a for a in args if "=" in a]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lightning-gan", description=__doc__, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("fit", "train a GAN; writes a run directory"),
                       ("config", "print the resolved config (defaults < file < overrides) and exit")):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("args", nargs="*", metavar="[CONFIG.yaml] [key=value ...]")
        cmd.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    # `wandb agent`'s ${args} passes `--key=value`: unknown `--x=y` options are config overrides.
    # parse_known_args also hands back overrides that follow an option (`a=1 --quiet b=2`).
    ns, extra = parser.parse_known_args(argv)
    unknown = [a for a in extra if a.startswith("-") and not (a.startswith("--") and "=" in a)]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    ns.args += extra
    from lightning_gan.data import DataError

    try:
        config_path, overrides = _split(ns.args)
        cfg = load_config(config_path, overrides)
        if ns.command == "config":
            print(to_yaml(cfg), end="")
            return 0
        from lightning_gan.runs import fit

        fit(cfg, verbose=not ns.quiet)
    except (ConfigError, DataError) as err:
        print(f"lightning-gan: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
