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
# # 03 · Convolutions
#
# The GANs of this course that make images are built from two operations. The discriminator
# is a stack of *convolutions*, each of which slides a small kernel over the image and shrinks
# it; the generator is a stack of *transposed convolutions*, each of which grows its input.
# This tutorial takes both apart:
#
# 1. the convolution by its definition, as loops: the reference everything is checked against;
# 2. im2col: the patches of an image laid out as the columns of a matrix, drawn;
# 3. stride, padding and dilation on the same picture;
# 4. a convolution is one matrix product, weights @ patches;
# 5. the transposed convolution is the *transpose* of that product: the gradient of a
#    convolution with respect to its input;
# 6. ... and, read the other way, every input pixel stamping a weighted copy of the kernel;
# 7. why a stride-2 transposed convolution draws checkerboards, and how resizing first avoids
#    them.
#
# Run it as a script (`python tutorials/03_convolutions.py --out runs/03`) or open it as a
# notebook (it is a jupytext "percent" file). Figures are written to the `--out` folder.

# %%
import numpy as np
from _common import parse_args, plt, save

import minigan
import minigan.functional as F
import minigan.viz as viz
from minigan import nn
from minigan.kernels.im2col import im2col

args = parse_args("Tutorial 03: convolutions", default_out="runs/03")
minigan.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The definition, as loops
#
# A convolution layer maps an input $x$ of shape $(N, C, H, W)$ (a batch of $N$ images with
# $C$ channels) to an output $y$ of shape $(N, O, OH, OW)$ with a weight $w$ of shape
# $(O, C, k_h, k_w)$, one small $C$-channel kernel per output channel:
#
# $$y[n, o, i, j] = b[o] + \sum_{c=0}^{C-1} \sum_{p=0}^{k_h-1} \sum_{q=0}^{k_w-1}
#   w[o, c, p, q]\; x_{pad}[n, c,\; i s + p d,\; j s + q d].$$
#
# The kernel's top-left tap sits on pixel $(i s, j s)$ of the *padded* input $x_{pad}$ ($x$ with
# a border of zeros, $\text{pad}$ rows and columns wide, around it); the *stride* $s$ is how far
# the kernel moves between two outputs and the *dilation* $d$ how far apart its taps are. It fits
# at
#
# $$OH = \left\lfloor \frac{H + 2\,\text{pad} - d\,(k_h - 1) - 1}{s} \right\rfloor + 1$$
#
# positions down (and likewise across). Strictly this is a cross-correlation (the kernel is not
# flipped, as it would be in mathematics); deep learning calls it a convolution, and since the
# weights are learned the flip would change nothing. Here is the formula written out, six loops
# for the six indices (NumPy takes care of the batch index $n$):


# %%
def conv2d_loops(x, w, stride=1, padding=0, dilation=1):
    """y[n, o, i, j] = sum over c, p, q of w[o, c, p, q] x_pad[n, c, i s + p d, j s + q d]."""
    s, d = stride, dilation
    n, channels, h, wd = x.shape
    out_channels, _, kh, kw = w.shape
    oh = (h + 2 * padding - d * (kh - 1) - 1) // s + 1
    ow = (wd + 2 * padding - d * (kw - 1) - 1) // s + 1
    x_pad = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    y = np.zeros((n, out_channels, oh, ow), dtype=x.dtype)
    for o in range(out_channels):
        for i in range(oh):
            for j in range(ow):
                for c in range(channels):
                    for p in range(kh):
                        for q in range(kw):
                            y[:, o, i, j] += w[o, c, p, q] * x_pad[:, c, i*s + p*d, j*s + q*d]
    return y


x = rng.standard_normal((2, 3, 7, 7))
w = rng.standard_normal((4, 3, 3, 3))
y_loops = conv2d_loops(x, w, stride=2, padding=1)
y_minigan = F.conv2d(minigan.tensor(x), minigan.tensor(w), stride=2, padding=1)
print("loops:", y_loops.shape, "  F.conv2d:", y_minigan.shape)
error = np.abs(y_loops - y_minigan.numpy()).max()
print(f"largest difference: {error:.1e}")
assert error < 1e-12, "F.conv2d disagrees with the definition"

