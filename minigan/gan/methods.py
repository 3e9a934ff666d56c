"""Remedies for mode collapse, each a switch: ``make_method("pacgan2")``.

A *method* is everything that differs between GAN variants, and nothing else. The readable
step (:func:`minigan.gan.train_step`) asks it four questions:

- ``d_loss(real_logits, fake_logits)``: what D minimises, from its outputs on a real and a
  (detached) fake batch;
- ``penalty(D, real, fake, generator)``: a term added to D's loss that needs D itself (WGAN-GP's
  gradient penalty), 0 for most methods;
- ``after_d_step(D)``: anything done to D after its update (WGAN's weight clipping);
- ``g_loss(D, real, fake, opt_D)``: what G minimises, given D (frozen) and G's samples
  ``fake``; ``opt_D``, D's optimizer, is read only by the unrolled GAN, which simulates D's
  next updates.

and two more questions are asked when the players are built: ``d_steps``, the number of D
updates per G update (WGAN's n_critic), and ``discriminator_options``, the switches of
:class:`~minigan.gan.MLPDiscriminator` the method needs (``pack``, ``minibatch_std``,
``spectral_norm``). The base class :class:`Method` is the non-saturating GAN; each method
below overrides only what it changes.

=====================  ========================================================================
name                   what changes (source)
=====================  ========================================================================
``gan``                nothing: the non-saturating GAN (Goodfellow et al., 2014)
``gan_saturating``     G minimises E log(1 - D(G(z))), the minimax game as written (same paper)
``pacgan2/3/4``        D judges m = 2, 3, 4 samples at once, concatenated (Lin et al., 2018)
``minibatch_std``      D sees the batch's standard deviation as a feature (Karras et al., 2018)
``unrolled``           G's loss looks k steps ahead of D, differentiated through the steps
                       (Metz et al., 2017)
``wgan``               critic loss E D(G(z)) - E D(x), weights clipped to [-c, c], 5 critic
                       steps per G step (Arjovsky et al., 2017)
``wgan_gp``            the same losses, a gradient penalty instead of clipping (Gulrajani et
                       al., 2017)
``sngan``              every weight of D divided by its largest singular value (Miyato et al.,
                       2018)
``lsgan``              least squares instead of cross-entropy (Mao et al., 2017)
``label_smoothing``    one-sided: D's target for real samples is 0.9, not 1 (Salimans et al.,
                       2016)
``feature_matching``   G matches the mean of D's last hidden features on real and fake batches
                       (Salimans et al., 2016)
=====================  ========================================================================

Options are keyword arguments of :func:`make_method` (``make_method("wgan", clip=0.05)``);
each class lists its own.

Each class also says, in ``published``, how its paper (or the paper's reference code) trained it
on the 2D mixtures: ``"options"`` for :func:`make_method` and ``"preset"``, the fields of a
:class:`~minigan.gan.presets.Preset` it sets (learning rates, Adam's betas, batch size). The
``"published"`` preset of :func:`minigan.gan.experiment.run_mixture` runs each method with them;
a class whose paper has no 2D experiment keeps the plain GAN's, which are PacGAN's.
"""

import inspect
import math

from .._checks import check_choice, check_int, check_real
from ..autograd import grad
from ..functional import logsigmoid
from ..nn.utils.stateless import substituted
from ..optim import Adam
from ..random import rand
from ..tensor import Tensor
from .losses import check_generator_loss, discriminator_loss, generator_loss


def _check_number(method, name, value, minimum=0.0, integer=False):
    """``value`` if it is a number (an int when ``integer``) above ``minimum``."""
    if integer:
        return check_int(value, name, method, minimum=minimum + 1)
    return check_real(value, name, method, low=minimum, low_open=True)


