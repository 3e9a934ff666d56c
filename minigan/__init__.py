"""minigan: a small, readable deep-learning engine for learning Generative Adversarial Networks.

    import minigan
    import minigan.functional as F

    x = minigan.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = F.sigmoid(x).sum()
    loss.backward()          # x.grad == sigmoid(x) * (1 - sigmoid(x))
"""

from . import backend, cuda, functional, nn, optim, random
from .autograd import (
                       Function,
                       GraphFreedError,
                       InplaceModificationError,
                       enable_grad,
                       grad,
                       is_grad_enabled,
                       no_grad,
                       set_grad_enabled,
)
from .backend import DeviceError
from .functional import cat, concatenate, matmul, stack, where
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .kernels.threads import get_num_threads, set_num_threads
from .random import Generator, manual_seed, rand, randint, randn
from .serialization import CheckpointError, load, save
from .tensor import Tensor, ones, ones_like, tensor, zeros, zeros_like

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "zeros_like", "ones_like",
    "Function", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "GraphFreedError", "DeviceError", "gradcheck", "gradgradcheck", "GradcheckError",
    "InplaceModificationError",
    "cat", "concatenate", "stack", "where", "matmul",
    "Generator", "manual_seed", "randn", "rand", "randint",
    "save", "load", "CheckpointError",
    "get_num_threads", "set_num_threads",
    "backend", "cuda", "functional", "random", "nn", "optim",
]
