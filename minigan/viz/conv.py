"""Convolutions drawn: grids of numbers, and the patch matrix that im2col makes of an image.

:func:`draw_cells` draws a small 2-D array as a grid of coloured cells, each labelled with its
value (a kernel, an image, a matrix, a map of counts).

:func:`draw_im2col` draws what ``im2col`` does to a one-channel image (H, W). Left: the image,
with its zero padding in grey, every pixel labelled with its value (number the pixels 1, 2, 3...
and each can be followed); a few patches are marked, one colour each, tap by tap, so that the
gaps of a dilated kernel show. Right: the patch matrix P, with kh*kw rows (the kernel taps
(p, q), read row by row) and one column per output position (i, j), in row-major order:

    P[p*kw + q, i*OW + j] = x_pad[i*sh + p*dh, j*sw + q*dw]

so that a convolution is the matrix product (weights as a row of kh*kw numbers) @ P. The columns
of the marked patches are tinted in their colours.
"""

import numpy as np

from .. import backend
from .._checks import pair
from ..kernels.im2col import conv_output_size, im2col
from ..tensor import Tensor

PATCH_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
_PADDING_FACE, _PIXEL_FACE = "#e4e4e4", "white"


def draw_cells(values, ax=None, cmap="Blues", fmt="{:g}", hide=None, vmin=None, vmax=None,
               title=None, fontsize=9):
    """Draw the 2-D array ``values`` as cells coloured by value (row 0 at the top), each
    labelled with ``fmt.format(value)``; cells equal to ``hide`` (e.g. 0) keep their colour but
    no label. Draws into ``ax`` (a new figure when None); returns the axis."""
    from . import require_pyplot

    values = _as_numpy(values)
    if values.ndim != 2:
        raise ValueError(f"draw_cells: values must be 2-D, got shape {values.shape}")
    if ax is None:
        rows, cols = values.shape
        _, ax = require_pyplot().subplots(figsize=(0.4 * cols + 0.6, 0.4 * rows + 0.6))
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    labels = np.array([["" if hide is not None and v == hide else fmt.format(v) for v in row]
                       for row in values.tolist()])
    faces = image.cmap(image.norm(values))
    _label_cells(ax, labels, _contrasting_text(faces), fontsize)
    _cell_grid(ax, *values.shape)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax


def draw_im2col(image, kernel_size, stride=1, padding=0, dilation=1, highlight=None, axes=None):
    """Draw a one-channel ``image`` (H, W) with marked patches, and its patch matrix P.

    ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are ints or (height, width) pairs,
    as in ``conv2d``. ``highlight`` lists the output positions (i, j) whose patches are marked
    (at most six); by default the first two positions of the first row and the last position.
    Draws into ``axes`` = (image axis, matrix axis), a new figure when None; returns the figure.
    """
    from . import require_pyplot

    image = _as_numpy(image)
    if image.ndim != 2:
        raise ValueError(f"draw_im2col: image must be 2-D (H, W), got shape {image.shape}")
    (kh, kw), stride, dilation = (pair(value, name, "draw_im2col", minimum=1) for value, name in
                                  ((kernel_size, "kernel_size"), (stride, "stride"),
                                   (dilation, "dilation")))
    padding = pair(padding, "padding", "draw_im2col")
    oh, ow = (conv_output_size(*args) for args in zip(image.shape, (kh, kw), stride, padding,
                                                      dilation))
    if oh < 1 or ow < 1:
        raise ValueError(f"draw_im2col: a {kh}x{kw} kernel with dilation {dilation} does not "
                         f"fit in the {image.shape} image padded by {padding}")
    if highlight is None:
        highlight = list(dict.fromkeys([(0, 0), (0, min(1, ow - 1)), (oh - 1, ow - 1)]))
    highlight = [tuple(int(v) for v in ij) for ij in highlight]
    if len(highlight) > len(PATCH_COLORS) or not all(
            0 <= i < oh and 0 <= j < ow for i, j in highlight):
        raise ValueError(f"draw_im2col: highlight must list at most {len(PATCH_COLORS)} output "
                         f"positions (i, j) inside the {oh}x{ow} output, got {highlight}")

    # The same im2col that conv2d runs, on a batch of one image with one channel.
    cols = im2col(image[None, None], (kh, kw), stride, padding, dilation)
    matrix = cols.reshape(oh * ow, kh * kw).T
    x_pad = np.pad(image, [(padding[0],) * 2, (padding[1],) * 2])
    if axes is None:
        width = x_pad.shape[1] + matrix.shape[1]
        _, axes = require_pyplot().subplots(
            1, 2, figsize=(0.42 * width + 2.2, 0.42 * max(x_pad.shape[0], kh * kw) + 2.0),
            gridspec_kw=dict(width_ratios=[x_pad.shape[1], matrix.shape[1]]), layout="constrained")
    ax_image, ax_matrix = axes

    inside = np.zeros(x_pad.shape, dtype=bool)
    inside[padding[0]:padding[0] + image.shape[0], padding[1]:padding[1] + image.shape[1]] = True
    _draw_labelled(ax_image, x_pad, np.where(inside, _PIXEL_FACE, _PADDING_FACE), inside)
    for k, (i, j) in enumerate(highlight):
        # Nested insets, so that a pixel shared by several marked patches shows every colour.
        inset = 0.07 + 0.08 * k
        for p in range(kh):
            for q in range(kw):
                _mark_cell(ax_image, i * stride[0] + p * dilation[0],
                           j * stride[1] + q * dilation[1], PATCH_COLORS[k], inset)
    ax_image.set_title(f"input {image.shape[0]}x{image.shape[1]}, padding {_text(padding)}\n"
                       f"kernel {kh}x{kw}, stride {_text(stride)}, dilation {_text(dilation)}\n"
                       f"output {oh}x{ow}", fontsize=10)
    ax_image.legend(handles=[_rectangle(0, 0, 1, 1, PATCH_COLORS[k], fill=False)
                             for k in range(len(highlight))],
                    labels=[f"patch under output {ij}" for ij in highlight], loc="upper center",
                    bbox_to_anchor=(0.5, 0.0), frameon=False, fontsize=8)

    padded_value = np.zeros(matrix.shape, dtype=bool)  # which matrix entries come from padding
    taps = np.arange(kh * kw)
    for col in range(oh * ow):
        rows = col // ow * stride[0] + taps // kw * dilation[0]
        columns = col % ow * stride[1] + taps % kw * dilation[1]
        padded_value[:, col] = ~inside[rows, columns]
    faces = np.full(matrix.shape, _PIXEL_FACE, dtype=object)
    faces[padded_value] = _PADDING_FACE
    _draw_labelled(ax_matrix, matrix, faces, ~padded_value)
    for k, (i, j) in enumerate(highlight):
        col = i * ow + j
        ax_matrix.add_patch(_rectangle(col - 0.5, -0.5, 1, kh * kw, PATCH_COLORS[k], fill=True))
        ax_matrix.add_patch(_rectangle(col - 0.5, -0.5, 1, kh * kw, PATCH_COLORS[k], fill=False))
    ax_matrix.set_xticks(range(oh * ow), [f"{c // ow},{c % ow}" for c in range(oh * ow)],
                         fontsize=7, rotation=90 if oh * ow > 12 else 0)
    ax_matrix.set_yticks(range(kh * kw), [f"{t // kw},{t % kw}" for t in taps], fontsize=7)
    ax_matrix.tick_params(length=0, top=True, labeltop=True, bottom=False, labelbottom=False)
    ax_matrix.set_ylabel("kernel tap (p, q)", fontsize=9)
    ax_matrix.set_title("patch matrix P = im2col(x)\ncolumn (i, j): the patch under output "
                        "(i, j)", fontsize=10)
    return ax_matrix.figure


