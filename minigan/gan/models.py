"""Multilayer perceptrons for the two players: G maps noise to samples, D maps samples to logits.

Both are a chain of fully connected layers of the widths in ``hidden``::

    MLPGenerator:      z (N, noise_dim) -> [Linear -> (BatchNorm1d) -> act] x len(hidden)
                                        -> Linear -> (output activation) -> x (N, output_dim)
    MLPDiscriminator:  x (N, input_dim) -> [Linear -> act] x len(hidden) -> Linear -> l (N,)

The discriminator returns one *logit* per sample, shape (N,), and no sigmoid: the losses of
:mod:`minigan.gan.losses` take logits, which keeps log D and log(1 - D) finite.

``activation`` is a name (``"relu"``, ``"leaky_relu"`` with slope 0.2 as in DCGAN, ``"tanh"``,
``"sigmoid"``) or a function that returns a new activation Module (e.g. ``lambda:
nn.LeakyReLU(0.1)``). Batch norm is an option of the generator only: in the discriminator it
would mix the real and the fake batch statistics that D must tell apart. Weights start as
PyTorch's Linear layers do, drawn from ``generator`` (a :class:`minigan.random.Generator`).
"""

from .. import nn

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def _activation(model, argument, activation):
    """A new activation Module from a name or a factory (or None for no activation)."""
    if activation is None:
        return None
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{model}: unknown {argument} {activation!r}; expected one of "
                             f"{', '.join(map(repr, sorted(_ACTIVATIONS)))} or a function that "
                             "returns a Module")
        activation = _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{model}: {argument} must be a name or a function returning a Module, "
                        f"got {type(activation).__name__}")
    layer = activation()
    if not isinstance(layer, nn.Module):
        raise TypeError(f"{model}: {argument}() must return a Module, got "
                        f"{type(layer).__name__}")
    return layer


def _check_size(model, name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{model}: {name} must be an int >= 1, got {value!r}")
    return value


def _mlp(model, in_features, hidden, out_features, activation, batch_norm, output_activation,
         generator):
    """The Sequential of Linear layers through the ``hidden`` widths, with an activation (and
    optionally batch norm before it) after each hidden layer."""
    _check_size(model, "the input size", in_features)
    _check_size(model, "the output size", out_features)
    if isinstance(hidden, int):
        hidden = (hidden,)
    hidden = tuple(_check_size(model, "each hidden width", h) for h in hidden)
    widths = (in_features,) + hidden
    layers = []
    for fan_in, width in zip(widths, hidden):
        # A bias right before batch norm is cancelled by its mean subtraction: leave it out.
        layers.append(nn.Linear(fan_in, width, bias=not batch_norm, generator=generator))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(_activation(model, "activation", activation))
    layers.append(nn.Linear(widths[-1], out_features, generator=generator))
    last = _activation(model, "output_activation", output_activation)
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """G: noise (N, noise_dim) -> samples (N, output_dim); see the module docstring.

    ``output_activation``: None (the default) for unbounded data such as Gaussian mixtures,
    ``"tanh"`` for data scaled to [-1, 1] (images).
    """

    def __init__(self, noise_dim, output_dim, hidden=(128, 128), activation="relu",
                 batch_norm=False, output_activation=None, generator=None):
        super().__init__()
        self.noise_dim, self.output_dim = noise_dim, output_dim
        self.net = _mlp("MLPGenerator", noise_dim, hidden, output_dim, activation, batch_norm,
                        output_activation, generator)

    def forward(self, z):
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"MLPGenerator: expected noise of shape (N, {self.noise_dim}), got "
                             f"{tuple(z.shape)}")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """D: samples (N, input_dim) -> logits (N,); see the module docstring."""

    def __init__(self, input_dim, hidden=(128, 128), activation="leaky_relu", generator=None):
        super().__init__()
        self.input_dim = input_dim
        self.net = _mlp("MLPDiscriminator", input_dim, hidden, 1, activation, False, None,
                        generator)

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"MLPDiscriminator: expected samples of shape (N, "
                             f"{self.input_dim}), got {tuple(x.shape)}")
        return self.net(x).reshape(-1)
