"""Reading clips off disk with decord or PyAV and choosing frame indices.

:func:`read_clip` opens a video, picks the frame indices of one or more clips with :func:`clip_indices` (no
frame is decoded that the clip does not need), decodes them, optionally resized at decode time (FFmpeg's
scaler), and returns a ``uint8`` tensor ``(T, C, H, W)``, or ``(K, T, C, H, W)`` with ``num_clips=K``.

Backends (``backend=``): ``"decord"`` (one ``get_batch`` call, decord's bundled FFmpeg 4.1; wheels for x86-64
Linux and Windows only), ``"pyav"`` (:mod:`videoaug.io._pyav`: seek, decode forward, convert only the
wanted frames; PyAV's bundled FFmpeg, wheels for every platform) and ``"auto"`` (the default): without decord,
PyAV; with decord, PyAV for the codecs in :data:`PYAV_FIRST` (H.264, HEVC, MPEG-4 Part 2, H.263: measured
faster there), decord for the others, and the other backend where the first cannot read the file. The codec
comes from ``info`` when given (datasets pass their index entry), else PyAV opens the file and hands it to
decord when the codec is not one of its own. Both backends give the same frames for the same indices, the same
shapes and dtype and the same :class:`VideoReadError` causes.

Sampling modes (``N`` frames in the video, ``T`` frames wanted):

=========  ==========================================  ======================================================
mode       frames                                      with ``num_clips=K``
=========  ==========================================  ======================================================
uniform    one frame at the centre of each of ``T``    segment offsets ``(k + 0.5) / K`` instead of ``0.5``
           equal segments of the video (TSN test)      (K interleaved, deterministic clips)
random     one random frame in each of ``T`` equal     ``K`` independent draws
           segments (TSN training)
dense      ``T`` frames ``stride`` apart from a        ``K`` independent random starts
           random start (SlowFast / X3D training)
center     ``T`` frames ``stride`` apart, the window   ``K`` windows evenly spaced from the first to the last
           centred in the video                        possible start (``K=1`` is the centred one)
=========  ==========================================  ======================================================

Short videos. The sparse modes (``uniform``, ``random``) never run out of frames: with ``N < T`` each frame is
repeated in order, as if the video were played in slow motion. The windowed modes (``dense``, ``center``) need
``L = (T - 1) * stride + 1`` frames; when ``N < L`` the window starts at frame 0 and the indices past the end
either loop back to the start (``pad="loop"``, the default, as in mmaction2) or repeat the last frame
(``pad="repeat_last"``, as in torchvision's ``VideoClips``).

Errors. A missing, empty, truncated or non-video file raises :class:`VideoReadError`, which names the path and
the cause. The file is checked before decord sees it (decord's own message for a missing or empty file is only
"Error reading ..."), and every decord failure is caught and re-raised as :class:`VideoReadError`.

decord 0.6 quirks handled here (checked with decord 0.6.0 from PyPI and numpy 2.4):

* ``asnumpy()`` works with numpy 2; we use it with ``torch.from_numpy`` and leave decord's global bridge
  alone (``decord.bridge.set_bridge("torch")`` works too, but is process-wide state).
* For a few frame widths (8, 12, 16, 24, 48 and 72 pixels here) decord mistakes the padded row stride of the
  converted frame for extra channels: ``get_batch`` fails with ``DECORDArrayCopyFromTo: The size must exactly
  match`` (dmlc/decord#336). :func:`read_clip` then decodes at the next multiple of 32 pixels in width and
  resizes the width back with an antialiased bilinear filter.
* decord's FFmpeg logs every damaged packet to stderr; the first call here sets decord's FFmpeg log level to
  ``decord.logging.QUIET`` (the causes go into :class:`VideoReadError` instead; call
  ``decord.logging.set_level`` afterwards to change it). decord's own one-line "ERROR opening" notes remain.
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "SAMPLINGS",
    "BACKENDS",
    "PYAV_FIRST",
    "available_backends",
    "VideoReadError",
    "VideoInfo",
    "probe",
    "clip_indices",
    "read_clip",
]

SAMPLINGS = ("uniform", "random", "center", "dense")
PADS = ("loop", "repeat_last")
BACKENDS = ("auto", "decord", "pyav")


class VideoReadError(RuntimeError):
    """A video could not be read. ``path`` and ``cause`` say which file and why.

    Construct with :meth:`at` (``VideoReadError.at(path, cause)``); the plain constructor takes the whole
    message, so that the error survives being re-raised by a DataLoader worker.
    """

    def __init__(self, message: str, path: str | None = None, cause: str | None = None):
        super().__init__(message)
        self.path = path
        self.cause = cause

    @classmethod
    def at(cls, path: str | os.PathLike, cause: str) -> VideoReadError:
        path = os.fspath(path)
        return cls(f"cannot read video {path!r}: {cause}", path=path, cause=cause)

    def __reduce__(self):
        return (type(self), (str(self), self.path, self.cause))


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` finds out about a video: frame count, average frame rate, frame size in pixels, and
    the codec's FFmpeg name (``"h264"``, ``"mpeg4"``, ...; ``""`` where the prober could not tell)."""

    num_frames: int
    fps: float
    height: int
    width: int
    codec: str = ""


