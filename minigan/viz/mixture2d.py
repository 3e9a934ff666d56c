"""A GAN on a 2D Gaussian mixture, drawn: where its samples land, and what D thinks of the plane.

Each panel shows, over a square of the plane,

- the discriminator's answer as filled contours: D(x) = sigmoid(logit) from 0 (red, "fake") to
  1 (blue, "real"), with the line D(x) = 1/2 drawn solid; a critic (WGAN, LSGAN) has no
  probability, so its raw score is drawn instead, on its own scale and in another palette
  (purple high, orange low), with a note in the panel;
- the true density: each mode a black circle of radius 3 standard deviations (the contour of
  p inside which a sample counts as *high quality*), around a small disc of radius 1 std;
- the generator's samples x = G(z) as green dots.

With the classic stds (0.01 on the ring, 0.05 on the grid) the modes are tiny next to the
distances between them: a collapsed generator shows as all its dots piled on one or two circles
while the others stay empty, and D's contours show why G stays there.

:func:`snapshot_2d` evaluates the models into arrays (in eval mode, without a graph, drawing
nothing from the training's random generator), so snapshots taken during training change
nothing in it; :func:`draw_mixture_2d` draws one snapshot into an axis;
:func:`draw_mixture_2d_stages` draws rows of them (the stages of one run, or several runs);
:func:`animate_mixture_2d` writes the same as a GIF, one frame per snapshot; and
:func:`draw_mode_metrics` draws the mode metrics (modes captured, % high quality, reverse KL)
over training.
"""

from dataclasses import dataclass

import numpy as np

from .._checks import check_choice
from ..gan.metrics import reverse_kl_text
from ..gan.noise import sample_noise
from ..tensor import Tensor, tensor
from .panels import fill_panels, panel_rows

_GEN, _MODE = "#1a9a3a", "black"
_D_CMAP = "RdBu"  # red where D says "fake", blue where it says "real"
_SCORE_CMAP = "PuOr"  # a critic's score: another palette, for another scale (purple: high)
_NOTE_BOX = {"facecolor": "white", "alpha": 0.7, "linewidth": 0, "pad": 1.5}  # corner notes
_MARGIN = 0.25  # empty border around the modes, as a fraction of their spread


@dataclass
class Snapshot2D:
    """What one panel shows, as NumPy arrays: G's ``samples`` (n, 2); D's answer ``d`` on the
    square grid ``grid`` x ``grid`` (``grid`` of shape (P,)), shape (P, P) with ``d[i, j]`` at
    the point (grid[j], grid[i]), or None; ``d_output`` (``"logit"``:
    ``d`` is the probability D(x); ``"score"``: a critic's raw value); the mixture's
    ``centers`` (K, 2) and ``stds`` (K,); the training ``step`` and the mode ``metrics`` of
    :func:`minigan.gan.metrics.mode_metrics` when known (else None)."""

    samples: np.ndarray
    grid: np.ndarray
    d: np.ndarray
    d_output: str
    centers: np.ndarray
    stds: np.ndarray
    step: int = None
    metrics: object = None

    @property
    def bounds(self):
        """(lo, hi) of the square drawn, the same on both axes."""
        return float(self.grid[0]), float(self.grid[-1])


def default_bounds(mixture):
    """A square (lo, hi) holding every mode with a margin: a quarter of the modes' spread, and
    at least 10 stds (ring(): (-1.5, 1.5); grid(): (-6, 6))."""
    centers, stds = np.asarray(mixture.centers), np.asarray(mixture.stds)
    lo, hi = float(centers.min()), float(centers.max())
    margin = max(_MARGIN * (hi - lo), 10 * float(stds.max()))
    return lo - margin, hi + margin


def _module_output(module, inputs):
    """``module(inputs)`` as a float64 NumPy array, in eval mode and without a graph, leaving
    the module's modes (and batch-norm running statistics) as they were."""
    param = next(iter(module.parameters()))
    if not isinstance(inputs, Tensor):  # an array: put it where the weights are
        inputs = tensor(inputs, dtype=param.dtype, device=param.device)
    with module.evaluating():
        out = module(inputs)
    return out.numpy().astype(np.float64)


