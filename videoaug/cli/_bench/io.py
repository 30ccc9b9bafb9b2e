"""Bench suite ``io``: random 16-frame clips per second, videoaug's two readers against PyAV seek + decode.

Four sets of videos are generated in a temporary folder (content: blocks drifting across the frame plus mild
noise, 150 frames at 25 fps), each standing for a way video datasets are stored:

- ``H.264 MP4 128x170, one key frame``: a pre-resized copy (as C3D / R(2+1)D pipelines make of UCF-101) encoded
  with x264's default GOP of 250 frames, so a clip late in the video needs every frame before it decoded;
- ``H.264 MP4 128x170, key frame every 25``: the same with a key frame each second;
- ``MPEG-4 AVI 320x240, key frame every 12, read at 128x171``: UCF-101's own format (MPEG-4 Part 2 in AVI,
  320 x 240; FFmpeg's default GOP for this encoder), decoded straight to the example classifier's 128 x 171;
- ``H.264 MP4 320x240, key frame every 25``: full-size frames with no resize, where the work both readers share
  (FFmpeg's decoding and its RGB conversion) is largest.

(Widths are 170, not UCF-101's 171, because yuv420p H.264 needs even sizes.) The same clips (video, start
frame; ``sampling="dense"``, stride 1, drawn from a fixed seed) are read by

- ``videoaug.read_clip (decord)``: one ``get_batch`` per clip, its defaults (one FFmpeg decoder thread);
- ``videoaug.read_clip (pyav)``: its PyAV backend (one thread, non-reference frames before the clip skipped);
- ``videoaug.read_clip (auto)``: the default backend choice (PyAV for H.264, decord for MPEG-4 Part 2);
- ``PyAV seek+decode``: ``container.seek`` to the key frame before the clip, decode forward, convert the
  wanted frames to RGB (resized in the same ``swscale`` call where the set asks for it) with ``to_ndarray``,
  stop after the last one; PyAV's default (slice) threading;
- ``PyAV seek+decode, 1 thread``: the same decoding on one thread (``thread_count = 1``), the counterpart of
  read_clip's default;
- ``PyAV seek+decode, AUTO threads``: the same with ``stream.thread_type = "AUTO"`` (frame + slice threads);

each returning ``(16, 3, H, W)`` uint8 laid out ``(T, H, W, C)`` in memory (a permuted view, no extra copy),
both in this process and through a ``DataLoader`` with 2 workers (batches of 4, persistent workers). The
implementations are timed in interleaved rounds (one untimed warm-up round, then ``--repeats`` rounds; the
median is reported), so that they share the machine's state. Before timing, the readers' clips are compared:
``extra["max_abs_diff"]`` and ``extra["mean_abs_diff"]`` (0 at the stored size; with resizing, decord's FFmpeg
filter graph and PyAV's ``swscale`` call interpolate slightly differently). ``--quick`` makes 2 small videos
of 40 frames per set and reads 6 clips.

Prepared copies (``videoaug prepare``): for two kinds of source, long-GOP HD H.264 (1280 x 720, x264's default
GOP) and UCF-101's format (MPEG-4 Part 2 AVI 320 x 240, GOP 12), the videos are prepared with the default
settings (short side 128, key frame every 16, no B-frames) and random 16-frame clips at the prepared size are
read from the original (resized while decoding) and from the copy (stored size), both with
``read_clip(backend="auto")``, in interleaved rounds, timed by wall clock and by this process's CPU time
(``extra["cpu_seconds"]``, the steadier figure on a loaded machine). ``extra`` also holds the disk sizes and
the preparation time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from videoaug.cli import prepare as prep
from videoaug.io import clip_indices, probe, read_clip

from . import Record, time_round_robin

CLIP_FRAMES = 16
IMPLS = (
    "videoaug.read_clip (decord)",
    "PyAV seek+decode",
    "PyAV seek+decode, 1 thread",
    "PyAV seek+decode, AUTO threads",
    "videoaug.read_clip (pyav)",
    "videoaug.read_clip (auto)",
)
_PYAV_THREADS = {IMPLS[1]: None, IMPLS[2]: "NONE", IMPLS[3]: "AUTO"}
_READ_CLIP = {IMPLS[0]: "decord", IMPLS[4]: "pyav", IMPLS[5]: "auto"}


@dataclass(frozen=True)
class VideoSet:
    """A set of generated videos and how its clips are read: ``read_size`` ``(H, W)`` or ``None`` (stored)."""

    name: str
    codec: str
    ext: str
    height: int
    width: int
    gop: int | None  # None: the encoder's default
    read_size: tuple[int, int] | None
    videos: int
    clips: int


SETS = (
    VideoSet("H.264 MP4 128x170, one key frame", "libx264", "mp4", 128, 170, None, None, 20, 120),
    VideoSet("H.264 MP4 128x170, key frame every 25", "libx264", "mp4", 128, 170, 25, None, 20, 120),
    VideoSet("MPEG-4 AVI 320x240, key frame every 12, read at 128x171", "mpeg4", "avi", 240, 320, 12,
             (128, 171), 10, 60),
    VideoSet("H.264 MP4 320x240, key frame every 25", "libx264", "mp4", 240, 320, 25, None, 10, 60),
)


def _quick(s: VideoSet) -> VideoSet:
    """The same set at test size: 2 videos of 48 x 64 (read at 40 x 54 where the set resizes), 6 clips."""
    read = (40, 54) if s.read_size is not None else None
    return VideoSet(s.name, s.codec, s.ext, 48, 64, s.gop, read, 2, 6)


def make_videos(folder: str, s: VideoSet, frames: int, seed: int = 0) -> list[str]:
    """Encode the ``s.videos`` files of set ``s`` (``frames`` frames each) into ``folder``; their paths."""
    import av

    rng = np.random.default_rng(seed)
    height, width = s.height, s.width
    paths = []
    for k in range(s.videos):
        path = os.path.join(folder, f"{s.codec}_{height}x{width}_gop{s.gop}_{k:03d}.{s.ext}")
        blocks = rng.integers(0, 256, (height // 8 + 1, width // 8 + 2, 3), dtype=np.uint8)
        base = np.kron(blocks, np.ones((8, 8, 1), np.uint8)).astype(np.int16)
        with av.open(path, mode="w") as container:
            stream = container.add_stream(s.codec, rate=25)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            if s.gop is not None:
                stream.codec_context.gop_size = s.gop
            if s.codec == "mpeg4":
                stream.bit_rate = 1_000_000  # roughly UCF-101's
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


def pyav_clip(
    path: str, indices: list[int], thread_type: str | None = None, size: tuple[int, int] | None = None
) -> torch.Tensor:
    """Frames ``indices`` (sorted) of ``path`` as ``(T, C, H, W)`` uint8, by seek + decode with PyAV.

    ``thread_type`` (``"SLICE"``, ``"FRAME"``, ``"AUTO"``) overrides PyAV's default (slice threading over all
    cores); ``"NONE"`` decodes on one thread. ``size`` ``(H, W)`` resizes in the RGB conversion. The result is a
    permuted view of the ``(T, H, W, C)`` stack.
    """
    import av

    wanted = set(indices)
    height, width = size if size is not None else (None, None)
    out: dict[int, np.ndarray] = {}
    with av.open(path) as container:
        stream = container.streams.video[0]
        if thread_type == "NONE":
            stream.codec_context.thread_count = 1
        elif thread_type is not None:
            stream.thread_type = thread_type
        rate: Fraction = stream.average_rate
        tb: Fraction = stream.time_base
        t0 = stream.start_time or 0
        container.seek(int(indices[0] / rate / tb) + t0, stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            i = round((frame.pts - t0) * tb * rate)
            if i in wanted:
                out[i] = frame.to_ndarray(format="rgb24", width=width, height=height)
            if i >= indices[-1]:
                break
    missing = [i for i in indices if i not in out]
    if missing:  # e.g. an AVI whose made-up time stamps skip these indices
        raise LookupError(f"frames {missing[:4]} of {path} have no frame with that time stamp")
    return torch.from_numpy(np.stack([out[i] for i in indices])).permute(0, 3, 1, 2)


class _Clips(Dataset):
    """Clip specs ``(path, seed, indices)``; item = the clip read by ``impl`` (one of :data:`IMPLS`)."""

    def __init__(self, specs: list[tuple[str, int, list[int]]], impl: str, size: tuple[int, int] | None):
        self.specs, self.impl, self.size = specs, impl, size

    def __len__(self) -> int:
        return len(self.specs)

    def __getitem__(self, i: int) -> torch.Tensor:
        path, seed, indices = self.specs[i]
        if self.impl in _READ_CLIP:
            g = torch.Generator().manual_seed(seed)
            return read_clip(path, CLIP_FRAMES, "dense", size=self.size, generator=g, backend=_READ_CLIP[self.impl])
        return pyav_clip(path, indices, _PYAV_THREADS[self.impl], self.size)


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


def _medians(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    return [statistics.median(t) for t in time_round_robin(fns, repeats=repeats)]


def _differences(ours: list[torch.Tensor], theirs: list[torch.Tensor]) -> tuple[int, float]:
    """Largest and mean absolute difference between two readers' clips of the same specs."""
    diffs = [(a.int() - b.int()).abs() for a, b in zip(ours, theirs, strict=True)]
    return max(int(d.max()) for d in diffs), float(torch.stack([d.float().mean() for d in diffs]).mean())


