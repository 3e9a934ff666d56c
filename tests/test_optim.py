"""minigan.optim: SGD and Adam follow PyTorch's trajectories step for step; state dicts resume
training exactly; bad arguments and mismatched state dicts fail clearly."""

import numpy as np
import pytest

import minigan
from minigan import nn, optim
from minigan.nn import Parameter

STEPS = 20

SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05),
]
ADAM_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=2e-3, betas=(0.5, 0.999)),
    dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.01),
]


def _data(seed=0):
    """A small regression problem: inputs, targets and the starting weights (w, b, unused)."""
    rng = np.random.default_rng(seed)
    return dict(x=rng.standard_normal((8, 4)), y=rng.standard_normal((8, 3)),
                w=rng.standard_normal((3, 4)), b=rng.standard_normal(3),
                unused=rng.standard_normal(2))


def _loss(x, y, w, b):
    """Written once with the operators both libraries share."""
    return (((x @ w.T + b).tanh() - y) ** 2).mean()


def _run_minigan(make_optimizer, data, steps=STEPS, device="cpu"):
    """Train from ``data``'s weights; the values of every parameter after each step."""
    params = [Parameter(minigan.tensor(data[k], device=device)) for k in ("w", "b", "unused")]
    x, y = (minigan.tensor(data[k], device=device) for k in ("x", "y"))
    opt = make_optimizer(params)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(x, y, params[0], params[1]).backward()  # `unused` gets no gradient
        opt.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path, params, opt


def _run_torch(torch, make_optimizer, data, steps=STEPS):
    params = [torch.tensor(data[k], requires_grad=True) for k in ("w", "b", "unused")]
    x, y = (torch.tensor(data[k]) for k in ("x", "y"))
    opt = make_optimizer(params)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(x, y, params[0], params[1]).backward()
        opt.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path, params, opt


def _assert_same_path(ours, theirs):
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for name, pa, pb in zip(("w", "b", "unused"), a, b):
            np.testing.assert_allclose(pa, pb, rtol=1e-11, atol=1e-13,
                                       err_msg=f"{name} after step {step + 1}")


def _case_id(kwargs):
    return ",".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.torch
@pytest.mark.parametrize("kind, kwargs", [("SGD", c) for c in SGD_CASES]
                         + [("Adam", c) for c in ADAM_CASES],
                         ids=[f"SGD-{_case_id(c)}" for c in SGD_CASES]
                         + [f"Adam-{_case_id(c)}" for c in ADAM_CASES])
def test_same_trajectory_as_torch(torch, kind, kwargs):
    data = _data()
    ours, params, opt = _run_minigan(lambda p: getattr(optim, kind)(p, **kwargs), data)
    theirs, _, topt = _run_torch(torch, lambda p: getattr(torch.optim, kind)(p, **kwargs), data)
    _assert_same_path(ours, theirs)
    assert not np.array_equal(ours[-1][0], data["w"])  # it moved
    np.testing.assert_array_equal(ours[-1][2], data["unused"])  # no gradient, no update
    assert all(p.is_leaf and p.requires_grad for p in params)  # the update built no graph
    # The optimizer's own state (momentum buffers, Adam's moments) matches too, under the
    # same names.
    state, tstate = opt.state_dict()["state"], topt.state_dict()["state"]
    assert state.keys() == tstate.keys()
    assert len(state) == (2 if kind == "Adam" or kwargs.get("momentum") else 0)
    for i in state:
        assert state[i].keys() == tstate[i].keys()
        for name, value in state[i].items():
            expected = tstate[i][name]
            if isinstance(value, minigan.Tensor):
                np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-11,
                                           atol=1e-13)
            else:
                assert value == int(expected)


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=_case_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_in_place_update_gives_the_plain_update_bit_for_bit(kwargs, dtype):
    """The update in scratch arrays (IN_PLACE_UPDATE) against the plain expressions."""
    from minigan.optim import adam

    data = {k: v.astype(dtype) for k, v in _data(1).items()}
    paths = []
    for in_place in (True, False):
        old, adam.IN_PLACE_UPDATE = adam.IN_PLACE_UPDATE, in_place
        try:
            paths.append(_run_minigan(lambda p: optim.Adam(p, **kwargs), data, steps=5)[0])
        finally:
            adam.IN_PLACE_UPDATE = old
    for step_fast, step_plain in zip(*paths):
        for a, b in zip(step_fast, step_plain):
            assert a.dtype == dtype
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_parameter_groups_match_torch(torch, kind):
    def groups(params):
        return [{"params": [params[0]], "lr": 0.05},
                {"params": params[1:], "weight_decay": 0.1}]

    data = _data(1)
    ours, _, opt = _run_minigan(lambda p: getattr(optim, kind)(groups(p), lr=0.01,
                                                               momentum=0.5)
                                if kind == "SGD" else optim.Adam(groups(p), lr=0.01), data)
    theirs, _, _ = _run_torch(torch, lambda p: getattr(torch.optim, kind)(groups(p), lr=0.01,
                                                                          momentum=0.5)
                              if kind == "SGD" else torch.optim.Adam(groups(p), lr=0.01), data)
    _assert_same_path(ours, theirs)
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.01]
    assert [g["weight_decay"] for g in opt.param_groups] == [0.0, 0.1]


