"""The typed config schema, loading (defaults < YAML < key=value overrides) and validation.

Every field has a default and a one-line reason. A YAML in ``configs/`` lists only what differs
from these defaults; ``key=value`` arguments (the format of W&B's ``${args_no_hyphens}``) merge last.
Unknown keys, wrong types, bad choices and cross-field conflicts raise ``ConfigError`` naming the
full dotted key and a fix, before any data is read or network built.
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterator, Literal, Optional, Sequence

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, MissingMandatoryValue, OmegaConfBaseException

if typing.TYPE_CHECKING:
    from lightning_gan.registry import Schema

# The names of losses.LOSSES, spelt out so that validating a config imports no torch (a test keeps
# the two equal); a critic's loss logs its Wasserstein estimate and needs a Lipschitz constraint.
LossName = Literal["minimax", "non_saturating", "hinge", "wasserstein", "least_squares"]
CRITIC_LOSSES = frozenset({"wasserstein"})


@dataclass(frozen=True)
class Issue:
    key: str  # full dotted key path, e.g. "train.k"
    problem: str
    fix: str


class ConfigError(ValueError):
    """A config that cannot run; the CLI prints it and exits with status 2."""

    title = "invalid config"

    def __init__(self, issues: Sequence[Issue]):
        self.issues = list(issues)
        lines = [f"{self.title} ({len(self.issues)} problem{'s' * (len(self.issues) > 1)}):"]
        for issue in self.issues:
            lines.append(f"  {issue.key}: {issue.problem}\n      fix: {issue.fix}")
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------- sections shared by every run
@dataclass
class VariantConfig:
    """Base of each variant's own Config (declared next to the variant)."""

    name: str = "gan"  # which registered variant to train
    conditional: ClassVar[bool] = False  # generate() takes labels, D sees them
    # where the truncation trick acts: "z" redraws prior values with |z| > t (BigGAN), "w" pulls styles
    # toward their tracked mean by ψ (StyleGAN), "none" has no truncation
    truncation_space: ClassVar[Literal["none", "z", "w"]] = "none"
    # the image-to-image data it translates: "paired" (pix2pix), "unpaired" (CycleGAN); None = from noise
    translates: ClassVar[Optional[Literal["paired", "unpaired"]]] = None
    likelihood_model: ClassVar[bool] = False  # it scores log p(x) (a VAE): evaluation adds the likelihood group

    def checks(self, cfg: "Config") -> Iterator[Issue]:
        return iter(())

    def train_keys(self) -> set[str]:
        """Training-row keys this variant's objective logs beyond its family's (without the train/ prefix)."""
        return set()

    def d_uses_batchnorm(self) -> bool:
        """BatchNorm in D couples samples, which a per-sample gradient penalty cannot allow."""
        return False


@dataclass
class LatentConfig(VariantConfig):
    """Variants that map a prior vector z to a sample."""

    z_dim: int = 100  # prior dimension
    prior: Literal["normal", "uniform"] = "normal"  # z ~ N(0, I) or unit-variance uniform (2014 paper: uniform)
    truncation_space: ClassVar[Literal["none", "z", "w"]] = "z"

    def checks(self, cfg: "Config") -> Iterator[Issue]:
        if self.z_dim < 1:
            yield Issue("variant.z_dim", f"must be >= 1, got {self.z_dim}", "e.g. variant.z_dim=100")


@dataclass
class ConditionalConfig(LatentConfig):
    """Class-conditional variants: G(z, y), D(x, y)."""

    conditional: ClassVar[bool] = True
    # D conditioned by concatenating y to its input (Mirza & Osindero 2014), or by projection
    # (Miyato & Koyama 2018: an inner product of a class embedding with D's features)
    d_conditioning: Literal["concat", "projection"] = "projection"
    # real images shown with a wrong label, as a share of the batch, scored as fake (Reed et al. 2016);
    # 0 turns them off. 1 gives as many as fakes: the paper's ½ fake + ½ mismatch weighting
    mismatch_share: float = 0.5

    def checks(self, cfg: "Config") -> Iterator[Issue]:
        yield from super().checks(cfg)
        if not 0 <= self.mismatch_share <= 1:
            yield Issue("variant.mismatch_share", f"must be in [0, 1], got {self.mismatch_share}",
                        "e.g. variant.mismatch_share=0.5, or 0 to turn mismatched pairs off")
        if cfg.data.facts().labelled is False:
            yield Issue("variant.name", f"{self.name} is class-conditional, and data {cfg.data.name!r} has no labels",
                        "use a labelled data set (digits, fashion_mnist, mnist, a mixture's modes), "
                        "or an unconditional variant (gan, dcgan)")

    def train_keys(self) -> set[str]:
        return {"d_negatives", "D_negatives"} if self.mismatch_share > 0 else set()


