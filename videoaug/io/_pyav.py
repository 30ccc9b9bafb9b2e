"""The PyAV reading backend of :func:`videoaug.io.read_clip`: seek, decode forward, convert only wanted frames.

How a read goes (``wanted``: the sorted distinct frame indices of every clip of the call):

1. The container is opened with PyAV (its bundled FFmpeg); the frame count comes from the container
   (``stream.frames``), or from counting the stream's packets where the container does not say (Matroska,
   WebM), as decord does.
2. ``wanted`` is cut into runs: a new run starts where the container's index has a key frame more than
   :data:`SEEK_MIN_SKIP` frames after the previous wanted frame and not after the next one, i.e. where a seek
   skips decoding. All clips of a ``num_clips`` call are read in this one pass, each frame decoded once.
3. Each run seeks to the key frame before its first frame and decodes forward with one decoder thread by
   default (frame threading restarts at every seek and buys a short clip nothing). Frames are identified by
   their presentation time stamp, so B-frame reordering and the decoder's delay do not matter; if a seek lands
   after the wanted frame (a container indexed by decoding time), it backs off and seeks again.
4. Until the next wanted frame, ``skip_frame = "NONREF"`` lets the decoder drop frames that no other frame
   refers to (x264's non-reference B-frames), which cannot be wanted anyway. ``skip_nonref=False`` turns
   that off (:func:`videoaug.io.read_clip` keeps it on; docs/benchmarks.md has the measurement).
5. Only the wanted frames are converted to RGB, resized in the same ``swscale`` call
   (``VideoFrame.to_ndarray(format="rgb24", width=, height=)``, bilinear, antialiased when shrinking), into
   one preallocated ``(N, H, W, 3)`` array.

Frame indices come from time stamps as ``round((pts - start) * time_base * average_rate)``: exact for
constant frame rate files (what cameras and dataset copies store); for variable frame rate files the
indices follow the average rate.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import torch

__all__ = ["SEEK_MIN_SKIP", "NotPreferred", "probe", "read_frames", "pyav"]

#: a run of wanted frames starts with a seek only if it skips decoding more than this many frames
SEEK_MIN_SKIP = 2


@functools.cache
def pyav():
    """``import av`` once; a clear ImportError if PyAV is missing."""
    try:
        import av
    except ImportError as exc:  # pragma: no cover - av is a requirement
        raise ImportError("the PyAV backend needs PyAV: pip install av") from exc
    return av


class _Error(Exception):
    """A failure with a cause sentence; :mod:`videoaug.io` turns it into a VideoReadError for the path."""


class NotPreferred(Exception):  # noqa: N818 - a hand-over, not an error
    """:func:`read_frames` was asked to read only codecs that ``prefer`` accepts, and this one is not."""


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


class _Video:
    """An open container's video stream and the arithmetic between frame indices and time stamps."""

    def __init__(self, container, num_threads: int):
        if not container.streams.video:
            raise _Error("the file has no video stream")
        self.container = container
        self.stream = stream = container.streams.video[0]
        # FFmpeg's AVI demuxer makes time stamps from the chunk count: with B-frames (H.264 in AVI) the decoded
        # frames' stamps come out of display order, and the declared rate and frame count can be off by 2x
        # (OpenCV's vtest.avi), so in AVI frames are identified by their position instead (see _decode_counted)
        self.by_position = container.format.name == "avi"
        if self.by_position:
            rate = stream.guessed_rate or stream.average_rate or stream.base_rate
        else:
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate or stream.time_base is None:
            raise _Error("the video stream declares no frame rate or time base")
        self.rate = Fraction(rate)
        self.tb = Fraction(stream.time_base)
        self.start = stream.start_time or 0
        self._ticks_per_frame = 1 / (self.tb * self.rate)  # Fraction
        self._frames_per_tick = float(self.tb * self.rate)
        cc = stream.codec_context
        if num_threads == 1:
            cc.thread_count = 1
        else:  # 0: FFmpeg's choice of threads; n > 1: n threads; frame and slice threading
            cc.thread_type = "AUTO"
            cc.thread_count = int(num_threads)
        self.cc = cc

    def index(self, ts: int) -> int:
        return round((ts - self.start) * self._frames_per_tick)

    def ts(self, index: int) -> int:
        return self.start + int(index * self._ticks_per_frame)

    def ts_below(self, index: int) -> float:
        """Time stamps below this one belong to frames before ``index`` (``self.index(ts) < index``)."""
        return self.start + (index - 0.5) * float(self._ticks_per_frame)

    @functools.cached_property
    def entries(self) -> list[tuple[int, bool]]:
        """``(timestamp, is_keyframe)`` of the container's index entries of non-empty packets, in stream order
        (PyAV >= 14; else empty). Copied out at once: the entry objects view FFmpeg's index array, which the
        demuxer may reallocate while reading."""
        entries = getattr(self.stream, "index_entries", None) or ()
        return [(int(e.timestamp), bool(e.is_keyframe)) for e in entries if e.size > 0]

    def num_frames(self) -> int:
        if self.by_position and self.entries:
            return len(self.entries)
        declared = self.stream.frames
        if declared > 0:
            return int(declared)
        count = sum(1 for p in self.container.demux(self.stream) if p.size)
        self.container.seek(self.start, stream=self.stream, backward=True, any_frame=False)
        return count

    def key_frames(self) -> list[int] | None:
        """Sorted frame indices of the key frames in the container's index (``None`` if it has none)."""
        return self._keys

    @functools.cached_property
    def _keys(self) -> list[int] | None:
        if self.by_position:
            keys = [i for i, (_, key) in enumerate(self.entries) if key]
        else:
            keys = sorted({self.index(stamp) for stamp, key in self.entries if key})
        return keys or None


