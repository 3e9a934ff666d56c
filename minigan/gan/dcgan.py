"""DCGAN (Radford, Metz and Chintala, 2016): convolutional players for images of side S.

G grows noise into an image with transposed convolutions that each double the side; D shrinks
an image to one logit with strided convolutions that each halve it::

    G:  z (N, nz, 1, 1) -> ConvT k4 s1 p0 -> 4x4 -> [ConvT k4 s2 p1: side x 2] ... -> (N, nc, S, S)
    D:  x (N, nc, S, S) -> [Conv k4 s2 p1: side / 2] ... -> 4x4 -> Conv k4 s1 p0 -> 1x1 -> (N,)

The paper's recipe, which is what made convolutional GANs train:

- no pooling and no hidden fully connected layers: strided convolutions learn their own down-
  and upsampling;
- batch norm after every convolution except G's output and D's input and output (normalising
  the images themselves made training unstable), and then no bias, which batch norm's mean
  subtraction would cancel; the two output layers have a bias;
- ReLU inside G and tanh at its output (images scaled to [-1, 1]); LeakyReLU with slope 0.2 in
  D, so that G's gradient through D never vanishes on half of D's units;
- weights drawn from N(0, 0.02^2), batch-norm scales from N(1, 0.02^2)
  (:func:`minigan.nn.init.dcgan_init_`).

The number of blocks follows S (a power of two >= 16): one stage per side 4, 8, ..., S/2, with
channels doubling as the side halves. G has ngf * S/8 channels at 4x4 down to ngf at S/2; D has
ndf at S/2 up to ndf * S/8 at 4x4. D returns *logits*, shape (N,), no sigmoid: the losses of
:mod:`minigan.gan.losses` take logits.

At S = 64, nc = 3, nz = 100 and ngf = ndf = 64 this is the reference DCGAN of PyTorch's
example, layer for layer (3,576,707 parameters in G, 2,765,569 in D). The layers sit in a
``Sequential`` named ``main`` as there, so the state-dict keys match too (``main.0.weight``...).

**The conditional variant** (``num_classes=K``; Mirza and Osindero, 2014) feeds the class y of
each sample to both players as a one-hot code concatenated to their input along channels: G
sees (N, nz + K, 1, 1), z followed by the one-hot vector; D sees (N, nc + K, S, S), the image
followed by K constant maps, map y all ones and the others zeros. G(z, y) then draws a digit of
the class asked for, and D judges whether x is a real image *of class y*. :class:`WithLabels`
binds the classes of a batch to a player, so that the unconditional training step plays this
game too.
"""

import math

import numpy as np

from .. import backend, nn
from .._checks import check_positive_int, check_power_of_two
from ..functional import broadcast_to, cat
from ..tensor import Tensor


def _widths(width, image_size):
    """Channels at the sides 4, 8, ..., S/2: width * S/8, ..., 2 width, width."""
    sides = [4 * 2 ** i for i in range(int(math.log2(image_size)) - 2)]
    return [width * image_size // (2 * side) for side in sides]


def _generator_layers(in_channels, ngf, nc, image_size, generator):
    widths = _widths(ngf, image_size)
    layers = [nn.ConvTranspose2d(in_channels, widths[0], 4, 1, 0, bias=False,
                                 generator=generator),
              nn.BatchNorm2d(widths[0]), nn.ReLU()]
    for c_in, c_out in zip(widths, widths[1:]):
        layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False, generator=generator),
                   nn.BatchNorm2d(c_out), nn.ReLU()]
    layers += [nn.ConvTranspose2d(widths[-1], nc, 4, 2, 1, generator=generator), nn.Tanh()]
    return nn.Sequential(*layers)


def _discriminator_layers(in_channels, ndf, image_size, generator):
    widths = _widths(ndf, image_size)[::-1]
    layers = [nn.Conv2d(in_channels, widths[0], 4, 2, 1, bias=False, generator=generator),
              nn.LeakyReLU(0.2)]  # no batch norm on the images themselves
    for c_in, c_out in zip(widths, widths[1:]):
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False, generator=generator),
                   nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]
    layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0, generator=generator)]
    return nn.Sequential(*layers)