@dataclass(frozen=True)
class DataFacts:
    """What a data set is, known from its config alone: which metric groups fit and what a run logs."""

    points: bool  # samples are vectors (2D mixtures), not images
    modes: bool  # known mode centres, so mode coverage can be measured
    labelled: Optional[bool]  # >= 2 classes; None = decided by the files (an image folder's sub-directories)
    pairs: Optional[Literal["paired", "unpaired"]] = None  # image-to-image data: aligned pairs or two domains


@dataclass
class DataConfig:
    """Base of each data module's own Config (declared next to the data module)."""

    name: str = "mixture"  # which registered data module to read
    batch_size: int = 256  # samples per D step (and per G step)
    num_workers: int = 0  # DataLoader workers; in-memory sets are fastest with 0

    def checks(self) -> Iterator[Issue]:
        return iter(())

    def facts(self) -> DataFacts:
        return DataFacts(points=False, modes=False, labelled=True)


@dataclass
class OptimizerConfig:
    name: Literal["adam", "sgd", "rmsprop"] = "adam"  # Adam is the default of modern GAN recipes
    lr: float = 5e-4  # tuned for the default MLP run (2e-4 left it blurred at 5k G steps); image YAMLs set DCGAN's 2e-4
    beta1: float = 0.5  # Adam β1; 0.5 (DCGAN) damps oscillation between the two players
    beta2: float = 0.999  # Adam β2 (RMSProp uses it as its smoothing constant α)
    momentum: float = 0.0  # SGD / RMSProp momentum (the 2014 paper used SGD with momentum)
    weight_decay: float = 0.0  # L2 penalty; GANs rarely use it
    # learning-rate schedule over G steps: constant, or linear decay to 0 at the last G step (CycleGAN)
    schedule: Literal["constant", "linear_decay"] = "constant"
    decay_from: Optional[int] = None  # G step where linear_decay starts; null = half of train.g_steps (CycleGAN)
    warmup: int = 0  # G steps of linear warm-up from 0 (0 = none); large-batch recipes use a few hundred


@dataclass
class OptimConfig:
    g: OptimizerConfig = field(default_factory=OptimizerConfig)  # generator optimizer
    d: OptimizerConfig = field(default_factory=OptimizerConfig)  # discriminator optimizer


@dataclass
class TrainConfig:
    """The run's schedule and outputs, common to every model family."""

    g_steps: int = 8000  # run length in updates of the sampling network (trainer.global_step counts every optimizer)
    seed: int = 0  # seeds torch / numpy / python and the fixed sample-grid noise
    log_every: int = 10  # G steps between logged rows (W&B and metrics.jsonl)
    sample_every: int = 500  # G steps between sample grids / scatter plots from a fixed noise batch
    num_grid_samples: int = 64  # images in a sample grid (2D data plots 25x more points)
    checkpoint_every: int = 1000  # G steps between checkpoints (one more is written at the end)
    # EMA of G's weights (e.g. 0.999), used for sample grids and evaluation and saved in checkpoints;
    # null turns it off. Averages G only: Lightning's weight averaging would average D as well.
    ema_decay: Optional[float] = None
    # G steps before the EMA starts averaging; until then it copies G (BigGAN-PyTorch's ema_start), so
    # early, poor weights do not linger in it
    ema_start: int = 0
    # A non-finite loss or gradient: stop (keeping the last finite checkpoint), or roll back to it with
    # lower learning rates. Off by default: a silent retry would hide a broken setting.
    on_divergence: Literal["stop", "rollback"] = "stop"
    max_rollbacks: int = 3  # rollbacks before the run stops anyway
    rollback_lr_factor: float = 0.5  # every learning rate is multiplied by this at each rollback