def _d_on_points(D, points):
    """D's output (logit or score) at each point of ``points`` (P, 2), shape (P,).

    A discriminator that judges *packs* of m samples (PacGAN: ``D.pack`` = m) is shown its
    answer to a pack of m copies of the same point. The grid goes through D as one batch: a
    D that reads batch statistics (a minibatch-std feature) sees the grid's spread, not a
    training batch's. ``D`` may also be any function from a NumPy array (P, 2) to P values."""
    if not hasattr(D, "modules"):
        return np.asarray(D(points), dtype=np.float64).reshape(len(points))
    packs = np.repeat(points, getattr(D, "pack", 1), axis=0)  # m consecutive copies per point
    return _module_output(D, packs).reshape(len(points))


def snapshot_2d(G, D, mixture, *, noise=None, n=1000, generator=None, bounds=None, points=100,
                d_output="logit", step=None, metrics=None):
    """Evaluate a GAN on a 2D mixture for :func:`draw_mixture_2d`.

    - ``G`` maps noise (N, noise_dim) to samples (N, 2); ``noise`` is a fixed batch for it (a
      Tensor or array: the same z at every snapshot makes an animation move smoothly), or None
      to draw ``n`` standard normal vectors from ``generator`` (a
      :class:`minigan.random.Generator`; the default one if None);
    - ``D`` is the discriminator (a Module, or a function of a NumPy array (P, 2)), or None for
      no contours; it is evaluated on a ``points`` x ``points`` grid over ``bounds`` (a square
      (lo, hi); :func:`default_bounds` if None). ``d_output``: ``"logit"`` (D returns logits;
      the panel shows D(x) = sigmoid(logit)) or ``"score"`` (a critic's raw value);
    - ``mixture``: the data (a 2D :class:`~minigan.data.mixture.GaussianMixture`): its modes are
      drawn; ``step`` and ``metrics`` (a ModeMetrics) label the panel.
    """
    if mixture.dim != 2:
        raise ValueError(f"snapshot_2d: draws 2D data, got a mixture of dim {mixture.dim}")
    check_choice(d_output, "d_output", ("logit", "score"), "snapshot_2d")
    lo, hi = default_bounds(mixture) if bounds is None else map(float, bounds)
    if not lo < hi:
        raise ValueError(f"snapshot_2d: bounds must be (lo, hi) with lo < hi, got {bounds!r}")
    if noise is None:
        param = next(iter(G.parameters()))
        noise = sample_noise(n, G.noise_dim, "normal", generator, param.device, param.dtype)
    samples = _module_output(G, noise)
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise ValueError(f"snapshot_2d: G must return samples of shape (N, 2), got "
                         f"{samples.shape}")
    axis = np.linspace(lo, hi, points)
    d = None
    if D is not None:
        xs, ys = np.meshgrid(axis, axis)  # row i is y = axis[i], column j is x = axis[j]
        d = _d_on_points(D, np.stack([xs.ravel(), ys.ravel()], axis=1)).reshape(xs.shape)
        if d_output == "logit":
            d = 0.5 * (1 + np.tanh(0.5 * d))  # sigmoid, without overflow for large logits
    return Snapshot2D(samples=samples, grid=axis, d=d, d_output=d_output,
                      centers=np.array(mixture.centers, dtype=np.float64),
                      stds=np.array(mixture.stds, dtype=np.float64), step=step, metrics=metrics)


def discriminator_output(method):
    """What a :mod:`method <minigan.gan.methods>`'s D returns, as :func:`snapshot_2d`'s
    ``d_output``: ``"score"`` for a WGAN critic and the least-squares D (real-valued scores, no
    probability), ``"logit"`` for the others."""
    from ..gan.methods import LSGAN, WGAN, make_method

    return "score" if isinstance(make_method(method), (WGAN, LSGAN)) else "logit"


def metrics_label(metrics, num_modes):
    """One line for a panel: ``"6/8 modes · 92% HQ · KL 0.45"`` (``KL -`` with no HQ sample)."""
    kl = reverse_kl_text(metrics.reverse_kl, metrics.high_quality, 2)
    return (f"{metrics.modes_captured}/{num_modes} modes · {100 * metrics.high_quality:.0f}% HQ"
            f" · KL {kl}")


def _title(snapshot):
    lines = [] if snapshot.step is None else [f"step {snapshot.step}"]
    if snapshot.metrics is not None:
        lines.append(metrics_label(snapshot.metrics, len(snapshot.centers)))
    return "\n".join(lines) or None


def _d_levels(snapshot):
    if snapshot.d_output == "logit":
        return np.linspace(0, 1, 11)
    lo, hi = float(snapshot.d.min()), float(snapshot.d.max())
    return np.linspace(lo, hi if hi > lo else lo + 1, 11)


