# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 · On the GPU
#
# Every array in minigan is a NumPy array on the CPU or a CuPy array on an NVIDIA GPU, and the
# code above the kernels never asks which: it asks for `xp`, the array module of its inputs, and
# writes `xp.exp(x)` once for both. On the GPU, CuPy runs the elementwise work with kernels it
# generates and the matrix products with cuBLAS. Two pieces minigan writes itself, in CUDA C:
# the patch gather of the convolutions (`im2col` and its adjoint `col2im`) and the binary
# cross-entropy. This tutorial opens the first:
#
# 1. where the work goes, and whether this machine has a GPU;
# 2. the im2col kernel in CUDA C beside its NumPy twin;
# 3. a launch: blocks of threads, a grid-stride loop, and the plain loops that run it on a CPU;
# 4. which thread writes which patch entry, drawn;
# 5. the same CUDA source compiled for the CPU, checked against NumPy for several launches;
# 6. the DCGAN on the GPU (with `--device cuda` on a machine that has one).
#
# Run it as a script (`python tutorials/12_on_the_gpu.py --out runs/12`; `--device cpu` to stay
# on the CPU even where there is a GPU) or open it as a notebook. Without a GPU every part but
# the last runs, on emulated kernels.

# %%
import inspect
import time

import numpy as np
from _common import parse_args, plt, progress, save

import minigan
import minigan.kernels.cuda as cuda
from minigan import gan, optim
from minigan.kernels.cuda import emulation
from minigan.kernels.im2col import col2im, im2col

args = parse_args("Tutorial 12: on the GPU", default_out="runs/12", device=True)
DEVICE = args.device
print("minigan.cuda.is_available():", minigan.cuda.is_available())
if not minigan.cuda.is_available():
    print("why not:", minigan.cuda.unavailable_reason())
print("this run computes on:", DEVICE)
COMPILER = emulation.compiler_unavailable_reason()  # None where a C++ compiler is found
print("C++ compiler for the emulated kernels:", "found" if COMPILER is None else COMPILER)

# %% [markdown]
# ## 1. Where the work goes
#
# A convolution in minigan is im2col (copy every patch of the input into a row of a matrix),
# one matrix product with the weights, and for the backward pass the same product transposed
# and col2im (add every patch entry back where it came from); tutorial 03 draws all of it.
# The matrix products are cuBLAS's on a GPU, so what is left to write is the copy, and on a GPU
# a copy is a kernel: a function that thousands of threads run at once, each on its own
# elements. minigan's kernels live in `minigan/kernels/cuda/*.cu`; CuPy hands each source to
# NVRTC, NVIDIA's run-time compiler, at its first use.
#
# ## 2. The kernel, in CUDA C and in NumPy
#
# Here is the NumPy im2col that runs on the CPU, and the CUDA C one that runs on the GPU. The
# NumPy code thinks in whole arrays: pad the input, lay a strided *view* over it whose six
# indices are (image, output row, output column, tap row, tap column, channel), copy the view
# into fresh memory. The CUDA code thinks in one element: a thread takes the flat index `e` of
# an entry of the output, unravels it into the same six indices (the last one fastest, as in
# C order), works out which input pixel that is, and copies it, or writes 0 where the pixel
# falls into the padding. It never makes a padded copy.


# %%
def device_function(source, name):
    """The text of the templated ``__device__`` function ``name`` in a CUDA source."""
    start = source.rindex("template", 0, source.index(f"__device__ void {name}("))
    return source[start:source.index("\n}\n", start) + 2]


CUDA_SOURCE = cuda.source("im2col.cu")
cuda_text = device_function(CUDA_SOURCE, "im2col")
numpy_text = inspect.getsource(im2col)
print(numpy_text)
print(cuda_text)

fig, axes = plt.subplots(1, 2, figsize=(17, 4.8), layout="constrained")
for ax, text, title, colour in ((axes[0], numpy_text, "NumPy: minigan/kernels/im2col.py",
                                 "#dde6f5"),
                                (axes[1], cuda_text, "CUDA C: minigan/kernels/cuda/im2col.cu",
                                 "#e6f0d8")):
    ax.set_facecolor(colour)
    ax.text(0.01, 0.99, text.expandtabs(4), family="monospace", fontsize=8, va="top",
            transform=ax.transAxes)
    ax.set(xticks=[], yticks=[], title=title)
fig.suptitle("im2col twice: whole arrays on the CPU, one element per thread on the GPU")
save(fig, args.out, "im2col_side_by_side.png")

