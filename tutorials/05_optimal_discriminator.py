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
# # 05 · The optimal discriminator
#
# A GAN is a game between a discriminator $D$, which outputs the probability $D(x)$ that $x$
# is real, and a generator $G$, whose samples have a density $p_g$. Goodfellow et al. (2014)
# write it as one *value function*,
#
# $$V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)]
#            + \mathbb{E}_{x \sim p_g}[\log(1 - D(x))],$$
#
# which $D$ maximises and $G$ minimises. With densities we know exactly (Gaussian mixtures) the
# questions their analysis asks can be answered with numbers instead of symbols:
#
# 1. for a fixed generator, which $D$ is best? Answer: $D^*(x) = p_\text{data}(x) /
#    (p_\text{data}(x) + p_g(x))$;
# 2. trained on samples, does a real network find it?
# 3. against that best $D$, what does the generator minimise? Answer:
#    $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g)$;
# 4. and in 2D, how much does dropping modes cost in that divergence?
#
# The derivations are in `docs/theory.md`; here we watch them hold.

# %%
import math

import numpy as np
from _common import parse_args, plt, progress, save

import minigan
import minigan.functional as F
from minigan import data, gan, optim

theory = gan.theory
args = parse_args("Tutorial 05: the optimal discriminator", default_out="runs/05")
minigan.manual_seed(0)

# %% [markdown]
# ## 1. The best discriminator for a fixed generator
#
# Take data from two modes and a generator that has put one Gaussian between them. Both are
# `minigan.data.GaussianMixture`s, so `density(x)` and `log_density(x)` are exact.
#
# $V$ is an integral over $x$ of $p_\text{data}(x) \log D(x) + p_g(x) \log(1 - D(x))$, and $D$
# may take any value at each $x$ separately. So maximise pointwise: $a \log y + b \log(1-y)$
# has derivative $a/y - b/(1-y)$, zero at $y = a/(a+b)$, a maximum because the function is
# concave. With $a = p_\text{data}(x)$, $b = p_g(x)$:
#
# $$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}
#          = \sigma\big(\log p_\text{data}(x) - \log p_g(x)\big).$$
#
# The second form is how `theory.optimal_discriminator` computes it: from the log densities,
# whose difference is an ordinary number even where both densities underflow to 0.

# %%
p_data = data.mixture_1d([-2.0, 2.0], 0.75)
p_g = data.gaussian_1d(0.5, 0.75)
x = np.linspace(-5.0, 5.0, 801)[:, None]  # points as an (n, 1) array, like a batch
d_star = theory.optimal_discriminator(p_data, p_g, x)
print(f"D* ranges over [{d_star.min():.3f}, {d_star.max():.3f}]")

fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
top.plot(x, p_data.density(x), "k", lw=2, label=r"$p_\mathrm{data}$ (two modes)")
top.plot(x, p_g.density(x), color="tab:green", lw=2, label=r"$p_g$ (one Gaussian)")
top.set_ylabel("density")
top.legend()
bottom.plot(x, d_star, color="tab:blue", lw=2,
            label=r"$D^*(x) = p_\mathrm{data}/(p_\mathrm{data}+p_g)$")
bottom.axhline(0.5, color="grey", ls=":", lw=1)
crossings = x[1:, 0][np.diff(np.sign(d_star - 0.5)) != 0]
for c in crossings:  # D* = 1/2 exactly where the two densities are equal
    for ax in (top, bottom):
        ax.axvline(c, color="grey", ls=":", lw=1)
bottom.set_ylim(-0.03, 1.03)
bottom.set_xlabel("x")
bottom.set_ylabel("D(x)")
bottom.legend(loc="lower left")
top.set_title("The optimal discriminator: real where data is denser, fake where G is")
save(fig, args.out, "optimal_discriminator.png")

