# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Tensors and automatic differentiation
#
# A GAN is two neural networks trained against each other by gradient descent, so everything
# in this course rests on one machine: given a computation that ends in a number (a *loss*),
# find how that number changes when each input changes (its *gradient*). This tutorial opens
# that machine:
#
# 1. tensors, and the graph that operations on them record;
# 2. a tiny neuron, its graph drawn as a picture;
# 3. backward by hand (the chain rule with numbers) against `backward()`;
# 4. gradients *accumulate*, which is why training loops zero them;
# 5. `no_grad`, for computations that need no gradient;
# 6. training the neuron with plain gradient descent.
#
# Run it as a script (`python tutorials/01_tensors_and_autograd.py --out runs/01`) or open it as
# a notebook (it is a jupytext "percent" file). Figures are written to the `--out` folder.

# %%
import numpy as np
from _common import parse_args, plt, progress, save

import minigan
import minigan.functional as F
import minigan.viz as viz

args = parse_args("Tutorial 01: tensors and autograd", default_out="runs/01")
minigan.manual_seed(0)

# %% [markdown]
# ## 1. Tensors record what is done to them
#
# A `Tensor` holds an array of numbers (float32 unless you ask otherwise, as in PyTorch). A
# tensor made with `requires_grad=True` is a *leaf* whose gradient we want; every result
# computed from it remembers the operation that made it in `.grad_fn`. Those records, linked
# together, are the *computation graph*.

# %%
u = minigan.tensor([1.0, 2.0, 3.0], requires_grad=True)
v = u * u + 1
print("u =", u)
print("v = u * u + 1 =", v)
print("u is a leaf:", u.is_leaf, "| v was made by", v.grad_fn, "| dtype", v.dtype, v.shape)

# %% [markdown]
# ## 2. A tiny neuron, and its graph
#
# One input `x`, a weight `w`, a bias `b`, the logistic sigmoid, and a squared error against a
# target `t`:
#
# $$z = w x + b, \qquad a = \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad L = (a - t)^2 .$$
#
# `w` and `b` are what we will learn (`requires_grad=True`); `x` and `t` are data (constants).
# We write it one operation per line and name every tensor, so that the picture is labelled.
# `retain_grad()` asks backward to keep the gradient of an intermediate tensor too (normally
# only leaves keep theirs, to save memory).

# %%
x = minigan.tensor(1.5)
t = minigan.tensor(1.0)
w = minigan.tensor(0.8, requires_grad=True)
b = minigan.tensor(-0.5, requires_grad=True)

wx = w * x
z = wx + b
a = F.sigmoid(z)
e = a - t  # the error
loss = e ** 2
for name, value in dict(x=x, t=t, w=w, b=b, wx=wx, z=z, a=a, e=e, L=loss).items():
    value.name = name
    if not value.is_leaf:
        value.retain_grad()
print(f"z = {z.item():.4f},  a = {a.item():.4f},  L = {loss.item():.4f}")

# %% [markdown]
# `viz.trace_graph` follows the `.grad_fn` records back from `L` and lays them out: leaves on
# the left, `L` on the right, one arrow per input. We keep the trace: it still holds every
# tensor after backward, so we can draw it again later with the gradients.

# %%
graph = viz.trace_graph(loss)
save(viz.draw_graph(graph, title="the neuron's graph, forward values"), args.out, "graph.png")

# %% [markdown]
# ## 3. Backward by hand, then by `backward()`
#
# The chain rule multiplies local derivatives along the path from `L` back to each leaf:
#
# $$\frac{\partial L}{\partial w} = \underbrace{2(a - t)}_{\partial L/\partial a}\;
#   \underbrace{a(1 - a)}_{\partial a/\partial z}\; \underbrace{x}_{\partial z/\partial w},
# \qquad
#   \frac{\partial L}{\partial b} = 2(a - t)\; a(1 - a)\; \underbrace{1}_{\partial z/\partial b}.$$
#
# The factor $\partial L/\partial z$ is shared: backward computes it once and hands it to both
# branches. Here are the numbers, in plain Python:

# %%
x_, t_, w_, b_ = x.item(), t.item(), w.item(), b.item()
z_ = w_ * x_ + b_
a_ = 1 / (1 + np.exp(-z_))
dL_da = 2 * (a_ - t_)
da_dz = a_ * (1 - a_)
dL_dz = dL_da * da_dz
by_hand = {"w": dL_dz * x_, "b": dL_dz * 1.0}
print(f"dL/da = 2(a - t)      = {dL_da:+.6f}")
print(f"da/dz = a(1 - a)      = {da_dz:+.6f}")
print(f"dL/dz = dL/da * da/dz = {dL_dz:+.6f}")
print(f"dL/dw = dL/dz * x     = {by_hand['w']:+.6f}")
print(f"dL/db = dL/dz * 1     = {by_hand['b']:+.6f}")

