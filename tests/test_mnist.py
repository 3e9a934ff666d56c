"""Handwritten digits: the IDX reader and its checks on small files the tests write (raw and
gzipped), the MNIST folder layout, the MNIST files that ship inside minigan (and their
integrity check), the Digits set and its held-out split, the
scaling and padding, and the seeded loader."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan.data import (
    DigitLoader,
    Digits,
    images_to_tensor,
    load_digits,
    load_mnist,
    offline_digits,
    read_idx,
    read_mnist,
)
from minigan.data import mnist as mnist_module

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def idx_bytes(values, type_code=0x08):
    """An IDX file, written here from the format's description: 0x0000, the type byte, the
    number of dimensions, the sizes as big-endian uint32, then the big-endian values."""
    values = np.asarray(values)
    header = bytes([0, 0, type_code, values.ndim]) + struct.pack(f">{values.ndim}I",
                                                                 *values.shape)
    return header + values.astype(IDX_TYPES[type_code]).tobytes()


def write(path, data, gz=False):
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def random_digits(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


def numbered_digits(n):
    """Digits whose first two pixels spell their index: a batch says which digits it holds."""
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    images[:, 0, 0], images[:, 0, 1] = np.arange(n) % 256, np.arange(n) // 256
    return Digits(images, np.arange(n) % 10)


def indices_of(batch_images):
    """The indices spelled by :func:`numbered_digits` in a batch (N, 1, 32, 32), padded by 2."""
    pixels = np.rint((batch_images.numpy()[:, 0, 2, 2:4] + 1) * 127.5).astype(int)
    return pixels[:, 0] + 256 * pixels[:, 1]


# -- IDX ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("type_code", sorted(IDX_TYPES))
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5)])
def test_read_idx_round_trips_every_type(tmp_path, type_code, shape, gz):
    rng = np.random.default_rng(type_code)
    dtype = np.dtype(IDX_TYPES[type_code])
    if dtype.kind == "f":
        expected = (rng.standard_normal(shape) * 100).astype(dtype)
    else:  # the whole range, both ends included
        info = np.iinfo(dtype)
        expected = rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
    values = read_idx(write(tmp_path / "values.idx", idx_bytes(expected, type_code), gz))
    assert values.shape == shape and values.dtype.isnative
    assert values.dtype == dtype.newbyteorder("=")
    np.testing.assert_array_equal(values, expected)


def test_gzip_is_recognised_by_its_content_not_its_name(tmp_path):
    values = np.arange(12, dtype=np.uint8).reshape(3, 4)
    zipped = write(tmp_path / "no-suffix", idx_bytes(values), gz=True)
    plain = write(tmp_path / "plain.gz", idx_bytes(values))
    np.testing.assert_array_equal(read_idx(zipped), values)
    np.testing.assert_array_equal(read_idx(plain), values)


@pytest.mark.parametrize("gz", [False, True])
def test_read_mnist(tmp_path, gz):
    images, labels = random_digits(7)
    digits = read_mnist(write(tmp_path / "images", idx_bytes(images), gz),
                        write(tmp_path / "labels", idx_bytes(labels), gz))
    np.testing.assert_array_equal(digits.images, images)
    np.testing.assert_array_equal(digits.labels, labels)
    assert digits.images.dtype == np.uint8 and digits.labels.dtype == np.int64


@pytest.mark.parametrize("split, prefix", [("train", "train"), ("test", "t10k")])
@pytest.mark.parametrize("dot, gz", [("-", False), ("-", True), (".", False)])
def test_load_mnist_finds_the_standard_files(tmp_path, split, prefix, dot, gz):
    images, labels = random_digits(5)
    suffix = ".gz" if gz else ""
    write(tmp_path / f"{prefix}-images{dot}idx3-ubyte{suffix}", idx_bytes(images), gz)
    write(tmp_path / f"{prefix}-labels{dot}idx1-ubyte{suffix}", idx_bytes(labels), gz)
    for digits in (load_mnist(tmp_path, split), load_digits(str(tmp_path), split)):
        np.testing.assert_array_equal(digits.images, images)
        np.testing.assert_array_equal(digits.labels, labels)


def test_load_mnist_says_what_it_looked_for(tmp_path):
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(random_digits(2)[0]))
    with pytest.raises(FileNotFoundError, match=r"no train-labels-idx1-ubyte\[.gz\], "
                                                r"train-labels.idx1-ubyte\[.gz\] in"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_mnist(tmp_path / "train-images-idx3-ubyte")
    with pytest.raises(ValueError, match="load_mnist: unknown split 'val'; expected one of"):
        load_mnist(tmp_path, "val")


IMAGES = random_digits(3)[0]
GOOD = idx_bytes(IMAGES)


@pytest.mark.parametrize("data, message", [
    (b"", "not an IDX file: it is empty"),
    (b"hello world", "not an IDX file: it starts with 0x68656c6c"),
    (b"\0\0\x07\x01" + struct.pack(">I", 1) + b"\0", "starts with 0x00000701"),
    (b"\0\0\x08\x00", "starts with 0x00000800"),
    (GOOD[:10], "truncated IDX header: 3 dimensions need 16 bytes, the file has 10"),
    (GOOD[:-100], r"truncated: an IDX file of uint8 values in 3 dimensions of shape \(3, 28, "
                  r"28\) holds 2352 bytes of values after its header, this one 2252"),
    (GOOD + b"\0\0", "2 bytes too long"),
    (gzip.compress(GOOD)[:-20], "a damaged gzip file"),
    (b"\x1f\x8b not really gzip", "a damaged gzip file"),
])
def test_a_broken_file_says_what_is_wrong(tmp_path, data, message):
    path = write(tmp_path / "broken", data)
    with pytest.raises(ValueError, match=message) as error:
        read_idx(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("images, labels, message", [
    (idx_bytes(random_digits(3)[1]), idx_bytes(random_digits(3)[1]),
     r"expected MNIST images, an IDX file of uint8 values in 3 dimensions \(magic number 2051\)"
     r"; this one holds uint8 values in 1 dimension of shape \(3,\) \(magic number 2049\)"),
    (GOOD, GOOD, r"expected MNIST labels.*\(magic number 2049\); this one holds uint8 values "
                 r"in 3 dimensions"),
    (idx_bytes(IMAGES.reshape(3, 784)), idx_bytes(np.zeros(3)),
     r"holds uint8 values in 2 dimensions of shape \(3, 784\) \(magic number 2050\)"),
    (idx_bytes(IMAGES, 0x0B), idx_bytes(np.zeros(3)), r"holds int16 values in 3 dimensions"),
    (GOOD, idx_bytes(np.zeros(4)), "holds 3 images but .* holds 4 labels"),
    (GOOD, idx_bytes([1, 2, 10]), r"labels must lie in 0..9, found \[1, 10\]"),
])
def test_read_mnist_checks_what_each_file_holds(tmp_path, images, labels, message):
    with pytest.raises(ValueError, match=message):
        read_mnist(write(tmp_path / "images", images), write(tmp_path / "labels", labels))


# -- the digits that ship with minigan ---------------------------------------------------------
@pytest.fixture(scope="module")
def packaged():
    return {split: offline_digits(split) for split in ("train", "test")}


def test_the_packaged_digits_are_the_full_mnist(packaged):
    train, test = packaged["train"], packaged["test"]
    assert train.images.shape == (60000, 28, 28) and test.images.shape == (10000, 28, 28)
    assert train.images.dtype == test.images.dtype == np.uint8
    # MNIST's published class counts, and its first training labels
    np.testing.assert_array_equal(train.class_counts(), [5923, 6742, 5958, 6131, 5842, 5421,
                                                         5918, 6265, 5851, 5949])
    np.testing.assert_array_equal(test.class_counts(), [980, 1135, 1032, 1010, 982, 892, 958,
                                                        1028, 974, 1009])
    np.testing.assert_array_equal(train.labels[:8], [5, 0, 4, 1, 9, 2, 1, 3])
    for digits in (train, test):
        assert np.median(digits.images) == 0 and digits.images.max() == 255  # ink on paper
        # the labels name the images, which stand upright: ones are the thinnest digits, with
        # the least ink; zeros have the most
        ink = digits.images[:5000] / 255.0
        labels = digits.labels[:5000]
        per_column = ink.sum(axis=1)  # (N, 28)
        columns = np.arange(28)
        centre = (per_column * columns).sum(1) / per_column.sum(1)
        spread = np.sqrt((per_column * (columns - centre[:, None]) ** 2).sum(1)
                         / per_column.sum(1))
        by_class = [spread[labels == c].mean() for c in range(10)]
        amount = [ink[labels == c].mean() for c in range(10)]
        assert np.argmin(by_class) == 1 and np.argmin(amount) == 1 and np.argmax(amount) == 0


def test_load_digits_without_a_folder_gives_the_packaged_splits(packaged):
    for split in ("train", "test"):
        digits = load_digits(split=split)
        np.testing.assert_array_equal(digits.images, packaged[split].images)
        np.testing.assert_array_equal(digits.labels, packaged[split].labels)
    with pytest.raises(ValueError, match="unknown split 'valid'; expected one of 'train', 'test'"):
        load_digits(split="valid")


def copy_of_the_packaged_files(tmp_path, monkeypatch):
    folder = tmp_path / "digits"
    folder.mkdir()
    for name in mnist_module._PACKAGED_SHA256:
        if name.startswith("t10k"):
            (folder / name).write_bytes((Path(mnist_module.PACKAGED_DIGITS) / name).read_bytes())
    monkeypatch.setattr(mnist_module, "PACKAGED_DIGITS", str(folder))
    return folder


def test_a_damaged_packaged_file_is_caught_by_its_sha256(tmp_path, monkeypatch, packaged):
    folder = copy_of_the_packaged_files(tmp_path, monkeypatch)
    np.testing.assert_array_equal(offline_digits("test").labels, packaged["test"].labels)
    path = folder / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(path.read_bytes())
    labels = gzip.decompress(bytes(data))
    # a valid gzip of valid labels, one of them changed: only the checksum can tell
    changed = labels[:8] + bytes([(labels[8] + 1) % 10]) + labels[9:]
    path.write_bytes(gzip.compress(changed, mtime=0))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz is damaged: its sha256 is "
                                         r"[0-9a-f]{64}, the file minigan ships has b91679a0"):
        load_digits(split="test")


def test_a_missing_packaged_file_says_to_reinstall(tmp_path, monkeypatch):
    copy_of_the_packaged_files(tmp_path, monkeypatch)  # the test split only
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.gz is missing: the "
                                                r"MNIST files ship inside minigan; reinstall"):
        offline_digits()


# -- Digits and the held-out split -------------------------------------------------------------
@pytest.mark.parametrize("images, labels, message", [
    (np.zeros((2, 28, 28)), [0, 1], r"images must be uint8 of shape \(N, H, W\), got float64"),
    (np.zeros((2, 784), np.uint8), [0, 1], r"got uint8 of shape \(2, 784\)"),
    (np.zeros((2, 28, 28), np.uint8), [0], r"labels must be integers of shape \(2,\)"),
    (np.zeros((2, 28, 28), np.uint8), [0.0, 1.0], "got float64"),
    (np.zeros((2, 28, 28), np.uint8), [0, -1], r"labels must lie in 0..9, found \[-1, 0\]"),
])
def test_digits_check_their_arrays(images, labels, message):
    with pytest.raises(ValueError, match=message):
        Digits(images, labels)


def test_digits_count_and_describe_themselves():
    digits = Digits(np.zeros((4, 28, 28), np.uint8), [3, 3, 0, 9])
    np.testing.assert_array_equal(digits.class_counts(), [1, 0, 0, 2, 0, 0, 0, 0, 0, 1])
    assert repr(digits) == "Digits(4 images of 28x28; per class 0..9: 1, 0, 0, 2, 0, 0, 0, 0, 0, 1)"
    assert len(digits.subset(slice(1, 3))) == 2


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5])
def test_the_split_holds_out_a_fixed_balanced_part(fraction):
    labels = np.repeat(np.arange(10), [50, 150, 100, 100, 100, 100, 100, 100, 100, 100])
    digits = Digits(numbered_digits(1000).images, labels)
    kept, held = digits.split(fraction, seed=3)
    kept_ids = kept.images[:, 0, 0] + 256 * kept.images[:, 0, 1].astype(int)
    held_ids = held.images[:, 0, 0] + 256 * held.images[:, 0, 1].astype(int)
    assert set(kept_ids).isdisjoint(held_ids) and len(kept) + len(held) == 1000
    assert (np.diff(kept_ids) > 0).all() and (np.diff(held_ids) > 0).all()  # original order
    np.testing.assert_array_equal(held.labels, labels[held_ids])
    expected = [round(fraction * n) for n in digits.class_counts()]
    np.testing.assert_array_equal(held.class_counts(), expected)
    again, other = digits.split(fraction, seed=3)[1], digits.split(fraction, seed=4)[1]
    np.testing.assert_array_equal(again.images, held.images)
    assert not np.array_equal(other.images, held.images)


@pytest.mark.parametrize("held_out", [0, 1, 1.5, -0.1, True, "0.1"])
def test_the_split_wants_a_fraction(held_out):
    with pytest.raises(ValueError, match="held_out must be a fraction in"):
        numbered_digits(20).split(held_out)


# -- scaling, padding and the loader -----------------------------------------------------------
def test_pixels_scale_linearly_onto_minus_one_to_one_and_pad_with_background():
    images = np.arange(256, dtype=np.uint8)[:196].reshape(1, 14, 14)
    images = np.concatenate([images, 255 - images])
    x = images_to_tensor(images, size=18)
    assert x.shape == (2, 1, 18, 18) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy()[:, 0, 2:16, 2:16], images / 127.5 - 1, atol=1e-7)
    border = np.ones((18, 18), bool)
    border[2:16, 2:16] = False
    assert (x.numpy()[:, 0][:, border] == -1).all()
    full = images_to_tensor(np.array([[[0, 255]]], np.uint8), size=2, dtype=np.float64)
    np.testing.assert_array_equal(full.numpy(), [[[[-1.0, 1.0], [-1.0, -1.0]]]])  # extra row below


def test_an_odd_margin_goes_below_and_right():
    x = images_to_tensor(np.full((1, 28, 28), 255, np.uint8), size=31).numpy()[0, 0]
    rows = np.flatnonzero(x[:, 5] == 1)
    assert (rows.min(), rows.max()) == (1, 28)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(size=27), ValueError, "size must be an int >= the image sides 28x28, got 27"),
    (dict(size=32.0), ValueError, "size must be an int"),
    (dict(dtype=np.int32), TypeError, "dtype must be a floating-point type"),
])
def test_images_to_tensor_checks_its_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        images_to_tensor(np.zeros((1, 28, 28), np.uint8), **kwargs)


def test_an_epoch_serves_every_digit_once_in_a_seeded_shuffled_order():
    digits = numbered_digits(70)
    loader = DigitLoader(digits, batch_size=16, generator=minigan.Generator(0))
    assert len(loader) == 5
    epochs = [[indices_of(x) for x, _ in loader] for _ in range(2)]
    for batches in epochs:
        assert [len(b) for b in batches] == [16, 16, 16, 16, 6]
        order = np.concatenate(batches)
        np.testing.assert_array_equal(np.sort(order), np.arange(70))
    assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))
    replay = DigitLoader(digits, batch_size=16, generator=minigan.Generator(0))
    np.testing.assert_array_equal(np.concatenate([indices_of(x) for x, _ in replay]),
                                  np.concatenate(epochs[0]))


def test_batches_hold_images_and_their_labels():
    digits = numbered_digits(30)
    loader = DigitLoader(digits, batch_size=8, shuffle=False, drop_last=True, dtype=np.float64)
    assert len(loader) == 3
    batches = list(loader)
    assert len(batches) == 3
    for i, (x, y) in enumerate(batches):
        assert x.shape == (8, 1, 32, 32) and x.dtype == np.float64
        assert y.shape == (8,) and y.dtype == np.int64
        np.testing.assert_array_equal(indices_of(x), np.arange(8 * i, 8 * i + 8))
        np.testing.assert_array_equal(y.numpy(), np.arange(8 * i, 8 * i + 8) % 10)


def test_sample_draws_distinct_digits_from_the_generator_it_is_given():
    loader = DigitLoader(numbered_digits(50), generator=minigan.Generator(0))
    x, y = loader.sample_with_labels(20, generator=minigan.Generator(5))
    ids = indices_of(x)
    assert len(set(ids)) == 20 and x.shape == (20, 1, 32, 32)
    np.testing.assert_array_equal(y.numpy(), ids % 10)
    np.testing.assert_array_equal(indices_of(loader.sample(20, generator=minigan.Generator(5))),
                                  ids)
    assert len(indices_of(loader.sample(50))) == 50
    with pytest.raises(ValueError, match="n = 51 distinct digits asked for, only 50"):
        loader.sample(51)
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        loader.sample(0)


@pytest.mark.parametrize("make, error, message", [
    (lambda d: DigitLoader(d.images), TypeError, "digits must be a Digits, got ndarray"),
    (lambda d: DigitLoader(d.subset(slice(0, 0))), ValueError, "digits is empty"),
    (lambda d: DigitLoader(d, batch_size=0), ValueError, "batch_size must be an int >= 1"),
    (lambda d: DigitLoader(d, 11, drop_last=True), ValueError, "leaves no batch at all"),
    (lambda d: DigitLoader(d, size=16), ValueError, "size must be an int >= the image sides"),
    (lambda d: DigitLoader(d, dtype=np.uint8), TypeError, "dtype must be a floating-point"),
    (lambda d: DigitLoader(d, device="tpu"), ValueError, "device must be 'cpu', 'cuda'"),
])
def test_the_loader_checks_its_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(numbered_digits(10))


def test_batches_go_to_the_device(device):
    x, y = next(iter(DigitLoader(numbered_digits(10), batch_size=4, device=device)))
    assert x.device == y.device == device
    assert DigitLoader(numbered_digits(10), device=device).sample(3).device == device
