"""The Parzen-window log-likelihood of Goodfellow et al. (2014, Table 1) for a DCGAN of
``python -m minigan dcgan``, under their protocol, beside the numbers they published.

    python benchmarks/parzen_mnist.py --checkpoint runs/dcgan/checkpoint.npz
    python benchmarks/parzen_mnist.py --checkpoint CKPT --data ~/mnist   # the MNIST IDX files
    python benchmarks/parzen_mnist.py --checkpoint CKPT --quick          # a smoke run

**The protocol** (``gan.evaluation.parzen_estimate``): 10,000 samples of the model are the
centres of a Gaussian Parzen window in MNIST's pixel space (784 pixels in [0, 1]); its width
sigma is the one of a grid that scores a validation set best (Goodfellow et al.'s script:
``--sigma_grid -1 0 10``, 10 widths spaced logarithmically over [0.1, 1]); the score is the
mean log-likelihood (nats) of the 10,000 MNIST test digits and its standard error.

- validation: the first 10,000 of the 12,000 training digits that minigan's DCGAN never sees
  (``data.digit_split``, held out 0.2, seed 0); test: the 10,000 MNIST test digits;
- pixels: a digit's uint8 values / 255, in float64 (as pylearn2's MNIST, which the paper used);
  G's 32 x 32 images in [-1, 1] (28 x 28 padded with -1 for training) are cropped to their
  central 28 x 28 and mapped by (x + 1) / 2 (``gan.evaluation.unit_pixels``): the exact
  inverse of how the training digits were made, the padding dropped.

**Scored**: G of the checkpoint (10,000 images of noise from ``Generator(--seed)``, drawn in
eval mode); its exponential moving average when the run kept one (its batch norm statistics
recomputed first by ``optim.swa_utils.update_bn`` on 100 batches of 64 noise vectors of
``Generator(--seed + 1)``; then the same noise as G); 10,000 of the 48,000 digits the GAN
trained on, drawn by ``Generator(--seed)``: samples of the data distribution itself; and, the
trap Theis, van den Oord and Bethge (2015) pointed out, 10,000 k-means centroids of those
48,000 digits (``gan.evaluation.kmeans``), blurry averages that no one would call samples.

**Written**: ``--out``/parzen.json (the settings, each estimate with its validation curve and
seconds, the published rows) and the figure ``--figure`` (default docs/parzen_goodfellow.png;
``--out``/parzen_goodfellow.png with ``--quick``, which scores 200 of everything, with
centroids of 2,000 digits and batch norm statistics of 10 batches).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from minigan import data, gan, viz  # noqa: E402
from minigan.gan.dcgan_training import HELD_OUT, DCGANRun  # noqa: E402
from minigan.optim.swa_utils import update_bn  # noqa: E402
from minigan.random import Generator  # noqa: E402
from minigan.serialization import CheckpointError, load  # noqa: E402

ev = gan.evaluation
PAPER_SIZE = 10_000  # samples, validation digits and test digits in Goodfellow et al.'s protocol
QUICK_SIZE = 200
QUICK_KMEANS_DIGITS = 2_000  # the training digits k-means sees in a quick run
SAMPLE_BATCH = 500  # G's images drawn at a time (memory)
BN_BATCHES, BN_BATCH = 100, 64  # noise batches that recompute the average's batch norm statistics
QUICK_BN_BATCHES = 10
PUBLISHED = {  # Goodfellow et al. (2014), Table 1, MNIST: mean log-likelihood, standard error
    "DBN": (138, 2), "Stacked CAE": (121, 1.6), "Deep GSN": (214, 1.1),
    "Adversarial nets": (225, 2)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--checkpoint", required=True, help="checkpoint.npz of a python -m minigan dcgan run")
    add("--data", default=None,
        help="folder of the MNIST IDX files (default: the copy of MNIST that ships inside "
             "minigan)")
    add("--seed", type=int, default=0, help="seed of the noise and of the digits drawn")
    add("--sigma_grid", type=float, nargs=3, default=(-1.0, 0.0, 10),
        metavar=("START", "END", "NUM"),
        help="the widths tried: NUM values spaced logarithmically from 10^START to 10^END "
             "(default: Goodfellow et al.'s -1 0 10)")
    add("--kmeans_iterations", type=int, default=5, help="Lloyd's iterations for the centroids")
    add("--batch_size", type=int, default=256, help="test digits scored at a time (memory)")
    add("--out", default=os.path.join("runs", "parzen"), help="folder of parzen.json")
    add("--figure", default=None, help="the figure (default docs/parzen_goodfellow.png; "
                                       "OUT/parzen_goodfellow.png with --quick)")
    add("--quick", action="store_true", help=f"a smoke run: {QUICK_SIZE} of everything")
    args = parser.parse_args(argv)
    if args.data is not None and not os.path.isdir(args.data):
        parser.error(f"--data: no folder {args.data!r}; give the folder that holds the MNIST "
                     "files, or leave --data out for the copy that ships with minigan")
    if not os.path.isfile(args.checkpoint):
        parser.error(f"--checkpoint: no file {args.checkpoint!r}")
    start, end, num = args.sigma_grid
    if num < 1 or num != int(num) or not start <= end:
        parser.error(f"--sigma_grid: expected START <= END and a whole NUM >= 1, got "
                     f"{start:g} {end:g} {num:g}")
    args.sigmas = np.logspace(start, end, int(num))
    if args.kmeans_iterations < 0 or args.batch_size < 1:
        parser.error("--kmeans_iterations must be >= 0 and --batch_size >= 1")
    args.size = QUICK_SIZE if args.quick else PAPER_SIZE
    if args.figure is None:
        args.figure = (os.path.join(args.out, "parzen_goodfellow.png") if args.quick
                       else os.path.join("docs", "parzen_goodfellow.png"))
    return args


# -- the model and the digits -------------------------------------------------------------------
def load_run(path):
    """The :class:`DCGANRun` of the checkpoint at ``path``, built with the run's own settings."""
    try:
        state = load(path)
    except CheckpointError as error:
        raise ValueError(f"--checkpoint: {error}") from None
    old_format = isinstance(state, dict) and "step" not in state and "epochs" in state
    run_log = state.get("attached", {}).get("run") if isinstance(state, dict) else None
    settings = state.get("config") if old_format else run_log and run_log["settings"]
    if not isinstance(settings, dict):
        raise ValueError(f"--checkpoint: {path} is not a checkpoint of python -m minigan dcgan "
                         "(it holds no run settings)")
    if settings["image_size"] < 28:
        raise ValueError(f"--checkpoint: G of {path} draws {settings['image_size']} x "
                         f"{settings['image_size']} images; the protocol scores MNIST's 28 x 28 "
                         "pixels, so it needs --image_size 32 or more")
    try:
        run = DCGANRun(**settings)  # G, D and the digits as the run had them
    except FileNotFoundError as error:
        raise FileNotFoundError(f"--checkpoint: the run of {path} trained on the MNIST folder "
                                f"{settings['data']!r}, which is not here ({error})") from None
    return run.load_checkpoint(path)