def _open(path: str, num_threads: int):
    av = pyav()
    try:
        container = av.open(path)
    except av.FFmpegError as exc:
        raise _Error(
            "not a readable video: the container or its video stream could not be opened (truncated, corrupted "
            f"or not a video file; PyAV: {_message(exc)})"
        ) from None
    try:
        return _Video(container, num_threads)
    except BaseException:
        container.close()
        raise


def probe(path: str, num_threads: int = 1) -> tuple[int, float, int, int, str]:
    """``(num_frames, fps, height, width, codec)``; decodes the first frame to learn the size (and that it
    decodes)."""
    av = pyav()
    video = _open(path, num_threads)
    with video.container:
        try:
            n = video.num_frames()
            frame = next(video.container.decode(video.stream), None)
        except av.FFmpegError as exc:
            raise _Error(f"the first frame cannot be decoded (PyAV: {_message(exc)})") from None
        if frame is None or n <= 0:
            raise _Error("the video stream has no frames")
        return n, float(video.rate), int(frame.height), int(frame.width), video.cc.name


def _key_at_or_before(keys: list[int], index: int, default: int) -> int:
    """The last of the sorted ``keys`` that is ``<= index``, or ``default`` if none is."""
    return keys[bisect.bisect_right(keys, index) - 1] if keys[0] <= index else default


def _runs(wanted: list[int], keys: list[int] | None) -> list[list[int]]:
    """Cut the sorted ``wanted`` indices where a seek to a key frame skips more than ``SEEK_MIN_SKIP`` frames."""
    runs = [[wanted[0]]]
    for a, b in itertools.pairwise(wanted):
        if keys is not None and b - a > SEEK_MIN_SKIP:
            key = _key_at_or_before(keys, b, -1)
            if key - a > SEEK_MIN_SKIP:
                runs.append([b])
                continue
        runs[-1].append(b)
    return runs


