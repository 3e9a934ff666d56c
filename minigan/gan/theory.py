"""GAN theory, computed: the optimal discriminator, the Jensen-Shannon divergence and C(G).

For distributions whose densities are known (the Gaussian mixtures of :mod:`minigan.data`), the
quantities of Goodfellow et al. (2014) can be computed rather than trained for. The game is

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))],

and for a fixed generator:

- the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x))
  (:func:`optimal_discriminator`);
- the value it reaches is C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g)
  (:func:`training_criterion`, :func:`js_divergence`), so the generator, minimising C(G),
  minimises the Jensen-Shannon divergence, and C(G) = -log 4 exactly when p_g = p_data.

The derivations are in ``docs/theory.md``. Everything here works from log densities: D* is the
sigmoid of the log density ratio, log p_data - log p_g, which stays an ordinary number where
both densities underflow to 0. Integrals over the line use the trapezoidal rule on a fine grid
(:func:`integration_grid`); for smooth densities that decay fast it converges faster than any
power of the step, so the results are accurate to about 1e-12. In more dimensions the
divergence is a Monte Carlo average with its standard error (:func:`js_divergence_mc`).

A discriminator is given by its *logits* l(x) (D = sigmoid(l)), as the GAN losses take them:
log D = -softplus(-l) and log(1 - D) = -softplus(l) are then finite for every finite logit.
"""

import math
from collections import namedtuple

import numpy as np

from .. import backend
from .._checks import check_int
from ..autograd import no_grad
from ..nn import Module
from ..tensor import Tensor

LOG_4 = math.log(4.0)  # -C(G) at the optimum p_g = p_data

_TAILS = 12.0  # the grid reaches 12 standard deviations past the outermost modes: exp(-72)
_STEPS_PER_STD = 16  # grid points per standard deviation of the narrowest component
_MIN_POINTS = 2001
_MAX_POINTS = 10_000_000


def _log_sigmoid(logit):
    """log sigmoid(l) = -log(1 + e^-l), finite for every finite l."""
    return -np.logaddexp(0.0, -logit)


def _check_pair(caller, p, q):
    if p.dim != q.dim:
        raise ValueError(f"{caller}: the two distributions must have the same dimension, got "
                         f"{p.dim} and {q.dim}")


# -- the optimal discriminator ---------------------------------------------------------------

def optimal_logit(p_data, p_g, x):
    """The logit of D*: log p_data(x) - log p_g(x), for x of shape (n, d); shape (n,)."""
    _check_pair("optimal_logit", p_data, p_g)
    return p_data.log_density(x) - p_g.log_density(x)


