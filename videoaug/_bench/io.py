"""Bench suite ``io``: random 16-frame clips per second, videoaug's decord reader against PyAV seek + decode.

Two sets of H.264 MP4 videos are generated in a temporary folder, each 20 videos of 128 x 170 pixels, 150
frames at 25 fps (width 170 instead of UCF-101's usual 171 because yuv420p H.264 needs even sizes; content:
blocks drifting across the frame plus mild noise): one with x264's default GOP (250 frames, so one key frame
per video and a clip late in the video needs everything before it decoded), one with a key frame every 25
frames. 120 clips are read per set. ``--quick`` makes 2 videos of 48 x 64 pixels and 40 frames per set and
reads 6 clips.

The same clips (video, start frame; ``sampling="dense"``, stride 1, drawn from a fixed seed) are read by

- ``videoaug.read_clip``: decord, one ``get_batch`` per clip, FFmpeg's automatic thread count (the default);
- ``PyAV seek+decode``: ``container.seek`` to the key frame before the clip, decode forward, convert the
  wanted frames to RGB with ``to_ndarray``, stop after the last one; PyAV's default (slice) threading;
- ``PyAV seek+decode, AUTO threads``: the same with ``stream.thread_type = "AUTO"`` (frame + slice threads);

both in this process and through a ``DataLoader`` with 2 workers (batches of 4, persistent workers, timed
after one warm-up epoch). Before timing, both readers' clips are compared: ``extra["max_abs_diff"]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from fractions import Fraction

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..bench import Record, time_call
from ..io import clip_indices, probe, read_clip

CLIP_FRAMES = 16


def _sizes(args: argparse.Namespace) -> dict:
    if getattr(args, "quick", False):
        return dict(videos=2, height=48, width=64, frames=40, clips=6)
    return dict(videos=20, height=128, width=170, frames=150, clips=120)


GOPS = {"x264 default GOP": None, "GOP 25": 25}


def make_videos(
    folder: str, videos: int, height: int, width: int, frames: int, gop: int | None = None, seed: int = 0
) -> list[str]:
    """Encode ``videos`` H.264 MP4 files of drifting blocks plus mild noise (so decoding is not trivial).

    ``gop`` sets the key-frame interval (``None``: x264's default of 250, i.e. one key frame per video here).
    """
    import av

    rng = np.random.default_rng(seed)
    paths = []
    for k in range(videos):
        path = os.path.join(folder, f"video{k:03d}_gop{gop}.mp4")
        blocks = rng.integers(0, 256, (height // 8 + 1, width // 8 + 2, 3), dtype=np.uint8)
        base = np.kron(blocks, np.ones((8, 8, 1), np.uint8)).astype(np.int16)
        with av.open(path, mode="w") as container:
            stream = container.add_stream("libx264", rate=25)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            if gop is not None:
                stream.codec_context.gop_size = gop
            for i in range(frames):
                img = np.roll(base, (i // 3, i), axis=(0, 1))[:height, :width]
                img = img + rng.normal(0, 6, img.shape)
                img = np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))
                for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        paths.append(path)
    return paths


def pyav_clip(path: str, indices: list[int], thread_type: str | None = None) -> torch.Tensor:
    """Frames ``indices`` (sorted) of ``path`` as ``(T, C, H, W)`` uint8, by seek + decode with PyAV.

    ``thread_type`` (``"SLICE"``, ``"FRAME"``, ``"AUTO"``) overrides PyAV's default (slice threading).
    """
    import av

    wanted = set(indices)
    out: dict[int, np.ndarray] = {}
    with av.open(path) as container:
        stream = container.streams.video[0]
        if thread_type is not None:
            stream.thread_type = thread_type
        rate: Fraction = stream.average_rate
        tb: Fraction = stream.time_base
        t0 = stream.start_time or 0
        container.seek(int(indices[0] / rate / tb) + t0, stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            i = round((frame.pts - t0) * tb * rate)
            if i in wanted:
                out[i] = frame.to_ndarray(format="rgb24")
            if i >= indices[-1]:
                break
    return torch.from_numpy(np.ascontiguousarray(np.stack([out[i] for i in indices]).transpose(0, 3, 1, 2)))


class _Clips(Dataset):
    """Clip specs ``(path, seed, indices)``; item = the clip read by ``impl``: videoaug, pyav, pyav-auto."""

    def __init__(self, specs: list[tuple[str, int, list[int]]], impl: str):
        self.specs, self.impl = specs, impl

    def __len__(self) -> int:
        return len(self.specs)

    def __getitem__(self, i: int) -> torch.Tensor:
        path, seed, indices = self.specs[i]
        if self.impl == "videoaug":
            gen = torch.Generator().manual_seed(seed)
            return read_clip(path, CLIP_FRAMES, "dense", generator=gen)
        return pyav_clip(path, indices, thread_type="AUTO" if self.impl == "pyav-auto" else None)


def _specs(paths: list[str], clips: int) -> list[tuple[str, int, list[int]]]:
    """``clips`` random (video, seed, frame indices) triples; the seed reproduces the indices in read_clip."""
    pick = torch.Generator().manual_seed(0)
    specs = []
    for k in range(clips):
        path = paths[int(torch.randint(len(paths), (1,), generator=pick))]
        n = probe(path).num_frames
        idx = clip_indices(n, CLIP_FRAMES, "dense", generator=torch.Generator().manual_seed(k))[0]
        specs.append((path, k, idx.tolist()))
    return specs


def run(args: argparse.Namespace, device: torch.device) -> list[Record]:
    """Measure clip reading in one process and in a 2-worker DataLoader; one Record per implementation."""
    sizes = _sizes(args)
    repeats = max(1, int(args.repeats))
    records: list[Record] = []
    with tempfile.TemporaryDirectory(prefix="videoaug-bench-io-") as folder:
        for gop_name, gop in GOPS.items():
            paths = make_videos(
                folder, sizes["videos"], sizes["height"], sizes["width"], sizes["frames"], gop
            )
            specs = _specs(paths, sizes["clips"])
            datasets = {
                "videoaug.read_clip (decord)": _Clips(specs, "videoaug"),
                "PyAV seek+decode": _Clips(specs, "pyav"),
                "PyAV seek+decode, AUTO threads": _Clips(specs, "pyav-auto"),
            }
            ours, theirs, _ = datasets.values()
            diff = max(int((ours[i].int() - theirs[i].int()).abs().max()) for i in range(min(len(specs), 8)))
            common = {
                "videos": sizes["videos"],
                "frames": sizes["frames"],
                "gop": gop or 250,
                "size": [sizes["height"], sizes["width"]],
                "clip_frames": CLIP_FRAMES,
                "clips": len(specs),
                "max_abs_diff": diff,
            }
            for impl, ds in datasets.items():
                seconds = time_call(lambda ds=ds: [ds[i] for i in range(len(ds))], repeats=repeats, warmup=1)
                records.append(
                    Record(
                        f"16-frame clips, {gop_name}, 1 process",
                        impl,
                        "cpu",
                        1,
                        len(ds) / seconds,
                        {**common, "median_seconds": seconds},
                    )
                )
            for impl, ds in datasets.items():
                loader = DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True, timeout=300)
                seconds = time_call(
                    lambda loader=loader: sum(len(x) for x in loader), repeats=repeats, warmup=1
                )
                records.append(
                    Record(
                        f"16-frame clips, {gop_name}, DataLoader 2 workers",
                        impl,
                        "cpu",
                        4,
                        len(ds) / seconds,
                        {**common, "median_seconds": seconds},
                    )
                )
                del loader
    return records
