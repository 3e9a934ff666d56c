"""Reverse mode: walk the graph from the outputs back to the inputs, applying the chain rule.

The graph is made of ``Function`` nodes; a Tensor made by an operation points to its node
(``t.grad_fn``), and each node keeps the Tensors it was called with (``node.inputs``). Backward
visits the nodes in reverse topological order, so a node runs only after every node that used
its output has passed its share of the gradient back: that share is summed (the multivariate
chain rule) and handed to the node's ``backward``.

Two entry points share one walk:

- ``backward(tensors, grad_tensors)`` accumulates into the ``.grad`` of the leaves, like
  ``loss.backward()`` in PyTorch;
- ``grad(outputs, inputs)`` returns the gradients with respect to ``inputs`` and touches no
  ``.grad``; with ``create_graph=True`` the gradients are themselves differentiable.
"""

from ..backend import DeviceError
from ..inplace import inplace_writes
from . import grad_mode
from .function import GraphFreedError


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _topological_order(roots):
    """Nodes reachable from ``roots``, each listed before the nodes that produced its inputs."""
    order, visited = [], set()
    stack = [(r.grad_fn, False) for r in roots if r.grad_fn is not None]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        node._check_not_freed()
        stack.append((node, True))
        for t in node.inputs:
            if isinstance(t, Tensor) and t.grad_fn is not None and t.grad_fn not in visited:
                stack.append((t.grad_fn, False))
    order.reverse()
    return order


def _nodes_leading_to(order, targets):
    """Keep only the nodes through which a gradient can reach one of ``targets``."""
    target_leaves = {id(t) for t in targets if t.grad_fn is None}
    target_nodes = {t.grad_fn for t in targets if t.grad_fn is not None}
    needed = set()
    for node in reversed(order):  # producers first
        for t in node.inputs:
            if isinstance(t, Tensor) and (id(t) in target_leaves or t.grad_fn in target_nodes
                                          or t.grad_fn in needed):
                needed.add(node)
                break
    return [node for node in order if node in needed]


def _same_kind(a, b):
    """Arrays of one shape, dtype and device: the common case, which needs no further check."""
    return a.shape == b.shape and a.dtype == b.dtype and type(a) is type(b)


def _conform(g, t, what):
    """``g`` checked as the gradient of ``t``: the same shape and device (or an error that starts
    with ``what``), and cast to t's dtype, as PyTorch does: a float32 tensor multiplied by
    float64 data gets a float64 gradient, but a tensor and its ``.grad`` share one dtype."""
    if g.shape != t.shape:
        raise ValueError(f"{what} has shape {g.shape}, but the tensor it is the gradient of has "
                         f"shape {t.shape}: a gradient has the shape of what it is the gradient of")
    if g.device != t.device:
        raise DeviceError(f"{what} is on '{g.device}', but the tensor it is the gradient of is on "
                          f"'{t.device}'")
    return g if g.dtype == t.dtype else g.to(dtype=t.dtype)


def _checked_gradient(node, i, inp, g):
    """The gradient that ``node.backward`` returned for its argument ``i``, checked."""
    name = type(node).__name__
    if not isinstance(g, Tensor):
        raise TypeError(
            f"{name}.backward returned a {type(g).__name__} for argument {i}; it must return a "
            "Tensor (built with Tensor operations, so that it is differentiable) or None")
    return _conform(g, inp, f"the gradient {name}.backward returned for argument {i}")


