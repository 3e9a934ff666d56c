"""``benchmarks/parzen_mnist.py``: the pixels it scores, a smoke run with ``--quick`` on a
checkpoint of a tiny DCGAN run (with an average of G), and its errors on wrong input."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from minigan import data
from minigan.gan import evaluation as ev
from minigan.gan.dcgan_training import DCGANRun
from minigan.serialization import save

PARZEN = Path(__file__).resolve().parents[1] / "benchmarks" / "parzen_mnist.py"


@pytest.fixture
def parzen(monkeypatch):
    monkeypatch.syspath_prepend(str(PARZEN.parent))
    import parzen_mnist

    return parzen_mnist


def test_the_generator_s_pixels_are_the_digits_pixels_exactly(parzen):
    # The DCGAN sees a digit as images_to_tensor makes it (32 x 32 in [-1, 1], padded with -1);
    # cropping and rescaling gives back the digit / 255 that the protocol scores.
    digits = data.offline_digits("test").subset(slice(0, 50))
    as_trained = data.images_to_tensor(digits.images, 32, dtype=np.float64)
    np.testing.assert_allclose(ev.unit_pixels(as_trained), parzen.unit_digits(digits),
                               rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="28 x 28 digits; these are 16 x 16"):
        parzen.unit_digits(data.shrink(digits, 16))


def test_quick_run_scores_every_model_beside_the_published_rows(parzen, tmp_path, capsys):
    checkpoint = tmp_path / "checkpoint.npz"
    DCGANRun(quick=True, ngf=8, ndf=8, ema=0.9, seed=1).train(1, checkpoint, progress=False)
    out, figure = tmp_path / "parzen", tmp_path / "figure.png"
    assert parzen.main(["--checkpoint", str(checkpoint), "--quick", "--out", str(out),
                        "--figure", str(figure), "--kmeans_iterations", "1"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"Adversarial nets \(published\) +225\.0 \+- 2\n", printed)
    report = json.loads((out / "parzen.json").read_text())
    assert (report["samples"], report["validation"], report["test"]) == (200, 200, 200)
    names = ["minigan's G", "G's average (EMA 0.9)", "real training digits",
             "k-means centroids"]
    assert list(report["estimates"]) == names
    for name in names:
        estimate = report["estimates"][name]
        np.testing.assert_allclose(estimate["sigmas"], ev.GOODFELLOW_SIGMAS)
        assert estimate["sigma"] == estimate["sigmas"][int(np.argmax(estimate["validation"]))]
        assert np.isfinite(estimate["mean"]) and estimate["sem"] > 0
        assert f"{name:28s} {estimate['mean']:8.1f}" in printed
    # a tiny G after 4 steps is far worse than the real digits it will learn from
    assert report["estimates"]["minigan's G"]["mean"] < report["estimates"][
        "real training digits"]["mean"]
    assert report["published"]["Adversarial nets"] == {"mean": 225, "sem": 2}
    plt = pytest.importorskip("matplotlib.pyplot")
    image = plt.imread(figure)[..., :3]
    assert min(image.shape[:2]) > 400 and (image < 0.9).any(axis=-1).mean() > 0.01


def test_wrong_inputs_are_named(parzen, tmp_path, capsys):
    not_a_run = tmp_path / "other.npz"
    save({"weights": np.zeros(3)}, not_a_run)
    with pytest.raises(ValueError, match="not a checkpoint of python -m minigan dcgan"):
        parzen.main(["--checkpoint", str(not_a_run), "--quick", "--out", str(tmp_path)])
    settings = {"data": None, "image_size": 32, "batch_size": 64, "nz": 100, "ngf": 8,
                "ndf": 8, "lr": 2e-4, "beta1": 0.5, "seed": 0, "conditional": False,
                "quick": True, "ema": None}
    for changed, error, message in [
            ({"image_size": 16}, ValueError, "draws 16 x 16 images; .* --image_size 32"),
            ({"data": str(tmp_path / "gone")}, FileNotFoundError,
             "trained on the MNIST folder .*gone', which is not here")]:
        run = tmp_path / "run.npz"
        save({"step": 0, "attached": {"run": {"settings": {**settings, **changed}}}}, run)
        with pytest.raises(error, match=message):
            parzen.load_run(run)
    for argv, message in [
            (["--checkpoint", str(tmp_path / "missing.npz")], "--checkpoint: no file"),
            (["--checkpoint", str(not_a_run), "--data", str(tmp_path / "nowhere")],
             "--data: no folder"),
            (["--checkpoint", str(not_a_run), "--sigma_grid", "0", "-1", "10"],
             "--sigma_grid: expected START <= END")]:
        with pytest.raises(SystemExit):
            parzen.parse_args(argv)
        assert message in capsys.readouterr().err
