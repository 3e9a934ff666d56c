"""Time minigan on CuPy against PyTorch with cuDNN on the same GPU: the convolutions of a DCGAN
for 64 x 64 colour images, then one whole DCGAN-64 training step (batch 128, 64 x 64 x 3,
nz = 100, ngf = ndf = 64, float32, Adam(2e-4, (0.5, 0.999)): the reference DCGAN).

    python benchmarks/bench_gpu.py                 # on the GPU, 15 samples per job
    python benchmarks/bench_gpu.py --quick         # 5 samples per job
    python benchmarks/bench_gpu.py --device cpu --quick --batch 2 --ngf 4 --ndf 4
                                                   # the same code on the CPU (a smoke test)

**Aim:** minigan's DCGAN-64 step in at most 2x PyTorch's time, TF32 off in both.

**Protocol.** One process runs both libraries on the same inputs (the DCGAN twin is loaded with
minigan's initial weights, and the first step's losses are compared before timing). Two warm-up
rounds come first: CuPy compiles its elementwise kernels and NVRTC minigan's CUDA kernels at
their first use, cuDNN picks its algorithms, and both memory pools fill. Then every job runs
once per round, in turn, after a pause (interleaved: all see the same GPU clock and
temperature). A GPU call returns before the GPU is done, so each timed call ends with
``cupy.cuda.Device().synchronize()`` and ``torch.cuda.synchronize()``: a sample counts the work,
not its launch. The tables give medians and the ratio minigan / PyTorch, as markdown.

**Precision.** float32 throughout. TF32 (tensor cores that round float32 inputs to a 10-bit
mantissa) is off in both libraries for the ratio: PyTorch runs with
``torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False``; CuPy's
matrix products use TF32 only when the environment variable ``CUPY_TF32`` is a number > 0 (read
at its first float32 product; unset, it is 0 and cuBLAS computes in float32), and the script
refuses to run with it set to anything but 0.
A second PyTorch column turns TF32 on, PyTorch's fastest float32 setting on Ampere and later
GPUs (``NVIDIA_TF32_OVERRIDE=0`` would silently turn it off: refused too).
"""

import os
import sys

from _common import argument_parser, cpu_model, interleaved_medians, machine_details, sample_count
from bench_conv import dcgan_layers, geometric_mean, layer_jobs
from bench_dcgan import NZ, check_same_losses, minigan_setup, torch_setup

import minigan

SIZE, NC = 64, 3
WARMUP = 2  # untimed rounds before the samples
AIM = 2.0  # DCGAN-64 step: minigan / PyTorch (TF32 off) at most this


def parse_args(argv=None):
    parser = argument_parser(__doc__, "job", threads=False)
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                        help="where both libraries run (default: cuda)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.set_defaults(size=SIZE, nc=NC)
    args = parser.parse_args(argv)
    for name in ("batch", "ngf", "ndf"):
        if getattr(args, name) < 1:
            parser.error(f"argument --{name}: must be >= 1, got {getattr(args, name)}")
    return args


# -- the device ----------------------------------------------------------------------------------
def gpu_setup(torch):
    """(synchronize, set_tf32, lines describing the GPU) for "cuda"; exits saying why the GPU
    cannot be used, or why the comparison would not be float32 against float32."""
    reason = minigan.cuda.unavailable_reason()
    if reason:
        sys.exit(f"bench_gpu.py: minigan cannot use the GPU: {reason}")
    if not torch.cuda.is_available():
        sys.exit("bench_gpu.py: PyTorch sees no GPU; install a CUDA build of torch")
    if os.environ.get("CUPY_TF32", "0") != "0":
        sys.exit("bench_gpu.py: CUPY_TF32 is set: CuPy would use TF32; unset it to compare "
                 "float32 with float32")
    if os.environ.get("NVIDIA_TF32_OVERRIDE") == "0":
        sys.exit("bench_gpu.py: NVIDIA_TF32_OVERRIDE=0 turns PyTorch's TF32 column off; unset it")
    cupy = minigan.backend.cupy_module()
    runtime = cupy.cuda.runtime

    def synchronize():
        cupy.cuda.Device().synchronize()
        torch.cuda.synchronize()

    def set_tf32(on):
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = on

    lines = [f"GPU: {torch.cuda.get_device_name(0)}; CUDA driver {runtime.driverGetVersion()}, "
             f"runtime {runtime.runtimeGetVersion()}",
             f"cupy {cupy.__version__} (CUPY_TF32={os.environ.get('CUPY_TF32', 'unset')}); torch "
             f"{torch.__version__}, CUDA {torch.version.cuda}, cuDNN "
             f"{torch.backends.cudnn.version()}"]
    return synchronize, set_tf32, lines


