import gzip
import math

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from videoaug.datasets import MovingMNIST
from videoaug.datasets import moving_mnist as mm


def test_shape_dtype_label_range():
    ds = MovingMNIST(16, num_frames=20)
    assert len(ds) == 16
    for i in range(16):
        clip, label = ds[i]
        assert clip.shape == (20, 1, 64, 64) and clip.dtype == torch.uint8
        assert isinstance(label, int) and 0 <= label < 10
        assert clip.amax() > 200  # a digit is visible in every frame
        assert (clip.flatten(1).amax(1) > 200).all()


def test_deterministic_per_index_and_order_free():
    a = MovingMNIST(32, seed=3)
    b = MovingMNIST(32, seed=3)
    for i in [5, 0, 31, 5]:
        assert torch.equal(a[i][0], b[i][0]) and a[i][1] == b[i][1]
    assert not torch.equal(a[0][0], a[1][0])
    assert not torch.equal(MovingMNIST(1, seed=4)[0][0], a[0][0])
    assert torch.equal(a[-1][0], a[31][0])
    with pytest.raises(IndexError):
        a[32]


def test_label_is_the_class_of_the_rendered_digit():
    ds = MovingMNIST(64)
    bank, classes = mm._digit_bank(ds.source, "train", ds.digit_size)
    for i in range(64):
        info = ds.info(i)
        assert ds[i][1] == info["digits"][0] == int(classes[info["images"][0]])
        # the digit image sits at the recorded position of frame 0
        y, x = info["positions"][0, 0].tolist()
        d = ds.digit_size
        assert torch.equal(ds[i][0][0, 0, y : y + d, x : x + d], bank[info["images"][0]])
    # over many clips all ten classes occur, roughly balanced
    counts = torch.bincount(
        torch.tensor([ds.info(i)["label"] for i in range(64)] + [MovingMNIST(400)[i][1] for i in range(400)]),
        minlength=10,
    )
    assert (counts > 10).all()


def test_motion_bounces_inside_canvas_with_bounded_speed():
    ds = MovingMNIST(50, num_frames=40)
    travel = ds.size - ds.digit_size
    for i in range(50):
        pos = ds.info(i)["positions"][0].float()
        assert pos.min() >= 0 and pos.max() <= travel
        step = (pos[1:] - pos[:-1]).norm(dim=1)
        assert step.max() <= mm._SPEED[1] + 1.5  # rounding adds at most ~1.4 px
        assert step.mean() > 1.0  # it moves
    # at least one clip bounces (a velocity component changes sign)
    bounced = False
    for i in range(50):
        d = torch.diff(ds.info(i)["positions"][0, :, 1].float())
        bounced |= bool(((d[1:] * d[:-1]) < 0).any())
    assert bounced


def test_two_digits_sum_mod_10_and_max_combination():
    ds = MovingMNIST(20, num_digits=2)
    one = MovingMNIST(20, num_digits=1)
    for i in range(20):
        info = ds.info(i)
        assert ds[i][1] == sum(info["digits"]) % 10
        assert len(info["images"]) == 2
    # max combination: the two-digit canvas is at least as bright everywhere as each digit drawn alone
    clip = ds[0][0]
    info = ds.info(0)
    bank, _ = mm._digit_bank(ds.source, "train", ds.digit_size)
    d = ds.digit_size
    for k in range(2):
        y, x = info["positions"][k, 3].tolist()
        assert (clip[3, 0, y : y + d, x : x + d] >= bank[info["images"][k]]).all()
    assert one[0][0].shape == clip.shape


def test_direction_label_matches_motion():
    ds = MovingMNIST(60, num_frames=2, label="direction")
    assert ds.classes == list(mm.DIRECTION_NAMES) and len(ds.classes) == 8
    checked = 0
    for i in range(60):
        info = ds.info(i)
        a = info["angles"][0]
        label = ds[i][1]
        assert label == info["direction"]
        centre = label * math.pi / 4
        diff = (a - centre + math.pi) % (2 * math.pi) - math.pi
        assert abs(diff) <= math.pi / 8 + 1e-9
        # screen motion agrees with the bin when no bounce happened in the first step
        p = info["positions"][0].float()
        dy, dx = (p[1] - p[0]).tolist()
        if abs(dx) + abs(dy) >= 2 and label in (0, 4):
            assert (dx > 0) == (label == 0)
            checked += 1
        if abs(dx) + abs(dy) >= 2 and label in (2, 6):
            assert (dy < 0) == (label == 2)  # up is towards row 0
            checked += 1
    assert checked > 0


def test_train_and_test_use_disjoint_digit_images():
    train, _ = mm._digit_bank("uci", "train", 28)
    test, _ = mm._digit_bank("uci", "test", 28)
    assert len(train) + len(test) == 1797
    flat_train = {bytes(x.numpy()) for x in train}
    assert not any(bytes(x.numpy()) in flat_train for x in test[:100])
    a, b = MovingMNIST(4, split="train"), MovingMNIST(4, split="test")
    assert not torch.equal(a[0][0], b[0][0])


def test_other_sizes_and_frames():
    ds = MovingMNIST(3, num_frames=7, size=40)
    clip, _ = ds[2]
    assert clip.shape == (7, 1, 40, 40)
    assert ds.digit_size == round(28 * 40 / 64)


def test_transform_is_applied():
    ds = MovingMNIST(2, transform=lambda c: c.float() / 255)
    clip, _ = ds[0]
    assert clip.dtype == torch.float32 and clip.max() <= 1


