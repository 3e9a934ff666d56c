"""minigan.nn: Module mechanics, the layers against PyTorch (same weights, same data: same
outputs, gradients and running statistics), default and DCGAN initialisation, state dicts."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import minigan
from minigan import nn
from minigan.nn import init

# -- the layers against PyTorch ------------------------------------------------------------------
# Each case builds the same layer from either library's `nn` (the names and arguments are the
# same), with an input shape. Layers are compared in float64 after copying PyTorch's weights in
# through load_state_dict, which also checks that the state-dict keys are PyTorch's.
LAYERS = {
    "linear": (lambda nn: nn.Linear(4, 3), (5, 4)),
    "linear-no-bias-3d": (lambda nn: nn.Linear(4, 3, bias=False), (2, 5, 4)),
    "conv": (lambda nn: nn.Conv2d(3, 4, 3, 2, 1), (2, 3, 7, 7)),
    "conv-dilated": (lambda nn: nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=(2, 0),
                                          dilation=(2, 1), bias=False), (2, 2, 8, 7)),
    "conv-transpose": (lambda nn: nn.ConvTranspose2d(3, 2, 4, 2, 1), (2, 3, 5, 5)),
    "conv-transpose-output-padding": (lambda nn: nn.ConvTranspose2d(
        2, 3, 3, stride=2, padding=1, output_padding=1, bias=False), (2, 2, 4, 4)),
    "conv-transpose-dilated": (lambda nn: nn.ConvTranspose2d(2, 2, 3, 1, 1, dilation=2),
                               (1, 2, 4, 5)),
    "batchnorm1d": (lambda nn: nn.BatchNorm1d(3), (6, 3)),
    "batchnorm1d-3d-cumulative": (lambda nn: nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    "batchnorm2d": (lambda nn: nn.BatchNorm2d(3, momentum=0.3), (4, 3, 5, 5)),
    "batchnorm2d-no-affine": (lambda nn: nn.BatchNorm2d(3, affine=False), (4, 3, 2, 2)),
    "batchnorm2d-no-running-stats": (lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
                                     (4, 3, 2, 2)),
    "relu": (lambda nn: nn.ReLU(), (3, 4)),
    "leaky-relu": (lambda nn: nn.LeakyReLU(0.2), (3, 4)),
    "tanh": (lambda nn: nn.Tanh(), (3, 4)),
    "sigmoid": (lambda nn: nn.Sigmoid(), (3, 4)),
    "flatten": (lambda nn: nn.Flatten(), (2, 3, 4, 5)),
    "flatten-range": (lambda nn: nn.Flatten(0, 2), (2, 3, 4, 5)),
    "unflatten": (lambda nn: nn.Unflatten(1, (2, 3)), (4, 6, 2)),
    "unflatten-negative-dim": (lambda nn: nn.Unflatten(-1, (2, -1)), (4, 6)),
    "discriminator-block": (lambda nn: nn.Sequential(
        nn.Conv2d(3, 4, 4, 2, 1, bias=False), nn.BatchNorm2d(4), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 1)), (3, 3, 8, 8)),
    "generator-block": (lambda nn: nn.Sequential(
        nn.Unflatten(1, (5, 1, 1)), nn.ConvTranspose2d(5, 4, 4, 1, 0, bias=False),
        nn.BatchNorm2d(4), nn.ReLU(), nn.ConvTranspose2d(4, 1, 4, 2, 1), nn.Tanh()), (3, 5)),
}


def _twin(torch, build):
    """The layer in both libraries, ours holding PyTorch's float64 weights."""
    theirs = build(torch.nn)
    ours = build(nn).double()
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)  # same keys, same order
    ours.load_state_dict({k: v.detach().numpy() for k, v in state.items()})
    return ours, theirs


def _assert_close(ours, theirs, what):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12, err_msg=what)


@pytest.mark.torch
@pytest.mark.parametrize("case", list(LAYERS))
def test_layer_matches_torch(torch, case):
    build, shape = LAYERS[case]
    ours, theirs = _twin(torch, build)
    rng = np.random.default_rng(0)
    for step in range(3):  # batch norm's running statistics change from step to step
        x = rng.standard_normal(shape)
        xo, xt = minigan.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        _assert_close(yo, yt, f"output at step {step}")
        v = rng.standard_normal(yt.shape)
        ours.zero_grad()
        theirs.zero_grad()
        yo.backward(minigan.tensor(v))
        yt.backward(torch.tensor(v))
        _assert_close(xo.grad, xt.grad, f"input gradient at step {step}")
        tgrads = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            _assert_close(p.grad, tgrads[name].grad, f"gradient of {name} at step {step}")
    tstate = theirs.state_dict()
    for name, value in ours.state_dict().items():  # running statistics, batches seen
        _assert_close(value, tstate[name], f"state {name}")
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    _assert_close(ours(minigan.tensor(x)), theirs(torch.tensor(x)), "output in eval mode")