@dataclass
class AdversarialTrainConfig(TrainConfig):
    k: int = 1  # D steps per G step (Algorithm 1 of Goodfellow et al. 2014); each on a fresh batch
    # fixed k, or adaptive: k rises when D is losing and falls when it wins (see schedules.AdaptiveK)
    k_schedule: Literal["fixed", "adaptive"] = "fixed"
    k_min: int = 1  # adaptive k's lower bound
    k_max: int = 5  # adaptive k's upper bound (WGAN's 5 D steps per G step)
    k_every: int = 20  # G steps per adaptive decision (a window long enough to average out batch noise)
    k_lose_below: float = 0.6  # D accuracy under which D is losing (0.5 = chance): k + 1
    k_win_above: float = 0.9  # D accuracy over which D is winning: k - 1
    grad_clip_g: Optional[float] = None  # max global grad norm for G; null turns clipping off
    grad_clip_d: Optional[float] = None  # max global grad norm for D; null turns clipping off


@dataclass
class TrainerConfig:
    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"] = "auto"  # Lightning accelerator
    devices: int = 1  # devices per node; >1 turns on DDP
    num_nodes: int = 1  # machines; >1 needs a cluster launcher (torchrun / SLURM)
    # Lightning strategy. Each update reaches one network only, so multi-device runs need DDP's
    # unused-parameter detection; "auto" picks ddp_find_unused_parameters_true for them.
    strategy: Literal["auto", "ddp_find_unused_parameters_true", "ddp_spawn_find_unused_parameters_true",
                      "ddp_notebook_find_unused_parameters_true"] = "auto"
    precision: Literal["32-true", "64-true", "16-mixed", "bf16-mixed"] = "32-true"  # numeric precision
    deterministic: bool = False  # torch deterministic algorithms (slower; exact reruns on CPU)
    # torch CPU threads; 0 = torch's default (all cores). Two OpenMP threads per process collapse
    # ~30x when anything else (a second sweep agent, W&B's service) shares 2 cores; one does not.
    cpu_threads: int = 1
    # DDP keeps BatchNorm statistics equal by broadcasting rank 0's after every batch (DDP's own
    # semantics); sync_batchnorm instead normalises over the global batch (SyncBatchNorm, CUDA only).
    sync_batchnorm: bool = False
    # NHWC memory format for 4-D weights and image batches: tensor cores' layout (fast with bf16 on GPUs)
    channels_last: bool = False
    # torch.compile every trained network with this backend ("inductor"; "eager" only traces, to debug);
    # null runs eager. The step itself stays eager: k D steps, toggling and regularizers are Python.
    compile: Optional[str] = None


@dataclass
class WandbConfig:
    # auto = online only if W&B is configured (WANDB_MODE / API key / netrc), else offline files
    mode: Literal["auto", "online", "offline", "disabled"] = "auto"
    project: str = "lightning-gan"  # W&B project that runs are grouped under
    entity: Optional[str] = None  # W&B team or user; null uses the account default
    group: Optional[str] = None  # W&B group; null groups by variant and data set
    tags: list[str] = field(default_factory=list)  # extra tags besides variant, data set and loss


@dataclass
class RunConfig:
    root: str = "runs"  # parent directory of run directories
    name: Optional[str] = None  # run directory name; null makes <variant>-<data>-<time>
    wandb: WandbConfig = field(default_factory=WandbConfig)  # Weights & Biases logging


@dataclass
class PenaltyConfig:
    name: Literal["none", "gp", "r1", "clip"] = "none"  # D regularizer: gradient penalty, R1, weight clipping
    weight: float = 10.0  # λ of gp (Gulrajani et al. 2017: 10) or γ of r1 (applied as γ/2)
    every: int = 1  # D steps between runs of gp / r1 (lazy regularization: StyleGAN2 runs R1 every 16)
    clip: float = 0.01  # weight-clipping bound c (Arjovsky et al. 2017: 0.01)
    spectral_norm_d: bool = False  # spectral normalization of every D layer (Miyato et al. 2018)
    spectral_norm_g: bool = False  # spectral normalization of G too (as in SAGAN / BigGAN)
    orthogonal_g: float = 0.0  # weight of BigGAN's orthogonal regularization of G (the paper: 1e-4); 0 = off


