"""Training a GAN: the readable step (against a PyTorch twin), the library loop (history,
callbacks, determinism, checkpoint and bit-exact resume, the divergence check), the MLP models,
the noise, and the Figure-1 snapshot of a 1D GAN."""

import numpy as np
import pytest
from gradient_scale import GradientScale
from oracle import torch_twin
from states import assert_identical

import minigan
import minigan.gan as gan
import minigan.nn as nn
import minigan.optim as optim
import minigan.viz as viz
from minigan.data import gaussian_1d, mixture_1d


def _players(seed=0, batch_norm=False, hidden=(8, 8), dtype=np.float32):
    G = gan.MLPGenerator(1, 1, hidden=hidden, batch_norm=batch_norm,
                         generator=minigan.Generator(seed))
    D = gan.MLPDiscriminator(1, hidden=hidden, generator=minigan.Generator(seed + 100))
    return G.to(dtype=dtype), D.to(dtype=dtype)


def _adam(module):
    return optim.Adam(module.parameters(), lr=2e-3, betas=(0.5, 0.999))


def _trainer(model_seed=0, data=None, batch_norm=False, **config):
    G, D = _players(model_seed, batch_norm)
    config.setdefault("batch_size", 16)
    return gan.Trainer(G, D, _adam(G), _adam(D), data or gaussian_1d(2.0, 0.5), **config)


def _trainer_state(trainer):
    state = trainer.state_dict()
    state["history"] = trainer.history  # the live lists, not the arrays saved from them
    return state


