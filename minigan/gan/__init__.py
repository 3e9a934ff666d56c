"""The GAN game: ``import minigan.gan as gan``.

- :mod:`~minigan.gan.losses`: the value function V(D, G), the discriminator's loss and the two
  generator losses (saturating, non-saturating), all from D's logits;
- :mod:`~minigan.gan.step`: one readable round of training, k updates of D then one of G;
- :mod:`~minigan.gan.trainer`: the library loop around that round (history, progress bar,
  callbacks, checkpoints and resume, a divergence check);
- :mod:`~minigan.gan.models`: multilayer perceptrons for G and D;
- :mod:`~minigan.gan.dcgan`: DCGAN's convolutional G and D for images, class-conditional
  on request;
- :mod:`~minigan.gan.noise`: the generator's input distribution p_z;
- :mod:`~minigan.gan.theory`: for known densities, the optimal discriminator D*, the
  Jensen-Shannon divergence and C(G) = -log 4 + 2 JSD, computed exactly.
"""

from . import theory
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .losses import (
    GENERATOR_LOSSES,
    discriminator_loss,
    generator_loss,
    non_saturating_generator_loss,
    saturating_generator_loss,
    value_function,
)
from .models import MLPDiscriminator, MLPGenerator
from .noise import NOISE, noise_quantiles, sample_noise
from .step import frozen, train_step
from .trainer import MEASURES, Trainer, TrainingDivergedError, grad_norm

__all__ = [
    "value_function", "discriminator_loss", "generator_loss", "saturating_generator_loss",
    "non_saturating_generator_loss", "GENERATOR_LOSSES",
    "train_step", "frozen",
    "Trainer", "TrainingDivergedError", "MEASURES", "grad_norm",
    "MLPGenerator", "MLPDiscriminator",
    "DCGANGenerator", "DCGANDiscriminator",
    "NOISE", "sample_noise", "noise_quantiles",
    "theory",
]