# %% [markdown]
# `loss.backward()` does the same walk over the recorded graph and stores each leaf's gradient
# in `.grad`. (`retain_graph=True` keeps the graph for a second backward in section 4; normally
# backward frees it to save memory.)

# %%
loss.backward(retain_graph=True)
for name, leaf in [("w", w), ("b", b)]:
    diff = abs(leaf.grad.item() - by_hand[name])
    print(f"dL/d{name}: backward() {leaf.grad.item():+.6f}   by hand {by_hand[name]:+.6f}   "
          f"difference {diff:.1e}")
    # float32 carries about 7 significant digits; the hand computation used float64.
    assert diff < 1e-6, "backward disagrees with the chain rule"
print(f"and the intermediate ones: dL/da = {a.grad.item():+.6f}, dL/dz = {z.grad.item():+.6f}")
print(f"backward starts from dL/dL = {loss.grad.item()}")

# %% [markdown]
# The same picture, now with each tensor's gradient under its value. Read it from right to
# left, the order in which backward filled it in: it starts from $\partial L/\partial L = 1$,
# `Pow` turns that into $2e$, `Sub` passes it on unchanged to `a`, `Sigmoid` multiplies by
# $a(1-a)$, `Add` copies it to both of its inputs, and `Mul` multiplies by the *other* factor.

# %%
save(viz.draw_graph(graph, title="after loss.backward(): gradients under the values"), args.out,
     "graph_grads.png")

# %% [markdown]
# ## 4. Gradients accumulate
#
# A second `backward()` does not *replace* `.grad`: it *adds* to it. So the gradient doubles:

# %%
first = w.grad.item()
loss.backward()
print(f"w.grad after one backward: {first:+.6f}, after two: {w.grad.item():+.6f} "
      f"(ratio {w.grad.item() / first:.1f})")

# %% [markdown]
# This is on purpose. When a parameter feeds several losses, the gradient of their *sum* is the
# sum of their gradients, so backward on each in turn gives the right total; a GAN's
# discriminator does exactly this with its loss on real images and its loss on fakes. The price
# is that a training loop must clear the gradients before each step, otherwise every step would
# also carry all the previous ones. That is what an optimizer's `zero_grad()` does; here we do it
# by hand:

# %%
w.grad = b.grad = None


def neuron_loss(x):
    """The neuron's loss on one input point x (w, b and t as above)."""
    return (F.sigmoid(w * x + b) - t) ** 2


neuron_loss(x).backward()  # one point...
neuron_loss(-x).backward()  # ...and a second one, -x: their gradients add up in w.grad
accumulated = w.grad.item()
w.grad = b.grad = None
(neuron_loss(x) + neuron_loss(-x)).backward()
print(f"backward on each loss, accumulated: {accumulated:+.6f}; "
      f"backward on their sum: {w.grad.item():+.6f}")
w.grad = b.grad = None

# %% [markdown]
# ## 5. `no_grad`: computing without recording
#
# Recording a graph costs memory (every intermediate array is kept for backward). When no
# gradient is needed (evaluating a model, drawing a curve, updating the parameters themselves)
# wrap the computation in `minigan.no_grad()`: results are plain constants.

# %%
with minigan.no_grad():
    z_eval = w * x + b
print("inside no_grad:  requires_grad =", z_eval.requires_grad, "| grad_fn =", z_eval.grad_fn)
print("outside:         requires_grad =", (w * x + b).requires_grad)
print("detach() cuts one tensor off the graph:", (w * x + b).detach().requires_grad)

# %% [markdown]
# ## 6. Training the neuron: gradient descent
#
# Now the neuron meets data: noisy points scattered around a logistic curve with
# $w^\star = 1.7,\ b^\star = 0.6$. Starting from a bad guess, we repeat
#
# 1. forward: the mean squared error over all points, $L(w, b)$;
# 2. backward: $\partial L / \partial w$ and $\partial L / \partial b$;
# 3. a step downhill, $w \leftarrow w - \eta\, \partial L / \partial w$ (same for $b$), and the
#    gradients cleared.
#
# The update changes the numbers *inside* the leaves (`p.data`), so `w` and `b` stay the same
# leaf tensors and no graph is recorded for the update itself.

