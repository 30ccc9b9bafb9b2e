"""``videoaug demo`` with tiny arguments: the GIF it writes, the clips it makes, what it prints."""

import argparse

import numpy
import pytest
import torch
from PIL import Image

from videoaug import demo


def _args(tmp_path, *extra):
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    return parser.parse_args(
        [
            "--out",
            str(tmp_path / "out"),
            "--clips",
            "3",
            "--frames",
            "4",
            "--size",
            "32",
            "--classes",
            "2",
            "--batch",
            "2",
            "--repeats",
            "1",
            *extra,
        ]
    )


def test_run_writes_side_by_side_gif(tmp_path, capsys):
    assert demo.run(_args(tmp_path)) == 0
    path = tmp_path / "out" / "transforms.gif"
    with Image.open(path) as im:
        assert im.n_frames == 4
        # 3 rows (clips) x 2 columns (original | augmented), cells of 32 px with 2 px padding
        assert im.size == (2 * 34 + 2, 3 * 34 + 2)
        im.seek(0)
        frame = torch.from_numpy(numpy.array(im.convert("RGB"))).float()
    out = capsys.readouterr().out
    assert str(path) in out and "clips/s" in out
    original, augmented = frame[2:34, 2:34], frame[2:34, 36:68]
    assert original.std() > 5 and not torch.equal(original, augmented)


def test_run_is_reproducible(tmp_path):
    demo.run(_args(tmp_path / "a"))
    demo.run(_args(tmp_path / "b"))
    a = (tmp_path / "a" / "out" / "transforms.gif").read_bytes()
    assert a == (tmp_path / "b" / "out" / "transforms.gif").read_bytes()


def test_make_clips_classes_move_as_named():
    clips, labels = demo.make_clips(
        8, frames=5, size=48, num_classes=4, generator=torch.Generator().manual_seed(0)
    )
    assert clips.shape == (8, 5, 3, 48, 48) and clips.dtype == torch.uint8
    assert labels.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    # follow its centroid from the first to the last frame
    lum = clips.float().amax(2)  # the shape has value 0.95, the background at most 0.5
    mask = lum >= lum.flatten(2).max(-1).values[..., None, None] - 1
    ys, xs = torch.meshgrid(torch.arange(48.0), torch.arange(48.0), indexing="ij")
    cx = (mask * xs).sum((-2, -1)) / mask.sum((-2, -1))
    cy = (mask * ys).sum((-2, -1)) / mask.sum((-2, -1))
    dx, dy = cx[:, -1] - cx[:, 0], cy[:, -1] - cy[:, 0]
    for i, label in enumerate(labels.tolist()):
        expected = {0: (1, 0), 1: (0, 1), 2: (1, 1), 3: (-1, 0)}[label]
        for d, e in zip((dx[i], dy[i]), expected, strict=True):
            assert (d > 5) if e > 0 else (d < -5) if e < 0 else (abs(d) < 2)


def test_side_by_side_interleaves():
    a, b = torch.zeros(2, 1, 3, 4, 4), torch.ones(2, 1, 3, 4, 4)
    out = demo.side_by_side(a, b)
    assert out[:, 0, 0, 0, 0].tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="one shape"):
        demo.side_by_side(a, b[:1])


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="num_classes"):
        demo.make_clips(2, num_classes=9)
    with pytest.raises(ValueError, match="--clips"):
        demo.run(_args(tmp_path, "--clips", "0"))
