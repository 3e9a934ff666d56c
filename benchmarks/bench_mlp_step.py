"""Time one training step of the 2D mixture GAN (the MLPs of the "classroom" and "paper"
presets) in minigan and in PyTorch (float32, CPU).

    python benchmarks/bench_mlp_step.py            # full run (about a minute)
    python benchmarks/bench_mlp_step.py --quick    # fewer samples
    python benchmarks/bench_mlp_step.py --threads 1
    python benchmarks/bench_mlp_step.py --plain all        # minigan without its speed levers
    python benchmarks/bench_mlp_step.py --plain adam linear  # without those two

``--plain`` switches a speed lever of minigan back to the plain formulation it replaces (the
same results, the reference the tests compare against), to A/B what each lever buys.

A step is what :func:`minigan.gan.train_step` does for the plain GAN: D's update on a real and
a detached fake batch, then G's update through a frozen D, each with Adam. PyTorch runs a
layer-for-layer twin of the same players with the same weights, on the same batches; the
first step's losses are compared before timing, so both really compute the same thing.

Both libraries run in one process, interleaved sample by sample; a sample is the time of a few
steps after a pause (OpenBLAS's idle threads spin for about 0.1 s after a call and would steal
a core from the next library). The table gives median milliseconds per step and the ratio
minigan / PyTorch. These steps are small (a few hundred units): their time is mostly the
per-operation overhead of each library, not arithmetic. See benchmarks/README.md for results.
"""

import statistics
import sys
import time
from pathlib import Path

from _common import argument_parser, machine_details, require_torch, sample_count, use_threads

# The speed levers for these steps: name -> (module, attribute); True is the fast path.
LEVERS = {
    "piece_max": ("minigan.functional.maxout", "FAST_PIECE_MAX"),
    "linear": ("minigan.functional.linalg", "FUSED_LINEAR"),
    "adam": ("minigan.optim.adam", "IN_PLACE_UPDATE"),
}


def _parser():
    parser = argument_parser(__doc__, "library")
    parser.add_argument("--plain", nargs="+", default=[], choices=sorted(LEVERS) + ["all"],
                        metavar="LEVER", help="switch these speed levers off (or 'all'): "
                        + ", ".join(sorted(LEVERS)))
    return parser


ARGS = _parser().parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    use_threads(ARGS.threads)  # before NumPy and PyTorch load

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

import minigan  # noqa: E402
from minigan import nn, optim  # noqa: E402
from minigan.gan import train_step  # noqa: E402
from minigan.gan.experiment import build_players  # noqa: E402
from minigan.gan.methods import make_method  # noqa: E402
from minigan.gan.presets import get_preset  # noqa: E402

torch = require_torch(__file__)

PRESETS = ("classroom", "paper")
STEPS_PER_SAMPLE = {"classroom": 20, "paper": 4}  # about 20-50 ms of work per sample


# -- the PyTorch twin ---------------------------------------------------------------------------
class TorchMaxout(torch.nn.Module):
    """y_i = max_j (x . W_ij + b_ij), the rows of unit i consecutive, as in minigan.nn.Maxout."""

    def __init__(self, linear, units, pieces):
        super().__init__()
        self.linear, self.units, self.pieces = linear, units, pieces

    def forward(self, x):
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(dim=-1)


def _copied(tensor):
    return torch.nn.Parameter(torch.from_numpy(tensor.detach().numpy().copy()))


def torch_twin(model):
    """A torch.nn.Sequential with the layers and weights of ``model``'s ``net`` (Linear,
    Maxout, BatchNorm1d, ReLU, LeakyReLU)."""
    layers = []
    for layer in model.net:
        if isinstance(layer, (nn.Linear, nn.Maxout)):
            rows, fan_in = layer.weight.shape
            linear = torch.nn.Linear(fan_in, rows, bias=layer.bias is not None)
            linear.weight = _copied(layer.weight)
            if layer.bias is not None:
                linear.bias = _copied(layer.bias)
            twin = linear if isinstance(layer, nn.Linear) else \
                TorchMaxout(linear, layer.out_features, layer.pieces)
        elif isinstance(layer, nn.BatchNorm1d):
            twin = torch.nn.BatchNorm1d(layer.num_features, eps=layer.eps,
                                        momentum=layer.momentum)
            twin.weight, twin.bias = _copied(layer.weight), _copied(layer.bias)
        elif isinstance(layer, nn.LeakyReLU):
            twin = torch.nn.LeakyReLU(layer.negative_slope)
        elif isinstance(layer, nn.ReLU):
            twin = torch.nn.ReLU()
        else:
            raise TypeError(f"torch_twin: no twin for {type(layer).__name__}")
        layers.append(twin)
    return torch.nn.Sequential(*layers)