def test_modules_support_second_derivatives():
    """A gradient penalty differentiates through the model's input gradient."""
    model = nn.Sequential(nn.Linear(3, 4, generator=minigan.Generator(0)), nn.Tanh(),
                          nn.Linear(4, 1, generator=minigan.Generator(1))).double()
    x = minigan.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert minigan.gradgradcheck(model, x)


# -- default initialisation, as PyTorch's -----------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("build", [
    lambda nn: nn.Linear(300, 400),
    lambda nn: nn.Conv2d(32, 400, 3),
    lambda nn: nn.ConvTranspose2d(16, 400, 4),  # PyTorch's fan rule reads the *output* channels
], ids=["linear", "conv", "conv-transpose"])
def test_default_init_has_torch_bounds(torch, build):
    """Weights and biases are uniform on the same interval as PyTorch's: compare the largest
    magnitude drawn (close to the bound, for hundreds of draws) and the spread."""
    torch.manual_seed(0)
    ours, theirs = build(nn), build(torch.nn)
    for name in ("weight", "bias"):
        w = getattr(ours, name).detach().numpy()
        tw = getattr(theirs, name).detach().numpy()
        np.testing.assert_allclose(np.abs(w).max(), np.abs(tw).max(), rtol=0.05, err_msg=name)
        np.testing.assert_allclose(w.std(), tw.std(), rtol=0.15, err_msg=name)
        assert w.dtype == np.float32


def test_batch_norm_starts_as_a_pure_normalisation():
    bn = nn.BatchNorm2d(3)
    for name, expected in (("weight", 1), ("bias", 0), ("running_mean", 0), ("running_var", 1),
                           ("num_batches_tracked", 0)):
        np.testing.assert_array_equal(getattr(bn, name).detach().numpy(), expected)
    assert bn.num_batches_tracked.dtype == np.int64


def test_layers_draw_from_their_generator():
    def weights(seed):
        return nn.Conv2d(3, 4, 3, generator=minigan.Generator(seed)).weight.detach().numpy()

    np.testing.assert_array_equal(weights(5), weights(5))
    assert not np.array_equal(weights(5), weights(6))
    minigan.manual_seed(7)
    a = nn.Linear(3, 2).weight.detach().numpy()
    minigan.manual_seed(7)
    np.testing.assert_array_equal(a, nn.Linear(3, 2).weight.detach().numpy())


def test_layers_accept_dtype_and_device(device):
    layer = nn.Linear(3, 2, dtype=np.float64, device=device)
    assert layer.weight.dtype == np.float64 and layer.bias.device == device
    bn = nn.BatchNorm1d(2, device=device)
    assert bn.running_var.device == device and bn.num_batches_tracked.device == device


# -- minigan.nn.init -----------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 4), (5, 3, 2, 2), (2, 7, 3), (4, 4, 1, 1)])
def test_fan_in_and_fan_out_as_torch(torch, shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.calculate_fan_in_and_fan_out(minigan.zeros(shape)) == expected


@pytest.mark.torch
@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("conv_transpose2d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("selu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
    ("leaky_relu", 5),
])
def test_calculate_gain_as_torch(torch, nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


INITS = [
    ("uniform_", dict(a=-0.3, b=0.7)),
    ("normal_", dict(mean=1.0, std=0.02)),
    ("kaiming_uniform_", dict()),
    ("kaiming_uniform_", dict(a=0.2, mode="fan_out", nonlinearity="leaky_relu")),
    ("kaiming_normal_", dict(nonlinearity="relu")),
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="tanh")),
    ("xavier_uniform_", dict()),
    ("xavier_normal_", dict(gain=init.calculate_gain("tanh"))),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", INITS,
                         ids=[f"{n}{'-' if k else ''}{'-'.join(map(str, k.values()))}"
                              for n, k in INITS])