# -- the step ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["gan", "gan_saturating"])
def test_train_step_matches_the_classic_pytorch_loop(torch, method, rng):
    """k = 2 updates of D on detached fakes, then one of G through D: the same weights as
    the textbook PyTorch loop after three rounds, and D's .grad holds its own last gradient."""
    k, rounds, n = 2, 3, 8
    G, D = _players(dtype=np.float64)
    tG, tD = torch_twin(torch, G), torch_twin(torch, D)
    opt_G, opt_D = _adam(G), _adam(D)
    t_opt_G = torch.optim.Adam(tG.parameters(), lr=2e-3, betas=(0.5, 0.999))
    t_opt_D = torch.optim.Adam(tD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    reals = [rng.normal(2, 0.5, (n, 1)) for _ in range(k * rounds)]
    noises = [rng.normal(0, 1, (n, 1)) for _ in range(k * rounds)]

    bce = torch.nn.functional.binary_cross_entropy_with_logits
    ones, zeros = torch.ones(n), torch.zeros(n)
    t_reals, t_noises = iter(reals), iter(noises)
    for _ in range(rounds):
        for _ in range(k):
            fake = tG(torch.tensor(next(t_noises)))
            d_loss = bce(tD(torch.tensor(next(t_reals))).reshape(-1), ones) \
                + bce(tD(fake.detach()).reshape(-1), zeros)
            t_opt_D.zero_grad()
            d_loss.backward()
            t_opt_D.step()
        d_grads = [p.grad.clone() for p in tD.parameters()]
        logits = tD(fake).reshape(-1)
        g_loss = bce(logits, ones) if method == "gan" else -bce(logits, zeros)
        t_opt_G.zero_grad()
        g_loss.backward()
        t_opt_G.step()

    m_reals, m_noises = iter(reals), iter(noises)
    for _ in range(rounds):
        record = gan.train_step(G, D, opt_G, opt_D, lambda: minigan.tensor(next(m_reals)),
                                lambda: minigan.tensor(next(m_noises)), k=k, method=method)
    np.testing.assert_allclose(record["g_loss"], g_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(record["d_loss"], d_loss.item(), rtol=1e-12)
    for ours, theirs in [(G, tG), (D, tD)]:
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10,
                                       atol=1e-13)
    for p, g in zip(D.parameters(), d_grads):
        np.testing.assert_allclose(p.grad.numpy(), g.numpy(), rtol=1e-10, atol=1e-13)


def test_train_step_counts_updates_restores_flags_and_reports_probabilities():
    G, D = _players()
    frozen_on_purpose = D.net[0].bias
    frozen_on_purpose.requires_grad = False
    opt_G, opt_D = _adam(G), _adam(D)
    data, rng = gaussian_1d(2.0, 0.5), minigan.Generator(0)
    record = gan.train_step(G, D, opt_G, opt_D, lambda: data.sample(16, generator=rng),
                            lambda: gan.sample_noise(16, 1, generator=rng), k=3)
    assert {s["step"] for s in opt_D.state.values()} == {3}
    assert {s["step"] for s in opt_G.state.values()} == {1}
    assert [p.requires_grad for p in D.parameters()] == \
        [p is not frozen_on_purpose for p in D.parameters()]
    assert set(record) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert 0 < record["d_fake"] < 1 and 0 < record["d_real"] < 1
    assert record["d_loss"] > 0


def test_train_step_checks_its_arguments_before_updating():
    G, D = _players()
    before = G.state_dict()
    sampler = lambda: gan.sample_noise(4, 1)  # noqa: E731
    with pytest.raises(ValueError, match="unknown method 'minimax'; the known methods are 'gan'"):
        gan.train_step(G, D, _adam(G), _adam(D), sampler, sampler, method="minimax")
    with pytest.raises(ValueError, match="k .* must be an int >= 1, got 0"):
        gan.train_step(G, D, _adam(G), _adam(D), sampler, sampler, k=0)
    assert_identical(G.state_dict(), before)


def test_frozen_restores_flags_even_after_an_error():
    D = _players()[1]
    D.net[2].weight.requires_grad = False
    flags = [p.requires_grad for p in D.parameters()]
    with pytest.raises(KeyError), gan.frozen(D):
        assert not any(p.requires_grad for p in D.parameters())
        raise KeyError("inside")
    assert [p.requires_grad for p in D.parameters()] == flags


# -- the loop: history, callbacks, determinism --------------------------------------------------

def test_history_records_every_step():
    trainer = _trainer(k=2)
    history = trainer.fit(6, progress=False)
    assert history is trainer.history and trainer.step == 6
    assert set(history) == {"step", *gan.MEASURES}
    assert history["step"] == [1, 2, 3, 4, 5, 6]
    assert all(len(values) == 6 for values in history.values())
    assert all(0 < p < 1 for p in history["d_real"] + history["d_fake"])
    assert history["d_grad_norm"][-1] == gan.grad_norm(trainer.D) > 0
    assert history["g_grad_norm"][-1] == gan.grad_norm(trainer.G) > 0
    squares = sum(float((p.grad.numpy().astype(np.float64) ** 2).sum())
                  for p in trainer.G.parameters())
    np.testing.assert_allclose(history["g_grad_norm"][-1], np.sqrt(squares), rtol=1e-12)


@pytest.mark.parametrize("every, expected", [(2, [2, 4]), ({1, 3, 99}, [1, 3])])
def test_callbacks_run_on_schedule(every, expected):
    trainer, seen = _trainer(), []
    trainer.fit(5, callback=lambda t: seen.append(t.step), every=every, progress=False)
    assert seen == expected


def test_a_seed_fixes_the_run_and_another_seed_changes_it():
    runs = [_trainer(seed=seed) for seed in (3, 3, 4)]
    for trainer in runs:
        trainer.fit(5, progress=False)
    assert_identical(_trainer_state(runs[0]), _trainer_state(runs[1]))
    assert runs[0].history["d_loss"] != runs[2].history["d_loss"]


def test_progress_bar_shows_the_losses(capsys):
    pytest.importorskip("tqdm")
    _trainer().fit(3, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "d_loss" in err


def test_trainer_runs_on_each_device(device):
    trainer = _trainer(noise="uniform")
    trainer.G.to(device)  # the batches follow G wherever it goes
    trainer.D.to(device)
    assert trainer.sample_real().device == trainer.sample_noise().device == device
    trainer.fit(3, progress=False)
    assert all(p.device == device for p in trainer.G.parameters())
    assert all(np.isfinite(trainer.history[m]).all() for m in gan.MEASURES)


# -- checkpoints and resume ---------------------------------------------------------------------

def test_resume_reproduces_an_uninterrupted_run_bit_for_bit(tmp_path):
    """Batch norm in G (buffers), k = 2 and Adam (optimizer state) all have to come back."""
    config = dict(batch_norm=True, k=2, seed=7, data=mixture_1d([-2.0, 2.0], 0.3))
    straight = _trainer(**config)
    straight.fit(10, progress=False)

    first_half = _trainer(**config)
    first_half.fit(5, checkpoint=tmp_path / "run.npz", progress=False)
    resumed = _trainer(model_seed=99, **config)  # other initial weights, all overwritten
    resumed.load_checkpoint(tmp_path / "run.npz")
    assert resumed.step == 5
    resumed.fit(5, progress=False)

    assert_identical(_trainer_state(resumed), _trainer_state(straight))
    assert resumed.rng.get_state() == straight.rng.get_state()


def test_periodic_checkpoints_hold_the_state_of_their_step(tmp_path):
    path, seen = tmp_path / "ckpt.npz", {}

    def look(trainer):
        seen[trainer.step] = minigan.load(path)["step"]

    _trainer().fit(10, callback=look, every={5, 9}, checkpoint=path, checkpoint_every=4,
                   progress=False)
    assert seen == {5: 4, 9: 8}
    state = minigan.load(path)
    assert state["step"] == 10 and list(state["history"]["step"]) == list(range(1, 11))


def test_loading_into_a_trainer_configured_differently_is_refused(tmp_path):
    trainer = _trainer(k=1)
    trainer.fit(2, checkpoint=tmp_path / "k1.npz", progress=False)
    other = _trainer(k=2, method="gan_saturating")
    with pytest.raises(ValueError, match=r"k=1 there, 2 here; method=\"gan\(loss="
                                         r"'non_saturating'\)\" there, \"gan_saturating"):
        other.load_checkpoint(tmp_path / "k1.npz")
    assert other.step == 0


def test_a_checkpoint_from_before_loss_was_retired_still_loads():
    """Older checkpoints name the generator loss in the configuration (the method's name holds
    it too) and count no epochs."""
    trainer = _trainer()
    trainer.fit(2, progress=False)
    state = trainer.state_dict()
    state["config"]["loss"] = "non_saturating"
    del state["epoch"]
    other = _trainer()
    other.load_state_dict(state)
    assert other.step == 2 and other.epoch == 0
    assert_identical(other.G.state_dict(), trainer.G.state_dict())


# -- by epochs, with labels, with an averaged G ---------------------------------------------------

class _Batches:
    """A loader of fixed batches: iterable, with a len, no randomness of its own."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def test_fit_epochs_serves_each_batch_once_per_epoch_in_order():
    rng = np.random.default_rng(0)
    batches = [minigan.tensor(rng.normal(2, 0.5, (8, 1)), dtype=np.float32) for _ in range(3)]
    trainer, seen = _trainer(data=_Batches(batches), batch_size=8, seed=4), []
    trainer.fit_epochs(2, callback=lambda t: seen.append((t.epoch, t.step, t.epoch_seconds)),
                       progress=False)
    assert [(epoch, step) for epoch, step, _ in seen] == [(1, 3), (2, 6)]
    assert all(seconds > 0 for *_, seconds in seen) and trainer.history["step"] == [1, 2, 3, 4,
                                                                                    5, 6]
    # The same rounds by hand: the loader's batches in order, the noise from the trainer's seed.
    G, D = _players()
    opt_G, opt_D, noise = _adam(G), _adam(D), minigan.Generator(4)
    for batch in batches * 2:
        gan.train_step(G, D, opt_G, opt_D, lambda b=batch: b,
                       lambda: gan.sample_noise(8, (1,), "normal", noise))
    assert_identical(G.state_dict(), trainer.G.state_dict())
    assert_identical(D.state_dict(), trainer.D.state_dict())


def test_fit_epochs_plays_k_batches_a_round():
    batches = [minigan.randn(8, 1) for _ in range(5)]
    trainer = _trainer(data=_Batches(batches), batch_size=8, k=2)
    trainer.fit_epochs(1, progress=False)
    assert trainer.step == 2 and trainer.epoch == 1  # 5 // 2 rounds; the fifth batch unused
    with pytest.raises(TypeError, match="is not a loader of batches"):
        _trainer().fit_epochs(1, progress=False)
    with pytest.raises(TypeError, match="has no sample.*train it by epochs with fit_epochs"):
        _trainer(data=_Batches(batches)).fit(1, progress=False)


def _conditional_digits(seed=3, **config):
    """A tiny class-conditional DCGAN on 64 digits, its loader drawing from the trainer's
    generator (as the DCGAN command's does)."""
    from minigan.data import DigitLoader, Digits

    rng = minigan.Generator(seed)
    digits = Digits(np.random.default_rng(0).integers(0, 256, (64, 16, 16), dtype=np.uint8),
                    np.arange(64) % 10)
    G = gan.DCGANGenerator(4, 4, 1, 16, num_classes=10, generator=rng)
    D = gan.DCGANDiscriminator(4, 1, 16, num_classes=10, generator=rng)
    loader = DigitLoader(digits, 16, drop_last=True, size=16, generator=rng)
    return gan.Trainer(G, D, _adam(G), _adam(D), loader, batch_size=16, conditional=True,
                       seed=rng, **config)


def test_a_conditional_trainer_plays_each_batch_with_its_labels():
    trainer = _conditional_digits()
    assert trainer.rng is trainer.data.generator  # a Generator as the seed is used as it is
    trainer.fit_epochs(1, progress=False)
    # By hand: both players given the labels of the real batch, as in PyTorch's conditional
    # examples; the noise drawn after the batch, from the same generator.
    hand = _conditional_digits()
    for images, labels in hand.data:
        gan.train_step(gan.WithLabels(hand.G, labels), gan.WithLabels(hand.D, labels),
                       hand.opt_G, hand.opt_D, lambda x=images: x,
                       lambda: gan.sample_noise(16, (4,), "normal", hand.rng))
    assert_identical(hand.G.state_dict(), trainer.G.state_dict())
    assert_identical(hand.D.state_dict(), trainer.D.state_dict())
    trainer.fit(2, progress=False)  # by steps: batches of DigitLoader.sample_with_labels
    assert trainer.step == 6


class _RunningMean:
    """An averaged copy of G's weights: their mean over the updates seen so far."""

    def __init__(self):
        self.count, self.mean = 0, None

    def update_parameters(self, G):
        weights = [p.detach().numpy().copy() for p in G.parameters()]
        self.count += 1
        self.mean = weights if self.mean is None else \
            [m + (w - m) / self.count for m, w in zip(self.mean, weights)]

    def state_dict(self):
        return {"count": self.count, "mean": {str(i): m for i, m in enumerate(self.mean)}}

    def load_state_dict(self, state):
        self.count = int(state["count"])
        self.mean = [np.asarray(state["mean"][str(i)]) for i in range(len(state["mean"]))]


def test_the_averaged_g_is_updated_after_each_step_and_saved_with_the_checkpoints(tmp_path):
    seen = []
    trainer = _trainer(averaged_G=_RunningMean(), seed=2)
    trainer.fit(4, callback=lambda t: seen.append([p.detach().numpy().copy()
                                                   for p in t.G.parameters()]),
                every=1, checkpoint=tmp_path / "a.npz", checkpoint_every=2, progress=False)
    assert trainer.averaged_G.count == 4
    for mean, weights in zip(trainer.averaged_G.mean, zip(*seen)):
        np.testing.assert_allclose(mean, np.mean(weights, axis=0), rtol=1e-6)
    resumed = _trainer(averaged_G=_RunningMean(), seed=2)
    resumed.load_checkpoint(tmp_path / "a.npz")
    assert resumed.averaged_G.count == 4
    for a, b in zip(resumed.averaged_G.mean, trainer.averaged_G.mean):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="the checkpoint holds averaged copy of G; this trainer "
                                         "has none"):
        _trainer(seed=2).load_checkpoint(tmp_path / "a.npz")


def test_resume_by_epochs_with_labels_and_an_averaged_g_is_bit_exact(tmp_path):
    straight = _conditional_digits(averaged_G=_RunningMean())
    straight.fit_epochs(2, progress=False)
    first = _conditional_digits(averaged_G=_RunningMean())
    first.fit_epochs(1, checkpoint=tmp_path / "c.npz", progress=False)
    resumed = _conditional_digits(seed=9, averaged_G=_RunningMean())  # other weights at first
    resumed.load_checkpoint(tmp_path / "c.npz")
    assert (resumed.epoch, resumed.step) == (1, 4)
    resumed.fit_epochs(1, progress=False)
    assert_identical(_trainer_state(resumed), _trainer_state(straight))


# -- the divergence check -----------------------------------------------------------------------

def test_a_nan_in_the_data_stops_training_at_its_step():
    data, calls = gaussian_1d(2.0, 0.5), []

    def poisoned(n, generator):
        calls.append(n)
        batch = data.sample(n, generator=generator)
        return batch * float("nan") if len(calls) == 5 else batch

    trainer = _trainer(data=poisoned)
    with pytest.raises(gan.TrainingDivergedError,
                       match=r"at step 5: the discriminator's loss\b.*non-finite.*d_loss=nan"):
        trainer.fit(10, progress=False)
    assert trainer.step == 4 and len(trainer.history["d_loss"]) == 4


def test_a_nan_gradient_stops_training_at_its_step_even_with_finite_losses():
    trainer = _trainer()
    poison = GradientScale(float("nan"), active=False)
    trainer.G.net.append(poison)  # after G's output: D's update (on detached fakes) is spared

    def plant(t):
        poison.active = True

    with pytest.raises(gan.TrainingDivergedError) as info:
        trainer.fit(10, callback=plant, every={3}, progress=False)
    message = str(info.value)
    assert "at step 4: the generator's gradient became non-finite" in message
    assert "loss" not in message.split("(")[0] and "discriminator" not in message
    assert trainer.step == 3


# -- the trainer's arguments --------------------------------------------------------------------

@pytest.mark.parametrize("config, error, words", [
    ({"method": "minimax"}, ValueError, "unknown method 'minimax'; the known methods are"),
    ({"k": 0}, ValueError, "k must be an int >= 1"),
    ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1"),
    ({"noise": "cauchy"}, ValueError, "unknown noise 'cauchy'; expected one of 'normal'"),
    ({"data": 42}, TypeError, "data must have a sample.* or be a loader"),
])
def test_bad_trainer_arguments_are_named(config, error, words):
    with pytest.raises(error, match=words):
        _trainer(**config)


def test_noise_shape_is_needed_when_g_does_not_say():
    G = nn.Sequential(nn.Linear(3, 1))
    D = _players()[1]
    with pytest.raises(ValueError, match="give noise_shape"):
        gan.Trainer(G, D, _adam(G), _adam(D), gaussian_1d())
    trainer = gan.Trainer(G, D, _adam(G), _adam(D), gaussian_1d(), noise_shape=3, batch_size=4)
    assert trainer.sample_noise().shape == (4, 3)


# -- models --------------------------------------------------------------------------------------

def test_mlp_shapes_layers_and_options():
    G = gan.MLPGenerator(3, 2, hidden=(5, 7), batch_norm=True, output_activation="tanh")
    kinds = [type(layer).__name__ for layer in G.net]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Linear",
                     "Tanh"]
    assert [G.net[i].bias is None for i in (0, 3, 6)] == [True, True, False]
    x = G(minigan.randn(4, 3) * 100)
    assert x.shape == (4, 2) and np.abs(x.detach().numpy()).max() <= 1
    D = gan.MLPDiscriminator(2, hidden=4, activation=lambda: nn.LeakyReLU(0.1))
    assert [type(layer).__name__ for layer in D.net] == ["Linear", "LeakyReLU", "Linear"]
    assert D.net[1].negative_slope == 0.1 and D(x).shape == (4,)
    linear = gan.MLPDiscriminator(2, hidden=())
    assert len(linear.net) == 1 and linear(x).shape == (4,)


def test_mlp_init_follows_its_generator():
    same = [gan.MLPGenerator(2, 2, generator=minigan.Generator(5)) for _ in range(2)]
    other = gan.MLPGenerator(2, 2, generator=minigan.Generator(6))
    assert_identical(same[0].state_dict(), same[1].state_dict())
    assert not np.array_equal(same[0].net[0].weight.detach().numpy(),
                              other.net[0].weight.detach().numpy())


@pytest.mark.parametrize("make, error, words", [
    (lambda: gan.MLPGenerator(2, 2, activation="swish"), ValueError,
     "unknown activation 'swish'; expected one of 'leaky_relu', 'relu'"),
    (lambda: gan.MLPDiscriminator(2, activation=lambda: 3), TypeError, "must return a Module"),
    (lambda: gan.MLPGenerator(2, 2, hidden=(4, 0)), ValueError, "each hidden width"),
    (lambda: gan.MLPGenerator(0, 2), ValueError, "input size must be an int >= 1"),
    (lambda: gan.MLPGenerator(2, 1)(minigan.zeros(3, 4)), ValueError, r"noise of shape \(N, 2\)"),
    (lambda: gan.MLPDiscriminator(2)(minigan.zeros(3)), ValueError, r"samples of shape \(N, 2\)"),
])
def test_bad_model_arguments_are_named(make, error, words):
    with pytest.raises(error, match=words):
        make()


# -- noise ---------------------------------------------------------------------------------------

def test_noise_samples_and_quantiles():
    rng = minigan.Generator(0)
    z = gan.sample_noise(4000, (2, 1, 1), "uniform", generator=rng, dtype=np.float64)
    assert z.shape == (4000, 2, 1, 1) and z.dtype == np.float64
    assert -1 <= z.numpy().min() < -0.99 and 0.99 < z.numpy().max() < 1
    normal = gan.sample_noise(4000, 3, generator=rng).numpy()
    assert normal.dtype == np.float32 and abs(normal.std() - 1) < 0.05
    np.testing.assert_allclose(gan.noise_quantiles("uniform", 4), [-0.75, -0.25, 0.25, 0.75])
    np.testing.assert_allclose(gan.noise_quantiles("normal", 2), [-0.6744897501960817,
                                                                   0.6744897501960817])
    q = gan.noise_quantiles("normal", 101)
    assert q[50] == 0 and np.all(np.diff(q) > 0)


# -- the Figure-1 snapshot -----------------------------------------------------------------------

def test_snapshot_shows_the_models_and_changes_nothing():
    trainer = _trainer(batch_norm=True, noise="uniform")
    trainer.fit(3, progress=False)
    trainer.G.eval()  # a mode the snapshot must give back
    before, rng_before = _trainer_state(trainer), trainer.rng.get_state()
    default_before = minigan.random.default_generator.get_state()
    data = gaussian_1d(2.0, 0.5)
    snap = viz.snapshot_1d(trainer.G, trainer.D, data.density, (-4, 8), noise="uniform",
                           lines=9)
    assert_identical(_trainer_state(trainer), before)
    assert trainer.rng.get_state() == rng_before
    assert minigan.random.default_generator.get_state() == default_before
    assert not trainer.G.training and trainer.D.training

    dx = snap.x[1] - snap.x[0]
    np.testing.assert_allclose(snap.p_g.sum() * dx, 1, rtol=1e-3)  # a density
    np.testing.assert_allclose(snap.p_data, data.density(snap.x[:, None]))
    assert np.all((0 < snap.d) & (snap.d < 1))
    with minigan.no_grad():
        direct = trainer.G(minigan.tensor(snap.z_lines[:, None], dtype=np.float32))
    np.testing.assert_allclose(snap.x_lines, direct.numpy()[:, 0], rtol=1e-6)
    np.testing.assert_allclose(snap.z_lines, gan.noise_quantiles("uniform", 9))


def test_snapshots_draw_as_a_grid_of_figure_1_panels(plt):
    G, D = _players()
    data = gaussian_1d(1.0, 0.5)
    snap = viz.snapshot_1d(G, D, data.density, (-3, 4))
    fig = viz.draw_gan_1d_stages([[snap, snap, snap], [snap, snap]], titles=["a", "b", "c"],
                                 row_labels=["saturating", "non-saturating"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5 and [ax.get_title() for ax in visible[:3]] == ["a", "b", "c"]
    assert len(visible[0].get_lines()) == 5  # the x and z axes, p_data, p_g and D
    segments = visible[0].collections[0].get_segments()  # the mapping z -> G(z)
    assert len(segments) == 25
    np.testing.assert_allclose([seg[1][0] for seg in segments], snap.x_lines)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == \
        ["data $p_{data}$", "generator $p_g$", "discriminator $D(x)$"]
    with pytest.raises(ValueError, match="noise_dim=2"):
        viz.snapshot_1d(gan.MLPGenerator(2, 1), D, None, (0, 1))