class Method:
    """The non-saturating GAN, and the protocol every method follows (module docstring)."""

    name = "gan"
    d_steps = 1
    discriminator_options = {}
    # PacGAN's setting for its GAN row of Table 1 (Lin et al., 2018, Section 5, and their
    # released configuration synthetic_data_experiments/2DRing_GAN&PacGAN/config.py).
    published = {"options": {},
                 "preset": {"g_lr": 1e-4, "d_lr": 1e-4, "betas": (0.8, 0.999), "batch_size": 100}}

    def __init__(self):
        """A method without options (subclasses list theirs as keyword arguments)."""

    def d_loss(self, real_logits, fake_logits):
        """-V(D, G) = BCE(D(x), 1) + BCE(D(G(z)), 0)."""
        return discriminator_loss(real_logits, fake_logits)

    def penalty(self, D, real, fake, generator=None):
        """A term added to D's loss that needs D itself; none here."""
        return 0.0

    def after_d_step(self, D):
        """Called after each update of D; nothing to do here."""

    def g_loss(self, D, real, fake, opt_D=None):
        """-E log D(G(z)), the non-saturating loss."""
        return generator_loss(D(fake), "non_saturating")

    def options(self):
        """The options this method was made with, by name (what :func:`make_method` takes)."""
        return {name: getattr(self, name)
                for name in inspect.signature(type(self).__init__).parameters if name != "self"}

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{self.name}({options})"


class GAN(Method):
    """Goodfellow et al. (2014), with the generator loss ``loss``: ``"non_saturating"`` (the
    name ``gan``) or ``"saturating"`` (the name ``gan_saturating``). ``loss`` is an option of
    this one method; ``method=`` of the step and the Trainer chooses the method itself.

    Published 2D setting: PacGAN's GAN row (Lin et al., 2018, Section 5 and Table 1; their
    ``2DRing_GAN&PacGAN/config.py``): Adam 1e-4 with beta1 0.8 for both players, batches of
    100, 400,000 steps. Goodfellow et al. have no 2D mixture."""

    def __init__(self, loss="non_saturating"):
        self.loss = check_generator_loss(loss)
        self.name = "gan" if loss == "non_saturating" else "gan_saturating"

    def g_loss(self, D, real, fake, opt_D=None):
        return generator_loss(D(fake), self.loss)


class PacGAN(Method):
    """PacGAN (Lin et al., 2018): D's input is ``pack`` = m samples concatenated, all real or
    all fake, so D sees the joint distribution of m samples. A generator that repeats itself
    makes packs whose samples are alike, which real packs rarely are: packing makes mode
    collapse visible to D and penalises it. Only D's input changes (MLPDiscriminator's
    ``pack`` option, width m d); the losses are the GAN's, one logit per pack.

    Published 2D setting (Lin et al., 2018, Section 5 and Table 1; their
    ``2DRing_GAN&PacGAN/config.py`` and ``2DGrid_GAN&PacGAN/config.py``): the GAN's, Adam 1e-4
    with beta1 0.8, batches of 100 packs."""

    def __init__(self, pack=2):
        self.pack = _check_number("pacgan", "pack", pack, 1, integer=True)
        self.name = f"pacgan{pack}"
        self.discriminator_options = {"pack": pack}


class MinibatchStdGAN(Method):
    """D gets the batch's standard deviation as one more feature before its output layer
    (:class:`minigan.nn.MinibatchStd`), so a batch that lacks variety looks fake.

    Published 2D setting: none (Karras et al., 2018 train images only); the GAN's."""

    name = "minibatch_std"
    discriminator_options = {"minibatch_std": True}


class SNGAN(Method):
    """SN-GAN (Miyato et al., 2018): every weight of D is divided by its largest singular
    value (:func:`minigan.nn.utils.spectral_norm`), which bounds how steep D can be; the
    losses are the GAN's.

    Published setting: the paper has no 2D experiment; its Table 1 lists six optimiser
    settings, and setting C (Adam 2e-4, betas (0.5, 0.999), one D step per G step) is the one
    its authors' library runs SN-DCGAN with (pfnet-research/chainer-gan-lib, ``example.sh``,
    batches of 64 by default there)."""

    name = "sngan"
    discriminator_options = {"spectral_norm": True}
    published = {"options": {},
                 "preset": {"g_lr": 2e-4, "d_lr": 2e-4, "betas": (0.5, 0.999), "batch_size": 64}}


class LSGAN(Method):
    """Least squares GAN (Mao et al., 2017), targets 1 for real and 0 for fake on D's raw
    output l: D minimises 1/2 E (l(x) - 1)^2 + 1/2 E l(G(z))^2, G minimises
    1/2 E (l(G(z)) - 1)^2. A sample far on the right side of the boundary still gets a
    gradient, unlike with the sigmoid's saturation.

    Published 2D setting: not taken from Mao et al.; the GAN's, so that the loss is the one
    difference from the GAN's row."""

    name = "lsgan"

    def d_loss(self, real_logits, fake_logits):
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits ** 2).mean()

    def g_loss(self, D, real, fake, opt_D=None):
        return 0.5 * ((D(fake) - 1) ** 2).mean()