# %% [markdown]
# (The inputs are float64 NumPy arrays, so the tensors are float64 too and the two agree to
# rounding.) The loops are right and hopelessly slow: a DCGAN's discriminator does several
# billion of these multiply-adds on a batch of 64 images, here one Python step each. The trick
# that makes a convolution fast is to *copy* the input into a matrix and let one matrix product
# (which BLAS libraries run close to the processor's peak) do all the arithmetic.
#
# ## 2. im2col: each patch becomes a column
#
# Take one image with one channel, $5 \times 5$, its pixels numbered 1 to 25 so that we can
# follow each of them, and a $3 \times 3$ kernel (stride 1, no padding): the kernel fits at
# $3 \times 3$ positions. *im2col* ("image to columns") copies the 9 pixels under the kernel at
# output position $(i, j)$ into column $(i, j)$ of a matrix $P$: 9 rows, one per kernel tap
# $(p, q)$, and 9 columns, one per output position.
#
# minigan's kernel `minigan.kernels.im2col.im2col` returns the patches as an array of shape
# $(N, OH, OW, k_h, k_w, C)$: patch by patch, and inside a patch tap by tap with the channels
# innermost (that memory order makes the copy fast). Reshaped to $(N \cdot OH \cdot OW,\;
# k_h k_w C)$ it has one *row* per patch; its transpose is the $P$ of the textbooks.

# %%
image = np.arange(1.0, 26.0).reshape(5, 5)
cols = im2col(image[None, None], kernel_size=(3, 3), stride=(1, 1),
                             padding=(0, 0), dilation=(1, 1))
print("im2col gives shape", cols.shape, "= (N, OH, OW, kh, kw, C)")
P = cols.reshape(9, 9).T
print("P (rows: kernel taps (p, q); columns: output positions (i, j)):")
print(P.astype(int))

# %% [markdown]
# Read the picture below from the input to the matrix. The red patch, under output $(0, 0)$,
# covers pixels 1, 2, 3, 6, 7, 8, 11, 12, 13: read row by row, that is column $(0, 0)$. The
# blue patch, one step to the right, is column $(0, 1)$; the green one, bottom right, is the
# last column. A pixel under several patches is *copied* into each of their columns: pixel 13,
# in the centre, is in all nine. So $P$ holds up to $k_h k_w$ times as many numbers as the
# image: im2col buys speed with memory.

# %%
save(viz.draw_im2col(image, kernel_size=3, highlight=[(0, 0), (0, 1), (2, 2)]), args.out,
     "im2col.png")
copies = np.bincount(P.astype(int).ravel(), minlength=26)[1:].reshape(5, 5)
print("how many columns of P hold each pixel:")
print(copies)

# %% [markdown]
# ## 3. Stride, padding and dilation, on the picture
#
# The three settings change only *which* pixels land in which column, so the same picture
# shows them. From top to bottom:
#
# - **stride 2**: the kernel jumps two pixels between outputs (red and blue patches are two
#   columns apart and overlap in one column of pixels), so the output is $2 \times 2$: a
#   stride-2 convolution halves the image, which is how a DCGAN's discriminator shrinks it;
# - **stride 2, padding 1**: a border of zeros (grey) lets the kernel sit on the edge pixels
#   too; $3 \times 3$ outputs, and the zeros are copied into $P$ like any pixel;
# - **dilation 2, padding 1**: the taps are two pixels apart, so a $3 \times 3$ kernel spans
#   $5 \times 5$ pixels: a wider view for the same nine weights.

# %%
settings = [dict(stride=2), dict(stride=2, padding=1), dict(dilation=2, padding=1)]
fig, axes = plt.subplots(3, 2, figsize=(11, 15), layout="constrained",
                         gridspec_kw=dict(width_ratios=[7, 9]))
for setting, row in zip(settings, axes):
    viz.draw_im2col(image, kernel_size=3, axes=row, **setting)
save(fig, args.out, "geometry.png")

