"""Maxout's max over the pieces of each unit, as array math.

For x of shape (*, units, pieces), y[..., i] = max_j x[..., i, j], and the gradient of a unit
goes to the piece that won, split evenly on ties (the rule of ``amax``, which this replaces).

Why not ``x.max(axis=-1)``: NumPy's reduction over a short last axis runs its inner loop once
per unit, over 5 values, and pays the loop's setup every time. ``pieces - 1`` elementwise
maximums of strided views (piece 0 of every unit, piece 1 of every unit...) are single fast
loops over all units. On the paper preset's discriminator layers, (100, 200 units, 5 pieces)
float32, forward + backward took 0.23 ms instead of 2.7 ms (indicative, loaded 2-core machine;
backward's share is one comparison and a count instead of amax's comparison, two reductions
and a division). Both give the same bits: ``max`` is exact, so the order of the comparisons
does not matter.
"""


def piece_max(xp, x):
    """y = max over the last axis of x (*, units, pieces): shape (*, units)."""
    y = x[..., 0].copy()
    for j in range(1, x.shape[-1]):
        xp.maximum(y, x[..., j], out=y)
    return y


def piece_share(xp, x, y):
    """Which pieces won: an array of x's shape whose product with the broadcast gradient is
    the gradient of x. Where no unit has a tie (the rule for real-valued inputs), the boolean
    ``x == y``, whose product with g is exactly g or 0; with a tie (or a NaN), the float shares
    1/k of the k tied pieces, as ``amax`` gives them."""
    hits = x == y[..., None]
    if xp.count_nonzero(hits) == y.size and (y == y).all():
        return hits  # one winner per unit
    return hits / hits.sum(axis=-1, keepdims=True, dtype=x.dtype)
