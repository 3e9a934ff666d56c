"""The GAN game as losses: the value function V(D, G) and what each player minimises.

Goodfellow et al. (2014) set the discriminator D and the generator G a two-player game,

    min_G max_D  V(D, G) = E_x~p_data[log D(x)] + E_z~p_z[log(1 - D(G(z)))],

where D(x) in (0, 1) is the probability D gives to "x is real". Here D outputs a *logit* l
(any real number) and D(x) = sigmoid(l), so that the logs are computed stably, never as the
log of a probability that has rounded to 0 or 1:

    log D = log sigmoid(l) = -softplus(-l),      log(1 - D) = log sigmoid(-l) = -softplus(l).

The expectations are estimated by means over a batch. Each function takes logit Tensors of any
shape ((N,) from the models here) and returns a scalar Tensor:

- :func:`value_function`: the batch estimate of V(D, G);
- :func:`discriminator_loss` = -V: D maximises V, i.e. minimises binary cross-entropy with
  label 1 on real samples and 0 on generated ones;
- :func:`generator_loss`, by name (:data:`GENERATOR_LOSSES`):

  ``"saturating"``      minimise E[log(1 - D(G(z)))], the minimax game as written; its gradient
                        with respect to the logit is -D(G(z)), which vanishes early in training
                        when D rejects G's samples with confidence (D(G(z)) near 0);
  ``"non_saturating"``  minimise -E[log D(G(z))] (maximise log D(G(z))), the fix proposed in
                        the same paper: the same fixed point, but a logit gradient of
                        -(1 - D(G(z))), which is near -1 exactly when G is doing badly.

  The non-saturating loss is binary cross-entropy with label 1 on G's samples.
"""

from .._checks import check_choice, check_floating
from ..functional import logsigmoid
from ..tensor import Tensor


def _checked_logits(caller, name, logits):
    if not isinstance(logits, Tensor):
        raise TypeError(f"{caller}: {name} must be a Tensor of logits, got "
                        f"{type(logits).__name__}")
    check_floating(logits, name, caller)
    if logits.numel() == 0:
        raise ValueError(f"{caller}: {name} is empty; a batch needs at least one sample")
    return logits


def value_function(real_logits, fake_logits):
    """V(D, G) estimated on a batch: mean log D(x) + mean log(1 - D(G(z))).

    ``real_logits``: D's logits on data samples x; ``fake_logits``: on generated samples G(z).
    The two batches may differ in size. V <= 0, and V = -log 4 when D answers 1/2 everywhere.
    """
    real_logits = _checked_logits("value_function", "real_logits", real_logits)
    fake_logits = _checked_logits("value_function", "fake_logits", fake_logits)
    return logsigmoid(real_logits).mean() + logsigmoid(-fake_logits).mean()


def discriminator_loss(real_logits, fake_logits):
    """-V(D, G): what D minimises, = BCE(real_logits, 1) + BCE(fake_logits, 0) with means."""
    return -value_function(real_logits, fake_logits)


def saturating_generator_loss(fake_logits):
    """E[log(1 - D(G(z)))] = mean log sigmoid(-l), minimised by G (the minimax game).

    d loss / d l = -sigmoid(l) / N = -D(G(z)) / N: no signal where D is sure the sample is fake.
    """
    fake_logits = _checked_logits("saturating_generator_loss", "fake_logits", fake_logits)
    return logsigmoid(-fake_logits).mean()


def non_saturating_generator_loss(fake_logits):
    """-E[log D(G(z))] = -mean log sigmoid(l), minimised by G (= BCE(fake_logits, 1)).

    d loss / d l = -(1 - sigmoid(l)) / N = -(1 - D(G(z))) / N: strongest where D is surest.
    """
    fake_logits = _checked_logits("non_saturating_generator_loss", "fake_logits", fake_logits)
    return -logsigmoid(fake_logits).mean()


GENERATOR_LOSSES = {
    "saturating": saturating_generator_loss,
    "non_saturating": non_saturating_generator_loss,
}
"""The generator losses by name, for :func:`generator_loss` and the plain GAN's ``loss`` option
(:class:`~minigan.gan.methods.GAN`)."""


def check_generator_loss(kind):
    """``kind`` if it names a generator loss, else a ValueError listing the known names."""
    return check_choice(kind, "generator loss", sorted(GENERATOR_LOSSES))


def generator_loss(fake_logits, kind="non_saturating"):
    """G's loss on D's logits for generated samples, picked by name: ``"non_saturating"``
    (the default, what everyone trains with) or ``"saturating"`` (the minimax game as written).
    """
    return GENERATOR_LOSSES[check_generator_loss(kind)](fake_logits)