# %% [markdown]
# ## 2. A trained discriminator finds D*
#
# In practice $D$ is a network that sees samples, never densities. Train
# `gan.MLPDiscriminator` (two hidden layers of 32, LeakyReLU) with binary cross-entropy: label
# 1 on samples of $p_\text{data}$, 0 on samples of $p_g$. That loss, averaged over the two
# batches, is $-V(D, G)$ estimated on the batch, so minimising it climbs $V$. Both
# distributions stay fixed: only $D$ learns.
#
# Every few steps we measure the exact $V(D, G)$ by quadrature (`theory.value_function`, which
# takes the model and evaluates its logits on a grid) and compare it with
# $C(G) = \max_D V(D, G)$. No discriminator can exceed $C(G)$, so the gap $C(G) - V(D, G)$ is
# never negative, and it closes as $D \to D^*$.
#
# A second pair shows the limit of learning from samples: with $p_g$ *wider* than the data
# modes, the logit $\log p_\text{data} - \log p_g$ bends down quadratically in both tails,
# where few samples fall. A network with piecewise-linear activations extends its last linear
# pieces there: it is right where it has seen plenty of data and only guesses where it has
# seen a sample or two per batch. We shade the region where $p_\text{data} + p_g$ is below 1% of
# its peak.

# %%
def train_discriminator(p_data, p_g, steps, model=None, seed=0, batch=256, lr=3e-3,
                        record_every=25, desc="training D"):
    """Adam on BCE-with-logits against samples of fixed p_data and p_g; returns the model and
    the history of (step, exact V(D, G)), every ``record_every`` steps and at the end."""
    gen = minigan.Generator(seed)
    if model is None:
        model = gan.MLPDiscriminator(1, hidden=(32, 32), generator=gen)
    opt = optim.Adam(model.parameters(), lr=lr)
    real_label, fake_label = minigan.ones(batch), minigan.zeros(batch)
    history = [(0, theory.value_function(model, p_data, p_g))]
    for step in progress(range(1, steps + 1), desc=desc, leave=False):
        if step == int(0.7 * steps):
            opt.param_groups[0]["lr"] = lr / 10  # smaller steps to settle on the optimum
        loss = (F.binary_cross_entropy_with_logits(model(p_data.sample(batch, gen)), real_label)
                + F.binary_cross_entropy_with_logits(model(p_g.sample(batch, gen)), fake_label))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % record_every == 0 or step == steps:
            history.append((step, theory.value_function(model, p_data, p_g)))
    return model, history


def discriminator_on(model, x):
    with minigan.no_grad():
        return F.sigmoid(model(minigan.tensor(x, dtype=np.float32))).numpy()


steps = 300 if args.quick else 2000
cases = {"equal widths": (p_data, p_g),
         "p_g wider than the modes": (p_data, data.gaussian_1d(0.5, 1.5))}
results = {}
for name, (p, q) in cases.items():
    model, history = train_discriminator(p, q, steps, desc=name)
    mass = p.density(x) + q.density(x)
    dense = mass > 0.01 * mass.max()
    d, d_opt = discriminator_on(model, x), theory.optimal_discriminator(p, q, x)
    error = np.abs(d - d_opt)
    gap = theory.training_criterion(p, q) - history[-1][1]
    results[name] = dict(d=d, d_opt=d_opt, dense=dense, history=history,
                         criterion=theory.training_criterion(p, q))
    print(f"{name:>25}: max |D - D*| = {error[dense].max():.3f} where p_data + p_g > 1% of "
          f"its peak ({error.max():.3f} anywhere on [-5, 5]); C(G) - V(D, G) = {gap:.1e}")

# %% [markdown]
# Left and middle: the trained $D$ (orange) on top of $D^*$ (blue); grey marks the sparse
# tails. With equal widths the two agree everywhere. With the wider $p_g$ they agree where the
# samples are, and part ways on the far left, where $D^*$ falls and the network's $D$ stays
# flat: the exact $V(D, G)$ barely notices, since little mass lives there. Right: the gap
# $C(G) - V(D_t, G)$ during training, on a log scale: $V$ climbs to $C(G)$ from below, and
# the drop of the learning rate at 70% of the run lets it settle.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
for ax, (name, r) in zip(axes[:2], results.items()):
    ax.fill_between(x[:, 0], 0, 1, where=~r["dense"], color="0.88", lw=0,
                    label="p_data + p_g < 1% of peak")
    ax.plot(x, r["d_opt"], color="tab:blue", lw=3, label="$D^*$ (exact)")
    ax.plot(x, r["d"], color="tab:orange", lw=1.5, ls="--", label="trained D")
    ax.set_title(name)
    ax.set_xlabel("x")
    ax.set_ylim(-0.02, 1.3)  # room for the legend above the curves
    ax.legend(loc="upper center", ncol=2, fontsize=8)
