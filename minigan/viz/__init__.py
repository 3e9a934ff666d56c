"""Figures: what the engine computes, drawn with matplotlib.

matplotlib is an optional extra (``pip install minigan[plots]``): ``import minigan`` and
``import minigan.viz`` never import it; each drawing function does, when it is called, through
:func:`require_pyplot`, which says how to install it when it is missing.
"""

from .conv import draw_cells, draw_im2col
from .doctor import draw_doctor, save_dashboard
from .gan1d import Snapshot1D, draw_gan_1d, draw_gan_1d_stages, snapshot_1d
from .graph import Graph, GraphNode, draw_graph, node_label, trace_graph
from .images import (
    draw_image_grid,
    draw_loss_curves,
    image_grid,
    running_mean,
    save_image_grid,
)
from .mixture2d import (
    METRIC_PANELS,
    Snapshot2D,
    animate_mixture_2d,
    default_bounds,
    discriminator_output,
    draw_mixture_2d,
    draw_mixture_2d_stages,
    draw_mode_metrics,
    evenly_spread,
    metrics_label,
    snapshot_2d,
)


def require_pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("minigan.viz draws with matplotlib, which is not installed: "
                          "pip install minigan[plots]") from exc
    return plt


__all__ = ["require_pyplot", "trace_graph", "draw_graph", "node_label", "Graph", "GraphNode",
           "snapshot_1d", "draw_gan_1d", "draw_gan_1d_stages", "Snapshot1D",
           "draw_cells", "draw_im2col",
           "snapshot_2d", "draw_mixture_2d", "draw_mixture_2d_stages", "animate_mixture_2d",
           "draw_mode_metrics", "metrics_label", "default_bounds", "discriminator_output",
           "evenly_spread", "Snapshot2D",
           "METRIC_PANELS",
           "image_grid", "save_image_grid", "draw_image_grid", "draw_loss_curves",
           "running_mean", "draw_doctor", "save_dashboard"]