class LabelSmoothing(Method):
    """One-sided label smoothing (Salimans et al., 2016): D's target for real samples is
    ``real_label`` = 0.9 instead of 1, i.e. BCE(D(x), 0.9) + BCE(D(G(z)), 0). D can no longer
    gain by growing its logits without bound on the data, which keeps it from becoming
    overconfident; fake targets stay 0 (smoothing them would reward G's mistakes).

    Published 2D setting: none (Salimans et al. train images only); the GAN's."""

    name = "label_smoothing"

    def __init__(self, real_label=0.9):
        self.real_label = _check_number("label_smoothing", "real_label", real_label)
        if real_label > 1:
            raise ValueError(f"label_smoothing: real_label must be in (0, 1], got {real_label}")

    def d_loss(self, real_logits, fake_logits):
        a = self.real_label
        real = -(a * logsigmoid(real_logits) + (1 - a) * logsigmoid(-real_logits)).mean()
        return real - logsigmoid(-fake_logits).mean()


class FeatureMatching(Method):
    """Feature matching (Salimans et al., 2016): G minimises |E f(x) - E f(G(z))|^2, where f
    is D's last hidden layer (``D.features``), instead of fooling D's output. G then matches
    the statistics D finds informative rather than chasing D's current decision boundary.

    Published 2D setting: none (Salimans et al. train images only); the GAN's."""

    name = "feature_matching"

    def g_loss(self, D, real, fake, opt_D=None):
        if not hasattr(D, "features"):
            raise TypeError(f"feature_matching: D must have a features(x) method giving its "
                            f"hidden features (MLPDiscriminator does); got "
                            f"{type(D).__name__}")
        gap = D.features(real).mean(dim=0) - D.features(fake).mean(dim=0)
        return (gap * gap).sum()


class WGAN(Method):
    """Wasserstein GAN (Arjovsky et al., 2017). D is a *critic* f with real-valued output: it
    maximises E f(x) - E f(G(z)), an estimate of the Wasserstein-1 distance when f is
    1-Lipschitz, and G minimises -E f(G(z)). Lipschitz-ness is enforced crudely: after each
    critic update every weight is clipped to [-``clip``, ``clip``]; the critic is trained
    ``n_critic`` = 5 times per generator step, so that it stays near its optimum.

    Published 2D setting: the WGAN mode of the WGAN-GP authors' toy script (Gulrajani et al.,
    2017, reference code ``gan_toy.py``, ``MODE = 'wgan'``): clip 0.01, 5 critic steps,
    RMSProp 5e-5 for both players, batches of 256. minigan has no RMSProp: Adam with betas
    (0, 0.9) stands in for it (no momentum, a running mean of g^2 with decay 0.9: RMSProp with
    TensorFlow's default decay, plus Adam's bias correction)."""

    name = "wgan"
    published = {"options": {"clip": 0.01, "n_critic": 5},
                 "preset": {"g_lr": 5e-5, "d_lr": 5e-5, "betas": (0.0, 0.9), "batch_size": 256}}

    def __init__(self, clip=0.01, n_critic=5):
        self.clip = _check_number("wgan", "clip", clip)
        self.n_critic = self.d_steps = _check_number("wgan", "n_critic", n_critic, 0, True)

    def d_loss(self, real_logits, fake_logits):
        return fake_logits.mean() - real_logits.mean()

    def g_loss(self, D, real, fake, opt_D=None):
        return -D(fake).mean()

    def after_d_step(self, D):
        for p in D.parameters():
            p.data.clip(-self.clip, self.clip, out=p.data)


