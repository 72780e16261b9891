"""bench/mixtures.py end to end on a tiny budget: PacGAN's two counts, seeds kept, a rerun resumes."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_bench(tmp_path, seeds, *extra):
    return subprocess.run([sys.executable, str(REPO / "bench" / "mixtures.py"), "--layouts", "ring8", "--configs", "gan_ns",
                           "--seeds", str(seeds), "--g-steps", "20", "--out-dir", str(tmp_path / "parts"),
                           "--runs-dir", str(tmp_path / "runs"), *extra], capture_output=True, text=True, check=True).stdout


def test_mixture_bench_counts_both_ways_and_resumes_by_seed(tmp_path):
    run_bench(tmp_path, 1)
    part = tmp_path / "parts" / "ring8-gan_ns-g20.json"
    first = json.loads(part.read_text())["seeds"]
    # seed 0 is kept; seeds 1 and 2 train at once
    out = run_bench(tmp_path, 3, "--workers", "2", "--figure", str(tmp_path / "best_worst.png"))
    saved = json.loads(part.read_text())
    assert [s["seed"] for s in saved["seeds"]] == [0, 1, 2] and saved["seeds"][0] == first[0]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [f"ring8-gan_ns-s{i}-g20" for i in range(3)]
    for seed in saved["seeds"]:
        assert seed["n_modes"] == 8 and 0 <= seed["modes_captured"] <= seed["modes_hit"] <= 8
        assert Path(seed["scatter"]).is_file()
    assert "data.radius=1.0" in saved["overrides"] and "data.sigma=0.01" in saved["overrides"]
    hits = [s["modes_hit"] for s in saved["seeds"]]
    assert saved["summary"]["modes_hit"][0] == sum(hits) / 3
    assert "| ring8 | gan_ns | 3 |" in out
    assert (tmp_path / "best_worst.png").stat().st_size > 0


def test_a_seed_trained_but_not_recorded_is_scored_without_training_again(tmp_path):
    run_bench(tmp_path, 1)
    part = tmp_path / "parts" / "ring8-gan_ns-g20.json"
    recorded = json.loads(part.read_text())
    ckpt = tmp_path / "runs" / "ring8-gan_ns-s0-g20" / "checkpoints" / "last.ckpt"
    trained_at = ckpt.stat().st_mtime_ns
    part.write_text(json.dumps({**recorded, "seeds": []}))  # killed after training, before the part was saved
    run_bench(tmp_path, 1)
    again = json.loads(part.read_text())["seeds"][0]
    assert ckpt.stat().st_mtime_ns == trained_at  # not retrained (a finished run cannot be resumed)
    assert {k: again[k] for k in ("modes_hit", "high_quality", "mode_kl")} == \
        {k: recorded["seeds"][0][k] for k in ("modes_hit", "high_quality", "mode_kl")}


def test_g_steps_are_one_value_or_one_per_layout():
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "mixtures.py"), "--layouts", "grid25", "ring8",
                           "--g-steps", "10", "20", "30"], capture_output=True, text=True)
    assert proc.returncode == 2 and "--g-steps takes one value or one per layout (2), got 3" in proc.stderr