#: codecs that ``backend="auto"`` reads with PyAV even where decord is installed: measured faster there on an
#: idle machine (docs/benchmarks.md, H.264 in MP4 and AVI, MPEG-4 Part 2 in AVI, H.263 in MOV), and decord
#: returns wrong frames for H.264 with B-frames in AVI (docs/io.md); HEVC shares H.264's decoding pattern
PYAV_FIRST = frozenset({"h264", "hevc", "mpeg4", "h263"})


# ---------------------------------------------------------------------------------------------- decord access


@functools.cache
def _decord():
    """Import decord once and silence its FFmpeg logging (a line per damaged packet otherwise); the causes are
    in the :class:`VideoReadError` messages instead."""
    try:
        import decord
    except ImportError as exc:
        raise ImportError(
            "backend='decord' needs decord, which is not installed here (it has wheels for x86-64 Linux, "
            "Windows and Intel macOS only): pip install decord, or use backend='pyav' or 'auto'"
        ) from exc
    decord.logging.set_level(decord.logging.QUIET)
    return decord


@functools.cache
def _has_decord() -> bool:
    try:
        _decord()
    except ImportError:
        return False
    return True


def available_backends() -> tuple[str, ...]:
    """The backends that can run here: ``("decord", "pyav")`` where decord is installed, else ``("pyav",)``."""
    return ("decord", "pyav") if _has_decord() else ("pyav",)


def _check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    if backend == "decord":
        _decord()  # ImportError naming the alternatives
    return backend


def _check_file(path: str | os.PathLike) -> str:
    """Raise :class:`VideoReadError` unless ``path`` is an existing, readable, non-empty regular file."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise VideoReadError.at(path, "no such file") from None
    except OSError as exc:
        raise VideoReadError.at(path, f"cannot stat the file ({exc.strerror or exc})") from None
    if os.path.isdir(path):
        raise VideoReadError.at(path, "is a directory, expected a video file")
    if not os.path.isfile(path):
        raise VideoReadError.at(path, "is not a regular file")
    if st.st_size == 0:
        raise VideoReadError.at(path, "the file is empty (0 bytes)")
    if not os.access(path, os.R_OK):
        raise VideoReadError.at(path, "permission denied")
    return path


def _decord_message(exc: BaseException) -> str:
    """The useful part of a decord exception: its first line, without the timestamp and source location."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    while True:  # decord nests "[time] file.cc:line: " prefixes when a worker thread re-raises
        stripped = re.sub(r"^(?:\[[\d:]+\]\s*|\S+\.(?:cc|cpp|h):\d+:\s*)", "", text)
        if stripped == text:
            break
        text = stripped
    return text[:300]


def _open(path: str, width: int = -1, height: int = -1, num_threads: int = 1):
    decord = _decord()
    try:
        return decord.VideoReader(
            path, ctx=decord.cpu(0), width=width, height=height, num_threads=num_threads
        )
    except Exception as exc:  # decord raises RuntimeError("Error reading ...") or DECORDError, both opaque
        raise VideoReadError.at(
            path, f"not a readable video: the container or its video stream could not be opened "
            f"(truncated, corrupted or not a video file; decord: {_decord_message(exc)})"
        ) from None