REFERENCE_SCALE = 4  # the sequential decode is compared at 1/4 of the read size


def reference_frames(path: str, size: tuple[int, int]) -> torch.Tensor:
    """Every frame of ``path`` in the decoder's output order at ``size // REFERENCE_SCALE``: float ``(N, 3, h, w)``.

    A sequential decode from the first packet needs no seeking and no time stamps, so frame ``i`` of it is the
    ground truth for frame ``i`` of any reader.
    """
    import av

    h, w = max(1, size[0] // REFERENCE_SCALE), max(1, size[1] // REFERENCE_SCALE)
    frames = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        for frame in container.decode(stream):
            frames.append(torch.from_numpy(frame.to_ndarray(format="rgb24", width=w, height=h)))
    return torch.stack(frames).permute(0, 3, 1, 2).float()


def wrong_frames(clips: list[torch.Tensor], specs: list[tuple[str, int, list[int]]], ref: torch.Tensor) -> int:
    """How many frames of ``clips`` (uint8 ``(T, 3, H, W)``, read for ``specs``) are not the frame they claim.

    A frame is wrong when another frame of the sequential decode ``ref`` matches it better by more than one grey
    level than the one at its index (so repeated or static frames do not count).
    """
    wrong = 0
    for clip, (_, _, indices) in zip(clips, specs, strict=True):
        small = torch.nn.functional.interpolate(clip.float(), size=ref.shape[-2:], mode="bilinear", antialias=True)
        for frame, i in zip(small, indices, strict=True):
            d = (ref - frame).abs().mean((1, 2, 3))
            wrong += int(i >= len(ref) or float(d[i] - d.min()) > 1.0)
    return wrong


def run(args: argparse.Namespace, device: torch.device) -> list[Record]:
    """Measure clip reading in one process and in a 2-worker DataLoader; one Record per set, mode and reader.

    With ``args.io_videos`` (``videoaug bench --io --io-videos FILE ...``) the sets are those files, one set
    each, read at ``args.io_size`` or their stored size, ``args.io_clips`` clips each; the generated and
    prepared sets are then skipped.
    """
    quick = getattr(args, "quick", False)
    repeats = max(1, int(args.repeats))
    files = getattr(args, "io_videos", None)
    if files:
        return run_files(files, getattr(args, "io_size", None), int(getattr(args, "io_clips", 24)), repeats)
    frames = 40 if quick else 150
    records: list[Record] = []
    with tempfile.TemporaryDirectory(prefix="videoaug-bench-io-") as folder:
        for s in SETS:
            s = _quick(s) if quick else s
            common = {"videos": s.videos, "frames": frames, "codec": s.codec, "gop": s.gop,
                      "stored_size": [s.height, s.width]}
            specs = _specs(make_videos(folder, s, frames), s.clips)
            records += _measure_set(s.name, specs, s.read_size, common, repeats)
    records += run_prepared(quick, repeats)
    return records


def run_files(paths: list[str], size: list[int] | None, clips: int, repeats: int) -> list[Record]:
    """The io measurement on existing video files, one set per file (``codec``, key-frame count from a demux)."""
    records: list[Record] = []
    read_size = (int(size[0]), int(size[1])) if size else None
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"--io-videos: no such file: {path}")
        codec, frames, keys = _demux_summary(path)
        info = probe(path)
        common = {"file": os.path.basename(path), "videos": 1, "frames": frames, "key_frames": keys,
                  "codec": codec, "gop": None, "stored_size": [info.height, info.width]}
        name = f"{os.path.basename(path)} ({codec} {info.width}x{info.height}, {keys} key frames in {frames})"
        ref = reference_frames(path, read_size or (info.height, info.width))
        records += _measure_set(name, _specs([path], clips), read_size, common, repeats, ref)
    return records


