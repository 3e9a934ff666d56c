"""Layers and models: ``import minigan.nn as nn``.

A model is a :class:`Module` holding :class:`Parameter` s and sub-modules; the layers here are
the ones a GAN needs, with PyTorch's names, arguments, default initialisation and state-dict
keys. :mod:`minigan.nn.init` fills weights (including the DCGAN paper's N(0, 0.02)).
"""

from . import init, utils
from .activation import LeakyReLU, ReLU, Sigmoid, Tanh
from .container import Sequential
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .flatten import Flatten, Unflatten
from .linear import Linear
from .maxout import Maxout
from .minibatch_std import MinibatchStd
from .module import IncompatibleKeys, Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "Module", "Parameter", "IncompatibleKeys", "Sequential",
    "Linear", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d",
    "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Flatten", "Unflatten", "Dropout",
    "Maxout", "MinibatchStd",
    "init", "utils",
]
