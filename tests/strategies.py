"""Hypothesis strategies for the op tests: shapes, values and memory layouts.

Three concerns, each a small strategy that the op table in ``test_ops.py`` composes:

- *shapes* are small, because a gradient check builds the full Jacobian, whose cost grows with
  the square of the size; they include 0-d tensors and pairs that broadcast;
- *values* stay away from the points where an op is not differentiable (relu at 0, ties of max,
  log of non-positive numbers): a central difference across a kink measures neither one-sided
  derivative, so the check would fail for a correct op;
- *layouts* hand the same values over contiguous, transposed, or as a strided or reversed view of
  a larger buffer: an op that silently assumed C-contiguous data would pass every test that only
  ever gave it freshly made arrays.

A differentiable argument is drawn as an :class:`Input` (values and layout); everything else an
op takes (dims, shapes, scalars, integer targets, index arrays) is drawn as a plain value.
"""

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# -- values --------------------------------------------------------------------------------

SMOOTH = st.floats(-2.0, 2.0)
POSITIVE = st.floats(0.5, 2.5)  # log, sqrt, a base of a real power


def away_from(*kinks, margin=0.2, lo=-2.0, hi=2.0):
    """Floats in [lo, hi] at least ``margin`` from every kink: a value drawn too close is pushed
    out to the nearer side (the margin dwarfs the gradient check's step of 1e-6)."""
    def push(v):
        for k in kinks:
            if abs(v - k) < margin:
                v = k + margin if v >= k else k - margin
        return v
    return st.floats(lo, hi).map(push)


NONZERO = away_from(0.0, margin=0.5)  # denominators, relu/abs/leaky_relu arguments
# Exponents of a ** b. Where b == 0 exactly PyTorch sets d/da to 0 with a `where` (a ** -1 may be
# infinite there), which also zeroes its d2/da db; the exact value, 1, is what minigan gives.
EXPONENTS = away_from(0.0, margin=0.1)


def band(lo, hi):
    """Floats k + f with an integer k in [-2, 1] and f in [lo, hi] (0 <= lo < hi <= 1).

    Two arrays drawn from disjoint bands never come within the gap between the bands of each
    other, whatever broadcasting pairs up: the way to keep ``maximum(a, b)`` away from ties.
    """
    return st.builds(lambda k, f: k + f, st.integers(-2, 1), st.floats(lo, hi))


LOW_BAND, HIGH_BAND = band(0.05, 0.45), band(0.55, 0.95)  # at least 0.1 apart, modulo 1

# -- layouts ---------------------------------------------------------------------------------

STEPS = (1, 2, -1, -2)  # -1 reverses an axis; 2 leaves gaps (filled with NaN) between elements


@dataclass(eq=False)
class Input:
    """A differentiable argument: float64 ``values`` and how they sit in memory.

    ``perm`` is the order in which the axes are stored (a non-identity order is a transposed
    view); ``steps[i]`` is the step along stored axis i through a larger buffer. The buffer's
    other elements are NaN, so an op that read outside the view would produce NaN.
    """

    values: np.ndarray
    perm: tuple = None
    steps: tuple = None

    def array(self, xp, dtype=np.float64):
        """The values as a fresh array of module ``xp``, laid out as described."""
        values = self.values.astype(dtype)
        perm = tuple(range(values.ndim)) if self.perm is None else self.perm
        steps = (1,) * values.ndim if self.steps is None else self.steps
        stored = values.transpose(perm)
        buffer = xp.full(tuple(n * abs(s) for n, s in zip(stored.shape, steps)), xp.nan, dtype)
        # Indexing with a leading Ellipsis gives a view even of a 0-d buffer (not a scalar).
        view = buffer[(Ellipsis,) + tuple(slice(None, None, s) for s in steps)]
        view[...] = xp.asarray(stored)
        return view.transpose(tuple(int(i) for i in np.argsort(perm)))


@st.composite
def inputs(draw, shape, elements=SMOOTH, unique=False):
    """An :class:`Input` of ``shape`` (a tuple or a strategy for one) with values from
    ``elements``; ``unique=True`` gives distinct values at least 0.1 apart (max/min without
    ties)."""
    if not isinstance(shape, tuple):
        shape = draw(shape)
    if unique:
        values = draw(hnp.arrays(np.int64, shape, elements=st.integers(-40, 40), unique=True))
        values = values * 0.1
    else:
        values = draw(hnp.arrays(np.float64, shape, elements=elements))
    ndim = len(shape)
    perm = tuple(draw(st.permutations(range(ndim))))
    steps = tuple(draw(st.lists(st.sampled_from(STEPS), min_size=ndim, max_size=ndim)))
    return Input(values, perm, steps)


# -- shapes ----------------------------------------------------------------------------------