# %%
n_points, true_w, true_b = 40, 1.7, 0.6
xs = minigan.rand(n_points) * 8 - 4
ys = F.sigmoid(true_w * xs + true_b) + 0.06 * minigan.randn(n_points)

w = minigan.tensor(-1.0, requires_grad=True)
b = minigan.tensor(0.0, requires_grad=True)
start = (w.item(), b.item())
learning_rate = 1.5
steps = 150 if args.quick else 400


def mse(w, b):
    """The loss: mean over the points of (sigmoid(w x + b) - y)^2."""
    return ((F.sigmoid(w * xs + b) - ys) ** 2).mean()


losses, path = [], [start]
for _ in progress(range(steps), desc="gradient descent"):
    loss = mse(w, b)
    loss.backward()
    for p in (w, b):
        p.data -= learning_rate * p.grad.data
        p.grad = None
    losses.append(loss.item())
    path.append((w.item(), b.item()))
print(f"after {steps} steps: w = {w.item():.3f} (true {true_w}), b = {b.item():.3f} "
      f"(true {true_b}), loss {losses[0]:.4f} -> {losses[-1]:.4f}")

# %% [markdown]
# Three views of the run. Left: the data, the true curve, the starting guess and the fitted
# curve. Middle: the loss falls fast and then levels off at the noise floor (the points scatter
# around the curve with standard deviation 0.06, so no curve gets the error much below
# $0.06^2 \approx 0.0036$). Right: the loss as a landscape over $(w, b)$ and the path gradient
# descent took across it: downhill, crossing the contour lines about at right angles (the
# gradient is perpendicular to them; the steps are not infinitely small). It ends at the
# minimum for *these* 40 noisy points, near the true $(w^\star, b^\star)$ but not on it. The
# landscape is 3600 evaluations of the loss that need no gradient: `no_grad`'s job.

# %%
with minigan.no_grad():
    grid = minigan.tensor(np.linspace(-4.5, 4.5, 200))
    fitted = F.sigmoid(w * grid + b).numpy()
    initial = F.sigmoid(start[0] * grid + start[1]).numpy()
    truth = F.sigmoid(true_w * grid + true_b).numpy()
    ws = minigan.tensor(np.linspace(-1.5, 3.5, 60)).reshape(60, 1, 1)
    bs = minigan.tensor(np.linspace(-1.5, 2.5, 60)).reshape(1, 60, 1)
    landscape = ((F.sigmoid(ws * xs + bs) - ys) ** 2).mean(dim=2).numpy()

fig, (ax_fit, ax_loss, ax_land) = plt.subplots(1, 3, figsize=(15, 4.2))
ax_fit.scatter(xs.numpy(), ys.numpy(), s=14, color="0.3", label="noisy data")
ax_fit.plot(grid.numpy(), truth, "--", color="tab:green", label="true curve")
ax_fit.plot(grid.numpy(), initial, ":", color="tab:red", label="start")
ax_fit.plot(grid.numpy(), fitted, color="tab:blue", lw=2, label="after gradient descent")
ax_fit.set(xlabel="x", ylabel="y", title="fitting sigmoid(w x + b)")
ax_fit.legend(fontsize=8)
ax_loss.plot(losses, label="training loss")
ax_loss.axhline(0.06 ** 2, color="0.5", ls="--", lw=1, label="noise variance $0.06^2$")
ax_loss.legend(fontsize=8)
ax_loss.set(yscale="log", xlabel="step", ylabel="mean squared error", title="loss")
path_w, path_b = zip(*path)
ax_land.contour(np.linspace(-1.5, 3.5, 60), np.linspace(-1.5, 2.5, 60), landscape.T,
                levels=np.geomspace(landscape.min() * 1.05, landscape.max(), 14), cmap="viridis")
ax_land.plot(path_w, path_b, ".-", color="tab:red", ms=3, lw=1, label="gradient descent")
ax_land.plot(true_w, true_b, "*", color="tab:green", ms=12, label="true (w, b)")
ax_land.set(xlabel="w", ylabel="b", title="loss landscape and the path taken", aspect="equal")
ax_land.legend(fontsize=8)
fig.tight_layout()
save(fig, args.out, "fit.png")

# %% [markdown]
# ## What to take away
#
# - Operations on tensors that require grad record a graph; `backward()` walks it from the
#   loss back to the leaves, multiplying local derivatives: the chain rule, nothing more.
# - Gradients accumulate into `.grad`; clear them before every step.
# - `no_grad()` switches recording off when no gradient is needed.
# - Forward, backward, step, repeat: that loop trains every model in this course, the two
#   networks of a GAN included. Next, tutorial 02 checks that the gradients are right.
