"""Reverse-mode automatic differentiation: the graph's nodes, the backward walk, grad modes."""

from .engine import backward, grad
from .function import Function, GraphFreedError, InplaceModificationError
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "GraphFreedError", "InplaceModificationError", "backward", "grad",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