METRIC_GROUPS = ("inception", "domain", "conditional", "modes", "parzen", "translation", "cycle", "likelihood")


@dataclass
class EvalConfig:
    every: int = 0  # G steps between in-training evaluations; 0 turns them off (fit still samples grids)
    num_samples: int = 10_000  # generated samples (and real references) per evaluation; named in keys: fid10k
    # metric groups: inception (FID/KID/IS/P-R/D-C), domain (same on a data-set classifier, class histogram),
    # modes (2D mixtures), parzen (2014 log-likelihood); "auto" = every group that fits the data set
    metrics: list[str] = field(default_factory=lambda: ["auto"])
    inception_weights: str = "auto"  # auto (torch-fidelity's file, else our converted one) | download | PATH
    # real images of the Inception group: a fixed random subset of the train split (every data set has one),
    # or of the test split, the protocol of Lucic et al. 2018 (10k generated against the 10k test images)
    reference: Literal["train", "test"] = "train"
    batch_size: int = 250  # samples per generator / feature-network forward
    # truncation of the evaluated samples (BigGAN's t on z, StyleGAN's ψ on w); null = none. In the metric
    # keys (fid10k_t0.5), so a truncated figure is never read as an untruncated one
    truncation: Optional[float] = None


@dataclass
class Config:
    """The sections every model family shares; a family's own config adds its sections."""

    variant: VariantConfig = field(default_factory=VariantConfig)  # networks and their settings
    data: DataConfig = field(default_factory=DataConfig)  # data set and batching
    train: TrainConfig = field(default_factory=TrainConfig)  # run length, outputs, EMA, divergence policy
    trainer: TrainerConfig = field(default_factory=TrainerConfig)  # Lightning Trainer hardware settings
    run: RunConfig = field(default_factory=RunConfig)  # where outputs go
    eval: EvalConfig = field(default_factory=EvalConfig)  # metrics during and after training

    def family_checks(self) -> Iterator[Issue]:
        return iter(())

    def train_keys(self) -> set[str]:
        """Every key of a logged training row: sweep validation checks a metric against them, and a
        contract test against what a real run logs."""
        return {"g_step"} | {f"train/{name}" for name in self.variant.train_keys()}


@dataclass
class AdversarialConfig(Config):
    """GANs: a loss pair, a D penalty, one optimizer per network and k D steps per G step."""

    train: AdversarialTrainConfig = field(default_factory=AdversarialTrainConfig)  # the adversarial schedule
    loss: LossName = "non_saturating"  # loss pair from losses.LOSSES (the paper's practical choice)
    penalty: PenaltyConfig = field(default_factory=PenaltyConfig)  # D constraint, independent of the loss
    optim: OptimConfig = field(default_factory=OptimConfig)  # one optimizer per network

    def family_checks(self) -> Iterator[Issue]:
        return _adversarial_checks(self)

    def train_keys(self) -> set[str]:
        """Mirrors the family's ``d_objective`` / ``g_objective`` and its declared regularizers."""
        names = {"d_loss", "d_real", "d_fake", "g_loss", "D_x", "D_G_z", "D_accuracy", "k"}
        names |= {"wasserstein_estimate"} if self.loss in CRITIC_LOSSES else set()
        names |= {self.penalty.name} if self.penalty.name in ("gp", "r1") else set()
        names |= {"orthogonal"} if self.penalty.orthogonal_g > 0 else set()
        return super().train_keys() | {f"train/{name}" for name in names} | {"d_step", "lr/g", "lr/d"}


# ---------------------------------------------------------------- loading
def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> Config:
    """Defaults < YAML file < ``key=value`` overrides, validated; raises ConfigError."""
    layers = ([_read_yaml(Path(path))] if path is not None else []) + [_parse_overrides(overrides)]
    return _build(layers)


def split_args(args: Sequence[str]) -> tuple[str | None, list[str]]:
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


def config_from_dict(values: dict) -> Config:
    """Rebuild a Config from the plain dict stored in a checkpoint or run directory."""
    return _build([OmegaConf.create(values)])


