"""Test fixtures that encode tiny videos with PyAV, with each frame's index painted into it.

Frame ``i`` is a 4 x 4 grid of blocks; block ``b`` (row-major) is white when bit ``b`` of ``i`` is set
and black otherwise. Block centres survive lossy codecs and resizing, so :func:`frame_ids` reads the exact
index of every decoded frame back. Every container is closed with ``with av.open(...)`` (an open one hangs
forked DataLoader workers).
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import torch

CODECS = {".mp4": "libx264", ".avi": "mpeg4", ".mkv": "libx264"}
GRID = 4


def pattern(index: int, height: int, width: int) -> np.ndarray:
    """The ``(H, W, 3)`` uint8 frame that encodes ``index``."""
    bits = [(index >> b) & 1 for b in range(GRID * GRID)]
    rows = np.minimum(np.arange(height) * GRID // height, GRID - 1)
    cols = np.minimum(np.arange(width) * GRID // width, GRID - 1)
    block = np.asarray(bits, dtype=np.uint8).reshape(GRID, GRID)[rows][:, cols]
    return np.repeat((block * 255)[..., None], 3, axis=2)


def write_video(
    path: str | os.PathLike,
    num_frames: int = 30,
    height: int = 32,
    width: int = 32,
    fps: int = 25,
    gop: int | None = None,
    color: tuple[int, int, int] | None = None,
    faststart: bool = False,
    bframes: bool = False,
    codec: str | None = None,
) -> Path:
    """Encode a video whose frame ``i`` shows :func:`pattern` ``(i)`` (or a solid ``color``) at ``path``.

    The codec follows the extension: H.264 (lossless) for ``.mp4``/``.mkv``, MPEG-4 part 2 for ``.avi``.
    ``faststart`` puts an MP4's index (moov) before the frames, so a truncated copy still opens. ``bframes``
    (H.264 only) encodes every key frame ``gop`` (default 20) apart with 3 non-reference B-frames between
    the P-frames (near-lossless, crf 10: x264 makes no B-frames when lossless), so that the stream is stored
    in a different order than shown and its index (decoding time stamps) starts one frame before 0.
    ``codec`` overrides the extension's (``"libx264"`` in an ``.avi``: AVI stores no presentation time stamps,
    so with ``bframes`` the decoded frames' made-up stamps come out of display order).
    """
    path = Path(path)
    codec = codec or CODECS[path.suffix.lower()]
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), mode="w", options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if codec == "libx264" and bframes:
            keyint = gop or 20
            params = f"bframes=3:b-adapt=0:b-pyramid=none:keyint={keyint}:min-keyint={keyint}:scenecut=0"
            stream.options = {"crf": "10", "x264-params": params}
        elif codec == "libx264":
            stream.options = {"crf": "0"}
        else:
            stream.options = {"qscale": "2"}
        if gop is not None and not bframes:
            stream.codec_context.gop_size = gop
        for i in range(num_frames):
            img = pattern(i, height, width) if color is None else np.full((height, width, 3), color, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def frame_ids(video: torch.Tensor) -> torch.Tensor:
    """Read the painted index of each frame of ``(..., T, C, H, W)``; returns ``(..., T)`` int64."""
    h, w = video.shape[-2:]
    ys = ((torch.arange(GRID) + 0.5) * h / GRID).long()
    xs = ((torch.arange(GRID) + 0.5) * w / GRID).long()
    centres = video[..., 0, :, :][..., ys, :][..., xs]  # (..., T, GRID, GRID)
    bits = (centres > 127).flatten(-2).long()
    return (bits << torch.arange(GRID * GRID)).sum(-1)


def truncate(src: str | os.PathLike, dst: str | os.PathLike, fraction: float) -> Path:
    """Copy the first ``fraction`` of ``src``'s bytes to ``dst``."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)


UCF_CLASSES = ("ApplyEyeMakeup", "Basketball", "HandstandPushups")


def make_ucf_tree(root: str | os.PathLike, groups: int = 3, clips: int = 2, num_frames: int = 20,
                  classes: tuple[str, ...] = UCF_CLASSES) -> tuple[Path, Path]:
    """A UCF-101-shaped tree: ``root/videos/<Class>/v_<Class>_gGG_cCC.avi`` and ``root/splits`` holding
    ``classInd.txt``, ``trainlist0N.txt`` (with 1-based labels) and ``testlist0N.txt`` (without) for N = 1..3.

    Fold ``N`` tests on group ``N`` and trains on the others (the official folds test on groups of seven).
    Lines end in CRLF like the official files. Returns ``(video_root, split_dir)``.
    """
    root = Path(root)
    videos, splits = root / "videos", root / "splits"
    splits.mkdir(parents=True, exist_ok=True)
    (splits / "classInd.txt").write_text("".join(f"{i + 1} {c}\r\n" for i, c in enumerate(classes)))
    entries = []
    for label, cls in enumerate(classes):
        (videos / cls).mkdir(parents=True, exist_ok=True)
        for g in range(1, groups + 1):
            for c in range(1, clips + 1):
                # the file names of class HandstandPushups spell it HandStandPushups, as in the real data set
                stem = "HandStandPushups" if cls == "HandstandPushups" else cls
                rel = f"{cls}/v_{stem}_g{g:02d}_c{c:02d}.avi"
                write_video(videos / rel, num_frames=num_frames + label + c)
                entries.append((rel, label, g))
    for fold in (1, 2, 3):
        train = "".join(f"{rel} {label + 1}\r\n" for rel, label, g in entries if g != fold)
        test = "".join(f"{rel}\r\n" for rel, label, g in entries if g == fold)
        (splits / f"trainlist0{fold}.txt").write_text(train)
        (splits / f"testlist0{fold}.txt").write_text(test)
    return videos, splits
