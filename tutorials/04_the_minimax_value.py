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
# # 04 · The minimax value
#
# A GAN is a game between a generator $G$, which turns noise $z$ into samples, and a
# discriminator $D$, which says how likely a sample is to be real. Goodfellow et al. (2014)
# give the game one number, the *value*
#
# $$V(D, G) = \mathbb{E}_{x \sim p_{data}}[\log D(x)]
#   + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))],$$
#
# which $D$ tries to make large and $G$ tries to make small: $\min_G \max_D V(D, G)$. This
# tutorial turns the formula into losses a computer can minimise:
#
# 1. $V$ estimated on a batch is minus a binary cross-entropy;
# 2. computed from $D$'s *logits*, because from probabilities it breaks;
# 3. $D$'s best reply: how large $D$ can make $V$, and the value $-\log 4$ of the game;
# 4. the two generator losses, saturating and non-saturating, and their gradients;
# 5. the saturation measured on real networks.

# %%
import numpy as np
from _common import parse_args, plt, progress, save

import minigan
import minigan.functional as F
from minigan import data, gan, optim

args = parse_args("Tutorial 04: the minimax value", default_out="runs/04")
minigan.manual_seed(0)
D_STEPS = 60 if args.quick else 400

# %% [markdown]
# ## 1. The value is minus a binary cross-entropy
#
# $D$ outputs a real number $l$, the *logit*, and $D(x) = \sigma(l) = 1 / (1 + e^{-l})$.
# Replacing the expectations by means over a batch of $m$ real samples and $n$ generated ones,
#
# $$\hat V = \frac{1}{m}\sum_i \log \sigma(l^{real}_i)
#   + \frac{1}{n}\sum_j \log(1 - \sigma(l^{fake}_j)).$$
#
# Binary cross-entropy with a label $y$ is $-[y \log \sigma(l) + (1 - y)\log(1 - \sigma(l))]$:
# label 1 keeps the first term, label 0 the second. So $\hat V$ is minus the cross-entropy of
# "real = 1" on the real batch, minus that of "fake = 0" on the fake batch, and $D$ maximising
# $V$ is $D$ minimising an ordinary classification loss.

# %%
rng = minigan.Generator(0)
real_logits = minigan.randn(6, generator=rng) + 1.0   # D leans towards "real" on real data
fake_logits = minigan.randn(4, generator=rng) - 1.0   # and towards "fake" on generated data
value = gan.value_function(real_logits, fake_logits)
bce = (F.binary_cross_entropy_with_logits(real_logits, minigan.ones(6))
       + F.binary_cross_entropy_with_logits(fake_logits, minigan.zeros(4)))
d_loss = gan.discriminator_loss(real_logits, fake_logits)
print(f"V estimated on the batch:         {value.item():.6f}")
print(f"-(BCE(real, 1) + BCE(fake, 0)):   {-bce.item():.6f}")
print(f"discriminator_loss = -V:          {d_loss.item():.6f}")
print(f"V when D says 1/2 everywhere:     "
      f"{gan.value_function(minigan.zeros(6), minigan.zeros(4)).item():.6f}  "
      f"(-log 4 = {-np.log(4):.6f})")

# %% [markdown]
# ## 2. From logits, not from probabilities
#
# $\log \sigma(l)$ and $\log(1 - \sigma(l))$ can be computed two ways: first the probability
# $\sigma(l)$, then its log; or directly from $l$, with
#
# $$\log \sigma(l) = -\operatorname{softplus}(-l), \qquad \log(1 - \sigma(l)) = \log\sigma(-l)
#   = -\operatorname{softplus}(l), \qquad \operatorname{softplus}(u) = \log(1 + e^u).$$
#
# In float32, $\sigma(l)$ rounds to exactly 1 once $l \gtrsim 17$, and then $\log(1 - \sigma(l))$
# is $\log 0 = -\infty$, with a NaN gradient. A confident discriminator produces such logits
# all the time. From the logit, the same term is $-\operatorname{softplus}(l) \approx -l$: an
# ordinary number with the right slope. `minigan.gan` computes every loss this way.

