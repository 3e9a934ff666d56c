"""Whether operations record a graph: ``no_grad`` / ``enable_grad`` switch it, like PyTorch's.

A single module-level flag: minigan runs on one thread, and reading a global is the cheapest
check an operation can make on its hot path.
"""

import functools

_enabled = True


def is_grad_enabled():
    """True when new operations record the graph that backward needs."""
    return _enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off inside it."""

    def __init__(self, mode):
        self.mode = bool(mode)

    def __enter__(self):
        global _enabled
        self.previous, _enabled = _enabled, self.mode
        return self

    def __exit__(self, *exc_info):
        global _enabled
        _enabled = self.previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """Operations inside build no graph: for evaluation, sampling and optimizer updates."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Operations inside record the graph again, even within ``no_grad``."""

    def __init__(self):
        super().__init__(True)