class WGANGP(WGAN):
    """WGAN-GP (Gulrajani et al., 2017): the WGAN losses, and instead of clipping a penalty
    that keeps the critic's gradient norm near 1 between the two distributions:

        lambda E (|grad_x f(x_hat)|_2 - 1)^2,   x_hat = e x + (1 - e) G(z),  e ~ U(0, 1),

    one e per pair of samples. The penalty is a function of a gradient, so D's update needs
    its second derivatives: ``grad(..., create_graph=True)``.

    Published 2D setting (Gulrajani et al., 2017, reference code ``gan_toy.py``, the 8- and
    25-Gaussian toy runs): penalty weight lambda = 0.1 (the default 10 is the paper's for
    images), 5 critic steps, Adam 1e-4 with betas (0.5, 0.9) for both players, batches of 256,
    G and D with 3 hidden layers of 512 ReLU units, 100,000 steps."""

    name = "wgan_gp"
    published = {"options": {"penalty_weight": 0.1, "n_critic": 5},
                 "preset": {"g_lr": 1e-4, "d_lr": 1e-4, "betas": (0.5, 0.9), "batch_size": 256}}

    def __init__(self, penalty_weight=10.0, n_critic=5):
        self.penalty_weight = _check_number("wgan_gp", "penalty_weight", penalty_weight)
        self.n_critic = self.d_steps = _check_number("wgan_gp", "n_critic", n_critic, 0, True)

    def penalty(self, D, real, fake, generator=None):
        e = rand(real.shape[0], *(1,) * (real.ndim - 1), dtype=real.dtype, device=real.device,
                 generator=generator)
        x_hat = (e * real + (1 - e) * fake).detach().requires_grad_()
        (slope,) = grad(D(x_hat).sum(), x_hat, create_graph=True)
        # + a tiny constant: the norm's gradient is 0/0 where the slope vanishes
        norm = ((slope * slope).flatten(1).sum(dim=1) + 1e-12).sqrt()
        return self.penalty_weight * ((norm - 1) ** 2).mean()

    def after_d_step(self, D):
        pass  # the penalty replaces WGAN's clipping


class UnrolledGAN(Method):
    """Unrolled GAN (Metz et al., 2017): G is trained against the discriminator D_k that k
    more updates of D would give, and the gradient flows back *through* those updates:

        theta_0 = D's weights,  theta_{i+1} = U(theta_i, grad_theta d_loss(theta_i; x, G(z))),

    with theta_k a function of G through the fakes in every d_loss. G sees how D would react
    to its move: jumping on the mode D currently favours is no longer rewarded if D would
    catch it within k steps. The update U is ``optimizer``:

    - ``"sgd"``: plain gradient steps, theta - ``lr`` g;
    - ``"adam"``: the update of D's own Adam (``opt_D``, its learning rate, betas, eps and
      weight decay), continuing from its running moments m, v and step count t:
      m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g^2, t <- t + 1,
      theta <- theta - lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
      One unrolled step is exactly the step ``opt_D`` would take; ``lr`` is not used.

    The unrolled updates use the batch of D's last update; D's real update is not changed.
    G minimises, by ``loss``:

    - ``"non_saturating"``: -E log D(G(z); theta_k);
    - ``"saturating"``: the value V(G, theta_k) = E log D(x; theta_k) + E log(1 - D(G(z);
      theta_k)), the paper's surrogate f_K. Its first term depends on G too, through theta_k.

    Differentiating through the updates takes second derivatives (create_graph=True).

    Published 2D setting: the ring demo of the paper's second author (Metz et al., 2017;
    poolio/unrolled_gan, ``Unrolled GAN demo.ipynb``, Gaussians of std 0.01 on the unit
    circle, as here): 5 unrolled steps of D's Adam, the saturating loss (G minimises -1 times
    D's loss at theta_k), Adam with beta1 0.5, learning rate 1e-3 for G and 1e-4 for D,
    batches of 512, 25,000 steps, G and D with 2 hidden layers of 128 tanh units, z of 256
    dimensions."""

    name = "unrolled"
    published = {"options": {"steps": 5, "optimizer": "adam", "loss": "saturating"},
                 "preset": {"g_lr": 1e-3, "d_lr": 1e-4, "betas": (0.5, 0.999), "batch_size": 512}}

    def __init__(self, steps=5, lr=0.05, optimizer="sgd", loss="non_saturating"):
        self.steps = _check_number("unrolled", "steps", steps, 0, integer=True)
        self.lr = _check_number("unrolled", "lr", lr)
        self.optimizer = check_choice(optimizer, "optimizer", ("sgd", "adam"), "unrolled")
        self.loss = check_generator_loss(loss)

    def g_loss(self, D, real, fake, opt_D=None):
        with substituted(D, self.lookahead(D, real, fake, opt_D)):
            if self.loss == "saturating":
                return -discriminator_loss(D(real), D(fake))
            return generator_loss(D(fake), "non_saturating")

    def lookahead(self, D, real, fake, opt_D=None):
        """theta_k by parameter name: D's weights after ``steps`` simulated updates on the batch
        (``real``, ``fake``), functions of ``fake`` and so of G."""
        names = [name for name, _ in D.named_parameters()]
        # theta_0: new leaves on D's arrays, to differentiate with while D itself is frozen
        theta = [Tensor(p.data, requires_grad=True) for _, p in D.named_parameters()]
        update = (_adam_update(D, opt_D) if self.optimizer == "adam" else
                  lambda theta, slopes: [t - self.lr * g for t, g in zip(theta, slopes)])
        for _ in range(self.steps):
            with substituted(D, dict(zip(names, theta))):
                loss = discriminator_loss(D(real), D(fake))
            theta = update(theta, grad(loss, theta, create_graph=True))
        return dict(zip(names, theta))