def test_glyph_fallback_and_missing_data_file(monkeypatch, tmp_path):
    g = MovingMNIST(4, digit_source="glyphs")
    clip, label = g[0]
    assert clip.shape == (20, 1, 64, 64) and clip.amax() > 200 and 0 <= label < 10
    monkeypatch.setattr(mm, "_DATA_FILE", tmp_path / "missing.npz")
    with pytest.warns(UserWarning, match="glyphs"):
        ds = MovingMNIST(2)
    assert ds.source == "glyphs"
    with pytest.raises(FileNotFoundError, match="missing"):
        MovingMNIST(2, digit_source="uci")


def _write_idx(path, array, gz=False):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def test_mnist_idx_source(tmp_path):
    rng = np.random.default_rng(0)
    for split, (img_name, lab_name) in mm._MNIST_FILES.items():
        n = 30 if split == "train" else 10
        images = np.zeros((n, 28, 28), np.uint8)
        labels = np.arange(n) % 10
        for i in range(n):  # a bright square whose size encodes the label
            images[i, 4 : 6 + labels[i], 4 : 6 + labels[i]] = 255
        images[:, 27, 27] = rng.integers(0, 5, n)
        _write_idx(tmp_path / img_name, images, gz=(split == "train"))
        _write_idx(tmp_path / lab_name, labels)
    ds = MovingMNIST(20, digit_source=tmp_path)
    for i in range(20):
        clip, label = ds[i]
        y, x = ds.info(i)["positions"][0, 0].tolist()
        # the square of side label + 2 is where the digit was placed
        assert int((clip[0, 0, y : y + 28, x : x + 28] == 255).sum()) == (label + 2) ** 2
    assert len(MovingMNIST(2, split="test", digit_source=tmp_path)._images) == 10
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (99).to_bytes(4, "big"))
    mm._digit_bank.cache_clear()  # the banks are cached per (source, split, size)
    with pytest.raises(ValueError, match="truncated"):
        MovingMNIST(2, split="test", digit_source=tmp_path)
    with pytest.raises(FileNotFoundError, match="not a folder"):
        MovingMNIST(2, digit_source=tmp_path / "nope")


def test_npy_file(tmp_path):
    seqs = np.random.default_rng(0).integers(0, 256, (20, 5, 64, 64), dtype=np.uint8)
    path = tmp_path / "mnist_test_seq.npy"
    np.save(path, seqs)
    ds = MovingMNIST(None, npy_path=path, num_frames=10)
    assert len(ds) == 5
    clip, label = ds[3]
    assert label == -1 and clip.shape == (10, 1, 64, 64)
    assert torch.equal(clip[:, 0], torch.from_numpy(seqs[:10, 3]))
    small = MovingMNIST(2, npy_path=path, size=32)
    assert small[1][0].shape == (20, 1, 32, 32)
    with pytest.raises(ValueError, match="num_samples"):
        MovingMNIST(6, npy_path=path)
    with pytest.raises(ValueError, match="num_frames"):
        MovingMNIST(None, npy_path=path, num_frames=21)
    np.save(tmp_path / "bad.npy", np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="uint8"):
        MovingMNIST(None, npy_path=tmp_path / "bad.npy")
    with pytest.raises(ValueError, match="info"):
        ds.info(0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "val"}, "split"),
        ({"label": "colour"}, "label"),
        ({"num_frames": 0}, "num_frames"),
        ({"size": 8}, "size"),
        ({"num_digits": 0}, "num_digits"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MovingMNIST(4, **kwargs)
    with pytest.raises(ValueError, match="num_samples"):
        MovingMNIST(None)


def test_dataloader_with_workers_matches_direct_access():
    ds = MovingMNIST(8, num_frames=4)
    loader = DataLoader(ds, batch_size=4, num_workers=2, timeout=60)
    clips, labels = next(iter(loader))
    assert clips.shape == (4, 4, 1, 64, 64)
    assert torch.equal(clips[2], ds[2][0]) and int(labels[2]) == ds[2][1]


@pytest.mark.parametrize("source", ["uci", "glyphs"])
def test_every_class_has_digit_images_in_both_splits(source):
    from videoaug.datasets.moving_mnist import _digit_bank

    train_images, train_labels = _digit_bank(source, "train", 28)
    test_images, test_labels = _digit_bank(source, "test", 28)
    assert set(train_labels.tolist()) == set(range(10))
    assert set(test_labels.tolist()) == set(range(10))
    # the pools are disjoint: no test image is also a train image
    flat_train = {bytes(im.flatten().tolist()) for im in train_images}
    assert not any(bytes(im.flatten().tolist()) in flat_train for im in test_images)


def test_first_per_class_picks_the_first_n_of_each_class_in_order():
    from videoaug.datasets.moving_mnist import first_per_class

    ds = MovingMNIST(300, seed=5)
    picked = first_per_class(ds, 3)
    labels = [ds.info(i)["label"] for i in picked]
    assert sorted(labels) == sorted(list(range(10)) * 3)
    assert picked == sorted(picked)
    for c in range(10):  # the first three of class c, none skipped
        expected = [i for i in range(len(ds)) if ds.info(i)["label"] == c][:3]
        assert [i for i, lab in zip(picked, labels, strict=True) if lab == c] == expected
    assert set(first_per_class(ds, 2)) <= set(picked)  # nested
    with pytest.raises(ValueError, match="fewer than"):
        first_per_class(MovingMNIST(20, seed=5), 5)
    with pytest.raises(ValueError, match="positive int"):
        first_per_class(ds, 0)
