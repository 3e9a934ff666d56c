"""Time minigan's conv2d / conv_transpose2d against PyTorch's on the layers of a DCGAN for 32x32
images (batch 64, float32, CPU), forward and forward + backward.

    python benchmarks/bench_conv.py               # both libraries with their default threads
    python benchmarks/bench_conv.py --threads 1   # one thread each (steadier on a busy machine)
    python benchmarks/bench_conv.py --quick       # 5 samples per job instead of 15

Both libraries run in one process, interleaved sample by sample, and each timed sample follows a
pause: OpenBLAS's idle threads spin for about 0.1 s after a call and would steal a core from the
next library's call. The table gives median times, the ratio minigan / PyTorch, each layer's
arithmetic rate against this machine's float32 matrix-product rate, the geometric mean of the
ratios and the ratio of the total times. See benchmarks/README.md for the recorded results.
"""

import statistics
import sys
from pathlib import Path

from _common import (
    argument_parser,
    interleaved_medians,
    machine_details,
    require_torch,
    sample_count,
    timed,
    use_threads,
)

ARGS = argument_parser(__doc__, "job").parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    use_threads(ARGS.threads)  # before NumPy and PyTorch load

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

import minigan  # noqa: E402
import minigan.functional as F  # noqa: E402

torch = require_torch(__file__)

BATCH = 64


def dcgan_layers(nc, size, ngf, ndf, nz=100):
    """The convolutions of minigan's DCGAN for nc x size x size images (gan/dcgan.py), D's then
    G's, as rows (name, transposed, in channels, out channels, input size, kernel, stride,
    padding, bias): no bias where batch norm follows, a bias on the last layer of each."""
    sides = [size // 2 ** i for i in range(1, size.bit_length() - 2)]  # S/2, ..., 4
    d = [ndf * size // (2 * side) for side in sides]  # D's channels at S/2, ..., 4
    g = [ngf * size // (2 * side) for side in reversed(sides)]  # G's at 4, ..., S/2
    layers = [(f"D conv {a}->{b} @{side}", False, a, b, side, 4, 2, 1, False)
              for a, b, side in zip([nc, *d], d, [size, *sides])]
    layers.append((f"D conv {d[-1]}->1 @4", False, d[-1], 1, 4, 4, 1, 0, True))
    layers.append((f"G deconv {nz}->{g[0]} @1", True, nz, g[0], 1, 4, 1, 0, False))
    layers += [(f"G deconv {a}->{b} @{side}", True, a, b, side, 4, 2, 1, False)
               for a, b, side in zip(g, g[1:], reversed(sides))]
    layers.append((f"G deconv {g[-1]}->{nc} @{size // 2}", True, g[-1], nc, size // 2, 4, 2, 1,
                   True))
    return layers


LAYERS = dcgan_layers(nc=1, size=32, ngf=64, ndf=64)


def gemm_gflops(repeats, pause, n=1024):
    """This machine's float32 matrix-product rate through NumPy (n x n times n x n)."""
    a, b = (np.random.default_rng(0).standard_normal((n, n), dtype=np.float32) for _ in "ab")
    a @ b
    return 2 * n**3 / statistics.median(timed(lambda: a @ b, pause) for _ in range(repeats)) / 1e9


def layer_jobs(transposed, c_in, c_out, size, k, stride, padding, bias, batch=BATCH,
               device="cpu"):
    """The timed jobs of one layer on ``device``, {(library, "fwd" | "fwd+bwd"): fn}, and its
    forward floating-point operation count (a backward costs two forwards: input and weight
    gradients)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size), dtype=np.float32)
    w_shape = (c_in, c_out, k, k) if transposed else (c_out, c_in, k, k)
    w = rng.standard_normal(w_shape, dtype=np.float32) * 0.02
    b = rng.standard_normal(c_out, dtype=np.float32) if bias else None
    name = "conv_transpose2d" if transposed else "conv2d"
    libraries = {"minigan": (F, lambda a: minigan.tensor(a, device=device)),
                 "torch": (torch.nn.functional, lambda a: torch.from_numpy(a).to(device))}
    out_shape = tuple(getattr(torch.nn.functional, name)(
        torch.from_numpy(x), torch.from_numpy(w), None, stride, padding).shape)
    g = rng.standard_normal(out_shape, dtype=np.float32)
    jobs = {}
    for library, (functional, make) in libraries.items():
        conv = getattr(functional, name)
        leaves = [None if a is None else make(a).requires_grad_() for a in (x, w, b)]
        grad_out = make(g)

        def forward(conv=conv, leaves=leaves):
            return conv(*leaves, stride, padding)

        def forward_backward(forward=forward, leaves=leaves, grad_out=grad_out):
            for t in leaves:
                if t is not None:
                    t.grad = None
            forward().backward(grad_out)

        jobs[library, "fwd"], jobs[library, "fwd+bwd"] = forward, forward_backward
    positions = size * size if transposed else out_shape[2] * out_shape[3]
    return jobs, 2 * batch * positions * c_in * c_out * k * k


def geometric_mean(values):
    return float(np.exp(np.mean(np.log(values))))


def run(repeats, pause):
    print("\n".join(machine_details()))
    peak = gemm_gflops(repeats, pause)
    print(f"float32 GEMM (NumPy, 1024^3): {peak:.0f} GFLOP/s; batch {BATCH}; median of {repeats}"
          f" interleaved samples, {pause:g} s pause before each\n")
    print(f"{'':<22}{'forward ms':^23}{'forward+backward ms':^23}{'fwd+bwd GFLOP/s':^26}")
    print(f"{'layer':<22}{'minigan':>8}{'torch':>8}{'ratio':>7}{'minigan':>8}{'torch':>8}"
          f"{'ratio':>7}{'minigan':>9}{'torch':>7}{'% GEMM':>10}")
    rule = "-" * 94
    print(rule)
    ratios = {"fwd": [], "fwd+bwd": []}
    totals = {}
    for name, *spec in LAYERS:
        jobs, flops = layer_jobs(*spec)
        for job in jobs.values():  # warm up caches and allocators
            job()
        t = interleaved_medians(jobs, repeats, pause)
        row = f"{name:<22}"
        for kind in ratios:
            ratios[kind].append(t["minigan", kind] / t["torch", kind])
            row += f"{t['minigan', kind] * 1e3:>8.2f}{t['torch', kind] * 1e3:>8.2f}"
            row += f"{ratios[kind][-1]:>7.2f}"
        rates = [3 * flops / t[library, "fwd+bwd"] / 1e9 for library in ("minigan", "torch")]
        print(row + f"{rates[0]:>9.1f}{rates[1]:>7.1f}{100 * rates[0] / peak:>9.0f}%")
        for key, value in t.items():
            totals[key] = totals.get(key, 0.0) + value
    print(rule)
    row = f"{'total':<22}"
    for kind in ratios:
        row += f"{totals['minigan', kind] * 1e3:>8.1f}{totals['torch', kind] * 1e3:>8.1f}"
        row += f"{totals['minigan', kind] / totals['torch', kind]:>7.2f}"
    print(row)
    print(f"geometric mean of the ratios minigan / torch: forward "
          f"{geometric_mean(ratios['fwd']):.2f}x, forward+backward "
          f"{geometric_mean(ratios['fwd+bwd']):.2f}x (target: forward+backward <= 1.3x)")


if __name__ == "__main__":
    run(sample_count(ARGS), ARGS.pause)
