"""The DCGAN players: the reference layer list and parameter counts, depth that follows the
image size, the DCGAN recipe and initialisation, argument and shape checks, the conditional
variant (exactly a one-hot code concatenated to each input), devices, and the Trainer."""

import math

import numpy as np
import pytest

import minigan
import minigan.gan as gan
import minigan.nn as nn
import minigan.optim as optim
from minigan.data import DigitLoader, Digits

# The reference DCGAN, PyTorch's DCGAN example at 64x64x3 (nz = 100, ngf = ndf = 64;
# minigan/gan/dcgan.py), layer by layer: (type, in, out, kernel, stride, padding, bias) for the
# convolutions, (type, channels) for batch norm, (type,) or (type, slope) for activations.
REFERENCE_G = [
    ("ConvTranspose2d", 100, 512, 4, 1, 0, False), ("BatchNorm2d", 512), ("ReLU",),
    ("ConvTranspose2d", 512, 256, 4, 2, 1, False), ("BatchNorm2d", 256), ("ReLU",),
    ("ConvTranspose2d", 256, 128, 4, 2, 1, False), ("BatchNorm2d", 128), ("ReLU",),
    ("ConvTranspose2d", 128, 64, 4, 2, 1, False), ("BatchNorm2d", 64), ("ReLU",),
    ("ConvTranspose2d", 64, 3, 4, 2, 1, True), ("Tanh",),
]
REFERENCE_D = [
    ("Conv2d", 3, 64, 4, 2, 1, False), ("LeakyReLU", 0.2),
    ("Conv2d", 64, 128, 4, 2, 1, False), ("BatchNorm2d", 128), ("LeakyReLU", 0.2),
    ("Conv2d", 128, 256, 4, 2, 1, False), ("BatchNorm2d", 256), ("LeakyReLU", 0.2),
    ("Conv2d", 256, 512, 4, 2, 1, False), ("BatchNorm2d", 512), ("LeakyReLU", 0.2),
    ("Conv2d", 512, 1, 4, 1, 0, True),
]
# The side of the image after each block (conv + batch norm + activation) of the reference.
REFERENCE_SIDES_G = [4, 8, 16, 32, 64]
REFERENCE_SIDES_D = [32, 16, 8, 4, 1]


def _describe(layer):
    kind = type(layer).__name__
    if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        assert layer.kernel_size[0] == layer.kernel_size[1] and layer.dilation == (1, 1)
        return (kind, layer.in_channels, layer.out_channels, layer.kernel_size[0],
                layer.stride[0], layer.padding[0], layer.bias is not None)
    if isinstance(layer, nn.BatchNorm2d):
        return (kind, layer.num_features)
    if isinstance(layer, nn.LeakyReLU):
        return (kind, layer.negative_slope)
    return (kind,)


def _count(model):
    return sum(p.numel() for p in model.parameters())


def _block_sides(model, x):
    """The image side at the end of every block of ``model.main`` (after each activation, and
    after the last layer), and the output of ``main``."""
    sides = []
    for layer in model.main:
        x = layer(x)
        if isinstance(layer, (nn.ReLU, nn.LeakyReLU, nn.Tanh)) or layer is model.main[-1]:
            sides.append(x.shape[-1])
    return sides, x


@pytest.fixture(scope="module")
def reference():
    return (gan.DCGANGenerator(generator=minigan.Generator(0)),
            gan.DCGANDiscriminator(generator=minigan.Generator(1)))


def test_the_defaults_are_the_reference_dcgan_layer_for_layer(reference):
    G, D = reference
    assert [_describe(layer) for layer in G.main] == REFERENCE_G
    assert [_describe(layer) for layer in D.main] == REFERENCE_D
    assert (_count(G), _count(D)) == (3_576_707, 2_765_569)
    # PyTorch's example keeps its layers in a Sequential called main: the same keys
    assert list(G.state_dict())[:6] == ["main.0.weight", "main.1.weight", "main.1.bias",
                                        "main.1.running_mean", "main.1.running_var",
                                        "main.1.num_batches_tracked"]
    assert list(D.state_dict())[-2:] == ["main.11.weight", "main.11.bias"]


