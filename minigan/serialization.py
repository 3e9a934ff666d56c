"""``minigan.save(obj, path)`` / ``minigan.load(path)``: checkpoints as ``.npz`` files.

What can be saved: nested dicts, lists and tuples of Tensors, arrays, numbers, strings, bools
and None; for instance ``{"epoch": 3, "G": G.state_dict(), "opt_G": opt_G.state_dict()}``.

The file is an ordinary NumPy ``.npz`` archive (readable with ``numpy.load``), with

- one entry per array, named ``"0"``, ``"1"``, ... and always stored as NumPy, so a checkpoint
  written on "cuda" loads on "cpu";
- one entry ``"__minigan__"``: the structure of ``obj`` as UTF-8 JSON, in which each array is
  replaced by a reference to its entry and each dict, tuple or Tensor is tagged so that it
  comes back as it went in (int keys stay ints, tuples stay tuples).

No pickle is involved: loading a file runs no code from it.

Saving is atomic: the archive is written to a temporary file in the same folder, flushed to
disk (fsync), then renamed over ``path`` in one step (``os.replace``). A crash or an error part
way through leaves the previous checkpoint at ``path`` untouched. The temporary file is
``.<name>.<12 hex digits>.tmp`` beside ``path``: an error or an interruption (Ctrl-C, or
SIGTERM inside :func:`sigterm_as_interrupt`) removes it, and what a ``kill -9`` leaves behind
is removed by the next save to the same ``path`` (only that name's temporary files).

Before a long run, :func:`check_folder` says whether its files can be written at all, so
that a bad output folder fails before the first step rather than after the last.
"""

import contextlib
import json
import os
import re
import signal
import tempfile
import threading
import uuid
import zipfile

import numpy as np

from . import backend
from .tensor import Tensor

_MANIFEST = "__minigan__"
_FORMAT = "minigan-checkpoint"
_VERSION = 1
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive, or an empty one


class CheckpointError(ValueError):
    """A file is missing pieces, damaged, or not a minigan checkpoint."""


# -- the structure of an object as JSON, arrays set aside --------------------------------------
def _encode(obj, arrays, where):
    """A JSON-able picture of ``obj``; arrays are appended to ``arrays`` and referenced."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, where)
    if isinstance(obj, Tensor) or backend.is_array(obj):
        array = backend.as_numpy(obj.data if isinstance(obj, Tensor) else obj)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"save: {where} is an array of {array.dtype}; only numeric and bool "
                            "arrays can be saved")
        arrays.append(array)
        return {"tensor" if isinstance(obj, Tensor) else "array": str(len(arrays) - 1)}
    if isinstance(obj, dict):
        for k in obj:
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"save: {where} has the key {k!r}; keys must be str or int")
        return {"dict": [[k, _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"tuple": items} if isinstance(obj, tuple) else items
    raise TypeError(f"save: {where} is a {type(obj).__name__}, which cannot be saved; use "
                    "dicts, lists, tuples, Tensors, arrays, numbers, strings, bools and None "
                    "(e.g. model.state_dict(), not the model)")


def _decode(node, arrays):
    """Invert :func:`_encode`, taking arrays from the mapping ``arrays`` (name -> array)."""
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if not isinstance(node, dict):
        return node
    (tag, value), = node.items()
    if tag == "dict":
        return {k: _decode(v, arrays) for k, v in value}
    if tag == "tuple":
        return tuple(_decode(v, arrays) for v in value)
    if tag == "tensor":
        return Tensor(arrays[value])
    if tag == "array":
        return arrays[value]
    raise ValueError(f"unknown tag {tag!r}")


# -- writing -------------------------------------------------------------------------------------
def save(obj, path):
    """Write ``obj`` (nested dicts / lists / tuples of Tensors, arrays and plain values) to
    ``path`` as an ``.npz`` archive, atomically (see the module docstring). ``path`` is used as
    given: no extension is added."""
    arrays = []
    manifest = {"format": _FORMAT, "version": _VERSION, "object": _encode(obj, arrays, "obj")}
    entries = {str(i): a for i, a in enumerate(arrays)}
    entries[_MANIFEST] = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: the folder {folder!r} does not exist")
    remove_stale_temps(path)
    # A fresh name beside the target (a rename is atomic only within one file system); mode
    # 0o666 lets the umask decide the permissions, as for any new file.
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    try:  # the file is created inside the try: an interrupt just after it still removes it
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **entries)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # keep the original error, not a cleanup one
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _temp_pattern(path):
    """The names of :func:`save`'s temporary files for ``path``: ``.<name>.<12 hex>.tmp``."""
    return re.compile(rf"\.{re.escape(os.path.basename(path))}\.[0-9a-f]{{12}}\.tmp")


def remove_stale_temps(path):
    """Remove the temporary files that interrupted saves to ``path`` left beside it (a save
    killed with SIGKILL cannot clean up after itself); other files are never touched. Returns
    the paths removed. (:func:`save` calls it: one process at a time should save to a path.)"""
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    pattern = _temp_pattern(os.fspath(path))
    removed = []
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if pattern.fullmatch(name):
                with contextlib.suppress(OSError):  # another process may remove it first
                    os.unlink(os.path.join(folder, name))
                    removed.append(os.path.join(folder, name))
    return removed