def _demux_summary(path: str) -> tuple[str, int, int]:
    """``(codec name, video packets, key-frame packets)`` of the first video stream, by demuxing only."""
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        return stream.codec_context.name, len(packets), sum(bool(p.is_keyframe) for p in packets)


def _measure_set(name: str, specs: list[tuple[str, int, list[int]]], read_size: tuple[int, int] | None,
                 common: dict, repeats: int, reference: torch.Tensor | None = None) -> list[Record]:
    """Every reader of :data:`IMPLS` on the same clips, in one process and through a 2-worker DataLoader.

    Each reader first reads the first 8 clips untimed. One that raises is not timed: its records have 0 clips/s
    and ``extra["failed"]``, the error. With ``reference`` (:func:`reference_frames` of the set's one file),
    ``extra["wrong_frames"]`` counts the frames of those clips that are not the frame they claim.
    """
    datasets = {impl: _Clips(specs, impl, read_size) for impl in IMPLS}
    checked = specs[:8]
    first, failed = {}, {}
    for impl, ds in datasets.items():
        try:
            first[impl] = [ds[i] for i in range(len(checked))]
        except Exception as exc:  # a reader that cannot read this file is reported, not timed
            failed[impl] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    common = {**common, "read_size": list(read_size) if read_size else common["stored_size"],
              "clip_frames": CLIP_FRAMES, "clips": len(specs)}
    if IMPLS[0] in first and IMPLS[1] in first:
        max_diff, mean_diff = _differences(first[IMPLS[0]], first[IMPLS[1]])
        common.update(max_abs_diff=max_diff, mean_abs_diff=round(mean_diff, 3))
    wrong = {impl: wrong_frames(clips, checked, reference) for impl, clips in first.items()} if (
        reference is not None) else {}
    timed = {impl: ds for impl, ds in datasets.items() if impl in first}
    records = [
        Record(f"16-frame clips, {name}, {mode}", impl, "cpu", batch, 0.0, {**common, "failed": failed[impl]})
        for mode, batch in (("1 process", 1), ("DataLoader 2 workers", 4)) for impl in failed
    ]
    if not timed:
        return records
    one = _medians([lambda ds=ds: [ds[i] for i in range(len(ds))] for ds in timed.values()], repeats)
    loaders = [
        DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True, timeout=300)
        for ds in timed.values()
    ]
    two = _medians([lambda dl=dl: sum(len(x) for x in dl) for dl in loaders], repeats)
    del loaders
    for mode, seconds, batch in (("1 process", one, 1), ("DataLoader 2 workers", two, 4)):
        for impl, sec in zip(timed, seconds, strict=True):
            extra = {**common, "median_seconds": sec}
            if impl in wrong:
                extra.update(wrong_frames=wrong[impl], checked_frames=len(checked) * CLIP_FRAMES)
            records.append(Record(f"16-frame clips, {name}, {mode}", impl, "cpu", batch, len(specs) / sec, extra))
    return records