def override_config(values: dict, overrides: Sequence[str] = ()) -> Config:
    """A stored config (checkpoint, run directory) with ``key=value`` overrides on top, validated."""
    return _build([OmegaConf.create(values), _parse_overrides(overrides)])


def _build(layers: list[DictConfig]) -> Config:
    raw = OmegaConf.merge(*layers)
    # OmegaConf cannot switch a Union of dataclasses on a field, so the names pick the schema first.
    from lightning_gan.registry import DATA_SCHEMAS, VARIANT_SCHEMAS

    schema = _schema(VARIANT_SCHEMAS.lookup(OmegaConf.select(raw, "variant.name", default=VariantConfig.name)),
                     DATA_SCHEMAS.lookup(OmegaConf.select(raw, "data.name", default=DataConfig.name)))
    try:
        cfg = OmegaConf.to_object(OmegaConf.merge(schema, *layers))
    except OmegaConfBaseException as err:
        raise ConfigError([_describe(err, schema)]) from None
    validate(cfg)
    return cfg


@functools.lru_cache(maxsize=None)
def _schema(variant: "Schema", data: "Schema") -> DictConfig:
    """The structured schema of a (variant, data) pair, built once: a grid sweep validates every proposal.

    The variant's family owns the top level, so keys of another family (loss, train.k) are unknown keys.
    Merging copies it, so the cached node is never changed.
    """
    return OmegaConf.structured(variant.root(variant=variant.config(), data=data.config()))


def to_dict(cfg: Config) -> dict:
    return dataclasses.asdict(cfg)  # plain dicts, lists and scalars: a config holds no enums or objects


def to_yaml(cfg: Config) -> str:
    return OmegaConf.to_yaml(OmegaConf.structured(cfg))


def flatten(values: dict, prefix: str = "") -> dict[str, Any]:
    """Nested dict -> flat dict with dotted keys (the form sweeps and W&B panels use)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _read_yaml(path: Path) -> DictConfig:
    if not path.is_file():
        raise ConfigError([Issue(str(path), "config file not found",
                                 "pass the path of a YAML file, e.g. configs/gan_ring8.yaml")])
    try:
        loaded = OmegaConf.load(path)
    except Exception as err:  # yaml.YAMLError and OmegaConf's own errors alike
        raise ConfigError([Issue(str(path), f"not valid YAML: {err}", "fix the YAML syntax")]) from None
    if loaded is None or isinstance(loaded, DictConfig) and not loaded:
        raise ConfigError([Issue(str(path), "the file is empty: it would train the defaults",
                                 "write `key: value` lines, as in configs/*.yaml, or run without a file for the "
                                 "embedded default")])
    if not isinstance(loaded, DictConfig):
        raise ConfigError([Issue(str(path), "the file is not a mapping of config keys",
                                 "write `key: value` lines, as in configs/*.yaml")])
    return loaded


def _parse_overrides(overrides: Sequence[str]) -> DictConfig:
    # `wandb agent`'s ${args} form is `--key=value`; ${args_no_hyphens} is `key=value`.
    cleaned = [arg[2:] if arg.startswith("--") else arg for arg in overrides]
    for arg in cleaned:
        if "=" not in arg or not arg.split("=", 1)[0]:
            raise ConfigError([Issue(arg, "not a key=value override",
                                     "write overrides as dotted.key=value, e.g. train.k=2")])
    try:
        return OmegaConf.from_dotlist(cleaned)
    except OmegaConfBaseException as err:
        raise ConfigError([Issue(str(err.full_key or cleaned), err.msg.splitlines()[0],
                                 "write overrides as dotted.key=value")]) from None


def _describe(err: OmegaConfBaseException, schema: DictConfig) -> Issue:
    # Some merge errors (a scalar where a section belongs: `variant=5`) carry no key or message.
    key = str(err.full_key or getattr(err, "key", None) or "config")
    problem = (err.msg or str(err) or type(err).__name__).splitlines()[0]
    if isinstance(err, ConfigKeyError):
        parent, _, leaf = key.rpartition(".")
        node = OmegaConf.select(schema, parent) if parent else schema
        known = list(node.keys()) if isinstance(node, DictConfig) else []
        close = difflib.get_close_matches(leaf, known, n=1)
        hint = f"did you mean {(parent + '.' if parent else '') + close[0]!r}? " if close else ""
        return Issue(key, "unknown key", f"{hint}keys here: {', '.join(known)}")
    if key == "config":
        return Issue(key, problem, "a section takes dotted keys (variant.z_dim=16), not a value (variant=5)")
    if isinstance(err, MissingMandatoryValue):
        return Issue(key, "required value is missing (it has no default)", f"set it, e.g. {key}=...")
    default = OmegaConf.select(schema, key, default=None)
    choices = _choices(schema, key)
    if choices and getattr(err, "value", None) is not None:
        close = difflib.get_close_matches(str(err.value), choices, n=1)
        if close:
            return Issue(key, f"unknown choice {str(err.value)!r}",
                         f"did you mean {key}={close[0]}? choices: {', '.join(choices)}")
        return Issue(key, f"unknown choice {str(err.value)!r}", f"choose one of {', '.join(choices)} "
                     f"(default {key}={default})")
    return Issue(key, problem, f"give a valid value, e.g. the default {key}={default}")


def _choices(schema: DictConfig, key: str) -> list[str]:
    """The values a ``Literal`` field allows, read from the schema's declared type."""
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(schema, parent) if parent else schema
    if not isinstance(node, DictConfig) or leaf not in node:
        return []
    declared = node._get_node(leaf)._metadata.ref_type
    return [str(choice) for choice in typing.get_args(declared)] if typing.get_origin(declared) is Literal else []