def shapes(min_dims=0, max_dims=3, min_side=1, max_side=3):
    """Array shapes with at most ``max_dims`` axes of sizes in [min_side, max_side]."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


# Pairs that the issue names, tried alongside the random ones: a middle size-1 axis against a
# shorter shape, and 0-d tensors against others.
NAMED_PAIRS = [((3, 1, 4), (2, 4)), ((), (2, 3)), ((2, 1), ()), ((1,), (3, 1))]


def broadcast_shapes(num_shapes=2, max_dims=3, max_side=3):
    """``num_shapes`` shapes that broadcast together (NumPy's rules)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=0,
                                             max_dims=max_dims,
                                             max_side=max_side).map(lambda b: b.input_shapes)


def pairs(first=SMOOTH, second=SMOOTH):
    """Two broadcastable :class:`Input` s, with values from ``first`` and ``second``."""
    both = st.one_of(st.sampled_from(NAMED_PAIRS), broadcast_shapes())
    return both.flatmap(lambda s: st.tuples(inputs(s[0], first), inputs(s[1], second)))


def dims(ndim):
    """A ``dim`` argument of a reduction: None (all), one axis (maybe negative), or a tuple."""
    if ndim == 0:
        return st.none()
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                     st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                              unique=True).map(tuple))


# -- arguments of particular ops ----------------------------------------------------------------

@st.composite
def reductions(draw, unique=False, all_dims=True, single_dim=False, min_dims=0):
    """(x, dim, keepdim) for sum, mean, max...: dim may be None (``all_dims``), an int or a
    tuple, or only an int (``single_dim``, for softmax); ``unique`` values avoid ties."""
    shape = draw(shapes(min_dims=min_dims if all_dims and not single_dim else 1))
    ndim = len(shape)
    if single_dim:
        dim = draw(st.integers(-ndim, ndim - 1))
    else:
        dim = draw(dims(ndim).filter(lambda d: all_dims or d is not None))
    return draw(inputs(shape, unique=unique)), dim, draw(st.booleans())


@st.composite
def variances(draw):
    """(x, dim, keepdim, correction) with at least one degree of freedom left."""
    x, dim, keepdim = draw(reductions(min_dims=1))
    shape = x.values.shape
    axes = range(len(shape)) if dim is None else np.atleast_1d(dim)
    count = math.prod(shape[a] for a in axes)
    correction = draw(st.sampled_from([0, 1])) if count > 1 else 0
    return x, dim, keepdim, correction


@st.composite
def matmuls(draw):
    """(a, b) for matmul: matrices, stacks whose batch dims broadcast, and 1-D operands."""
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch_a, batch_b = draw(broadcast_shapes(max_dims=2, max_side=2))
    a_shape = (k,) if draw(st.booleans()) else batch_a + (n, k)
    b_shape = (k,) if draw(st.booleans()) else batch_b + (k, m)
    return draw(inputs(a_shape)), draw(inputs(b_shape))


@st.composite
def _basic_index(draw, shape, reverse):
    """A tuple of ints, slices (steps of 1 or 2, and -1/-2 when ``reverse``), None and
    Ellipsis."""
    parts = []
    for n in shape:
        if draw(st.booleans()):
            parts.append(draw(st.integers(-n, n - 1)))
        else:
            ends = st.none() | st.integers(-n, n)
            steps = [None, 1, 2] + ([-1, -2] if reverse else [])
            parts.append(slice(draw(ends), draw(ends), draw(st.sampled_from(steps))))
    if draw(st.booleans()):
        # "all the axes in between": the parts after the Ellipsis index the trailing axes, so it
        # replaces a span of the full list (and nothing may be cut off the end afterwards).
        i = draw(st.integers(0, len(parts)))
        j = draw(st.integers(i, len(parts)))
        parts[i:j] = [Ellipsis]
    else:
        parts = parts[:draw(st.integers(0, len(parts)))]  # trailing axes may be left out
    for _ in range(draw(st.integers(0, 2))):
        parts.insert(draw(st.integers(0, len(parts))), None)
    return tuple(parts)


@st.composite
def indexings(draw, reverse=True):
    """(x, index): basic indexing, integer arrays (repeats included) or a boolean mask.

    Index arrays are NumPy arrays; the harness turns them into constant tensors. PyTorch has no
    negative slice steps: ``reverse=False`` leaves them out for the comparison with it.
    """
    shape = draw(shapes(min_dims=1, max_side=4))
    kind = draw(st.sampled_from(["basic", "integer array", "two integer arrays", "mask"]))
    if kind == "basic":
        index = draw(_basic_index(shape, reverse))
    elif kind == "mask":
        k = draw(st.integers(1, len(shape)))
        index = draw(hnp.arrays(np.bool_, shape[:k]))
    else:
        axis = draw(st.integers(0, len(shape) - 1))
        count = 2 if kind == "two integer arrays" and axis + 1 < len(shape) else 1
        index_shape = draw(shapes(min_dims=1, max_dims=2, max_side=4))
        arrays = tuple(draw(hnp.arrays(np.int64, index_shape,
                                       elements=st.integers(-shape[a], shape[a] - 1)))
                       for a in range(axis, axis + count))
        index = (slice(None),) * axis + arrays
    return draw(inputs(shape)), index


