"""Smoke test of ``benchmarks/published_length.py``: a quick set runs, its curves are the ones
``run_mixture`` gives for the same run, and a second call resumes without running again."""

import json
import subprocess
import sys
from pathlib import Path

from minigan.gan.experiment import run_mixture

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "published_length.py"


def test_quick_length_runs_record_the_curves_of_run_mixture_and_resume(tmp_path):
    command = [sys.executable, str(SCRIPT), "--quick", "--methods", "gan", "--datasets", "ring",
               "--seeds", "1", "--steps", "40", "--every", "20", "--jobs", "1",
               "--out", str(tmp_path)]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-4000:]
    assert (tmp_path / "length.png").stat().st_size > 0
    (record,) = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    expected = run_mixture("ring", "gan", seed=0, preset="published", steps=40, eval_every=20,
                           progress=False).curves
    assert record["curves"]["step"] == [0, 20, 40]
    for measure in ("modes_captured", "high_quality"):
        assert record["curves"][measure] == list(expected[measure])
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "0 runs to do (1 already in" in again.stdout
