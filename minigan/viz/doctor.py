"""The GAN doctor's dashboard: the curves it watched, with what it diagnosed shaded.

:func:`draw_doctor` draws a :class:`minigan.gan.doctor.Doctor` after (or during) a run, four
panels against the step:

- the losses of D and G (window medians);
- the mean D(x) and D(G(z)), with the doctor's thresholds for a dominating discriminator;
- both players' gradient norms in units of g0 (D's first gradient norm), on a log scale,
  with the threshold of a vanishing gradient;
- the probe of G's samples: the diversity rho and the distance delta to the data, with their
  thresholds, and the share of the modes captured when the probe counts modes.

Every diagnosed stretch is shaded in all four panels, in its condition's colour; a
divergence, diagnosed at one step, is a vertical line.
"""

import numpy as np

from ..gan import doctor as gan_doctor

COLOURS = {"divergence": "#d62728", "vanishing_gradient": "#9467bd",
           "mode_collapse": "#ff7f0e", "oscillation": "#17becf",
           "weak_discriminator": "#8c564b"}
"""The colour of each condition's shading."""


def _shade(axes, diagnoses):
    """Shade each diagnosis in every axis; returns one legend handle per condition found."""
    import matplotlib.patches as mpatches

    handles = {}
    for d in diagnoses:
        colour = COLOURS[d.condition]
        for ax in axes:
            if d.first_step == d.last_step:
                ax.axvline(d.first_step, color=colour, lw=2, alpha=0.6, zorder=0)
            else:
                ax.axvspan(d.first_step, d.last_step, color=colour, alpha=0.15, lw=0, zorder=0)
        handles.setdefault(d.condition, mpatches.Patch(color=colour, alpha=0.4, label=d.name))
    return list(handles.values())


def _curves(ax, steps, series, ylabel):
    """Draw ``series`` (label -> values) against ``steps``, with dots when there are few."""
    marker = "o" if len(steps) <= 30 else None
    for label, values in series.items():
        ax.plot(steps, values, lw=1.6, marker=marker, ms=3, label=label)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def draw_doctor(doctor, title=None, axes=None):
    """The dashboard of ``doctor`` (see the module docstring); ``axes``: four axes to draw
    into (a new 2 x 2 figure when None). Returns the figure."""
    from . import require_pyplot

    if not isinstance(doctor, gan_doctor.Doctor):
        raise TypeError(f"draw_doctor: expected a minigan.gan.doctor.Doctor, got "
                        f"{type(doctor).__name__}")
    if axes is None:
        fig, grid = require_pyplot().subplots(2, 2, figsize=(12, 7), sharex=True,
                                              layout="constrained")
        axes = grid.ravel()
    else:
        fig = axes[0].figure
    losses, outputs, norms, probe = axes
    w = doctor.windows
    _curves(losses, w["step"], {"D loss": w["d_loss"], "G loss": w["g_loss"]}, "loss")
    _curves(outputs, w["step"], {"D(x), real": w["d_real"], "D(G(z)), fake": w["d_fake"]},
            "mean probability")
    for level in (gan_doctor.DOMINANT, 1 - gan_doctor.DOMINANT):
        outputs.axhline(level, color="0.5", ls=":", lw=1)
    outputs.set_ylim(-0.02, 1.02)
    g0 = doctor.g0 or 1.0
    _curves(norms, w["step"], {"D": np.asarray(w["d_grad_norm"]) / g0,
                               "G": np.asarray(w["g_grad_norm"]) / g0},
            "gradient norm / g0")
    norms.set_yscale("log")
    norms.axhline(gan_doctor.VANISHING, color="0.5", ls=":", lw=1)
    norms.annotate("vanishing", (0.01, gan_doctor.VANISHING), xycoords=("axes fraction", "data"),
                   fontsize=7, color="0.4", va="bottom", ha="left")
    p = doctor.probes
    if len(p["step"]):
        series = {"diversity rho": p["diversity"], "distance delta": p["distance"]}
        if "modes_captured" in p:
            series["modes captured / all"] = np.asarray(p["modes_captured"]) / p["num_modes"][0]
        _curves(probe, p["step"], series, "probe of G's samples")
        for level, text, x, align in ((gan_doctor.LOW_DIVERSITY, "rho below: alike", 0.01, "left"),
                                      (gan_doctor.FAR, "delta above: far", 0.99, "right")):
            probe.axhline(level, color="0.5", ls=":", lw=1)
            probe.annotate(text, (x, level), xycoords=("axes fraction", "data"), fontsize=7,
                           color="0.4", va="bottom", ha=align)
    else:
        text = "no probe taken yet" if doctor.probe else "no probe"
        probe.text(0.5, 0.5, text, transform=probe.transAxes, ha="center", color="0.5")
    for ax in (norms, probe):  # the bottom row
        ax.set_xlabel("step")
    handles = _shade(axes, doctor.diagnoses)
    for ax in axes:
        lines, labels = ax.get_legend_handles_labels()
        if lines:
            ax.legend(fontsize=8)
    if handles:  # below the panels in a figure of ours, else on the first panel
        if fig.get_layout_engine() is not None:
            fig.legend(handles=handles, loc="outside lower center", ncol=len(handles),
                       frameon=False)
        else:
            axes[0].legend(handles=handles, fontsize=8, loc="upper right")
    headline = doctor.report().splitlines()[0]
    fig.suptitle(headline if title is None else f"{title}\n{headline}", fontsize=11)
    return fig


def save_dashboard(doctor, path, title=None):
    """:func:`draw_doctor` written to ``path`` (a PNG); returns the path."""
    from . import require_pyplot

    fig = draw_doctor(doctor, title)
    fig.savefig(path, dpi=100)
    require_pyplot().close(fig)
    return path
