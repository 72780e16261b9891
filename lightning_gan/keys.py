"""What a run logs, known from its config alone: metric names, their direction, and every logged key.

Sweep validation (``sweep --check``) and W&B's summary settings read these before anything trains,
so this module imports neither torch nor Lightning.
"""
from __future__ import annotations

import re

from lightning_gan.config import METRIC_GROUPS, ConfigError, DataFacts, Issue


def count_tag(n: int, truncation: float | None = None) -> str:
    """10000 -> "10k", 2048 -> "2048", (10000, 0.5) -> "10k_t0.5": the protocol in every metric name."""
    count = f"{n // 1000}k" if n % 1000 == 0 and n >= 1000 else str(n)
    return count if truncation is None else f"{count}_t{truncation:g}"


# What each group logs (before the prefix "domain_" and the count tag), each with whether higher is
# better (True / False) or None for figures that are not a quality (spreads, chosen bandwidths).
# IS only with Inception logits. "conditional" also logs cond_acc<count>/class<c> for every class.
_FEATURE_METRICS = {"fid": False, "kid": False, "kid_std": None, "precision": True, "recall": True, "density": True,
                    "coverage": True}
METRICS: dict[str, dict[str, bool | None]] = {
    "inception": {**_FEATURE_METRICS, "is": True, "is_std": None},
    "domain": {**_FEATURE_METRICS, "classifier_score": True, "classifier_score_std": None, "class_kl": False,
               "classes_generated": True, "top_class_share": False},
    "conditional": {"cond_acc": True},  # the domain classifier agrees with the requested class
    "modes": {"modes_captured": True, "high_quality": True, "mode_kl": False},
    "parzen": {"parzen_ll": True, "parzen_ll_se": None, "parzen_sigma": None},
    # image-to-image: each output against its target (paired), and cycle / known-mapping errors (unpaired);
    # input_l1 is the error of returning the input unchanged, the baseline of mapping_l1
    "translation": {"l1": False, "psnr": True, "ssim": True},
    "cycle": {"cycle_l1": False, "mapping_l1": False, "input_l1": None},
    # likelihood models (the VAE), nats per held-out image: the ELBO, its two terms, and the IWAE bound
    "likelihood": {"elbo": True, "iwae_ll": True, "reconstruction": True, "kl": None},
}
DIRECTIONS = ("ab_", "ba_")  # prefixes of an unpaired model's two directions (A -> B, B -> A)
OPTIONAL = {"is", "is_std"}  # logged only when the weights have logits
METRIC_NAMES = {group: tuple(name for name in names if name not in OPTIONAL) for group, names in METRICS.items()}
HIGHER_IS_BETTER = {name: better for names in METRICS.values() for name, better in names.items()}


def metric_goal(key: str) -> str | None:
    """"minimize" / "maximize" for a quality metric key (eval/domain_fid10k -> minimize); None otherwise."""
    name = key.removeprefix("eval/").split("/")[0]  # cond_acc10k/class3 follows cond_acc10k
    name = re.sub(r"^(domain_|ab_|ba_)", "", name)
    name = re.sub(r"(\d+k?(_t[\d.e+-]+|_k\d+)?|_test|_val)$", "", name)
    better = HIGHER_IS_BETTER.get(name)
    return None if better is None else "maximize" if better else "minimize"


def groups_for(facts: DataFacts, conditional: bool = False, likelihood: bool = False) -> list[str]:
    """The metric groups that make sense for a data set and model ("auto")."""
    if likelihood and not facts.points and facts.pairs is None:
        return ["likelihood", *groups_for(facts, conditional), "parzen"]
    if facts.points:
        return ["modes", "parzen"] if facts.modes else ["parzen"]
    if facts.pairs is not None:
        return ["translation" if facts.pairs == "paired" else "cycle", "inception"]
    if facts.labelled is False:
        return ["inception"]
    return ["inception", "domain"] + (["conditional"] if conditional else [])