def _is_stride_bug(exc: BaseException) -> bool:
    return "DECORDArrayCopyFromTo" in str(exc)


def probe(path: str | os.PathLike, num_threads: int = 1, backend: str = "auto") -> VideoInfo:
    """Open a video and return its :class:`VideoInfo` (decodes the first frame to learn the frame size).

    ``backend`` as in :func:`read_clip`. Results are cached per process, keyed by the path, its size and its
    modification time.

    Raises:
        VideoReadError: the file is missing, empty, not a video, or its first frame cannot be decoded.
    """
    path = _check_file(path)
    _check_backend(backend)
    st = os.stat(path)
    return _probe_cached(os.path.abspath(path), st.st_size, st.st_mtime_ns, num_threads, backend)


@functools.lru_cache(maxsize=4096)
def _probe_cached(path: str, _size: int, _mtime_ns: int, num_threads: int, backend: str) -> VideoInfo:
    decord_first = backend == "decord"  # "auto" probes with PyAV: it opens faster and names the codec
    return _first_that_reads(path, backend, decord_first, lambda: _probe_decord(path, num_threads),
                             lambda prefer: _probe_pyav(path, num_threads))


def _probe_decord(path: str, num_threads: int) -> VideoInfo:
    vr = _open(path, num_threads=num_threads)
    try:
        num_frames = len(vr)
        fps = float(vr.get_avg_fps())
        # next() gives (H, W, C'): H and W are right even where decord's stride bug makes C' != 3
        height, width = vr.next().shape[:2]
    except Exception as exc:
        cause = f"the first frame cannot be decoded (decord: {_decord_message(exc)})"
        raise VideoReadError.at(path, cause) from None
    finally:
        del vr
    if num_frames <= 0:
        raise VideoReadError.at(path, "the video stream has no frames")
    return VideoInfo(num_frames=int(num_frames), fps=fps, height=int(height), width=int(width))


def _probe_pyav(path: str, num_threads: int) -> VideoInfo:
    from . import _pyav as _read_pyav

    try:
        return VideoInfo(*_read_pyav.probe(path, num_threads))
    except _read_pyav._Error as exc:
        raise VideoReadError.at(path, str(exc)) from None


def _first_that_reads(path: str, backend: str, decord_first: bool, with_decord, with_pyav):
    """Run ``with_decord()`` or ``with_pyav(prefer)`` as ``backend`` says.

    ``"auto"`` without decord runs PyAV. With decord it tries ``decord_first``'s choice first and the other
    backend where the first fails on the file (naming both causes if both fail). When PyAV goes first,
    ``prefer`` is a codec test: PyAV hands a file whose codec fails it over to decord (``_NotPreferred``).
    """
    from ._pyav import NotPreferred

    if backend == "pyav" or (backend == "auto" and not _has_decord()):
        return with_pyav(None)
    if backend == "decord":
        return with_decord()
    failed: list[tuple[str, VideoReadError]] = []
    pyav_tried = False
    if not decord_first:
        try:
            return with_pyav(PYAV_FIRST.__contains__)
        except NotPreferred:
            pass
        except VideoReadError as exc:
            failed.append(("PyAV", exc))
            pyav_tried = True
    try:
        return with_decord()
    except VideoReadError as exc:
        failed.append(("decord", exc))
    if not pyav_tried:
        try:
            return with_pyav(None)
        except VideoReadError as exc:
            failed.append(("PyAV", exc))
    (_, first), *others = failed
    rest = "".join(f"; {name} could not read it either: {exc.cause}" for name, exc in others)
    raise VideoReadError.at(path, f"{first.cause}{rest}") from None


# -------------------------------------------------------------------------------------------- index selection