def draw_mixture_2d(snapshot, ax=None, title=None, sample_size=None):
    """Draw one :class:`Snapshot2D` into ``ax`` (a new figure when None); returns the axis.

    ``title`` defaults to the step and the metrics of the snapshot; ``sample_size`` is the area
    of a sample's dot in points^2 (by default smaller for more samples). Samples outside the
    square are counted in a corner note.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Circle

    from . import require_pyplot

    if ax is None:
        _, ax = require_pyplot().subplots(figsize=(4.5, 4.5))
    s = snapshot
    lo, hi = s.bounds
    if s.d is not None:
        logit = s.d_output == "logit"
        ax.contourf(s.grid, s.grid, s.d, levels=_d_levels(s), alpha=0.45, zorder=0,
                    cmap=_D_CMAP if logit else _SCORE_CMAP)
        if logit and s.d.min() < 0.5 < s.d.max():
            ax.contour(s.grid, s.grid, s.d, levels=[0.5], colors="0.25", linewidths=1.0,
                       zorder=1)
        if not logit:
            ax.text(0.02, 0.98, "shading: D's score\n(purple high)", transform=ax.transAxes,
                    ha="left", va="top", fontsize=7, color="0.2", bbox=_NOTE_BOX)
    if sample_size is None:
        sample_size = float(np.clip(6000 / max(len(s.samples), 1), 1.0, 8.0))
    ax.scatter(s.samples[:, 0], s.samples[:, 1], s=sample_size, color=_GEN, alpha=0.6,
               linewidths=0, zorder=2)
    # The modes: a disc of 1 std inside the circle of 3 stds (where a sample is high quality).
    ax.add_collection(PatchCollection([Circle(c, r) for c, r in zip(s.centers, s.stds)],
                                      facecolor=_MODE, edgecolor="none", alpha=0.8, zorder=3))
    ax.add_collection(PatchCollection([Circle(c, 3 * r) for c, r in zip(s.centers, s.stds)],
                                      facecolor="none", edgecolor=_MODE, linewidths=1.0,
                                      zorder=3))
    outside = int((np.abs(s.samples - (lo + hi) / 2) > (hi - lo) / 2).any(axis=1).sum())
    if outside:
        ax.text(0.98, 0.02, f"{outside} outside", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=7, color="0.2", bbox=_NOTE_BOX)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=7)
    title = _title(s) if title is None else title
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def evenly_spread(items, count):
    """``count`` items of the sequence ``items`` evenly spread from its first to its last (all
    of them when there are no more than ``count``): the panels of a strip over training."""
    items = list(items)
    if len(items) <= count:
        return items
    if count < 2:
        return items[-1:]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def _legend_handles():
    """Legend entries for a figure of panels: markers at a readable size, not the dots'."""
    from matplotlib.lines import Line2D

    return [Line2D([], [], ls="none", marker="o", ms=5, color=_GEN, alpha=0.6,
                   label="generator's samples $G(z)$"),
            Line2D([], [], ls="none", marker="o", ms=8, mfc="none", mec=_MODE,
                   label="data modes (circle: 3 std, where a sample is high quality)")]


def _d_colorbar(fig, axes, snapshots):
    """One colour bar for D(x) beside the panels, when any panel shows a probability."""
    import matplotlib as mpl

    if any(s.d is not None and s.d_output == "logit" for s in snapshots):
        mappable = mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(0, 1), cmap=_D_CMAP)
        bar = fig.colorbar(mappable, ax=axes, fraction=0.025, pad=0.02, alpha=0.45)
        bar.set_label("$D(x)$, the probability that $x$ is real", fontsize=9)


def draw_mixture_2d_stages(snapshots, titles=None, row_labels=None, panel_size=3.0,
                           suptitle=None):
    """A figure of panels: ``snapshots`` is a list (one row) or a list of rows; ``titles`` one
    per column, or one per panel as a list of rows (default: each snapshot's step and
    metrics); ``row_labels`` one per row. Returns the figure, with one legend and one colour
    bar for all panels."""
    from . import require_pyplot

    rows = panel_rows(snapshots, Snapshot2D)
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = require_pyplot().subplots(
        n_rows, n_cols, squeeze=False, layout="constrained",
        # each row: a square panel and its two-line title; below them the legend, above them
        # the title of the figure
        figsize=(panel_size * n_cols + 1.2, (panel_size + 0.6) * n_rows + 0.9))
    fill_panels(axes, rows, draw_mixture_2d, titles, row_labels)
    _d_colorbar(fig, axes, [s for row in rows for s in row])
    fig.legend(handles=_legend_handles(), loc="outside lower center", ncol=2, frameon=False)
    if suptitle is not None:
        fig.suptitle(suptitle)
    return fig