axes[0].set_ylabel("D(x)")
for name, r in results.items():
    step, value = np.array(r["history"]).T
    axes[2].semilogy(step, r["criterion"] - value, lw=1.5, label=name)
axes[2].axvline(int(0.7 * steps), color="grey", ls=":", lw=1)
axes[2].text(int(0.7 * steps), axes[2].get_ylim()[1], " lr / 10", va="top", color="grey")
axes[2].set_xlabel("training step of D")
axes[2].set_ylabel("C(G) - V(D, G)  (never negative)")
axes[2].set_title("V(D, G) approaches C(G) from below")
axes[2].legend(loc="lower left", fontsize=8)
save(fig, args.out, "trained_vs_optimal.png")

# %% [markdown]
# ## 3. What the generator minimises: C(G) = -log 4 + 2 JSD
#
# Put $D^*$ back into $V$. With $m = (p_\text{data} + p_g)/2$,
#
# $$C(G) = V(D^*, G) = \mathbb{E}_{p_\text{data}}\Big[\log \frac{p_\text{data}}{2m}\Big]
#   + \mathbb{E}_{p_g}\Big[\log \frac{p_g}{2m}\Big]
#   = -\log 4 + \mathrm{KL}(p_\text{data} \,\|\, m) + \mathrm{KL}(p_g \,\|\, m)
#   = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g).$$
#
# The Jensen-Shannon divergence is $\ge 0$, and $0$ only when $p_g = p_\text{data}$: so the
# generator's best outcome against an optimal $D$ is $C(G) = -\log 4$, reached exactly at
# $p_g = p_\text{data}$, where $D^* = 1/2$ everywhere. It is also at most $\log 2$, reached
# when the two share no mass: then $C(G) = 0$, whatever $G$ does with its samples.
#
# Slide a generator toward the data: $p_g$ is the data's two-mode mixture shifted by $s$.
# `theory.js_divergence` integrates the JSD from its definition; `theory.training_criterion`
# turns it into $C(G)$. For a few shifts we also train a discriminator (continuing from the
# previous one) and mark the exact $V(D, G)$ it reaches: below $C(G)$, never above.

# %%
def shifted(s):
    return data.mixture_1d([-2.0 + s, 2.0 + s], 0.75)


shifts = np.linspace(10.0, 0.0, 21 if args.quick else 101)
jsd = np.array([theory.js_divergence(p_data, shifted(s)) for s in shifts])
criterion = np.array([theory.training_criterion(p_data, shifted(s)) for s in shifts])


def value_of_optimal_d(p_data, p_g):
    """V(D*, G) straight from the value function, with D* given by its logit."""
    return theory.value_function(lambda t: theory.optimal_logit(p_data, p_g, t), p_data, p_g)


value_star = np.array([value_of_optimal_d(p_data, shifted(s)) for s in shifts])
identity_error = np.abs(value_star - (-math.log(4) + 2 * jsd)).max()
print(f"largest |V(D*, G) - (-log 4 + 2 JSD)| over the shifts: {identity_error:.1e}")
print(f"C(G) at s = 0: {criterion[-1]:.12f}   (-log 4 = {-math.log(4):.12f})")
print(f"JSD at s = 10: {jsd[0]:.6f}         (log 2 = {math.log(2):.6f})")