# -- helpers ---------------------------------------------------------------------------------
def _as_numpy(values):
    """A NumPy array of a Tensor, a NumPy or CuPy array, or nested lists."""
    if isinstance(values, Tensor):
        values = values.data
    return backend.as_numpy(values) if backend.is_array(values) else np.asarray(values)


def _text(pair_):
    return str(pair_[0]) if pair_[0] == pair_[1] else f"{pair_[0]}x{pair_[1]}"


def _draw_labelled(ax, values, faces, strong):
    """Cells with the given face colours, labelled with their integer values; labels of cells
    that are not ``strong`` (padding) in grey."""
    from matplotlib.colors import to_rgba

    rgba = np.array([[to_rgba(f) for f in row] for row in faces])
    ax.imshow(rgba)
    labels = np.array([[f"{v:g}" for v in row] for row in values.tolist()])
    _label_cells(ax, labels, np.where(strong, "black", "0.55"), fontsize=8)
    _cell_grid(ax, *values.shape)


def _label_cells(ax, labels, colors, fontsize):
    for (r, c), label in np.ndenumerate(labels):
        if label:
            ax.text(c, r, label, ha="center", va="center", fontsize=fontsize, color=colors[r, c])


def _contrasting_text(faces):
    """Black text on light cells, white on dark ones (by the cells' luminance)."""
    luminance = faces[..., :3] @ np.array([0.299, 0.587, 0.114])
    return np.where(luminance > 0.55, "black", "white")


def _cell_grid(ax, rows, cols):
    """Thin lines between the cells; no ticks."""
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="0.6", linewidth=0.5)
    ax.tick_params(which="both", length=0)
    ax.set_xticks([])
    ax.set_yticks([])


def _rectangle(x, y, width, height, color, fill):
    from matplotlib.patches import Rectangle

    if fill:
        return Rectangle((x, y), width, height, facecolor=color, alpha=0.18, edgecolor="none")
    return Rectangle((x, y), width, height, fill=False, edgecolor=color, linewidth=2)


def _mark_cell(ax, row, col, color, inset):
    size = 1 - 2 * inset
    ax.add_patch(_rectangle(col - 0.5 + inset, row - 0.5 + inset, size, size, color, fill=True))
    ax.add_patch(_rectangle(col - 0.5 + inset, row - 0.5 + inset, size, size, color, fill=False))