def check_groups(requested: list[str], facts: DataFacts, conditional: bool = False, likelihood: bool = False) -> list[str]:
    expanded = [g for name in (requested or ["auto"])
                for g in (groups_for(facts, conditional, likelihood) if name == "auto" else [name])]
    groups = list(dict.fromkeys(expanded))
    problems = []
    for name in groups:
        if name not in METRIC_GROUPS:
            problems.append(Issue("eval.metrics", f"unknown metric group {name!r}", f"choose from {', '.join(METRIC_GROUPS)}"))
        elif name == "likelihood" and not likelihood:
            problems.append(Issue("eval.metrics", "likelihood needs a model with a likelihood (the VAE)",
                                  "drop likelihood; for GANs, parzen estimates a log-likelihood from samples"))
        elif name in ("translation", "cycle") and facts.pairs != ("paired" if name == "translation" else "unpaired"):
            needs = "paired image-to-image data (pix2pix)" if name == "translation" else "unpaired domains (CycleGAN)"
            problems.append(Issue("eval.metrics", f"{name} needs {needs}", "use the groups `auto` picks for this data"))
        elif facts.pairs is not None and name not in ("inception", "translation", "cycle"):
            problems.append(Issue("eval.metrics", f"{name} does not apply to image-to-image data",
                                  "use inception and translation (paired) or cycle (unpaired)"))
        elif name in ("inception", "domain") and facts.points:
            problems.append(Issue("eval.metrics", f"{name} needs images; this data set is 2D points", "use modes,parzen"))
        elif name == "modes" and not facts.modes:
            problems.append(Issue("eval.metrics", "modes needs a 2D mixture with known centres", "use inception,domain"))
        elif name in ("domain", "conditional") and facts.labelled is False:
            problems.append(Issue("eval.metrics", f"{name} needs a labelled data set (>= 2 classes)", "use inception"))
        elif name == "conditional" and not conditional:
            problems.append(Issue("eval.metrics", "conditional accuracy needs a class-conditional model",
                                  "drop conditional, or train a conditional variant (cgan, cdcgan)"))
        elif name == "conditional" and facts.points:
            problems.append(Issue("eval.metrics", "conditional accuracy needs images (it uses the domain classifier)",
                                  "use modes,parzen"))
    if problems:
        raise ConfigError(problems)
    return groups


def eval_keys(cfg, facts: DataFacts, *, with_inception_score: bool = False) -> set[str]:
    """Every eval/ key a run of ``cfg`` logs: the callback's (eval.every > 0) and, for mixtures, the grids'.

    Per-class keys (cond_acc<count>/class<c>) are left out: the class count is known from the data only.
    """
    conditional = cfg.variant.conditional
    keys = {f"eval/{name}" for name in METRIC_NAMES["modes"]} if facts.points and facts.modes else set()
    if cfg.eval.every > 0 and facts.pairs is not None:
        return translation_keys(cfg, facts)  # no IS: translation FIDs run without Inception logits
    if cfg.eval.every > 0:
        tag = count_tag(cfg.eval.num_samples, cfg.eval.truncation)
        for group in check_groups(cfg.eval.metrics, facts, conditional, cfg.variant.likelihood_model):
            names = METRIC_NAMES[group] + (("is", "is_std") if group == "inception" and with_inception_score else ())
            if group == "likelihood":
                keys |= likelihood_keys(cfg.eval.likelihood_images, cfg.eval.iwae_k)
                continue
            keys |= {f"eval/{'domain_' * (group == 'domain')}{name}{tag}" for name in names}
    return keys


def likelihood_key(name: str, images: int, k: int) -> str:
    """One likelihood-group key: the held-out image count in each (elbo1k), and K in the IWAE bound's
    (iwae_ll1k_k1000), since the bound rises with K."""
    return f"{name}{count_tag(images)}" + (f"_k{k}" if name == "iwae_ll" else "")


def likelihood_keys(images: int, k: int) -> set[str]:
    """The likelihood group's eval/ keys."""
    return {f"eval/{likelihood_key(name, images, k)}" for name in METRIC_NAMES["likelihood"]}


def translation_keys(cfg, facts: DataFacts) -> set[str]:
    """An image-to-image run's eval/ keys: tagged with the split (psnr_test), one prefix per direction if unpaired."""
    tag = f"_{cfg.data.eval_split}"
    prefixes = ("",) if facts.pairs == "paired" else DIRECTIONS
    keys = set()
    for group in check_groups(cfg.eval.metrics, facts):
        names = METRIC_NAMES[group]
        if group == "cycle" and not getattr(cfg.data, "test_pairs", False):
            names = ("cycle_l1",)
        keys |= {f"eval/{prefix}{name}{tag}" for prefix in prefixes for name in names}
    return keys
