"""What every file-backed video dataset shares: path checks, the cached video index, the error policy.

* :func:`resolve_inside` joins a path from a list file to the data root and refuses one that leaves it.
* :class:`VideoIndex` holds each file's :class:`~videoaug.io.VideoInfo` (frame count, fps, size), probed once
  in parallel threads (decord releases the GIL) with a progress bar, and cached as JSON beside the data (or in
  a cache directory when the data directory is read-only). An entry is re-probed when its file's size or
  modification time changes (or, for a file found unreadable, when another backend asks), and only then. A
  cache file that does not validate (not JSON, another version, an entry of the wrong shape) is never an
  error: what does not validate is re-probed and the file rewritten.
* :class:`ClipDataset` turns ``(path, label)`` samples into ``(clip, label)`` with
  :func:`videoaug.io.read_clip` and applies the ``on_error`` policy: ``"raise"`` re-raises
  :class:`~videoaug.io.VideoReadError`; ``"skip"`` logs the file once (per process), counts the skip and
  returns the next readable item instead, so a DataLoader with workers never dies on one bad file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import torch
from torch.utils.data import Dataset, get_worker_info

from videoaug.io import BACKENDS, SAMPLINGS, VideoInfo, VideoReadError, probe, read_clip

__all__ = ["VIDEO_EXTENSIONS", "ON_ERROR", "resolve_inside", "default_cache_dir", "VideoIndex", "ClipDataset"]

logger = logging.getLogger("videoaug.datasets")

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".3gp")
ON_ERROR = ("raise", "skip")


def resolve_inside(root: str, relpath: str, where: str = "") -> str:
    """``root/relpath``, refusing absolute paths and ``..`` that would leave ``root``.

    The check is on the path as written (``os.path.normpath``), so symbolic links that the owner of the data
    placed inside ``root`` keep working.

    Raises:
        ValueError: ``relpath`` is empty, absolute, or escapes ``root``; ``where`` (e.g.
            ``"testlist01.txt:7"``) prefixes the message.
    """
    prefix = f"{where}: " if where else ""
    if not relpath:
        raise ValueError(f"{prefix}expected a path relative to {root!r}, got an empty path")
    if os.path.isabs(relpath) or relpath.startswith(("/", "\\")):
        raise ValueError(f"{prefix}expected a path relative to {root!r}, got the absolute path {relpath!r}")
    base = os.path.normpath(os.path.abspath(root))
    full = os.path.normpath(os.path.join(base, relpath))
    if os.path.commonpath([base, full]) != base or full == base:
        raise ValueError(f"{prefix}path {relpath!r} leaves the data root {root!r}; refusing to read {full!r}")
    return full


def default_cache_dir() -> str:
    """``$VIDEOAUG_CACHE`` if set, else ``$XDG_CACHE_HOME/videoaug`` (``~/.cache/videoaug``)."""
    if os.environ.get("VIDEOAUG_CACHE"):
        return os.environ["VIDEOAUG_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "videoaug")


def _writable(directory: str) -> bool:
    return os.access(directory, os.W_OK)


class VideoIndex:
    """Cached :class:`~videoaug.io.VideoInfo` of the files of a dataset (or the reason a file is unreadable).

    Args:
        root: the data root; the cache lives at ``root/.videoaug_index.json`` when ``root`` is writable.
        relpaths: the files to index, relative to ``root``.
        cache_dir: where the cache goes when ``root`` is not writable (default :func:`default_cache_dir`), as
            ``index-<hash of root>.json``.
        num_workers: probing threads (default ``min(8, cpu count)``).
        progress: show a tqdm progress bar while probing.
        backend: the reading backend that probes (see :func:`videoaug.io.read_clip`).

    Attributes:
        entries: ``relpath -> VideoInfo`` for readable files, ``relpath -> str`` (the cause) for the others.
        probed: how many files this construction probed (0 when everything came from the cache).
        cache_file: the JSON file read and written (``None`` if none could be written).
    """

    FILENAME = ".videoaug_index.json"
    VERSION = 1

    def __init__(
        self,
        root: str,
        relpaths: Sequence[str],
        cache_dir: str | None = None,
        num_workers: int | None = None,
        progress: bool = True,
        backend: str = "auto",
    ):
        self.root = os.path.abspath(root)
        self.backend = backend
        self._cache_dir = cache_dir or default_cache_dir()
        digest = hashlib.sha1(self.root.encode()).hexdigest()[:16]
        self._candidates = [
            os.path.join(self.root, self.FILENAME),
            os.path.join(self._cache_dir, f"index-{digest}.json"),
        ]
        cached, self.cache_file = self._load()
        self.entries: dict[str, VideoInfo | str] = {}
        todo: list[tuple[str, int, int]] = []
        for rel in dict.fromkeys(relpaths):
            try:
                st = os.stat(os.path.join(self.root, rel))
            except OSError:
                self.entries[rel] = "no such file"
                continue
            entry = cached.get(rel)
            if (
                entry is not None
                and entry.get("size") == st.st_size
                and entry.get("mtime_ns") == st.st_mtime_ns
                and ("info" in entry or entry.get("backend") == backend)  # another backend may read it
            ):
                self.entries[rel] = VideoInfo(*entry["info"]) if "info" in entry else str(entry["error"])
            else:
                todo.append((rel, st.st_size, st.st_mtime_ns))
        self.probed = len(todo)
        if todo:
            for (rel, size, mtime_ns), result in zip(
                todo, self._probe_all([r for r, _, _ in todo], num_workers, progress), strict=True
            ):
                self.entries[rel] = result
                record = {"size": size, "mtime_ns": mtime_ns}
                if isinstance(result, VideoInfo):
                    record["info"] = [result.num_frames, result.fps, result.height, result.width, result.codec]
                else:
                    record["error"], record["backend"] = result, backend
                cached[rel] = record
            self.cache_file = self._save(cached)

    def _probe_all(
        self, relpaths: list[str], num_workers: int | None, progress: bool
    ) -> list[VideoInfo | str]:
        from tqdm.auto import tqdm

        def one(rel: str) -> VideoInfo | str:
            try:
                return probe(os.path.join(self.root, rel), backend=self.backend)
            except VideoReadError as exc:
                return exc.cause or str(exc)

        workers = num_workers or min(8, os.cpu_count() or 1)
        with (
            ThreadPoolExecutor(max_workers=workers) as pool,
            tqdm(
                total=len(relpaths), desc="videoaug: indexing videos", unit="video", disable=not progress
            ) as bar,
        ):
            results = []
            for result in pool.map(one, relpaths):
                results.append(result)
                bar.update(1)
        return results

    def _load(self) -> tuple[dict, str | None]:
        """Merge the valid entries of every cache file found (each is checked against its file anyway); a file
        or an entry that does not validate is ignored, so that its videos are re-probed."""
        merged, found = {}, None
        for path in reversed(self._candidates):
            try:
                with open(path, "rb") as f:
                    data = json.loads(f.read().decode("utf-8"))
            except (OSError, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                continue
            if not isinstance(data, dict) or data.get("version") != self.VERSION:
                continue
            entries = data.get("entries")
            if not isinstance(entries, dict):
                logger.warning("ignoring the video index cache %s: 'entries' is not an object", path)
                continue
            valid = {k: v for k, v in entries.items() if _valid_entry(v)}
            if len(valid) < len(entries):
                logger.warning("video index cache %s: %d malformed entries, re-probing them", path,
                               len(entries) - len(valid))
            merged.update(valid)
            found = path
        return merged, found

    def _save(self, entries: dict) -> str | None:
        data = {"version": self.VERSION, "entries": entries}
        for path in self._candidates:
            directory = os.path.dirname(path)
            if path.startswith(self.root + os.sep) and not _writable(directory):
                continue
            try:
                os.makedirs(directory, exist_ok=True)
                tmp = f"{path}.{os.getpid()}.tmp"
                with open(tmp, "w") as f:
                    json.dump(data, f)
                os.replace(tmp, path)  # atomic: readers never see half a file
                return path
            except OSError:
                continue
        logger.warning("could not write the video index cache to any of %s", self._candidates)
        return None

    def __getitem__(self, relpath: str) -> VideoInfo | str:
        return self.entries[relpath]

    def __len__(self) -> int:
        return len(self.entries)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _valid_entry(entry: object) -> bool:
    """Whether a cache entry has the shape :class:`VideoIndex` writes: ``{"size": int, "mtime_ns": int}`` plus
    ``"info": [num_frames, fps, height, width, codec]`` or ``"error": str, "backend": str``."""
    if not isinstance(entry, dict) or not _is_int(entry.get("size")) or not _is_int(entry.get("mtime_ns")):
        return False
    if "info" in entry:
        info = entry["info"]
        if not isinstance(info, list) or len(info) != 5:
            return False
        num_frames, fps, height, width, codec = info
        return (
            all(_is_int(v) and v >= 0 for v in (num_frames, height, width))
            and isinstance(fps, (int, float)) and not isinstance(fps, bool)
            and isinstance(codec, str)
        )
    return isinstance(entry.get("error"), str) and isinstance(entry.get("backend"), str)


_SLOTS = 1024  # skip counters: slot 0 for the main process, worker w uses slot 1 + w (mod)


class ClipDataset(Dataset):
    """Base of :class:`~videoaug.datasets.VideoFolder` and :class:`~videoaug.datasets.UCF101`.

    Subclasses build ``samples`` (absolute path, label) and ``classes``, then call ``super().__init__``.
    The common arguments are documented on the subclasses.

    Attributes:
        samples: list of ``(path, label)``.
        targets: the labels, in sample order.
        classes: class names, index = label.
        class_to_idx: name -> label.
        index: the :class:`VideoIndex` (``None`` when built with ``index=False``).
        num_skipped: items skipped under ``on_error="skip"``, summed over the main process and all DataLoader
            workers (kept in shared memory).
        bad_files: files this process found unreadable.
    """

    def __init__(
        self,
        root: str,
        samples: list[tuple[str, int]],
        classes: list[str],
        *,
        num_frames: int,
        sampling: str,
        stride: int | None,
        size: int | tuple[int, int] | None,
        num_clips: int | None,
        pad: str,
        transform: Callable | None,
        target_transform: Callable | None,
        on_error: str,
        index: bool,
        cache_dir: str | None,
        num_workers: int | None,
        progress: bool,
        backend: str = "auto",
    ):
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error: expected one of {ON_ERROR}, got {on_error!r}")
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling: expected one of {SAMPLINGS}, got {sampling!r}")
        if backend not in BACKENDS:
            raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
        self.root = os.path.abspath(root)
        self.samples = samples
        self.targets = [label for _, label in samples]
        self.classes = classes
        self.class_to_idx = {c: i for i, c in enumerate(classes)}
        self.clip_args = dict(
            num_frames=num_frames, sampling=sampling, stride=stride, size=size, num_clips=num_clips, pad=pad,
            backend=backend,
        )
        self.transform = transform
        self.target_transform = target_transform
        self.on_error = on_error
        rel = [os.path.relpath(p, self.root) for p, _ in samples]
        self._rel = dict(zip([p for p, _ in samples], rel, strict=True))
        self.index = VideoIndex(self.root, rel, cache_dir, num_workers, progress, backend) if index else None
        self._skips = torch.zeros(_SLOTS, dtype=torch.int64).share_memory_()
        self.bad_files: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def num_skipped(self) -> int:
        return int(self._skips.sum())

    def video_info(self, i: int) -> VideoInfo | None:
        """The index entry of sample ``i`` (``None`` without an index or for an unreadable file)."""
        if self.index is None:
            return None
        entry = self.index[self._rel[self.samples[i][0]]]
        return entry if isinstance(entry, VideoInfo) else None

    def load(self, i: int) -> tuple[torch.Tensor, int]:
        """Read sample ``i`` without the error policy or transforms; raises :class:`VideoReadError`."""
        path, label = self.samples[i]
        if self.index is not None:
            entry = self.index[self._rel[path]]
            if isinstance(entry, str):
                raise VideoReadError.at(path, entry)
            return read_clip(path, info=entry, **self.clip_args), label
        return read_clip(path, **self.clip_args), label

    def __getitem__(self, i: int):
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for a dataset of {len(self)} items")
        i %= len(self)
        tries = len(self) if self.on_error == "skip" else 1
        last: VideoReadError | None = None
        for step in range(min(tries, 100)):
            j = (i + step) % len(self)
            path = self.samples[j][0]
            try:
                if path in self.bad_files:
                    raise VideoReadError.at(path, self.bad_files[path])
                clip, label = self.load(j)
            except VideoReadError as exc:
                if self.on_error == "raise":
                    raise
                self._note_skip(path, exc)
                last = exc
                continue
            if self.transform is not None:
                clip = self.transform(clip)
            if self.target_transform is not None:
                label = self.target_transform(label)
            return clip, label
        raise VideoReadError.at(
            last.path,
            f"on_error='skip' found no readable item in {min(tries, 100)} tries from index {i}; "
            f"last cause: {last.cause}",
        )

    def _note_skip(self, path: str, exc: VideoReadError) -> None:
        info = get_worker_info()
        slot = 0 if info is None else 1 + info.id % (_SLOTS - 1)
        self._skips[slot] += 1  # each process writes only its own slot
        if path not in self.bad_files:
            self.bad_files[path] = exc.cause or str(exc)
            logger.warning("skipping unreadable video (on_error='skip'): %s", exc)

    def __repr__(self) -> str:
        lines = [
            f"{type(self).__name__}(root={self.root!r}, {len(self)} clips, {len(self.classes)} classes,",
            f"    {', '.join(f'{k}={v!r}' for k, v in self.clip_args.items())}, on_error={self.on_error!r})",
        ]
        return "\n".join(lines)