# %% [markdown]
# ## 4. A convolution is one matrix product
#
# With several channels, a column of $P$ stacks the patch of every channel: $k_h k_w C$
# numbers, in the order $(p, q, c)$. Lay each output channel's kernel out in the same order, as
# a row of a weight matrix $W_{mat}$ of shape $(O, k_h k_w C)$, and the whole convolution (every
# image of the batch, every position, every output channel) is
#
# $$Y = W_{mat}\, P, \qquad (O,\; k_h k_w C) \times (k_h k_w C,\; N \cdot OH \cdot OW),$$
#
# one dot product of a kernel with a patch per entry of $Y$: exactly the sum of the definition.
# $Y$ holds the output channel by channel; reshaping it gives $y$.


# %%
def conv2d_matmul(x, w, b, stride=1, padding=0, dilation=1):
    """conv2d as W_mat @ P: im2col, one matrix product, a reshape."""
    out_channels, _, kh, kw = w.shape
    cols = im2col(x, (kh, kw), (stride, stride), (padding, padding),
                                 (dilation, dilation))
    n, oh, ow = cols.shape[:3]
    P = cols.reshape(n * oh * ow, -1).T  # (kh*kw*C, N*OH*OW): one patch per column
    W_mat = w.transpose(0, 2, 3, 1).reshape(out_channels, -1)  # (O, kh*kw*C), taps as (p, q, c)
    Y = W_mat @ P + b[:, None]  # (O, N*OH*OW)
    return Y.reshape(out_channels, n, oh, ow).transpose(1, 0, 2, 3)


# %% [markdown]
# Checked against the loops and against `F.conv2d`, in float64, for several settings at once:

# %%
x = rng.standard_normal((2, 3, 8, 7))
w = rng.standard_normal((5, 3, 3, 3))
b = rng.standard_normal(5)
print(f"{'setting':<42} {'output':>14} {'matmul - loops':>15} {'F.conv2d - loops':>17}")
for setting in [dict(), dict(stride=2), dict(padding=1), dict(stride=2, padding=1),
                dict(dilation=2), dict(stride=3, padding=2, dilation=2)]:
    reference = conv2d_loops(x, w, **setting) + b[:, None, None]
    as_matmul = conv2d_matmul(x, w, b, **setting)
    library = F.conv2d(minigan.tensor(x), minigan.tensor(w), minigan.tensor(b), **setting).numpy()
    errors = np.abs(as_matmul - reference).max(), np.abs(library - reference).max()
    print(f"{str(setting):<42} {str(reference.shape):>14} {errors[0]:>15.1e} {errors[1]:>17.1e}")
    assert max(errors) < 1e-12, "the matrix product disagrees with the definition"

# %% [markdown]
# What this costs on a real layer: the second layer of the DCGAN discriminator takes a batch of
# 64 images of $64 \times 32 \times 32$ to $128 \times 16 \times 16$ with a $4 \times 4$ kernel,
# stride 2, padding 1.

# %%
n, c, h, o, k, s = 64, 64, 32, 128, 4, 2
oh = (h + 2 - k) // s + 1
rows, columns = k * k * c, n * oh * oh
print(f"P is {rows} x {columns}: {rows * columns / (n * c * h * h):.0f}x the input's "
      f"{n * c * h * h:,} numbers; W_mat @ P is {2 * o * rows * columns / 1e9:.1f} GFLOP")

# %% [markdown]
# Each pixel is copied $k^2 / s^2 = 4$ times, and the product is 4.3 billion floating-point
# operations, which a laptop's BLAS does in a few hundredths of a second.
#
# ## 5. The transposed convolution is the gradient of a convolution
#
# For a fixed kernel a convolution is *linear* in its input: $y = A x$ for some matrix $A$, if
# we flatten $x$ and $y$ into vectors. Its column $k$ is the output for an input that is 1 at
# pixel $k$ and 0 elsewhere, so we can build $A$ by convolving every one-hot image at once (a
# batch of them). A small case, in the geometry of a DCGAN layer: a $4 \times 4$ input, a
# $4 \times 4$ kernel with the entries 1 to 16, stride 2, padding 1, which gives a $2 \times 2$
# output. $A$ is $4 \times 16$.