def _factorizations(size, max_dims=3):
    """All shapes of at most ``max_dims`` axes whose sizes multiply to ``size``."""
    found = [()] if size == 1 else []
    frontier = [((), size)]
    for _ in range(max_dims):
        frontier = [(s + (d,), rest // d) for s, rest in frontier
                    for d in range(1, rest + 1) if rest % d == 0]
        found += [s for s, rest in frontier if rest == 1]
    return found


@st.composite
def reshapes(draw):
    """(x, shape) with the same number of elements; one entry may be -1 (inferred)."""
    x = draw(inputs(shapes()))
    target = list(draw(st.sampled_from(_factorizations(x.values.size))))
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return x, tuple(target)


@st.composite
def permutes(draw):
    x = draw(inputs(shapes(min_dims=1)))
    return x, tuple(draw(st.permutations(range(x.values.ndim))))


@st.composite
def transposes(draw):
    x = draw(inputs(shapes(min_dims=1)))
    ndim = x.values.ndim
    return x, draw(st.integers(-ndim, ndim - 1)), draw(st.integers(-ndim, ndim - 1))


@st.composite
def flattens(draw):
    x = draw(inputs(shapes(min_dims=1)))
    ndim = x.values.ndim
    start, end = sorted(draw(st.lists(st.integers(0, ndim - 1), min_size=2, max_size=2)))
    negative = draw(st.booleans())  # the same axes, counted from the end
    return x, start - ndim if negative else start, end - ndim if negative else end


@st.composite
def unsqueezes(draw):
    x = draw(inputs(shapes()))
    ndim = x.values.ndim
    return x, draw(st.integers(-ndim - 1, ndim))


@st.composite
def squeezes(draw):
    """(x, dim) for a shape rich in size-1 axes; dim None squeezes them all."""
    x = draw(inputs(shapes(min_dims=1, max_side=2)))
    ndim = x.values.ndim
    return x, draw(st.none() | st.integers(-ndim, ndim - 1))


@st.composite
def broadcasts(draw):
    """(small, big): ``small`` broadcasts to ``big``."""
    small = draw(shapes())
    other = draw(hnp.broadcastable_shapes(small, min_dims=0, max_dims=3, max_side=3))
    return small, tuple(np.broadcast_shapes(small, other))


def broadcast_tos():
    return broadcasts().flatmap(lambda s: st.tuples(inputs(s[0]), st.just(s[1])))


def sum_tos():
    return broadcasts().flatmap(lambda s: st.tuples(inputs(s[1]), st.just(s[0])))


@st.composite
def cats(draw):
    """(tensors, dim): 1-3 tensors whose shapes differ only along ``dim``."""
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    dim = draw(st.integers(-ndim, ndim - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    axis = dim % ndim
    xs = tuple(draw(inputs(shape[:axis] + (n,) + shape[axis + 1:])) for n in sizes)
    return xs, dim


@st.composite
def stacks(draw):
    shape = draw(shapes())
    ndim = len(shape)
    count = draw(st.integers(1, 3))
    return tuple(draw(inputs(shape)) for _ in range(count)), draw(st.integers(-ndim - 1, ndim))


@st.composite
def pads(draw):
    """(x, pad, value) in PyTorch's order: (left, right) of the last axis first."""
    x = draw(inputs(shapes(min_dims=1)))
    count = draw(st.integers(1, x.values.ndim))
    widths = tuple(draw(st.lists(st.integers(0, 2), min_size=2 * count, max_size=2 * count)))
    return x, widths, draw(SMOOTH)


@st.composite
def cross_entropies(draw):
    """(logits (N, C), integer targets (N,), reduction)."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    target = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return draw(inputs((n, c))), target, draw(st.sampled_from(["mean", "sum", "none"]))


def wheres():
    """(cond, a, b), broadcast together; cond is a constant boolean array."""
    return broadcast_shapes(num_shapes=3).flatmap(
        lambda s: st.tuples(hnp.arrays(np.bool_, s[0]), inputs(s[1]), inputs(s[2])))


@st.composite
def clamps(draw):
    """(x, min, max) with x away from whichever bounds are given."""
    lo, hi = draw(st.sampled_from([(-0.5, 0.5), (None, 0.3), (-0.3, None)]))
    values = away_from(*[b for b in (lo, hi) if b is not None], margin=0.1)
    return draw(inputs(shapes(), values)), lo, hi