def test_init_draws_from_torch_distribution(torch, name, kwargs):
    """Same distribution as PyTorch's function of the same name: mean, spread and range of
    ~18k draws agree to within sampling error."""
    shape = (64, 32, 3, 3)
    ours = getattr(init, name)(minigan.zeros(shape), generator=minigan.Generator(0),
                               **kwargs).numpy()
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape), **kwargs).numpy()
    scale = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.05 * scale
    np.testing.assert_allclose(ours.std(), scale, rtol=0.03)
    if "uniform" in name:
        np.testing.assert_allclose([ours.min(), ours.max()], [theirs.min(), theirs.max()],
                                   rtol=0.01, atol=0.01 * scale)


def test_init_is_reproducible_and_device_independent(device):
    def draw(seed, device):
        t = minigan.zeros(4, 5, device=device)
        return init.kaiming_normal_(t, generator=minigan.Generator(seed)).numpy()

    np.testing.assert_array_equal(draw(3, device), draw(3, "cpu"))
    assert not np.array_equal(draw(3, "cpu"), draw(4, "cpu"))


def test_constant_fills_keep_identity_and_dtype():
    t = minigan.zeros(2, 3, dtype=np.float64)
    data = t.data
    assert init.ones_(t) is t and t.data is data and t.dtype == np.float64
    np.testing.assert_array_equal(t.numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(init.constant_(t, 2.5).numpy(), np.full((2, 3), 2.5))
    np.testing.assert_array_equal(init.zeros_(t).numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("call, error, message", [
    (lambda: init.normal_(np.zeros(3)), TypeError, "must be a minigan Tensor"),
    (lambda: init.uniform_(minigan.zeros(3), 1.0, 0.0), ValueError, "a <= b"),
    (lambda: init.normal_(minigan.zeros(3), std=-1.0), ValueError, "std"),
    (lambda: init.kaiming_uniform_(minigan.zeros(3)), ValueError, "at least 2 dimensions"),
    (lambda: init.kaiming_normal_(minigan.zeros(3, 3), mode="fan"), ValueError, "mode"),
    (lambda: init.kaiming_normal_(minigan.zeros(0, 3), mode="fan_out"), ValueError, "fan_out 0"),
    (lambda: init.calculate_gain("swish"), ValueError, "unknown nonlinearity"),
    (lambda: init.calculate_gain("leaky_relu", "0.2"), ValueError, "negative slope"),
])
def test_init_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _dcgan_like():
    gen = minigan.Generator(0)
    return nn.Sequential(
        nn.Linear(8, 16, generator=gen), nn.Unflatten(1, (16, 1, 1)),
        nn.ConvTranspose2d(16, 32, 4, 1, 0, bias=False, generator=gen), nn.BatchNorm2d(32),
        nn.ReLU(), nn.ConvTranspose2d(32, 3, 4, 2, 1, generator=gen), nn.Tanh(),
        nn.Conv2d(3, 8, 4, 2, 1, generator=gen), nn.BatchNorm1d(8), nn.LeakyReLU(0.2))


def test_dcgan_init():
    model = _dcgan_like()
    model[3].running_mean.data[...] = 5.0
    assert init.dcgan_init_(model, generator=minigan.Generator(1)) is model
    weights = np.concatenate([model[i].weight.detach().numpy().ravel() for i in (0, 2, 5, 7)])
    assert abs(weights.mean()) < 0.002
    np.testing.assert_allclose(weights.std(), 0.02, rtol=0.05)
    scales = np.concatenate([model[i].weight.detach().numpy() for i in (3, 8)])
    assert abs(scales.mean() - 1) < 0.01 and 0.01 < scales.std() < 0.03
    for i in (0, 3, 5, 7, 8):
        np.testing.assert_array_equal(model[i].bias.detach().numpy(), 0)
    np.testing.assert_array_equal(model[3].running_mean.numpy(), 5.0)  # buffers untouched
    again = init.dcgan_init_(_dcgan_like(), generator=minigan.Generator(1))
    for (name, a), b in zip(model.named_parameters(), again.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)


def test_reference_dcgan_parameter_counts():
    """The 64x64 DCGAN of PyTorch's example (docs/architecture.md): 3,576,707 and 2,765,569
    parameters."""
    chans = [512, 256, 128, 64]
    g_layers = [nn.ConvTranspose2d(100, 512, 4, 1, 0, bias=False), nn.BatchNorm2d(512), nn.ReLU()]
    for c_in, c_out in zip(chans, chans[1:]):
        g_layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                     nn.ReLU()]
    g_layers += [nn.ConvTranspose2d(64, 3, 4, 2, 1), nn.Tanh()]
    d_layers = [nn.Conv2d(3, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
    for c_in, c_out in zip(chans[::-1], chans[::-1][1:]):
        d_layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                     nn.LeakyReLU(0.2)]
    d_layers += [nn.Conv2d(512, 1, 4, 1, 0), nn.Flatten(0)]
    for layers, expected in ((g_layers, 3_576_707), (d_layers, 2_765_569)):
        model = nn.Sequential(*layers)
        assert sum(p.numel() for p in model.parameters()) == expected
        assert repr(model).endswith(f")  # {expected:,} parameters")


# -- Module mechanics ----------------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self, shared=None):
        super().__init__()
        self.scale = nn.Parameter(minigan.ones(2))
        self.register_buffer("calls", minigan.zeros(()))
        self.inner = shared if shared is not None else nn.Linear(2, 2)
        self.note = "not registered"

    def forward(self, x):
        self.calls.data += 1
        return self.inner(x) * self.scale


class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block()
        self.second = Block(shared=self.first.inner)  # one Linear used twice
        self.offset = nn.Parameter(minigan.zeros(1))

    def forward(self, x):
        return self.second(self.first(x)) + self.offset


def test_registration_and_dotted_names():
    model = Pair()
    assert [n for n, _ in model.named_parameters()] == [
        "offset", "first.scale", "first.inner.weight", "first.inner.bias", "second.scale"]
    assert [n for n, _ in model.named_buffers()] == ["first.calls", "second.calls"]
    assert [n for n, _ in model.named_modules()] == ["", "first", "first.inner", "second"]
    assert [n for n, _ in model.named_children()] == ["first", "second"]
    assert list(model.children()) == [model.first, model.second]
    assert [n for n, _ in model.named_parameters(recurse=False)] == ["offset"]
    assert model.first.note == "not registered"
    assert "note" not in dict(model.first.named_parameters())
    # The state dict lists the shared layer under both of its names, as PyTorch does.
    assert list(model.state_dict()) == [
        "offset", "first.scale", "first.calls", "first.inner.weight", "first.inner.bias",
        "second.scale", "second.calls", "second.inner.weight", "second.inner.bias"]


def test_reassigning_and_deleting_attributes():
    block = Block()
    block.inner = "replaced"  # no longer a child
    assert list(block.children()) == [] and block.inner == "replaced"
    block.extra = nn.Parameter(minigan.ones(3))
    assert "extra" in dict(block.named_parameters())
    del block.extra
    assert "extra" not in dict(block.named_parameters())
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'extra'"):
        _ = block.extra
    block.scale = None
    assert block.scale is None and [n for n, _ in block.named_parameters()] == []


@pytest.mark.parametrize("call, error, message", [
    (lambda b: setattr(b, "scale", minigan.ones(2)), TypeError, "wrap it in Parameter"),
    (lambda b: setattr(b, "calls", np.zeros(())), TypeError, "buffer 'calls' must be a Tensor"),
    (lambda b: b.register_buffer("stats", [1.0]), TypeError, "'stats' must be a Tensor"),
    (lambda b: b.register_parameter("w", minigan.ones(1)), TypeError, "Parameter or None"),
])
def test_registration_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(Block())


def test_forgetting_super_init_is_explained():
    class Forgetful(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minigan.ones(1))

    with pytest.raises(AttributeError, match="call super\\(\\).__init__\\(\\)"):
        Forgetful()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(minigan.ones(1))


def test_parameter_is_a_leaf_that_requires_grad():
    source = minigan.ones(2, 3) * 2  # the result of an operation
    p = nn.Parameter(source)
    assert p.is_leaf and p.requires_grad and p.data is source.data
    assert not nn.Parameter(minigan.ones(1), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert isinstance(p * 2, minigan.Tensor) and not isinstance(p * 2, nn.Parameter)


def test_train_and_eval_reach_every_module():
    model = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4)))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_evaluating_runs_in_eval_mode_without_a_graph_and_restores_every_mode():
    bn = nn.BatchNorm1d(3)
    model = nn.Sequential(nn.Linear(2, 3), bn, nn.Sequential(nn.Dropout(0.5)))
    model[2].eval()  # a mixed tree: its modes must come back exactly as they were
    before = [m.training for m in model.modules()]
    x = minigan.randn(8, 2, generator=minigan.Generator(0))
    with model.evaluating() as same:
        assert same is model and not any(m.training for m in model.modules())
        y = model(x)
    assert not y.requires_grad  # no graph
    assert [m.training for m in model.modules()] == before
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))  # stats untouched
    with pytest.raises(RuntimeError, match="inside"):
        with model.evaluating():
            raise RuntimeError("inside")
    assert [m.training for m in model.modules()] == before


