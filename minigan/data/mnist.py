"""Handwritten digits: the MNIST files, an offline default, and a loader for GAN training.

Every way in gives a :class:`Digits`: uint8 images (N, H, W), 0 for the paper and 255 for the
ink, and int64 labels (N,) in 0..9, as NumPy arrays on the CPU.

- :func:`load_mnist` reads the standard MNIST files from a folder (``train-images-idx3-ubyte``
  and ``train-labels-idx1-ubyte``, or ``t10k-...`` for the test split; raw or gzipped): the
  full 60,000 training digits. :func:`read_mnist` takes the two paths themselves.
- :func:`offline_digits` needs no download: the same MNIST files ship inside minigan
  (``minigan/data/digits``, 11 MB), 60,000 training and 10,000 test digits, checked against
  their sha256 sums as they are read. The MNIST database is by LeCun, Cortes and Burges,
  distributed under CC BY-SA 3.0; ``digits/README.md`` says where the bytes come from.
- :func:`load_digits` picks: the MNIST folder when one is given, the packaged digits otherwise.

**The IDX format** (LeCun and Cortes) is a magic number, the sizes, then the values::

    bytes 0-1   0x00 0x00
    byte  2     the type of the values: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64 (multi-byte values are big-endian)
    byte  3     d, the number of dimensions
    next 4d     the size of each dimension, big-endian uint32
    the rest    the values, last dimension fastest

so MNIST's image files start with 0x00000803 = 2051 (uint8 in 3 dimensions: N, 28, 28) and
its label files with 0x00000801 = 2049 (uint8 in 1 dimension: N). :func:`read_idx` checks each
part, so that a truncated download or a swapped file fails with a message saying what is
wrong rather than with a reshape error.

**Serving digits to a GAN**: :class:`DigitLoader` turns them into tensors (N, 1, size, size),
pixels scaled from 0..255 to [-1, 1] (the range of the generator's tanh) and padded from 28x28
to 32x32 with the background value -1 (DCGAN's image sides are powers of two), in batches
shuffled by a seeded :class:`minigan.random.Generator`. :meth:`Digits.split` holds out a fixed,
class-balanced part for evaluation: the classifier that later judges generated digits learns
from digits that the GAN never saw.
"""

import gzip
import hashlib
import math
import os
import struct
import zlib

import numpy as np

from .. import backend, random
from .._checks import check_choice, check_float_dtype, check_int, check_positive_int, check_real
from ..tensor import Tensor

NUM_CLASSES = 10

# IDX type byte -> the dtype of the values as stored (big-endian where it matters).
_IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
IMAGES_MAGIC = 0x0803  # uint8 values in 3 dimensions: (N, rows, columns)
LABELS_MAGIC = 0x0801  # uint8 values in 1 dimension: (N,)
_GZIP_MAGIC = b"\x1f\x8b"

# The standard names, and the dotted spelling some mirrors use; each may end in .gz.
_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte",
              "train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte",
             "t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}

