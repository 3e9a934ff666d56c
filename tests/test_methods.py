"""Remedies for mode collapse: the method switches (losses by hand, a few steps of each), the
second derivatives of WGAN-GP and the unrolled GAN against PyTorch and gradcheck, and the layers
they need (Maxout, MinibatchStd, spectral norm, functional_call)."""

import numpy as np
import pytest
from oracle import torch_twin

import minigan
import minigan.functional as F
import minigan.gan as gan
import minigan.nn as nn
import minigan.optim as optim
from minigan.data import ring
from minigan.gan.methods import METHODS, Method, make_method


def _D(seed=0, activation="leaky_relu", dtype=np.float64, **options):
    D = gan.MLPDiscriminator(2, hidden=(6, 5), activation=activation,
                             generator=minigan.Generator(seed), **options)
    return D.to(dtype=dtype)


def _batch(rng, n=6, requires_grad=False):
    return minigan.tensor(rng.normal(size=(n, 2)), requires_grad=requires_grad)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- the switches ---------------------------------------------------------------------------------

def test_every_method_has_a_name_and_unknown_names_are_listed():
    assert set(METHODS) >= {"gan", "gan_saturating", "pacgan2", "pacgan3", "pacgan4",
                            "minibatch_std", "unrolled", "wgan", "wgan_gp", "sngan", "lsgan",
                            "label_smoothing", "feature_matching"}
    for name in METHODS:
        method = make_method(name)
        assert isinstance(method, Method) and method.name == name
        assert repr(method).startswith(name + "(")
    with pytest.raises(ValueError, match="unknown method 'minimax'; the known methods are "
                                         "'gan', 'gan_saturating', 'pacgan2'"):
        make_method("minimax")


def test_options_are_checked_and_named():
    wgan = make_method("wgan", clip=0.05, n_critic=3)
    assert (wgan.clip, wgan.d_steps) == (0.05, 3) and repr(wgan) == "wgan(clip=0.05, n_critic=3)"
    assert make_method(wgan) is wgan
    assert make_method("pacgan3").discriminator_options == {"pack": 3}
    with pytest.raises(ValueError, match="unknown option.*clips for 'wgan', which takes the "
                                         "options clip, n_critic"):
        make_method("wgan", clips=0.1)
    with pytest.raises(ValueError, match="'lsgan', which takes no options"):
        make_method("lsgan", real_label=0.9)
    with pytest.raises(ValueError, match="'pacgan2', which takes no options"):
        make_method("pacgan2", pack=3)
    with pytest.raises(ValueError, match="clip must be a number > 0"):
        make_method("wgan", clip=-1)
    with pytest.raises(ValueError, match="ready-made method"):
        make_method(wgan, clip=0.1)


