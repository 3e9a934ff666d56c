"""Tools that act on whole modules: ``import minigan.nn as nn; nn.utils.spectral_norm(layer)``.

- :func:`functional_call`: run a module with some of its parameters replaced by other tensors
  (the unrolled GAN differentiates through a discriminator's future weights);
- :func:`spectral_norm`: divide a layer's weight by its largest singular value, estimated by
  power iteration (SN-GAN).
"""

from .spectral_norm import SpectralNorm, spectral_norm
from .stateless import functional_call

__all__ = ["functional_call", "spectral_norm", "SpectralNorm"]