@pytest.mark.torch
def test_model_and_optimizer_train_as_in_torch(torch):
    """A small discriminator (conv, batch norm, leaky ReLU, linear) and Adam with weight decay:
    20 steps from the same weights on the same batches give the same weights and running
    statistics as PyTorch after every step."""
    def build(nn):
        return nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1, bias=False), nn.BatchNorm2d(4),
                             nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(4 * 4 * 4, 1))

    theirs = build(torch.nn)
    ours = build(nn).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    opt = optim.Adam(ours.parameters(), lr=0.01, betas=(0.5, 0.999), weight_decay=0.01)
    topt = torch.optim.Adam(theirs.parameters(), lr=0.01, betas=(0.5, 0.999), weight_decay=0.01)
    rng = np.random.default_rng(0)
    for step in range(STEPS):
        x, target = rng.standard_normal((8, 1, 8, 8)), rng.standard_normal((8, 1))
        for model, optimizer, lib in ((ours, opt, minigan), (theirs, topt, torch)):
            optimizer.zero_grad()
            ((model(lib.tensor(x)) - lib.tensor(target)) ** 2).mean().backward()
            optimizer.step()
        tstate = theirs.state_dict()
        for name, value in ours.state_dict().items():
            np.testing.assert_allclose(value.numpy(), tstate[name].numpy(), rtol=1e-9,
                                       atol=1e-12, err_msg=f"{name} after step {step + 1}")


def test_updates_run_on_the_device(device):
    """The same run on `device` and on the CPU gives the same weights."""
    def make(p):
        return optim.Adam(p, lr=0.01, weight_decay=0.01)

    data = _data(2)
    on_device, params, _ = _run_minigan(make, data, steps=5, device=device)
    on_cpu, _, _ = _run_minigan(make, data, steps=5)
    assert all(p.device == device for p in params)
    for a, b in zip(on_device[-1], on_cpu[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda p: optim.Adam(p, lr=0.01, betas=(0.5, 0.999), weight_decay=0.01),
], ids=["SGD", "Adam"])
def test_state_dict_resumes_exactly(make):
    """10 steps, then a *new* model and optimizer loaded from the state dicts, 10 more steps:
    bit for bit the weights of 20 uninterrupted steps."""
    data = _data(3)
    straight, _, _ = _run_minigan(make, data)
    first, params, opt = _run_minigan(make, data, steps=10)
    saved_state = opt.state_dict()
    resumed = dict(data, w=first[-1][0], b=first[-1][1])

    def restore(p):
        fresh = make(p)
        fresh.load_state_dict(saved_state)
        return fresh

    opt.step()  # the snapshot must not follow the old optimizer's later steps
    second, _, opt2 = _run_minigan(restore, resumed, steps=10)
    for a, b in zip(straight[-1], second[-1]):
        np.testing.assert_array_equal(a, b)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_load_state_dict_restores_hyperparameters_and_casts_state():
    data = _data(4)
    _, _, opt = _run_minigan(lambda p: optim.Adam(p, lr=0.03, betas=(0.5, 0.9)), data, steps=3)
    state = opt.state_dict()
    params32 = [Parameter(minigan.tensor(data[k], dtype=np.float32)) for k in ("w", "b")]
    target = optim.Adam(params32 + [Parameter(minigan.zeros(2))])  # default hyperparameters
    target.load_state_dict(state)
    assert target.param_groups[0]["lr"] == 0.03
    assert target.param_groups[0]["betas"] == (0.5, 0.9)
    assert target.state[params32[0]]["step"] == 3
    assert target.state[params32[0]]["exp_avg"].dtype == np.float32