def test_dropout_drops_in_training_only():
    drop = nn.Dropout(0.25, generator=minigan.Generator(0))
    x = minigan.ones(400, 50)
    y = drop(x).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_array_equal(drop.eval()(x).numpy(), x.numpy())
    again = nn.Dropout(0.25, generator=minigan.Generator(0))(x).numpy()
    np.testing.assert_array_equal(again, y)


def test_zero_grad_and_requires_grad():
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    model(minigan.ones(4, 3)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    assert not model(minigan.ones(4, 3)).requires_grad  # a frozen discriminator builds no graph


def test_apply_visits_children_first():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh()))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Tanh", "Sequential", "Sequential"]


def test_to_changes_dtype_in_place():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    params = list(model.parameters())
    model(minigan.ones(4, 3)).sum().backward()
    assert model.double() is model
    assert all(a is b for a, b in zip(model.parameters(), params))
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64  # integers are not cast
    assert model.float()[0].weight.dtype == np.float32


def test_to_device_gives_the_same_outputs(device):
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, generator=minigan.Generator(0)),
                          nn.BatchNorm2d(3), nn.LeakyReLU(0.2), nn.Flatten())
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    expected = model(minigan.tensor(x)).detach().numpy()
    weight = model[0].weight
    model.to(device)
    assert model[0].weight is weight and weight.device == device
    assert all(b.device == device for b in model.buffers())
    out = model(minigan.tensor(x, device=device))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


