"""``minigan.cuda.is_available()``: whether the ``"cuda"`` device can be used here."""

from .backend import cuda_is_available as is_available
from .backend import cuda_unavailable_reason as unavailable_reason

__all__ = ["is_available", "unavailable_reason"]
