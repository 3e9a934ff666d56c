"""The GAN game: ``import minigan.gan as gan``.

- :mod:`~minigan.gan.losses`: the value function V(D, G), the discriminator's loss and the two
  generator losses (saturating, non-saturating), all from D's logits;
- :mod:`~minigan.gan.step`: one readable round of training, k updates of D then one of G;
- :mod:`~minigan.gan.trainer`: the library loop around that round, by steps or by epochs
  (history, progress bar, callbacks, checkpoints and resume, labels for a conditional pair, a
  place for an averaged G), and :mod:`~minigan.gan.divergence`, its divergence check;
- :mod:`~minigan.gan.models`: multilayer perceptrons for G and D;
- :mod:`~minigan.gan.dcgan`: DCGAN's convolutional G and D for images, class-conditional
  on request (``WithLabels`` binds the classes);
- :mod:`~minigan.gan.dcgan_training`: a DCGAN of digits as one run (``DCGANRun``,
  ``train_dcgan``), the recipe of ``python -m minigan dcgan``;
- :mod:`~minigan.gan.noise`: the generator's input distribution p_z;
- :mod:`~minigan.gan.theory`: for known densities, the optimal discriminator D*, the
  Jensen-Shannon divergence and C(G) = -log 4 + 2 JSD, computed exactly;
- :mod:`~minigan.gan.methods`: the GAN variants that fight mode collapse (PacGAN, unrolled,
  WGAN(-GP), SN-GAN...), each one switch of the step;
- :mod:`~minigan.gan.metrics`: modes captured, high-quality samples and reverse KL on the 2D
  mixtures;
- :mod:`~minigan.gan.presets` and :mod:`~minigan.gan.experiment`: ``run_mixture``, one call
  that trains a method on a mixture and measures it, and the collapse-on-demand demo;
- :mod:`~minigan.gan.evaluation`: judging GANs of digits: a classifier's class coverage and
  Fréchet distance, Parzen-window log-likelihoods;
- :mod:`~minigan.gan.doctor`: training diagnostics that name a failure (vanishing gradient,
  mode collapse, oscillation, divergence, a weak D), show the evidence and point to the remedy.
"""

from . import (
    dcgan_training,
    divergence,
    doctor,
    evaluation,
    experiment,
    methods,
    metrics,
    presets,
    theory,
)
from .dcgan import DCGANDiscriminator, DCGANGenerator, WithLabels
from .dcgan_training import DCGANRun, train_dcgan
from .doctor import Diagnosis, Doctor, ImageProbe, MixtureProbe
from .experiment import MixtureResult, run_mixture
from .losses import (
    GENERATOR_LOSSES,
    discriminator_loss,
    generator_loss,
    non_saturating_generator_loss,
    saturating_generator_loss,
    value_function,
)
from .methods import METHODS, Method, make_method
from .metrics import ModeMetrics, evaluate, mode_metrics, reverse_kl_text
from .models import MLPDiscriminator, MLPGenerator
from .noise import NOISE, generate, noise_quantiles, sample_noise
from .presets import COLLAPSE_DEMO, PRESETS, REMEDY_DEMO, Preset, get_preset
from .step import frozen, train_step
from .trainer import MEASURES, Trainer, TrainingDivergedError, grad_norm

__all__ = [
    "value_function", "discriminator_loss", "generator_loss", "saturating_generator_loss",
    "non_saturating_generator_loss", "GENERATOR_LOSSES",
    "train_step", "frozen",
    "Trainer", "TrainingDivergedError", "MEASURES", "grad_norm",
    "MLPGenerator", "MLPDiscriminator",
    "DCGANGenerator", "DCGANDiscriminator", "WithLabels", "DCGANRun", "train_dcgan",
    "NOISE", "sample_noise", "noise_quantiles", "generate",
    "METHODS", "Method", "make_method",
    "ModeMetrics", "mode_metrics", "evaluate", "reverse_kl_text",
    "PRESETS", "Preset", "get_preset", "COLLAPSE_DEMO", "REMEDY_DEMO",
    "run_mixture", "MixtureResult",
    "Doctor", "Diagnosis", "MixtureProbe", "ImageProbe",
    "theory", "methods", "metrics", "presets", "experiment", "evaluation", "doctor",
    "divergence", "dcgan_training",
]