# %%
kernel = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
one_hots = np.eye(16).reshape(16, 1, 4, 4)  # image k is 1 at pixel k
A = F.conv2d(minigan.tensor(one_hots), minigan.tensor(kernel), stride=2, padding=1)
A = A.numpy().reshape(16, 4).T  # row: output pixel, column: input pixel
print(A.astype(int))

# %% [markdown]
# Row $(i, j)$ of $A$ is the kernel laid over the input where output $(i, j)$ reads it (for
# output $(0, 0)$ the kernel's first row and column fall on the padding: only nine taps meet
# pixels).
# Now backpropagation: for a loss $L$ with gradient $g = \partial L / \partial y$, the chain
# rule gives
#
# $$\frac{\partial L}{\partial x} = A^\top g .$$
#
# $A^\top$ is $16 \times 4$: it maps the small $2 \times 2$ image back to the large
# $4 \times 4$ one. That map is the **transposed convolution**: the input gradient of a
# convolution, made into an operation of its own, `F.conv_transpose2d`, with the same kernel
# and the same stride and padding. A stride-2 convolution halves an image; its transpose doubles
# one, which is why the generator of a DCGAN is built from them.

# %%
g = rng.standard_normal((1, 1, 2, 2))
transposed = F.conv_transpose2d(minigan.tensor(g), minigan.tensor(kernel), stride=2, padding=1)
print("F.conv_transpose2d:", transposed.shape)
error = np.abs(transposed.numpy().ravel() - A.T @ g.ravel()).max()
print(f"largest difference to A^T g: {error:.1e}")

fig, (ax_k, ax_a, ax_at) = plt.subplots(1, 3, figsize=(12, 8), layout="constrained",
                                        gridspec_kw=dict(width_ratios=[4, 16, 4]))
viz.draw_cells(kernel[0, 0], ax=ax_k, cmap="Oranges", vmin=0, vmax=20, title="kernel w")
viz.draw_cells(A, ax=ax_a, cmap="Oranges", hide=0, vmin=0, vmax=20,
               title="A: y = conv2d(x, w, stride 2, padding 1)\nrow = output pixel (2x2), "
                     "column = input pixel (4x4)")
viz.draw_cells(A.T, ax=ax_at, cmap="Purples", hide=0, vmin=0, vmax=20,
               title="A$^T$: conv_transpose2d(., w,\nstride 2, padding 1)\n"
                     "row = output pixel (4x4)\ncolumn = input pixel (2x2)")
for ax, (n_rows, n_cols), (row_side, col_side) in [(ax_a, A.shape, (2, 4)),
                                                   (ax_at, A.T.shape, (4, 2))]:
    ax.set_yticks(range(n_rows), [f"{r // row_side},{r % row_side}" for r in range(n_rows)],
                  fontsize=7)
    ax.set_xticks(range(n_cols), [f"{c // col_side},{c % col_side}" for c in range(n_cols)],
                  fontsize=7, rotation=90)
save(fig, args.out, "conv_matrix.png")

# %% [markdown]
# The picture is the whole story of the name: the transposed convolution's matrix is the
# convolution's matrix flipped over its diagonal. Note that it is *not* an inverse: $A^\top A$
# is not the identity, and `conv_transpose2d` does not undo a convolution; it only has the
# convolution's shapes the other way round.
#
# On real tensors we never build $A$. Ask autograd for the input gradient of a convolution,
# with several channels, and compare it with `F.conv_transpose2d` of the output gradient, with
# the *same* weight tensor (a weight of shape $(O, C, k_h, k_w)$ maps $C$ channels to $O$ in
# `conv2d` and $O$ channels back to $C$ in `conv_transpose2d`). Asking for a differentiable
# gradient (`create_graph=True`) even shows which operation autograd ran to compute it.

# %%
x = minigan.tensor(rng.standard_normal((2, 3, 7, 7)), requires_grad=True)
w = minigan.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
y = F.conv2d(x, w, stride=2, padding=1)
g = minigan.tensor(rng.standard_normal(y.shape))
(dx,) = minigan.grad(y, x, grad_outputs=g, create_graph=True)
transposed = F.conv_transpose2d(g, w, stride=2, padding=1)
print(f"x {x.shape} -> y {y.shape};  dL/dx {dx.shape}, made by {type(dx.grad_fn).__name__}")
print(f"largest difference between minigan.grad and F.conv_transpose2d: "
      f"{np.abs(dx.detach().numpy() - transposed.detach().numpy()).max():.1e}")
