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
# # 02 · Gradient checking
#
# Every operation in minigan comes with a hand-written backward, and a wrong backward does not
# crash: training just goes quietly wrong. So every backward is *checked* against the one
# definition of a derivative that needs no calculus, a finite difference. This tutorial:
#
# 1. finite differences by hand, and why their accuracy has a floor (and why it is float64);
# 2. `minigan.gradcheck`, which compares a whole Jacobian with finite differences;
# 3. what a *wrong* gradient looks like, in an operation of your own;
# 4. second derivatives, `minigan.grad(..., create_graph=True)`, and `minigan.gradgradcheck`.

# %%
import numpy as np
from _common import parse_args, plt, save

import minigan
import minigan.functional as F

args = parse_args("Tutorial 02: gradient checking", default_out="runs/02")
minigan.manual_seed(0)

# %% [markdown]
# ## 1. Finite differences by hand
#
# The derivative is the limit of a difference quotient. With a small step $\varepsilon$,
#
# $$\text{forward: } \frac{f(x+\varepsilon) - f(x)}{\varepsilon}, \qquad
#   \text{backward: } \frac{f(x) - f(x-\varepsilon)}{\varepsilon}, \qquad
#   \text{central: } \frac{f(x+\varepsilon) - f(x-\varepsilon)}{2\varepsilon}.$$
#
# Taylor's formula gives their *truncation* error: $f(x \pm \varepsilon) = f \pm \varepsilon f'
# + \tfrac{\varepsilon^2}{2} f'' \pm \tfrac{\varepsilon^3}{6} f''' + \dots$, so the one-sided
# quotients are off by about $\tfrac{\varepsilon}{2}|f''|$, an error $O(\varepsilon)$, while in
# the central one the $f''$ terms cancel and only $\tfrac{\varepsilon^2}{6}|f'''|$ is left,
# $O(\varepsilon^2)$. Smaller $\varepsilon$ is better, until *rounding* takes over: $f$ is
# computed with a relative error of about the unit roundoff $u$ ($2^{-53} \approx 1.1 \times
# 10^{-16}$ in float64, $2^{-24} \approx 6 \times 10^{-8}$ in float32), and dividing by
# $\varepsilon$ blows that up to about $u |f| / \varepsilon$.
#
# We estimate $\tanh'(0.5) = 1 - \tanh^2(0.5)$ with 53 step sizes at once (a tensor of steps),
# computing in float64 and in float32.

# %%
x0 = 0.5
exact = 1 - np.tanh(x0) ** 2
steps = np.logspace(-13, 0, 53)
errors = {}
for dtype in ("float64", "float32"):
    x = minigan.tensor(x0, dtype=dtype)
    eps = minigan.tensor(steps, dtype=dtype)
    f_x, f_plus, f_minus = F.tanh(x), F.tanh(x + eps), F.tanh(x - eps)
    estimates = {"forward": (f_plus - f_x) / eps, "backward": (f_x - f_minus) / eps,
                 "central": (f_plus - f_minus) / (2 * eps)}
    for method, estimate in estimates.items():
        error = np.abs(estimate.numpy().astype(np.float64) - exact)
        errors[dtype, method] = np.where(error > 0, error, np.nan)  # 0 has no place on a log axis
        best = np.nanargmin(errors[dtype, method])
        print(f"{dtype:>7} {method:>8}: best step {steps[best]:.0e}, "
              f"error {errors[dtype, method][best]:.1e}")

# %% [markdown]
# The picture: error against step size, on log-log axes where $C\varepsilon^k$ is a straight line
# of slope $k$. Grey lines are the predictions above: truncation $\tfrac{\varepsilon}{2}|f''|$
# (slope 1) and $\tfrac{\varepsilon^2}{6}|f'''|$ (slope 2), and rounding $u|f|/\varepsilon$
# (slope -1). Each measured curve follows its truncation line from the right, then turns up
# along the rounding line: the best step sits where they cross, near $\sqrt{u}$ for one-sided and
# $u^{1/3}$ for central differences. (At the far left of the float32 panel the step is below
# $u$: $x + \varepsilon$ rounds back to $x$, every estimate is 0 and the error is the whole
# derivative.)

# %%
# |f|, |f''| and |f'''| at x0, with t = tanh x0: f'' = -2t(1 - t^2), f''' = (1 - t^2)(6t^2 - 2).
t = np.tanh(x0)
f0, f2, f3 = t, abs(-2 * t * (1 - t ** 2)), abs((1 - t ** 2) * (6 * t ** 2 - 2))
fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
for ax, dtype in zip(axes, ("float64", "float32")):
    u = np.finfo(dtype).eps / 2
    for method, style in [("forward", "o-"), ("backward", "x-"), ("central", "s-")]:
        ax.loglog(steps, errors[dtype, method], style, ms=3.5, lw=1.2, label=method)
    ax.loglog(steps, f2 / 2 * steps, color="0.5", lw=1, ls=":",
              label="ε|f''|/2 (slope 1)")
    ax.loglog(steps, f3 / 6 * steps ** 2, color="0.5", lw=1, ls="--",
              label="ε²|f'''|/6 (slope 2)")
    ax.loglog(steps, u * f0 / steps, color="0.5", lw=1, ls="-.", label="u|f|/ε (slope -1)")
    ax.set(xlabel="step ε", title=f"{dtype}: unit roundoff u = {u:.1e}", ylim=(1e-14, 10))
    ax.grid(True, which="major", alpha=0.3)
