"""Rows of panels: the grid layout shared by the figures that show a training run stage by stage
(:func:`~minigan.viz.draw_gan_1d_stages`, :func:`~minigan.viz.draw_mixture_2d_stages`).

A figure takes one sequence of items (one row) or a sequence of rows; rows may be shorter than
the longest, and the panels they leave over are hidden.
"""


def panel_rows(items, item_type):
    """A list of rows from one sequence of ``item_type`` (a single row) or a sequence of
    sequences of them."""
    items = list(items)
    if not items:
        raise ValueError("no snapshots to draw")
    if isinstance(items[0], item_type):
        return [items]
    return [list(row) for row in items]


def fill_panels(axes, rows, draw, titles=None, row_labels=None):
    """Call ``draw(item, ax, title)`` for each item of ``rows`` on its panel of ``axes`` (a 2-D
    array of Axes, at least as wide as the longest row), and hide the panels left over.

    ``titles``: one per column, or one per panel as a list of rows (None: ``draw`` gets None);
    ``row_labels``: one per row, written beside the row's first panel.
    """
    per_panel = titles is not None and isinstance(titles[0], (list, tuple))
    for i, row in enumerate(rows):
        for j, ax in enumerate(axes[i]):
            if j >= len(row):
                ax.set_visible(False)
                continue
            title = None if titles is None else titles[i][j] if per_panel else titles[j]
            draw(row[j], ax, title)
        if row_labels is not None:
            axes[i][0].set_ylabel(row_labels[i], fontsize=11)