# %%
logits = minigan.tensor(np.linspace(-5, 40, 451), dtype=np.float32, requires_grad=True)
stable = F.logsigmoid(-logits)                   # log(1 - D), from the logit
(grad_stable,) = minigan.grad(stable.sum(), [logits])
with np.errstate(divide="ignore", invalid="ignore"):  # the failure we want to show
    naive = F.log(1 - F.sigmoid(logits))          # log(1 - D), from the probability
    (grad_naive,) = minigan.grad(naive.sum(), [logits])
x = logits.detach().numpy()
broken = ~np.isfinite(naive.detach().numpy())
print(f"from the probability, log(1 - D) is -inf from l = {x[broken][0]:.1f} on; "
      f"its gradient is NaN at {np.isnan(grad_naive.numpy()).sum()} of {len(x)} points")

fig, (ax_v, ax_g) = plt.subplots(1, 2, figsize=(11, 3.8))
ax_v.plot(x, stable.detach().numpy(), color="tab:blue", lw=2.5, label="logsigmoid(-l)")
ax_v.plot(x, np.where(broken, np.nan, naive.detach().numpy()), color="tab:red", ls="--",
          label="log(1 - sigmoid(l))")
ax_g.plot(x, grad_stable.numpy(), color="tab:blue", lw=2.5, label="from the logit")
ax_g.plot(x, grad_naive.numpy(), color="tab:red", ls="--", label="from the probability")
for ax in (ax_v, ax_g):
    ax.axvspan(x[broken][0], x[-1], color="tab:red", alpha=0.08)
    ax.set_xlabel("logit $l$ (float32)")
ax_v.legend(fontsize=8, loc="lower left")
ax_g.legend(fontsize=8, loc="upper right")
ax_v.text(x[broken][0] + 1, -8, "$\\sigma(l)$ rounds to 1:\n$\\log(1 - \\sigma(l)) = -\\infty$",
          color="tab:red", fontsize=9)
ax_g.text(x[broken][0] + 1, -0.5, "gradient: NaN", color="tab:red", fontsize=9)
ax_v.set(ylabel="$\\log(1 - D)$", title="the value term $\\log(1 - D(x))$")
ax_g.set(ylabel="$d \\log(1 - D) / dl$", title="its gradient", ylim=(-1.15, 0.1))
fig.tight_layout()
save(fig, args.out, "logits_vs_probabilities.png")

# %% [markdown]
# ## 3. The discriminator's best reply, and the value of the game
#
# Hold $G$ fixed and let $D$ play: it climbs $V$ by gradient steps on
# `gan.discriminator_loss` $= -V$. How high can it get? If $G$'s samples are indistinguishable
# from the data, no $D$ does better than answering $\frac{1}{2}$ everywhere, which gives
# $V = 2\log\frac{1}{2} = -\log 4$: that is the value of the game at its equilibrium. If $G$'s
# samples are elsewhere, $D$ can tell them apart and $V$ climbs towards its upper bound 0.
# (Tutorial 05 computes $D$'s best reply exactly and shows the gap is twice the Jensen-Shannon
# divergence between $p_{data}$ and $p_g$.)
#
# Here $p_{data} = \mathcal{N}(4, 0.5^2)$, and $G$ is replaced by two fixed samplers: one that
# draws from the data distribution itself, and one that draws from $\mathcal{N}(0, 0.5^2)$.

# %%
p_data = data.gaussian_1d(4.0, 0.5)
BATCH = 256


def train_discriminator(sample_fake, steps, on_step=None):
    """Adam steps of a fresh D on -V against fixed fakes; returns D and V after each step."""
    D = gan.MLPDiscriminator(1, hidden=(32, 32), generator=minigan.Generator(1))
    opt = optim.Adam(D.parameters(), lr=1e-2)
    values = []
    for _ in progress(range(steps), desc="training D"):
        loss = gan.discriminator_loss(D(p_data.sample(BATCH, generator=rng)), D(sample_fake()))
        opt.zero_grad()
        loss.backward()
        opt.step()
        values.append(-loss.item())
        if on_step is not None:
            on_step(D)
    return D, values