def clip_indices(
    num_video_frames: int,
    num_frames: int = 16,
    sampling: str = "uniform",
    stride: int | None = None,
    num_clips: int | None = None,
    generator: torch.Generator | None = None,
    pad: str = "loop",
) -> torch.Tensor:
    """Frame indices of ``num_clips`` clips of ``num_frames`` frames from a video of ``num_video_frames``.

    The rules per ``sampling`` mode and for short videos are in the module docstring. Random modes draw from
    ``generator`` (or torch's global RNG), so DataLoader worker seeding and ``torch.manual_seed`` apply.

    Args:
        num_video_frames: ``N``, frames in the video (``>= 1``).
        num_frames: ``T``, frames per clip (``>= 1``).
        sampling: ``"uniform"``, ``"random"``, ``"center"`` or ``"dense"``.
        stride: distance between frames of a ``"dense"`` / ``"center"`` window (default 1); must be ``None``
            for the sparse modes, whose spacing follows from ``N / T``.
        num_clips: ``K``; ``None`` means one clip.
        generator: optional ``torch.Generator`` for the random modes.
        pad: short-window rule, ``"loop"`` or ``"repeat_last"``.

    Shape:
        Returns ``(K, T)`` (``K = 1`` when ``num_clips`` is ``None``), int64, each value in ``[0, N)``.

    Example:
        >>> clip_indices(100, 4, "uniform").tolist()
        [[12, 37, 62, 87]]
        >>> clip_indices(5, 4, "center", stride=2).tolist()
        [[0, 2, 4, 1]]
    """
    n, t, k = _check_sampling_args(num_video_frames, num_frames, sampling, stride, num_clips, pad)
    if sampling in ("uniform", "random"):
        seg = torch.arange(t, dtype=torch.float64)
        if sampling == "uniform":
            offsets = (torch.arange(k, dtype=torch.float64) + 0.5) / k
            pos = (seg.unsqueeze(0) + offsets.unsqueeze(1)) * (n / t)
            return pos.floor().long().clamp_(0, n - 1)
        starts = (seg * n / t).floor().long()
        ends = torch.maximum(((seg + 1) * n / t).floor().long(), starts + 1)
        u = torch.rand((k, t), generator=generator, dtype=torch.float64)
        return (starts + (u * (ends - starts)).floor().long()).clamp_(0, n - 1)
    s = 1 if stride is None else stride
    window = (t - 1) * s + 1
    rel = torch.arange(t, dtype=torch.long) * s
    if n < window:
        starts = torch.zeros(k, dtype=torch.long)
    elif sampling == "dense":
        starts = torch.randint(0, n - window + 1, (k,), generator=generator)
    elif k == 1:
        starts = torch.tensor([(n - window) // 2])
    else:
        starts = torch.linspace(0, n - window, k, dtype=torch.float64).round().long()
    idx = starts.unsqueeze(1) + rel.unsqueeze(0)
    return idx % n if pad == "loop" else idx.clamp_(max=n - 1)


def _check_sampling_args(n, t, sampling, stride, num_clips, pad) -> tuple[int, int, int]:
    for name, value in (("num_video_frames", n), ("num_frames", t)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected an int >= 1, got {value!r}")
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling: expected one of {SAMPLINGS}, got {sampling!r}")
    if stride is not None:
        if sampling in ("uniform", "random"):
            raise ValueError(
                f"stride: expected None for sampling={sampling!r} (its spacing is N / T), got {stride!r}; "
                "use sampling='dense' or 'center' for a fixed stride"
            )
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(f"stride: expected an int >= 1 or None, got {stride!r}")
    bad_k = isinstance(num_clips, bool) or not isinstance(num_clips, int) or num_clips < 1
    if num_clips is not None and bad_k:
        raise ValueError(f"num_clips: expected an int >= 1 or None, got {num_clips!r}")
    if pad not in PADS:
        raise ValueError(f"pad: expected one of {PADS}, got {pad!r}")
    return n, t, num_clips or 1


# ---------------------------------------------------------------------------------------------------- reading


def _target_size(size: int | tuple[int, int] | None, height: int, width: int) -> tuple[int, int]:
    """``(H, W)`` to decode at: ``size`` as the short side (aspect ratio kept) or an explicit ``(H, W)``."""
    if size is None:
        return height, width
    if isinstance(size, int) and not isinstance(size, bool):
        if size < 1:
            raise ValueError(f"size: expected an int >= 1 (the short side) or (H, W), got {size!r}")
        if height <= width:
            return size, max(1, round(width * size / height))
        return max(1, round(height * size / width)), size
    if (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in size)
    ):
        return int(size[0]), int(size[1])
    raise ValueError(
        f"size: expected None, an int >= 1 (the short side) or a pair (H, W) of ints >= 1, got {size!r}"
    )


def read_clip(
    path: str | os.PathLike,
    num_frames: int = 16,
    sampling: str = "uniform",
    stride: int | None = None,
    size: int | tuple[int, int] | None = None,
    num_clips: int | None = None,
    generator: torch.Generator | None = None,
    *,
    pad: str = "loop",
    info: VideoInfo | None = None,
    num_threads: int = 1,
    backend: str = "auto",
) -> torch.Tensor:
    """Read one clip (or ``num_clips`` clips) from a video file with decord or PyAV.

    Only the selected frames are converted (and only the frames they need decoded: each backend seeks to the
    key frame before a run of wanted frames), all clips of the call are read in one pass, each frame once, and
    resizing happens inside FFmpeg while converting.

    Args:
        path: video file (anything FFmpeg reads: MP4, AVI, MKV, WebM, ...).
        num_frames: ``T``, frames per clip.
        sampling: ``"uniform"``, ``"random"``, ``"center"`` or ``"dense"`` (see the module docstring).
        stride: frame step of ``"dense"`` / ``"center"`` windows (default 1).
        size: ``None`` for the stored size; an int ``S`` to resize the short side to ``S`` keeping the aspect
            ratio (the long side is rounded); or ``(H, W)``.
        num_clips: ``K`` clips in one call (for multi-view evaluation); ``None`` for a single clip.
        generator: optional ``torch.Generator`` for the random modes.
        pad: short-window rule for ``"dense"`` / ``"center"``: ``"loop"`` (default) or ``"repeat_last"``.
        info: the video's :class:`VideoInfo` if already known (datasets pass their index entry); saves a probe
            when ``size`` is given (decord) or the frame count (PyAV, for containers that do not store it).
        num_threads: FFmpeg decoder threads (default 1; 0 lets FFmpeg choose, i.e. frame threading over all
            cores). Short clips gain nothing from frame threading, which restarts at every seek, and DataLoader
            workers already use the cores: on an idle 2-core machine 1 thread read random 16-frame clips 1.1x
            to 1.7x faster than 0 (docs/benchmarks.md).
        backend: ``"auto"`` (default: PyAV for the codecs of :data:`PYAV_FIRST` and where decord is not
            installed, decord for other codecs, each falling back to the other for a file it cannot read),
            ``"decord"`` or
            ``"pyav"``. The frames, shapes and errors are the same; docs/io.md says which is faster where.

    Shape:
        Returns ``(T, C, H, W)`` with ``C = 3``, or ``(K, T, C, H, W)`` when ``num_clips`` is given.

    Returns:
        A ``uint8`` tensor (RGB), without a copy of the decoded frames: its memory is laid out
        ``(T, H, W, C)`` (``torch.channels_last`` strides per frame, as ``torchvision.io.read_video`` returns
        its ``TCHW`` frames); ``DataLoader`` collation, the transforms and ``.contiguous()`` all accept it.

    Raises:
        VideoReadError: the file is missing, empty, not a video, truncated or otherwise undecodable.
        ValueError: an argument is out of range.
        ImportError: ``backend="decord"`` where decord is not installed.

    Example:
        >>> clip = read_clip("video.mp4", num_frames=8, sampling="random", size=112)  # doctest: +SKIP
        >>> clip.shape  # doctest: +SKIP
        torch.Size([8, 3, 112, 149])
    """
    path = _check_file(path)
    _check_sampling_args(1, num_frames, sampling, stride, num_clips, pad)
    _target_size(size, 1, 1)  # validate before touching the file
    _check_backend(backend)
    drawn: dict[int, torch.Tensor] = {}

    def pick(n: int) -> torch.Tensor:  # the indices are drawn once, even when "auto" falls back to PyAV
        if n not in drawn:
            drawn[n] = clip_indices(n, num_frames, sampling, stride, num_clips, generator, pad)
        return drawn[n]

    # "auto": a known codec decides (datasets pass their index entry); otherwise PyAV opens the file and hands
    # it to decord unless its codec is one of PYAV_FIRST
    decord_first = info is not None and bool(info.codec) and info.codec not in PYAV_FIRST
    idx, frames = _first_that_reads(
        path,
        backend,
        decord_first,
        lambda: _read_decord(path, pick, size, info, num_threads),
        lambda prefer: _read_pyav_frames(path, pick, size, info, num_threads, prefer),
    )
    unique, inverse = torch.unique(idx, sorted=True, return_inverse=True)
    if frames.ndim != 4 or frames.shape[0] != unique.numel() or frames.shape[-1] != 3:
        raise VideoReadError.at(path, f"the decoder returned frames of unexpected shape {tuple(frames.shape)}")
    if unique.numel() != idx.numel() or not torch.equal(unique, idx.reshape(-1)):
        # repeated frames (short videos, overlapping clips): gather in numpy, a single-threaded copy that
        # torch's intra-op thread pool makes several times slower on a busy machine
        frames = torch.from_numpy(np.take(frames.numpy(), inverse.reshape(-1).numpy(), axis=0))
    out = frames.reshape(*idx.shape, *frames.shape[1:]).permute(0, 1, 4, 2, 3)  # (K, T, C, H, W) view
    return out if num_clips is not None else out[0]


def _read_pyav_frames(path, pick, size, info, num_threads, prefer=None) -> tuple[torch.Tensor, torch.Tensor]:
    from . import _pyav as _read_pyav

    to_size = None if size is None else (lambda h, w: _target_size(size, h, w))
    try:
        idx, frames, _ = _read_pyav.read_frames(
            path, pick, to_size, info.num_frames if info is not None else None, num_threads, prefer=prefer
        )
    except _read_pyav._Error as exc:
        raise VideoReadError.at(path, str(exc)) from None
    return idx, frames


def _read_decord(path, pick, size, info, num_threads) -> tuple[torch.Tensor, torch.Tensor]:
    """The decord backend: one ``get_batch`` of the distinct wanted frames; ``(idx (K, T), (U, H, W, 3))``."""
    if size is not None and info is None:
        info = probe(path, num_threads=num_threads, backend="decord")
    height, width = _target_size(size, info.height, info.width) if size is not None else (-1, -1)
    vr = _open(path, width, height, num_threads)
    try:
        num_video_frames = len(vr)
        if num_video_frames <= 0:
            raise VideoReadError.at(path, "the video stream has no frames")
        idx = pick(num_video_frames)
        unique = torch.unique(idx, sorted=True)
        try:
            frames = _as_tensor(vr.get_batch(unique.tolist()))
        except Exception as exc:
            if not _is_stride_bug(exc):
                raise _decode_error(path, unique, num_video_frames, exc) from None
            frames = None
    finally:
        del vr
    if frames is None:
        frames = _read_around_stride_bug(path, unique, size, info, num_threads, num_video_frames)
    return idx, frames


def _as_tensor(batch) -> torch.Tensor:
    """decord's ``(N, H, W, C)`` NDArray as a torch tensor sharing its memory (DLPack, no copy).

    ``asnumpy()`` would copy the frames once more, about a tenth of the time of reading a 16-frame clip of
    128 x 170 pixels.
    """
    from torch.utils.dlpack import from_dlpack

    return from_dlpack(batch.to_dlpack())


def _decode_error(path: str, unique: torch.Tensor, n: int, exc: BaseException) -> VideoReadError:
    lo, hi = int(unique[0]), int(unique[-1])
    return VideoReadError.at(
        path,
        f"decoding frames {lo}..{hi} of the {n} the container declares failed: the file is truncated or "
        f"corrupted (decord: {_decord_message(exc)})",
    )


def _read_around_stride_bug(path, unique, size, info, num_threads, n):
    """Decode at a width that is a multiple of 32 (decord handles those) and resize the width back."""
    if info is None:
        info = probe(path, num_threads=num_threads, backend="decord")
    height, width = _target_size(size, info.height, info.width)
    wide = 32 * math.ceil(width / 32)
    if wide == width:
        wide += 32
    vr = _open(path, wide, height, num_threads)
    try:
        frames = vr.get_batch(unique.tolist()).asnumpy()
    except Exception as exc:
        raise _decode_error(path, unique, n, exc) from None
    finally:
        del vr
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    x = F.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return x.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()