def unit_digits(digits, count=None):
    """The first ``count`` of ``digits`` as float64 pixels (N, 784) in [0, 1]: uint8 / 255."""
    images = digits.images[:count]
    if images.shape[1:] != (28, 28):
        raise ValueError(f"the protocol scores MNIST's 28 x 28 digits; these are "
                         f"{images.shape[1]} x {images.shape[2]}")
    return images.reshape(len(images), -1) / 255.0


def generated_pixels(G, z, labels):
    """G's images of the noise ``z`` (and ``labels``), in batches, as float64 pixels (N, 784)."""
    parts = []
    for start in range(0, len(z), SAMPLE_BATCH):
        rows = slice(start, start + SAMPLE_BATCH)
        parts.append(ev.unit_pixels(gan.generate(G, z[rows], None if labels is None
                                                 else labels[rows])))
    pixels = np.concatenate(parts)
    if pixels.min() < 0 or pixels.max() > 1:
        raise ValueError(f"G's images must lie in [-1, 1] (tanh); found pixels in "
                         f"[{2 * pixels.min() - 1:.3f}, {2 * pixels.max() - 1:.3f}]")
    return pixels


def models_to_score(run, kept, args):
    """{name: centres (n, 784)}: G, its average when the run kept one, real training digits
    and k-means centroids."""
    s, n = run.settings, args.size
    rng = Generator(args.seed)
    z = gan.sample_noise(n, (s["nz"],), "normal", rng)
    labels = np.arange(n) % 10 if s["conditional"] else None  # every class equally often
    models = {"minigan's G": generated_pixels(run.G, z, labels)}
    if run.G_ema is not None:
        bn_rng = Generator(args.seed + 1)
        bn_labels = np.arange(BN_BATCH) % 10 if s["conditional"] else None
        update_bn([(gan.sample_noise(BN_BATCH, (s["nz"],), "normal", bn_rng),)
                   + (() if bn_labels is None else (bn_labels,))
                   for _ in range(QUICK_BN_BATCHES if args.quick else BN_BATCHES)],
                  run.G_ema)
        models[f"G's average (EMA {s['ema']})"] = generated_pixels(run.G_ema, z, labels)
    train_pixels = unit_digits(kept)
    models["real training digits"] = train_pixels[rng.numpy.choice(len(kept), n,
                                                                   replace=False)]
    kmeans_digits = train_pixels[:QUICK_KMEANS_DIGITS] if args.quick else train_pixels
    start = time.perf_counter()
    models["k-means centroids"] = ev.kmeans(kmeans_digits, n, args.kmeans_iterations,
                                            seed=args.seed)
    print(f"{n} k-means centroids of {len(kmeans_digits)} training digits "
          f"({len(kmeans_digits) / n:.1f} per centroid): {time.perf_counter() - start:.0f} s")
    return models


