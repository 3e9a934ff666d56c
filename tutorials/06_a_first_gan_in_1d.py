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
# # 06 · A first GAN, in one dimension
#
# Figure 1 of Goodfellow et al. (2014) explains a GAN with one picture of a one-dimensional
# game. We train that game and draw it the same way:
#
# - black dots: the data density $p_{data}$;
# - green: the density $p_g$ of the generator's samples $x = G(z)$;
# - blue dashes: the discriminator's answer $D(x)$, the probability that $x$ is real;
# - below: the mapping itself, lines from the noise axis $z$ up to $G(z)$ on the $x$ axis. Each
#   line carries the same probability, so where the lines crowd together $p_g$ is high.
#
# 1. the data, the noise, and the two players;
# 2. the training loop, written out: $k$ updates of $D$, then one of $G$;
# 3. the same run with the library's `Trainer`, and the saturating generator loss beside the
#    non-saturating one (tutorial 04 explains why they differ; here we watch it happen);
# 4. two modes: what a continuous map from one interval can and cannot do.
#
# Run it as a script (`python tutorials/06_a_first_gan_in_1d.py --out runs/06`, `--quick` for a
# short run) or open it as a notebook.

# %%
import inspect

import numpy as np
from _common import parse_args, plt, progress, save

import minigan
from minigan import data, gan, optim, viz

args = parse_args("Tutorial 06: a first GAN in 1D", default_out="runs/06")
minigan.manual_seed(0)
STEPS = 150 if args.quick else 1500

# %% [markdown]
# ## 1. The data, the noise and the players
#
# The data are draws from $\mathcal{N}(4, 0.5^2)$. The generator turns noise $z \sim U(-1, 1)$
# (uniform, as in the paper's figure) into a number; both players are small multilayer
# perceptrons with two hidden layers of 32 units. $G$ starts as a near-constant map around 0,
# far from the data; $D$ outputs a logit $l$, and $D(x) = \sigma(l)$.
#
# Following Algorithm 1 of the paper we use plain stochastic gradient descent and $k = 5$
# discriminator updates per generator update, the discriminator with a larger step. With SGD the
# size of a step is proportional to the gradient, so what the loss does to the gradient shows
# directly in the training.

# %%
p_data = data.gaussian_1d(4.0, 0.5)
X_RANGE = (-1.5, 7.0)
BATCH, K = 64, 5


def make_players():
    """The same initial weights every time it is called."""
    G = gan.MLPGenerator(1, 1, hidden=(32, 32), generator=minigan.Generator(0))
    D = gan.MLPDiscriminator(1, hidden=(32, 32), generator=minigan.Generator(1))
    return G, D


def make_optimizers(G, D):
    return optim.SGD(G.parameters(), lr=0.01), optim.SGD(D.parameters(), lr=0.05)


def snapshot(G, D, dist=p_data):
    return viz.snapshot_1d(G, D, dist.density, X_RANGE, noise="uniform")


G, D = make_players()
print(G)
print(D)

# %% [markdown]
# ## 2. The training loop, written out
#
# One round of the game is `gan.train_step`. It is short enough to read whole:

# %%
print(inspect.getsource(gan.train_step))

# %% [markdown]
# Two details keep each update to its own player. In $D$'s update the fake batch is
# *detached*: it enters $D$'s loss as a constant, so no gradient reaches $G$. In $G$'s update
# $D$ is *frozen*: the gradient flows through $D$ into $G(z)$, but $D$'s weights are left alone.
#
# A third detail is the order: $G$'s loss is computed *after* $D$'s step, against the $D$ that
# $G$ must now fool. Computed before the step and backpropagated after it, its graph would
# combine $D$'s new weights (the step overwrites them in place) with activations of the old
# ones, and $G$ would get a gradient for neither $D$. Like PyTorch, minigan refuses: every tensor
# counts its in-place writes (`t._version`), each node of the graph notes the versions it
# computed with, and backward checks them.

# %%
G, D = make_players()
opt_G, opt_D = make_optimizers(G, D)
real = p_data.sample(BATCH, generator=minigan.Generator(2))
fake = G(gan.sample_noise(BATCH, 1, "uniform", generator=minigan.Generator(3)))

g_loss = gan.generator_loss(D(fake))  # too early: D is about to take its step
d_loss = gan.discriminator_loss(D(real), D(fake.detach()))
d_loss.backward()
opt_D.step()  # writes D's weights in place: their versions go up
try:
    g_loss.backward()
except minigan.InplaceModificationError as error:
    print("caught:", error)