# %% [markdown]
# ## 3. A launch, and the loops that emulate it
#
# A kernel is started by a *launch*: a grid of `gridDim.x` blocks of `blockDim.x` threads each
# (CuPy: `kernel(grid, block, args)`). Every thread runs the whole kernel, and tells itself
# apart from the others by two built-in variables, its block `blockIdx.x` and its place in the
# block `threadIdx.x`. Its number in the whole launch is
#
# $$t = \text{blockIdx.x} \cdot \text{blockDim.x} + \text{threadIdx.x},
#   \qquad 0 \le t < T = \text{gridDim.x} \cdot \text{blockDim.x}.$$
#
# With more work items than threads, a *grid-stride loop* has thread $t$ do items
# $t, t + T, t + 2T, \dots$: any launch shape then covers every item exactly once. minigan
# launches 256 threads per block and enough blocks for one item per thread, at most 4,096
# blocks (beyond that, the loop goes round more than once):

# %%
print(f"BLOCK_SIZE = {cuda.BLOCK_SIZE}, MAX_GRID_SIZE = {cuda.MAX_GRID_SIZE}")
for n in (1, 225, 1_000_000, 128 * 32 * 32 * 4 * 4 * 64):
    grid, block = cuda.launch_config(n)
    rounds = -(-n // (grid[0] * block[0]))
    print(f"{n:>12,} items: grid {grid}, block {block}, {grid[0] * block[0]:>9,} threads, "
          f"{rounds} round(s) of the loop")

# %% [markdown]
# On a GPU all those threads run at once, in groups of 32 (warps). A CPU can get the same
# *answer* by running them one after another: two loops, over the blocks and over the threads
# of a block, setting `blockIdx` and `threadIdx` before each call. That is all an emulation of
# a launch is, as long as no thread reads what another writes (true of minigan's kernels: every
# output element has one writer). Below, the kernel's body line for line in Python, and the
# launch as two loops; `writer` records which thread wrote each entry.


# %%
def launch(kernel, grid, block, *args):
    """A CUDA launch of ``grid`` blocks of ``block`` threads, as loops: the kernel runs once per
    thread, one thread after another (a GPU runs them all at once)."""
    for block_idx in range(grid):
        for thread_idx in range(block):
            kernel(block_idx, thread_idx, grid, block, *args)


def im2col_thread(block_idx, thread_idx, grid_dim, block_dim, x, cols, writer, geometry):
    """One thread of im2col.cu's im2col, in Python. x is channels-last (N, H, W, C)."""
    n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = geometry
    total = n * oh * ow * kh * kw * c
    e = block_idx * block_dim + thread_idx  # first_element()
    while e < total:
        rest = e  # unravel e into (b, i, j, p, q, ch), last fastest
        ch = rest % c
        rest //= c
        q = rest % kw
        rest //= kw
        p = rest % kh
        rest //= kh
        j = rest % ow
        rest //= ow
        i = rest % oh
        b = rest // oh
        row, col = i * sh + p * dh - ph, j * sw + q * dw - pw  # in x, unpadded
        inside = 0 <= row < h and 0 <= col < w
        cols.flat[e] = x[b, row, col, ch] if inside else 0.0
        writer.flat[e] = block_idx * block_dim + thread_idx
        e += grid_dim * block_dim  # launch_stride()


# One 5 x 5 image, pixels numbered 1..25, a 3 x 3 kernel, stride 1, padding 1: 5 x 5 patches.
image = np.arange(1.0, 26.0).reshape(1, 1, 5, 5)
K, STRIDE, PAD, DIL = (3, 3), (1, 1), (1, 1), (1, 1)
OUT = (5, 5)
GRID, BLOCK = 2, 32  # 64 threads for 225 entries: the loop goes round four times
geometry = (1, 5, 5, 1, *K, *STRIDE, *PAD, *DIL, *OUT)
cols = np.full((1, *OUT, *K, 1), np.nan)
writer = np.full(cols.shape, -1)
launch(im2col_thread, GRID, BLOCK, image.transpose(0, 2, 3, 1), cols, writer, geometry)
reference = im2col(image, K, STRIDE, PAD, DIL)
print("Python launch == NumPy im2col:", np.array_equal(cols, reference))
assert np.array_equal(cols, reference)
# entry e is written once, by thread e mod T (in round e // T)
print("entry e written by thread e mod 64:", np.array_equal(writer.ravel(), np.arange(225) % 64))

# %% [markdown]
# ## 4. Which thread writes which patch entry
#
# The patch matrix of this image has one row per output position (25) and one column per kernel
# tap (9). On the left, each entry is coloured by the round of the grid-stride loop that wrote
# it and labelled with the thread that did; on the right, the same 225 flat indices laid out
# $T = 64$ to a row, so that each *column* is one thread's loop. Neighbouring entries go to
# neighbouring threads, which on a GPU means neighbouring addresses for a warp's 32 reads and
# writes: they are combined into few memory transactions ("coalesced").

# %%
rounds = np.arange(cols.size).reshape(cols.shape) // (GRID * BLOCK)
matrix = cols.reshape(25, 9)
fig, axes = plt.subplots(1, 2, figsize=(15, 7.5), layout="constrained",
                         gridspec_kw={"width_ratios": [1, 2.2]})
colours = plt.get_cmap("Set2", 4)
axes[0].imshow(rounds.reshape(25, 9), cmap=colours, vmin=-0.5, vmax=3.5, aspect="auto")
for (r, k), t in np.ndenumerate(writer.reshape(25, 9)):
    axes[0].text(k, r, f"{t}" if matrix[r, k] else f"{t}·0", ha="center", va="center",
                 fontsize=6.5, color="black" if matrix[r, k] else "dimgrey")
axes[0].set(title="patch matrix: the thread of each entry\n(·0: read from the padding)",
            xlabel="kernel tap (p, q)", ylabel="output position (i, j)",
            xticks=range(9), xticklabels=[f"{p},{q}" for p in range(3) for q in range(3)],
            yticks=range(25), yticklabels=[f"{i},{j}" for i in range(5) for j in range(5)])
flat = np.full(4 * GRID * BLOCK, -1)
flat[:cols.size] = rounds.ravel()
shown = np.ma.masked_less(flat.reshape(4, GRID * BLOCK), 0)
axes[1].imshow(shown, cmap=colours, vmin=-0.5, vmax=3.5, aspect="auto")
for e in range(0, cols.size, 8):
    axes[1].text(e % 64, e // 64, str(e), ha="center", va="center", fontsize=6.5)
axes[1].axvline(BLOCK - 0.5, color="black", linewidth=2)
axes[1].set(title=f"flat index e, 64 to a row: thread t does e = t, t + 64, ... "
                  f"(every 8th labelled)\nblock 0 | block 1 ({GRID} blocks of {BLOCK} threads)",
            xlabel="thread t = blockIdx.x * blockDim.x + threadIdx.x",
            ylabel="round of the grid-stride loop", yticks=range(4))
save(fig, args.out, "threads.png")

# %% [markdown]
# ## 5. The real source, compiled for the CPU
#
# The Python above is a transliteration; it proves the *idea*. The file CuPy compiles is C++,
# and `minigan.kernels.cuda.emulation` runs that very text on the CPU: a small header
# (`emulation.h`) defines `__global__`, `__device__`, `blockIdx`, `threadIdx`, `blockDim` and
# `gridDim`, and wraps each kernel in the two loops of a launch (over blocks and over threads,
# in three dimensions); the system C++ compiler builds it, and ctypes calls it. It takes the
# same call as CuPy's kernels, `kernel(grid, block, args)`, and is stricter: CuPy passes a
# Python int as 8 bytes whatever the C parameter, so the emulation demands exactly
# `numpy.int32` for an `int`, and a C-contiguous array of the right dtype for a pointer.
#
# Here it runs a DCGAN-sized layer (kernel 4, stride 2, padding 1) on a random batch under
# three launches: minigan's own, a small grid where every thread loops many times, and a single
# thread that does everything. All three must give NumPy's im2col and col2im exactly (not just
# close: every entry is the same copy, and col2im adds in the same order as NumPy).

# %%
if COMPILER is not None:
    print(f"no emulation here: {COMPILER}")
else:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 9))  # (N, C, H, W), float64
    K4, S2, P1 = (4, 4), (2, 2), (1, 1)
    expected_cols = im2col(x, K4, S2, P1, DIL)
    out_size = expected_cols.shape[1:3]
    expected_x = col2im(expected_cols, x.shape, S2, P1, DIL)
    module = emulation.EmulatedModule(CUDA_SOURCE)
    gather, scatter = module.get_function("im2col_f64"), module.get_function("col2im_f64")
    print("im2col_f64 takes", ", ".join(f"{t} {name}" for t, name in gather.params))
    sizes = tuple(np.int32(v) for v in (2, 9, 9, 3, *K4, *S2, *P1, *DIL, *out_size))
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    for name, (grid, block) in (("minigan's", cuda.launch_config(expected_cols.size)),
                                ("small", ((3,), (32,))), ("one thread", ((1,), (1,)))):
        got_cols = np.empty_like(expected_cols)
        gather(grid, block, (x_nhwc, got_cols) + sizes)
        got_x = np.empty_like(x_nhwc)
        scatter(grid, block, (expected_cols, got_x) + sizes)
        same = (np.array_equal(got_cols, expected_cols) and
                np.array_equal(got_x.transpose(0, 3, 1, 2), expected_x))
        print(f"{name:>10} launch grid {grid}, block {block}: emulated == NumPy: {same}")
        assert same
    try:  # a Python int for an int parameter: the mistake CuPy would not notice
        gather((1,), (32,), (x_nhwc, got_cols, 2) + sizes[1:])
    except TypeError as error:
        print("TypeError:", error)

