"""Time and measure one whole DCGAN training step (D's update and G's update) in minigan and in
PyTorch on the CPU: batch 64, 32 x 32 images with one channel, nz = 100, ngf = ndf = 64,
float32, Adam(2e-4, (0.5, 0.999)).

    python benchmarks/bench_dcgan.py              # 15 timed samples per library
    python benchmarks/bench_dcgan.py --quick      # 5
    python benchmarks/bench_dcgan.py --ngf 32 --ndf 32

**Time.** Both libraries run in one process on the same weights (PyTorch's twin is built layer
for layer and loaded with minigan's initial weights) and the same batches; the first step's
losses are compared before timing. Samples alternate between the libraries, each after a
pause of 0.15 s (OpenBLAS's idle threads spin for about 0.1 s after a call and would take a
core from the next library); the median of the samples is reported, and the ratio
minigan / PyTorch.

**Memory.** Each library runs in a fresh child process of its own: it builds the models and
the batch, then runs 3 steps; we report the growth of the process's peak resident memory
during those steps (VmHWM after them minus VmRSS before them, from /proc/self/status), which
counts every allocation the same way for both (activations, gradients, Adam's moments,
workspace), whoever makes it. For minigan, tracemalloc's peak over one step (NumPy reports its
buffers to it) is printed as a cross-check. Linux only.
"""

import argparse
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
from _common import (
    argument_parser,
    interleaved_medians,
    machine_details,
    require_torch,
    sample_count,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

import minigan  # noqa: E402
from minigan import gan, optim  # noqa: E402

BATCH, SIZE, NZ = 64, 32, 100


def parse_args(argv=None):
    parser = argument_parser(__doc__, "library", threads=False)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--memory-child", choices=("minigan", "torch"), help=argparse.SUPPRESS)
    parser.set_defaults(batch=BATCH, size=SIZE, nc=1, device="cpu")
    return parser.parse_args(argv)


# -- the two setups ------------------------------------------------------------------------------
# ``args`` gives the sizes (batch, size, nc, ngf, ndf) and the device, "cpu" or "cuda".
def minigan_players(args):
    """minigan's G and D, drawn from ``Generator(0)`` in the order of ``python -m minigan
    dcgan`` (G, then D): the same initial weights as the command's run of seed 0."""
    rng = minigan.Generator(0)
    G = gan.DCGANGenerator(NZ, args.ngf, args.nc, args.size, generator=rng).to(args.device)
    D = gan.DCGANDiscriminator(args.ndf, args.nc, args.size, generator=rng).to(args.device)
    return G, D


def minigan_setup(args):
    """(step function, G, D) for minigan: the library's own train_step."""
    G, D = minigan_players(args)
    opt_G = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real_t, z_t = (minigan.tensor(a, device=args.device) for a in batches(args))

    def step():
        return gan.train_step(G, D, opt_G, opt_D, lambda: real_t, lambda: z_t)

    return step, G, D


def torch_players(args, G=None, D=None):
    """PyTorch's twins of minigan's G and D, layer for layer, loaded with G's and D's weights
    when given (else PyTorch's own initialisation)."""
    import torch
    from torch import nn

    # the widths of minigan's DCGAN (gan/dcgan.py): ngf * S/8 at 4x4 down to ngf at S/2 in G,
    # and back up in D
    sides = [args.size // 2 ** i for i in range(1, int(np.log2(args.size)) - 1)]  # S/2 ... 4

    def generator():
        widths = [args.ngf * args.size // (2 * side) for side in reversed(sides)]
        layers = [nn.ConvTranspose2d(NZ, widths[0], 4, 1, 0, bias=False),
                  nn.BatchNorm2d(widths[0]), nn.ReLU()]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], args.nc, 4, 2, 1), nn.Tanh()]
        return nn.Sequential(*layers)

    def discriminator():
        widths = [args.ndf * args.size // (2 * side) for side in sides]
        layers = [nn.Conv2d(args.nc, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                       nn.LeakyReLU(0.2)]
        layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0)]
        return nn.Sequential(*layers)

    tG, tD = generator().to(args.device), discriminator().to(args.device)
    for twin, model in ((tG, G), (tD, D)):
        if model is not None:
            state = {k.removeprefix("main."): torch.from_numpy(v.numpy().copy())
                     for k, v in model.state_dict().items()}
            twin.load_state_dict(state)  # copies onto the twin's device
    return tG, tD