def _adam_with_state():
    params = [Parameter(minigan.ones(2, 3)), Parameter(minigan.ones(3))]
    opt = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = minigan.ones(*p.shape)
    opt.step()
    return params, opt


@pytest.mark.parametrize("edit, message", [
    (lambda s: s["param_groups"].append(dict(s["param_groups"][0])), "2 parameter groups"),
    (lambda s: s["param_groups"][0]["params"].pop(), "group 0 has 1 parameters"),
    (lambda s: s["param_groups"][0].pop("betas"), "another kind of optimizer"),
    (lambda s: s["state"][0].update(exp_avg=minigan.zeros(3, 2)), r"state\[0\]\['exp_avg'\]"),
    (lambda s: s["state"].update({7: {}}), "state key 7"),
    (lambda s: s.pop("state"), "'state' and 'param_groups'"),
])
def test_load_state_dict_errors_name_the_problem_and_change_nothing(edit, message):
    params, opt = _adam_with_state()
    state = opt.state_dict()
    edit(state)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(state)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        np.testing.assert_array_equal(after["state"][i]["exp_avg"].numpy(),
                                      before["state"][i]["exp_avg"].numpy())


def test_sgd_state_does_not_load_into_adam():
    params = [Parameter(minigan.ones(2))]
    with pytest.raises(ValueError, match="another kind of optimizer"):
        optim.Adam(params).load_state_dict(optim.SGD(params, momentum=0.9).state_dict())


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-0.1), "SGD: lr must be a number >= 0, got -0.1"),
    (lambda p: optim.SGD(p, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "betas"),
    (lambda p: optim.Adam(p, betas=(0.9,)), "betas"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Adam: eps must be a number >= 0"),
    (lambda p: optim.Adam([{"params": p, "momentum": 0.9}]), "unknown hyperparameters"),
    (lambda p: optim.Adam([]), "empty parameter list"),
    (lambda p: optim.Adam(p + p), "appears twice"),
    (lambda p: optim.Adam([{"params": p}, {"params": p}]), "appears twice"),
    (lambda p: optim.SGD([p[0] * 2]), "result of an operation"),
])
def test_bad_arguments_raise_value_error(make, message):
    params = [Parameter(minigan.ones(2))]
    with pytest.raises(ValueError, match=message):
        make(params)


@pytest.mark.parametrize("params, message", [
    (Parameter(minigan.ones(2)), "single Tensor"),
    ([np.ones(2)], "must be a Tensor"),
])
def test_params_of_the_wrong_type_raise_type_error(params, message):
    with pytest.raises(TypeError, match=message):
        optim.SGD(params)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    params = [Parameter(minigan.ones(2, 2)), Parameter(minigan.ones(3))]
    opt = optim.SGD(params)
    (params[0].sum() * 3).backward()
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert params[0].grad is None
    else:
        np.testing.assert_array_equal(params[0].grad.numpy(), np.zeros((2, 2)))
    assert params[1].grad is None  # never had one


def test_step_with_closure_returns_the_loss_and_updates():
    p = Parameter(minigan.tensor([3.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss

    with minigan.no_grad():  # step re-enables the graph for the closure
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert p.item() == 3.0 - 0.25 * 6.0


def test_repr_shows_groups_and_hyperparameters():
    params = [Parameter(minigan.ones(2, 3)), Parameter(minigan.ones(3))]
    text = repr(optim.Adam(params, lr=2e-4, betas=(0.5, 0.999)))
    assert text.startswith("Adam (")
    assert "group 0: 2 tensors, 9 values" in text
    assert "lr=0.0002" in text and "betas=(0.5, 0.999)" in text
