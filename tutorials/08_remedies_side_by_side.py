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
# # 08 · Remedies for mode collapse, side by side
#
# Tutorial 07 broke a GAN on purpose and fixed it with one switch. Many switches have been
# proposed; minigan has a dozen, each changing one thing about the game. Here every one of
# them plays the same game, on the ring (8 modes) and on the grid (25 modes), from the same
# seed, with the same networks and the same number of steps:
#
# 1. the methods, and the one thing each changes;
# 2. every method on both datasets: one figure of the final samples;
# 3. the numbers, and how far to trust one seed.
#
# Run it as a script (`python tutorials/08_remedies_side_by_side.py --out runs/08`, five to ten
# minutes on two cores; `--quick` for a few steps) or
# open it as a notebook.

# %%
import inspect

import numpy as np
from _common import parse_args, plt, progress, save

import minigan
from minigan import gan, viz

args = parse_args("Tutorial 08: remedies for mode collapse, side by side", default_out="runs/08")
SEED = 0
STEPS = 20 if args.quick else 2000
DATASETS = ("ring", "grid")

# %% [markdown]
# ## 1. The methods
#
# A method answers the questions the training step asks: what $D$ minimises, what $G$
# minimises, whether a penalty is added to $D$'s loss, what happens to $D$ after its update,
# how many $D$ updates come per $G$ update, and which options $D$ is built with. The plain
# GAN answers them all the standard way; every other method overrides only what it changes.
# Here is the step that asks them:

# %%
print(inspect.getsource(gan.train_step).split('"""')[-1])  # the body, without the docstring
print(f"{'method':>17}  {'D steps per G step':<20}{'options of D':<24}options of the method")
for name in gan.methods.METHODS:
    method = gan.methods.make_method(name)
    print(f"{name:>17}  {method.d_steps:<20}{str(method.discriminator_options or '-'):<24}"
          f"{method.options() or '-'}")

# %% [markdown]
# They fall into a few families:
#
# - **change what D sees**: PacGAN (packs of $m$ samples), minibatch standard deviation (a
#   statistic of the whole batch). A collapsed generator's batch looks unlike the data's;
# - **change the losses**: the saturating loss (worse on purpose), least squares (LSGAN),
#   one-sided label smoothing, feature matching (G matches D's features, not its verdict);
# - **constrain D's slope**: WGAN's weight clipping, WGAN-GP's gradient penalty, spectral
#   normalisation. A critic with bounded slope keeps giving $G$ a useful gradient;
# - **look ahead**: the unrolled GAN trains $G$ against the discriminator that a few more
#   updates would produce, differentiating through those updates.
#
# ## 2. Every method on both datasets
#
# The protocol: the "classroom" preset (two hidden layers of 64 units in $G$ and $D$, Adam),
# the same seed, the same number of generator updates for every method; the metrics are
# computed on 2,500 samples (tutorial 07 explains them).

# %%
results = {}
for name in progress(gan.methods.METHODS, desc="methods"):
    for dataset in DATASETS:
        results[name, dataset] = gan.experiment.run_mixture(
            dataset, name, seed=SEED, steps=STEPS, eval_every=STEPS, progress=False)

# %% [markdown]
# One figure: each method's final samples on the ring and on the grid, with $D$'s answer
# behind them (the raw score for the WGAN critics and LSGAN, which output no probability).

# %%
PAIRS_PER_ROW = 4
noise = minigan.randn(1000, 2, generator=minigan.Generator(SEED))
panels, titles = [], []
for name in gan.methods.METHODS:
    for dataset in DATASETS:
        r = results[name, dataset]
        panels.append(viz.snapshot_2d(r.G, r.D, r.mixture, noise=noise,
                                      d_output=viz.discriminator_output(r.method),
                                      points=60, metrics=r.metrics))
        titles.append(f"{name} · {dataset}\n{viz.metrics_label(r.metrics, r.mixture.num_modes)}")
row = 2 * PAIRS_PER_ROW
fig = viz.draw_mixture_2d_stages([panels[i:i + row] for i in range(0, len(panels), row)],
                                 titles=[titles[i:i + row] for i in range(0, len(titles), row)],
                                 panel_size=2.6,
                                 suptitle=f"Every method after {STEPS} steps (seed {SEED})")
save(fig, args.out, "all_methods.png")

# %% [markdown]
# ## 3. The numbers
#
# The same runs as a table and a bar chart: modes captured (out of 8 and 25), the share of
# high-quality samples, the reverse KL, and the seconds each run took (the methods differ in
# cost: WGAN and WGAN-GP train the critic five times per step, the unrolled GAN
# differentiates through five discriminator updates).

# %%
print(f"{'method':>17}" + "".join(f"{d + ': modes':>14}{'% HQ':>7}{'KL':>7}{'s':>6}"
                                  for d in DATASETS))
for name in gan.methods.METHODS:
    line = f"{name:>17}"
    for dataset in DATASETS:
        r = results[name, dataset]
        m = r.metrics
        line += (f"{m.modes_captured:>11}/{m.num_modes:<2}{100 * m.high_quality:>7.1f}"
                 f"{gan.reverse_kl_text(m.reverse_kl, m.high_quality, 2):>7}{r.seconds:>6.0f}")
    print(line)

fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
x = np.arange(len(gan.methods.METHODS))
for ax, dataset in zip(axes, DATASETS):
    metrics = [results[name, dataset].metrics for name in gan.methods.METHODS]
    ax.bar(x, [m.modes_captured for m in metrics], color="#1a9a3a", alpha=0.8)
    ax.axhline(metrics[0].num_modes, color="0.3", ls=":", lw=1)
    ax.set_xticks(x, gan.methods.METHODS, rotation=60, ha="right", fontsize=8)
    ax.set(ylabel="modes captured", title=f"{dataset}: modes captured after {STEPS} steps "
                                          f"(dotted: all {metrics[0].num_modes})")
save(fig, args.out, "modes_captured.png")

# %% [markdown]
# Two cautions. First, 2,000 steps is a short budget (tutorial 07's runs take 10,000): most
# generators have found where the modes are but not yet how narrow they are, so few samples
# are within 3 standard deviations, and the number of modes captured is the column to compare
# (a reverse KL with almost no high-quality samples says little). Second, do not rank the
# methods on this one run. GAN training is noisy: the same method with
# another seed can find two more modes or two fewer, and a method that needs a longer run or
# a tuned learning rate (WGAN with clipping is slow to converge; the unrolled GAN's look-ahead
# pays off late) is judged here on a short, common budget. `benchmarks/mode_collapse.py`
# runs every method on 10 seeds and reports mean ± standard error beside the numbers
# published in the PacGAN paper (see `benchmarks/README.md`).
#
# ## What to take away
#
# - Each remedy changes one thing about the game: what $D$ sees, the losses, $D$'s slope, or
#   how far ahead $G$ looks; the training step stays the same few lines.
# - Judge a method on many seeds and the same budget, and count modes as well as sample
#   quality.
