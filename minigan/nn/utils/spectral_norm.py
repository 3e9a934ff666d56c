"""Spectral normalisation: a layer whose weight always has largest singular value 1.

Miyato et al. (2018), "Spectral normalization for generative adversarial networks" (SN-GAN).
A linear map x -> W x stretches no vector by more than sigma(W), its largest singular value;
a ReLU or LeakyReLU stretches by at most 1. Dividing every weight of the discriminator by its
sigma therefore makes D 1-Lipschitz layer by layer, |D(x) - D(y)| <= |x - y|: it cannot become
arbitrarily steep around the data, which keeps its gradients useful to the generator.

sigma(W) is estimated by *power iteration* on the matrix W (the weight reshaped to
(shape[0], -1), as PyTorch does for Linear and Conv2d), keeping unit vectors u and v between
calls:

    v <- W^T u / |W^T u|,    u <- W v / |W v|,    sigma = u^T W v.

Repeated, u and v converge to the top singular vectors and u^T W v to sigma(W). Since W moves
little between two training steps, one iteration per forward pass (the default) keeps the
estimate close. u and v are buffers (saved in the state dict), updated only in training mode,
and treated as constants by backward; the gradient of W / sigma does include sigma's own
dependence on W, d sigma / dW = u v^T (as in the paper and in PyTorch).

PyTorch's ``torch.nn.utils.spectral_norm`` rewires the layer in place; here the layer is
wrapped: ``spectral_norm(nn.Linear(2, 8))`` returns a :class:`SpectralNorm` module whose
``module`` is the Linear layer, holding the *unnormalised* weight as its Parameter.
"""

import numpy as np

from ... import backend, random
from ..._checks import check_positive_int
from ...autograd import no_grad
from ...tensor import Tensor
from ..module import Module
from .stateless import substituted


def _normalize(xp, a, eps):
    """a / max(|a|, eps): a unit vector, or a small one rather than a division by zero."""
    return a / max(float(xp.linalg.norm(a)), eps)


class SpectralNorm(Module):
    """``module`` with its parameter ``name`` divided by that parameter's largest singular
    value, estimated by ``n_power_iterations`` steps of power iteration per training forward
    (see the module docstring). The start vectors are drawn from ``generator``."""

    def __init__(self, module, name="weight", n_power_iterations=1, eps=1e-12, generator=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"spectral_norm: module must be a Module, got "
                            f"{type(module).__name__}")
        weight = module._parameters.get(name)
        if weight is None or weight.ndim < 2:
            raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r} "
                             "with at least 2 dimensions to normalise")
        self.module = module
        self.name = name
        self.n_power_iterations = check_positive_int(n_power_iterations, "n_power_iterations",
                                                     "spectral_norm")
        self.eps = eps
        rows = weight.shape[0]
        gen = random.default_generator if generator is None else generator
        for buffer, size in (("u", rows), ("v", weight.numel() // rows)):
            start = _normalize(np, gen.numpy.standard_normal(size), eps).astype(weight.dtype)
            self.register_buffer(buffer, Tensor(backend.to_device(start, weight.device)))

    def _matrix(self, weight):
        return weight.reshape(weight.shape[0], -1)

    def power_iteration(self):
        """``n_power_iterations`` updates of u and v, in place (no graph)."""
        with no_grad():
            matrix = self._matrix(getattr(self.module, self.name)).data
            xp = backend.get_array_module(matrix)
            u, v = self.u.data, self.v.data
            for _ in range(self.n_power_iterations):
                v = _normalize(xp, matrix.T @ u, self.eps)
                u = _normalize(xp, matrix @ v, self.eps)
            self.u.copy_(u)
            self.v.copy_(v)

    def normalized_weight(self):
        """W / sigma with sigma = u^T W v for the current u and v; differentiable in W."""
        weight = getattr(self.module, self.name)
        # Copies: the graph keeps this call's u and v when later calls update the buffers.
        u, v = Tensor(self.u.data.copy()), Tensor(self.v.data.copy())
        sigma = (u * (self._matrix(weight) @ v)).sum()
        return weight / sigma

    def forward(self, *args, **kwargs):
        if self.training:
            self.power_iteration()
        with substituted(self.module, {self.name: self.normalized_weight()}):
            return self.module(*args, **kwargs)

    def extra_repr(self):
        return f"name={self.name!r}, n_power_iterations={self.n_power_iterations}"


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, generator=None):
    """``module`` wrapped in a :class:`SpectralNorm`: its ``name`` parameter is used divided by
    its largest singular value (see the module docstring)."""
    return SpectralNorm(module, name, n_power_iterations, eps, generator)
