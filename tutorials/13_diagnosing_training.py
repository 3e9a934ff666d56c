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
# # 13 · Diagnosing training: the GAN doctor
#
# "Why does my GAN draw the same thing over and over?" "Why did D's loss go to zero?" "Why
# did everything turn into NaN?" A GAN that fails rarely says so: the losses of a collapsed
# generator look like the losses of a good one. This tutorial breaks a GAN three ways, lets
# `minigan.gan.Doctor` read each run, and fixes it with the remedy the doctor points to:
#
# 1. what the doctor watches, and the conditions it knows;
# 2. a discriminator that wins too easily: the generator's gradient vanishes;
# 3. a learning rate far too large: the run diverges, and the doctor stops it;
# 4. the collapse demo of tutorial 07: mode collapse, and PacGAN as the cure.
#
# Run it as a script (`python tutorials/13_diagnosing_training.py --out runs/13`, about a
# minute on two cores; `--quick` for shorter runs, whose
# reports differ) or open it as a notebook. Every figure is written to `--out`.

# %%
from _common import parse_args, save

from minigan import gan, viz

args = parse_args("Tutorial 13: diagnosing training", default_out="runs/13")
SEED = 0
# steps of a long and a short run, and between two probes (--quick: 3 probes in a long run)
LONG, SHORT, PROBE = (600, 300, 200) if args.quick else (10_000, 1_000, 500)
ring = gan.experiment.mixture_dataset("ring")

# %% [markdown]
# ## 1. What the doctor watches
#
# The training loop already records, at every step, both losses, the mean $D(x)$ and
# $D(G(z))$ and the gradient norm of each player. The doctor takes their **medians over
# windows** of 100 steps: one odd batch moves a mean, never a median. Every 500 steps it
# also **probes** the generator: $G$ draws 2,500 samples from one fixed noise batch, and
# they are compared with 2,500 real ones:
#
# - the **diversity** $\rho$, the mean distance between two generated samples over the
#   same for two real ones: 1 when $G$ is as varied as the data, near 0 when its samples
#   are all alike;
# - the **distance** $\delta$ to the data: 0 when the generated samples are as close to
#   the real ones as real samples are to each other, 1 when they are as far from the data
#   as two random data points are from each other;
# - on a mixture, the mode metrics of tutorial 07: modes captured, % high quality.
#
# From these numbers it names five conditions, each with a threshold that was measured on
# healthy and on failing runs (the docstrings of `minigan.gan.doctor.checks` give the numbers):

# %%
for condition in gan.doctor.CONDITIONS.values():
    print(f"{condition.name}\n    remedy: {condition.remedy}\n    read: {condition.tutorial}")


# %% [markdown]
# Three of them are staged below. The other two you will meet in your own runs:
# **oscillation**, when $D(x)$ or $D(G(z))$ swings up and down over a thousand steps instead
# of settling (the players chase each other: lower the learning rates), and a
# **discriminator too weak to teach**, when $D$ cannot tell real from fake while $G$'s
# samples are still far from the data and stop getting closer.
#
# One function runs a configuration of the 2D ring under the doctor and prints its report.
# A run the doctor stops raises `TrainingDivergedError`; we catch it and read the report
# all the same.

# %%
def diagnose(config, steps, window=100, **changes):
    """Train ``config`` (run_mixture's arguments) for ``steps`` steps with the preset's fields
    replaced by ``changes``, under a doctor with windows of ``window`` steps; prints the
    doctor's report and returns the doctor."""
    preset = gan.get_preset(config["preset"], **changes)
    doctor = gan.Doctor(gan.MixtureProbe(ring, seed=SEED), probe_every=PROBE, window=window)
    try:
        gan.run_mixture(config["dataset"], config["method"], seed=SEED, preset=preset,
                        steps=steps, progress=False, doctor=doctor)
    except gan.TrainingDivergedError as error:
        print(f"training stopped: {error}\n")
    print(doctor.report())
    return doctor


# %% [markdown]
# ## 2. A discriminator that wins too easily
#
# Take the minimax game as written: $G$ minimises $\log(1 - D(G(z)))$, the **saturating**
# loss. Make $D$ strong: its learning rate 1,000 times $G$'s. Within a few dozen steps $D$
# rejects every generated sample with near certainty, and the slope of
# $\log(1 - D(G(z)))$ with respect to $D$'s logit is $-D(G(z)) \approx 0$: $G$ is told
# nothing.

# %%
BROKEN = {**gan.COLLAPSE_DEMO, "method": "gan_saturating"}
STRONG_D = {"d_lr": 2e-2, "g_lr": 2e-5}
vanishing = diagnose(BROKEN, SHORT, **STRONG_D)
fig = viz.draw_doctor(vanishing, title="saturating loss, D learning 1,000x faster than G")
save(fig, args.out, "vanishing_gradient.png")

