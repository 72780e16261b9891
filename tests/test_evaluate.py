"""``lightning-gan evaluate`` / ``prepare`` and in-training metrics, offline, on tiny runs."""
import json
from pathlib import Path

import pytest
import torch

from lightning_gan.cli import main
from lightning_gan.config import load_config
from lightning_gan.data.mixtures import mixture_centers
from lightning_gan.evaluation import SAMPLE_SEED
from lightning_gan.jsonl import read_jsonl
from lightning_gan.metrics import classifier, inception
from lightning_gan.metrics.mixture import mode_stats
from lightning_gan.module import load_module

QUICK = ["train.log_every=5", "train.sample_every=1000", "train.checkpoint_every=1000", "trainer.accelerator=cpu",
         "run.wandb.mode=disabled", "--quiet"]
DIGITS = ["configs/gan_digits.yaml", "train.g_steps=20", *QUICK]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """A private cache (no official Inception file, no classifiers) and a 2k-sample classifier budget."""
    monkeypatch.setenv("LIGHTNING_GAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(inception, "official_path", lambda: tmp_path / "hub" / inception.OFFICIAL_NAME)
    monkeypatch.setattr(classifier, "TRAIN_SAMPLES", 2000)
    return tmp_path / "cache"


def digits_args(*extra):
    return [str(REPO / DIGITS[0]), *DIGITS[1:], *extra]


def real_domain_metrics(n: int) -> dict:
    """Domain metrics of real digits the reference does not hold (the classifier's training split)."""
    from lightning_gan.base import Generated
    from lightning_gan.evaluate_run import build_datamodule
    from lightning_gan.evaluation import Evaluator

    datamodule = build_datamodule(load_config(str(REPO / DIGITS[0]), ["trainer.accelerator=cpu"]))
    train_idx, _ = classifier._split(len(datamodule.x))
    images = datamodule.x[train_idx[:n]]
    drawn = [0]

    def sample(k, generator):
        drawn[0] += k
        return Generated(images[drawn[0] - k: drawn[0]], None)

    return Evaluator(datamodule, ["domain"], n, log=lambda *_: None).run(sample)


def report_of(capsys) -> dict:
    out = capsys.readouterr().out
    return json.loads(Path(out.rsplit("report: ", 1)[1].strip()).read_text())


def test_mixture_run_is_evaluated_for_modes_and_parzen(capsys):
    assert main(["fit", "train.g_steps=30", "run.name=ring", *QUICK]) == 0
    assert main(["evaluate", "runs/ring", "--num-samples", "500"]) == 0
    report = report_of(capsys)
    assert report["groups"] == ["modes", "parzen"] and report["g_steps"] == 30
    metrics = report["metrics"]
    assert set(metrics) == {"modes_captured500", "high_quality500", "mode_kl500", "parzen_ll500",
                            "parzen_ll_se500", "parzen_sigma500"}
    # the mode figures are those of the checkpoint's G on the fixed evaluation noise, recomputed here
    module = load_module("runs/ring/checkpoints/last.ckpt").eval()
    generator = torch.Generator().manual_seed(SAMPLE_SEED)
    with torch.no_grad():  # eval.batch_size 250: two draws from one generator, as the evaluator makes them
        samples = torch.cat([module.sample(module.sample_z(250, generator=generator)) for _ in range(2)])
    data = module.cfg.data
    expected = mode_stats(samples, mixture_centers(data.layout, data.n_modes, data.radius), data.sigma)
    assert metrics["modes_captured500"] == expected["modes_captured"]
    assert metrics["high_quality500"] == pytest.approx(expected["high_quality"])
    assert metrics["mode_kl500"] == pytest.approx(expected["mode_kl"], nan_ok=True)
    assert metrics["parzen_ll_se500"] > 0
    assert "held-out" in report["protocol"]["parzen"]
    assert Path("runs/ring/evaluation/g0000030-n500.json").is_file()
    assert main(["evaluate", "runs/ring", "--num-samples", "500"]) == 0  # a second report never overwrites
    assert Path("runs/ring/evaluation/g0000030-n500-2.json").is_file()


def test_domain_metrics_with_a_prepared_classifier_and_a_warm_cache(capsys):
    assert main(["fit", *digits_args("run.name=d")]) == 0
    assert main(["prepare", "classifier", *[a for a in digits_args() if a != "--quiet"]]) == 0
    assert "domain classifier: 100%" in capsys.readouterr().err.replace("\r", "\n")  # its bar ran to the end
    assert main(["evaluate", "runs/d", "--metrics", "domain", "--num-samples", "200"]) == 0
    captured = capsys.readouterr()
    bars = captured.err.replace("\r", "\n")
    assert "real domain features: 100%" in bars and "generated samples and their features: 100%" in bars
    report = json.loads(Path(captured.out.rsplit("report: ", 1)[1].strip()).read_text())
    metrics = report["metrics"]
    for key in ("fid", "kid", "classifier_score", "class_kl", "classes_generated", "top_class_share",
                "precision", "recall", "density", "coverage"):
        assert f"domain_{key}200" in metrics, key
    # against 200 real training digits through the same protocol (measured: FID 0.22 and 9 classes for the
    # real digits, FID 9.1 and 2 classes for this 20-step G): real data is far closer and spans more classes
    real = real_domain_metrics(200)
    assert real["domain_classes_generated200"] >= 8  # the small 2k-sample classifier may miss one
    assert metrics["domain_fid200"] > 5 * real["domain_fid200"] > 0
    assert metrics["domain_classes_generated200"] < real["domain_classes_generated200"]
    assert report["protocol"]["real_cache_hits"] == {"domain": False}
    assert report["protocol"]["domain_classifier_accuracy"] > 0.5
    assert main(["evaluate", "runs/d", "--metrics", "domain", "--num-samples", "200", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "%|" not in captured.err  # --quiet: no bar
    again = json.loads(Path(captured.out.rsplit("report: ", 1)[1].strip()).read_text())
    assert again["protocol"]["real_cache_hits"] == {"domain": True}
    assert again["metrics"] == pytest.approx(metrics)  # same noise, same reference: same figures


@pytest.mark.slow
def test_inception_metrics_offline_and_no_inception_score_without_logits(capsys):
    assert main(["fit", *digits_args("run.name=i")]) == 0
    assert main(["prepare", "inception"]) == 0
    assert main(["evaluate", "runs/i", "--metrics", "inception", "--num-samples", "12"]) == 0
    report = report_of(capsys)
    assert {"fid12", "kid12", "precision12", "recall12", "density12", "coverage12"} <= set(report["metrics"])
    assert not any(k.startswith("is") for k in report["metrics"])
    assert report["protocol"]["inception_score"].startswith("not reported")
    assert report["protocol"]["resize"] == inception.RESIZE


def test_fit_logs_in_training_metrics_with_the_count_in_the_key():
    assert main(["fit", "train.g_steps=20", "eval.every=10", "eval.num_samples=300", "run.name=m", *QUICK]) == 0
    rows = [row for row in read_jsonl(Path("runs/m/metrics.jsonl")) if "eval/mode_kl300" in row]
    assert [row["g_step"] for row in rows] == [10, 20]
    assert not any("inception" in key or "evaluator" in key for key in
                   torch.load("runs/m/checkpoints/last.ckpt", weights_only=True)["state_dict"])


@pytest.mark.parametrize("args, message", [
    (["evaluate", "runs/nothing"], "does not exist"),
    (["evaluate", "runs/d", "data.image_size=16"], "generates samples of shape"),
    (["evaluate", "runs/d", "--metrics", "domain"], "fix: lightning-gan prepare classifier runs/d/config.yaml   ("),
    (["evaluate", "runs/d", "--metrics", "domain"], "or: lightning-gan evaluate runs/d --metrics inception"),
    (["evaluate", "runs/d", "--metrics", "inception"], "lightning-gan prepare inception"),
    (["evaluate", "runs/d", "--metrics", "modes"], "2D mixture"),
    (["evaluate", "runs/d", "--metrics", "fid"], "unknown metric group"),
    (["evaluate", "runs/d", "--metrics", "parzen", "eval.reference=test"], "eval.reference: digits has no test split"),
])
def test_bad_evaluations_exit_2_before_generating(args, message, capsys):
    assert main(["fit", *digits_args("run.name=d")]) == 0
    capsys.readouterr()
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not Path("runs/d/evaluation").exists()


def test_fit_with_metrics_that_cannot_run_fails_before_the_run_directory_exists(capsys):
    assert main(["fit", *digits_args("run.name=x", "eval.every=10", "eval.metrics=[domain]")]) == 2
    assert "prepare classifier" in capsys.readouterr().err
    assert not Path("runs/x").exists()


def test_a_test_split_reference_holds_test_images_only(tmp_path):
    """eval.reference=test (Lucic et al.'s protocol): a fixed subset of the test split, none of the training set."""
    from test_vae import digits_as_idx

    from lightning_gan.evaluate_run import build_datamodule
    from lightning_gan.evaluation import Evaluator

    digits_as_idx(tmp_path / "idx")
    cfg = load_config(str(REPO / "configs/vae_digits.yaml"), ["data.name=mnist", f"data.path={tmp_path / 'idx'}",
                                                              "data.image_size=28", "trainer.accelerator=cpu"])
    datamodule = build_datamodule(cfg)
    rows = {tuple(x.flatten().tolist()) for x in datamodule.heldout()}
    train_rows = {tuple(x.flatten().tolist()) for x in datamodule.x}
    by_split = {split: Evaluator(datamodule, ["parzen"], 40, reference=split, log=lambda *_: None)
                for split in ("train", "test")}
    test_ref = [tuple(x.flatten().tolist()) for x in by_split["test"].real]
    assert len(test_ref) == 40 and set(test_ref) <= rows and not set(test_ref) & train_rows
    assert {tuple(x.flatten().tolist()) for x in by_split["train"].real} <= train_rows
    assert by_split["test"].protocol["real"].startswith("test split")
    again = Evaluator(datamodule, ["parzen"], 40, reference="test", log=lambda *_: None).real
    assert torch.equal(again, by_split["test"].real)  # the same subset every time (seed 0)
