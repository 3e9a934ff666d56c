"""Optimizers: ``import minigan.optim as optim``; ``optim.Adam(model.parameters(), lr=2e-4)``.

Each follows the PyTorch optimizer of the same name step for step (same arguments, same state
names, same state-dict layout), so a trajectory can be compared value for value.
``optim.swa_utils.AveragedModel`` keeps an average of a model's weights (the EMA of G).
"""

from . import swa_utils
from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "swa_utils"]