# ---------------------------------------------------------------- cross-field checks
def truncation_issues(variant: VariantConfig, value: float, key: str) -> list[Issue]:
    """What is wrong with truncating this variant's samples at ``value`` (``key`` names where it was set)."""
    space = variant.truncation_space
    if space == "none":
        return [Issue(key, f"{variant.name} has no truncation trick", f"drop {key}")]
    if space == "z" and getattr(variant, "prior", "normal") != "normal":
        return [Issue(key, "truncation redraws values of a normal prior; this run uses variant.prior="
                      f"{variant.prior}", f"drop {key}, or train with variant.prior=normal")]
    if space == "z" and not value > 0:
        return [Issue(key, f"the threshold t of a truncated normal must be > 0, got {value}", "e.g. 0.5 (BigGAN: 0.04 .. 2)")]
    if space == "w" and not value >= 0:
        return [Issue(key, f"ψ must be >= 0 (0 = the mean style, 1 = none), got {value}", "e.g. 0.7")]
    return []


def validate(cfg: Config) -> None:
    """Every range and cross-field rule, collected so the user sees all problems at once."""
    issues: list[Issue] = []

    def need(ok: bool, key: str, problem: str, fix: str) -> None:
        if not ok:
            issues.append(Issue(key, problem, fix))

    for key, value in flatten(to_dict(cfg)).items():
        if isinstance(value, float) and not math.isfinite(value):
            issues.append(Issue(key, f"must be a finite number, got {value}", f"set {key} to a finite value"))
    t = cfg.train
    need(0 <= t.seed < 2**32, "train.seed", f"must be in [0, 2**32), got {t.seed}", "e.g. train.seed=0")
    for key in ("g_steps", "log_every", "sample_every", "num_grid_samples", "checkpoint_every"):
        value = getattr(t, key)
        need(value >= 1, f"train.{key}", f"must be >= 1, got {value}", f"set train.{key} to a positive integer")
    need(t.max_rollbacks >= 1, "train.max_rollbacks", f"must be >= 1, got {t.max_rollbacks}", "e.g. train.max_rollbacks=3")
    need(0 < t.rollback_lr_factor < 1, "train.rollback_lr_factor", f"must be in (0, 1), got {t.rollback_lr_factor}",
         "e.g. train.rollback_lr_factor=0.5")
    need(t.ema_decay is None or 0 < t.ema_decay < 1, "train.ema_decay", f"must be in (0, 1) or null, got {t.ema_decay}",
         "e.g. train.ema_decay=0.999")
    need(t.ema_start >= 0, "train.ema_start", f"must be >= 0, got {t.ema_start}", "0 averages from the first G step")
    if cfg.eval.truncation is not None:
        issues.extend(truncation_issues(cfg.variant, cfg.eval.truncation, "eval.truncation"))
    issues.extend(cfg.family_checks())
    need(cfg.data.batch_size >= 1, "data.batch_size", f"must be >= 1, got {cfg.data.batch_size}",
         "e.g. data.batch_size=64")
    need(cfg.data.num_workers >= 0, "data.num_workers", "must be >= 0", "use 0 to load in the main process")
    need(cfg.trainer.devices >= 1, "trainer.devices", "must be >= 1", "e.g. trainer.devices=1")
    need(cfg.trainer.cpu_threads >= 0, "trainer.cpu_threads", "must be >= 0", "use 0 for torch's default")
    need(cfg.trainer.num_nodes >= 1, "trainer.num_nodes", "must be >= 1", "e.g. trainer.num_nodes=1")
    if cfg.trainer.compile is not None:
        backends = torch_compile_backends()
        need(cfg.trainer.compile in backends, "trainer.compile",
             f"unknown torch.compile backend {cfg.trainer.compile!r}", f"choose from {', '.join(backends)} (inductor compiles), or null to run eager")
        # aot_autograd (every compiling backend) has no double backward; only "eager" tracing does
        for key, value in (("penalty.name", getattr(getattr(cfg, "penalty", None), "name", "none")),
                           ("variant.pl_weight", getattr(cfg.variant, "pl_weight", 0))):
            need(cfg.trainer.compile == "eager" or value in ("none", "clip", 0), "trainer.compile",
                 f"{key}={value} needs a double backward, which torch.compile ({cfg.trainer.compile}) cannot run",
                 f"use trainer.compile=null for this run, or drop the gradient penalty ({key})")
    e = cfg.eval
    need(e.every >= 0, "eval.every", f"must be >= 0, got {e.every}", "use 0 to turn in-training evaluation off")
    need(e.num_samples >= 10, "eval.num_samples", f"must be >= 10, got {e.num_samples}", "e.g. eval.num_samples=10000")
    need(e.batch_size >= 1, "eval.batch_size", f"must be >= 1, got {e.batch_size}", "e.g. eval.batch_size=250")
    for name in e.metrics:
        close = difflib.get_close_matches(name, ["auto", *METRIC_GROUPS], n=1)
        need(name in ("auto", *METRIC_GROUPS), "eval.metrics", f"unknown metric group {name!r}",
             (f"did you mean {close[0]!r}? " if close else "")
             + f"choose from auto, {', '.join(METRIC_GROUPS)}, e.g. eval.metrics=[inception,domain]")
    if cfg.run.name is not None:
        need(cfg.run.name not in ("", ".", "..") and "/" not in cfg.run.name, "run.name",
             f"{cfg.run.name!r} is not a plain directory name", "use letters, digits, - and _")
    issues.extend(translation_pairing_issues(cfg))
    issues.extend(cfg.variant.checks(cfg))
    issues.extend(cfg.data.checks())
    if issues:
        raise ConfigError(issues)