def _execute(roots, root_grads, retain_graph, create_graph, targets=None):
    """The backward walk. Returns the gradients of the leaves (by id) and of the outputs of the
    nodes the caller reads: the targets' nodes for grad(), those under retain_grad() for
    backward()."""
    order = _topological_order(roots)
    if targets is None:
        def wanted(node):
            return node._retained is not None
    else:
        order = _nodes_leading_to(order, targets)
        wanted = {t.grad_fn for t in targets if t.grad_fn is not None}.__contains__

    node_grads = {}  # node -> summed gradient of its output
    leaf_grads = {}  # id(leaf) -> [leaf, summed gradient]
    reached = {}  # node -> gradient of its output, kept only where wanted (the rest is freed)

    def accumulate(t, g):
        if t.grad_fn is not None:
            old = node_grads.get(t.grad_fn)
            node_grads[t.grad_fn] = g if old is None else old + g
        elif t.requires_grad:
            entry = leaf_grads.get(id(t))
            if entry is None:
                leaf_grads[id(t)] = [t, g]
            else:
                entry[1] = entry[1] + g

    with grad_mode.set_grad_enabled(create_graph):
        for r, g in zip(roots, root_grads):
            accumulate(r, g)
        for node in order:
            g = node_grads.pop(node, None)
            if g is None:
                continue
            if wanted(node):
                reached[node] = g
            node._check_not_freed()
            if node._versions[0] != inplace_writes[0]:  # some tensor was written since forward
                node._check_versions()
            grads = _as_tuple(node.backward(node, g))
            if len(grads) != len(node.inputs):
                raise ValueError(
                    f"{type(node).__name__}.backward returned {len(grads)} gradients, but forward "
                    f"took {len(node.inputs)} arguments: return one per argument (None for those "
                    "that need none)")
            for i, (inp, gi) in enumerate(zip(node.inputs, grads)):
                if gi is None or not node.needs_input_grad[i]:
                    continue
                if not (type(gi) is Tensor and _same_kind(gi._data, inp._data)):
                    gi = _checked_gradient(node, i, inp, gi)  # raises, or casts the dtype
                accumulate(inp, gi)
            if not retain_graph:
                node.release()
    reached.update(node_grads)  # targets whose own node was not needed keep their gradient here
    return leaf_grads, reached


def _root_gradients(outputs, grad_outputs, caller):
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    grad_outputs = _as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{caller}: got {len(outputs)} outputs but {len(grad_outputs)} "
                         "gradients for them")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{caller}: output {i} must be a Tensor, got {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError(
                f"{caller}: output {i} does not require grad: nothing it was computed from has "
                "requires_grad=True (or it was computed under no_grad)")
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"{caller}: output {i} has shape {out.shape}; a gradient for it can be "
                    "implicit only for a scalar: pass the gradient of the loss with respect to it "
                    "(a Tensor of that shape)")
            g = Tensor._from_op(out.xp.ones_like(out.data), None)
        else:
            g = g if isinstance(g, Tensor) else Tensor(g, dtype=out.dtype, device=out.device)
            g = _conform(g, out, f"{caller}: the gradient for output {i}")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate d(tensors)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

    Gradients *accumulate*, as in PyTorch: call ``zero_grad()`` (or set ``.grad = None``)
    between steps. ``retain_graph`` keeps the graph for another backward through it; it
    defaults to ``create_graph``.
    """
    tensors = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_gradients(tensors, grad_tensors, "backward()")
    leaf_grads, reached = _execute(tensors, roots, retain_graph, create_graph)
    with grad_mode.set_grad_enabled(create_graph):
        for t, g in leaf_grads.values():
            t.grad = g if t.grad is None else t.grad + g
        for node, g in reached.items():
            kept = node._retained() if node._retained is not None else None
            if kept is not None:
                kept.grad = g if kept.grad is None else kept.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, *,
         allow_unused=False):
    """Return d(outputs)/d(inputs) as a tuple of Tensors, one per input; no ``.grad`` changes.

    ``outputs`` is a Tensor or a sequence of them; for a non-scalar output pass
    ``grad_outputs``, the vector in the vector-Jacobian product. With ``create_graph=True`` the
    result is differentiable (``grad`` of ``grad`` gives second derivatives). An input that the
    outputs do not depend on raises unless ``allow_unused=True``, which returns ``None`` for it.
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise ValueError(f"grad(): input {i} must be a Tensor with requires_grad=True")
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_gradients(outputs, grad_outputs, "grad()")
    leaf_grads, reached = _execute(outputs, roots, retain_graph, create_graph, targets=inputs)
    result = []
    for i, t in enumerate(inputs):
        g = (leaf_grads.get(id(t), (None, None))[1] if t.grad_fn is None
             else reached.get(t.grad_fn))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} was not used to compute the outputs; pass allow_unused=True "
                "to get None for it")
        result.append(g)
    return tuple(result)


__all__ = ["backward", "grad", "GraphFreedError"]

# Imported last: tensor.py imports this module.
from ..tensor import Tensor  # noqa: E402
