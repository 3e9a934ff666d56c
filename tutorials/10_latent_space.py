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
# # 10 · Walking the latent space
#
# A trained generator is a map from noise $z \in \mathbb{R}^{100}$ to images. If it had only
# memorised its training digits, nearby points $z$ would jump between unrelated images; if it
# learned the shape of the data, a straight walk from one $z$ to another morphs one digit
# smoothly into another. Radford et al. (2016) used exactly this walk as evidence that DCGAN
# does not memorise.
#
# 1. a trained DCGAN (from `python -m minigan dcgan`, trained here if there is none);
# 2. interpolation between latent points, straight and along the sphere;
# 3. a class-conditional DCGAN: one row per digit, one column per latent point.
#
# Run it as a script (`python tutorials/10_latent_space.py --out runs/10`; it trains two
# models of 7 epochs (5,250 steps over 48,000 digits), about 10 minutes each on 2 idle cores,
# unless `runs/dcgan` and `runs/cdcgan` already hold them; `--quick` for a smoke run) or open
# it as a notebook.

# %%
from pathlib import Path

import numpy as np
from _common import README_DCGAN, parse_args, plt, save

import minigan
from minigan import gan, viz

args = parse_args("Tutorial 10: walking the latent space", default_out="runs/10")
if args.quick:
    SETTINGS = dict(quick=True, ngf=8, ndf=8, epochs=1, progress=False)
    RUNS = args.out / "runs"
else:
    SETTINGS = README_DCGAN
    RUNS = Path("runs")


# %% [markdown]
# ## 1. A trained generator
#
# The command of the README: `python -m minigan dcgan --ngf 32 --ndf 32 --epochs 7
# --ema 0.99 --lr_d 1e-4 --lr_g 4e-4 --out runs/dcgan`; `gan.train_dcgan` trains the same run
# (`gan.DCGANRun`, the command's recipe) with its checkpoint in the same folder, or only
# reloads that checkpoint when the run is already complete. We keep its generator and draw with
# `gan.generate`, which puts G in eval mode (batch norm with its running statistics: each
# image depends on its own $z$ only, not on the rest of the batch).

# %%
run = gan.train_dcgan(RUNS / "dcgan", **SETTINGS)
G, nz = run.G, run.settings["nz"]
print(f"a generator after {run.epoch} epochs:", G)

# %% [markdown]
# ## 2. Interpolation
#
# The straight line $z_t = (1 - t) z_0 + t z_1$ is the obvious walk, but it leaves the region
# where the noise lives: a draw of $\mathcal N(0, I_{100})$ has length close to
# $\sqrt{100} = 10$, while the midpoint of two independent draws has length close to
# $10/\sqrt 2 \approx 7.1$, a length G has almost never seen. The spherical walk ("slerp",
# White 2016) keeps the length by turning along the great circle between the two points:
#
# $$z_t = \frac{\sin((1 - t)\,\omega)}{\sin \omega} z_0 + \frac{\sin(t\,\omega)}{\sin \omega} z_1,
# \qquad \cos\omega = \frac{z_0 \cdot z_1}{|z_0|\,|z_1|}.$$

# %%
def lerp(z0, z1, t):
    return (1 - t)[:, None] * z0 + t[:, None] * z1


def slerp(z0, z1, t):
    omega = np.arccos(np.clip(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1)), -1, 1))
    return (np.sin((1 - t) * omega)[:, None] * z0 + np.sin(t * omega)[:, None] * z1) / np.sin(omega)


# %% [markdown]
# Three pairs of latent points, each walked both ways in 10 steps; first the lengths along
# one walk:

# %%
rng = np.random.default_rng(3)
t = np.linspace(0, 1, 10)
pairs = [rng.normal(size=(2, nz)) for _ in range(3)]
print("lengths along the straight walk:", np.linalg.norm(lerp(*pairs[0], t), axis=1).round(1))
print("lengths along the spherical walk:", np.linalg.norm(slerp(*pairs[0], t), axis=1).round(1))

# %%

rows, names = [], []
for i, (z0, z1) in enumerate(pairs):
    for walk in (lerp, slerp):
        rows.append(walk(z0, z1, t))
        names.append(f"{walk.__name__} {i + 1}")
z = minigan.tensor(np.concatenate(rows), dtype=np.float32)
images = gan.generate(G, z)
fig, ax = plt.subplots(figsize=(7.5, 5.2))
viz.draw_image_grid(images, nrow=len(t), ax=ax, row_labels=names,
                    title="from z0 (left) to z1 (right): straight and spherical walks")
save(fig, args.out, "interpolation.png")

# %% [markdown]
# Each row turns one digit into another through shapes that are digits themselves (or nearly):
# G has learned a continuous map, not a look-up table of training images. The straight walk's
# middle images are often fainter or blurrier than its ends, where the spherical walk's stay
# crisp: the short vectors of the straight walk are the ones G was never trained on.
#
# ## 3. Asking for a class
#
# An unconditional G decides by itself which digit a $z$ becomes. The conditional DCGAN
# (Mirza and Osindero, 2014; `--conditional`) also receives the class $y$ as a one-hot code,
# and D judges "is this a real image *of class y*?". Fixing $z$ and changing $y$ then separates
# *what* is drawn (the class) from *how* (the rest: slant, thickness, width), which $z$ carries.

# %%
crun = gan.train_dcgan(RUNS / "cdcgan", conditional=True, **SETTINGS)
columns = 8
z = minigan.tensor(np.tile(rng.normal(size=(columns, nz)), (10, 1)), dtype=np.float32)
labels = np.repeat(np.arange(10), columns)  # row y: class y, with the same 8 latent points
images = gan.generate(crun.G, z, labels)
fig, ax = plt.subplots(figsize=(5.2, 6.2))
viz.draw_image_grid(images, nrow=columns, ax=ax, row_labels=[f"y = {y}" for y in range(10)],
                    title="conditional DCGAN: a row per class, a column per z")
save(fig, args.out, "class_rows.png")

# %% [markdown]
# Down a column the style stays: a slanted $z$ gives ten slanted digits, a bold one ten bold
# digits. Across a row the class stays. The generator has split its input into a part we
# control by name and a part that is everything else.
#
# **Try it**: interpolate between two *classes* with $z$ fixed (the one-hot code can be
# blended too: feed $(1-t)\,e_3 + t\,e_8$ by building the input of `crun.G.main` yourself).