# %% [markdown]
# What the emulation cannot show is everything that needs the hardware: the speed, threads
# really running at once (a race between two threads would pass here), the driver, NVRTC's own
# compile, and cuBLAS's float32 rounding. On a GPU, the same comparison runs on the real
# kernels: minigan's `im2col` and `col2im` launch them for CuPy arrays.

# %%
if DEVICE == "cuda":
    for shape in ((2, 3, 9, 9), (16, 64, 32, 32)):
        x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        on_gpu = minigan.tensor(x, device="cuda").data  # a CuPy array
        gpu_cols = minigan.backend.as_numpy(im2col(on_gpu, (4, 4), (2, 2), (1, 1), DIL))
        gpu_x = minigan.backend.as_numpy(col2im(im2col(on_gpu, (4, 4), (2, 2), (1, 1), DIL),
                                                shape, (2, 2), (1, 1), DIL))
        cpu_cols = im2col(x, (4, 4), (2, 2), (1, 1), DIL)
        same = (np.array_equal(gpu_cols, cpu_cols) and
                np.array_equal(gpu_x, col2im(cpu_cols, shape, (2, 2), (1, 1), DIL)))
        print(f"input {shape}: GPU kernels == NumPy: {same}")
else:
    print("no GPU here: the kernels were checked on the emulation above")