# The defining property of a transpose: <A x, g> = <x, A^T g>.
print(f"<conv2d(x), g> = {(y * g).sum().item():.10f}")
print(f"<x, conv_transpose2d(g)> = {(x * transposed).sum().item():.10f}")

# %% [markdown]
# One subtlety. With a $3 \times 3$ kernel, stride 2 and no padding, inputs of 7 *and* of 8
# pixels both give 3 outputs: the kernel's last position covers pixels 4 to 6, and an eighth
# pixel is never read. So the transposed convolution of a $3 \times 3$ gradient has to be *told*
# which size to produce: `output_padding` adds the rows and columns at the end that the formula
# cannot know about. The gradient of an $8 \times 8$ input needs `output_padding=1` (autograd
# works it out from the input's shape), and its last row and column are 0: those pixels were
# never read, so they have no effect on the loss.

# %%
x8 = minigan.tensor(rng.standard_normal((1, 1, 8, 8)), requires_grad=True)
w8 = minigan.tensor(rng.standard_normal((1, 1, 3, 3)))
y8 = F.conv2d(x8, w8, stride=2)  # no padding: the last row and column are never read
(dx8,) = minigan.grad(y8, x8, grad_outputs=minigan.ones(*y8.shape, dtype="float64"))
print(f"input 8x8 -> output {tuple(y8.shape[2:])}; "
      f"conv_transpose2d gives {tuple(F.conv_transpose2d(y8, w8, stride=2).shape[2:])}, with "
      f"output_padding=1 {tuple(F.conv_transpose2d(y8, w8, stride=2, output_padding=1).shape[2:])}")
print("the gradient's last row:", np.round(dx8.numpy()[0, 0, -1], 3))

# %% [markdown]
# ## 6. The transposed convolution as stamping
#
# Read $A^\top$ by columns instead of rows: column $(i, j)$ of $A^\top$ is a copy of the kernel,
# placed where input pixel $(i, j)$ sends it. So a transposed convolution can be computed the
# other way round from a convolution: instead of every output *gathering* a weighted sum of a
# patch, every input pixel *scatters* a copy of the kernel, scaled by its value, into the output,
# and the copies add up where they overlap:
#
# $$y_{pad}[n, o,\; i s + p d,\; j s + q d] \mathrel{+}= x[n, c, i, j]\; w[c, o, p, q],$$
#
# then the padding is cut off the border. The same index expression as in `conv2d_loops`, on
# the other side of the equals sign:


# %%
def conv_transpose2d_loops(x, w, stride=1, padding=0, dilation=1):
    """Every input pixel adds x[n, c, i, j] * w[c, o] to the output, at i s + p d, j s + q d."""
    s, d = stride, dilation
    n, channels, h, wd = x.shape
    _, out_channels, kh, kw = w.shape
    y_pad = np.zeros((n, out_channels, (h - 1) * s + d * (kh - 1) + 1,
                      (wd - 1) * s + d * (kw - 1) + 1), dtype=x.dtype)
    for c in range(channels):
        for i in range(h):
            for j in range(wd):
                for o in range(out_channels):
                    for p in range(kh):
                        for q in range(kw):
                            y_pad[:, o, i*s + p*d, j*s + q*d] += x[:, c, i, j] * w[c, o, p, q]
    return y_pad[:, :, padding:y_pad.shape[2] - padding, padding:y_pad.shape[3] - padding]


x = rng.standard_normal((2, 4, 5, 6))
w = rng.standard_normal((4, 3, 4, 4))
for setting in [dict(), dict(stride=2), dict(stride=2, padding=1), dict(dilation=2, padding=1)]:
    reference = conv_transpose2d_loops(x, w, **setting)
    library = F.conv_transpose2d(minigan.tensor(x), minigan.tensor(w), **setting).numpy()
    error = np.abs(library - reference).max()
    print(f"{str(setting):<30} output {str(reference.shape):<15} F.conv_transpose2d - loops: "
          f"{error:.1e}")
    assert error < 1e-12, "conv_transpose2d disagrees with the scatter loops"

