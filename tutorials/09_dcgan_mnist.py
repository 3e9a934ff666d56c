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
# # 09 · A DCGAN draws digits
#
# Until now our players were small multilayer perceptrons on points of the plane. Here they
# become convolutional networks on images: the DCGAN of Radford, Metz and Chintala (2016),
# trained on real handwritten digits from MNIST.
#
# 1. the data: the 60,000 MNIST training digits, a held-out part, and images in $[-1, 1]$;
# 2. the two models, layer by layer;
# 3. one training step, written out by hand;
# 4. the same step in the library loop, with sample grids as it trains.
#
# Run it as a script (`python tutorials/09_dcgan_mnist.py --out runs/09`, about five minutes
# on two CPU cores; `--quick` for a smoke run) or open it as a notebook. For longer runs with
# checkpoints and resume, use the command `python -m minigan dcgan` (see `docs/results.md`).

# %%
import numpy as np
from _common import parse_args, plt, save

import minigan
import minigan.functional as F
from minigan import data, gan, optim, viz

args = parse_args("Tutorial 09: a DCGAN draws digits", default_out="runs/09")
minigan.manual_seed(0)
WIDTH = 8 if args.quick else 32  # ngf = ndf: PyTorch's example uses 64; 32 is plenty for digits
STEPS = 10 if args.quick else 500
SNAPSHOTS = [2, 5, 10] if args.quick else [25, 100, 250, 500]

# %% [markdown]
# ## 1. The data
#
# `data.load_digits()` gives MNIST's 60,000 training digits, from the copy that ships inside
# minigan (no download; `split="test"` gives the 10,000 test digits). We hold out 20% of
# every class: the classifier that will judge our generated digits (tutorial 11) learns from
# digits the GAN never saw.
#
# The loader serves images of shape (N, 1, 32, 32): the 28 x 28 digits padded by 2 pixels of
# background on each side (DCGAN's image sides are powers of two), with pixels scaled from
# 0..255 to $[-1, 1]$, the range of the generator's final $\tanh$.

# %%
digits, held_out = data.load_digits().split(0.2, seed=0)
print(digits, held_out, sep="\n")
loader = data.DigitLoader(digits, batch_size=64, size=32)
real, labels = loader.sample_with_labels(64, generator=minigan.Generator(0))
print("a batch:", real.shape, real.dtype, f"values in [{real.min().item()}, {real.max().item()}]")

fig, ax = plt.subplots(figsize=(4.5, 4.8))
viz.draw_image_grid(real, nrow=8, ax=ax, title="64 real digits, 32 x 32, in [-1, 1]")
save(fig, args.out, "real_digits.png")

# %% [markdown]
# ## 2. The models
#
# The generator grows a noise vector $z \in \mathbb{R}^{100}$ into an image: a transposed
# convolution turns the $1 \times 1$ input into $4 \times 4$, then each block doubles the side
# and halves the channels (4 → 8 → 16 → 32). The discriminator mirrors it with strided
# convolutions and ends in **one logit** per image, no sigmoid: the losses take logits
# (tutorial 04). Batch norm sits everywhere except at G's output and D's input, and weights
# start from $\mathcal N(0, 0.02^2)$: the DCGAN recipe.

# %%
G = gan.DCGANGenerator(nz=100, ngf=WIDTH, nc=1, image_size=32)
D = gan.DCGANDiscriminator(ndf=WIDTH, nc=1, image_size=32)
print(G, D, sep="\n")  # each line ends with its number of parameters
x = minigan.randn(2, 100)
for layer in G.main:
    x = layer(x.reshape(2, 100, 1, 1) if x.ndim == 2 else x)
    print(f"  {type(layer).__name__:16s} -> {tuple(x.shape)}")

# %% [markdown]
# ## 3. One training step, by hand
#
# The step of the paper (and of PyTorch's example), with Adam(lr $2\cdot 10^{-4}$,
# $\beta_1 = 0.5$):
#
# - **D's turn**: real digits should get label 1, $G(z)$ label 0. With logits $a = D(x)$ and
#   $b = D(G(z))$ the loss is $-\log \sigma(a) - \log(1 - \sigma(b))$, averaged over the batch;
#   $G(z)$ is *detached*, so this update moves D only.
# - **G's turn**: the non-saturating loss $-\log \sigma(D(G(z)))$: G wants D to say "real". The
#   gradient flows back through D into G, but only G's weights are updated.

# %%
opt_G = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_D = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
z = minigan.randn(64, 100)

fake = G(z)
real_logits, fake_logits = D(real), D(fake.detach())
ones, zeros = minigan.ones(64), minigan.zeros(64)
d_loss = (F.binary_cross_entropy_with_logits(real_logits, ones)
          + F.binary_cross_entropy_with_logits(fake_logits, zeros))
opt_D.zero_grad()
d_loss.backward()
opt_D.step()

g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
opt_G.zero_grad()
g_loss.backward()
opt_G.step()
print(f"D loss {d_loss.item():.4f} (2 log 2 = {2 * np.log(2):.4f}: D cannot tell yet), "
      f"G loss {g_loss.item():.4f}")

# %% [markdown]
# The library's `gan.train_step` is exactly these lines (with `gan.frozen(D)` around G's turn,
# so that no gradient is even computed for D's weights there). Its losses are
# `gan.discriminator_loss` and `gan.non_saturating_generator_loss`, the ones we just wrote:

# %%
print("D loss, library:", gan.discriminator_loss(real_logits, fake_logits).item())

# %% [markdown]
# ## 4. Training, and watching
#
# `gan.Trainer` repeats the step, drawing every batch and every $z$ from its own seeded
# generator (so a seed fixes the run), records the losses and the mean $D(x)$, $D(G(z))$,
# and calls us back at chosen steps: there we draw the generator's images of one **fixed**
# noise batch, so that successive grids show the same 64 latent points growing into digits.

# %%
fixed_z = minigan.randn(64, 100, generator=minigan.Generator(1))
grids = {}


def snapshot(trainer):
    G.eval()  # batch norm with its running statistics: one image does not depend on the others
    with minigan.no_grad():
        grids[trainer.step] = G(fixed_z).numpy()
    G.train()


trainer = gan.Trainer(G, D, opt_G, opt_D, loader, batch_size=64, seed=0)
history = trainer.fit(STEPS, callback=snapshot, every=SNAPSHOTS)

fig, axes = plt.subplots(1, len(grids), figsize=(3.2 * len(grids), 3.5), layout="constrained")
for ax, (step, images) in zip(axes, grids.items()):
    viz.draw_image_grid(images, nrow=8, ax=ax, title=f"after {step} steps")
fig.suptitle("G's images of one fixed noise batch as it trains")
save(fig, args.out, "samples_during_training.png")

# %% [markdown]
# The first grids are blobs of ink in the middle of the square: G first learns where the ink
# usually is. Strokes come next, then shapes that read as digits, different ones for different
# latent points. The curves show the game: D's loss well below $2\log 2$ means D is ahead, and
# $D(x)$ above $D(G(z))$ says by how much; neither player wins outright when training goes well.

# %%
fig = viz.draw_loss_curves(history, title="DCGAN on digits: the two losses and D's outputs")
save(fig, args.out, "loss_curves.png")

# %% [markdown]
# **Try it**: train longer with `python -m minigan dcgan --ngf 32 --ndf 32 --epochs 5`; make
# D weaker (`--ndf 16`) and watch $D(G(z))$; or set the generator loss to the saturating one
# (tutorial 04) and see how slowly G starts.
