"""``Flatten`` and ``Unflatten``: between the image world (N, C, H, W) and the vector world
(N, features), e.g. a discriminator's last feature map into a linear layer, or a generator's
first linear output into a 4x4 feature map."""

from .. import functional as F
from .module import Module


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one; by default all but the batch dimension:
    (N, C, H, W) -> (N, C*H*W)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: Unflatten(1, (C, H, W)) turns
    (N, C*H*W) into (N, C, H, W). One entry of the size may be -1 (inferred)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        dim = self.dim
        if not -input.ndim <= dim < input.ndim:
            raise ValueError(f"Unflatten: dim={self.dim} is out of range for an input of shape "
                             f"{tuple(input.shape)}")
        dim %= input.ndim
        return F.reshape(input, input.shape[:dim] + self.unflattened_size
                         + input.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
