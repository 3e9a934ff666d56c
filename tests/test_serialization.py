"""minigan.save / minigan.load: nested values come back as they went in; a checkpoint resumes
training exactly; an interrupted save keeps the previous checkpoint; damaged files fail
clearly."""

import json
import math
import os
import pathlib
import tempfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan
from minigan import nn, optim

# -- round trips -----------------------------------------------------------------------------------
_ARRAYS = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]),
                     hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(), st.text(max_size=6),
    _ARRAYS, _ARRAYS.filter(lambda a: a.dtype.kind == "f").map(minigan.tensor))
_TREES = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner),
    st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-3, 3)), inner, max_size=3)),
    max_leaves=12)


def _assert_same(a, b):
    """Equal values *and* types: tuples stay tuples, int keys stay ints, Tensors stay Tensors."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, minigan.Tensor):
        a, b = a.numpy(), b.numpy()
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


@given(_TREES)
def test_nested_values_round_trip(obj):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ckpt.npz")
        minigan.save(obj, path)
        _assert_same(minigan.load(path), obj)


def test_file_is_a_plain_npz_at_exactly_the_given_path(tmp_path):
    path = tmp_path / "weights"  # a pathlib.Path, no extension: none is added
    minigan.save({"w": minigan.ones(2, 3), "epoch": 4}, path)
    assert os.listdir(tmp_path) == ["weights"]
    with np.load(path, allow_pickle=False) as archive:  # readable without minigan or pickle
        arrays = [archive[name] for name in archive.files if name != "__minigan__"]
    assert len(arrays) == 1
    np.testing.assert_array_equal(arrays[0], np.ones((2, 3), np.float32))


def test_tensors_from_the_device_load_on_the_cpu(device, tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to(device)
    minigan.save(model.state_dict(), tmp_path / "m.npz")
    state = minigan.load(tmp_path / "m.npz")
    assert all(t.device == "cpu" for t in state.values())
    clone = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to(device)
    clone.load_state_dict(state)
    for (name, a), b in zip(model.state_dict().items(), clone.state_dict().values()):
        assert b.device == device
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def _gan_like(seed):
    gen = minigan.Generator(seed)
    return nn.Sequential(nn.Linear(2, 8, generator=gen), nn.BatchNorm1d(8), nn.LeakyReLU(0.2),
                         nn.Linear(8, 1, generator=gen))


def _train(model, opt, steps, data_seed):
    rng = np.random.default_rng(data_seed)
    for _ in range(steps):
        x = minigan.tensor(rng.standard_normal((16, 2)).astype(np.float32))
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()


def test_checkpoint_resumes_training_exactly(tmp_path):
    """Train 6 steps; or train 3, save, load into a fresh model and optimizer, train 3 more:
    the same weights, bit for bit."""
    straight = _gan_like(0)
    _train(straight, optim.Adam(straight.parameters(), lr=0.01, betas=(0.5, 0.999)), 6, 1)

    model = _gan_like(0)
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.5, 0.999))
    _train(model, opt, 3, 1)
    minigan.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": 3},
                 tmp_path / "ckpt.npz")

    checkpoint = minigan.load(tmp_path / "ckpt.npz")
    resumed = _gan_like(5)
    resumed_opt = optim.Adam(resumed.parameters())
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["opt"])
    assert checkpoint["step"] == 3 and resumed_opt.param_groups[0]["betas"] == (0.5, 0.999)
    rng = np.random.default_rng(1)
    for _ in range(3):  # replay the data stream up to where the checkpoint was taken
        rng.standard_normal((16, 2))
    for _ in range(3):
        x = minigan.tensor(rng.standard_normal((16, 2)).astype(np.float32))
        resumed_opt.zero_grad()
        (resumed(x) ** 2).mean().backward()
        resumed_opt.step()
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_checkpoint_of_another_model_is_refused_by_name(tmp_path):
    minigan.save(_gan_like(0).state_dict(), tmp_path / "small.npz")
    bigger = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.LeakyReLU(0.2),
                           nn.Linear(16, 1))
    with pytest.raises(RuntimeError, match="size mismatch for '0.weight'"):
        bigger.load_state_dict(minigan.load(tmp_path / "small.npz"))


# -- atomic saves ----------------------------------------------------------------------------------
def _fail_midway(exception):
    """A stand-in for numpy.savez that writes part of a real archive, then fails."""
    real_savez = np.savez

    def savez(file, **arrays):
        with tempfile.TemporaryFile() as scratch:
            real_savez(scratch, **arrays)
            scratch.seek(0)
            data = scratch.read()
        file.write(data[:len(data) // 2])
        raise exception
    return savez


@pytest.mark.parametrize("exception", [OSError(28, "No space left on device"),
                                       KeyboardInterrupt()], ids=["disk-full", "interrupted"])
def test_interrupted_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch, exception):
    path = tmp_path / "ckpt.npz"
    old = {"w": minigan.tensor(np.arange(6.0).reshape(2, 3)), "epoch": 1}
    minigan.save(old, path)
    monkeypatch.setattr(np, "savez", _fail_midway(exception))
    with pytest.raises(type(exception)):
        minigan.save({"w": minigan.zeros(2, 3), "epoch": 2}, path)
    monkeypatch.undo()
    _assert_same(minigan.load(path), old)
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the partial temporary file is gone


def test_failure_before_the_rename_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    """Everything written, but the flush to disk fails: the old file stays in place."""
    path = tmp_path / "ckpt.npz"
    minigan.save({"epoch": 1}, path)

    def fsync(fd):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="Input/output error"):
        minigan.save({"epoch": 2}, path)
    monkeypatch.undo()
    assert minigan.load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_save_replaces_an_existing_checkpoint(tmp_path):
    minigan.save({"epoch": 1}, tmp_path / "ckpt.npz")
    minigan.save({"epoch": 2}, tmp_path / "ckpt.npz")
    assert minigan.load(tmp_path / "ckpt.npz") == {"epoch": 2}
    assert os.listdir(tmp_path) == ["ckpt.npz"]


@pytest.mark.parametrize("obj, message", [
    (nn.Linear(2, 2), "Linear, which cannot be saved.*model.state_dict"),
    ({"a": [1, {"b": object()}]}, r"obj\['a'\]\[1\]\['b'\] is a object"),
    ({(1, 2): 3}, r"has the key \(1, 2\); keys must be str or int"),
    ({"names": np.array(["a", "b"])}, r"obj\['names'\] is an array of <U1"),
])
def test_unsavable_objects_are_refused_before_writing(tmp_path, obj, message):
    with pytest.raises(TypeError, match=message):
        minigan.save(obj, tmp_path / "ckpt.npz")
    assert os.listdir(tmp_path) == []


def test_save_into_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        minigan.save({}, tmp_path / "no" / "ckpt.npz")


# -- damaged files ---------------------------------------------------------------------------------
def _good_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    minigan.save({"w": minigan.tensor(np.arange(64.0)), "epoch": 7}, path)
    return path, path.read_bytes()


def _flip_a_data_byte(raw):
    at = raw.index(np.arange(64.0).tobytes()) + 100  # inside the stored array
    return raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:]


def _rewrite_manifest(tmp_path, edit):
    path, _ = _good_file(tmp_path)
    with np.load(path) as archive:
        entries = {name: archive[name] for name in archive.files}
    manifest = json.loads(entries["__minigan__"].tobytes())
    edit(manifest)
    entries["__minigan__"] = np.frombuffer(json.dumps(manifest).encode(), np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **entries)


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:len(raw) // 2], "not a readable .npz archive; it may be truncated"),
    (lambda raw: raw[:-30], "not a readable .npz archive"),
    (lambda raw: b"", "not a readable .npz archive"),
    (lambda raw: b"PK\x03\x04" + bytes(200), "not a readable .npz archive"),
    (_flip_a_data_byte, "not a readable .npz archive.*CRC"),
], ids=["half", "tail-cut", "empty", "garbage", "flipped-byte"])
def test_damaged_file_raises_checkpoint_error(tmp_path, damage, message):
    path, raw = _good_file(tmp_path)
    path.write_bytes(damage(raw))
    with pytest.raises(minigan.CheckpointError, match=message):
        minigan.load(path)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(format="something-else"), "is not a minigan checkpoint"),
    (lambda m: m.update(version=99), "format version 99; this minigan reads version 1"),
    (lambda m: m["object"]["dict"][0][1].update(tensor="42"), "does not match its arrays"),
    (lambda m: m.update(object={"mystery": 1}), "unknown tag 'mystery'"),
])
def test_inconsistent_manifest_raises_checkpoint_error(tmp_path, edit, message):
    _rewrite_manifest(tmp_path, edit)
    with pytest.raises(minigan.CheckpointError, match=message):
        minigan.load(tmp_path / "ckpt.npz")


def test_foreign_npz_and_missing_file(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(minigan.CheckpointError, match="not a minigan checkpoint.*numpy.load"):
        minigan.load(tmp_path / "plain.npz")
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        minigan.load(pathlib.Path(tmp_path) / "absent.npz")
