"""Images of a GAN: grids of samples, and the loss curves of a training run.

- :func:`image_grid` tiles a batch (N, C, H, W) with values in [-1, 1] (the range of G's tanh)
  into one array (rows x cols) of pixels in [0, 1], with a thin separating border: the picture
  that shows at a glance whether G draws digits, and whether all of them look alike (mode
  collapse).
- :func:`save_image_grid` writes that array straight to a PNG, one pixel per pixel, with no
  axes: small enough to keep in ``docs/``.
- :func:`draw_image_grid` draws it into a matplotlib axis, optionally with a label per row.
- :func:`draw_loss_curves` draws a training history: both losses, then the mean D(x) and
  D(G(z)), against the step, smoothed by a running mean.
"""

import math

import numpy as np

from .._checks import check_non_negative_int, check_positive_int
from ..backend import as_numpy
from ..tensor import Tensor


def _as_images(images):
    """``images`` (a Tensor or an array) as NumPy float64 (N, C, H, W) with C 1 or 3."""
    array = as_numpy(images.data if isinstance(images, Tensor) else images)
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 3:  # (N, H, W): one channel
        array = array[:, None]
    if array.ndim != 4 or array.shape[1] not in (1, 3) or len(array) == 0:
        raise ValueError(f"image_grid: images must have shape (N, C, H, W) with N >= 1 and C "
                         f"1 or 3 (or (N, H, W)), got {array.shape}")
    return array


def image_grid(images, nrow=None, padding=1, value_range=(-1.0, 1.0), fill=0.2):
    """Tile ``images`` (N, C, H, W) into a grid: an array (rows*(H+p)+p, cols*(W+p)+p) for one
    channel, (..., 3) for three, of pixels in [0, 1].

    ``nrow`` images per row (default: ceil(sqrt(N)), a square); ``padding`` p pixels of
    border of value ``fill`` between images (0.2: light grey in the black-on-white drawing of
    one channel); ``value_range`` (lo, hi) is mapped to [0, 1] and values outside it are
    clipped. Unused cells of the last row are filled with ``fill`` too.
    """
    array = _as_images(images)
    n, c, h, w = array.shape
    nrow = math.ceil(math.sqrt(n)) if nrow is None else nrow
    nrow = check_positive_int(nrow, "nrow", "image_grid")
    padding = check_non_negative_int(padding, "padding", "image_grid")
    lo, hi = map(float, value_range)
    if not lo < hi:
        raise ValueError(f"image_grid: value_range must be (lo, hi) with lo < hi, got "
                         f"{value_range!r}")
    rows, cols = math.ceil(n / nrow), min(nrow, n)
    p = padding
    grid = np.full((c, rows * (h + p) + p, cols * (w + p) + p), float(fill))
    scaled = np.clip((array - lo) / (hi - lo), 0.0, 1.0)
    for i, image in enumerate(scaled):
        top, left = p + (i // nrow) * (h + p), p + (i % nrow) * (w + p)
        grid[:, top:top + h, left:left + w] = image
    return grid[0] if c == 1 else grid.transpose(1, 2, 0)


def save_image_grid(images, path, nrow=None, padding=1, scale=2):
    """Write :func:`image_grid` of ``images`` to the PNG file ``path``, each pixel drawn as a
    ``scale`` x ``scale`` block (ink black on white paper for one channel); returns the path."""
    from . import require_pyplot

    grid = image_grid(images, nrow, padding)
    grid = np.repeat(np.repeat(grid, scale, axis=0), scale, axis=1)
    # One channel: ink is 1 and paper 0 after scaling; show it black on white, as printed.
    options = {"cmap": "gray_r", "vmin": 0.0, "vmax": 1.0} if grid.ndim == 2 else {}
    require_pyplot().imsave(path, grid, **options)
    return path


def draw_image_grid(images, nrow=None, ax=None, title=None, row_labels=None, padding=1):
    """Draw :func:`image_grid` of ``images`` into ``ax`` (a new figure when None); returns the
    axis. ``row_labels``: one string per row of the grid, written on its left."""
    from . import require_pyplot

    grid = image_grid(images, nrow, padding)
    if ax is None:
        height, width = grid.shape[:2]
        _, ax = require_pyplot().subplots(figsize=(4.0 * width / max(height, width) + 0.4,
                                                   4.0 * height / max(height, width) + 0.4))
    if grid.ndim == 2:
        ax.imshow(grid, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(grid, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if row_labels is not None:
        n, _, h, _ = _as_images(images).shape
        rows = math.ceil(n / (math.ceil(math.sqrt(n)) if nrow is None else nrow))
        if len(row_labels) != rows:
            raise ValueError(f"draw_image_grid: {rows} rows but {len(row_labels)} row_labels")
        ax.set_yticks([padding + r * (h + padding) + h / 2 for r in range(rows)],
                      [str(label) for label in row_labels])
        ax.tick_params(length=0)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax


def running_mean(values, window):
    """The mean of each value with up to ``window - 1`` values before it (shorter at the
    start): a smoothed curve of the same length."""
    values = np.asarray(values, dtype=np.float64)
    window = check_positive_int(window, "window", "running_mean")
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - window, 0)
    return (cumulative[index] - cumulative[start]) / (index - start)


def draw_loss_curves(history, axes=None, window=None, title=None, epoch_steps=None):
    """A training history in two panels: the losses of D and G, then the mean D(x) and D(G(z)).

    ``history`` is a dict with ``"step"`` and lists ``"d_loss"``, ``"g_loss"``, ``"d_real"``,
    ``"d_fake"`` (as :class:`minigan.gan.Trainer` and ``python -m minigan dcgan`` record them);
    raw values are drawn faintly, their :func:`running_mean` over ``window`` steps (default:
    1/50 of the run) boldly. ``epoch_steps``: steps per epoch, to mark epoch boundaries.
    ``axes``: two axes to draw into (a new figure when None). Returns the figure.
    """
    from . import require_pyplot

    missing = [k for k in ("step", "d_loss", "g_loss", "d_real", "d_fake") if k not in history]
    if missing:
        raise ValueError(f"draw_loss_curves: the history lacks {missing}")
    steps = np.asarray(history["step"])
    if axes is None:
        fig, axes = require_pyplot().subplots(1, 2, figsize=(11, 3.6), layout="constrained")
    else:
        fig = axes[0].figure
    window = max(1, len(steps) // 50) if window is None else window
    panels = ((axes[0], (("d_loss", "D loss"), ("g_loss", "G loss")), "loss"),
              (axes[1], (("d_real", "D(x), real"), ("d_fake", "D(G(z)), fake")),
               "mean probability"))
    for ax, curves, ylabel in panels:
        for key, label in curves:
            line, = ax.plot(steps, history[key], lw=0.6, alpha=0.3)
            ax.plot(steps, running_mean(history[key], window), lw=1.8, color=line.get_color(),
                    label=label)
        if epoch_steps:
            for boundary in range(epoch_steps, int(steps.max(initial=0)) + 1, epoch_steps):
                ax.axvline(boundary, color="0.85", lw=0.8, zorder=0)
        ax.set(xlabel="step", ylabel=ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[1].set_ylim(-0.02, 1.02)
    if title is not None:
        fig.suptitle(title)
    return fig