def torch_step(G, D, opt_G, opt_D, real, z):
    """The step of minigan.gan.train_step (k = 1, non-saturating), in PyTorch."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    fake = G(z)
    real_logits, fake_logits = D(real).reshape(-1), D(fake.detach()).reshape(-1)
    d_loss = bce(real_logits, torch.ones_like(real_logits)) + \
        bce(fake_logits, torch.zeros_like(fake_logits))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    D.requires_grad_(False)
    g_logits = D(fake).reshape(-1)
    g_loss = bce(g_logits, torch.ones_like(g_logits))
    D.requires_grad_(True)
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()


def step_jobs(preset_name):
    """{library: fn()} running one step of each library on the same fixed batches, after
    checking that the first step's losses agree."""
    preset = get_preset(preset_name)
    G, D = build_players(preset, make_method("gan"), 2, minigan.Generator(0))
    tG, tD = torch_twin(G), torch_twin(D)
    rng = minigan.Generator(1)
    real = minigan.data.ring().sample(preset.batch_size, generator=rng)
    z = minigan.randn(preset.batch_size, preset.noise_dim, generator=rng)
    t_real, t_z = torch.from_numpy(real.numpy()), torch.from_numpy(z.numpy())
    rates = (preset.g_lr, preset.d_lr)
    opts = [optim.Adam(p.parameters(), lr=lr, betas=preset.betas) for p, lr in zip((G, D), rates)]
    t_opts = [torch.optim.Adam(p.parameters(), lr=lr, betas=preset.betas)
              for p, lr in zip((tG, tD), rates)]

    def minigan_step():
        record = train_step(G, D, *opts, lambda: real, lambda: z)
        return record["d_loss"], record["g_loss"]

    def torch_job():
        return torch_step(tG, tD, *t_opts, t_real, t_z)

    ours, theirs = minigan_step(), torch_job()
    if not np.allclose(ours, theirs, rtol=1e-4, atol=1e-5):
        raise AssertionError(f"{preset_name}: the twins disagree on the first step's losses "
                             f"(minigan {ours}, torch {theirs})")
    return {"minigan": minigan_step, "torch": torch_job}, preset


def median_ms_per_step(jobs, steps, samples, pause):
    """{library: median ms per step}, timing the libraries in turn, sample by sample."""
    for job in jobs.values():  # warm up allocators and caches
        for _ in range(steps):
            job()
    times = {name: [] for name in jobs}
    for _ in range(samples):
        for name, job in jobs.items():
            time.sleep(pause)
            start = time.perf_counter()
            for _ in range(steps):
                job()
            times[name].append((time.perf_counter() - start) / steps)
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def use_plain(names):
    """Switch the named levers (or "all") to their plain formulation."""
    import importlib

    for name in sorted(LEVERS) if "all" in names else names:
        module, attribute = LEVERS[name]
        setattr(importlib.import_module(module), attribute, False)


def run(samples, pause, plain=()):
    use_plain(plain)
    print("\n".join(machine_details()))
    print(f"minigan's plain formulations: {', '.join(plain) if plain else 'none'}")
    print(f"median of {samples} interleaved samples, {pause:g} s pause before each\n")
    print(f"{'preset':<11}{'G':<26}{'D':<24}{'batch':>6}{'minigan ms':>12}{'torch ms':>10}"
          f"{'ratio':>8}")
    print("-" * 97)
    for name in PRESETS:
        jobs, preset = step_jobs(name)
        ms = median_ms_per_step(jobs, STEPS_PER_SAMPLE[name], samples, pause)
        g = f"{'x'.join(map(str, preset.g_hidden))} {preset.g_activation}" + \
            (" +BN" if preset.g_batch_norm else "")
        d = f"{'x'.join(map(str, preset.d_hidden))} {preset.d_activation}" + \
            (f"({preset.d_pieces})" if preset.d_activation == "maxout" else "")
        print(f"{name:<11}{g:<26}{d:<24}{preset.batch_size:>6}{ms['minigan']:>12.2f}"
              f"{ms['torch']:>10.2f}{ms['minigan'] / ms['torch']:>7.2f}x")


if __name__ == "__main__":
    run(sample_count(ARGS), ARGS.pause, ARGS.plain)