# -- the figure ---------------------------------------------------------------------------------
def draw(results, models, path, title, test_digits):
    plt = viz.require_pyplot()
    fig = plt.figure(figsize=(12, 5.2), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[2.1, 1])
    ax = fig.add_subplot(grid[:, 0])
    ours = list(results)
    names = ours + [f"{name} (published)" for name in PUBLISHED]
    means = [results[m]["mean"] for m in ours] + [v[0] for v in PUBLISHED.values()]
    errors = [results[m]["sem"] for m in ours] + [v[1] for v in PUBLISHED.values()]
    colours = ["#1a9a3a", "#5fbf6f", "0.55", "#c23"][:len(ours)] + ["white"] * len(PUBLISHED)
    bars = ax.barh(names, means, xerr=errors, color=colours, edgecolor="0.2", capsize=3)
    for bar in bars[len(ours):]:
        bar.set_hatch("//")
    labels = [f"{results[m]['mean']:.0f} ± {results[m]['sem']:.1f}  (σ = {results[m]['sigma']:.3g})"
              for m in ours] + [f"{v[0]} ± {v[1]}" for v in PUBLISHED.values()]
    ax.bar_label(bars, labels, padding=6, fontsize=9)
    ax.axvline(PUBLISHED["Adversarial nets"][0], color="0.3", ls=":", lw=1)
    ax.axhline(len(ours) - 0.5, color="0.3", lw=0.8)
    ax.legend(handles=[bars[0], bars[-1]], loc="upper right", fontsize=8,
              labels=["measured here, minigan", "published: Goodfellow et al. (2014), Table 1"])
    ax.invert_yaxis()
    ax.margins(x=0.3)
    ax.set(xlabel=f"mean Parzen log-likelihood of {test_digits:,} MNIST test digits (nats)",
           title=title)
    for row, (name, centres) in enumerate((m for m in models.items()
                                           if m[0] in ("minigan's G", "k-means centroids"))):
        images = centres[:36].reshape(-1, 1, 28, 28) * 2 - 1
        viz.draw_image_grid(images, nrow=6, ax=fig.add_subplot(grid[row, 1]),
                            title=f"{name}: its first 36 'samples'")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- the run --------------------------------------------------------------------------------------
def main(argv=None):
    args = parse_args(argv)
    begin = time.perf_counter()
    run = load_run(args.checkpoint)
    kept, held = data.digit_split(args.data, 28, HELD_OUT)
    validation = unit_digits(held, args.size)
    test = unit_digits(data.load_digits(args.data, "test"), args.size)
    where = args.data or "the MNIST that ships with minigan"
    print(f"checkpoint {args.checkpoint}: {run.epoch} epochs, settings {run.settings}")
    print(f"digits from {where}: {len(validation)} validation (held-out training digits), "
          f"{len(test)} test; sigma grid {np.round(args.sigmas, 4).tolist()}")
    models = models_to_score(run, kept, args)
    print(f"models ready after {time.perf_counter() - begin:.0f} s")
    results = {}
    for name, centres in models.items():
        start = time.perf_counter()
        results[name] = ev.parzen_estimate(centres, validation, test, args.sigmas,
                                           args.batch_size)
        results[name]["seconds"] = round(time.perf_counter() - start, 1)
        r = results[name]
        edge = "  (sigma at the end of the grid)" if r["sigma"] in (
            r["sigmas"][0], r["sigmas"][-1]) else ""
        print(f"{name:28s} {r['mean']:8.1f} +- {r['sem']:.1f} nats, sigma {r['sigma']:.4f}, "
              f"{r['seconds']:.0f} s{edge}")
    for name, (mean, sem) in PUBLISHED.items():
        print(f"{name + ' (published)':28s} {mean:8.1f} +- {sem}")
    os.makedirs(args.out, exist_ok=True)
    report = {"checkpoint": os.fspath(args.checkpoint), "epochs": run.epoch,
              "settings": run.settings, "data": args.data, "seed": args.seed,
              "samples": args.size, "validation": len(validation), "test": len(test),
              "kmeans_iterations": args.kmeans_iterations, "estimates": results,
              "published": {k: {"mean": m, "sem": e} for k, (m, e) in PUBLISHED.items()},
              "seconds": round(time.perf_counter() - begin, 1)}
    with open(os.path.join(args.out, "parzen.json"), "w") as f:
        json.dump(report, f, indent=1)
    draw(results, models, args.figure,
         f"Parzen windows, Goodfellow et al.'s protocol: {args.size:,} samples, "
         f"{run.epoch}-epoch DCGAN", len(test))
    print(f"[json] {os.path.join(args.out, 'parzen.json')}\n[figure] {args.figure}\n"
          f"total {report['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, FileNotFoundError) as error:
        print(f"parzen_mnist.py: error: {error}", file=sys.stderr)
        sys.exit(1)
