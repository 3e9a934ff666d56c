"""``Optimizer``: what every update rule shares (parameter groups, state, checkpoints).

An optimizer holds the parameters it updates in *parameter groups*: dicts with a ``"params"``
list and the hyperparameters for them (``lr``...). Most code passes one list and gets one group;
a list of dicts gives several (e.g. a smaller learning rate for some layers)::

    opt = Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt = SGD([{"params": body.parameters()}, {"params": head.parameters(), "lr": 0.1}], lr=0.01)

A subclass writes its rule once, in ``_update(param, grad, state, group)``, on *arrays*: the
update is arithmetic on ``p.data`` in place, outside the graph (as PyTorch's runs under
``no_grad``), with the array module of the parameter, so it runs on either device. Each step
counts as an in-place write (``p._version`` goes up): a loss computed before the step must be
computed again before its backward, which would otherwise use the new weights with the old
activations (see :mod:`minigan.tensor`).
"""

import numpy as np

from .. import backend
from ..autograd import enable_grad
from ..tensor import Tensor


class Optimizer:
    """Base class: ``defaults`` are the hyperparameters a group gets when it does not set them."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}  # parameter -> its dict of running values (arrays and counts)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors (e.g. "
                            "model.parameters()), got a single Tensor; wrap it in a list")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a dict ``{"params": [...], hyperparameter: value, ...}``; missing
        hyperparameters take the defaults."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' entry")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{name}: unknown hyperparameters {sorted(unknown)}; expected "
                             f"some of {sorted(self.defaults)}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} must be a Tensor, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: parameter {i} is the result of an operation; an "
                                 "optimizer updates leaf tensors (e.g. nn.Parameter)")
            if id(p) in taken:
                raise ValueError(f"{name}: parameter {i} appears twice (in this group or "
                                 "another); each tensor may be given once")
            taken.add(id(p))
        full = {**self.defaults, **group, "params": params}
        self._check_hyperparameters(full)
        self.param_groups.append(full)

    def _check_hyperparameters(self, group):
        """Raise a ValueError naming a bad hyperparameter (subclasses check theirs)."""

    def _update(self, param, grad, state, group):
        """Update the array ``param`` in place from its gradient ``grad`` (arrays)."""
        raise NotImplementedError(f"{type(self).__name__} must define _update(...)")

    def step(self, closure=None):
        """Update every parameter that has a gradient. ``closure``, if given, recomputes and
        returns the loss (with backward) before the update; step returns that loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p.data, p.grad.data, self.state.setdefault(p, {}), group)
                    p._bump_version()  # a graph built before this step can no longer backward
        return loss

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of the parameters (to None, or to zeros) before the next
        backward, which would otherwise add to them."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else Tensor._from_op(p.xp.zeros_like(p.data),
                                                                      None)

    # -- checkpoints ---------------------------------------------------------------------
    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """``{"state": {index: {name: value}}, "param_groups": [{hyperparameters, "params":
        [indices]}]}``, PyTorch's layout: parameters are named by their position across the
        groups, so the dict can be loaded into a new optimizer over a new copy of the model.
        Arrays are returned as Tensor copies (a snapshot)."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        state = {index[id(p)]: {k: Tensor._from_op(v.copy(), None) if backend.is_array(v) else v
                                for k, v in s.items()}
                 for p, s in self.state.items() if s}  # plain SGD keeps no state
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state saved by :meth:`state_dict`; arrays go to the
        device and dtype of their parameter. Nothing changes unless all of it fits."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}.load_state_dict: expected a dict with the keys 'state' and "
                             "'param_groups', as optimizer.state_dict() makes it")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups, this optimizer {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: group {i} has "
                                 f"{len(saved['params'])} parameters in the state dict, "
                                 f"{len(group['params'])} here")
            if set(saved) != set(group):
                raise ValueError(f"{name}.load_state_dict: group {i} has hyperparameters "
                                 f"{sorted(set(saved) - {'params'})} in the state dict, but "
                                 f"{name} has {sorted(set(group) - {'params'})}: was it saved "
                                 "by another kind of optimizer?")
            self._check_hyperparameters(saved)
        params = self._all_params()
        state = {}
        for i, entries in state_dict["state"].items():
            if not isinstance(i, (int, np.integer)) or not 0 <= i < len(params):
                raise ValueError(f"{name}.load_state_dict: state key {i!r} is not the index of "
                                 f"one of the {len(params)} parameters")
            p = params[i]
            state[p] = {k: self._state_array(v, p, f"state[{i}][{k!r}]")
                        if isinstance(v, Tensor) or backend.is_array(v) else v
                        for k, v in entries.items()}
        self.state = state
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})

    def _state_array(self, value, param, where):
        value = value.data if isinstance(value, Tensor) else value
        if value.shape != param.shape:
            raise ValueError(f"{type(self).__name__}.load_state_dict: {where} has shape "
                             f"{tuple(value.shape)}, but its parameter has shape "
                             f"{tuple(param.shape)}")
        return backend.to_device(value, param.device).astype(param.dtype, copy=True)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            count = sum(p.numel() for p in group["params"])
            settings = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} tensors, {count:,} values; "
                         f"{settings}")
        return "\n".join(lines + [")"])
