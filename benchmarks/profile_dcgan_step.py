"""Where the time of one DCGAN training step goes, in minigan and in PyTorch, on the CPU: the
step of the README's run (batch 64, 32 x 32 x 1, nz = 100, ngf = ndf = 32) split into the same
few kinds of work for both libraries.

    python benchmarks/profile_dcgan_step.py             # the README's run, 30 profiled steps
    python benchmarks/profile_dcgan_step.py --ngf 64 --ndf 64
    python benchmarks/profile_dcgan_step.py --quick     # 5 steps: a smoke run

The step is ``bench_dcgan.py``'s (the same weights, batches and PyTorch twin). First both
libraries are timed without a profiler, interleaved as in ``bench_dcgan.py`` (median of
``--samples``). Then each runs the same number of steps under its own profiler:

- minigan under ``cProfile``: the self time of every function, sorted by what it does (the
  matrix products of the convolutions; ``col2im``; the copies of ``im2col`` and of layouts;
  batch norm's kernels; everything else: elementwise ops, losses, Adam and the autograd
  engine's Python);
- PyTorch under ``torch.profiler``: the self CPU time of every ATen op, sorted the same way
  (its convolutions are oneDNN kernels that do the products and the patch handling in one,
  so they form one row).

Each share is turned into milliseconds of the unprofiled median (the profilers add their own
cost, mostly to Python calls, so the shares are indicative: a few percent either way).
"""

import cProfile
import pstats
import sys
from collections import Counter
from pathlib import Path

from _common import (
    argument_parser,
    interleaved_medians,
    machine_details,
    require_torch,
    sample_count,
    use_threads,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

PROFILED_STEPS = {"quick": 5, "full": 30}
MINIGAN_KINDS = ("convolution: matrix products", "convolution: col2im",
                 "convolution: im2col and layout copies", "batch norm", "everything else")
TORCH_KINDS = ("convolution (oneDNN: products and patches)", "batch norm", "everything else")


def minigan_kind(path, name):
    """The kind of work of a function that cProfile saw (its file and name)."""
    path = path.replace("\\", "/")
    if path.endswith("kernels/conv.py"):  # tall_matmul; conv_transpose2d's own product
        return MINIGAN_KINDS[0] if name in ("tall_matmul", "conv_transpose2d") else MINIGAN_KINDS[4]
    if path.endswith("kernels/im2col.py"):
        return MINIGAN_KINDS[1] if name == "col2im" else MINIGAN_KINDS[2]
    if "ascontiguousarray" in name:  # im2col's copy and channels_last
        return MINIGAN_KINDS[2]
    if path.endswith("kernels/batch_norm.py"):
        return MINIGAN_KINDS[3]
    return MINIGAN_KINDS[4]


def torch_kind(op):
    """The kind of work of an ATen op that torch.profiler saw."""
    if "conv" in op or "mkldnn" in op:
        return TORCH_KINDS[0]
    if "batch_norm" in op:
        return TORCH_KINDS[1]
    return TORCH_KINDS[2]


def minigan_profile(step, steps):
    """Seconds of self time per kind of work over ``steps`` steps of minigan."""
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [step() for _ in range(steps)])
    kinds = Counter()
    for (path, _, name), (_, _, self_time, _, _) in pstats.Stats(profiler).stats.items():
        kinds[minigan_kind(path, name)] += self_time
    return kinds


def torch_profile(step, steps):
    """Seconds of self CPU time per kind of work over ``steps`` steps of PyTorch."""
    import torch.profiler
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    kinds = Counter()
    for event in prof.key_averages():
        kinds[torch_kind(event.key)] += event.self_cpu_time_total / 1e6
    return kinds


def print_shares(library, kinds, order, median):
    """The table of one library: per kind, its share of the profile and ms of the median."""
    total = sum(kinds.values())
    print(f"\n{library}: {1e3 * median:.1f} ms per step (unprofiled median)")
    for kind in order:
        share = kinds[kind] / total
        print(f"  {kind:45s}{1e3 * median * share:8.1f} ms{100 * share:6.0f}%")


def main(argv=None):
    parser = argument_parser(__doc__, "library")
    parser.add_argument("--ngf", type=int, default=32)
    parser.add_argument("--ndf", type=int, default=32)
    args = parser.parse_args(argv)
    use_threads(args.threads)  # before NumPy and PyTorch load
    require_torch(__file__)
    from bench_dcgan import minigan_setup, torch_setup

    # bench_dcgan's setups read these fields of its own options
    args.nc, args.size, args.batch, args.device = 1, 32, 64, "cpu"
    mg_step, G, D = minigan_setup(args)
    th_step = torch_setup(args, G, D)
    samples = sample_count(args)
    medians = interleaved_medians({"minigan": mg_step, "PyTorch": th_step}, samples, args.pause)
    steps = PROFILED_STEPS["quick" if args.quick else "full"]
    print("\n".join(machine_details()))
    print(f"DCGAN step, batch 64, 32x32x1, ngf {args.ngf}, ndf {args.ndf}, float32; "
          f"{steps} profiled steps per library")
    print_shares("minigan", minigan_profile(mg_step, steps), MINIGAN_KINDS, medians["minigan"])
    print_shares("PyTorch", torch_profile(th_step, steps), TORCH_KINDS, medians["PyTorch"])
    ratio = medians["minigan"] / medians["PyTorch"]
    print(f"\nratio of the medians minigan / PyTorch: {ratio:.2f}")


if __name__ == "__main__":
    main()
