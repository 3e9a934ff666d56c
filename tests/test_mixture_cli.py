"""``python -m minigan mixture``: a quick run writes its figures, animation, metrics and
checkpoint; an interrupted run resumes to the uninterrupted one; SIGTERM leaves a whole
checkpoint; bad arguments stop with a message that names them."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from states import assert_identical

import minigan
from minigan.cli import train_mixture as mixture
from minigan.gan import Trainer

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd):
    # One BLAS thread: these matrices are tiny, and on a busy machine threads only contend.
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "minigan", "mixture", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_quick_run_writes_figures_animation_and_metrics(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    image = pytest.importorskip("PIL.Image")
    out = tmp_path / "run"
    result = run_cli("--dataset", "grid", "--method", "pacgan2", "--seed", "3", "--quick",
                     "--steps", "20", "--eval_every", "5", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert sorted(p.name for p in out.iterdir()) == sorted(mixture.FILES)
    for name in mixture.FILES:
        assert f"[wrote] {out / name}" in result.stdout
    for name in ("samples.png", "training.png", "metrics.png"):
        pixels = plt.imread(out / name)[..., :3]
        assert min(pixels.shape[:2]) > 200
        assert (pixels < 0.9).any(axis=-1).mean() > 0.02 and pixels.std() > 0.05
    with image.open(out / "training.gif") as gif:
        assert gif.n_frames == 5  # steps 0, 5, 10, 15, 20

    record = json.loads((out / "metrics.json").read_text())
    assert (record["dataset"], record["method"], record["seed"], record["steps"]) == \
        ("grid", "pacgan2", 3, 20)
    assert record["method_options"] == {"pack": 2}
    assert record["curves"]["step"] == [0, 5, 10, 15, 20]
    final = record["final"]
    assert final["num_modes"] == 25 and final["num_samples"] == 2500
    assert final["modes_captured"] == record["curves"]["modes_captured"][-1]
    assert final["modes_captured"] == np.count_nonzero(final["counts"])
    assert final["high_quality"] == pytest.approx(sum(final["counts"]) / 2500)
    assert record["seconds"] > 0


@pytest.mark.parametrize("args, message", [
    (["--dataset", "spiral"], "argument --dataset: invalid choice: 'spiral'"),
    (["--method", "gann"], "argument --method: invalid choice: 'gann'"),
    (["--preset", "fast"], "argument --preset: invalid choice: 'fast'"),
    (["--steps", "0"], "argument --steps: expected a whole number >= 1, got 0"),
    (["--steps", "ten"], "argument --steps: expected a whole number >= 1, got 'ten'"),
    (["--eval_every", "-5"], "argument --eval_every: expected a whole number >= 1, got -5"),
    (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
    (["--option", "clip"], "argument --option: expected NAME=VALUE, got 'clip'"),
    (["--method", "wgan", "--option", "clip=big"], "the value of clip must be a number"),
    (["--method", "wgan", "--option", "pack=2"], "unknown option(s) pack for 'wgan'"),
    (["--method", "wgan", "--option", "clip=-1"], "clip must be a number > 0"),
    (["--device", "tpu"], "argument --device: device must be 'cpu', 'cuda' or 'cuda:0'"),
    ([], "the following arguments are required: --out"),
])
def test_bad_arguments_are_named(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        mixture.parse_args(args + (["--out", "somewhere"] if args else []))
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_out_must_be_a_folder(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit):
        mixture.parse_args(["--out", str(tmp_path / "file")])
    assert "exists and is not a folder" in capsys.readouterr().err


def test_a_bad_argument_in_a_subprocess_fails_before_training(tmp_path):
    result = run_cli("--method", "nope", "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice: 'nope'" in result.stderr
    assert not (tmp_path / "x").exists()


def test_defaults_follow_the_preset_and_quick():
    args = mixture.parse_args(["--out", "o"])
    assert (args.dataset, args.method, args.seed, args.preset) == ("ring", "gan", 0,
                                                                  "classroom")
    preset = mixture.get_preset("classroom")
    assert (args.steps, args.eval_every) == (preset.steps, preset.eval_every)
    quick = mixture.parse_args(["--out", "o", "--quick", "--option", "steps=3",
                                "--method", "unrolled"])
    assert quick.steps == mixture.QUICK_STEPS and quick.options == {"steps": 3}
    assert quick.steps // quick.eval_every == mixture.QUICK_EVALUATIONS


def test_snapshots_are_at_most_max_frames_and_include_both_ends():
    frames = mixture._frame_steps(400_000, 1000)
    assert len(frames) <= mixture.MAX_FRAMES + 1 and {0, 400_000} <= frames
    assert mixture._frame_steps(50, 20) == {0, 20, 40, 50}


# -- checkpoints and resume -------------------------------------------------------------------
def test_resume_after_an_interruption_gives_the_uninterrupted_run(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    flags = ["--quick", "--method", "pacgan2", "--steps", "30", "--eval_every", "10",
             "--checkpoint-every", "7", "--no_progress"]
    mixture.main([*flags, "--out", str(tmp_path / "straight")])

    save = Trainer.save_checkpoint

    def save_then_stop(trainer, path):  # Ctrl-C right after the checkpoint of step 14
        save(trainer, path)
        if trainer.step == 14:
            raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "save_checkpoint", save_then_stop)
    with pytest.raises(SystemExit) as exit_info:
        mixture.main([*flags, "--out", str(tmp_path / "split")])
    assert exit_info.value.code == 130
    assert minigan.load(tmp_path / "split" / mixture.CHECKPOINT)["step"] == 14
    monkeypatch.setattr(Trainer, "save_checkpoint", save)
    mixture.main([*flags, "--out", str(tmp_path / "split"), "--resume"])

    straight, split = (minigan.load(tmp_path / run / mixture.CHECKPOINT)
                       for run in ("straight", "split"))
    assert straight["step"] == 30 and len(straight["attached"]["callback"]["taken"]) == 4
    assert_identical(straight, split)  # players, optimizers, history, curves, snapshots
    metrics = [json.loads((tmp_path / run / "metrics.json").read_text())
               for run in ("straight", "split")]
    for record in metrics:
        record.pop("seconds")
    assert metrics[0] == metrics[1] and metrics[0]["curves"]["step"] == [0, 10, 20, 30]


def test_sigterm_mid_run_leaves_a_whole_checkpoint_and_no_temporary_file(tmp_path):
    out = tmp_path / "run"
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    # A checkpoint after every step: much of the run's time is spent saving.
    process = subprocess.Popen(
        [sys.executable, "-m", "minigan", "mixture", "--steps", "100000", "--eval_every", "100000",
         "--checkpoint-every", "1", "--no_progress", "--out", str(out)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / mixture.CHECKPOINT).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err[-2000:]
    assert "interrupted; the last checkpoint is" in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == [mixture.CHECKPOINT]
    assert minigan.load(out / mixture.CHECKPOINT)["step"] >= 1