axes[0].set_ylabel("|estimate − exact derivative|")
axes[0].legend(loc="lower left", fontsize=8, ncol=2)
fig.suptitle("finite differences for tanh'(0.5): truncation (right) against rounding (left)")
fig.tight_layout()
save(fig, args.out, "finite_differences.png")

# %% [markdown]
# In float64 the central difference is good to about $10^{-12}$: plenty to tell a right gradient
# from a wrong one. In float32 its best is a few $10^{-6}$, at a step as large as a few
# $10^{-3}$, where truncation already bites: a float32 check could not tell a small bug from
# rounding. That is why gradient checks run in **float64**, and why `gradcheck` refuses
# anything else.

# %% [markdown]
# ## 2. `minigan.gradcheck`
#
# For a function of tensors, `gradcheck` builds the whole Jacobian twice, once from backward (one
# backward pass per output element) and once from central differences (two forward passes per
# input element), and compares them entry by entry. It returns `True` or raises
# `GradcheckError` naming the entry that disagrees. It is called as PyTorch's
# `torch.autograd.gradcheck` is: `gradcheck(fn, inputs)`, the inputs as one tuple (a single
# tensor may stand alone).

# %%
x = minigan.randn(3, 4, dtype=np.float64, requires_grad=True)
w = minigan.randn(4, 2, dtype=np.float64, requires_grad=True)
print("tanh(x @ w):", minigan.gradcheck(lambda x, w: F.tanh(x @ w), (x, w)))

try:
    minigan.gradcheck(F.tanh, x.float().detach().requires_grad_())
except TypeError as error:
    print("in float32:", error)

# %% [markdown]
# A full Jacobian costs a pass per element, too many for a large input. `fast_mode=True` (the
# name PyTorch uses) checks a few random projections $u^\top J v$ instead: one backward and two
# forwards each.

# %%
big = minigan.randn(64, 128, dtype=np.float64, requires_grad=True)
print("random directions, 8192 inputs:",
      minigan.gradcheck(lambda big: F.sigmoid(big).sum(dim=1), big, fast_mode=True))

# %% [markdown]
# ## 3. What a wrong gradient looks like
#
# A new operation is a `minigan.Function`: `forward` on arrays, `backward` on Tensors (see
# tutorial 01 and the `Function` docstring). Take the *softsign*
#
# $$y = \frac{x}{1 + |x|}, \qquad \frac{dy}{dx} = \frac{1}{(1 + |x|)^2},$$
#
# and a version of it with a typical slip: the square in the derivative is forgotten.

