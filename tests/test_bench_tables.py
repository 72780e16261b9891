"""bench/tables.py prints every results table from the committed JSON, one row per saved part."""
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def test_every_saved_part_has_its_row_with_its_command_and_json(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["tables.py"])
    monkeypatch.setattr(sys, "path", list(sys.path))
    runpy.run_path(str(ROOT / "bench" / "tables.py"), run_name="__main__")
    out = capsys.readouterr().out
    parts = sorted((RESULTS / "quality").glob("*.json")) + sorted((RESULTS / "mixtures").glob("*.json"))
    assert parts, "no saved parts to print"
    for part in parts:
        row = next(line for line in out.splitlines() if f"]({'../' + str(part.relative_to(ROOT))})" in line)
        assert "`--" in row  # the bench arguments that made the row
    for name in ("parzen_table", "overhead", "peers", "scaling", "precision"):
        if (RESULTS / f"{name}.json").is_file():
            assert f"bench/results/{name}.json)" in out
