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
# # 07 · Mode collapse, on demand
#
# The data are eight small Gaussians on a ring. A GAN's generator should put samples on all
# eight; a collapsed generator piles them onto one or two modes and never visits the others.
# That failure has a name, *mode collapse*, and this script makes it happen in front of you,
# then fixes it by changing one switch.
#
# 1. the data, and how to count the modes a generator has found;
# 2. the collapse: a plain GAN, watched while it trains;
# 3. the fix: the same run, same seed, same networks, with PacGAN's discriminator;
# 4. the two side by side, as numbers, a figure and an animation.
#
# Run it as a script (`python tutorials/07_mode_collapse.py --out runs/07`, about a minute on
# two cores; `--quick` for a short run) or open it as a notebook. Every figure is written to
# `--out`. The matrices here are tiny: on a machine busy with other jobs, start it with
# `OPENBLAS_NUM_THREADS=1` (or call `minigan.set_num_threads(1)`), so that BLAS threads
# waiting for a core do not stall every product.

# %%
import numpy as np
from _common import parse_args, save

import minigan
from minigan import data, gan, viz

args = parse_args("Tutorial 07: mode collapse, on demand", default_out="runs/07")
COLLAPSE, REMEDY = gan.presets.COLLAPSE_DEMO, gan.presets.REMEDY_DEMO
SEED = 0
QUICK = {"steps": 200, "eval_every": 50} if args.quick else {}  # else the demo's own length

# %% [markdown]
# ## 1. The data, and how to count modes
#
# Eight Gaussians of standard deviation 0.01 on the unit circle: tiny, far-apart targets.
# Following the PacGAN paper (Lin et al., 2018) we judge 2,500 generated samples:
#
# - a sample is **high quality** if it lies within 3 standard deviations of its nearest mode;
# - a mode is **captured** if at least one high-quality sample landed on it;
# - the **reverse KL** compares how the high-quality samples spread over the modes with the
#   data's even spread: 0 for an even spread, about $\log(8/m)$ if they all sit evenly on $m$
#   of the 8 modes.

# %%
ring = data.ring()
print(ring)
real = ring.sample(2500, generator=minigan.Generator(1))
print("the data themselves:", gan.metrics.mode_metrics(real, ring))
lopsided = np.repeat(ring.centers[:2], 1250, axis=0)  # every sample on two of the modes
print("all samples on two modes:", gan.metrics.mode_metrics(lopsided, ring))

# %% [markdown]
# The data score 8/8, nearly 100% high quality and a reverse KL near 0; a generator stuck on
# two modes also makes "perfect" samples, but only 2 modes and a KL near $\log 4 \approx 1.39$.
# Sample quality alone cannot see mode collapse: we need to count.
#
# ## 2. The collapse
#
# The demo configuration is a plain GAN (the non-saturating loss of Goodfellow et al., 2014)
# with small networks, trained with Adam:

# %%
print("collapse demo:", COLLAPSE)
preset = gan.presets.get_preset(COLLAPSE["preset"])
print(preset)

# %% [markdown]
# We train it and take a snapshot at every evaluation: the generator's samples (green), the
# modes (black circles of 3 standard deviations) and the discriminator's answer $D(x)$ in
# colour, red where it says "fake", blue where it says "real". The same 1,000 noise vectors
# are drawn at every snapshot, so from one picture to the next we watch the same samples move.


# %%
def train(config, label):
    """Run one demo configuration; returns the result and its snapshots."""
    mixture = gan.experiment.mixture_dataset(config["dataset"])
    d_output = viz.discriminator_output(config["method"])
    noise = minigan.randn(1000, preset.noise_dim, generator=minigan.Generator(SEED))
    shots = []

    def snapshot(trainer, metrics):
        shots.append(viz.snapshot_2d(trainer.G, trainer.D, mixture, noise=noise,
                                     d_output=d_output, step=trainer.step, metrics=metrics))
        print(f"  {label:>6} step {trainer.step:>5}/{steps}: {metrics}")

    # No progress bar: the line printed at each evaluation tells the room how far we are.
    run = {**config, "seed": SEED, **QUICK}
    steps = run.get("steps") or gan.presets.get_preset(run["preset"]).steps
    result = gan.experiment.run_mixture(**run, callback=snapshot, progress=False)
    return result, shots


collapse, collapse_shots = train(COLLAPSE, "GAN")
print(f"\nthe plain GAN ends with {collapse.metrics} after {collapse.seconds:.0f} s")
fig = viz.draw_mixture_2d_stages(viz.evenly_spread(collapse_shots, 6), panel_size=3.2,
                                 suptitle=f"A plain GAN on the ring (seed {SEED})")
save(fig, args.out, "collapse.png")

