"""The computation graph behind a Tensor, as data and as a picture.

A Tensor made by an operation points to the :class:`~minigan.Function` node that made it
(``t.grad_fn``), and that node keeps the arguments it was called with (``node.inputs``).
Following those pointers back from a result gives exactly the graph that backward walks.

- :func:`trace_graph` collects it as plain data: one :class:`GraphNode` per leaf tensor and per
  operation, and an edge from each input to the operation that used it.
- :func:`draw_graph` draws it with matplotlib, inputs on the left and the result on the right,
  each box labelled with its name, its value (or shape) and, after backward, its ``.grad``.

Layout by depth: a node's column is the length of the *longest* path from it to the result,
mirrored so that the result is the rightmost column. Every arrow therefore points to the right,
and each input sits just left of the first operation that needs it. An arrow that skips columns
bends through a point in each column it crosses, so that it passes beside the boxes there, not
through them. Within a column, nodes and bend points sit at the mean height of what they feed,
pushed apart where they would overlap.

A trace holds on to the tensors it found, so a graph traced *before* ``backward()`` can be drawn
*after* it, with the gradients, even though backward has freed the graph itself::

    graph = trace_graph(loss)
    loss.backward()
    draw_graph(graph).savefig("graph.png")
"""

from dataclasses import dataclass

import numpy as np

from .. import backend
from ..autograd import GraphFreedError
from ..tensor import Tensor

_COLORS = {"op": "#fcd9a6", "leaf": "#bcd8f2", "constant": "#e4e4e4"}
_KIND_NAMES = {"op": "operation", "leaf": "leaf that requires grad", "constant": "constant"}
_SMALL = 3  # tensors with at most this many elements are labelled with their values


@dataclass
class GraphNode:
    """One box of the picture.

    ``kind`` is ``"op"`` (an operation; ``tensor`` is its output), ``"leaf"`` (a tensor the user
    made with ``requires_grad=True``: backward fills its ``.grad``) or ``"constant"`` (a leaf
    that does not require grad, such as the data). ``title`` is the operation with its
    non-tensor arguments (``Pow(·, 2)``, ``·`` standing for a tensor input) or the leaf's name.
    ``column`` and ``row`` place it: columns grow towards the result, rows downwards.
    """

    kind: str
    title: str
    tensor: Tensor
    column: int = 0
    row: float = 0.0


@dataclass
class Graph:
    """Nodes by key, edges as (input key, operation key) pairs, the key of the result, and for
    each edge that skips columns the (column, row) points it bends through on its way."""

    nodes: dict
    edges: list
    root: tuple
    bends: dict

    @property
    def columns(self):
        return 1 + max(n.column for n in self.nodes.values())


def trace_graph(output, max_nodes=150):
    """Collect the graph that computed ``output`` (a Tensor) and lay it out by depth.

    Raises :class:`~minigan.GraphFreedError` when backward has already freed the graph, and
    ``ValueError`` beyond ``max_nodes`` nodes: a picture that large is no longer readable.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"trace_graph: output must be a Tensor, got {type(output).__name__}")
    nodes, edges = {}, []
    stack = [output]
    while stack:
        t = stack.pop()
        key = _key(t)
        if key in nodes:
            continue
        if len(nodes) == max_nodes:
            raise ValueError(f"trace_graph: the graph has more than max_nodes={max_nodes} nodes, "
                             "too many to draw readably; draw a smaller part of the computation "
                             "or raise max_nodes")
        fn = t.grad_fn
        if fn is None:
            nodes[key] = GraphNode("leaf" if t.requires_grad else "constant",
                                   t.name or "tensor", t)
            continue
        if fn.inputs is None:
            raise GraphFreedError(
                f"trace_graph: backward() already freed the graph behind this {type(fn).__name__}"
                "; trace it before calling backward (draw_graph accepts the traced graph), or "
                "pass retain_graph=True to backward()")
        nodes[key] = GraphNode("op", _op_title(fn), t)
        for arg in fn.inputs:
            if isinstance(arg, Tensor):
                edge = (_key(arg), key)
                if edge not in edges:  # x * x: one arrow is enough
                    edges.append(edge)
                stack.append(arg)
    root = _key(output)
    return Graph(nodes, edges, root, _place(nodes, edges, root))


def draw_graph(graph, ax=None, show_grad=True, title=None):
    """Draw a Tensor's computation graph (or a :class:`Graph` from :func:`trace_graph`).

    Boxes: orange for operations, blue for leaves that require grad, grey for constants; a
    thicker border marks the result. With ``show_grad``, every tensor that has a ``.grad``
    (leaves after backward; other tensors after ``retain_grad()``) shows it. Draws into ``ax``
    if given, else into a new figure sized to the graph. Returns the matplotlib Figure.
    """
    from . import require_pyplot

    plt = require_pyplot()
    if isinstance(graph, Tensor):
        graph = trace_graph(graph)
    elif not isinstance(graph, Graph):
        raise TypeError(f"draw_graph: graph must be a Tensor or a Graph from trace_graph, got "
                        f"{type(graph).__name__}")
    labels = {k: "\n".join(node_label(n, show_grad)) for k, n in graph.nodes.items()}
    rows = [n.row for n in graph.nodes.values()]
    if ax is None:
        widest = max(len(line) for label in labels.values() for line in label.splitlines())
        _, ax = plt.subplots(figsize=(graph.columns * (0.075 * widest + 0.9),
                                      0.95 * (max(rows) - min(rows)) + 1.6))

    boxes = {}
    for key, node in graph.nodes.items():
        boxes[key] = ax.text(
            node.column, node.row, labels[key], ha="center", va="center", fontsize=9, zorder=2,
            bbox=dict(boxstyle="round,pad=0.45", facecolor=_COLORS[node.kind],
                      edgecolor="0.2", linewidth=2.0 if key == graph.root else 0.8))
    for src, dst in graph.edges:
        # The ends are anchored to the boxes themselves (right side of the input, left side of
        # the operation), so the arrows fit whatever size the labels take; bends are points.
        stops = ([(boxes[src], (1, 0.5), 5)]
                 + [("data", point, 0) for point in graph.bends.get((src, dst), [])]
                 + [(boxes[dst], (0, 0.5), 5)])
        for i, ((c0, p0, s0), (c1, p1, s1)) in enumerate(zip(stops, stops[1:])):
            last = i == len(stops) - 2
            ax.annotate("", xy=p1, xycoords=c1, xytext=p0, textcoords=c0, zorder=1,
                        arrowprops=dict(arrowstyle="-|>" if last else "-", color="0.3",
                                        linewidth=0.9, shrinkA=s0, shrinkB=s1))

    ax.set_xlim(-0.6, graph.columns - 0.4)
    ax.set_ylim(max(rows) + 0.7, min(rows) - 0.7)  # row 0 at the top
    ax.axis("off")
    kinds = [k for k in _COLORS if any(n.kind == k for n in graph.nodes.values())]
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, facecolor=_COLORS[k], edgecolor="0.2")
                       for k in kinds],
              labels=[_KIND_NAMES[k] for k in kinds], loc="upper center",
              bbox_to_anchor=(0.5, 0.0), ncol=len(kinds), frameon=False, fontsize=8)
    if title is not None:
        ax.set_title(title)
    return ax.figure


def node_label(node, show_grad=True):
    """The lines of text in a node's box: title, value (or shape), and ``.grad`` if any."""
    t = node.tensor
    title = node.title
    if node.kind == "op" and t.name:
        title = f"{t.name} = {title}"
    lines = [title, _summary(t.data)]
    if show_grad and t.grad is not None:
        lines.append("grad " + _summary(t.grad.data))
    return lines