# %% [markdown]
# Read the dashboard panel by panel. Top right: $D(x)$ is pinned at 1 and $D(G(z))$ at 0,
# past the dotted lines at 0.95 and 0.05. Bottom left: $G$'s gradient norm, in units of
# $D$'s gradient at the first step, falls below one hundredth of it (the "vanishing" line)
# and keeps falling. The shaded stretch is what the doctor diagnosed. Bottom right, the
# probe: the samples are one blob far from the ring (large distance, tiny diversity): $G$
# never got going.
#
# The remedy is one switch, the one tutorial 04 derives: the **non-saturating** loss
# $-\log D(G(z))$ has the same fixed point, but its slope is $-(1 - D(G(z))) \approx -1$
# exactly when $D$ rejects $G$'s samples. Same $D$, same learning rates:

# %%
diagnose({**BROKEN, "method": "gan"}, SHORT, **STRONG_D)

# %% [markdown]
# No vanishing gradient: $D$ still dominates (its outputs are still near 1 and 0), but $G$'s
# gradient is now large, and $G$ moves. The doctor tells the two apart because it reads
# both players at once. (Train this run three times longer and the doctor finds mode
# collapse instead: facing so strong a $D$, $G$ settles on a few modes. The new loss cured
# the gradient, not the imbalance; balanced learning rates and section 4's remedy do.)
#
# ## 3. A learning rate far too large
#
# Adam moves every weight by up to about its learning rate at each step. With a learning
# rate of 1, the weights of both small networks are scrambled within a few steps: the
# logits, the losses and the gradients grow by orders of magnitude. The training loop itself
# stops the run as soon as the median of a loss over the last 10 steps has grown 10,000-fold
# (`gan.divergence.GROWTH`, times its size at the first step, or 1), and tells the doctor,
# whose report names the divergence: the doctor's own test is the same one
# (`gan.divergence.loss_growth`). The error names the step. A large gradient alone is not
# divergence: under Adam, whose steps are normalised, a healthy run's gradient norms can grow
# 9,000-fold (PacGAN's own players do), so only the losses are tested for growth, and the
# gradients only for NaN and infinity. Such a run lives a few steps only, so this doctor
# takes its medians over windows of 2 steps, to have something to draw.

# %%
diverging = diagnose(gan.REMEDY_DEMO, SHORT, window=2, d_lr=1.0, g_lr=1.0)
fig = viz.draw_doctor(diverging, title="Adam with learning rate 1 for both players")
save(fig, args.out, "divergence.png")

# %% [markdown]
# The losses (top left) climb by orders of magnitude within a few steps, the gradient norms
# (bottom left) with them; the vertical line marks the step where the run was stopped.

# %% [markdown]
# The remedy is the learning rates of the classroom preset (Adam at 5e-4 for $G$ and
# 1.67e-4 for $D$); we run them in the next section. On a real run, reload the last
# checkpoint saved before the blow-up instead of starting over.
#
# ## 4. Mode collapse, and its cure
#
# The collapse demo of tutorial 07: a plain GAN whose generator hops from mode to mode as
# one tight cluster. Its losses look unremarkable; the probe does not.

# %%
collapse = diagnose(gan.COLLAPSE_DEMO, LONG)
fig = viz.draw_doctor(collapse, title="the collapse demo (plain GAN)")
save(fig, args.out, "mode_collapse.png")

# %% [markdown]
# The losses (top left) hover near their values at chance, $D(x)$ and $D(G(z))$ near 0.5:
# nothing to see. The probe (bottom right) sees it: the samples are near the data (small
# distance) but on one or two of the eight modes, and for most of the run their diversity
# is a fraction of the data's. The doctor points to tutorial 07 and its remedy, PacGAN: a
# discriminator that judges two samples at once. One switch, the same seed, and the
# learning rates that section 3 asked for:

# %%
cured = diagnose(gan.REMEDY_DEMO, LONG)
fig = viz.draw_doctor(cured, title="the remedy demo (PacGAN, packs of 2)")
save(fig, args.out, "fixed.png")

# %% [markdown]
# A clean bill of health: the diversity stays near 1, the distance to the data falls to
# 0, all eight modes are captured, and nothing is shaded. (The PacGAN discriminator sits at
# chance all along; the doctor does not call it too weak, because the generator keeps
# getting closer to the data.)
#
# ## How far to trust the doctor
#
# One seed could be luck. `benchmarks/doctor_detection.py` runs each of these configurations
# on 10 seeds and counts how often the doctor names the expected condition, and how often
# it raises an alarm on the healthy ones; `benchmarks/README.md` has the table. The doctor
# also works on the command lines: `python -m minigan mixture --doctor --out runs/x` and
# `python -m minigan dcgan --doctor` print the report at the end and write `doctor.png`,
# `doctor.json` and `doctor.txt`.
#
# ## What to take away
#
# - Losses alone hide most failures: read both players' outputs, their gradient norms and
#   what the samples look like next to the data.
# - A dominating $D$ is harmless with the non-saturating loss and fatal with the saturating
#   one: the difference is $G$'s gradient.
# - Divergence is visible in the losses before anything is NaN; a large gradient alone is
#   not divergence.
# - Mode collapse is samples near the data but alike; a weak $D$ is samples far from the
#   data that stop getting closer.