# -- Sequential ----------------------------------------------------------------------------------
def test_sequential_indexing_and_growth():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    model = nn.Sequential(a, b)
    assert model.append(c) is model
    assert len(model) == 3 and list(model) == [a, b, c]
    assert model[0] is a and model[-1] is c
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [b, c]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # the names are kept
    with pytest.raises(IndexError, match="out of range for 3 modules"):
        model[3]
    with pytest.raises(TypeError, match="entry '0' must be a Module"):
        nn.Sequential(lambda x: x)


def test_sequential_from_ordered_dict():
    model = nn.Sequential(OrderedDict(hidden=nn.Linear(2, 3), act=nn.Tanh()))
    assert list(model.state_dict()) == ["hidden.weight", "hidden.bias"]
    assert model.hidden is model[0]


# -- state dicts -----------------------------------------------------------------------------------
def _mlp(seed, dtype=np.float32):
    gen = minigan.Generator(seed)
    return nn.Sequential(nn.Linear(3, 4, generator=gen), nn.BatchNorm1d(4), nn.LeakyReLU(0.2),
                         nn.Linear(4, 2, generator=gen)).to(dtype=dtype)


def test_state_dict_round_trip():
    source, target = _mlp(0), _mlp(1)
    source(minigan.randn(5, 3))  # moves the running statistics away from their start
    result = target.load_state_dict(source.state_dict())
    assert result == nn.IncompatibleKeys([], [])
    x = minigan.randn(5, 3)
    source.eval(), target.eval()
    np.testing.assert_array_equal(target(x).detach().numpy(), source(x).detach().numpy())
    assert target[1].num_batches_tracked.item() == 1


def test_state_dict_is_a_snapshot():
    model = _mlp(0)
    state = model.state_dict()
    before = state["0.weight"].numpy().copy()
    model[0].weight.data += 1
    np.testing.assert_array_equal(state["0.weight"].numpy(), before)
    assert not state["0.weight"].requires_grad


def test_load_state_dict_accepts_arrays_and_keeps_dtype_and_identity():
    model = _mlp(0)
    weight = model[0].weight
    state = {k: v.numpy().astype(np.float64) + 1 for k, v in _mlp(1).state_dict().items()}
    model.load_state_dict(state)
    assert model[0].weight is weight and weight.dtype == np.float32
    np.testing.assert_allclose(weight.detach().numpy(), state["0.weight"], rtol=1e-6)