class TorchStep:
    """One DCGAN step of PyTorch's twin, ``step(real, z)``: D's update on the real batch and a
    fake one, then G's through a frozen D (the non-saturating loss), Adam with betas (0.5,
    0.999) and learning rates ``lr_G``, ``lr_D`` (2e-4 both, as minigan's ``gan.train_step``
    here); returns both losses as floats."""

    def __init__(self, tG, tD, batch, device, lr_G=2e-4, lr_D=2e-4):
        import torch
        from torch import nn

        self.G, self.D = tG, tD
        self.opt_G, self.opt_D = (torch.optim.Adam(m.parameters(), lr=lr, betas=(0.5, 0.999))
                                  for m, lr in ((tG, lr_G), (tD, lr_D)))
        self.loss = nn.BCEWithLogitsLoss()
        self.ones, self.zeros = (torch.full((batch,), v, device=device) for v in (1.0, 0.0))

    def __call__(self, real, z):
        fake = self.G(z.view(*z.shape, 1, 1))
        d_loss = (self.loss(self.D(real).view(-1), self.ones)
                  + self.loss(self.D(fake.detach()).view(-1), self.zeros))
        self.opt_D.zero_grad()
        d_loss.backward()
        self.opt_D.step()
        for p in self.D.parameters():
            p.requires_grad_(False)
        g_loss = self.loss(self.D(fake).view(-1), self.ones)
        self.opt_G.zero_grad()
        g_loss.backward()
        self.opt_G.step()
        for p in self.D.parameters():
            p.requires_grad_(True)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}


def torch_setup(args, G=None, D=None):
    """The step function of PyTorch's twin on a fixed batch, loaded with G's and D's weights
    when given."""
    import torch

    step = TorchStep(*torch_players(args, G, D), args.batch, args.device)
    real, z = (torch.from_numpy(a).to(args.device) for a in batches(args))
    return lambda: step(real, z)


def batches(args):
    """A batch of images and one of noise, float32 NumPy arrays."""
    rng = np.random.default_rng(1)
    real = np.tanh(rng.normal(size=(args.batch, args.nc, args.size, args.size)))
    return real.astype(np.float32), rng.normal(size=(args.batch, NZ)).astype(np.float32)


def check_same_losses(first_mg, first_th):
    """Exit naming the loss if the first steps of the two libraries disagree."""
    for key in ("d_loss", "g_loss"):
        if not np.isclose(first_mg[key], first_th[key], rtol=1e-3):
            sys.exit(f"the two steps differ: {key} {first_mg[key]} (minigan) vs "
                     f"{first_th[key]} (PyTorch)")


# -- memory ---------------------------------------------------------------------------------------
def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(args):
    """Run in a fresh process: print the peak resident growth (MiB) over 3 steps."""
    if args.memory_child == "minigan":
        step = minigan_setup(args)[0]
    else:
        step = torch_setup(args)
    before = _status_kib("VmRSS")
    for _ in range(3):
        step()
    print((_status_kib("VmHWM") - before) / 1024)


def peak_growth(args, library):
    command = [sys.executable, __file__, "--memory-child", library, "--ngf", str(args.ngf),
               "--ndf", str(args.ndf)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def tracemalloc_peak(step):
    step()  # Adam's moments exist from here on, as in a running training
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


# -- main -----------------------------------------------------------------------------------------
def main(argv=None):
    args = parse_args(argv)
    if args.memory_child:
        return memory_child(args)
    require_torch(__file__)
    samples = sample_count(args)
    mg_step, G, D = minigan_setup(args)
    th_step = torch_setup(args, G, D)
    check_same_losses(mg_step(), th_step())  # same weights, same batch: the same losses
    medians = interleaved_medians({"minigan": mg_step, "PyTorch": th_step}, samples, args.pause)
    memory = {name: peak_growth(args, lib) for name, lib in (("minigan", "minigan"),
                                                                ("PyTorch", "torch"))}
    print("\n".join(machine_details()))
    print(f"DCGAN step, batch {BATCH}, {SIZE}x{SIZE}x1, ngf {args.ngf}, ndf {args.ndf}, float32; "
          f"{samples} interleaved samples, median")
    print(f"{'':10s}{'ms / step':>12s}{'peak MiB':>12s}")
    for name in medians:
        print(f"{name:10s}{1e3 * medians[name]:12.1f}{memory[name]:12.1f}")
    print(f"{'ratio':10s}{medians['minigan'] / medians['PyTorch']:12.2f}"
          f"{memory['minigan'] / memory['PyTorch']:12.2f}")
    print(f"minigan, tracemalloc peak over one step: {tracemalloc_peak(mg_step):.1f} MiB")


if __name__ == "__main__":
    main()
