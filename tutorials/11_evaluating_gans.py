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
# # 11 · Evaluating a GAN of digits
#
# A GAN never tells us the probability of an image, so "how good is it?" has to be answered
# from outside, by looking at its samples. Looking is not enough (we see 64 images, and we are
# bad at noticing that one digit in ten never appears), so we measure:
#
# 1. a judge: a small CNN trained on real digits that the GAN never saw;
# 2. **class coverage**: are all ten digits there, and how evenly?
# 3. a **Fréchet distance** in the judge's feature space, beside a floor and a ceiling;
# 4. the **Parzen-window log-likelihood** of the original GAN paper, and why Theis et al.
#    (2015) warned against it.
#
# Run it as a script (`python tutorials/11_evaluating_gans.py --out runs/11`; it reuses the
# model of the README's `python -m minigan dcgan --ngf 32 --ndf 32 --epochs 7 --ema 0.99
# --lr_d 1e-4 --lr_g 4e-4 --out runs/dcgan`, training it first when it is not there; `--quick`
# for a smoke run) or open it as a notebook.

# %%
import json
from pathlib import Path

import numpy as np
from _common import README_DCGAN, parse_args, plt, progress, save

from minigan import data, gan, viz

ev = gan.evaluation
args = parse_args("Tutorial 11: evaluating a GAN of digits", default_out="runs/11")
if args.quick:
    RUN = dict(out=args.out / "runs" / "dcgan", quick=True, ngf=8, ndf=8, epochs=1,
               progress=False)
    N, CLASSIFIER_EPOCHS, CLASSIFIER_DIGITS, PARZEN_DIGITS = 200, 1, 200, 200
else:
    RUN = dict(out="runs/dcgan", **README_DCGAN)
    N, CLASSIFIER_EPOCHS, CLASSIFIER_DIGITS, PARZEN_DIGITS = 2000, 30, None, 2000
results = {}

# %% [markdown]
# ## 1. The judge
#
# `python -m minigan dcgan` trains on 80% of MNIST's 60,000 training digits and holds out the
# other 20% (`Digits.split(0.2, seed=0)`, 12,000 digits). The classifier learns from those
# held-out digits, so it has never seen what the GAN learned from; and we measure its accuracy
# on digits of the other 48,000, which *it* never saw. Random shifts of up to 2 pixels (data
# augmentation) help it generalise.
#
# Sections 1 to 3 are one protocol, `gan.evaluation.judge_generators`: it trains the judge,
# draws the real sets and N digits of each generator it is given, and measures them all. Every
# table of `docs/results.md` is judged by it; here we unpack what it returns.

# %%
run = gan.train_dcgan(**RUN)  # trained here, or only reloaded when runs/dcgan has it
# G_sampled: the average of G's weights that the command draws its grids with (--ema)
judged = ev.judge_generators({"GAN": run.G_sampled}, N, judge_epochs=CLASSIFIER_EPOCHS,
                             judge_digits=CLASSIFIER_DIGITS, nz=run.settings["nz"],
                             progress=progress)
judge, train_digits, held_out, test = (judged[k] for k in ("judge", "train_digits",
                                                            "held_out", "test"))
to_images = data.images_to_tensor
results["classifier_accuracy"] = judged["accuracy"]
print(f"the judge: trained on {CLASSIFIER_DIGITS or len(held_out)} digits, accuracy "
      f"{results['classifier_accuracy']:.2%} on {len(test)} digits it never saw")

# %% [markdown]
# ## 2. The GAN, and class coverage
#
# We draw N digits from the trained generator and let the judge name them. Mode dropping
# shows up as missing classes; a lopsided generator as a skewed histogram, measured by
# $\mathrm{KL}(p \,\|\, \mathrm{uniform}) = \sum_k p_k \log(10\, p_k)$: 0 for ten equal bars,
# $\log 10 \approx 2.30$ for a single class.

# %%
fake, coverage = judged["generators"]["GAN"]["images"], judged["generators"]["GAN"]
real_a = judged["real_a"]  # two disjoint sets of real digits of N each,
real_b = judged["real_b"]  # from the GAN's training split
noise = judged["noise"]  # the ceiling: uniform noise
real_coverage = ev.class_coverage(ev.predict(judge, real_a))
results.update(classes_present=coverage["classes_present"], class_kl=coverage["class_kl"],
               real_class_kl=judged["real_class_kl"])
print(f"generated: {coverage['classes_present']} classes present, KL to uniform "
      f"{results['class_kl']:.4f} (real digits, same N: {results['real_class_kl']:.4f})")

fig, (ax_grid, ax_bars) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained",
                                       width_ratios=[1, 1.4])
viz.draw_image_grid(fake[:64], nrow=8, ax=ax_grid, title=f"64 of the {N} generated digits")
width = 0.4
ax_bars.bar(np.arange(10) - width / 2, 100 * real_coverage["histogram"], width, label="real")
ax_bars.bar(np.arange(10) + width / 2, 100 * coverage["histogram"], width, label="generated")
ax_bars.axhline(10, color="0.4", ls=":", lw=1)
ax_bars.set(xticks=range(10), xlabel="class given by the judge", ylabel="% of the samples",
            title=f"class coverage: KL to uniform {coverage['class_kl']:.3f}")
