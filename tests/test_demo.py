"""``videoaug demo`` with tiny arguments: the GIF it writes, the clips it makes, what it prints."""

import argparse

import numpy
import pytest
import torch
from PIL import Image

from videoaug.cli import demo
from videoaug.gan import augment


@pytest.fixture(autouse=True)
def no_shipped_checkpoint(tmp_path, monkeypatch):
    """Hide any shipped or configured ``moving_mnist`` checkpoint: these tests pass the one they use."""
    monkeypatch.setattr(augment, "_SHIPPED_CHECKPOINTS", tmp_path / "no-checkpoints")
    monkeypatch.delenv(augment.CHECKPOINTS_ENV, raising=False)


@pytest.fixture(scope="module")
def tiny_rcgan(tmp_path_factory):
    """A tiny generator with random weights (an untrained one is the identity), saved as a checkpoint."""
    from videoaug.gan.checkpoint import save_generator
    from videoaug.gan.networks import Generator, GeneratorConfig

    torch.manual_seed(0)
    gen = Generator(GeneratorConfig(channels=1, num_classes=10, resolution=(16, 16), width=4, hidden=8,
                                    embed_dim=4, z_dim=4, frame_noise_dim=2))
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(0.3 * torch.randn_like(p))
    info = {"num_frames": 4, "steps": 0, "command": "tests/test_demo.py (random weights)", "data": {"name": "none"}}
    return save_generator(tmp_path_factory.mktemp("rcgan") / "tiny", gen, info)


def _frames(path):
    """All frames of a GIF as float RGB tensors (H, W, 3)."""
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append(torch.from_numpy(numpy.array(im.convert("RGB"))).float())
    return out


def _cell(frame, row, col, size=32, pad=2):
    y, x = pad + row * (size + pad), pad + col * (size + pad)
    return frame[y : y + size, x : x + size]


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


def test_mix_section_gif_and_printed_soft_labels(tmp_path, capsys):
    assert demo.run(_args(tmp_path, "--clips", "4")) == 0
    path = tmp_path / "out" / "mix.gif"
    frames = _frames(path)
    # 2 rows (pairs 0-3 and 1-2) x 5 columns: A | B | MixUp | CutMix temporal | CutMix spatio-temporal
    assert len(frames) == 4 and frames[0].shape == (2 * 34 + 2, 5 * 34 + 2, 3)
    out = capsys.readouterr().out
    assert f"[mix] wrote {path}" in out and "CutMix temporal" in out and "clips/s" in out
    for row, (a, b) in enumerate([(0, 3), (1, 2)]):
        clips, _ = demo.make_clips(4, frames=4, size=32, num_classes=2, generator=torch.Generator().manual_seed(0))
        shown_a, shown_b = _cell(frames[0], row, 0), _cell(frames[0], row, 1)
        assert (shown_a - clips[a, 0].permute(1, 2, 0).float()).abs().mean() < 8
        assert (shown_b - clips[b, 0].permute(1, 2, 0).float()).abs().mean() < 8
    # one printed soft label per row and mix, weights summing to 1; a temporal cut of 4 frames moves quarters
    assert "  row 1: A = clip 0 (circle moving right), B = clip 3 (square moving down)" in out
    lines = [line for line in out.splitlines() if line.startswith(("    MixUp:", "    CutMix"))]
    assert len(lines) == 2 * 3
    for i, line in enumerate(lines):
        parts = line.split(": ", 1)[1].split(" + ")
        a_class = demo.CLASS_NAMES[i // 3]  # rows: clip 0 (class 0) x clip 3, clip 1 (class 1) x clip 2
        assert len(parts) == 2 and parts[0].endswith(" " + a_class)  # A's class first
        weights = [float(part.split()[0]) for part in parts]
        assert sum(weights) == pytest.approx(1, abs=0.011)
        if "CutMix temporal" in line:
            assert all(abs(w * 4 - round(w * 4)) < 0.02 for w in weights)


def test_mix_section_skipped_with_one_clip(tmp_path, capsys):
    assert demo.run(_args(tmp_path, "--clips", "1")) == 0
    assert "[mix] skipped: mixing needs pairs of clips" in capsys.readouterr().out
    assert not (tmp_path / "out" / "mix.gif").exists()


def test_rcgan_section_with_a_checkpoint_given_by_flag(tmp_path, capsys, tiny_rcgan):
    assert demo.run(_args(tmp_path, "--rcgan-checkpoint", str(tiny_rcgan))) == 0
    path = tmp_path / "out" / "rcgan.gif"
    frames = _frames(path)
    # 3 rows (Moving MNIST clips) x 4 columns: original | RCGAN seed 1 | RCGAN seed 2 | classical
    assert len(frames) == 4 and frames[0].shape == (3 * 34 + 2, 4 * 34 + 2, 3)
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("[rcgan]"))
    assert f"wrote {path}" in line and "clips/s" in line and str(tiny_rcgan) in line
    last = frames[-1]
    original, first, second = (_cell(last, 0, c) for c in range(3))
    assert original.std() > 5  # a digit on black
    assert (first - original).abs().mean() > 0.5 and (second - first).abs().mean() > 0.5


def test_rcgan_section_skipped_when_checkpoint_missing(tmp_path, capsys):
    assert demo.run(_args(tmp_path)) == 0  # the shipped checkpoint is hidden by the autouse fixture
    out = capsys.readouterr().out
    skipped = [line for line in out.splitlines() if line.startswith("[rcgan] skipped")]
    assert len(skipped) == 1 and "'moving_mnist'" in skipped[0] and "--rcgan-checkpoint PATH" in skipped[0]
    assert not (tmp_path / "out" / "rcgan.gif").exists()
    assert (tmp_path / "out" / "transforms.gif").exists() and (tmp_path / "out" / "mix.gif").exists()
    # a path the user named that does not exist: the same message, and a failing exit status
    missing = tmp_path / "nowhere"
    assert demo.run(_args(tmp_path, "--rcgan-checkpoint", str(missing))) == 1
    assert f"[rcgan] skipped: generator checkpoint not found (checkpoint '{missing}'" in capsys.readouterr().out
