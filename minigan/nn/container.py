"""``Sequential``: layers applied one after the other, y = f_n(...f_2(f_1(x)))."""

from collections import OrderedDict

from .module import Module


class Sequential(Module):
    """A chain of modules: ``Sequential(Linear(2, 16), ReLU(), Linear(16, 1))``.

    The children are named "0", "1", ... (their keys in the state dict: "0.weight"...), or by
    the keys of an OrderedDict passed as the only argument. Index it (``net[0]``, ``net[-1]``,
    ``net[1:]`` is a Sequential sharing the layers), iterate over it, or ``append`` to it.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = modules[0].items()
        else:
            items = ((str(i), m) for i, m in enumerate(modules))
        for name, module in items:
            self._add(name, module)

    def _add(self, name, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: entry '{name}' must be a Module, got "
                            f"{type(module).__name__}")
        setattr(self, name, module)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self._add(str(len(self)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(modules[index]))
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"Sequential index {index} is out of range for {len(modules)} "
                             "modules")
        return modules[index][1]

    def forward(self, input):
        for module in self:
            input = module(input)
        return input
