"""optim.swa_utils: the averaged copy of a model (the EMA of G), against its recursion by hand
and against PyTorch's AveragedModel."""

import numpy as np
import pytest

import minigan
from minigan import gan, nn, optim
from minigan.optim.swa_utils import AveragedModel, get_ema_avg_fn


def _model(seed=0):
    g = minigan.Generator(seed)
    return nn.Sequential(nn.Linear(3, 4, generator=g), nn.BatchNorm1d(4), nn.ReLU(),
                         nn.Linear(4, 2, generator=g)).double()


def _perturbed(model, rng):
    """Move every parameter and run one training forward (batch norm's running stats move)."""
    with minigan.no_grad():
        for p in model.parameters():
            p.add_(minigan.tensor(rng.normal(size=p.shape)))
        model(minigan.tensor(rng.normal(size=(5, 3))))


def _array(value):
    return value.numpy() if isinstance(value, minigan.Tensor) else np.asarray(value)


def _weights(model, buffers=False):
    tensors = list(model.parameters()) + (list(model.buffers()) if buffers else [])
    return [t.numpy().copy() for t in tensors]


@pytest.mark.parametrize("decay", [0.0, 0.5, 0.9, 1.0])
def test_the_ema_follows_its_recursion(decay):
    rng = np.random.default_rng(0)
    model = _model()
    ema = AveragedModel(model, avg_fn=get_ema_avg_fn(decay), use_buffers=True)
    expected = None
    for _ in range(4):
        _perturbed(model, rng)
        ema.update_parameters(model)
        now = _weights(model, buffers=True)
        expected = now if expected is None else [
            w if w.dtype.kind != "f" else decay * e + (1 - decay) * w
            for e, w in zip(expected, now)]
    for got, want in zip(_weights(ema.module, buffers=True), expected):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    assert int(ema.n_averaged.item()) == 4


def test_without_avg_fn_the_average_is_the_mean_and_buffers_stay_unless_asked():
    rng = np.random.default_rng(1)
    model = _model()
    start = _weights(model, buffers=True)
    swa = AveragedModel(model)
    seen = []
    for _ in range(3):
        _perturbed(model, rng)
        swa.update_parameters(model)
        seen.append(_weights(model))
    for got, many in zip(_weights(swa.module), zip(*seen)):
        np.testing.assert_allclose(got, np.mean(many, axis=0), rtol=1e-13)
    n_params = len(list(model.parameters()))
    for got, first in zip(_weights(swa.module, buffers=True)[n_params:], start[n_params:]):
        np.testing.assert_array_equal(got, first)  # use_buffers=False: the copy's own


def test_the_copy_trains_nothing_and_runs_the_averaged_weights():
    model = _model()
    ema = AveragedModel(model, avg_fn=get_ema_avg_fn(0.9))
    assert not any(p.requires_grad for p in ema.module.parameters())
    assert all(p.requires_grad for p in model.parameters())
    ema.update_parameters(model)
    x = minigan.tensor(np.random.default_rng(2).normal(size=(5, 3)))
    np.testing.assert_array_equal(gan.generate(ema, x).numpy(), gan.generate(model, x).numpy())
    with minigan.no_grad():
        model[0].weight.add_(1.0)
    assert not np.array_equal(gan.generate(ema, x).numpy(), gan.generate(model, x).numpy())


def test_state_dict_round_trip_and_clear_errors():
    rng = np.random.default_rng(3)
    model = _model()
    ema = AveragedModel(model, avg_fn=get_ema_avg_fn(0.5), use_buffers=True)
    for _ in range(2):
        _perturbed(model, rng)
        ema.update_parameters(model)
    again = AveragedModel(_model(seed=5), avg_fn=get_ema_avg_fn(0.5), use_buffers=True)
    again.load_state_dict(ema.state_dict())
    for a, b in zip(_weights(again, buffers=True), _weights(ema, buffers=True)):
        np.testing.assert_array_equal(a, b)
    assert int(again.n_averaged.item()) == 2
    with pytest.raises(ValueError, match="other parameters than the model"):
        ema.update_parameters(nn.Linear(3, 4))
    with pytest.raises(TypeError, match="model must be a minigan Module"):
        AveragedModel(object())
    with pytest.raises(ValueError, match="get_ema_avg_fn: decay must be a probability"):
        get_ema_avg_fn(1.5)


@pytest.mark.torch
def test_matches_torchs_averaged_model(torch):
    from torch.optim.swa_utils import AveragedModel as TorchAveraged
    from torch.optim.swa_utils import get_ema_avg_fn as torch_ema

    rng = np.random.default_rng(4)
    ours = _model()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    ema = AveragedModel(ours, avg_fn=get_ema_avg_fn(0.9), use_buffers=True)
    tema = TorchAveraged(theirs, avg_fn=torch_ema(0.9), use_buffers=True)
    for _ in range(3):
        _perturbed(ours, rng)
        with torch.no_grad():
            for name, value in ours.state_dict().items():
                theirs.state_dict()[name].copy_(torch.tensor(_array(value)))
        ema.update_parameters(ours)
        tema.update_parameters(theirs)
    for name, value in ema.module.state_dict().items():
        if name.endswith("num_batches_tracked"):  # PyTorch averages the count and truncates
            continue                              # it; minigan copies it (a count, not a weight)
        np.testing.assert_allclose(_array(value), tema.module.state_dict()[name].numpy(),
                                   rtol=1e-12, atol=1e-12, err_msg=name)


def test_a_trainer_with_an_ema_resumes_bit_for_bit(tmp_path):
    def trainer():
        G = gan.MLPGenerator(2, 1, hidden=(8,), generator=minigan.Generator(0)).double()
        D = gan.MLPDiscriminator(1, hidden=(8,), generator=minigan.Generator(1)).double()
        return gan.Trainer(G, D, optim.Adam(G.parameters(), lr=1e-3),
                           optim.Adam(D.parameters(), lr=1e-3),
                           minigan.data.gaussian_1d(2.0, 0.5), batch_size=8, seed=3,
                           averaged_G=AveragedModel(G, avg_fn=get_ema_avg_fn(0.9)))
    straight = trainer()
    straight.fit(6, progress=False)
    first = trainer()
    first.fit(3, checkpoint=tmp_path / "c.npz", checkpoint_every=3, progress=False)
    resumed = trainer()
    resumed.load_checkpoint(tmp_path / "c.npz")
    resumed.fit(3, progress=False)  # the 3 steps that were left
    assert int(resumed.averaged_G.n_averaged.item()) == 6
    for a, b in zip(_weights(resumed.averaged_G.module), _weights(straight.averaged_G.module)):
        np.testing.assert_array_equal(a, b)


def test_update_bn_recomputes_the_statistics_from_the_batches():
    from minigan.optim.swa_utils import update_bn

    rng = np.random.default_rng(5)
    model = _model()
    ema = AveragedModel(model, avg_fn=get_ema_avg_fn(0.5))
    batches = [minigan.tensor(rng.normal(2.0, 3.0, size=(8, 3))) for _ in range(4)]
    ema.eval()
    update_bn(batches, ema)
    assert not ema.training and ema.module[1].momentum == 0.1  # modes and momenta come back
    first = [ema.module[0](b).numpy() for b in batches]  # what the batch norm layer saw
    bn = ema.module[1]
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([f.mean(0) for f in first], 0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([f.var(0, ddof=1) for f in first], 0), rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 4
    with pytest.raises(TypeError, match="update_bn: model must be a minigan Module"):
        update_bn(batches, object())
