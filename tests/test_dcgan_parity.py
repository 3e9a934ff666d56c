"""minigan's DCGAN against a PyTorch twin: the same weights, batch and noise, one full training
step; the same losses, gradients, updated weights and batch-norm statistics.

The twin is written here from the description of the reference DCGAN (PyTorch's example), not
from minigan's code, and its step is the classic PyTorch loop: D on the real batch (label 1) and
on G(z) detached (label 0), BCE with logits summed, an Adam step; then G's non-saturating loss
on D(G(z)) for the same fake batch, now not detached, an Adam step. On minigan's side the step
is :func:`minigan.gan.train_step`.

The twin always runs in float64, which makes it the exact value for the given weights. In
float64 minigan must agree with it to 1e-9. In float32 "the same" has to allow for two effects
that hit PyTorch's own float32 run just as hard (its G gradient at 64x64 is 0.15% off in norm):

- after D's first Adam step (every weight moves by about lr, all in a coherent direction) D
  rejects the fakes with confidence, and G's gradient comes back through D's LeakyReLUs and
  batch norms out of sums that cancel; an activation within rounding of 0 takes the other
  branch of its kink now and then. G's gradient is then good to about 0.3% in norm;
- Adam's first step moves a weight by lr * g / (|g| + eps), about +-lr whatever |g|: where g
  is within rounding of 0 its sign, and so the step, is a coin toss. A few weights per hundred
  may step the other way, and land up to 2 lr from the exact weight, never further.
"""

import numpy as np
import pytest

import minigan
import minigan.gan as gan
import minigan.optim as optim

pytestmark = pytest.mark.torch

LR = 2e-4


def _torch_dcgan(torch, nz, ngf, ndf, nc, size):
    """G and D as in PyTorch's DCGAN example, generalised to sides 2^k >= 16 (G's widths halve
    from ngf * size/8 at 4x4 to ngf, D's double from ndf to ndf * size/8), in float64. Each is a
    Module whose layers sit in ``main``, as in the example."""
    tnn = torch.nn
    g, mult = [], size // 8
    g += [tnn.ConvTranspose2d(nz, ngf * mult, 4, 1, 0, bias=False), tnn.BatchNorm2d(ngf * mult),
          tnn.ReLU(True)]
    while mult > 1:
        g += [tnn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False),
              tnn.BatchNorm2d(ngf * mult // 2), tnn.ReLU(True)]
        mult //= 2
    g += [tnn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=True), tnn.Tanh()]

    d, mult = [tnn.Conv2d(nc, ndf, 4, 2, 1, bias=False), tnn.LeakyReLU(0.2, inplace=True)], 1
    while mult < size // 8:
        d += [tnn.Conv2d(ndf * mult, ndf * mult * 2, 4, 2, 1, bias=False),
              tnn.BatchNorm2d(ndf * mult * 2), tnn.LeakyReLU(0.2, inplace=True)]
        mult *= 2
    d += [tnn.Conv2d(ndf * mult, 1, 4, 1, 0, bias=True)]  # logits: no sigmoid

    players = []
    for layers in (g, d):
        player = tnn.Module()
        player.main = tnn.Sequential(*layers)
        players.append(player.double())
    return players


def _adam(params, torch=None):
    make = optim.Adam if torch is None else torch.optim.Adam
    return make(params, lr=LR, betas=(0.5, 0.999))


def _numpy(named):
    return {k: (v.numpy() if isinstance(v, minigan.Tensor) else v.detach().numpy()).copy()
            for k, v in named}


def _result(d_loss, g_loss, players, grads):
    """What a step is compared by: the losses, each player's gradients (D's from its own
    step) and state dict after the step, under names such as "G.main.0.weight"."""
    out = {"losses": {"d_loss": d_loss, "g_loss": g_loss}, "grads": {}, "state": {}}
    for name, model in players.items():
        out["grads"].update({f"{name}.{k}": g for k, g in grads[name].items()})
        out["state"].update({f"{name}.{k}": v for k, v in _numpy(model.state_dict().items())
                             .items()})
    return out


def _minigan_step(G, D, real, z):
    record = gan.train_step(G, D, _adam(G.parameters()), _adam(D.parameters()),
                            lambda: minigan.tensor(real), lambda: minigan.tensor(z))
    grads = {name: _numpy((k, p.grad) for k, p in model.named_parameters())
             for name, model in (("G", G), ("D", D))}
    return _result(record["d_loss"], record["g_loss"], {"G": G, "D": D}, grads)