def test_discriminator_losses_by_hand(rng):
    r, f = rng.normal(size=5), rng.normal(size=4)
    real, fake = minigan.tensor(r), minigan.tensor(f)
    expected = {
        "gan": -np.log(_sigmoid(r)).mean() - np.log(1 - _sigmoid(f)).mean(),
        "lsgan": 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(),
        "label_smoothing": -(0.9 * np.log(_sigmoid(r)) + 0.1 * np.log(1 - _sigmoid(r))).mean()
        - np.log(1 - _sigmoid(f)).mean(),
        "wgan": f.mean() - r.mean(),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(make_method(name).d_loss(real, fake).item(), value,
                                   rtol=1e-12, err_msg=name)


def test_generator_losses_by_hand(rng):
    D = _D()
    real, fake = _batch(rng), _batch(rng)
    with minigan.no_grad():
        logits = D(fake).numpy()
        gap = D.features(real).numpy().mean(0) - D.features(fake).numpy().mean(0)
    expected = {
        "gan": -np.log(_sigmoid(logits)).mean(),
        "gan_saturating": np.log(1 - _sigmoid(logits)).mean(),
        "lsgan": 0.5 * ((logits - 1) ** 2).mean(),
        "wgan": -logits.mean(),
        "wgan_gp": -logits.mean(),
        "feature_matching": (gap ** 2).sum(),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(make_method(name).g_loss(D, real, fake).item(), value,
                                   rtol=1e-12, err_msg=name)
    assert D.features(real).shape == (6, 5)
    with pytest.raises(TypeError, match="features"):
        make_method("feature_matching").g_loss(nn.Sequential(nn.Linear(2, 1)), real, fake)


@pytest.mark.parametrize("name", METHODS)
def test_a_few_steps_of_each_method(name):
    """Tiny players, three rounds: finite measurements, D built to the method's needs."""
    method = make_method(name)
    G = gan.MLPGenerator(2, 2, hidden=(8,), generator=minigan.Generator(0))
    D = gan.MLPDiscriminator(2, hidden=(8, 8), generator=minigan.Generator(1),
                             **method.discriminator_options)
    trainer = gan.Trainer(G, D, optim.Adam(G.parameters(), lr=1e-3),
                          optim.Adam(D.parameters(), lr=1e-3), ring(), batch_size=12,
                          method=name)
    assert trainer.config["k"] == method.d_steps and trainer.config["method"] == repr(method)
    before = [p.detach().numpy().copy() for p in G.parameters()]
    history = trainer.fit(3, progress=False)
    assert all(np.isfinite(history[m]).all() for m in gan.MEASURES)
    assert all(not np.array_equal(b, p.detach().numpy()) for b, p in zip(before, G.parameters()))
    pack = method.discriminator_options.get("pack", 1)
    first = D.net[0].module if name == "sngan" else D.net[0]
    assert first.in_features == 2 * pack
    assert D(trainer.sample_real()).shape == (12 // pack,)
    if name == "wgan":
        assert max(float(np.abs(p.detach().numpy()).max()) for p in D.parameters()) <= method.clip


@pytest.mark.parametrize("name", ["wgan", "wgan_gp", "sngan", "unrolled", "minibatch_std"])
def test_methods_with_array_code_run_on_each_device(device, name):
    """Clipping, interpolation weights, power iteration: the parts written on arrays."""
    trainer = _small_trainer(name, **({"n_critic": 2} if name.startswith("wgan") else {}))
    trainer.G.to(device)
    trainer.D.to(device)
    trainer.fit(2, progress=False)
    assert all(np.isfinite(trainer.history[m]).all() for m in gan.MEASURES)
    assert all(t.device == device for t in trainer.D.state_dict().values())


def test_the_method_alone_chooses_the_generator_loss():
    """One keyword, ``method=``: the plain GAN's two generator losses are two of its names."""
    G, D = gan.MLPGenerator(2, 2, hidden=(4,)), _D(dtype=np.float32)
    opts = optim.Adam(G.parameters()), optim.Adam(D.parameters())
    assert gan.Trainer(G, D, *opts, ring(), method="gan_saturating").method.loss == "saturating"
    assert gan.Trainer(G, D, *opts, ring()).method.loss == "non_saturating"
    with pytest.raises(TypeError, match="loss"):
        gan.Trainer(G, D, *opts, ring(), method="wgan", loss="saturating")


def _small_trainer(name, **options):
    method = make_method(name, **options)
    G = gan.MLPGenerator(2, 2, hidden=(8,), generator=minigan.Generator(0))
    D = gan.MLPDiscriminator(2, hidden=(8,), generator=minigan.Generator(1),
                             **method.discriminator_options)
    return gan.Trainer(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), ring(),
                       batch_size=8, method=method, seed=5)


@pytest.mark.parametrize("name, options", [("wgan_gp", {"n_critic": 2}), ("sngan", {})])
def test_resume_is_bit_exact_with_the_methods_own_randomness_and_buffers(tmp_path, name,
                                                                          options):
    """WGAN-GP draws its interpolation weights from the trainer's generator; spectral norm
    keeps its power-iteration vectors in buffers. Both come back from a checkpoint."""
    straight = _small_trainer(name, **options)
    straight.fit(4, progress=False)
    first = _small_trainer(name, **options)
    first.fit(2, checkpoint=tmp_path / "run.npz", progress=False)
    resumed = _small_trainer(name, **options)
    resumed.load_checkpoint(tmp_path / "run.npz")
    resumed.fit(2, progress=False)
    assert resumed.history == straight.history
    for (key, a), b in zip(straight.D.state_dict().items(), resumed.D.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=key)
    other_seed = _small_trainer(name, **options)
    other_seed.rng.manual_seed(6)
    other_seed.fit(4, progress=False)
    assert other_seed.history["d_loss"] != straight.history["d_loss"]


# -- the discriminator's switches -----------------------------------------------------------------

def test_packing_concatenates_consecutive_samples(rng):
    D = _D(pack=3)
    assert D.net[0].in_features == 6
    x = _batch(rng, 6)
    packed = x.numpy().reshape(2, 6)
    np.testing.assert_allclose(D(x).detach().numpy(),
                               D.net(minigan.tensor(packed)).detach().numpy().ravel())
    with pytest.raises(ValueError, match="batch size must be a multiple of 3, got 4"):
        D(_batch(rng, 4))


def test_minibatch_std_makes_each_logit_depend_on_the_whole_batch(rng):
    D = _D(minibatch_std=True)
    assert [type(layer).__name__ for layer in D.net][-2:] == ["MinibatchStd", "Linear"]
    x = rng.normal(size=(5, 2))
    y = x.copy()
    y[4] += 3.0  # only the last sample changes
    with minigan.no_grad():
        a, b = D(minigan.tensor(x)).numpy(), D(minigan.tensor(y)).numpy()
    assert not np.allclose(a[:4], b[:4])  # the others' logits moved too
    plain = _D()
    with minigan.no_grad():
        np.testing.assert_array_equal(plain(minigan.tensor(x)).numpy()[:4],
                                      plain(minigan.tensor(y)).numpy()[:4])


def test_spectral_norm_wraps_every_weight_layer():
    D = _D(spectral_norm=True)
    kinds = [type(layer).__name__ for layer in D.net]
    assert kinds == ["SpectralNorm", "LeakyReLU", "SpectralNorm", "LeakyReLU", "SpectralNorm"]
    assert "net.0.module.weight" in dict(D.named_parameters()) and "net.0.u" in D.state_dict()


# -- second derivatives: WGAN-GP and the unrolled GAN ---------------------------------------------

def test_gradient_penalty_matches_pytorch(torch, rng):
    D = _D()
    tD = torch_twin(torch, D)
    real, fake = rng.normal(size=(7, 2)), rng.normal(size=(7, 2))
    penalty = make_method("wgan_gp").penalty(D, minigan.tensor(real), minigan.tensor(fake),
                                             generator=minigan.Generator(3))
    penalty.backward()

    e = torch.tensor(minigan.rand(7, 1, dtype=np.float64, generator=minigan.Generator(3))
                     .numpy())
    x_hat = (e * torch.tensor(real) + (1 - e) * torch.tensor(fake)).requires_grad_()
    (slope,) = torch.autograd.grad(tD(x_hat).sum(), x_hat, create_graph=True)
    expected = 10 * (((slope ** 2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
    expected.backward()
    np.testing.assert_allclose(penalty.item(), expected.item(), rtol=1e-12)
    # With LeakyReLU the slope is piecewise constant in the biases: their gradient is zero
    # (None here, where the graph never reaches them; zeros or None in PyTorch).
    for (name, p), q in zip(D.named_parameters(), tD.parameters()):
        theirs = np.zeros(q.shape) if q.grad is None else q.grad.numpy()
        if name.endswith("bias"):
            assert p.grad is None and not theirs.any(), name
        else:
            np.testing.assert_allclose(p.grad.numpy(), theirs, rtol=1e-10, atol=1e-13)
            assert np.abs(theirs).max() > 1e-4  # the penalty moves D's weights


def test_a_wgan_gp_round_at_its_published_setting_matches_pytorch(torch, rng):
    """One round of WGAN-GP as gan_toy.py plays it (5 critic updates with the penalty at
    lambda = 0.1, Adam with betas (0.5, 0.9), then one G update) against PyTorch on the same
    weights and batches: the penalty's gradient, the number of critic steps and the betas
    applied all show in the weights after the round."""
    method, preset = gan.presets.method_and_preset("wgan_gp", "published")
    assert (method.penalty_weight, method.d_steps, preset.betas) == (0.1, 5, (0.5, 0.9))
    G = gan.MLPGenerator(2, 2, hidden=(5, 4), generator=minigan.Generator(1)).double()
    D = _D(activation="relu")
    tG, tD = torch_twin(torch, G), torch_twin(torch, D)
    lr = 1e-2  # larger than the published 1e-4, so that the round moves the weights a lot
    opt_G, opt_D = (optim.Adam(m.parameters(), lr=lr, betas=preset.betas) for m in (G, D))
    t_opt_G, t_opt_D = (torch.optim.Adam(m.parameters(), lr=lr, betas=preset.betas)
                        for m in (tG, tD))
    reals, noises = rng.normal(size=(5, 8, 2)), rng.normal(size=(5, 8, 2))
    batches = iter(range(5))
    i = [0]

    def sample_real():
        i[0] = next(batches)
        return minigan.tensor(reals[i[0]])

    gan.train_step(G, D, opt_G, opt_D, sample_real, lambda: minigan.tensor(noises[i[0]]),
                   method=method, generator=minigan.Generator(7))

    e = minigan.Generator(7)  # the penalty's draws, in the same order
    for real, z in zip(torch.tensor(reals), torch.tensor(noises)):
        fake = tG(z).detach()
        a = torch.tensor(minigan.rand(8, 1, dtype=np.float64, generator=e).numpy())
        x_hat = (a * real + (1 - a) * fake).requires_grad_()
        (slope,) = torch.autograd.grad(tD(x_hat).sum(), x_hat, create_graph=True)
        penalty = 0.1 * (((slope ** 2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
        t_opt_D.zero_grad()
        (tD(fake).mean() - tD(real).mean() + penalty).backward()
        t_opt_D.step()
    t_opt_G.zero_grad()
    (-tD(tG(z)).mean()).backward()  # G's update uses the last critic step's noise
    t_opt_G.step()
    for ours, theirs in ((G, tG), (D, tD)):
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-9,
                                       atol=1e-12)
    assert next(iter(opt_D.state.values()))["step"] == 5  # five critic updates, one of G
    assert next(iter(opt_G.state.values()))["step"] == 1


def test_gradient_penalty_gradcheck(rng):
    """d penalty / d W through grad(..., create_graph=True), against finite differences."""
    D = _D(activation="tanh")
    real, fake = _batch(rng, 5), _batch(rng, 5)
    method = make_method("wgan_gp")
    weight = minigan.tensor(D.net[0].weight.detach().numpy(), requires_grad=True)

    def penalty(w):
        with nn.utils.stateless.substituted(D, {"net.0.weight": w}):
            return method.penalty(D, real, fake, generator=minigan.Generator(0))

    assert minigan.gradcheck(penalty, weight)


def _torch_unrolled_loss(torch, tD, real, fake, steps, lr):
    names = [name for name, _ in tD.named_parameters()]
    theta = [p.detach().clone().requires_grad_() for p in tD.parameters()]
    bce = torch.nn.functional.logsigmoid
    for _ in range(steps):
        params = dict(zip(names, theta))
        r = torch.func.functional_call(tD, params, (real,)).reshape(-1)
        f = torch.func.functional_call(tD, params, (fake,)).reshape(-1)
        d_loss = -bce(r).mean() - bce(-f).mean()
        grads = torch.autograd.grad(d_loss, theta, create_graph=True)
        theta = [t - lr * g for t, g in zip(theta, grads)]
    out = torch.func.functional_call(tD, dict(zip(names, theta)), (fake,)).reshape(-1)
    return -bce(out).mean()


def test_unrolled_generator_loss_and_its_gradient_match_pytorch(torch, rng):
    D = _D()
    tD = torch_twin(torch, D)
    real, fake = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    x = minigan.tensor(fake, requires_grad=True)
    method = make_method("unrolled", steps=3, lr=0.5)
    with gan.frozen(D):
        loss = method.g_loss(D, minigan.tensor(real), x)
    (ours,) = minigan.grad(loss, x)

    t_fake = torch.tensor(fake, requires_grad=True)
    expected = _torch_unrolled_loss(torch, tD, torch.tensor(real), t_fake, 3, 0.5)
    (theirs,) = torch.autograd.grad(expected, t_fake)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-12)
    # looking ahead changes the gradient G gets (the part through theta_k)
    with gan.frozen(D):
        (plain,) = minigan.grad(make_method("gan").g_loss(D, minigan.tensor(real), x), x)
    assert not np.allclose(plain.numpy(), ours.numpy(), rtol=1e-3)
    assert all(p.grad is None for p in D.parameters())  # D itself is untouched


def test_unrolled_generator_loss_gradcheck(rng):
    D = _D(activation="tanh")
    real, fake = _batch(rng, 4), _batch(rng, 4, requires_grad=True)
    method = make_method("unrolled", steps=2, lr=0.5)
    assert minigan.gradcheck(lambda x: method.g_loss(D, real, x), fake)


def _adam_with_history(D, rng, steps=2):
    """D's Adam after ``steps`` real updates, with a weight decay on its first layer's
    group: running moments and two groups for the unrolled Adam to carry on from."""
    first, rest = D.net[0].parameters(), [p for n, p in D.named_parameters()
                                           if not n.startswith("net.0.")]
    opt = optim.Adam([{"params": list(first), "weight_decay": 0.1}, {"params": rest}],
                     lr=0.05, betas=(0.5, 0.9))
    for _ in range(steps):
        opt.zero_grad()
        gan.discriminator_loss(D(_batch(rng)), D(_batch(rng))).backward()
        opt.step()
    return opt


@pytest.mark.parametrize("history", [0, 2])  # a fresh Adam (moments 0), and one that stepped
def test_unrolled_adam_steps_are_the_steps_adam_takes(rng, history):
    D = _D()
    opt = _adam_with_history(D, rng, steps=history)
    real, fake = _batch(rng), _batch(rng)
    method = make_method("unrolled", steps=3, optimizer="adam")
    with gan.frozen(D):
        theta = method.lookahead(D, real, fake, opt)
    for _ in range(3):  # the same three updates, by the optimizer itself on the same batch
        opt.zero_grad()
        gan.discriminator_loss(D(real), D(fake)).backward()
        opt.step()
    for name, p in D.named_parameters():
        np.testing.assert_allclose(theta[name].numpy(), p.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss", ["saturating", "non_saturating"])
def test_unrolled_adam_generator_loss_gradcheck(rng, loss):
    D = _D(activation="tanh")
    opt = _adam_with_history(D, rng)
    real, fake = _batch(rng, 4), _batch(rng, 4, requires_grad=True)
    method = make_method("unrolled", steps=2, optimizer="adam", loss=loss)
    with gan.frozen(D):
        assert minigan.gradcheck(lambda x: method.g_loss(D, real, x, opt), fake)


def test_unrolled_saturating_loss_is_the_value_at_the_looked_ahead_d(rng):
    D = _D()
    real, fake = _batch(rng), _batch(rng, requires_grad=True)
    method = make_method("unrolled", steps=2, loss="saturating")
    with gan.frozen(D):
        loss = method.g_loss(D, real, fake)
        theta = method.lookahead(D, real, fake)
    with nn.utils.stateless.substituted(D, {n: t.detach() for n, t in theta.items()}):
        value = (F.logsigmoid(D(real)).mean() + F.logsigmoid(-D(fake)).mean()).item()
    np.testing.assert_allclose(loss.item(), value, rtol=1e-12)
    # its real term moves G too: theta_k depends on the fakes
    with gan.frozen(D):
        (full,) = minigan.grad(loss, fake)
        fakes_only = F.logsigmoid(-nn.utils.functional_call(D, method.lookahead(D, real, fake),
                                                            (fake,))).mean()
        (part,) = minigan.grad(fakes_only, fake)
    assert not np.allclose(full.numpy(), part.numpy(), rtol=1e-3)


def test_unrolled_adam_needs_ds_adam():
    D = _D()
    method = make_method("unrolled", optimizer="adam")
    x = minigan.tensor(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="optimizer='adam' unrolls D's Adam, so D's optimizer "
                                        "must be a minigan.optim.Adam; got SGD"):
        method.g_loss(D, x, x, optim.SGD(D.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="got NoneType"):
        method.g_loss(D, x, x)
    with pytest.raises(ValueError, match="does not update D's parameter 'net.0.weight'"):
        method.g_loss(D, x, x, optim.Adam([D.net[0].bias]))
    with pytest.raises(ValueError, match="unrolled: unknown optimizer 'rmsprop'; expected one "
                                         "of 'sgd', 'adam'"):
        make_method("unrolled", optimizer="rmsprop")


# -- the layers -----------------------------------------------------------------------------------

def test_maxout_is_the_largest_of_its_pieces(rng):
    layer = nn.Maxout(3, 4, pieces=5, generator=minigan.Generator(0)).double()
    assert layer.weight.shape == (20, 3) and layer.bias.shape == (20,)
    x = rng.normal(size=(6, 3))
    pieces = x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(minigan.tensor(x)).detach().numpy(),
                               pieces.reshape(6, 4, 5).max(-1), rtol=1e-12)
    assert minigan.gradcheck(lambda t: layer(t), minigan.tensor(x, requires_grad=True))
    assert minigan.gradcheck(lambda w: F.linear(minigan.tensor(x), w).reshape(6, 4, 5)
                             .amax(dim=-1), layer.weight)
    assert "pieces=5" in repr(layer)
    with pytest.raises(ValueError, match="Maxout: pieces must be an int >= 1"):
        nn.Maxout(3, 4, pieces=0)


def test_minibatch_std_appends_the_mean_standard_deviation(rng):
    x = rng.normal(size=(5, 3))
    y = nn.MinibatchStd()(minigan.tensor(x)).numpy()
    assert y.shape == (5, 4)
    np.testing.assert_array_equal(y[:, :3], x)
    np.testing.assert_allclose(y[:, 3], np.sqrt(x.var(axis=0) + 1e-8).mean(), rtol=1e-12)
    assert minigan.gradcheck(nn.MinibatchStd(), minigan.tensor(x, requires_grad=True))
    with pytest.raises(ValueError, match="N >= 2"):
        nn.MinibatchStd()(minigan.zeros(1, 3))


def test_functional_call_swaps_parameters_and_puts_them_back(rng):
    D = _D()
    x = _batch(rng)
    weight = D.net[2].weight
    zero = minigan.zeros(*weight.shape, dtype=np.float64)
    out = nn.utils.functional_call(D, {"net.2.weight": zero}, (x,)).detach().numpy()
    expected = np.full(6, float(D.net[4](F.leaky_relu(D.net[2].bias, 0.2)).item()))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert D.net[2].weight is weight and isinstance(D.net[2].weight, nn.Parameter)
    with pytest.raises(KeyError, match="no parameter 'net.9.weight'"):
        nn.utils.functional_call(D, {"net.2.weight": zero, "net.9.weight": zero}, x)
    assert D.net[2].weight is weight  # restored after the error too


def test_spectral_norm_divides_by_the_largest_singular_value(rng):
    linear = nn.Linear(5, 7, generator=minigan.Generator(0)).double()
    sn = nn.utils.spectral_norm(linear, n_power_iterations=1, generator=minigan.Generator(1))
    assert list(sn.state_dict()) == ["u", "v", "module.weight", "module.bias"]
    x = minigan.tensor(rng.normal(size=(3, 5)))
    for _ in range(60):  # one power iteration per training forward
        out = sn(x)
    true_sigma = np.linalg.svd(linear.weight.detach().numpy(), compute_uv=False)[0]
    normalized = sn.normalized_weight().detach().numpy()
    np.testing.assert_allclose(np.linalg.svd(normalized, compute_uv=False)[0], 1.0, rtol=1e-8)
    np.testing.assert_allclose(normalized * true_sigma, linear.weight.detach().numpy(), rtol=1e-8)
    np.testing.assert_allclose(out.detach().numpy(), x.numpy() @ normalized.T
                               + linear.bias.detach().numpy(), rtol=1e-12)
    sn.eval()  # no update in evaluation mode
    u = sn.u.numpy().copy()
    sn(x)
    np.testing.assert_array_equal(sn.u.numpy(), u)
    with pytest.raises(ValueError, match="no parameter 'kernel'"):
        nn.utils.spectral_norm(linear, name="kernel")


def test_spectral_norm_matches_pytorch(torch, rng):
    linear = nn.Linear(4, 6, generator=minigan.Generator(0)).double()
    sn = nn.utils.spectral_norm(linear, generator=minigan.Generator(1))
    twin = torch.nn.Linear(4, 6)
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(linear.weight.detach().numpy()))
        twin.bias.copy_(torch.tensor(linear.bias.detach().numpy()))
    twin = torch.nn.utils.spectral_norm(twin)
    with torch.no_grad():
        twin.weight_u.copy_(torch.tensor(sn.u.numpy()))
        twin.weight_v.copy_(torch.tensor(sn.v.numpy()))
    for _ in range(3):  # three training steps of power iteration, then the gradient
        x = rng.normal(size=(5, 4))
        ours, theirs = sn(minigan.tensor(x)), twin(torch.tensor(x))
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    (ours ** 2).sum().backward()
    (theirs ** 2).sum().backward()
    np.testing.assert_allclose(linear.weight.grad.numpy(), twin.weight_orig.grad.numpy(),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sn.u.numpy(), twin.weight_u.detach().numpy(), rtol=1e-10)


def test_spectral_norm_gradcheck(rng):
    sn = nn.utils.spectral_norm(nn.Linear(3, 4).double(), generator=minigan.Generator(0)).eval()
    x = minigan.tensor(rng.normal(size=(2, 3)))
    weight = minigan.tensor(sn.module.weight.detach().numpy(), requires_grad=True)
    assert minigan.gradcheck(
        lambda w: nn.utils.functional_call(sn, {"module.weight": w}, x), weight)