trained_shifts = [4.0, 2.0, 1.0, 0.0] if args.quick else [4.0, 3.0, 2.0, 1.5, 1.0, 0.5, 0.0]
model, trained = None, []
for i, s in enumerate(trained_shifts):
    model, history = train_discriminator(p_data, shifted(s), 100 if args.quick else 800,
                                         model=model, seed=i, record_every=10**9,  # the end
                                         desc=f"D against shift {s}")
    trained.append((s, theory.js_divergence(p_data, shifted(s)), history[-1][1]))
trained = np.array(trained)
worst = np.max(np.array([theory.training_criterion(p_data, shifted(s)) for s in trained[:, 0]])
               - trained[:, 2])
print(f"trained D: largest C(G) - V(D, G) over the shifts = {worst:.1e}")

# %% [markdown]
# Left: as $p_g$ slides onto $p_\text{data}$, $C(G)$ falls from $0$ (no overlap,
# $\mathrm{JSD} = \log 2$) to $-\log 4$ (equal, $\mathrm{JSD} = 0$), but not steadily: near
# $s = 4$, where the generator's left mode sits on the data's right mode, it has a *local*
# minimum. $C(G)$ is convex as a function of the density $p_g$, which is what the proof uses;
# as a function of a generator's parameters (here $s$) it need not be. Right: $V(D^*, G)$,
# computed from the value function itself, against the JSD: every shift falls on the line
# $-\log 4 + 2\,\mathrm{JSD}$, and the trained discriminators' values sit just under it.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
left.plot(shifts, criterion, color="tab:purple", lw=2, label="C(G) = max_D V(D, G)")
left.plot(shifts, jsd, color="tab:red", lw=2, label="JSD(p_data || p_g)")
left.plot(trained[:, 0], trained[:, 2], "o", color="tab:orange", label="V(trained D, G)")
left.axhline(-math.log(4), color="tab:purple", ls=":", lw=1)
left.axhline(math.log(2), color="tab:red", ls=":", lw=1)
left.text(10.0, -math.log(4) + 0.03, "-log 4", ha="left", color="tab:purple")
left.text(10.0, math.log(2) - 0.1, "log 2", ha="left", color="tab:red")
lowest = np.argmin(np.where((shifts > 3) & (shifts < 5), criterion, np.inf))
left.annotate("local minimum:\na mode of p_g on a data mode", (shifts[lowest], criterion[lowest]),
              xytext=(7.5, -1.0), arrowprops=dict(arrowstyle="->", color="0.4"), fontsize=8)
left.invert_xaxis()  # read left to right as G improving
left.set_xlabel("shift s of p_g (G improves to the right)")
left.set_title("As p_g slides onto p_data")
left.legend(loc="center left", fontsize=8)
line = np.linspace(0.0, math.log(2), 2)
right.plot(line, -math.log(4) + 2 * line, color="0.6", lw=6, alpha=0.5,
           label="-log 4 + 2 JSD")
right.plot(jsd, value_star, ".", color="tab:purple", label="V(D*, G), one dot per shift")
right.plot(trained[:, 1], trained[:, 2], "o", mfc="none", color="tab:orange", ms=9,
           label="V(trained D, G)")
right.set_xlabel("JSD(p_data || p_g)")
right.set_ylabel("value")
right.set_title(f"V(D*, G) against JSD (largest distance to the line {identity_error:.0e})")
right.legend(fontsize=8)
save(fig, args.out, "criterion_vs_jsd.png")

# %% [markdown]
# ## 4. In two dimensions: Monte Carlo, and the price of dropping modes
#
# Quadrature on a fine grid is exact but costs $n^d$ points; in 2D we average instead:
# $\mathrm{JSD} = \tfrac12 \mathbb{E}_{p}[\log(p/m)] + \tfrac12 \mathbb{E}_{q}[\log(q/m)]$,
# estimated on samples of each, with a standard error from the sample variances
# (`theory.js_divergence_mc`).
#
# The classic failure of GANs is *mode collapse*: a generator that covers only some of the
# data's modes. Take the data as the ring of 8 modes used in the next tutorials, and a
# generator that puts the same Gaussians on only $m$ of them. The modes are so far apart
# (76 standard deviations) that the JSD has a closed form: with data weight $a = 1/8$ and
# generator weight $b = 1/m$ per covered mode,
#
# $$\mathrm{JSD} = \tfrac12\Big[m\,a \log\tfrac{2a}{a+b} + (8 - m)\,a \log 2
#                 + \log\tfrac{2b}{a+b}\Big].$$