# -- helpers ---------------------------------------------------------------------------------
def _key(t):
    """One node per operation (its output may be wrapped more than once) and per leaf."""
    return ("op", id(t.grad_fn)) if t.grad_fn is not None else ("leaf", id(t))


def _summary(array):
    """A few values when they fit in a box, the shape otherwise."""
    a = backend.as_numpy(array)
    if a.size == 1:
        return _number(a.item())
    if a.size <= _SMALL:
        return "[" + ", ".join(_number(v) for v in a.ravel().tolist()) + "]"
    return "shape " + str(tuple(a.shape))


def _number(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _op_title(fn):
    """``Mul`` for an operation of tensors only, ``Pow(·, 2)`` when other arguments matter."""
    name = type(fn).__name__
    if all(isinstance(a, Tensor) for a in fn.inputs):
        return name
    args = ", ".join("·" if isinstance(a, Tensor) else _argument(a) for a in fn.inputs)
    return f"{name}({args if len(args) <= 24 else args[:23] + '…'})"


def _argument(a):
    if backend.is_array(a):
        return f"array{tuple(a.shape)}"
    if isinstance(a, np.dtype):
        return str(a)
    if isinstance(a, float):
        return _number(a)
    return repr(a)


def _place(nodes, edges, root):
    """Set each node's column and row; return the bend points of long edges (see module
    docstring)."""
    inputs = {k: [] for k in nodes}
    users = {k: [] for k in nodes}
    for src, dst in edges:
        inputs[dst].append(src)
        users[src].append(dst)

    # Longest distance to the root: visit a node once all of its users have been visited.
    depth = {root: 0}
    waiting = {k: len(v) for k, v in users.items()}
    ready = [root]
    while ready:
        key = ready.pop()
        for src in inputs[key]:
            depth[src] = max(depth.get(src, 0), depth[key] + 1)
            waiting[src] -= 1
            if waiting[src] == 0:
                ready.append(src)
    deepest = max(depth.values())
    column = {key: deepest - d for key, d in depth.items()}

    # An edge that skips columns gets a bend point in each column it crosses, placed like a
    # (thin) node, so that it runs beside the boxes of those columns instead of through them.
    next_hop = {k: list(v) for k, v in users.items()}  # what each node's row is pulled toward
    bends = {}
    for src, dst in edges:
        points = [("bend", src, dst, c) for c in range(column[src] + 1, column[dst])]
        chain = [src] + points + [dst]
        next_hop[src][next_hop[src].index(dst)] = chain[1]
        for here, after in zip(points, chain[2:]):
            column[here] = here[3]
            next_hop[here] = [after]
        if points:
            bends[(src, dst)] = points

    # Rows, from the root leftwards: each node wants the mean row of what it feeds.
    row = {}
    order = {key: i for i, key in enumerate(column)}  # trace order breaks ties
    for c in range(deepest, -1, -1):
        keys = [k for k in column if column[k] == c]
        wanted = {k: float(np.mean([row[u] for u in next_hop[k]])) if next_hop[k] else 0.0
                  for k in keys}
        keys.sort(key=lambda k: (wanted[k], order[k]))
        placed = []
        for prev, k in zip([None] + keys, keys):  # apart enough, as close as that allows
            placed.append(wanted[k] if prev is None else
                          max(wanted[k], placed[-1] + (_size(prev) + _size(k)) / 2))
        shift = float(np.mean([wanted[k] - p for k, p in zip(keys, placed)]))
        for k, p in zip(keys, placed):
            row[k] = p + shift

    for key, node in nodes.items():
        node.column, node.row = column[key], row[key]
    return {edge: [(column[p], row[p]) for p in points] for edge, points in bends.items()}


def _size(key):
    """Height a layout slot takes, in rows: a box needs one, an edge passing by a third."""
    return 0.3 if key[0] == "bend" else 1.0
