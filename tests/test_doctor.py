"""The GAN doctor: each condition detected on a synthetic record or a tiny run, no alarm on a
healthy-looking record, the probes' statistics, the report, the files, the dashboard, both
command lines and the errors for bad input. (Detection rates over 10 seeds of real runs:
``benchmarks/doctor_detection.py``.)"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan import nn
from minigan.data import ring
from minigan.gan import MEASURES, TrainingDivergedError
from minigan.gan import doctor as gd
from minigan.gan.doctor import Doctor, ImageProbe, MixtureProbe, SampleReference, checks
from minigan.gan.experiment import run_mixture
from minigan.gan.presets import get_preset

ROOT = Path(__file__).resolve().parents[1]
TINY = get_preset("classroom", g_hidden=(8,), d_hidden=(8,), batch_size=12, steps=40,
                  eval_every=10)
HEALTHY = {"d_loss": 1.38, "g_loss": 0.7, "d_real": 0.52, "d_fake": 0.48, "d_grad_norm": 0.3,
           "g_grad_norm": 0.1}
"""One step of a healthy classroom PacGAN run, in round numbers."""


def feed(doctor, steps, G=None, start=1, **changes):
    """Give ``doctor`` the records of ``steps`` steps: HEALTHY with ``changes``, each a number
    or a function of the step, plus a little noise (so that medians have work to do)."""
    rng = np.random.default_rng(0)
    for step in range(start, start + steps):
        record = {}
        for name in MEASURES:
            value = changes.get(name, HEALTHY[name])
            value = value(step) if callable(value) else value
            record[name] = value * (1 + 0.02 * rng.standard_normal())
        doctor.update(step, record, G)


def scripted_probe(**values):
    """A probe that returns ``values`` (numbers or functions of the call number 0, 1...)."""
    calls = []

    def probe(G):
        calls.append(G)
        n = len(calls) - 1
        return {k: (v(n) if callable(v) else v) for k, v in values.items()}
    return probe


NEAR_AND_VARIED = {"diversity": 1.0, "distance": 0.1}


def found(doctor):
    return sorted({d.condition for d in doctor.diagnoses})


# -- a healthy record raises no alarm ----------------------------------------------------------
def test_a_healthy_record_raises_no_alarm():
    doctor = Doctor(scripted_probe(**NEAR_AND_VARIED, modes_captured=8, num_modes=8,
                                   high_quality=0.6), probe_every=200)
    feed(doctor, 3000, G="G")
    assert doctor.diagnoses == [] and doctor.status() == "ok"
    assert len(doctor.windows["step"]) == 30 and doctor.probes["step"][-1] == 3000
    assert doctor.report().startswith("GAN doctor: nothing found (3,000 steps")
    assert doctor.g0 == pytest.approx(0.3, rel=0.1)
    # a first gradient of 0 (dead units) is no scale: g0 waits for the first nonzero one
    late = Doctor()
    feed(late, 300, d_grad_norm=lambda s: 0.0 if s <= 3 else 0.3)
    assert late.g0 == pytest.approx(0.3, rel=0.1) and late.diagnoses == []


# -- one test per condition ---------------------------------------------------------------------
def test_vanishing_gradient_needs_a_dominant_d_and_a_tiny_generator_gradient():
    saturating = Doctor()
    feed(saturating, 1000, d_real=0.999, d_fake=0.001,
         g_grad_norm=lambda s: 0.3 if s <= 10 else 1e-4)
    assert found(saturating) == ["vanishing_gradient"]
    (diagnosis,) = saturating.diagnoses
    assert (diagnosis.first_step, diagnosis.last_step) == (1, 1000)
    assert "D(G(z)) 0.000" in diagnosis.evidence and "non-saturating" in diagnosis.remedy
    assert saturating.status() == "vanishing G gradient"
    # the same dominant D with a large G gradient (the non-saturating loss): no alarm
    non_saturating = Doctor()
    feed(non_saturating, 1000, d_real=0.999, d_fake=0.001, g_grad_norm=10.0)
    assert found(non_saturating) == []


def test_a_non_finite_value_stops_training_and_names_the_step():
    doctor = Doctor()
    feed(doctor, 36)
    with pytest.raises(TrainingDivergedError, match="stopped training at step 37: divergence"):
        feed(doctor, 1, start=37, g_loss=math.nan)
    assert found(doctor) == ["divergence"] and doctor.diagnoses[0].first_step == 37
    assert "g_loss" in doctor.diagnoses[0].evidence and doctor.status() == "DIVERGED"


def test_grown_losses_stop_training_once_the_median_passes_the_threshold():
    doctor = Doctor()
    feed(doctor, 49)
    with pytest.raises(TrainingDivergedError) as error:
        feed(doctor, 20, start=50, d_loss=1e5)
    # steps 50-54 grown: half of the last 10, whose median passes 1e4 x D's loss at step 1
    (diagnosis,) = doctor.diagnoses
    assert diagnosis.first_step == 54 and doctor.status() == "DIVERGED"
    message = str(error.value)
    assert message.startswith("the GAN doctor stopped training at step 54: divergence: the "
                              "discriminator's loss grew to a median of")
    assert "its value at step 1, 1.38)" in message and "lower the learning rates" in message
    # windows shorter than the 10 steps of the test do not hide it
    short = Doctor(window=2)
    with pytest.raises(TrainingDivergedError, match="generator's loss grew"):
        feed(short, 100, g_loss=lambda s: 1e5 if s > 50 else 0.7)
    # one spike is not divergence; without stop_on_divergence the run goes on
    calm = Doctor()
    feed(calm, 100, d_loss=lambda s: 1e9 if s == 50 else 1.38)
    assert found(calm) == []
    watcher = Doctor(stop_on_divergence=False)
    feed(watcher, 100, g_loss=lambda s: 1e5 if s > 50 else 0.7)
    assert found(watcher) == ["divergence"] and watcher.diagnoses[0].last_step == 100
    # a doctor that joins a run late takes the first record it sees as the losses' scale
    late = Doctor()
    feed(late, 10, start=500, d_loss=2.0)
    with pytest.raises(TrainingDivergedError, match=r"its value at step 500, 2\.0\d*\)"):
        feed(late, 10, start=510, d_loss=1e5)


def test_a_gradient_that_grows_ten_thousand_fold_with_bounded_losses_is_no_divergence():
    # PacGAN's players (preset "paper") raise G's gradient norm to a plateau near 1e4 g0 in a
    # healthy run; the doctor's former test (1e3 x g0) stopped it as diverged
    doctor = Doctor()
    feed(doctor, 3000, g_grad_norm=lambda s: min(0.04 * 10 ** (s / 300), 1e4 * 0.3))
    assert doctor.g0 == pytest.approx(0.3, rel=0.1)
    assert doctor.windows["g_grad_norm"][-1] == pytest.approx(3e3, rel=0.1)
    assert doctor.diagnoses == [] and doctor.status() == "ok"


def test_mode_collapse_is_samples_near_the_data_and_alike():
    alike = Doctor(scripted_probe(diversity=0.1, distance=0.1), probe_every=100)
    feed(alike, 1000, G="G")
    assert found(alike) == ["mode_collapse"]
    assert (alike.diagnoses[0].first_step, alike.diagnoses[0].last_step) == (100, 1000)
    assert "diversity 0.10" in alike.diagnoses[0].evidence
    # on a mixture: varied samples on a quarter of the modes
    few_modes = Doctor(scripted_probe(**NEAR_AND_VARIED, modes_captured=2, num_modes=8,
                                      high_quality=0.1), probe_every=100)
    feed(few_modes, 1000, G="G")
    assert found(few_modes) == ["mode_collapse"]
    assert "2 of 8 modes" in few_modes.diagnoses[0].evidence
    # with a judge: most samples in one class
    one_class = Doctor(scripted_probe(**NEAR_AND_VARIED, classes_present=3, class_kl=1.9),
                       probe_every=100)
    feed(one_class, 1000, G="G")
    assert found(one_class) == ["mode_collapse"]
    # far from the data, alike samples mean that G has not learned yet
    unlearned = Doctor(scripted_probe(diversity=0.1, distance=1.5), probe_every=100)
    feed(unlearned, 1000, G="G", d_real=0.8, d_fake=0.2)
    assert found(unlearned) == []


def test_a_collapse_that_ends_closes_its_diagnosis():
    doctor = Doctor(scripted_probe(diversity=lambda n: 0.1 if n < 5 else 1.0, distance=0.1),
                    probe_every=100)
    feed(doctor, 1500, G="G")
    (diagnosis,) = doctor.diagnoses
    assert diagnosis.last_step < 1500 and doctor.status() == "ok"


def test_oscillation_is_swinging_not_a_trend():
    swinging = Doctor()
    feed(swinging, 2000, d_fake=lambda s: 0.35 + 0.25 * math.sin(2 * math.pi * s / 400),
         d_real=lambda s: 0.65 - 0.2 * math.sin(2 * math.pi * s / 400))
    assert found(swinging) == ["oscillation"]
    assert swinging.diagnoses[0].first_step == 1 and "swings between" in \
        swinging.diagnoses[0].evidence
    trend = Doctor()
    feed(trend, 2000, d_fake=lambda s: 0.9 - 0.8 * s / 2000)
    assert found(trend) == []


def test_a_weak_discriminator_is_no_margin_far_from_the_data_and_no_progress():
    stuck = Doctor(scripted_probe(diversity=3.0, distance=2.0), probe_every=100)
    feed(stuck, 1000, G="G", d_real=0.5, d_fake=0.5)
    assert found(stuck) == ["weak_discriminator"] and stuck.status() == "weak D"
    # the same D, but G gets closer at every probe: it is learning
    learning = Doctor(scripted_probe(diversity=1.0, distance=lambda n: 2.0 * 0.8 ** n),
                      probe_every=100)
    feed(learning, 1000, G="G", d_real=0.5, d_fake=0.5)
    assert found(learning) == []
    # a D that still tells real from fake
    sharp = Doctor(scripted_probe(diversity=3.0, distance=2.0), probe_every=100)
    feed(sharp, 1000, G="G", d_real=0.8, d_fake=0.2)
    assert found(sharp) == []


# -- each check on its own: evidence on either side of its thresholds -------------------------
# The numbers sit at the documented thresholds (or a hair beside them), so that a changed value
# or a flipped comparison fails here; the Doctor's tests above check how it feeds the checks.
def records(n, **changes):
    """``n`` records of HEALTHY with ``changes``, each a number or a list of n numbers."""
    return [{m: float(np.broadcast_to(changes.get(m, HEALTHY[m]), n)[i]) for m in MEASURES}
            for i in range(n)]


def test_the_divergence_check_needs_a_non_finite_value_or_a_median_loss_1e4_its_start():
    first = {"step": 1, **HEALTHY, "d_loss": 2.0, "g_loss": -3.0}  # the losses' scale
    # a non-finite value is enough at once, on the first record
    assert checks.divergence(records(1, g_loss=math.nan), first, 5) == \
        "g_loss became nan at step 5"
    # the median |loss| of the last 10 steps above 1e4 x max(1, |its first value|): divergence
    evidence = checks.divergence(records(10, d_loss=2.0001e4), first, 10)
    assert evidence == ("the discriminator's loss grew to a median of 2e+04 over the last 10 "
                        "steps, 1e+04 times max(1, its value at step 1, 2) (threshold 10000 "
                        "times), at step 10")
    assert checks.divergence(records(10, d_loss=2e4), first, 10) is None
    assert checks.divergence(records(10, g_loss=-3.0001e4), first, 10).startswith(
        "the generator's loss grew")  # |loss|: a critic's loss may be negative
    assert checks.divergence(records(10, g_loss=-3e4), first, 10) is None
    small = {**first, "d_loss": 0.5, "step": 400}  # a scale of at least 1
    assert "its value at step 400, 0.5)" in checks.divergence(records(10, d_loss=1.0001e4),
                                                              small, 410)
    assert checks.divergence(records(10, d_loss=1e4), small, 410) is None
    # a median: 5 grown steps of 10 are enough, 4 are not; only the last 10 steps count
    assert checks.divergence(records(10, d_loss=[1e5] * 5 + [1.0] * 5), first, 10)
    assert checks.divergence(records(10, d_loss=[1e5] * 4 + [1.0] * 6), first, 10) is None
    assert checks.divergence(records(11, d_loss=[1e5] * 5 + [1.0] * 6), first, 11) is None
    # fewer records: the median of those there are, as in the Trainer's test
    assert checks.divergence(records(2, d_loss=[2.0, 1e5]), first, 2)
    assert checks.divergence(records(3, d_loss=[2.0, 2.0, 1e5]), first, 3) is None
    # huge gradient norms alone are no divergence
    assert checks.divergence(records(10, d_grad_norm=1e9, g_grad_norm=1e9), first, 10) is None


def test_the_vanishing_gradient_check_needs_d_at_095_and_g_gradient_at_001_g0():
    medians = {**HEALTHY, "d_real": 0.95, "d_fake": 1 - 0.95, "g_grad_norm": 0.01}
    evidence = checks.vanishing_gradient(medians, 1.0, 101, 200)
    assert evidence.startswith("D(x) 0.950 and D(G(z)) 0.05 (thresholds 0.95 and 0.05)")
    assert evidence.endswith("medians of steps 101-200")
    assert checks.vanishing_gradient({**medians, "g_grad_norm": 0.02}, 2.0, 1, 100)  # g0 units
    for change in ({"d_real": 0.94}, {"d_fake": 0.06}, {"g_grad_norm": 0.0101}):
        assert checks.vanishing_gradient({**medians, **change}, 1.0, 101, 200) is None, change
    assert checks.vanishing_gradient(medians, None, 101, 200) is None  # no scale yet


def test_the_mode_collapse_check_needs_near_samples_that_are_alike():
    def probes(**changes):  # the last 3 probes
        return {"diversity": [0.1, 0.5, 0.9], "distance": [0.49] * 3, **changes}
    # diversity's median at 0.5, near the data (distance < 0.5): collapse
    evidence = checks.mode_collapse(probes(), 100, 300)
    assert evidence == ("samples near the data (distance 0.49 < 0.5): diversity 0.50 of the "
                        "data's (threshold 0.5); medians of the probes at steps 100-300")
    assert checks.mode_collapse(probes(diversity=[0.1, 0.51, 0.9]), 100, 300) is None
    assert checks.mode_collapse(probes(distance=[0.5] * 3), 100, 300) is None  # far: unlearned
    # varied samples on a quarter of the modes (2 of 8 by the median), not on 3 of 8
    mixture = probes(diversity=[1.0] * 3, num_modes=[8] * 3, high_quality=[0.5] * 3)
    assert "2 of 8 modes captured (threshold 2)" in \
        checks.mode_collapse({**mixture, "modes_captured": [2, 2, 8]}, 100, 300)
    assert checks.mode_collapse({**mixture, "modes_captured": [3, 3, 0]}, 100, 300) is None
    grid = {**mixture, "num_modes": [25] * 3}  # a quarter of 25 modes: 6 captured, not 7
    assert checks.mode_collapse({**grid, "modes_captured": [6] * 3}, 100, 300)
    assert checks.mode_collapse({**grid, "modes_captured": [7] * 3}, 100, 300) is None
    # with a judge: a class histogram at KL >= log 2 from uniform
    judged = probes(diversity=[1.0] * 3, classes_present=[5] * 3)
    assert "KL of the class histogram to uniform 0.69 (threshold 0.69)" in \
        checks.mode_collapse({**judged, "class_kl": [math.log(2)] * 3}, 100, 300)
    assert checks.mode_collapse({**judged, "class_kl": [0.69] * 3}, 100, 300) is None


def test_the_oscillation_check_needs_a_swing_of_01_that_crosses_its_mean_4_times():
    flat = [0.5] * 10
    evidence = checks.oscillation(flat, [0.39, 0.61] * 5, 1, 1000)  # std 0.11, 9 crossings
    assert evidence == ("D(G(z)) swings between 0.39 and 0.61 (std 0.11 of the window medians, "
                        "threshold 0.1) and crosses its mean 9 times (threshold 4) in steps "
                        "1-1,000")
    assert checks.oscillation([0.39, 0.61] * 5, flat, 1, 1000).startswith("D(x) swings")
    assert checks.oscillation(flat, [0.41, 0.59] * 5, 1, 1000) is None  # std 0.09
    assert "(std 0.10 of" in checks.oscillation(flat, [0.3, 0.5] * 5, 1, 1000)  # 0.1 exactly
    # two full periods cross the mean 4 times; a period and a half, 3 times
    assert checks.oscillation(flat, [0.2, 0.2, 0.8, 0.8] * 2 + [0.2, 0.2], 1, 1000)
    assert checks.oscillation(flat, [0.2, 0.2] + [0.8] * 3 + [0.2] * 3 + [0.8] * 2, 1, 1000) \
        is None
    # a trend, however large, crosses its mean once
    assert checks.oscillation(flat, list(np.linspace(0.9, 0.1, 10)), 1, 1000) is None


def test_the_weak_discriminator_check_needs_no_margin_far_samples_and_no_progress():
    def probes(**changes):  # the last 3 probes
        return {"diversity": [1.0] * 3, "d_margin": [0.9, 0.05, -0.2], "distance": [0.5] * 3,
                **changes}
    # a median margin of 0.05, at distance 0.5 that did not fall: a weak D
    evidence = checks.weak_discriminator(probes(), 100, 300)
    assert evidence.startswith("D(x) - D(G(z)) is 0.050 (threshold 0.05) while the samples are "
                               "far from the data (distance 0.50 >= 0.5;")
    assert "from 0.50 to 0.50 over the probes at steps 100-300" in evidence
    assert checks.weak_discriminator(probes(d_margin=[0.051] * 3), 100, 300) is None
    assert checks.weak_discriminator(probes(distance=[0.49] * 3), 100, 300) is None  # near
    # G getting closer by a quarter or more is learning; by less, it is not
    assert checks.weak_discriminator(probes(distance=[1.0, 0.9, 0.76]), 100, 300)
    assert checks.weak_discriminator(probes(distance=[1.0, 0.9, 0.75]), 100, 300) is None


def test_the_doctor_feeds_the_last_3_probes_and_the_last_10_windows_to_the_checks():
    collapsed = Doctor(scripted_probe(diversity=0.1, distance=0.1), probe_every=100)
    feed(collapsed, 299, G="G")
    assert collapsed.diagnoses == []  # 2 probes: too few
    feed(collapsed, 701, G="G", start=300)
    assert collapsed.diagnoses[0].evidence.endswith("medians of the probes at steps 800-1,000")
    swinging, d_fake = Doctor(), lambda s: 0.2 if (s - 1) // 100 % 2 else 0.6  # per window
    feed(swinging, 999, d_fake=d_fake)
    assert swinging.diagnoses == []  # 9 windows: too few
    feed(swinging, 1001, start=1000, d_fake=d_fake)
    (diagnosis,) = swinging.diagnoses
    assert diagnosis.first_step == 1 and diagnosis.evidence.endswith("in steps 1,001-2,000")


def test_every_name_of_the_doctor_stays_importable():
    from minigan import gan

    for name in ("Doctor", "Diagnosis", "MixtureProbe", "ImageProbe"):
        assert getattr(gan, name) is getattr(gd, name)
    for name in ("SampleReference", "Condition", "CONDITIONS", "RECENT", "DOMINANT",
                 "VANISHING", "FAR", "LOW_DIVERSITY", "FEW_MODES", "UNEVEN_CLASSES", "SPAN",
                 "SWING", "SWING_WINDOWS", "CROSSINGS", "NO_MARGIN", "PROGRESS"):
        assert hasattr(gd, name) and name in gd.__all__, name
    assert not hasattr(gd, "EXPLODING")  # gradient norms are not tested for growth
    assert sorted(gd.__all__) == sorted(set(gd.__all__))


# -- tiny runs ----------------------------------------------------------------------------------
def test_a_tiny_run_feeds_the_doctor_every_step_and_probes_g():
    doctor = Doctor(MixtureProbe(ring(), n=200), probe_every=10, window=10)
    result = run_mixture("ring", "gan", seed=0, preset=TINY, progress=False, doctor=doctor)
    assert doctor.steps == 40 and doctor.windows["step"] == [10, 20, 30, 40]
    assert doctor.g0 == result.history["d_grad_norm"][0]
    assert doctor.windows["d_loss"][0] == pytest.approx(np.median(result.history["d_loss"][:10]))
    assert doctor.probes["step"] == [10, 20, 30, 40]
    assert set(doctor.probes) == {"step", "diversity", "distance", "modes_captured",
                                  "num_modes", "high_quality", "d_margin"}


def test_a_huge_learning_rate_is_stopped_and_named_divergence_in_a_tiny_run():
    # The Trainer's check and the doctor's are one test (losses 1e4 times their start); the
    # Trainer's runs first, so that its error (with the advice) is the one raised, and tells
    # the doctor, with the step's record, whose report names the divergence all the same.
    preset = get_preset(TINY, g_lr=10.0, d_lr=10.0)
    doctor = Doctor()
    with pytest.raises(TrainingDivergedError, match="^training diverged at step") as error:
        run_mixture("ring", "pacgan2", seed=0, preset=preset, progress=False, doctor=doctor)
    assert found(doctor) == ["divergence"] and doctor.diagnoses[0].first_step == error.value.step
    assert doctor.diagnoses[0].evidence == error.value.evidence and "times" in error.value.evidence
    assert doctor.steps == doctor.last_step == error.value.step  # it saw the step that diverged


# -- the probes ---------------------------------------------------------------------------------
class Constant(nn.Module):
    """A 'generator' whose samples are ``points`` cycled over the batch (a stand-in for G)."""

    def __init__(self, points):
        super().__init__()
        self.noise_dim = 2
        self.weight = nn.Parameter(minigan.zeros(1))
        self.points = np.asarray(points, dtype=np.float32)

    def forward(self, z):
        return minigan.tensor(self.points[np.arange(z.shape[0]) % len(self.points)])


def test_the_mixture_probe_tells_collapsed_from_spread_samples():
    mixture = ring()
    probe = MixtureProbe(mixture, n=800)
    spread = probe(Constant(mixture.sample(800, generator=minigan.Generator(5)).numpy()))
    assert spread["diversity"] == pytest.approx(1.0, abs=0.1)
    assert abs(spread["distance"]) < 0.01 and spread["modes_captured"] == 8
    one_mode = probe(Constant(mixture.means[:1]))
    assert one_mode["diversity"] < 1e-6 and abs(one_mode["distance"]) < 0.01
    assert one_mode["modes_captured"] == 1 and one_mode["high_quality"] == 1.0
    centre = probe(Constant([[0.0, 0.0]]))  # one point in the middle of the ring
    assert 0.5 < centre["distance"] < 1.5 and centre["modes_captured"] == 0


def test_sample_reference_statistics_by_hand():
    reference = SampleReference(np.array([[0.0], [1.0], [3.0]]))
    assert reference.mpd == pytest.approx((1 + 3 + 2) / 3)
    assert reference.nearest == 1.0  # nearest others: 1, 1, 2
    values = reference.compare(np.array([[0.0], [0.0], [3.0], [3.0]]))
    # pairwise |.|: 0, 3, 3, 3, 3, 0 -> mean 2; nearest real: 0 for all
    assert values["diversity"] == pytest.approx(2 / 2)
    assert values["distance"] == pytest.approx((0 - 1) / (2 - 1))


def test_the_image_probe_with_a_judge_counts_classes():
    real = np.random.default_rng(0).uniform(-1, 1, size=(20, 1, 4, 4)).astype(np.float32)

    class Copies(nn.Module):  # draws the first real image, whatever z
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(minigan.zeros(1))

        def forward(self, z, labels=None):
            return minigan.tensor(np.repeat(real[:1], z.shape[0], axis=0))

    class Judge(nn.Module):  # calls every image class 3
        def forward(self, x):
            logits = np.zeros((x.shape[0], 10), dtype=np.float32)
            logits[:, 3] = 1
            return minigan.tensor(logits)

    values = ImageProbe(real, minigan.zeros(8, 5), classifier=Judge())(Copies())
    assert values["diversity"] < 1e-6 and values["distance"] < 0
    assert values["classes_present"] == 1 and values["class_kl"] == pytest.approx(math.log(10))


# -- what it says and writes --------------------------------------------------------------------
def collapsed_doctor():
    doctor = Doctor(scripted_probe(diversity=0.1, distance=0.1), probe_every=100)
    feed(doctor, 600, G="G")
    return doctor


def test_the_report_names_steps_evidence_remedy_and_tutorial():
    report = collapsed_doctor().report()
    assert report.splitlines()[0].startswith("GAN doctor: 1 finding(s) (600 steps")
    assert "1. mode collapse, steps 100-600" in report
    for part in ("evidence: samples near the data", "remedy: let D see several samples",
                 "read: tutorials/07_mode_collapse.py"):
        assert part in report
    assert Doctor().report() == "GAN doctor: no training step seen yet."


def test_every_tutorial_the_doctor_points_to_exists():
    for condition in gd.CONDITIONS.values():
        for path in condition.tutorial.split(" and "):
            assert (ROOT / path).is_file(), path


def test_save_writes_the_report_and_the_json(tmp_path):
    doctor = collapsed_doctor()
    text, data = doctor.save(tmp_path / "out")
    assert text.read_text() == doctor.report() + "\n"
    record = json.loads(data.read_text())
    assert record["diagnoses"][0]["condition"] == "mode_collapse"
    assert record["probes"]["step"] == [100, 200, 300, 400, 500, 600]


def test_the_dashboard_shades_the_diagnosed_steps(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    from minigan import viz

    fig = viz.draw_doctor(collapsed_doctor(), title="test")
    axes = fig.axes
    assert len(axes) == 4 and "1 finding(s)" in fig._suptitle.get_text()
    shaded = [p for p in axes[0].patches if p.get_x() == 100]
    assert len(shaded) == 1 and shaded[0].get_width() == 500
    plt.close(fig)
    path = viz.save_dashboard(collapsed_doctor(), tmp_path / "doctor.png")
    image = plt.imread(path)[..., :3]
    assert min(image.shape[:2]) > 400 and image.std() > 0.05
    with pytest.raises(TypeError, match="expected a minigan.gan.doctor.Doctor"):
        viz.draw_doctor({"windows": {}})


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    ({"probe": 3}, TypeError, "probe must be a function G -> dict"),
    ({"probe_every": 0}, ValueError, "probe_every must be an int >= 1, got 0"),
    ({"window": True}, ValueError, "window must be an int >= 1, got True"),
])
def test_bad_settings_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        Doctor(**kwargs)


def test_bad_records_and_probes_are_named():
    with pytest.raises(ValueError, match="the record lacks d_grad_norm, g_grad_norm"):
        Doctor().update(1, {"d_loss": 1, "g_loss": 1, "d_real": 0.5, "d_fake": 0.5})
    with pytest.raises(ValueError, match="the probe's dict lacks distance"):
        feed(Doctor(scripted_probe(diversity=1.0), probe_every=1), 1, G="G")
    changing = Doctor(scripted_probe(**NEAR_AND_VARIED), probe_every=1)
    feed(changing, 1, G="G")
    changing.probe = scripted_probe(**NEAR_AND_VARIED, modes_captured=1)
    with pytest.raises(ValueError, match="the probe returned"):
        feed(changing, 1, G="G", start=2)
    with pytest.raises(ValueError, match="unknown condition 'collapse'"):
        Doctor().found("collapse")


def test_bad_samples_are_named():
    with pytest.raises(ValueError, match=r"N >= 2, got shape \(1, 2\)"):
        SampleReference(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="the real samples are all alike"):
        SampleReference(np.ones((5, 2)))
    reference = SampleReference(np.arange(6.0).reshape(3, 2))
    with pytest.raises(ValueError, match="samples have 3 features each, the real ones 2"):
        reference.compare(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="n must be an int >= 2, got 1"):
        MixtureProbe(ring(), n=1)
    with pytest.raises(TypeError, match="G must have a noise_dim attribute"):
        MixtureProbe(ring(), n=10)(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="noise must hold at least 2 draws"):
        ImageProbe(np.arange(6.0).reshape(3, 2), minigan.zeros(1, 5))


# -- where it shows up: the progress bar and both command lines -------------------------------
def test_the_progress_bar_shows_the_doctors_status(capsys):
    pytest.importorskip("tqdm")
    run_mixture("ring", "gan", seed=0, preset=TINY, doctor=Doctor())
    assert "doctor=ok" in capsys.readouterr().err


def test_the_mixture_command_prints_the_report_and_writes_the_files(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from minigan.cli import train_mixture as mixture
    from minigan.cli.common import write_doctor

    args = mixture.parse_args(["--doctor", "--out", str(tmp_path / "run")])
    assert args.doctor and not mixture.parse_args(["--out", str(tmp_path)]).doctor
    write_doctor(collapsed_doctor(), args.out, "a title")
    printed = capsys.readouterr().out
    assert "1. mode collapse, steps 100-600" in printed
    assert sorted(p.name for p in args.out.iterdir()) == ["doctor.json", "doctor.png",
                                                          "doctor.txt"]


@pytest.mark.slow
def test_a_mixture_run_with_the_doctor_writes_its_files(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from minigan.cli import train_mixture as mixture

    out = tmp_path / "run"
    mixture.main(["--steps", "20", "--eval_every", "5", "--doctor", "--no_progress",
                  "--out", str(out)])
    printed = capsys.readouterr().out
    assert "GAN doctor:" in printed and f"[wrote] {out / 'doctor.png'}" in printed
    record = json.loads((out / "doctor.json").read_text())
    assert record["probes"]["step"] == [5, 10, 15, 20] and record["probe_every"] == 5
    assert (out / "doctor.txt").read_text().startswith("GAN doctor:")


def test_the_dcgan_command_writes_the_doctors_files(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from minigan.cli import train_dcgan as dcgan

    out = tmp_path / "run"
    tiny = ["--quick", "--image_size", "16", "--ngf", "8", "--ndf", "8", "--batch_size", "128",
            "--no_progress"]
    assert dcgan.main([*tiny, "--doctor", "--out", str(out)]) == 0
    assert "GAN doctor:" in capsys.readouterr().out
    record = json.loads((out / "doctor.json").read_text())
    assert record["steps"] == 4 and record["probes"]["step"] == [2, 4]  # 2 steps per epoch
    assert set(record["probes"]) == {"step", "diversity", "distance", "d_margin"}
    assert (out / "doctor.png").is_file()