g_loss = gan.generator_loss(D(fake))  # the fix: G's loss against D as it is now
opt_G.zero_grad()
g_loss.backward()
norm = sum(float((p.grad ** 2).sum().item()) for p in G.parameters()) ** 0.5
print(f"after the fix: G's gradient has norm {norm:.4g}")

# %% [markdown]
# The loop around it needs only two samplers. Both draw from one seeded generator, so the run
# is reproducible. We take a snapshot of the game at a few stages.

# %%
G, D = make_players()
opt_G, opt_D = make_optimizers(G, D)
rng = minigan.Generator(0)


def sample_real():
    return p_data.sample(BATCH, generator=rng)


def sample_noise():
    return gan.sample_noise(BATCH, 1, "uniform", generator=rng)


stages = [0, STEPS // 30, STEPS // 10, STEPS // 5, STEPS]
snapshots = [snapshot(G, D)]
for step in progress(range(1, STEPS + 1), desc="GAN by hand"):
    record = gan.train_step(G, D, opt_G, opt_D, sample_real, sample_noise, k=K, method="gan")
    if step in stages:
        snapshots.append(snapshot(G, D))
print({name: round(value, 4) for name, value in record.items()})

fig = viz.draw_gan_1d_stages(snapshots, titles=[f"step {s}" for s in stages])
fig.suptitle("A GAN learning $\\mathcal{N}(4, 0.5^2)$ (non-saturating loss)", y=1.02)
save(fig, args.out, "first_gan.png")

# %% [markdown]
# Read the panels left to right. At step 0 every line lands near $x = 0$: $p_g$ is a narrow
# spike far from the data, and $D$ is undecided. Within a few dozen rounds $D$ has learned to
# say "real" to the right and "fake" to the left, and its slope tells $G$ which way to move:
# the lines lean towards the data. By the end the lines fan out over the data, $p_g$ lies on
# top of $p_{data}$, and $D(x)$ is close to $\frac{1}{2}$ wherever there are samples: the
# equilibrium of the game, where $D$ can do no better than guess.
#
# ## 3. The library loop, and the two generator losses
#
# `gan.Trainer` runs the same step and adds what a longer run needs: a history of the losses,
# of the mean $D(x)$ and $D(G(z))$ and of both players' gradient norms; a progress bar;
# callbacks; checkpoints that a run can resume from exactly; and a clear error if a loss or a
# gradient becomes NaN. With the same seed it makes the same draws in the same order as our
# loop above, so it must end with the same weights. Its `method=` says which game is played
# (as for `train_step`): the GAN with either generator loss is `gan.methods.GAN(loss)`, by name
# `"gan"` (non-saturating, the default) and `"gan_saturating"`.

# %%
def train(loss):
    G, D = make_players()
    opt_G, opt_D = make_optimizers(G, D)
    trainer = gan.Trainer(G, D, opt_G, opt_D, p_data, batch_size=BATCH, noise="uniform", k=K,
                          method=gan.methods.GAN(loss), seed=0)
    shots = [snapshot(G, D)]
    trainer.fit(STEPS, callback=lambda t: shots.append(snapshot(t.G, t.D)), every=stages[1:])
    return trainer, shots


runs = {loss: train(loss) for loss in ("saturating", "non_saturating")}
by_hand = G.state_dict()
library = runs["non_saturating"][0].G.state_dict()
print("same weights as the loop by hand:",
      all(np.array_equal(by_hand[k].numpy(), library[k].numpy()) for k in by_hand))

# %% [markdown]
# Now the two losses side by side, from the same initial weights and the same draws. The only
# difference is what $G$ minimises: $\log(1 - D(G(z)))$ (saturating, the minimax game as
# written) or $-\log D(G(z))$ (non-saturating).

# %%
fig = viz.draw_gan_1d_stages([runs["saturating"][1], runs["non_saturating"][1]],
                             titles=[f"step {s}" for s in stages],
                             row_labels=["saturating", "non-saturating"])
save(fig, args.out, "saturating_vs_non_saturating.png")

# %% [markdown]
# With the saturating loss $G$ hardly moves: its lines stay bunched near 0 for the whole run.
# The discriminator learned early that everything near 0 is fake, $D(G(z)) \approx 0$, and
# there the saturating loss has almost no slope: its gradient with respect to $D$'s logit is
# $-D(G(z))$. The non-saturating loss has the same fixed point but a gradient of
# $-(1 - D(G(z)))$, largest exactly when $G$ is losing. The history shows it in numbers.

# %%
fig, (ax_d, ax_g) = plt.subplots(1, 2, figsize=(11, 3.6))
for (loss, (trainer, _)), color in zip(runs.items(), ("tab:red", "tab:blue")):
    h, name = trainer.history, loss.replace("_", "-")
    ax_d.plot(h["step"], h["d_fake"], color=color, lw=1, label=f"{name}: mean $D(G(z))$")
    ax_d.plot(h["step"], h["d_real"], color=color, lw=1, ls=":", label=f"{name}: mean $D(x)$")
    ax_g.plot(h["step"], h["g_grad_norm"], color=color, lw=1, label=name)
ax_d.set(xlabel="step", xscale="log", ylabel="probability",
         title="what D says about real and fake")
ax_d.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1, 0.06))
ax_g.set(xlabel="step", xscale="log", yscale="log", ylabel="$\\|\\nabla_\\theta\\, L_G\\|$",
         title="the generator's gradient norm")