PREPARED_SETS = (
    VideoSet("H.264 MP4 1280x720, one key frame", "libx264", "mp4", 720, 1280, None, None, 3, 24),
    VideoSet("MPEG-4 AVI 320x240, key frame every 12", "mpeg4", "avi", 240, 320, 12, None, 6, 36),
)
PREPARED_IMPLS = ("original, resized while decoding", "prepared copy (videoaug prepare)")


def run_prepared(quick: bool, repeats: int) -> list[Record]:
    """Random 16-frame clips at the prepared size: the original read with decode-time resize vs the copy."""
    records = []
    settings = prep.Settings(short_side=32 if quick else 128)
    with tempfile.TemporaryDirectory(prefix="videoaug-bench-prepare-") as folder:
        for s in PREPARED_SETS:
            if quick:
                s = VideoSet(s.name, s.codec, s.ext, 72, 128, s.gop, None, 1, 4)
            src, dst = os.path.join(folder, "src", s.ext), os.path.join(folder, "dst", s.ext)
            os.makedirs(src)
            originals = make_videos(src, s, 40 if quick else 150)
            start = time.process_time()
            summary = prep.prepare(src, dst, settings, workers=1, progress=False)
            prepare_cpu = time.process_time() - start
            if summary.failed:
                raise RuntimeError(f"videoaug prepare failed on the bench's videos: {summary.failed}")
            copies = [os.path.join(dst, os.path.relpath(p, src)) for p in originals]
            size = probe(copies[0]).height, probe(copies[0]).width
            specs = _specs(originals, s.clips)
            copy_of = dict(zip(originals, copies, strict=True))

            def read(specs=specs, size=size, copy=False, copy_of=copy_of):
                for path, seed, _ in specs:
                    g = torch.Generator().manual_seed(seed)
                    if copy:
                        read_clip(copy_of[path], CLIP_FRAMES, "dense", generator=g)
                    else:
                        read_clip(path, CLIP_FRAMES, "dense", size=size, generator=g)

            fns = [read, lambda read=read: read(copy=True)]
            wall = _medians(fns, repeats)
            cpu = [statistics.median(t) for t in time_round_robin(fns, repeats=repeats, clock=time.process_time)]
            common = {
                "videos": s.videos, "codec": s.codec, "gop": s.gop, "stored_size": [s.height, s.width],
                "read_size": list(size), "clips": len(specs), "clip_frames": CLIP_FRAMES,
                "src_bytes": summary.src_bytes, "dst_bytes": summary.dst_bytes, "frames": summary.frames,
                "prepare_cpu_seconds": round(prepare_cpu, 3),
                "prepare_cpu_seconds_per_hour_at_25fps": round(prepare_cpu / summary.frames * 25 * 3600, 1),
            }
            for impl, sec, cpu_sec in zip(PREPARED_IMPLS, wall, cpu, strict=True):
                records.append(Record(f"16-frame clips at {size[0]}x{size[1]}, {s.name}", impl, "cpu", 1,
                                      len(specs) / sec, {**common, "median_seconds": sec, "cpu_seconds": cpu_sec}))
    return records