def read_frames(
    path: str,
    pick: Callable[[int], torch.Tensor],
    size: Callable[[int, int], tuple[int, int]] | None,
    num_frames: int | None,
    num_threads: int = 1,
    skip_nonref: bool = True,
    prefer: Callable[[str], bool] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Decode the frames ``pick(n)`` asks for; returns ``(idx, frames, n)``.

    Args:
        path: a checked, existing file.
        pick: ``n -> (K, T)`` int64 indices in ``[0, n)``.
        size: ``(stored H, W) -> (H, W)`` to convert to, or ``None`` for the stored size.
        num_frames: the frame count if known (a dataset's index), else counted from the container.
        num_threads: decoder threads (1; 0 for FFmpeg's choice).
        skip_nonref: drop non-reference frames before each wanted frame.
        prefer: if given, a test of the codec's FFmpeg name; a file whose codec fails it raises
            :class:`NotPreferred` right after opening.

    Returns:
        ``idx`` ``(K, T)``; ``frames`` ``(U, H, W, 3)`` uint8, the distinct indices of ``idx`` in increasing
        order; ``n`` the video's frame count.

    Raises:
        _Error: the file cannot be opened or the wanted frames cannot be decoded.
    """
    av = pyav()
    video = _open(path, num_threads)
    with video.container:
        if prefer is not None and not prefer(video.cc.name):
            raise NotPreferred(video.cc.name)
        try:
            n = num_frames if num_frames is not None else video.num_frames()
        except av.FFmpegError as exc:
            raise _Error(f"the container's packets cannot be read (PyAV: {_message(exc)})") from None
        if n <= 0:
            raise _Error("the video stream has no frames")
        idx = pick(n)
        wanted = torch.unique(idx, sorted=True).tolist()
        gaps = len(wanted) > 1 and wanted[-1] - wanted[0] >= len(wanted) + SEEK_MIN_SKIP
        runs = _runs(wanted, video.key_frames() if gaps else None)
        slot = {w: i for i, w in enumerate(wanted)}
        state = _Out(len(wanted), size)
        for run in runs:
            try:
                if video.by_position:
                    _decode_counted(video, run, slot, state)
                else:
                    _decode_run(video, run, slot, state, skip_nonref)
            except av.FFmpegError as exc:
                raise _Error(_decode_failure(wanted, n, f"PyAV: {_message(exc)}")) from None
            if state.missing(run):
                raise _Error(_decode_failure(wanted, n, "PyAV: the stream ended before these frames"))
    return idx, torch.from_numpy(state.array), n


def _decode_failure(wanted: list[int], n: int, detail: str) -> str:
    return (
        f"decoding frames {wanted[0]}..{wanted[-1]} of the {n} the container declares failed: the file is "
        f"truncated or corrupted ({detail})"
    )


class _Out:
    """The ``(U, H, W, 3)`` array the wanted frames are converted into, allocated at the first frame."""

    def __init__(self, count: int, size):
        from av.video.reformatter import VideoReformatter

        self.count, self.size = count, size
        self.array: np.ndarray | None = None
        self.done: set[int] = set()
        self.hw: tuple[int, int] | None = None
        # one scaler for the whole read: VideoFrame.to_ndarray(width=...) builds a new SwsContext per frame
        self.reformatter = VideoReformatter()

    def put(self, i: int, w: int, frame) -> None:
        if self.array is None:
            self.hw = self.size(frame.height, frame.width) if self.size is not None else (frame.height, frame.width)
            self.array = np.empty((self.count, *self.hw, 3), np.uint8)
        h, w_ = self.hw
        self.array[i] = self.reformatter.reformat(frame, width=w_, height=h, format="rgb24").to_ndarray()
        self.done.add(w)

    def missing(self, run: list[int]) -> bool:
        return any(w not in self.done for w in run)


def _decode_run(video: _Video, run: list[int], slot: dict[int, int], out: _Out, skip_nonref: bool) -> None:
    """Seek to the key frame before ``run[0]`` and decode forward until ``run[-1]``, converting ``run``."""
    container, stream, cc = video.container, video.stream, video.cc
    back = 0  # frames to seek before run[0] when the seek landed after it
    while True:
        target = run[0] - back
        container.seek(video.ts(max(target, 0)), stream=stream, backward=True, any_frame=False)
        cc.skip_frame = "DEFAULT"
        pending = iter(run)
        nxt = next(pending)
        first = True
        skipping = False
        limit = video.ts_below(nxt)
        for packet in container.demux(stream):
            if skip_nonref and (packet.pts is not None and packet.pts < limit) != skipping:
                skipping = not skipping  # set only on changes: the property costs more than the compare
                cc.skip_frame = "NONREF" if skipping else "DEFAULT"
            for frame in packet.decode():
                if frame.pts is None:
                    continue
                i = video.index(frame.pts)
                if first:
                    first = False
                    if i > run[0] and target > 0:
                        break  # the seek overshot: back off
                while nxt is not None and nxt < i:  # a wanted frame the stream does not have
                    nxt = next(pending, None)
                if i == nxt:
                    if i not in out.done:
                        out.put(slot[i], i, frame)
                    nxt = next(pending, None)
                    limit = video.ts_below(nxt) if nxt is not None else limit
                if nxt is None:
                    cc.skip_frame = "DEFAULT"
                    return
            else:
                continue
            break  # overshoot: seek again from further back
        else:
            cc.skip_frame = "DEFAULT"
            return  # end of stream: read_frames reports what is missing
        back = max(2 * back, 16)


def _decode_counted(video: _Video, run: list[int], slot: dict[int, int], out: _Out) -> None:
    """:func:`_decode_run` for containers whose time stamps cannot identify frames (AVI): seek to the key frame
    at or before ``run[0]`` by its index entry and count the decoded frames in output order from there.

    Frames are not dropped before the clip (a dropped frame would not be counted). If the seek does not land on
    that key frame's packet, the run is decoded from the start of the stream instead.
    """
    container, stream, entries = video.container, video.stream, video.entries
    key = _key_at_or_before(video.key_frames() or [0], run[0], 0)
    for position in dict.fromkeys((key, 0)):  # the key frame, then the start of the stream
        stamp = entries[position][0] if entries else video.start
        container.seek(stamp, stream=stream, backward=True, any_frame=False)
        pending = iter(run)
        nxt = next(pending)
        i = position
        first = True
        for packet in container.demux(stream):
            if first and packet.size:
                first = False
                if position and packet.dts is not None and packet.dts != stamp:
                    break  # landed elsewhere: count from the start instead
            for frame in packet.decode():
                if i == nxt:
                    if i not in out.done:
                        out.put(slot[i], i, frame)
                    nxt = next(pending, None)
                    if nxt is None:
                        return
                i += 1
        else:
            return  # end of stream: read_frames reports what is missing