# %%
class Softsign(minigan.Function):
    """y = x / (1 + |x|);  dy/dx = 1 / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx, x):
        return x / (1 + ctx.xp.abs(x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.inputs
        return grad_output / (1 + x.abs()) ** 2


class BuggySoftsign(Softsign):
    """The same forward; a backward that forgot the square."""

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.inputs
        return grad_output / (1 + x.abs())  # BUG: should be (1 + |x|) ** 2


x = minigan.randn(5, dtype=np.float64, requires_grad=True)
print("Softsign:", minigan.gradcheck(Softsign.apply, x))
try:
    minigan.gradcheck(BuggySoftsign.apply, x)
except minigan.GradcheckError as error:
    print("BuggySoftsign:", error)

# %% [markdown]
# The message names the input and the element, and gives both numbers: enough to start
# debugging. Plotting the derivative over a range shows the bug at a glance: the buggy backward
# agrees with the finite differences only at $x = 0$, where $(1+|x|)$ and $(1+|x|)^2$ are both 1,
# which is why a check at a single convenient point can miss it.

# %%
grid = minigan.tensor(np.linspace(-4, 4, 161), requires_grad=True)  # float64 from NumPy
h = 1e-6
with minigan.no_grad():
    numerical = ((Softsign.apply(grid + h) - Softsign.apply(grid - h)) / (2 * h)).numpy()
(right,) = minigan.grad(Softsign.apply(grid).sum(), grid)
(wrong,) = minigan.grad(BuggySoftsign.apply(grid).sum(), grid)

fig, ax = plt.subplots(figsize=(7, 4.2))
g = grid.detach().numpy()
ax.plot(g, right.numpy(), color="tab:blue", lw=2, label="Softsign.backward: 1/(1+|x|)²")
ax.plot(g, wrong.numpy(), color="tab:red", lw=2, label="BuggySoftsign.backward: 1/(1+|x|)")
ax.plot(g[::8], numerical[::8], "ko", ms=4, label="central difference of forward")
ax.set(xlabel="x", ylabel="dy/dx", title="a wrong backward, caught by finite differences",
       ylim=(0, 1.45))
ax.legend(loc="upper center", fontsize=9)
save(fig, args.out, "wrong_gradient.png")

# %% [markdown]
# ## 4. Second derivatives
#
# Backward computes the gradient with Tensor operations, so with `create_graph=True` it records
# *those* operations too, and the gradient can be differentiated again. GANs need this: a gradient
# penalty is a loss on a gradient. For $\tanh$, with $t = \tanh x$:
# $\tanh' = 1 - t^2$ and $\tanh'' = -2t(1 - t^2)$.

# %%
xs = minigan.tensor(np.linspace(-3, 3, 121), requires_grad=True)
ys = F.tanh(xs)
# The ys are independent of each other, so d(sum ys)/dx_i = dy_i/dx_i: all the derivatives at once.
(dy,) = minigan.grad(ys.sum(), xs, create_graph=True)
(d2y,) = minigan.grad(dy.sum(), xs)
xv, first, second = xs.detach().numpy(), dy.detach().numpy(), d2y.numpy()
# The formulas, from NumPy's cosh and sinh: tanh' = 1 / cosh^2 x, tanh'' = -2 sinh x / cosh^3 x.
first_formula = 1 / np.cosh(xv) ** 2
second_formula = -2 * np.sinh(xv) / np.cosh(xv) ** 3
print("max error of tanh' :", np.abs(first - first_formula).max())
print("max error of tanh'':", np.abs(second - second_formula).max())

fig, ax = plt.subplots(figsize=(7, 4.2))
curves = [(ys.detach().numpy(), np.tanh(xv), "tanh x (forward)", "tab:gray"),
          (first, first_formula, "tanh' (grad)", "tab:blue"),
          (second, second_formula, "tanh'' (grad of grad)", "tab:red")]
for values, formula, label, color in curves:
    ax.plot(xv, values, color=color, lw=2, label=label)
    ax.plot(xv[::6], formula[::6], "o", color=color, ms=4, mfc="none")
ax.plot([], [], "ko", mfc="none", label="formula (NumPy)")
ax.axhline(0, color="0.8", lw=0.8)
ax.set(xlabel="x", title="grad of grad: tanh and its first two derivatives")
ax.legend(fontsize=8)
save(fig, args.out, "second_derivative.png")

# %% [markdown]
# `gradgradcheck` checks second derivatives the way `gradcheck` checks first ones: it gradchecks
# backward itself, the map $(x, v) \mapsto v^\top J(x)$.

# %%
x = minigan.randn(4, dtype=np.float64, requires_grad=True)
print("tanh, second order:", minigan.gradgradcheck(F.tanh, x))
print("Softsign, second order:", minigan.gradgradcheck(Softsign.apply, x))

# %% [markdown]
# It catches a bug that `gradcheck` cannot see. This softsign saves its derivative as an *array*
# in forward and multiplies by it in backward. Numerically its first derivative is right, so
# `gradcheck` passes; but a saved array is a constant to the graph, so the dependence of the
# derivative on $x$ is lost and the second derivative comes out as zero.

# %%
class SoftsignSavedDerivative(Softsign):
    """Right first derivative, from an array saved in forward: no second derivative."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(1 / (1 + ctx.xp.abs(x)) ** 2)
        return x / (1 + ctx.xp.abs(x))

    @staticmethod
    def backward(ctx, grad_output):
        (derivative,) = ctx.saved_tensors  # a constant Tensor: no graph behind it
        return grad_output * derivative


print("first order: ", minigan.gradcheck(SoftsignSavedDerivative.apply, x))
try:
    minigan.gradgradcheck(SoftsignSavedDerivative.apply, x)
except minigan.GradcheckError as error:
    print("second order:", error)

# %% [markdown]
# The rule that follows, and that every operation in minigan keeps: **backward reads its inputs
# from `ctx.inputs` (or the output from `ctx.output`) and computes with Tensor operations**;
# `ctx.saved_tensors` is only for values whose derivative is zero anyway, such as the 0/1 mask of
# a relu.
#
# ## What to take away
#
# - A central difference is accurate to $O(\varepsilon^2)$ until rounding, $u/\varepsilon$, takes
#   over; in float64 that leaves about 12 good digits, in float32 only 5 or 6.
# - `gradcheck(fn, inputs)` (float64) compares the whole Jacobian; `fast_mode=True` for large
#   inputs.
# - A wrong backward runs fine and is caught only by checking; check over a range of inputs.
# - `create_graph=True` gives second derivatives; `gradgradcheck` checks them, and catches a
#   backward that is right numerically but not differentiable.