class _DCGANPlayer(nn.Module):
    """What G and D share: the checked image size and channels, and the optional labels."""

    def __init__(self, nc, image_size, num_classes):
        super().__init__()
        model = type(self).__name__
        self.image_size = check_power_of_two(image_size, "image_size", model, minimum=16)
        self.nc = check_positive_int(nc, "nc", model)
        self.num_classes = None if num_classes is None else check_positive_int(
            num_classes, "num_classes", model)

    def _with_labels(self, input, labels):
        """``input`` (N, C, H, W), followed along channels by the one-hot maps of ``labels``
        when the model is conditional: (N, C + K, H, W)."""
        model = type(self).__name__
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(f"{model}: labels given to a model that is not conditional; "
                                 "build it with num_classes=K to condition it on classes")
            return input
        if labels is None:
            raise ValueError(f"{model}: this model is conditional (num_classes="
                             f"{self.num_classes}): pass labels, the class of each sample, "
                             f"of shape ({input.shape[0]},)")
        y = labels.data if isinstance(labels, Tensor) else labels
        y = backend.to_device(y if backend.is_array(y) else np.asarray(y), input.device)
        if y.dtype.kind not in "iu" or y.shape != input.shape[:1]:
            raise ValueError(f"{model}: labels must be integers of shape ({input.shape[0]},), "
                             f"one per sample, got {y.dtype} of shape {tuple(y.shape)}")
        if y.size and not (0 <= int(y.min()) and int(y.max()) < self.num_classes):
            raise ValueError(f"{model}: labels must lie in 0..{self.num_classes - 1}, found "
                             f"[{int(y.min())}, {int(y.max())}]")
        one_hot = input.xp.eye(self.num_classes, dtype=input.dtype)[y]  # (N, K)
        n, _, h, w = input.shape
        maps = broadcast_to(Tensor(one_hot.reshape(n, self.num_classes, 1, 1)),
                            (n, self.num_classes, h, w))
        return cat([input, maps], dim=1)

    def _extra(self):
        return "" if self.num_classes is None else f", num_classes={self.num_classes}"


class DCGANGenerator(_DCGANPlayer):
    """G: noise z (N, nz) or (N, nz, 1, 1) -> images (N, nc, S, S) in (-1, 1), S =
    ``image_size``; with ``num_classes``, ``G(z, labels)`` (labels (N,) in 0..K-1). See the
    module docstring. ``generator`` (a :class:`minigan.random.Generator`) draws the weights.
    """

    def __init__(self, nz=100, ngf=64, nc=3, image_size=64, num_classes=None, *,
                 generator=None):
        super().__init__(nc, image_size, num_classes)
        self.nz = check_positive_int(nz, "nz", "DCGANGenerator")
        self.ngf = check_positive_int(ngf, "ngf", "DCGANGenerator")
        self.main = _generator_layers(nz + (num_classes or 0), ngf, nc, image_size, generator)
        nn.init.dcgan_init_(self, generator)

    @property
    def noise_dim(self):
        """nz, under the name :class:`minigan.gan.Trainer` reads (it draws z of shape (N, nz))."""
        return self.nz

    def forward(self, z, labels=None):
        if z.shape[1:] not in ((self.nz,), (self.nz, 1, 1)):
            raise ValueError(f"DCGANGenerator: expected noise of shape (N, {self.nz}) or (N, "
                             f"{self.nz}, 1, 1), got {tuple(z.shape)}")
        z = z.reshape(z.shape[0], self.nz, 1, 1)
        return self.main(self._with_labels(z, labels))

    def extra_repr(self):
        return (f"nz={self.nz}, ngf={self.ngf}, nc={self.nc}, image_size={self.image_size}"
                + self._extra())


class DCGANDiscriminator(_DCGANPlayer):
    """D: images (N, nc, S, S) -> logits (N,), S = ``image_size``; with ``num_classes``,
    ``D(x, labels)``. See the module docstring.

    ``spectral_norm=True`` (Miyato et al., 2018) wraps each convolution, after the DCGAN
    initialisation, in :func:`minigan.nn.utils.spectral_norm` (its power iteration's start
    vectors drawn from ``generator`` after the weights): each convolution's weight, reshaped to
    (out channels, -1), is divided by its largest singular value. The batch norms stay, so
    this is the DCGAN with normalised convolutions, not SN-GAN's own discriminator."""

    def __init__(self, ndf=64, nc=3, image_size=64, num_classes=None, *, spectral_norm=False,
                 generator=None):
        super().__init__(nc, image_size, num_classes)
        self.ndf = check_positive_int(ndf, "ndf", "DCGANDiscriminator")
        self.spectral_norm = bool(spectral_norm)
        self.main = _discriminator_layers(nc + (num_classes or 0), ndf, image_size, generator)
        nn.init.dcgan_init_(self, generator)
        if self.spectral_norm:
            self.main = nn.Sequential(*[
                nn.utils.spectral_norm(layer, generator=generator)
                if isinstance(layer, nn.Conv2d) else layer for layer in self.main])

    def forward(self, x, labels=None):
        expected = (self.nc, self.image_size, self.image_size)
        if x.shape[1:] != expected:
            raise ValueError(f"DCGANDiscriminator: expected images of shape (N, {self.nc}, "
                             f"{self.image_size}, {self.image_size}), got {tuple(x.shape)}")
        return self.main(self._with_labels(x, labels)).reshape(-1)

    def extra_repr(self):
        return (f"ndf={self.ndf}, nc={self.nc}, image_size={self.image_size}"
                + (", spectral_norm=True" if self.spectral_norm else "") + self._extra())


class WithLabels(nn.Module):
    """``model`` with its labels bound: ``WithLabels(D, y)(x) = D(x, y)``. It lets the one
    :func:`~minigan.gan.train_step` play the conditional game too: within a step, real and
    fake batches carry the same classes y. ``labels`` may be set again between calls (the
    :class:`~minigan.gan.Trainer` sets it to the classes of each real batch it draws)."""

    def __init__(self, model, labels=None):
        super().__init__()
        self.model, self.labels = model, labels

    def forward(self, x):
        return self.model(x, self.labels)