@pytest.mark.parametrize("edit, strict, message", [
    (lambda s: s.pop("3.bias"), True, r"missing keys \['3.bias'\]"),
    (lambda s: s.update({"4.weight": s["3.weight"]}), True, r"unexpected keys \['4.weight'\]"),
    (lambda s: s.update({"0.weight": minigan.zeros(3, 4)}), True,
     r"size mismatch for '0.weight': the state dict has shape \(3, 4\), the model \(4, 3\)"),
    (lambda s: s.update({"1.running_var": minigan.zeros(5)}), False,
     r"size mismatch for '1.running_var'"),
    (lambda s: s.update({"0.bias": np.array(["a"] * 4)}), True, "'0.bias' holds <U1 values"),
])
def test_load_state_dict_errors_name_the_key_and_change_nothing(edit, strict, message):
    model = _mlp(0)
    before = {k: v.numpy() for k, v in model.state_dict().items()}
    state = _mlp(1).state_dict()
    edit(state)
    with pytest.raises(RuntimeError, match=message):
        model.load_state_dict(state, strict=strict)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_load_state_dict_not_strict_reports_and_loads_the_rest():
    model, source = _mlp(0), _mlp(1)
    state = source.state_dict()
    del state["3.bias"]
    state["extra"] = minigan.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["3.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model[3].weight.detach().numpy(),
                                  source[3].weight.detach().numpy())
    assert not np.array_equal(model[3].bias.detach().numpy(), source[3].bias.detach().numpy())


# -- printing --------------------------------------------------------------------------------------
def test_repr_shows_layers_and_parameter_counts():
    model = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=8, bias=True)  # 24 parameters\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Linear(in_features=8, out_features=1, bias=True)  # 9 parameters\n"
        ")  # 33 parameters")
    assert repr(Pair()).splitlines()[0] == "Pair(  # own: 1 parameter"
    assert repr(nn.BatchNorm2d(4, affine=False)) == (
        "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=False)")
    assert repr(nn.ConvTranspose2d(3, 4, 4, 2, 1, output_padding=1, bias=False)) == (
        "ConvTranspose2d(3, 4, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), "
        "output_padding=(1, 1), bias=False)  # 192 parameters")


# -- argument and input checks -------------------------------------------------------------------
@pytest.mark.parametrize("build, message", [
    (lambda: nn.Linear(0, 3), "Linear: in_features must be an int >= 1, got 0"),
    (lambda: nn.Linear(2.0, 3), "in_features must be an int"),
    (lambda: nn.Conv2d(3, 4, 0), "Conv2d: kernel_size must be an int >= 1"),
    (lambda: nn.Conv2d(3, 4, (3, 3, 3)), "kernel_size must be an int or a pair"),
    (lambda: nn.Conv2d(3, 4, 3, padding=-1), "padding must be an int >= 0"),
    (lambda: nn.ConvTranspose2d(3, 4, 4, 2, 1, output_padding=2), "output_padding"),
    (lambda: nn.BatchNorm2d(3, eps=0), "BatchNorm2d: eps must be a number > 0, got 0"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), r"momentum must be a number in \[0, 1\]"),
    (lambda: nn.Dropout(1.0), r"Dropout: p must be a probability in \[0, 1\), got 1\.0"),
])
def test_bad_layer_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("layer, shape, message", [
    (nn.BatchNorm2d(3), (4, 3, 5), r"expected input of shape \(N, C, H, W\), got \(4, 3, 5\)"),
    (nn.BatchNorm1d(3), (4, 3, 5, 5), r"\(N, C\) or \(N, C, L\)"),
    (nn.BatchNorm1d(3), (4, 2), "expected 3 channels in dimension 1"),
    (nn.Unflatten(2, (2, 2)), (4, 4), "dim=2 is out of range"),
])
def test_bad_inputs_name_the_layer(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(minigan.zeros(shape))


def test_deepcopy_gives_an_independent_model():
    """E.g. a moving-average copy of a generator: same values, separate parameters."""
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight is not model[0].weight
    np.testing.assert_array_equal(clone[0].weight.detach().numpy(),
                                  model[0].weight.detach().numpy())
    clone[0].weight.data += 1
    assert not np.array_equal(clone[0].weight.detach().numpy(), model[0].weight.detach().numpy())