def torch_compile_backends() -> list[str]:
    import torch  # here, not at import: a config is checked before any heavy import

    return sorted({"eager", *torch.compiler.list_backends()})  # list_backends leaves out the debugging "eager"


def translation_pairing_issues(cfg: Config) -> list[Issue]:
    """A variant and a data set that disagree on image-to-image pairing (noise models on pairs, and back)."""
    needs, pairs, name = cfg.variant.translates, cfg.data.facts().pairs, cfg.variant.name
    if needs == pairs:
        return []
    folder = {"paired": "paired_folder", "unpaired": "unpaired_folder"}
    if needs is None:
        return [Issue("variant.name", f"{name} generates images from noise, and data {cfg.data.name!r} holds "
                      f"{pairs} image-to-image data", "use pix2pix (paired) or cyclegan (unpaired) on it, or an "
                      "image data set (fashion_mnist, image_folder) for this variant")]
    return [Issue("data.name", f"{name} translates {needs} images, and data {cfg.data.name!r} is "
                  + (f"{pairs} image-to-image data" if pairs else "not image-to-image data"),
                  f"use data.name={folder[needs]} data.path=DIR (see `lightning-gan prepare --help` for offline sets)")]


def optimizer_checks(key: str, opt: OptimizerConfig) -> Iterator[Issue]:
    """Ranges of one optimizer section (``optim.g``, ``optim.d``, ...)."""
    if opt.lr <= 0:
        yield Issue(f"{key}.lr", f"must be > 0, got {opt.lr}", f"e.g. {key}.lr=2e-4")
    for beta in ("beta1", "beta2", "momentum"):
        value = getattr(opt, beta)
        if not 0 <= value < 1:
            yield Issue(f"{key}.{beta}", f"must be in [0, 1), got {value}", f"e.g. {key}.{beta}={getattr(OptimizerConfig, beta)}")
    if opt.weight_decay < 0:
        yield Issue(f"{key}.weight_decay", "must be >= 0", "use 0 to turn it off")
    if opt.warmup < 0:
        yield Issue(f"{key}.warmup", f"must be >= 0, got {opt.warmup}", "use 0 for no warm-up")
    if opt.decay_from is not None and opt.decay_from < 0:
        yield Issue(f"{key}.decay_from", f"must be >= 0 or null, got {opt.decay_from}", "null starts the decay half-way")