# %% [markdown]
# The picture, with small integers: a $2 \times 2$ input, a $3 \times 3$ kernel, stride 2. Each
# of the four pixels stamps its multiple of the kernel (outlined in its colour); with stride 2
# the $3 \times 3$ stamps overlap in one row or column, and those cells get the sum.

# %%
x_small = np.array([[1.0, 2.0], [3.0, 4.0]])
stamp = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])
total = F.conv_transpose2d(minigan.tensor(x_small[None, None]), minigan.tensor(stamp[None, None]),
                           stride=2).numpy()[0, 0]
fig, axes = plt.subplots(1, 7, figsize=(19, 3.6), layout="constrained",
                         gridspec_kw=dict(width_ratios=[2, 3, 5, 5, 5, 5, 5]))
vmax = total.max()
viz.draw_cells(x_small, ax=axes[0], cmap="Greens", vmin=0, vmax=vmax, title="input x")
viz.draw_cells(stamp, ax=axes[1], cmap="Greens", vmin=0, vmax=vmax, title="kernel w")
for (i, j), ax, color in zip(np.ndindex(2, 2), axes[2:], viz.conv.PATCH_COLORS):
    alone = np.zeros((5, 5))
    alone[2 * i:2 * i + 3, 2 * j:2 * j + 3] = x_small[i, j] * stamp
    viz.draw_cells(alone, ax=ax, cmap="Greens", hide=0, vmin=0, vmax=vmax,
                   title=f"x[{i},{j}] = {x_small[i, j]:g} stamps {x_small[i, j]:g} w\nat rows "
                         f"{2 * i}-{2 * i + 2}, columns {2 * j}-{2 * j + 2}")
    axes[0].add_patch(plt.Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False,
                                    edgecolor=color, linewidth=2.5))
    for target in (ax, axes[-1]):
        target.add_patch(plt.Rectangle((2 * j - 0.45, 2 * i - 0.45), 2.9, 2.9, fill=False,
                                       edgecolor=color, linewidth=2.5))
viz.draw_cells(total, ax=axes[-1], cmap="Greens", vmin=0, vmax=vmax,
               title="their sum = conv_transpose2d(x, w, stride 2)\n(overlaps add up)")
save(fig, args.out, "scatter.png")
assert np.array_equal(total, conv_transpose2d_loops(x_small[None, None], stamp[None, None],
                                                    stride=2)[0, 0])

# %% [markdown]
# ## 7. Checkerboards
#
# Look again at the stamps: the cells of the middle row and column got contributions from two
# pixels (the centre from all four), every other cell from one. That unevenness is built into
# the geometry: with a kernel of 3 and a stride of 2, the stamps overlap at every other
# position. Count how many kernel taps land on each output pixel, by stamping a kernel of ones
# from an input of ones (a $4 \times 4$ input here):

# %%
ones = minigan.ones(1, 1, 4, 4)
counts = {k: F.conv_transpose2d(ones, minigan.ones(1, 1, k, k), stride=2).numpy()[0, 0]
          for k in (3, 4)}