ax_bars.legend()
save(fig, args.out, "class_coverage.png")

# %% [markdown]
# ## 3. A Fréchet distance, with its floor and ceiling
#
# Class coverage cannot see quality within a class, nor variety within it. The Fréchet
# distance fits a Gaussian to the judge's 128 hidden features of each set and measures
#
# $$\mathrm{FD} = |\mu_1 - \mu_2|^2 + \mathrm{tr}\big(\Sigma_1 + \Sigma_2
#   - 2(\Sigma_1\Sigma_2)^{1/2}\big),$$
#
# the squared 2-Wasserstein distance between the two Gaussians. With Inception-v3 features on
# natural images this is the FID of Heusel et al. (2017); with our digit judge it is a
# "classifier FID". Its value alone means little: it depends on the features and it is biased
# upwards for finite N. So we compute, with the same N and the same judge, a **floor** (two
# disjoint sets of real digits) and a **ceiling** (uniform noise).

# %%
results["fid_floor"] = judged["fid_floor"]
results["fid_gan"] = coverage["fid"]
results["fid_noise"] = judged["fid_noise"]
names = ["real vs real\n(floor)", "GAN vs real", "noise vs real\n(ceiling)"]
values = [results["fid_floor"], results["fid_gan"], results["fid_noise"]]
for name, value in zip(names, values):
    print(f"{name.splitlines()[0]:15s} {value:10.2f}")
fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
bars = ax.bar(names, values, color=["0.6", "#1a9a3a", "0.3"])
ax.bar_label(bars, fmt="%.1f")
ax.set(yscale="log", ylabel="Fréchet distance (log scale)",
       title=f"classifier FID, N = {N} per set")
save(fig, args.out, "frechet_distance.png")

# %% [markdown]
# ## 4. Parzen windows, and their trap
#
# Goodfellow et al. (2014) estimated a likelihood anyway: put a Gaussian of width $\sigma$ on
# each generated sample, in pixel space ($d = 784$, pixels in $[0, 1]$), and score held-out
# digits under that mixture. $\sigma$ is chosen on a validation set. They report
# $225 \pm 2$ nats for their GAN on MNIST (10,000 samples, the 10,000 test digits).
#
# We score our GAN, the real training digits themselves (a "perfect model"), noise, and one
# more model suggested by Theis, van den Oord and Bethge (2015): the **k-means centroids** of
# the training digits (`ev.kmeans`, Lloyd's algorithm), blurry averages that nobody would call
# digits. `ev.parzen_estimate` runs the protocol: $\sigma$ chosen on one half of the held-out
# digits, the other half scored. (`benchmarks/parzen_mnist.py` runs it at the paper's sizes,
# 10,000 samples and the 10,000 MNIST test digits: `docs/results.md`.)

# %%
pixels = ev.unit_pixels
# PARZEN_DIGITS held-out digits choose sigma, as many others are scored; k-means sees 20 N
# training digits (the cost of both grows with the number of digits times N)
validation, test_points = (pixels(to_images(held_out.images[i::2][:PARZEN_DIGITS]))
                           for i in (0, 1))
train_pixels = pixels(to_images(train_digits.images[:20 * N]))
models = {"real digits": pixels(real_a), "GAN": pixels(fake), "noise": pixels(noise),
          "k-means centroids": ev.kmeans(train_pixels, N // 4, 3 if args.quick else 10)}
parzen = {name: ev.parzen_estimate(centres, validation, test_points)
          for name, centres in models.items()}
for name, p in parzen.items():
    print(f"{name:18s} {p['mean']:9.1f} +- {p['sem']:.1f} nats (sigma {p['sigma']:.3f})")
results["parzen"] = parzen

fig, (ax, ax_means) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained",
                                   width_ratios=[1.5, 1])
bars = ax.barh(list(parzen), [p["mean"] for p in parzen.values()],
               xerr=[p["sem"] for p in parzen.values()], color=["0.6", "#1a9a3a", "0.3", "#c23"])
ax.bar_label(bars, fmt="%.0f", label_type="center", color="white", fontweight="bold")
ax.set(xscale="symlog", xlabel="Parzen log-likelihood of held-out digits (nats, symlog)",
       title="higher is 'better'")
ax.invert_yaxis()
centroids = models["k-means centroids"][:36].reshape(-1, 1, 28, 28) * 2 - 1
viz.draw_image_grid(centroids, nrow=6, ax=ax_means, title="the k-means 'model': its samples")
save(fig, args.out, "parzen.png")

# %% [markdown]
# In 784 dimensions a Parzen window scores a test digit by its distance to the *nearest*
# centre, and blurry averages sit closer to everything than any sharp digit does: the centroids
# usually outscore the real digits, a model that is the data itself. The estimator can rank
# models in the wrong order, and it needs far more samples than anyone draws before it
# approaches the true log-likelihood (Theis et al., 2015, Section 3.2). We report it because
# the original paper did, and trust the classifier-based measures more.

# %%
results["n"] = N
(Path(args.out) / "evaluation.json").write_text(json.dumps(results, indent=1))
print(json.dumps(results, indent=1))