def _adversarial_checks(cfg: AdversarialConfig) -> Iterator[Issue]:
    t = cfg.train
    if t.k < 1:
        yield Issue("train.k", f"must be >= 1, got {t.k}", "k counts D steps per G step: use train.k=1 or more")
    if t.k_schedule == "adaptive":
        if not 1 <= t.k_min <= t.k <= t.k_max:
            yield Issue("train.k", f"adaptive k needs 1 <= k_min <= k <= k_max, got {t.k_min} <= {t.k} <= {t.k_max}",
                        "e.g. train.k_min=1 train.k=1 train.k_max=5")
        if not 0 <= t.k_lose_below < t.k_win_above <= 1:
            yield Issue("train.k_lose_below", f"needs 0 <= k_lose_below < k_win_above <= 1, got {t.k_lose_below}, "
                        f"{t.k_win_above}", "e.g. train.k_lose_below=0.6 train.k_win_above=0.9")
        if t.k_every < 1:
            yield Issue("train.k_every", f"must be >= 1, got {t.k_every}", "e.g. train.k_every=20")
    for net in ("g", "d"):
        clip = getattr(t, f"grad_clip_{net}")
        if clip is not None and clip <= 0:
            yield Issue(f"train.grad_clip_{net}", f"must be > 0 or null, got {clip}",
                        f"use train.grad_clip_{net}=null to turn clipping off")
        yield from optimizer_checks(f"optim.{net}", getattr(cfg.optim, net))
    p = cfg.penalty
    if p.weight <= 0 and p.name in ("gp", "r1"):
        yield Issue("penalty.weight", f"must be > 0 for {p.name}, got {p.weight}", "e.g. penalty.weight=10, or penalty.name=none")
    if p.every < 1:
        yield Issue("penalty.every", f"must be >= 1, got {p.every}", "1 runs the penalty every D step; StyleGAN2's R1 uses 16")
    if p.orthogonal_g < 0:
        yield Issue("penalty.orthogonal_g", f"must be >= 0, got {p.orthogonal_g}", "0 turns it off; BigGAN uses 1e-4")
    if p.clip <= 0 and p.name == "clip":
        yield Issue("penalty.clip", f"must be > 0, got {p.clip}", "e.g. penalty.clip=0.01")
    if cfg.loss in CRITIC_LOSSES and not (p.name in ("gp", "clip") or p.spectral_norm_d):
        yield Issue("loss", "the Wasserstein loss needs a Lipschitz critic; without a constraint it diverges",
                    "add penalty.name=gp (WGAN-GP), penalty.name=clip (WGAN) or penalty.spectral_norm_d=true")
    if p.name == "gp" and cfg.variant.d_uses_batchnorm():
        yield Issue("penalty.name", "a gradient penalty is per sample, and BatchNorm in the critic makes each score "
                    "depend on the whole batch (Gulrajani et al. 2017, section 4)",
                    "use variant.d_norm=layer (or none) with penalty.name=gp")