def animate_mixture_2d(snapshots, path, titles=None, fps=4, panel_size=4.0, dpi=80,
                       suptitle=None):
    """Write the snapshots as an animated GIF at ``path`` (one frame per snapshot, through
    matplotlib's Pillow writer); returns the path.

    ``snapshots`` is one sequence (one panel) or several of the same length, drawn side by
    side (e.g. a collapsing run beside its remedy); ``titles`` names the panels."""
    from matplotlib.animation import FuncAnimation, PillowWriter

    from . import require_pyplot

    runs = panel_rows(snapshots, Snapshot2D)
    frames = len(runs[0])
    if any(len(run) != frames for run in runs):
        raise ValueError(f"animate_mixture_2d: the runs must have as many snapshots each, got "
                         f"{[len(run) for run in runs]}")
    plt = require_pyplot()
    fig, axes = plt.subplots(1, len(runs), squeeze=False, layout="constrained",
                             figsize=(panel_size * len(runs), panel_size + 0.3))
    if suptitle is not None:
        fig.suptitle(suptitle)

    def draw(frame):
        for j, run in enumerate(runs):
            ax = axes[0][j]
            ax.clear()
            draw_mixture_2d(run[frame], ax=ax)
            if titles is not None:
                ax.set_title(f"{titles[j]}\n{ax.get_title()}", fontsize=9)
        return []

    # Lay the panels out once, on the first frame, and keep them there: the frames stay
    # aligned, and redoing the layout for every frame would double the time taken.
    draw(0)
    fig.canvas.draw()
    fig.set_layout_engine("none")
    animation = FuncAnimation(fig, draw, frames=frames, blit=False)
    try:
        animation.save(path, writer=PillowWriter(fps=fps), dpi=dpi)
    finally:
        plt.close(fig)
    return path


METRIC_PANELS = (("modes_captured", "modes captured"),
                 ("high_quality", "high-quality samples (%)"),
                 ("reverse_kl", "reverse KL (mode histogram)"))
"""The curves :func:`draw_mode_metrics` draws: (key, axis label)."""


def draw_mode_metrics(curves, num_modes=None, axes=None, title=None):
    """The mode metrics over training, one panel each: modes captured (with a dotted line at
    ``num_modes``, all of them), the share of high-quality samples, and the reverse KL of the
    mode histogram (a gap where no sample is high quality: the KL is undefined there).

    ``curves`` maps a run's label to its curves: a dict with ``"step"`` and one list per key of
    :data:`METRIC_PANELS` (``high_quality`` a fraction in [0, 1]); several runs share the
    panels. ``axes``: three axes to draw into (a new figure when None). Returns the figure.
    """
    from . import require_pyplot

    if axes is None:
        fig, axes = require_pyplot().subplots(1, 3, figsize=(13, 3.6), layout="constrained")
    else:
        fig = axes[0].figure
    for label, run in curves.items():
        missing = [k for k in ("step",) + tuple(k for k, _ in METRIC_PANELS) if k not in run]
        if missing:
            raise ValueError(f"draw_mode_metrics: the curves of {label!r} lack {missing}")
        for ax, (key, _) in zip(axes, METRIC_PANELS):
            values = np.asarray(run[key], dtype=np.float64)
            if key == "reverse_kl":  # undefined without a high-quality sample: left as a gap
                values = np.where(np.asarray(run["high_quality"]) > 0, values, np.nan)
            ax.plot(run["step"], 100 * values if key == "high_quality" else values, lw=1.6,
                    marker="o", ms=3, label=label)
    for ax, (_, name) in zip(axes, METRIC_PANELS):
        ax.set(xlabel="step", ylabel=name)
        ax.grid(alpha=0.3)
    if num_modes is not None:
        axes[0].axhline(num_modes, color="0.4", ls=":", lw=1)
        axes[0].set_ylim(-0.3, max(num_modes, axes[0].get_ylim()[1]) + 0.7)
    axes[1].set_ylim(-3, 103)
    axes[2].set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    if title is not None:
        fig.suptitle(title)
    return fig