def _adam_update(D, opt_D):
    """Adam's update of D's parameters as a function (theta, grads) -> new theta of tensors,
    so that a gradient flows through it: ``opt_D``'s rule (:mod:`minigan.optim.adam`), its
    hyperparameters, and its running moments as they are now, carried from call to call."""
    if not isinstance(opt_D, Adam):
        raise TypeError(f"unrolled: optimizer='adam' unrolls D's Adam, so D's optimizer must be "
                        f"a minigan.optim.Adam; got {type(opt_D).__name__}")
    group_of = {id(p): group for group in opt_D.param_groups for p in group["params"]}
    moments = []  # per parameter: [m, v, t, its group]
    for name, p in D.named_parameters():
        if id(p) not in group_of:
            raise ValueError(f"unrolled: D's optimizer does not update D's parameter {name!r}")
        state = opt_D.state.get(p)
        if state:
            moments.append([Tensor(state["exp_avg"]), Tensor(state["exp_avg_sq"]), state["step"],
                            group_of[id(p)]])
        else:  # not updated yet: Adam's moments start at 0
            zeros = Tensor(p.xp.zeros_like(p.data))
            moments.append([zeros, zeros, 0, group_of[id(p)]])

    def update(theta, slopes):
        new = []
        for t, g, moment in zip(theta, slopes, moments):
            m, v, step, group = moment
            (beta1, beta2), eps = group["betas"], group["eps"]
            if group["weight_decay"]:
                g = g + group["weight_decay"] * t
            m, v, step = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g, step + 1
            moment[:3] = m, v, step
            # + 1e-30: sqrt's derivative is infinite at 0, where a unit that no sample
            # activates has v = 0 (and m = 0: the step, like Adam's, is 0 there)
            denom = (v + 1e-30).sqrt() / math.sqrt(1 - beta2 ** step) + eps
            new.append(t - group["lr"] / (1 - beta1 ** step) * m / denom)
        return new

    return update


# -- the switches by name -------------------------------------------------------------------------
_FACTORIES = {
    "gan": (GAN, {}),
    "gan_saturating": (GAN, {"loss": "saturating"}),
    "pacgan2": (PacGAN, {"pack": 2}),
    "pacgan3": (PacGAN, {"pack": 3}),
    "pacgan4": (PacGAN, {"pack": 4}),
    "minibatch_std": (MinibatchStdGAN, {}),
    "unrolled": (UnrolledGAN, {}),
    "wgan": (WGAN, {}),
    "wgan_gp": (WGANGP, {}),
    "sngan": (SNGAN, {}),
    "lsgan": (LSGAN, {}),
    "label_smoothing": (LabelSmoothing, {}),
    "feature_matching": (FeatureMatching, {}),
}

METHODS = tuple(_FACTORIES)
"""The names :func:`make_method` knows."""


def make_method(method="gan", **options):
    """The :class:`Method` called ``method`` (one of :data:`METHODS`), with ``options`` (see
    its class); a Method object is returned as it is."""
    if isinstance(method, Method):
        if options:
            raise ValueError(f"make_method: options {sorted(options)} were given with a "
                             f"ready-made method {method!r}; make it with them instead")
        return method
    if not isinstance(method, str) or method not in _FACTORIES:
        raise ValueError(f"unknown method {method!r}; the known methods are "
                         f"{', '.join(map(repr, METHODS))}")
    cls, fixed = _FACTORIES[method]
    allowed = [p for p in inspect.signature(cls.__init__).parameters
               if p != "self" and p not in fixed]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        takes = f"takes the options {', '.join(allowed)}" if allowed else "takes no options"
        raise ValueError(f"make_method: unknown option(s) {', '.join(unknown)} for {method!r}, "
                         f"which {takes}")
    return cls(**fixed, **options)