# %% [markdown]
# ## 6. The DCGAN on the GPU
#
# The models of tutorial 09 move to the GPU with `.to("cuda")`, and from then on every
# forward, backward and Adam step runs there: the same Python code, on CuPy arrays. Here is
# PyTorch's reference DCGAN (64 x 64 colour images, ngf = ndf = 64) on a batch of 128 random
# images, one training step on each device from the same weights: the losses agree to float32
# rounding, and the GPU's time per step is measured over a few steps (each ends with a copy of
# the losses to the host, which waits for the GPU).


# %%
def dcgan_step_on(device, batch, width, steps):
    """(first losses, seconds per step after the first) of DCGAN-64 training on ``device``."""
    rng = minigan.Generator(0)
    G = gan.DCGANGenerator(100, width, 3, 64, generator=rng).to(device)
    D = gan.DCGANDiscriminator(width, 3, 64, generator=rng).to(device)
    opt_G = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    data = np.random.default_rng(2)
    real = minigan.tensor(np.tanh(data.standard_normal((batch, 3, 64, 64))).astype(np.float32),
                          device=device)
    z = minigan.tensor(data.standard_normal((batch, 100)).astype(np.float32), device=device)

    def step():
        return gan.train_step(G, D, opt_G, opt_D, lambda: real, lambda: z)

    first = step()  # on the GPU also the warm-up: kernels compile at their first use
    start = time.perf_counter()
    for _ in progress(range(steps), desc=f"DCGAN-64 on {device}"):
        step()
    return first, (time.perf_counter() - start) / steps


if DEVICE == "cuda":
    batch, width = (16, 16) if args.quick else (128, 64)
    gpu_first, gpu_time = dcgan_step_on("cuda", batch, width, 3 if args.quick else 20)
    cpu_first, cpu_time = dcgan_step_on("cpu", batch, width, 1 if args.quick else 2)
    for key in ("d_loss", "g_loss"):
        print(f"{key}: GPU {gpu_first[key]:.6f}, CPU {cpu_first[key]:.6f}")
    print(f"batch {batch}, ngf = ndf = {width}: {1e3 * gpu_time:.1f} ms per step on the GPU, "
          f"{1e3 * cpu_time:.0f} ms on the CPU ({cpu_time / gpu_time:.0f}x)")
else:
    print("no GPU here, so no DCGAN on it; on a machine with an NVIDIA GPU and CuPy, run "
          "`python tutorials/12_on_the_gpu.py --device cuda`")

# %% [markdown]
# **Try it**: in section 3, launch with `GRID, BLOCK = 1, 7` and watch the rounds in the
# figure; change the kernel in section 5 to a stride of 3 or a dilation of 2 and check the
# emulated kernels still match; on a GPU, `python benchmarks/bench_gpu.py` times every layer
# of this DCGAN and the whole step against PyTorch with cuDNN.
