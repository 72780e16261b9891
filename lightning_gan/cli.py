"""``lightning-gan``: fit a config, or print it resolved. Bad input exits with status 2."""
from __future__ import annotations

import argparse
import sys

from lightning_gan.config import ConfigError, load_config, to_yaml

EPILOG = """examples:
  lightning-gan fit                                  # the embedded default: 2014 GAN on a ring of 8 Gaussians
  lightning-gan fit configs/gan_digits.yaml train.k=2 loss=minimax
  lightning-gan config configs/gan_ring8.yaml        # print the resolved config and exit"""


def _split(args: list[str]) -> tuple[str | None, list[str]]:
    """[CONFIG.yaml] key=value ...: the config file is the one argument that is not an override."""
    paths = [a for a in args if "=" not in a]
    if len(paths) > 1:
        raise ConfigError([_arg_issue(paths[1])])
    return (paths[0] if paths else None), [a for a in args if "=" in a]


def _arg_issue(arg: str):
    from lightning_gan.config import Issue

    return Issue(arg, "unexpected argument: only one config file may be given",
                 "pass one YAML file and then key=value overrides")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lightning-gan", description=__doc__, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("fit", "train a GAN; writes a run directory"),
                       ("config", "print the resolved config (defaults < file < overrides) and exit")):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("args", nargs="*", metavar="[CONFIG.yaml] [key=value ...]")
        cmd.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    ns = parser.parse_args(argv)
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