# The MNIST files that ship inside minigan, and the sha256 of each as shipped (the same bytes
# on every install: a different sum means a damaged or replaced file).
PACKAGED_DIGITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits")
_PACKAGED_SHA256 = {
    "train-images-idx3-ubyte.gz":
        "7ff28fd295f802eefc6d40e461175dfe4b969b1842b2abc8c6dc8c20711cf79f",
    "train-labels-idx1-ubyte.gz":
        "81a978ae83d39ffdba0db3ce2fcaf80a8921e9629e874428996a2b03242d4b2a",
    "t10k-images-idx3-ubyte.gz":
        "197e111ae341b0770be9011ac5e622d0e6cd1c640b32eb0de5dc1dd26cc6e182",
    "t10k-labels-idx1-ubyte.gz":
        "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}


# -- the IDX reader ----------------------------------------------------------------------------
def _file_bytes(path):
    """The bytes of the file at ``path``, decompressed when it is gzipped (recognised by its
    first two bytes, whatever its name)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:  # bad header, cut short, corrupt data
        raise ValueError(f"{os.fspath(path)}: a damaged gzip file ({error}); download it "
                         "again") from None


def _describe(magic):
    """What a magic number announces, in words: 2051 -> 'uint8 values in 3 dimensions'."""
    type_code, ndim = divmod(magic, 256)
    return f"{_IDX_TYPES[type_code].name} values in {ndim} dimension{'s' * (ndim != 1)}"


def _read_idx(path):
    """(magic number, values) of the IDX file at ``path``; see :func:`read_idx`."""
    data = _file_bytes(path)
    where = os.fspath(path)
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in _IDX_TYPES or data[3] == 0:
        start = f"starts with 0x{data[:4].hex()}" if data else "is empty"
        raise ValueError(f"{where}: not an IDX file: it {start}, where an IDX file starts with "
                         "0x0000, a type byte (08, 09, 0b, 0c, 0d or 0e) and a number of "
                         "dimensions >= 1")
    magic, ndim = int.from_bytes(data[:4], "big"), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{where}: truncated IDX header: {ndim} dimensions need {header} "
                         f"bytes, the file has {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _IDX_TYPES[data[2]]
    expected, found = math.prod(shape) * dtype.itemsize, len(data) - header
    if found != expected:
        problem = "truncated" if found < expected else f"{found - expected} bytes too long"
        raise ValueError(f"{where}: {problem}: an IDX file of {_describe(magic)} of shape "
                         f"{shape} holds {expected} bytes of values after its header, this one "
                         f"{found}")
    values = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return magic, values.astype(dtype.newbyteorder("="))  # native byte order, a writable copy


def read_idx(path):
    """The values of the IDX file at ``path`` (raw or gzipped) as a NumPy array of the shape
    and type its header gives (see the module docstring); a ValueError names the file and
    what is wrong with it (not IDX, truncated header or values, extra bytes, damaged gzip)."""
    return _read_idx(path)[1]


def _expect(path, magic, values, expected, what):
    if magic != expected:
        raise ValueError(f"{os.fspath(path)}: expected MNIST {what}, an IDX file of "
                         f"{_describe(expected)} (magic number {expected}); this one holds "
                         f"{_describe(magic)} of shape {values.shape} (magic number {magic})")
    return values


def read_mnist(images_path, labels_path):
    """The :class:`Digits` in an MNIST image file and its label file (IDX, raw or gzipped).

    Checks that the image file holds uint8 values in 3 dimensions (magic number 2051), the
    label file uint8 values in 1 dimension (2049), both the same number of digits, and labels
    in 0..9.
    """
    magic, images = _read_idx(images_path)
    images = _expect(images_path, magic, images, IMAGES_MAGIC, "images")
    magic, labels = _read_idx(labels_path)
    labels = _expect(labels_path, magic, labels, LABELS_MAGIC, "labels")
    if len(images) != len(labels):
        raise ValueError(f"read_mnist: {os.fspath(images_path)} holds {len(images)} images but "
                         f"{os.fspath(labels_path)} holds {len(labels)} labels")
    if labels.size and labels.max() >= NUM_CLASSES:  # uint8: never below 0
        first = int(np.argmax(labels >= NUM_CLASSES))
        raise ValueError(f"{os.fspath(labels_path)}: MNIST labels must lie in 0..9, found "
                         f"[{labels.min()}, {labels.max()}] (the first out of range: "
                         f"{labels[first]} at position {first})")
    return Digits(images, labels)


def _find(root, names):
    for name in names:
        for candidate in (name, name + ".gz"):
            path = os.path.join(root, candidate)
            if os.path.isfile(path):
                return path
    tried = ", ".join(f"{n}[.gz]" for n in names)
    raise FileNotFoundError(f"load_mnist: no {tried} in {os.fspath(root)}")


def load_mnist(root, split="train"):
    """The MNIST digits of ``split`` ("train": 60,000; "test": 10,000) from the folder
    ``root`` holding the standard files (``train-images-idx3-ubyte``..., raw or gzipped)."""
    check_choice(split, "split", _MNIST_FILES, "load_mnist")
    if not os.path.isdir(root):
        raise FileNotFoundError(f"load_mnist: {os.fspath(root)} is not a folder; give the "
                                "folder that holds the MNIST files")
    names = _MNIST_FILES[split]
    return read_mnist(_find(root, names[:2]), _find(root, names[2:]))


# -- the digits that ship with minigan -----------------------------------------------------------
def _packaged_file(name):
    """The path of the packaged file ``name``, after checking its sha256."""
    path = os.path.join(PACKAGED_DIGITS, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"offline_digits: {path} is missing: the MNIST files ship inside "
                                "minigan; reinstall it (pip install .), or point load_digits at "
                                "a folder with the MNIST files")
    with open(path, "rb") as f:
        found = hashlib.sha256(f.read()).hexdigest()
    if found != _PACKAGED_SHA256[name]:
        raise ValueError(f"offline_digits: {path} is damaged: its sha256 is {found}, the file "
                         f"minigan ships has {_PACKAGED_SHA256[name]}; reinstall minigan")
    return path


def offline_digits(split="train"):
    """The MNIST digits that ship inside minigan, read and checked (sha256) without any
    download: ``split`` "train" gives MNIST's 60,000 training digits, "test" its 10,000 test
    digits, each in MNIST's order (see the module docstring)."""
    check_choice(split, "split", _MNIST_FILES, "offline_digits")
    prefix = "train" if split == "train" else "t10k"
    return read_mnist(_packaged_file(f"{prefix}-images-idx3-ubyte.gz"),
                      _packaged_file(f"{prefix}-labels-idx1-ubyte.gz"))


def load_digits(root=None, split="train"):
    """The digits to train on: the MNIST files in the folder ``root`` (see :func:`load_mnist`),
    or, when ``root`` is None, the same digits from the copy that ships with minigan (see
    :func:`offline_digits`). ``split`` is "train" (60,000) or "test" (10,000)."""
    if root is not None:
        return load_mnist(root, split)
    return offline_digits(split)


# -- the data set ------------------------------------------------------------------------------
class Digits:
    """Labelled digit images: ``images`` uint8 (N, H, W), 0 = paper and 255 = ink; ``labels``
    int64 (N,) in 0..9. NumPy arrays on the CPU: batches go to the device as they are served
    (see :class:`DigitLoader`)."""

    num_classes = NUM_CLASSES

    def __init__(self, images, labels):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError(f"Digits: images must be uint8 of shape (N, H, W), got "
                             f"{images.dtype} of shape {images.shape}")
        if labels.dtype.kind not in "iu" or labels.shape != images.shape[:1]:
            raise ValueError(f"Digits: labels must be integers of shape ({len(images)},), one "
                             f"per image, got {labels.dtype} of shape {labels.shape}")
        if labels.size and not (0 <= labels.min() and labels.max() < self.num_classes):
            raise ValueError(f"Digits: labels must lie in 0..{self.num_classes - 1}, found "
                             f"[{labels.min()}, {labels.max()}]")
        self.images, self.labels = images, labels.astype(np.int64)

    def __len__(self):
        return len(self.images)

    def __repr__(self):
        counts = ", ".join(map(str, self.class_counts()))
        return (f"Digits({len(self)} images of {self.images.shape[1]}x{self.images.shape[2]}; "
                f"per class 0..9: {counts})")

    def class_counts(self):
        """How many digits of each class 0..9, as an int64 array of length 10."""
        return np.bincount(self.labels, minlength=self.num_classes)

    def subset(self, indices):
        """The digits at ``indices`` (an integer array, a boolean mask or a slice)."""
        return Digits(self.images[indices], self.labels[indices])

    def split(self, held_out=0.1, seed=0):
        """(kept, held out): a seeded split that holds out the fraction ``held_out`` of every
        class (rounded), so both parts keep the class balance. The same seed gives the same
        split on every run and machine: the GAN trains on ``kept``, and the classifier that
        evaluates it can learn from ``held_out``. Both parts keep the original order."""
        held_out = check_real(held_out, "held_out", "Digits.split", low=0, high=1,
                              low_open=True, high_open=True, what="a fraction")
        rng = random.Generator(seed).numpy
        by_class = [rng.permutation(np.flatnonzero(self.labels == c))
                    for c in range(self.num_classes)]
        held = np.sort(np.concatenate([m[:round(held_out * len(m))] for m in by_class]))
        kept = np.ones(len(self), dtype=bool)
        kept[held] = False
        return self.subset(kept), self.subset(held)


def images_to_tensor(images, size=32, device="cpu", dtype=np.float32):
    """uint8 images (N, H, W) -> a Tensor (N, 1, size, size) for a GAN: x = pixel / 127.5 - 1,
    so 0..255 becomes [-1, 1], centred in a square of side ``size`` >= H, W filled with the
    background value -1 (28 -> 32 adds 2 rows and columns on each side)."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"images_to_tensor: images must be uint8 of shape (N, H, W), got "
                         f"{images.dtype} of shape {images.shape}")
    n, h, w = images.shape
    if check_int(size, "size", "images_to_tensor") < max(h, w):
        raise ValueError(f"images_to_tensor: size must be an int >= the image sides {h}x{w}, "
                         f"got {size!r}")
    dtype = check_float_dtype(dtype, "dtype", "images_to_tensor")
    out = np.full((n, 1, size, size), -1.0, dtype=dtype)
    top, left = (size - h) // 2, (size - w) // 2
    out[:, 0, top:top + h, left:left + w] = images / 127.5 - 1.0
    return Tensor(backend.to_device(out, device))


# -- the loader --------------------------------------------------------------------------------
class DigitLoader:
    """Batches of ``digits`` as tensors: images (B, 1, size, size) in [-1, 1] (see
    :func:`images_to_tensor`) with their labels (B,) int64, on ``device``.

    Iterating gives one epoch of (images, labels) batches, every digit once, in an order
    shuffled by ``generator`` (the default one when None) anew at each epoch, or in order
    when ``shuffle`` is False; ``drop_last`` leaves out a last, smaller batch.

    :meth:`sample` (images only) and :meth:`sample_with_labels` draw one batch of distinct
    digits from a given generator instead: the ``data.sample(n, generator=...)`` protocol of
    :class:`minigan.gan.Trainer`, whose own generator then fixes every batch of a run.
    """

    def __init__(self, digits, batch_size=64, *, shuffle=True, drop_last=False, size=32,
                 generator=None, device="cpu", dtype=np.float32):
        if not isinstance(digits, Digits):
            raise TypeError(f"DigitLoader: digits must be a Digits, got {type(digits).__name__}")
        if len(digits) == 0:
            raise ValueError("DigitLoader: digits is empty")
        self.digits = digits
        self.batch_size = check_positive_int(batch_size, "batch_size", "DigitLoader")
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        if drop_last and self.batch_size > len(digits):
            raise ValueError(f"DigitLoader: with drop_last, batch_size {batch_size} > "
                             f"{len(digits)} digits leaves no batch at all")
        images_to_tensor(digits.images[:0], size, "cpu", dtype)  # checks size and dtype now
        self.size, self.dtype = size, np.dtype(dtype)
        self.device = backend.check_device(device)
        self.generator = generator

    def __len__(self):
        """Batches per epoch."""
        n, b = len(self.digits), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n = len(self.digits)
        order = self._generator(None).numpy.permutation(n) if self.shuffle else np.arange(n)
        for i in range(len(self)):
            yield self.batch(order[i * self.batch_size:(i + 1) * self.batch_size])

    def batch(self, indices):
        """(images, labels) of the digits at ``indices``, as tensors on the loader's device."""
        images = images_to_tensor(self.digits.images[indices], self.size, self.device,
                                  self.dtype)
        labels = Tensor(backend.to_device(self.digits.labels[indices], self.device))
        return images, labels

    def sample_with_labels(self, n, generator=None):
        """(images, labels) of ``n`` distinct digits drawn uniformly from ``generator`` (the
        loader's when None)."""
        n = check_positive_int(n, "n", "DigitLoader.sample")
        if n > len(self.digits):
            raise ValueError(f"DigitLoader.sample: n = {n} distinct digits asked for, only "
                             f"{len(self.digits)} there")
        return self.batch(self._generator(generator).numpy.choice(len(self.digits), n,
                                                                   replace=False))

    def sample(self, n, generator=None):
        """The images of :meth:`sample_with_labels`: a Tensor (n, 1, size, size)."""
        return self.sample_with_labels(n, generator)[0]

    def _generator(self, generator):
        for candidate in (generator, self.generator):
            if candidate is not None:
                return candidate
        return random.default_generator


def shrink(digits, size):
    """``digits`` (28 x 28) at a side ``size`` < 28 (16): padded with paper to 32 x 32, then
    each block of (32 / size)^2 pixels averaged. Larger sides need no resizing: the loader pads."""
    factor = 32 // size
    padded = np.pad(digits.images, ((0, 0), (2, 2), (2, 2)))
    blocks = padded.reshape(len(digits), size, factor, size, factor)
    # float32 sums of at most 16 pixels are exact, and no float copy of 60,000 digits is made
    means = blocks.mean(axis=(2, 4), dtype=np.float32)
    return Digits(np.rint(means).astype(np.uint8), digits.labels)


def digit_split(root=None, size=32, held_out=0.2, seed=0):
    """(kept, held out): the training digits of :func:`load_digits` (``root``: the folder of
    the MNIST files, None for the packaged copy) split by ``Digits.split(held_out, seed)``,
    both of side ``size`` (shrunk by :func:`shrink` below 28). The GAN of digits learns from
    the first; the evaluation's classifier from the second."""
    parts = load_digits(root).split(held_out, seed=seed)
    return tuple(shrink(p, size) for p in parts) if size < 28 else parts