def test_the_reference_output_shapes(reference):
    G, D = reference
    with minigan.no_grad():
        sides, x = _block_sides(G, minigan.randn(2, 100, 1, 1))
        assert sides == REFERENCE_SIDES_G and x.shape == (2, 3, 64, 64)
        sides, logits = _block_sides(D, x)
        assert sides == REFERENCE_SIDES_D and logits.shape == (2, 1, 1, 1)
        # one raw logit per image: main's output, flattened, no sigmoid after it
        np.testing.assert_array_equal(D(x).numpy(), logits.numpy().reshape(2))


@pytest.mark.parametrize("size", [16, 32, 64, 128])
@pytest.mark.parametrize("nc", [1, 3])
def test_depth_and_widths_follow_the_image_size(size, nc):
    blocks = int(math.log2(size)) - 2  # one per side 4, 8, ..., size/2
    G = gan.DCGANGenerator(nz=8, ngf=2, nc=nc, image_size=size)
    D = gan.DCGANDiscriminator(ndf=2, nc=nc, image_size=size)
    g_convs = [m for m in G.main if isinstance(m, nn.ConvTranspose2d)]
    d_convs = [m for m in D.main if isinstance(m, nn.Conv2d)]
    assert len(g_convs) == len(d_convs) == blocks + 1
    # widths double as the side halves: ngf * size/8 at 4x4 down to ngf at size/2
    assert [c.out_channels for c in g_convs] == [2 * size // 8 // 2 ** i
                                                 for i in range(blocks)] + [nc]
    assert [c.in_channels for c in d_convs] == [nc] + [2 * 2 ** i for i in range(blocks)]
    # batch norm after every convolution but G's last and D's first and last
    assert sum(isinstance(m, nn.BatchNorm2d) for m in G.main) == blocks
    assert sum(isinstance(m, nn.BatchNorm2d) for m in D.main) == blocks - 1
    assert isinstance(D.main[1], nn.LeakyReLU)
    # the recipe has nothing else: no pooling, no linear layers, no sigmoid
    kinds = {type(m) for m in list(G.main) + list(D.main)}
    assert kinds <= {nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU, nn.LeakyReLU,
                     nn.Tanh}
    with minigan.no_grad():
        x = G(minigan.randn(3, 8))
        assert x.shape == (3, nc, size, size)
        assert D(x).shape == (3,)


def test_the_generator_takes_flat_or_image_shaped_noise():
    G = gan.DCGANGenerator(nz=8, ngf=2, nc=1, image_size=16).eval()
    z = minigan.randn(4, 8)
    with minigan.no_grad():
        np.testing.assert_array_equal(G(z).numpy(), G(z.reshape(4, 8, 1, 1)).numpy())
    assert G.noise_dim == 8  # what the Trainer reads to draw z