def compared(minigan_job, torch_job, synchronize, set_tf32):
    """The columns of one comparison, {name: function}: minigan, PyTorch with TF32 off and, on a
    GPU (``set_tf32`` given), PyTorch with TF32 on. Each call ends with ``synchronize()`` and
    returns what the job returned."""
    def timed_call(job, tf32=None):
        def call():
            if tf32 is not None:
                set_tf32(tf32)
            result = job()
            synchronize()
            return result
        return call

    jobs = {"minigan": timed_call(minigan_job),
            "PyTorch": timed_call(torch_job, None if set_tf32 is None else False)}
    if set_tf32 is not None:
        jobs["PyTorch TF32"] = timed_call(torch_job, True)
    return jobs


def medians(jobs, samples, pause):
    """Median seconds of each job after the warm-up rounds, interleaved."""
    for _ in range(WARMUP):
        for job in jobs.values():
            job()
    return interleaved_medians(jobs, samples, pause)


def markdown(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


# -- the two tables ------------------------------------------------------------------------------
def conv_table(args, samples, synchronize, set_tf32):
    """The DCGAN-64 convolutions, forward and forward + backward: a markdown table."""
    columns = ["minigan", "PyTorch"] + (["PyTorch TF32"] if set_tf32 else [])
    kinds = ("fwd", "fwd+bwd")
    rows, ratios, totals = [], {kind: [] for kind in kinds}, {}
    for name, *spec in dcgan_layers(NC, SIZE, args.ngf, args.ndf, NZ):
        jobs = layer_jobs(*spec, batch=args.batch, device=args.device)[0]
        timed = {}
        for kind in kinds:
            for column, job in compared(jobs["minigan", kind], jobs["torch", kind], synchronize,
                                        set_tf32).items():
                timed[column, kind] = job
        t = medians(timed, samples, args.pause)
        row = [name]
        for kind in kinds:
            ratios[kind].append(t["minigan", kind] / t["PyTorch", kind])
            row += [f"{1e3 * t[column, kind]:.3f}" for column in columns]
            row.append(f"{ratios[kind][-1]:.2f}")
        rows.append(row)
        for key, value in t.items():
            totals[key] = totals.get(key, 0.0) + value
    total = ["total"]
    for kind in kinds:
        total += [f"{1e3 * totals[column, kind]:.3f}" for column in columns]
        total.append(f"{totals['minigan', kind] / totals['PyTorch', kind]:.2f}")
    header = ["layer"]
    for kind in kinds:
        header += [f"{kind} {column} ms" for column in columns] + [f"{kind} ratio"]
    tf32_off = " (TF32 off)" if set_tf32 else ""
    return (markdown(header, rows + [total]) +
            f"\n\nratio = minigan / PyTorch{tf32_off}; geometric mean of the ratios: forward "
            f"{geometric_mean(ratios['fwd']):.2f}x, forward+backward "
            f"{geometric_mean(ratios['fwd+bwd']):.2f}x")


def step_table(args, samples, synchronize, set_tf32):
    """One whole DCGAN-64 training step: a markdown table and the aim, met or not."""
    mg_step, G, D = minigan_setup(args)
    th_step = torch_setup(args, G, D)
    jobs = compared(mg_step, th_step, synchronize, set_tf32)
    check_same_losses(jobs["minigan"](), jobs["PyTorch"]())  # same weights and batch
    t = medians(jobs, samples, args.pause)
    rows = [[name, f"{1e3 * seconds:.2f}", f"{t['minigan'] / seconds:.2f}"]
            for name, seconds in t.items()]
    ratio = t["minigan"] / t["PyTorch"]
    verdict = "met" if ratio <= AIM else "NOT met"
    return (markdown(["", "ms / step", "minigan / this"], rows) +
            f"\n\naim: minigan <= {AIM:g}x PyTorch (TF32 off): {ratio:.2f}x, {verdict}")


def main(argv=None):
    args = parse_args(argv)
    import torch

    samples = sample_count(args)
    if args.device == "cuda":
        synchronize, set_tf32, lines = gpu_setup(torch)
    else:
        synchronize, set_tf32, lines = (lambda: None), None, [f"no GPU: {cpu_model()}"]
    print("\n".join(machine_details() + lines))
    print(f"\n## Convolutions of the DCGAN for {SIZE}x{SIZE}x{NC}, batch {args.batch}, float32, "
          f"on {args.device}: median of {samples} interleaved samples\n", flush=True)
    print(conv_table(args, samples, synchronize, set_tf32), flush=True)
    print(f"\n## One DCGAN-{SIZE} training step (D's update, then G's), batch {args.batch}, nz "
          f"{NZ}, ngf {args.ngf}, ndf {args.ndf}, float32, on {args.device}: median of {samples} "
          f"interleaved samples\n")
    print(step_table(args, samples, synchronize, set_tf32))


if __name__ == "__main__":
    main()
