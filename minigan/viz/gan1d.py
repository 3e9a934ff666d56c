"""A 1D GAN drawn as in Figure 1 of Goodfellow et al. (2014).

Each panel shows, over the data axis x,

- the data density p_data (black dots),
- the generator's density p_g, the density of x = G(z) (green, solid),
- the discriminator's answer D(x) = sigmoid(logit) (blue, dashed),

and under them the mapping itself: lines from a lower horizontal axis, where the noise z lives,
up to the point G(z) of the x axis. The z values are equal-probability quantiles of p_z, so each
line carries the same mass: where the lines bunch together on the x axis, G has squeezed noise
into a small interval and p_g is high; where they spread out, p_g is low.

:func:`snapshot_1d` evaluates the models into arrays (no randomness is drawn and no graph is
built, so taking snapshots during training changes nothing in it); :func:`draw_gan_1d` draws
one snapshot into an axis; :func:`draw_gan_1d_stages` draws rows of them, e.g. the stages of
training with one loss per row.
"""

from dataclasses import dataclass

import numpy as np

from ..gan.noise import noise_quantiles
from ..tensor import tensor
from .panels import fill_panels, panel_rows

_DATA, _GEN, _DISC = "black", "#1a9a3a", "#1f5fbf"
_Z_LEVEL = -0.35  # height of the noise axis, in units of the density axis (the x axis is at 0)


@dataclass
class Snapshot1D:
    """What one panel shows, as NumPy arrays: the grid ``x`` and ``p_data``, ``p_g``, ``d``
    on it; the noise quantiles ``z_lines`` and their images ``x_lines`` = G(z_lines) (the
    mapping lines); ``z_range``, the interval of the noise axis."""

    x: np.ndarray
    p_data: np.ndarray
    p_g: np.ndarray
    d: np.ndarray
    z_lines: np.ndarray
    x_lines: np.ndarray
    z_range: tuple


def _kde(samples, x, bandwidth):
    """A Gaussian kernel density estimate of ``samples`` on the points ``x``."""
    u = (x[:, None] - samples[None, :]) / bandwidth
    return np.exp(-0.5 * u * u).sum(axis=1) / (len(samples) * bandwidth * np.sqrt(2 * np.pi))


def _apply_in_eval_mode(module, inputs):
    """``module(inputs)`` as NumPy, in eval mode and without a graph, leaving its modes (and
    batch-norm running statistics) as they were."""
    param = next(iter(module.parameters()))
    with module.evaluating():
        out = module(tensor(inputs, dtype=param.dtype, device=param.device))
    return out.numpy().reshape(len(inputs))


def snapshot_1d(G, D, density, x_range, noise="normal", lines=25, samples=4000, points=400):
    """Evaluate a 1D GAN for :func:`draw_gan_1d`.

    ``G`` maps noise of shape (N, 1) to samples (N, 1), ``D`` samples (N, 1) to logits (N,);
    ``density(x)`` gives p_data on a NumPy array of shape (n, 1) (e.g. a Gaussian mixture's
    ``density``), or None to leave it out. ``x_range`` = (lo, hi) is the drawn interval;
    ``noise`` names p_z (``"normal"`` or ``"uniform"``). p_g is a kernel density estimate over
    G's images of ``samples`` noise quantiles.
    """
    lo, hi = map(float, x_range)
    if not lo < hi:
        raise ValueError(f"snapshot_1d: x_range must be (lo, hi) with lo < hi, got {x_range!r}")
    if getattr(G, "noise_dim", 1) != 1:
        raise ValueError(f"snapshot_1d: draws 1D noise, but G takes noise_dim={G.noise_dim}")
    x = np.linspace(lo, hi, points)
    z = noise_quantiles(noise, samples)
    g_of_z = _apply_in_eval_mode(G, z[:, None]).astype(np.float64)
    # Silverman's bandwidth, floored so that a collapsed generator still draws a finite spike.
    bandwidth = max(1.06 * g_of_z.std() * samples ** -0.2, 0.005 * (hi - lo))
    z_lines = noise_quantiles(noise, lines)
    return Snapshot1D(
        x=x,
        p_data=None if density is None else np.asarray(density(x[:, None]), dtype=np.float64),
        p_g=_kde(g_of_z, x, bandwidth),
        d=1 / (1 + np.exp(-_apply_in_eval_mode(D, x[:, None]).astype(np.float64))),
        z_lines=z_lines,
        x_lines=_apply_in_eval_mode(G, z_lines[:, None]).astype(np.float64),
        z_range=(float(z[0]), float(z[-1])))


def draw_gan_1d(snapshot, ax=None, title=None, top=None):
    """Draw one :class:`Snapshot1D` into ``ax`` (a new figure when None); returns the axis.

    ``top`` is the upper limit of the density axis (by default a little above p_data and
    D's maximum of 1); a p_g that rises above it is cut off at the frame.
    """
    from matplotlib.collections import LineCollection

    from . import require_pyplot

    if ax is None:
        _, ax = require_pyplot().subplots(figsize=(5, 3.2))
    s = snapshot
    lo, hi = s.x[0], s.x[-1]
    if top is None:
        top = 1.1 * max(1.0, 0.0 if s.p_data is None else float(s.p_data.max()))
    # The mapping: each noise quantile, placed on the lower axis (which spans the drawn x
    # interval), joined to its image G(z); lines to points outside the interval are cut at it.
    z_lo, z_hi = s.z_range
    z_pos = lo + (s.z_lines - z_lo) / (z_hi - z_lo) * (hi - lo)
    segments = [[(zp, _Z_LEVEL * top), (xl, 0.0)] for zp, xl in zip(z_pos, s.x_lines)]
    ax.add_collection(LineCollection(segments, colors=_GEN, linewidths=0.7, alpha=0.55))
    for level, name in ((0.0, "x"), (_Z_LEVEL * top, "z")):
        ax.axhline(level, color="0.3", lw=1)
        ax.text(lo, level, f"{name} ", ha="right", va="center", fontsize=10, style="italic")
    if s.p_data is not None:
        step = max(1, len(s.x) // 60)
        ax.plot(s.x[::step], s.p_data[::step], ".", color=_DATA, ms=3.5, label="data $p_{data}$")
    ax.plot(s.x, s.p_g, "-", color=_GEN, lw=1.8, label="generator $p_g$")
    ax.plot(s.x, s.d, "--", color=_DISC, lw=1.6, label="discriminator $D(x)$")
    ax.set_xlim(lo, hi)
    ax.set_ylim(_Z_LEVEL * top * 1.12, top)
    ax.set_yticks([0.5, 1.0] if top < 2 else [1, 2])  # 0 would collide with the "x" label
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.spines["bottom"].set_visible(False)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax


def draw_gan_1d_stages(snapshots, titles=None, row_labels=None, panel_size=(3.6, 2.6)):
    """A figure of panels: ``snapshots`` is a list (one row) or a list of rows; ``titles`` one
    per column (or per panel, as a list of rows); ``row_labels`` one per row. All panels share
    the density axis. Returns the figure, with one legend for all panels below them."""
    from . import require_pyplot

    rows = panel_rows(snapshots, Snapshot1D)
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    plt = require_pyplot()
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                             figsize=(panel_size[0] * n_cols, panel_size[1] * n_rows + 0.5))
    densities = [1.0] + [float(s.p_data.max()) for r in rows for s in r if s.p_data is not None]
    top = 1.1 * max(densities)
    fill_panels(axes, rows, lambda snapshot, ax, title: draw_gan_1d(snapshot, ax, title, top),
                titles, row_labels)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