ax_g.legend(fontsize=8)
fig.tight_layout()
save(fig, args.out, "training_curves.png")
early = slice(STEPS // 50, STEPS // 15)  # once D has learned, before G has caught up
for loss, (trainer, _) in runs.items():
    h = trainer.history
    print(f"{loss:>15}: median generator gradient norm over steps {early.start + 1}-"
          f"{early.stop} {np.median(h['g_grad_norm'][early]):.2e}; final mean D(G(z)) "
          f"{h['d_fake'][-1]:.3f}")

# %% [markdown]
# Under the saturating loss $D(G(z))$ falls to almost 0 within a few dozen steps and stays
# there, and from then on the generator's gradient is one to two orders of magnitude smaller
# than under the non-saturating loss at the same stage. (Later the non-saturating run has
# converged and its gradient is small for another reason: at $D \approx \frac{1}{2}$ there is
# little left to learn.) Adam rescales each weight's step by a running average of its gradient's
# size, which hides part of the effect; the non-saturating loss remains the standard choice.
#
# ## 4. Two modes
#
# Now the data are an equal mixture of $\mathcal{N}(1, 0.4^2)$ and $\mathcal{N}(5, 0.4^2)$. We
# train with Adam (learning rate $10^{-3}$, $\beta_1 = 0.5$, the DCGAN setting) and $k = 1$.

# %%
two_modes = data.mixture_1d([1.0, 5.0], 0.4)
MIX_STEPS = 300 if args.quick else 3000
mix_stages = [0, MIX_STEPS // 10, MIX_STEPS // 3, MIX_STEPS]
G, D = make_players()
trainer = gan.Trainer(G, D, optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999)),
                      optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999)), two_modes,
                      batch_size=BATCH, noise="uniform", k=1, seed=0)
shots = [snapshot(G, D, two_modes)]
trainer.fit(MIX_STEPS, callback=lambda t: shots.append(snapshot(t.G, t.D, two_modes)),
            every=mix_stages[1:])
fig = viz.draw_gan_1d_stages(shots, titles=[f"step {s}" for s in mix_stages])
fig.suptitle("Two modes: an equal mixture of $\\mathcal{N}(1, 0.4^2)$ and "
             "$\\mathcal{N}(5, 0.4^2)$", y=1.02)
save(fig, args.out, "two_modes.png")
with minigan.no_grad():
    fake = G(gan.sample_noise(20000, 1, "uniform")).numpy()
real = two_modes.sample(20000).numpy()
for name, x in (("G's samples", fake), ("data", real)):
    print(f"share of {name} between the modes (2 < x < 4): {np.mean((x > 2) & (x < 4)):.3f}")

# %% [markdown]
# The generator finds both modes, and the lines show how: most of the noise interval goes to
# one mode or the other, and the few lines that cross the gap are stretched far apart there,
# which is how $G$ makes $p_g$ small between the modes. It cannot make it zero: $G$ is a
# continuous map of the interval $[-1, 1]$, so its image is an interval, and some mass always
# stays on the bridge between the modes. Keep this picture in mind for mode collapse, where
# a generator gives up one of the modes altogether.
#
# ## What to take away
#
# - A GAN's training step is two updates: the discriminator's, on real data and *detached*
#   fakes, and the generator's, through a *frozen* discriminator.
# - The picture of Figure 1 — $p_{data}$, $p_g$, $D$ and the mapping $z \mapsto x$ — shows
#   the game at a glance: $D$'s slope is the signal that moves $G$'s samples.
# - The saturating loss starves the generator of gradient exactly when it most needs it; the
#   non-saturating loss does not.
