"""Multilayer perceptrons for the two players: G maps noise to samples, D maps samples to logits.

Both are a chain of fully connected layers of the widths in ``hidden``::

    MLPGenerator:      z (N, noise_dim) -> [Linear -> (BatchNorm1d) -> act] x len(hidden)
                                        -> Linear -> (output activation) -> x (N, output_dim)
    MLPDiscriminator:  x (N, input_dim) -> [Linear -> act] x len(hidden) -> Linear -> l (N,)

The discriminator returns one *logit* per sample, shape (N,), and no sigmoid: the losses of
:mod:`minigan.gan.losses` take logits, which keeps log D and log(1 - D) finite.

``activation`` is a name (``"relu"``, ``"leaky_relu"`` with slope 0.2 as in DCGAN, ``"tanh"``,
``"sigmoid"``), ``"maxout"`` (each hidden layer is an :class:`~minigan.nn.Maxout` layer of
``pieces`` pieces in place of Linear -> act, as in PacGAN's discriminator), or a function that
returns a new activation Module (e.g. ``lambda: nn.LeakyReLU(0.1)``). Batch norm is an option
of the generator only: in the discriminator it would mix the real and the fake batch statistics
that D must tell apart. Weights start as PyTorch's Linear layers do, drawn from ``generator``
(a :class:`minigan.random.Generator`).

The discriminator has three switches used by the remedies for mode collapse
(:mod:`minigan.gan.methods`):

- ``pack=m`` (PacGAN): D judges m samples at once. A batch (N, d) is read as N/m groups of m
  consecutive samples, each group one input of width m d: x.reshape(N/m, m d) -> N/m logits;
- ``minibatch_std=True``: a :class:`~minigan.nn.MinibatchStd` feature (the batch's standard
  deviation) is appended to the last hidden layer's output, before the output layer;
- ``spectral_norm=True`` (SN-GAN): every weight is divided by its largest singular value
  (:func:`minigan.nn.utils.spectral_norm`).
"""

from .. import nn
from .._checks import check_positive_int

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
            extra = ", 'maxout'" if argument == "activation" else ""
            raise ValueError(f"{model}: unknown {argument} {activation!r}; expected one of "
                             f"{', '.join(map(repr, sorted(_ACTIVATIONS)))}{extra} or a function "
                             "that returns a Module")
        activation = _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{model}: {argument} must be a name or a function returning a Module, "
                        f"got {type(activation).__name__}")
    layer = activation()
    if not isinstance(layer, nn.Module):
        raise TypeError(f"{model}: {argument}() must return a Module, got "
                        f"{type(layer).__name__}")
    return layer


def _hidden_layer(model, fan_in, width, activation, batch_norm, pieces, generator):
    """One hidden layer: Maxout, or Linear -> (BatchNorm1d) -> activation."""
    if activation == "maxout":
        if batch_norm:
            raise ValueError(f"{model}: batch_norm cannot be combined with maxout units")
        return [nn.Maxout(fan_in, width, check_positive_int(pieces, "pieces", model),
                          generator=generator)]
    # A bias right before batch norm is cancelled by its mean subtraction: leave it out.
    layers = [nn.Linear(fan_in, width, bias=not batch_norm, generator=generator)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(width))
    return layers + [_activation(model, "activation", activation)]


def _hidden_widths(model, hidden):
    if isinstance(hidden, int):
        hidden = (hidden,)
    return tuple(check_positive_int(h, "each hidden width", model) for h in hidden)


def _mlp(model, in_features, hidden, out_features, activation, batch_norm, output_activation,
         generator, pieces=None, before_output=()):
    """The list of layers through the ``hidden`` widths, ``before_output`` (layers, and how
    many features they add) before the last Linear, then the output activation."""
    check_positive_int(in_features, "the input size", model)
    check_positive_int(out_features, "the output size", model)
    widths = (in_features,) + _hidden_widths(model, hidden)
    layers = []
    for fan_in, width in zip(widths, widths[1:]):
        layers += _hidden_layer(model, fan_in, width, activation, batch_norm, pieces, generator)
    added = 0
    for layer, features in before_output:
        layers.append(layer)
        added += features
    layers.append(nn.Linear(widths[-1] + added, out_features, generator=generator))
    last = _activation(model, "output_activation", output_activation)
    if last is not None:
        layers.append(last)
    return layers


class MLPGenerator(nn.Module):
    """G: noise (N, noise_dim) -> samples (N, output_dim); see the module docstring.

    ``output_activation``: None (the default) for unbounded data such as Gaussian mixtures,
    ``"tanh"`` for data scaled to [-1, 1] (images).
    """

    def __init__(self, noise_dim, output_dim, hidden=(128, 128), activation="relu",
                 batch_norm=False, output_activation=None, generator=None, pieces=5):
        super().__init__()
        self.noise_dim, self.output_dim = noise_dim, output_dim
        self.net = nn.Sequential(*_mlp("MLPGenerator", noise_dim, hidden, output_dim,
                                       activation, batch_norm, output_activation, generator,
                                       pieces))

    def forward(self, z):
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"MLPGenerator: expected noise of shape (N, {self.noise_dim}), got "
                             f"{tuple(z.shape)}")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """D: samples (N, input_dim) -> logits (N / pack,); see the module docstring.

    ``pieces``: the pieces of each maxout unit (with ``activation="maxout"``); ``pack``,
    ``minibatch_std``, ``spectral_norm``: the switches described in the module docstring.
    :meth:`features` gives the last hidden layer's output, what feature matching compares.
    """

    def __init__(self, input_dim, hidden=(128, 128), activation="leaky_relu", generator=None,
                 pieces=5, pack=1, minibatch_std=False, spectral_norm=False):
        super().__init__()
        self.input_dim = input_dim
        self.pack = check_positive_int(pack, "pack", "MLPDiscriminator")
        head = [(nn.MinibatchStd(), 1)] if minibatch_std else []
        layers = _mlp("MLPDiscriminator", input_dim * pack, hidden, 1, activation, False, None,
                      generator, pieces, head)
        if spectral_norm:
            layers = [nn.utils.spectral_norm(layer, generator=generator)
                      if isinstance(layer, (nn.Linear, nn.Maxout)) else layer
                      for layer in layers]
        self._hidden_layers = len(layers) - 1 - len(head)
        self.net = nn.Sequential(*layers)

    def _packed(self, x):
        """Check the batch's shape and group it into inputs of ``pack`` samples."""
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"MLPDiscriminator: expected samples of shape (N, "
                             f"{self.input_dim}), got {tuple(x.shape)}")
        if self.pack == 1:
            return x
        if x.shape[0] % self.pack:
            raise ValueError(f"MLPDiscriminator(pack={self.pack}): the batch size must be a "
                             f"multiple of {self.pack}, got {x.shape[0]} samples")
        return x.reshape(x.shape[0] // self.pack, self.pack * self.input_dim)

    def features(self, x):
        """The output of the last hidden layer, (N / pack, hidden[-1]) (the input itself when
        there is no hidden layer)."""
        x = self._packed(x)
        for layer in list(self.net)[:self._hidden_layers]:
            x = layer(x)
        return x

    def forward(self, x):
        return self.net(self._packed(x)).reshape(-1)
