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
way through leaves the previous checkpoint at ``path`` untouched.
"""

import contextlib
import json
import os
import uuid
import zipfile

import numpy as np

from . import backend
from .tensor import Tensor

_MANIFEST = "__minigan__"
_FORMAT = "minigan-checkpoint"
_VERSION = 1


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
    # A fresh name beside the target (a rename is atomic only within one file system); mode
    # 0o666 lets the umask decide the permissions, as for any new file.
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
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
