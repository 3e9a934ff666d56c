"""minigan.viz: tracing the graph behind a tensor, laying it out by depth, drawing it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan
import minigan.functional as F
from minigan import viz

ROOT = Path(__file__).resolve().parents[1]


def named(value, name, requires_grad=False, device="cpu"):
    t = minigan.tensor(value, requires_grad=requires_grad, device=device)
    t.name = name
    return t


def neuron(device="cpu"):
    """L = (sigmoid(w x + b) - t)^2 and its leaves, as in tutorial 01."""
    x, t = named(1.5, "x", device=device), named(1.0, "t", device=device)
    w = named(0.8, "w", True, device)
    b = named(-0.5, "b", True, device)
    return (F.sigmoid(w * x + b) - t) ** 2, w, b


def titled_edges(graph):
    return {(graph.nodes[s].title, graph.nodes[d].title) for s, d in graph.edges}


def by_title(graph, title):
    (node,) = [n for n in graph.nodes.values() if n.title == title]
    return node


# -- tracing ---------------------------------------------------------------------------------
def test_trace_finds_every_leaf_and_operation_and_their_edges():
    loss, _, _ = neuron()
    graph = viz.trace_graph(loss)
    kinds = {n.title: n.kind for n in graph.nodes.values()}
    assert kinds == {"x": "constant", "t": "constant", "w": "leaf", "b": "leaf", "Mul": "op",
                     "Add": "op", "Sigmoid": "op", "Sub": "op", "Pow(·, 2)": "op"}
    assert titled_edges(graph) == {("w", "Mul"), ("x", "Mul"), ("Mul", "Add"), ("b", "Add"),
                                   ("Add", "Sigmoid"), ("Sigmoid", "Sub"), ("t", "Sub"),
                                   ("Sub", "Pow(·, 2)")}
    assert graph.nodes[graph.root].tensor is loss


def test_a_tensor_used_twice_is_one_node_with_an_arrow_to_each_user():
    a = named([1.0, 2.0], "a", True)
    graph = viz.trace_graph(a * a + a)
    assert sorted(n.title for n in graph.nodes.values()) == ["Add", "Mul", "a"]
    assert sorted(titled_edges(graph)) == [("Mul", "Add"), ("a", "Add"), ("a", "Mul")]
    assert len(graph.edges) == 3  # a * a draws one arrow, not two


def test_operation_titles_show_their_non_tensor_arguments():
    x = named([[1.0, -2.0]], "x", True)
    titles = {viz.trace_graph(y).nodes[viz.trace_graph(y).root].title
              for y in [x ** 2, 2 * x, F.leaky_relu(x, 0.2), x.sum(dim=1), x + x]}
    assert titles == {"Pow(·, 2)", "Mul(2, ·)", "LeakyRelu(·, 0.2)", "Sum(·, (1,), False)",
                      "Add"}


def test_trace_after_backward_freed_the_graph_says_what_to_do():
    loss, _, _ = neuron()
    loss.backward()
    with pytest.raises(minigan.GraphFreedError, match="retain_graph=True"):
        viz.trace_graph(loss)


def test_trace_refuses_a_graph_too_big_to_read():
    x = named([1.0], "x", True)
    y = x
    for _ in range(10):
        y = F.tanh(y)
    with pytest.raises(ValueError, match="max_nodes=5"):
        viz.trace_graph(y, max_nodes=5)
    assert len(viz.trace_graph(y, max_nodes=11).nodes) == 11


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="trace_graph: output must be a Tensor"):
        viz.trace_graph(np.ones(3))


# -- layout ----------------------------------------------------------------------------------
@st.composite
def expressions(draw):
    """A random computation: leaves, then ops on random earlier values; returns (root, ops)."""
    values = [named(float(i + 1), f"x{i}", requires_grad=draw(st.booleans()))
              for i in range(draw(st.integers(1, 4)))]
    values[0].requires_grad = True  # so that the result has a graph
    n_ops = draw(st.integers(1, 12))
    for _ in range(n_ops):
        pick = st.sampled_from(values)
        kind = draw(st.sampled_from(["add", "mul", "tanh", "pow"]))
        if kind == "add":
            values.append(draw(pick) + draw(pick))
        elif kind == "mul":
            values.append(draw(pick) * draw(pick))
        elif kind == "tanh":
            values.append(F.tanh(draw(pick)))
        else:
            values.append(draw(pick) ** 2)
    return sum(values[1:], values[0])  # every value feeds the result


def _gap(a, b):
    return 0.5 * ((0.3 if a == "bend" else 1.0) + (0.3 if b == "bend" else 1.0))


@given(expressions())
def test_layout_arrows_point_right_and_nothing_overlaps(root):
    graph = viz.trace_graph(root)
    column = {k: n.column for k, n in graph.nodes.items()}
    # The result alone in the last column; every arrow goes to a later column.
    assert [k for k, c in column.items() if c == graph.columns - 1] == [graph.root]
    assert min(column.values()) == 0
    for src, dst in graph.edges:
        assert column[src] < column[dst]
        # A long arrow bends once in each column it crosses, and a short one never.
        bends = graph.bends.get((src, dst), [])
        assert [c for c, _ in bends] == list(range(column[src] + 1, column[dst]))
    # In each column, boxes are a row apart and bends a third of a row from anything.
    slots = [(n.column, n.row, "box") for n in graph.nodes.values()]
    slots += [(c, r, "bend") for points in graph.bends.values() for c, r in points]
    for c in range(graph.columns):
        here = sorted((r, kind) for col, r, kind in slots if col == c)
        for (r0, k0), (r1, k1) in zip(here, here[1:]):
            assert r1 - r0 >= _gap(k0, k1) - 1e-9


def test_each_input_sits_just_before_its_first_use():
    loss, _, _ = neuron()
    graph = viz.trace_graph(loss)
    columns = {n.title: n.column for n in graph.nodes.values()}
    assert columns == {"w": 0, "x": 0, "Mul": 1, "b": 1, "Add": 2, "Sigmoid": 3, "t": 3,
                       "Sub": 4, "Pow(·, 2)": 5}


# -- labels ----------------------------------------------------------------------------------
def test_labels_show_values_then_gradients_after_backward(device):
    loss, w, b = neuron(device)
    graph = viz.trace_graph(loss)
    assert viz.node_label(by_title(graph, "w")) == ["w", "0.8"]
    assert viz.node_label(by_title(graph, "Mul")) == ["Mul", "1.2"]
    loss.backward()  # frees the graph; the trace still holds the tensors
    assert viz.node_label(by_title(graph, "w")) == ["w", "0.8", f"grad {w.grad.item():.4g}"]
    assert viz.node_label(by_title(graph, "w"), show_grad=False) == ["w", "0.8"]
    assert viz.node_label(by_title(graph, "x")) == ["x", "1.5"]  # a constant has no gradient


def test_labels_of_bigger_tensors_show_shapes_and_named_results():
    m = named(np.arange(12.0).reshape(3, 4), "m", True)
    y = F.tanh(m)
    y.name = "y"
    z = y.sum(dim=0)
    z.retain_grad()
    small = z[:2]
    small.sum().backward(retain_graph=True)
    graph = viz.trace_graph(small)
    assert viz.node_label(by_title(graph, "m")) == ["m", "shape (3, 4)", "grad shape (3, 4)"]
    assert viz.node_label(by_title(graph, "Tanh"))[0] == "y = Tanh"
    values = z.data[:2].tolist()
    assert viz.node_label(graph.nodes[graph.root])[1] == f"[{values[0]:.4g}, {values[1]:.4g}]"


# -- drawing ---------------------------------------------------------------------------------
def test_draw_puts_one_box_per_node_and_writes_a_picture(plt, tmp_path):
    from matplotlib.text import Annotation

    x = named(2.0, "x", True)
    y = F.tanh(x) * F.sigmoid(F.tanh(x)) + x  # x -> Add is a long arrow, with bends
    graph = viz.trace_graph(y)
    assert graph.bends
    fig = viz.draw_graph(graph, title="picture")
    (ax,) = fig.axes
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    boxes = [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]
    assert sorted(boxes) == sorted("\n".join(viz.node_label(n)) for n in graph.nodes.values())
    # One arrow per edge, in one more piece for each bend.
    assert len(arrows) == len(graph.edges) + sum(len(p) for p in graph.bends.values())
    assert ax.get_title() == "picture"
    fig.savefig(tmp_path / "graph.png")
    image = plt.imread(tmp_path / "graph.png")[..., :3]
    assert (image < 0.9).any(axis=-1).mean() > 0.01  # not a blank page


def test_draw_a_traced_graph_after_backward_shows_the_gradients(plt):
    loss, w, _ = neuron()
    graph = viz.trace_graph(loss)
    loss.backward()
    texts = [t.get_text() for t in viz.draw_graph(graph).axes[0].texts]
    assert f"w\n0.8\ngrad {w.grad.item():.4g}" in texts
    assert "Mul\n1.2" in texts  # not retained: an intermediate shows no gradient


def test_draw_into_given_axes_and_a_lone_leaf(plt):
    fig, ax = plt.subplots()
    assert viz.draw_graph(named(3.0, "c"), ax=ax) is fig
    assert [t.get_text() for t in ax.texts] == ["c\n3"]


def test_draw_rejects_what_is_not_a_graph(plt):
    with pytest.raises(TypeError, match="draw_graph: graph must be a Tensor or a Graph"):
        viz.draw_graph([1, 2])


def test_draw_without_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install minigan\[plots\]"):
        viz.draw_graph(named(1.0, "x"))


def test_importing_minigan_and_viz_does_not_import_matplotlib():
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    code = ("import sys, minigan, minigan.viz; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
