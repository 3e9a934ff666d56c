"""Smoke test of ``benchmarks/unrolled_ring.py``: a quick run records the curves that
``run_mixture`` gives for the same run with the same options, and its figure is drawn."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from minigan.gan.experiment import run_mixture

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "unrolled_ring.py"


def test_a_quick_run_records_the_curves_of_run_mixture_and_its_samples(tmp_path):
    command = [sys.executable, str(SCRIPT), "--quick", "--settings", "adam:saturating",
               "--jobs", "1", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert (tmp_path / "unrolled_ring.png").stat().st_size > 0
    (record,) = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    expected = run_mixture("ring", "unrolled", seed=1, preset="published", steps=40,
                           eval_every=20, progress=False, optimizer="adam", loss="saturating")
    assert record["curves"]["step"] == [0, 20, 40]
    for measure in ("modes_captured", "high_quality"):
        assert record["curves"][measure] == list(expected.curves[measure])
    assert len(record["samples"]) == 2500 and len(record["samples"][0]) == 2


@pytest.mark.parametrize("setting", ["rmsprop:saturating", "adam", "sgd:minimax"])
def test_a_setting_must_be_optimizer_and_loss(setting):
    done = subprocess.run([sys.executable, str(SCRIPT), "--settings", setting], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and f"{setting!r} is not optimizer:loss" in done.stderr


def test_seeds_cannot_be_negative():
    done = subprocess.run([sys.executable, str(SCRIPT), "--first-seed", "-1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--first-seed: must be >= 0, got -1" in done.stderr
