"""Whether operations record a graph: ``no_grad`` / ``enable_grad`` switch it, like PyTorch's.

A single module-level flag: minigan runs on one thread, and reading a global is the cheapest
check an operation can make on its hot path.
"""

import functools

_enabled = True


def is_grad_enabled():
    """True when new operations record the graph that backward needs."""
    return _enabled


class _GradMode:
    """A context manager (and decorator) that sets grad mode inside it and restores it after."""

    mode = True

    def __init__(self):
        self._previous = []  # a stack, so that one instance can be entered again inside itself

    def __enter__(self):
        global _enabled
        self._previous.append(_enabled)
        _enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        global _enabled
        _enabled = self._previous.pop()
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Operations inside build no graph: for evaluation, sampling and optimizer updates."""

    mode = False


class enable_grad(_GradMode):
    """Operations inside record the graph again, even within ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Grad mode on or off: in a ``with`` block until it ends, or, called on its own as in
    PyTorch (``set_grad_enabled(False)``), from now on."""

    def __init__(self, mode):
        global _enabled
        super().__init__()
        self.mode = bool(mode)
        self._on_call = _enabled
        _enabled = self.mode  # takes effect at once, so the plain call works

    def __enter__(self):
        self._previous.append(self._on_call)  # __exit__ goes back to the mode before the call
        return self

    def __call__(self, fn):
        global _enabled
        _enabled = self._on_call  # used as a decorator: the mode applies inside fn only
        return super().__call__(fn)