far_away = data.gaussian_1d(0.0, 0.5)
_, v_same = train_discriminator(lambda: p_data.sample(BATCH, generator=rng), D_STEPS)
_, v_far = train_discriminator(lambda: far_away.sample(BATCH, generator=rng), D_STEPS)
print(f"V after {D_STEPS} steps of D: p_g = p_data {np.mean(v_same[-20:]):.4f}, "
      f"p_g far from the data {np.mean(v_far[-20:]):.4f}   (-log 4 = {-np.log(4):.4f})")

fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(v_same, color="tab:green", lw=1, label="$p_g = p_{data}$")
ax.plot(v_far, color="tab:purple", lw=1, label="$p_g = \\mathcal{N}(0, 0.5^2)$, far from the data")
ax.axhline(-np.log(4), color="0.3", ls="--", lw=1)
ax.text(len(v_same) * 0.6, -np.log(4) - 0.12, "$-\\log 4$", color="0.3")
ax.axhline(0, color="0.3", lw=0.8)
ax.set(xlabel="discriminator steps", ylabel="$V(D, G)$ on a batch",
       title="the discriminator's best reply", ylim=(-1.6, 0.1))
ax.legend(fontsize=8, loc="center right")
fig.tight_layout()
save(fig, args.out, "best_response.png")

# %% [markdown]
# Against the data itself $V$ stays at $-\log 4$ however long $D$ trains: it learns to answer
# $\frac{1}{2}$ everywhere, the best it can do. Against the distant Gaussian $D$ separates the
# two batches within a few dozen steps and drives $V$ close to 0. $G$'s task
# is to push $\max_D V$ back down to $-\log 4$.
#
# ## 4. Two losses for the generator
#
# $G$ appears only in the second term of $V$, so the minimax game asks $G$ to minimise
#
# $$L_G^{sat} = \mathbb{E}_z[\log(1 - D(G(z)))] \qquad \text{(saturating)}.$$
#
# Goodfellow et al. point out at once that this gives $G$ almost no gradient early in training,
# and propose to *maximise* $\log D(G(z))$ instead:
#
# $$L_G^{ns} = -\mathbb{E}_z[\log D(G(z))] \qquad \text{(non-saturating)}.$$
#
# Both are smallest when $D(G(z))$ is large, so they have the same fixed points; they differ in
# their slopes. With respect to the logit $l$ of one sample,
#
# $$\frac{\partial}{\partial l}\log(1 - \sigma(l)) = -\sigma(l) = -D, \qquad
#   \frac{\partial}{\partial l}\bigl(-\log \sigma(l)\bigr) = -(1 - \sigma(l)) = -(1 - D).$$
#
# Early in training $G$ is bad, $D$ rejects its samples with confidence, $D(G(z)) \approx 0$:
# the saturating gradient is about $D$, close to 0, the non-saturating one about 1. Both
# gradients below come from autograd, through `gan.generator_loss` by name.

# %%
d_of_g = np.geomspace(1e-4, 1 - 1e-4, 400)
logit = minigan.tensor(np.log(d_of_g / (1 - d_of_g)), dtype=np.float64, requires_grad=True)
curves = {}
for kind in ("saturating", "non_saturating"):
    loss = gan.generator_loss(logit, kind) * len(d_of_g)  # the sum: one loss per sample
    (grad,) = minigan.grad(loss, [logit])
    curves[kind] = (F.logsigmoid(-logit).detach().numpy() if kind == "saturating"
                    else -F.logsigmoid(logit).detach().numpy(), grad.numpy())

fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(11, 3.8))
styles = {"saturating": ("tab:red", "$\\log(1 - D)$, saturating"),
          "non_saturating": ("tab:blue", "$-\\log D$, non-saturating")}
for kind, (values, grads) in curves.items():
    color, label = styles[kind]
    ax_l.plot(d_of_g, values, color=color, lw=2, label=label)
    ax_g.plot(d_of_g, np.abs(grads), color=color, lw=2, label=label)
for ax in (ax_l, ax_g):
    ax.axvspan(1e-4, 0.05, color="0.5", alpha=0.12)
    ax.set(xscale="log", xlabel="$D(G(z))$")
ax_l.text(1.3e-4, 7.2, "early training:\nD is sure G's\nsamples are fake", fontsize=8)
ax_l.set(ylabel="generator loss per sample", title="the two generator losses")
ax_g.set(yscale="log", ylabel="$|\\partial L_G / \\partial l|$",
         title="their gradients with respect to D's logit")