def check_folder(folder):
    """Raise ValueError, saying why, unless files can be written into ``folder``: it is a
    folder that accepts new files, or it does not exist yet and can be created (its nearest
    existing parent is a writable folder). Nothing is left behind (a temporary file is
    written and removed, the one sure test of writing). Run it before a long run, so
    that a bad output folder fails before the first step rather than at the first save."""
    folder = os.path.abspath(os.fspath(folder))
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        what = "is" if existing == folder else "would be the folder above it, but is"
        raise ValueError(f"cannot write into {folder!r}: {existing!r} {what} a file, not a "
                         "folder")
    try:  # the one sure test (permissions, read-only mounts, ACLs): write a file there
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        where = "" if existing == folder else f" (it would be created in {existing!r})"
        raise ValueError(f"cannot write into {folder!r}{where}: {error.strerror or error}") \
            from None


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within this block, SIGTERM (``kill``, a job scheduler's stop) raises KeyboardInterrupt
    like Ctrl-C does, so that a save under way removes its temporary file and the last
    checkpoint stays whole. Only the main thread can set signal handlers; elsewhere (and where
    there is no SIGTERM) the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "SIGTERM"):
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum} (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); where folders cannot be opened, skip it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- reading -------------------------------------------------------------------------------------
def load(path):
    """Read a checkpoint written by :func:`save`. Tensors come back as CPU Tensors (move them
    with ``.to(device)``, or let ``load_state_dict`` copy them to the model's device); arrays as
    NumPy arrays. A missing file raises FileNotFoundError; a damaged, truncated or foreign file
    raises :class:`CheckpointError` saying what is wrong."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no checkpoint at {path!r}")
    if os.path.isdir(path):
        raise CheckpointError(f"load: {path!r} is a folder; give the checkpoint file in it")
    with open(path, "rb") as f:
        start = f.read(6)
    if start and not start.startswith(_ZIP_MAGIC):  # numpy.load would try .npy or pickle
        raise CheckpointError(f"load: {path!r} is not a minigan checkpoint: a checkpoint is an "
                              f".npz (zip) archive, whose bytes start with 'PK', and this file "
                              f"{_sniff(start)}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            entries = {name: archive[name] for name in archive.files}
    # What zipfile and numpy raise on damaged bytes, depending on where the damage is (a
    # flipped flag bit can even read as an unsupported compression method or encryption).
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as exc:
        raise CheckpointError(f"load: {path!r} is not a readable .npz archive; it may be "
                              f"truncated or damaged ({type(exc).__name__}: {exc})") from exc
    if _MANIFEST not in entries:
        raise CheckpointError(f"load: {path!r} is an .npz archive but not a minigan checkpoint "
                              f"(it has no '{_MANIFEST}' entry); read it with numpy.load")
    try:
        manifest = json.loads(entries.pop(_MANIFEST).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"load: the structure recorded in {path!r} is damaged "
                              f"({exc})") from exc
    except RecursionError:
        raise CheckpointError(f"load: the structure recorded in {path!r} is nested too deep "
                              "to read (thousands of levels); it was not written by "
                              "minigan.save") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise CheckpointError(f"load: {path!r} is not a minigan checkpoint")
    if manifest.get("version") != _VERSION:
        raise CheckpointError(f"load: {path!r} has checkpoint format version "
                              f"{manifest.get('version')!r}; this minigan reads version "
                              f"{_VERSION}")
    try:
        return _decode(manifest["object"], entries)
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"load: the structure recorded in {path!r} does not match its "
                              f"arrays ({type(exc).__name__}: {exc})") from exc
    except RecursionError:
        raise CheckpointError(f"load: the structure recorded in {path!r} is nested too deep "
                              "to rebuild; it was not written by minigan.save") from None


def _sniff(start):
    """What the first bytes of a file that is not a zip archive suggest, in words."""
    if start.startswith(b"\x93NUMPY"):
        return "is a NumPy .npy array file (numpy.save); read it with numpy.load"
    if start[:1] == b"\x80":
        return "looks like a Python pickle, which minigan never loads (it could run code)"
    return f"starts with 0x{start[:4].hex()}"


def _describe(state):
    """A few words on what a loaded checkpoint holds, for error messages: a model's state_dict,
    or a dict and its keys."""
    if not isinstance(state, dict):
        return f"a {type(state).__name__}"
    if state and all(isinstance(v, Tensor) for v in state.values()):
        return (f"a model's state_dict ({len(state)} tensors, such as "
                f"{next(iter(state))!r})")
    keys = ", ".join(repr(k) for k in list(state)[:8]) + (", ..." if len(state) > 8 else "")
    return f"a dict with the keys {keys}" if state else "an empty dict"


def expect_keys(state, keys, expected, where):
    """``state`` (loaded from the file named by ``where``, e.g. ``"'run/c.npz'"``) if it is a
    dict with every one of ``keys``; else a :class:`CheckpointError` naming what was expected
    and what was found."""
    missing = [k for k in keys if k not in state] if isinstance(state, dict) else list(keys)
    if missing:
        raise CheckpointError(f"{where} is not {expected}: it holds "
                              f"{_describe(state)} (missing {', '.join(map(repr, missing))})")
    return state