# %%
ring = data.ring(num_modes=8, radius=1.0, std=0.01)
num_samples = 5_000 if args.quick else 50_000
covered = np.arange(1, 9)
estimates, closed = [], []
for m in covered:
    p_collapsed = data.GaussianMixture(ring.means[:m], 0.01)
    estimates.append(theory.js_divergence_mc(ring, p_collapsed, num_samples,
                                             generator=minigan.Generator(int(m))))
    a, b = 1 / 8, 1 / m
    closed.append(0.5 * (m * a * math.log(2 * a / (a + b)) + (8 - m) * a * math.log(2)
                         + math.log(2 * b / (a + b))))
for m, e, c in zip(covered, estimates, closed):
    print(f"{m} modes covered: JSD = {e.value:.4f} +- {e.stderr:.4f} (closed form {c:.4f})")

# %% [markdown]
# Left: the data (black) and a generator that covers 3 of the 8 modes (green). Right: the
# JSD against the number of covered modes, Monte Carlo with two standard errors against the
# closed form. Dropping modes is expensive but not maximally so: one mode out of eight still
# leaves $\mathrm{JSD} \approx 0.50 < \log 2$, so an optimal $D$ *does* tell the generator to
# spread out. In practice $D$ is not optimal, and that is where the next tutorials begin.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
real = ring.sample(2000, generator=minigan.Generator(10)).numpy()
fake = data.GaussianMixture(ring.means[:3], 0.01).sample(
    2000, generator=minigan.Generator(11)).numpy()
left.scatter(fake[:, 0], fake[:, 1], s=150, color="tab:green", alpha=0.05,
             label="p_g: 3 modes")  # wide, faint markers: a halo under the data's dots
left.scatter(real[:, 0], real[:, 1], s=2, color="k", label="p_data: 8 modes")
left.set_aspect("equal")
left.set_title("A generator that dropped 5 modes")
for handle in left.legend(loc="center", fontsize=8).legend_handles:
    handle.set_alpha(1)  # the legend shows the colours at full strength
value = np.array([e.value for e in estimates])
stderr = np.array([e.stderr for e in estimates])
right.plot(covered, closed, color="0.6", lw=6, alpha=0.5, label="closed form")
right.errorbar(covered, value, yerr=2 * stderr, fmt="o", color="tab:red", capsize=4,
               label="Monte Carlo +- 2 s.e.")
right.axhline(math.log(2), color="tab:red", ls=":", lw=1)
right.text(8, math.log(2) - 0.04, "log 2", ha="right", color="tab:red")
right.set_xlabel("modes covered by p_g (of 8)")
right.set_ylabel("JSD(p_data || p_g)")
right.set_title("The price of mode collapse")
right.legend(fontsize=8)
save(fig, args.out, "mode_dropping.png")

# %% [markdown]
# ## What to take away
#
# - For a fixed generator the best discriminator is $D^* = p_\text{data}/(p_\text{data} + p_g)$,
#   best computed as $\sigma(\log p_\text{data} - \log p_g)$.
# - A discriminator trained on samples converges to $D^*$ where it has seen data, and its
#   exact $V(D, G)$ approaches $C(G)$ from below; in the sparse tails it only extrapolates.
# - Against $D^*$, the generator minimises $C(G) = -\log 4 + 2\,\mathrm{JSD}$, whose minimum
#   $-\log 4$ is reached exactly at $p_g = p_\text{data}$.
# - The proof assumes a discriminator of unlimited capacity, re-optimised at every step, and
#   a generator updated in the space of densities; `docs/theory.md` says where practice departs,
#   and why generators are trained with the non-saturating loss instead.