def _torch_step(torch, config, start, real, z, D_after):
    """The classic PyTorch step in float64 from the state dicts ``start``, except that G's
    half goes through the weights of ``D_after``, minigan's D after its own update: the few
    weights of D whose step is a coin toss in float32 (see the module docstring) would
    otherwise shift all of G's gradient."""
    tG, tD = _torch_dcgan(torch, *config)
    for twin, name in ((tG, "G"), (tD, "D")):
        twin.load_state_dict({k: torch.from_numpy(v) for k, v in start[name].items()},
                             strict=True)  # minigan's keys are PyTorch's, one for one
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    opt_G, opt_D = _adam(tG.parameters(), torch), _adam(tD.parameters(), torch)
    n = real.shape[0]
    ones, zeros = torch.ones(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)
    real, z = torch.from_numpy(real).double(), torch.from_numpy(z).double()

    fake = tG.main(z)
    d_loss = bce(tD.main(real).view(-1), ones) + bce(tD.main(fake.detach()).view(-1), zeros)
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    d_grads = _numpy((k, p.grad) for k, p in tD.named_parameters())
    d_params = _numpy(tD.named_parameters())

    with torch.no_grad():
        for p, q in zip(tD.parameters(), D_after.parameters()):
            p.copy_(torch.from_numpy(q.detach().numpy()))
    g_loss = bce(tD.main(fake).view(-1), ones)  # the same fake batch, not detached now
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    with torch.no_grad():  # D's parameters as its own step left them
        for k, p in tD.named_parameters():
            p.copy_(torch.from_numpy(d_params[k]))
    grads = {"G": _numpy((k, p.grad) for k, p in tG.named_parameters()), "D": d_grads}
    return _result(d_loss.item(), g_loss.item(), {"G": tG, "D": tD}, grads)


# float64: everything to rounding. float32: the allowances of the module docstring.
_TOLERANCES = {
    np.float64: dict(loss=1e-10, grad=1e-9, weight=(1e-10, 1e-12), stat=1e-10, agree=1.0),
    np.float32: dict(loss=1e-5, grad=1e-2, weight=(1e-5, 1e-7), stat=1e-4, agree=0.98),
}


def _relative_error(ours, exact):
    """||ours - exact|| / ||exact|| in the 2-norm (the absolute error where exact is 0)."""
    ours, exact = np.asarray(ours, dtype=np.float64), np.asarray(exact, dtype=np.float64)
    return np.linalg.norm(ours - exact) / (np.linalg.norm(exact) or 1.0)


def _check_one_step(torch, dtype, nz, ngf, ndf, nc, size, batch, seed=0):
    tol = _TOLERANCES[dtype]
    G = gan.DCGANGenerator(nz, ngf, nc, size, generator=minigan.Generator(seed)).to(dtype=dtype)
    D = gan.DCGANDiscriminator(ndf, nc, size, generator=minigan.Generator(seed + 1))
    D.to(dtype=dtype)
    start = {"G": _numpy(G.state_dict().items()), "D": _numpy(D.state_dict().items())}
    rng = np.random.default_rng(seed)
    real = rng.uniform(-1, 1, (batch, nc, size, size)).astype(dtype)
    z = rng.standard_normal((batch, nz, 1, 1)).astype(dtype)

    ours = _minigan_step(G, D, real, z)
    exact = _torch_step(torch, (nz, ngf, ndf, nc, size), start, real, z, D)

    for key, value in exact["losses"].items():
        np.testing.assert_allclose(ours["losses"][key], value, rtol=tol["loss"], err_msg=key)
    for key, value in exact["grads"].items():
        assert ours["grads"][key].dtype == dtype, key
        error = _relative_error(ours["grads"][key], value)
        assert error <= tol["grad"], f"gradient of {key}: {error:.1e} off in norm"
    assert list(ours["state"]) == list(exact["state"])
    agree = {"G": [], "D": []}
    for key, value in exact["state"].items():
        mine = ours["state"][key]
        assert mine.dtype == (np.int64 if key.endswith("tracked") else dtype), key
        if key in exact["grads"]:  # a weight after its Adam step
            rtol, atol = tol["weight"]
            agree[key[0]].append(np.abs(mine - value) <= atol + rtol * np.abs(value))
            assert np.abs(mine - value).max() <= 2.001 * LR, f"{key}: a step larger than lr"
        else:  # batch norm's running statistics: G's from one batch, D's from three
            np.testing.assert_allclose(mine, value, rtol=tol["stat"], atol=tol["stat"],
                                       err_msg=key)
    for name, flags in agree.items():
        share = np.concatenate([f.ravel() for f in flags]).mean()
        assert share >= tol["agree"], f"{name}: only {share:.2%} of the weights stepped alike"
    assert ours["state"]["D.main.3.num_batches_tracked"] == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_training_step_matches_pytorch_at_32x32x1(torch, dtype):
    _check_one_step(torch, dtype, nz=32, ngf=8, ndf=8, nc=1, size=32, batch=16)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_training_step_matches_pytorch_on_the_reference_dcgan(torch, dtype):
    """The full 64x64x3 reference (nz = 100, ngf = ndf = 64)."""
    _check_one_step(torch, dtype, nz=100, ngf=64, ndf=64, nc=3, size=64, batch=16)