# %% [markdown]
# Read the panels left to right. The generator starts as a small blob near the centre. All
# its samples move together: they stay one tight cluster for the whole run. $D$ paints red
# ("fake") where the cluster is and blue ("real") elsewhere, and the generator follows the
# slope of $D$ *where its samples are*, so the whole cluster slides towards the nearest blue.
# When it gets there, $D$ turns that place red, and the chase starts again: the cluster hops
# around the ring, now near one mode, now near another, and never spreads out to cover them
# all. That is mode collapse. With seed 0 the chase ends with the cluster on one mode, a
# tenth of its samples within 3 standard deviations of the centre; with other seeds it ends
# off the modes, with no sample of high quality at all (6 of the 10 seeds of the slow
# test). Either way, seven or eight of the modes are empty.
#
# A word on the numbers: with no high-quality sample at all, the mode histogram is empty, the
# smoothing makes it uniform, and the reverse KL reads 0. Read the KL together with the number
# of modes and the share of high-quality samples, never alone.
#
# ## 3. One switch: PacGAN
#
# PacGAN (Lin et al., 2018) changes only the discriminator's input: it judges *packs* of
# $m = 2$ samples at once, concatenated, all real or all fake. A real pack holds two
# independent draws, usually from two different modes; a collapsed generator's pack holds two
# samples from the same mode, and that is easy to spot. The networks, the optimiser, the data
# and the seed stay as they were.

# %%
print("remedy demo:", REMEDY)
print("what changed:", {k: (COLLAPSE.get(k), v) for k, v in REMEDY.items()
                        if COLLAPSE.get(k) != v})
remedy, remedy_shots = train(REMEDY, "PacGAN")
print(f"\nwith the switch the GAN ends with {remedy.metrics} after {remedy.seconds:.0f} s")
fig = viz.draw_mixture_2d_stages(viz.evenly_spread(remedy_shots, 6), panel_size=3.2,
                                 suptitle=f"The same run with {REMEDY['method']} (seed {SEED})")
save(fig, args.out, "remedy.png")

# %% [markdown]
# (The D(x) of a packing discriminator is drawn as its answer to a pack of copies of the same
# point $x$.) The generator again starts as a blob, but now piling onto one mode is punished:
# packs of near-identical samples look fake however good each sample is, so the generator is
# pushed to spread out, and its samples reach every mode.
#
# ## 4. Side by side
#
# The final states, big, for the back of the room:

# %%
fig = viz.draw_mixture_2d_stages(
    [collapse_shots[-1], remedy_shots[-1]], panel_size=6.0,
    titles=[f"plain GAN: {viz.metrics_label(collapse.metrics, ring.num_modes)}",
            f"{REMEDY['method']}: {viz.metrics_label(remedy.metrics, ring.num_modes)}"],
    suptitle=f"Mode collapse and its fix: one switch, same seed, step "
             f"{collapse_shots[-1].step}")
for ax in fig.axes[:2]:
    ax.title.set_fontsize(14)
save(fig, args.out, "collapse_vs_remedy.png")

# %% [markdown]
# And the whole of training as numbers: modes captured, the share of high-quality samples,
# and the reverse KL, at every evaluation.

# %%
fig = viz.draw_mode_metrics({"plain GAN": collapse.curves, REMEDY["method"]: remedy.curves},
                            num_modes=ring.num_modes, title="The ring, both runs")
save(fig, args.out, "metrics.png")
print(f"{'':>10}{'modes':>8}{'% HQ':>8}{'rev. KL':>9}{'seconds':>9}")
for name, result in (("plain GAN", collapse), (REMEDY["method"], remedy)):
    m = result.metrics
    print(f"{name:>10}{m.modes_captured:>6}/{m.num_modes}{100 * m.high_quality:>8.1f}"
          f"{gan.reverse_kl_text(m.reverse_kl, m.high_quality):>9}{result.seconds:>9.1f}")

# %% [markdown]
# The animation shows both runs at once, one frame per evaluation:

# %%
gif = viz.animate_mixture_2d([collapse_shots, remedy_shots], args.out / "collapse_vs_remedy.gif",
                             titles=["plain GAN", REMEDY["method"]], fps=3)
print(f"[animation] {gif}")

# %% [markdown]
# One seed could be luck. The slow test of the demo runs both configurations on 10 seeds, and
# `benchmarks/mode_collapse.py` runs every method on the ring and the grid with 10 seeds each;
# tutorial 08 puts every method side by side. The command line does one run with all the
# figures: `python -m minigan mixture --dataset ring --method pacgan2 --seed 3 --out runs/x`.
#
# ## What to take away
#
# - Mode collapse is invisible in sample quality: count the modes.
# - The generator only feels the discriminator's slope where its samples are, so it can
#   settle on a few modes and stay there.
# - A discriminator that sees several samples at once (packing) can tell a collapsed
#   generator from the data, and that one switch is enough to bring the modes back here.
