"""``AveragedModel``: a running average of a model's weights (PyTorch's ``swa_utils``).

A GAN's generator does not settle: each of D's updates moves the target it chases, so G's
weights wander around a good solution. Sampling from an *average* of recent weights smooths the
wandering out. The exponential moving average (EMA), updated after every step of G,

    theta_ema <- beta * theta_ema + (1 - beta) * theta,

weighs the last ~1 / (1 - beta) steps; ProGAN (Karras et al. 2018) and StyleGAN sample from it
with beta = 0.999, and Yazici et al. (2019), "The unusual effectiveness of averaging in GAN
training", measure the gain. The average is only *looked at*: training goes on with G itself.

    ema = AveragedModel(G, avg_fn=get_ema_avg_fn(0.999), use_buffers=True)
    ...                              # after each update of G:
    ema.update_parameters(G)
    samples = generate(ema, z)      # ema(z) runs the averaged copy

Without ``avg_fn`` the average is the plain mean of every model it was given (stochastic weight
averaging): theta_avg <- theta_avg + (theta - theta_avg) / (n + 1).
"""

import copy

import numpy as np

from .._checks import check_probability
from ..autograd import no_grad
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..tensor import Tensor


def get_ema_avg_fn(decay=0.999):
    """The EMA update, ``avg_fn(averaged, current, n) = decay * averaged + (1 - decay) *
    current``, with ``decay`` (beta above) in [0, 1]."""
    decay = check_probability(decay, "decay", "get_ema_avg_fn")

    def ema(averaged, current, num_averaged):
        return decay * averaged + (1 - decay) * current

    return ema


def _running_mean(averaged, current, num_averaged):
    return averaged + (current - averaged) / (num_averaged + 1)


class AveragedModel(Module):
    """A copy of ``model`` whose weights are an average of ``model``'s over the calls of
    :meth:`update_parameters`; calling it runs the copy.

    - ``avg_fn(averaged, current, num_averaged)``: the new average of one tensor (the data of
      the copy's and the model's parameter, and how many models were averaged so far); None:
      the running mean. :func:`get_ema_avg_fn` gives the EMA.
    - ``use_buffers``: average the floating-point buffers too (batch norm's running mean and
      variance), and copy the others (its step count); otherwise the copy's buffers stay those
      of ``model`` when the copy was made.

    The first call of ``update_parameters`` copies ``model``'s weights (the average of one
    model). The copy's parameters do not require grad: nothing trains them.
    ``state_dict()`` holds the copy's weights and buffers and ``n_averaged``.
    """

    def __init__(self, model, avg_fn=None, use_buffers=False):
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be a minigan Module, got "
                            f"{type(model).__name__}")
        if avg_fn is not None and not callable(avg_fn):
            raise TypeError("AveragedModel: avg_fn must be a function (averaged, current, "
                            f"num_averaged) -> averaged, got {type(avg_fn).__name__}")
        self.module = copy.deepcopy(model)
        self.module.requires_grad_(False)
        self.avg_fn = _running_mean if avg_fn is None else avg_fn
        self.use_buffers = bool(use_buffers)
        self.register_buffer("n_averaged", _zeros_like_count(model))

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model):
        tensors = list(model.parameters())
        return tensors + list(model.buffers()) if self.use_buffers else tensors

    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average."""
        mine, theirs = self._tensors(self.module), self._tensors(model)
        if len(mine) != len(theirs) or any(a.shape != b.shape for a, b in zip(mine, theirs)):
            raise ValueError("AveragedModel.update_parameters: model has other parameters than "
                             "the model this average was made from")
        n = int(self.n_averaged.item())
        with no_grad():
            for averaged, current in zip(mine, theirs):
                if n == 0 or averaged.dtype.kind != "f":  # the first model; a count is copied
                    averaged.copy_(current)
                else:
                    averaged.copy_(self.avg_fn(averaged.data, current.data, n))
            self.n_averaged.fill_(n + 1)


def update_bn(inputs, model):
    """Recompute the running statistics of every batch norm layer of ``model`` (an averaged copy
    or any model) from the batches in ``inputs`` (Tensors, or tuples of a model's arguments), as
    PyTorch's ``swa_utils.update_bn``: the statistics are reset and then averaged over the batches
    with equal weight (momentum None), without gradients; the modes and momenta come back.

    An average of weights is a new network: the statistics its layers were trained with belong to
    other weights, and batch norm in eval mode would normalise with the wrong ones."""
    if not isinstance(model, Module):
        raise TypeError(f"update_bn: model must be a minigan Module, got {type(model).__name__}")
    layers = [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]
    if not layers:
        return
    momenta = [layer.momentum for layer in layers]
    was_training = model.training
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None
    model.train()
    with no_grad():
        for batch in inputs:
            model(*batch) if isinstance(batch, tuple) else model(batch)
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum
    model.train(was_training)


def _zeros_like_count(model):
    """A 0-d int64 zero on ``model``'s device: the count of models averaged."""
    first = next(iter(model.parameters()), None)
    xp = np if first is None else first.xp
    return Tensor(xp.zeros((), dtype=np.int64))