def optimal_discriminator(p_data, p_g, x):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) = sigmoid(log p_data(x) - log p_g(x)).

    The discriminator that maximises V(D, G) for this p_g (docs/theory.md, step 1); x of shape
    (n, d), result of shape (n,) in [0, 1]. 1/2 wherever the two densities are equal.
    """
    return np.exp(_log_sigmoid(optimal_logit(p_data, p_g, x)))


# -- integrals on the line -------------------------------------------------------------------

def integration_grid(*distributions, num_points=None):
    """Points and trapezoidal weights for integrals over the line: ``(x, w)`` with x of shape
    (n, 1) and w of shape (n,), so that  integral f(x) dx  ~  sum_i w_i f(x_i).

    The grid covers every component of every distribution out to 12 standard deviations
    (beyond it a density is below e^-72 of its peak) with 16 points per standard deviation of
    the narrowest component (at least 2001 points), unless ``num_points`` says otherwise.
    """
    for dist in distributions:
        if dist.dim != 1:
            raise ValueError(f"integration_grid: quadrature is for distributions on the line "
                             f"(dim 1), got dim {dist.dim}; in more dimensions use "
                             f"js_divergence_mc")
    low = min(float((d.means[:, 0] - _TAILS * d.stds).min()) for d in distributions)
    high = max(float((d.means[:, 0] + _TAILS * d.stds).max()) for d in distributions)
    if num_points is None:
        narrowest = min(float(d.stds.min()) for d in distributions)
        num_points = max(_MIN_POINTS, math.ceil((high - low) / narrowest * _STEPS_PER_STD) + 1)
        if num_points > _MAX_POINTS:
            raise ValueError(f"integration_grid: resolving components of std {narrowest:g} over "
                             f"[{low:g}, {high:g}] takes {num_points:,} points; pass num_points "
                             f"to choose fewer")
    else:
        num_points = check_int(num_points, "num_points", "integration_grid", minimum=2)
    x, step = np.linspace(low, high, num_points, retstep=True)
    weights = np.full(num_points, step)
    weights[[0, -1]] = step / 2
    return x[:, None], weights


def _logits_on(discriminator, x):
    """The logits of ``discriminator`` at the points x (n, d), as a float64 array (n,).

    ``discriminator`` is a :class:`~minigan.nn.Module` (run as it is, under ``no_grad``, on a
    tensor of its parameters' dtype and device) or a function from NumPy arrays to logits.
    """
    if isinstance(discriminator, Module):
        param = next(discriminator.parameters(), None)
        dtype, device = (np.float32, "cpu") if param is None else (param.dtype, param.device)
        with no_grad():
            logits = discriminator(Tensor(x, dtype=dtype, device=device))
    else:
        logits = discriminator(x)
    if isinstance(logits, Tensor):
        logits = logits.detach().data
    logits = np.asarray(backend.as_numpy(logits) if backend.is_array(logits) else logits,
                        dtype=np.float64)
    if logits.shape not in ((len(x),), (len(x), 1)):
        raise ValueError(f"value_function: the discriminator must give one logit per point, "
                         f"shape ({len(x)},) or ({len(x)}, 1), got {logits.shape}")
    return logits.reshape(len(x))


def value_function(discriminator, p_data, p_g, num_points=None):
    """V(D, G) = integral [p_data(x) log D(x) + p_g(x) log(1 - D(x))] dx, by quadrature.

    ``discriminator`` gives logits l (D = sigmoid(l)): a Module mapping (n, 1) to (n, 1) or
    (n,), or a function on NumPy arrays of shape (n, 1). For every D, V(D, G) <= C(G), with
    equality at D = D* (:func:`optimal_logit` is that D's logit function).
    """
    _check_pair("value_function", p_data, p_g)
    x, w = integration_grid(p_data, p_g, num_points=num_points)
    logit = _logits_on(discriminator, x)
    # log D = log sigmoid(l), log(1 - D) = log sigmoid(-l)
    return float(w @ (p_data.density(x) * _log_sigmoid(logit)
                      + p_g.density(x) * _log_sigmoid(-logit)))


# -- the Jensen-Shannon divergence and C(G) --------------------------------------------------

def _log_ratio_to_midpoint(log_p, log_q):
    """log(p / m) with m = (p + q) / 2, from log densities: log 2 + log p - log(p + q)."""
    return math.log(2.0) + log_p - np.logaddexp(log_p, log_q)


def js_divergence(p, q, num_points=None):
    """JSD(p || q) = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2, by quadrature (d = 1).

    KL(p || m) = integral p log(p / m) dx. The JSD is symmetric, lies in [0, log 2], is 0 exactly
    when p = q and approaches log 2 as the two stop overlapping.
    """
    _check_pair("js_divergence", p, q)
    x, w = integration_grid(p, q, num_points=num_points)
    log_p, log_q = p.log_density(x), q.log_density(x)
    kl_p = w @ (np.exp(log_p) * _log_ratio_to_midpoint(log_p, log_q))
    kl_q = w @ (np.exp(log_q) * _log_ratio_to_midpoint(log_q, log_p))
    return float(0.5 * (kl_p + kl_q))


Estimate = namedtuple("Estimate", ["value", "stderr"])
Estimate.__doc__ = "A Monte Carlo estimate and its standard error (the std of the average)."


def js_divergence_mc(p, q, num_samples=100_000, generator=None):
    """JSD(p || q) by Monte Carlo, in any dimension: an :class:`Estimate` (value, stderr).

    With x_i ~ p and y_i ~ q (``num_samples`` of each, drawn from ``generator``),

        JSD ~ 1/2 mean_i log(p(x_i) / m(x_i)) + 1/2 mean_i log(q(y_i) / m(y_i)),

    and the standard error is 1/2 sqrt(var_x / n + var_y / n) of the two sample variances.
    """
    _check_pair("js_divergence_mc", p, q)
    num_samples = check_int(num_samples, "num_samples", "js_divergence_mc", minimum=2)
    terms = []
    for a, b in ((p, q), (q, p)):
        samples = a.sample(num_samples, generator=generator, dtype=np.float64).numpy()
        terms.append(_log_ratio_to_midpoint(a.log_density(samples), b.log_density(samples)))
    value = 0.5 * (terms[0].mean() + terms[1].mean())
    stderr = 0.5 * math.sqrt((terms[0].var(ddof=1) + terms[1].var(ddof=1)) / num_samples)
    return Estimate(float(value), stderr)


def training_criterion(p_data, p_g, num_points=None):
    """C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g) (d = 1, by quadrature).

    What the generator minimises when the discriminator is optimal; its minimum, -log 4, is
    reached exactly at p_g = p_data (docs/theory.md, step 2).
    """
    return -LOG_4 + 2.0 * js_divergence(p_data, p_g, num_points=num_points)