def test_dcgan_initialisation_is_seeded_and_leaves_the_default_generator_alone():
    before = minigan.random.default_generator.get_state()
    G = gan.DCGANGenerator(nz=16, ngf=16, nc=3, image_size=32, generator=minigan.Generator(7))
    assert minigan.random.default_generator.get_state() == before
    weights = np.concatenate([m.weight.detach().numpy().ravel() for m in G.main
                              if isinstance(m, nn.ConvTranspose2d)])
    assert abs(weights.mean()) < 1e-3
    np.testing.assert_allclose(weights.std(), 0.02, rtol=0.03)
    scales = np.concatenate([m.weight.detach().numpy() for m in G.main
                             if isinstance(m, nn.BatchNorm2d)])
    assert abs(scales.mean() - 1) < 0.01 and 0.01 < scales.std() < 0.03
    np.testing.assert_array_equal(G.main[-2].bias.detach().numpy(), 0)
    again = gan.DCGANGenerator(nz=16, ngf=16, nc=3, image_size=32,
                               generator=minigan.Generator(7))
    other = gan.DCGANGenerator(nz=16, ngf=16, nc=3, image_size=32,
                               generator=minigan.Generator(8))
    for (name, p), q, r in zip(G.named_parameters(), again.parameters(), other.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
        if name.endswith("weight"):
            assert not np.array_equal(p.detach().numpy(), r.detach().numpy()), name


@pytest.mark.parametrize("size", [28, 8, 0, -16, 48, 100, 16.0, True, "64", None])
@pytest.mark.parametrize("model", [gan.DCGANGenerator, gan.DCGANDiscriminator])
def test_image_size_must_be_a_power_of_two_from_16(model, size):
    with pytest.raises(ValueError, match=rf"{model.__name__}: image_size must be a power of two "
                                         r">= 16"):
        model(image_size=size)


@pytest.mark.parametrize("make, argument", [
    (lambda: gan.DCGANGenerator(nz=0), "nz"),
    (lambda: gan.DCGANGenerator(ngf=2.5), "ngf"),
    (lambda: gan.DCGANGenerator(nc=0), "nc"),
    (lambda: gan.DCGANGenerator(num_classes=0), "num_classes"),
    (lambda: gan.DCGANDiscriminator(ndf=-1), "ndf"),
    (lambda: gan.DCGANDiscriminator(nc="3"), "nc"),
    (lambda: gan.DCGANDiscriminator(num_classes=True), "num_classes"),
])
def test_sizes_are_checked(make, argument):
    with pytest.raises(ValueError, match=rf": {argument} must be an int >= 1"):
        make()


@pytest.fixture(scope="module")
def small():
    return (gan.DCGANGenerator(nz=8, ngf=2, nc=1, image_size=16),
            gan.DCGANDiscriminator(ndf=2, nc=3, image_size=32))


@pytest.mark.parametrize("player, shape, message", [
    (0, (4, 9), r"expected noise of shape \(N, 8\) or \(N, 8, 1, 1\), got \(4, 9\)"),
    (0, (4, 8, 2, 2), r"got \(4, 8, 2, 2\)"),
    (0, (8,), r"got \(8,\)"),
    (1, (4, 1, 32, 32), r"expected images of shape \(N, 3, 32, 32\), got \(4, 1, 32, 32\)"),
    (1, (4, 3, 64, 64), r"got \(4, 3, 64, 64\)"),
    (1, (3, 32, 32), r"got \(3, 32, 32\)"),
])
def test_input_shapes_are_checked(small, player, shape, message):
    with pytest.raises(ValueError, match=message):
        small[player](minigan.zeros(*shape))


# -- the conditional variant -------------------------------------------------------------------
def _one_hot_maps(labels, k, side):
    """The test's own one-hot code: (N, k, side, side), map y of sample n all ones."""
    maps = np.zeros((len(labels), k, side, side), dtype=np.float32)
    maps[np.arange(len(labels)), labels] = 1
    return minigan.tensor(maps)


def test_conditioning_is_a_one_hot_code_concatenated_to_the_input():
    """G(z, y) and D(x, y) equal the unconditional players with K more input channels,
    the same weights, fed [z, one_hot(y)] and [x, one-hot maps of y]."""
    k, labels = 10, np.array([3, 0, 9, 3, 7])
    G = gan.DCGANGenerator(nz=6, ngf=2, nc=1, image_size=16, num_classes=k)
    D = gan.DCGANDiscriminator(ndf=2, nc=1, image_size=16, num_classes=k)
    G_plain = gan.DCGANGenerator(nz=6 + k, ngf=2, nc=1, image_size=16)
    D_plain = gan.DCGANDiscriminator(ndf=2, nc=1 + k, image_size=16)
    G_plain.load_state_dict(G.state_dict())  # same keys and shapes: nothing else is added
    D_plain.load_state_dict(D.state_dict())
    z = minigan.randn(5, 6, 1, 1)
    x = G(z, labels)
    expected = G_plain(minigan.cat([z, _one_hot_maps(labels, k, 1)], dim=1))
    np.testing.assert_allclose(x.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    logits = D(x, minigan.tensor(labels))
    expected = D_plain(minigan.cat([x, _one_hot_maps(labels, k, 16)], dim=1))
    np.testing.assert_allclose(logits.detach().numpy(), expected.detach().numpy(), rtol=1e-5)


def test_a_conditional_generator_answers_the_label_asked_for():
    G = gan.DCGANGenerator(nz=8, ngf=4, nc=1, image_size=16, num_classes=10).eval()
    D = gan.DCGANDiscriminator(ndf=4, nc=1, image_size=16, num_classes=10).eval()
    z = np.random.default_rng(0).standard_normal((1, 8)).astype(np.float32).repeat(10, axis=0)
    with minigan.no_grad():
        images = G(minigan.tensor(z), list(range(10))).numpy()
        logits = D(minigan.tensor(images[:1].repeat(10, axis=0)), np.arange(10)).numpy()
    # one noise, ten labels: ten different images, and D judges one image ten ways
    assert len({images[i].tobytes() for i in range(10)}) == 10
    assert len(set(logits.tolist())) == 10


def test_gradients_reach_the_image_through_a_conditional_discriminator():
    D = gan.DCGANDiscriminator(ndf=2, nc=1, image_size=16, num_classes=3,
                               generator=minigan.Generator(0)).double()
    x = minigan.randn(2, 1, 16, 16, dtype=np.float64, requires_grad=True)
    assert minigan.gradcheck(lambda x: D(x, [2, 0]), x, fast_mode=True)


@pytest.mark.parametrize("labels, error, message", [
    (None, ValueError, r"conditional \(num_classes=10\): pass labels.*shape \(4,\)"),
    ([1, 2, 3], ValueError, r"labels must be integers of shape \(4,\).*shape \(3,\)"),
    (np.zeros(4), ValueError, r"labels must be integers.*got float64"),
    ([0, 1, 2, 10], ValueError, r"labels must lie in 0..9, found \[0, 10\]"),
    ([0, -1, 2, 3], ValueError, r"labels must lie in 0..9, found \[-1, 3\]"),
])
def test_labels_are_checked(labels, error, message):
    G = gan.DCGANGenerator(nz=8, ngf=2, nc=1, image_size=16, num_classes=10)
    with pytest.raises(error, match=message):
        G(minigan.randn(4, 8), labels)


def test_an_unconditional_model_refuses_labels(small):
    with pytest.raises(ValueError, match="not conditional.*num_classes"):
        small[1](minigan.zeros(2, 3, 32, 32), [0, 1])


def test_repr_names_the_configuration():
    text = repr(gan.DCGANDiscriminator(ndf=2, nc=1, image_size=16, num_classes=10))
    assert text.startswith("DCGANDiscriminator(ndf=2, nc=1, image_size=16, num_classes=10")


@pytest.mark.parametrize("conditional", [False, True])
def test_runs_on_the_device(device, conditional):
    k = 10 if conditional else None
    G = gan.DCGANGenerator(nz=8, ngf=2, nc=1, image_size=16, num_classes=k).to(device)
    D = gan.DCGANDiscriminator(ndf=2, nc=1, image_size=16, num_classes=k).to(device)
    labels = [np.arange(4)] if conditional else []
    logits = D(G(minigan.randn(4, 8, device=device), *labels), *labels)
    logits.sum().backward()
    assert logits.device == device and logits.shape == (4,)
    assert all(p.grad is not None and p.grad.device == device for p in G.parameters())


# -- training ----------------------------------------------------------------------------------
def test_the_trainer_trains_a_dcgan_on_digits():
    rng = np.random.default_rng(0)
    digits = Digits(rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), rng.integers(0, 10, 40))
    G = gan.DCGANGenerator(nz=8, ngf=4, nc=1, image_size=32, generator=minigan.Generator(0))
    D = gan.DCGANDiscriminator(ndf=4, nc=1, image_size=32, generator=minigan.Generator(1))
    before = G.state_dict()
    adam = [optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (G, D)]
    trainer = gan.Trainer(G, D, *adam, DigitLoader(digits), batch_size=8, seed=0)
    history = trainer.fit(3, progress=False)
    assert len(history["d_loss"]) == 3 and np.isfinite(history["g_loss"]).all()
    assert all(not np.array_equal(before[k].numpy(), v.numpy())
               for k, v in G.state_dict().items() if k.endswith("weight"))