for k, count in counts.items():
    print(f"kernel {k}, stride 2: taps on the middle row:", count[count.shape[0] // 2].astype(int))

# In one dimension: the footprint of each input pixel (k taps from 2 i), and their sum.
fig, axes = plt.subplots(2, 2, figsize=(12, 10), layout="constrained",
                         gridspec_kw=dict(height_ratios=[1, 2]))
for k, (ax_1d, ax_2d) in zip(counts, axes.T):
    footprints = np.zeros((4, 2 * 3 + k))
    for i in range(4):
        footprints[i, 2 * i:2 * i + k] = 1
    row = F.conv_transpose2d(minigan.ones(1, 1, 1, 4), minigan.ones(1, 1, 1, k), stride=2)
    viz.draw_cells(np.vstack([footprints, row.numpy()[0, 0]]), ax=ax_1d, cmap="Reds", hide=0,
                   fmt="{:.0f}", vmin=0, vmax=4,
                   title=f"kernel {k}, stride 2, in one dimension:\nthe footprints of x[0..3] and "
                         "the taps on each output pixel")
    ax_1d.set_yticks(range(5), ["x[0]", "x[1]", "x[2]", "x[3]", "sum"])
    ax_1d.axhline(3.5, color="black", linewidth=1.5)
    viz.draw_cells(counts[k], ax=ax_2d, cmap="Reds", fmt="{:.0f}", vmin=0, vmax=4,
                   title=f"kernel {k}x{k}, stride 2, in two dimensions:\n"
                         "taps landing on each output pixel (row count x column count)")
save(fig, args.out, "overlap.png")

# %% [markdown]
# With kernel 3, the count alternates 1, 2, 1, 2 along a row, and in two dimensions (row count
# times column count) 1, 2 and 4 alternate: even with all weights equal, a constant input comes
# out as a checkerboard. With kernel 4 every pixel away from the border gets 2 taps per
# direction, 4 in all: the overlap is even (only the border is uneven, and padding crops part
# of it). That is one reason the DCGAN generator uses kernel 4, stride 2.
#
# Even overlap is not enough, though, because the weights are not equal. Look at which taps
# land where: output pixels on every other row get the kernel's even rows, those on the rows in
# between its odd rows, and the same for columns. A stride-2 transposed convolution is really
# *four* convolutions, one per parity of (row, column), each with its own $2 \times 2$
# sub-kernel `w[a::2, b::2]`, interleaved like the squares of a chessboard. On a constant
# input of ones, each parity's pixels come out as the sum of its sub-kernel: four different
# numbers for a random kernel.

# %%
w4 = minigan.randn(1, 1, 4, 4)
flat = F.conv_transpose2d(minigan.ones(1, 1, 6, 6), w4, stride=2, padding=1).numpy()[0, 0]
inside = flat[2:-2, 2:-2]  # away from the border, where every pixel gets all its 4 taps
parities = [inside[a::2, b::2] for a in (0, 1) for b in (0, 1)]
assert all(np.ptp(values) < 1e-5 for values in parities), "each parity should be constant"
values = np.sort([values[0, 0] for values in parities])
sums = np.sort([w4.numpy()[0, 0, a::2, b::2].sum() for a in (0, 1) for b in (0, 1)])
print("the four values inside the output:  ", values.round(5))
print("sums of the four 2x2 sub-kernels:   ", sums.round(5))
assert np.allclose(values, sums, atol=1e-5)

# %% [markdown]
# Training has to learn to make those sums agree, and often does not quite manage: the
# checkerboard of many GAN samples. Stacking layers makes it worse: each layer adds a pattern of
# its own, and the earlier a layer, the coarser the resolution it works at, so the longer the
# period of its pattern in the final image (Odena, Dumoulin and Olah, "Deconvolution and
# checkerboard artifacts", Distill 2016).
#
# The remedy they propose: **resize, then convolve**. Upsample by repeating every pixel in a
# $2 \times 2$ block (nearest-neighbour resizing, which has no weights), then apply an ordinary
# stride-1 convolution. Each output pixel now sees the same kernel, so a constant image stays
# constant whatever the weights are (except at the border, where the zero padding shows).
#
# Here are three randomly initialised generators (DCGAN's $N(0, 0.02)$ initialisation, ReLU
# between layers), each doubling a constant $8 \times 8$ image three times to $64 \times 64$:
# transposed convolutions with kernel 3 and with kernel 4, and resize-then-convolve with a
# $3 \times 3$ kernel.


# %%
class Upsample(nn.Module):
    """Nearest-neighbour resizing by 2: every pixel becomes a 2x2 block. (N, C, H, W) ->
    (N, C, 2H, 2W), by broadcasting a (N, C, H, 1, W, 1) view to (N, C, H, 2, W, 2)."""

    def forward(self, x):
        n, c, h, w = x.shape
        blocks = F.broadcast_to(x.reshape(n, c, h, 1, w, 1), (n, c, h, 2, w, 2))
        return blocks.reshape(n, c, 2 * h, 2 * w)


def upsampler(kind, channels=16, layers=3):
    """``layers`` doublings from ``channels`` channels to one, ReLU between them."""
    blocks = []
    for layer in range(layers):
        c_out = 1 if layer == layers - 1 else channels
        if kind == "transposed, kernel 3":  # output_padding=1: exactly twice the size
            blocks += [nn.ConvTranspose2d(channels, c_out, 3, stride=2, padding=1,
                                          output_padding=1, bias=False)]
        elif kind == "transposed, kernel 4":
            blocks += [nn.ConvTranspose2d(channels, c_out, 4, stride=2, padding=1, bias=False)]
        else:
            blocks += [Upsample(), nn.Conv2d(channels, c_out, 3, padding=1, bias=False)]
        blocks.append(nn.ReLU())
    return nn.init.dcgan_init_(nn.Sequential(*blocks[:-1]))


constant = minigan.ones(1, 16, 8, 8)
kinds = ["transposed, kernel 3", "transposed, kernel 4", "resize, then 3x3 convolution"]


def doublings(net, x):
    """Channel 0 of the image after each doubling (after each convolution, before its ReLU)."""
    images = []
    with minigan.no_grad():
        for layer in net:
            x = layer(x)
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                images.append(x.numpy()[0, 0])
    return images


outputs = {kind: doublings(upsampler(kind), constant) for kind in kinds}
for kind, images in outputs.items():
    out = images[-1]
    middle = out[8:-8, 8:-8]  # away from the border
    print(f"{kind:<30} sizes {[im.shape[0] for im in images]}; inside the last image: "
          f"relative spread (std / mean) {middle.std() / np.abs(middle).mean():.3f}")

# %% [markdown]
# The picture, one column per generator: the image after the first doubling ($16 \times 16$),
# after the third ($64 \times 64$), and the values along the middle row of the last one. Grey
# levels are scaled to each image's own range (the overall scale of a random network's output
# says nothing here; only its pattern does).

# %%
fig, axes = plt.subplots(3, 3, figsize=(13, 12), layout="constrained",
                         gridspec_kw=dict(height_ratios=[2, 2, 1]))
for kind, ax_first, ax_last, ax_row in zip(kinds, *axes):
    first, last = outputs[kind][0], outputs[kind][-1]
    ax_first.imshow(first, cmap="gray")
    ax_first.set(title=f"{kind}\none layer: 8x8 -> 16x16", xticks=[], yticks=[])
    ax_last.imshow(last, cmap="gray")
    ax_last.set(title="three layers: 8x8 -> 64x64", xticks=[], yticks=[])
    ax_row.plot(last[last.shape[0] // 2] / np.abs(last).max(), ".-", lw=0.8, ms=3)
    ax_row.set(xlabel="column", ylabel="value / largest |value|",
               title="the middle row of the 64x64 image")
save(fig, args.out, "checkerboard.png")

# %% [markdown]
# After one layer, both transposed convolutions give a checkerboard: pixels of the four
# parities take four different values. (The first and last rows and columns differ again:
# stamps are cropped or missing there.) After three layers the patterns of the three layers,
# of periods 8, 4 and 2 in the final image, lie on top of each other: a grid of repeating
# $8 \times 8$ tiles. The resize-then-convolve generator is exactly flat inside, with a frame a
# few pixels wide where the zero padding of each layer reaches in. DCGAN keeps the transposed
# convolutions of kernel 4 and relies on training to smooth the pattern out; later generators,
# such as Progressive GAN and BigGAN, resize by nearest neighbour, then convolve.
#
# ## What to take away
#
# - A convolution is a sum over patches; im2col copies every patch into a column of a matrix,
#   so the whole layer is one matrix product $W_{mat} P$, checked here against the six loops of
#   the definition.
# - Stride, padding and dilation only change which pixels go into which column.
# - A convolution is a linear map $A$; its input gradient is $A^\top g$, the transposed
#   convolution, which `minigan.grad` computes with `conv_transpose2d`. Read by columns,
#   $A^\top$ stamps a weighted kernel per input pixel.
# - A stride-2 transposed convolution is four interleaved convolutions; uneven overlap (kernel
#   3) or unequal sub-kernels (any random kernel) make checkerboards, which resizing before a
#   stride-1 convolution avoids. Next, these layers are put together into a DCGAN.
