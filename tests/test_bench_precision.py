"""bench/precision.py on a tiny budget: each mode trained and timed against fp32, a refused mode reported."""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench import precision  # noqa: E402


def test_precision_bench_times_each_mode_against_fp32_and_reports_a_refused_one(tmp_path, monkeypatch, capsys):
    # each point trains for real, in this process instead of a fresh one (the only shortcut)
    monkeypatch.setattr(precision, "run_point", lambda variant, mode, args, root:
                        precision.one_point(variant, mode, args.g_steps, args.warmup, tmp_path))
    out = tmp_path / "precision.json"
    precision.main(["--variants", "dcgan", "--modes", "fp32", "bf16_channels_last", "--g-steps", "4",
                    "--out", str(out)])
    rows = {row["mode"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["fp32"]["vs_fp32"] == 1.0 and rows["fp32"]["batch_size"] == 64  # the shipped YAML's batch
    cl = rows["bf16_channels_last"]
    assert cl["images_per_s"] > 0 and cl["vs_fp32"] == cl["images_per_s"] / rows["fp32"]["images_per_s"]
    assert cl["overrides"] == ["trainer.precision=bf16-mixed", "trainer.channels_last=true"]
    assert "| dcgan | bf16_channels_last |" in capsys.readouterr().out
    precision.main(["--variants", "wgan_gp", "--modes", "bf16_channels_last_compile", "--out", str(out)])
    saved = json.loads(out.read_text())["rows"]  # the dcgan rows stay beside the new one
    assert [(row["variant"], row["mode"]) for row in saved] == [
        ("dcgan", "fp32"), ("dcgan", "bf16_channels_last"), ("wgan_gp", "bf16_channels_last_compile")]
    refused = saved[-1]  # refused by the config check: nothing compiled or trained
    assert "images_per_s" not in refused
    assert "penalty.name=gp needs a double backward" in refused["refused"]