ax_l.legend(fontsize=8, loc="lower left")
ax_g.legend(fontsize=8, loc="lower right")
fig.tight_layout()
save(fig, args.out, "generator_losses.png")
i = np.searchsorted(d_of_g, 1e-3)
print(f"at D(G(z)) = {d_of_g[i]:.1e}: saturating gradient {abs(curves['saturating'][1][i]):.1e}, "
      f"non-saturating {abs(curves['non_saturating'][1][i]):.3f}")

# %% [markdown]
# ## 5. The saturation, measured
#
# The logit's gradient is multiplied, by the chain rule, by the gradient of the logit with
# respect to $G$'s weights, and that factor is the same for both losses. So the gradient that
# reaches $G$'s weights inherits the ratio: about $D(G(z)) / (1 - D(G(z)))$ per sample.
#
# To see it on real networks, take a freshly initialised generator (its samples sit near 0,
# far from the data at 4) and train a discriminator against it, as in section 3. After every
# discriminator step, compute the gradient of each generator loss with respect to $G$'s weights
# (through a *frozen* $D$) and take its norm.

# %%
G = gan.MLPGenerator(1, 1, hidden=(32, 32), generator=minigan.Generator(0))
z = gan.sample_noise(BATCH, 1, generator=rng)
norms = {"saturating": [], "non_saturating": []}
d_fake = []


def measure(D):
    for kind, values in norms.items():
        G.zero_grad()
        with gan.frozen(D):
            gan.generator_loss(D(G(z)), kind).backward()
        values.append(gan.grad_norm(G))
    with minigan.no_grad():
        d_fake.append(D(G(z)).sigmoid().mean().item())


def generated():
    with minigan.no_grad():
        return G(gan.sample_noise(BATCH, 1, generator=rng))


train_discriminator(generated, D_STEPS, on_step=measure)
ratio = norms["saturating"][-1] / norms["non_saturating"][-1]
print(f"after {D_STEPS} discriminator steps: mean D(G(z)) = {d_fake[-1]:.2e}; generator "
      f"gradient norm saturating {norms['saturating'][-1]:.2e}, non-saturating "
      f"{norms['non_saturating'][-1]:.2e} (ratio {ratio:.1e})")

fig, (ax_n, ax_d) = plt.subplots(1, 2, figsize=(11, 3.8))
steps = np.arange(1, D_STEPS + 1)
for kind, values in norms.items():
    ax_n.plot(steps, values, color=styles[kind][0], lw=2, label=kind.replace("_", "-"))
ax_n.set(yscale="log", xlabel="discriminator steps against a fixed G",
         ylabel="$\\|\\nabla_\\theta L_G\\|$", title="the generator's gradient norm")
ax_n.legend(fontsize=8)
ax_d.plot(steps, d_fake, color="0.2", lw=2)
ax_d.set(yscale="log", xlabel="discriminator steps against a fixed G",
         ylabel="mean $D(G(z))$", title="how sure D is that G's samples are fake")
fig.tight_layout()
save(fig, args.out, "saturation_measured.png")

# %% [markdown]
# As $D$ learns, $D(G(z))$ falls by orders of magnitude, and the saturating gradient falls with
# it, while the non-saturating gradient holds up: once $D$ is confident, $G$ gets orders of
# magnitude less signal from the loss the minimax game prescribes. Tutorial 06 trains both and
# shows what that does to learning.
#
# ## What to take away
#
# - The value $V(D, G)$ on a batch is minus a binary cross-entropy: $D$ is a classifier,
#   real = 1, fake = 0. At equilibrium $D = \frac{1}{2}$ and $V = -\log 4$.
# - Compute it from logits: $\log D = \log\sigma(l)$, $\log(1 - D) = \log\sigma(-l)$. From
#   probabilities it overflows to $-\infty$ and NaN exactly when $D$ is confident.
# - The generator minimises $-\log D(G(z))$ (non-saturating) rather than $\log(1 - D(G(z)))$:
#   same fixed point, but a gradient that is largest when $G$ is losing, not smallest.
